"""Plain `.sql` files: natural name order, downs paired by base name."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write


def test_plain_sql_in_natural_path_order_with_down_files_paired() -> None:
    found = clean(discover(["plain"], cwd=LAYOUTS))
    assert rows(found) == [
        ("1_create_users", "sql", "plain/1_create_users.sql", None, None),
        ("2_add_email_to_users", "sql", "plain/2_add_email_to_users.sql", None, None),
        (
            "3_create_users_email_index",
            "sql",
            "plain/3_create_users_email_index.sql",
            "plain/3_create_users_email_index_down.sql",
            None,
        ),
        ("10_drop_users_legacy_code", "sql", "plain/10_drop_users_legacy_code.sql", None, None),
        ("seed", "sql", "plain/seed/up.sql", "plain/seed/down.sql", None),
        (
            "user_emails",
            "sql",
            "plain/views/user_emails.up.sql",
            "plain/views/user_emails.down.sql",
            None,
        ),
    ]
    scripts = [s for m in found.migrations for s in (m.up, m.down) if s is not None]
    assert {s.transaction for s in scripts} == {"autocommit"}


def test_plain_down_pairing_prefers_dot_up_and_leaves_lone_underscore_downs_alone(
    tmp_path: Path,
) -> None:
    for name in ("x.sql", "x.up.sql", "x.down.sql", "slow_down.sql", "a_up.sql", "a_down.sql"):
        write(tmp_path / name)
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [
        ("a", "sql", "a_up.sql", "a_down.sql", None),
        ("slow_down", "sql", "slow_down.sql", None, None),
        ("x", "sql", "x.sql", None, None),
        ("x", "sql", "x.up.sql", "x.down.sql", None),
    ]


def test_discovery_keeps_the_bytes_of_the_plain_files_it_read_whole(tmp_path: Path) -> None:
    from schemagate.parse.layouts import discover as discovery
    from schemagate.parse.layouts.listing import HEAD_BYTES

    write(tmp_path / "1_a.sql", "CREATE TABLE a (id int);\n")
    write(tmp_path / "2_b.sql", "-- migrate:up\nCREATE TABLE b (id int);\n")  # dbmate's
    write(tmp_path / "3_big.sql", "SELECT 1;\n" * (HEAD_BYTES // 10 + 1))
    write(tmp_path / "4_c.up.sql")  # golang-migrate's, told by its name: never opened
    found = discover([str(tmp_path)], cwd=tmp_path)
    assert found.contents == {"1_a.sql": b"CREATE TABLE a (id int);\n",
                              "2_b.sql": b"-- migrate:up\nCREATE TABLE b (id int);\n"}
    # What it keeps in all is bounded: the rest are read again by whoever needs them.
    limit = discovery.CONTENTS_LIMIT
    try:
        discovery.CONTENTS_LIMIT = 30
        assert discover([str(tmp_path)], cwd=tmp_path).contents == {
            "1_a.sql": b"CREATE TABLE a (id int);\n"}
    finally:
        discovery.CONTENTS_LIMIT = limit


def test_a_long_plain_name_is_no_golang_migrate_or_popx_migration(tmp_path: Path) -> None:
    name = "20240101_" + "x.up_" * 40 + "z.sql"  # digits, but not `<version>_x.up.sql`
    write(tmp_path / name)
    write(tmp_path / "1_a.up.sql")
    assert [(m.name, m.layout) for m in discover([str(tmp_path)], cwd=tmp_path).migrations] == [
        ("1_a", "golang-migrate"), (name[:-len(".sql")], "sql")]


def test_a_folder_named_after_a_database_holds_that_databases_sql() -> None:
    # Authelia and Mattermost keep one history per database side by side.
    found = clean(discover(["per-database"], cwd=LAYOUTS))
    dialects = {(m.name, m.up.path.split("/")[1] if m.up else None): m.dialect
                for m in found.migrations}
    assert dialects == {
        (name, folder): dialect
        for folder, dialect in (("mysql", "mysql"), ("postgres", "postgres"),
                                ("sqlite", "sqlite"))
        for name in ("V0001.Initial_Schema", "V0002.Add_Remote_IP")}


def test_the_nearest_folder_named_for_a_database_says_its_database(tmp_path: Path) -> None:
    write(tmp_path / "MariaDB" / "1_users.up.sql")  # the name is read without case
    # Below it too (Temporal's schema/mysql/v8/temporal/versioned/v1.5/)...
    write(tmp_path / "mysql" / "schema" / "1_users.up.sql")
    # ...unless a folder nearer names another.
    write(tmp_path / "mysql" / "pg" / "1_users.up.sql")
    write(tmp_path / "sqlite3" / "V1__users.sql")  # Flyway's names
    write(tmp_path / "mysql-old" / "1_users.up.sql")
    found = clean(discover(["."], cwd=tmp_path))
    assert {m.up.path: m.dialect for m in found.migrations if m.up} == {
        "MariaDB/1_users.up.sql": "mysql",
        "mysql-old/1_users.up.sql": "postgres",
        "mysql/pg/1_users.up.sql": "postgres",
        "mysql/schema/1_users.up.sql": "mysql",
        "sqlite3/V1__users.sql": "sqlite",
    }


def test_a_database_named_by_its_files_wins_over_its_folders_name(tmp_path: Path) -> None:
    # A popx file's suffix says which database it is for; the folder's name says less.
    write(tmp_path / "sqlite" / "20210410175418000000_users.postgres.up.sql")
    write(tmp_path / "sqlite" / "20210410175418000000_users.mysql.up.sql")
    for asked in ("postgres", "mysql"):
        found = discover(["."], cwd=tmp_path, dialect=asked)
        assert [(m.layout, m.dialect) for m in found.migrations] == [("popx", asked)]
