"""golang-migrate's layout: `<version>_<title>.up.sql` / `.down.sql`, integer versions."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write


def test_golang_migrate_pairs_up_and_down_and_orders_by_integer_version() -> None:
    found = clean(discover(["golang-migrate"], cwd=LAYOUTS))
    g = "golang-migrate"
    assert rows(found) == [
        ("1_create_users", g, f"{g}/1_create_users.up.sql", f"{g}/1_create_users.down.sql", "1"),
        (
            "2_add_email_to_users",
            g,
            f"{g}/2_add_email_to_users.up.sql",
            f"{g}/2_add_email_to_users.down.sql",
            "2",
        ),
        (
            "3_create_users_email_index",
            g,
            f"{g}/3_create_users_email_index.up.sql",
            f"{g}/3_create_users_email_index.down.sql",
            "3",
        ),
        ("10_drop_users_legacy_code", g, f"{g}/10_drop_users_legacy_code.up.sql", None, "10"),
    ]
    # golang-migrate sends a file as one multi-statement query: an implicit transaction.
    for m in found.migrations:
        assert m.up is not None and m.up.transaction == "implicit" and m.up.section is None
        assert m.down is None or m.down.transaction == "implicit"
        assert not m.repeatable and m.dialect == "postgres"


def test_duplicate_golang_versions_do_not_guess_a_down(tmp_path: Path) -> None:
    for name in ("3_add_status.up.sql", "3_add_priority.up.sql", "3_add_flag.down.sql"):
        write(tmp_path / name)
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [
        ("3_add_flag", "golang-migrate", None, "3_add_flag.down.sql", "3"),
        ("3_add_priority", "golang-migrate", "3_add_priority.up.sql", None, "3"),
        ("3_add_status", "golang-migrate", "3_add_status.up.sql", None, "3"),
    ]


def test_golang_pairs_by_version_when_descriptions_differ(tmp_path: Path) -> None:
    write(tmp_path / "0007_add_index.up.sql")
    write(tmp_path / "7_remove_index.down.sql")
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [
        (
            "0007_add_index",
            "golang-migrate",
            "0007_add_index.up.sql",
            "7_remove_index.down.sql",
            "0007",
        )
    ]
