"""The Alembic frontend: a revision file to its header, `upgrade()` and `downgrade()`.

Read with libcst and never imported or executed: a migration's module-level code may
connect to databases or import the application. The header (`revision`, `down_revision`,
`branch_labels`, `depends_on`) feeds the revision graph; each function becomes a script of
statements, one per `op.*` call and one per SQL statement of `op.execute`.

Alembic runs a migration inside one transaction ("wrapped"), except the statements inside
`with op.get_context().autocommit_block():`, which run outside any: Alembic commits before
the block and begins a new transaction after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from schemagate.model.findings import InputError, Suppression
from schemagate.model.migration import (
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    ParsedStatement,
    PyInsert,
    Revision,
    Script,
    TransactionMode,
)
from schemagate.model.span import Span
from schemagate.parse.alembic.eval import UNKNOWN, Env
from schemagate.parse.alembic.source import LineIndex, Text, node_offsets
from schemagate.parse.alembic.walk import (
    Found,
    Module,
    Walked,
    Walker,
    body_of,
    foreign_imports,
)
from schemagate.parse.source import SourceText
from schemagate.parse.suppressions import find_suppressions
from schemagate.parse.transactions import transaction_blocks

# schemagate's dialect names to SQLAlchemy's, for tests such as `bind.dialect.name == "x"`.
_SA_DIALECTS = {"postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}
_HEADER = ("revision", "down_revision", "branch_labels", "depends_on")


@dataclass
class _Header:
    values: dict[str, object] = field(default_factory=dict)
    nodes: dict[str, cst.BaseExpression] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)


def parse_alembic(source: SourceText, migration: MigrationSource) -> ParsedMigration:
    """Parse one Alembic revision file into a migration with its revision header."""
    up_script = migration.up or Script(source.path, "wrapped", "up")
    try:
        tree = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        error = _syntax_error(source, exc)
        return ParsedMigration(migration, ParsedScript(up_script, errors=[error]), None)
    module, header = _module(tree, source, migration.dialect, migration.run_time_names)
    errors: list[InputError] = []
    revision = _revision(header, source.path, errors)
    upgrade, downgrade = module.functions.get("upgrade"), module.functions.get("downgrade")
    comments = find_suppressions(source.text, source.path, python=True)
    down_lines = _lines_of(downgrade, module)

    walked_up = Walker(module).walk(upgrade) if upgrade is not None else Walked()
    walked_down = Walker(module).walk(downgrade) if downgrade is not None else Walked()
    # A comment in a helper governs the statements of the functions that call it; every
    # other comment outside downgrade() is upgrade()'s, as it always was.
    down_only = [h for h in walked_down.helpers if h not in walked_up.helpers]
    up = ParsedScript(up_script, errors=errors)
    if upgrade is not None:
        _fill(up, walked_up, module, upgrade)
        comments = _onto_sql(comments, walked_up)
    up.suppressions += [s for s in comments if not _within(s, down_lines) and not any(
        _within(s, h) for h in down_only)]
    up.empty = not up.statements and not up.errors

    down = None
    if downgrade is not None:
        down = ParsedScript(migration.down or Script(source.path, "wrapped", "down"))
        walked = walked_down
        _fill(down, walked, module, downgrade)
        comments = _onto_sql(comments, walked)
        down.suppressions += [s for s in comments if any(
            _within(s, lines) for lines in (down_lines, *walked.helpers))]
        down.empty = not down.statements and not down.errors
        # A downgrade that raises, or does nothing while upgrade() does something, says
        # the migration cannot be undone (a merge revision does nothing either way).
        down.declared_irreversible = walked.raises or (
            not down.statements and _trivial(downgrade) and bool(up.statements))
    return ParsedMigration(migration, up, down, revision=revision)


def _syntax_error(source: SourceText, exc: cst.ParserSyntaxError) -> InputError:
    """Python's own compiler says where the error is more precisely than libcst."""
    import ast

    try:
        ast.parse(source.text)
    except SyntaxError as error:
        return InputError(source.path, f"invalid Python: {error.msg}", error.lineno,
                          error.offset)
    return InputError(source.path, f"invalid Python: {exc.message}", exc.raw_line,
                      exc.raw_column + 1)


def _fill(script: ParsedScript, walked: Walked, module: Module, fn: cst.FunctionDef) -> None:
    blocks = _blocks(walked.statements, script.script.transaction)
    script.statements = [
        ParsedStatement(i, found.sql, found.ops, block is not None, block,
                        found.long_identifiers, found.long_identifier_spans, lines=found.lines,
                        site=found.site)
        for i, (found, block) in enumerate(zip(walked.statements, blocks, strict=True))
    ]
    script.errors.extend(walked.errors)
    script.suppressions.extend(walked.suppressions)
    start, end = module.offsets.get(fn, (0, 0))
    script.span = _def_span(fn, module, start, end)
    script.body_span = _body_span(module, start, end)
    script.insert = _insert(fn, module, start, end)


def _insert(fn: cst.FunctionDef, module: Module, start: int, end: int) -> PyInsert | None:
    """Where a new first statement of the function goes: the line after its docstring, or
    else after the `def` line (before any comment that opens the body). None for a body on
    the `def` line, or a module that does not import `op`."""
    body = fn.body
    if module.op is None or not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    at = module.code.find("def ", start, end)
    header = _DEF_HEADER.match(module.code, at) if at >= 0 else None
    if header is None:
        return None
    after = header.end()
    first = body.body[0]
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 and isinstance(
            first.body[0], cst.Expr) and isinstance(first.body[0].value, cst.SimpleString):
        doc = module.offsets.get(first.body[0].value)
        if doc is None:
            return None
        after = doc[1]
    newline = module.code.find("\n", after, end)
    rest = module.code[after:newline].strip() if newline >= 0 else "?"
    if rest and not rest.startswith("#"):
        return None
    indent = body.indent if body.indent is not None else module.indent
    return PyInsert(module.lines.position(newline + 1)[0], indent, module.newline, module.op)


def _def_span(fn: cst.FunctionDef, module: Module, start: int, end: int) -> Span:
    """The `def name(...)` line, past any decorators and leading comments."""
    at = module.code.find("def ", start, end)
    line, col = module.lines.position(at if at >= 0 else start)
    return Span(module.path, line, col, line, col + 3)


# The header of a function definition, up to the colon that opens its body: parameters with
# defaults and annotations may hold one level of parentheses, and the return annotation
# no colon.
_DEF_HEADER = re.compile(r"def\s+\w+\s*\((?:[^()]|\([^()]*\))*\)\s*(?:->[^:]*)?:")
_NOT_CODE = re.compile(r"(?:\s|#[^\n]*)*")  # blanks and comments


def _body_span(module: Module, start: int, end: int) -> Span | None:
    """From the first statement of a function's body to the end of its last one."""
    at = module.code.find("def ", start, end)
    header = _DEF_HEADER.match(module.code, at) if at >= 0 else None
    if header is None:
        return None
    first = _NOT_CODE.match(module.code, header.end(), end)
    body_start = first.end() if first else header.end()
    body = module.code[body_start:end].rstrip().split("\n")
    while len(body) > 1 and body[-1].lstrip().startswith("#"):  # comments in the footer
        body.pop()
        body[-1] = body[-1].rstrip()
    body_end = body_start + len("\n".join(body))
    if body_end <= body_start:
        return None
    return module.lines.span(module.path, body_start, body_end)


def _blocks(found: list[Found], mode: TransactionMode) -> list[int | None]:
    """Transaction blocks: wrapped (unless the configuration says otherwise), except runs
    of statements in `autocommit_block()`.

    Each stretch between autocommit blocks is a transaction of its own, because Alembic
    commits before the block and begins again after it.
    """
    out: list[int | None] = []
    next_block = 0
    start = 0
    while start < len(found):
        stop = start
        while stop < len(found) and found[stop].autocommit == found[start].autocommit:
            stop += 1
        run: TransactionMode = "autocommit" if found[start].autocommit else mode
        renumber: dict[int, int] = {}
        for block in transaction_blocks([f.ops for f in found[start:stop]], run):
            if block is None:
                out.append(None)
                continue
            if block not in renumber:
                renumber[block] = next_block
                next_block += 1
            out.append(renumber[block])
        start = stop
    return out


def _trivial(fn: cst.FunctionDef) -> bool:
    """A body of only `pass`, `...` and strings (a docstring)."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (
                    cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                continue
            return False
    return True


def _lines_of(fn: cst.FunctionDef | None, module: Module) -> tuple[int, int] | None:
    if fn is None:
        return None
    start, end = module.offsets.get(fn, (0, 0))
    first = module.code.find("def ", start, end)
    return module.lines.position(max(first, start))[0], module.lines.position(max(end - 1, 0))[0]


def _onto_sql(comments: list[Suppression], walked: Walked) -> list[Suppression]:
    """A comment on the closing line of a multi-line `op.execute(...)` is on the line of the call:
    it governs the call's first statement, which starts lines above it."""
    out = []
    for sup in comments:
        line = sup.span.line
        for first, last, statement in walked.sql_calls:
            if first <= line <= last and line > statement.end_line and not sup.whole_file:
                sup = replace(sup, span=replace(sup.span, line=statement.line,
                                                end_line=statement.line))
                break
        out.append(sup)
    return out


def _within(sup: Suppression, lines: tuple[int, int] | None) -> bool:
    return lines is not None and lines[0] <= sup.span.line <= lines[1]


# -- the module ------------------------------------------------------------------------------

def _module(tree: cst.Module, source: SourceText, dialect: str, run_time_names: bool
            ) -> tuple[Module, _Header]:
    offsets = node_offsets(tree)
    lines = LineIndex(source.text)
    env = Env(source.text, offsets, _SA_DIALECTS.get(dialect, dialect),
              run_time_names=run_time_names)
    functions: dict[str, cst.FunctionDef] = {}
    op_names: set[str] = {"op", "alembic.op"}
    imported: set[str] = set()  # what `from alembic import op [as x]` binds
    context_names: set[str] = {"alembic.context"}
    foreign: set[str] = set()  # names bound by importing from outside Alembic and SQLAlchemy
    header = _Header()
    for stmt in tree.body:
        if isinstance(stmt, cst.ClassDef):
            env.bind_origins(stmt)
            continue
        if isinstance(stmt, cst.FunctionDef):
            functions[stmt.name.value] = stmt
            returned = _only_return(stmt)
            if returned is not None:
                env.returns[stmt.name.value] = returned
            continue
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                foreign |= foreign_imports(small)
                env.bind_origins(small)
            if isinstance(small, cst.ImportFrom):
                _imports(small, imported, context_names)
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                _module_assign(small, env, header, offsets, lines, source.path)
    op_names |= imported
    module = Module(source.path, source.text, lines, offsets, env, functions,
                    frozenset(op_names), frozenset(context_names), dialect,
                    tree.default_indent, tree.default_newline,
                    "op" if "op" in imported else min(imported, default=None),
                    frozenset(foreign))
    return module, header


def _only_return(fn: cst.FunctionDef) -> cst.BaseExpression | None:
    """The expression a function of no parameters only returns (a docstring aside)."""
    params = fn.params
    if (params.params or params.posonly_params or params.kwonly_params or fn.decorators
            or isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None):
        return None
    # Each simple line's small statements on their own: `"""Doc."""; return x` is two.
    body = [small for line in body_of(fn.body)
            for small in (line.body if isinstance(line, cst.SimpleStatementLine) else (line,))
            if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString))]
    if len(body) == 1 and isinstance(body[0], cst.Return) and body[0].value is not None:
        return body[0].value
    return None


def _imports(node: cst.ImportFrom, op_names: set[str], context_names: set[str]) -> None:
    """`from alembic import op [as x]`, `from alembic import context`."""
    if node.module is None or cst.Module(body=[]).code_for_node(node.module) != "alembic":
        return
    if isinstance(node.names, cst.ImportStar):
        context_names.add("context")
        return
    for alias in node.names:
        name = alias.name.value if isinstance(alias.name, cst.Name) else ""
        bound = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            bound = alias.asname.name.value
        if name == "op":
            op_names.add(bound)
        elif name == "context":
            context_names.add(bound)


def _module_assign(node: cst.Assign | cst.AnnAssign, env: Env, header: _Header,
                   offsets: dict[cst.CSTNode, tuple[int, int]], lines: LineIndex,
                   path: str) -> None:
    if node.value is None:
        return
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [
        node.target]
    value = env.value(node.value)
    for target in targets:
        if not isinstance(target, cst.Name):
            continue
        env.bind(target.value, node.value, value)
        if target.value in _HEADER:
            header.values[target.value] = value
            header.nodes[target.value] = node.value
            start, end = offsets.get(node, (0, 0))
            header.spans[target.value] = lines.span(path, start, end)


def _revision(header: _Header, path: str, errors: list[InputError]) -> Revision | None:
    rev_span = header.spans.get("revision")
    revision = header.values.get("revision")
    if not isinstance(revision, Text):
        line = rev_span.line if rev_span else None
        errors.append(InputError(path, "no literal `revision = \"…\"` in this Alembic "
                                 "migration; it cannot be placed in the revision graph", line))
        return None
    names: dict[str, tuple[str, ...]] = {}
    for key in _HEADER[1:]:
        value = header.values.get(key)
        found = _names(value)
        if found is None and key != "down_revision":
            # A label from a constant defined elsewhere (`cli.EXPAND_BRANCH`): its
            # expression stands for it, which is all the graph needs (tell labels apart).
            found = _expressions(header.nodes.get(key))
        if found is None:
            span = header.spans.get(key)
            errors.append(InputError(path, f"`{key}` is not a literal string, tuple or None",
                                     span.line if span else None))
            found = ()
        names[key] = found
    return Revision(revision.value, names["down_revision"], names["branch_labels"],
                    names["depends_on"], rev_span, header.spans.get("down_revision"))


def _expressions(node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    if node is None:
        return None
    items = [e.value for e in node.elements] if isinstance(node, (cst.Tuple, cst.List)) \
        else [node]
    return tuple(cst.Module(body=[]).code_for_node(item) for item in items)


def _names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, Text):
        return (value.value,)
    if isinstance(value, tuple) and value is not UNKNOWN:
        texts = [v for v in value if isinstance(v, Text)]
        if len(texts) == len(value):
            return tuple(t.value for t in texts)
    return None
