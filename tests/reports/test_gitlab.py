"""GitLab Code Quality: the issue shape GitLab reads, and fingerprints it can compare."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.reports.helpers import MIXED, ROOT


def test_issues_have_the_code_quality_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["lint", *MIXED, "--format", "gitlab"])
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert issues
    for issue in issues:
        assert issue["description"] and issue["check_name"]
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert (ROOT / issue["location"]["path"]).is_file()
        where = issue["location"]["positions"]
        assert (where["end"]["line"], where["end"]["column"]) >= (
            where["begin"]["line"], where["begin"]["column"]) >= (1, 1)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    by_rule = {i["check_name"]: i["severity"] for i in issues}
    assert by_rule["truncate"] == "critical" and by_rule["rename-column"] == "major"
    assert by_rule["prefer-text"] == "info"
    # Suppressed findings are not issues (GitLab cannot show them as suppressed).
    assert not any("legacy_ref` of" in i["description"] and i["check_name"] == "drop-column"
                   for i in issues)


def test_input_errors_are_blockers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["lint", "tests/fixtures/bad_input", "--format",
                                       "gitlab"])
    assert result.exit_code == 2
    blockers = [i for i in json.loads(result.stdout) if i["severity"] == "blocker"]
    assert any(i["location"]["path"].endswith("002_syntax_error.sql")
               and i["location"]["lines"]["begin"] == 2 for i in blockers)
