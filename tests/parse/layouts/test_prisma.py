"""Prisma's layout: `<timestamp>_<name>/migration.sql` and the lock file's provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.model.findings import Notice
from schemagate.model.migration import MigrationSource, Script
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write


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


def test_prisma_applies_folders_in_string_order_of_the_whole_name(tmp_path: Path) -> None:
    migrations = tmp_path / "prisma" / "migrations"
    write(migrations / "migration_lock.toml", 'provider = "postgresql"\n')
    for folder in ("20250625_add_plan", "20250625120000_init", "20250101000000_base"):
        write(migrations / folder / "migration.sql")
    found = discover(["prisma"], cwd=tmp_path)
    # "_" sorts after the digits: the short timestamp comes last, as Prisma applies it.
    assert [m.name for m in found.migrations] == [
        "20250101000000_base", "20250625120000_init", "20250625_add_plan"]


def test_a_migration_folder_of_code_is_a_notice(tmp_path: Path) -> None:
    """Formbricks runs 25 `migration.ts` data migrations between Prisma's with a runner of
    its own; they were left out without a word. Outside a Prisma folder (no lock file) a
    `migration.ts` is nobody's migration."""
    migrations = tmp_path / "migration"
    write(migrations / "migration_lock.toml", 'provider = "postgresql"\n')
    write(migrations / "20230329205933_init" / "migration.sql")
    write(migrations / "20241209104738_xm_user_identification" / "migration.ts")
    write(migrations / "20241209104738_xm_user_identification" / "utils.ts")
    write(tmp_path / "scripts" / "20240101000000_seed" / "migration.ts")
    found = discover(["."], cwd=tmp_path)
    assert [m.name for m in found.migrations] == ["20230329205933_init"]
    assert [(n.path, n.message.split(":")[0]) for n in found.notices] == [
        ("migration/20241209104738_xm_user_identification/migration.ts",
         "a data migration in code, which the project's own runner runs between Prisma's")]
