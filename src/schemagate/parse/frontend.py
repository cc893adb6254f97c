"""The contract a frontend meets, and which frontend reads a script of which dialect.

A frontend turns the text of one migration file into statements and operations of the IR.
It reports what it cannot read as `InputError`s (path, line, column) inside its result and
goes on; it never raises for bad input, so one bad file never stops the others. Reading the
file (`parse.source`) and choosing the transaction mode (the layout) happen before it.

Frontends come in two shapes, by what one file holds:

- a script frontend (`ScriptFrontend`) reads one script, a whole file or one section of
  it (dbmate's `-- migrate:down`), in one SQL dialect: `parse/postgres/` through pglast,
  `parse/sqlglot/` for MySQL/MariaDB and SQLite;
- a file frontend (`FileFrontend`) reads a file that holds both directions and a header of
  its own: `parse/alembic/`, whose `upgrade()`, `downgrade()` and `revision` lines make one
  migration.

Each lives in its package's `frontend.py`, and the parser libraries are imported only when
a script needs them: a tree of PostgreSQL files never loads sqlglot.
"""

from __future__ import annotations

from typing import Protocol

from schemagate.model.migration import MigrationSource, ParsedMigration, ParsedScript, Script
from schemagate.parse.source import SourceText


class ScriptFrontend(Protocol):
    """One script of one file, in `dialect`, to its statements; problems in `.errors`."""

    def __call__(self, source: SourceText, script: Script, dialect: str) -> ParsedScript: ...


class FileFrontend(Protocol):
    """One file holding a whole migration to its up and down scripts; problems in each."""

    def __call__(self, source: SourceText, migration: MigrationSource) -> ParsedMigration: ...


def script_frontend(dialect: str) -> ScriptFrontend:
    """The frontend for SQL in `dialect`: pglast for PostgreSQL, sqlglot for the others."""
    if dialect == "postgres":
        from schemagate.parse.postgres.frontend import parse_script

        return parse_script
    from schemagate.parse.sqlglot.frontend import parse_dialect_script

    return parse_dialect_script
