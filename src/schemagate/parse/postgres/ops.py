"""PostgreSQL parse trees (pglast's JSON form) to operations of the IR.

One function per statement kind, picked from a table. A kind not in the table, or a form of
a known kind the IR does not model, becomes ``RawSQL`` naming the kind: never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from schemagate.model import ops as o
from schemagate.model.locks import LockMode
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.parse.postgres.expr import (
    Node,
    expr,
    nodes,
    nodes_of,
    qname,
    qname_from_list,
    strings,
    type_ref,
)
from schemagate.parse.postgres.libpg import statements
from schemagate.parse.postgres.locate import Locator
from schemagate.parse.postgres.plpgsql import block_action, guarded_statement, read_block
from schemagate.parse.postgres.query_columns import query_columns, row_sources

_CONSTRAINT_KINDS: dict[str, o.ConstraintKind] = {
    "CONSTR_PRIMARY": "primary", "CONSTR_UNIQUE": "unique", "CONSTR_FOREIGN": "foreign",
    "CONSTR_CHECK": "check", "CONSTR_EXCLUSION": "exclusion",
}


class _Ctx:
    """What every translator needs to build an operation: where the statement stands, and
    (when the frontend can tell) where its clauses stand."""

    __slots__ = ("index", "locate", "span", "sql")

    def __init__(self, span: Span, index: int, sql: str, locate: Locator | None) -> None:
        self.span, self.index, self.sql, self.locate = span, index, sql, locate

    def kw(self, clause: Span | None = None) -> dict[str, Any]:
        return {"span": self.span, "statement": self.index, "clause": clause}

    def raw(self, kind: str, reason: str = "", tables: tuple[QName, ...] = (),
            clause: Span | None = None) -> o.RawSQL:
        return o.RawSQL(statement_kind=kind, sql=self.sql, reason=reason, tables=tables,
                        **self.kw(clause))

    def clause(self, node: Node, bound: int | None = None) -> Span | None:
        """The span of the clause a node (a column or constraint definition) starts; `bound`
        is where the next one starts, if known."""
        if self.locate is None or "location" not in node:
            return None
        return self.locate.clause(node["location"], bound)


Translator = Callable[[Node, _Ctx], list[o.Operation]]


def to_ops(stmt: Node, span: Span, index: int, sql: str,
           locate: Locator | None = None) -> tuple[o.Operation, ...]:
    """Translate one statement (``{"AlterTableStmt": {...}}``) into operations; `locate`
    gives the spans of its clauses."""
    kind, body = next(iter(stmt.items()))
    ctx = _Ctx(span, index, sql, locate)
    translate = _TRANSLATORS.get(kind)
    if translate is None:
        return (ctx.raw(kind),)
    return tuple(translate(body, ctx)) or (ctx.raw(kind),)


# --- column and constraint definitions -------------------------------------------------

def _column_def(node: Node, ctx: _Ctx, bound: int | None = None
                ) -> tuple[o.ColumnDef, list[o.ConstraintDef]]:
    """A column and the table constraints its inline constraints amount to; `bound` is where
    the next element of the table starts, if known."""
    name = node["colname"]
    typ = type_ref(node["typeName"])
    not_null = bool(node.get("is_not_null"))
    default = generated = None
    identity = False
    constraints: list[o.ConstraintDef] = []
    locate = ctx.locate
    items = node.get("constraints")
    if items:
        items = [item["Constraint"] for item in items]
        last = len(items) - 1
        for i, con in enumerate(items):
            contype = con["contype"]
            if contype == "CONSTR_NOTNULL":
                not_null = True
            elif contype == "CONSTR_DEFAULT":
                raw = con.get("raw_expr")
                where = None
                if raw and locate is not None and "location" in con:
                    # An inline constraint runs up to the next one, or to the end of the column.
                    stop = items[i + 1].get("location") if i < last else None
                    where = locate.until(con["location"], stop, 1, bound)
                default = expr(raw, where)
            elif contype == "CONSTR_IDENTITY":
                identity = True
                not_null = True
            elif contype == "CONSTR_GENERATED":
                where = None
                if locate is not None and "location" in con:
                    # From GENERATED to the end of the clause (STORED).
                    stop = items[i + 1].get("location") if i < last else None
                    where = locate.until(con["location"], stop, 0, bound)
                generated = expr(con.get("raw_expr"), where)
            elif contype in _CONSTRAINT_KINDS:
                where = None
                if locate is not None and "location" in con:
                    stop = items[i + 1].get("location") if i < last else None
                    where = locate.until(con["location"], stop, 0, bound)
                constraints.append(_constraint(con, (name,), where))
                if contype == "CONSTR_PRIMARY":
                    not_null = True
    if typ.serial:
        not_null = True
    col = o.ColumnDef(name, typ, not_null, default, identity, generated,
                      locate.clause(node["location"], bound)
                      if locate is not None and "location" in node else None)
    return col, constraints


def _constraint(con: Node, columns: tuple[str, ...] = (),
                span: Span | None = None) -> o.ConstraintDef:
    kind = _CONSTRAINT_KINDS[con["contype"]]
    cols = strings(con.get("keys")) or strings(con.get("fk_attrs")) or columns
    check = expr(con.get("raw_expr"))
    if kind == "check" and check is not None:
        # The columns its expression reads, as PostgreSQL records them (conkey), whether it
        # is written on a column or on the table: the same CHECK is then the same constraint.
        cols = tuple(sorted(check.columns))
    ref = qname(con["pktable"]) if con.get("pktable") else None
    return o.ConstraintDef(
        kind=kind,
        name=con.get("conname"),
        columns=cols,
        ref_table=ref,
        ref_columns=strings(con.get("pk_attrs")),
        expr=check,
        not_valid=bool(con.get("skip_validation")),
        using_index=con.get("indexname"),
        deferrable=bool(con.get("deferrable")),
        on_delete=(o.FK_ACTION_CODES.get(con.get("fk_del_action", ""))
                   if kind == "foreign" else None),
        span=span,
    )



# --- statements ---------------------------------------------------------------------

def _create_table(body: Node, ctx: _Ctx) -> list[o.Operation]:
    columns: list[o.ColumnDef] = []
    constraints: list[o.ConstraintDef] = []
    elements = body.get("tableElts") or ()
    locate, last = ctx.locate, len(elements) - 1
    for i, elt in enumerate(elements):
        # Where the next element starts bounds this one's scan (see `Locator.clause`).
        bound = None
        if locate is not None and i < last:
            bound = next(iter(elements[i + 1].values())).get("location")
        if "ColumnDef" in elt:
            col, cons = _column_def(elt["ColumnDef"], ctx, bound)
            columns.append(col)
            constraints.extend(cons)
        elif "Constraint" in elt and elt["Constraint"]["contype"] in _CONSTRAINT_KINDS:
            con = elt["Constraint"]
            constraints.append(_constraint(con, span=ctx.clause(con, bound)))
        elif "Constraint" in elt and elt["Constraint"]["contype"] == "CONSTR_NOTNULL":
            # `CONSTRAINT name NOT NULL col` (PostgreSQL 18): the column is NOT NULL.
            required = set(strings(elt["Constraint"].get("keys")))
            columns = [replace(c, not_null=True) if c.name in required else c
                       for c in columns]
    rel = body["relation"]
    parents = body.get("inhRelations") or ()
    partition_of = qname(parents[0]["RangeVar"]) if body.get("partbound") and parents else None
    return [o.CreateTable(
        table=qname(rel), columns=tuple(columns), constraints=tuple(constraints),
        if_not_exists=bool(body.get("if_not_exists")), partition_of=partition_of,
        partitioned=body.get("partspec") is not None,
        temporary=rel.get("relpersistence") == "t", **ctx.kw(),
    )]


def _create_table_as(body: Node, ctx: _Ctx) -> list[o.Operation]:
    name = qname(body["into"]["rel"])
    tables, reads = _query_reads(body.get("query"))
    if body.get("objtype") == "OBJECT_MATVIEW":
        return [o.CreateView(name=name, materialized=True, reads=reads, tables=tables,
                             **ctx.kw())]
    return [o.CreateTable(table=name, from_query=True,
                          if_not_exists=bool(body.get("if_not_exists")),
                          temporary=body["into"]["rel"].get("relpersistence") == "t",
                          query_columns=query_columns(body.get("query")),
                          sources=row_sources(body.get("query")),
                          column_names=_names(body["into"].get("colNames")), **ctx.kw())]


def _select(body: Node, ctx: _Ctx) -> list[o.Operation]:
    """SELECT … INTO creates a table, as CREATE TABLE AS does; other SELECTs are raw, with
    the functions they call."""
    into = body.get("intoClause")
    if into is None:
        return [replace(ctx.raw("SelectStmt"), calls=_calls(body))]
    rel = into["rel"]
    return [o.CreateTable(table=qname(rel), from_query=True,
                          temporary=rel.get("relpersistence") == "t",
                          query_columns=query_columns(body), sources=row_sources(body),
                          column_names=_names(into.get("colNames")), **ctx.kw())]


def _calls(body: Node) -> tuple[str, ...] | None:
    """The functions a SELECT calls, or None when a data-modifying WITH writes rows."""
    calls, *writes = nodes_of(body, ("FuncCall", "InsertStmt", "UpdateStmt", "DeleteStmt",
                                     "MergeStmt"))
    if any(writes):
        return None
    return tuple(sorted({strings(c["funcname"])[-1].lower() for c in calls}))


def _names(nodes: list[Node] | None) -> tuple[str, ...]:
    return tuple(n["String"]["sval"] for n in nodes or ())


def _alter_table(body: Node, ctx: _Ctx) -> list[o.Operation]:
    objtype = body.get("objtype", "OBJECT_TABLE")
    table = qname(body["relation"])
    out: list[o.Operation] = []
    cmds = body.get("cmds") or ()
    locate = ctx.locate if "location" in body["relation"] else None
    relation = body["relation"].get("location", 0)
    count = len(cmds)
    # An unmodelled sub-command still locks the table (not so for an index or a view).
    locked = (table,) if objtype in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE") else ()
    for i, item in enumerate(cmds):
        cmd = item["AlterTableCmd"]
        # Where action i stands: the smallest span of what it does.
        clause = locate.action(relation, count, i) if locate is not None else None
        op = _alter_table_cmd(cmd, table, objtype, ctx, clause, locate, (relation, count, i))
        if op is None:
            op = ctx.raw(f"AlterTableStmt/{cmd['subtype']}", tables=locked, clause=clause)
        elif locate is not None and getattr(op, "cascade", False):
            op = replace(op, cascade_site=locate.keyword("CASCADE", (relation, count, i)))
        out.append(op)
    return out


def _alter_table_cmd(cmd: Node, table: QName, objtype: str, ctx: _Ctx, clause: Span | None,
                     locate: Locator | None, action: tuple[int, int, int]
                     ) -> o.Operation | None:
    """One action; `clause` is where it stands, `action` (the location of the table's name,
    the number of actions, this one's index) finds a part of it through `locate`."""
    sub = cmd["subtype"]
    name = cmd.get("name", "")
    cascade = cmd.get("behavior") == "DROP_CASCADE"
    if objtype not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE") and sub not in (
        "AT_SetTableSpace",
    ):
        return None
    kw = ctx.kw(clause)
    match sub:
        case "AT_AddColumn":
            col, cons = _column_def(cmd["def"]["ColumnDef"], ctx)
            return o.AddColumn(table=table, column=col, constraints=tuple(cons),
                               if_not_exists=bool(cmd.get("missing_ok")), **kw)
        case "AT_DropColumn":
            return o.DropColumn(table=table, column=name, cascade=cascade,
                                if_exists=bool(cmd.get("missing_ok")), **kw)
        case "AT_AlterColumnType":
            coldef = cmd["def"]["ColumnDef"]
            raw = coldef.get("raw_default")
            using = expr(raw)
            if using is not None and using.sql == name:
                using = None  # `USING col` is the default conversion, written out
            cast = raw.get("TypeCast") if using is not None and raw else None
            collate = coldef.get("collClause")
            return o.AlterColumnType(table=table, column=name,
                                     new_type=type_ref(coldef["typeName"]), using=using,
                                     using_cast=type_ref(cast["typeName"]) if cast else None,
                                     collation=strings(collate["collname"])[-1]
                                     if collate else None, **kw)
        case "AT_SetNotNull":
            return o.SetNotNull(table=table, column=name, **kw)
        case "AT_DropNotNull":
            return o.DropNotNull(table=table, column=name, **kw)
        case "AT_ColumnDefault":
            raw = cmd.get("def")
            # What follows DEFAULT in the action.
            where = locate.action_after(*action, "DEFAULT") if raw and locate is not None else None
            return o.SetDefault(table=table, column=name, default=expr(raw, where), **kw)
        case "AT_AddConstraint" | "AT_AddIndexConstraint":
            con = cmd["def"]["Constraint"]
            keys = strings(con.get("keys"))
            if con["contype"] == "CONSTR_NOTNULL" and len(keys) == 1 and not con.get(
                    "skip_validation"):
                # PostgreSQL 18's named form of SET NOT NULL: the same scan, the same lock.
                return o.SetNotNull(table=table, column=keys[0], **kw)
            if con["contype"] not in _CONSTRAINT_KINDS:
                return None
            return o.AddConstraint(table=table, constraint=_constraint(con, span=ctx.clause(con)),
                                   **kw)
        case "AT_DropConstraint":
            return o.DropConstraint(table=table, name=name, cascade=cascade,
                                    if_exists=bool(cmd.get("missing_ok")), **kw)
        case "AT_ValidateConstraint":
            return o.ValidateConstraint(table=table, name=name, **kw)
        case "AT_SetTableSpace":
            return o.TableRewrite(table=table, reason="SET TABLESPACE", **kw)
        case "AT_SetLogged" | "AT_SetUnLogged":
            which = "LOGGED" if sub == "AT_SetLogged" else "UNLOGGED"
            return o.TableRewrite(table=table, reason=f"SET {which}", **kw)
        case "AT_AttachPartition":
            return o.AttachPartition(table=table, partition=qname(cmd["def"]["PartitionCmd"]
                                                                  ["name"]), **kw)
        case "AT_DetachPartition":
            part = cmd["def"]["PartitionCmd"]
            return o.DetachPartition(table=table, partition=qname(part["name"]),
                                     concurrently=bool(part.get("concurrent")), **kw)
    return None


def _rename(body: Node, ctx: _Ctx) -> list[o.Operation]:
    kind = body.get("renameType")
    new = body["newname"]
    # `ALTER TABLE name RENAME …`, `ALTER INDEX name RENAME TO …`: the RENAME is the one
    # action after the name, and a finding points there, as at any other ALTER TABLE action.
    relation = body.get("relation") or {}
    locate = ctx.locate if "location" in relation else None
    kw = ctx.kw(locate.action(relation["location"], 1, 0) if locate is not None else None)
    match kind:
        case "OBJECT_TABLE":
            return [o.RenameTable(table=qname(body["relation"]), new_name=new,
                                  if_exists=bool(body.get("missing_ok")), **kw)]
        case "OBJECT_COLUMN" if body.get("relationType", "OBJECT_TABLE") == "OBJECT_TABLE":
            return [o.RenameColumn(table=qname(body["relation"]), column=body["subname"],
                                   new_name=new, **kw)]
        case "OBJECT_TABCONSTRAINT":
            return [o.RenameConstraint(table=qname(body["relation"]), name=body["subname"],
                                       new_name=new, **kw)]
        case "OBJECT_INDEX":
            return [o.RenameIndex(name=qname(body["relation"]), new_name=new, **kw)]
        case "OBJECT_SCHEMA":
            return [o.RenameSchema(name=body["subname"], new_name=new, **kw)]
        case "OBJECT_TYPE":
            names = strings(body["object"]["List"]["items"]) if "List" in body.get(
                "object", {}) else ()
            if names:
                return [o.RenameType(name=qname_from_list(names), new_name=new, **kw)]
        case "OBJECT_SEQUENCE":
            return [o.RenameSequence(name=qname(body["relation"]), new_name=new, **kw)]
        case "OBJECT_TRIGGER":
            return [o.RenameTrigger(name=body["subname"], table=qname(body["relation"]),
                                    new_name=new, **kw)]
        case "OBJECT_FUNCTION" | "OBJECT_PROCEDURE":
            name, args = _function_signature(body["object"].get("ObjectWithArgs", {}))
            return [o.RenameFunction(name=name, arg_types=args, new_name=new, **kw)]
    return []


def _function_signature(owa: Node) -> tuple[QName, tuple[str, ...] | None]:
    """A function's name and argument types (None when the statement lists none)."""
    args = None if owa.get("args_unspecified") else tuple(
        _arg_type(a["TypeName"]) for a in owa.get("objargs") or () if "TypeName" in a)
    return qname_from_list(strings(owa.get("objname"))), args


def _arg_type(type_name: Node) -> str:
    """A function argument's type as PostgreSQL keeps it: without its modifiers, which it
    discards (`to_device_id(num numeric(20, 0))` is dropped as `to_device_id(numeric)`)."""
    return str(replace(type_ref(type_name), modifiers=()))


def _drop_names(objects: list[Node]) -> list[tuple[str, ...]]:
    out = []
    for obj in objects:
        if "List" in obj:
            out.append(strings(obj["List"]["items"]))
        elif "String" in obj:
            out.append((obj["String"]["sval"],))
        elif "TypeName" in obj:
            out.append(strings(obj["TypeName"]["names"]))
    return out


def _drop(body: Node, ctx: _Ctx) -> list[o.Operation]:
    kind = body.get("removeType")
    objects = body.get("objects") or []
    cascade = body.get("behavior") == "DROP_CASCADE"
    if_exists = bool(body.get("missing_ok"))
    kw: dict[str, Any] = {"cascade": cascade, **ctx.kw()}
    if cascade and ctx.locate is not None:
        kw["cascade_site"] = ctx.locate.keyword("CASCADE")
    names = _drop_names(objects)
    quals = tuple(qname_from_list(n) for n in names if n)
    if ctx.locate is not None and len(quals) == len(objects) > 1 and kind in (
            "OBJECT_TABLE", "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"):
        kw["name_spans"] = tuple(ctx.locate.object_names(len(objects)) or ())
    match kind:
        case "OBJECT_TABLE":
            return [o.DropTable(tables=quals, if_exists=if_exists, **kw)]
        case "OBJECT_INDEX":
            return [o.DropIndex(names=quals, concurrently=bool(body.get("concurrent")),
                                if_exists=if_exists, **kw)]
        case "OBJECT_VIEW" | "OBJECT_MATVIEW":
            return [o.DropView(names=quals, materialized=kind == "OBJECT_MATVIEW",
                               if_exists=if_exists, **kw)]
        case "OBJECT_SEQUENCE":
            return [o.DropSequence(names=quals, if_exists=if_exists, **kw)]
        case "OBJECT_TYPE" | "OBJECT_DOMAIN":
            return [o.DropType(names=quals, if_exists=if_exists,
                               domain=kind == "OBJECT_DOMAIN", **kw)]
        case "OBJECT_SCHEMA":
            return [o.DropSchema(names=tuple(n[-1] for n in names), if_exists=if_exists, **kw)]
        case "OBJECT_EXTENSION":
            return [o.DropExtension(names=tuple(n[-1] for n in names), **kw)]
        case "OBJECT_TRIGGER":
            return [o.DropTrigger(name=n[-1], table=qname_from_list(n[:-1]),
                                  if_exists=if_exists, **kw) for n in names if len(n) > 1]
        case "OBJECT_EVENT_TRIGGER":
            return [o.DropEventTrigger(names=tuple(n[-1] for n in names),
                                       if_exists=if_exists, **kw)]
        case "OBJECT_POLICY":  # unmodelled, but it locks the policy's table
            return [ctx.raw("DropStmt", tables=(qname_from_list(n[:-1]),))
                    for n in names if len(n) > 1]
        case "OBJECT_FUNCTION" | "OBJECT_PROCEDURE":
            funcs = tuple(_function_signature(obj.get("ObjectWithArgs", {})) for obj in objects)
            return [o.DropFunction(names=funcs, if_exists=if_exists, **kw)]
        case "OBJECT_COLLATION" if body.get("behavior") != "DROP_CASCADE":
            # Refused while a column or index uses it: nothing else goes with it.
            return [ctx.raw(o.DROP_COLLATION)]
    return []


def _index(body: Node, ctx: _Ctx) -> list[o.Operation]:
    table = qname(body["relation"])
    columns: list[str] = []
    expressions = []
    for param in body.get("indexParams") or ():
        elem = param["IndexElem"]
        if elem.get("name"):
            columns.append(elem["name"])
        elif elem.get("expr"):
            e = expr(elem["expr"])
            if e is not None:
                expressions.append(e)
                columns.extend(sorted(e.columns))
    name = body.get("idxname")
    return [o.CreateIndex(
        name=QName.of(name, table.schema) if name else None, table=table,
        columns=tuple(columns), expressions=tuple(expressions), unique=bool(body.get("unique")),
        concurrently=bool(body.get("concurrent")), if_not_exists=bool(body.get("if_not_exists")),
        where=expr(body.get("whereClause")), method=body.get("accessMethod", "btree"),
        **ctx.kw(),
    )]


def _query_reads(query: Node | None) -> tuple[tuple[QName, ...], tuple[tuple[QName, str], ...]]:
    """Relations a query reads, and the (relation, column) pairs it names.

    A column named without a qualifier is attributed to every relation of the query; the fold
    keeps the pairs whose relation really has that column. ``*`` reads every column.
    """
    if not query:
        return (), ()
    aliases: dict[str, QName] = {}
    tables: list[QName] = []
    # One walk of the tree for the three kinds read: a view's query is the largest tree of
    # most histories, and walking it is what reading it costs.
    withs, ranges, refs = nodes_of(query, ("WithClause", "RangeVar", "ColumnRef"))
    ctes = {c["CommonTableExpr"]["ctename"] for w in withs for c in w.get("ctes") or ()}
    for body in ranges:
        if not (body.get("schemaname") is None and body["relname"] in ctes):
            q = qname(body)
            if q not in tables:
                tables.append(q)
            alias = (body.get("alias") or {}).get("aliasname")
            aliases[alias or body["relname"]] = q
    reads: dict[tuple[QName, str], None] = {}  # in order, without repeats
    for body in refs:
        fields = body["fields"]
        col = "*" if "A_Star" in fields[-1] else fields[-1].get("String", {}).get("sval")
        if col is None:
            continue
        if len(fields) >= 2 and "String" in fields[-2]:
            target = aliases.get(fields[-2]["String"]["sval"])
            targets = [target] if target else []
        else:
            targets = tables
        for t in targets:
            reads[(t, col)] = None
    return tuple(tables), tuple(reads)


def _view(body: Node, ctx: _Ctx) -> list[o.Operation]:
    tables, reads = _query_reads(body.get("query"))
    return [o.CreateView(name=qname(body["view"]), or_replace=bool(body.get("replace")),
                         reads=reads, tables=tables, **ctx.kw())]


def _refresh(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.RefreshMaterializedView(name=qname(body["relation"]),
                                      concurrently=bool(body.get("concurrent")), **ctx.kw())]


def _create_sequence(body: Node, ctx: _Ctx) -> list[o.Operation]:
    owned = None
    for opt in body.get("options") or ():
        d = opt.get("DefElem", {})
        if d.get("defname") == "owned_by":
            names = strings(d.get("arg", {}).get("List", {}).get("items"))
            if len(names) >= 2:
                owned = (qname_from_list(names[:-1]), names[-1])
    return [o.CreateSequence(name=qname(body["sequence"]), owned_by=owned, **ctx.kw())]


def _create_enum(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateType(name=qname_from_list(strings(body["typeName"])),
                         enum_values=strings(body.get("vals")), **ctx.kw())]


def _composite(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateType(name=qname(body["typevar"]), type_kind="composite", **ctx.kw())]


def _domain(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateType(name=qname_from_list(strings(body["domainname"])), type_kind="domain",
                         **ctx.kw())]


def _alter_enum(body: Node, ctx: _Ctx) -> list[o.Operation]:
    name = qname_from_list(strings(body["typeName"]))
    if body.get("oldVal"):
        return [o.RenameEnumValue(name=name, value=body["oldVal"], new_value=body["newVal"],
                                  **ctx.kw())]
    if body.get("newVal"):
        return [o.AlterEnumAddValue(name=name, value=body["newVal"],
                                    if_not_exists=bool(body.get("skipIfNewValExists")),
                                    **ctx.kw())]
    return []


def _create_function(body: Node, ctx: _Ctx) -> list[o.Operation]:
    args = tuple(
        _arg_type(p["FunctionParameter"]["argType"])
        for p in body.get("parameters") or ()
        if p["FunctionParameter"].get("mode", "FUNC_PARAM_IN") in (
            "FUNC_PARAM_IN", "FUNC_PARAM_INOUT", "FUNC_PARAM_VARIADIC", "FUNC_PARAM_DEFAULT")
    )
    volatility = "v"
    options: dict[str, Node] = {}
    for opt in body.get("options") or ():
        d = opt.get("DefElem", {})
        options[d.get("defname", "")] = d.get("arg") or {}
        if d.get("defname") == "volatility":
            volatility = str(d["arg"]["String"]["sval"])[0]
    return [o.CreateFunction(name=qname_from_list(strings(body["funcname"])), arg_types=args,
                             or_replace=bool(body.get("replace")),
                             procedure=bool(body.get("is_procedure")),
                             volatility=volatility,  # type: ignore[arg-type]
                             inlined=_inlined(body, options), **ctx.kw())]


def _inlined(body: Node, options: dict[str, Node]) -> o.Expr | None:
    """The expression the planner puts in place of a call of a `LANGUAGE sql` function
    (PostgreSQL's `inline_function`): its body is one `SELECT expr` with nothing else, and it
    is not SECURITY DEFINER, STRICT, SET or SETOF (nor a procedure)."""
    language = options.get("language", {}).get("String", {}).get("sval", "")
    if language.lower() != "sql" or body.get("is_procedure") or \
            (body.get("returnType") or {}).get("setof") or "set" in options or any(
                options.get(flag, {}).get("Boolean", {}).get("boolval")
                for flag in ("security", "strict")):
        return None
    texts = strings(options.get("as", {}).get("List", {}).get("items"))
    stmts = statements(texts[0]) if len(texts) == 1 else None
    select = stmts[0].get("SelectStmt") if stmts is not None and len(stmts) == 1 else None
    if not select or set(select) - {"targetList", "limitOption", "op"} or \
            len(select.get("targetList") or ()) != 1:
        return None
    return expr(select["targetList"][0]["ResTarget"].get("val"))


def _create_trigger(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateTrigger(name=body["trigname"], table=qname(body["relation"]),
                            function=qname_from_list(strings(body["funcname"])),
                            or_replace=bool(body.get("replace")), **ctx.kw())]


def _create_schema(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateSchema(name=body.get("schemaname", ""),
                           if_not_exists=bool(body.get("if_not_exists")), **ctx.kw())]


def _create_extension(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.CreateExtension(name=body["extname"],
                              if_not_exists=bool(body.get("if_not_exists")), **ctx.kw())]


def _dropdb(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.DropDatabase(name=body["dbname"], **ctx.kw())]


def _truncate(body: Node, ctx: _Ctx) -> list[o.Operation]:
    cascade = body.get("behavior") == "DROP_CASCADE"
    site = ctx.locate.keyword("CASCADE") if cascade and ctx.locate is not None else None
    return [o.Truncate(tables=tuple(qname(r["RangeVar"]) for r in body["relations"]),
                       cascade=cascade, cascade_site=site, **ctx.kw())]


def _delete(body: Node, ctx: _Ctx) -> list[o.Operation]:
    where = body.get("whereClause")
    vacuous = _always_true(where)
    return [o.DeleteRows(table=qname(body["relation"]), has_where=bool(where) and not vacuous,
                         vacuous_where=vacuous, **ctx.kw())]


def _always_true(node: Node | None) -> bool:
    """Whether a WHERE holds for every row whatever the row holds: `true`, two equal
    constants compared (`1 = 1`, `'a' = 'a'`), and ANDs and ORs of them."""
    if not node:
        return False
    kind, body = next(iter(node.items()))
    if kind == "A_Const":
        return bool(body.get("boolval", {}).get("boolval"))
    if kind == "A_Expr":
        operator = strings(body.get("name") or [])
        if body.get("kind") != "AEXPR_OP" or tuple(operator)[-1:] != ("=",):
            return False
        sides = [body.get("lexpr") or {}, body.get("rexpr") or {}]
        if not all("A_Const" in side for side in sides):
            return False
        values = [{k: v for k, v in side["A_Const"].items() if k != "location"}
                  for side in sides]
        return bool(values[0]) and values[0] == values[1] and not values[0].get("isnull")
    if kind == "BoolExpr":
        args = body.get("args") or []
        if body.get("boolop") == "AND_EXPR":
            return all(_always_true(a) for a in args)
        if body.get("boolop") == "OR_EXPR":
            return any(_always_true(a) for a in args)
    return False


def _assigned(target: Node) -> Node | None:
    """The value an UPDATE's SET gives one column: in `SET (a_new, b_new) = (a, b)` (lemmy's
    column swaps), `a_new`'s is `a`; a row from a sub-select gives none the tool can read."""
    value = target.get("val")
    multi = (value or {}).get("MultiAssignRef")
    if multi is None:
        return value
    row = multi.get("source", {}).get("RowExpr")
    args = row.get("args") or () if row is not None else ()
    at = multi.get("colno", 0) - 1
    return args[at] if 0 <= at < len(args) else None


def _update(body: Node, ctx: _Ctx) -> list[o.Operation]:
    targets = [t["ResTarget"] for t in body.get("targetList") or ()]
    cols = tuple(t.get("name", "") for t in targets)
    kept = tuple(t["name"] for t in targets if t.get("name") and _keeps(t))
    copies: list[tuple[str, tuple[str, ...]]] = []
    if not body.get("fromClause"):  # else a value may read another table's columns
        for t in targets:
            value = expr(_assigned(t)) if t.get("name") and not t.get("indirection") else None
            if value is not None:
                copies.append((t["name"], tuple(sorted(value.columns))))
    where = body.get("whereClause")
    # A constant written to the rows another table picks (`FROM bans WHERE …`, `WHERE id IN
    # (SELECT …)`) carries what that table holds.
    reads_rows = bool(body.get("fromClause")) or any(
        kind == "SubLink" for kind, _ in nodes({"where": where or {}}))
    constants = () if reads_rows else tuple(
        t["name"] for t in targets
        if t.get("name") and not t.get("indirection") and _constant(t.get("val")))
    vacuous = _always_true(where)
    return [o.UpdateRows(table=qname(body["relation"]), has_where=bool(where) and not vacuous,
                         vacuous_where=vacuous, columns=cols, kept=kept,
                         copies=tuple(copies), constants=constants, pulled=_pulled(body),
                         **ctx.kw())]


def _pulled(body: Node) -> o.RowsPulled | None:
    """`UPDATE t SET a = s.x, … FROM s WHERE t.k = s.fk`: the one other table the values come
    from, the equality that matches its rows, and the columns set to one of its columns as
    they are. None for any other shape (a second table, another condition, no alias)."""
    sources: list[Node] = body.get("fromClause") or []
    if len(sources) != 1 or "RangeVar" not in sources[0]:
        return None
    source = sources[0]["RangeVar"]
    target = body["relation"]
    names = {(target.get("alias") or {}).get("aliasname") or target["relname"]: "target",
             (source.get("alias") or {}).get("aliasname") or source["relname"]: "source"}
    if len(names) != 2:
        return None

    def column(node: Node | None) -> tuple[str, str] | None:
        fields = strings(((node or {}).get("ColumnRef") or {}).get("fields"))
        if len(fields) != 2 or fields[0] not in names:
            return None
        return names[fields[0]], fields[1]

    equality = (body.get("whereClause") or {}).get("A_Expr") or {}
    if equality.get("kind") != "AEXPR_OP" or strings(equality.get("name")) != ("=",):
        return None
    sides = dict(filter(None, (column(equality.get("lexpr")), column(equality.get("rexpr")))))
    if set(sides) != {"target", "source"}:
        return None
    columns = []
    for t in body.get("targetList") or ():
        res = t["ResTarget"]
        value = column(res.get("val")) if not res.get("indirection") else None
        if value is not None and value[0] == "source" and res.get("name"):
            columns.append((res["name"], value[1]))
    if not columns:
        return None
    return o.RowsPulled(qname(source), (sides["target"], sides["source"]), tuple(columns))


def _constant(node: Node | None) -> bool:
    """Whether a value is a constant: a literal (NULL too), a cast of one, `ARRAY[…]` of
    them, or DEFAULT (the column's default, which a column added again has in every row
    already)."""
    if not node:
        return False
    if "SetToDefault" in node:
        return True
    value = expr(node)
    return value is not None and value.constant


def _keeps(target: Node) -> bool:
    """Whether `SET c = COALESCE(c, …)`: the value's first choice is the column itself
    (named bare or by its table), so a row keeps what it holds."""
    args: list[Node] = (target.get("val") or {}).get("CoalesceExpr", {}).get("args") or []
    if not args or target.get("indirection"):
        return False
    fields: list[Node] = args[0].get("ColumnRef", {}).get("fields") or []
    return bool(fields) and fields[-1].get("String", {}).get("sval") == target["name"]


def _insert(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [o.InsertRows(table=qname(body["relation"]),
                         sources=row_sources(body.get("selectStmt"), body.get("withClause")),
                         constant=_constant_rows(body.get("selectStmt")),
                         selected=_selected(body.get("selectStmt")),
                         filtered=_filtered(body.get("selectStmt")), **ctx.kw())]


def _filtered(query: Node | None) -> bool:
    """Whether an `INSERT … SELECT`'s WHERE keeps rows out by more than `IS NOT NULL`."""
    where = ((query or {}).get("SelectStmt") or {}).get("whereClause")
    return where is not None and not _not_null_tests(where)


def _not_null_tests(node: Node) -> bool:
    if "NullTest" in node:
        return bool(node["NullTest"].get("nulltesttype") == "IS_NOT_NULL")
    body = node.get("BoolExpr")
    return body is not None and body.get("boolop") == "AND_EXPR" and all(
        _not_null_tests(arg) for arg in body.get("args") or ())


def _selected(query: Node | None) -> frozenset[str] | None:
    """The columns an `INSERT … SELECT`'s select list reads; None for a `*`, a set operation
    or a list the tool cannot read."""
    select = (query or {}).get("SelectStmt") or {}
    targets = select.get("targetList")
    if not targets or select.get("op", "SETOP_NONE") != "SETOP_NONE":
        return None
    read: set[str] = set()
    for target in targets:
        value = target.get("ResTarget", {}).get("val")
        fields = (value or {}).get("ColumnRef", {}).get("fields") or ()
        if any("A_Star" in f for f in fields):
            return None
        found = expr(value)
        if found is None:
            return None
        read.update(c.lower() for c in found.columns)
    return frozenset(read)


def _constant_rows(query: Node | None) -> bool:
    """Whether an INSERT's rows are `VALUES` lists of constants only (no query at all:
    `DEFAULT VALUES`)."""
    if not query:
        return True
    select = query.get("SelectStmt") or {}
    rows: list[Node] = select.get("valuesLists") or []
    return bool(rows) and all(_constant(item) for row in rows
                              for item in row.get("List", {}).get("items") or ())


def _set(body: Node, ctx: _Ctx) -> list[o.Operation]:
    kind = body.get("kind")
    if kind == "VAR_SET_VALUE":
        args = body.get("args") or ()
        value = ", ".join(_setting_text(a) for a in args)
        return [o.SetSetting(name=body.get("name", ""), value=value,
                             local=bool(body.get("is_local")), **ctx.kw())]
    if kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return [o.SetSetting(name=body.get("name", ""), value=None,
                             local=bool(body.get("is_local")), **ctx.kw())]
    if kind == "VAR_SET_MULTI" and body.get("name") in _TRANSACTION_SETTINGS:
        # SET TRANSACTION is SET LOCAL transaction_isolation (and friends); SET SESSION
        # CHARACTERISTICS AS TRANSACTION sets their session defaults.
        prefix, local = _TRANSACTION_SETTINGS[body["name"]]
        return [o.SetSetting(name=prefix + item["DefElem"]["defname"],
                             value=_setting_text(item["DefElem"].get("arg") or {}), local=local,
                             **ctx.kw())
                for item in body.get("args") or () if "DefElem" in item]
    return []


_TRANSACTION_SETTINGS = {"TRANSACTION": ("", True),
                         "SESSION CHARACTERISTICS": ("default_", False)}


def _setting_text(node: Node) -> str:
    const = node.get("A_Const", {})
    for key in ("sval", "ival", "fval"):
        if key in const:
            return str(const[key].get(key, 0))
    return ""


_TX_ACTIONS: dict[str, Any] = {
    "TRANS_STMT_BEGIN": "begin", "TRANS_STMT_START": "begin", "TRANS_STMT_COMMIT": "commit",
    "TRANS_STMT_ROLLBACK": "rollback", "TRANS_STMT_SAVEPOINT": "savepoint",
    "TRANS_STMT_RELEASE": "release", "TRANS_STMT_ROLLBACK_TO": "rollback_to",
}


def _transaction(body: Node, ctx: _Ctx) -> list[o.Operation]:
    action = _TX_ACTIONS.get(body.get("kind", ""))
    if action is None:
        return []
    return [o.TransactionControl(action=action, **ctx.kw())]


def _reindex(body: Node, ctx: _Ctx) -> list[o.Operation]:
    target = body.get("kind", "REINDEX_OBJECT_TABLE").removeprefix("REINDEX_OBJECT_").lower()
    name = str(qname(body["relation"])) if body.get("relation") else body.get("name", "")
    concurrently = any(p.get("DefElem", {}).get("defname") == "concurrently"
                       for p in body.get("params") or ())
    return [o.Reindex(target=target, name=name, concurrently=concurrently,
                      **ctx.kw())]


def _vacuum(body: Node, ctx: _Ctx) -> list[o.Operation]:
    full = any(p.get("DefElem", {}).get("defname") == "full" for p in body.get("options") or ())
    if not full or not body.get("is_vacuumcmd"):
        return [ctx.raw("VacuumStmt")]
    rels = [qname(r["VacuumRelation"]["relation"]) for r in body.get("rels") or ()]
    return [o.TableRewrite(table=t, reason="VACUUM FULL", **ctx.kw()) for t in rels] or [
        o.TableRewrite(table=None, reason="VACUUM FULL", **ctx.kw())]


def _cluster(body: Node, ctx: _Ctx) -> list[o.Operation]:
    rel = body.get("relation")
    return [o.TableRewrite(table=qname(rel) if rel else None, reason="CLUSTER", **ctx.kw())]


def _create_policy(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [ctx.raw("CreatePolicyStmt", tables=(qname(body["table"]),))]  # locks its table


def _alter_policy(body: Node, ctx: _Ctx) -> list[o.Operation]:
    return [ctx.raw("AlterPolicyStmt", tables=(qname(body["table"]),))]  # locks its table


# LockStmt's mode: PostgreSQL's lock mode numbers (lockdefs.h), 1 = ACCESS SHARE … 8.
_LOCK_MODES = dict(enumerate(LockMode, start=1))


def _do(body: Node, ctx: _Ctx) -> list[o.Operation]:
    """A procedural block: opaque to rules, with what it certainly does for the fold. The
    effects carry the block's own span: they have no text of their own in the file."""
    def inner(stmt: Node, sql: str) -> tuple[o.Operation, ...]:
        return to_ops(stmt, ctx.span, ctx.index, sql)

    action = block_action(body, ctx.sql)
    guarded = _guarded(action, ctx)
    if guarded is not None:
        return guarded
    block = read_block(action, inner)
    return [replace(ctx.raw("DoStmt"), effects=block.effects, branches=block.branches)]


def _guarded(action: Node | None, ctx: _Ctx) -> list[o.Operation] | None:
    """A DO block that is one statement run unless its object is there already
    (`guarded_statement`): that statement's operations, each pointing into the block."""
    query = guarded_statement(action)
    at = ctx.sql.find(query) if query is not None and ctx.locate is not None else -1
    if query is None or at < 0 or ctx.locate is None:
        return None
    stmts = statements(query)
    if stmts is None or len(stmts) != 1:
        return None
    outer = ctx.locate
    start = outer.start + len(ctx.sql[:at].encode("utf-8"))
    span = outer.source.span(start, start + len(query.encode("utf-8")))
    ops = to_ops(stmts[0], span, ctx.index, query,
                 Locator(outer.source, query, start, start, span))
    return list(ops)


def _lock(body: Node, ctx: _Ctx) -> list[o.Operation]:
    tables = tuple(qname(r["RangeVar"]) for r in body.get("relations") or ())
    return [o.LockTable(tables=tables, mode=_LOCK_MODES.get(body.get("mode", 8),
                                                            LockMode.ACCESS_EXCLUSIVE),
                        nowait=bool(body.get("nowait")), **ctx.kw())]


_TRANSLATORS: dict[str, Translator] = {
    "DoStmt": _do,
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "SelectStmt": _select,
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "DropStmt": _drop,
    "IndexStmt": _index,
    "ViewStmt": _view,
    "RefreshMatViewStmt": _refresh,
    "CreateSeqStmt": _create_sequence,
    "CreateEnumStmt": _create_enum,
    "CompositeTypeStmt": _composite,
    "CreateDomainStmt": _domain,
    "AlterEnumStmt": _alter_enum,
    "CreateFunctionStmt": _create_function,
    "CreateTrigStmt": _create_trigger,
    "CreateSchemaStmt": _create_schema,
    "CreateExtensionStmt": _create_extension,
    "DropdbStmt": _dropdb,
    "TruncateStmt": _truncate,
    "DeleteStmt": _delete,
    "UpdateStmt": _update,
    "InsertStmt": _insert,
    "VariableSetStmt": _set,
    "TransactionStmt": _transaction,
    "ReindexStmt": _reindex,
    "VacuumStmt": _vacuum,
    "ClusterStmt": _cluster,
    "LockStmt": _lock,
    "CreatePolicyStmt": _create_policy,
    "AlterPolicyStmt": _alter_policy,
}
