"""The MySQL/MariaDB and SQLite frontend: a script's text to statements and operations, via sqlglot.

sqlglot parses one statement at a time and keeps few positions, so statements are found
here: the dialect's tokenizer gives each token's character offset, and statements end at
top-level semicolons (or at the delimiter a MySQL `DELIMITER` line sets). Every operation
carries the span of its statement, and the tokens give the spans of ``ALTER TABLE`` actions
and ``CREATE TABLE`` columns and constraints (`parse.sqlglot.locate`). Unlike PostgreSQL's
own grammar, sqlglot is not the server's parser: a statement it cannot read is kept as
`RawSQL` that says so (an info finding), never reported as a syntax error the server might
not raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from schemagate.model import ops as o
from schemagate.model.migration import ParsedScript, ParsedStatement, Script
from schemagate.model.names import NO_SCHEMA, QName
from schemagate.model.span import Span
from schemagate.parse.sections import blank_outside
from schemagate.parse.source import SourceText
from schemagate.parse.sqlglot.locate import Locator
from schemagate.parse.sqlglot.ops import to_ops
from schemagate.parse.suppressions import of_part
from schemagate.parse.transactions import transaction_blocks

_DELIMITER = re.compile(r"^[ \t]*DELIMITER[ \t]+(\S+)[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Piece:
    """One statement's text: [start, end) character offsets in the script."""

    start: int
    end: int


def parse_dialect_script(source: SourceText, script: Script, dialect: str) -> ParsedScript:
    """Parse one MySQL or SQLite script into statements and operations."""
    result = ParsedScript(script)
    text = source.text
    if script.section is not None:
        text = blank_outside(text, script.section, script.part)
    statements: list[tuple[tuple[o.Operation, ...], str]] = []
    for piece in split_statements(text, dialect):
        sql = text[piece.start:piece.end]
        span = _span(source, piece)
        read, kind = _index_kind(_without_online_options(sql)) if dialect == "mysql" \
            else (sql, None)
        locate = Locator(source, read, piece.start, dialect)
        ops = to_ops(read, span, len(statements), dialect, locate)
        if kind is not None:
            ops = tuple(replace(op, method=kind) if isinstance(op, o.CreateIndex) else op
                        for op in ops)
        statements.append((ops, sql))
    blocks = transaction_blocks([ops for ops, _ in statements], script.transaction)
    result.statements = [
        ParsedStatement(i, sql, ops, block is not None, block)
        for i, ((ops, sql), block) in enumerate(zip(statements, blocks, strict=True))
    ]
    result.empty = not result.statements
    result.suppressions, result.file_suppressions = of_part(
        text, source.text, source.path, script.section, script.part)
    return result


# MySQL's online DDL clauses (`ALTER TABLE … , ALGORITHM=INPLACE, LOCK=NONE`, `CREATE INDEX
# … LOCK = NONE`): they ask the server for a way to run the statement (and make it fail
# rather than take more), and change nothing it does; sqlglot cannot read most of them.
_ONLINE_OPTION = re.compile(
    r",?\s*\b(?:ALGORITHM|LOCK)\s*=?\s*(?:DEFAULT|INPLACE|COPY|INSTANT|NOCOPY|NONE|SHARED|"
    r"EXCLUSIVE)\b", re.IGNORECASE)


def _without_online_options(sql: str) -> str:
    """The statement with its online DDL clauses blanked out, every other character where
    it was (the clauses' spans are read from this text)."""
    return _ONLINE_OPTION.sub(lambda m: " " * len(m.group(0)), sql)


# MySQL's `CREATE FULLTEXT INDEX` and `CREATE SPATIAL INDEX`, which sqlglot cannot read.
_INDEX_KIND = re.compile(r"^(\s*CREATE\s+)(FULLTEXT|SPATIAL)(\s+INDEX\b)", re.IGNORECASE)


def _index_kind(sql: str) -> tuple[str, str | None]:
    """A `CREATE FULLTEXT|SPATIAL INDEX` with its kind blanked out (every other character
    where it was), read as the index it is, and the kind (`fulltext`, `spatial`); the
    statement as it is, and None, otherwise."""
    found = _INDEX_KIND.match(sql)
    if found is None:
        return sql, None
    return (sql[:found.start(2)] + " " * len(found.group(2)) + sql[found.end(2):],
            found.group(2).lower())


def _span(source: SourceText, piece: Piece) -> Span:
    start = len(source.text[:piece.start].encode("utf-8")) if not source._ascii else piece.start
    end = start + len(source.text[piece.start:piece.end].encode("utf-8"))
    return source.span(start, end)


def split_statements(text: str, dialect: str) -> list[Piece]:
    """Statements by the dialect's tokenizer, honouring MySQL's `DELIMITER` lines."""
    out: list[Piece] = []
    for start, end, delimiter in _regions(text):
        if delimiter == ";":
            out.extend(_by_tokens(text, start, end, dialect))
        else:
            out.extend(_by_delimiter(text, start, end, delimiter))
    return out


def _regions(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, delimiter) stretches of the text between `DELIMITER` lines."""
    delimiter, start = ";", 0
    for match in _DELIMITER.finditer(text):
        yield start, match.start(), delimiter
        delimiter, start = match.group(1), match.end()
    yield start, len(text), delimiter


def _by_tokens(text: str, start: int, end: int, dialect: str) -> list[Piece]:
    import sqlglot
    from sqlglot.errors import TokenError
    from sqlglot.tokenizer_core import TokenType

    chunk = text[start:end]
    if not chunk.strip():
        return []
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(chunk)
    except TokenError:  # an unterminated string or comment: the rest is one statement
        return [Piece(start + len(chunk) - len(chunk.lstrip()), start + len(chunk.rstrip()))]
    out: list[Piece] = []
    first: int | None = None
    last = 0
    depth = 0  # BEGIN … END nesting inside a stored routine or trigger body
    routine = False
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.SEMICOLON and depth == 0:
            if first is not None:
                out.append(Piece(start + first, start + last + 1))
            first, routine = None, False
            continue
        if first is None:
            first = token.start
            routine = _opens_routine(tokens, i)
        if routine:
            depth = _nesting(tokens, i, depth)
        last = token.end
    if first is not None:
        out.append(Piece(start + first, start + last + 1))
    return out


_ROUTINE_KINDS = frozenset({"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"})
_BLOCK_ENDS = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})


def _opens_routine(tokens: list[Any], i: int) -> bool:
    """`CREATE [OR REPLACE] [DEFINER = x] [TEMP] PROCEDURE|FUNCTION|TRIGGER|EVENT`: a body
    whose statements end in semicolons of their own (MySQL without DELIMITER, SQLite)."""
    if tokens[i].text.upper() != "CREATE":
        return False
    return any(t.text.upper() in _ROUTINE_KINDS for t in tokens[i + 1:i + 9])


def _nesting(tokens: list[Any], i: int, depth: int) -> int:
    """BEGIN and CASE open a block that END closes; END IF / END LOOP / END WHILE /
    END REPEAT close blocks that opened without either, so they change nothing."""
    word = tokens[i].text.upper()
    if word in ("BEGIN", "CASE"):
        return depth + 1
    if word == "END":
        following = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        if following not in _BLOCK_ENDS:
            return max(depth - 1, 0)
    return depth


def _by_delimiter(text: str, start: int, end: int, delimiter: str) -> list[Piece]:
    """Statements ended by a custom delimiter (stored routines), quotes left alone."""
    out: list[Piece] = []
    cursor = start
    for index in _delimiter_positions(text, start, end, delimiter):
        out.extend(_trimmed(text, cursor, index))
        cursor = index + len(delimiter)
    out.extend(_trimmed(text, cursor, end))
    return out


def _delimiter_positions(text: str, start: int, end: int, delimiter: str) -> Iterator[int]:
    quote: str | None = None
    i = start
    while i < end:
        ch = text[i]
        if quote is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif text.startswith(delimiter, i):
            yield i
            i += len(delimiter)
            continue
        i += 1


def _trimmed(text: str, start: int, end: int) -> list[Piece]:
    piece = text[start:end]
    if not piece.strip():
        return []
    lead = len(piece) - len(piece.lstrip())
    return [Piece(start + lead, start + len(piece.rstrip()))]


def qname_of(table: object) -> QName:
    """A sqlglot Table node's name; its `db` part is the schema (MySQL: the database)."""
    from sqlglot import exp

    assert isinstance(table, exp.Table)
    return QName(table.db or NO_SCHEMA, table.name)
