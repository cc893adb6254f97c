"""Drizzle Kit: the SQL files `drizzle-kit generate` writes, in the order of its journal.

Names: a folder holding `meta/_journal.json`; each of the journal's entries names its
migration `<tag>.sql` beside it (`0003_glamorous_living_mummy.sql`). A `.sql` file there
that the journal does not name is not run by drizzle, and is left out with a notice.
Versions: the journal's order (its `idx`), which drizzle applies.
Up and down: an up only; Drizzle writes no down migrations.
Transactions: drizzle-orm's `migrate()` runs every pending migration inside one
transaction ("wrapped"), its statements split at `--> statement-breakpoint`.
Dialect: the journal's `dialect` ("postgresql", "mysql", "singlestore", "sqlite",
"turso"), where a Drizzle SQLite or MySQL history linted as PostgreSQL failed on every
backquoted name.
Not followed: drizzle's record of what was applied (`drizzle.__drizzle_migrations`, by
content hash), so `diff --applied` and `verify` treat the files as plain scripts do.
"""

from __future__ import annotations

from typing import NamedTuple

from schemagate.parse.layouts.listing import Plan

JOURNAL = ("meta", "_journal.json")

# The journal's dialect, as schemagate names it; SingleStore speaks MySQL's SQL, Turso
# (libSQL) SQLite's.
_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "singlestore": "mysql",
             "sqlite": "sqlite", "turso": "sqlite"}


class Journal(NamedTuple):
    """What `meta/_journal.json` says: the migrations' tags in order, and their dialect."""

    tags: tuple[str, ...]
    dialect: str | None  # None: one schemagate does not read (the default then applies)


def read_journal(text: str) -> Journal | None:
    """The journal, or None when the text is not one (torn, or another JSON file)."""
    import json  # only for a folder that holds a journal

    try:
        journal = json.loads(text)
    except ValueError:
        return None
    if not isinstance(journal, dict) or not isinstance(journal.get("entries"), list):
        return None
    entries = [e for e in journal["entries"] if isinstance(e, dict)
               and isinstance(e.get("tag"), str) and e["tag"]]
    entries.sort(key=lambda e: e["idx"] if isinstance(e.get("idx"), int) else len(entries))
    dialect = journal.get("dialect")
    return Journal(tuple(e["tag"] for e in entries),
                   _DIALECTS.get(dialect) if isinstance(dialect, str) else None)


class Claim(NamedTuple):
    plans: list[Plan]
    rest: list[str]  # names the journal does not mention
    missing: list[str]  # files the journal names that are not there


def claim(names: list[str], journal: Journal) -> Claim:
    """The folder's migrations, in the journal's order."""
    present = set(names)
    plans: list[Plan] = []
    missing: list[str] = []
    for index, tag in enumerate(journal.tags):
        name = f"{tag}.sql"
        if name not in present:
            missing.append(name)
            continue
        plans.append(Plan(tag, "drizzle", name, None, "wrapped", version=str(index),
                          dialect=journal.dialect or "postgres"))
    named = {plan.up for plan in plans}
    return Claim(plans, [n for n in names if n not in named], missing)
