"""What verify found: per statement, per script, per migration. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["up", "down", "up_again"]
# How a migration's `skipped` starts when it only waited on an earlier one that failed.
STOPPED = "not run: "


@dataclass(frozen=True, slots=True)
class LockTaken:
    """A relation lock a statement took, in pg_locks' own spelling (`AccessExclusiveLock`)."""

    relation: str  # schema-qualified
    mode: str


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A relation whose storage a statement replaced (its relfilenode changed)."""

    relation: str
    kind: str  # "table", "index", "materialized view"


@dataclass
class StatementResult:
    line: int
    sql: str
    ms: float = 0.0
    locks: list[LockTaken] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # "index public.orders_status_idx"
    dropped: list[str] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)  # "constraint public.orders.fk"
    in_transaction: bool = False
    # How the locks were seen: "session" (read in the statement's own transaction),
    # "observer" (from a second session while it ran), or "not traced" with the reason.
    traced: str = "session"
    error: str | None = None
    # The file it is written in, when its script is several files run one after the other
    # (a popx rollback unit); "" when it is the script's own `path`.
    path: str = ""


@dataclass
class ScriptResult:
    path: str = ""
    ran: bool = False  # False: not run (no such script, or an earlier step failed)
    ok: bool = False
    statements: list[StatementResult] = field(default_factory=list)
    error: str | None = None  # the first error, with its line
    line: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ms(self) -> float:
        return sum(s.ms for s in self.statements)


@dataclass
class DataCheck:
    """The seeded round trip: every table's rows before the migration and after up, down and
    restore.sql, compared by checksum."""

    tables: int = 0
    rows: int = 0
    changed: list[str] = field(default_factory=list)  # "public.orders: 1000 rows → 0 rows"

    @property
    def ok(self) -> bool:
        return not self.changed


@dataclass
class BackupRun:
    """backup.sql and restore.sql of one migration, generated and run on the scratch copy."""

    saves: int = 0
    refused: list[str] = field(default_factory=list)  # saves restore.sql cannot put back
    backup_error: str | None = None
    restore_error: str | None = None
    ran_backup: bool = False
    ran_restore: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused and self.backup_error is None and self.restore_error is None


@dataclass
class MigrationResult:
    name: str
    up: ScriptResult = field(default_factory=ScriptResult)
    down: ScriptResult = field(default_factory=ScriptResult)
    up_again: ScriptResult = field(default_factory=ScriptResult)
    schema_restored: bool | None = None  # None: no down migration ran
    schema_differences: list[str] = field(default_factory=list)
    has_down: bool = False
    no_down: str | None = None  # why a down does not apply to it (its tool has none)
    down_generated: bool = False  # the down run is the way back `schemagate diff` planned
    # Its way back is diff's plan once its up has run (Prisma, a history that only rolls
    # forward): when the up never ran, the rollback is untested, not "not applicable".
    down_planned: bool = False
    skipped: str | None = None  # why the migration was not run at all
    seeded: list[str] = field(default_factory=list)  # "public.users: 1000 rows"
    seed_notes: list[str] = field(default_factory=list)
    data: DataCheck | None = None
    backup: BackupRun | None = None
    # A popx rollback unit verified as one migration (named after its first version): its
    # versions, in order. Its up is their ups in order, each file in its own transaction;
    # its down their downs newest first, as popx rolls them back. Empty otherwise.
    members: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.skipped is not None or not self.up.ok:
            return False
        if self.has_down and not (self.down.ok and self.up_again.ok):
            return False
        return self.schema_restored is not False
