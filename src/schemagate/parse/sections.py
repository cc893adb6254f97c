"""Files that hold both directions of a migration in marked sections: dbmate's
`-- migrate:up` / `-- migrate:down`, goose's `-- +goose Up` / `-- +goose Down`, sql-migrate's
`-- +migrate Up` / `-- +migrate Down` (which may come back: every section of a direction
is read, in order).

Liquibase's formatted SQL holds many migrations in one file: each `--changeset author:id`
runs what follows it, and its `--rollback …` lines undo it. A changeset's up is its body;
its down is its rollback lines, their `--rollback` written over with spaces.

A frontend reads one section of such a file as the whole text with everything outside
the section blanked: spaces in place of every character (or byte) but the line breaks, so
that every line, column and offset of the section stays where it is in the file, and no
span needs translating. The marker lines themselves are outside every section.
"""

from __future__ import annotations

import re

from schemagate.model.span import Span

# A marker line: dbmate's (as dbmate writes it), goose's (any case, as goose reads it) or
# sql-migrate's (as it reads it).
MARKER = re.compile(
    r"^\ufeff?--[ \t]*(?:migrate:(up|down)\b|(?i:\+goose[ \t]+(up|down))\b"
    r"|\+migrate (Up|Down)\b).*$", re.MULTILINE)
_NOT_NEWLINE = re.compile(r"[^\n]")
_NOT_NEWLINE_BYTE = re.compile(rb"[^\n]")
# Liquibase: a changeset's line (its key `author:id`, then its attributes), and a rollback
# line (what follows the prefix is SQL).
CHANGESET = re.compile(r"(?im)^--[ \t]*changeset[ \t]+(\S+)(.*)$")
_ROLLBACK = re.compile(r"(?im)^--[ \t]*rollback(?:[ \t]+|$)")


# goose's `-- +goose StatementBegin` / `StatementEnd` (any case, as goose reads them).
_GOOSE_STATEMENT = re.compile(r"(?im)^--[ \t]*\+goose[ \t]+statement(begin|end)\b")


def goose_statement_blocks(text: str) -> list[tuple[int, int]]:
    """The lines (first, last) of each `-- +goose StatementBegin` … `StatementEnd` block of
    a goose file: goose sends what is between them to PostgreSQL as one query."""
    out, start = [], None
    for match in _GOOSE_STATEMENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group(1).lower() == "begin":
            start = line
        elif start is not None:
            out.append((start, line))
            start = None
    return out


def changeset_ranges(text: str, part: str, section: str) -> list[tuple[int, int]]:
    """Where a Liquibase changeset's up (its body) or down (the SQL of its rollback lines)
    is in ``text``, in characters."""
    lines = list(CHANGESET.finditer(text))
    for i, line in enumerate(lines):
        if line.group(1) != part:
            continue
        stop = lines[i + 1].start() if i + 1 < len(lines) else len(text)
        if section == "up":
            return [(line.end(), stop)]
        out = []
        for rollback in _ROLLBACK.finditer(text, line.end(), stop):
            end = text.find("\n", rollback.end(), stop)
            out.append((rollback.end(), stop if end < 0 else end))
        return out
    return []


def section_ranges(text: str, section: str) -> list[tuple[int, int]]:
    """Where the section's bodies are in ``text`` (character offsets, start and end): from
    the end of each of its marker lines to the next marker or the end of the file."""
    markers = list(MARKER.finditer(text))
    ranges = []
    for i, marker in enumerate(markers):
        if _name(marker) == section:
            stop = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            ranges.append((marker.end(), stop))
    return ranges


def _kept(text: str, section: str, part: str | None) -> list[tuple[int, int]]:
    return section_ranges(text, section) if part is None else changeset_ranges(
        text, part, section)


def blank_outside(text: str, section: str, part: str | None = None) -> str:
    """``text`` with every character outside the section (of the Liquibase changeset
    ``part``) a space: each keeps its offset."""
    pieces, cursor = [], 0
    for start, stop in _kept(text, section, part):
        pieces += [_NOT_NEWLINE.sub(" ", text[cursor:start]), text[start:stop]]
        cursor = stop
    pieces.append(_NOT_NEWLINE.sub(" ", text[cursor:]))
    return "".join(pieces)


def blank_outside_bytes(text: str, data: bytes, section: str, part: str | None = None
                        ) -> str:
    """As `blank_outside`, with every byte of the UTF-8 ``data`` of ``text`` outside the
    section a space: each byte keeps its offset (pglast counts in bytes)."""
    pieces, cursor = [], 0
    for start, stop in _kept(text, section, part):
        b0 = len(text[:start].encode("utf-8"))
        b1 = b0 + len(text[start:stop].encode("utf-8"))
        pieces += [_NOT_NEWLINE_BYTE.sub(b" ", data[cursor:b0]), data[b0:b1]]
        cursor = b1
    pieces.append(_NOT_NEWLINE_BYTE.sub(b" ", data[cursor:]))
    return b"".join(pieces).decode("utf-8")


def first_marker_line(text: str) -> int:
    """The line of the file's first direction marker (0 when it has none)."""
    found = MARKER.search(text)
    return 0 if found is None else text.count("\n", 0, found.start()) + 1


def marker_span(text: str, path: str, section: str, part: str | None = None) -> Span | None:
    """The first marker line of the section (the changeset's line, for Liquibase): where a
    finding about the section as a whole (an empty down) points."""
    if part is None:
        found = next((m for m in MARKER.finditer(text) if _name(m) == section), None)
    else:
        found = next((m for m in CHANGESET.finditer(text) if m.group(1) == part), None)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    width = len(found.group(0).rstrip().lstrip("\ufeff"))
    return Span(path, line, 1, line, max(width, 1))


def _name(marker: re.Match[str]) -> str:
    return (marker.group(1) or marker.group(2) or marker.group(3) or "").lower()
