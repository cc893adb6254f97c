"""The names that announce a layout, read before the layout's own module is loaded.

Discovery asks every folder it walks whether it is a Sqitch project, an Alembic `versions/`
folder, a Django `migrations/` package or the home of a Liquibase changelog. Most folders are
none of these, and the modules that read those layouts (their patterns, their records) cost
a pre-commit run on a folder of plain SQL files a few milliseconds to load. So the questions
that names alone answer are kept here, where every layout module that needs them finds them
too, and `discover` loads a layout's module only when its sign is there.
"""

from __future__ import annotations

import os

__all__ = [
    "CHANGELOG_SUFFIXES",
    "SQITCH_PLAN",
    "in_alembic_versions",
    "is_django_migrations",
    "may_be_changelog",
]

# A Sqitch project's plan: the folder that holds one is the project.
SQITCH_PLAN = "sqitch.plan"

# The formats of a Liquibase changelog that includes SQL files.
CHANGELOG_SUFFIXES = (".yaml", ".yml", ".xml", ".json")


def in_alembic_versions(path: str) -> bool:
    """Whether a folder is an Alembic `versions/` folder or lies below one."""
    return "versions" in path.replace(os.sep, "/").split("/")


def is_django_migrations(path: str) -> bool:
    """Whether a folder is named as a Django app's migrations package."""
    return os.path.basename(path) == "migrations"


def may_be_changelog(name: str) -> bool:
    """Whether a file's name is a Liquibase changelog's (`db.changelog-master.yaml`)."""
    lowered = name.lower()
    return lowered.endswith(CHANGELOG_SUFFIXES) and "changelog" in lowered
