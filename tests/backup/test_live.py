"""Backups of tables the history does not know, read from the live database with --db;
odd identifiers through the whole round trip."""

from __future__ import annotations

import time
from pathlib import Path

from schemagate.diff.connect import connect
from tests.backup.helpers import checksums, run_sql
from tests.conftest import invoke, table_locked

WEIRD = 'we"ird %s $sg$ tåble'
WEIRD_SQL = '"we""ird %s $sg$ tåble"'


def _write(folder: Path, name: str, up: str, down: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.up.sql").write_text(up, encoding="utf-8")
    (folder / f"{name}.down.sql").write_text(down, encoding="utf-8")


def test_db_gives_keys_columns_and_schema_tables(pg_db: str, tmp_path: Path) -> None:
    # Tables made outside the migrations: the history knows neither columns nor keys.
    run_sql(pg_db, f"""
        CREATE TYPE status AS ENUM ('on', 'off');
        CREATE TABLE accounts (id int PRIMARY KEY, email text, state status);
        INSERT INTO accounts SELECT g, 'user' || g || '@example.org',
            CASE WHEN g % 2 = 0 THEN 'on' ELSE 'off' END::status
        FROM generate_series(1, 1500) g;
        CREATE SCHEMA reporting;
        CREATE TABLE reporting.daily (day date PRIMARY KEY, total numeric);
        INSERT INTO reporting.daily SELECT date '2024-01-01' + g, g * 1.5
        FROM generate_series(1, 300) g;
        CREATE TABLE {WEIRD_SQL} (id int PRIMARY KEY, "Col""1" text, "ÄÖ" int[]);
        INSERT INTO {WEIRD_SQL} SELECT g, 'it''s %s ' || g, ARRAY[g, NULL]
        FROM generate_series(1, 200) g;
        ANALYZE accounts, reporting.daily, {WEIRD_SQL};  -- not the catalogs too
    """)
    migrations = tmp_path / "migrations"
    _write(migrations, "20240101_cleanup",
           "ALTER TABLE accounts DROP COLUMN state;\n"
           "ALTER TABLE accounts DROP COLUMN email;\n"
           "DROP SCHEMA reporting CASCADE;\n"
           f'ALTER TABLE {WEIRD_SQL} DROP COLUMN "Col""1";\n'
           f'ALTER TABLE {WEIRD_SQL} DROP COLUMN "ÄÖ";\n'
           "DROP TYPE status;\n",
           "CREATE TYPE status AS ENUM ('on', 'off');\n"
           "ALTER TABLE accounts ADD COLUMN email text;\n"
           "ALTER TABLE accounts ADD COLUMN state status;\n"
           "CREATE SCHEMA reporting;\n"
           "CREATE TABLE reporting.daily (day date PRIMARY KEY, total numeric);\n"
           f'ALTER TABLE {WEIRD_SQL} ADD COLUMN "Col""1" text;\n'
           f'ALTER TABLE {WEIRD_SQL} ADD COLUMN "ÄÖ" int[];\n')
    before = checksums(pg_db) | {f"reporting.{k}": v for k, v in
                                 checksums(pg_db, "reporting").items()}
    out = tmp_path / "out"
    proc = invoke("backup", str(migrations), "--db", pg_db, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    backup = (out / "backup.sql").read_text(encoding="utf-8")
    restore = (out / "restore.sql").read_text(encoding="utf-8")
    # The live database supplied the key (id), the columns, and the schema's tables; the
    # enum column is saved as text (the migration drops its type) and cast back.
    assert 'SELECT "id", "state"::text AS "state", "email"' in backup
    assert '"reporting"."daily"' in backup
    assert '"state" = b."state"::"public"."status"' in restore
    assert "~2,000 rows" in backup  # 1,500 + 300 + 200 from reltuples
    assert "restore.sql refuses" not in backup

    for script in (out / "backup.sql", migrations / "20240101_cleanup.up.sql",
                   migrations / "20240101_cleanup.down.sql", out / "restore.sql"):
        run_sql(pg_db, script.read_text(encoding="utf-8"))
    after = checksums(pg_db) | {f"reporting.{k}": v for k, v in
                                checksums(pg_db, "reporting").items()}
    assert after == before
    assert before[WEIRD][0] == 200


def test_backup_reads_the_live_database_read_only(pg_db: str, tmp_path: Path) -> None:
    run_sql(pg_db, "CREATE TABLE t (id int PRIMARY KEY, v text); "
                   "INSERT INTO t VALUES (1, 'a');")
    migrations = tmp_path / "m"
    _write(migrations, "1_drop", "ALTER TABLE t DROP COLUMN v;\n",
           "ALTER TABLE t ADD COLUMN v text;\n")
    with connect(pg_db) as conn:
        before = conn.execute("SELECT count(*) FROM pg_class").fetchone()
    proc = invoke("backup", str(migrations), "--db", pg_db, "-o", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    with connect(pg_db) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class").fetchone() == before
    assert "public.t: v" in proc.stdout


def test_unreachable_db_is_exit_2(tmp_path: Path) -> None:
    migrations = tmp_path / "m"
    _write(migrations, "1_drop", "ALTER TABLE t DROP COLUMN v;\n", "SELECT 1;\n")
    proc = invoke("backup", str(migrations), "--db",
                      "postgresql://nobody:pw@127.0.0.1:1/x", "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "cannot connect" in proc.stderr and "pw" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_db_behind_a_lock_gives_the_shape_and_says_the_size_is_unknown(
        pg_db: str, tmp_path: Path, short_lock_wait: None) -> None:
    run_sql(pg_db, """
        CREATE TABLE accounts (id int PRIMARY KEY, email text);
        INSERT INTO accounts SELECT g, 'u' || g FROM generate_series(1, 500) g;
        ANALYZE accounts;
    """)
    migrations = tmp_path / "migrations"
    _write(migrations, "20240101_drop_email", "ALTER TABLE accounts DROP COLUMN email;\n",
           "ALTER TABLE accounts ADD COLUMN email text;\n")
    out = tmp_path / "out"
    started = time.monotonic()
    with table_locked(pg_db, "accounts"):
        proc = invoke("backup", str(migrations), "--db", pg_db, "-o", str(out))
    assert time.monotonic() - started < 15
    assert proc.returncode == 0, proc.stderr
    assert "public.accounts: size unknown: another session holds a lock" in proc.stdout
    backup = (out / "backup.sql").read_text(encoding="utf-8")
    assert 'SELECT "id", "email"' in backup  # the key, read from the catalogs regardless


def test_a_drop_if_exists_of_a_table_the_database_lacks_saves_nothing(
        pg_db: str, tmp_path: Path) -> None:
    """trigger.dev's `DROP TABLE IF EXISTS triggerdotdev_events.run_executions` before it
    creates the table: where the database has none, the drop does nothing and backup.sql
    must not stop on it; where it has one, its rows are saved."""
    run_sql(pg_db, "CREATE TABLE kept (id int PRIMARY KEY, note text);"
                   "INSERT INTO kept VALUES (1, 'x');")
    migrations = tmp_path / "migrations"
    _write(migrations, "20240101_events",
           "DROP TABLE IF EXISTS run_executions;\n"
           "DROP TABLE IF EXISTS kept;\n"
           "CREATE TABLE run_executions (id serial PRIMARY KEY, event_type int NOT NULL);\n",
           "DROP TABLE run_executions;\n"
           "CREATE TABLE kept (id int PRIMARY KEY, note text);\n")
    out = tmp_path / "out"
    proc = invoke("backup", str(migrations), "--db", pg_db, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    backup = (out / "backup.sql").read_text(encoding="utf-8")
    assert "public.run_executions is not in the database: its DROP TABLE IF EXISTS drops " \
           "nothing, and there is nothing to save" in backup
    assert '"public"."run_executions"' not in backup
    assert 'FROM "public"."kept"' in backup
    for script in (out / "backup.sql", migrations / "20240101_events.up.sql",
                   migrations / "20240101_events.down.sql", out / "restore.sql"):
        run_sql(pg_db, script.read_text(encoding="utf-8"))
    assert checksums(pg_db)["kept"][0] == 1
