"""diesel's layout: `<version>_<name>/up.sql` + `down.sql`, diesel's version order."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write


def test_diesel_orders_by_folder_name_and_reads_run_in_transaction_from_metadata() -> None:
    found = clean(discover(["diesel"], cwd=LAYOUTS))
    d = "diesel/migrations"
    assert rows(found) == [
        (
            "00000000000000_diesel_initial_setup",
            "diesel",
            f"{d}/00000000000000_diesel_initial_setup/up.sql",
            f"{d}/00000000000000_diesel_initial_setup/down.sql",
            "00000000000000",
        ),
        (
            "2020-01-01-000000_create_users",
            "diesel",
            f"{d}/2020-01-01-000000_create_users/up.sql",
            f"{d}/2020-01-01-000000_create_users/down.sql",
            "2020-01-01-000000",
        ),
        (
            "2020-02-01-120000_create_users_email_index",
            "diesel",
            f"{d}/2020-02-01-120000_create_users_email_index/up.sql",
            f"{d}/2020-02-01-120000_create_users_email_index/down.sql",
            "2020-02-01-120000",
        ),
        (
            "2020-03-01-000000_drop_users_legacy_code",
            "diesel",
            f"{d}/2020-03-01-000000_drop_users_legacy_code/up.sql",
            None,
            "2020-03-01-000000",
        ),
    ]
    modes = [(m.up.transaction if m.up else None) for m in found.migrations]
    # metadata.toml says run_in_transaction = false for the CONCURRENTLY index only.
    assert modes == ["wrapped", "wrapped", "autocommit", "wrapped"]
    index = found.migrations[2]
    assert index.down is not None and index.down.transaction == "autocommit"


def test_diesel_order_is_diesels_own(tmp_path: Path) -> None:
    # diesel compares the version before the first `_` with its dashes removed: a dashed
    # version sorts among compact ones, not after all of them.
    for folder in ("20140924113530_first", "2017-08-31-230457_third", "20170820180453_second",
                   "00000000000000_diesel_initial_setup"):
        write(tmp_path / "migrations" / folder / "up.sql", "SELECT 1;\n")
        write(tmp_path / "migrations" / folder / "down.sql", "SELECT 1;\n")
    write(tmp_path / "migrations" / "data_fix.sql", "UPDATE t SET a = 1;\n")
    found = discover(["migrations"], cwd=tmp_path)
    assert [m.name for m in found.migrations] == [
        "00000000000000_diesel_initial_setup", "20140924113530_first",
        "20170820180453_second", "2017-08-31-230457_third"]
    assert any(n.path == "migrations/data_fix.sql" and "ignored" in n.message
               for n in found.notices)


def test_diesel_compares_versions_as_text_not_numbers(tmp_path: Path) -> None:
    # Vaultwarden's `2024-03-13_170000_sso_userscascade`: its version is `20240313` (before
    # the first `_`), which diesel's text order puts between the 14-digit versions around it.
    for folder in ("2024-03-06-170000_add_sso_users", "2024-03-13_170000_sso_userscascade",
                   "2024-06-05-131359_add_2fa_duo_store", "2018-01-14-171611_create_tables"):
        write(tmp_path / "migrations" / folder / "up.sql", "SELECT 1;\n")
    found = discover(["migrations"], cwd=tmp_path)
    assert [m.name for m in found.migrations] == [
        "2018-01-14-171611_create_tables", "2024-03-06-170000_add_sso_users",
        "2024-03-13_170000_sso_userscascade", "2024-06-05-131359_add_2fa_duo_store"]


def test_diesel_histories_side_by_side_per_database_are_each_that_databases(
        tmp_path: Path) -> None:
    # Vaultwarden keeps migrations/{mysql,postgresql,sqlite}/<version>_<name>/up.sql: diesel's
    # files do not say which database they are for, their folder's name does.
    for folder, sql in (("mysql", "ALTER TABLE `users` ADD COLUMN `a` TEXT;\n"),
                        ("postgresql", "ALTER TABLE users ADD COLUMN a TEXT;\n"),
                        ("sqlite", "ALTER TABLE `users` ADD COLUMN `a` TEXT;\n")):
        write(tmp_path / "migrations" / folder / "2018-01-14-171611_a" / "up.sql", sql)
        write(tmp_path / "migrations" / folder / "2018-01-14-171611_a" / "down.sql", "")
    found = discover(["migrations"], cwd=tmp_path)
    assert {(m.layout, m.up.path.split("/")[1], m.dialect)
            for m in found.migrations if m.up} == {
        ("diesel", "mysql", "mysql"), ("diesel", "postgresql", "postgres"),
        ("diesel", "sqlite", "sqlite")}
