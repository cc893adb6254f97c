"""The statements verify sends for one direction of an SQL migration.

SQL layouts are applied statement by statement, as parsed: each statement carries the
transaction block the migration tool would run it in (`ParsedStatement.block`, from the
layout's transaction mode and the script's own BEGIN/COMMIT). Tools that apply their scripts
themselves (Alembic, `verify.alembic`) are dispatched by `verify.run`; this module is the
bottom of verify and imports nothing else from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from schemagate.model import ops as o
from schemagate.model.migration import ParsedMigration, ParsedStatement
from schemagate.model.names import QName

ScriptDirection = Literal["up", "down"]

# Statements that act beyond the scratch database: on roles (every database on the server
# shares them), on other databases, on the server's settings, files and processes. Verify
# reports them instead of running them; the scratch role could not run most of them anyway
# (`diff.scratch`), and this says why before the server has to.
_BEYOND: dict[str, tuple[str, str]] = {
    "CreateRoleStmt": ("CREATE ROLE", "roles"), "AlterRoleStmt": ("ALTER ROLE", "roles"),
    "AlterRoleSetStmt": ("ALTER ROLE … SET", "roles"), "DropRoleStmt": ("DROP ROLE", "roles"),
    "GrantRoleStmt": ("GRANT or REVOKE of a role", "roles"),
    "ReassignOwnedStmt": ("REASSIGN OWNED", "roles"),
    "CreatedbStmt": ("CREATE DATABASE", "databases"),
    "DropdbStmt": ("DROP DATABASE", "databases"),
    "AlterDatabaseStmt": ("ALTER DATABASE", "databases"),
    "AlterDatabaseSetStmt": ("ALTER DATABASE … SET", "databases"),
    "AlterDatabaseRefreshCollStmt": ("ALTER DATABASE … REFRESH", "databases"),
    "CreateTableSpaceStmt": ("CREATE TABLESPACE", "tablespaces"),
    "DropTableSpaceStmt": ("DROP TABLESPACE", "tablespaces"),
    "AlterTableSpaceOptionsStmt": ("ALTER TABLESPACE", "tablespaces"),
    "AlterSystemStmt": ("ALTER SYSTEM", "the server's settings"),
    "CreateSubscriptionStmt": ("CREATE SUBSCRIPTION", "other databases"),
    "AlterSubscriptionStmt": ("ALTER SUBSCRIPTION", "other databases"),
    "CreateForeignServerStmt": ("CREATE SERVER", "other databases"),
    "CreateUserMappingStmt": ("CREATE USER MAPPING", "other databases"),
    "LoadStmt": ("LOAD", "the server's files"),
}
_RENAMES_BEYOND = re.compile(r"^\s*ALTER\s+(ROLE|USER|GROUP|DATABASE|TABLESPACE)\b", re.I)
_COPY_PROGRAM = re.compile(r"\bPROGRAM\s+(E?'|\$)", re.I)
# Function calls that reach other databases (dblink), other sessions, or the server's files.
_CALLS_BEYOND = re.compile(
    r"\b(dblink\w*|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile"
    r"|lo_import|lo_export|pg_read_file|pg_read_binary_file|pg_ls_dir|pg_file_write)\s*\(",
    re.I)
_STRING = re.compile(r"'(?:[^']|'')*'")  # a call named in a string literal is not made
_DEFINES_CODE = frozenset({"CreateFunctionStmt", "CreateTrigStmt", "ViewStmt"})

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


def down_not_applicable(mig: ParsedMigration, rolls_forward: bool = False) -> str | None:
    """Why this migration has no down by its tool's or its project's design, so that
    "rollback tested" does not apply to it; None when a down could have been written.
    `rolls_forward`: the history it belongs to has no down at all (`only_rolls_forward`)."""
    if mig.source.layout == "prisma":
        return "Prisma has no down migrations (prisma migrate only applies forward)"
    if mig.source.repeatable:
        return "a Flyway repeatable migration is applied again when it changes, never undone"
    if rolls_forward:
        return "the history has no down migrations: the project only rolls forward"
    return None


def only_rolls_forward(migrations: Sequence[ParsedMigration]) -> bool:
    """A history of SQL files none of which has a down (a Flyway project without undo
    files, up-only golang-migrate or pop folders): a missing down is the project's way, not
    a gap in one migration. Python migrations always have a way back to judge."""
    return bool(migrations) and all(
        m.source.down is None and m.source.layout not in ("alembic", "django")
        for m in migrations)


def from_statement(st: ParsedStatement) -> Executable:
    first = st.ops[0] if st.ops else None
    line = first.span.line if first is not None else 1
    control = first.action if isinstance(first, o.TransactionControl) else None
    kind = first.statement_kind if isinstance(first, o.RawSQL) else ""
    if isinstance(first, o.LockTable):
        kind = "LockStmt"  # modelled, and still refused outside a transaction block
    refused = beyond_database(first, st.sql)
    return Executable(st.sql, line, st.block, control, _relations(st), kind, refused)


def beyond_database(op: o.Operation | None, sql: str) -> str | None:
    """Why verify does not run this statement: it acts outside the scratch database; None
    when it stays inside."""
    kind = op.statement_kind if isinstance(op, o.RawSQL) else ""
    what = reach = None
    if isinstance(op, o.DropDatabase):
        what, reach = "DROP DATABASE", "databases"
    elif kind in _BEYOND:
        what, reach = _BEYOND[kind]
    elif kind == "RenameStmt" and (m := _RENAMES_BEYOND.match(sql)):
        word = m.group(1).upper()
        what = f"ALTER {word} … RENAME"
        reach = "roles" if word in ("ROLE", "USER", "GROUP") else \
            "databases" if word == "DATABASE" else "tablespaces"
    elif kind == "CopyStmt" and _COPY_PROGRAM.search(sql):
        what, reach = "COPY … PROGRAM", "the server's programs"
    elif kind not in _DEFINES_CODE and (call := _CALLS_BEYOND.search(_STRING.sub("''", sql))):
        what = f"{call.group(1)}()"
        reach = "other databases" if call.group(1).lower().startswith("dblink") else \
            "other sessions" if "backend" in call.group(1).lower() else "the server"
    if reach is None:
        return None
    return (f"not run: {what} acts on {reach}, beyond the scratch database; verify runs "
            "a migration only inside its scratch database")


def _relations(st: ParsedStatement) -> tuple[QName, ...]:
    found: list[QName] = []
    for op in st.ops:
        for attr in ("table", "name", "names", "tables"):
            value = getattr(op, attr, None)
            items = value if isinstance(value, tuple) and not isinstance(value, QName) \
                else (value,)
            found += [v for v in items if isinstance(v, QName)]
    return tuple(dict.fromkeys(found))
