"""The output columns of a query that creates a table (CREATE TABLE AS, SELECT INTO), and
the tables a query's rows come from.

PostgreSQL names an output column by its alias, else by the column it reads, else by the
function it calls (`count(*)` is `count`); a cast keeps the name of what it casts and
gives the type. `*` and `t.*` stand for every column of the relations they name, which
only the fold knows, so they stay stars here with the relation they come from. Anything
whose name or origin cannot be told from the text (a VALUES list, an unnamed expression, a
star over a sub-select) makes the whole answer None: a table with unknown columns is
better than one with wrong columns.

The rows of a query come from the relations of its FROM clauses (joins, sub-selects there,
each branch of a UNION); a relation that only a condition reads (`WHERE id IN (SELECT …)`)
gives none, and neither does a common table expression, which is not a table.
"""

from __future__ import annotations

from typing import Any

from schemagate.model.names import QName
from schemagate.model.ops import QueryColumn
from schemagate.model.types import TypeRef
from schemagate.parse.postgres.expr import qname, type_ref

Node = dict[str, Any]


class _Unknown(Exception):
    """The query's output cannot be told from its text."""


def query_columns(query: Node | None) -> tuple[QueryColumn, ...] | None:
    """The output columns of a SelectStmt node (``{"SelectStmt": …}`` or its body)."""
    if not query:
        return None
    select = query.get("SelectStmt", query)
    try:
        return tuple(_select_columns(select))
    except _Unknown:
        return None


def row_sources(query: Node | None, with_clause: Node | None = None) -> tuple[QName, ...]:
    """The tables whose rows a SelectStmt node (``{"SelectStmt": …}`` or its body) reads, in
    order, without repeats; ``with_clause`` is the WITH of the statement around the query
    (an INSERT's)."""
    if not query:
        return ()
    out: dict[QName, None] = {}
    _select_sources(query.get("SelectStmt", query), _cte_names(with_clause), out)
    return tuple(out)


def _cte_names(with_clause: Node | None) -> set[str]:
    return {c["CommonTableExpr"]["ctename"] for c in (with_clause or {}).get("ctes") or ()}


def _select_sources(select: Node, ctes: set[str], out: dict[QName, None]) -> None:
    ctes = ctes | _cte_names(select.get("withClause"))
    if select.get("op", "SETOP_NONE") != "SETOP_NONE":
        _select_sources(select["larg"], ctes, out)
        _select_sources(select["rarg"], ctes, out)
        return
    stack = list(select.get("fromClause") or ())
    while stack:
        kind, body = next(iter(stack.pop(0).items()))
        if kind == "RangeVar":
            if body.get("schemaname") is not None or body["relname"] not in ctes:
                out[qname(body)] = None
        elif kind == "JoinExpr":
            stack[:0] = [body["larg"], body["rarg"]]
        elif kind == "RangeSubselect":
            _select_sources(body["subquery"].get("SelectStmt", body["subquery"]), ctes, out)


def _select_columns(select: Node) -> list[QueryColumn]:
    if select.get("op", "SETOP_NONE") != "SETOP_NONE":  # UNION …: the first branch names them
        return _select_columns(select["larg"])
    if select.get("valuesLists") or not select.get("targetList"):
        raise _Unknown
    relations: list[tuple[str, QName | None]] = []  # (name or alias, relation), in FROM order
    for item in select.get("fromClause") or ():
        _from_item(item, relations)
    by_name = dict(relations)
    out: list[QueryColumn] = []
    for target in select["targetList"]:
        res = target["ResTarget"]
        out.extend(_target(res.get("name"), res["val"], relations, by_name))
    return out


def _from_item(item: Node, relations: list[tuple[str, QName | None]]) -> None:
    kind, body = next(iter(item.items()))
    if kind == "RangeVar":
        alias = (body.get("alias") or {}).get("aliasname")
        relations.append((alias or body["relname"], qname(body)))
    elif kind == "JoinExpr":
        _from_item(body["larg"], relations)
        _from_item(body["rarg"], relations)
    else:  # a sub-select, a function: its columns are not known here
        alias = (body.get("alias") or {}).get("aliasname", "")
        relations.append((alias, None))


def _target(name: str | None, val: Node, relations: list[tuple[str, QName | None]],
            by_name: dict[str, QName | None]) -> list[QueryColumn]:
    kind, body = next(iter(val.items()))
    typ: TypeRef | None = None
    if kind == "TypeCast":
        typ = type_ref(body["typeName"])
        kind, body = next(iter(body["arg"].items()))
    if kind == "ColumnRef":
        fields = body["fields"]
        qualifier = fields[-2]["String"]["sval"] if len(fields) >= 2 and "String" in fields[-2] \
            else None
        if qualifier is not None and qualifier not in by_name:
            raise _Unknown
        if "A_Star" in fields[-1]:
            sources = [by_name[qualifier]] if qualifier else [r for _, r in relations]
            if not sources or None in sources:
                raise _Unknown
            return [QueryColumn(None, source) for source in sources]
        column = fields[-1]["String"]["sval"]
        source = by_name[qualifier] if qualifier else (
            relations[0][1] if len(relations) == 1 else None)
        return [QueryColumn(name or column, source, column, typ)]
    if name is not None:
        return [QueryColumn(name, type=typ)]
    if kind == "FuncCall":
        return [QueryColumn(body["funcname"][-1]["String"]["sval"])]
    raise _Unknown
