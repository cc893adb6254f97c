"""Reading a migration file: bytes to text, with every way that can go wrong reported.

Offsets matter here: pglast reports UTF-8 byte offsets, users want 1-based lines and
character columns. `SourceText` keeps both forms and converts between them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from schemagate.model.findings import InputError
from schemagate.model.span import Span

MAX_FILE_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"

# Placeholders of the common template engines and migration tools: Jinja/Go templates,
# Flyway/shell variables, and a commented marker some generators leave in place of a name.
PLACEHOLDER = re.compile(
    r"\{\{\s*\.?(?P<a>[A-Za-z_][\w.]*)\s*\}\}"
    r"|\$\{(?P<b>[A-Za-z_][\w.]*)\}"
    r"|/\*\s*TEMPLATE:\s*(?P<c>[A-Za-z_][\w.]*)\s*\*/"
)


@dataclass
class SourceText:
    path: str
    text: str
    data: bytes = field(repr=False)  # the UTF-8 encoding of text, for pglast's byte offsets
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _ascii: bool = False

    @classmethod
    def of(cls, path: str, text: str) -> SourceText:
        data = text.encode("utf-8")
        starts = [0]
        pos = data.find(b"\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = data.find(b"\n", pos + 1)
        return cls(path, text, data, starts, text.isascii())

    def position(self, byte_offset: int) -> tuple[int, int]:
        """1-based (line, character column) of a UTF-8 byte offset."""
        line = bisect.bisect_right(self._line_starts, byte_offset) - 1
        start = self._line_starts[line]
        if self._ascii:
            return line + 1, byte_offset - start + 1
        col = len(self.data[start:byte_offset].decode("utf-8", errors="replace"))
        return line + 1, col + 1

    def span(self, start: int, end: int) -> Span:
        """Span of the byte range [start, end): end points at the last character."""
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end - 1))
        return Span(self.path, line, col, end_line, end_col)

    def char_position(self, char_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset (pglast's syntax error positions)."""
        return self.position(len(self.text[:char_offset].encode("utf-8")))


def read_source(
    file: Path, display: str, variables: Mapping[str, str] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> SourceText | InputError:
    """Read and decode a migration file, filling template placeholders from ``variables``."""
    try:
        size = file.stat().st_size
        if size > max_bytes:
            return InputError(display, f"file is {size:,} bytes, over the {max_bytes:,}-byte "
                              "limit; is it a data dump rather than a migration?")
        raw = file.read_bytes()
    except OSError as exc:
        return InputError(display, exc.strerror or str(exc))
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if b"\x00" in raw[:8192]:
        return InputError(display, "binary file (it contains NUL bytes); not a SQL migration")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return InputError(display, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be "
                          "decoded; save the file as UTF-8", line)
    if variables or "${" in text or "{{" in text or "TEMPLATE:" in text:
        text = fill_placeholders(text, variables or {})
    return SourceText.of(display, text)


def fill_placeholders(text: str, variables: Mapping[str, str]) -> str:
    """Replace placeholders whose names are given; leave the others for the error message."""
    if not variables:
        return text

    def substitute(match: re.Match[str]) -> str:
        name = match.group("a") or match.group("b") or match.group("c")
        return variables.get(name, match.group(0))

    return PLACEHOLDER.sub(substitute, text)


def unfilled_placeholders(text: str) -> list[tuple[int, str]]:
    """(line, placeholder) for each placeholder left in the text."""
    out = []
    for match in PLACEHOLDER.finditer(text):
        out.append((text.count("\n", 0, match.start()) + 1, match.group(0)))
    return out
