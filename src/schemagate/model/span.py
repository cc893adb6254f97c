"""Where a thing stands in the file the user wrote."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemagate.model.pickling import pickle_by_fields


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

    def resolved(self) -> Span:
        """The span itself (a `LazySpan` works its position out here)."""
        return self


def span_within(outer: Span, text: str, first: int, last: int) -> Span:
    """The span of characters `first`..`last` (0-based, inclusive) of `text`, the source
    written at the start of `outer` (a statement's span and its text)."""
    def place(at: int) -> tuple[int, int]:
        newline = text.rfind("\n", 0, at)
        if newline < 0:
            return outer.line, outer.column + at
        return outer.line + text.count("\n", 0, at), at - newline
    line, column = place(first)
    end_line, end_column = place(last)
    return Span(outer.path, line, column, end_line, end_column)


def char_offset(outer: Span, text: str, line: int, column: int) -> int:
    """Where (`line`, `column`) falls in `text`, the source written at the start of `outer`."""
    if line == outer.line:
        return column - outer.column
    at = -1
    for _ in range(line - outer.line):
        at = text.find("\n", at + 1)
        if at < 0:
            return len(text)
    return at + column


# SQL's tokens as far as finding a name needs: strings, comments and quoted identifiers are
# skipped whole, so that a name inside them is never taken for the name itself.
_TOKEN = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/|\"(?P<quoted>(?:[^\"]|\"\")*)\""
                    r"|(?P<bare>[^\W\d][\w$]*)|.", re.DOTALL)


def find_identifier(text: str, name: str, start: int = 0, end: int | None = None
                    ) -> tuple[int, int] | None:
    """The first and last character of the first token of `text[start:end]` naming `name`
    (bare, in any case, or quoted exactly); None when no token does."""
    folded = name.lower()
    for match in _TOKEN.finditer(text, start, len(text) if end is None else end):
        quoted, bare = match["quoted"], match["bare"]
        if (quoted is not None and quoted.replace('""', '"') == name) or (
                bare is not None and bare.lower() == folded):
            return match.start(), match.end() - 1
    return None


class LazySpan(Span):
    """A span whose position is worked out when it is first read.

    The end of a clause costs a scan of its statement's tokens; a frontend gives every
    clause a span, and only the few that a finding points at are ever read, so the scan is
    done then, once per statement. It reads, compares and hashes like the span it stands
    for; findings hold the resolved span.
    """

    # `(make, *args)` until it is read, then the span `make(*args)` gave: one slot, set once
    # when made (`lazy_span`) and once when read. A frontend makes one per clause, tens of
    # thousands per history, and few are ever read: making one is what costs.
    __slots__ = ("_how",)
    _how: tuple[Any, ...] | Span

    def __init__(self, make: Callable[..., Span], args: tuple[Any, ...] = ()) -> None:
        # `make(*args)`, not a closure: each object more is one more for the garbage
        # collector to walk while the parse trees are alive.
        object.__setattr__(self, "_how", (make, *args))

    def resolved(self) -> Span:
        how = self._how
        if type(how) is tuple:
            how = how[0](*how[1:]).resolved()
            set_how(self, how)
        return how  # type: ignore[return-value]

    @property
    def path(self) -> str:
        return self.resolved().path

    @property
    def line(self) -> int:
        return self.resolved().line

    @property
    def column(self) -> int:
        return self.resolved().column

    @property
    def end_line(self) -> int:
        return self.resolved().end_line

    @property
    def end_column(self) -> int:
        return self.resolved().end_column

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self.resolved() == other.resolved()

    def __hash__(self) -> int:
        return hash(self.resolved())

    def __repr__(self) -> str:
        return repr(self.resolved())

    def __reduce__(self) -> tuple[type[Span], tuple[str, int, int, int, int]]:
        # Pickled (the parse cache) as the plain span it stands for: the closure that would
        # work it out holds the whole statement and cannot be pickled.
        s = self.resolved()
        return Span, (s.path, s.line, s.column, s.end_line, s.end_column)


pickle_by_fields(globals())

# `LazySpan(make, args)` without its `__init__`: ``s = new_lazy(LazySpan); set_how(s, (make,
# *args))``, two calls into C, for a frontend that makes tens of thousands of them.
new_lazy = object.__new__
set_how = LazySpan.__dict__["_how"].__set__  # the slot's own setter
