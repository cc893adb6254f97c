"""Every rule against its fixture folder: real migration files with expectations inline.

`tests/fixtures/rules/<rule-id>/` holds the failing and passing cases of one rule as
migration files, discovered and linted like any project (plain `.sql` files in name order;
`N_x.up.sql`/`N_x.down.sql` pairs as golang-migrate; dbmate files by their markers), with
every rule enabled and, when the folder has one, the settings of its `settings.toml`. A comment
`-- expect: <rule-id> …` says the next statement must be flagged by the rule;
`-- expect-next-line: <rule-id>` says the finding is on the line just below, and
`-- expect-same-line: <rule-id>` on the comment's own line (findings about a whole file).
Every other statement must not be flagged by that rule.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from schemagate.lint.config import settings_from
from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.rules.registry import all_rules
from tests.conftest import FIXTURES

RULE_DIRS = sorted(p for p in (FIXTURES / "rules").iterdir() if p.is_dir())
_EXPECT = re.compile(
    r"(?:--|#)\s*expect(?P<where>-next-line|-same-line)?:\s*(?P<rules>[\w\s-]+)$")


def expectations(path: Path, rule_id: str) -> set[tuple[str, int]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = set()
    for i, line in enumerate(lines):
        m = _EXPECT.search(line)
        if not m or rule_id not in m.group("rules").split():
            continue
        if m.group("where"):
            out.add((str(path), i + (2 if m.group("where") == "-next-line" else 1)))
            continue
        j = i + 1
        while j < len(lines) and (not lines[j].strip()
                                  or lines[j].lstrip().startswith(("--", "#"))):
            j += 1
        out.add((str(path), j + 1))
    return out


def lint_folder(folder: Path) -> LintResult:
    settings = Settings()
    if (folder / "settings.toml").is_file():
        with (folder / "settings.toml").open("rb") as fh:
            settings = settings_from(tomllib.load(fh), str(folder / "settings.toml"))
    settings = replace(settings, select=("all",))  # every rule, even the opt-in ones
    found = discover([folder], cwd=folder)
    loaded = load_migrations(found.migrations, root=folder)
    result = lint(loaded.migrations, settings)
    assert not found.errors and not loaded.errors, found.errors + loaded.errors
    return result


def _fixture_files(folder: Path) -> list[Path]:
    """SQL migrations, and Alembic revisions (`# expect: …` comments) for history rules."""
    return sorted([*folder.rglob("*.sql"), *folder.rglob("*.py")])


@pytest.mark.parametrize("folder", RULE_DIRS, ids=lambda p: p.name)
def test_rule_fixtures(folder: Path) -> None:
    rule_id = folder.name
    files = _fixture_files(folder)
    result = lint_folder(folder)
    # A finding belongs to the statement it points into, whichever clause of it that is.
    found = {(str(folder / f.span.path), (f.statement_span or f.span).line)
             for f in result.active if f.rule == rule_id}
    expected = set().union(*(expectations(f, rule_id) for f in files))
    assert found == expected


@pytest.mark.parametrize("folder", RULE_DIRS, ids=lambda p: p.name)
def test_fixture_folder_has_failing_and_passing_cases(folder: Path) -> None:
    files = _fixture_files(folder)
    with_expect = [f for f in files if expectations(f, folder.name)]
    without = [f for f in files if not expectations(f, folder.name) and "pass" in f.name]
    assert with_expect, f"{folder.name}: no failing case"
    assert without, f"{folder.name}: no passing case"


def test_every_rule_of_this_issue_has_fixtures() -> None:
    have = {p.name for p in RULE_DIRS}
    for rule in all_rules():
        assert rule.id in have, f"rule {rule.id} has no fixture folder"
