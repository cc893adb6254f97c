"""What a Python expression in a migration is known to be, without running it.

The Alembic frontend never imports or executes a migration. It knows the value of literals,
of names bound to them (module constants, local assignments, loop variables over literal
lists), of `+`, `%`, `.format()` and `.join()` over known strings, and of the SQLAlchemy
dialect a test compares with. Anything else is `UNKNOWN`, and the operations that depend on
it say so instead of guessing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from schemagate.model.names import DEFAULT_SCHEMA, NO_SCHEMA, QName
from schemagate.parse.alembic.source import Offsets, Text, decode_fstring_text, decode_literal


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table object: `sa.table("t", ...)`, `sa.Table("t", meta, ...)`, `op.create_table`."""

    name: str
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """`op.get_bind()` and friends: its `execute()` runs SQL like `op.execute()`."""


@dataclass(frozen=True, slots=True)
class Session(Connection):
    """An ORM Session bound to the migration's connection (`orm.Session(bind=conn)`,
    `sessionmaker(bind=conn)()`), told apart by where it is made."""

    at: int = -1


@dataclass(frozen=True, slots=True)
class SessionMaker:
    """`sessionmaker(bind=conn)`: calling it makes a `Session` on the connection."""

    at: int = -1


@dataclass(frozen=True, slots=True)
class Query:
    """A SQLAlchemy Core statement built on a table: `t.update().where(...)`, `sa.delete(t)`."""

    kind: str  # "update", "delete", "insert", "select"
    table: TableRef
    has_where: bool = False
    # The columns its `.values(...)` set; None when one of them is not known statically.
    columns: tuple[str, ...] | None = ()
    # Each column set with the columns of the table its value reads, where that is known
    # (`{"b": t.c.a}`: ("b", ("a",)); a literal reads none), as `UpdateRows.copies`.
    copies: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class Binding:
    node: cst.BaseExpression | None
    value: Any


@dataclass
class Env:
    """Names and what they are bound to, for one walk of a function body."""

    code: str
    offsets: Offsets
    dialect: str  # SQLAlchemy's name: "postgresql", "mysql", "sqlite"
    names: dict[str, Binding] = field(default_factory=dict)
    parent: Env | None = None
    # A constraint left unnamed may be named at run time (a naming convention on env.py's
    # target_metadata): see `MigrationSource.run_time_names`.
    run_time_names: bool = False
    # The module's functions that return one expression and take no argument (`def
    # is_postgres(): return op.get_context().dialect.name == "postgresql"`): a call to one
    # is worth that expression, read in the module's names.
    returns: dict[str, cst.BaseExpression] = field(default_factory=dict)
    # What each name bound by an import or a class definition stands for, as a dotted
    # path (`sa`: `sqlalchemy`, `JSON`: `prefect.server.utilities.database.JSON`); a
    # relative import's and the migration's own class's start with `.`.
    origins: dict[str, str] = field(default_factory=dict)

    def child(self) -> Env:
        return Env(self.code, self.offsets, self.dialect, {}, self, self.run_time_names,
                   self.returns)

    def qname(self, name: str, schema: str | None = None) -> QName:
        """An object's name as the dialect's SQL frontend names it: a name given no schema
        is in `public` on PostgreSQL, and in the current database (`NO_SCHEMA`) on MySQL and
        SQLite, so that `op.create_index("ix", …)` and `op.execute("DROP INDEX ix")` name
        one index."""
        return QName(schema or (DEFAULT_SCHEMA if self.dialect == "postgresql" else NO_SCHEMA),
                     name)

    @property
    def indexes_per_table(self) -> bool:
        """Whether an index's name is its table's own (MySQL's), as the SQL frontend says."""
        return self.dialect == "mysql"

    def bind_origins(self, node: cst.Import | cst.ImportFrom | cst.ClassDef) -> None:
        """Record what the names an import or a class definition binds stand for."""
        self.origins.update(origins_of(node))

    def origin(self, name: str) -> str | None:
        """What a dotted name stands for, through the import or class that binds its first
        part (`sa.types.JSON`: `sqlalchemy.types.JSON`), or None when none binds it (a
        star import, or a name the module never binds) or a value is assigned to it."""
        root, _, rest = name.partition(".")
        env: Env | None = self
        while env is not None:
            if root in env.names:
                return None
            if root in env.origins:
                return env.origins[root] + ("." + rest if rest else "")
            env = env.parent
        return None

    def module(self) -> Env:
        """The outermost scope: the module's own names."""
        env = self
        while env.parent is not None:
            env = env.parent
        return env

    def name_at_run_time(self, node: cst.BaseExpression | None) -> bool:
        """Whether a constraint named by ``node`` (None: not given) gets a name that only
        run time knows: an expression the tool cannot evaluate, or no name (None) where a
        naming convention may give one."""
        if node is None or self.value(node) is None:
            return self.run_time_names
        return self.string(node) is None

    def bind(self, name: str, node: cst.BaseExpression | None, value: Any) -> None:
        self.names[name] = Binding(node, value)

    def lookup(self, name: str) -> Binding | None:
        env: Env | None = self
        while env is not None:
            if name in env.names:
                return env.names[name]
            env = env.parent
        return None

    def resolve_node(self, node: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression:
        """Follow a name to the expression it was assigned (to read a type or a Column)."""
        while isinstance(node, cst.Name) and depth < 8:
            found = self.lookup(node.value)
            if found is None or found.node is None:
                return node
            node, depth = found.node, depth + 1
        return node

    # -- values ------------------------------------------------------------------------

    def value(self, node: cst.BaseExpression | None) -> Any:
        if node is None:
            return UNKNOWN
        try:
            return self._value(node)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                OverflowError, RecursionError):
            return UNKNOWN

    def text(self, node: cst.BaseExpression | None) -> Text | None:
        """A string value (unwrapping `sa.text()`), or None when it is not known."""
        value = self.value(node)
        return value if isinstance(value, Text) else None

    def string(self, node: cst.BaseExpression | None) -> str | None:
        value = self.value(node)
        return value.value if isinstance(value, Text) else None

    def object_name(self, node: cst.BaseExpression | None) -> str | None:
        """An index or constraint name as SQLAlchemy renders it: a name marked as its own,
        `op.f("…")` or `conv("…")`, shortened as `sqlalchemy_name` says; a plain string as
        it is (SQLAlchemy refuses one that is too long)."""
        name = self.string(node)
        if name is None or node is None:
            return name
        made = self.resolve_node(node)
        if isinstance(made, cst.Call) and dotted(made.func).rsplit(".", 1)[-1] in ("f", "conv"):
            return sqlalchemy_name(name, self.dialect)
        return name

    def _value(self, node: cst.BaseExpression) -> Any:
        handler = _HANDLERS.get(type(node))
        return UNKNOWN if handler is None else handler(self, node)

    def literal(self, node: cst.SimpleString) -> Text | None:
        start, end = self.offsets.get(node, (-1, -1))
        if start < 0:
            return Text(node.evaluated_value) if isinstance(node.evaluated_value, str) else None
        start += self.code.find(node.value, start, end) - start
        return decode_literal(node.value, start)


# -- handlers, one per node kind -------------------------------------------------------------

def _simple_string(env: Env, node: cst.SimpleString) -> Any:
    text = env.literal(node)
    return UNKNOWN if text is None else text


def _concatenated(env: Env, node: cst.ConcatenatedString) -> Any:
    left, right = env.value(node.left), env.value(node.right)
    if isinstance(left, Text) and isinstance(right, Text):
        return left + right
    return UNKNOWN


def _formatted(env: Env, node: cst.FormattedString) -> Any:
    """An f-string whose every placeholder is known; a placeholder's text maps to its `{`."""
    start, _ = env.offsets.get(node, (-1, -1))
    at = env.code.find(node.start, start) + len(node.start) if start >= 0 else -1
    raw = "r" in node.prefix.lower()
    out = Text("", () if at >= 0 else None)
    for part in node.parts:
        width = len(_CODEGEN.code_for_node(part))
        if isinstance(part, cst.FormattedStringText):
            out = out + decode_fstring_text(part.value, at, raw)
        elif isinstance(part, cst.FormattedStringExpression):
            if part.format_spec or part.conversion:
                return UNKNOWN
            value = env.value(part.expression)
            if isinstance(value, Text):
                piece = value.value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                piece = str(value)
            else:
                return UNKNOWN
            out = out + Text(piece, (at,) * len(piece) if at >= 0 else None)
        else:
            return UNKNOWN
        if at >= 0:
            at += width
    return out


_CODEGEN = cst.Module(body=[])


def _integer(env: Env, node: cst.Integer) -> Any:
    return node.evaluated_value


def _float(env: Env, node: cst.Float) -> Any:
    return node.evaluated_value


def _name(env: Env, node: cst.Name) -> Any:
    constants = {"True": True, "False": False, "None": None}
    if node.value in constants:
        return constants[node.value]
    found = env.lookup(node.value)
    if found is None:
        return UNKNOWN
    value = found.value
    return value.moved() if isinstance(value, Text) else value


def _sequence(env: Env, node: cst.Tuple | cst.List | cst.Set) -> Any:
    items: list[Any] = []
    for element in node.elements:
        if isinstance(element, cst.StarredElement):
            inner = env.value(element.value)
            if not isinstance(inner, tuple):
                return UNKNOWN
            items.extend(inner)
        else:
            items.append(env.value(element.value))
    return tuple(items)


def _dict(env: Env, node: cst.Dict) -> Any:
    out: dict[Any, Any] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return UNKNOWN
        key = env.value(element.key)
        if key is UNKNOWN:
            return UNKNOWN
        out[key.value if isinstance(key, Text) else key] = env.value(element.value)
    return out


def _plain(value: Any) -> Any:
    """Python data for Python operators: Text to str, recursively."""
    if isinstance(value, Text):
        return value.value
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _binary(env: Env, node: cst.BinaryOperation) -> Any:
    left, right = env.value(node.left), env.value(node.right)
    if left is UNKNOWN or right is UNKNOWN or _has_unknown(right):
        return UNKNOWN
    if isinstance(node.operator, cst.Add):
        if isinstance(left, Text) and isinstance(right, Text):
            return left + right
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return left + right
        return UNKNOWN
    if isinstance(node.operator, cst.Modulo) and isinstance(left, Text):
        return Text(left.value % _plain(right))
    return UNKNOWN


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, tuple):
        return any(_has_unknown(v) for v in value)
    return False


def _comparison(env: Env, node: cst.Comparison) -> Any:
    left = _plain(env.value(node.left))
    if _has_unknown(left):
        return UNKNOWN
    for target in node.comparisons:
        right = _plain(env.value(target.comparator))
        if _has_unknown(right):
            return UNKNOWN
        operator = target.operator
        if isinstance(operator, cst.Equal):
            ok = left == right
        elif isinstance(operator, cst.NotEqual):
            ok = left != right
        elif isinstance(operator, cst.In):
            ok = left in right
        elif isinstance(operator, cst.NotIn):
            ok = left not in right
        elif isinstance(operator, cst.Is):
            ok = left is right
        elif isinstance(operator, cst.IsNot):
            ok = left is not right
        else:
            return UNKNOWN
        if not ok:
            return False
        left = right
    return True


def _boolean(env: Env, node: cst.BooleanOperation) -> Any:
    left = env.value(node.left)
    if isinstance(node.operator, cst.And):
        if left is not UNKNOWN and not left:
            return left
        right = env.value(node.right)
        if left is UNKNOWN:
            return right if right is not UNKNOWN and not right else UNKNOWN
        return right
    if left is not UNKNOWN and left:
        return left
    right = env.value(node.right)
    if left is UNKNOWN:
        return right if right is not UNKNOWN and right else UNKNOWN
    return right


def _unary(env: Env, node: cst.UnaryOperation) -> Any:
    value = env.value(node.expression)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(node.operator, cst.Not):
        return not value
    if isinstance(node.operator, cst.Minus) and isinstance(value, (int, float)):
        return -value
    return UNKNOWN


def _attribute(env: Env, node: cst.Attribute) -> Any:
    # `<anything>.dialect.name`, `bind.engine.name`: the dialect the migration runs on.
    if node.attr.value == "name" and isinstance(node.value, cst.Attribute) and \
            node.value.attr.value in ("dialect", "engine"):
        return Text(env.dialect)
    # `engine = bind.engine` then `engine.name` (Neutron's ocata a9c43481023c): the
    # connection's engine, named for the dialect as the connection's dialect is.
    if node.attr.value in ("engine", "dialect") and isinstance(env.value(node.value),
                                                                Connection):
        return Connection()
    if node.attr.value == "name" and isinstance(node.value, cst.Name) and \
            type(env.value(node.value)) is Connection:  # a Session has no name
        return Text(env.dialect)
    # `bind.engine.url`, `bind.url`: only its scheme is known, which is all tests look at.
    if node.attr.value == "url" and (dotted(node.value).endswith("engine") or isinstance(
            env.value(node.value), Connection)):
        return Text(f"{env.dialect}://")
    if node.attr.value in ("bind", "connection") and dotted(node.value).endswith(
            "get_context()"):
        return Connection()
    return UNKNOWN


def _call(env: Env, node: cst.Call) -> Any:
    name = dotted(node.func)
    last = name.rsplit(".", 1)[-1] if name else ""
    # A method of a value that is no name (`"…{t}…".format(t=…)`, `", ".join(…)`):
    # `dotted` has no name for it, the methods on values below need only the method's.
    method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
    args = [a for a in node.args if a.keyword is None and a.star == ""]
    if (isinstance(node.func, cst.Name) and not node.args and name in env.returns
            and env.lookup(name) is None):
        return env.module().value(env.returns[name])
    string_method = _string_method(env, node, args)
    if string_method is not UNKNOWN:
        return string_method
    if len(args) == 1 and env.origin(name) == "textwrap.dedent":
        inner = env.value(args[0].value)
        return inner.dedented() if isinstance(inner, Text) else UNKNOWN
    if name == "str" and len(args) == 1:
        inner = env.value(args[0].value)
        return inner if isinstance(inner, Text) else UNKNOWN
    if last in ("text", "f", "conv", "literal_column", "DDL", "TextClause") and len(args) >= 1:
        # sa.text("…"), op.f("name"), conv("name"), sa.literal_column("…"), sa.DDL("…"): the
        # text itself.
        return env.value(args[0].value)
    if last in ("Session", "sessionmaker"):
        return _session(env, node, last, args)
    if not isinstance(node.func, cst.Attribute):  # `maker()`, `sessionmaker(bind=c)()`
        maker = env.value(node.func)
        if isinstance(maker, SessionMaker):
            return Session(maker.at)
    if last in ("get_bind", "connect", "bind"):
        return Connection()
    if last in ("table", "Table", "create_table") and args:
        table = env.string(args[0].value)
        schema = _keyword(env, node, "schema")
        if table is not None:
            return TableRef(table, schema if isinstance(schema, str) else None)
    if last in ("update", "delete", "insert", "select"):
        return _query(env, node, last)
    if last in _TEXT_METHODS and isinstance(node.func, cst.Attribute):
        base = env.value(node.func.value)  # sa.text("…").bindparams(...): still the text
        if isinstance(base, Text):
            return base
    if last in _QUERY_METHODS:
        base = env.value(node.func.value) if isinstance(node.func, cst.Attribute) else UNKNOWN
        if isinstance(base, Query):
            if last in ("where", "filter", "filter_by"):
                return replace(base, has_where=True)
            if last in ("values", "ordered_values"):
                return _values_set(env, base, node, ordered=last == "ordered_values")
            return base
        return UNKNOWN
    if method == "format" and isinstance(node.func, cst.Attribute):
        template = env.value(node.func.value)
        if isinstance(template, Text):
            positional = [_plain(env.value(a.value)) for a in args]
            named = {a.keyword.value: _plain(env.value(a.value)) for a in node.args
                     if a.keyword is not None}
            if _has_unknown(tuple(positional)) or _has_unknown(tuple(named.values())):
                return UNKNOWN
            return Text(template.value.format(*positional, **named))
    if method == "join" and isinstance(node.func, cst.Attribute) and len(args) == 1:
        sep, items = env.value(node.func.value), env.value(args[0].value)
        if isinstance(sep, Text) and isinstance(items, tuple) and \
                all(isinstance(i, Text) for i in items):
            return Text(sep.value.join(i.value for i in items))
    if method == "items" and isinstance(node.func, cst.Attribute):
        mapping = env.value(node.func.value)
        if isinstance(mapping, dict):
            return tuple((_as_value(k), v) for k, v in mapping.items())
    if method == "keys" and isinstance(node.func, cst.Attribute):
        mapping = env.value(node.func.value)
        if isinstance(mapping, dict):
            return tuple(_as_value(k) for k in mapping)
    if method == "values" and isinstance(node.func, cst.Attribute):
        mapping = env.value(node.func.value)
        if isinstance(mapping, dict):
            return tuple(mapping.values())
    return UNKNOWN


def _session(env: Env, node: cst.Call, kind: str, args: list[cst.Arg]) -> Any:
    """`Session(bind=conn)` or `sessionmaker(bind=conn)` on the migration's connection; any
    other Session runs SQL like a connection, as far as the tool can tell."""
    bind = next((a.value for a in node.args if a.keyword is not None
                 and a.keyword.value == "bind"), args[0].value if args else None)
    at = env.offsets.get(node, (-1, -1))[0]
    if isinstance(env.value(bind), Connection):
        return Session(at) if kind == "Session" else SessionMaker(at)
    return Connection() if kind == "Session" else UNKNOWN


def _string_method(env: Env, node: cst.Call, args: list[cst.Arg]) -> Any:
    """`url.startswith("mysql")`, `name.lower()` on a known string."""
    if not isinstance(node.func, cst.Attribute):
        return UNKNOWN
    method = node.func.attr.value
    if method not in ("startswith", "endswith", "lower", "upper", "strip"):
        return UNKNOWN
    base = env.value(node.func.value)
    if not isinstance(base, Text):
        return UNKNOWN
    if method in ("lower", "upper", "strip"):
        return Text(getattr(base.value, method)())
    if len(args) != 1:
        return UNKNOWN
    probe = _plain(env.value(args[0].value))
    if isinstance(probe, str) or (isinstance(probe, tuple) and all(
            isinstance(p, str) for p in probe)):
        return bool(getattr(base.value, method)(probe))
    return UNKNOWN


_TEXT_METHODS = frozenset({"params", "bindparams", "columns", "execution_options"})
# Methods of a SQLAlchemy Core statement that keep what it is (an UPDATE stays an UPDATE).
_QUERY_METHODS = frozenset({
    "where", "filter", "filter_by", "values", "returning", "execution_options", "limit",
    "offset", "order_by", "group_by", "having", "distinct", "join", "outerjoin",
    "select_from", "with_only_columns", "scalar_subquery", "subquery", "params",
    "inline", "ordered_values", "correlate",
})


def _as_value(key: Any) -> Any:
    return Text(key) if isinstance(key, str) else key


def _query(env: Env, node: cst.Call, kind: str) -> Any:
    """`t.update()`, `sa.update(t)`, `sa.delete(t)`, `t.insert()`; any `select(...)`."""
    table: Any = UNKNOWN
    if isinstance(node.func, cst.Attribute):
        table = env.value(node.func.value)
    if not isinstance(table, TableRef):
        args = [a for a in node.args if a.keyword is None]
        table = env.value(args[0].value) if args else UNKNOWN
    if isinstance(table, TableRef):
        query = Query(kind, table)
        values = next((a.value for a in node.args if a.keyword is not None
                       and a.keyword.value == "values"), None)
        # SQLAlchemy 1.x's `t.update(values={...})`, `sa.update(t, values={...})`.
        return query if values is None else _values_set(env, query, values=values)
    if kind == "select":  # reads only: which table does not matter
        return Query(kind, TableRef(""))
    return UNKNOWN


def _values_set(env: Env, query: Query, call: cst.Call | None = None, *,
                values: cst.BaseExpression | None = None, ordered: bool = False) -> Query:
    """The query with the columns one `.values(...)` sets (a mapping, keywords, or
    `ordered_values` pairs): keys written as names (`"b"`, `b=`), as the table's columns
    (`t.c.b`, `t.c["b"]`) or as `sa.column("b")`. A key or a spread (`**kw`) the tool
    cannot read makes the columns unknown (None): a guess would hide an overwrite."""
    pairs = _value_pairs(env, call, values, ordered)
    if pairs is None or query.columns is None:
        return replace(query, columns=None, copies=())
    columns = list(query.columns)
    copies = list(query.copies)
    for key, value in pairs:
        column = key if isinstance(key, str) else _column_key(env, key, query.table)
        if column is None:
            return replace(query, columns=None, copies=())
        columns.append(column)
        reads = _value_reads(env, value, query.table)
        if reads is not None:
            copies.append((column, reads))
    return replace(query, columns=tuple(columns), copies=tuple(copies))


_Pair = tuple[cst.BaseExpression | str, cst.BaseExpression]


def _value_pairs(env: Env, call: cst.Call | None, values: cst.BaseExpression | None,
                 ordered: bool) -> list[_Pair] | None:
    """(key, value) of each column `.values(...)` sets, or None when they cannot be read."""
    pairs: list[_Pair] = []
    for arg in call.args if call is not None else ():
        if arg.star:
            return None
        if arg.keyword is not None:
            pairs.append((arg.keyword.value, arg.value))
        elif ordered:
            pair = env.resolve_node(arg.value)
            if not isinstance(pair, cst.Tuple | cst.List) or len(pair.elements) != 2:
                return None
            pairs.append((pair.elements[0].value, pair.elements[1].value))
        elif values is None:
            values = arg.value
        else:
            return None  # several positional mappings: an INSERT's rows, not a SET
    if values is None:
        return pairs
    mapping = env.resolve_node(values)
    if not isinstance(mapping, cst.Dict):
        return None
    for element in mapping.elements:
        if not isinstance(element, cst.DictElement):
            return None
        pairs.append((element.key, element.value))
    return pairs


def _column_key(env: Env, node: cst.BaseExpression, table: TableRef) -> str | None:
    """The column a `.values()` key names: a string, `sa.column("b")`, or a column of the
    query's own table (`t.c.b`, `t.c["b"]`, `t.columns.b`)."""
    name = env.string(node)
    if name is not None:
        return name
    node = env.resolve_node(node)
    if isinstance(node, cst.Call) and dotted(node.func).rsplit(".", 1)[-1] == "column":
        args = [a for a in node.args if a.keyword is None and a.star == ""]
        return env.string(args[0].value) if args else None
    return _table_column(env, node, table)


def _table_column(env: Env, node: cst.BaseExpression, table: TableRef) -> str | None:
    """`t.c.b`, `t.c["b"]` or `t.columns.b` of the table ``table``: the column's name."""
    owner: cst.BaseExpression | None = None
    name: str | None = None
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Attribute):
        owner, name = node.value, node.attr.value
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(
            node.slice[0].slice, cst.Index) and isinstance(node.value, cst.Attribute):
        owner, name = node.value, env.string(node.slice[0].slice.value)
    if not isinstance(owner, cst.Attribute) or owner.attr.value not in ("c", "columns"):
        return None
    return name if env.value(owner.value) == table else None


def _value_reads(env: Env, node: cst.BaseExpression, table: TableRef
                 ) -> tuple[str, ...] | None:
    """The columns of ``table`` a value set by `.values()` reads: none for a literal, one
    for a column of the table; None when the tool cannot tell."""
    column = _table_column(env, env.resolve_node(node), table)
    if column is not None:
        return (column,)
    value = env.value(node)
    if value is None or isinstance(value, Text | int | float | bool):
        return ()
    return None


def _keyword(env: Env, node: cst.Call, name: str) -> Any:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == name:
            value = env.value(arg.value)
            return value.value if isinstance(value, Text) else value
    return None


def _subscript(env: Env, node: cst.Subscript) -> Any:
    base = env.value(node.value)
    if len(node.slice) != 1:
        return UNKNOWN
    part = node.slice[0].slice
    if isinstance(part, cst.Slice) and isinstance(base, tuple):
        bounds = [None if p is None else _plain(env.value(p))
                  for p in (part.lower, part.upper, part.step)]
        if all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds):
            return base[slice(*bounds)]
        return UNKNOWN
    if not isinstance(part, cst.Index):
        return UNKNOWN
    key = _plain(env.value(part.value))
    if isinstance(base, tuple) and isinstance(key, int):
        return base[key]
    if isinstance(base, dict):
        return base[key]
    return UNKNOWN


_HANDLERS: dict[type, Callable[[Env, Any], Any]] = {
    cst.SimpleString: _simple_string, cst.ConcatenatedString: _concatenated,
    cst.FormattedString: _formatted, cst.Integer: _integer, cst.Float: _float,
    cst.Name: _name, cst.Tuple: _sequence, cst.List: _sequence, cst.Set: _sequence,
    cst.Dict: _dict, cst.BinaryOperation: _binary, cst.Comparison: _comparison,
    cst.BooleanOperation: _boolean, cst.UnaryOperation: _unary, cst.Attribute: _attribute,
    cst.Call: _call, cst.Subscript: _subscript,
}


# The longest index or constraint name SQLAlchemy 2.1 renders as it is, by dialect: the
# dialect's `max_identifier_length` (PostgreSQL's NAMEDATALEN - 1, MySQL's 64), counted in
# characters.
_MAX_NAME = {"postgresql": 63, "mysql": 64}


def sqlalchemy_name(name: str, dialect: str) -> str:
    """An index or constraint name that SQLAlchemy built (`op.f("…")`, a naming convention's,
    `index=True`'s `ix_<table>_<column>`), as it renders it on ``dialect``: one longer than
    the dialect allows becomes its first (limit - 8) characters, `_`, and the last four hex
    digits of the MD5 of the whole name (`_truncate_and_render_maxlen_name`), so that the
    database never cuts it. A plain string that long SQLAlchemy refuses instead."""
    limit = _MAX_NAME.get(dialect)
    if limit is None or len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{name[:limit - 8]}_{digest[-4:]}"


def origins_of(node: cst.Import | cst.ImportFrom | cst.ClassDef) -> dict[str, str]:
    """The names an import or a class definition binds, each with the dotted path of what
    it stands for: `import a.b` binds `a` to `a`; `import a.b as c`, `c` to `a.b`; `from
    a import b`, `b` to `a.b`; `from .m import b`, `b` to `.m.b`; `class B`, `B` to `.B`.
    A star import binds names no one can list: none."""
    if isinstance(node, cst.ClassDef):
        return {node.name.value: "." + node.name.value}
    if isinstance(node.names, cst.ImportStar):
        return {}
    out: dict[str, str] = {}
    if isinstance(node, cst.ImportFrom):
        module = _CODEGEN.code_for_node(node.module) if node.module is not None else ""
        base = "." * len(node.relative) + module
        for alias in node.names:
            name = _CODEGEN.code_for_node(alias.name)
            path = f"{base}.{name}" if module else base + name
            out[_bound(alias) or name] = path
        return out
    for alias in node.names:
        full = _CODEGEN.code_for_node(alias.name)
        bound = _bound(alias)
        if bound is not None:
            out[bound] = full
        else:
            root = full.split(".", 1)[0]
            out[root] = root
    return out


def _bound(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def dotted(node: cst.BaseExpression) -> str:
    """`sa.types.Integer` for an attribute chain of names; `` for anything else.

    A call in the chain is written `()`: `op.get_context().autocommit_block`.
    """
    parts: list[str] = []
    while True:
        if isinstance(node, cst.Name):
            parts.append(node.value)
            return ".".join(reversed(parts))
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, (cst.Name, cst.Attribute)):
            parts.append(dotted(node.func) + "()")
            return ".".join(reversed(parts))
        else:
            return ""
