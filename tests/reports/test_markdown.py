"""Markdown: a pull-request comment that says what changes, what is lost, what is risky,
and fits GitHub's 65,536-character limit however long the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.reports.markdown import LIMIT, code, text, ticks
from tests.reports.helpers import ROOT


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated history of 400 migrations (the lint benchmark's generator): ten times what
    one comment can hold."""
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_corpus.py"), "--out",
                    str(out), "--migrations", "400"], check=True, capture_output=True)
    return out


@pytest.mark.slow
def test_a_large_run_fits_in_one_comment(corpus: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(corpus), "--format", "markdown"])
    assert result.exit_code == 1, result.output[-2000:]
    doc = result.stdout
    assert len(doc) < LIMIT <= 65_536
    for heading in ("#### What changes in the schema", "#### Data impact", "#### Risks",
                    "#### Quality gate"):
        assert heading in doc
    assert "| Migrations | 400 (" in doc
    # What did not fit is said, not silently dropped.
    assert "more migrations not shown here" in doc
    assert "more findings not shown here" in doc


def test_small_run_is_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = CliRunner().invoke(main, ["lint", "examples/golang-migrate",
                                    "--format", "markdown"]).stdout
    assert "not shown here" not in doc
    assert "- **`000004_drop_legacy_ref`**: `drop column public.orders.legacy_ref`; " \
           "`rename column public.users.name to full_name`" in doc
    assert "suppressed: legacy\\_ref unused since v2\\.3, archived in S3" in doc


def test_escaping_helpers() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("two\nlines") == "`two⏎lines`"
    assert text("<b>[x](http://e) @team *y* $z$") == \
        "\\<b\\>\\[x\\]\\(http\\://e\\) \\@team \\*y\\* \\$z\\$"
    assert ticks("drop `a` now") == "drop `a` now"
    # An odd number of backquotes (a name holds one): all text, escaped.
    assert ticks("drop `a`b` now") == "drop \\`a\\`b\\` now"
