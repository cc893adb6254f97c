"""Hostile identifiers (markup, quotes, backquotes, pipes, link syntax, unicode, a newline)
from real migration files come out as text in every format, never as markup.

The fixture tests/fixtures/reports/hostile creates `"<script>alert(1)</script>"`, a table
whose name holds a newline, a view named like an `<img onerror>`, an index that closes a
`<style>`, a column named like a Markdown link target, and a suppression whose reason holds
HTML and an `@here` mention.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.reports.helpers import (
    IMG_VIEW,
    LINK_COLUMN,
    NEWLINE_TABLE,
    REASON,
    ROOT,
    SCRIPT_TABLE,
    STYLE_INDEX,
    WEIRD_COLUMN,
)

HOSTILE = "tests/fixtures/reports/hostile"


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.stdout


class _Page(HTMLParser):
    """Every element and attribute of a page, and its text as a browser would show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("command", [["lint", "--format", "html"], ["report"]])
def test_html_shows_hostile_names_as_text(command: list[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    page = _Page()
    page.feed(_run(*command, HOSTILE))
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "img" not in tags and "iframe" not in tags
    assert tags.count("style") == 1  # ours, in the head: the `</style>` index closed nothing
    handlers = [(t, a) for t, attrs in page.tags for a, _ in attrs if a.startswith("on")]
    assert handlers == []
    links = [v for _, attrs in page.tags for a, v in attrs if a in ("href", "src") and v]
    assert all(v.startswith("#") for v in links), links  # in-page anchors only
    text = "".join(page.text)
    for name in (SCRIPT_TABLE, IMG_VIEW, STYLE_INDEX, LINK_COLUMN, REASON):
        assert name in text, name
    assert NEWLINE_TABLE in text  # in the statement, as written
    assert "public.line⏎break" in text  # in the picture's one-line labels


def _outside_code_spans(line: str) -> str:
    """The line without its code spans (CommonMark: a run of n backquotes up to the next run
    of exactly n)."""
    out, i = [], 0
    while i < len(line):
        m = re.compile(r"`+").search(line, i)
        if m is None:
            out.append(line[i:])
            break
        out.append(line[i:m.start()])
        close = re.compile(rf"(?<!`){m.group()}(?!`)").search(line, m.end())
        if close is None:
            out.append(m.group())
            i = m.end()
        else:
            i = close.end()
    return "".join(out)


def test_markdown_escapes_hostile_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = _run("lint", "--format", "markdown", HOSTILE)
    hostile_lines = [ln for ln in doc.splitlines()
                     if any(k in ln for k in ("alert", "evil", "@here", "archive", "line"))]
    assert hostile_lines
    for line in hostile_lines:
        rest = _outside_code_spans(line)
        # Markup, link syntax, mentions and emphasis only ever appear escaped.
        assert not re.search(r"(?<!\\)[<>\[\]@*_]", rest.replace("**", "")), line
        assert not re.search(r"(?<!\\)\]\(", rest), line
    # Names with a newline stay on one line (a raw newline would end a list item or row).
    assert "line\nbreak" not in doc and "line⏎break" in doc
    # Table rows keep their four cells although names hold pipes: every pipe inside a cell
    # is escaped.
    rows = [ln for ln in doc.splitlines() if ln.startswith("| ❌") or ln.startswith("| ⚠️")]
    assert rows
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    # The suppression reason: shown, escaped.
    assert r"kept in \<b\>archive\</b\> \& \"cold\" storage \@here" in doc or \
        r'kept in \<b\>archive\</b\> \& "cold" storage \@here' in doc


def test_sarif_and_gitlab_keep_names_exact_and_markup_escaped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    raw = _run("lint", "--format", "sarif", HOSTILE)
    assert "<" not in raw and ">" not in raw and "&" not in raw  # \u003c … in strings
    doc = json.loads(raw)
    results = doc["runs"][0]["results"]
    messages = " ".join(r["message"]["text"] for r in results)
    assert SCRIPT_TABLE in messages and NEWLINE_TABLE in messages and WEIRD_COLUMN in messages
    suppressed = [r for r in results if r.get("suppressions")]
    assert suppressed[0]["suppressions"][0]["justification"] == REASON
    issues = json.loads(_run("lint", "--format", "gitlab", HOSTILE))
    assert any(SCRIPT_TABLE in i["description"] for i in issues)


# A table and a migration file named with what drives a terminal or reorders text: ESC (a
# clear-screen sequence), BEL, DEL, a C1 CSI, a line separator, a right-to-left override.
RAW_CONTROLS = "\x1b\x07\x7f\x9b\u2028\u202e"
CONTROL_TABLE = "t\x1b[2J\x07\x7f\x9b\u2028\u202eevil"
CONTROL_FILE = "002_drop\x1b[2J\x07.sql"


@pytest.fixture
def control_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    quoted = '"' + CONTROL_TABLE + '"'
    (tmp_path / "001_create.sql").write_text(
        f"CREATE TABLE {quoted} (id int PRIMARY KEY, legacy text);\n", encoding="utf-8")
    (tmp_path / CONTROL_FILE).write_text(
        f"ALTER TABLE {quoted} DROP COLUMN legacy;\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", [
    ["lint", "--format", "text"], ["lint", "--format", "github"],
    ["lint", "--format", "markdown"], ["lint", "--format", "html"],
    ["lint", "--format", "json"], ["lint", "--format", "sarif"],
    ["lint", "--format", "gitlab"],
    ["report", "--format", "html"], ["report", "--format", "markdown"],
    ["report", "--format", "json"],
])
def test_control_characters_in_names_and_paths_never_reach_the_output_raw(
        command: list[str], control_names: Path) -> None:
    out = _run(*command, ".")
    assert "drop" in out  # the finding on the file is there
    raw = [hex(ord(c)) for c in RAW_CONTROLS if c in out]
    assert raw == [], raw


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_json_formats_keep_names_with_control_characters_exact(
        fmt: str, control_names: Path) -> None:
    doc = json.loads(_run("lint", "--format", fmt, "."))
    text = "\n".join(_strings(doc))
    assert CONTROL_TABLE in text and "002_drop\x1b[2J\x07" in text  # table, file


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("fmt", ["text", "github", "markdown"])
def test_line_formats_show_control_characters_as_escapes(fmt: str,
                                                         control_names: Path) -> None:
    out = _run("lint", "--format", fmt, ".")
    assert "\\x1b[2J\\x07" in out  # the file name, and the table name, spelled out
    assert "\\u202eevil" in out
