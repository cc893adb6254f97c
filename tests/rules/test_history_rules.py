"""The history rules on Alembic and SQL histories: each finding on the right line of the right
file, the revision graph deciding the order, and no false alarm on a sound history."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.rules.history import find_unknown_objects
from tests.conftest import FIXTURES

ALEMBIC = FIXTURES / "alembic"
MYSQL = FIXTURES / "mysql"


def lint_tree(root: Path, settings: Settings | None = None, dialect: str = "postgres"
              ) -> LintResult:
    found = discover(["."], cwd=root, dialect=dialect)
    sources = [replace(m, dialect=dialect) for m in found.migrations]  # as `--dialect`
    loaded = load_migrations(sources, root=root)
    assert found.errors == [] and loaded.errors == []
    return lint(loaded.migrations, settings or Settings())


def rules_at(result: LintResult, family: str = "history") -> list[tuple[str, str, int]]:
    return sorted((f.rule, Path(f.span.path).name, f.span.line) for f in result.active
                  if f.family == family)


def line_of(path: Path, snippet: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if snippet in text)


def test_a_sound_history_with_a_merge(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    result = lint_tree(tmp_path)
    assert rules_at(result) == []
    # Folded in graph order: the index after the merge sees both branches' columns, so
    # nothing is unknown although its file sorts first.
    assert "ix_orders_note_locale" in {ix.name for ix in
                                       next(iter(result.catalogs.values())).indexes}


def test_an_unmerged_fork_is_two_heads(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    versions = tmp_path / "alembic" / "versions"
    (versions / "5e6f7a8b9c0d_merge_heads.py").unlink()
    (versions / "000000000001_after_merge.py").unlink()
    result = lint_tree(tmp_path)
    assert rules_at(result) == [
        ("multiple-heads", "0d5e6f7a8b9c_orders_note.py",
         line_of(versions / "0d5e6f7a8b9c_orders_note.py", 'revision = "')),
        ("multiple-heads", "3c4d5e6f7a8b_users_locale.py",
         line_of(versions / "3c4d5e6f7a8b_users_locale.py", 'revision = "')),
    ]
    message = next(f.message for f in result.active if f.rule == "multiple-heads")
    assert "`3c4d5e6f7a8b`, `0d5e6f7a8b9c`" in message or \
        "`0d5e6f7a8b9c`, `3c4d5e6f7a8b`" in message


def test_cycle_and_missing_revision_point_at_down_revision(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    versions = tmp_path / "alembic" / "versions"
    locale = versions / "3c4d5e6f7a8b_users_locale.py"
    locale.write_text(locale.read_text().replace('down_revision = "2b3c4d5e6f7a"',
                                                 'down_revision = "000000000001"'))
    note = versions / "0d5e6f7a8b9c_orders_note.py"
    note.write_text(note.read_text().replace('down_revision = "2b3c4d5e6f7a"',
                                             'down_revision = "2b3c4d5e6f7"'))  # a typo
    result = lint_tree(tmp_path)
    found = rules_at(result)
    assert ("revision-cycle", "000000000001_after_merge.py",
            line_of(versions / "000000000001_after_merge.py", "down_revision")) in found
    assert ("missing-revision", "0d5e6f7a8b9c_orders_note.py",
            line_of(note, "down_revision")) not in found  # a unique prefix is a valid name
    note.write_text(note.read_text().replace('"2b3c4d5e6f7"', '"2b3c4d5e6f7x"'))
    found = rules_at(lint_tree(tmp_path))
    assert ("missing-revision", "0d5e6f7a8b9c_orders_note.py",
            line_of(note, "down_revision")) in found


def test_unknown_object_in_a_python_history(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    path = tmp_path / "alembic" / "versions" / "3c4d5e6f7a8b_users_locale.py"
    path.write_text(path.read_text().replace(
        'op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))',
        'op.add_column("user", sa.Column("locale", sa.String(length=8), nullable=True))\n'
        '    op.create_index("ix_users_lang", "users", ["lang"])'))
    result = lint_tree(tmp_path, Settings(select=("unknown-object",)))
    assert [(f.span.line, f.message) for f in result.active] == [
        (line_of(path, 'op.add_column("user"'),
         "table `public.user` does not exist at this point of the history"),
        (line_of(path, "ix_users_lang"),
         "column `public.users.lang` does not exist at this point of the history"),
        # and downgrade() drops the column upgrade() meant to add
        (line_of(path, 'op.drop_column("users", "locale")'),
         "column `public.users.locale` does not exist at this point of the history"),
    ]


def test_unknown_object_is_silent_when_the_history_starts_elsewhere(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    first = versions / "1a2b3c4d5e6f_initial.py"
    # A first revision that references a table it does not create: a baseline, not a
    # history from an empty schema.
    first.write_text(first.read_text().replace('["users.id"]', '["accounts.id"]'))
    result = lint_tree(tmp_path, Settings(select=("unknown-object",)))
    assert result.active == []


def test_unknown_object_is_silent_when_the_first_migration_is_numbered_as_a_later_one(
        tmp_path: Path) -> None:
    # memos's MySQL history begins at 0.17 (0.1 to 0.16 were deleted), with a migration
    # that creates a table: the tables made before 0.17 exist, the history does not hold
    # their making.
    later = {"0.17/00__inbox.sql": "CREATE TABLE inbox (id int PRIMARY KEY);\n",
             "0.17/01__clean.sql": "DELETE FROM activity WHERE id < 10;\n",
             "0.18/00__memo.sql": "ALTER TABLE memo ADD COLUMN pinned int;\n"}
    for name, text in later.items():
        (tmp_path / "later" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "later" / name).write_text(text, encoding="utf-8")
    assert lint_tree(tmp_path / "later", Settings(select=("unknown-object",))).active == []
    # Numbered as a first (0.1), the same history is complete, and its typos are found.
    first = tmp_path / "first"
    for name, text in later.items():
        path = first / name.replace("0.17", "0.1").replace("0.18", "0.2")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert [f.message for f in lint_tree(first, Settings(select=("unknown-object",))).active
            ] == ["table `public.activity` does not exist at this point of the history",
                  "table `public.memo` does not exist at this point of the history"]


def test_a_first_migration_numbered_as_a_first() -> None:
    from schemagate.model.migration import MigrationSource, Script
    from schemagate.rules.history import _numbered_first

    def first(name: str, layout: str = "sql", version: str | None = None,
              folder: str = "m", project: str | None = None) -> bool:
        source = MigrationSource(name, layout, Script(f"{folder}/{name}.sql"),  # type: ignore[arg-type]
                                 version=version, project=project)
        return _numbered_first(cast(Any, SimpleNamespace(source=source)))

    assert all([first("0001_init"), first("1_init"), first("0_init"), first("init"),
                first("V1", "flyway", "1"), first("V1_0", "flyway", "1.0"),
                first("V0_1", "flyway", "0.1"), first("20240101120000_init", "goose"),
                first("00__a", folder="m/0.1", project="m"),
                first("x", "alembic", "ab536b1853f0"), first("0000_wet_wolf", "drizzle")])
    assert not any([first("0017_x"), first("V2__x", "flyway", "2"),
                    first("V1_5", "flyway", "1.5"),
                    first("00__a", folder="m/0.17", project="m")])


def test_unknown_objects_found_while_linting_are_those_of_a_fold_of_their_own(
        tmp_path: Path) -> None:
    # The lint checks each operation on its own fold while that fold made no placeholder
    # (2_typo, without a down, makes none; 3_ghost, with one, makes placeholders for what
    # it uses: from there on the checks fold on their own); find_unknown_objects always
    # folds on its own.
    scripts = {
        "1_create": ("CREATE TABLE users (id bigint PRIMARY KEY, email text);",
                     "DROP TABLE users;"),
        "2_typo": ("ALTER TABLE usr ADD COLUMN nickname text;\n"
                   "CREATE INDEX users_lang ON users (lang);", ""),
        "3_ghost": ("ALTER TABLE users ADD COLUMN lang text;",
                    "ALTER TABLE ghosts DROP COLUMN x;\nALTER TABLE users DROP COLUMN lang;"),
        "4_posts": ("CREATE TABLE posts (id bigint, author bigint REFERENCES authors (id));\n"
                    "CREATE INDEX posts_title ON posts (title);",
                    "DROP TABLE posts;"),
    }
    for name, (up, down) in scripts.items():
        (tmp_path / f"{name}.up.sql").write_text(up + "\n")
        if down:
            (tmp_path / f"{name}.down.sql").write_text(down + "\n")
    found = discover(["."], cwd=tmp_path)
    linted = load_migrations(found.migrations, root=tmp_path).migrations
    result = lint(linted, Settings(select=("unknown-object",)))
    alone = load_migrations(found.migrations, root=tmp_path).migrations
    find_unknown_objects(alone)
    assert [(m.unknown_refs, m.unknown_names, m.unknown_subjects) for m in linted] == [
        (m.unknown_refs, m.unknown_names, m.unknown_subjects) for m in alone]
    assert sorted((Path(f.span.path).name, f.span.line) for f in result.active) == [
        ("2_typo.up.sql", 1), ("2_typo.up.sql", 2),
        ("3_ghost.down.sql", 1), ("4_posts.up.sql", 1), ("4_posts.up.sql", 2)]


def test_drop_referenced_object_names_the_view_on_the_call_line(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "handwritten", tmp_path / "alembic")
    path = tmp_path / "alembic" / "versions" / "0002_cleanup.py"
    path.write_text(path.read_text().replace(
        'op.drop_column("accounts", "legacy_code")',
        'op.drop_column("accounts", "legacy_code")\n    op.drop_column("accounts", "email")'))
    result = lint_tree(tmp_path, Settings(select=("drop-referenced-object",)))
    (finding,) = result.active
    assert finding.span.line == line_of(path, 'op.drop_column("accounts", "email")')
    assert finding.message == (
        "column `public.accounts.email` is still used by view public.active_accounts "
        "(reads it): PostgreSQL refuses the drop without CASCADE")


def test_history_findings_respect_report(tmp_path: Path) -> None:
    shutil.copytree(ALEMBIC / "autogen", tmp_path / "alembic")
    versions = tmp_path / "alembic" / "versions"
    (versions / "5e6f7a8b9c0d_merge_heads.py").unlink()
    (versions / "000000000001_after_merge.py").unlink()
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    result = lint(loaded.migrations, Settings(select=("history",)),
                  report={"3c4d5e6f7a8b_users_locale"})
    assert [f.migration for f in result.active] == ["3c4d5e6f7a8b_users_locale"]


def test_one_statement_dropping_many_objects_in_use_is_one_finding(tmp_path: Path) -> None:
    src = FIXTURES / "rules" / "drop-type-in-use" / "fail_many_functions_one_finding.sql"
    shutil.copy(src, tmp_path / "001_triggers.sql")
    found = [f for f in lint_tree(tmp_path).active if f.rule == "drop-type-in-use"]
    assert len(found) == 1
    assert "`public.post_scored`" in found[0].message
    assert "`public.post_counted`" in found[0].message


def test_same_named_mysql_indexes_of_two_tables_are_dropped_one_after_the_other() -> None:
    # Two tables with an index `key` (their unnamed UNIQUEs), two with an index
    # `segment_key` (one written out, one InnoDB's for a foreign key): each drop finds its
    # own table's index, whichever table's went first.
    result = lint_tree(MYSQL / "golang-migrate", Settings(select=("unknown-object",)),
                       dialect="mysql")
    assert result.active == []


def test_dropping_an_index_only_another_mysql_table_has_is_an_unknown_object(
        tmp_path: Path) -> None:
    (tmp_path / "1_init.up.sql").write_text(
        "CREATE TABLE segments (`key` VARCHAR(255) NOT NULL, PRIMARY KEY (`key`));\n"
        "CREATE TABLE rules (id VARCHAR(255) NOT NULL, segment_key VARCHAR(255) NOT NULL,\n"
        "  PRIMARY KEY (id), FOREIGN KEY (segment_key) REFERENCES segments (`key`));\n")
    reindex = tmp_path / "2_reindex.up.sql"
    reindex.write_text("DROP INDEX segment_key ON segments;\n"
                       "ALTER TABLE segments DROP INDEX segment_key;\n"
                       "ALTER TABLE rules DROP FOREIGN KEY rules_ibfk_1;\n"
                       "DROP INDEX segment_key ON rules;\n"
                       "DROP INDEX segment_key ON rules;\n")
    result = lint_tree(tmp_path, Settings(select=("unknown-object",)), dialect="mysql")
    missing = "index `segment_key` on `{}` does not exist at this point of the history"
    # `rules` has an index `segment_key` (InnoDB's, for its foreign key); `segments` never
    # had one, and the second drop of the one of `rules` finds it gone.
    assert [(f.span.line, f.span.column, f.message) for f in result.active] == [
        (1, 12, missing.format("segments")), (2, 33, missing.format("segments")),
        (5, 12, missing.format("rules"))]


@pytest.mark.parametrize(("go_code", "reported"), [
    (None, True),
    ("package database\n\n// run with the migrate CLI\n", True),
    ('package database\n\nvar mysqlMigrations = []migration{\n'
     '\tnewFileMigration("0.0.0", "0.1.0", "mysql/0000_system_create"),\n'
     '\tnewFileMigration("0.1.0", "0.2.0", "mysql/0000_system_insert"),\n}\n', False),
], ids=["no-go-code", "go-code-naming-none", "own-migrator"])
def test_a_duplicate_version_is_golang_migrates_error_only_where_it_runs_them(
        tmp_path: Path, go_code: str | None, reported: bool) -> None:
    # Shiori's mysql/0000_system_create.up.sql and 0000_system_insert.up.sql: its own Go
    # migrator runs them by name, one after the other; golang-migrate would refuse them.
    folder = tmp_path / "internal" / "database" / "migrations" / "mysql"
    folder.mkdir(parents=True)
    (folder / "0000_system_create.up.sql").write_text("CREATE TABLE shiori_system (v text);\n")
    (folder / "0000_system_insert.up.sql").write_text(
        "INSERT INTO shiori_system (v) VALUES ('0.0.0');\n")
    if go_code is not None:
        (tmp_path / "internal" / "database" / "mysql.go").write_text(go_code)
    result = lint_tree(tmp_path, Settings(select=("multiple-heads",)))
    assert len(result.active) == (2 if reported else 0)
