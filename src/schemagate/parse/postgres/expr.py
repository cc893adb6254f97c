"""Expressions and type names from PostgreSQL's parse tree (pglast's JSON form).

A small deparser: enough to show a default or a cast in a message and to compare two
defaults for equality, and a walk that collects what an expression calls and reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemagate.model.names import QName
from schemagate.model.ops import Expr
from schemagate.model.span import Span
from schemagate.model.types import TypeRef, canonical

Node = dict[str, Any]

_SQL_VALUE_FUNCTIONS = {
    "SVFOP_CURRENT_DATE": "current_date", "SVFOP_CURRENT_TIME": "current_time",
    "SVFOP_CURRENT_TIME_N": "current_time", "SVFOP_CURRENT_TIMESTAMP": "current_timestamp",
    "SVFOP_CURRENT_TIMESTAMP_N": "current_timestamp", "SVFOP_LOCALTIME": "localtime",
    "SVFOP_LOCALTIME_N": "localtime", "SVFOP_LOCALTIMESTAMP": "localtimestamp",
    "SVFOP_LOCALTIMESTAMP_N": "localtimestamp", "SVFOP_CURRENT_ROLE": "current_role",
    "SVFOP_CURRENT_USER": "current_user", "SVFOP_USER": "user",
    "SVFOP_SESSION_USER": "session_user", "SVFOP_CURRENT_CATALOG": "current_catalog",
    "SVFOP_CURRENT_SCHEMA": "current_schema",
}


def strings(items: list[Node] | None) -> tuple[str, ...]:
    """The texts of a list of String nodes (qualified names, option lists)."""
    if not items:
        return ()
    return tuple([i["String"]["sval"] for i in items if "String" in i])


def qname(rangevar: Node) -> QName:
    return QName.of(rangevar["relname"], rangevar.get("schemaname"))


def qname_from_list(names: tuple[str, ...]) -> QName:
    return QName.of(names[-1], names[-2] if len(names) > 1 else None)


def type_ref(type_name: Node) -> TypeRef:
    names = strings(type_name.get("names"))
    mods = tuple(
        m["A_Const"]["ival"].get("ival", 0)
        for m in type_name.get("typmods") or ()
        if "A_Const" in m and "ival" in m["A_Const"]
    )
    dims = len(type_name.get("arrayBounds") or ())
    return canonical(names, mods, dims)


def const_text(const: Node) -> str:
    if const.get("isnull"):
        return "NULL"
    for key, inner in (("ival", "ival"), ("fval", "fval"), ("boolval", "boolval"),
                       ("sval", "sval"), ("bsval", "bsval")):
        if key in const:
            value = const[key].get(inner, 0 if key == "ival" else False)
            if key == "sval":
                return "'" + str(value).replace("'", "''") + "'"
            if key == "boolval":
                return "true" if value else "false"
            return str(value)
    return "NULL"


def deparse(node: Node | None) -> str:
    """A readable, deterministic SQL rendering of common expression nodes."""
    if not node:
        return ""
    kind, body = next(iter(node.items()))
    match kind:
        case "A_Const":
            return const_text(body)
        case "ColumnRef":
            return ".".join("*" if "A_Star" in f else f["String"]["sval"] for f in body["fields"])
        case "TypeCast":
            return f"{deparse(body.get('arg'))}::{type_ref(body['typeName'])}"
        case "FuncCall":
            name = ".".join(strings(body["funcname"]))
            if body.get("agg_star"):
                return f"{name}(*)"
            return f"{name}({', '.join(deparse(a) for a in body.get('args') or ())})"
        case "SQLValueFunction":
            return _SQL_VALUE_FUNCTIONS.get(body.get("op", ""), "current_timestamp")
        case "A_Expr":
            op = "".join(strings(body.get("name")))
            if body.get("kind") == "AEXPR_IN":  # its name is the operator each item is tested by
                op = "IN" if op == "=" else "NOT IN"
            left, right = deparse(body.get("lexpr")), deparse(body.get("rexpr"))
            return f"{left} {op} {right}".strip()
        case "List":  # the items of IN (…)
            return "(" + ", ".join(deparse(item) for item in body.get("items") or ()) + ")"
        case "BoolExpr":
            joiner = {"AND_EXPR": " AND ", "OR_EXPR": " OR "}.get(body["boolop"], "NOT ")
            parts = [deparse(a) for a in body.get("args") or ()]
            return "NOT " + parts[0] if joiner == "NOT " else "(" + joiner.join(parts) + ")"
        case "NullTest":
            test = "IS NULL" if body.get("nulltesttype") == "IS_NULL" else "IS NOT NULL"
            return f"{deparse(body.get('arg'))} {test}"
        case "A_ArrayExpr":
            return "ARRAY[" + ", ".join(deparse(e) for e in body.get("elements") or ()) + "]"
        case _:
            return f"<{kind}>"


def walk(node: Any) -> Iterator[tuple[str, Node]]:
    """Every (kind, body) pair in a parse tree, depth first."""
    return iter(nodes(node))


def nodes(node: Any) -> list[tuple[str, Node]]:
    """Every (kind, body) pair in a parse tree, as a list (a generator costs more here)."""
    out: list[tuple[str, Node]] = []
    stack = [node]
    pop, push, add = stack.pop, stack.append, out.append
    while stack:
        item = pop()
        if type(item) is dict:
            for key, value in item.items():
                kind = type(value)
                if kind is dict:
                    if key[:1].isupper():
                        add((key, value))
                    push(value)
                elif kind is list:
                    push(value)
        elif type(item) is list:
            stack.extend(item)
    return out


def nodes_of(node: Any, kinds: tuple[str, ...]) -> tuple[list[Node], ...]:
    """The bodies of the nodes of each of ``kinds`` in a parse tree, a list per kind, each in
    the order `nodes` gives them.

    The same walk as `nodes`, for a reader that wants a few kinds of a large tree (a view's
    query): it makes no pair for the nodes it does not want, and the caller reads each list
    once instead of the whole list once per kind.
    """
    found: tuple[list[Node], ...] = tuple([] for _ in kinds)
    sink = dict(zip(kinds, found, strict=True)).get
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:
            for key, value in item.items():
                kind = type(value)
                if kind is dict:
                    into = sink(key)
                    if into is not None:
                        into.append(value)
                    push(value)
                elif kind is list:
                    push(value)
        elif type(item) is list:
            stack.extend(item)
    return found


def expr(node: Node | None, span: Span | None = None) -> Expr | None:
    """The expression a node is; `span` is where it is written, if known."""
    if not node:
        return None
    simple = _simple_expr(node, span)
    if simple is not None:
        return simple
    functions: set[str] = set()
    columns: set[str] = set()
    sequences: set[str] = set()
    constant = True
    for kind, body in nodes({"root": node}):
        if kind == "FuncCall":
            constant = False
            name = strings(body["funcname"])[-1].lower()
            functions.add(name)
            args = body.get("args") or ()
            if name == "nextval" and args:
                seq = _string_arg(args[0])
                if seq:
                    sequences.add(seq)
        elif kind == "SQLValueFunction":
            constant = False
            functions.add(_SQL_VALUE_FUNCTIONS.get(body.get("op", ""), "current_timestamp"))
        elif kind in ("ColumnRef", "SubLink", "ParamRef"):
            constant = False
            if kind == "ColumnRef":
                fields = body["fields"]
                if fields and "String" in fields[-1]:
                    columns.add(fields[-1]["String"]["sval"])
    return Expr(deparse(node), frozenset(functions), frozenset(columns),
                frozenset(sequences), constant, span)


def _simple_expr(node: Node, span: Span | None) -> Expr | None:
    """The common defaults (a literal, a cast literal, `now()`), without walking the tree.

    Column definitions are most of a migration history, and most of their defaults are
    one of these; the general walk is several times slower.
    """
    kind, body = next(iter(node.items()))
    if kind == "A_Const":
        return Expr(const_text(body), constant=True, span=span)
    if kind == "TypeCast" and "A_Const" in (body.get("arg") or {}):
        return Expr(deparse(node), constant=True, span=span)
    if kind == "FuncCall" and not body.get("args"):
        name = strings(body["funcname"])[-1].lower()
        return Expr(deparse(node), frozenset((name,)), span=span)
    if kind == "SQLValueFunction":
        return Expr(deparse(node), frozenset((deparse(node),)), span=span)
    return None


def _string_arg(node: Node) -> str | None:
    """The sequence name in nextval('seq') or nextval('seq'::regclass)."""
    if "TypeCast" in node:
        node = node["TypeCast"].get("arg") or {}
    const = node.get("A_Const")
    if const and "sval" in const:
        return str(const["sval"].get("sval", ""))
    return None
