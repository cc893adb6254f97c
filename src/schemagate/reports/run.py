"""`schemagate report` as a library call: the impact report of the migrations under some paths.

`run_report` gathers what the page shows from the stages that know it — the migrations
(parse), their findings (lint), table sizes (diff.stats), the backup section (backup), the
drift of a live database (diff.drift) — and builds the `Impact` the renderers turn into
HTML, Markdown or JSON. It analyses nothing itself.

Errors the caller must report come out as exceptions with the reason: `ReportError` for a
request that cannot be met, `diff.connect.DatabaseError` and `diff.targets.TargetError`
for a database, `lint.engine.UnknownRuleError` for a rule selection, `backup.BackupError`
for an unknown `start` migration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemagate.graph.revisions import in_tool_order
from schemagate.lint.result import LintResult
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Notice
from schemagate.model.migration import ParsedMigration
from schemagate.model.settings import Settings
from schemagate.reports.impact import (
    BackupView,
    Impact,
    build_impact,
    checklist_from_gate,
    drift_from_deltas,
)
from schemagate.reports.progress import Progress

DEFAULT_TITLE = "schemagate impact report"


class ReportError(SchemagateError):
    """The report cannot be made as asked; the message names the options and why."""


@dataclass
class ReportRun:
    impact: Impact
    result: LintResult  # the lint run behind it: its exit code is the report's
    # The migrations the report covers (with `start`, those still to run), parsed.
    pending: list[ParsedMigration] = field(default_factory=list)


def report_time() -> datetime:
    """Now, or the moment SOURCE_DATE_EPOCH (the reproducible-builds convention) names: the
    report's date, and the backup schema's name with it, then repeat for the same input."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)


def run_report(paths: Sequence[str], settings: Settings, *, db: str | None = None,
               start: str | None = None, drift: bool = False, scratch: str | None = None,
               gate: Sequence[Mapping[str, Any]] | None = None, title: str = DEFAULT_TITLE,
               now: datetime | None = None, progress: Progress | None = None,
               raise_errors: bool = False) -> ReportRun:
    """The impact report of the migrations under ``paths`` (default: the current folder).

    ``db``: a live PostgreSQL for table sizes and the backup scripts' keys (read-only);
    ``start``: the first migration still to run (earlier ones only build the schema; default
    with ``db``: the first one the migration tool's record there does not list as applied);
    ``drift``: compare ``db`` with the schema the one folder in ``paths`` builds, on
    ``scratch`` (default: an embedded server); ``gate``: the `gate.items` of a
    `schemagate verify --format json` run, whose checklist replaces lint's;
    ``progress``: a bar to draw on; ``raise_errors``: let a failing backup section raise
    (for --debug) instead of saying so in the report.
    """
    if drift and (not db or len(paths) != 1):
        raise ReportError("--drift compares the live database (--db URL) with one "
                          "migrations folder: give both")
    from schemagate.backup import first_pending, start_index
    from schemagate.diff.connect import describe
    from schemagate.diff.stats import size_notices, table_stats
    from schemagate.lint.engine import lint
    from schemagate.parse.layouts.discover import discover
    from schemagate.parse.load import load_migrations

    now = now or report_time()
    bar = progress or Progress("parsing", enabled=False)
    found = discover(list(paths) or ["."], dialect=settings.dialect)
    bar.relabel("parsing")
    loaded = load_migrations(bar.track(found.migrations, len(found.migrations)),
                             variables=settings.variables, transactions=settings.transactions)
    if db:
        bar.relabel("reading the database")
    stats = table_stats(db) if db else None
    migrations = in_tool_order(loaded.migrations)
    record: list[str] = []
    if start is None and db and migrations:
        first, record = first_pending(migrations, db)
    else:
        first = start_index(migrations, start) if migrations else 0
    pending = migrations[first:]
    bar.relabel("linting")
    result = lint(migrations, settings, stats=stats, progress=bar,
                  report={m.name for m in pending} if first else None)
    result.errors = found.errors + loaded.errors
    result.notices = found.notices + loaded.notices + size_notices(stats or {})
    result.notices += [Notice(describe(db), note) for note in record if db]
    result.files = loaded.files
    if not found.migrations and not found.errors:
        result.notices.append(Notice(", ".join(paths) or ".", "no migrations found"))
    bar.relabel("backup scripts")
    backup = _backup_view(migrations, first, result, db, now, raise_errors)
    changes = None
    if drift:
        assert db is not None
        from schemagate.diff.drift import drift as live_drift

        bar.relabel("drift")
        changes = drift_from_deltas(live_drift(db, paths[0], scratch))
    impact = build_impact(result, pending, fail_on=settings.fail_on, stats=stats,
                          backup=backup, generated=now, title=title, drift=changes,
                          checklist=checklist_from_gate(gate) if gate is not None else None)
    return ReportRun(impact, result, list(pending))


def _backup_view(migrations: Sequence[Any], first: int, result: LintResult, db: str | None,
                 now: datetime, raise_errors: bool) -> BackupView:
    from schemagate.backup import report_section

    section = report_section(migrations, first, result.errors, db, now,
                             raise_errors=raise_errors)
    made = section.backup
    if made is None:
        return BackupView(False, section.reason)
    return BackupView(True, section.reason, made.scripts.schema, made.scripts.backup,
                      made.scripts.restore, made.saves(), made.notes())
