"""What has been applied to a live database: the migration tool's own record, read-only.

Each tool keeps its record in a table of its own (`model.applied.RECORD_TABLES`), looked up
through the session's search_path as the tool itself does by default. The rows are read in
one READ ONLY transaction (`diff.connect.read_only`) and handed on as they are; which
migrations they make applied is `graph.pending`'s to decide.

The shapes read (each tool's own, as it creates the table on PostgreSQL):
- golang-migrate `schema_migrations (version bigint, dirty boolean)`: one row, the version
  the database is at; `dirty` when that migration failed part-way.
- dbmate `schema_migrations (version varchar)`: one row per applied migration. Same table
  name as golang-migrate's: the `dirty` column tells them apart.
- Flyway `flyway_schema_history (installed_rank, version, description, type, script,
  checksum, installed_by, installed_on, execution_time, success)`: one row per attempt
  (and per baseline, undo or deletion), in `installed_rank` order.
- Alembic `alembic_version (version_num)`: one row per head the database is at.
- Prisma `_prisma_migrations (id, checksum, finished_at, migration_name, logs,
  rolled_back_at, started_at, applied_steps_count)`: one row per attempt; a row marked
  rolled back is no application at all and is left out.
- diesel `__diesel_schema_migrations (version, run_on)`: one row per applied migration.
- ory/popx `schema_migration (version, version_self)`: one row per applied migration.
- Django `django_migrations (id, app, name, applied)`: one row per applied migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schemagate.diff.connect import describe, read_only
from schemagate.model.applied import RECORD_TABLES, AppliedRecord, AppliedRow
from schemagate.model.errors import SchemagateError
from schemagate.model.migration import Layout


class AppliedError(SchemagateError):
    """A tool's record table that is not in the shape the tool writes; the message says why."""


# The columns each tool's table must have for the query below to mean what it says.
_COLUMNS: dict[Layout, frozenset[str]] = {
    "golang-migrate": frozenset({"version", "dirty"}),
    "dbmate": frozenset({"version"}),
    "goose": frozenset({"id", "version_id", "is_applied"}),
    "sql-migrate": frozenset({"id"}),
    "liquibase": frozenset({"id", "author", "orderexecuted"}),
    "sqitch": frozenset({"change", "project", "committed_at"}),
    "flyway": frozenset({"installed_rank", "version", "type", "script", "success"}),
    "alembic": frozenset({"version_num"}),
    "prisma": frozenset({"migration_name", "started_at", "finished_at", "rolled_back_at"}),
    "diesel": frozenset({"version"}),
    "popx": frozenset({"version"}),
    "django": frozenset({"id", "app", "name"}),
}

# (key, ok, kind, script) per row, in the order the tool wrote them. The table's name is
# the regclass found, quoted by PostgreSQL itself (`oid::regclass::text`).
_ROWS: dict[Layout, str] = {
    "golang-migrate": "SELECT version::text, NOT dirty, '', '' FROM {t}",
    "dbmate": "SELECT version::text, true, '', '' FROM {t} ORDER BY version",
    "goose": "SELECT version_id::text, is_applied, '', '' FROM {t} ORDER BY id",
    "sql-migrate": "SELECT id, true, '', '' FROM {t} ORDER BY applied_at, id",
    "liquibase": "SELECT author || ':' || id, true, '', '' FROM {t} ORDER BY orderexecuted",
    "sqitch": "SELECT change, true, project, '' FROM {t} ORDER BY committed_at",
    "flyway": "SELECT coalesce(version, ''), success, type, script FROM {t} "
              "ORDER BY installed_rank",
    "alembic": "SELECT version_num, true, '', '' FROM {t} ORDER BY version_num",
    "prisma": "SELECT migration_name, finished_at IS NOT NULL, '', '' FROM {t} "
              "WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name",
    "diesel": "SELECT version::text, true, '', '' FROM {t} ORDER BY version",
    "popx": "SELECT version::text, true, '', '' FROM {t} ORDER BY version",
    "django": "SELECT app || '.' || name, true, '', '' FROM {t} ORDER BY id",
}

_FIND = """
SELECT c.oid::regclass::text, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.oid = to_regclass(%s)
GROUP BY c.oid
"""


def read_records(url: str, layouts: Iterable[Layout]) -> dict[Layout, AppliedRecord | None]:
    """Each layout's record in the database at ``url`` (None: its table does not exist).
    Layouts without a tool of their own (plain SQL) are left out."""
    wanted = sorted({lay for lay in layouts if lay in RECORD_TABLES})
    out: dict[Layout, AppliedRecord | None] = {}
    if not wanted:
        return out
    with read_only(url) as cur:
        for layout in wanted:
            out[layout] = _read(cur, url, layout)
    return out


def _read(cur: Any, url: str, layout: Layout) -> AppliedRecord | None:
    cur.execute(_FIND, (RECORD_TABLES[layout],))
    found = cur.fetchone()
    if found is None:
        return None
    table, columns = found[0], set(found[1])
    missing = _COLUMNS[layout] - columns
    if missing or (layout == "dbmate" and "dirty" in columns):
        why = ("it has golang-migrate's `dirty` column" if not missing else
               f"it has no {', '.join(sorted(missing))} column")
        raise AppliedError(f"{describe(url)}: {table} is not {layout}'s record of applied "
                           f"migrations: {why} (columns: {', '.join(sorted(columns))})")
    cur.execute(_ROWS[layout].format(t=table))
    rows = tuple(AppliedRow(str(key), bool(ok), str(kind or ""), str(script or ""))
                 for key, ok, kind, script in cur.fetchall())
    return AppliedRecord(layout, table, rows)
