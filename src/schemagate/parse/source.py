"""Reading a migration file: bytes to text, with every way that can go wrong reported.

Offsets matter here: pglast reports UTF-8 byte offsets, users want 1-based lines and
character columns. `SourceText` keeps both forms and converts between them.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import AnyStr

from schemagate.model.findings import InputError
from schemagate.model.span import Span
from schemagate.parse.placeholders import Placeholder, fill, find_placeholders

MAX_FILE_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"

@dataclass
class SourceText:
    """A file's text and bytes, with what maps a byte offset to its line and column."""

    path: str
    text: str
    data: bytes = field(repr=False)  # the UTF-8 encoding of text, for pglast's byte offsets
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _ascii: bool = False
    _char_line_starts: list[int] = field(default_factory=list, repr=False)
    # After placeholders were filled: the file as written, and each filled range as
    # (start, end) in the file and (start, end) here, in bytes, in order.
    original: SourceText | None = field(default=None, repr=False)
    edits: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)
    # Placeholders no variable named, filled with a made-up identifier (fill_all).
    defaulted: list[tuple[Placeholder, str]] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, path: str, text: str) -> SourceText:
        data = text.encode("utf-8")
        return cls(path, text, data, _line_starts(data, b"\n"), text.isascii())

    def position(self, byte_offset: int) -> tuple[int, int]:
        """1-based (line, character column) of a UTF-8 byte offset, in the file as written."""
        if self.original is not None:
            return self.original.position(self._original_offset(byte_offset))
        line = bisect.bisect_right(self._line_starts, byte_offset) - 1
        start = self._line_starts[line]
        if self._ascii:
            return line + 1, byte_offset - start + 1
        col = len(self.data[start:byte_offset].decode("utf-8", errors="replace"))
        return line + 1, col + 1

    def _original_offset(self, byte_offset: int) -> int:
        """Where a byte of the filled text came from: inside a filled value, the
        placeholder's own bytes (clamped to its last one)."""
        i = bisect.bisect_right(self.edits, byte_offset, key=lambda e: e[2]) - 1
        if i < 0:
            return byte_offset
        start, end, new_start, new_end = self.edits[i]
        if byte_offset < new_end:
            return start + min(byte_offset - new_start, max(end - start - 1, 0))
        return end + byte_offset - new_end

    def span(self, start: int, end: int) -> Span:
        """Span of the byte range [start, end): end points at the last character."""
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end - 1))
        return Span(self.path, line, col, end_line, end_col)

    def char_position_in_file(self, char_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset into the file as written."""
        return (self.original or self).char_position(char_offset)

    def char_position(self, char_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset (pglast's syntax error positions)."""
        if self._ascii:
            return self.position(char_offset)
        if not self._char_line_starts:  # lines start at the same line in both forms
            self._char_line_starts = _line_starts(self.text, "\n")
        line = bisect.bisect_right(self._char_line_starts, char_offset) - 1
        start = self._char_line_starts[line]
        return self.position(self._line_starts[line]
                             + len(self.text[start:char_offset].encode("utf-8")))


def read_source(
    file: Path, display: str, variables: Mapping[str, str] | None = None,
    max_bytes: int = MAX_FILE_BYTES, fill_all: bool = False,
) -> SourceText | InputError:
    """Read and decode a migration file, filling template placeholders from ``variables``
    (and every other one with a made-up identifier when ``fill_all``)."""
    try:
        # One open, its size from the open file, and one read with no buffer between: a
        # history reads hundreds of files, and pathlib's stat-then-read_bytes looked each
        # path up twice and made a buffered reader for a single read.
        with open(file, "rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                return InputError(display, f"file is {size:,} bytes, over the "
                                  f"{max_bytes:,}-byte limit; is it a data dump rather "
                                  "than a migration?")
            raw = fh.read()
    except OSError as exc:
        return InputError(display, exc.strerror or str(exc))
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(display, "UTF-16 file; save it as UTF-8", 1, 1)
    nul = raw.find(b"\x00", 0, 8192)
    if nul != -1:
        return InputError(display, "binary file (it contains NUL bytes); not a SQL migration",
                          *_byte_position(raw, nul))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputError(display, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be "
                          "decoded; save the file as UTF-8", *_byte_position(raw, exc.start))
    return with_placeholders(SourceText.of(display, text), variables or {}, fill_all)


def with_placeholders(source: SourceText, variables: Mapping[str, str],
                      fill_all: bool = False) -> SourceText:
    """The source with its placeholders filled, positions still pointing into the file.

    psql variables and made-up fillers are for SQL only: a Python file (Alembic) gets only
    the template placeholders that variables name.
    """
    text = source.text
    is_sql = not source.path.endswith(".py")
    if not (variables or (fill_all and is_sql)) or not _may_hold_placeholders(text, is_sql):
        return source
    found = find_placeholders(text, psql=is_sql)
    new_text, edits, defaulted = fill(text, found, variables, fill_all and is_sql)
    if not edits:
        return source
    filled = SourceText.of(source.path, new_text)
    filled.original, filled.defaulted = source, defaulted
    filled.edits = _byte_edits(text, new_text, edits)
    return filled


def _may_hold_placeholders(text: str, is_sql: bool) -> bool:
    return "{{" in text or "${" in text or "TEMPLATE:" in text or (is_sql and ":" in text)


def _byte_edits(old: str, new: str, edits: list[tuple[int, int, int, int]]
                ) -> list[tuple[int, int, int, int]]:
    """Character ranges to UTF-8 byte ranges, encoding each stretch once."""
    if old.isascii() and new.isascii():
        return edits
    out = []
    old_char = old_byte = new_char = new_byte = 0
    for start, end, new_start, new_end in edits:
        b_start = old_byte + len(old[old_char:start].encode("utf-8"))
        b_end = b_start + len(old[start:end].encode("utf-8"))
        nb_start = new_byte + len(new[new_char:new_start].encode("utf-8"))
        nb_end = nb_start + len(new[new_start:new_end].encode("utf-8"))
        out.append((b_start, b_end, nb_start, nb_end))
        old_char, old_byte, new_char, new_byte = end, b_end, new_end, nb_end
    return out


def _line_starts(text: AnyStr, newline: AnyStr) -> list[int]:
    starts = [0]
    pos = text.find(newline)
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find(newline, pos + 1)
    return starts


def _byte_position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based (line, character column) of a byte offset in possibly undecodable bytes."""
    start = raw.rfind(b"\n", 0, index) + 1
    column = len(raw[start:index].decode("utf-8", errors="replace"))
    return raw.count(b"\n", 0, index) + 1, column + 1
