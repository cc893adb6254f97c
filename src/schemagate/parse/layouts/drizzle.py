"""Drizzle Kit: `NNNN_name.sql` files beside `meta/_journal.json`, as `drizzle-kit generate`
writes them.

Only the journal's `dialect` is read ("postgresql", "mysql", "singlestore", "sqlite",
"turso"): the folder's files are linted as that database's SQL, where a Drizzle SQLite or
MySQL history linted as PostgreSQL failed on every backquoted name. The files are otherwise
plain scripts (layout "sql", in name order, which is the journal's: drizzle-kit numbers
them), and `--> statement-breakpoint` is a comment to every parser.
Not yet followed: drizzle-orm's migrator runs the pending migrations inside one
transaction, which the plain layout does not assume; the journal's order where it differs
from the names'.
"""

from __future__ import annotations

JOURNAL = ("meta", "_journal.json")

# The journal's dialect, as schemagate names it; SingleStore speaks MySQL's SQL, Turso
# (libSQL) SQLite's.
_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "singlestore": "mysql",
             "sqlite": "sqlite", "turso": "sqlite"}


def journal_dialect(text: str) -> str | None:
    """The dialect a `_journal.json` names, or None when it names none schemagate reads
    (or is not a journal)."""
    import json  # only for a folder that holds a journal

    try:
        journal = json.loads(text)
    except ValueError:
        return None
    dialect = journal.get("dialect") if isinstance(journal, dict) else None
    return _DIALECTS.get(dialect) if isinstance(dialect, str) else None
