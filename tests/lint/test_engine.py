"""The engine across migrations: history as context, down paths, the transaction model."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.engine import LintResult, lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from schemagate.parse.load import load_migrations
from tests.conftest import lint_dialect_history, lint_sql, rules_of, with_settings


def test_table_created_in_an_earlier_migration_is_existing(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "CREATE TABLE t (id int);", "CREATE INDEX i ON t (id);")
    assert rules_of(result) == [(1, "create-index-non-concurrently")]
    assert result.active[0].span.path.endswith("0002_m.sql")


def test_wrapped_layout_makes_concurrently_an_error(tmp_path: Path) -> None:
    sql = "CREATE INDEX CONCURRENTLY i ON t (a);"
    assert rules_of(lint_sql(tmp_path, sql, transaction="autocommit")) == []
    assert rules_of(lint_sql(tmp_path, sql, transaction="wrapped")) == [
        (1, "concurrently-in-transaction")]
    assert rules_of(lint_sql(tmp_path, sql, transaction="implicit")) == []
    two = "SET lock_timeout = '2s';\n" + sql
    assert rules_of(lint_sql(tmp_path, two, transaction="implicit")) == [
        (2, "concurrently-in-transaction")]


def test_findings_carry_migration_statement_object_and_lock(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "ALTER TABLE users\n  DROP COLUMN legacy;")
    (f,) = result.active
    assert f.migration == "0001_m" and f.object == "public.users.legacy"
    assert f.statement == "ALTER TABLE users\n  DROP COLUMN legacy"
    assert f.lock == "ACCESS EXCLUSIVE"


def test_a_finding_points_at_the_alter_table_action_and_keeps_its_statement(tmp_path: Path
                                                                          ) -> None:
    result = lint_sql(tmp_path, "ALTER TABLE users\n  DROP COLUMN legacy;")
    (f,) = result.active
    assert (f.span.line, f.span.column, f.span.end_line, f.span.end_column) == (2, 3, 2, 20)
    assert f.statement_span is not None
    whole = f.statement_span
    assert (whole.line, whole.column, whole.end_line, whole.end_column) == (1, 1, 2, 20)


def test_dropping_a_column_a_view_reads_is_data_loss_and_a_broken_dependency(tmp_path: Path
                                                                           ) -> None:
    result = lint_sql(tmp_path, "CREATE TABLE u (id int, email text);\n"
                                "CREATE VIEW emails AS SELECT email FROM u;",
                      "ALTER TABLE u DROP COLUMN email;")
    by_rule = {f.rule: f.message for f in result.active}
    assert set(by_rule) == {"drop-column", "drop-referenced-object"}
    assert "view public.emails" in by_rule["drop-referenced-object"]
    assert "view" not in by_rule["drop-column"]  # one concern per finding


def test_truncate_cascade_names_referencing_tables(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "CREATE TABLE a (id int PRIMARY KEY);\n"
                                "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);\n"
                                "CREATE TABLE c (b_id int REFERENCES b (id));",
                      "TRUNCATE a CASCADE;", settings=with_settings(select=("truncate",)))
    (f,) = result.active
    assert "CASCADE also empties public.b, public.c" in f.message


def test_down_path_renaming_back_is_not_a_compat_break(tmp_path: Path) -> None:
    from schemagate.lint.engine import lint
    from schemagate.model.migration import MigrationSource, Script
    from schemagate.model.settings import Settings
    from schemagate.parse.load import load_migrations

    up, down = tmp_path / "1.up.sql", tmp_path / "1.down.sql"
    up.write_text("ALTER TABLE users RENAME COLUMN name TO full_name;\n"
                  "ALTER TABLE orders RENAME TO purchases;\n")
    down.write_text("ALTER TABLE purchases RENAME TO orders;\n"
                    "ALTER TABLE users RENAME COLUMN full_name TO name;\n"
                    "ALTER TABLE users RENAME COLUMN email TO mail;\n")
    src = MigrationSource("1", "golang-migrate", Script(str(up)), Script(str(down)))
    result = lint(load_migrations([src]).migrations, Settings(select=("compat",)))
    got = sorted((Path(f.span.path).name, f.span.line, f.rule) for f in result.active)
    assert got == [("1.down.sql", 3, "rename-column"), ("1.up.sql", 1, "rename-column"),
                   ("1.up.sql", 2, "rename-table")]


def test_each_history_folder_is_folded_on_its_own_schema(tmp_path: Path) -> None:
    from schemagate.lint.engine import lint
    from schemagate.model.settings import Settings
    from schemagate.parse.layouts.discover import discover
    from schemagate.parse.load import load_migrations

    for project in ("a", "b"):
        (tmp_path / project).mkdir()
    # Project a creates t.c as varchar(10); project b's t predates its own history, so b
    # cannot know c's old type and must not borrow a's.
    (tmp_path / "a" / "1_create.sql").write_text("CREATE TABLE t (c varchar(10));\n")
    (tmp_path / "a" / "2_narrow.sql").write_text("ALTER TABLE t ALTER COLUMN c TYPE varchar(5);\n")
    (tmp_path / "b" / "1_narrow.sql").write_text("ALTER TABLE t ALTER COLUMN c TYPE varchar(5);\n")
    found = discover([str(tmp_path / "a"), str(tmp_path / "b")], cwd=tmp_path)
    result = lint(load_migrations(found.migrations, root=tmp_path).migrations,
                  Settings(select=("lossy-type-change",)))
    flagged = sorted((f.span.path, f.rule) for f in result.active)
    assert flagged == [("a/2_narrow.sql", "lossy-type-change")]
    assert set(result.catalogs) == {"a", "b"}


def test_a_reported_migration_is_judged_the_same_when_the_others_are_only_folded(
        tmp_path: Path) -> None:
    # Migrations that are folded but not reported skip their down path; what they leave
    # (the placeholders for objects the history never created) must still reach the next.
    folder = tmp_path / "migrations"
    folder.mkdir()
    scripts = {
        "1_a": ("CREATE TABLE a (id int);", "DROP TABLE a;"),
        "2_b": ("ALTER TABLE legacy DROP COLUMN old;", "SELECT 1;"),
        "3_c": ("CREATE INDEX i ON a (id);\nALTER TABLE legacy ADD COLUMN n int;",
                "ALTER TABLE a DROP COLUMN id;"),
    }
    for name, (up, down) in scripts.items():
        (folder / f"{name}.up.sql").write_text(up, encoding="utf-8")
        (folder / f"{name}.down.sql").write_text(down, encoding="utf-8")
    sources = [MigrationSource(name, "golang-migrate",
                               Script(str(folder / f"{name}.up.sql"), "implicit"),
                               Script(str(folder / f"{name}.down.sql"), "implicit"))
               for name in scripts]
    migrations = load_migrations(sources).migrations
    everything = lint(migrations, Settings()).findings
    for name in scripts:
        alone = lint(migrations, Settings(), report={name}).findings
        assert [(f.rule, f.span, f.message) for f in alone] == [
            (f.rule, f.span, f.message) for f in everything if f.migration == name]
    assert {f.migration for f in everything} >= {"2_b", "3_c"}


def test_a_lock_timeout_env_py_sets_guards_every_alembic_migration(tmp_path: Path) -> None:
    from schemagate.lint.engine import lint
    from schemagate.model.settings import Settings
    from schemagate.parse.layouts.discover import discover
    from schemagate.parse.load import load_migrations

    def missing(folder: str, env: str) -> list[int]:
        versions = tmp_path / folder / "alembic" / "versions"
        versions.mkdir(parents=True)
        (versions / "a1_drop.py").write_text(
            'from alembic import op\n\nrevision = "a1"\ndown_revision = None\n\n\n'
            'def upgrade():\n    op.drop_column("users", "legacy")\n'
            '    op.execute("SET lock_timeout = 0")\n    op.drop_column("users", "other")\n')
        (tmp_path / folder / "alembic" / "env.py").write_text(
            f'connection.execute(text("{env}"))\n')
        found = discover([str(tmp_path / folder)])
        result = lint(load_migrations(found.migrations).migrations,
                      Settings(select=("missing-lock-timeout",)))
        return [f.span.line for f in result.active]

    assert missing("guarded", "SET lock_timeout = '2s'") == [10]  # once the revision unsets it
    assert missing("other", "SET statement_timeout = 5000") == [8]


def _findings_of(result: LintResult) -> list[tuple[str, int, str]]:
    return [(Path(f.span.path).name, f.span.line, f.rule) for f in result.active]


def test_a_down_paths_drop_if_exists_of_a_table_the_history_never_held_is_not_assumed(
        tmp_path: Path) -> None:
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE IF NOT EXISTS one_time_code (\n"
                             "    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n"
                             "    code BLOB NOT NULL\n);\n",
        "V0001.Init.down.sql": "DROP TABLE IF EXISTS one_time_code;\n",
        "V0002.Extra.up.sql": "CREATE TABLE IF NOT EXISTS extra (\n"
                              "    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT\n);\n",
        "V0002.Extra.down.sql": "DROP TABLE IF EXISTS ghost;\nDROP TABLE IF EXISTS extra;\n",
    }, "sqlite")
    assert _findings_of(result) == []


def test_a_drop_if_exists_of_a_table_dropped_earlier_in_the_history_destroys_nothing(
        tmp_path: Path) -> None:
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
                             "CREATE TABLE keep (id INTEGER PRIMARY KEY);\n",
        "V0001.Init.down.sql": "DROP TABLE keep; DROP TABLE IF EXISTS a;\n",
        "V0002.DropA.up.sql": "DROP TABLE a;\n",
        "V0002.DropA.down.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
        "V0003.Again.up.sql": "DROP TABLE IF EXISTS a;\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n",
        "V0003.Again.down.sql": "DROP TABLE b;\n",
    }, "sqlite")
    assert _findings_of(result) == [("V0002.DropA.up.sql", 1, "drop-table"),
                                    ("V0002.DropA.up.sql", 1, "irreversible-data-loss")]


def test_a_drop_if_exists_of_a_table_renamed_away_earlier_in_the_history_destroys_nothing(
        tmp_path: Path) -> None:
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE a (id BIGINT PRIMARY KEY);\n",
        "V0001.Init.down.sql": "DROP TABLE a;\n",
        "V0002.Ren.up.sql": "ALTER TABLE a RENAME TO a_old;\n",
        "V0002.Ren.down.sql": "ALTER TABLE a_old RENAME TO a;\n",
        "V0003.Drop.up.sql": "DROP TABLE IF EXISTS a;\n",
        "V0003.Drop.down.sql": "SELECT 1;\n",
    }, "mysql")
    assert _findings_of(result) == [("V0002.Ren.up.sql", 1, "rename-table")]


def test_an_up_paths_drop_if_exists_of_a_table_older_than_the_history_loses_its_rows(
        tmp_path: Path) -> None:
    # Authelia's V0007 drops the tables of its releases from before it had migrations.
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE totp_configurations (id INTEGER PRIMARY KEY);\n",
        "V0001.Init.down.sql": "DROP TABLE totp_configurations;\n",
        "V0002.Cleanup.up.sql": "DROP TABLE IF EXISTS SecondFactorPreferences;\n",
        "V0002.Cleanup.down.sql": "SELECT 1;\n",
    }, "sqlite")
    # Its rows may be lost; what it was, the history never says, so the down path cannot
    # be told it failed to make it again (down-does-not-restore leaves it out).
    assert _findings_of(result) == [
        ("V0002.Cleanup.up.sql", 1, "drop-table"),
        ("V0002.Cleanup.up.sql", 1, "irreversible-data-loss")]
