"""Positions between schemagate and LSP: 1-based character columns to 0-based code units.

A `Span` counts lines and columns from 1, in Unicode characters, its end inclusive of the last
character; an `Edit` is the same with an exclusive end. LSP counts from 0, its end
exclusive, and its columns in the code units of the encoding agreed at initialisation:
UTF-16 unless the client offers UTF-8 or UTF-32 ("positionEncoding"). A character outside
the Basic Multilingual Plane is two UTF-16 units and four UTF-8 ones, so a column cannot be
converted without the text of its line.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from schemagate.model.fixes import Edit
from schemagate.model.span import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def lines_of(text: str) -> list[str]:
    """The text's lines as the frontends count them (split at ``\\n``), without the ``\\r``."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` the text is."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def to_lsp(lines: Sequence[str], line: int, column: int, encoding: str) -> types.Position:
    """The LSP position of the character boundary before 1-based ``column`` on 1-based
    ``line``; past the end of the line or the text, the end of it."""
    if line < 1:
        return types.Position(line=0, character=0)
    if line > len(lines):
        last = len(lines) - 1
        return types.Position(line=max(last, 0),
                              character=units(lines[last], encoding) if lines else 0)
    text = lines[line - 1]
    return types.Position(line=line - 1, character=units(text[:max(column - 1, 0)], encoding))


def span_range(lines: Sequence[str], span: Span, encoding: str) -> types.Range:
    """The LSP range of a span: its last character included, so the end is one past it."""
    return types.Range(start=to_lsp(lines, span.line, span.column, encoding),
                       end=to_lsp(lines, span.end_line, span.end_column + 1, encoding))


def edit_range(lines: Sequence[str], edit: Edit, encoding: str) -> types.Range:
    """The LSP range an edit replaces (its end is already exclusive)."""
    return types.Range(start=to_lsp(lines, edit.line, edit.column, encoding),
                       end=to_lsp(lines, edit.end_line, edit.end_column, encoding))


def contains(outer: types.Range, position: types.Position) -> bool:
    """Whether the position lies in the range, its end included (a cursor just after the
    last character still points at it)."""
    start, end = outer.start, outer.end
    return (start.line, start.character) <= (position.line, position.character) <= (
        end.line, end.character)


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a point (an empty range at a range's edge counts)."""
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line, b.start.character) <= (a.end.line, a.end.character)
