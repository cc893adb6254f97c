"""`schemagate backup` and the report's backup section as library calls.

`run_backup(paths, settings, start=, db=)` loads the migrations under `paths`, plans what the
migrations still to run would destroy, completes the plan from a live database when one is
given, and writes both scripts; the CLI only writes them to files. `backup(migrations, …)`
does the same for migrations already parsed, and `report_section` is what the impact report
shows: the scripts, or why there are none.

Backup acts on the migrations (it writes SQL a DBA will run): an unparsable file is not a
finding to report after the others but a reason not to write anything, so every input error
is listed in one `BackupError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from schemagate.backup.live import read_facts, tables_to_read, with_facts
from schemagate.backup.plan import BackupPlan, Note, plan_backup
from schemagate.backup.render import Scripts, render_scripts
from schemagate.graph.revisions import in_tool_order
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import InputError
from schemagate.model.migration import ParsedMigration
from schemagate.model.settings import Settings


class BackupError(SchemagateError):
    """The migrations cannot be backed up as asked (unparsable files, none found, an unknown
    --from migration); the message names the thing and the cause."""


@dataclass(frozen=True, slots=True)
class Backup:
    plan: BackupPlan
    scripts: Scripts
    # What the migration tool's record said, when it chose the first migration (`--db`).
    record_notes: tuple[str, ...] = ()

    def saves(self) -> list[str]:
        """One line per save: `[1] public.orders: every row`."""
        return [f"[{s.number}] {s.table.name}: "
                f"{'every row' if s.kind == 'table' else ', '.join(s.columns)}"
                for s in self.plan.saves]

    def notes(self) -> list[str]:
        return [*self.record_notes, *(note.message for note in self.plan.notes)]


def run_backup(paths: Sequence[str], settings: Settings, *, start: str | None = None,
               db: str | None = None, now: datetime | None = None) -> Backup:
    """The scripts for the migrations under ``paths`` (default: the current folder), for
    those from ``start`` on (a migration's name, version or file name; default: the first
    one the migration tool's record in ``db`` does not list as applied, else all)."""
    migrations = in_tool_order(load_strictly(paths, settings))
    if start is None and db:
        first, notes = first_pending(migrations, db)
        return replace(backup(migrations, first, db=db, now=now), record_notes=tuple(notes))
    return backup(migrations, start_index(migrations, start), db=db, now=now)


def first_pending(migrations: Sequence[ParsedMigration], db: str) -> tuple[int, list[str]]:
    """Where the migrations still to run start (``migrations`` in their tools' order), by
    the record the migration tool keeps in ``db``, and what the record said. A database
    without the tool's record has had nothing applied by it: every migration is still to
    run, and a note says so."""
    from schemagate.diff.applied import read_records
    from schemagate.graph.pending import NoRecordError, PendingError, find_pending

    try:
        state = find_pending(migrations,
                             read_records(db, {m.source.layout for m in migrations}))
    except NoRecordError as exc:
        return 0, [f"{exc}: every migration is taken as still to run (--from names the "
                   "first one)"]
    except PendingError as exc:
        raise BackupError(f"--db: {exc}; --from names the first migration still to run") \
            from None
    first = state.first
    shown = (f"the first migration still to run, by the database's record, is "
             f"{migrations[first].name}" if first < len(migrations) else
             "the database's record lists every migration as applied: nothing is still to run")
    return first, [shown, *state.problems, *state.notes]


def backup(migrations: Sequence[ParsedMigration], first: int = 0, *, db: str | None = None,
           now: datetime | None = None) -> Backup:
    """The scripts that save what ``migrations[first:]`` destroy; the earlier ones only build
    the schema. With ``db`` (read-only), live shapes and sizes complete the plan; a
    `diff.connect.DatabaseError` says why the database could not be read."""
    plan = plan_backup(migrations, first)
    if (inside := split_unit(migrations, first)) is not None:
        plan.notes.insert(0, Note(inside))
    stats = None
    if db:
        facts = read_facts(db, *tables_to_read(plan))
        plan, stats = with_facts(plan, facts), facts.stats
    return Backup(plan, render_scripts(plan, now=now, stats=stats))


@dataclass(frozen=True, slots=True)
class Section:
    """The report's backup section: the scripts, or why there are none."""

    backup: Backup | None
    reason: str  # how many saves and when to run the scripts, or why not generated


def report_section(migrations: Sequence[ParsedMigration], first: int,
                   errors: Sequence[InputError], db: str | None, now: datetime,
                   *, raise_errors: bool = False) -> Section:
    """What `schemagate backup` would write for the report. The report is for reading, so a
    failure here is said in the section instead of failing the whole report (unless
    ``raise_errors``, for --debug)."""
    if errors:
        return Section(None, f"not generated: {len(errors)} input error(s); scripts are only "
                             "written when every migration parses")
    from schemagate.diff.connect import DatabaseError

    try:
        made = backup(migrations, first, db=db, now=now)
    except DatabaseError as exc:
        return Section(None, f"not generated: {exc}")
    except Exception as exc:  # the section says what failed; the rest of the report stands
        if raise_errors:
            raise
        return Section(None, f"not generated: the backup stage failed "
                             f"({type(exc).__name__}: {exc})")
    n = len(made.plan.saves)
    reason = (f"{n} save{'s' if n != 1 else ''}: run backup.sql before the migrations, "
              "restore.sql after a rollback." if n else
              "Nothing to save: no migration destroys data that exists before it runs.")
    return Section(made, reason)


def split_unit(migrations: Sequence[ParsedMigration], first: int) -> str | None:
    """What to say when the batch starts inside a popx rollback unit (a run of versions whose
    downs undo their ups together); None when it starts at a unit's first version."""
    if not 0 < first < len(migrations):
        return None
    unit = migrations[first].source.rollback_unit
    if unit is None or migrations[first - 1].source.rollback_unit != unit:
        return None
    start = first
    while start > 0 and migrations[start - 1].source.rollback_unit == unit:
        start -= 1
    return (f"{migrations[first].name} is inside a popx rollback unit that starts at "
            f"{migrations[start].name}: its down files undo the unit's ups together, so a "
            "rollback of these migrations alone may not give back the schema restore.sql "
            "expects; roll back from the unit's first version, and run backup.sql before it")


def load_strictly(paths: Sequence[str], settings: Settings) -> list[ParsedMigration]:
    """Every migration under ``paths``, parsed; BackupError when any file cannot be read or
    parsed, or when there is none."""
    from schemagate.parse.load import load_strictly as load_all

    return load_all(paths, settings, BackupError)


def start_index(migrations: Sequence[ParsedMigration], start: str | None) -> int:
    """Position of the migration named by ``start`` (its name, version or file name)."""
    if start is None:
        return 0
    for i, mig in enumerate(migrations):
        script = mig.source.up or mig.source.down
        names = {mig.name, mig.source.version, Path(script.path).name if script else None}
        if start in names:
            return i
    known = ", ".join(m.name for m in migrations[:10]) + (" …" if len(migrations) > 10 else "")
    raise BackupError(f"--from {start}: no such migration (known: {known})")
