"""Table sizes from a live database, in one read-only query."""

from __future__ import annotations

from schemagate.diff.connect import read_only
from schemagate.model.names import QName
from schemagate.model.stats import TableStats

_QUERY = """
SELECT n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
"""


def table_stats(url: str) -> dict[QName, TableStats]:
    with read_only(url) as cur:
        cur.execute(_QUERY)
        rows = cur.fetchall()
    return {QName(s, t): TableStats(QName(s, t), int(r), int(b)) for s, t, r, b in rows}
