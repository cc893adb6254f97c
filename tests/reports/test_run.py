"""`run_report`, the library call behind `schemagate report`: the impact the command renders,
and errors as exceptions with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemagate.backup import BackupError
from schemagate.model.settings import Settings
from schemagate.reports.impact_json import render_impact_json
from schemagate.reports.run import ReportError, run_report
from tests.conftest import FIXTURES

PROJECT = FIXTURES / "backup" / "roundtrip"


def test_run_report_builds_the_impact_with_its_backup_section() -> None:
    now = datetime(2024, 1, 2, tzinfo=UTC)
    run = run_report([str(PROJECT)], Settings(), start="000002_destroy", now=now)
    assert run.impact.summary.migrations == 1  # only the migration still to run
    assert run.impact.backup.generated and run.impact.backup.saves
    assert "schemagate_backup_000002_destroy_20240102T000000" in run.impact.backup.backup
    assert run.result.migrations == 2  # the whole history was linted
    assert '"verdict"' in render_impact_json(run.impact)


def test_input_errors_leave_the_backup_section_ungenerated_with_the_reason() -> None:
    run = run_report([str(FIXTURES / "bad_input")], Settings())
    assert not run.impact.backup.generated
    assert "input error" in run.impact.backup.reason
    assert run.result.exit_code(Settings().fail_on) == 2


def test_drift_without_a_database_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="--drift compares the live database"):
        run_report([str(PROJECT)], Settings(), drift=True)


def test_an_unknown_start_migration_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(BackupError, match="--from nope: no such migration"):
        run_report([str(PROJECT)], Settings(), start="nope")
