"""dbmate's layout: `-- migrate:up` / `-- migrate:down` sections of one file."""

from __future__ import annotations

from pathlib import Path

from schemagate.model.migration import MigrationSource, Script
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, write


def test_dbmate_sections_come_from_one_file_with_their_own_transaction_mode() -> None:
    found = clean(discover(["dbmate"], cwd=LAYOUTS))
    d = "dbmate/db/migrations"
    assert found.migrations == [
        MigrationSource(
            name="20230101120000_create_users",
            layout="dbmate",
            up=Script(f"{d}/20230101120000_create_users.sql", "wrapped", "up"),
            down=Script(f"{d}/20230101120000_create_users.sql", "wrapped", "down"),
            version="20230101120000",
        ),
        MigrationSource(
            name="20230102090000_create_users_email_index",
            layout="dbmate",
            up=Script(f"{d}/20230102090000_create_users_email_index.sql", "autocommit", "up"),
            down=Script(f"{d}/20230102090000_create_users_email_index.sql", "wrapped", "down"),
            version="20230102090000",
        ),
        MigrationSource(
            name="20230103100000_add_last_login_to_users",
            layout="dbmate",
            up=Script(f"{d}/20230103100000_add_last_login_to_users.sql", "wrapped", "up"),
            down=None,
            version="20230103100000",
        ),
        MigrationSource(
            name="20230104080000_drop_users_email_index",
            layout="dbmate",
            up=Script(f"{d}/20230104080000_drop_users_email_index.sql", "wrapped", "up"),
            down=Script(f"{d}/20230104080000_drop_users_email_index.sql", "autocommit", "down"),
            version="20230104080000",
        ),
    ]


def test_dbmate_finds_a_down_marker_beyond_the_head(tmp_path: Path) -> None:
    rows_sql = "".join(f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(5000))
    huge_line = "INSERT INTO t VALUES " + ", ".join(f"({i}, 'x')" for i in range(20000)) + ";\n"
    write(
        tmp_path / "20240101000000_seed.sql",
        "-- migrate:up\n"
        + rows_sql
        + huge_line
        + "-- migrate:down transaction:false\nDELETE FROM t;\n",
    )
    write(tmp_path / "20240102000000_no_down.sql", "-- migrate:up\n" + rows_sql)
    assert (tmp_path / "20240101000000_seed.sql").stat().st_size > 3 * 64 * 1024
    found = clean(discover(["."], cwd=tmp_path))
    seed, no_down = found.migrations
    assert seed.down == Script("20240101000000_seed.sql", "autocommit", "down")
    assert no_down.up == Script("20240102000000_no_down.sql", "wrapped", "up")
    assert no_down.down is None


def test_dbmate_marker_must_start_a_line(tmp_path: Path) -> None:
    write(tmp_path / "1_a.sql", "SELECT '-- migrate:up';\n")
    write(tmp_path / "2_b.sql", "\ufeff--migrate:up\nSELECT 1;\n--   migrate:down\nSELECT 2;\n")
    found = clean(discover(["."], cwd=tmp_path))
    assert [(m.name, m.layout, m.down is not None) for m in found.migrations] == [
        ("1_a", "sql", False),  # one folder is one history, applied by version across layouts
        ("2_b", "dbmate", True),
    ]
