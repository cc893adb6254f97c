"""sqlglot parse trees (MySQL/MariaDB, SQLite) to operations of the IR.

One function per statement kind, as for PostgreSQL. Types map to PostgreSQL's canonical
names where the meaning is the same (`varchar(255)`, `bigint`, `datetime` as `timestamp`),
so that rules such as `lossy-type-change` compare them alike; a type with no PostgreSQL
counterpart (MySQL's inline `ENUM`, `SET`) keeps its name under the dialect's schema, which
rules treat as not modelled rather than guess.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from schemagate.model import ops as o
from schemagate.model.names import NO_SCHEMA, QName
from schemagate.model.span import Span
from schemagate.model.types import TypeRef, canonical
from schemagate.parse.sqlglot.locate import Locator

_TYPES = {
    "INT": "int4", "MEDIUMINT": "int4", "UMEDIUMINT": "int4", "USMALLINT": "int4",
    "UINT": "int8", "BIGINT": "int8", "UBIGINT": "numeric",
    "SMALLINT": "int2", "TINYINT": "int2", "UTINYINT": "int2",
    "BOOLEAN": "bool", "FLOAT": "float4", "DOUBLE": "float8", "UDOUBLE": "float8",
    "DECIMAL": "numeric", "UDECIMAL": "numeric", "BIGDECIMAL": "numeric",
    "VARCHAR": "varchar", "NVARCHAR": "varchar", "CHAR": "bpchar", "NCHAR": "bpchar",
    "TEXT": "text", "TINYTEXT": "text", "MEDIUMTEXT": "text", "LONGTEXT": "text",
    "DATETIME": "timestamp", "DATETIME2": "timestamp", "TIMESTAMP": "timestamp",
    "TIMESTAMPTZ": "timestamptz", "TIMESTAMPLTZ": "timestamptz", "DATE": "date",
    "TIME": "time", "TIMETZ": "timetz", "INTERVAL": "interval", "JSON": "json",
    "JSONB": "jsonb", "UUID": "uuid", "BLOB": "bytea", "TINYBLOB": "bytea",
    "MEDIUMBLOB": "bytea", "LONGBLOB": "bytea", "BINARY": "bytea", "VARBINARY": "bytea",
    "BIT": "bit", "INET": "inet", "XML": "xml", "MONEY": "money", "SERIAL": "serial",
    "BIGSERIAL": "bigserial", "SMALLSERIAL": "smallserial",
}
_RENAME_TABLE = re.compile(r"TABLE\s+(.+)$", re.IGNORECASE | re.DOTALL)
_NAME = r"(?:`[^`]+`|\"[^\"]+\"|[\w$]+)(?:\.(?:`[^`]+`|\"[^\"]+\"|[\w$]+))?"
_RENAME_PAIR = re.compile(rf"\s*({_NAME})\s+TO\s+({_NAME})\s*", re.IGNORECASE)


class _Ctx:
    __slots__ = ("dialect", "index", "locate", "span", "sql")

    def __init__(self, sql: str, dialect: str, span: Span, index: int,
                 locate: Locator | None = None) -> None:
        self.sql, self.dialect, self.span, self.index = sql, dialect, span, index
        self.locate = locate

    @property
    def indexes_per_table(self) -> bool:
        """Whether an index's name is its table's own: in MySQL and MariaDB two tables may
        each have an index `email` (`SHOW INDEX FROM t`, `DROP INDEX x ON t`); SQLite's are
        the database's."""
        return self.dialect == "mysql"

    def kw(self) -> dict[str, Any]:
        return {"span": self.span, "statement": self.index}

    def raw(self, kind: str, reason: str = "") -> o.RawSQL:
        return o.RawSQL(statement_kind=kind, sql=self.sql, reason=reason, **self.kw())


def to_ops(sql: str, span: Span, index: int, dialect: str,
           locate: Locator | None = None) -> tuple[o.Operation, ...]:
    """Translate one statement's text into operations; `locate` gives its clauses' spans."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    ctx = _Ctx(sql, dialect, span, index, locate)
    routine = _routine(sql, ctx)
    if routine is not None:
        return (routine,)
    # sqlglot logs a warning for each statement it keeps as text; the RawSQL says so.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        tree = sqlglot.parse_one(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    except (ParseError, TokenError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (ctx.raw("Unparsed", f"sqlglot could not read it: {message[:160]}"),)
    translate = _TRANSLATORS.get(type(tree).__name__)
    if translate is None:
        return (ctx.raw(_kind(tree)),)
    try:
        return tuple(translate(tree, ctx)) or (ctx.raw(_kind(tree)),)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return (ctx.raw(_kind(tree), "a form the tool does not model"),)


_ROUTINE = re.compile(
    rf"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?"
    rf"(?P<kind>PROCEDURE|FUNCTION|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})"
    rf"(?:\s+(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(?:INSERT|UPDATE|DELETE)(?:\s+OF\s+[^;]*?)?"
    rf"\s+ON\s+(?P<table>{_NAME}))?", re.IGNORECASE)


def _routine(sql: str, ctx: _Ctx) -> o.Operation | None:
    """Stored routines and triggers, whose bodies sqlglot does not read: their name is
    enough for the schema (a MySQL or SQLite trigger carries its body inline)."""
    match = _ROUTINE.match(sql)
    if match is None:
        return None
    name = _split_name(match.group("name"))
    kind = match.group("kind").upper()
    if kind == "TRIGGER":
        if match.group("table") is None:
            return ctx.raw("CreateTrigStmt")
        table = _split_name(match.group("table"))
        return o.CreateTrigger(name=name.name, table=table, function=QName(
            table.schema, f"{name.name} (inline body)"), **ctx.kw())
    return o.CreateFunction(name=name, procedure=kind == "PROCEDURE", **ctx.kw())


# Names for unmodelled statements, PostgreSQL's where the meaning is the same, so that the
# rules' lists of harmless statements apply to every dialect.
_KINDS = {"Select": "SelectStmt", "Set": "VariableSetStmt", "Grant": "GrantStmt",
          "Comment": "CommentStmt", "Pragma": "VariableSetStmt", "Use": "VariableSetStmt",
          "Analyze": "VacuumStmt", "Describe": "ExplainStmt", "Show": "VariableShowStmt",
          "Lock": "LockStmt", "Union": "SelectStmt"}


def _kind(tree: Any) -> str:
    name = type(tree).__name__
    if name == "Command":
        verb = str(tree.this).upper()
        return "CallStmt" if verb == "CALL" else f"Command/{verb}"
    return _KINDS.get(name, name)


# -- pieces ------------------------------------------------------------------------------

def qname(table: Any) -> QName:
    return QName(table.db or NO_SCHEMA, table.name)


def type_ref(kind: Any, dialect: str) -> TypeRef:
    """A sqlglot DataType to the canonical PostgreSQL type (or the dialect's own)."""
    from sqlglot import exp

    if not isinstance(kind, exp.DataType):
        return TypeRef("unknown")
    name = kind.this.name if hasattr(kind.this, "name") else str(kind.this)
    mods: list[int] = []
    for param in kind.expressions:
        inner = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(inner, exp.Literal) and not inner.is_string:
            with contextlib.suppress(ValueError):
                mods.append(int(inner.this))
    if name == "TINYINT" and mods == [1] and dialect == "mysql":
        return canonical(("bool",))  # MySQL's BOOLEAN is TINYINT(1)
    if name == "ARRAY" and kind.expressions and isinstance(kind.expressions[0], exp.DataType):
        inner_type = type_ref(kind.expressions[0], dialect)
        return TypeRef(inner_type.name, inner_type.modifiers, inner_type.array_dims + 1,
                       inner_type.schema)
    if name in _TYPES:
        target = _TYPES[name]
        keep = target in ("varchar", "bpchar", "numeric", "bit", "timestamp", "timestamptz",
                          "time")
        if target in ("timestamp", "timestamptz", "time") and dialect == "mysql":
            keep = False  # MySQL's fractional-second precision is not PostgreSQL's
        return canonical((target,), tuple(mods) if keep else ())
    return TypeRef(name.lower(), tuple(mods), 0, dialect)


def expr_of(node: Any, dialect: str) -> o.Expr:
    from sqlglot import exp

    functions = frozenset(f.sql_name().lower() for f in node.find_all(exp.Func)
                          if not isinstance(f, exp.Cast))
    columns = frozenset(c.name for c in node.find_all(exp.Column))
    constant = not functions and not columns and not isinstance(node, exp.Column)
    try:
        sql = node.sql(dialect=dialect)
    except Exception:  # rendering is only for messages: never fail on it
        sql = str(node)
    return o.Expr(sql, functions, columns, constant=constant)


def _names(items: list[Any]) -> tuple[str, ...]:
    from sqlglot import exp

    out = []
    for item in items:
        if isinstance(item, exp.Ordered):
            item = item.this
        out.append(item.name if hasattr(item, "name") else str(item))
    return tuple(out)


def _index_parts(items: list[Any], ctx: _Ctx) -> tuple[tuple[str, ...], tuple[o.Expr, ...]]:
    """An index's keys: the columns it names, and the expressions it computes
    (`(COALESCE(close_time, '9999-12-31')) DESC`), which name no column of their own."""
    from sqlglot import exp

    named: list[str] = []
    computed: list[o.Expr] = []
    for item in items:
        key = item.this if isinstance(item, exp.Ordered) else item
        while isinstance(key, exp.Paren):
            key = key.this
        if isinstance(key, exp.Column | exp.Identifier):
            named.append(key.name)
        else:
            computed.append(expr_of(key, ctx.dialect))
    return tuple(named), tuple(computed)


def column_def(node: Any, ctx: _Ctx) -> tuple[o.ColumnDef, list[o.ConstraintDef]]:
    """A column and the constraints its inline clauses amount to."""
    from sqlglot import exp

    name = node.name
    typ = type_ref(node.args.get("kind"), ctx.dialect)
    not_null = False
    default: o.Expr | None = None
    identity = False
    generated: o.Expr | None = None
    constraints: list[o.ConstraintDef] = []
    for item in node.args.get("constraints") or ():
        kind = item.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            not_null = not kind.args.get("allow_null")
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = None if isinstance(kind.this, exp.Null) else expr_of(kind.this,
                                                                            ctx.dialect)
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            constraints.append(o.ConstraintDef("primary", None, (name,),
                                               index_per_table=ctx.indexes_per_table,
                                               name_at_run_time=True))
            not_null = True
        elif isinstance(kind, exp.UniqueColumnConstraint):
            constraints.append(o.ConstraintDef("unique", _mysql_index_name(ctx, (name,)),
                                               (name,), index_per_table=ctx.indexes_per_table,
                                               name_at_run_time=ctx.dialect == "sqlite"))
        elif isinstance(kind, (exp.AutoIncrementColumnConstraint,
                               exp.GeneratedAsIdentityColumnConstraint)):
            identity = True
            not_null = True
        elif isinstance(kind, exp.ComputedColumnConstraint):
            generated = expr_of(kind.this, ctx.dialect)
        elif isinstance(kind, exp.CheckColumnConstraint):
            constraints.append(o.ConstraintDef("check", None, (), expr=expr_of(kind.this,
                                                                              ctx.dialect),
                                               name_at_run_time=True))
        elif isinstance(kind, exp.Reference):
            ref = _reference(kind)
            if ref is not None:
                constraints.append(o.ConstraintDef("foreign", None, (name,), ref[0], ref[1],
                                                   name_at_run_time=True,
                                                   on_delete=_on_delete(kind)))
    return o.ColumnDef(name, typ, not_null, default, identity, generated), constraints


def _mysql_index_name(ctx: _Ctx, columns: tuple[str, ...]) -> str | None:
    """MySQL names an unnamed UNIQUE's index after its first column (`DROP INDEX email`
    later refers to it so); other dialects leave the name to the fold's conventions.
    SQLite's is `sqlite_autoindex_<table>_<n>`, which only the database knows."""
    return columns[0] if ctx.dialect == "mysql" and columns else None


def _on_delete(node: Any) -> str | None:
    """A REFERENCES clause's ON DELETE action, as SQL; None for NO ACTION."""
    for option in node.args.get("options") or ():
        words = str(option).split(None, 2)
        if len(words) == 3 and [w.upper() for w in words[:2]] == ["ON", "DELETE"]:
            return o.fk_action(words[2])
    return None


def _reference(node: Any) -> tuple[QName, tuple[str, ...]] | None:
    from sqlglot import exp

    target = node.this
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        return qname(target.this), _names(target.expressions)
    if isinstance(target, exp.Table):
        return qname(target), ()
    return None


def table_constraint(node: Any, ctx: _Ctx, table: QName
                     ) -> tuple[o.ConstraintDef | None, o.CreateIndex | None]:
    """A table-level clause of CREATE TABLE or ALTER TABLE … ADD: a constraint, or (MySQL
    `KEY name (cols)`) an index."""
    from sqlglot import exp

    name: str | None = None
    if isinstance(node, exp.Constraint):
        name = node.name
        node = node.expressions[0] if node.expressions else None
    if isinstance(node, exp.PrimaryKey):
        return o.ConstraintDef("primary", name, _names(node.expressions),
                               index_per_table=ctx.indexes_per_table,
                               name_at_run_time=not name), None
    if isinstance(node, exp.ForeignKey):
        ref = node.args.get("reference")
        target = _reference(ref) if ref is not None else None
        if target is None:
            return None, None
        return o.ConstraintDef("foreign", name, _names(node.expressions), target[0],
                               target[1], name_at_run_time=not name,
                               on_delete=_on_delete(ref)), None
    if isinstance(node, exp.UniqueColumnConstraint):
        schema = node.this
        if isinstance(schema, exp.Schema):
            columns = _names(schema.expressions)
            named = name or (schema.this.name if schema.this else None)
            return o.ConstraintDef("unique", named or _mysql_index_name(ctx, columns),
                                   columns, index_per_table=ctx.indexes_per_table,
                                   name_at_run_time=not named and ctx.dialect == "sqlite"
                                   ), None
        return None, None
    if isinstance(node, (exp.CheckColumnConstraint, exp.Check)):
        return o.ConstraintDef("check", name, (), expr=expr_of(node.this, ctx.dialect),
                               name_at_run_time=not name), None
    if isinstance(node, exp.IndexColumnConstraint):
        index_name = node.name or None
        return None, o.CreateIndex(
            name=QName(table.schema, index_name) if index_name else None, table=table,
            columns=_names(node.expressions), per_table=ctx.indexes_per_table, **ctx.kw())
    return None, None


# -- statements --------------------------------------------------------------------------

def _create(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    kind = str(tree.args.get("kind") or "").upper()
    if kind == "TABLE":
        return _create_table(tree, ctx)
    if kind == "INDEX":
        index = tree.this
        params = index.args.get("params")
        columns = params.args.get("columns") if params is not None else None
        table = index.args.get("table")
        named, computed = _index_parts(columns or [], ctx)
        return [o.CreateIndex(
            name=QName(table.db or NO_SCHEMA, index.name) if index.name else None,
            table=qname(table), columns=named, expressions=computed,
            unique=bool(tree.args.get("unique")), if_not_exists=bool(tree.args.get("exists")),
            per_table=ctx.indexes_per_table, **ctx.kw())]
    if kind == "VIEW":
        name = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        query = tree.args.get("expression")
        tables, reads = _reads(query)
        return [o.CreateView(name=qname(name), or_replace=bool(tree.args.get("replace")),
                             reads=reads, tables=tables, **ctx.kw())]
    if kind in ("SCHEMA", "DATABASE"):
        return [o.CreateSchema(name=tree.this.name, if_not_exists=bool(tree.args.get(
            "exists")), **ctx.kw())]
    if kind == "TRIGGER":
        return [ctx.raw("CreateTrigStmt")]
    return [ctx.raw(f"Create/{kind}")]


def _create_table(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    schema = tree.this
    table_node = schema.this if isinstance(schema, exp.Schema) else schema
    table = qname(table_node)
    columns: list[o.ColumnDef] = []
    constraints: list[o.ConstraintDef] = []
    indexes: list[o.Operation] = []
    items = schema.expressions if isinstance(schema, exp.Schema) else []
    spans = ctx.locate.elements(len(items)) if ctx.locate is not None and items else None
    for i, item in enumerate(items):
        where = spans[i] if spans is not None else None
        if isinstance(item, exp.ColumnDef):
            col, cons = column_def(item, ctx)
            columns.append(replace(col, span=where))
            constraints.extend(replace(c, span=where) for c in cons)
            continue
        con, index = table_constraint(item, ctx, table)
        if con is not None:
            constraints.append(replace(con, span=where))
        if index is not None:
            indexes.append(replace(index, clause=where))
    from_query = tree.args.get("expression") is not None or " like " in ctx.sql.lower()[:200]
    pk = next((c for c in constraints if c.kind == "primary"), None)
    if pk is not None:
        columns = [replace(c, not_null=True) if c.name in pk.columns else c for c in columns]
    create = o.CreateTable(table=table, columns=tuple(columns), constraints=tuple(constraints),
                           if_not_exists=bool(tree.args.get("exists")), from_query=from_query,
                           temporary="TEMPORARY" in ctx.sql.upper()[:40],
                           sources=_row_sources(tree.args.get("expression")), **ctx.kw())
    if ctx.dialect == "mysql":
        indexes += _innodb_foreign_key_indexes(table, constraints, indexes, ctx)
    return [create, *indexes]


def _innodb_foreign_key_indexes(table: QName, constraints: list[o.ConstraintDef],
                                indexes: list[o.Operation], ctx: _Ctx) -> list[o.Operation]:
    """The indexes InnoDB creates for foreign keys that no other index leads with, named
    after the constraint or else its first column (a later `DROP INDEX` names them so)."""
    leading = [c.columns for c in constraints if c.kind in ("primary", "unique")]
    leading += [ix.columns for ix in indexes if isinstance(ix, o.CreateIndex)]
    out: list[o.Operation] = []
    for fk in constraints:
        if fk.kind != "foreign" or not fk.columns:
            continue
        if any(cols[:len(fk.columns)] == fk.columns for cols in leading):
            continue
        name = QName(table.schema, fk.name or fk.columns[0])
        out.append(o.CreateIndex(name=name, table=table, columns=fk.columns,
                                 per_table=ctx.indexes_per_table, **ctx.kw()))
        leading.append(fk.columns)
    return out


def _reads(query: Any) -> tuple[tuple[QName, ...], tuple[tuple[QName, str], ...]]:
    """The relations a query reads, and the (table, column) pairs it names."""
    from sqlglot import exp

    if query is None:
        return (), ()
    aliases: dict[str, QName] = {}
    tables: list[QName] = []
    for table in query.find_all(exp.Table):
        name = qname(table)
        tables.append(name)
        aliases[table.alias_or_name] = name
    reads: list[tuple[QName, str]] = []
    for column in query.find_all(exp.Column):
        if column.table and column.table in aliases:
            reads.append((aliases[column.table], column.name))
        elif not column.table and len(set(tables)) == 1:
            reads.append((tables[0], column.name))
    if any(isinstance(s, exp.Star) for s in query.find_all(exp.Star)) and len(set(tables)) == 1:
        reads.append((tables[0], "*"))
    return tuple(dict.fromkeys(tables)), tuple(dict.fromkeys(reads))


def _dropped(tree: Any) -> list[Any]:
    return list(tree.args.get("tables") or tree.expressions or ())


def _drop(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    kind = str(tree.args.get("kind") or "").upper()
    names = tuple(qname(t) for t in _dropped(tree))
    exists = bool(tree.args.get("exists"))
    cascade = bool(tree.args.get("cascade"))
    kw = ctx.kw()
    if kind == "TABLE":
        return [o.DropTable(tables=names, cascade=cascade, if_exists=exists, **kw)]
    if kind == "VIEW":
        return [o.DropView(names=names, materialized=bool(tree.args.get("materialized")),
                           cascade=cascade, if_exists=exists, **kw)]
    if kind == "INDEX":
        on = tree.args.get("cluster")
        table = qname(on.this) if on is not None and on.this is not None else None
        schema = table.schema if table is not None else NO_SCHEMA
        return [o.DropIndex(names=tuple(QName(schema, n.name) for n in names),
                            if_exists=exists,
                            table=table if ctx.indexes_per_table else None, **kw)]
    if kind in ("SCHEMA", "DATABASE"):
        if ctx.dialect == "mysql" or kind == "DATABASE":
            return [o.DropDatabase(name=n.name, **kw) for n in names] if kind == "DATABASE" \
                else [o.DropSchema(names=tuple(n.name for n in names), if_exists=exists, **kw)]
        return [o.DropSchema(names=tuple(n.name for n in names), cascade=cascade,
                             if_exists=exists, **kw)]
    if kind in ("PROCEDURE", "FUNCTION"):
        return [o.DropFunction(names=tuple((n, None) for n in names), if_exists=exists, **kw)]
    if kind == "TRIGGER":
        return [ctx.raw("DropStmt")]
    return []


def _alter(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    kind = str(tree.args.get("kind") or "").upper()
    if kind != "TABLE":
        return []
    table = qname(tree.this)
    out: list[o.Operation] = []
    actions = tree.args.get("actions") or ()
    spans = ctx.locate.actions(len(actions)) if ctx.locate is not None and actions else None
    for i, action in enumerate(actions):
        refused = _not_sqlites(action) if ctx.dialect == "sqlite" else None
        ops: list[o.Operation]
        if refused is not None:
            ops = [ctx.raw(f"AlterTableStmt/{type(action).__name__}", (
                f"SQLite's ALTER TABLE has no {refused}: it runs only RENAME TO, RENAME "
                "COLUMN, ADD COLUMN and DROP COLUMN, and refuses this statement"))]
        else:
            ops = _alter_action(action, table, ctx) or [ctx.raw(
                f"AlterTableStmt/{type(action).__name__}")]
        out.extend(ops if spans is None else [_at(op, spans[i]) for op in ops])
    return out


def _not_sqlites(action: Any) -> str | None:
    """What an ALTER TABLE action does that SQLite's ALTER TABLE cannot, named; None when
    it is one of SQLite's four. sqlglot reads every dialect's actions in every dialect
    (`ALTER TABLE t DROP INDEX i` parses as SQLite), but the server runs only these."""
    from sqlglot import exp

    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "").upper()
        return None if kind == "COLUMN" else f"DROP {kind}".rstrip()
    if isinstance(action, (exp.ColumnDef, exp.RenameColumn, exp.AlterRename)):
        return None
    return _SQLITE_REFUSED.get(type(action).__name__, "such clause")


_SQLITE_REFUSED = {"AlterColumn": "ALTER COLUMN", "ModifyColumn": "MODIFY or CHANGE",
                   "AddConstraint": "ADD CONSTRAINT", "DropPrimaryKey": "DROP PRIMARY KEY"}


def _at(op: o.Operation, clause: Span) -> o.Operation:
    """The operation, and the column it adds, at its clause."""
    if isinstance(op, o.AddColumn):
        return replace(op, clause=clause, column=replace(op.column, span=clause))
    return replace(op, clause=clause)


def _alter_action(action: Any, table: QName, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    kw = ctx.kw()
    if isinstance(action, exp.ColumnDef):
        col, cons = column_def(action, ctx)
        return [o.AddColumn(table=table, column=col, constraints=tuple(cons),
                            if_not_exists=bool(action.args.get("exists")), **kw)]
    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "").upper()
        names = [t.name for t in _dropped(action)]
        exists = bool(action.args.get("exists"))
        if kind == "COLUMN":
            return [o.DropColumn(table=table, column=n, if_exists=exists,
                                 cascade=bool(action.args.get("cascade")), **kw) for n in names]
        if kind == "INDEX":
            return [o.DropIndex(names=tuple(QName(table.schema, n) for n in names),
                                if_exists=exists,
                                table=table if ctx.indexes_per_table else None, **kw)]
        if kind in ("FOREIGN KEY", "CONSTRAINT", "CHECK"):
            return [o.DropConstraint(table=table, name=n, if_exists=exists, **kw)
                    for n in names]
        return []
    if isinstance(action, exp.DropPrimaryKey):
        # MySQL names every primary key PRIMARY; the fold knows it by PostgreSQL's default.
        return [o.DropConstraint(table=table, name=f"{table.name}_pkey", **kw)]
    if isinstance(action, exp.RenameColumn):
        return [o.RenameColumn(table=table, column=action.this.name,
                               new_name=action.args["to"].name, **kw)]
    if isinstance(action, exp.AlterRename):
        return [o.RenameTable(table=table, new_name=action.this.name, **kw)]
    if isinstance(action, exp.ModifyColumn):
        return _modify(action, table, ctx)
    if isinstance(action, exp.AlterColumn):
        return _alter_column(action, table, ctx)
    if isinstance(action, exp.AddConstraint):
        out: list[o.Operation] = []
        for item in action.expressions:
            con, index = table_constraint(item, ctx, table)
            if con is not None:
                out.append(o.AddConstraint(table=table, constraint=con, **kw))
            if index is not None:
                out.append(index)
        return out
    return []


def _modify(action: Any, table: QName, ctx: _Ctx) -> list[o.Operation]:
    """MySQL `MODIFY`/`CHANGE COLUMN`: the whole definition is restated, so a column not
    restated NOT NULL becomes nullable and one without DEFAULT loses its default."""
    col, _ = column_def(action.this, ctx)
    kw = ctx.kw()
    old = action.args.get("rename_from")
    name = old.name if old is not None else col.name
    out: list[o.Operation] = [o.AlterColumnType(table=table, column=name, new_type=col.type,
                                                **kw)]
    if col.not_null:
        out.append(o.SetNotNull(table=table, column=name, **kw))
    else:
        out.append(o.DropNotNull(table=table, column=name, **kw))
    if old is not None and old.name != col.name:
        out.append(o.RenameColumn(table=table, column=old.name, new_name=col.name, **kw))
    return out


def _alter_column(action: Any, table: QName, ctx: _Ctx) -> list[o.Operation]:
    column = action.this.name
    kw = ctx.kw()
    if action.args.get("drop"):
        return [o.SetDefault(table=table, column=column, default=None, **kw)]
    if action.args.get("default") is not None:
        return [o.SetDefault(table=table, column=column,
                             default=expr_of(action.args["default"], ctx.dialect), **kw)]
    if action.args.get("dtype") is not None:
        return [o.AlterColumnType(table=table, column=column,
                                  new_type=type_ref(action.args["dtype"], ctx.dialect), **kw)]
    allow_null = action.args.get("allow_null")
    if allow_null is True:
        return [o.DropNotNull(table=table, column=column, **kw)]
    if allow_null is False:
        return [o.SetNotNull(table=table, column=column, **kw)]
    return []


def _command(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    """Statements sqlglot keeps as text; MySQL's `RENAME TABLE a TO b, c TO d` is read here."""
    verb = str(tree.this).upper()
    rest = str(tree.expression.this if hasattr(tree.expression, "this") else tree.expression)
    if verb == "RENAME":
        match = _RENAME_TABLE.match(rest.strip())
        pairs = match.group(1).split(",") if match else []
        out: list[o.Operation] = []
        for pair in pairs:
            found = _RENAME_PAIR.fullmatch(pair)
            if found is None:
                return []
            old, new = (_split_name(found.group(i)) for i in (1, 2))
            out.append(o.RenameTable(table=old, new_name=new.name, **ctx.kw()))
        return out
    return []


def _split_name(text: str) -> QName:
    parts = [p.strip('`"') for p in re.findall(r"`[^`]+`|\"[^\"]+\"|[\w$]+", text)]
    return QName(parts[-2] if len(parts) > 1 else NO_SCHEMA, parts[-1])


def _truncate(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    return [o.Truncate(tables=tuple(qname(t) for t in tree.expressions), **ctx.kw())]


def _delete(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    target = tree.this
    if not isinstance(target, exp.Table):
        return []
    where = tree.args.get("where")
    vacuous = where is not None and _always_true(where.this)
    return [o.DeleteRows(table=qname(target), has_where=where is not None and not vacuous,
                         vacuous_where=vacuous, **ctx.kw())]


def _always_true(node: Any) -> bool:
    """Whether a WHERE holds for every row whatever the row holds: `TRUE`, a non-zero
    number (MySQL's `WHERE 1`), two equal constants compared (`1 = 1`), and ANDs and ORs
    of them."""
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _always_true(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this) != 0
        except ValueError:
            return False
    if isinstance(node, exp.EQ):
        left, right = node.this, node.expression
        return (isinstance(left, exp.Literal) and isinstance(right, exp.Literal)
                and left.is_string == right.is_string and left.this == right.this)
    if isinstance(node, exp.And):
        return _always_true(node.this) and _always_true(node.expression)
    if isinstance(node, exp.Or):
        return _always_true(node.this) or _always_true(node.expression)
    return False


def _update(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    target = tree.this
    if not isinstance(target, exp.Table):
        return []
    sets = [e for e in tree.expressions if isinstance(e, exp.EQ)
            and isinstance(e.this, exp.Column)]
    columns = tuple(e.this.name for e in sets)
    # `SET c = COALESCE(c, …)` / `IFNULL(c, …)` (sqlglot reads both as Coalesce): a row keeps
    # the value it holds.
    kept = tuple(e.this.name for e in sets if isinstance(e.expression, exp.Coalesce)
                 and isinstance(e.expression.this, exp.Column)
                 and e.expression.this.name == e.this.name)
    where = tree.args.get("where")
    # A constant written to the rows another table picks (`WHERE EXISTS (SELECT … FROM
    # favorites …)`, MySQL's `UPDATE t JOIN u`, SQLite's `UPDATE … FROM`) carries what that
    # table holds, as in the PostgreSQL frontend.
    reads_rows = bool(tree.args.get("from_") or tree.args.get("from")
                      or target.args.get("joins")
                      or (where is not None and where.find(exp.Select) is not None))
    constants = () if reads_rows else tuple(
        e.this.name for e in sets if _constant(e.expression))
    vacuous = where is not None and _always_true(where.this)
    return [o.UpdateRows(table=qname(target), has_where=where is not None and not vacuous,
                         vacuous_where=vacuous, columns=columns, kept=kept,
                         constants=constants, **ctx.kw())]


def _constant(value: Any) -> bool:
    """Whether a value is a constant: a literal (NULL, TRUE too), a cast of one, a negated
    one, or DEFAULT."""
    from sqlglot import exp

    while isinstance(value, exp.Cast | exp.Neg | exp.Paren):
        value = value.this
    return isinstance(value, exp.Literal | exp.Null | exp.Boolean) or (
        isinstance(value, exp.Var | exp.Column) and value.name.upper() == "DEFAULT")


def _insert(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    from sqlglot import exp

    target = tree.this
    if isinstance(target, exp.Schema):
        target = target.this
    if not isinstance(target, exp.Table):
        return []
    return [o.InsertRows(table=qname(target), sources=_row_sources(tree.expression),
                         constant=_constant_rows(tree.expression),
                         selected=_selected(tree.expression),
                         filtered=_filtered(tree.expression), **ctx.kw())]


def _filtered(query: Any) -> bool:
    """Whether an `INSERT … SELECT`'s WHERE keeps rows out by more than `IS NOT NULL`."""
    from sqlglot import exp

    where = query.args.get("where") if isinstance(query, exp.Select) else None
    return where is not None and not _not_null_tests(where.this)


def _not_null_tests(node: Any) -> bool:
    from sqlglot import exp

    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        return isinstance(node.this.expression, exp.Null)
    if isinstance(node, exp.And):
        return _not_null_tests(node.this) and _not_null_tests(node.expression)
    return False


def _selected(query: Any) -> frozenset[str] | None:
    """The columns an `INSERT … SELECT`'s select list reads; None for a `*` or anything
    but a plain SELECT."""
    from sqlglot import exp

    if not isinstance(query, exp.Select) or not query.expressions:
        return None
    read: set[str] = set()
    for item in query.expressions:
        if isinstance(item, exp.Star) or item.find(exp.Star) is not None:
            return None
        read.update(c.name.lower() for c in item.find_all(exp.Column))
    return frozenset(read)


def _constant_rows(query: Any) -> bool:
    """Whether an INSERT's rows are `VALUES` lists of constants only."""
    from sqlglot import exp

    return isinstance(query, exp.Values) and bool(query.expressions) and all(
        _constant(value) for row in query.expressions for value in
        (row.expressions if isinstance(row, exp.Tuple) else [row]))


def _row_sources(query: Any) -> tuple[QName, ...]:
    """The tables whose rows a query reads: those of its FROM and JOIN clauses, through
    sub-selects there and each branch of a UNION; not those a condition reads, nor a common
    table expression. In order, without repeats."""
    from sqlglot import exp

    out: dict[QName, None] = {}
    if query is None:
        return ()
    # A WITH may belong to the INSERT or to the SELECT: the names of the whole statement's.
    ctes = {c.alias_or_name for c in query.root().find_all(exp.CTE)}
    stack = [query]
    while stack:
        node = stack.pop(0)
        if isinstance(node, exp.Subquery):
            stack.insert(0, node.this)
        elif isinstance(node, exp.SetOperation):
            stack[:0] = [node.this, node.expression]
        elif isinstance(node, exp.Select):
            # Newer sqlglot names the FROM argument `from_`, older releases `from`.
            from_ = node.args.get("from_") or node.args.get("from")
            items = [from_.this] if from_ is not None else []
            items += [j.this for j in node.args.get("joins") or ()]
            for item in items:
                if isinstance(item, exp.Table) and not (not item.db and item.name in ctes):
                    out[qname(item)] = None
                elif isinstance(item, exp.Subquery):
                    stack.append(item)
    return tuple(out)


def _set(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    """`SET foreign_key_checks = 0` (MySQL), `PRAGMA foreign_keys = OFF` (SQLite)."""
    from sqlglot import exp

    items = tree.expressions if isinstance(tree, exp.Set) else [tree]
    out: list[o.Operation] = []
    for item in items:
        target = item.this if isinstance(item, (exp.SetItem, exp.Pragma)) else item
        if isinstance(target, exp.EQ):
            name = target.this.sql(dialect=ctx.dialect).strip("`\"").lower()
            value = target.expression.sql(dialect=ctx.dialect).strip("'\"")
            out.append(o.SetSetting(name=name, value=value, **ctx.kw()))
        elif target is not None:
            out.append(o.SetSetting(name=target.sql(dialect=ctx.dialect).lower(), value=None,
                                    **ctx.kw()))
    return out


def _transaction(tree: Any, ctx: _Ctx) -> list[o.Operation]:
    action = {"Transaction": "begin", "Commit": "commit", "Rollback": "rollback"}[
        type(tree).__name__]
    return [o.TransactionControl(action=action, **ctx.kw())]  # type: ignore[arg-type]


_TRANSLATORS: dict[str, Callable[[Any, _Ctx], list[o.Operation]]] = {
    "Create": _create, "Drop": _drop, "Alter": _alter, "Command": _command,
    "TruncateTable": _truncate, "Delete": _delete, "Update": _update, "Insert": _insert,
    "Transaction": _transaction, "Commit": _transaction, "Rollback": _transaction,
    "Set": _set, "Pragma": _set,
}
