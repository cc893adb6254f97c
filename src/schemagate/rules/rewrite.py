"""The text a fix rewrites: a statement's own tokens, where they stand in its file.

Rules judge operations, never text; but a fix must say which characters change, so the
rules that offer one build it here, from the statement's text (`ParsedStatement.sql`) and the
span of its first character. A fix is offered only where that text is the file's, character
for character: the statement's text, walked from where its span starts, must end exactly
where its span ends. A SQL file passes; an SQL string inside a Python call usually does not
(its quotes, escapes and concatenations stand between), and then no fix is offered rather
than a wrong one.

Tokens come from PostgreSQL's own scanner (pglast), so that a keyword inside a comment or a
string literal is never taken for one. Names that go into new statements are copied as the
statement wrote them (so `Orders` stays unquoted or quoted as it was), or else go through
`model.names.quote_ident`.

Whether a statement can run outside a transaction once it says CONCURRENTLY is also decided
here, from the transaction model the layout gave its script (`parse.transactions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from schemagate.model import ops as o
from schemagate.model.fixes import Edit
from schemagate.model.migration import ParsedScript, ParsedStatement
from schemagate.model.names import default_name, quote_ident
from schemagate.model.span import Span
from schemagate.parse.transactions import flyway_runs_outside, transaction_blocks
from schemagate.rules.context import RuleContext

_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_DOT = "ASCII_46"


class Token(NamedTuple):
    """One token of the statement: character offsets into its text, end exclusive.

    A named tuple, immutable like a frozen dataclass: a statement's tokens are made by the
    hundred and a frozen dataclass's `__init__` cost three times as much to make.
    """

    start: int
    end: int
    name: str  # the scanner's name: a keyword in capitals, IDENT, ASCII_40 for "("…
    text: str


@dataclass
class StatementText:
    """A statement's text where it stands: `line`/`column` are its first character's."""

    sql: str
    path: str
    line: int
    column: int
    _tokens: list[Token] | None = field(default=None, repr=False)
    # Where each line of the text starts (made when first asked: `offset`).
    _lines: list[int] | None = field(default=None, repr=False)

    @property
    def tokens(self) -> list[Token]:
        """The statement's tokens, comments left out."""
        if self._tokens is None:
            from schemagate.parse.postgres.libpg import pg
            from schemagate.parse.postgres.tokens import scan

            scanned: tuple[Any, ...]
            try:
                scanned = scan(self.sql)
            except pg.ParseError:  # the scanner refuses it (`""`): no token, so no fix
                scanned = ()
            self._tokens = [Token(t.start, t.end + 1, t.name, self.sql[t.start:t.end + 1])
                            for t in scanned if t.name not in _COMMENTS]
        return self._tokens

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and character column of a character offset into the text."""
        newlines = self.sql.count("\n", 0, offset)
        if newlines == 0:
            return self.line, self.column + offset
        return self.line + newlines, offset - self.sql.rfind("\n", 0, offset)

    def offset(self, line: int, column: int) -> int | None:
        """The character offset of a position in the file, if it falls inside the text."""
        at = 0
        if line > self.line:
            # Where lines start, found once: a CREATE TABLE asks for a fix on each of its
            # columns, and walking the text from its start each time grew with its length.
            if self._lines is None:
                self._lines = [0]
                found = self.sql.find("\n")
                while found >= 0:
                    self._lines.append(found + 1)
                    found = self.sql.find("\n", found + 1)
            if line - self.line >= len(self._lines):
                return None
            at = self._lines[line - self.line]
        at += column - (self.column if line == self.line else 1)
        return at if 0 <= at <= len(self.sql) else None

    def replace(self, start: int, end: int, content: str) -> Edit:
        """An edit replacing the text's characters [start, end) with `content`."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Edit(self.path, line, column, end_line, end_column, content)

    def insert(self, at: int, content: str) -> Edit:
        return self.replace(at, at, content)

    def inserts(self, *at: tuple[int, str]) -> tuple[Edit, ...]:
        """Insertions, in order; two at the same point become one, in the order given."""
        merged: dict[int, str] = {}
        for offset, content in at:
            merged[offset] = merged.get(offset, "") + content
        return tuple(self.insert(offset, content) for offset, content in sorted(merged.items()))

    def append(self, content: str) -> Edit:
        """An edit inserting `content` right after the statement's last character (before
        its semicolon, if it has one)."""
        return self.insert(len(self.sql), content)

    def find(self, name: str, start: int = 0) -> int | None:
        """The index of the first token named `name` from token `start` on."""
        for i in range(start, len(self.tokens)):
            if self.tokens[i].name == name:
                return i
        return None

    def between(self, first: int, last: int) -> str:
        """The text from token `first` to token `last`, both included, as written."""
        return self.sql[self.tokens[first].start:self.tokens[last].end]

    def name_at(self, i: int) -> tuple[str, int] | None:
        """The (possibly qualified) name that starts at token `i`, as written, and the index
        of its last token."""
        if i >= len(self.tokens) or self.tokens[i].name.startswith("ASCII_"):
            return None
        last = i
        while (last + 2 < len(self.tokens) and self.tokens[last + 1].name == _DOT
               and not self.tokens[last + 2].name.startswith("ASCII_")):
            last += 2
        return self.between(i, last), last

    def altered_table(self) -> tuple[str, str, int] | None:
        """`ALTER TABLE [IF EXISTS] name`: that head as written, the name alone, and the
        index of the name's last token; None for `ONLY` (the fix would have to say whether
        its new statements reach the children)."""
        toks = self.tokens
        if len(toks) < 3 or toks[0].name != "ALTER" or toks[1].name != "TABLE":
            return None
        i = 2
        if toks[i].name == "IF_P" and i + 1 < len(toks) and toks[i + 1].name == "EXISTS":
            i += 2
        if i < len(toks) and toks[i].name == "ONLY":
            return None
        found = self.name_at(i)
        if found is None:
            return None
        return self.sql[:toks[found[1]].end], found[0], found[1]

    def span_offsets(self, span: Span) -> tuple[int, int] | None:
        """The character offsets [start, end) of a span inside the statement."""
        start = self.offset(span.line, span.column)
        end = self.offset(span.end_line, span.end_column)
        if start is None or end is None or span.path != self.path:
            return None
        return start, end + 1


def statement_text(ctx: RuleContext, st: ParsedStatement | None = None
                   ) -> StatementText | None:
    """The statement at hand (or `st`) as it stands in its file, or None when its text is
    not the file's character for character.

    Made once per statement and kept for the migration: several rules offer fixes on one
    statement (a type fix for each column of a CREATE TABLE), and each would otherwise scan
    its tokens again. Its tokens are scanned when first read (a `SET lock_timeout` put
    before a statement needs none of them).
    """
    st = st or ctx.statement
    key = (statement_text, id(st))
    facts = ctx.state.script_facts
    if key in facts:
        return cast(StatementText | None, facts[key])
    text = facts[key] = _statement_text(st)
    return text


def _statement_text(st: ParsedStatement) -> StatementText | None:
    if not st.ops or not st.sql:
        return None
    span = st.ops[0].span.resolved()
    if not span.path.endswith(".sql"):
        return None  # SQL inside a Python string: its escapes make the text not the file's
    text = StatementText(st.sql, span.path, span.line, span.column)
    if text.position(len(st.sql) - 1) != (span.end_line, span.end_column):
        return None
    return text


def indent(text: StatementText) -> str:
    """What puts a new line at the statement's column (statements are indented with blanks
    in every history read so far)."""
    return " " * (text.column - 1)


def runs_outside_transaction(ctx: RuleContext, changed: o.Operation) -> bool:
    """Whether the statement at hand would run outside any transaction with `changed` in
    place of its operation (a `CREATE INDEX` become `CONCURRENTLY`).

    Only Flyway decides the transaction from the statements ("detected"): there the whole
    migration must then hold only statements Flyway runs outside one, or Flyway refuses it.
    Every other layout wraps by file and count, which the change leaves as they are.
    """
    script, st = ctx.script, ctx.statement
    if declared_mode(ctx) != "detected":
        return st.block is None
    # The other statements must run outside already: counted once per script, so that a
    # migration of many index statements is not rescanned for each.
    inside = ctx.per_script(_flyway_inside)
    own = tuple(changed if type(x) is type(changed) else x for x in st.ops)
    if inside - (0 if not st.ops or flyway_runs_outside(st.ops) else 1) > 0:
        return False
    if not flyway_runs_outside(own):
        return False
    # By index: a long script's statements are parsed again when read (`StatementStream`),
    # so the statement at hand may not be the very object read here.
    statements = [own if s.index == st.index else s.ops for s in script.statements]
    return transaction_blocks(statements, "detected")[st.index] is None


def _flyway_inside(script: ParsedScript) -> int:
    """How many statements of the script Flyway would run inside a transaction."""
    return sum(1 for s in script.statements if s.ops and not flyway_runs_outside(s.ops))


def declared_mode(ctx: RuleContext) -> str:
    """How the layout said the script at hand runs, before the parser resolved Flyway's
    "detected" from its statements (the parsed script carries the resolved mode)."""
    source = ctx.migration.source
    declared = source.up if ctx.direction == "up" else source.down
    if declared is not None and declared.path == ctx.script.script.path:
        return declared.transaction
    return ctx.script.script.transaction


@dataclass(frozen=True, slots=True)
class NotNullCheck:
    """Where `ALTER TABLE … ALTER COLUMN c SET NOT NULL` can become a validated CHECK: the
    statement as written, its `ALTER TABLE name` and column as written, the token index of
    its `SET`, and a name the table has no constraint by, ready for new SQL."""

    text: StatementText
    written: str
    column: str
    set_at: int
    check: str


def not_null_check(ctx: RuleContext, op: o.SetNotNull,
                   st: ParsedStatement | None = None) -> NotNullCheck | None:
    """The parts of the CHECK-based SET NOT NULL for the statement at hand (or `st`); None
    before PostgreSQL 12 (whose SET NOT NULL does not use the check) or where the text does
    not show them."""
    if ctx.settings.pg_version < 12:
        return None
    text = statement_text(ctx, st)
    head = text.altered_table() if text is not None else None
    if text is None or head is None:
        return None
    written, _, last = head
    at = text.find("SET", last + 1)
    if at is None or at < 1:
        return None
    # Named as PostgreSQL names what it names itself, cut to 63 bytes the same way.
    name = default_name(op.table.name, op.column, "not_null")
    table = ctx.table(op.table)
    if table is not None and any(c.name == name for c in table.constraints):
        return None
    return NotNullCheck(text, written, text.tokens[at - 1].text, at, ident(name))


def adds_statements(ctx: RuleContext) -> bool:
    """Whether statements added before or after the one at hand each run on their own, as
    the statement does: a script sent statement by statement, outside any BEGIN. A tool that
    sends a file as one query (golang-migrate) or wraps it (dbmate, Flyway) would run them
    in one transaction, where a VALIDATE keeps the lock the ADD took."""
    return ctx.script.script.transaction == "autocommit" and ctx.statement.block is None


def alone_in_statement(ctx: RuleContext) -> bool:
    """Whether the operation at hand is the statement's only one (an ALTER TABLE with
    one action), so that a fix may move or split the statement whole."""
    return len(ctx.statement.ops) == 1


def ident(name: str) -> str:
    """A name for new SQL: bare when PostgreSQL reads it back unchanged, else quoted."""
    plain = name.isidentifier() and name == name.lower() and name.isascii()
    return name if plain and not _reserved(name) else quote_ident(name)


def _reserved(name: str) -> bool:
    from pglast import parser as pg

    scanned = pg.scan(name)
    return len(scanned) != 1 or scanned[0].name != "IDENT"
