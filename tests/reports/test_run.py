"""`run_report`, the library call behind `schemagate report`: the impact the command renders,
and errors as exceptions with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemagate.backup import BackupError
from schemagate.console import write_output
from schemagate.model.settings import Settings
from schemagate.parse.postgres import frontend
from schemagate.reports.html import html_pieces
from schemagate.reports.impact import StatementView, StatementViews
from schemagate.reports.impact_json import render_impact_json
from schemagate.reports.markdown import render_markdown
from schemagate.reports.run import ReportError, run_report
from tests.conftest import FIXTURES
from tests.lint.helpers import generated_script, held_per_byte

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


@pytest.mark.slow  # reports scripts of 90 KB and 370 KB, traced: about 15 s
def test_the_report_of_a_long_script_holds_a_small_multiple_of_its_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `schemagate report` of one long script holds at most grows by a few bytes per
    byte of it: not the schema graph of everything the script touches at once, nor a view
    of each of its statements, nor the page (six times the script) before it is written.
    Measured as `lint`'s test measures it."""
    monkeypatch.setattr(frontend, "PIECE_CHARS", 16 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 64 * 1024)
    settings = Settings(cache=False, jobs=1)

    def report(path: Path) -> None:
        run = run_report([str(path)], settings, now=datetime(2026, 1, 1, tzinfo=UTC))
        write_output(html_pieces(run.impact), str(path.with_suffix(".html")))

    per_byte, measured = held_per_byte(tmp_path, report)
    # 17.0 measured (lint alone: 10.0); 20.7 with the statements' views held; 85.8 with the
    # whole schema graph built at once and the page held whole before it was written.
    assert per_byte < 30, (measured, per_byte)


def test_a_long_scripts_statements_are_shown_as_a_short_ones_are(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements of a script read as a stream are made again for the page, not held:
    every format says the same as for the script parsed whole."""
    path = tmp_path / "V1__generated.sql"
    path.write_text(generated_script(400) + "DROP TABLE t0;\nALTER TABLE t4 DROP COLUMN c5;\n",
                    encoding="utf-8")
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def pages() -> tuple[StatementViews | list[StatementView], str, str, str]:
        impact = run_report([str(path)], Settings(cache=False, jobs=1), now=now).impact
        [migration] = impact.migrations
        return (migration.statements, "".join(html_pieces(impact)), render_markdown(impact),
                render_impact_json(impact))

    whole = pages()
    monkeypatch.setattr(frontend, "PIECE_CHARS", 4 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 8 * 1024)
    streamed = pages()
    assert isinstance(whole[0], list) and isinstance(streamed[0], StatementViews)
    assert len(streamed[0]) == len(whole[0]) == 402
    assert list(streamed[0]) == whole[0] and streamed[0][-1] == whole[0][-1]
    assert streamed[1:] == whole[1:]
    assert "drop table public.t0" in whole[1]  # the page shows the statements
