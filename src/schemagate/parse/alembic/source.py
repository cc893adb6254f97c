"""Where libcst nodes stand in a Python file, and what a string literal says, char by char.

libcst's `PositionProvider` computes a position for every node of the module: on a history
of 500 revisions that alone costs over two seconds. We need positions for a handful of node
kinds (calls, strings, assignments, function definitions), so one code-generation pass
records character offsets for those only, about six times cheaper. Should the libcst
internals it relies on change, the public provider is used instead.

String literals are decoded here with the source offset of every character they produce,
so that SQL inside a triple-quoted `op.execute(...)` string maps back to its line and column;
`textwrap.dedent` keeps the offsets of the characters it keeps.
"""

from __future__ import annotations

import ast
import bisect
import re
import textwrap
from dataclasses import dataclass

import libcst as cst

from schemagate.model.span import Span

# The node kinds whose offsets the frontend asks for.
_TRACKED: tuple[type[cst.CSTNode], ...] = (
    cst.Call, cst.SimpleString, cst.FormattedString, cst.FunctionDef, cst.Assign,
    cst.AnnAssign, cst.With, cst.Raise,
)

Offsets = dict[cst.CSTNode, tuple[int, int]]  # node → [start, end) character offsets


def node_offsets(module: cst.Module) -> Offsets:
    """[start, end) character offsets in the module's code of the tracked node kinds."""
    try:
        return _lean_offsets(module)
    except (ImportError, AttributeError, TypeError):  # libcst internals moved: go public
        return _provider_offsets(module)


def _lean_offsets(module: cst.Module) -> Offsets:
    from libcst._nodes.internal import CodegenState

    # Exact types: isinstance() against libcst's abstract classes costs more than the
    # whole code generation.
    tracked = frozenset(_TRACKED)

    class _State(CodegenState):
        """Code generation that only counts characters and notes tracked nodes."""

        def __init__(self) -> None:
            super().__init__(default_indent=module.default_indent,
                             default_newline=module.default_newline)
            self.offset = 0
            self.found: Offsets = {}
            self.stack: list[int] = []

        def add_indent_tokens(self) -> None:
            for token in self.indent_tokens:
                self.offset += len(token)

        def add_token(self, value: str) -> None:
            self.offset += len(value)

        def before_codegen(self, node: cst.CSTNode) -> None:
            if type(node) in tracked:
                self.stack.append(self.offset)

        def after_codegen(self, node: cst.CSTNode) -> None:
            if type(node) in tracked:
                self.found[node] = (self.stack.pop(), self.offset)

    state = _State()
    module._codegen(state)
    return state.found


def _provider_offsets(module: cst.Module) -> Offsets:
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    lines = LineIndex(module.code)
    out: Offsets = {}
    for node, where in positions.items():
        if isinstance(node, _TRACKED):
            out[node] = (lines.offset(where.start.line, where.start.column),
                         lines.offset(where.end.line, where.end.column))
    return out


class LineIndex:
    """Character offsets to 1-based lines and columns of one text, and back."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def offset(self, line: int, column0: int) -> int:
        """The offset of a 1-based line and a 0-based column."""
        return self.starts[min(line, len(self.starts)) - 1] + column0

    def span(self, path: str, start: int, end: int) -> Span:
        """The span of [start, end); the end points at the last character."""
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end - 1))
        return Span(path, line, col, end_line, end_col)


@dataclass(frozen=True, slots=True)
class Text:
    """A string value and, when it was written in place, each character's source offset.

    ``offsets`` is None for text that is not where it is used (a constant defined elsewhere,
    text assembled at run time): findings then point at the call that uses it.
    """

    value: str
    offsets: tuple[int, ...] | None = None

    def __add__(self, other: Text) -> Text:
        both = None
        if self.offsets is not None and other.offsets is not None:
            both = self.offsets + other.offsets
        return Text(self.value + other.value, both)

    def moved(self) -> Text:
        return Text(self.value)

    def dedented(self) -> Text:
        """`textwrap.dedent` of the text: lines of only blanks emptied, then the leading
        blanks all other lines share removed; each character kept keeps its offset."""
        value = textwrap.dedent(self.value)
        if self.offsets is None:
            return Text(value)
        originals = self.value.split("\n")
        lines = [_BLANK_LINE.sub("", line) for line in originals]
        margin = _shared_start([line[:len(line) - len(line.lstrip(" \t"))]
                                for line in lines if line])
        kept: list[int] = []
        at = 0
        for line, original in zip(lines, originals, strict=True):
            if line:  # a line of only blanks keeps nothing but its newline
                kept.extend(range(at + len(margin), at + len(line)))
            at += len(original) + 1
            kept.append(at - 1)
        kept.pop()  # the last line has no newline
        if "".join(self.value[k] for k in kept) != value:
            return Text(value)  # the stdlib disagrees: keep its value, point at the call
        return Text(value, tuple(self.offsets[k] for k in kept))


# What textwrap.dedent takes for blanks: spaces and tabs, not other whitespace.
_BLANK_LINE = re.compile(r"^[ \t]+$")


def _shared_start(texts: list[str]) -> str:
    """The longest start all the texts share, character by character."""
    if not texts:
        return ""
    first, last = min(texts), max(texts)  # the two that differ soonest
    end = 0
    while end < len(first) and first[end] == last[end]:
        end += 1
    return first[:end]


_PREFIX = re.compile(r"[A-Za-z]*")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
                   "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}


def decode_literal(token: str, start: int) -> Text | None:
    """The value of one string token (`'…'`, `r"…"`, `\"\"\"…\"\"\"`) at `start`, char by char.

    None for bytes literals, which SQL is never given as here.
    """
    prefix = _PREFIX.match(token)
    assert prefix is not None
    letters = prefix.group(0).lower()
    if "b" in letters:
        return None
    rest = token[len(letters):]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
    body_start = start + len(letters) + len(quote)
    body = rest[len(quote):len(rest) - len(quote)]
    if "r" in letters or "\\" not in body:  # no escapes: the value is the text as written
        return Text(body, tuple(range(body_start, body_start + len(body))))
    value, offsets = _unescape(body, body_start)
    try:  # the decoder must agree with Python; if not, keep the value, drop the offsets
        if value != ast.literal_eval(token):
            return Text(ast.literal_eval(token))
    except (ValueError, SyntaxError):
        return None
    return Text(value, offsets)


def decode_fstring_text(text: str, base: int, raw: bool) -> Text:
    """The literal part of an f-string at `base` (-1: unknown): `{{` is `{`, escapes apply."""
    value, offsets = _unescape(text, max(base, 0), braces=True, raw=raw)
    return Text(value, offsets if base >= 0 else None)


def _unescape(body: str, base: int, braces: bool = False, raw: bool = False
              ) -> tuple[str, tuple[int, ...]]:
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if braces and ch in "{}" and body[i + 1:i + 2] == ch:
            chars.append(ch)
            offsets.append(base + i)
            i += 2
            continue
        if raw or ch != "\\" or i + 1 >= len(body):
            chars.append(ch)
            offsets.append(base + i)
            i += 1
            continue
        nxt = body[i + 1]
        produced, width = _escape(body, i, nxt)
        for c in produced:
            chars.append(c)
            offsets.append(base + i)
        i += width
    return "".join(chars), tuple(offsets)


def _escape(body: str, i: int, nxt: str) -> tuple[str, int]:
    """What the escape at body[i] produces, and how many source characters it takes."""
    if nxt == "\n":
        return "", 2
    if nxt == "\r":
        return "", 3 if body[i + 2:i + 3] == "\n" else 2
    if nxt in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[nxt], 2
    if nxt in _HEX_WIDTH:
        digits = body[i + 2:i + 2 + _HEX_WIDTH[nxt]]
        return chr(int(digits, 16)), 2 + len(digits)
    if nxt == "N" and body[i + 2:i + 3] == "{":
        close = body.index("}", i)
        name = body[i + 3:close]
        import unicodedata

        return unicodedata.lookup(name), close - i + 1
    if nxt in "01234567":
        j = i + 1
        while j < len(body) and j < i + 4 and body[j] in "01234567":
            j += 1
        return chr(int(body[i + 1:j], 8)), j - i
    return "\\" + nxt, 2  # an unknown escape keeps its backslash
