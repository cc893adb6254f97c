"""verify writes to its own scratch database only, and cleans up whatever happens."""

from __future__ import annotations

import importlib.util
import json

import pytest
from psycopg import conninfo

from schemagate.diff.connect import connect
from schemagate.diff.scratch import SCRATCH_PREFIX
from schemagate.model.names import QName
from tests.backup.helpers import schemagate, table_checksum
from tests.conftest import DatabaseMaker, SharedEmbedded
from tests.verify.helpers import VERIFY, verify_folder


def _databases(url: str) -> set[str]:
    with connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


@pytest.fixture
def own_server(request: pytest.FixtureRequest) -> tuple[str, bool]:
    """A server no one else uses (the session's embedded one: this process's tests run one
    at a time), so that its list of databases can be compared exactly; else the shared test
    server, compared leniently (other test runs may create and drop databases on it
    meanwhile). (URL, exact)."""
    if importlib.util.find_spec("pgserver") is None:
        return request.getfixturevalue("pg_server"), False
    return request.getfixturevalue("embedded_pg"), True


@pytest.mark.slow
def test_verify_touches_no_other_database(own_server: tuple[str, bool]) -> None:
    server, exact = own_server
    # A database made as the server's own (privileged) user, as a user's --scratch URL is:
    # scratch_database would hand out its throwaway role, which may not create databases.
    maker = DatabaseMaker(server)
    try:
        with maker.database() as url:
            _check_isolation(url, exact)
    finally:
        maker.close()


def _check_isolation(pg_db: str, exact: bool) -> None:
    # A table in the URL's own database, which verify must leave alone.
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE keep_me (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO keep_me SELECT g, 'v' || g FROM generate_series(1, 100) g")
        before_rows = table_checksum(conn, QName("public", "keep_me"))
        tables_before = conn.execute("SELECT count(*) FROM pg_class").fetchone()
    before = _databases(pg_db)

    # The URL names a database on the server; verify creates its own next to it.
    proc = schemagate("verify", str(VERIFY / "locks"), "--scratch", pg_db, "--format", "json",
                      "--seed", "20")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    scratch = doc["scratch"]["database"]
    assert scratch.startswith(SCRATCH_PREFIX)
    assert scratch != conninfo.conninfo_to_dict(pg_db)["dbname"]

    after = _databases(pg_db)
    assert scratch not in after
    if exact:
        assert after == before
    else:
        assert before - after <= {d for d in before if d.startswith(SCRATCH_PREFIX)}
    with connect(pg_db) as conn:
        assert table_checksum(conn, QName("public", "keep_me")) == before_rows
        assert conn.execute("SELECT count(*) FROM pg_class").fetchone() == tables_before


def test_a_failed_migration_still_drops_the_scratch_database(pg_server: str) -> None:
    proc = schemagate("verify", str(VERIFY / "wrapped_failure"), "--scratch", pg_server,
                      "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["migrations"][0]["up"]["ok"] is False
    assert doc["scratch"]["database"] not in _databases(pg_server)


@pytest.mark.slow
def test_without_scratch_it_runs_on_an_embedded_server(shared_embedded: SharedEmbedded) -> None:
    result = verify_folder(VERIFY / "explicit_block", None)
    assert shared_embedded.starts == 1
    assert result.server.startswith("embedded PostgreSQL")
    assert result.gate.passed, result.gate
