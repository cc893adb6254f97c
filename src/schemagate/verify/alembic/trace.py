"""Every statement an Alembic revision sends, with its time, its locks and what it changed.

For the length of one Alembic command, SQLAlchemy's cursor events are listened to on the
Engine class, so that whatever engine env.py builds is covered. Before a statement runs, the
relation locks its session holds and the user relations are read through a second cursor on
the same DBAPI connection (in the same transaction); after it, again: the locks that appeared
are the statement's, as `verify.apply` reads them for SQL layouts, and a changed relfilenode is
a rewrite (`verify.locks`). A statement outside a transaction (Alembic's autocommit_block,
CONCURRENTLY) holds no lock afterwards; it is watched from a second session while it runs,
as `verify.observe` watches SQL layouts' such statements.

Only statements sent from the revision files are the migration's: the call stack says so, and
says the line of the revision file that sent it. Alembic's bookkeeping (the version table),
SQLAlchemy's own queries and env.py's are left out; env.py's are counted in a note.

Every statement is first checked to go to the scratch database: an env.py that builds its URL
from elsewhere (an environment variable) is stopped before it can change another database.
A revision statement that acts beyond the scratch database (`verify.scripts.beyond_database`:
roles, other databases, the server) is stopped before it is sent, and reported.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from schemagate.diff.connect import connect
from schemagate.model.migration import ParsedStatement
from schemagate.verify.locks import Snapshot, changes, held_locks, name_locks, snapshot
from schemagate.verify.observe import HOLD_SECONDS, POLL_SECONDS, block, waiting
from schemagate.verify.results import StatementResult
from schemagate.verify.scripts import from_statement

_INERROR = 3  # DBAPI transaction status "in a failed transaction" (psycopg and psycopg2 alike)
_CHECKED = "schemagate.verify.backend"  # key in SQLAlchemy's per-connection info dict
_LIBRARIES = ("sqlalchemy.", "schemagate.")


class WrongDatabase(Exception):
    """env.py connected somewhere other than the scratch database; nothing was sent there."""


class BeyondDatabase(Exception):
    """A revision's statement acts beyond the scratch database; it was not sent."""


@dataclass
class _Pending:
    sql: str
    line: int
    file: str
    in_transaction: bool
    static: ParsedStatement | None
    pid: int
    started: float = 0.0
    locks: set[tuple[int, str]] | None = None  # None: the locks could not be read
    before: Snapshot | None = None
    watcher: _Watcher | None = None
    why_not: str = ""


@dataclass
class Traced:
    """What one Alembic command sent: the statements, and the file each came from."""

    statements: list[StatementResult] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # real path of each statement's file
    failed: StatementResult | None = None  # the statement the database refused
    env_statements: list[str] = field(default_factory=list)  # sent by env.py itself
    version_table: tuple[str | None, str] | None = None  # (schema, name) as env.py set it


class Tracer:
    """Listens to SQLAlchemy while one Alembic command runs (`listening()`)."""

    def __init__(self, scratch_url: str, versions: str, env_py: str, own_file: str,
                 static: Sequence[ParsedStatement]) -> None:
        from psycopg import conninfo

        self.url = scratch_url
        self.dbname = str(conninfo.conninfo_to_dict(scratch_url).get("dbname", ""))
        self.versions = os.path.realpath(versions) + os.sep
        self.env_py = os.path.realpath(env_py)
        self.own_file = os.path.realpath(own_file)
        self.static = _StaticScript(static)
        self.traced = Traced()
        self._pending: dict[int, _Pending] = {}  # by SQLAlchemy connection: one at a time
        self._paths: dict[str, str] = {}

    @contextmanager
    def listening(self) -> Iterator[Traced]:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        hooks: list[tuple[str, Callable[..., Any]]] = [
            ("before_cursor_execute", self._before), ("after_cursor_execute", self._after),
            ("handle_error", self._error)]
        for name, fn in hooks:
            event.listen(Engine, name, fn)
        try:
            yield self.traced
        finally:
            for name, fn in hooks:
                event.remove(Engine, name, fn)
            for pending in self._pending.values():  # a statement interrupted mid-way
                if pending.watcher is not None:
                    pending.watcher.stop()
            self._pending.clear()

    # -- the events -------------------------------------------------------------------------

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        dbapi = _dbapi(conn, cursor)
        pid = self._backend(conn, dbapi)
        self._note_version_table()
        origin = self._origin(statement)
        if origin is None:
            return
        file, frame_line = origin
        static = self.static.match(frame_line, statement) if file == self.own_file else None
        line = static.ops[0].span.line if static is not None and static.ops else frame_line
        # A DBAPI connection outside autocommit opens a transaction for the statement.
        autocommit = bool(getattr(dbapi, "autocommit", False))
        refused = from_statement(static).refused if static is not None else None
        if refused is not None:  # as for SQL layouts: reported, never sent
            st = StatementResult(line, statement.strip(), in_transaction=not autocommit,
                                 error=refused)
            self._record(st, file)
            self.traced.failed = st
            raise BeyondDatabase(refused)
        # SQLAlchemy frames DDL in newlines; the statement is what lies between.
        pending = _Pending(statement.strip(), line, file, not autocommit, static, pid)
        try:
            self._read_before(pending, dbapi)
        except Exception as exc:  # tracing must never be why a migration fails
            pending.why_not = f"not traced: {_first_line(exc)}"
        self._pending[id(conn)] = pending
        pending.started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        pending = self._pending.pop(id(conn), None)
        if pending is None:
            return
        ended = time.perf_counter()
        st = StatementResult(pending.line, pending.sql, in_transaction=pending.in_transaction)
        try:
            self._read_after(pending, st, _dbapi(conn, cursor))
        except Exception as exc:
            st.traced, st.locks = f"not traced: {_first_line(exc)}", []
        start = pending.started
        if pending.watcher is not None and pending.watcher.released_at is not None:
            start = max(start, pending.watcher.released_at)  # leave out the wait it caused
        st.ms = (ended - start) * 1000
        self._record(st, pending.file)

    def _error(self, ctx: Any) -> None:
        # By the SQLAlchemy connection: the context's cursor is not always set (2.1).
        pending = self._pending.pop(id(ctx.connection), None)
        if pending is None:
            return
        if pending.watcher is not None:
            pending.watcher.stop()
        st = StatementResult(pending.line, pending.sql,
                             (time.perf_counter() - pending.started) * 1000,
                             in_transaction=pending.in_transaction,
                             error=_db_message(ctx.original_exception))
        self._record(st, pending.file)
        self.traced.failed = st

    def _record(self, st: StatementResult, file: str) -> None:
        self.traced.statements.append(st)
        self.traced.files.append(file)

    # -- reading the locks ------------------------------------------------------------------

    def _read_before(self, pending: _Pending, dbapi: Any) -> None:
        if not pending.in_transaction:
            relations = from_statement(pending.static).relations if pending.static else ()
            with _cursor(dbapi) as cur:
                pending.before = snapshot(cur)
            pending.watcher = _Watcher(self.url, pending.pid, relations)
            return
        if _in_failed_transaction(dbapi):
            pending.why_not = "not traced: the transaction had already failed"
            return
        with _cursor(dbapi) as cur:
            pending.locks, pending.before = held_locks(cur, pending.pid), snapshot(cur)

    def _read_after(self, pending: _Pending, st: StatementResult, dbapi: Any) -> None:
        if pending.why_not:
            st.traced = pending.why_not
            return
        if pending.watcher is not None:
            pending.watcher.stop()
            with _cursor(dbapi) as cur:
                after = snapshot(cur)
            seen = pending.watcher
            st.locks = name_locks(seen.locks, *_snaps(pending.before, after))
            st.traced = "observer" if seen.seen else \
                "not traced: it finished before a second session could see its locks"
        else:
            with _cursor(dbapi) as cur:
                locks, after = held_locks(cur, pending.pid), snapshot(cur)
            st.locks = name_locks(locks - (pending.locks or set()), *_snaps(pending.before, after))
        if pending.before is not None:
            found = changes(pending.before, after)
            st.rewrites, st.created = found.rewrites, found.created
            st.dropped, st.validated = found.dropped, found.validated

    # -- where a statement comes from -------------------------------------------------------

    def _backend(self, conn: Any, dbapi: Any) -> int:
        """The session's backend pid, once it is known to be on the scratch database."""
        checked = conn.info.get(_CHECKED)
        if checked is None:
            with _cursor(dbapi) as cur:
                cur.execute("SELECT pg_backend_pid(), current_database()")
                pid, dbname = cur.fetchone()
            checked = conn.info[_CHECKED] = (int(pid), str(dbname))
        if checked[1] != self.dbname:
            raise WrongDatabase(
                f"env.py connected to the database {checked[1]!r}, not to verify's scratch "
                f"database: it must connect to the sqlalchemy.url of Alembic's config "
                f"(config.get_main_option(\"sqlalchemy.url\")); verify stopped it at its "
                f"first statement there, before that statement ran")
        return int(checked[0])

    def _origin(self, statement: str) -> tuple[str, int] | None:
        """(revision file, line) of the innermost revision-file frame on the stack; None for
        a statement no revision sent (a note is kept when env.py sent it itself)."""
        frame: FrameType | None = sys._getframe(1)
        first_caller: str | None = None  # the first frame outside SQLAlchemy and schemagate
        while frame is not None:
            path = self._real(frame.f_code.co_filename)
            if path.startswith(self.versions):
                return path, frame.f_lineno
            module = str(frame.f_globals.get("__name__", ""))
            if first_caller is None and not module.startswith(_LIBRARIES):
                first_caller = path
            frame = frame.f_back
        if first_caller == self.env_py:
            self.traced.env_statements.append(" ".join(statement.split())[:80])
        return None

    def _real(self, filename: str) -> str:
        path = self._paths.get(filename)
        if path is None:
            path = self._paths[filename] = os.path.realpath(filename)
        return path

    def _note_version_table(self) -> None:
        if self.traced.version_table is not None:
            return
        try:
            from alembic import context

            mc = context.get_context()
        except Exception:  # env.py has not called context.configure() yet
            return
        self.traced.version_table = (mc.version_table_schema, mc.version_table)


# --- static lines ---------------------------------------------------------------------------------

class _StaticScript:
    """The static frontend's statements of the script, to give a traced statement the line
    the frontend knows: an `op.execute` SQL statement's own line inside the string, found by
    its text; an `op.*` call by its line. Each is used once, in order."""

    def __init__(self, statements: Sequence[ParsedStatement]) -> None:
        self.left = [st for st in statements if st.ops]

    def match(self, frame_line: int, sql: str) -> ParsedStatement | None:
        text = _normal(sql)
        for i, st in enumerate(self.left):
            static = _normal(st.sql)
            # The whole statement, or the first of several sent as one string.
            if static and (text == static or text.startswith(static + ";")):
                return self.left.pop(i)
        # Several statements may come from one op.* call (a table and its indexes).
        return next((st for st in self.left if st.ops[0].span.line == frame_line), None)


def _normal(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";").strip().casefold()


# --- watching a statement outside a transaction ---------------------------------------------------

class _Watcher:
    """Polls pg_locks for the migration's backend from a second session while a statement
    that runs outside any transaction is under way. As `verify.observe` does, a third session
    holds ROW EXCLUSIVE on the tables it names until it waits (or for a short while), so that
    a fast statement is still seen holding its lock."""

    def __init__(self, url: str, pid: int, relations: Sequence[Any]) -> None:
        self.pid = pid
        self.locks: set[tuple[int, str]] = set()
        self.seen = False
        self.released_at: float | None = None
        self._observer = connect(url, autocommit=True)
        try:
            self._blocker = connect(url)
            block(self._blocker, relations)
        except BaseException:
            self._observer.close()
            raise
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="schemagate-alembic-watch",
                                        daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        deadline = time.perf_counter() + HOLD_SECONDS
        try:
            while not self._done.is_set():
                # Whether it waits first, then its locks: a statement seen waiting is still
                # waiting when its locks are read, however soon it started.
                queued = waiting(self._observer, self.pid)
                locks = held_locks(self._observer, self.pid)
                if locks:
                    self.seen = True
                    self.locks |= locks
                if self.released_at is None and (queued or time.perf_counter() > deadline):
                    self._release()
                time.sleep(POLL_SECONDS)
        finally:
            self._release()  # never leave the statement waiting for the blocker

    def _release(self) -> None:
        if self.released_at is None:
            self._blocker.rollback()
            self.released_at = time.perf_counter()

    def stop(self) -> None:
        if self._done.is_set():
            return
        self._done.set()
        self._thread.join()
        self._observer.close()
        self._blocker.close()


# --- DBAPI helpers --------------------------------------------------------------------------------

def _dbapi(conn: Any, cursor: Any) -> Any:
    """The DBAPI connection under SQLAlchemy's: the cursor's (psycopg), else the pool's."""
    dbapi = getattr(cursor, "connection", None)
    return dbapi if dbapi is not None else conn.connection.dbapi_connection


class _Cursor:
    """A DBAPI cursor whose execute() returns itself, as psycopg 3's does and `verify.locks`
    expects (psycopg2's returns None)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Any = None) -> _Cursor:
        self.raw.execute(sql, params)
        return self

    def fetchall(self) -> list[Any]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Any:
        return self.raw.fetchone()


@contextmanager
def _cursor(dbapi: Any) -> Iterator[_Cursor]:
    raw = dbapi.cursor()
    try:
        yield _Cursor(raw)
    finally:
        raw.close()


def _in_failed_transaction(dbapi: Any) -> bool:
    status = getattr(getattr(dbapi, "info", None), "transaction_status", None)
    return status is not None and int(status) == _INERROR


def _snaps(before: Snapshot | None, after: Snapshot) -> tuple[Snapshot, ...]:
    return (after,) if before is None else (before, after)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _db_message(exc: BaseException) -> str:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    text = _first_line(exc)
    return f"{text} (SQLSTATE {code})" if code else text
