"""The statements verify sends for one direction of an SQL migration.

SQL layouts are applied statement by statement, as parsed: each statement carries the
transaction block the migration tool would run it in (`ParsedStatement.block`, from the
layout's transaction mode and the script's own BEGIN/COMMIT). Tools that apply their scripts
themselves (Alembic, `verify.alembic`) are dispatched by `verify.run`; this module is the
bottom of verify and imports nothing else from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemagate.model import ops as o
from schemagate.model.migration import ParsedMigration, ParsedStatement
from schemagate.model.names import QName

ScriptDirection = Literal["up", "down"]

# Statements that change the server beyond the scratch database: verify refuses them.
_SERVER_WIDE = frozenset({
    "CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt",
    "AlterDatabaseRefreshCollStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
    "AlterTableSpaceOptionsStmt", "AlterSystemStmt",
})

# Statements PostgreSQL refuses outside a transaction block: verify must not wrap them in
# one to trace them, or a failure the migration tool would meet would go unseen.
NEEDS_OWN_BLOCK = frozenset({"LockStmt", "DeclareCursorStmt"})


@dataclass(frozen=True, slots=True)
class Executable:
    sql: str
    line: int
    block: int | None  # the transaction block it runs in; None: on its own (autocommit)
    control: str | None = None  # explicit BEGIN/COMMIT/…: "begin", "commit", "rollback", …
    relations: tuple[QName, ...] = ()  # what it names, for the observer
    kind: str = ""  # the parser's statement kind, for RawSQL
    refused: str | None = None  # why verify will not run it


class NotRunnable(Exception):
    """This migration cannot be applied by verify (yet); the message says why."""


def executables(mig: ParsedMigration, direction: ScriptDirection) -> list[Executable] | None:
    """The statements of one direction, or None when the migration has no such script."""
    if mig.source.dialect != "postgres":
        raise NotRunnable(f"verify runs PostgreSQL migrations; this one is {mig.source.dialect}")
    script = mig.up if direction == "up" else mig.down
    if script is None:
        return None
    return [from_statement(st) for st in script.statements]


def from_statement(st: ParsedStatement) -> Executable:
    first = st.ops[0] if st.ops else None
    line = first.span.line if first is not None else 1
    control = first.action if isinstance(first, o.TransactionControl) else None
    kind = first.statement_kind if isinstance(first, o.RawSQL) else ""
    refused = None
    if isinstance(first, o.DropDatabase) or kind in _SERVER_WIDE:
        refused = "not run: it changes the server outside the scratch database"
    return Executable(st.sql, line, st.block, control, _relations(st), kind, refused)


def _relations(st: ParsedStatement) -> tuple[QName, ...]:
    found: list[QName] = []
    for op in st.ops:
        for attr in ("table", "name", "names", "tables"):
            value = getattr(op, attr, None)
            items = value if isinstance(value, tuple) and not isinstance(value, QName) \
                else (value,)
            found += [v for v in items if isinstance(v, QName)]
    return tuple(dict.fromkeys(found))
