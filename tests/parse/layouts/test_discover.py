"""Discovery of migrations on real trees: tests/fixtures/layouts, and messier ones in tmp_path."""

from __future__ import annotations

import os
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import MigrationSource, Script
from schemagate.parse.layouts.discover import Discovery, discover

LAYOUTS = Path(__file__).parents[2] / "fixtures" / "layouts"

Row = tuple[str, str, str | None, str | None, str | None]


def rows(found: Discovery) -> list[Row]:
    """(name, layout, up path, down path, version) of each migration, in order."""
    return [(m.name, m.layout, path_of(m.up), path_of(m.down), m.version) for m in found.migrations]


def path_of(script: Script | None) -> str | None:
    return None if script is None else script.path


def write(path: Path, text: str = "SELECT 1;\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def clean(found: Discovery) -> Discovery:
    assert found.errors == []
    assert found.notices == []
    return found


# -- one layout per folder -------------------------------------------------------------------


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


def test_flyway_orders_versions_numerically_pairs_undo_and_puts_repeatables_last() -> None:
    found = clean(discover(["flyway"], cwd=LAYOUTS))
    d = "flyway/db/migration"
    assert rows(found) == [
        ("V1__create_users", "flyway", f"{d}/V1__create_users.sql", None, "1"),
        (
            "V1.1__add_email_to_users",
            "flyway",
            f"{d}/V1.1__add_email_to_users.sql",
            f"{d}/U1.1__add_email_to_users.sql",
            "1.1",
        ),
        (
            "V2__create_orders",
            "flyway",
            f"{d}/V2__create_orders.sql",
            f"{d}/U2__create_orders.sql",
            "2",
        ),
        (
            "V2_1__create_orders_user_id_index",
            "flyway",
            f"{d}/V2_1__create_orders_user_id_index.sql",
            None,
            "2.1",
        ),
        (
            "V10__drop_users_legacy_code",
            "flyway",
            f"{d}/V10__drop_users_legacy_code.sql",
            None,
            "10",
        ),
        ("R__active_users_view", "flyway", f"{d}/R__active_users_view.sql", None, None),
        ("R__users_with_orders_view", "flyway", f"{d}/R__users_with_orders_view.sql", None, None),
    ]
    assert [m.repeatable for m in found.migrations] == [False] * 5 + [True] * 2
    scripts = [s for m in found.migrations for s in (m.up, m.down) if s is not None]
    assert {s.transaction for s in scripts} == {"wrapped"}


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


def test_prisma_takes_one_migration_per_folder_and_the_dialect_from_the_lock_file() -> None:
    found = clean(discover(["prisma"], cwd=LAYOUTS))
    d = "prisma/prisma/migrations"
    names = [
        "20230101120000_init",
        "20230215093000_add_posts",
        "20230301101500_add_posts_author_index",
    ]
    assert found.migrations == [
        MigrationSource(
            name=name,
            layout="prisma",
            up=Script(f"{d}/{name}/migration.sql", "implicit"),
            down=None,
            version=name.split("_")[0],
            dialect="postgres",
        )
        for name in names
    ]


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


def test_all_layouts_at_once_each_folder_keeps_its_own_layout() -> None:
    found = discover(["."], cwd=LAYOUTS)
    layouts: dict[str, set[str]] = {}
    for m in found.migrations:
        script = m.up or m.down
        assert script is not None
        layouts.setdefault(script.path.split("/")[0], set()).add(m.layout)
    assert layouts == {
        "dbmate": {"dbmate"},
        "diesel": {"diesel"},
        "flyway": {"flyway"},
        "golang-migrate": {"golang-migrate"},
        "messy": {"sql", "alembic", "flyway", "golang-migrate"},
        "plain": {"sql"},
        "prisma": {"prisma"},
    }
    # Walking the parent gives exactly what walking each folder gives, in folder order.
    one_by_one = discover(sorted(p.name for p in LAYOUTS.iterdir()), cwd=LAYOUTS)
    assert found == one_by_one


# -- the messy tree --------------------------------------------------------------------------


def test_messy_tree() -> None:
    found = discover([LAYOUTS / "messy"], cwd=LAYOUTS)
    dup = "messy/duplicate-versions"
    # Some file systems hand names back decomposed (é as e + accent): compare composed.
    composed = [
        tuple(unicodedata.normalize("NFC", part) if part else part for part in row)
        for row in rows(found)
    ]
    assert composed == [
        ("004_empty_placeholder", "sql", "messy/004_empty_placeholder.sql", None, None),
        (  # an Alembic revision: its versions/ folder is read for revision headers
            "3f2a1b9c0d4e_add_users_table",
            "alembic",
            "messy/alembic/versions/3f2a1b9c0d4e_add_users_table.py",
            "messy/alembic/versions/3f2a1b9c0d4e_add_users_table.py",
            "3f2a1b9c0d4e",
        ),
        (
            "003_créer_table_clients",
            "sql",
            "messy/données/003_créer_table_clients.sql",
            None,
            None,
        ),
        # The same version twice is kept twice, by name, for a rule to report.
        ("V1__create_tasks", "flyway", f"{dup}/flyway/V1__create_tasks.sql", None, "1"),
        (
            "V2__add_priority_to_tasks",
            "flyway",
            f"{dup}/flyway/V2__add_priority_to_tasks.sql",
            None,
            "2",
        ),
        (
            "V2__add_status_to_tasks",
            "flyway",
            f"{dup}/flyway/V2__add_status_to_tasks.sql",
            None,
            "2",
        ),
        (
            "1_create_tasks",
            "golang-migrate",
            f"{dup}/golang-migrate/1_create_tasks.up.sql",
            f"{dup}/golang-migrate/1_create_tasks.down.sql",
            "1",
        ),
        (
            "3_add_priority_to_tasks",
            "golang-migrate",
            f"{dup}/golang-migrate/3_add_priority_to_tasks.up.sql",
            None,
            "3",
        ),
        (
            "3_add_status_to_tasks",
            "golang-migrate",
            f"{dup}/golang-migrate/3_add_status_to_tasks.up.sql",
            f"{dup}/golang-migrate/3_add_status_to_tasks.down.sql",
            "3",
        ),
        # A folder named like a file is walked, never read.
        ("001_create_audit_log", "sql", "messy/weird.sql/001_create_audit_log.sql", None, None),
        ("002 add user notes", "sql", "messy/with spaces/002 add user notes.sql", None, None),
    ]
    # README.md, .ts, .js, .go, .py, atlas.sum, .gitkeep, .DS_Store and .hidden/ say nothing.
    assert found.errors == []
    assert found.notices == [Notice("messy/004_empty_placeholder.sql", "empty migration file")]


def test_skips_tool_and_cache_folders(tmp_path: Path) -> None:
    write(tmp_path / "db" / "1_init.sql")
    for folder in (".git", "node_modules/pkg", "__pycache__", ".venv/lib", "venv/lib", "env"):
        write(tmp_path / folder / "2_vendored.sql")
    write(tmp_path / "env" / "pyvenv.cfg", "home = /usr/bin\n")  # a virtualenv by another name
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [("1_init", "sql", "db/1_init.sql", None, None)]


# -- files named explicitly, as a pre-commit hook passes them ----------------------------------


def test_an_up_file_alone_brings_its_down() -> None:
    found = clean(discover(["golang-migrate/2_add_email_to_users.up.sql"], cwd=LAYOUTS))
    assert rows(found) == [
        (
            "2_add_email_to_users",
            "golang-migrate",
            "golang-migrate/2_add_email_to_users.up.sql",
            "golang-migrate/2_add_email_to_users.down.sql",
            "2",
        )
    ]


def test_a_down_file_alone_brings_its_up() -> None:
    golang = discover(["golang-migrate/3_create_users_email_index.down.sql"], cwd=LAYOUTS)
    assert [(path_of(m.up), path_of(m.down)) for m in golang.migrations] == [
        (
            "golang-migrate/3_create_users_email_index.up.sql",
            "golang-migrate/3_create_users_email_index.down.sql",
        )
    ]
    plain = discover(["plain/views/user_emails.down.sql", "plain/seed/down.sql"], cwd=LAYOUTS)
    assert rows(clean(plain)) == [
        (
            "user_emails",
            "sql",
            "plain/views/user_emails.up.sql",
            "plain/views/user_emails.down.sql",
            None,
        ),
        ("seed", "sql", "plain/seed/up.sql", "plain/seed/down.sql", None),
    ]


def test_a_flyway_undo_alone_joins_its_versioned_script() -> None:
    d = "flyway/db/migration"
    for given in (f"{d}/U1.1__add_email_to_users.sql", f"{d}/V1.1__add_email_to_users.sql"):
        found = clean(discover([given], cwd=LAYOUTS))
        assert rows(found) == [
            (
                "V1.1__add_email_to_users",
                "flyway",
                f"{d}/V1.1__add_email_to_users.sql",
                f"{d}/U1.1__add_email_to_users.sql",
                "1.1",
            )
        ]


def test_files_in_unit_folders_are_classified_as_their_folder_would_be() -> None:
    found = clean(
        discover(
            [
                "prisma/prisma/migrations/20230215093000_add_posts/migration.sql",
                "diesel/migrations/2020-02-01-120000_create_users_email_index/down.sql",
                "dbmate/db/migrations/20230102090000_create_users_email_index.sql",
            ],
            cwd=LAYOUTS,
        )
    )
    walked = {m.name: m for m in discover(["prisma", "diesel", "dbmate"], cwd=LAYOUTS).migrations}
    assert [m.name for m in found.migrations] == [
        "20230215093000_add_posts",
        "2020-02-01-120000_create_users_email_index",
        "20230102090000_create_users_email_index",
    ]
    for m in found.migrations:
        assert m == walked[m.name]


def test_files_come_back_in_migration_order_not_argument_order() -> None:
    # git (and so pre-commit) lists names lexicographically: 10 before 2.
    given = [
        f"golang-migrate/{n}"
        for n in (
            "10_drop_users_legacy_code.up.sql",
            "1_create_users.down.sql",
            "2_add_email_to_users.up.sql",
        )
    ]
    found = clean(discover(given, cwd=LAYOUTS))
    assert [m.name for m in found.migrations] == [
        "1_create_users",
        "2_add_email_to_users",
        "10_drop_users_legacy_code",
    ]


def test_a_migration_named_twice_is_listed_once() -> None:
    file = "golang-migrate/1_create_users.up.sql"
    folder_only = discover(["golang-migrate"], cwd=LAYOUTS)
    for given in ([file, "golang-migrate"], ["golang-migrate", file], [file, file]):
        found = clean(discover(given, cwd=LAYOUTS))
        names = [m.name for m in found.migrations]
        assert names.count("1_create_users") == 1
        assert len(names) == len(set(names))
    both = discover(["golang-migrate", "golang-migrate/1_create_users.down.sql"], cwd=LAYOUTS)
    assert both == folder_only


def test_a_file_inside_a_folder_named_like_a_file() -> None:
    found = clean(discover(["messy/weird.sql/001_create_audit_log.sql"], cwd=LAYOUTS))
    assert rows(found) == [
        ("001_create_audit_log", "sql", "messy/weird.sql/001_create_audit_log.sql", None, None)
    ]


def test_a_named_file_that_is_no_migration_is_a_notice() -> None:
    found = discover(["messy/README.md", "messy/005_backfill_emails.ts"], cwd=LAYOUTS)
    assert found.migrations == []
    assert found.errors == []
    assert found.notices == [
        Notice("messy/README.md", "not a migration file; ignored"),
        Notice("messy/005_backfill_emails.ts", "not a migration file; ignored"),
    ]


def test_a_named_file_brings_only_its_own_migration(tmp_path: Path) -> None:
    write(tmp_path / "a.sql")
    write(tmp_path / "a.up.sql", "")  # shares the base name, but is not a's partner
    write(tmp_path / "a.down.sql")
    found = clean(discover(["a.sql"], cwd=tmp_path))
    assert rows(found) == [("a", "sql", "a.sql", None, None)]


# -- pairing and ordering rules --------------------------------------------------------------


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


def test_flyway_one_and_one_point_zero_are_the_same_version(tmp_path: Path) -> None:
    for name in ("V1.0__b.sql", "V1__a.sql", "V1_1__c.sql", "U1__a.sql"):
        write(tmp_path / name)
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [
        ("V1.0__b", "flyway", "V1.0__b.sql", None, "1.0"),
        ("V1__a", "flyway", "V1__a.sql", "U1__a.sql", "1"),
        ("V1_1__c", "flyway", "V1_1__c.sql", None, "1.1"),
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


@pytest.mark.parametrize(
    ("provider", "dialect", "notices"),
    [
        ("mysql", "mysql", []),
        ("sqlite", "sqlite", []),
        ("postgresql", "postgres", []),
        (
            "sqlserver",
            "postgres",
            [
                Notice(
                    "migrations/migration_lock.toml",
                    "Prisma provider 'sqlserver' is not supported; "
                    "its migrations are read as PostgreSQL",
                )
            ],
        ),
    ],
)
def test_prisma_provider(
    tmp_path: Path, provider: str, dialect: str, notices: list[Notice]
) -> None:
    write(tmp_path / "migrations" / "migration_lock.toml", f'provider = "{provider}"\n')
    write(tmp_path / "migrations" / "init" / "migration.sql")  # no digits: the lock decides
    found = discover(["migrations"], cwd=tmp_path)
    assert found.errors == []
    assert found.notices == notices
    assert [(m.name, m.layout, m.dialect) for m in found.migrations] == [
        ("init", "prisma", dialect)
    ]


def test_prisma_invalid_lock_file_is_an_error_and_migrations_still_count(tmp_path: Path) -> None:
    write(tmp_path / "migrations" / "migration_lock.toml", "provider = \n")
    write(tmp_path / "migrations" / "20240101000000_init" / "migration.sql")
    found = discover(["."], cwd=tmp_path)
    assert [(m.name, m.layout, m.dialect) for m in found.migrations] == [
        ("20240101000000_init", "prisma", "postgres")
    ]
    assert [e.path for e in found.errors] == ["migrations/migration_lock.toml"]
    assert found.errors[0].message.startswith("invalid TOML")


def test_a_migration_sql_outside_prisma_is_plain(tmp_path: Path) -> None:
    write(tmp_path / "release" / "migration.sql")
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [("migration", "sql", "release/migration.sql", None, None)]


# -- bad input ---------------------------------------------------------------------------------


def test_a_missing_path_is_an_error_and_the_rest_is_still_found(tmp_path: Path) -> None:
    write(tmp_path / "1_a.up.sql")
    found = discover(["nope", "1_a.up.sql", "gone/2_b.up.sql"], cwd=tmp_path)
    assert [m.name for m in found.migrations] == ["1_a"]
    assert found.errors == [
        InputError("nope", "no such file or directory"),
        InputError("gone/2_b.up.sql", "no such file or directory"),
    ]


def test_empty_files_are_migrations_with_a_notice(tmp_path: Path) -> None:
    write(tmp_path / "1_a.up.sql", "")
    write(tmp_path / "1_a.down.sql", "DROP TABLE a;\n")
    write(tmp_path / "V1__a.sql", "")
    found = discover(["."], cwd=tmp_path)
    assert [m.name for m in found.migrations] == ["V1__a", "1_a"]
    assert found.errors == []
    assert sorted(found.notices, key=lambda n: n.path) == [
        Notice("1_a.up.sql", "empty migration file"),
        Notice("V1__a.sql", "empty migration file"),
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_directory_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "db" / "1_a.up.sql")
    write(tmp_path / "db" / "nested" / "2_b.sql")
    (tmp_path / "db" / "nested" / "loop").symlink_to(tmp_path / "db", target_is_directory=True)
    (tmp_path / "db" / "self").symlink_to(".", target_is_directory=True)
    (tmp_path / "alias").symlink_to(tmp_path / "db", target_is_directory=True)
    found = clean(discover(["."], cwd=tmp_path))
    # "alias" is walked first (natural order) and "db" is then recognised as the same folder.
    assert rows(found) == [
        ("1_a", "golang-migrate", "alias/1_a.up.sql", None, "1"),
        ("2_b", "sql", "alias/nested/2_b.sql", None, None),
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_dangling_symlink_is_an_error_with_the_os_message(tmp_path: Path) -> None:
    write(tmp_path / "2_ok.sql")
    (tmp_path / "1_gone.sql").symlink_to(tmp_path / "missing.sql")
    (tmp_path / "3_gone.up.sql").symlink_to(tmp_path / "missing.sql")
    found = discover(["."], cwd=tmp_path)
    assert rows(found) == [("2_ok", "sql", "2_ok.sql", None, None)]
    message = os.strerror(2)  # ENOENT, in the platform's words
    assert found.errors == [InputError("1_gone.sql", message), InputError("3_gone.up.sql", message)]


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_an_unreadable_file_is_an_error_and_the_rest_is_found(tmp_path: Path) -> None:
    locked = [write(tmp_path / "1_secret.sql"), write(tmp_path / "2_secret.up.sql")]
    locked.append(write(tmp_path / "sub" / "4_hidden.sql").parent)
    write(tmp_path / "3_ok.sql")
    for path in locked:
        path.chmod(0)
    try:
        found = discover(["."], cwd=tmp_path)
    finally:
        for path in locked:
            path.chmod(0o755)
    assert rows(found) == [("3_ok", "sql", "3_ok.sql", None, None)]
    message = os.strerror(13)  # EACCES
    assert sorted(found.errors, key=lambda e: e.path) == [
        InputError("1_secret.sql", message),
        InputError("2_secret.up.sql", message),
        InputError("sub", message),
    ]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_the_os_fails_to_read_is_an_error_even_for_root(tmp_path: Path) -> None:
    # Reading /proc/self/mem at offset 0 fails with EIO for every user, root included.
    (tmp_path / "1_broken.sql").symlink_to("/proc/self/mem")
    write(tmp_path / "2_ok.sql")
    found = discover(["."], cwd=tmp_path)
    assert rows(found) == [("2_ok", "sql", "2_ok.sql", None, None)]
    assert found.errors == [InputError("1_broken.sql", os.strerror(5))]  # EIO


# -- paths -------------------------------------------------------------------------------------


def test_paths_outside_cwd_are_absolute_with_forward_slashes(tmp_path: Path) -> None:
    write(tmp_path / "db" / "1_a.up.sql")
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    found = clean(discover([tmp_path / "db"], cwd=elsewhere))
    expected = (tmp_path / "db" / "1_a.up.sql").as_posix()
    assert [path_of(m.up) for m in found.migrations] == [expected]
    relative = clean(discover(["../db/1_a.up.sql"], cwd=elsewhere))
    assert [path_of(m.up) for m in relative.migrations] == [expected]


def test_default_cwd_is_the_process_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "sql" / "1_a.sql")
    monkeypatch.chdir(tmp_path)
    assert rows(clean(discover(["."]))) == [("1_a", "sql", "sql/1_a.sql", None, None)]
    # A lone string is one path, not a sequence of one-letter paths.
    assert rows(clean(discover("sql"))) == [("1_a", "sql", "sql/1_a.sql", None, None)]


# -- speed -------------------------------------------------------------------------------------


def test_two_thousand_migrations_are_found_quickly(tmp_path: Path) -> None:
    for i in range(1, 2001):
        write(tmp_path / f"{i:06d}_t{i}.up.sql", f"CREATE TABLE t{i} ();\n")
        write(tmp_path / f"{i:06d}_t{i}.down.sql", f"DROP TABLE t{i};\n")
    discover(["."], cwd=tmp_path)  # warm the OS cache
    start = time.perf_counter()
    found = clean(discover(["."], cwd=tmp_path))
    elapsed = time.perf_counter() - start
    assert len(found.migrations) == 2000
    assert [m.version for m in found.migrations[:2]] == ["000001", "000002"]
    assert all(m.down is not None for m in found.migrations)
    # Tens of milliseconds on a laptop; the bound only catches a quadratic walk.
    assert elapsed < 1.0


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


def test_mixed_layouts_in_one_folder_follow_one_version_order(tmp_path: Path) -> None:
    write(tmp_path / "m" / "201806191904_create_logs.sql", "SELECT 1;\n")
    write(tmp_path / "m" / "202507071815_add.up.sql", "SELECT 1;\n")
    write(tmp_path / "m" / "201701010000_init.sql", "SELECT 1;\n")
    found = discover(["m"], cwd=tmp_path)
    assert [m.name for m in found.migrations] == [
        "201701010000_init", "201806191904_create_logs", "202507071815_add"]
