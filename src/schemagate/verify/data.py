"""Checksums of table data: did every row survive up, down and restore?

Columns are taken in name order and rows in the order of their text, so a column that the
down migration added back (at the end of the table) does not change the checksum, and no
key is needed.
"""

from __future__ import annotations

from typing import Any

from schemagate.model.applied import RECORD_TABLE_NAMES
from schemagate.model.names import QName, quote_ident, quote_qname

_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE 'schemagate\\_backup\\_%'
ORDER BY 1, 2
"""

Checksums = dict[QName, tuple[int, str]]


def user_tables(conn: Any) -> list[QName]:
    """The project's tables: every table but a migration tool's record."""
    return [QName(s, n) for s, n in conn.execute(_TABLES).fetchall()
            if n not in RECORD_TABLE_NAMES]


def checksums(conn: Any, tables: list[QName] | None = None) -> Checksums:
    """(row count, md5 of the rows) per table; a missing table is left out."""
    out: Checksums = {}
    for table in user_tables(conn) if tables is None else tables:
        found = table_checksum(conn, table)
        if found is not None:
            out[table] = found
    return out


def table_checksum(conn: Any, table: QName) -> tuple[int, str] | None:
    cols = [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attname", (quote_qname(table),)).fetchall()]
    if not cols:
        return None
    row = "ROW(" + ", ".join(quote_ident(c) for c in cols) + ")::text"
    count, digest = conn.execute(
        f"SELECT count(*), md5(coalesce(string_agg({row}, ',' ORDER BY {row}), '')) "
        f"FROM {quote_qname(table)}").fetchone()
    return int(count), str(digest)


def compare(before: Checksums, after: Checksums) -> list[str]:
    """The tables whose rows differ, in words."""
    out = []
    for table, (rows, digest) in sorted(before.items()):
        now = after.get(table)
        if now is None:
            out.append(f"{table}: the table is gone ({rows} rows before)")
        elif now[1] != digest:
            detail = f"{rows} rows → {now[0]} rows" if now[0] != rows else \
                f"{rows} rows, values differ"
            out.append(f"{table}: {detail}")
    return out
