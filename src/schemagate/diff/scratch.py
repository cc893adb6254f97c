"""Scratch databases: the only place schemagate writes, and never beyond its run.

`scratch_database(url)` creates a database with a unique name on the server the URL names
(or on an embedded PostgreSQL started for the occasion when no URL is given), yields a
connection string for it, and drops it afterwards, whatever happened in between.

What runs there is code from a repository, so it runs as a throwaway role made for the run
(no SUPERUSER, CREATEROLE or CREATEDB) that owns the scratch database and nothing else; the
connection string yielded logs in as that role. The privileged connection of the URL only
creates and drops the database and the role. When the URL's user is not a superuser it
cannot make a role it could drop again, and the database is owned by that user instead: the
migrations then run with that user's own rights.

Nothing is left behind:
- SIGINT, SIGTERM and SIGHUP raise `Interrupted` in the main thread while a scratch database
  or the embedded server exists, so that the usual `finally` blocks drop and stop them (a
  statement under way is cancelled by psycopg on the way out); a second signal during that
  cleanup is held until it is done.
- Every scratch session carries `application_name` "schemagate scratch <database>", and
  the database and role a comment saying they are schemagate's. A run killed outright
  (SIGKILL) leaves them with no session: the next run on that server drops them first.
  The role's sessions have `client_connection_check_interval` (PostgreSQL 14+: a query
  whose client is gone is ended) and `idle_in_transaction_session_timeout` set, so an
  orphaned backend does not hold its locks for long.
- The embedded server's folder names the pid that started it; the next start stops a
  server whose owner has died, and removes its folder.
Databases and folders without these marks (made by another program, or by an older
schemagate) are never touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import conninfo, sql

from schemagate.diff.connect import DatabaseError, connect, describe, with_database

SCRATCH_PREFIX = "schemagate_scratch_"
MARK = "schemagate scratch"  # application_name prefix, and the comment on database and role
EMBEDDED_PREFIX = "schemagate-pg-"
_OWNER_FILE = "owner.pid"
# Long enough for verify's own pauses between statements of one transaction (tracing reads
# from a second session take milliseconds); short enough that an orphan lets go soon.
_IDLE_IN_TRANSACTION = "60s"
_CLIENT_CHECK = "1s"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived while scratch work was under way; what the run created
    is dropped on the way out. A KeyboardInterrupt, so that psycopg cancels a running query
    and the command line exits as on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


class _Guard:
    """The signal handlers, installed once for however many scratch resources are open."""

    def __init__(self) -> None:
        self.depth = 0
        self.shielded = 0
        self.pending: int | None = None
        self.raised = False
        self.previous: dict[int, Any] = {}

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.shielded or self.raised:
            self.pending = self.pending or signum  # cleanup first; a repeat is not news
            return
        self.raised = True
        # A worker thread's statement is not interrupted by the exception raised here: its
        # database is dropped now (ending that statement's session), not when it is done.
        for drop in [d for owner, d in _LIVE.values() if owner != threading.main_thread()]:
            with suppress(psycopg.Error):  # its own thread drops it on the way out
                drop()
        raise Interrupted(signum)


_GUARD = _Guard()
# The scratch databases that exist now: name → (the thread that made it, how to drop it).
_LIVE: dict[str, tuple[threading.Thread, Callable[[], None]]] = {}


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into `Interrupted` for the length of the block (main
    thread only: Python runs signal handlers there; elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _GUARD.depth == 0:
        _GUARD.raised, _GUARD.pending = False, None
        for signum in _SIGNALS:
            _GUARD.previous[signum] = signal.signal(signum, _GUARD.handle)
    _GUARD.depth += 1
    try:
        yield
    finally:
        _GUARD.depth -= 1
        if _GUARD.depth == 0:
            for number, handler in _GUARD.previous.items():
                signal.signal(number, handler)
            _GUARD.previous.clear()


@contextmanager
def _shielded() -> Iterator[None]:
    """Hold signals while cleaning up; the one that came meanwhile is raised afterwards.
    Only the main thread's cleanup is shielded: signals are handled there, never in a
    worker, and a worker creating or dropping its database must not make the main thread
    put off a signal (and with it, dropping the other workers' databases at once)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _GUARD.shielded += 1
    try:
        yield
    finally:
        _GUARD.shielded -= 1
        signum, _GUARD.pending = _GUARD.pending, None
        if signum is not None and not _GUARD.shielded and not _GUARD.raised \
                and _GUARD.depth:
            _GUARD.raised = True
            raise Interrupted(signum)


# --- the embedded server ---------------------------------------------------------------------

@contextmanager
def embedded_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL (the `pgserver` package) and yield its URL."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise DatabaseError(
            "no --scratch URL given and the embedded PostgreSQL is not installed: "
            "pip install pgserver, or pass --scratch postgresql://…") from None
    with stop_on_signals():
        sweep_embedded()
        folder = tempfile.mkdtemp(prefix=EMBEDDED_PREFIX)
        server = None
        try:
            Path(folder, _OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
            data = os.path.join(folder, "data")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server = pgserver.get_server(data, cleanup_mode="delete")  # type: ignore[attr-defined]
            yield str(server.get_uri())
        except (OSError, RuntimeError) as exc:
            raise DatabaseError(f"could not start the embedded PostgreSQL: {exc}") from None
        finally:
            with _shielded():
                if server is not None:
                    server.cleanup()
                else:  # interrupted while starting: stop whatever got going
                    _stop_postmaster(Path(folder, "data"))
                shutil.rmtree(folder, ignore_errors=True)


def sweep_embedded(root: str | None = None) -> list[str]:
    """Stop the embedded servers whose schemagate process has died, and remove their
    folders; the folders removed."""
    swept = []
    for folder in Path(root or tempfile.gettempdir()).glob(EMBEDDED_PREFIX + "*"):
        try:
            owner = int(folder.joinpath(_OWNER_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue  # not marked: not ours to judge
        if _alive(owner):
            continue
        _stop_postmaster(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)
        swept.append(str(folder))
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _stop_postmaster(data: Path) -> None:
    """Fast shutdown (SIGINT: sessions are ended, nothing is waited for) of the server whose
    data folder this is, if it runs; SIGKILL if it has not stopped in 10 s."""
    try:
        lines = data.joinpath("postmaster.pid").read_text(encoding="utf-8").splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return
    if len(lines) < 2 or os.path.realpath(lines[1]) != os.path.realpath(data) \
            or not _alive(pid):
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


# --- scratch databases -----------------------------------------------------------------------

@contextmanager
def scratch_database(url: str | None = None) -> Iterator[str]:
    """Yield the connection string of a new, empty database, logged in as a role that owns
    it and nothing else; drop both afterwards, and on SIGINT, SIGTERM or SIGHUP."""
    with stop_on_signals():
        if url is None:
            with embedded_server() as server_url, \
                    _database_on(server_url, own_role=True) as scratch:
                yield scratch
            return
        with _database_on(url, own_role=True) as scratch:
            yield scratch


def marked(name: str) -> str:
    """The application_name of every session of a scratch database's run."""
    return f"{MARK} {name}"


@contextmanager
def _database_on(url: str, own_role: bool = False) -> Iterator[str]:
    """A new database on the server (and with `own_role`, a role owning it); the URL of the
    privileged user when there is no role of its own."""
    name = SCRATCH_PREFIX + uuid.uuid4().hex[:12]
    admin = connect(with_application_name(url, marked(name)), autocommit=True)
    role: str | None = None
    try:
        with _shielded():
            sweep(admin)
            if own_role and _is_superuser(admin):
                role = name
                password = secrets.token_urlsafe(24)
                _create_role(admin, role, password)
            _create_database(admin, name, role)
    except psycopg.Error as exc:
        with suppress(psycopg.Error):
            _drop(admin, name, role)
        admin.close()
        raise DatabaseError(f"cannot create a scratch database on {describe(url)}: "
                            f"{str(exc).strip().splitlines()[0]}") from None
    except BaseException:
        _drop(admin, name, role)
        admin.close()
        raise
    _LIVE[name] = (threading.current_thread(), lambda: _drop(admin, name, role))
    try:
        scratch = with_application_name(with_database(url, name), marked(name))
        yield scratch if role is None else with_user(scratch, role, password)
    finally:
        with _shielded():
            _LIVE.pop(name, None)
            _drop(admin, name, role)
            admin.close()


def with_application_name(url: str, name: str) -> str:
    params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    params["application_name"] = name
    return conninfo.make_conninfo(**params)


def with_user(url: str, user: str, password: str) -> str:
    params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    params["user"], params["password"] = user, password
    return conninfo.make_conninfo(**params)


def _is_superuser(admin: psycopg.Connection[Any]) -> bool:
    row = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _comment() -> sql.Composable:
    return sql.Literal(f"{MARK}: made by pid {os.getpid()}, dropped when it ends")


def _create_role(admin: psycopg.Connection[Any], role: str, password: str) -> None:
    ident = sql.Identifier(role)
    admin.execute(sql.SQL(
        "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        "NOBYPASSRLS").format(ident, sql.Literal(password)))
    admin.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(ident, _comment()))
    admin.execute(sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = {}")
                  .format(ident, sql.Literal(_IDLE_IN_TRANSACTION)))
    if admin.info.server_version >= 140000:
        admin.execute(sql.SQL("ALTER ROLE {} SET client_connection_check_interval = {}")
                      .format(ident, sql.Literal(_CLIENT_CHECK)))


def _create_database(admin: psycopg.Connection[Any], name: str, owner: str | None) -> None:
    ident = sql.Identifier(name)
    if owner is None:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    else:
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(ident,
                                                                     sql.Identifier(owner)))
    admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, _comment()))
    if owner is not None:
        # PUBLIC may connect to a new database: no other role (another run's) is meant to.
        admin.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))


def _drop(admin: psycopg.Connection[Any], name: str, role: str | None) -> None:
    """Drop the scratch database, ending sessions a failed migration may have left, then its
    role."""
    ident = sql.Identifier(name)
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
    except psycopg.errors.SyntaxError:  # PostgreSQL < 13 has no FORCE
        admin.execute(sql.SQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}"
        ).format(sql.Literal(name)))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))
    if role is not None:
        # Its sessions elsewhere (it may connect to any database PUBLIC may) end first.
        # A role that cannot go now is marked: the next run's sweep drops it.
        with suppress(psycopg.Error):
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE usename = %s", (role,))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


_ORPHANS = """
SELECT d.datname, r.rolname
FROM pg_database d
LEFT JOIN pg_roles r ON r.rolname = d.datname
WHERE d.datname LIKE 'schemagate\\_scratch\\_%%'
  AND shobj_description(d.oid, 'pg_database') LIKE %(mark)s
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                  WHERE a.datname = d.datname OR a.application_name = %(app)s || d.datname)
UNION ALL
SELECT NULL, r.rolname
FROM pg_roles r
WHERE r.rolname LIKE 'schemagate\\_scratch\\_%%'
  AND shobj_description(r.oid, 'pg_authid') LIKE %(mark)s
  AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = r.rolname)
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                  WHERE a.usename = r.rolname OR a.application_name = %(app)s || r.rolname)
"""


def sweep(admin: psycopg.Connection[Any]) -> list[str]:
    """Drop the scratch databases and roles of runs that died without cleaning up: marked as
    schemagate's, and with no session left (a live run keeps its privileged session, named
    after its database, open to the end). The names dropped."""
    try:
        rows = admin.execute(_ORPHANS, {"mark": MARK + "%", "app": MARK + " "}).fetchall()
    except psycopg.Error:  # a server that will not say: nothing is swept, the run goes on
        return []
    dropped = []
    for database, role in rows:
        try:
            if database:
                _drop(admin, database, role)
            else:
                _drop_role(admin, role)
        except psycopg.Error:
            continue  # another run is sweeping it, or we may not: leave it
        dropped.append(database or role)
    return dropped


def _drop_role(admin: psycopg.Connection[Any], role: str) -> None:
    admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
