"""Alembic's `op.*` (and `batch_op.*`) calls to operations of the IR.

One function per Alembic operation, picked from a table. An argument the tool cannot know
statically (a table name in a variable bound at run time) turns the call into `RawSQL` that
says so: the rules still see that something happened there, and nothing is guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from schemagate.model import ops as o
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.parse.alembic.eval import Env, sqlalchemy_name
from schemagate.parse.alembic.source import LineIndex, Text
from schemagate.parse.alembic.types import (
    ColumnInfo,
    args_of,
    column_of,
    default_of,
    enum_of,
    has_star,
    last_name,
    made_later,
    sql_expr,
    strings_of,
    table_constraint_of,
    type_of,
)

_INTEGERS = frozenset({"int2", "int4", "int8"})
_CONSTRAINT_TYPES: dict[str, o.ConstraintKind] = {
    "foreignkey": "foreign", "unique": "unique", "check": "check", "primary": "primary"}


@dataclass(frozen=True)
class Batch:
    """The table of a `with op.batch_alter_table(...) as batch_op:` block."""

    table: QName | None  # None: the name is not known statically
    name: str  # the `as` name
    recreate: str = "auto"


@dataclass
class Call:
    """One `op.x(...)` call being translated: its arguments and where it stands."""

    method: str
    node: cst.Call
    env: Env
    span: Span
    index: int
    batch: Batch | None
    dynamic: str  # why values here are known only at run time (a loop), if they are
    lines: LineIndex  # where the call's arguments are, in the file

    def __post_init__(self) -> None:
        self.positional, self.keywords = args_of(self.node)
        # batch_op calls have no table argument (the block gives it): the arguments after
        # where the table would be move one place left.
        self.table_at = _TABLE_AT.get(self.method, 0)

    @property
    def receiver(self) -> str:
        """What the call is made on, as written: `op`, or the batch block's `as` name."""
        return self.batch.name if self.batch is not None else "op"

    def kw(self, clause: Span | None = None) -> dict[str, Any]:
        return {"span": self.span, "statement": self.index, "clause": clause}

    def node_span(self, node: cst.CSTNode) -> Span | None:
        """Where an argument written in the call (`sa.Column(...)`) stands, if it is there."""
        where = self.env.offsets.get(node)
        if where is None:
            return None
        return self.lines.span(self.span.path, *where)

    def keyword_span(self, name: str) -> Span | None:
        """Where `name=value` stands in the call, without its comma.

        Only calls and strings have recorded offsets, so the call's own text is parsed again
        by Python's `ast`, which gives every keyword argument its start and end (in UTF-8
        bytes of each line, turned into characters here)."""
        where = self.env.offsets.get(self.node)
        if where is None or name not in self.keywords:
            return None
        text = self.env.code[where[0]:where[1]]
        try:
            tree = ast.parse(f"({text})", mode="eval")  # parenthesized: lines may break
        except SyntaxError:
            return None
        call = tree.body
        found = next((k for k in call.keywords if k.arg == name), None) if isinstance(
            call, ast.Call) else None
        if found is None or found.end_lineno is None or found.end_col_offset is None:
            return None
        lines = f"({text})".splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))

        def offset(lineno: int, col: int) -> int:
            chars = len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8", "replace"))
            return where[0] + starts[lineno - 1] + chars - 1  # less the added "("

        return self.lines.span(self.span.path, offset(found.lineno, found.col_offset),
                               offset(found.end_lineno, found.end_col_offset))

    def raw(self, reason: str, kind: str = "") -> o.RawSQL:
        code = cst.Module(body=[]).code_for_node(self.node)
        why = self.dynamic if self.dynamic and "run time" in reason else reason
        return o.RawSQL(statement_kind=kind or f"{self.receiver}.{self.method}", sql=code,
                        reason=why, **self.kw())

    def arg(self, index: int, name: str) -> cst.BaseExpression | None:
        """An argument by keyword, else by position (positions counted as in `op.x`)."""
        if name in self.keywords:
            return self.keywords[name]
        if index < 0:
            return None
        if self.batch is not None and index > self.table_at:
            index -= 1
        if 0 <= index < len(self.positional):
            return self.positional[index]
        return None

    def no_table(self, index: int, name: str) -> str:
        """Why the table of a call whose table is not known is not: not given at all (Alembic
        raises TypeError), or given as a value only run time knows."""
        if self.batch is None and self.arg(index, name) is None:
            return f"no table name given: `op.{self.method}` requires one"
        return _TABLE

    def string(self, index: int, name: str) -> str | None:
        return self.env.string(self.arg(index, name))

    def object_name(self, index: int, name: str) -> str | None:
        """An index or constraint name argument, as SQLAlchemy renders it
        (`Env.object_name`)."""
        return self.env.object_name(self.arg(index, name))

    def value(self, name: str, default: Any = None) -> Any:
        node = self.keywords.get(name)
        if node is None:
            return default
        value = self.env.value(node)
        return value.value if isinstance(value, Text) else value

    def table(self, index: int = 0, name: str = "table_name",
              schema_key: str = "schema") -> QName | None:
        if self.batch is not None:
            return self.batch.table
        table = self.string(index, name)
        if table is None:
            return None
        schema = self.value(schema_key)
        return self.env.qname(table, schema if isinstance(schema, str) else None)


Builder = Callable[[Call], list[o.Operation]]


def translate(call: Call) -> list[o.Operation]:
    """The operations of one `op.*` call."""
    builder = _BUILDERS.get(call.method)
    if builder is None:
        if call.method in _NO_DDL:
            return []
        return [call.raw("an Alembic operation the tool does not model")]
    try:
        ops = builder(call)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return [call.raw("arguments the tool cannot read")]
    return [_per_table(op) for op in ops] if call.env.indexes_per_table else ops


def _per_table(op: o.Operation) -> o.Operation:
    """An index, or the index a constraint owns, named within its table, as the SQL
    frontend names MySQL's (`CreateIndex.per_table`). `_drop_index` names the table of the
    index it drops itself: only the call knows it."""
    match op:
        case o.CreateIndex():
            return replace(op, per_table=True)
        case o.CreateTable() | o.AddColumn():
            return replace(op, constraints=tuple(replace(con, index_per_table=True)
                                                 for con in op.constraints))
        case o.AddConstraint():
            return replace(op, constraint=replace(op.constraint, index_per_table=True))
    return op


def _run_time(what: str) -> str:
    """The reason for a call one of whose arguments only run time knows."""
    return f"{what} known only at run time"


_TABLE = _run_time("table name")
_COLUMN = _run_time("column name")
_COLUMNS = _run_time("column names")
_INDEX_COLUMNS = _run_time("index columns")
_CONSTRAINT_NAME = _run_time("constraint name")
_INDEX_NAME = _run_time("index name")


def _column_name(c: Call, index: int, name: str) -> tuple[str | None, str]:
    """A column named by argument ``index``/``name``, or None and why not.

    `op.drop_column("t", sa.Column("x"))` passes a Column object where Alembic takes the
    column's name, and fails with TypeError (Alembic 1.20 on SQLAlchemy 2.1: drop_column
    builds `Column(<Column>, NULLTYPE)`, alter_column tests the object's truth value). The
    names are literals: what is wrong is the argument, not what run time knows."""
    column = c.string(index, name)
    if column is not None:
        return column, ""
    node = c.arg(index, name)
    resolved = c.env.resolve_node(node) if node is not None else None
    if isinstance(resolved, cst.Call) and last_name(resolved) == "Column":
        return None, (f"the column is given as a `sa.Column(...)` object where "
                      f"`{c.receiver}.{c.method}` takes its name as a string: Alembic 1.20 on "
                      f"SQLAlchemy 2.1 raises TypeError here")
    return None, _COLUMN


# -- tables ------------------------------------------------------------------------------

def _create_table(c: Call) -> list[o.Operation]:
    table = c.table(0, "table_name")
    if table is None:
        return [c.raw(c.no_table(0, "table_name"))]
    infos: list[ColumnInfo] = []
    constraints: list[o.ConstraintDef] = []
    indexes: list[cst.Call] = []
    complete = not has_star(c.node)
    for item in c.positional[1:]:
        info = column_of(item, c.env, table.name)
        if info is not None:
            infos.append(_located(info, c.node_span(item)))
            continue
        resolved = c.env.resolve_node(item)
        if isinstance(resolved, cst.Call) and last_name(resolved) == "Index":
            indexes.append(resolved)
            continue
        if isinstance(resolved, cst.Call) and last_name(resolved) == "MetaData":
            continue  # Neutron's `op.create_table(name, sa.MetaData(), …)`: no part of it
        if (isinstance(resolved, cst.Call) and last_name(resolved) == "ForeignKeyConstraint"
                and made_later(resolved, c.env)):
            continue
        con = table_constraint_of(item, c.env)
        if con is not None:
            constraints.append(replace(con, span=c.node_span(item)))
        else:
            complete = False
    declared = next((con for con in constraints if con.kind == "primary"), None)
    pk = declared.columns if declared else tuple(i.column.name for i in infos if i.primary_key)
    if declared is None and pk:
        constraints.insert(0, o.ConstraintDef("primary", None, pk))
    columns = _serial_primary_key(infos, pk, constraints)
    for info in infos:
        constraints.extend(info.constraints)
    out: list[o.Operation] = _enum_types(c, infos)
    out.append(o.CreateTable(
        table=table, columns=tuple(columns), constraints=tuple(constraints),
        if_not_exists=c.value("if_not_exists") is True, **c.kw()))
    out.extend(_column_index(c, table, info) for info in infos if info.index)
    for index in indexes:
        out.extend(_sa_index(c, index, table))
    if not complete:
        out.append(c.raw("columns or constraints built at run time", "op.create_table"))
    return out


def _located(info: ColumnInfo, span: Span | None) -> ColumnInfo:
    """The column, and the constraints written inside it, at the `sa.Column(...)` call."""
    if span is None:
        return info
    return replace(info, column=replace(info.column, span=span),
                   constraints=[replace(con, span=span) for con in info.constraints])


def _serial_primary_key(infos: list[ColumnInfo], pk: tuple[str, ...],
                        constraints: list[o.ConstraintDef]) -> list[o.ColumnDef]:
    """SQLAlchemy renders a lone integer primary key as SERIAL on PostgreSQL, whether the
    key is declared on the column or by a PrimaryKeyConstraint: with autoincrement "auto"
    unless a foreign key (the column's own or a ForeignKeyConstraint's) includes it, with
    True or "ignore_fk" even then, never with False (SQLAlchemy 2.1's CreateTable)."""
    keys = [i for i in infos if i.column.name in pk]
    columns = [i.column for i in infos]
    if len(pk) != 1 or len(keys) != 1:
        return columns
    key = keys[0]
    col = key.column
    foreign = key.has_fk or any(con.kind == "foreign" and col.name in con.columns
                                for con in constraints)
    auto = key.autoincrement
    increments = auto is not False and (auto in (True, "ignore_fk") or not foreign)
    if (col.type.name in _INTEGERS and col.type.schema is None and not col.identity
            and increments and not key.has_server_default and col.default is None):
        serial = replace(col, type=replace(col.type, serial=True), not_null=True)
        return [serial if c is col else c for c in columns]
    return columns


def _column_index(c: Call, table: QName, info: ColumnInfo, clause: Span | None = None
                  ) -> o.CreateIndex:
    """The index of a `sa.Column(..., index=True)`, named by SQLAlchemy's default naming
    convention, `ix_%(column_0_label)s`: `ix_<table>_<column>`, the schema first when the
    call names one (`ix_<schema>_<table>_<column>`), shortened as SQLAlchemy shortens the
    names it builds. A convention of the project's own for "ix" would name it otherwise; the
    history's index names are not checked for Alembic (`unknown-object`)."""
    schema = c.value("schema")
    if c.batch is not None:  # the block's schema; the dialect's own is taken for none given
        schema = table.schema if table != c.env.qname(table.name) else None
    label = f"{table.name}_{info.column.name}"
    if isinstance(schema, str):
        label = f"{schema.replace('.', '_')}_{label}"
    name = sqlalchemy_name(f"ix_{label}", c.env.dialect)
    return o.CreateIndex(name=QName(table.schema, name), table=table,
                         columns=(info.column.name,), unique=info.unique_index,
                         **c.kw(clause))


def _enum_types(c: Call, infos: list[ColumnInfo]) -> list[o.Operation]:
    """The named enums SQLAlchemy creates before a table that uses them."""
    out: list[o.Operation] = []
    seen: set[QName] = set()
    for info in infos:
        if info.enum is not None and info.enum[0] not in seen:
            seen.add(info.enum[0])
            out.append(o.CreateType(name=info.enum[0], enum_values=info.enum[1], **c.kw()))
    return out


def _sa_index(c: Call, node: cst.Call, table: QName) -> list[o.Operation]:
    positional, keywords = args_of(node)
    name = c.env.object_name(positional[0]) if positional else None
    columns, expressions = _index_elements(c.env, positional[1:])
    if columns is None:
        return [c.raw(_INDEX_COLUMNS, "op.create_table")]
    return [_index_op(c, QName(table.schema, name) if name else None, table, columns,
                      expressions, keywords)]


def _drop_table(c: Call) -> list[o.Operation]:
    table = c.table(0, "table_name")
    if table is None:
        return [c.raw(c.no_table(0, "table_name"))]
    return [o.DropTable(tables=(table,), if_exists=c.value("if_exists") is True, **c.kw())]


def _rename_table(c: Call) -> list[o.Operation]:
    table = c.table(0, "old_table_name")
    new = c.string(1, "new_table_name")
    if table is None or new is None:
        return [c.raw(c.no_table(0, "old_table_name") if table is None
                      else _run_time("new table name"))]
    return [o.RenameTable(table=table, new_name=new, **c.kw())]


def _comment(c: Call) -> list[o.Operation]:
    return [o.RawSQL(statement_kind="CommentStmt", sql=c.raw("").sql, **c.kw())]


# -- columns -----------------------------------------------------------------------------

def _add_column(c: Call) -> list[o.Operation]:
    table = c.table(0, "table_name")
    node = c.arg(1, "column")
    info = column_of(node, c.env) if node is not None else None
    if table is None:
        return [c.raw(c.no_table(0, "table_name"))]
    if info is None or node is None:
        return [c.raw(_run_time("the column's name or type"))]
    where = c.node_span(node)
    info = _located(info, where)
    constraints = list(info.constraints)
    if info.primary_key:
        constraints.insert(0, o.ConstraintDef("primary", None, (info.column.name,)))
    if c.env.dialect == "sqlite":
        # Alembic adds no constraint to a SQLite table (NotImplementedError) but in batch
        # mode, whose copy of the table holds the column's constraints.
        return [o.AddColumn(table=table, column=info.column, constraints=tuple(constraints),
                            if_not_exists=c.value("if_not_exists") is True, **c.kw(where))]
    # Alembic adds the column, then each of the table's other constraints by ALTER TABLE …
    # ADD (a foreign key, `unique=True`), then its indexes (`index=True`): one statement
    # each. `inline_references=True` writes a lone one-column foreign key into the column.
    keys = [con for con in (*info.constraints, *info.later) if con.kind == "foreign"]
    inline = [con for con in constraints if con.kind == "primary"]
    if c.value("inline_references") is True and len(keys) == 1:
        inline += keys
    added = [con for con in (*info.constraints, *info.later) if con not in inline]
    out: list[o.Operation] = [o.AddColumn(
        table=table, column=info.column, constraints=tuple(inline),
        if_not_exists=c.value("if_not_exists") is True, **c.kw(where))]
    out += [o.AddConstraint(table=table, constraint=con, **c.kw(where)) for con in added]
    if info.index:
        out.append(_column_index(c, table, info, where))
    return out


def _drop_column(c: Call) -> list[o.Operation]:
    table = c.table(0, "table_name")
    column, why = _column_name(c, 1, "column_name")
    if column is None:
        return [c.raw(why)]
    if table is None:
        return [c.raw(c.no_table(0, "table_name"))]
    return [o.DropColumn(table=table, column=column, if_exists=c.value("if_exists") is True,
                         **c.kw())]


def _alter_column(c: Call) -> list[o.Operation]:
    table = c.table(0, "table_name")
    column, why = _column_name(c, 1, "column_name")
    if column is None:
        return [c.raw(why)]
    if table is None:
        return [c.raw(c.no_table(0, "table_name"))]
    out: list[o.Operation] = []
    if "type_" in c.keywords:
        old = c.keywords.get("existing_type")
        using = c.value("postgresql_using")
        out.append(o.AlterColumnType(
            table=table, column=column, new_type=type_of(c.keywords["type_"], c.env),
            using=sql_expr(using) if isinstance(using, str) else None,
            old_type=type_of(old, c.env) if old is not None else None,
            **c.kw(c.keyword_span("type_"))))
    if "nullable" in c.keywords:
        nullable = c.value("nullable")
        # Alembic sends the change even when `existing_nullable` says it is no change.
        already = "existing_nullable" in c.keywords and \
            c.value("existing_nullable") is nullable
        if nullable is True:
            out.append(o.DropNotNull(table=table, column=column, already=already,
                                     **c.kw(c.keyword_span("nullable"))))
        elif nullable is False:
            out.append(o.SetNotNull(table=table, column=column, already=already,
                                    **c.kw(c.keyword_span("nullable"))))
        elif nullable is not None:
            out.append(c.raw("nullability known only at run time"))
    if "server_default" in c.keywords:
        node = c.keywords["server_default"]
        if c.env.value(node) is not False:  # False is Alembic's "leave it alone"
            out.append(o.SetDefault(table=table, column=column,
                                    default=default_of(node, c.env),
                                    **c.kw(c.keyword_span("server_default"))))
    new_name = c.value("new_column_name")
    if isinstance(new_name, str):
        out.append(o.RenameColumn(table=table, column=column, new_name=new_name,
                                  **c.kw(c.keyword_span("new_column_name"))))
    elif "new_column_name" in c.keywords and new_name is not None:
        out.append(c.raw(_run_time("new column name")))
    if not out and "comment" in c.keywords:
        return _comment(c)
    return out


# -- indexes -----------------------------------------------------------------------------

def _index_elements(env: Env, nodes: list[cst.BaseExpression]
                    ) -> tuple[tuple[str, ...] | None, tuple[o.Expr, ...]]:
    """Index columns (names) and expressions (`sa.text("lower(email)")`)."""
    items: list[cst.BaseExpression] = []
    named: list[str] = []  # columns known by value only (a loop's unpacked tuple)
    for node in nodes:
        value = env.value(node)
        node = env.resolve_node(node)
        if isinstance(node, (cst.List, cst.Tuple)):
            items.extend(e.value for e in node.elements)
        elif isinstance(value, tuple) and value and all(isinstance(v, Text) for v in value):
            # `for fields, name in [(['owner'], 'owner_idx'), …]: op.create_index(name, t,
            # fields)` (Ironic's node indexes): the name is bound to the value alone.
            named.extend(v.value for v in value if isinstance(v, Text))
        else:
            items.append(node)
    columns: list[str] = list(named)
    expressions: list[o.Expr] = []
    for item in items:
        item = env.resolve_node(item)
        if isinstance(item, cst.Call) and last_name(item) in ("text", "literal_column"):
            sql = env.string(args_of(item)[0][0]) if args_of(item)[0] else None
            if sql is None:
                return None, ()
            expressions.append(sql_expr(sql))
            continue
        if isinstance(item, cst.Call) and last_name(item) in ("desc", "asc"):
            item = env.resolve_node(item.func.value) if isinstance(
                item.func, cst.Attribute) else item
        name = env.string(item)
        if name is None:
            return None, ()
        columns.append(name)
    return tuple(columns), tuple(expressions)


def _index_op(c: Call, name: QName | None, table: QName, columns: tuple[str, ...],
              expressions: tuple[o.Expr, ...], keywords: dict[str, cst.BaseExpression]
              ) -> o.Operation:
    def kw_value(key: str) -> Any:
        value = c.env.value(keywords[key]) if key in keywords else None
        return value.value if isinstance(value, Text) else value

    where = keywords.get("postgresql_where") or keywords.get("sqlite_where")
    where_expr = None
    if where is not None:  # `sa.text("…")` or a plain string: SQL either way
        text = c.env.string(where)
        where_expr = sql_expr(text) if text is not None else o.Expr(
            cst.Module(body=[]).code_for_node(where))
    using = kw_value("postgresql_using")
    return o.CreateIndex(
        name=name, table=table, columns=columns, expressions=expressions,
        unique=kw_value("unique") is True,
        concurrently=kw_value("postgresql_concurrently") is True,
        if_not_exists=kw_value("if_not_exists") is True, where=where_expr,
        method=using if isinstance(using, str) else "btree", **c.kw())


def _create_index(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "index_name")
    table = c.table(1, "table_name")
    columns_node = c.arg(2, "columns")
    if table is None:
        return [c.raw(c.no_table(1, "table_name"))]
    if columns_node is None:
        return [c.raw("no index columns given")]
    columns, expressions = _index_elements(c.env, [columns_node])
    if columns is None:
        return [c.raw(_INDEX_COLUMNS)]
    name_node = c.arg(0, "index_name")
    if name is None and name_node is not None and c.env.value(name_node) is not None:
        return [c.raw(_INDEX_NAME)]
    qname = QName(table.schema, name) if name else None
    return [_index_op(c, qname, table, columns, expressions, c.keywords)]


def _drop_index(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "index_name")
    given = c.value("schema")
    schema = given if isinstance(given, str) else None
    if c.batch is not None:
        table = c.batch.table
    else:
        table_name = c.string(1, "table_name")
        table = c.env.qname(table_name, schema) if table_name else None
    if name is None:
        return [c.raw(_INDEX_NAME)]
    index = QName(table.schema, name) if table is not None else c.env.qname(name, schema)
    return [o.DropIndex(names=(index,),
                        concurrently=c.value("postgresql_concurrently") is True,
                        if_exists=c.value("if_exists") is True,
                        table=table if c.env.indexes_per_table else None, **c.kw())]


# -- constraints -------------------------------------------------------------------------

def _constraint(c: Call, kind: o.ConstraintKind, columns_at: int) -> list[o.Operation]:
    name = c.object_name(0, "constraint_name")
    table = c.table(1, "table_name")
    columns = strings_of(c.arg(columns_at, "columns"), c.env)
    if table is None or columns is None:
        return [c.raw(c.no_table(1, "table_name") if table is None else _COLUMNS)]
    con = o.ConstraintDef(kind, name, columns, deferrable=c.value("deferrable") is True)
    return [o.AddConstraint(table=table, constraint=con, **c.kw())]


def _create_unique(c: Call) -> list[o.Operation]:
    return _constraint(c, "unique", 2)


def _create_primary(c: Call) -> list[o.Operation]:
    return _constraint(c, "primary", 2)


def _create_foreign_key(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "constraint_name")
    if c.batch is not None:
        table: QName | None = c.batch.table
        # batch_op.create_foreign_key(name, referent_table, local_cols, remote_cols)
        referent, local, remote = (c.positional[i] if i < len(c.positional) else None
                                   for i in (1, 2, 3))
        referent = c.keywords.get("referent_table", referent)
        local = c.keywords.get("local_cols", local)
        remote = c.keywords.get("remote_cols", remote)
    else:
        table = c.table(1, "source_table", "source_schema")
        referent, local, remote = c.arg(2, "referent_table"), c.arg(3, "local_cols"), \
            c.arg(4, "remote_cols")
    ref_name = c.env.string(referent)
    local_cols, remote_cols = strings_of(local, c.env), strings_of(remote, c.env)
    if table is None or ref_name is None:
        return [c.raw(c.no_table(1, "source_table") if table is None
                      else _run_time("referenced table"))]
    if local_cols is None or remote_cols is None:
        return [c.raw(_COLUMNS)]
    ref_schema = c.value("referent_schema")
    con = o.ConstraintDef(
        "foreign", name, local_cols, c.env.qname(ref_name, ref_schema if isinstance(
            ref_schema, str) else None), remote_cols,
        not_valid=c.value("postgresql_not_valid") is True,
        deferrable=c.value("deferrable") is True,
        name_at_run_time=c.env.name_at_run_time(c.arg(0, "constraint_name")),
        on_delete=o.fk_action(c.value("ondelete")))
    return [o.AddConstraint(table=table, constraint=con, **c.kw())]


def _create_check(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "constraint_name")
    table = c.table(1, "table_name")
    condition = c.arg(2, "condition")
    if table is None or condition is None:
        return [c.raw(c.no_table(1, "table_name") if table is None else "no condition given")]
    sql = c.env.string(condition)
    expr = sql_expr(sql) if sql is not None else o.Expr(cst.Module(body=[]).code_for_node(
        condition))
    con = o.ConstraintDef("check", name, (), expr=expr,
                          not_valid=c.value("postgresql_not_valid") is True)
    return [o.AddConstraint(table=table, constraint=con, **c.kw())]


def _create_exclude(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "constraint_name")
    table = c.table(1, "table_name")
    if table is None:
        return [c.raw(c.no_table(1, "table_name"))]
    return [o.AddConstraint(table=table, constraint=o.ConstraintDef("exclusion", name),
                            **c.kw())]


def _drop_constraint(c: Call) -> list[o.Operation]:
    name = c.object_name(0, "constraint_name")
    table = c.table(1, "table_name")
    name_node = c.arg(0, "constraint_name")
    if name is None and name_node is not None and c.env.value(name_node) is None:
        return [c.raw("no constraint name: Alembic cannot drop a constraint named None (an "
                      "autogenerated placeholder never filled in)",
                      kind=o.UNNAMED_DROP_CONSTRAINT)]
    if name is None:
        return [c.raw(_CONSTRAINT_NAME)]
    if table is None:
        return [c.raw(c.no_table(1, "table_name"))]
    return [o.DropConstraint(table=table, name=name, if_exists=c.value("if_exists") is True,
                             **c.kw())]


# -- data ----------------------------------------------------------------------------

def _bulk_insert(c: Call) -> list[o.Operation]:
    from schemagate.parse.alembic.eval import TableRef

    target = c.env.value(c.arg(0, "table"))
    if not isinstance(target, TableRef):
        return [c.raw(_run_time("table"))]
    return [o.InsertRows(table=c.env.qname(target.name, target.schema), **c.kw())]


def enum_lifecycle(node: cst.Call, env: Env, span: Span, index: int) -> list[o.Operation]:
    """`sa.Enum(..., name="x").create(bind)` / `.drop(bind)`: CREATE TYPE / DROP TYPE."""
    if not isinstance(node.func, cst.Attribute):
        return []
    found = enum_of(node.func.value, env)
    if found is None:
        return []
    name, values = found
    if node.func.attr.value == "create":
        return [o.CreateType(name=name, enum_values=values, span=span, statement=index)]
    checkfirst = any(a.keyword is not None and a.keyword.value == "checkfirst"
                     and env.value(a.value) is True for a in node.args)
    return [o.DropType(names=(name,), if_exists=checkfirst, span=span, statement=index)]


# Alembic calls that send no DDL.
_NO_DDL = frozenset({
    "get_bind", "get_context", "f", "inline_literal", "implementation_for", "invoke",
    "batch_alter_table", "register_operation", "run_async",
})

_BUILDERS: dict[str, Builder] = {
    "create_table": _create_table, "drop_table": _drop_table, "rename_table": _rename_table,
    "add_column": _add_column, "drop_column": _drop_column, "alter_column": _alter_column,
    "create_index": _create_index, "drop_index": _drop_index,
    "create_unique_constraint": _create_unique, "create_primary_key": _create_primary,
    "create_foreign_key": _create_foreign_key, "create_check_constraint": _create_check,
    "create_exclude_constraint": _create_exclude, "drop_constraint": _drop_constraint,
    "bulk_insert": _bulk_insert, "create_table_comment": _comment,
    "drop_table_comment": _comment,
}

# Where the table argument of an operation is: batch_op calls leave it out.
_TABLE_AT = {
    "create_index": 1, "drop_index": 1, "create_unique_constraint": 1,
    "create_primary_key": 1, "create_foreign_key": 1, "create_check_constraint": 1,
    "create_exclude_constraint": 1, "drop_constraint": 1,
}
