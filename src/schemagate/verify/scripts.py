"""The statements verify sends for one direction of a migration, and where Alembic plugs in.

SQL layouts are applied statement by statement, as parsed: each statement carries the
transaction block the migration tool would run it in (`ParsedStatement.block`, from the
layout's transaction mode and the script's own BEGIN/COMMIT). Other frontends register a
`ScriptSource` for their layout, and, when their tool must apply the scripts itself, a
`ScriptRunner`: Alembic's (`verify.alembic_run`) drives Alembic's own upgrade()/downgrade()
and traces what it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from schemagate.model import ops as o
from schemagate.model.migration import ParsedMigration, ParsedStatement
from schemagate.model.names import QName

if TYPE_CHECKING:
    import psycopg

    from schemagate.verify.results import Direction, ScriptResult

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


ScriptSource = Callable[[ParsedMigration, ScriptDirection], "list[Executable] | None"]
_SOURCES: dict[str, ScriptSource] = {}


def register_script_source(layout: str, source: ScriptSource) -> None:
    """Let a frontend say how its migrations run (the Alembic frontend registers here)."""
    _SOURCES[layout] = source


# --- tools that apply their scripts themselves (Alembic) --------------------------------------
# A runner applies one direction of a migration to the scratch database (its URL given, and
# verify's own autocommit session) and says what ran; "up_again" is the up after the down. It
# raises NotRunnable when the tool could not start at all (verify then cannot do the job).
ScriptRunner = Callable[["psycopg.Connection[Any]", str, ParsedMigration, "Direction"],
                        "ScriptResult"]
_RUNNERS: dict[str, ScriptRunner] = {}


def register_script_runner(layout: str, runner: ScriptRunner) -> None:
    _RUNNERS[layout] = runner


def script_runner(layout: str) -> ScriptRunner | None:
    return _RUNNERS.get(layout)


def executables(mig: ParsedMigration, direction: ScriptDirection) -> list[Executable] | None:
    """The statements of one direction, or None when the migration has no such script."""
    if mig.source.layout == "alembic" and "alembic" not in _SOURCES:
        # The Alembic runner registers its source and runner when imported.
        import schemagate.verify.alembic_run  # noqa: F401
    source = _SOURCES.get(mig.source.layout)
    if source is not None:
        return source(mig, direction)
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
    if isinstance(first, o.LockTable):
        kind = "LockStmt"  # modelled, and still refused outside a transaction block
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
