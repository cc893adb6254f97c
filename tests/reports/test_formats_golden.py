"""Snapshot tests of the CI and review formats (SARIF, GitLab, Markdown, HTML) on a mixed run:
three migration layouts from examples/ and the hostile-identifier fixture.

A change in output is a change in a public interface (or in what a DBA reads): review the
diff, then regenerate with
`SCHEMAGATE_UPDATE_GOLDEN=1 python -m pytest tests/reports/test_formats_golden.py`.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.reports.helpers import MIXED, ROOT

GOLDEN = ROOT / "tests" / "reports" / "golden"


@pytest.mark.parametrize(("fmt", "name"), [("sarif", "lint.sarif"), ("gitlab", "lint.gitlab.json"),
                                           ("markdown", "lint.md"), ("html", "lint.html")])
def test_format_matches_golden(fmt: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["lint", *MIXED, "--format", fmt])
    assert result.exit_code == 1, result.output
    golden = GOLDEN / name
    if os.environ.get("SCHEMAGATE_UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")
