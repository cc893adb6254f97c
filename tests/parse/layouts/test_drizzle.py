"""Drizzle Kit: the journal beside the SQL files orders them and says their database."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.run import run_lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write

JOURNAL = '{"version": "7", "dialect": "%s", "entries": [%s]}'


def _entries(*tags: str) -> str:
    return ", ".join(f'{{"idx": {i}, "version": "7", "when": {1690309905039 + i}, '
                     f'"tag": "{tag}", "breakpoints": true}}' for i, tag in enumerate(tags))


def test_a_drizzle_folder_is_its_journals_migrations_in_its_order() -> None:
    # openstatus's packages/db/drizzle, SQLite (Turso) written by drizzle-kit generate
    found = clean(discover(["drizzle"], cwd=LAYOUTS))
    assert rows(found) == [
        ("0000_lively_master_chief", "drizzle", "drizzle/0000_lively_master_chief.sql", None,
         "0"),
        ("0001_brainy_beast", "drizzle", "drizzle/0001_brainy_beast.sql", None, "1")]
    assert {(m.dialect, m.up.transaction) for m in found.migrations if m.up} == {
        ("sqlite", "wrapped")}
    assert found.notices == [] and found.errors == []


def test_a_drizzle_sqlite_history_lints_as_sqlite() -> None:
    """Not a syntax error on every backquoted name (356 on openstatus, as PostgreSQL)."""
    result = run_lint([str(LAYOUTS / "drizzle")], Settings(cache=False)).result
    assert result.errors == []
    assert sorted((f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line)
                  for f in result.findings) == [
        ("drop-column", "0001_brainy_beast.sql", 3),
        ("fk-without-index", "0000_lively_master_chief.sql", 13)]


def test_the_journals_order_is_drizzles_and_files_it_does_not_name_are_left_out(
        tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    write(folder / "0001_later.sql", "CREATE TABLE b (id integer);\n")
    write(folder / "0000_first.sql", "CREATE TABLE a (id integer);\n")
    write(folder / "seed.sql", "INSERT INTO a VALUES (1);\n")
    write(folder / "meta" / "_journal.json",
          JOURNAL % ("postgresql", _entries("0001_later", "0000_first", "0002_gone")))
    found = discover(["drizzle"], cwd=tmp_path)
    assert [(m.name, m.version, m.dialect) for m in found.migrations] == [
        ("0001_later", "0", "postgres"), ("0000_first", "1", "postgres")]
    assert [(n.path, n.message[:29]) for n in found.notices] == [
        ("drizzle/seed.sql", "not in drizzle's journal (met")]
    assert [(e.path, e.message[:30]) for e in found.errors] == [
        ("drizzle/0002_gone.sql", "drizzle's journal (meta/_journ")]


def test_drizzle_runs_its_migrations_in_a_transaction(tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    write(folder / "0000_init.sql", "CREATE TABLE a (id bigint PRIMARY KEY, n int);\n")
    write(folder / "0001_index.sql", "CREATE INDEX CONCURRENTLY a_n ON a (n);\n")
    write(folder / "meta" / "_journal.json",
          JOURNAL % ("postgresql", _entries("0000_init", "0001_index")))
    result = run_lint([str(folder)], Settings(cache=False)).result
    [finding] = [f for f in result.findings if f.rule == "concurrently-in-transaction"]
    assert finding.span.path.endswith("0001_index.sql")
    assert "(drizzle runs every pending migration inside one transaction: " in finding.message


@pytest.mark.parametrize(("journal", "dialect"), [
    (JOURNAL % ("mysql", _entries("0000_init")), "mysql"),
    (JOURNAL % ("turso", _entries("0000_init")), "sqlite"),
    (JOURNAL % ("singlestore", _entries("0000_init")), "mysql"),
    (JOURNAL % ("gel", _entries("0000_init")), "postgres"),  # not one we read
])
def test_the_journal_names_the_database(tmp_path: Path, journal: str, dialect: str) -> None:
    write(tmp_path / "drizzle" / "0000_init.sql", "CREATE TABLE t (id integer);\n")
    write(tmp_path / "drizzle" / "meta" / "_journal.json", journal)
    found = discover(["drizzle"], cwd=tmp_path)
    assert [(m.name, m.layout, m.dialect) for m in found.migrations] == [
        ("0000_init", "drizzle", dialect)]


@pytest.mark.parametrize("journal", ['{"dialect": ', '["sqlite"]', '{"dialect": "sqlite"}'])
def test_a_file_that_is_no_journal_leaves_the_folder_to_the_other_layouts(
        tmp_path: Path, journal: str) -> None:
    write(tmp_path / "drizzle" / "0000_init.sql", "CREATE TABLE t (id integer);\n")
    write(tmp_path / "drizzle" / "meta" / "_journal.json", journal)
    found = discover(["drizzle"], cwd=tmp_path)
    assert [(m.name, m.layout, m.dialect) for m in found.migrations] == [
        ("0000_init", "sql", "postgres")]
    assert found.errors == []
