"""Discovery of migrations on real trees: tests/fixtures/layouts, and messier ones in tmp_path."""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemagate.model.findings import InputError, Notice
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, path_of, rows, write

# -- one layout per folder -------------------------------------------------------------------


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
        "django": {"django"},
        "drizzle": {"drizzle"},
        "flyway": {"flyway"},
        "golang-migrate": {"golang-migrate"},
        "goose": {"goose"},
        "liquibase": {"liquibase"},
        "liquibase-master": {"liquibase"},
        "messy": {"sql", "alembic", "flyway", "golang-migrate"},
        "per-database": {"sql"},
        "plain": {"sql"},
        "popx": {"popx"},
        "prisma": {"prisma"},
        "sql-migrate": {"sql-migrate"},
        "sqitch": {"sqitch"},
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


def _discovery_calls(folder: Path, count: int) -> int:
    """Python function calls made while discovering `count` golang-migrate pairs."""
    for i in range(1, count + 1):
        write(folder / f"{i:06d}_t{i}.up.sql", f"CREATE TABLE t{i} ();\n")
        write(folder / f"{i:06d}_t{i}.down.sql", f"DROP TABLE t{i};\n")
    profile = cProfile.Profile()
    profile.enable()
    found = clean(discover(["."], cwd=folder))
    profile.disable()
    assert len(found.migrations) == count
    assert [m.version for m in found.migrations[:2]] == ["000001", "000002"]
    assert all(m.down is not None for m in found.migrations)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined,no-any-return]


@pytest.mark.slow
def test_discovery_work_grows_linearly_with_the_number_of_migrations(tmp_path: Path) -> None:
    # Counted, not timed (a busy machine would fail a timed test): four times the files cost
    # about four times the calls, where a quadratic walk or pairing would cost sixteen.
    _discovery_calls(tmp_path / "warm-up", 5)
    small = _discovery_calls(tmp_path / "small", 250)
    large = _discovery_calls(tmp_path / "large", 1000)
    assert large / small < 6, (small, large)


def test_mixed_layouts_in_one_folder_follow_one_version_order(tmp_path: Path) -> None:
    write(tmp_path / "m" / "201806191904_create_logs.sql", "SELECT 1;\n")
    write(tmp_path / "m" / "202507071815_add.up.sql", "SELECT 1;\n")
    write(tmp_path / "m" / "201701010000_init.sql", "SELECT 1;\n")
    found = discover(["m"], cwd=tmp_path)
    assert [m.name for m in found.migrations] == [
        "201701010000_init", "201806191904_create_logs", "202507071815_add"]


# -- histories that span folders (`_nested_histories`) -----------------------------------------


def _histories(found: Any) -> list[tuple[str, str, str]]:
    """(history, dialect, path relative to the root) of each migration, in order."""
    return [(m.history, m.dialect, path_of(m.up) or "") for m in found.migrations]


def test_flyway_folders_under_one_parent_are_one_history_in_version_order(
        tmp_path: Path) -> None:
    # Flyway scans its location's sub-folders and orders all it finds by version.
    write(tmp_path / "db/migration/V1__users.sql")
    write(tmp_path / "db/migration/release2/V2__index.sql")
    write(tmp_path / "db/migration/release1/V3__name.sql")
    write(tmp_path / "db/migration/release1/V1_5__email.sql")
    found = clean(discover(["db"], cwd=tmp_path))
    assert _histories(found) == [
        ("db/migration", "postgres", "db/migration/V1__users.sql"),
        ("db/migration", "postgres", "db/migration/release1/V1_5__email.sql"),
        ("db/migration", "postgres", "db/migration/release2/V2__index.sql"),
        ("db/migration", "postgres", "db/migration/release1/V3__name.sql")]


def test_flyway_folders_whose_versions_repeat_are_separate_histories(tmp_path: Path) -> None:
    # Each starts at V1: Flyway would refuse them as one location, so they are two.
    write(tmp_path / "sql/tenant/V1__a.sql")
    write(tmp_path / "sql/tenant/V2__b.sql")
    write(tmp_path / "sql/shared/V1__c.sql")
    found = clean(discover(["sql"], cwd=tmp_path))
    assert [h for h, _, _ in _histories(found)] == ["sql/shared", "sql/tenant", "sql/tenant"]


def test_folders_named_for_a_database_are_never_joined(tmp_path: Path) -> None:
    write(tmp_path / "sql/postgres/V1__a.sql")
    write(tmp_path / "sql/mysql/V2__a.sql")
    found = clean(discover(["sql"], cwd=tmp_path))
    assert _histories(found) == [("sql/mysql", "mysql", "sql/mysql/V2__a.sql"),
                                 ("sql/postgres", "postgres", "sql/postgres/V1__a.sql")]


def test_the_flyway_folder_of_the_database_linted_joins_the_common_one(
        tmp_path: Path) -> None:
    # spring.flyway.locations=classpath:db/migration/common,classpath:db/migration/{vendor}:
    # on PostgreSQL, common and postgresql are one history; mysql's stays apart, and H2's
    # is not linted at all.
    write(tmp_path / "db/migration/common/V1__users.sql")
    write(tmp_path / "db/migration/common/V3__orders.sql")
    write(tmp_path / "db/migration/postgresql/V2__users_search.sql")
    write(tmp_path / "db/migration/h2/V2__users_search.sql")
    write(tmp_path / "db/migration/mysql/V2__users_search.sql")
    found = discover(["db"], cwd=tmp_path)
    assert [(h, p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1])
            for h, _, p in _histories(found)] == [
        ("db/migration", "common/V1__users.sql"),
        ("db/migration", "postgresql/V2__users_search.sql"),
        ("db/migration", "common/V3__orders.sql"),
        ("db/migration/mysql", "mysql/V2__users_search.sql")]
    assert found.errors == []
    assert [n.path for n in found.notices] == ["db/migration/h2"]
    # Linted as MySQL, the mysql folder joins it instead.
    mysql = discover(["db"], cwd=tmp_path, dialect="mysql")
    assert {h for h, _, p in _histories(mysql) if "/mysql/" in p} == {"db/migration"}


def test_a_folder_named_for_a_database_not_linted_is_left_out_with_a_notice(
        tmp_path: Path) -> None:
    # umami: db/clickhouse/migrations holds ClickHouse's DDL (ENGINE = MergeTree,
    # materialized views), beside the PostgreSQL history; read as PostgreSQL's, it gave
    # syntax errors and lock findings that are not true of it.
    write(tmp_path / "db/clickhouse/migrations/01_init.sql",
          "CREATE TABLE e (id UUID) ENGINE = MergeTree ORDER BY id;\n")
    write(tmp_path / "db/clickhouse/migrations/02_drop.sql", "DROP TABLE e_mv;\n")
    write(tmp_path / "db/postgresql/migrations/01_init.sql", "CREATE TABLE e (id uuid);\n")
    found = discover(["db"], cwd=tmp_path)
    assert _histories(found) == [
        ("db/postgresql/migrations", "postgres", "db/postgresql/migrations/01_init.sql")]
    assert found.errors == []
    assert found.notices == [Notice("db/clickhouse/migrations", (
        "written for ClickHouse (the folder's name), a database schemagate does not lint: "
        "2 migrations left out"))]
    # Named one by one (a pre-commit hook), it is left out just the same.
    one = discover(["db/clickhouse/migrations/02_drop.sql"], cwd=tmp_path)
    assert one.migrations == []
    assert [n.path for n in one.notices] == ["db/clickhouse/migrations"]


def test_a_django_app_named_for_a_database_not_linted_is_left_out_with_a_notice(
        tmp_path: Path) -> None:
    # Flagsmith's `clickhouse` app: RunSQL of ClickHouse DDL, migrated on that database by
    # a router; the project's other apps are PostgreSQL's.
    head = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    write(tmp_path / "api/clickhouse/migrations/__init__.py", "")
    write(tmp_path / "api/clickhouse/migrations/0001_create_identities.py", head + (
        "    initial = True\n    operations = [migrations.RunSQL(\n"
        "        'CREATE TABLE IDENTITIES (id String) ENGINE = ReplacingMergeTree '\n"
        "        'ORDER BY id')]\n"))
    write(tmp_path / "api/users/migrations/__init__.py", "")
    write(tmp_path / "api/users/migrations/0001_initial.py", head + (
        "    initial = True\n    operations = [migrations.RunSQL('CREATE TABLE u (id int)')]\n"))
    found = discover(["api"], cwd=tmp_path)
    assert [m.up.path for m in found.migrations if m.up] == [
        "api/users/migrations/0001_initial.py"]
    assert found.errors == [] and found.notices == [Notice("api/clickhouse/migrations", (
        "written for ClickHouse (the folder's name), a database schemagate does not lint: "
        "1 migration left out"))]


def test_a_prisma_history_under_a_folder_named_for_another_database_is_kept(
        tmp_path: Path) -> None:
    # The lock file names the database; a folder's name says less.
    write(tmp_path / "oracle/prisma/migrations/migration_lock.toml",
          'provider = "postgresql"\n')
    write(tmp_path / "oracle/prisma/migrations/20240101000000_init/migration.sql")
    found = clean(discover(["oracle"], cwd=tmp_path))
    assert [m.layout for m in found.migrations] == ["prisma"]


def test_only_folders_inside_the_repository_say_the_database(tmp_path: Path) -> None:
    # A folder above the repository is the user's machine (`/srv/mysql/app`), not the
    # project: the same files give the same dialect wherever the lint is run from.
    app = tmp_path / "mysql" / "app"
    (app / ".git").mkdir(parents=True)
    write(app / "migrations/001_users.sql")
    write(app / "db/mysql/001_users.sql")
    from_above = clean(discover([str(app)], cwd=tmp_path))
    assert [(p.split("app/", 1)[1], d) for _, d, p in _histories(from_above)] == [
        ("db/mysql/001_users.sql", "mysql"), ("migrations/001_users.sql", "postgres")]
    from_inside = clean(discover(["001_users.sql"], cwd=app / "db/mysql"))
    assert [d for _, d, _ in _histories(from_inside)] == ["mysql"]
    from_file = clean(discover([str(app / "migrations/001_users.sql")], cwd=tmp_path))
    assert [d for _, d, _ in _histories(from_file)] == ["postgres"]


def test_the_repository_is_looked_for_only_where_a_folder_is_named_for_a_database(
        tmp_path: Path) -> None:
    # Each folder asked is a path the replay journal must watch; those above the project
    # (/tmp) change all the time, and would keep a run from ever being replayed.
    write(tmp_path / "app/migrations/001_users.sql")
    write(tmp_path / "app/db/mysql/001_users.sql")
    plain = discover(["app/migrations"], cwd=tmp_path)
    assert not [p for p in plain.reads if p.endswith(os.sep + ".git")]
    named = discover(["app/db"], cwd=tmp_path)
    assert os.path.join(str(tmp_path), "app", "db", "mysql", ".git") in named.reads


def test_plain_files_in_version_named_folders_are_one_history_folder_by_folder(
        tmp_path: Path) -> None:
    # memos: store/migration/<database>/<version>/<NN>__<name>.sql, and LATEST.sql beside
    # the versions, which fresh installs run instead of the history.
    for version in ("0.2", "0.10", "0.9"):
        write(tmp_path / f"migration/mysql/{version}/00__a.sql")
        write(tmp_path / f"migration/mysql/{version}/01__b.sql")
    write(tmp_path / "migration/mysql/LATEST.sql")
    write(tmp_path / "migration/notes/00__x.sql")  # not a version: a history of its own
    found = clean(discover(["migration"], cwd=tmp_path))
    assert _histories(found) == [
        ("migration/mysql/*", "mysql", "migration/mysql/0.2/00__a.sql"),
        ("migration/mysql/*", "mysql", "migration/mysql/0.2/01__b.sql"),
        ("migration/mysql/*", "mysql", "migration/mysql/0.9/00__a.sql"),
        ("migration/mysql/*", "mysql", "migration/mysql/0.9/01__b.sql"),
        ("migration/mysql/*", "mysql", "migration/mysql/0.10/00__a.sql"),
        ("migration/mysql/*", "mysql", "migration/mysql/0.10/01__b.sql"),
        ("migration/mysql", "mysql", "migration/mysql/LATEST.sql"),
        ("migration/notes", "postgres", "migration/notes/00__x.sql")]


def test_a_version_folders_manifest_orders_its_files(tmp_path: Path) -> None:
    # Temporal's schema/<database>/<version>/temporal/versioned/v1.5/manifest.json: the
    # files of one schema version in the order temporal-sql-tool runs them.
    root = tmp_path / "schema/mysql/v8/temporal/versioned"
    write(root / "v1.0/schema.sql")
    write(root / "v1.0/manifest.json", '{"CurrVersion": "1.0", '
          '"SchemaUpdateCqlFiles": ["schema.sql"]}')
    for name in ("cluster_membership.sql", "event.sql", "executions.sql", "notes.sql"):
        write(root / "v1.5" / name)
    write(root / "v1.5/manifest.json", '{"SchemaUpdateCqlFiles": '
          '["event.sql", "executions.sql", "cluster_membership.sql", "gone.sql"]}')
    found = discover(["schema"], cwd=tmp_path)
    shown = "schema/mysql/v8/temporal/versioned"
    assert _histories(found) == [
        (shown, "mysql", f"{shown}/v1.0/schema.sql"),
        (shown, "mysql", f"{shown}/v1.5/event.sql"),
        (shown, "mysql", f"{shown}/v1.5/executions.sql"),
        (shown, "mysql", f"{shown}/v1.5/cluster_membership.sql")]
    assert [(n.path, n.message) for n in found.notices] == [(
        f"{shown}/v1.5/notes.sql",
        "not in manifest.json's SchemaUpdateCqlFiles: the schema tool does not run it; "
        "left out")]
    assert [(e.path, e.message) for e in found.errors] == [(
        f"{shown}/v1.5/gone.sql", "manifest.json names this file, but it is not there")]


def test_another_tools_manifest_orders_nothing(tmp_path: Path) -> None:
    write(tmp_path / "m/2_b.sql")
    write(tmp_path / "m/1_a.sql")
    write(tmp_path / "m/manifest.json", '{"name": "not a schema tool"}')
    found = clean(discover(["m"], cwd=tmp_path))
    assert [p for _, _, p in _histories(found)] == ["m/1_a.sql", "m/2_b.sql"]


# -- what discovery depended on --------------------------------------------------------------


class _Watched:
    """A directory entry that notes each question whose answer is not in the listing: its
    stat, and what a link points at."""

    def __init__(self, entry: os.DirEntry[str], seen: set[str]) -> None:
        self._entry, self._seen = entry, seen
        self.name, self.path = entry.name, entry.path

    def _target(self) -> None:
        if self._entry.is_symlink():
            self._seen.add(self.path)

    def is_symlink(self) -> bool:
        return self._entry.is_symlink()

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        self._target()
        return self._entry.is_dir(follow_symlinks=follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        self._target()
        return self._entry.is_file(follow_symlinks=follow_symlinks)

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        self._seen.add(self.path)
        return self._entry.stat(follow_symlinks=follow_symlinks)


def _watching(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every path discovery stats, lists, checks or opens from now on (absolute)."""
    import builtins
    from contextlib import contextmanager

    seen: set[str] = set()
    real_open, real_scandir = builtins.open, os.scandir

    def noting(real: Any) -> Any:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, str | os.PathLike):
                seen.add(os.path.abspath(path))
            return real(path, *args, **kwargs)
        return call

    @contextmanager
    def scandir(path: str) -> Iterator[Iterator[_Watched]]:
        seen.add(os.path.abspath(path))
        with real_scandir(path) as entries:
            yield (_Watched(entry, seen) for entry in entries)

    for name in ("stat", "lstat", "access", "listdir"):
        monkeypatch.setattr(os, name, noting(getattr(os, name)))
    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(builtins, "open", noting(real_open))
    return seen


def _tree_with_links(root: Path) -> Path:
    """Links to files and folders, dangling links, an empty popx down, a missing path."""
    folder = root / "links"
    write(folder / "1_a.up.sql", "CREATE TABLE a (id int);\n")
    write(root / "elsewhere" / "2_b.up.sql", "CREATE TABLE b (id int);\n")
    (folder / "2_b.up.sql").symlink_to(root / "elsewhere" / "2_b.up.sql")
    (folder / "3_c.up.sql").symlink_to(root / "nowhere.sql")  # dangling .sql
    (folder / "metadata.toml").symlink_to(root / "nowhere.toml")  # dangling, not .sql
    write(root / "shared" / "4_d.up.sql", "CREATE TABLE d (id int);\n")
    (folder / "sub").symlink_to(root / "shared", target_is_directory=True)
    popx = root / "popx"
    write(popx / "20210101000000000000_t.postgres.up.sql", "CREATE TABLE t (id int);\n")
    write(popx / "20210101000000000000_t.postgres.down.sql", "")
    write(popx / "20210101000000000000_t.mysql.up.sql", "CREATE TABLE t (id int);\n")
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_every_path_discovery_looks_at_is_in_its_reads(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = LAYOUTS.parent
    links = _tree_with_links(tmp_path)
    named = [str(p) for p in sorted(LAYOUTS.rglob("*")) if p.is_file()][::7]
    runs: list[tuple[list[str], Path]] = [
        (["."], LAYOUTS),
        *(([p.name], LAYOUTS) for p in sorted(LAYOUTS.iterdir())),
        (named, LAYOUTS),  # files named one by one, as a pre-commit hook passes them
        ([str(fixtures / "alembic"), str(fixtures / "bad_input"),
          str(fixtures / "unreadable")], fixtures),
        ([str(links), str(tmp_path / "popx"), str(tmp_path / "missing")], tmp_path),
        ([str(links / "1_a.up.sql"), str(links / "3_c.up.sql")], tmp_path),
    ]
    for paths, cwd in runs:
        with monkeypatch.context() as patch:
            seen = _watching(patch)
            found = discover(paths, cwd=cwd)
        assert found.migrations or found.errors
        assert seen - set(found.reads) == set(), paths


def test_read_start_gives_the_first_bytes_or_all_of_them(tmp_path: Path) -> None:
    from schemagate.parse.layouts.listing import read_start

    data = bytes(range(256)) * 1000  # more than one read of 64 KiB
    path = write(tmp_path / "f.sql")
    path.write_bytes(data)
    assert read_start(str(path)) == data
    assert read_start(str(path), 100_000) == data[:100_000]
    assert read_start(str(path), 10) == data[:10]
    path.write_bytes(b"")
    assert read_start(str(path)) == b""
    with pytest.raises(OSError):
        read_start(str(tmp_path / "missing.sql"))
