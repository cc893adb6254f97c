"""ory/popx's layout: one folder, one history per dialect, `.autocommit.` files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from schemagate.cli import main
from schemagate.model.findings import Notice
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, path_of, rows, write

P = "popx"


def test_a_postgres_file_replaces_the_generic_file_of_its_version() -> None:
    found = discover([P], cwd=LAYOUTS)
    assert rows(found) == [
        ("20240101000000000000_networks", P, f"{P}/20240101000000000000_networks.postgres.up.sql",
         f"{P}/20240101000000000000_networks.postgres.down.sql", "20240101000000000000"),
        ("20240102000000000000_network_names", P,
         f"{P}/20240102000000000000_network_names.up.sql", None, "20240102000000000000"),
        ("20240103000000000000_network_name_index", P,
         f"{P}/20240103000000000000_network_name_index.postgres.autocommit.up.sql",
         f"{P}/20240103000000000000_network_name_index.postgres.autocommit.down.sql",
         "20240103000000000000"),
    ]


def test_other_dialects_files_are_left_out_with_one_notice() -> None:
    found = discover([P], cwd=LAYOUTS)
    assert found.errors == []
    assert found.notices == [Notice(P, "popx files for other databases left out (2 cockroach, "
                                       "4 mysql, 4 sqlite3): this is the postgres history")]


def test_autocommit_files_run_outside_the_tools_transaction() -> None:
    found = discover([P], cwd=LAYOUTS)
    modes = [(m.up.transaction if m.up else None) for m in found.migrations]
    assert modes == ["wrapped", "wrapped", "implicit"]


def test_the_mysql_history_takes_the_mysql_files_and_the_generic_ones() -> None:
    found = discover([P], cwd=LAYOUTS, dialect="mysql")
    assert [path_of(m.up) for m in found.migrations] == [
        f"{P}/20240101000000000000_networks.mysql.up.sql",
        f"{P}/20240102000000000000_network_names.up.sql",
        f"{P}/20240103000000000000_network_name_index.mysql.autocommit.up.sql",
    ]
    assert {m.dialect for m in found.migrations} == {"mysql"}


def test_an_empty_sqlite_file_is_an_empty_migration_of_the_sqlite_history() -> None:
    found = discover([P], cwd=LAYOUTS, dialect="sqlite")
    second = found.migrations[1]
    assert (path_of(second.up), second.down) == (
        f"{P}/20240102000000000000_network_names.sqlite3.up.sql", None)
    assert not [n for n in found.notices if "empty" in n.message]


def test_a_folder_without_dialect_or_autocommit_names_stays_golang_migrate(
        tmp_path: Path) -> None:
    write(tmp_path / "20240101000000000000_init.up.sql")
    write(tmp_path / "20240101000000000000_init.down.sql")
    found = discover(["."], cwd=tmp_path)
    assert [m.layout for m in found.migrations] == ["golang-migrate"]


def test_a_generic_file_named_alone_is_not_linted_where_a_postgres_file_replaces_it() -> None:
    found = discover([f"{P}/20240101000000000000_networks.up.sql"], cwd=LAYOUTS)
    assert found.migrations == []
    assert not [n for n in found.notices if "not a migration" in n.message]


def test_a_postgres_file_named_alone_is_found_with_its_down() -> None:
    found = discover([f"{P}/20240101000000000000_networks.postgres.up.sql"], cwd=LAYOUTS)
    assert [(path_of(m.up), path_of(m.down)) for m in found.migrations] == [
        (f"{P}/20240101000000000000_networks.postgres.up.sql",
         f"{P}/20240101000000000000_networks.postgres.down.sql")]


def test_linting_the_folder_reads_only_the_postgres_history(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lint", "--format", "json", str(LAYOUTS / P)])
    assert result.exit_code in (0, 1), result.output
    assert ".mysql." not in result.output and "multiple-heads" not in result.output
    assert "networks.up.sql" not in result.output  # the generic file is replaced
    assert "concurrently-in-transaction" not in result.output


def test_the_versions_of_one_timestamp_and_of_one_name_are_one_unit_of_rollback(
        tmp_path: Path) -> None:
    for name in ("20240101000000000000_a", "20240101000000000001_a", "20240101000000000002_b",
                 "20240102000000000000_c", "20240103000000000000_d", "20240104000000000000_d",
                 "20240105000000000000_e"):
        write(tmp_path / f"{name}.postgres.up.sql")
        write(tmp_path / f"{name}.postgres.down.sql")
    found = discover(["."], cwd=tmp_path)
    assert [(m.version, m.rollback_unit) for m in found.migrations] == [
        ("20240101000000000000", "20240101000000000000_a"),
        ("20240101000000000001", "20240101000000000000_a"),
        ("20240101000000000002", "20240101000000000000_a"),  # same timestamp, other name
        ("20240102000000000000", None),
        ("20240103000000000000", "20240103000000000000_d"),  # one name, timestamps apart
        ("20240104000000000000", "20240103000000000000_d"),
        ("20240105000000000000", None),
    ]
