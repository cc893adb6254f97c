"""The fixes for Python migrations: Alembic revisions and Django migration classes.

The frontends find, with libcst, what these fixes need while they parse (`PyLines`,
`PyInsert`, `DjangoSite` in `model.migration`), so a fix needs neither the file nor a
second parse of it. A statement that is rewritten is parsed again alone, with libcst, and
rendered back by it: its comments, quotes and line breaks stay as written, its continuation
lines move with it into a new block, and the edit covers only the text that changes.

SQL inside `op.execute("…")` or `RunSQL("…")` gets no fix: its text is not the file's
(quotes, escapes and concatenation stand between), and rewriting it in place once broke a
real migration.

- Alembic, missing-lock-timeout: `op.execute("SET lock_timeout = '…'")` first in the
  function (after its docstring). A session SET outlives Alembic's transaction, so it holds
  for the `autocommit_block()`s after it too.
- Alembic, `op.create_index(…)` / `op.drop_index(…)`: `postgresql_concurrently=True`, the
  statement moved into `with op.get_context().autocommit_block():` (which commits the
  migration's transaction first, so the statement runs outside one); inside such a block
  already, only the keyword.
- Alembic, `op.create_foreign_key(…)`: `postgresql_not_valid=True` (SQLAlchemy renders it
  as `NOT VALID`), then `ALTER TABLE … VALIDATE CONSTRAINT …` in an `autocommit_block()`,
  so the validating scan runs after the ADD's lock is released.
- Both Alembic fixes that make a block are offered only where the function does nothing
  else: index builds and drops, foreign keys added or dropped, session SETs. The block
  commits everything before it, so in a revision that also adds a column a failure after
  the block would leave the column in place and the revision unrecorded (the next
  `upgrade` then fails on it); the finding keeps its advice to move the statement into a
  revision of its own, as the Django fix and the SQL layouts' split do.
- Django, `AddIndex` / `RemoveIndex`: `AddIndexConcurrently` / `RemoveIndexConcurrently`
  from `django.contrib.postgres.operations` (imported), and `atomic = False` on the class.
  Offered only where every operation of the migration is an index operation (or a RunSQL of
  only SETs): turning the transaction off then costs nothing, as each index operation is
  one statement that succeeds or fails alone; with other operations, a failure half-way
  would leave them applied and the migration unrecorded.
- Django, missing-lock-timeout: a first operation `migrations.RunSQL("SET lock_timeout =
  '…'", reverse_sql=migrations.RunSQL.noop)` (for the up direction: Django runs the
  reverse of a migration's operations in reverse order, so no first operation reaches it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schemagate.model import ops as o
from schemagate.model.fixes import Edit, Fix
from schemagate.model.migration import PyInsert, PyLines
from schemagate.model.names import quote_literal
from schemagate.rules.context import RuleContext
from schemagate.rules.rewrite import ident

if TYPE_CHECKING:  # libcst is imported where a fix is built: linting SQL never pays for it
    import libcst as cst

# What `lint --fix` does to Python migrations, per rule, as `rules`, `explain` and the rule
# pages say it (`registry.autofix_note`).
_INDEX_NOTE = ("{call} alone on its lines in `upgrade()`/`downgrade()` gets "
               "`postgresql_concurrently=True` and moves into `with "
               "op.get_context().autocommit_block():` where the function does only index, "
               "foreign-key and SET work (the block commits what came before it) and no "
               "`SET LOCAL` precedes it (the commit would end it); Django: {django} becomes "
               "{concurrent} and the class `atomic = False`, where every operation of the "
               "migration is an index operation (or a RunSQL of only SETs); with other "
               "operations, none")
PYTHON_FIXES = {
    "missing-lock-timeout": (
        "`op.execute(\"SET lock_timeout = '…'\")` first in `upgrade()`/`downgrade()` (after "
        "the docstring); Django: a first operation `migrations.RunSQL(\"SET lock_timeout = "
        "'…'\", reverse_sql=migrations.RunSQL.noop)`, for the up direction only"),
    "create-index-non-concurrently": _INDEX_NOTE.format(
        call="`op.create_index(…)`", django="`AddIndex`", concurrent="`AddIndexConcurrently`"),
    "drop-index-non-concurrently": _INDEX_NOTE.format(
        call="`op.drop_index(…)`", django="`RemoveIndex`",
        concurrent="`RemoveIndexConcurrently`"),
    "add-foreign-key-validated": (
        "`op.create_foreign_key(…)` with a literal name, alone on its lines in "
        "`upgrade()`/`downgrade()` doing only index, foreign-key and SET work, gets "
        "`postgresql_not_valid=True` (SQLAlchemy writes NOT VALID), and "
        "`op.execute(\"ALTER TABLE … VALIDATE CONSTRAINT …\")` follows in an autocommit "
        "block; Django: none (`AddConstraintNotValid` takes check constraints "
        "only)"),
}

_INDEX_CALLS = {"create_index": "Build the index CONCURRENTLY in an autocommit block",
                "drop_index": "Drop the index CONCURRENTLY in an autocommit block"}
_DJANGO_INDEX = {"AddIndex": "AddIndexConcurrently",
                 "RemoveIndex": "RemoveIndexConcurrently"}
# What a Django migration may hold for `atomic = False` to be offered.
_NON_ATOMIC_SAFE = frozenset({*_DJANGO_INDEX, *_DJANGO_INDEX.values(), "RunSQL:SET"})


def layout(ctx: RuleContext) -> str:
    return ctx.migration.source.layout


def _python_string(text: str) -> str:
    """A Python literal of `text`, in double quotes where it can be."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return repr(text)


def _set_lock_timeout(ctx: RuleContext) -> str:
    return f"SET lock_timeout = {quote_literal(ctx.settings.lock_timeout)}"


# -- missing-lock-timeout -------------------------------------------------------------------

def lock_timeout_fix(ctx: RuleContext) -> Fix | None:
    """`SET lock_timeout` as the first statement of an Alembic function, or as the first
    operation of a Django migration (up only)."""
    at = ctx.script.insert
    if at is None:
        return None
    sql = _set_lock_timeout(ctx)
    title = f"Set lock_timeout to {quote_literal(ctx.settings.lock_timeout)} first"
    if layout(ctx) == "alembic":
        line = f"{at.indent}{at.name}.execute({_python_string(sql)}){at.newline}"
    elif layout(ctx) == "django" and ctx.direction == "up":
        call = f"{at.name}.RunSQL({_python_string(sql)}, reverse_sql={at.name}.RunSQL.noop),"
        line = f"{call} " if at.inline else f"{at.indent}{call}{at.newline}"
    else:
        return None
    return Fix(title, (_insert(ctx, at, line),))


def _insert(ctx: RuleContext, at: PyInsert, content: str) -> Edit:
    return Edit(ctx.script.script.path, at.line, at.column, at.line, at.column, content)


# -- Alembic: statements rewritten in place --------------------------------------------------

def alembic_index_fix(ctx: RuleContext) -> Fix | None:
    """`postgresql_concurrently=True` on the `op.create_index`/`op.drop_index` at hand, in
    an autocommit block."""
    lines = ctx.statement.lines
    if layout(ctx) != "alembic" or lines is None or len(ctx.statement.ops) != 1:
        return None
    method = _method(lines)
    if method not in _INDEX_CALLS or (not lines.autocommit and (
            _set_local_before(ctx) or not _block_commits_only_its_kind(ctx))):
        return None
    new = _rewrite(lines, lambda call: _with_keyword(call, "postgresql_concurrently"),
                   wrap=not lines.autocommit, after=())
    if new is None:
        return None
    return Fix(_INDEX_CALLS[method], (_replace(ctx, lines, new),))


def alembic_not_valid_fix(ctx: RuleContext, op: o.AddConstraint) -> Fix | None:
    """`postgresql_not_valid=True` on the `op.create_foreign_key` at hand, and its VALIDATE
    in an autocommit block after it."""
    lines = ctx.statement.lines
    con = op.constraint
    if layout(ctx) != "alembic" or lines is None or len(ctx.statement.ops) != 1 or (
            con.name is None or _method(lines) != "create_foreign_key") or (
            not lines.autocommit and (
                _set_local_before(ctx) or not _block_commits_only_its_kind(ctx))):
        return None
    call = _call_of(lines)
    # Qualified only as the call qualifies it: unqualified, both find it by search_path.
    schema = op.table.schema if call is not None and any(
        a.keyword is not None and a.keyword.value == "source_schema" for a in call.args) else None
    table = ".".join(ident(part) for part in (schema, op.table.name) if part)
    sql = f"ALTER TABLE {table} VALIDATE CONSTRAINT {ident(con.name)}"
    new = _rewrite(lines, lambda call: _with_keyword(call, "postgresql_not_valid"),
                   wrap=False, after=(_python_string(sql),))
    if new is None:
        return None
    return Fix("Add the foreign key NOT VALID, then VALIDATE it in an autocommit block",
               (_replace(ctx, lines, new),))


def _block_commits_only_its_kind(ctx: RuleContext) -> bool:
    """Whether every statement of the function is one that an autocommit block may commit
    without leaving a half-applied revision behind: an index build or drop, a foreign key
    added or dropped, or a session SET (each succeeds or fails alone), or one already in a
    block."""
    for st in ctx.script.statements:
        if st.lines is not None and st.lines.autocommit:
            continue
        if not st.ops or not all(_alone(op) for op in st.ops):
            return False
    return True


def _alone(op: o.Operation) -> bool:
    if isinstance(op, o.AddConstraint):
        return op.constraint.kind == "foreign"
    return isinstance(op, o.CreateIndex | o.DropIndex | o.DropConstraint | o.SetSetting)


def _set_local_before(ctx: RuleContext) -> bool:
    """Whether a `SET LOCAL` ran earlier in the script: the commit an autocommit block makes
    would end it for the statements after the block."""
    return any(isinstance(x, o.SetSetting) and x.local
               for st in ctx.script.statements[:ctx.statement.index] for x in st.ops)


def _method(lines: PyLines) -> str | None:
    import libcst as cst

    call = _call_of(lines)
    func = call.func if call is not None else None
    return func.attr.value if isinstance(func, cst.Attribute) else None


def _parse(lines: PyLines) -> cst.Module | None:
    """The statement's lines as the body of a block at their indentation."""
    import libcst as cst

    try:
        return cst.parse_module(f"if 1:{lines.newline}{lines.text}")
    except cst.ParserSyntaxError:
        return None


def _block_of(module: cst.Module) -> cst.IndentedBlock | None:
    import libcst as cst

    stmt = module.body[0] if len(module.body) == 1 else None
    if isinstance(stmt, cst.If) and isinstance(stmt.body, cst.IndentedBlock) and len(
            stmt.body.body) == 1:
        return stmt.body
    return None


def _call_of(lines: PyLines, module: cst.Module | None = None) -> cst.Call | None:
    import libcst as cst

    module = module or _parse(lines)
    block = _block_of(module) if module is not None else None
    line = block.body[0] if block is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    expr = line.body[0]
    if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
        return None
    return expr.value


def _rewrite(lines: PyLines, change: Callable[[cst.Call], cst.Call | None], *, wrap: bool,
             after: tuple[str, ...]) -> str | None:
    """The statement's lines with its call changed, moved into an autocommit block when
    `wrap`, and `op.execute(<each of after>)` put after it in one."""
    import libcst as cst

    module = _parse(lines)
    call = _call_of(lines, module) if module is not None else None
    block = _block_of(module) if module is not None else None
    if module is None or call is None or block is None:
        return None
    changed = change(call)
    if changed is None:
        return None
    op = cst.Module(body=[]).code_for_node(call.func).rsplit(".", 1)[0]
    line = block.body[0]
    assert isinstance(line, cst.SimpleStatementLine)
    stmt = line.with_deep_changes(line.body[0], value=changed)
    body: list[cst.BaseStatement] = []
    autocommit = cst.parse_expression(f"{op}.get_context().autocommit_block()")
    if wrap:
        inner = cst.IndentedBlock(body=[stmt.with_changes(leading_lines=())],
                                  indent=lines.unit)
        body.append(cst.With(items=[cst.WithItem(autocommit)], body=inner,
                             leading_lines=stmt.leading_lines))
    else:
        body.append(stmt)
    if after:
        executes = [cst.SimpleStatementLine(body=[cst.Expr(cst.parse_expression(
            f"{op}.execute({arg})"))]) for arg in after]
        if lines.autocommit:
            body.extend(executes)
        else:
            body.append(cst.With(items=[cst.WithItem(autocommit)],
                                 body=cst.IndentedBlock(body=executes, indent=lines.unit)))
    new = module.with_changes(
        body=[module.body[0].with_changes(body=block.with_changes(body=body,
                                                                   indent=lines.indent))],
        default_indent=lines.unit, default_newline=lines.newline)
    code = new.code
    head = f"if 1:{lines.newline}"
    return code[len(head):] if code.startswith(head) else None


def _with_keyword(call: cst.Call, keyword: str) -> cst.Call | None:
    """The call with `keyword=True` last among its arguments, in the manner of the ones
    before it (a trailing comma and one argument a line stay so); None when it cannot be
    told whether the call already passes it (`**kwargs`)."""
    import libcst as cst

    args = list(call.args)
    if any(a.star for a in args):
        return None
    true = cst.Name("True")
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            args[i] = arg.with_changes(value=true)
            return call.with_changes(args=args)
    new = cst.Arg(value=true, keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
        between = args[-2].comma
    elif isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        between = cst.Comma(whitespace_after=call.whitespace_before_args)
    else:
        between = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    # The new argument takes the last one's place at the end: its comma and what stood
    # before the closing parenthesis; the last one takes the separator the others use.
    args[-1] = last.with_changes(comma=between, whitespace_after_arg=cst.SimpleWhitespace(""))
    args.append(new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def _replace(ctx: RuleContext, lines: PyLines, new: str) -> Edit:
    """An edit turning the statement's lines into `new`, narrowed to what differs."""
    old = lines.text
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    line, column = _position(old, start, lines.line)
    end_line, end_column = _position(old, len(old) - end, lines.line)
    return Edit(ctx.script.script.path, line, column, end_line, end_column,
                new[start:len(new) - end])


def _position(text: str, offset: int, first_line: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset into text starting a line."""
    newlines = text.count("\n", 0, offset)
    return first_line + newlines, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- Django -----------------------------------------------------------------------------------

def django_index_fix(ctx: RuleContext) -> Fix | None:
    """Every AddIndex/RemoveIndex of the migration made concurrent, the class made
    non-atomic and the operations imported: one fix, the same for each finding."""
    site = ctx.script.django
    if layout(ctx) != "django" or ctx.direction != "up" or site is None or (
            ctx.migration.up is not ctx.script) or not set(site.operations) <= _NON_ATOMIC_SAFE:
        return None
    path = ctx.script.script.path
    edits: list[Edit] = []
    names: set[str] = set()
    for st in ctx.script.statements:
        if not st.ops or not isinstance(st.ops[0], o.CreateIndex | o.DropIndex):
            continue
        func = st.sql.split("(", 1)[0]
        name = func.rsplit(".", 1)[-1].strip()
        if name not in _DJANGO_INDEX:
            continue
        span = st.ops[0].span.resolved()
        if "\n" in func or func != func.strip() or any(
                (x.span.line, x.span.column) != (span.line, span.column) for x in st.ops):
            return None
        edits.append(Edit(path, span.line, span.column, span.line, span.column + len(func),
                          _DJANGO_INDEX[name]))
        if _DJANGO_INDEX[name] not in site.postgres_imports:
            names.add(_DJANGO_INDEX[name])
    if not edits:
        return None
    newline = site.class_insert.newline if site.class_insert is not None else "\n"
    if site.atomic is not None:
        if site.atomic_value != "False":
            a = site.atomic
            edits.append(Edit(path, a.line, a.column, a.end_line, a.end_column + 1, "False"))
    elif site.class_insert is not None:
        at = site.class_insert
        edits.append(Edit(path, at.line, 1, at.line, 1, f"{at.indent}atomic = False{newline}"))
    else:
        return None
    if names:
        edits.append(Edit(path, site.import_line, 1, site.import_line, 1,
                          "from django.contrib.postgres.operations import "
                          f"{', '.join(sorted(names))}{newline}"))
    edits.sort(key=lambda e: (e.line, e.column))
    return Fix("Make the index operations concurrent, the migration non-atomic",
               tuple(edits))
