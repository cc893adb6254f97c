"""The Python API (`schemagate.api`): one call per command, on real files and a real server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemagate import api
from schemagate.model.settings import Settings
from tests.conftest import FIXTURES

ROUNDTRIP = FIXTURES / "backup" / "roundtrip"


def test_lint_gives_findings_and_each_unreadable_file_as_an_error() -> None:
    run = api.lint([str(FIXTURES / "unreadable")])
    assert len(run.result.errors) == 5
    assert ("drop-column", "009_drop.sql") in {
        (f.rule, Path(f.span.path).name) for f in run.result.findings}
    assert run.exit_code(Settings()) == 2


def test_lint_of_a_folder_without_migrations_is_an_error_unless_allowed(tmp_path: Path) -> None:
    (error,) = api.lint([str(tmp_path)]).result.errors
    assert error.message.startswith("no migrations found")
    allowed = api.lint([str(tmp_path)], Settings(allow_empty=True)).result
    assert allowed.errors == [] and [n.message for n in allowed.notices] == [
        "no migrations found"]


def test_backup_gives_the_scripts_for_the_data_the_migrations_destroy() -> None:
    made = api.backup([str(ROUNDTRIP)], start="000002_destroy",
                      now=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert made.scripts.schema == "schemagate_backup_000002_destroy_20240102T030405"
    assert made.plan.saves


def test_report_gives_the_impact_of_the_migrations() -> None:
    run = api.report([str(ROUNDTRIP)], start="000002_destroy")
    assert run.impact.migrations and run.result.findings


@pytest.mark.usefixtures("reused_scratch")  # the session's scratch database
def test_verify_applies_the_migrations_on_a_scratch_server(pg_server: str) -> None:
    result = api.verify(["examples/dbmate"], scratch=pg_server)
    assert len(result.migrations) == 3 and result.gate.items
