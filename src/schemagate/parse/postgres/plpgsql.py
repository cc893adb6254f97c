"""What a `DO` block certainly does to the schema.

A procedural block can do anything, so rules see it as one opaque statement. But teams put
plain DDL in `DO` blocks (saleor drops foreign keys that way, then their indexes in the
next migration), and a fold blind to it keeps those constraints forever, which makes later
findings false. The statements a block runs on every path are as certain as the same
statements outside it: those are the block's effects, which the fold applies.

Certain means: static SQL (`PLpgSQL_stmt_execsql`) in the outermost block, or in a plain
nested block, before the first statement that could leave the block early (a RETURN, an
EXIT, a RAISE of an error, or a branch or loop holding one). A block with an EXCEPTION
clause may roll its statements back, so it has no certain effects. What runs under IF,
in loops and through EXECUTE stays unknown, as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from schemagate.model import ops as o
from schemagate.parse.postgres.libpg import pg

Node = dict[str, Any]
# Translates one parsed statement of the block's SQL into operations.
ToOps = Callable[[Node, str], tuple[o.Operation, ...]]

# RAISE levels below ERROR (elog.h: NOTICE 18, WARNING 19) only print; a RAISE without a
# level raises an exception.
_ERROR_LEVEL = 21
_LEAVES = ('"PLpgSQL_stmt_return"', '"PLpgSQL_stmt_exit"', '"PLpgSQL_stmt_raise"')


def block_effects(body: Node, sql: str, to_ops: ToOps) -> tuple[o.Operation, ...]:
    """The operations a DO statement (its parse node `body`, its text `sql`) runs on every
    path; none when its language is not PL/pgSQL or its body cannot be read."""
    if _language(body) != "plpgsql":
        return ()
    try:
        tree = json.loads(pg.parse_plpgsql_json(sql))
        action = tree[0]["PLpgSQL_function"]["action"]["PLpgSQL_stmt_block"]
    except (pg.ParseError, RecursionError, ValueError, LookupError, TypeError):
        return ()
    effects: list[o.Operation] = []
    for query in _certain_queries(action, []):
        try:
            parsed = json.loads(pg.parse_sql_json(query))
        except (pg.ParseError, RecursionError, ValueError):
            return tuple(effects)
        for item in parsed.get("stmts", ()):
            if "stmt" in item:
                effects.extend(to_ops(item["stmt"], query))
    return tuple(effects)


def _language(body: Node) -> str:
    for arg in body.get("args", ()):
        elem = arg.get("DefElem", {})
        if elem.get("defname") == "language":
            return str(elem.get("arg", {}).get("String", {}).get("sval", "")).lower()
    return "plpgsql"


def _certain_queries(block: Node, stopped: list[bool]) -> Iterator[str]:
    """The static SQL of a block that runs on every path, in order; `stopped` is set once a
    statement that may leave early is met, which ends the walk of every enclosing block."""
    if "exceptions" in block:
        stopped.append(True)
        return
    for stmt in block.get("body", ()):
        kind, node = next(iter(stmt.items()))
        if kind == "PLpgSQL_stmt_execsql":
            yield node["sqlstmt"]["PLpgSQL_expr"]["query"]
        elif kind == "PLpgSQL_stmt_block":
            yield from _certain_queries(node, stopped)
        elif _may_leave(kind, node):
            stopped.append(True)
        if stopped:
            return


def _may_leave(kind: str, node: Node) -> bool:
    if kind == "PLpgSQL_stmt_raise":
        return int(node.get("elog_level", _ERROR_LEVEL)) >= _ERROR_LEVEL
    if kind in ("PLpgSQL_stmt_return", "PLpgSQL_stmt_exit"):
        return True
    inside = json.dumps(node)
    return any(leave in inside for leave in _LEAVES)
