"""Drizzle Kit: the journal beside the SQL files says which database they are written for."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.run import run_lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, write


def test_the_journals_dialect_is_the_dialect_of_its_folders_files() -> None:
    # openstatus's packages/db/drizzle, SQLite (Turso) written by drizzle-kit generate
    found = clean(discover(["drizzle"], cwd=LAYOUTS))
    assert [(m.name, m.layout, m.dialect) for m in found.migrations] == [
        ("0000_lively_master_chief", "sql", "sqlite"), ("0001_brainy_beast", "sql", "sqlite")]
    assert found.notices == [] and found.errors == []


def test_a_drizzle_sqlite_history_lints_as_sqlite() -> None:
    """Not a syntax error on every backquoted name (356 on openstatus, as PostgreSQL)."""
    result = run_lint([str(LAYOUTS / "drizzle")], Settings(cache=False)).result
    assert result.errors == []
    assert [(f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line) for f in result.findings] == [
        ("drop-column", "0001_brainy_beast.sql", 3),
        ("fk-without-index", "0000_lively_master_chief.sql", 13)]


@pytest.mark.parametrize(("journal", "dialect"), [
    ('{"version": "7", "dialect": "postgresql", "entries": []}', "postgres"),
    ('{"version": "5", "dialect": "mysql", "entries": []}', "mysql"),
    ('{"version": "6", "dialect": "turso", "entries": []}', "sqlite"),
    ('{"version": "7", "dialect": "gel", "entries": []}', "postgres"),  # not one we read
    ('{"dialect": ', "postgres"),  # torn: the files are still linted
    ('["sqlite"]', "postgres"),
])
def test_a_journal_that_names_no_database_we_read_leaves_the_default(
        tmp_path: Path, journal: str, dialect: str) -> None:
    write(tmp_path / "drizzle" / "0000_init.sql", "CREATE TABLE t (id integer);\n")
    write(tmp_path / "drizzle" / "meta" / "_journal.json", journal)
    found = discover(["drizzle"], cwd=tmp_path)
    assert [(m.name, m.dialect) for m in found.migrations] == [("0000_init", dialect)]
    assert found.errors == []


def test_a_folder_named_after_a_database_says_more_than_a_journal(tmp_path: Path) -> None:
    write(tmp_path / "mysql" / "0000_init.sql", "CREATE TABLE t (id integer);\n")
    write(tmp_path / "mysql" / "meta" / "_journal.json", '{"dialect": "sqlite"}')
    assert [m.dialect for m in discover(["mysql"], cwd=tmp_path).migrations] == ["mysql"]
