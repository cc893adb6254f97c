"""The progress bar: on a terminal for long runs only, silent in logs and pipes."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.lint.engine import lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.reports import progress as progress_module
from schemagate.reports.progress import Progress
from tests.reports.helpers import MIXED, ROOT


class _Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    stream = io.StringIO()
    bar = Progress("linting", stream=stream)
    for i in range(1, 101):
        bar(i, 100)
    bar.close()
    assert stream.getvalue() == ""


def test_draws_on_a_terminal_and_wipes_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    stream = _Terminal()
    bar = Progress("parsing", stream=stream)
    assert list(bar.track(["a", "b", "c", "d"], 4)) == ["a", "b", "c", "d"]
    out = stream.getvalue()
    assert "\rparsing ████" in out and out.rstrip().endswith("4/4\x1b[K")
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_short_runs_draw_nothing_even_on_a_terminal() -> None:
    stream = _Terminal()
    bar = Progress("linting", stream=stream)  # the real delay: half a second
    for i in range(1, 11):
        bar(i, 10)
    bar.close()
    assert stream.getvalue() == ""


def test_the_engine_reports_each_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    loaded = load_migrations(discover(MIXED).migrations)
    calls: list[tuple[int, int]] = []
    lint(loaded.migrations, Settings(), progress=lambda done, total: calls.append((done, total)))
    n = len(loaded.migrations)
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_cli_output_has_no_progress_when_stderr_is_not_a_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    result = CliRunner().invoke(main, ["lint", *MIXED, "--format", "json"])
    assert result.exit_code == 1
    assert "\r" not in result.stderr and "█" not in result.stderr
