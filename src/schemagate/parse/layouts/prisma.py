"""Prisma Migrate: `<timestamp>_<name>/migration.sql`, one folder per migration.

Names: a folder holding `migration.sql`, named `<digits>_<name>` (`20240101120000_init`);
any name will do below a folder holding Prisma's `migration_lock.toml`, whose `provider`
also gives the dialect (`postgresql`, `mysql`, `sqlite`; any other is read as PostgreSQL,
with a notice). Loose `.sql` files beside the migration folders are not Prisma's.
Order: Prisma applies the folders in plain string order of the whole folder name, so
`20250625_x` comes after `20250625120000_y` (`_` sorts after the digits), and folders that
share a timestamp are two migrations in that order, not a fork; Prisma records each by
its full name. The leading digits are kept as the version, for display.
Up and down: Prisma has no down scripts.
Transactions: Prisma sends `migration.sql` as one multi-statement query, which PostgreSQL
runs as one implicit transaction ("implicit").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from schemagate.model.findings import Notice
from schemagate.parse.layouts.listing import Folder, Plan, Problems, leading_digits, read_toml

LOCK_FILE = "migration_lock.toml"

_DIR = re.compile(r"[0-9]+_.+")

# Prisma's provider names to schemagate dialects; any other provider is read as PostgreSQL.
_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def plan(
    folder: Folder, names: Collection[str], lock_dialect: Callable[[], str | None]
) -> Plan | None:
    """The folder's migration if it is Prisma's; `lock_dialect` reads the parent's lock file."""
    if "migration.sql" not in names:
        return None
    dialect = lock_dialect()
    if dialect is None and not _DIR.fullmatch(folder.name):
        return None
    return Plan(
        folder.name,
        "prisma",
        "migration.sql",
        None,
        "implicit",
        version=leading_digits(folder.name),
        dialect=dialect or "postgres",
    )


# A migration folder holding code instead of SQL (Formbricks' `migration.ts`, which its
# own runner runs between Prisma's): a data migration schemagate does not read.
CODE_MIGRATIONS = ("migration.ts", "migration.js", "migration.mjs")


def code_migration(folder: Folder, names: Collection[str]) -> str | None:
    """The code file of a folder that is named as a migration and holds code but no SQL."""
    if "migration.sql" in names or not _DIR.fullmatch(folder.name):
        return None
    return next((name for name in CODE_MIGRATIONS if name in names), None)


def read_lock(path: str, display: str, problems: Problems) -> str | None:
    """The dialect named by the lock file at `path`, or None when there is none."""
    document = read_toml(path, display, problems)
    if document is None:
        return None
    if not document:  # unreadable or invalid, and reported as such
        return "postgres"
    provider = document.get("provider")
    dialect = _DIALECTS.get(provider) if isinstance(provider, str) else None
    if dialect is None:
        problems.notices.append(
            Notice(
                display,
                f"Prisma provider {provider!r} is not supported; "
                "its migrations are read as PostgreSQL",
            )
        )
        return "postgres"
    return dialect
