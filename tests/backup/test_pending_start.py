"""`backup` and `report` start from the first migration still to run: the first one in the
order the tool applies them, and with --db the first one its record does not list."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schemagate.backup import BackupError, run_backup
from schemagate.model.settings import Settings
from schemagate.reports.run import run_report

# Revision ids whose file names sort against the graph: Alembic runs zz… first.
REVISIONS = [("zz0000000001", None, "CREATE TABLE users (id bigint PRIMARY KEY, a text)"),
             ("mm0000000002", "zz0000000001", "CREATE TABLE orders (id bigint PRIMARY KEY)"),
             ("aa0000000003", "mm0000000002", "DROP TABLE orders")]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    for rev, down, sql in REVISIONS:
        (versions / f"{rev}_step.py").write_text(
            f'from alembic import op\n\nrevision = "{rev}"\ndown_revision = '
            f'{down and repr(down)}\n\n\ndef upgrade():\n    op.execute("{sql}")\n\n\n'
            "def downgrade():\n    pass\n")
    return tmp_path / "alembic"


def _record(url: str, head: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                     "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        conn.execute("INSERT INTO alembic_version VALUES (%s)", (head,))


def test_backup_starts_at_the_base_revision_not_the_first_file_name(history: Path) -> None:
    made = run_backup([str(history)], Settings())
    assert "Run it right before zz0000000001_step," in made.scripts.backup
    # The whole history is still to run: the table it drops is created in it, nothing to save.
    assert made.plan.saves == []


def test_backup_with_a_database_starts_at_the_first_revision_not_recorded(
        history: Path, pg_db: str) -> None:
    _record(pg_db, "mm0000000002")
    made = run_backup([str(history)], Settings(), db=pg_db)
    assert "Run it right before aa0000000003_step," in made.scripts.backup
    assert [s.table.name.name for s in made.plan.saves] == ["orders"]
    assert any("aa0000000003_step" in note for note in made.notes())
    # --from still decides when given.
    assert "Run it right before mm0000000002_step," in run_backup(
        [str(history)], Settings(), db=pg_db, start="mm0000000002_step").scripts.backup


def test_backup_with_a_database_without_a_record_takes_every_migration(
        history: Path, pg_db: str) -> None:
    made = run_backup([str(history)], Settings(), db=pg_db)
    assert "Run it right before zz0000000001_step," in made.scripts.backup
    assert any("looked for alembic_version (alembic)" in n for n in made.notes())


def test_backup_refuses_a_record_of_another_history(history: Path, pg_db: str) -> None:
    _record(pg_db, "ffffffffffff")
    with pytest.raises(BackupError, match="ffffffffffff"):
        run_backup([str(history)], Settings(), db=pg_db)


def test_report_with_a_database_shows_the_migrations_still_to_run(
        history: Path, pg_db: str) -> None:
    _record(pg_db, "zz0000000001")
    run = run_report([str(history)], Settings(), db=pg_db)
    assert [m.name for m in run.impact.migrations] == ["mm0000000002_step",
                                                      "aa0000000003_step"]
    assert "Run it right before mm0000000002_step," in run.impact.backup.backup
    assert any("mm0000000002_step" in n.message for n in run.result.notices)
