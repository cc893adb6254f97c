"""What a migration tool has recorded as applied in a database, as rows of its own table.

`diff.applied` reads the rows (read-only) and `graph.pending` decides from them which
migrations on disk are still to run; this is the vocabulary between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemagate.model.migration import Layout

# Each tool's own table, in its default name (looked up through the search_path, as the
# tool itself does when none is configured).
RECORD_TABLES: dict[Layout, str] = {
    "golang-migrate": "schema_migrations",
    "dbmate": "schema_migrations",
    "flyway": "flyway_schema_history",
    "alembic": "alembic_version",
    "prisma": "_prisma_migrations",
    "diesel": "__diesel_schema_migrations",
    "popx": "schema_migration",
    "django": "django_migrations",
}


@dataclass(frozen=True, slots=True)
class AppliedRow:
    """One row of a tool's record, in the order the tool wrote them.

    ``key`` is what identifies the migration: a version (golang-migrate, dbmate, Flyway,
    diesel, popx), a folder name (Prisma), a revision id (Alembic: the heads) or
    ``app.name`` (Django). ``ok`` is false for a row that says the migration did not finish:
    golang-migrate's dirty flag, Flyway's `success = false`, a Prisma migration neither
    finished nor rolled back. Flyway alone fills ``kind`` (`SQL`, `BASELINE`, `UNDO_SQL`,
    `DELETE`, …) and ``script`` (the file name, which names a repeatable migration).
    """

    key: str
    ok: bool = True
    kind: str = ""
    script: str = ""


@dataclass(frozen=True, slots=True)
class AppliedRecord:
    """A tool's record of one database: where it was read from and its rows."""

    layout: Layout
    table: str  # schema-qualified, as found
    rows: tuple[AppliedRow, ...]
