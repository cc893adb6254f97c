"""`schemagate lint --changed-since REV` on a Django project: only the migrations changed since
the revision are reported, every app's history is still folded."""

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

REMOVE_PRICE = '''from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_product_price"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="product",
            name="price",
        ),
    ]
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "layouts" / "django", tmp_path / "project")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "history")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "project"


def test_reports_the_changed_and_new_migrations_of_every_app(repo: Path) -> None:
    note = repo / "orders" / "migrations" / "0002_order_note.py"
    note.write_text(note.read_text().replace(
        'field=models.TextField(blank=True, null=True)', 'field=models.TextField(blank=True)'))
    (repo / "catalog" / "migrations" / "0004_remove_product_price.py").write_text(REMOVE_PRICE)
    result = CliRunner().invoke(main, ["lint", "--format", "json", "--changed-since", "HEAD",
                                       "project"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    assert {f["migration"] for f in report["findings"]} == {
        "0002_order_note", "0004_remove_product_price"}
    rules = {(f["migration"], f["rule"]) for f in report["findings"]}
    # The column the new migration drops was added by a migration that did not change, in
    # another file: the history was folded, and the default Django drops is reported.
    assert ("0004_remove_product_price", "drop-column") in rules
    assert ("0002_order_note", "add-required-column") in rules
    assert report["summary"]["migrations"] == 9
