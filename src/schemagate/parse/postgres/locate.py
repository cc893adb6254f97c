"""Where the clauses of one PostgreSQL statement stand: node locations and token ends to spans.

pglast's JSON nodes carry a ``location``, the UTF-8 byte offset where the node starts in the
text that was parsed, but not where it ends, and some nodes (an ``ALTER TABLE`` action) carry
none. The ends come from PostgreSQL's own scanner run over the statement: a clause runs from
its first token to the last one before the comma, closing parenthesis or semicolon that ends
it at its own nesting depth. The scanner is run only for statements that ask for a clause.

pglast's scanner counts characters where its parser counts bytes; both are turned into byte
offsets from the start of the statement here, and `SourceText` turns those into lines and
character columns.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemagate.model.span import LazySpan, Span, new_lazy, set_how
from schemagate.parse.postgres.tokens import scan
from schemagate.parse.source import SourceText

_OPEN, _CLOSE, _COMMA, _DOT, _SEMICOLON = "ASCII_40", "ASCII_41", "ASCII_44", "ASCII_46", "ASCII_59"
_COMMENTS = frozenset(("SQL_COMMENT", "C_COMMENT"))
# The token lists before the scan makes them.
_NONE: tuple[Any, ...] = ()


@dataclass(slots=True)
class Locator:
    """Spans of the parts of one statement, in the file it was read from.

    `start` is the byte offset of the statement in the file; `origin` the byte offset that the
    parser's node locations count from (the start of the text handed to the parser). Tokens
    are kept as three parallel lists (byte start, byte end just after, kind): on a corpus of
    20,000 statements, one object per token cost a third of the scanning time. Every statement
    has one and every clause span holds it, so it is slotted and its lists are made only by
    the scan: objects alive through the parse are what the garbage collector walks.
    """

    source: SourceText
    sql: str
    start: int
    origin: int = 0
    whole: Span | None = None  # the statement: where a clause that cannot be found points
    _starts: Sequence[int] = field(default=_NONE, repr=False)
    _ends: Sequence[int] = field(default=_NONE, repr=False)
    _names: Sequence[str] = field(default=_NONE, repr=False)
    _scanned: bool = False
    _action_cache: list[tuple[int, int]] | None = field(default=None, repr=False)

    def kinds(self) -> Sequence[str]:
        """The kinds of the statement's tokens (``IDENT``, ``ASCII_44`` for a comma…)."""
        if not self._scanned:
            self._scan()
        return self._names

    def _scan(self) -> None:
        sql = self.sql
        scanned = scan(sql)
        self._scanned = True
        self._names = [t.name for t in scanned]
        if sql.isascii():
            self._starts = [t.start for t in scanned]
            self._ends = [t.end + 1 for t in scanned]
            return
        at = [0]  # character offset -> byte offset
        for ch in sql:
            at.append(at[-1] + len(ch.encode("utf-8")))
        self._starts = [at[t.start] for t in scanned]
        self._ends = [at[t.end + 1] for t in scanned]

    def offset(self, location: int) -> int:
        """A node's location as a byte offset in the statement."""
        return self.origin + location - self.start

    def tokens_span(self, first: int, last: int) -> Span:
        """The span of tokens first..last."""
        self.kinds()
        return self.source.span(self.start + self._starts[first], self.start + self._ends[last])

    def index_at(self, offset: int) -> int | None:
        """The index of the token that starts at `offset` (a byte offset in the statement)."""
        self.kinds()
        i = bisect.bisect_left(self._starts, offset)
        return i if i < len(self._starts) and self._starts[i] == offset else None

    def extent(self, first: int) -> int:
        """The index of the last token of the clause starting at token `first`."""
        return _extent(self.kinds(), first)

    def lazy(self, make: Callable[..., Span | None], *args: Any) -> Span:
        """A span worked out when first read, as `make(self, *args)` (the scan is done
        then); the statement's when the clause cannot be found. `make` is a function of this
        class, not a closure: tens of thousands are made and few are ever read."""
        span = new_lazy(LazySpan)
        set_how(span, (_or_whole, self, make, *args))
        return span

    def whole_span(self) -> Span:
        return self.whole or self.source.span(
            self.start, self.start + len(self.sql.encode("utf-8")))

    def clause(self, location: int, bound: int | None = None) -> Span:
        """The span of the clause whose node starts at `location` (a parser location);
        `bound`, the location of the next sibling, if any, limits the scan to the clause."""
        span = new_lazy(LazySpan)  # `self.lazy(…)`, inlined: the most made of all
        set_how(span, (_or_whole, self, Locator._until, location, None, 0, bound))
        return span

    def until(self, location: int, stop: int | None, skip: int = 0,
              bound: int | None = None) -> Span:
        """From the node at `location` (less its first `skip` tokens) to the last token before
        the one at `stop` (a parser location; None: the end of the clause the node starts)."""
        span = new_lazy(LazySpan)
        set_how(span, (_or_whole, self, Locator._until, location, stop, skip, bound))
        return span

    def _until(self, location: int, stop: int | None, skip: int,
               bound: int | None) -> Span | None:
        start = self.offset(location)
        if self._scanned or bound is None:
            first = self.index_at(start)
            starts, ends, kinds = self._starts, self._ends, self._names
        else:  # only the clause's own text: a CREATE TABLE's other columns are never read
            starts, ends, kinds = self._scan_range(start, self.offset(bound))
            first = 0 if starts and starts[0] == start else None
        if first is None:
            return None
        last = _extent(kinds, first)
        if stop is not None:
            end = self.offset(stop)
            while last > first and starts[last] >= end:
                last -= 1
        if first + skip > last:
            return None
        return self.source.span(self.start + starts[first + skip], self.start + ends[last])

    def _scan_range(self, a: int, b: int) -> tuple[list[int], list[int], list[str]]:
        """Tokens of the statement's bytes [a, b), which begin and end on token boundaries."""
        text = self.source.data[self.start + a:self.start + b].decode("utf-8")
        scanned = scan(text)
        kinds = [t.name for t in scanned]
        if text.isascii():
            return [a + t.start for t in scanned], [a + t.end + 1 for t in scanned], kinds
        at = [a]
        for ch in text:
            at.append(at[-1] + len(ch.encode("utf-8")))
        return [at[t.start] for t in scanned], [at[t.end + 1] for t in scanned], kinds

    def action(self, relation: int, count: int, index: int) -> Span:
        """The `index`-th of the `count` actions of ``ALTER TABLE name action, …``, given the
        location of the name."""
        span = new_lazy(LazySpan)
        set_how(span, (_or_whole, self, Locator._action, relation, count, index))
        return span

    def _action(self, relation: int, count: int, index: int) -> Span | None:
        actions = self._actions(relation, count)
        return self.tokens_span(*actions[index]) if actions else None

    def action_after(self, relation: int, count: int, index: int, keyword: str) -> Span:
        """What follows the first `keyword` token (``DEFAULT``) in that action."""
        return self.lazy(Locator._action_after, relation, count, index, keyword)

    def _action_after(self, relation: int, count: int, index: int, keyword: str
                      ) -> Span | None:
        actions = self._actions(relation, count)
        if not actions:
            return None
        first, last = actions[index]
        kinds = self.kinds()
        for i in range(first, last):
            if kinds[i] == keyword:
                return self.tokens_span(i + 1, last)
        return None

    def keyword(self, kind: str, action: tuple[int, int, int] | None = None) -> Span:
        """The last `kind` token (``CASCADE``) of the statement, or of one action of
        ``ALTER TABLE name action, …`` (`action`: as `action` takes it); the action itself
        when the action holds none."""
        return self.lazy(Locator._keyword, kind, action)

    def _keyword(self, kind: str, action: tuple[int, int, int] | None) -> Span | None:
        kinds = self.kinds()
        first, last = 0, len(kinds) - 1
        if action is not None:
            actions = self._actions(action[0], action[1])
            if not actions:
                return None
            first, last = actions[action[2]]
        for i in range(last, first - 1, -1):
            if kinds[i] == kind:
                return self.tokens_span(i, i)
        return self.tokens_span(first, last) if action is not None else None

    def _actions(self, relation: int, count: int) -> list[tuple[int, int]] | None:
        """The (first, last) token indexes of the comma-separated actions of
        ``ALTER TABLE name action, …``, given the location of the name; None when there are
        not `count` of them."""
        if self._action_cache is not None:
            return self._action_cache or None
        self._action_cache = []
        kinds = self.kinds()
        i = self.index_at(self.offset(relation))
        if i is None:
            return None
        i += 1
        while i + 1 < len(kinds) and kinds[i] == _DOT:  # schema.name
            i += 2
        out = []
        while i < len(kinds) and kinds[i] != _SEMICOLON:
            while i < len(kinds) and kinds[i] in _COMMENTS:  # `-- v1.10` above an action
                i += 1
            if i == len(kinds):
                break
            last = self.extent(i)
            out.append((i, last))
            i = last + 1
            while i < len(kinds) and kinds[i] in _COMMENTS:
                i += 1
            if i == len(kinds) or kinds[i] != _COMMA:
                break
            i += 1
        self._action_cache = out if len(out) == count else []
        return self._action_cache or None

    def object_names(self, count: int) -> list[Span] | None:
        """The spans of the `count` comma-separated object names of ``DROP kind [IF EXISTS]
        a, b, … [CASCADE]``, for two or more; None when they cannot be told apart (names
        with arguments)."""
        if count < 2:
            return None
        kinds = self.kinds()
        if _OPEN in kinds or _CLOSE in kinds:
            return None
        pieces, first = [], 0
        for i, kind in enumerate(kinds):
            if kind in (_COMMA, _SEMICOLON):
                pieces.append((first, i - 1))
                first = i + 1
                if kind == _SEMICOLON:
                    break
        else:
            pieces.append((first, len(kinds) - 1))
        if len(pieces) != count:
            return None
        out = []
        for n, (a, b) in enumerate(pieces):
            if n == 0:  # the name ends the first piece: walk back over `schema.name`
                start = b
                while start - 2 >= a and kinds[start - 1] == _DOT:
                    start -= 2
                out.append(self.tokens_span(start, b))
            else:  # the name starts every other piece (the last may go on: CASCADE)
                end = a
                while end + 2 <= b and kinds[end + 1] == _DOT:
                    end += 2
                out.append(self.tokens_span(a, end))
        return out


def _or_whole(locator: Locator, make: Callable[..., Span | None], *args: Any) -> Span:
    return make(locator, *args) or locator.whole_span()


def _extent(kinds: Sequence[str], first: int) -> int:
    """The index of the last token of the clause starting at token `first`: the one before
    the comma, closing parenthesis or semicolon that ends it at its own depth."""
    depth, last = 0, first
    for i in range(first, len(kinds)):
        name = kinds[i]
        if name == _OPEN:
            depth += 1
        elif name == _CLOSE:
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and name in (_COMMA, _SEMICOLON):
            break
        if name not in _COMMENTS:  # a comment before the comma is not the clause's
            last = i
    return last
