"""Where every rule's findings point, pinned per fixture folder in `spans.txt`.

Each line is one finding of the folder's rule: the file, the span
(`line:column-end_line:end_column`, 1-based, end inclusive) and the text it covers, so that a
reader can check the span against the fixture without opening it. A change is reviewed like
any golden: regenerate with `SCHEMAGATE_UPDATE_GOLDEN=1`, then read every changed line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schemagate.model.findings import Finding
from tests.rules.test_rule_fixtures import RULE_DIRS, lint_folder


def covered(folder: Path, f: Finding) -> str:
    """The text a span covers, lines joined by ⏎ (long middles elided)."""
    s = f.span
    lines = (folder / s.path).read_text(encoding="utf-8").splitlines()
    if not 1 <= s.line <= s.end_line <= len(lines):
        return "<outside the file>"
    if s.line == s.end_line:
        return lines[s.line - 1][s.column - 1:s.end_column]
    parts = [lines[s.line - 1][s.column - 1:], *lines[s.line:s.end_line - 1],
             lines[s.end_line - 1][:s.end_column]]
    if len(parts) > 4:
        parts = [*parts[:2], "…", parts[-1]]
    return "⏎".join(p.strip() for p in parts)


def spans_of(folder: Path) -> str:
    result = lint_folder(folder)
    rows = sorted((f.span.path, f.span.line, f.span.column, f.span.end_line, f.span.end_column,
                   covered(folder, f)) for f in result.active if f.rule == folder.name)
    return "".join(f"{path}:{line}:{col}-{end_line}:{end_col} {text}\n"
                   for path, line, col, end_line, end_col, text in rows)


@pytest.mark.parametrize("folder", RULE_DIRS, ids=lambda p: p.name)
def test_rule_findings_point_where_spans_txt_says(folder: Path) -> None:
    golden = folder / "spans.txt"
    got = spans_of(folder)
    if os.environ.get("SCHEMAGATE_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")
