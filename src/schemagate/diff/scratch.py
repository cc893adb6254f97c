"""Scratch databases: the only place schemagate writes.

`scratch_database(url)` creates a database with a unique name on the server the URL names
(or on an embedded PostgreSQL started for the occasion when no URL is given), yields its
connection string, and drops it afterwards, whatever happened in between. It never touches
any other database on that server.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from schemagate.diff.connect import DatabaseError, connect, describe, with_database

SCRATCH_PREFIX = "schemagate_scratch_"


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
    folder = tempfile.mkdtemp(prefix="schemagate-pg-")
    server = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(folder, cleanup_mode="delete")  # type: ignore[attr-defined]
        yield str(server.get_uri())
    except (OSError, RuntimeError) as exc:
        raise DatabaseError(f"could not start the embedded PostgreSQL: {exc}") from None
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_database(url: str | None = None) -> Iterator[str]:
    """Yield the connection string of a new, empty database; drop it afterwards."""
    if url is None:
        with embedded_server() as server_url, _database_on(server_url) as scratch:
            yield scratch
        return
    with _database_on(url) as scratch:
        yield scratch


@contextmanager
def _database_on(url: str) -> Iterator[str]:
    name = SCRATCH_PREFIX + uuid.uuid4().hex[:12]
    admin = connect(url, autocommit=True)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        admin.close()
        raise DatabaseError(f"cannot create a scratch database on {describe(url)}: "
                            f"{str(exc).strip().splitlines()[0]}") from None
    try:
        yield with_database(url, name)
    finally:
        _drop(admin, name)
        admin.close()


def _drop(admin: psycopg.Connection[object], name: str) -> None:
    """Drop the scratch database, ending sessions a failed migration may have left."""
    ident = sql.Identifier(name)
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
    except psycopg.errors.SyntaxError:  # PostgreSQL < 13 has no FORCE
        admin.execute(sql.SQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}"
        ).format(sql.Literal(name)))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))
