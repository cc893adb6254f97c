"""backup, up, down, restore on a real PostgreSQL: the data comes back identical.

The fixture (tests/fixtures/backup/roundtrip) has a table with every common column type,
NULLs and unicode, thousands of rows; its second migration drops two columns (one of an
enum type), narrows two types, deletes every row of a table without a key, and drops two
tables, one referenced by the other's foreign key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schemagate.diff.connect import connect
from tests.backup.helpers import checksums, need_psql, psql, run_sql
from tests.conftest import FIXTURES, DatabaseMaker, invoke

PROJECT = FIXTURES / "backup" / "roundtrip"
DATA = FIXTURES / "backup" / "data.sql"
UP = PROJECT / "000002_destroy.up.sql"
DOWN = PROJECT / "000002_destroy.down.sql"


def _prepare(url: str) -> None:
    run_sql(url, (PROJECT / "000001_init.up.sql").read_text(encoding="utf-8"))
    run_sql(url, DATA.read_text(encoding="utf-8"))


@pytest.fixture
def prepared(pg_databases: DatabaseMaker) -> Iterator[str]:
    """A database at the first migration, with the fixture's rows (cloned, built once)."""
    with pg_databases.clone("backup-roundtrip", _prepare) as url:
        yield url


def _scripts(url: str, out: Path) -> tuple[Path, Path]:
    proc = invoke("backup", str(PROJECT), "--from", "000002_destroy", "--db", url,
                      "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out / "backup.sql", out / "restore.sql"


def test_psql_backup_up_down_restore_gives_identical_data(prepared: str, tmp_path: Path) -> None:
    need_psql()
    before = checksums(prepared)
    assert before["Everything"][0] == 5000 and before["audit_log"][0] == 3000
    backup, restore = _scripts(prepared, tmp_path)
    header = backup.read_text(encoding="utf-8")
    assert "Estimate from table statistics" in header and "rows, ~" in header

    done = psql(prepared, backup)
    assert done.returncode == 0, done.stderr
    # The manifest records what was saved, with row counts.
    with connect(prepared) as conn:
        schema = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE "
                              "'schemagate_backup_%'").fetchone()[0]
        rows = dict(conn.execute(f'SELECT source, rows FROM "{schema}".manifest').fetchall())
    assert rows == {'"public"."Everything"': 5000, '"public"."audit_log"': 3000,
                    '"public"."invoice_lines"': 4000, '"public"."invoices"': 2000}

    for step in (UP, DOWN):
        ran = psql(prepared, step)
        assert ran.returncode == 0, ran.stderr
    lost = checksums(prepared)
    assert lost["audit_log"][0] == 0 and lost["invoices"][0] == 0
    assert lost["Everything"] != before["Everything"]  # columns emptied, values rounded

    restored = psql(prepared, restore)
    assert restored.returncode == 0, restored.stderr
    assert "rows put back" in restored.stderr  # psql shows the NOTICEs
    assert checksums(prepared) == before

    # Idempotent: a second run changes nothing and succeeds.
    again = psql(prepared, restore)
    assert again.returncode == 0, again.stderr
    assert checksums(prepared) == before
    # Identity and serial sequences were caught up: new rows get fresh ids.
    run_sql(prepared, "INSERT INTO invoices (customer_id, amount) VALUES (1, 1)")


def test_backup_refuses_to_run_twice(prepared: str, tmp_path: Path) -> None:
    need_psql()
    backup, _ = _scripts(prepared, tmp_path)
    assert psql(prepared, backup).returncode == 0
    second = psql(prepared, backup)
    assert second.returncode != 0
    assert "already exists: this backup was already taken" in second.stderr


def test_restore_refuses_without_the_backup_and_changes_nothing(prepared: str,
                                                                 tmp_path: Path) -> None:
    need_psql()
    _, restore = _scripts(prepared, tmp_path)
    for step in (UP, DOWN):
        assert psql(prepared, step).returncode == 0
    before = checksums(prepared)
    refused = psql(prepared, restore)
    assert refused.returncode == 3  # psql: an error in the script, ON_ERROR_STOP
    assert "the backup is missing" in refused.stderr
    assert "backup.sql must run before 000002_destroy" in refused.stderr
    assert checksums(prepared) == before


def test_restore_refuses_before_the_down_migration(prepared: str, tmp_path: Path) -> None:
    need_psql()
    backup, restore = _scripts(prepared, tmp_path)
    assert psql(prepared, backup).returncode == 0
    assert psql(prepared, UP).returncode == 0
    refused = psql(prepared, restore)
    assert refused.returncode == 3
    assert "run the down migrations first" in refused.stderr


def test_scripts_run_through_psycopg_too(prepared: str, tmp_path: Path) -> None:
    before = checksums(prepared)
    backup, restore = _scripts(prepared, tmp_path)
    for script in (backup, UP, DOWN, restore):
        run_sql(prepared, script.read_text(encoding="utf-8"))
    assert checksums(prepared) == before
