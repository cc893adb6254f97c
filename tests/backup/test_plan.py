"""Which data a backup saves, found by folding the migrations (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from schemagate.backup import BackupPlan, plan_backup, render_scripts
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.names import QName
from schemagate.parse.load import load_migrations


def _plan(tmp_path: Path, *scripts: str, start: int = 0) -> BackupPlan:
    sources = []
    for i, text in enumerate(scripts, start=1):
        f = tmp_path / f"{i:04d}_m.sql"
        f.write_text(text, encoding="utf-8")
        sources.append(MigrationSource(f.stem, "sql", Script(str(f))))
    loaded = load_migrations(sources)
    assert not loaded.errors, loaded.errors
    return plan_backup(loaded.migrations, start)


BASE = ("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(200), "
        "legacy text, age integer);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n")


def _saves(plan: BackupPlan) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(s.kind, str(s.table.name), s.columns) for s in plan.saves]


def test_destructive_statements_are_saved_by_key(tmp_path: Path) -> None:
    plan = _plan(tmp_path, BASE, "ALTER TABLE users DROP COLUMN legacy;\n"
                 "ALTER TABLE users ALTER COLUMN name TYPE varchar(50);\n"
                 "DROP TABLE orders;\n", start=1)
    assert _saves(plan) == [("columns", "public.users", ("legacy", "name")),
                            ("table", "public.orders", ())]
    assert plan.saves[0].table.key == ("id",)
    assert [r.span.line for r in plan.saves[0].reasons] == [1, 2]
    assert plan.first == "0002_m"


def test_widening_and_new_objects_are_not_saved(tmp_path: Path) -> None:
    plan = _plan(tmp_path, BASE, "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                 "ALTER TABLE users ALTER COLUMN name TYPE varchar(300);\n"
                 "ALTER TABLE users ADD COLUMN tmp text;\n"
                 "ALTER TABLE users DROP COLUMN tmp;\n"
                 "CREATE TABLE scratch (id int);\nDROP TABLE scratch;\n", start=1)
    assert plan.saves == []


def test_objects_created_earlier_in_the_batch_held_no_data(tmp_path: Path) -> None:
    # Both migrations still to run: backup.sql runs before the first, when users does not
    # exist yet, so there is nothing of it to save.
    plan = _plan(tmp_path, BASE, "ALTER TABLE users DROP COLUMN legacy;\n", start=0)
    assert plan.saves == []


def test_saves_use_the_names_of_the_start_of_the_batch(tmp_path: Path) -> None:
    plan = _plan(tmp_path, BASE,
                 "ALTER TABLE users RENAME TO members;\n"
                 "ALTER TABLE members RENAME COLUMN legacy TO old;\n"
                 "ALTER TABLE members DROP COLUMN old;\n", start=1)
    assert _saves(plan) == [("columns", "public.users", ("legacy",))]


def test_truncate_cascade_update_without_where_and_drop_type_cascade(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "CREATE TYPE mood AS ENUM ('a', 'b');\n" + BASE +
                 "ALTER TABLE users ADD COLUMN feeling mood;\n",
                 "UPDATE users SET age = 0;\n"
                 "DELETE FROM orders WHERE id = 1;\n"
                 "TRUNCATE users CASCADE;\n"
                 "DROP TYPE mood CASCADE;\n", start=1)
    assert _saves(plan) == [("columns", "public.users", ("age", "feeling")),
                            ("table", "public.users", ()), ("table", "public.orders", ())]
    feeling = plan.saves[0].table.column("feeling")
    assert feeling is not None and feeling.user_type == '"public"."mood"'


def test_table_without_key_is_saved_whole_and_restore_refuses(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "CREATE TABLE log (at timestamptz, msg text);\n",
                 "ALTER TABLE log DROP COLUMN msg;\n", start=1)
    (save,) = plan.saves
    assert save.table.key == () and save.restorable is not None
    assert any("restore.sql refuses" in n.message for n in plan.notes)
    scripts = render_scripts(plan, now=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert 'SELECT "at", "msg"' in scripts.backup  # whole rows, to restore by hand
    assert "cannot restore public.log" in scripts.restore


def test_a_surviving_foreign_key_to_a_dropped_table_is_noted(tmp_path: Path) -> None:
    plan = _plan(tmp_path, BASE, "DROP TABLE users CASCADE;\n", start=1)
    assert any("public.orders references public.users" in n.message for n in plan.notes)


def test_unknown_tables_have_unknown_shapes_until_db_says(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "ALTER TABLE legacy_users DROP COLUMN x;\nDROP TABLE old_logs;\n")
    cols, table = plan.saves
    assert cols.table.key == () and table.table.columns is None
    assert all(s.restorable for s in plan.saves)


def test_names_and_identifiers_are_quoted(tmp_path: Path) -> None:
    weird = 'we"ird %s $sg$ tåble'
    plan = _plan(tmp_path, f'CREATE TABLE "{weird.replace(chr(34), chr(34) * 2)}" '
                 '(id int PRIMARY KEY, "Col""1" text);\n',
                 f'ALTER TABLE "{weird.replace(chr(34), chr(34) * 2)}" DROP COLUMN "Col""1";\n',
                 start=1)
    assert plan.saves[0].table.name == QName("public", weird)
    scripts = render_scripts(plan, now=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert scripts.schema == "schemagate_backup_0002_m_20240501T120000"
    assert '"public"."we""ird %s $sg$ tåble"' in scripts.backup
    assert '"Col""1"' in scripts.restore
    assert "DO $sg1$" in scripts.backup  # the body holds $sg$: another tag
