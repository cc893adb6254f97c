"""`lint --write-baseline` and `--baseline`: record today's findings, report only new ones."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from schemagate.cli import main

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, legacy text, note text);\n"
DROPS = ("ALTER TABLE users DROP COLUMN legacy;\n"
         "CREATE INDEX users_note ON users (note);\n")


def lint(*args: str) -> Result:
    return CliRunner().invoke(main, ["lint", *args])


def lint_json(*args: str) -> dict[str, Any]:
    result = lint("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def rules(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in doc["findings"])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_users.sql").write_text(USERS)
    (folder / "002_drop.sql").write_text(DROPS)
    return tmp_path


def test_a_baseline_hides_every_finding_it_recorded_and_says_how_many(project: Path) -> None:
    before = lint_json("migrations")
    assert before["findings"]
    written = lint("migrations", "--write-baseline", "baseline.json")
    assert written.exit_code == 0, written.output
    assert f"{len(before['findings'])} findings recorded" in written.stderr
    assert written.stdout == ""  # writing a baseline reports nothing else
    after = lint_json("migrations", "--baseline", "baseline.json")
    assert after["findings"] == []
    assert after["summary"]["hidden_by_baseline"] == len(before["findings"])
    text = lint("migrations", "--baseline", "baseline.json")
    assert text.exit_code == 0
    assert f"; {len(before['findings'])} hidden by the baseline." in text.stdout
    # Without a baseline the JSON keeps its shape.
    assert "hidden_by_baseline" not in before["summary"]


def test_the_baseline_file_is_sorted_and_readable(project: Path) -> None:
    lint("migrations", "--write-baseline", "baseline.json")
    doc = json.loads((project / "baseline.json").read_text())
    entries = doc["findings"]
    assert doc["format"] == "schemagate-baseline" and doc["version"] == 1
    assert entries == sorted(entries, key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    assert {"path", "rule", "fingerprint", "message"} <= set(entries[0])
    drop = next(e for e in entries if e["rule"] == "drop-column")
    assert drop["path"] == "migrations/002_drop.sql"
    assert "`legacy`" in drop["message"]
    # One line per key: a finding added or fixed is a few lines of diff, not a rewrite.
    assert (project / "baseline.json").read_text().count("\n") > 4 * len(entries)


def test_baseline_fingerprints_are_the_sarif_fingerprints(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    lint("migrations", "--write-baseline", "baseline.json")
    recorded = {e["fingerprint"] for e in json.loads(
        (project / "baseline.json").read_text())["findings"]}
    sarif = json.loads(lint("migrations", "--format", "sarif").stdout)
    prints = {r["partialFingerprints"]["schemagate/v1"] for r in sarif["runs"][0]["results"]}
    assert recorded == prints and recorded


def test_findings_stay_hidden_after_unrelated_edits_and_new_ones_are_reported(
        project: Path) -> None:
    lint("migrations", "--write-baseline", "baseline.json")
    # Lines inserted above, a statement reflowed, a migration added before the others.
    (project / "migrations" / "002_drop.sql").write_text(
        "-- dropping what v2 no longer reads\n\n"
        "ALTER TABLE users\n    DROP COLUMN legacy;\n"
        "CREATE INDEX users_note ON users (note);\n"
        "ALTER TABLE users DROP COLUMN note;\n")
    (project / "migrations" / "000_first.sql").write_text("SELECT 1;\n")
    doc = lint_json("migrations", "--baseline", "baseline.json")
    assert [(f["rule"], f["statement"]) for f in doc["findings"]
            if f["rule"] == "drop-column"] == [
        ("drop-column", "ALTER TABLE users DROP COLUMN note")]
    assert all("legacy" not in f["message"] for f in doc["findings"])
    assert doc["summary"]["hidden_by_baseline"] == len(json.loads(
        (project / "baseline.json").read_text())["findings"])


def test_the_same_statement_once_more_is_a_new_finding(project: Path) -> None:
    (project / "migrations" / "003_clear.sql").write_text("DELETE FROM users;\n")
    lint("migrations", "--write-baseline", "baseline.json")
    (project / "migrations" / "003_clear.sql").write_text(
        "DELETE FROM users;\nDELETE FROM users;\n")
    doc = lint_json("migrations", "--baseline", "baseline.json")
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("delete-all-rows", 2)]


def test_sarif_fingerprints_do_not_move_when_the_baseline_hides_a_twin(project: Path) -> None:
    # Repeated statements are numbered: hiding the first must not give the second its print.
    (project / "migrations" / "003_clear.sql").write_text("DELETE FROM users;\n")
    lint("migrations", "--write-baseline", "baseline.json")
    (project / "migrations" / "003_clear.sql").write_text(
        "DELETE FROM users;\nDELETE FROM users;\n")

    def prints(*args: str) -> dict[int, str]:
        sarif = json.loads(lint("migrations", "--format", "sarif", *args).stdout)
        return {r["locations"][0]["physicalLocation"]["region"]["startLine"]:
                r["partialFingerprints"]["schemagate/v1"] for r in sarif["runs"][0]["results"]
                if r["ruleId"] == "delete-all-rows"}

    everything, with_baseline = prints(), prints("--baseline", "baseline.json")
    assert list(with_baseline) == [2]
    assert with_baseline[2] == everything[2] != everything[1]


def test_the_baseline_setting_is_read_relative_to_the_settings_file(project: Path) -> None:
    lint("migrations", "--write-baseline", "conf/baseline.json")
    (project / "conf" / "schemagate.toml").write_text('baseline = "baseline.json"\n')
    doc = lint_json("migrations", "--config", "conf/schemagate.toml")
    assert doc["findings"] == [] and doc["summary"]["hidden_by_baseline"] > 0
    # --baseline names another file instead.
    (project / "empty.json").write_text(
        '{"format": "schemagate-baseline", "version": 1, "findings": []}')
    other = lint_json("migrations", "--config", "conf/schemagate.toml",
                      "--baseline", "empty.json")
    assert other["findings"] and other["summary"]["hidden_by_baseline"] == 0


def test_write_baseline_ignores_the_configured_baseline(project: Path) -> None:
    lint("migrations", "--write-baseline", "baseline.json")
    (project / "schemagate.toml").write_text('baseline = "baseline.json"\n')
    again = lint("migrations", "--write-baseline", "again.json")
    assert again.exit_code == 0
    assert (project / "again.json").read_text() == (project / "baseline.json").read_text()


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "not JSON"),
    ('{"findings": []}', "not a schemagate baseline"),
    ('{"format": "schemagate-baseline", "version": 7, "findings": []}', "version 7"),
    ('{"format": "schemagate-baseline", "version": 1, "findings": {}}', "not a list"),
    ('{"format": "schemagate-baseline", "version": 1, "findings": [{"rule": "x"}]}',
     "findings[0] has no \"fingerprint\""),
    ('{"format": "schemagate-baseline", "version": 1, "findings": '
     '[{"fingerprint": "ab", "count": 0}]}', "findings[0].count"),
])
def test_a_malformed_baseline_is_a_clear_error_naming_the_file(
        project: Path, content: str, says: str) -> None:
    (project / "bad.json").write_text(content)
    result = lint("migrations", "--baseline", "bad.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("schemagate: error: baseline bad.json: ")
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_baseline_says_how_to_make_one(project: Path) -> None:
    result = lint("migrations", "--baseline", "nowhere.json")
    assert result.exit_code == 2
    assert "nowhere.json: no such file" in result.stderr
    assert "--write-baseline nowhere.json" in result.stderr


def test_a_baseline_with_input_errors_is_written_and_exits_2(project: Path) -> None:
    (project / "migrations" / "003_broken.sql").write_text("ALTER TABLE users DROP;\n")
    result = lint("migrations", "--write-baseline", "baseline.json")
    assert result.exit_code == 2
    assert "003_broken.sql:1" in result.stderr
    assert json.loads((project / "baseline.json").read_text())["findings"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_keeps_working_alongside_a_baseline(project: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                        "-c", "commit.gpgsign=false", *args], cwd=project, check=True,
                       capture_output=True)

    git("init", "-q")
    lint("migrations", "--write-baseline", "baseline.json")
    git("add", ".")
    git("commit", "-q", "-m", "history")
    # A change to the old migration: its recorded findings stay hidden, the new one shows.
    (project / "migrations" / "002_drop.sql").write_text(
        DROPS + "ALTER TABLE users DROP COLUMN note;\n")
    (project / "migrations" / "003_more.sql").write_text("DROP TABLE users;\n")
    doc = lint_json("migrations", "--changed-since", "HEAD", "--baseline", "baseline.json",
                    "--select", "destructive")
    assert rules(doc) == [("drop-column", "migrations/002_drop.sql"),
                          ("drop-table", "migrations/003_more.sql")]
    assert doc["findings"][0]["statement"] == "ALTER TABLE users DROP COLUMN note"
    assert doc["summary"]["hidden_by_baseline"] == 1  # the drop of `legacy`
    refused = lint("migrations", "--changed-since", "HEAD", "--write-baseline", "b.json")
    assert refused.exit_code == 2 and "--changed-since" in refused.stderr
