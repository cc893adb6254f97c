"""Walk `upgrade()` or `downgrade()` the way Python would run it, without running it.

The walk follows the body in order: `op.*` calls, `with op.batch_alter_table(...)` and
`with op.get_context().autocommit_block():` blocks, `if`s whose test is known (the dialect),
`for` loops over literal lists (unrolled), and the module's own helper functions (inlined:
their operations point at where the helper writes them, and remember the call in the
migration function, whose suppression comments still govern them). What it cannot follow
(a loop over rows read at run time, a helper imported from elsewhere) becomes `RawSQL` with
the reason, never a guess and never a crash. A function imported from outside Alembic and
SQLAlchemy that is handed the migration's connection (`op.get_bind()`, a name bound to it,
`op.get_context().connection`) or `op` itself runs SQL the walk cannot read
(sqlalchemy_searchable's `sync_trigger(conn, …)`): it becomes such a `RawSQL` at the call,
wherever it stands. What Alembic and SQLAlchemy do with a connection they are given
(`sa.MetaData(bind=conn)`, `sa.inspect(conn)`, reflection) is read, not written. An ORM
Session on the migration's connection reads and writes rows through its objects: its
first use becomes one `RawSQL` of kind `ORM_SESSION` (a data migration), and only the SQL
it is given in a string the tool can read becomes statements of their own.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst

from schemagate.model import ops as o
from schemagate.model.findings import InputError, Suppression
from schemagate.model.migration import PyLines
from schemagate.model.span import Span
from schemagate.parse.alembic import entities
from schemagate.parse.alembic.eval import (
    UNKNOWN,
    Connection,
    Env,
    Query,
    Session,
    dotted,
    origins_of,
)
from schemagate.parse.alembic.ops import Batch, Call, enum_lifecycle, translate
from schemagate.parse.alembic.source import LineIndex, Offsets, Text
from schemagate.parse.alembic.sql import parse_sql
from schemagate.parse.alembic.types import args_of, last_name

_MAX_UNROLL = 200
# The `op.*` calls whose statement a fix may rewrite in place (`rules/pyfix.py`).
_SITED = frozenset({"create_index", "drop_index", "create_foreign_key"})
# Calls that Alembic sends as several statements, one per operation: `op.add_column` adds
# the column, then each constraint of the column by ALTER TABLE … ADD, then its index
# (alembic/operations/toimpl.py), each holding the locks of the ones before it.
_SEPARATE = frozenset({"add_column"})
_MAX_INLINE_DEPTH = 4
_RUN_TIME_LOOP = "inside a loop over values known only at run time"
# The methods of an ORM Session that read or write rows (or send what its objects changed).
_SESSION_WORK = frozenset({
    "query", "execute", "scalars", "scalar", "get", "add", "add_all", "merge", "delete",
    "commit", "flush", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings",
})
_SESSION_REASON = ("ORM work through a Session on the migration's connection: the rows it "
                   "reads and writes are not known")
_DIALECT_NAMES = {"postgres": "PostgreSQL", "mysql": "MySQL", "sqlite": "SQLite"}
# Packages whose functions, given a connection, are known not to change the schema on their
# own (`sa.MetaData(bind=conn)`, `sa.inspect(conn)`, `sa.Table(..., autoload_with=conn)`)
# or are read as `op.*` calls.
_KNOWN_PACKAGES = frozenset({"alembic", "sqlalchemy"})
# Calls that are plainly not schema changes: a bare call to one of these is not reported.
_BUILTINS = frozenset({
    "print", "len", "range", "list", "dict", "set", "tuple", "sorted", "str", "int", "float",
    "bool", "isinstance", "getattr", "setattr", "hasattr", "super", "any", "all", "zip",
    "enumerate", "next", "iter", "open", "format", "repr", "type", "min", "max", "sum", "map",
    "filter", "reversed", "id", "hash", "vars", "locals", "globals", "exec", "eval",
    "NotImplementedError", "Exception", "ValueError", "RuntimeError",
})


@dataclass
class Module:
    """What the walk of either function needs from the module."""

    path: str
    code: str
    lines: LineIndex
    offsets: Offsets
    env: Env  # module-level constants
    functions: dict[str, cst.FunctionDef]
    op_names: frozenset[str]  # names bound to `alembic.op`
    context_names: frozenset[str]  # names bound to `alembic.context` (its `execute()` runs SQL)
    dialect: str  # the schemagate dialect: "postgres", "mysql", "sqlite"
    indent: str = "    "  # one level of indentation, as the module writes it
    newline: str = "\n"  # the module's newline
    op: str | None = None  # the name `from alembic import op` binds, if the module has it
    # The names the module's imports bind from outside Alembic and SQLAlchemy.
    foreign: frozenset[str] = frozenset()


@dataclass
class Found:
    """One statement of the script: an `op.*` call, or one SQL statement of `op.execute`."""

    sql: str
    ops: tuple[o.Operation, ...]
    autocommit: bool  # inside `autocommit_block()`: no transaction
    lines: PyLines | None = None  # the call as whole lines a fix may rewrite (`_SITED`)
    # Of SQL the call runs: its identifiers over 63 bytes, and where each is in the file.
    long_identifiers: tuple[str, ...] = ()
    long_identifier_spans: tuple[Span, ...] = ()
    site: Span | None = None  # in an inlined helper: the call in the migration function


@dataclass
class Walked:
    statements: list[Found] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    raises: bool = False  # the function raises at its top level
    # (first line, last line) of each call whose SQL became statements, with the span of
    # its first statement: a comment on the call's closing line governs that statement.
    sql_calls: list[tuple[int, int, Span]] = field(default_factory=list)
    # (first line, last line) of each helper function the walk inlined: the suppression
    # comments in it govern this function's statements.
    helpers: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Frame:
    env: Env
    batch: Batch | None = None
    autocommit: bool = False
    dynamic: str = ""
    site: Span | None = None  # inside an inlined helper: the call in the migration
    stack: tuple[str, ...] = ()
    # Inside code that may not run on this database (a branch whose test is not known, a
    # `try` whose `except` catches the failure): SQL that does not parse is not an error.
    uncertain: bool = False
    # Directly in the function's body, or in an `autocommit_block()` directly there: where
    # a fix may rewrite a statement in place.
    top: bool = False


class Walker:
    def __init__(self, module: Module) -> None:
        self.m = module
        self.out = Walked()
        # Names bound by imports from outside Alembic and SQLAlchemy, the function's own too.
        self._foreign = set(module.foreign)
        # The statement line being walked, when it is one call directly in the body.
        self._line: cst.SimpleStatementLine | None = None
        self._sessions: set[Session] = set()  # the sessions whose work is a statement already

    def walk(self, fn: cst.FunctionDef) -> Walked:
        frame = _Frame(self.m.env.child(), top=True)
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine) and any(
                    isinstance(s, cst.Raise) for s in stmt.body):
                self.out.raises = True
        self._block(body, frame)
        return self.out

    # -- statements ------------------------------------------------------------------

    def _block(self, body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
               frame: _Frame) -> bool:
        """Walk statements in order; False when a `return`, `raise` or `break` ends the flow."""
        return all(self._statement(stmt, frame) for stmt in body)

    def _statement(self, stmt: cst.BaseStatement | cst.BaseSmallStatement,
                   frame: _Frame) -> bool:
        if isinstance(stmt, cst.SimpleStatementLine):
            if not frame.top or len(stmt.body) != 1:
                return self._block(stmt.body, frame)
            self._line = stmt
            try:
                return self._block(stmt.body, frame)
            finally:
                self._line = None
        match stmt:
            case cst.Expr(value=value):
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.Call):
                    self._call(value, frame, statement=True)
            case cst.Assign(targets=targets, value=value):
                self._assign([t.target for t in targets], value, frame)
            case cst.AnnAssign(target=target, value=value) if value is not None:
                self._assign([target], value, frame)
            case cst.AugAssign(target=cst.Name(value=name), operator=operator, value=value):
                old = frame.env.value(stmt.target)
                new = frame.env.value(value)
                if isinstance(operator, cst.AddAssign) and isinstance(old, Text) and \
                        isinstance(new, Text):
                    frame.env.bind(name, None, Text(old.value + new.value))
                else:
                    frame.env.bind(name, None, UNKNOWN)
            case cst.Return() | cst.Raise() | cst.Break() | cst.Continue():
                return False
            case cst.With():
                return self._with(stmt, frame)
            case cst.If():
                return self._if(stmt, frame)
            case cst.For():
                self._for(stmt, frame)
            case cst.While():
                self._block(body_of(stmt.body), replace(frame, dynamic=_RUN_TIME_LOOP,
                                                      uncertain=True, top=False))
            case cst.Try():
                frame = replace(frame, top=False)
                if not self._block(body_of(stmt.body), replace(frame, uncertain=True)):
                    return False
                if stmt.orelse is not None:
                    self._block(body_of(stmt.orelse.body), frame)
                if stmt.finalbody is not None:
                    self._block(body_of(stmt.finalbody.body), frame)
            case cst.FunctionDef(name=cst.Name(value=name)):
                frame.env.bind(name, None, stmt)
            case cst.Import() | cst.ImportFrom():
                self._foreign |= foreign_imports(stmt)
                frame.env.bind_origins(stmt)
            case cst.ClassDef():
                frame.env.bind_origins(stmt)
        return True

    def _assign(self, targets: list[cst.BaseExpression], value: cst.BaseExpression,
                frame: _Frame) -> None:
        if isinstance(value, cst.Call):
            self._call(value, frame, statement=False)
        known = frame.env.value(value)
        for target in targets:
            _bind_target(frame.env, target, value, known)

    def _with(self, stmt: cst.With, frame: _Frame) -> bool:
        # Only a lone `autocommit_block()` keeps its body a place for in-place fixes.
        inner = replace(frame, top=False)
        for item in stmt.items:
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            name = dotted(call.func)
            method = name.rsplit(".", 1)[-1]
            if method == "batch_alter_table" and self._is_op(call.func):
                inner = replace(inner, batch=self._batch(call, item, frame))
            elif method == "autocommit_block":
                inner = replace(inner, autocommit=True, top=frame.top and len(stmt.items) == 1
                                and not frame.autocommit)
            elif isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name):
                known = frame.env.value(call)
                frame.env.bind(item.asname.name.value, None,
                               known if isinstance(known, Connection) else UNKNOWN)
        return self._block(body_of(stmt.body), inner)

    def _batch(self, call: cst.Call, item: cst.WithItem, frame: _Frame) -> Batch:
        positional, keywords = args_of(call)
        env = frame.env
        table = env.string(keywords.get("table_name", positional[0] if positional else None))
        schema = env.string(keywords.get("schema"))
        recreate = env.string(keywords.get("recreate")) or "auto"
        name = ""
        if isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name):
            name = item.asname.name.value
        return Batch(env.qname(table, schema) if table else None, name, recreate)

    def _if(self, stmt: cst.If, frame: _Frame) -> bool:
        frame = replace(frame, top=False)
        test = frame.env.value(stmt.test)
        orelse = stmt.orelse
        if test is not UNKNOWN:
            if test:
                return self._block(body_of(stmt.body), frame)
            if isinstance(orelse, cst.If):
                return self._if(orelse, frame)
            if isinstance(orelse, cst.Else):
                return self._block(body_of(orelse.body), frame)
            return True
        # Unknown test: both branches may run; names they bind are unknown afterwards.
        branches = [body_of(stmt.body)]
        if isinstance(orelse, cst.If):
            branches.append([orelse])
        elif isinstance(orelse, cst.Else):
            branches.append(body_of(orelse.body))
        for branch in branches:
            child = replace(frame, env=frame.env.child(), uncertain=True)
            self._block(branch, child)
            for name in child.env.names:
                frame.env.bind(name, None, UNKNOWN)
        return True

    def _for(self, stmt: cst.For, frame: _Frame) -> None:
        frame = replace(frame, top=False)
        if isinstance(stmt.iter, cst.Call):  # runs once, before the loop
            self._call(stmt.iter, frame, statement=False)
        items = frame.env.value(stmt.iter)
        if isinstance(items, dict):
            items = tuple(Text(k) if isinstance(k, str) else k for k in items)
        if isinstance(items, tuple) and len(items) <= _MAX_UNROLL:
            for item in items:
                child = replace(frame, env=frame.env.child())
                _bind_target(child.env, stmt.target, None, item)
                self._block(body_of(stmt.body), child)
            return
        child = replace(frame, env=frame.env.child(), dynamic=_RUN_TIME_LOOP, uncertain=True)
        _bind_target(child.env, stmt.target, None, UNKNOWN)
        self._block(body_of(stmt.body), child)

    # -- calls -------------------------------------------------------------------------

    def _is_op(self, func: cst.BaseExpression) -> bool:
        return isinstance(func, cst.Attribute) and dotted(func.value) in self.m.op_names

    def _call(self, node: cst.Call, frame: _Frame, statement: bool) -> None:
        func = node.func
        if self._hands_over_connection(node, frame):
            name = dotted(func)
            self._emit(self._code(node), [o.RawSQL(
                statement_kind="PythonCall", sql=self._code(node),
                reason=f"`{name}()` is imported from elsewhere and is given the migration's "
                       "connection: the SQL it runs is not known",
                span=self._span(node), statement=self._next)], frame)
            return
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = dotted(func.value)
            if receiver in self.m.op_names:
                if method == "execute":
                    self._execute(node, frame)
                elif method in entities.METHODS and self._entity(method, node, frame):
                    pass
                elif method != "batch_alter_table":
                    self._op(method, node, frame, None)
                return
            if receiver in self.m.context_names:
                if method == "execute":
                    self._execute(node, frame, "context.execute")
                return
            if frame.batch is not None and receiver == frame.batch.name:
                if method == "execute":
                    self._execute(node, frame)
                else:
                    self._op(method, node, frame, frame.batch)
                return
            receiver_value = frame.env.value(func.value)
            if isinstance(receiver_value, Session) and self._session_work(
                    node, method, receiver_value, frame):
                return
            if method in ("execute", "exec_driver_sql") and isinstance(
                    receiver_value, Connection):
                # `op.get_bind().execute(...)`: SQLAlchemy's Connection, not Alembic's op.
                self._execute(node, frame, f"Connection.{method}")
                return
            if method in ("create", "drop"):
                ops = enum_lifecycle(node, frame.env, self._span(node), self._next)
                if ops:
                    self._emit(self._code(node), ops, frame)
                    return
            root = dotted(func.value).split(".", 1)[0]
            if statement and root in self._foreign and frame.env.lookup(root) is None \
                    and self._project_module(frame.env.origin(root)):
                # Neutron's kilo_initial: `core_init_ops.upgrade()`, nine of them, the whole
                # base schema; `migration.create_table_if_not_exists(…)`.
                self._unknown_call(node, dotted(func), frame)
                return
            if isinstance(func.value, cst.Call):  # conn.execute(...).fetchall()
                self._call(func.value, frame, statement=False)
        elif isinstance(func, cst.Name):
            helper = self._helper(func.value, frame)
            if helper is not None:
                self._inline(helper, node, frame)
                return
            if statement and func.value not in _BUILTINS and \
                    frame.env.lookup(func.value) is None:
                self._unknown_call(node, func.value, frame)
                return
        for arg in node.args:
            if isinstance(arg.value, cst.Call):
                self._call(arg.value, frame, statement=False)

    def _unknown_call(self, node: cst.Call, name: str, frame: _Frame) -> None:
        """A call of a function defined elsewhere, as a statement of its own that says so."""
        self._emit(self._code(node), [o.RawSQL(
            statement_kind="PythonCall", sql=self._code(node),
            reason=f"`{name}()` is defined elsewhere; what it does to the schema is not known",
            span=self._span(node), statement=self._next)], frame)

    def _project_module(self, origin: str | None) -> bool:
        """Whether an import comes from the project's own code, which may run Alembic's `op`
        itself: a relative import, or a package the migration file lies inside
        (`neutron.db.migration` for `neutron/db/migration/alembic_migrations/…`). A library
        (`sqlalchemy_searchable`) is given no connection by a call that hands it none."""
        if origin is None:
            return False
        if origin.startswith("."):
            return True
        return origin.split(".", 1)[0] in Path(self.m.path).parts[:-1]

    def _hands_over_connection(self, node: cst.Call, frame: _Frame) -> bool:
        """Whether ``node`` calls a function imported from outside Alembic and SQLAlchemy
        (`ss.sync_trigger`, `sync_trigger`) with the migration's connection or `op`."""
        name = dotted(node.func)
        root = name.split(".", 1)[0]
        if not name or "()" in name or root not in self._foreign or \
                frame.env.lookup(root) is not None:
            return False
        op_contexts = {f"{n}.get_context()" for n in self.m.op_names}
        for arg in node.args:
            if arg.star:
                continue
            given = dotted(arg.value)
            if given in self.m.op_names or given in op_contexts or isinstance(
                    frame.env.value(arg.value), Connection):
                return True
        return False

    @property
    def _next(self) -> int:
        return len(self.out.statements)

    def _op(self, method: str, node: cst.Call, frame: _Frame, batch: Batch | None) -> None:
        span = self._span(node)
        call = Call(method, node, frame.env, span, self._next, batch, frame.dynamic,
                    self.m.lines)
        ops = translate(call)
        if batch is not None and batch.recreate == "always" and self.m.dialect == "postgres":
            # recreate="always" copies the table into a new one, even on PostgreSQL.
            ops.insert(0, o.TableRewrite(table=batch.table, reason="batch_alter_table("
                                         "recreate='always') copies the table",
                                         span=span, statement=self._next))
        if not ops:
            return
        site = self._lines(node, frame) if method in _SITED and batch is None else None
        if method not in _SEPARATE:
            self.out.statements.append(Found(self._code(node), tuple(ops), frame.autocommit,
                                             site, site=frame.site))
            return
        first = next((i for i, x in enumerate(ops) if not isinstance(x, o.TableRewrite)), 0)
        for group in (ops[:first + 1], *([x] for x in ops[first + 1:])):
            index = self._next
            self.out.statements.append(Found(self._code(node), tuple(
                replace(x, statement=index) for x in group), frame.autocommit, site,
                site=frame.site))

    def _lines(self, node: cst.Call, frame: _Frame) -> PyLines | None:
        """The call as the whole lines of its statement, when it is all the statement holds
        (no `;`, no parentheses around it) and stands directly in the function's body."""
        line = self._line
        if line is None or frame.site is not None or not frame.top or node.lpar:
            return None
        small = line.body[0]
        if not isinstance(small, cst.Expr) or small.value is not node or not isinstance(
                small.semicolon, cst.MaybeSentinel):
            return None
        at = self.m.offsets.get(node)
        if at is None:
            return None
        code = self.m.code
        start = code.rfind("\n", 0, at[0]) + 1
        end = code.find("\n", at[1])
        end = len(code) if end < 0 else end + 1
        indent, rest = code[start:at[0]], code[at[1]:end].strip()
        if indent.strip() or (rest and not rest.startswith("#")):
            return None
        return PyLines(self.m.lines.position(start)[0], code[start:end], indent,
                       self.m.indent, self.m.newline, frame.autocommit)

    def _execute(self, node: cst.Call, frame: _Frame, kind: str = "op.execute") -> None:
        """SQL sent by ``kind`` (`op.execute`, `context.execute`, `Connection.execute`): its
        statements, or one RawSQL of that kind saying why they cannot be read."""
        arg = _statement_arg(node)
        span = self._span(node)
        value = frame.env.value(arg)
        if isinstance(value, Text):
            self._sql(value, span, frame, kind)
            return
        if isinstance(value, Query):
            self._emit(self._code(node), [_query_op(value, frame.env, span, self._next)], frame)
            return
        ddl = _sequence_ddl(arg, frame.env, span, self._next) if arg is not None else None
        if ddl is not None:
            self._emit(self._code(node), [ddl], frame)
            return
        reason = frame.dynamic or "SQL built at run time"
        if arg is not None and not isinstance(frame.env.resolve_node(arg), (
                cst.FormattedString, cst.BinaryOperation, cst.Name, cst.SimpleString)):
            reason = frame.dynamic or "a statement the tool cannot read statically"
        self._emit(self._code(node), [o.RawSQL(
            statement_kind=kind, sql=self._code(node), reason=reason, span=span,
            statement=self._next)], frame)

    def _session_work(self, node: cst.Call, method: str, session: Session,
                      frame: _Frame) -> bool:
        """ORM work through ``session``: the first call becomes the session's one statement,
        later ones add nothing to it. False for SQL the tool can read (`execute(sa.text(
        "…"))`), read as a connection's, and for methods that touch no row (`close()`)."""
        if method not in _SESSION_WORK or (method == "execute" and self._readable(node, frame)):
            return False
        if session not in self._sessions:
            self._sessions.add(session)
            self._emit(self._code(node), [o.RawSQL(
                statement_kind=o.ORM_SESSION, sql=self._code(node), reason=_SESSION_REASON,
                span=self._span(node), statement=self._next)], frame)
        return True

    def _readable(self, node: cst.Call, frame: _Frame) -> bool:
        """Whether the statement an `execute(...)` call is given can be read."""
        arg = _statement_arg(node)
        if arg is None:
            return False
        value = frame.env.value(arg)
        return isinstance(value, Text | Query) or _sequence_ddl(
            arg, frame.env, self._span(node), self._next) is not None

    def _entity(self, method: str, node: cst.Call, frame: _Frame) -> bool:
        """alembic_utils' entity operations, as the SQL they send; False when unreadable."""
        sql = entities.entity_sql(method, node, frame.env)
        if sql is None:
            return False
        self._sql(Text(sql), self._span(node), frame)
        return True

    def _sql(self, text: Text, span: Span, frame: _Frame, kind: str = "op.execute") -> None:
        result = parse_sql(text, span, self.m.lines, self._next, self.m.dialect)
        self.out.suppressions.extend(result.suppressions)
        first = next((op.span for st in result.statements for op in st.ops), None)
        if first is not None:
            self.out.sql_calls.append((span.line, span.end_line, first))
        for st in result.statements:
            self.out.statements.append(Found(st.sql, st.ops, frame.autocommit,
                                             long_identifiers=st.long_identifiers,
                                             long_identifier_spans=st.long_identifier_spans,
                                             site=frame.site))
        if not frame.uncertain:
            self.out.errors.extend(result.errors)
            return
        for error in result.errors:  # SQL for another database, in a branch for it
            line, column = error.line or span.line, error.column or span.column
            self._emit(text.value.strip(), [o.RawSQL(
                statement_kind=kind, sql=text.value.strip(),
                reason=f"does not parse as {_DIALECT_NAMES.get(self.m.dialect, 'SQL')} "
                       f"({error.message}); it may be meant for another database",
                span=Span(span.path, line, column, line, column), statement=self._next)],
                frame)

    def _emit(self, sql: str, ops: Sequence[o.Operation], frame: _Frame) -> None:
        self.out.statements.append(Found(sql, tuple(ops), frame.autocommit, site=frame.site))

    def _helper(self, name: str, frame: _Frame) -> cst.FunctionDef | None:
        if name in frame.stack or len(frame.stack) >= _MAX_INLINE_DEPTH:
            return None
        local = frame.env.lookup(name)
        if local is not None:
            return local.value if isinstance(local.value, cst.FunctionDef) else None
        if name in ("upgrade", "downgrade"):
            return None
        return self.m.functions.get(name)

    def _inline(self, fn: cst.FunctionDef, node: cst.Call, frame: _Frame) -> None:
        env = self.m.env.child()
        _bind_params(fn, node, frame.env, self.m.env, env)
        inner = _Frame(env, None, frame.autocommit, frame.dynamic,
                       frame.site or self._span(node), (*frame.stack, fn.name.value),
                       frame.uncertain, top=False)
        start, end = self.m.offsets.get(fn, (0, 0))
        lines = (self.m.lines.position(start)[0], self.m.lines.position(max(end - 1, 0))[0])
        if end > start and lines not in self.out.helpers:
            self.out.helpers.append(lines)
        self._block(body_of(fn.body), inner)

    # -- positions ---------------------------------------------------------------------

    def _span(self, node: cst.CSTNode) -> Span:
        start, end = self.m.offsets.get(node, (0, 0))
        return self.m.lines.span(self.m.path, start, end)

    def _code(self, node: cst.CSTNode) -> str:
        start, end = self.m.offsets.get(node, (0, 0))
        return self.m.code[start:end] if end > start else cst.Module(body=[]).code_for_node(
            node)


def body_of(block: cst.BaseSuite) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    """The statements of an indented block, or the small statements of a one-line suite."""
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return block.body
    return ()


def foreign_imports(node: cst.Import | cst.ImportFrom) -> set[str]:
    """The names an import binds from outside Alembic and SQLAlchemy (`import x.y` binds
    `x`; `from . import h` binds `h`): those `origins_of` traces to another package."""
    return {name for name, path in origins_of(node).items()
            if path.split(".", 1)[0] not in _KNOWN_PACKAGES
            and path.split(".", 1)[0] not in sys.stdlib_module_names}


def _bind_target(env: Env, target: cst.BaseExpression, node: cst.BaseExpression | None,
                 value: object) -> None:
    if isinstance(target, cst.Name):
        env.bind(target.value, node, value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        names = [e.value for e in target.elements]
        values = value if isinstance(value, tuple) and len(value) == len(names) else None
        for i, element in enumerate(names):
            _bind_target(env, element, None, values[i] if values is not None else UNKNOWN)


def _bind_params(fn: cst.FunctionDef, call: cst.Call, caller: Env, module: Env,
                 env: Env) -> None:
    """Bind a helper's parameters to the call's arguments (their values and expressions)."""
    params = fn.params
    ordered = [*params.posonly_params, *params.params]
    positional = [a.value for a in call.args if a.keyword is None and a.star == ""]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    starred = any(a.star for a in call.args)
    for i, param in enumerate([*ordered, *params.kwonly_params]):
        name = param.name.value
        node: cst.BaseExpression | None = None
        if i < len(ordered) and i < len(positional):
            node = positional[i]
        elif name in keywords:
            node = keywords[name]
        if node is not None:
            env.bind(name, node, caller.value(node))
        elif param.default is not None and not starred:
            env.bind(name, param.default, module.value(param.default))
        else:
            env.bind(name, None, UNKNOWN)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            env.bind(star.name.value, None, UNKNOWN)


def _statement_arg(node: cst.Call) -> cst.BaseExpression | None:
    """The statement an `execute(...)` call is given."""
    positional, keywords = args_of(node)
    return keywords.get("sqltext", keywords.get("statement",
                                                positional[0] if positional else None))


def _query_op(query: Query, env: Env, span: Span, index: int) -> o.Operation:
    table = env.qname(query.table.name, query.table.schema)
    if query.kind == "update":
        return o.UpdateRows(table=table, has_where=query.has_where,
                            columns=query.columns or (), copies=query.copies, span=span,
                            statement=index)
    if query.kind == "delete":
        return o.DeleteRows(table=table, has_where=query.has_where, span=span, statement=index)
    if query.kind == "insert":
        return o.InsertRows(table=table, span=span, statement=index)
    return o.RawSQL(statement_kind="SelectStmt", span=span, statement=index)


def _sequence_ddl(node: cst.BaseExpression, env: Env, span: Span, index: int
                  ) -> o.Operation | None:
    """`op.execute(sa.schema.CreateSequence(sa.Sequence("s")))` and its DropSequence."""
    node = env.resolve_node(node)
    if not isinstance(node, cst.Call) or last_name(node) not in ("CreateSequence",
                                                                  "DropSequence"):
        return None
    positional, _ = args_of(node)
    inner = env.resolve_node(positional[0]) if positional else None
    if not isinstance(inner, cst.Call) or last_name(inner) != "Sequence":
        return None
    seq_args, seq_keywords = args_of(inner)
    name = env.string(seq_args[0]) if seq_args else None
    if name is None:
        return None
    qname = env.qname(name, env.string(seq_keywords.get("schema")))
    if last_name(node) == "CreateSequence":
        return o.CreateSequence(name=qname, span=span, statement=index)
    return o.DropSequence(names=(qname,), span=span, statement=index)
