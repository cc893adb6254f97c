"""Scratch databases and read-only sessions, on a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from schemagate.diff.connect import DatabaseError, connect, read_only
from schemagate.diff.scratch import SCRATCH_PREFIX, embedded_server, scratch_database


def _databases(url: str) -> set[str]:
    with connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


def test_scratch_database_is_created_and_dropped(pg_server: str) -> None:
    with scratch_database(pg_server) as url:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        assert str(name).startswith(SCRATCH_PREFIX)
        assert name in _databases(pg_server)
        with connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id int)")
    assert name not in _databases(pg_server)


def test_scratch_database_is_dropped_after_a_failure_with_sessions_open(pg_server: str) -> None:
    with pytest.raises(RuntimeError), scratch_database(pg_server) as url:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        left_open = connect(url)
        left_open.execute("SELECT 1")
        raise RuntimeError("migration failed")
    assert name not in _databases(pg_server)


def test_read_only_session_cannot_write(pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
    with read_only(pg_db) as cur:
        cur.execute("SHOW transaction_read_only")
        assert cur.fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            cur.execute("INSERT INTO t VALUES (1)")


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError) as caught:
        connect("postgresql://nobody:secret@127.0.0.1:1/x", timeout=2)
    assert "cannot connect to postgresql://nobody@127.0.0.1:1/x" in str(caught.value)
    assert "secret" not in str(caught.value)


@pytest.mark.slow
def test_embedded_server_starts_and_serves() -> None:
    pytest.importorskip("pgserver", reason="the embedded PostgreSQL (pgserver) is not installed")
    with embedded_server() as url, scratch_database(url) as scratch, connect(scratch) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
