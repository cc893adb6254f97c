"""Where a thing stands in the file the user wrote."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a source file: 1-based lines and columns, end inclusive of the last character.

    Columns count Unicode characters, not bytes, so that an editor lands on the right spot
    in a line holding non-ASCII identifiers or strings.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, path: str, line: int = 1, column: int = 1) -> Span:
        return cls(path, line, column, line, column)
