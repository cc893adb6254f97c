"""Every rule against its fixture folder: real migration files with expectations inline.

`tests/fixtures/rules/<rule-id>/` holds the failing and passing cases of one rule as .sql
files, linted in name order as one history (each file a migration). A comment
`-- expect: <rule-id> …` says the next statement must be flagged by the rule;
`-- expect-next-line: <rule-id>` says the finding is on the line just below. Every other
statement must not be flagged by that rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemagate.rules.registry import all_rules
from tests.conftest import FIXTURES, lint_files

RULE_DIRS = sorted(p for p in (FIXTURES / "rules").iterdir() if p.is_dir())
_EXPECT = re.compile(r"--\s*expect(?P<next>-next-line)?:\s*(?P<rules>[\w\s-]+)$")


def expectations(path: Path, rule_id: str) -> set[tuple[str, int]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = set()
    for i, line in enumerate(lines):
        m = _EXPECT.search(line)
        if not m or rule_id not in m.group("rules").split():
            continue
        if m.group("next"):
            out.add((str(path), i + 2))
            continue
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("--")):
            j += 1
        out.add((str(path), j + 1))
    return out


@pytest.mark.parametrize("folder", RULE_DIRS, ids=lambda p: p.name)
def test_rule_fixtures(folder: Path) -> None:
    rule_id = folder.name
    files = sorted(folder.glob("*.sql"))
    result = lint_files(files)
    assert not result.errors, result.errors
    found = {(f.span.path, f.span.line) for f in result.active if f.rule == rule_id}
    expected = set().union(*(expectations(f, rule_id) for f in files))
    assert found == expected


@pytest.mark.parametrize("folder", RULE_DIRS, ids=lambda p: p.name)
def test_fixture_folder_has_failing_and_passing_cases(folder: Path) -> None:
    files = sorted(folder.glob("*.sql"))
    with_expect = [f for f in files if expectations(f, folder.name)]
    without = [f for f in files if not expectations(f, folder.name) and "pass" in f.name]
    assert with_expect, f"{folder.name}: no failing case"
    assert without, f"{folder.name}: no passing case"


def test_every_rule_of_this_issue_has_fixtures() -> None:
    have = {p.name for p in RULE_DIRS}
    for rule in all_rules():
        assert rule.id in have, f"rule {rule.id} has no fixture folder"
