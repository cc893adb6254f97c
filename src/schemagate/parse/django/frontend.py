"""The Django frontend: a migration module's `class Migration` to its up and down scripts.

Read with libcst, never imported or executed: importing a migration imports the project,
its settings and Django. The class's `operations` list becomes one statement per operation
(one per SQL statement of a `RunSQL`), translated by `parse.django.ops` against the
project's model state; Django's automatic reverse of each operation, in reverse order,
makes the down script. `dependencies`, resolved by discovery across apps, make the
migration's place in the history graph: dependencies within the app are its parents
(`down`), those on other apps link histories without joining them (`depends_on`), and the
app label is its branch, so that two leaves of one app are two heads.

Django runs a migration in one transaction unless the class says `atomic = False`.
django-migration-linter's `IgnoreMigration()` operation silences every rule for the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from schemagate.model.findings import InputError, Suppression
from schemagate.model.migration import (
    DjangoSite,
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    ParsedStatement,
    PyInsert,
    Revision,
    Script,
)
from schemagate.model.ops import RawSQL, SetSetting
from schemagate.model.span import Span
from schemagate.parse.alembic.eval import Env
from schemagate.parse.alembic.source import LineIndex, Text, node_offsets
from schemagate.parse.alembic.sql import parse_sql
from schemagate.parse.django.ops import Call, Context, Opaque, Statement, translate
from schemagate.parse.django.state import ProjectState
from schemagate.parse.source import SourceText
from schemagate.parse.suppressions import find_suppressions
from schemagate.parse.transactions import transaction_blocks

_EMPTY = cst.Module(body=[])
# Operations whose way back is written in the migration; Django derives every other one.
_WRITTEN_REVERSE = frozenset({"RunSQL", "RunPython"})


@dataclass
class _Reader:
    """One file's text, offsets and names, for values and spans."""

    path: str
    offsets: dict[cst.CSTNode, tuple[int, int]]
    lines: LineIndex
    env: Env
    dialect: str
    text: str
    errors: list[InputError] = field(default_factory=list)
    # Classes the module defines on top of a Django class (`class DeleteModelIfExists(
    # migrations.DeleteModel)`): read as their base, which is what they send by default.
    bases: dict[str, str] = field(default_factory=dict)

    def code(self, node: cst.CSTNode) -> str:
        """A node's source: sliced from the file where its offsets are known (a call), which
        costs nothing, instead of generating it again (a third of the run on 1,000 files)."""
        at = self.offsets.get(node)
        return self.text[at[0]:at[1]] if at is not None else _code(node)

    def span(self, node: cst.CSTNode) -> Span:
        start, end = self.offsets.get(node, (0, 0))
        return self.lines.span(self.path, start, end)

    def value(self, node: cst.BaseExpression) -> object:
        """A literal's value; calls as `Call`; anything else as `Opaque`."""
        if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            text = self.env.string(node)
            return text if text is not None else Opaque(_code(node))
        if isinstance(node, cst.Integer):
            return int(node.value.replace("_", ""), 0)
        if isinstance(node, cst.Float):
            return float(node.value.replace("_", ""))
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.value(node.expression)
            return -inner if isinstance(inner, int | float) else Opaque(_code(node))
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            items = [self.value(e.value) for e in node.elements
                     if isinstance(e, cst.Element)]
            if isinstance(node, cst.Tuple):
                return tuple(items)
            return items
        if isinstance(node, cst.Dict):
            out: dict[object, object] = {}
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    key = self.value(el.key)
                    if isinstance(key, str | int):
                        out[key] = self.value(el.value)
            return out
        if isinstance(node, cst.Call):
            return self.call(node)
        return Opaque(_code(node))

    def call(self, node: cst.Call) -> Call:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else _code(func))
        name = self.bases.get(name, name)
        args: list[object] = []
        arg_nodes: list[object] = []
        kwargs: dict[str, object] = {}
        kw_nodes: dict[str, object] = {}
        kw_spans: dict[str, Span] = {}
        for arg in node.args:
            if arg.star:
                continue
            if arg.keyword is None:
                args.append(self.value(arg.value))
                arg_nodes.append(arg.value)
            else:
                key = arg.keyword.value
                kwargs[key] = self.value(arg.value)
                kw_nodes[key] = arg.value
                # Keyword arguments have no offsets of their own: the value (a field's
                # call) stands where the keyword does.
                kw_spans[key] = self.span(arg.value) if arg.value in self.offsets \
                    else self.span(node)
        return Call(name, args, kwargs, self.span(node), self.code(node), kw_spans, arg_nodes,
                    kw_nodes)


def inner_name(node: cst.Call) -> str:
    func = node.func
    return func.attr.value if isinstance(func, cst.Attribute) else (
        func.value if isinstance(func, cst.Name) else "")


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def parse_django(source: SourceText, migration: MigrationSource,
                 state: ProjectState | None = None) -> ParsedMigration:
    """Parse one Django migration file; `state` carries the project's models between files."""
    state = state if state is not None else ProjectState()
    up_script = migration.up or Script(source.path, "wrapped", "up")
    down_script = migration.down or Script(source.path, "wrapped", "down")
    try:
        tree = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        error = InputError(source.path, f"invalid Python: {exc.message}", exc.raw_line,
                           exc.raw_column + 1)
        return ParsedMigration(migration, ParsedScript(up_script, errors=[error]), None)
    offsets = node_offsets(tree)
    reader = _Reader(source.path, offsets, LineIndex(source.text),
                     Env(source.text, offsets, "postgresql"), migration.dialect, source.text)
    names: dict[str, cst.BaseExpression] = {}
    for stmt in tree.body:  # module-level constants: SQL, or lists of operations
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                        isinstance(small.targets[0].target, cst.Name):
                    value = small.value
                    names[small.targets[0].target.value] = value
                    reader.env.bind(small.targets[0].target.value, value,
                                    reader.env.value(value))
    reader.bases = _subclasses(tree)
    cls = next((s for s in tree.body if isinstance(s, cst.ClassDef)
                and s.name.value == "Migration"), None)
    up = ParsedScript(up_script)
    down = ParsedScript(down_script)
    if cls is None:
        up.errors.append(InputError(source.path, "no `class Migration` in this Django "
                                    "migration"))
        return ParsedMigration(migration, up, None)
    assigns: dict[str, cst.CSTNode] = {}
    body = _class_body(cls, assigns)
    atomic_node = body.get("atomic")
    atomic = not (isinstance(atomic_node, cst.Name) and atomic_node.value == "False")
    app = (migration.version or "").split(".", 1)[0] or "?"
    ctx = Context(app, state, lambda node, anchor: _sql(reader, node, anchor))
    ups: list[Statement] = []
    downs: list[list[Statement]] = []
    ignored = False
    irreversible_at: Span | None = None  # the operation without a way back Django stops at
    nested_at: Span | None = None  # one inside SeparateDatabaseAndState
    operations = body.get("operations")
    called: list[str] = []
    for node in _operation_nodes(operations, names) or []:
        call = reader.call(node)
        called.append(call.name)
        if call.name == "IgnoreMigration":
            ignored = True
            continue
        if call.name == "SeparateDatabaseAndState":
            translated = _separate(call, node, reader, ctx, names)
            for inner_up, inner_down, irreversible, inner_span in translated:
                ups.extend(inner_up)
                downs.append(inner_down)
                if irreversible:  # Django fails at the inner operation with no way back
                    down.declared_irreversible = True
                    nested_at = nested_at or inner_span
            continue
        result = translate(call, ctx)
        if call.name == "RunSQL" and result.up and all(
                isinstance(x, SetSetting) for st in result.up for x in st.ops):
            called[-1] = "RunSQL:SET"
        if result.irreversible and irreversible_at is None:
            irreversible_at = call.span
        ups.extend(result.up)
        if call.name in _WRITTEN_REVERSE:
            downs.append(result.down)
        down.declared_irreversible |= result.irreversible
    if operations is not None and _operation_nodes(operations, names) is None:
        up.errors.append(InputError(source.path, "`operations` is not a literal list",
                                    reader.span(operations).line))
    up.errors.extend(reader.errors)
    mode = "wrapped" if atomic else "autocommit"
    _fill(up, ups, mode)
    _fill(down, [st for group in reversed(downs) for st in group], mode)
    comments = find_suppressions(source.text, source.path, python=True)
    if ignored:
        comments.append(Suppression(("all",), Span.point(source.path), whole_file=True,
                                    tool="django-migration-linter"))
    up.suppressions = comments
    up.empty = not up.statements and not up.errors
    down.empty = not down.statements
    down.derived = True
    at = source.text.find("class Migration")
    line, column = reader.lines.position(max(at, 0))
    class_span = Span(source.path, line, column, line, column + len("class Migration") - 1)
    # Django refuses to start (IrreversibleError) at a top-level operation without a way
    # back, whatever its place; one inside SeparateDatabaseAndState (which says it is
    # reversible) fails only when it is run backwards (NotImplementedError).
    down.nested_irreversible = irreversible_at is None and nested_at is not None
    down.span = irreversible_at or nested_at or class_span
    up.insert = _first_operation(reader, operations, tree)
    if {"AddIndex", "RemoveIndex"} & set(called):
        up.django = _site(reader, tree, cls, assigns, tuple(called), at)
    deps = assigns.get("dependencies")
    revision = _revision(migration, class_span,
                         reader.span(deps) if deps is not None else class_span)
    return ParsedMigration(migration, up, down, revision=revision)


def _first_operation(reader: _Reader, operations: cst.BaseExpression | None,
                     tree: cst.Module) -> PyInsert | None:
    """Where a new first operation goes: the line of the first element of a literal
    `operations` list, when that element starts its line."""
    name = _imported(tree, "django.db").get("migrations")
    if name is None or not isinstance(operations, cst.List) or not operations.elements:
        return None
    at = reader.offsets.get(operations.elements[0].value)
    if at is None:
        return None
    text = reader.text
    start = text.rfind("\n", 0, at[0]) + 1
    indent = text[start:at[0]]
    if indent.strip():
        line, column = reader.lines.position(at[0])
        return PyInsert(line, "", tree.default_newline, name, column, inline=True)
    # Above the comments that open the element: they speak of it, not of the new one.
    while start > 0:
        above = text.rfind("\n", 0, start - 1) + 1
        if not text[above:start].strip().startswith("#"):
            break
        start = above
    return PyInsert(reader.lines.position(start)[0], indent, tree.default_newline, name)


def _imported(tree: cst.Module, module: str) -> dict[str, str]:
    """The names `from <module> import …` brings, to the names they are bound to."""
    out: dict[str, str] = {}
    for stmt in tree.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.ImportFrom) or small.module is None or \
                    isinstance(small.names, cst.ImportStar) or _code(small.module) != module:
                continue
            for alias in small.names:
                if isinstance(alias.name, cst.Name):
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name):
                        out[alias.name.value] = bound.value
    return out


_CLASS_HEADER = re.compile(r"class\s+Migration\s*(?:\([^()]*\))?\s*:")


def _site(reader: _Reader, tree: cst.Module, cls: cst.ClassDef,
          assigns: dict[str, cst.CSTNode], called: tuple[str, ...], class_at: int
          ) -> DjangoSite:
    """What a fix to the migration's class needs (`DjangoSite`)."""
    text, newline = reader.text, tree.default_newline
    atomic: Span | None = None
    atomic_value: str | None = None
    node = assigns.get("atomic")
    where = reader.offsets.get(node) if node is not None else None
    if isinstance(node, cst.Assign) and where is not None:
        atomic_value = _code(node.value)
        atomic = reader.lines.span(reader.path, where[1] - len(atomic_value), where[1])
    class_insert = None
    header = _CLASS_HEADER.match(text, class_at) if class_at >= 0 else None
    body = cls.body
    # An `atomic` written otherwise (`atomic: bool = True`) is neither replaced nor
    # shadowed by a second one: no place is given.
    if node is None and header is not None and isinstance(body, cst.IndentedBlock) and body.body:
        after = header.end()
        first = body.body[0]
        if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 and \
                isinstance(first.body[0], cst.Expr) and isinstance(first.body[0].value,
                                                                   cst.SimpleString):
            doc = reader.offsets.get(first.body[0].value)
            after = doc[1] if doc is not None else -1
        end = text.find("\n", after) if after >= 0 else -1
        rest = text[after:end].strip() if end >= 0 else "?"
        if not rest or rest.startswith("#"):
            indent = body.indent if body.indent is not None else tree.default_indent
            class_insert = PyInsert(reader.lines.position(end + 1)[0], indent, newline,
                                    "migrations")
    # After the last import at the top of the module: the length of the code up to it.
    offset = sum(len(tree.code_for_node(line)) for line in tree.header)
    import_at = offset
    for stmt in tree.body:
        if stmt is cls:  # imports come first; the class may be long
            break
        offset += len(tree.code_for_node(stmt))
        if isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(x, cst.Import | cst.ImportFrom) for x in stmt.body):
            import_at = offset
    postgres = frozenset(_imported(tree, "django.contrib.postgres.operations"))
    return DjangoSite(called, atomic, atomic_value, class_insert,
                      reader.lines.position(import_at)[0], postgres)


def _subclasses(tree: cst.Module) -> dict[str, str]:
    """Module-level classes with one base, by name, to that base's last name."""
    out: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, cst.ClassDef) and len(stmt.bases) == 1 and \
                stmt.name.value != "Migration":
            base = stmt.bases[0].value
            name = base.attr.value if isinstance(base, cst.Attribute) else (
                base.value if isinstance(base, cst.Name) else None)
            if name is not None:
                out[stmt.name.value] = out.get(name, name)
    return out


def _class_body(cls: cst.ClassDef, assigns: dict[str, cst.CSTNode]
                ) -> dict[str, cst.BaseExpression]:
    out: dict[str, cst.BaseExpression] = {}
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                    isinstance(small.targets[0].target, cst.Name):
                out[small.targets[0].target.value] = small.value
                assigns[small.targets[0].target.value] = small
            elif isinstance(small, cst.AnnAssign) and small.value is not None and \
                    isinstance(small.target, cst.Name):
                out[small.target.value] = small.value
                assigns[small.target.value] = small
    return out


def _operation_nodes(node: cst.BaseExpression | None,
                    names: dict[str, cst.BaseExpression] | None = None,
                    depth: int = 0) -> list[cst.Call] | None:
    """The calls of a literal list of operations, or of module-level lists added together
    (`operations = CREATE + BACKFILL`); None when the list is built otherwise."""
    names = names or {}
    if isinstance(node, cst.Name) and node.value in names and depth < 8:
        return _operation_nodes(names[node.value], names, depth + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = _operation_nodes(node.left, names, depth + 1)
        right = _operation_nodes(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    if not isinstance(node, cst.List | cst.Tuple):
        return None
    return [e.value for e in node.elements
            if isinstance(e, cst.Element) and isinstance(e.value, cst.Call)]


def _separate(call: Call, node: cst.Call, reader: _Reader, ctx: Context,
              names: dict[str, cst.BaseExpression]
              ) -> list[tuple[list[Statement], list[Statement], bool, Span]]:
    """SeparateDatabaseAndState as Django runs it: the database operations reach the
    database, translated against a copy of the state before the operation that each of
    them moves on (`database_forwards`); the state operations alone then move the project's
    state (`state_forwards`), whatever the order the two lists are written in."""
    lists: dict[str, list[cst.Call]] = {}
    for index, arg in enumerate(node.args):
        keyword = arg.keyword.value if arg.keyword is not None else (
            _SEPARATE_ARGS[index] if index < len(_SEPARATE_ARGS) else None)
        if keyword in _SEPARATE_ARGS:
            lists[keyword] = _operation_nodes(arg.value, names) or []
    database = replace(ctx, state=ctx.state.copy())
    out = []
    for inner in lists.get("database_operations", []):
        inner_call = reader.call(inner)
        result = translate(inner_call, database)
        written = result.down if inner_name(inner) in _WRITTEN_REVERSE else []
        out.append((result.up, written, result.irreversible, inner_call.span))
    for inner in lists.get("state_operations", []):
        translate(reader.call(inner), ctx)
    return out


# SeparateDatabaseAndState's arguments, in the order they may be passed by position.
_SEPARATE_ARGS = ("database_operations", "state_operations")


def _sql(reader: _Reader, node: object, anchor: Span) -> list[Statement]:
    """RunSQL's argument: a string, or a list of strings (or of (sql, params) pairs)."""
    if not isinstance(node, cst.BaseExpression):
        return []
    parts: list[cst.BaseExpression] = [node]
    if isinstance(node, cst.List | cst.Tuple):
        parts = []
        for el in node.elements:
            value = el.value
            if isinstance(value, cst.Tuple | cst.List) and value.elements:
                value = value.elements[0].value
            parts.append(value)
    out: list[Statement] = []
    for part in parts:
        text = reader.env.text(part)
        if not isinstance(text, Text):
            raw = RawSQL(span=_where(reader, part, anchor), statement_kind="RunSQL",
                         sql=_code(part), reason="SQL built at run time")
            out.append(Statement(_code(part), (raw,), separate_ops=False))
            continue
        result = parse_sql(text, _where(reader, part, anchor), reader.lines, 0,
                           reader.dialect)
        reader.errors.extend(result.errors)
        out.extend(Statement(st.sql, st.ops, st.long_identifiers, st.long_identifier_spans,
                             separate_ops=False)
                   for st in result.statements)
    return out


def _where(reader: _Reader, node: cst.CSTNode, anchor: Span) -> Span:
    """A string's own span; SQL kept in a name elsewhere points at the operation."""
    return reader.span(node) if node in reader.offsets else anchor


def _fill(script: ParsedScript, statements: list[Statement], mode: str) -> None:
    blocks = transaction_blocks([st.ops for st in statements],
                                "wrapped" if mode == "wrapped" else "autocommit")
    script.statements = [
        ParsedStatement(i, st.sql, tuple(replace(op, statement=i) for op in st.ops),
                        block is not None, block, st.long_identifiers,
                        st.long_identifier_spans, separate_ops=st.separate_ops)
        for i, (st, block) in enumerate(zip(statements, blocks, strict=True))
    ]


def _revision(migration: MigrationSource, span: Span, deps_span: Span) -> Revision | None:
    ident = migration.version
    if ident is None:
        return None
    app = ident.split(".", 1)[0]
    same = tuple(r for r in migration.requires if r.split(".", 1)[0] == app)
    other = tuple(r for r in migration.requires if r.split(".", 1)[0] != app)
    return Revision(ident, same, (app,), other, span, deps_span)
