"""Verify migrations on a scratch PostgreSQL: up, down, up again, traced and checked.

The only database written to is the scratch one that `diff.scratch` creates (on the server
given, else on an embedded PostgreSQL started for the run) and drops at the end, whatever
happened. Migrations run in order on one session, as a migration tool runs them; the first
failure stops the run, since later migrations build on the failed one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg.pq import TransactionStatus

from schemagate.backup import (
    Scripts,
    plan_backup,
    read_facts,
    render_scripts,
    tables_to_read,
    with_facts,
)
from schemagate.backup.plan import up_ops
from schemagate.diff.connect import connect, describe
from schemagate.diff.scratch import scratch_database
from schemagate.fold import apply
from schemagate.graph.revisions import in_tool_order
from schemagate.model.applied import RECORD_TABLE_DDL, RECORD_TABLES
from schemagate.model.catalog import Catalog
from schemagate.model.migration import Layout, ParsedMigration, rollback_units
from schemagate.model.names import quote_ident
from schemagate.model.settings import Settings
from schemagate.verify.alembic.run import revision_scripts, run_revision
from schemagate.verify.apply import run_script
from schemagate.verify.data import Checksums, checksums, compare
from schemagate.verify.django.run import Session, migration_scripts, run_migration
from schemagate.verify.django.run import session as django_session
from schemagate.verify.gate import Checklist, checklist
from schemagate.verify.inputs import SetupScript, load_strictly, read_setup
from schemagate.verify.results import (
    STOPPED,
    BackupRun,
    DataCheck,
    Direction,
    MigrationResult,
    ScriptResult,
)
from schemagate.verify.schema import SchemaState, capture_schema, schema_differences
from schemagate.verify.scripts import (
    Executable,
    NotRunnable,
    ScriptDirection,
    down_not_applicable,
    executables,
    only_rolls_forward,
)
from schemagate.verify.seed import seed as seed_tables


@dataclass
class VerifyResult:
    migrations: list[MigrationResult] = field(default_factory=list)
    gate: Checklist = field(default_factory=lambda: Checklist(()))
    server: str = ""  # where the scratch database was: "embedded PostgreSQL 16.4", a URL
    database: str = ""  # the scratch database's name (dropped by now)
    seed: int | None = None
    seconds: float = 0.0
    # Migrations verify cannot apply at all (no runner for their layout): the job was not
    # done as asked, whatever the checklist says.
    unrunnable: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)  # the setup files run first, in order
    setup_error: str | None = None  # "FILE:LINE:COLUMN: message" of the one that failed
    # The migration tool's own record table, made first as the tool makes it ("flyway").
    record_table: str | None = None

    @property
    def exit_code(self) -> int:
        return 2 if self.unrunnable or self.setup_error else self.gate.exit_code


def run_verify(paths: Sequence[str], settings: Settings, *, scratch: str | None = None,
               seed: int | None = None) -> VerifyResult:
    """`schemagate verify` as a library call: load every migration under `paths` (VerifyError
    if any cannot be parsed, or there is none, or a setup file cannot be read) and verify
    them, after `settings.verify_setup`.

    DatabaseError when the scratch server cannot be reached or the scratch database made.
    """
    setup = read_setup(settings.verify_setup)
    return verify(load_strictly(paths, settings), scratch, seed, setup)


def verify(migrations: Sequence[ParsedMigration], scratch: str | None = None,
           seed: int | None = None, setup: Sequence[SetupScript] = ()) -> VerifyResult:
    """Apply each migration up, down and up again on a new scratch database, after running
    the `setup` scripts on it (as the same unprivileged role as the migrations)."""
    started = time.perf_counter()
    result = VerifyResult(seed=seed, setup=[s.path for s in setup])
    migrations = in_tool_order(migrations)  # Alembic's by the revision graph, as lint folds them
    with scratch_database(scratch) as url, connect(url, autocommit=True) as conn:
        result.database = str(conninfo.conninfo_to_dict(url).get("dbname", ""))
        row = conn.execute("SHOW server_version").fetchone()
        version = row[0] if row else "?"
        result.server = f"{describe(scratch)} (PostgreSQL {version})" if scratch else \
            f"embedded PostgreSQL {version}"
        with ExitStack() as stack:
            stopped: str | None = None
            django: Session | None = None
            for script in setup:
                error = _run_setup(conn, script)
                if error is not None:
                    stopped = f"{STOPPED}the setup {script.path} failed"
                    result.setup_error = error
                    break
            if stopped is None and migrations:
                result.record_table = _make_record_table(conn, migrations[0].source.layout)
            try:
                # Django sends SQL only its schema editor knows in full: Django runs them.
                if stopped is None:
                    django = stack.enter_context(django_session(url, migrations))
            except NotRunnable as exc:
                stopped = str(exc)
                result.unrunnable.append(f"{migrations[0].name}: {exc}")
            _verify_all(conn, url, migrations, seed, result, stopped, django)
    result.gate = checklist(result.migrations, seed is not None)
    result.seconds = time.perf_counter() - started
    return result


def _verify_all(conn: psycopg.Connection[Any], url: str,
                migrations: Sequence[ParsedMigration], seed: int | None,
                result: VerifyResult, stopped: str | None, django: Session | None) -> None:
    folded = Catalog()  # the schema as the history builds it, for the backup plans
    forward = only_rolls_forward(migrations)
    # popx: a run of versions whose downs undo their ups together is verified as one
    # migration (lint judges it so too); every other migration alone.
    for unit in rollback_units(migrations):
        mig = unit[0]
        if stopped is not None:
            result.migrations.append(_result(
                mig, forward, skipped=stopped,
                members=[m.name for m in unit] if len(unit) > 1 else []))
            continue
        if len(unit) == 1:
            outcome = _verify_one(conn, url, mig, folded, seed, django, forward)
        else:
            outcome = _verify_unit(conn, url, unit, folded, seed, forward)
        for member in unit:
            for op in up_ops(member):
                apply(folded, op, member.name)
        result.migrations.append(outcome)
        if outcome.skipped is not None:
            result.unrunnable.append(f"{mig.name}: {outcome.skipped}")
        if not _can_go_on(outcome):
            stopped = f"{STOPPED}{mig.name} failed before it"


def _result(mig: ParsedMigration, forward: bool, **fields: Any) -> MigrationResult:
    """A migration's result before it runs: why a down does not apply to it, if it does
    not, and whether its way back is then the plan of `schemagate diff` (all but a Flyway
    repeatable script, which is never undone)."""
    no_down = down_not_applicable(mig, forward)
    return MigrationResult(mig.name, no_down=no_down,
                           down_planned=no_down is not None and not mig.source.repeatable,
                           **fields)


def _can_go_on(m: MigrationResult) -> bool:
    if m.skipped is not None:
        return False
    if m.down_generated and m.down.ran and not m.down.ok:
        return m.up.ok  # diff's plan back was rolled back whole: the up's schema stands
    return all(s.ok for s in (m.up, m.down, m.up_again) if s.ran)


def _verify_one(conn: psycopg.Connection[Any], url: str, mig: ParsedMigration,
                folded: Catalog, seed: int | None, django: Session | None,
                forward: bool) -> MigrationResult:
    res = _result(mig, forward)
    try:
        up, down = _scripts(mig, "up"), _scripts(mig, "down")
    except NotRunnable as exc:
        res.skipped = str(exc)
        return res
    if up is None:
        res.skipped = "no up script"
        return res
    res.has_down = down is not None
    before = capture_schema(conn, url)
    sums = _seed(conn, seed, res)
    scripts = _backup(conn, url, mig, folded, res)
    try:
        res.up = _run(conn, url, up, mig, "up", django)
    except NotRunnable as exc:  # the tool that applies it could not start (Alembic's env.py)
        res.skipped = str(exc)
        _drop_backup(conn, scripts)
        return res
    after: SchemaState | None = None
    if res.up.ok and down is None and res.down_planned:
        # The tool has no down migrations: the way back `schemagate diff` plans is tried.
        after = capture_schema(conn, url)
        down = planned_way(conn, url, before, after)
        res.has_down = res.down_generated = down is not None
    if not res.up.ok or down is None:
        _drop_backup(conn, scripts)
        return res
    if res.down_generated:
        # One transaction (`planned_way`): where diff's plan cannot go back (no cast from
        # bytea to jsonb), the schema stays where the up left it, and the migrations after
        # it still run.
        res.down = run_script(conn, url, down, GENERATED)
    else:
        res.down = _run(conn, url, down, mig, "down", django)
    if not res.down.ok:
        _drop_backup(conn, scripts)
        return res
    _judge_the_way_back(conn, url, res, before, scripts, sums)
    if res.down_generated and after is not None:
        # Its tool never applies it twice, and the rows its up inserted are still there:
        # diff's plan forward takes the schema where the up left it, rows and all, in one
        # transaction, so that a plan that lacks what only the migration knows (a USING
        # expression) leaves nothing half done, and the migration's own up runs instead.
        again = planned_way(conn, url, after) or []
        res.up_again = run_script(conn, url, again, GENERATED)
        if not res.up_again.ok:
            planned = res.up_again.error
            res.up_again = _run(conn, url, up, mig, "up_again", django)
            res.up_again.notes.append(f"diff's plan forward failed at {planned}: the "
                                      "migration's own up ran again instead")
    else:
        res.up_again = _run(conn, url, up, mig, "up_again", django)
    return res


def _verify_unit(conn: psycopg.Connection[Any], url: str, unit: Sequence[ParsedMigration],
                 folded: Catalog, seed: int | None, forward: bool) -> MigrationResult:
    """A popx rollback unit, as popx runs it: every up in order (each file in its own
    transaction), then every down newest first, then the ups again. The schema before the
    first up is what the downs must give back; the backup covers the whole unit."""
    head = unit[0]
    res = _result(head, forward, members=[m.name for m in unit])
    try:
        ups = [(m, s) for m in unit if (s := _scripts(m, "up")) is not None]
        downs = [(m, s) for m in reversed(unit) if (s := _scripts(m, "down")) is not None]
    except NotRunnable as exc:
        res.skipped = str(exc)
        return res
    if not ups:
        res.skipped = "no up script"
        return res
    res.has_down = bool(downs)
    before = capture_schema(conn, url)
    sums = _seed(conn, seed, res)
    scripts = _backup(conn, url, unit, folded, res)
    res.up = _run_files(conn, url, ups, "up")
    if not res.up.ok or not downs:
        _drop_backup(conn, scripts)
        return res
    res.down = _run_files(conn, url, downs, "down")
    if not res.down.ok:
        _drop_backup(conn, scripts)
        return res
    _judge_the_way_back(conn, url, res, before, scripts, sums)
    res.up_again = _run_files(conn, url, ups, "up")
    return res


def _seed(conn: psycopg.Connection[Any], seed: int | None,
          res: MigrationResult) -> Checksums | None:
    """With ``seed``: rows put in the tables before the up, and their checksums."""
    if seed is None:
        return None
    report = seed_tables(conn, seed)
    res.seeded, res.seed_notes = report.filled, report.skipped
    return checksums(conn)


def _judge_the_way_back(conn: psycopg.Connection[Any], url: str, res: MigrationResult,
                        before: SchemaState, scripts: Scripts | None,
                        sums: Checksums | None) -> None:
    """After a down that ran: whether it gave back the schema (``before``) and the seeded
    rows (``sums``); the backup's restore script run when its backup ran; the backup's
    schema dropped."""
    res.schema_differences = schema_differences(before, capture_schema(conn, url))
    res.schema_restored = not res.schema_differences
    if scripts is not None and res.backup is not None and res.backup.ran_backup:
        res.backup.restore_error = _run_sql(conn, scripts.restore)
        res.backup.ran_restore = True
    if sums is not None:
        after = checksums(conn, list(sums))
        res.data = DataCheck(len(sums), sum(n for n, _ in sums.values()), compare(sums, after))
    _drop_backup(conn, scripts)


def _run_files(conn: psycopg.Connection[Any], url: str,
               files: Sequence[tuple[ParsedMigration, list[Executable]]],
               direction: ScriptDirection) -> ScriptResult:
    """Scripts of several versions one after the other, each as its own file (popx commits
    each), as one result: its statements name their files, and the first failure stops it."""
    out = ScriptResult(ran=True, ok=True)
    for mig, statements in files:
        script = mig.source.down if direction == "down" else mig.source.up
        path = script.path if script is not None else ""
        out.path = out.path or path
        ran = run_script(conn, url, statements, path)
        for st in ran.statements:
            st.path = path
        out.statements += ran.statements
        out.notes += [f"{Path(path).name}: {note}" for note in ran.notes]
        if not ran.ok:
            out.ok = False
            out.error = f"{Path(path).name} {ran.error}"
            out.line = ran.line
            break
    return out


GENERATED = "(generated by schemagate diff)"


def planned_way(conn: psycopg.Connection[Any], url: str, target: SchemaState,
                now: SchemaState | None = None) -> list[Executable] | None:
    """The statements `schemagate diff --allow-destructive --offline` plans from the schema
    `now` (default: read now) to `target`, as one transaction (the offline plan needs no
    statement outside one): where it fails, nothing of it stays. None when the diff stage
    is not installed."""
    if target.as_is is None:
        return None
    from schemagate.diff.changes import PlanOptions
    from schemagate.diff.plan import plan

    now = now or capture_schema(conn, url)
    if now.as_is is None:
        return None
    back = plan(now.as_is, target.as_is,
                PlanOptions(allow_destructive=True, online=False, lock_timeout=None))
    # Line: the statement's number in the plan.
    return [Executable(st.sql, i, 0) for i, st in enumerate(back.statements(), start=1)]


def _scripts(mig: ParsedMigration, direction: ScriptDirection) -> list[Executable] | None:
    if mig.source.layout == "alembic":  # Alembic sends the statements itself
        return revision_scripts(mig, direction)
    if mig.source.layout == "django":  # and so does Django
        return migration_scripts(mig, direction)
    return executables(mig, direction)


def _run(conn: psycopg.Connection[Any], url: str, statements: list[Executable],
         mig: ParsedMigration, direction: Direction, django: Session | None) -> ScriptResult:
    if mig.source.layout == "alembic":  # the migration tool applies the script itself
        return run_revision(conn, url, mig, direction)
    if mig.source.layout == "django" and django is not None:
        return run_migration(django, mig, direction)
    script = mig.source.down if direction == "down" else mig.source.up
    return run_script(conn, url, statements, script.path if script is not None else "")


def _backup(conn: psycopg.Connection[Any], url: str,
            mig: ParsedMigration | Sequence[ParsedMigration], folded: Catalog,
            res: MigrationResult) -> Scripts | None:
    """Plan this migration's (or rollback unit's) backup on the scratch copy's live shapes,
    and run backup.sql; the scripts, when there is something to save."""
    plan = plan_backup([mig] if isinstance(mig, ParsedMigration) else mig, before=folded)
    if not plan.saves:
        res.backup = BackupRun()
        return None
    facts = read_facts(url, *tables_to_read(plan))
    plan = with_facts(plan, facts)
    scripts = render_scripts(plan, stats=facts.stats)
    refused = [f"{s.table.name}: {why}" for s in plan.saves if (why := s.restorable)]
    res.backup = BackupRun(len(plan.saves), refused)
    res.backup.backup_error = _run_sql(conn, scripts.backup)
    res.backup.ran_backup = res.backup.backup_error is None
    return scripts


def _run_sql(conn: psycopg.Connection[Any], text: str) -> str | None:
    """A whole script as one simple query, as psql would run it; the error, if any."""
    try:
        conn.execute(text.encode("utf-8"))
    except psycopg.Error as exc:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _make_record_table(conn: psycopg.Connection[Any], layout: Layout) -> str | None:
    """The tool's record table, made as the tool makes it before its first migration: a
    migration may use it (harbor's 0030 adds a column to golang-migrate's)."""
    ddl = RECORD_TABLE_DDL.get(layout)
    if ddl is None:
        return None
    conn.execute(ddl.encode("utf-8"))
    return f"{RECORD_TABLES[layout]} ({layout})"


def _run_setup(conn: psycopg.Connection[Any], script: SetupScript) -> str | None:
    """Run a setup file as one transaction; where and why it failed, if it did."""
    try:
        with conn.transaction():
            conn.execute(script.text.encode("utf-8"))
    except psycopg.Error as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = script.path
        position = exc.diag.statement_position
        if position and position.isdigit():
            before = script.text[:int(position) - 1]
            where += f":{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"
        return f"{where}: {message}"
    return None


def _drop_backup(conn: psycopg.Connection[Any], scripts: Scripts | None) -> None:
    if scripts is not None:
        conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(scripts.schema)} CASCADE")
