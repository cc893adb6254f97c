"""SQLAlchemy in a migration, read statically: types, `sa.Column`, constraints and defaults.

Each SQLAlchemy type is mapped to the PostgreSQL type it renders as on PostgreSQL (through
`schemagate.model.types.canonical`), so that rules compare `sa.String(50)` and `varchar(50)`
alike. A type is read by its class name only when the name resolves to SQLAlchemy (or a
package that re-exports its types or whose types are named below): `sa.JSON`, `from
sqlalchemy import JSON`, `postgresql.JSONB` after `from sqlalchemy.dialects import
postgresql`. A type the tool cannot know (a project's own TypeDecorator, imported from any
other module or defined in the migration, whatever its class is called) is `unknown`: rules
treat an unknown type as telling them nothing, never as a change. A name no import binds (a
star import's) is taken at its word.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import libcst as cst

from schemagate.model.names import QName
from schemagate.model.ops import ColumnDef, ConstraintDef, Expr, fk_action
from schemagate.model.types import TypeRef, canonical
from schemagate.parse.alembic.eval import UNKNOWN, Env, dotted
from schemagate.parse.alembic.source import Text

UNKNOWN_TYPE = TypeRef("unknown")

# SQLAlchemy type class names (generic and dialect-specific) to PostgreSQL type names.
_FIXED = {
    "Integer": "int4", "INTEGER": "int4", "INT": "int4", "MEDIUMINT": "int4",
    "BigInteger": "int8", "BIGINT": "int8",
    "SmallInteger": "int2", "SMALLINT": "int2", "TINYINT": "int2",
    "Boolean": "bool", "BOOLEAN": "bool",
    "Text": "text", "TEXT": "text", "UnicodeText": "text", "CLOB": "text",
    "MEDIUMTEXT": "text", "LONGTEXT": "text", "TINYTEXT": "text",
    "REAL": "float4", "DOUBLE": "float8", "DOUBLE_PRECISION": "float8", "Double": "float8",
    "Date": "date", "DATE": "date", "Interval": "interval", "INTERVAL": "interval",
    "LargeBinary": "bytea", "BINARY": "bytea", "VARBINARY": "bytea", "BLOB": "bytea",
    "BYTEA": "bytea", "LONGBLOB": "bytea", "MEDIUMBLOB": "bytea", "TINYBLOB": "bytea",
    "PickleType": "bytea",
    "JSON": "json", "JSONType": "json", "JSONB": "jsonb",
    "UUID": "uuid", "Uuid": "uuid", "UUIDType": "uuid",
    "INET": "inet", "CIDR": "cidr", "MACADDR": "macaddr", "MONEY": "money",
    "TSVECTOR": "tsvector", "OID": "oid", "CITEXT": "citext", "BIT": "bit",
}
_LENGTH = {"String": "varchar", "VARCHAR": "varchar", "Unicode": "varchar",
           "NVARCHAR": "varchar", "CHAR": "bpchar", "NCHAR": "bpchar"}
_NUMERIC = ("Numeric", "NUMERIC", "DECIMAL")
_FLOAT = ("Float", "FLOAT")
_TIMESTAMPS = {"DateTime": "timestamp", "DATETIME": "timestamp", "TIMESTAMP": "timestamp",
               "Time": "time", "TIME": "time"}
_ENUMS = ("Enum", "ENUM")
# Extension or range types: user-visible names PostgreSQL resolves through the search path.
_NAMED = ("HSTORE", "INT4RANGE", "INT8RANGE", "NUMRANGE", "DATERANGE", "TSRANGE",
          "TSTZRANGE", "LTREE", "GEOMETRY", "Geometry", "Geography")
# Packages whose types are read by class name: SQLAlchemy, SQLModel (which re-exports
# SQLAlchemy's types), and those whose own types the tables above name (SQLAlchemy-Utils'
# UUIDType and JSONType, GeoAlchemy2's Geometry and Geography).
_TYPE_PACKAGES = frozenset({"sqlalchemy", "sqlmodel", "sqlalchemy_utils", "geoalchemy2"})


@dataclass
class ColumnInfo:
    """A `sa.Column` read: its definition and what it implies beyond the column itself."""

    column: ColumnDef
    primary_key: bool = False
    constraints: list[ConstraintDef] = field(default_factory=list)  # unique, FK
    # `ForeignKey(..., use_alter=True)`: left out of CREATE TABLE (see `made_later`), but
    # added by `op.add_column` like any other.
    later: list[ConstraintDef] = field(default_factory=list)
    index: bool = False  # index=True: SQLAlchemy creates ix_<table>_<column>
    unique_index: bool = False  # index=True, unique=True: the index is unique, no constraint
    enum: tuple[QName, tuple[str, ...]] | None = None  # a named enum SQLAlchemy creates
    autoincrement: object = "auto"
    has_fk: bool = False
    has_server_default: bool = False


def args_of(call: cst.Call) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]]:
    """Positional and keyword argument expressions; `*args` / `**kw` are dropped (unknown)."""
    positional = [a.value for a in call.args if a.keyword is None and a.star == ""]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    return positional, keywords


def has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def last_name(node: cst.BaseExpression) -> str:
    name = dotted(node.func if isinstance(node, cst.Call) else node)
    return name.rsplit(".", 1)[-1]


def class_name(node: cst.BaseExpression, env: Env) -> str | None:
    """The name of the type class an expression names or calls, as its package names it
    (`PgJSONB` imported `as` from `sqlalchemy.dialects.postgresql.JSONB`: `JSONB`); None
    for a class that is not one of `_TYPE_PACKAGES`'."""
    name = dotted(node.func if isinstance(node, cst.Call) else node)
    origin = env.origin(name) if name else None
    if origin is None:
        return name.rsplit(".", 1)[-1]
    if origin.split(".", 1)[0] not in _TYPE_PACKAGES:
        return None
    return origin.rsplit(".", 1)[-1]


# -- types -------------------------------------------------------------------------------

def type_of(node: cst.BaseExpression | None, env: Env) -> TypeRef:
    """The PostgreSQL type a SQLAlchemy type expression renders as."""
    if node is None:
        return UNKNOWN_TYPE
    node = env.resolve_node(node)
    call = node if isinstance(node, cst.Call) else None
    if call is not None and isinstance(call.func, cst.Attribute) and \
            call.func.attr.value == "with_variant":
        return _variant(call, env)
    name = class_name(node, env)
    if name is None:
        return UNKNOWN_TYPE
    positional, keywords = args_of(call) if call is not None else ([], {})

    def arg(index: int, key: str) -> object:
        found = keywords.get(key)
        if found is None and index < len(positional):
            found = positional[index]
        value = env.value(found) if found is not None else None
        return value.value if isinstance(value, Text) else value

    if name in _FIXED:
        return canonical((_FIXED[name],))
    if name in _LENGTH:
        length = arg(0, "length")
        return canonical((_LENGTH[name],), (length,) if isinstance(length, int) else ())
    if name in _NUMERIC:
        precision, scale = arg(0, "precision"), arg(1, "scale")
        mods = tuple(m for m in (precision, scale) if isinstance(m, int))
        return canonical(("numeric",), mods if isinstance(precision, int) else ())
    if name in _FLOAT:
        precision = arg(0, "precision")
        small = isinstance(precision, int) and precision <= 24
        return canonical(("float4" if small else "float8",))
    if name in _TIMESTAMPS:
        base = _TIMESTAMPS[name]
        tz = arg(0, "timezone")
        return canonical((base + "tz" if tz is True else base,))
    if name in _ENUMS:
        return _enum_type(node, env)
    if name == "ARRAY":
        inner = type_of(positional[0] if positional else keywords.get("item_type"), env)
        dims = arg(2, "dimensions")
        return TypeRef(inner.name, inner.modifiers, dims if isinstance(dims, int) else 1,
                       inner.schema)
    if name in _NAMED:
        return canonical((name.lower(),))
    return UNKNOWN_TYPE


def _variant(call: cst.Call, env: Env) -> TypeRef:
    """`sa.Integer().with_variant(sa.BigInteger(), "postgresql")`: the one for our dialect."""
    positional, keywords = args_of(call)
    dialects = env.value(positional[1] if len(positional) > 1 else keywords.get("dialect_name"))
    names = {d.value for d in (dialects if isinstance(dialects, tuple) else (dialects,))
             if isinstance(d, Text)}
    if env.dialect in names and positional:
        return type_of(positional[0], env)
    assert isinstance(call.func, cst.Attribute)
    return type_of(call.func.value, env)


def _enum_type(node: cst.BaseExpression, env: Env) -> TypeRef:
    """`sa.Enum`: a named type of its own on PostgreSQL, MySQL's ENUM column type (as the
    SQL frontend names it), or the VARCHAR SQLAlchemy renders where there is no enum."""
    found = enum_of(node, env)
    if found is not None:
        qname, _ = found
        return TypeRef(qname.name, (), 0, qname.schema)
    if env.dialect == "mysql" and _native(node, env):
        return TypeRef("enum", (), 0, "mysql")
    return canonical(("varchar",))


def _native(node: cst.BaseExpression, env: Env) -> bool:
    node = env.resolve_node(node)
    keywords = args_of(node)[1] if isinstance(node, cst.Call) else {}
    return env.value(keywords.get("native_enum")) is not False


def enum_of(node: cst.BaseExpression, env: Env) -> tuple[QName, tuple[str, ...]] | None:
    """A native enum's qualified name and values, or None (no name, `native_enum=False`, or
    a database with no enum types: SQLite has none, and MySQL's ENUM is a column type,
    which names no object)."""
    node = env.resolve_node(node)
    if env.dialect != "postgresql" or not isinstance(node, cst.Call) or \
            class_name(node, env) not in _ENUMS:
        return None
    positional, keywords = args_of(node)
    if not _native(node, env):
        return None
    name = env.string(keywords.get("name"))
    if name is None:
        return None
    schema = env.string(keywords.get("schema"))
    values = tuple(v.value for v in (env.value(p) for p in positional) if isinstance(v, Text))
    return env.qname(name, schema), values


def creates_enum(node: cst.BaseExpression, env: Env) -> bool:
    """Whether SQLAlchemy creates the enum type along with a table using it."""
    node = env.resolve_node(node)
    if not isinstance(node, cst.Call):
        return False
    _, keywords = args_of(node)
    return env.value(keywords.get("create_type")) is not False


# -- expressions -------------------------------------------------------------------------

def sql_expr(sql: str) -> Expr:
    """A SQL expression through PostgreSQL's parser, for what it calls and reads."""
    from pglast import parser as pg

    from schemagate.parse.postgres.expr import expr

    try:
        tree = json.loads(pg.parse_sql_json(f"SELECT {sql}"))
        target = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
    except (pg.ParseError, KeyError, IndexError):
        return Expr(sql)
    return expr(target) or Expr(sql)


_CONSTANT_CALLS = {"true": "true", "false": "false", "null": "NULL"}


def default_of(node: cst.BaseExpression | None, env: Env) -> Expr | None:
    """A `server_default=`: a string is a quoted literal, `sa.text()` raw SQL, `sa.func.x()`
    a function call."""
    if node is None:
        return None
    node = env.resolve_node(node)
    if isinstance(node, cst.Name) and node.value == "None":
        return None
    if isinstance(node, cst.Call):
        name = dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        positional, _ = args_of(node)
        if last in ("text", "literal_column", "DefaultClause") and positional:
            inner = env.value(positional[0])
            if isinstance(inner, Text):
                return sql_expr(inner.value)
            if last == "DefaultClause":
                return default_of(positional[0], env)
        if ".func." in f".{name}." or name.startswith("func."):
            args = [env.value(p) for p in positional]
            if all(isinstance(a, (Text, int)) for a in args):
                rendered = ", ".join(_sql_literal(a) for a in args)
                return sql_expr(f"{last}({rendered})")
            return Expr(f"{last}(…)", frozenset({last.lower()}))
        if last in _CONSTANT_CALLS:
            return Expr(_CONSTANT_CALLS[last], constant=True)
        if last == "literal" and positional:
            value = env.value(positional[0])
            if isinstance(value, (Text, int, float)):
                return Expr(_sql_literal(value), constant=True)
        if last == "FetchedValue":
            return None
    value = env.value(node)
    if isinstance(value, Text):
        return Expr(_sql_literal(value), constant=True)
    if isinstance(value, bool):
        return Expr("true" if value else "false", constant=True)
    return Expr(cst.Module(body=[]).code_for_node(node))


def _sql_literal(value: object) -> str:
    if isinstance(value, Text):
        return "'" + value.value.replace("'", "''") + "'"
    return str(value)


# -- columns and constraints -------------------------------------------------------------

def column_of(node: cst.BaseExpression, env: Env, table: str | None = None) -> ColumnInfo | None:
    """A `sa.Column(...)` expression, or None when it is not one the tool can read."""
    node = env.resolve_node(node)
    if not isinstance(node, cst.Call) or last_name(node) != "Column":
        return None
    positional, keywords = args_of(node)
    name = env.string(positional[0]) if positional else env.string(keywords.get("name"))
    if name is None:
        return None
    rest = positional[1:]
    type_node = keywords.get("type_")
    if type_node is None and rest and not _is_schema_item(rest[0], env):
        type_node, rest = rest[0], rest[1:]
    typ = type_of(type_node, env)
    info = ColumnInfo(ColumnDef(name, typ))
    primary = env.value(keywords.get("primary_key")) is True
    nullable = env.value(keywords.get("nullable"))
    not_null = nullable is False or (primary and nullable is not True)
    identity = False
    generated: Expr | None = None
    default = default_of(keywords.get("server_default"), env)
    for item in rest:
        item = env.resolve_node(item)
        kind = last_name(item) if isinstance(item, cst.Call) else ""
        if kind == "ForeignKey" and isinstance(item, cst.Call):
            fk = _foreign_key_of(item, env, name)
            if fk is not None and made_later(item, env):
                info.later.append(fk)
            elif fk is not None:
                info.constraints.append(fk)
                info.has_fk = True
        elif kind == "Identity":
            identity, not_null = True, True
        elif kind == "Computed" and isinstance(item, cst.Call):
            sql = env.string(args_of(item)[0][0]) if args_of(item)[0] else None
            generated = sql_expr(sql) if sql else Expr("…")
        elif kind == "Sequence" and isinstance(item, cst.Call):
            seq = env.string(args_of(item)[0][0]) if args_of(item)[0] else None
            if seq:
                default = Expr(f"nextval('{seq}'::regclass)", frozenset({"nextval"}),
                               sequences=frozenset({seq}))
        elif kind in ("DefaultClause", "FetchedValue") and isinstance(item, cst.Call):
            default = default_of(item, env) or default
    unique = env.value(keywords.get("unique")) is True
    if env.value(keywords.get("index")) is True:
        # SQLAlchemy makes `unique=True, index=True` one unique index, and no constraint.
        info.index, info.unique_index = True, unique
    elif unique:
        info.constraints.append(ConstraintDef("unique", None, (name,)))
    info.primary_key = primary
    info.autoincrement = _plain(env.value(keywords.get("autoincrement", None)))
    info.has_server_default = default is not None
    enum_node = env.resolve_node(type_node) if type_node is not None else None
    if enum_node is not None and creates_enum(enum_node, env):
        info.enum = enum_of(enum_node, env)
    info.column = ColumnDef(name, typ, not_null, default, identity, generated)
    return info


def _plain(value: object) -> object:
    if value is UNKNOWN or value is None:
        return "auto"
    return value.value if isinstance(value, Text) else value


def _is_schema_item(node: cst.BaseExpression, env: Env) -> bool:
    node = env.resolve_node(node)
    return isinstance(node, cst.Call) and last_name(node) in (
        "ForeignKey", "Identity", "Computed", "Sequence", "DefaultClause", "FetchedValue",
        "CheckConstraint")


def split_ref(target: str, env: Env) -> tuple[QName, str] | None:
    """`"users.id"` or `"auth.users.id"` to (table, column)."""
    parts = target.split(".")
    if len(parts) < 2:
        return None
    return env.qname(parts[-2], parts[-3] if len(parts) > 2 else None), parts[-1]


def made_later(call: cst.Call, env: Env) -> bool:
    """A `ForeignKey(…, use_alter=True)` or `ForeignKeyConstraint(…, use_alter=True)`:
    SQLAlchemy leaves it out of CREATE TABLE on a database that has ALTER TABLE ADD
    CONSTRAINT (all but SQLite), for `metadata.create_all` to add after every table, which
    `op.create_table` never does: the table is made without it (Mealie's recipes.user_id)."""
    return env.dialect != "sqlite" and env.value(args_of(call)[1].get("use_alter")) is True


def _foreign_key_of(call: cst.Call, env: Env, column: str) -> ConstraintDef | None:
    positional, keywords = args_of(call)
    target = env.string(positional[0]) if positional else env.string(keywords.get("column"))
    ref = split_ref(target, env) if target else None
    if ref is None:
        return None
    return ConstraintDef("foreign", env.object_name(keywords.get("name")), (column,), ref[0],
                         (ref[1],), deferrable=env.value(keywords.get("deferrable")) is True,
                         name_at_run_time=env.name_at_run_time(keywords.get("name")),
                         on_delete=fk_action(env.string(keywords.get("ondelete"))))


def strings_of(node: cst.BaseExpression | None, env: Env) -> tuple[str, ...] | None:
    """A list of names (columns), or None when any of them is not known."""
    if node is None:
        return None
    value = env.value(node)
    if isinstance(value, Text):
        return (value.value,)
    if not isinstance(value, tuple) or not all(isinstance(v, Text) for v in value):
        return None
    return tuple(v.value for v in value)


def table_constraint_of(node: cst.BaseExpression, env: Env) -> ConstraintDef | None:
    """`sa.PrimaryKeyConstraint`, `sa.UniqueConstraint`, `sa.ForeignKeyConstraint`,
    `sa.CheckConstraint`, `ExcludeConstraint` inside `create_table`."""
    node = env.resolve_node(node)
    if not isinstance(node, cst.Call):
        return None
    kind = last_name(node)
    positional, keywords = args_of(node)
    name = env.object_name(keywords.get("name"))
    deferrable = env.value(keywords.get("deferrable")) is True
    if kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
        columns = tuple(c for c in (env.string(p) for p in positional) if c is not None)
        if len(columns) != len(positional):
            return None
        return ConstraintDef("primary" if kind.startswith("Primary") else "unique", name,
                             columns, deferrable=deferrable)
    if kind == "ForeignKeyConstraint" and len(positional) >= 2:
        local, targets = strings_of(positional[0], env), strings_of(positional[1], env)
        refs = [split_ref(t, env) for t in targets or ()]
        if local is None or not refs or any(r is None for r in refs):
            return None
        columns = local
        table = refs[0][0] if refs[0] else None
        return ConstraintDef("foreign", name, columns, table,
                             tuple(r[1] for r in refs if r is not None), deferrable=deferrable,
                             name_at_run_time=env.name_at_run_time(keywords.get("name")),
                             on_delete=fk_action(env.string(keywords.get("ondelete"))))
    if kind == "CheckConstraint" and positional:
        sql = env.string(positional[0])
        return ConstraintDef("check", name, (), expr=sql_expr(sql) if sql else Expr("…"))
    if kind == "ExcludeConstraint":
        return ConstraintDef("exclusion", name)
    return None
