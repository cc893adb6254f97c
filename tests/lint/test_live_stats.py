"""--db: table sizes from a real PostgreSQL, attached to findings; small tables go to info."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.diff.connect import LOCK_TIMEOUT, STATEMENT_TIMEOUT, connect, read_only
from schemagate.diff.stats import table_stats
from schemagate.model.names import QName
from tests.conftest import table_locked


@pytest.fixture
def sized_db(pg_db: str) -> str:
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE big (id bigint, email text)")
        conn.execute("INSERT INTO big SELECT g, 'u' || g FROM generate_series(1, 20000) g")
        conn.execute("CREATE TABLE small (id bigint, email text)")
        conn.execute("INSERT INTO small SELECT g, 'u' || g FROM generate_series(1, 10) g")
        conn.execute("ANALYZE big, small")  # its tables only: a bare ANALYZE reads the catalogs too
    return pg_db


def test_table_stats_reads_rows_and_bytes(sized_db: str) -> None:
    stats = table_stats(sized_db)
    big, small = stats[QName("public", "big")], stats[QName("public", "small")]
    assert big.rows == 20000 and big.bytes > 500_000
    assert small.rows == 10 and big.bytes > small.bytes


def test_findings_carry_size_and_small_tables_drop_to_info(sized_db: str, tmp_path: Path
                                                           ) -> None:
    migration = tmp_path / "001_index.sql"
    migration.write_text("SET lock_timeout = '2s';\n"
                         "CREATE INDEX big_email ON big (email);\n"
                         "CREATE INDEX small_email ON small (email);\n")
    result = CliRunner().invoke(main, ["lint", str(migration), "--db", sized_db,
                                       "--format", "json"])
    doc = json.loads(result.output)
    by_table = {f["facts"]["table"]: f for f in doc["findings"]
                if f["rule"] == "create-index-non-concurrently"}
    assert by_table["public.big"]["severity"] == "warning"
    assert by_table["public.big"]["facts"]["rows"] == 20000
    assert by_table["public.big"]["lock"] == "SHARE"
    assert by_table["public.small"]["severity"] == "info"
    assert by_table["public.small"]["facts"]["rows"] == 10


def test_unreachable_db_is_exit_2(tmp_path: Path) -> None:
    migration = tmp_path / "001.sql"
    migration.write_text("SELECT 1;\n")
    result = CliRunner().invoke(main, ["lint", str(migration), "--db",
                                       "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "cannot connect" in result.output


@pytest.fixture
def big_locked(sized_db: str, short_lock_wait: None) -> Iterator[str]:
    with table_locked(sized_db, "big"):
        yield sized_db


def test_live_sessions_bound_their_waits_with_lock_and_statement_timeouts(pg_db: str) -> None:
    with read_only(pg_db) as cur:
        cur.execute("SELECT current_setting('lock_timeout'), "
                    "current_setting('statement_timeout')")
        assert cur.fetchone() == (LOCK_TIMEOUT, STATEMENT_TIMEOUT)


def test_the_urls_own_session_options_win_over_the_default_timeouts(pg_db: str) -> None:
    url = f"{pg_db} options='-c lock_timeout=7s'"
    with read_only(url) as cur:
        cur.execute("SELECT current_setting('lock_timeout'), "
                    "current_setting('transaction_read_only')")
        assert cur.fetchone() == ("7s", "on")


def test_a_locked_tables_size_is_unknown_with_the_reason_and_the_others_are_read(
        big_locked: str) -> None:
    started = time.monotonic()
    stats = table_stats(big_locked)
    assert time.monotonic() - started < 15
    big, small = stats[QName("public", "big")], stats[QName("public", "small")]
    assert big.bytes is None and big.rows == 20000
    assert big.unknown is not None and "lock" in big.unknown
    assert small.bytes is not None and small.unknown is None


def test_lint_db_finishes_promptly_behind_a_lock_and_says_the_size_is_unknown(
        big_locked: str, tmp_path: Path) -> None:
    migration = tmp_path / "001_index.sql"
    migration.write_text("SET lock_timeout = '2s';\n"
                         "CREATE INDEX big_email ON big (email);\n")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["lint", str(migration), "--db", big_locked,
                                       "--format", "json"])
    assert time.monotonic() - started < 15
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    notices = [n for n in doc["notices"] if n["path"] == "public.big"]
    assert notices and "size unknown" in notices[0]["message"]
    finding = next(f for f in doc["findings"] if f["rule"] == "create-index-non-concurrently")
    assert finding["facts"]["rows"] == 20000 and finding["facts"]["bytes"] is None


def test_a_required_column_added_to_a_table_with_rows_is_an_error(sized_db: str,
                                                                  tmp_path: Path) -> None:
    migration = tmp_path / "001_plan.sql"
    migration.write_text("ALTER TABLE small ADD COLUMN plan text NOT NULL;\n")
    result = CliRunner().invoke(main, ["lint", str(migration), "--db", sized_db,
                                       "--format", "json"])
    doc = json.loads(result.output)
    [finding] = [f for f in doc["findings"] if f["rule"] == "add-required-column"]
    assert (finding["severity"], finding["facts"]["rows"]) == ("error", 10)


DJANGO_INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Big",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("email", models.TextField()),
            ],
            options={"db_table": "big"},
        ),
    ]
'''
DJANGO_INDEX = '''from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("crm", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="big",
            index=models.Index(fields=["email"], name="big_email_idx"),
        ),
    ]
'''


def test_a_django_projects_findings_carry_the_live_tables_size(sized_db: str,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "crm" / "migrations"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text(DJANGO_INITIAL)
    (folder / "0002_big_email_idx.py").write_text(DJANGO_INDEX)
    result = CliRunner().invoke(main, ["lint", str(tmp_path), "--db", sized_db,
                                       "--format", "json"])
    doc = json.loads(result.output)
    [finding] = [f for f in doc["findings"] if f["rule"] == "create-index-non-concurrently"]
    assert finding["migration"] == "0002_big_email_idx" and finding["severity"] == "warning"
    assert finding["facts"]["table"] == "public.big" and finding["facts"]["rows"] == 20000
