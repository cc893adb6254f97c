"""Apply one script to the scratch database as its migration tool would, tracing each statement.

The tool's transaction model is followed through each statement's block (see
`verify.scripts`): a statement in a block runs after a `BEGIN` that verify sends for the
tool when the script has not opened one itself, and the block is committed when the script
ends or leaves it. A multi-statement query (golang-migrate, Prisma) is one implicit
transaction in PostgreSQL; it is replayed here as `BEGIN`, the statements one by one,
`COMMIT`, which PostgreSQL treats alike (CONCURRENTLY fails in both), so each statement can
be traced on its own.

Statements in a transaction are traced in their own session before the transaction ends.
A statement outside any transaction is traced inside a transaction verify opens and commits
around it; PostgreSQL refuses some of them there (CONCURRENTLY, VACUUM), and those are run
on their own and watched from a second session (`verify.observe`).
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from schemagate.verify.locks import changes, held_locks, name_locks, snapshot
from schemagate.verify.observe import run_observed
from schemagate.verify.results import ScriptResult, StatementResult
from schemagate.verify.scripts import NEEDS_OWN_BLOCK, Executable


def run_script(conn: psycopg.Connection[Any], url: str, statements: list[Executable],
               path: str = "") -> ScriptResult:
    """Run the statements on an autocommit connection; stop at the first error."""
    result = ScriptResult(path=path, ran=True, ok=True)
    tool_block = False  # whether the open transaction is the one verify began for the tool
    for ex in statements:
        if ex.refused is not None:
            _fail(result, StatementResult(ex.line, ex.sql, error=ex.refused), conn)
            return result
        idle = _idle(conn)
        if ex.block is not None and idle and ex.control != "begin":
            conn.execute("BEGIN")
            tool_block, idle = True, False
        if ex.control is not None or ex.kind in NEEDS_OWN_BLOCK:
            st = _plain(conn, ex, not idle)
            if ex.control in ("commit", "rollback") or (ex.control == "begin" and idle):
                tool_block = False
        elif not idle:
            st = _in_transaction(conn, ex)
        else:
            st = _on_its_own(conn, url, ex)
        result.statements.append(st)
        if st.error is not None:
            _fail(result, st, conn)
            return result
    if not _idle(conn):
        if tool_block:
            conn.execute("COMMIT")
        else:
            conn.execute("ROLLBACK")
            result.notes.append("the script leaves a transaction open; it was rolled back, "
                                "as PostgreSQL does when the tool's session ends")
    return result


def _idle(conn: psycopg.Connection[Any]) -> bool:
    return conn.info.transaction_status == TransactionStatus.IDLE


def _fail(result: ScriptResult, st: StatementResult, conn: psycopg.Connection[Any]) -> None:
    if st not in result.statements:
        result.statements.append(st)
    result.ok = False
    result.error = f"line {st.line}: {st.error}"
    result.line = st.line
    if not _idle(conn):
        conn.execute("ROLLBACK")  # the tool's transaction fails as a whole


def _execute(conn: psycopg.Connection[Any], sql: str) -> tuple[float, str | None]:
    start = time.perf_counter()
    try:
        conn.execute(sql.encode("utf-8"))
    except psycopg.Error as exc:
        return (time.perf_counter() - start) * 1000, _message(exc)
    return (time.perf_counter() - start) * 1000, None


def _message(exc: psycopg.Error) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    code = exc.sqlstate
    return f"{text} (SQLSTATE {code})" if code else text


def _plain(conn: psycopg.Connection[Any], ex: Executable, in_txn: bool) -> StatementResult:
    ms, error = _execute(conn, ex.sql)
    return StatementResult(ex.line, ex.sql, ms, in_transaction=in_txn,
                           traced="not traced: transaction control" if ex.control else
                           "not traced: runs as written", error=error)


def _in_transaction(conn: psycopg.Connection[Any], ex: Executable) -> StatementResult:
    """Inside an open transaction: the locks that appeared after the statement are its own."""
    pid = conn.info.backend_pid
    before, locks_before = snapshot(conn), held_locks(conn, pid)
    ms, error = _execute(conn, ex.sql)
    st = StatementResult(ex.line, ex.sql, ms, in_transaction=True, error=error)
    if error is None:
        after = snapshot(conn)
        st.locks = name_locks(held_locks(conn, pid) - locks_before, before, after)
        _record_changes(st, before, after)
    return st


def _on_its_own(conn: psycopg.Connection[Any], url: str, ex: Executable) -> StatementResult:
    """Outside a transaction: traced in one verify opens, else watched from outside."""
    conn.execute("BEGIN")
    st = _in_transaction(conn, ex)
    if st.error is None:
        conn.execute("COMMIT")
        st.in_transaction = False
        return st
    conn.execute("ROLLBACK")
    if "SQLSTATE 25001" not in st.error:  # not "cannot run inside a transaction block"
        return st
    before = snapshot(conn)
    seen = run_observed(conn, ex.sql, url, ex.relations)
    after = snapshot(conn)
    st = StatementResult(ex.line, ex.sql, seen.ms, in_transaction=False,
                         error=_message(seen.error) if seen.error is not None else None)
    if st.error is None:
        st.locks = name_locks(seen.locks, before, after)
        _record_changes(st, before, after)
        st.traced = "observer" if seen.seen else \
            "not traced: it finished before a second session could see its locks"
    return st


def _record_changes(st: StatementResult, before: Any, after: Any) -> None:
    found = changes(before, after)
    st.rewrites, st.created = found.rewrites, found.created
    st.dropped, st.validated = found.dropped, found.validated
