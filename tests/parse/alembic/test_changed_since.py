"""`schemagate lint --changed-since REV`: report the migrations changed since a git revision,
fold the whole history, in a throw-away git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


def lint_json(repo: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["lint", "--format", "json", *args],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "alembic" / "autogen", tmp_path / "alembic")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "001_init.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "history")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_reports_only_changed_and_new_migrations(repo: Path) -> None:
    versions = repo / "alembic" / "versions"
    changed = versions / "3c4d5e6f7a8b_users_locale.py"
    changed.write_text(changed.read_text().replace(
        'op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))',
        'op.drop_column("users", "email")'))
    (repo / "sql" / "002_drop.sql").write_text("DROP TABLE t;\n")  # untracked
    report = lint_json(repo, "--changed-since", "HEAD", ".")
    findings = report["findings"]
    assert isinstance(findings, list)
    assert {f["migration"] for f in findings} == {"3c4d5e6f7a8b_users_locale", "002_drop"}
    assert {(f["rule"], f["migration"]) for f in findings} >= {
        ("drop-column", "3c4d5e6f7a8b_users_locale"), ("drop-table", "002_drop")}
    # The whole history was folded: `users` is known from the first revision.
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["migrations"] == 8


def test_nothing_changed_reports_nothing(repo: Path) -> None:
    assert lint_json(repo, "--changed-since", "HEAD", ".")["findings"] == []


def test_an_unknown_revision_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(main, ["lint", "--changed-since", "no-such-rev", "."])
    assert result.exit_code == 2
    assert "--changed-since" in result.output


def test_a_named_revision_is_linted_with_its_history_as_context(repo: Path) -> None:
    named = "alembic/versions/2b3c4d5e6f7a_orders_status.py"
    report = lint_json(repo, named)
    findings = report["findings"]
    assert isinstance(findings, list) and findings
    assert {f["migration"] for f in findings} == {"2b3c4d5e6f7a_orders_status"}
    # The old type of orders.total is known from the first revision, folded as context.
    lossy = [f for f in findings if f["rule"] == "lossy-type-change"]
    assert lossy and "numeric(10,2) to numeric(8,2)" in lossy[0]["message"]
