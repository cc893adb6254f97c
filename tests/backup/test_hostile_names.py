"""backup.sql and restore.sql stay inside their comments, identifiers and literals whatever
the names: tables, columns and migration files named to break out, from the history and from
the live database, run through psql next to a canary table that must survive untouched."""

from __future__ import annotations

from pathlib import Path

from schemagate.diff.connect import connect
from schemagate.model.names import quote_ident
from tests.backup.helpers import checksums, need_psql, psql, run_sql
from tests.conftest import CANARY, HOSTILE_NAMES, invoke

# A migration file whose name would end the comments it is quoted in, and clear the screen.
MIGRATION = "000002_drop\nDROP TABLE keep;\n--\x1b[2J"


def _create(name: str, column: str) -> str:
    return f"CREATE TABLE {quote_ident(name)} (id int PRIMARY KEY, {quote_ident(column)} text);\n"


def _project(folder: Path) -> Path:
    """History: 000001 creates a table per hostile name (with a hostile column) and a
    survivor table with a hostile column; 000002 drops them, drops that column, and drops
    the schema `legacy`, whose tables exist only in the live database."""
    folder.mkdir()
    tables = "".join(_create(n, n) for n in HOSTILE_NAMES)
    survivor = "CREATE TABLE survivor (id int PRIMARY KEY" + "".join(
        f", {quote_ident(n)} text" for n in HOSTILE_NAMES) + ");\n"
    (folder / "000001_init.up.sql").write_text(tables + survivor, encoding="utf-8")
    (folder / "000001_init.down.sql").write_text("SELECT 1;\n", encoding="utf-8")
    up = "".join(f"DROP TABLE {quote_ident(n)};\n" for n in HOSTILE_NAMES)
    up += "".join(f"ALTER TABLE survivor DROP COLUMN {quote_ident(n)};\n" for n in HOSTILE_NAMES)
    up += "DROP SCHEMA legacy CASCADE;\n"
    down = tables + "".join(f"ALTER TABLE survivor ADD COLUMN {quote_ident(n)} text;\n"
                            for n in HOSTILE_NAMES)
    down += "CREATE SCHEMA legacy;\n" + "".join(
        f"CREATE TABLE legacy.{quote_ident(n)} (id int PRIMARY KEY, {quote_ident(n)} text);\n"
        for n in HOSTILE_NAMES)
    (folder / f"{MIGRATION}.up.sql").write_text(up, encoding="utf-8")
    (folder / f"{MIGRATION}.down.sql").write_text(down, encoding="utf-8")
    return folder


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # every \r as written (no newline translation)


def _prepare(url: str, project: Path) -> None:
    run_sql(url, CANARY)
    run_sql(url, _read(project / "000001_init.up.sql"))
    with connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA legacy")
        for name in HOSTILE_NAMES:
            conn.execute(f"CREATE TABLE legacy.{quote_ident(name)} "
                         f"(id int PRIMARY KEY, {quote_ident(name)} text)")
            for schema in ("public", "legacy"):
                conn.execute(f"INSERT INTO {quote_ident(schema)}.{quote_ident(name)} "
                             f"SELECT g, %s || g FROM generate_series(1, 20) g", (name,))
        conn.execute("INSERT INTO survivor (id) SELECT g FROM generate_series(1, 20) g")
        for name in HOSTILE_NAMES:
            conn.execute(f"UPDATE survivor SET {quote_ident(name)} = %s || id", (name,))
        tables = [row[0] for row in conn.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
            "AND n.nspname IN ('public', 'legacy')").fetchall()]
        conn.execute("ANALYZE " + ", ".join(tables))  # a bare ANALYZE reads the catalogs too


def _state(url: str) -> dict[str, object]:
    with connect(url) as conn:
        schemas = sorted(r[0] for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema'").fetchall())
    return {"schemas": schemas, "public": checksums(url), "legacy": checksums(url, "legacy")}


def test_backup_and_restore_with_hostile_names_touch_nothing_else(pg_db: str,
                                                                   tmp_path: Path) -> None:
    need_psql()
    project = _project(tmp_path / "migrations")
    _prepare(pg_db, project)
    before = _state(pg_db)
    out = tmp_path / "out"
    made = invoke("backup", str(project), "--from", MIGRATION, "--db", pg_db,
                      "-o", str(out))
    assert made.returncode == 0, made.stderr
    backup, restore = out / "backup.sql", out / "restore.sql"
    # Every save was found: the history's tables and columns, and the live-only schema's.
    assert made.stdout.count("every row") == 2 * len(HOSTILE_NAMES)

    ran = psql(pg_db, backup)
    assert ran.returncode == 0, ran.stderr
    assert "\x1b" not in ran.stdout + ran.stderr  # nothing reaches the DBA's terminal raw
    after_backup = _state(pg_db)
    assert after_backup["public"] == before["public"]  # the canary is intact, and all else
    assert after_backup["legacy"] == before["legacy"]
    assert len(after_backup["schemas"]) == len(before["schemas"]) + 1  # the backup schema

    for step in ("up", "down"):
        run_sql(pg_db, _read(project / f"{MIGRATION}.{step}.sql"))
    restored = psql(pg_db, restore)
    assert restored.returncode == 0, restored.stderr
    assert "\x1b" not in restored.stdout + restored.stderr
    final = _state(pg_db)
    assert final["public"] == before["public"] and final["legacy"] == before["legacy"]
    assert final["public"]["keep"][0] == 1


def test_comment_lines_show_hostile_names_escaped_on_one_line(pg_db: str,
                                                               tmp_path: Path) -> None:
    project = _project(tmp_path / "migrations")
    _prepare(pg_db, project)
    out = tmp_path / "out"
    made = invoke("backup", str(project), "--from", MIGRATION, "--db", pg_db,
                      "-o", str(out))
    assert made.returncode == 0, made.stderr
    for script in ("backup.sql", "restore.sql"):
        text = (out / script).read_text(encoding="utf-8")
        header = text[:text.index("\n\n", text.index("Saves:"))].split("\n")
        # The header is one run of comment lines: no name in it started a line of its own.
        assert all(line.startswith("--") for line in header), script
        assert not any(c in "".join(header) for c in "\r\x1b\x07\x85\u2028\u202e"), script
        assert "000002_drop\\nDROP TABLE keep;\\n--\\x1b[2J" in "\n".join(header), script
        assert "x\\nDROP TABLE keep;\\n--" in "\n".join(header), script
