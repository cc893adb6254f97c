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
from dataclasses import dataclass, field

from pglast import parser as pg

from schemagate.model.span import Span
from schemagate.parse.source import SourceText

_OPEN, _CLOSE, _COMMA, _DOT, _SEMICOLON = "ASCII_40", "ASCII_41", "ASCII_44", "ASCII_46", "ASCII_59"


@dataclass
class Token:
    start: int  # byte offset in the statement
    end: int  # byte offset just after the token
    name: str


@dataclass
class Locator:
    """Spans of the parts of one statement, in the file it was read from.

    `start` is the byte offset of the statement in the file; `origin` the byte offset that the
    parser's node locations count from (the start of the text handed to the parser).
    """

    source: SourceText
    sql: str
    start: int
    origin: int = 0
    _tokens: list[Token] | None = field(default=None, repr=False)

    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = self._scan()
        return self._tokens

    def _scan(self) -> list[Token]:
        sql = self.sql
        scanned = pg.scan(sql)
        if sql.isascii():
            return [Token(t.start, t.end + 1, t.name) for t in scanned]
        at = [0]  # character offset -> byte offset
        for ch in sql:
            at.append(at[-1] + len(ch.encode("utf-8")))
        return [Token(at[t.start], at[t.end + 1], t.name) for t in scanned]

    def offset(self, location: int) -> int:
        """A node's location as a byte offset in the statement."""
        return self.origin + location - self.start

    def span(self, first: Token, last: Token) -> Span:
        return self.source.span(self.start + first.start, self.start + last.end)

    def tokens_span(self, first: int, last: int) -> Span:
        tokens = self.tokens()
        return self.span(tokens[first], tokens[last])

    def index_at(self, offset: int) -> int | None:
        """The index of the token that starts at `offset` (a byte offset in the statement)."""
        tokens = self.tokens()
        i = bisect.bisect_left(tokens, offset, key=lambda t: t.start)
        return i if i < len(tokens) and tokens[i].start == offset else None

    def extent(self, first: int) -> int:
        """The index of the last token of the clause starting at token `first`: the one before
        the comma, closing parenthesis or semicolon that ends it at its own depth."""
        tokens = self.tokens()
        depth, last = 0, first
        for i in range(first, len(tokens)):
            name = tokens[i].name
            if name == _OPEN:
                depth += 1
            elif name == _CLOSE:
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0 and name in (_COMMA, _SEMICOLON):
                break
            last = i
        return last

    def clause(self, location: int) -> Span | None:
        """The span of the clause whose node starts at `location` (a parser location)."""
        first = self.index_at(self.offset(location))
        if first is None:
            return None
        return self.span(self.tokens()[first], self.tokens()[self.extent(first)])

    def until(self, location: int, stop: int | None, skip: int = 0) -> Span | None:
        """From the node at `location` (less its first `skip` tokens) to the last token before
        the one at `stop` (a parser location; None: the end of the clause the node starts)."""
        first = self.index_at(self.offset(location))
        if first is None:
            return None
        tokens = self.tokens()
        last = self.extent(first)
        if stop is not None:
            end = self.offset(stop)
            while last > first and tokens[last].start >= end:
                last -= 1
        if first + skip > last:
            return None
        return self.span(tokens[first + skip], tokens[last])

    def after(self, first: int, last: int, keyword: str) -> Span | None:
        """What follows the first `keyword` token (``DEFAULT``) among tokens first..last."""
        tokens = self.tokens()
        for i in range(first, last):
            if tokens[i].name == keyword:
                return self.span(tokens[i + 1], tokens[last])
        return None

    def actions(self, relation: int, count: int) -> list[tuple[int, int]] | None:
        """The (first, last) token indexes of the comma-separated actions of
        ``ALTER TABLE name action, …``, given the location of the name; None when there are
        not `count` of them."""
        tokens = self.tokens()
        i = self.index_at(self.offset(relation))
        if i is None:
            return None
        i += 1
        while i + 1 < len(tokens) and tokens[i].name == _DOT:  # schema.name
            i += 2
        out = []
        while i < len(tokens) and tokens[i].name != _SEMICOLON:
            last = self.extent(i)
            out.append((i, last))
            i = last + 2  # past the comma
        return out if len(out) == count else None

    def names(self, count: int) -> list[Span] | None:
        """The spans of the `count` comma-separated object names of ``DROP kind [IF EXISTS]
        a, b, … [CASCADE]``, for two or more; None when they cannot be told apart (names
        with arguments)."""
        if count < 2:
            return None
        tokens = self.tokens()
        pieces, first, depth = [], 0, 0
        for i, token in enumerate(tokens):
            if token.name == _OPEN:
                depth += 1
            elif token.name == _CLOSE:
                depth -= 1
            elif depth == 0 and token.name in (_COMMA, _SEMICOLON):
                pieces.append((first, i - 1))
                first = i + 1
                if token.name == _SEMICOLON:
                    break
        else:
            pieces.append((first, len(tokens) - 1))
        if len(pieces) != count or depth != 0 or any(t.name in (_OPEN, _CLOSE) for t in tokens):
            return None
        out = []
        for n, (a, b) in enumerate(pieces):
            if n == 0:  # the name ends the first piece: walk back over `schema.name`
                start = b
                while start - 2 >= a and tokens[start - 1].name == _DOT:
                    start -= 2
                out.append(self.tokens_span(start, b))
            else:  # the name starts every other piece (the last may go on: CASCADE)
                end = a
                while end + 2 <= b and tokens[end + 1].name == _DOT:
                    end += 2
                out.append(self.tokens_span(a, end))
        return out
