"""What a `DO` block certainly does to the schema.

A procedural block can do anything, so rules see it as one opaque statement. But teams put
plain DDL in `DO` blocks (saleor drops foreign keys that way, then their indexes in the
next migration), and a fold blind to it keeps those constraints forever, which makes later
findings false. The statements a block runs on every path are as certain as the same
statements outside it: those are the block's effects, which the fold applies.

Certain means: static SQL (`PLpgSQL_stmt_execsql`) in the outermost block, or in a plain
nested block, before the first statement that could leave the block early (a RETURN, an
EXIT, a RAISE of an error, or a branch or loop holding one). A block with an EXCEPTION
clause may roll its statements back, so it has no certain effects; but one that runs one
statement and ignores only the error saying its object is there already (drizzle-kit's
foreign keys and types) is that statement, and reaches the rules as one
(`guarded_statement`). What runs under IF,
in loops and through EXECUTE stays unknown, as before.

What a block may run on some path is worth knowing too, when all of it can be read: a block
whose every branch only renames a column or makes a type does no slow work, whichever
branch runs (`DoBlock.branches`). It can be read when it holds no loop, no SQL built at run
time (an `EXECUTE` of one constant string is read as that string), and no condition,
assignment or `PERFORM` that reads more than the system catalogs or calls a function other
than a few built-in ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from schemagate.model import ops as o
from schemagate.parse.postgres.expr import nodes
from schemagate.parse.postgres.libpg import pg, statements

Node = dict[str, Any]
# Translates one parsed statement of the block's SQL into operations.
ToOps = Callable[[Node, str], tuple[o.Operation, ...]]
# The operations of a piece of static SQL; None when it does not parse (`_operations`).
Reader = Callable[[str], list[o.Operation] | None]

# RAISE levels below ERROR (elog.h: NOTICE 18, WARNING 19) only print; a RAISE without a
# level raises an exception.
_ERROR_LEVEL = 21
_LEAVES = ('"PLpgSQL_stmt_return"', '"PLpgSQL_stmt_exit"', '"PLpgSQL_stmt_raise"')


@dataclass(frozen=True)
class DoBlock:
    """What the fold and the rules may know of a DO block."""

    effects: tuple[o.Operation, ...] = ()  # run on every path
    # Every operation some path may run, when the whole block can be read; else None.
    branches: tuple[o.Operation, ...] | None = None


def block_action(body: Node, sql: str) -> Node | None:
    """The PL/pgSQL block of a DO statement (its parse node `body`, its text `sql`); None
    when its language is not PL/pgSQL or its body cannot be read."""
    if _language(body) != "plpgsql":
        return None
    try:
        tree = json.loads(pg.parse_plpgsql_json(sql))
        action: Node = tree[0]["PLpgSQL_function"]["action"]["PLpgSQL_stmt_block"]
        return action
    except (pg.ParseError, RecursionError, ValueError, LookupError, TypeError):
        return None


def read_block(action: Node | None, to_ops: ToOps) -> DoBlock:
    """What a DO statement's block (`block_action`) runs; nothing known without one."""
    if action is None:
        return DoBlock()
    known: dict[str, list[o.Operation] | None] = {}

    def read(query: str) -> list[o.Operation] | None:
        # Each query is parsed once: those every path runs are read again for the branches.
        if query not in known:
            known[query] = _operations(query, to_ops)
        return known[query]

    effects: list[o.Operation] = []
    for query in _certain_queries(action, []):
        ops = read(query)
        if ops is None:
            break
        effects.extend(ops)
    branches: list[o.Operation] = []
    try:
        readable = _read_all(action, read, branches)
    except (LookupError, TypeError, AttributeError, RecursionError):
        readable = False
    return DoBlock(tuple(effects), tuple(branches) if readable else None)


# Errors that say the object a statement makes is there already.
_ALREADY_THERE = frozenset({"duplicate_object", "duplicate_table", "duplicate_column",
                            "duplicate_schema", "duplicate_function"})


def guarded_statement(outer: Node | None) -> str | None:
    """The one statement of a DO block (`block_action`) that runs it and ignores only the
    error saying its object is there already (drizzle-kit's `DO $$ BEGIN ALTER TABLE … ADD
    CONSTRAINT …; EXCEPTION WHEN duplicate_object THEN null; END $$;`): the block is that
    statement, IF NOT EXISTS. None for any other block."""
    if outer is None:
        return None
    statements = [s for s in outer.get("body", ()) if "PLpgSQL_stmt_return" not in s]
    if len(statements) != 1 or "PLpgSQL_stmt_block" not in statements[0]:
        return None
    block = statements[0]["PLpgSQL_stmt_block"]
    inner = block.get("body", ())
    handlers = block.get("exceptions", {}).get("PLpgSQL_exception_block", {}).get("exc_list")
    if len(inner) != 1 or "PLpgSQL_stmt_execsql" not in inner[0] or not handlers:
        return None
    for handler in handlers:
        exc = handler.get("PLpgSQL_exception", {})
        names = {c.get("PLpgSQL_condition", {}).get("condname")
                 for c in exc.get("conditions", ())}
        if exc.get("action") or not names or not names <= _ALREADY_THERE:
            return None
    return str(inner[0]["PLpgSQL_stmt_execsql"]["sqlstmt"]["PLpgSQL_expr"]["query"])


def _operations(query: str, to_ops: ToOps) -> list[o.Operation] | None:
    """The operations of a piece of static SQL; None when it does not parse."""
    parsed = statements(query)
    if parsed is None:
        return None
    return [op for stmt in parsed for op in to_ops(stmt, query)]


def _read_all(block: Node, read: Reader, out: list[o.Operation]) -> bool:
    """Add to `out` what every statement of a block and its exception handlers may run;
    False as soon as one cannot be read."""
    handlers = block.get("exceptions", {}).get("PLpgSQL_exception_block", {})
    bodies = [block.get("body", ())] + [
        handler["PLpgSQL_exception"].get("action", ())
        for handler in handlers.get("exc_list", ())]
    return all(_read_statements(body, read, out) for body in bodies)


def _read_statements(statements: list[Node], read: Reader, out: list[o.Operation]) -> bool:
    for stmt in statements:
        kind, node = next(iter(stmt.items()))
        if kind == "PLpgSQL_stmt_block":
            readable = _read_all(node, read, out)
        elif kind == "PLpgSQL_stmt_execsql":
            readable = _read_sql(node["sqlstmt"]["PLpgSQL_expr"]["query"], read, out)
        elif kind == "PLpgSQL_stmt_dynexecute":
            text = _constant_string(node["query"]["PLpgSQL_expr"]["query"])
            readable = text is not None and not node.get("params") and \
                _read_sql(text, read, out)
        elif kind == "PLpgSQL_stmt_if":
            arms = [(node["cond"], node.get("then_body", ()))] + [
                (arm["PLpgSQL_if_elsif"]["cond"], arm["PLpgSQL_if_elsif"].get("stmts", ()))
                for arm in node.get("elsif_list", ())]
            readable = all(_harmless(cond) and _read_statements(body, read, out)
                           for cond, body in arms) and \
                _read_statements(node.get("else_body", ()), read, out)
        elif kind in ("PLpgSQL_stmt_assign", "PLpgSQL_stmt_perform"):
            readable = _harmless(node["expr"])
        elif kind == "PLpgSQL_stmt_raise":
            readable = all(_harmless(param) for param in node.get("params", ()))
        else:
            # RETURN and EXIT end the block; loops, CASE, cursors, CALL and the rest are
            # not read.
            readable = kind in ("PLpgSQL_stmt_return", "PLpgSQL_stmt_exit")
        if not readable:
            return False
    return True


def _read_sql(query: str, read: Reader, out: list[o.Operation]) -> bool:
    ops = read(query)
    if ops is None:
        return False
    out.extend(ops)
    return True


def _constant_string(expr: str) -> str | None:
    """The value of an expression that is one string constant (`'DROP INDEX x'`)."""
    try:
        tree = json.loads(pg.parse_sql_json(f"SELECT {expr}"))
        value = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"]
        [target] = value
        return str(target["ResTarget"]["val"]["A_Const"]["sval"]["sval"])
    except (pg.ParseError, RecursionError, ValueError, LookupError, TypeError):
        return None


# Built-in functions a condition may call and still only read the catalogs or its
# arguments: what `IF NOT EXISTS (…)` guards in migrations use.
_HARMLESS_CALLS = frozenset({
    "count", "lower", "upper", "coalesce", "format", "concat", "length", "to_regclass",
    "to_regtype", "to_regproc", "to_regnamespace", "current_schema", "current_database",
    "current_user", "current_setting", "version", "quote_ident", "quote_literal",
    "format_type", "has_schema_privilege", "has_table_privilege", "array_length", "bool_or",
    "bool_and"})


def _harmless(expr: Node) -> bool:
    """Whether a PL/pgSQL expression reads nothing but the system catalogs and calls only
    built-in functions that change nothing (`EXISTS (SELECT 1 FROM information_schema.
    columns WHERE …)`): evaluating it is quick, whatever the tables hold."""
    query = expr["PLpgSQL_expr"]["query"]
    try:
        tree = json.loads(pg.parse_sql_json(f"SELECT {query}"))
    except (pg.ParseError, RecursionError, ValueError):
        return False
    return all(_harmless_node(kind, node) for kind, node in nodes(tree))


def _harmless_node(kind: str, node: Node) -> bool:
    if kind == "RangeVar":
        schema = node.get("schemaname")
        name = str(node.get("relname", ""))
        return schema in ("pg_catalog", "information_schema") or (
            schema is None and name.startswith("pg_"))
    if kind == "FuncCall":
        name = str(node["funcname"][-1]["String"]["sval"]).lower()
        return name in _HARMLESS_CALLS or name.startswith("pg_")
    return kind not in ("InsertStmt", "UpdateStmt", "DeleteStmt", "RangeFunction")


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
