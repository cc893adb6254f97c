"""schemagate from Python: one call per command, the same ones the command line makes.

    from schemagate import api
    from schemagate.lint.config import load_config

    settings, _ = load_config(None, Path.cwd())   # or schemagate.model.settings.Settings()
    run = api.lint(["migrations"], settings)
    for finding in run.result.findings: ...

Each function takes the paths to read (default: the current folder) and the settings, and
returns the run's result; none prints or exits. Problems with the request (an unknown rule,
an unreachable database, a bad revision) raise a `schemagate.model.errors.SchemagateError`
subclass whose message names the cause; files that cannot be read or parsed are data in
the result (`lint`, `report`) or a `SchemagateError` listing them (`backup`, `verify`, which
need every migration).

These are functions of a module rather than of the `schemagate` package itself: a function
named `lint` there would be replaced by the `schemagate.lint` subpackage once imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from schemagate.model.settings import Settings

if TYPE_CHECKING:
    from schemagate.backup.run import Backup
    from schemagate.lint.run import LintRun
    from schemagate.reports.run import ReportRun
    from schemagate.verify.run import VerifyResult


def lint(paths: Sequence[str], settings: Settings | None = None, *, db: str | None = None,
         changed_since: str | None = None, pending: bool = False) -> LintRun:
    """`schemagate lint`: the findings, input errors and notices of the migrations
    (``pending``: of those still to run in ``db``, as `lint --pending`; the settings'
    ``baseline`` hides the findings it records)."""
    from schemagate.lint.run import run_lint

    return run_lint(paths, settings or Settings(), db=db, changed_since=changed_since,
                    pending=pending)


def backup(paths: Sequence[str], settings: Settings | None = None, *, start: str | None = None,
           db: str | None = None, now: datetime | None = None) -> Backup:
    """`schemagate backup`: backup.sql and restore.sql (``.scripts``) and their plan."""
    from schemagate.backup.run import run_backup

    return run_backup(paths, settings or Settings(), start=start, db=db, now=now)


def verify(paths: Sequence[str], settings: Settings | None = None, *,
           scratch: str | None = None, seed: int | None = None) -> VerifyResult:
    """`schemagate verify`: apply up, down, up on a scratch PostgreSQL, and the checklist."""
    from schemagate.verify.run import run_verify

    return run_verify(paths, settings or Settings(), scratch=scratch, seed=seed)


def report(paths: Sequence[str], settings: Settings | None = None, *, db: str | None = None,
           start: str | None = None, drift: bool = False, scratch: str | None = None,
           gate: Sequence[Mapping[str, Any]] | None = None) -> ReportRun:
    """`schemagate report`: the impact report (``.impact``, for the renderers in reports/)."""
    from schemagate.reports.run import run_report

    return run_report(paths, settings or Settings(), db=db, start=start, drift=drift,
                      scratch=scratch, gate=gate)
