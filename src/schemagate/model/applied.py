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
    "goose": "goose_db_version",
    "sql-migrate": "gorp_migrations",
    "liquibase": "databasechangelog",
    "sqitch": "sqitch.changes",  # the registry, in its default schema
    "flyway": "flyway_schema_history",
    "alembic": "alembic_version",
    "prisma": "_prisma_migrations",
    "diesel": "__diesel_schema_migrations",
    "popx": "schema_migration",
    "django": "django_migrations",
}


# Any tool's record table: the tool's, not the project's data (verify neither seeds it nor
# counts its rows).
RECORD_TABLE_NAMES = frozenset(RECORD_TABLES.values())

# The record table as each SQL-file tool creates it on PostgreSQL before its first migration,
# so that `verify` runs migrations where they run for real: beside it (harbor's 0030 adds a
# column to golang-migrate's). Alembic and Django make their own when verify runs them.
RECORD_TABLE_DDL: dict[Layout, str] = {
    "golang-migrate": "CREATE TABLE IF NOT EXISTS schema_migrations "
                      "(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
    "dbmate": "CREATE TABLE IF NOT EXISTS schema_migrations "
              "(version varchar(128) PRIMARY KEY)",
    "goose": "CREATE TABLE IF NOT EXISTS goose_db_version (id serial PRIMARY KEY, "
             "version_id bigint NOT NULL, is_applied boolean NOT NULL, "
             "tstamp timestamp DEFAULT now())",
    "sql-migrate": "CREATE TABLE IF NOT EXISTS gorp_migrations (id text NOT NULL PRIMARY KEY, "
                   "applied_at timestamp with time zone)",
    "flyway": "CREATE TABLE IF NOT EXISTS flyway_schema_history ("
              "installed_rank integer NOT NULL, version varchar(50), "
              "description varchar(200) NOT NULL, type varchar(20) NOT NULL, "
              "script varchar(1000) NOT NULL, checksum integer, "
              "installed_by varchar(100) NOT NULL, "
              "installed_on timestamp NOT NULL DEFAULT now(), "
              "execution_time integer NOT NULL, success boolean NOT NULL, "
              "CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)); "
              "CREATE INDEX IF NOT EXISTS flyway_schema_history_s_idx "
              "ON flyway_schema_history (success)",
    "prisma": "CREATE TABLE IF NOT EXISTS _prisma_migrations ("
              "id varchar(36) PRIMARY KEY NOT NULL, checksum varchar(64) NOT NULL, "
              "finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, "
              "rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), "
              "applied_steps_count integer NOT NULL DEFAULT 0)",
    "diesel": "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations ("
              "version varchar(50) PRIMARY KEY NOT NULL, "
              "run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "popx": "CREATE TABLE IF NOT EXISTS schema_migration ("
            "version varchar(48) NOT NULL, version_self integer NOT NULL DEFAULT 0); "
            "CREATE UNIQUE INDEX IF NOT EXISTS schema_migration_version_idx "
            "ON schema_migration (version)",
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
