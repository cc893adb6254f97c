"""Table sizes from a live database, read without waiting on its users.

Row estimates come from pg_class alone, which takes no lock on the table. Sizes come from
pg_total_relation_size, which takes ACCESS SHARE: behind a migration holding ACCESS
EXCLUSIVE it would wait as long as that migration runs. The session's lock_timeout bounds
the wait (`diff.connect`); a table whose size cannot be read in time keeps its row estimate
and gets an unknown size with the reason, and the other tables are still measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from schemagate.diff.connect import read_only
from schemagate.model.findings import Notice
from schemagate.model.names import QName
from schemagate.model.stats import TableStats

_TABLES = """
SELECT c.oid, n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
"""

# Whole (heap, TOAST, indexes) and table only. A table dropped since the list was read has
# no size (NULL), and is left out.
_SIZES = ("SELECT oid, pg_total_relation_size(oid), pg_table_size(oid) "
          "FROM unnest(%s::oid[]) AS oid")


def table_stats(url: str) -> dict[QName, TableStats]:
    """Rows and size of every table, materialized view and partitioned table."""
    with read_only(url) as cur:
        cur.execute(_TABLES)
        tables = {oid: (QName(s, t), int(r)) for oid, s, t, r in cur.fetchall()}
        sizes, unknown = read_sizes(cur, list(tables))
    out: dict[QName, TableStats] = {}
    for oid, (name, rows) in tables.items():
        if oid in sizes:
            out[name] = TableStats(name, rows, sizes[oid][0])
        elif oid in unknown:
            out[name] = TableStats(name, rows, None, unknown[oid])
    return out


def read_sizes(cur: Any, oids: list[int]
               ) -> tuple[dict[int, tuple[int, int]], dict[int, str]]:
    """Sizes by oid (pg_total_relation_size, pg_table_size), and the reason for each size
    that could not be read in time.

    All in one statement first; when a lock or the statement timeout stops it, one table
    at a time, rolling back to the savepoint after each failure, so that one locked table
    costs one lock_timeout and the others are still measured.
    """
    cur.execute("SAVEPOINT sizes")
    try:
        cur.execute(_SIZES, (oids,))
        return _measured(cur.fetchall()), {}
    except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
        cur.execute("ROLLBACK TO SAVEPOINT sizes")
    sizes: dict[int, tuple[int, int]] = {}
    unknown: dict[int, str] = {}
    for oid in oids:
        try:
            cur.execute(_SIZES, ([oid],))
            sizes.update(_measured(cur.fetchall()))
        except psycopg.errors.LockNotAvailable:
            cur.execute("ROLLBACK TO SAVEPOINT sizes")
            unknown[oid] = (f"size unknown: another session holds a lock on the table "
                            f"(waited lock_timeout, {_setting(cur, 'lock_timeout')})")
        except psycopg.errors.QueryCanceled:
            cur.execute("ROLLBACK TO SAVEPOINT sizes")
            unknown[oid] = (f"size unknown: reading it took longer than statement_timeout "
                            f"({_setting(cur, 'statement_timeout')})")
    return sizes, unknown


def _measured(rows: list[tuple[int, int | None, int | None]]
              ) -> dict[int, tuple[int, int]]:
    return {oid: (int(whole), int(table)) for oid, whole, table in rows
            if whole is not None and table is not None}


def _setting(cur: Any, name: str) -> str:
    cur.execute("SELECT current_setting(%s)", (name,))
    return str(cur.fetchone()[0])


def size_notices(stats: Mapping[QName, TableStats]) -> list[Notice]:
    """One notice per table whose size could not be read, saying why."""
    return [Notice(str(s.name), s.unknown) for s in stats.values() if s.unknown is not None]
