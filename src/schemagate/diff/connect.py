"""Connections to PostgreSQL: read-only for the live database, and clear errors.

The live database is only ever read: every session opened here is READ ONLY at the
server (`default_transaction_read_only`), so even a bug in a query cannot write.

Nor does it ever wait on the database's users: a read-only session also sets
`lock_timeout` (a table locked ACCESS EXCLUSIVE by a running migration makes
pg_total_relation_size wait for as long as that migration holds it) and
`statement_timeout`. Both can be changed where libpq takes session options: the URL's
`options` parameter (`?options=-c%20lock_timeout%3D10s`) or the PGOPTIONS variable, which
come after the defaults here and so win.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo

from schemagate.model.errors import SchemagateError

# Long enough for a catalog read on a busy server, short enough that a CI job or pre-commit
# run behind a migration's lock gives up with a reason instead of hanging.
LOCK_TIMEOUT = "2s"
STATEMENT_TIMEOUT = "30s"



class DatabaseError(SchemagateError):
    """The database could not be reached or answered with an error; the message says why."""


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<invalid connection string>"
    params.pop("password", None)
    host = params.get("host", "localhost")
    return f"postgresql://{params.get('user', '')}@{host}:{params.get('port', 5432)}/" \
           f"{params.get('dbname', '')}"


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


def connect(url: str, *, autocommit: bool = False, read_only: bool = False,
            timeout: int = 10) -> psycopg.Connection[Any]:
    options = _read_only_options(url) if read_only else ""
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=timeout,
                               options=options)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {describe(url)}: "
                            f"{str(exc).strip().splitlines()[0]}") from None
    return conn


def _read_only_options(url: str) -> str:
    """The session options of a read-only session: ours first, then the user's, which win
    where they name the same setting (the server applies `-c` options in order)."""
    try:
        given = conninfo.conninfo_to_dict(url).get("options")
    except psycopg.ProgrammingError:
        given = None  # psycopg.connect reports the bad URL
    if given is None:
        given = os.environ.get("PGOPTIONS", "")
    ours = (f"-c default_transaction_read_only=on -c lock_timeout={LOCK_TIMEOUT} "
            f"-c statement_timeout={STATEMENT_TIMEOUT}")
    return f"{ours} {given}".strip()


@contextmanager
def read_only(url: str) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor in a READ ONLY transaction on the live database; rolled back at the end.

    Read-only three times over: the session default, psycopg's `BEGIN READ ONLY`, and an
    explicit `SET TRANSACTION READ ONLY`, so a test can see it in `transaction_read_only`.
    REPEATABLE READ, so that every query of the transaction reads one snapshot: under the
    default READ COMMITTED each statement takes a new one, and a migration committed between
    two catalog queries would be half seen.
    """
    conn = connect(url, read_only=True)
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    try:
        with conn.cursor() as cur, database_errors(url):
            cur.execute("SET TRANSACTION READ ONLY")
            yield cur
    finally:
        conn.rollback()
        conn.close()


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """The database's errors as DatabaseError, naming the database (not its password)."""
    try:
        yield
    except psycopg.Error as exc:
        raise DatabaseError(f"{describe(url)}: {str(exc).strip().splitlines()[0]}") from None
