"""Where the clauses of one MySQL or SQLite statement stand, from the dialect's tokens.

sqlglot's trees keep no positions for the parts the rules point at (an ``ALTER TABLE``
action, a column definition), but its tokenizer gives every token's character offsets. The
parts are found by their commas: an ``ALTER TABLE``'s actions are the comma-separated pieces
after the table name, a ``CREATE TABLE``'s columns and constraints those inside its first
parentheses. When the pieces do not match the tree one for one, no clause is given and
findings point at the statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemagate.model.span import Span
from schemagate.parse.source import SourceText


@dataclass
class Locator:
    """Spans of the parts of one statement; `start` is its character offset in the file."""

    source: SourceText
    sql: str
    start: int
    dialect: str
    _tokens: list[Any] | None = field(default=None, repr=False)

    def tokens(self) -> list[Any]:
        if self._tokens is None:
            from sqlglot.dialects.dialect import Dialect
            from sqlglot.errors import TokenError

            try:
                self._tokens = Dialect.get_or_raise(self.dialect).tokenize(self.sql)
            except TokenError:
                self._tokens = []
        return self._tokens

    def span(self, first: int, last: int) -> Span:
        """The span of tokens first..last."""
        tokens = self.tokens()
        text = self.source.text
        a, b = self.start + tokens[first].start, self.start + tokens[last].end + 1
        if not self.source.text.isascii():
            a, b = len(text[:a].encode("utf-8")), len(text[:b].encode("utf-8"))
        return self.source.span(a, b)

    def _pieces(self, first: int, depth0: int) -> list[tuple[int, int]]:
        """Comma-separated pieces from token `first` at parenthesis depth `depth0`, up to the
        parenthesis that closes that depth, a semicolon, or the end."""
        from sqlglot.tokenizer_core import TokenType

        tokens = self.tokens()
        out, start, depth = [], first, depth0
        for i in range(first, len(tokens)):
            kind = tokens[i].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
                if depth < depth0:
                    break
            elif depth == depth0 and kind in (TokenType.COMMA, TokenType.SEMICOLON):
                if i > start:
                    out.append((start, i - 1))
                start = i + 1
                if kind == TokenType.SEMICOLON:
                    return out
                continue
            continue
        else:
            i = len(tokens)
        if i > start:
            out.append((start, i - 1))
        return out

    def _after_table_name(self) -> int | None:
        from sqlglot.tokenizer_core import TokenType

        tokens = self.tokens()
        at = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.TABLE), None)
        if at is None:
            return None
        i = at + 1
        while i < len(tokens) and tokens[i].text.upper() in ("IF", "NOT", "EXISTS", "ONLY"):
            i += 1
        i += 1  # the name
        while i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
            i += 2
        return i

    def actions(self, count: int) -> list[Span] | None:
        """The spans of the `count` actions of ``ALTER TABLE name action, …``."""
        first = self._after_table_name()
        if first is None:
            return None
        pieces = self._pieces(first, 0)
        return [self.span(a, b) for a, b in pieces] if len(pieces) == count else None

    def elements(self, count: int) -> list[Span] | None:
        """The spans of the `count` columns and constraints of ``CREATE TABLE name (…)``."""
        from sqlglot.tokenizer_core import TokenType

        first = self._after_table_name()
        tokens = self.tokens()
        if first is None or first >= len(tokens) or tokens[first].token_type != TokenType.L_PAREN:
            return None
        pieces = self._pieces(first + 1, 1)
        return [self.span(a, b) for a, b in pieces] if len(pieces) == count else None
