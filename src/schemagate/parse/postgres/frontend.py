"""The PostgreSQL frontend: a script's text to statements and operations, through pglast.

pglast wraps libpg_query, PostgreSQL's own parser, so every statement is parsed exactly as
the server would. We ask for its JSON form: building Python node objects costs three times
as long, and the operations are all the later stages look at.
"""

from __future__ import annotations

import bisect
import json
import re
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import pairwise
from typing import Any

from schemagate.model.findings import InputError
from schemagate.model.migration import (
    ParsedScript,
    ParsedStatement,
    Script,
    StatementStream,
    TransactionMode,
)
from schemagate.model.ops import Operation, TransactionControl
from schemagate.model.span import Span, span_within
from schemagate.parse.placeholders import Placeholder, find_placeholders
from schemagate.parse.postgres.dialects import other_dialect_hint
from schemagate.parse.postgres.libpg import pg
from schemagate.parse.postgres.locate import Locator
from schemagate.parse.postgres.ops import to_ops
from schemagate.parse.postgres.tokens import scan
from schemagate.parse.sections import blank_outside_bytes, goose_statement_blocks
from schemagate.parse.source import SourceText
from schemagate.parse.suppressions import of_part
from schemagate.parse.transactions import flyway_runs_outside, resolved_mode, transaction_blocks

# Where an over-long identifier can be: a run of 64 or more bytes that can make up an
# identifier (multi-byte UTF-8 characters are bytes >= 0x80), bare or quoted. A regular
# expression (`[A-Za-z0-9_$\x80-\xff]{64,}`) tries its character class at every byte, an
# eighth of a file's parse: here each byte that can be part of an identifier becomes `a`,
# every other a blank, and a run of 64 `a`s is found as a substring, for a file and for
# each statement alike. The quoted form starts with a literal `"`, which the regex engine
# finds fast on its own.
_WORD_BYTES = bytes(ord("a") if (chr(i).isascii() and (chr(i).isalnum() or chr(i) in "_$"))
                    or i >= 0x80 else ord(" ") for i in range(256))
_LONG_RUN = b"a" * 64
_LONG_QUOTED = re.compile(rb'"[^"]{64,}"')
# The rare quoted name with a doubled quote inside, searched for only where `""` occurs.
_LONG_QUOTED_DOUBLED = re.compile(rb'"(?:[^"]|""){64,}"')
NAMEDATALEN = 64
# Scripts longer than this (in characters) are parsed in pieces of about this size; a piece
# that fails is retried joined with up to _JOIN_PIECES - 1 following pieces.
PIECE_CHARS = 256 * 1024
# Scripts longer than this (in characters) are not held parsed whole: their statements are
# a `StatementStream`, parsed again a piece at a time whenever they are read (a 21 MB script
# held parsed took some 700 MB).
STREAM_CHARS = 1024 * 1024
_JOIN_PIECES = 3
_NEAR_CHARS = 40
# Far above what a real migration needs: only a pathological file reaches it.
PARSE_SECONDS = 300.0
_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
# The `;` after a statement, with the rest of its line when that is blank.
_TAIL = re.compile(rb"[ \t]*;(?:[ \t]*(?:\r?\n|\Z))?")
_PSQL_VARIABLE = re.compile(r"(?m)^\s*\\\w+|:'\w+'|:\"\w+\"")


def parse_script(source: SourceText, script: Script, dialect: str = "postgres",
                 budget: float = PARSE_SECONDS) -> ParsedScript:
    """Parse one script (a file, or a dbmate section of one) into statements.

    `dialect` is always PostgreSQL here; it is taken so that every SQL frontend is called
    alike (`parse.frontend.ScriptFrontend`). A script still being read after ``budget``
    seconds is cut short, with an error.
    """
    result = ParsedScript(script)
    text = source.text
    if script.section is not None:
        text = blank_outside_bytes(source.text, source.data, script.section, script.part)
    deadline = time.monotonic() + budget
    # One search of the whole text first: almost no file has an identifier that long.
    check_long = _may_hold_long_identifier(source.data)
    if len(text) > STREAM_CHARS:
        result.statements, mode = _stream(source, text, script, deadline, result.errors,
                                          check_long)
        if script.transaction == "detected":
            result.script = replace(script, transaction=mode)
        result.empty = not result.statements and not result.errors
        _find_suppressions(result, source, text)
        return result
    try:
        statements = _translate(source, _parse_pieces(text), deadline, result.errors)
    except pg.ParseError as exc:
        statements = _translate(source, _parse_each(source, text, result.errors,
                                                    _error_of(exc)), deadline, result.errors)
    heads = [ops for ops, _, _ in statements]
    blocks = transaction_blocks(heads, script.transaction, _queries(script, text, heads))
    result.statements = [
        _parsed(i, sql, ops, block, tail, check_long)
        for i, ((ops, sql, tail), block) in enumerate(zip(statements, blocks, strict=True))]
    result.empty = not result.statements and not result.errors
    _find_suppressions(result, source, text)
    return result


def _queries(script: Script, text: str, statements: list[tuple[Operation, ...]]
             ) -> list[int | None] | None:
    """Which statements of a section goose runs without a transaction it sends together
    (`transaction_blocks`): those of one `-- +goose StatementBegin` … `StatementEnd` block,
    sent as one Exec."""
    if script.section is None or script.transaction != "autocommit":
        return None
    ranges = goose_statement_blocks(text)
    if not ranges:
        return None
    starts = [ops[0].span.line if ops else 0 for ops in statements]
    return [next((k for k, (first, last) in enumerate(ranges) if first < line < last), None)
            for line in starts]


def _find_suppressions(result: ParsedScript, source: SourceText, text: str) -> None:
    """The suppressions of the script's ``text``, and for a part of a file the file-level
    ones written elsewhere in it (`parse.suppressions.of_part`)."""
    script = result.script
    result.suppressions, result.file_suppressions = of_part(
        text, source.text, source.path, script.section, script.part)


def long_identifiers(sql: str) -> tuple[str, ...]:
    """Identifiers of the statement longer than PostgreSQL keeps (NAMEDATALEN - 1 bytes)."""
    return _long_identifiers(sql)[0]


def _may_hold_long_identifier(data: bytes) -> bool:
    return (_LONG_RUN in data.translate(_WORD_BYTES)
            or (b'"' in data and _LONG_QUOTED.search(data) is not None)
            or (b'""' in data and _LONG_QUOTED_DOUBLED.search(data) is not None))


def _long_identifiers(sql: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """`long_identifiers`, and where each is written (first and last character in `sql`)."""
    if not _may_hold_long_identifier(sql.encode("utf-8")):
        return (), ()
    names, places = [], []
    for token in scan(sql):
        if token.name != "IDENT":
            continue
        name = sql[token.start:token.end + 1]
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        if len(name.encode("utf-8")) >= NAMEDATALEN:
            names.append(name)
            places.append((token.start, token.end))
    return tuple(names), tuple(places)


def _translate(
    source: SourceText, raw: Iterable[tuple[int, int, dict[str, Any], int]], deadline: float,
    errors: list[InputError],
) -> list[tuple[tuple[Operation, ...], str, str]]:
    """Each parsed statement (byte start, byte end, node, byte offset its node locations
    count from) to its operations, its text and its tail (`ParsedStatement.tail`).

    ``raw`` is consumed as it comes, so that only one piece's parse tree is alive at a time.
    Past the deadline the rest is left unread, with an error where it stopped.
    """
    statements: list[tuple[tuple[Operation, ...], str, str]] = []
    for start, end, node, origin in raw:
        sql = source.data[start:end].decode("utf-8", errors="replace").rstrip()
        end = start + len(sql.encode("utf-8"))
        span = source.span(start, end)
        locate = Locator(source, sql, start, origin, span)
        tail = _TAIL.match(source.data, end)
        statements.append((to_ops(node, span, len(statements), sql, locate), sql,
                           tail[0].decode() if tail else ""))
        if len(statements) % 256 == 0 and time.monotonic() > deadline:
            errors.append(_out_of_time(source, span, len(statements)))
            break
    return statements


def _statement(source: SourceText, start: int, end: int, node: dict[str, Any], origin: int,
               index: int) -> tuple[tuple[Operation, ...], str, str, Span]:
    """One parsed statement's operations, text, tail and span, as `_translate` makes them."""
    sql = source.data[start:end].decode("utf-8", errors="replace").rstrip()
    end = start + len(sql.encode("utf-8"))
    span = source.span(start, end)
    locate = Locator(source, sql, start, origin, span)
    tail = _TAIL.match(source.data, end)
    return to_ops(node, span, index, sql, locate), sql, tail[0].decode() if tail else "", span


def _parsed(index: int, sql: str, ops: tuple[Operation, ...], block: int | None, tail: str,
            check_long: bool) -> ParsedStatement:
    """The statement as the rules read it; `check_long`: the file may hold an over-long
    identifier, so the statement is searched for one."""
    names: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    if check_long:
        names, places = _long_identifiers(sql)
        # Every operation's span starts where the statement does.
        spans = tuple(span_within(ops[0].span, sql, first, last)
                      for first, last in places) if ops else ()
    return ParsedStatement(index, sql, ops, block is not None, block, names, spans, tail)


# The operation standing for a statement that neither opens nor closes a transaction and
# that Flyway runs inside one: all `transaction_blocks` and `resolved_mode` read of it.
_PLAIN: tuple[Operation, ...] = ()


def _head(ops: tuple[Operation, ...]) -> tuple[Operation, ...]:
    """What `transaction_blocks` and `resolved_mode` need of a statement, all that a stream
    keeps of it before it is read: whether it opens or closes a transaction, or makes Flyway
    run the script outside one."""
    return ops if ops and (isinstance(ops[0], TransactionControl)
                           or flyway_runs_outside(ops)) else _PLAIN


def _out_of_time(source: SourceText, span: Span, read: int) -> InputError:
    return InputError(
        source.path, f"gave up after the time allowed, at the statement here ({read:,} "
        "read): the file is too large or complex to analyse in time, and the rest of it "
        "is not linted", span.line, span.column)


def _stream(source: SourceText, text: str, script: Script, deadline: float,
            errors: list[InputError], check_long: bool
            ) -> tuple[StatementStream, TransactionMode]:
    """A long script's statements as a `StatementStream`, and the transaction mode it runs
    in. After a syntax error, the script is read statement by statement (`_stream_each`).

    The script is parsed once here, piece by piece as `_parse_pieces` cuts it, keeping of
    each statement only what the others need of it: whether it opens or closes a
    transaction, or makes Flyway run the script outside one. The stream parses a piece
    again, from the same cut, whenever it is read.
    """
    pieces: list[tuple[int, int, int, int]] = []  # char start, char end, byte base, count
    heads: list[tuple[Operation, ...]] = []
    late = False
    try:
        for first, stop, byte_base, parsed in _parsed_pieces(text):
            count = 0
            for start, end, node in parsed:
                ops, _, _, span = _statement(source, byte_base + start, byte_base + end, node,
                                             byte_base, len(heads))
                heads.append(_head(ops))
                count += 1
                if len(heads) % 256 == 0 and time.monotonic() > deadline:
                    errors.append(_out_of_time(source, span, len(heads)))
                    late = True
                    break
            pieces.append((first, stop, byte_base, count))
            del parsed  # before the next piece is parsed
            if late:
                break
    except pg.ParseError as exc:
        return _stream_each(source, text, script, deadline, errors, check_long,
                            _error_of(exc))
    blocks = transaction_blocks(heads, script.transaction)
    mode = resolved_mode(heads, script.transaction)
    del heads
    firsts = [0]
    for *_, count in pieces:
        firsts.append(firsts[-1] + count)

    def load(k: int) -> list[ParsedStatement]:
        first, stop, byte_base, count = pieces[k]
        out = []
        index = firsts[k]
        for start, end, node in _parse_all(text[first:stop])[:count]:
            ops, sql, tail, _ = _statement(source, byte_base + start, byte_base + end, node,
                                           byte_base, index)
            out.append(_parsed(index, sql, ops, blocks[index], tail, check_long))
            index += 1
        return out

    return StatementStream(load, [count for *_, count in pieces]), mode


# The statements of a long script with a syntax error are handed out this many at a time.
_EACH_CHUNK = 2048


def _stream_each(source: SourceText, text: str, script: Script, deadline: float,
                 errors: list[InputError], check_long: bool, first: tuple[str, int | None]
                 ) -> tuple[StatementStream, TransactionMode]:
    """`_stream` of a long script with a syntax error: read statement by statement as
    `_parse_each` reads any script after an error (each bad statement an error, the rest
    kept), keeping of each good one only where it is in the file; a statement is parsed
    again, alone, whenever the stream is read. A 21 MB script with one bad statement held
    77 bytes per byte of it, whole."""
    bounds = array("q")  # each statement's first and end byte
    heads: list[tuple[Operation, ...]] = []
    for start, end, node, origin in _parse_each(source, text, errors, first):
        ops, _, _, span = _statement(source, start, end, node, origin, len(heads))
        heads.append(_head(ops))
        bounds.extend((start, end))
        if len(heads) % 256 == 0 and time.monotonic() > deadline:
            errors.append(_out_of_time(source, span, len(heads)))
            break
    blocks = transaction_blocks(heads, script.transaction)
    mode = resolved_mode(heads, script.transaction)
    total = len(heads)
    del heads

    def load(k: int) -> list[ParsedStatement]:
        out = []
        for index in range(k * _EACH_CHUNK, min((k + 1) * _EACH_CHUNK, total)):
            start, end = bounds[2 * index], bounds[2 * index + 1]
            [(_, _, node)] = _parse_all(source.data[start:end].decode("utf-8", "replace"))
            ops, sql, tail, _ = _statement(source, start, end, node, start, index)
            out.append(_parsed(index, sql, ops, blocks[index], tail, check_long))
        return out

    counts = [min(_EACH_CHUNK, total - i) for i in range(0, total, _EACH_CHUNK)]
    return StatementStream(load, counts), mode


def _parse_all(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    tree = json.loads(pg.parse_sql_json(text))
    out = []
    size = len(text.encode("utf-8")) if not text.isascii() else len(text)
    for item in tree.get("stmts", ()):
        if "stmt" not in item:
            continue
        start = item.get("stmt_location", 0)
        length = item.get("stmt_len", 0) or size - start
        out.append((start, start + length, item["stmt"]))
    return out


def _parse_pieces(text: str) -> Iterator[tuple[int, int, dict[str, Any], int]]:
    """The statements of a script, parsed a piece of about PIECE_CHARS at a time.

    pglast's JSON of a whole script, once decoded, takes some 40 times the script's size
    (a 5 MB script: 200 MB of dicts), so a large script is cut between statements, where
    the scanner sees a top-level `;`, and each piece is parsed on its own. A piece parses
    exactly as it would inside the whole script: the parser keeps no state across a `;`,
    and statement offsets are moved by the piece's byte offset. The scanner also cuts inside
    a `BEGIN ATOMIC … END` body, where a piece then fails to parse: it is retried joined with
    the next piece before its error is taken for the script's own.
    """
    if len(text) <= PIECE_CHARS:
        for start, end, node in _parse_all(text):
            yield start, end, node, 0
        return
    for _, _, byte_base, parsed in _parsed_pieces(text):
        for start, end, node in parsed:
            yield byte_base + start, byte_base + end, node, byte_base
        del parsed  # before the next piece is parsed


def _parsed_pieces(text: str
                   ) -> Iterator[tuple[int, int, int, list[tuple[int, int, dict[str, Any]]]]]:
    """`_parse_pieces`'s pieces: each one's first and end character, its byte offset, and
    its statements (offsets from the piece's start)."""
    cuts = _cuts(text)
    byte_base, i = 0, 0
    while i < len(cuts) - 1:
        j = i + 1
        while True:
            chunk = text[cuts[i]:cuts[j]]
            try:
                parsed = _parse_all(chunk)
                break
            except pg.ParseError as exc:
                if j - i < _JOIN_PIECES and j < len(cuts) - 1:
                    j += 1
                    continue
                message, index = _error_of(exc)
                raise pg.ParseError(message, None if index is None
                                    else cuts[i] + index) from exc
        yield cuts[i], cuts[j], byte_base, parsed
        del parsed
        byte_base += len(chunk.encode("utf-8"))
        i = j


def _error_of(exc: pg.ParseError) -> tuple[str, int | None]:
    index = exc.args[1] if len(exc.args) > 1 else None
    return _short_near(str(exc.args[0])), index if isinstance(index, int) else None


def placeholder_hint(p: Placeholder) -> str:
    """What to say about an unfilled placeholder next to the syntax error it caused."""
    what = "template placeholder" if p.kind == "template" else "psql variable"
    return (f" (unfilled {what} {p.text}: pass --var {p.name}=VALUE, or "
            "--fill-placeholders to fill every one with a made-up name)")


def _nearest(placeholders: list[Placeholder], start: int, stop: int, offset: int
             ) -> Placeholder | None:
    """The placeholder the error at ``offset`` is on, else the first of the statement that
    can break its syntax (a `/* TEMPLATE */` marker cannot: it reads as a comment)."""
    first = bisect.bisect_left(placeholders, start, key=lambda p: p.start)
    last = bisect.bisect_right(placeholders, stop, key=lambda p: p.start)
    inside = [p for p in placeholders[first:last] if not p.is_comment]
    on = [p for p in inside if p.start <= offset < p.end]
    found = on or inside
    return found[0] if found else None


def _short_near(message: str) -> str:
    """The message with its `at or near "…"` text cut to one short line.

    After an unclosed quote the lexer's "near" text is the whole rest of the file.
    """
    head, sep, near = message.partition(' at or near "')
    if not sep:
        return message
    near = near[:-1] if near.endswith('"') else near
    first = near.split("\n", 1)[0].rstrip()
    if len(first) > _NEAR_CHARS:
        first = first[:_NEAR_CHARS] + "…"
    elif first != near.rstrip():
        first += "…"
    return f'{head}{sep}{first}"'


def _parse_each(
    source: SourceText, text: str, errors: list[InputError], first: tuple[str, int | None],
) -> Iterator[tuple[int, int, dict[str, Any], int]]:
    """Statement by statement, after a syntax error: report each bad one, keep the rest.

    The whole-file parse gave the first error with its real context (`at or near ";"`); a
    statement parsed alone would only say `at end of input`, so that one message is kept.
    """
    placeholders = find_placeholders(text)
    pieces, unreadable = _pieces(text)
    # Character offsets to bytes, counted once along the text rather than from its start
    # for every statement (which made a long script with errors quadratic).
    done_chars = done_bytes = 0

    def byte_offset(char_offset: int) -> int:
        nonlocal done_chars, done_bytes
        if char_offset < done_chars:
            return len(text[:char_offset].encode("utf-8"))
        done_bytes += len(text[done_chars:char_offset].encode("utf-8"))
        done_chars = char_offset
        return done_bytes

    for piece in pieces:
        chunk = text[piece.start:piece.stop]
        byte_base = byte_offset(piece.start)
        try:
            for start, end, node in _parse_all(chunk):
                yield byte_base + start, byte_base + end, node, byte_base
        except pg.ParseError as exc:
            message, index = _error_of(exc)
            offset = piece.stop if index is None else piece.start + index
            if first[1] is not None and piece.start <= first[1] <= piece.stop + 1:
                message, offset = first[0], first[1]
            line, col = source.position(byte_offset(offset))
            near = _nearest(placeholders, piece.start, piece.stop, offset)
            if near:
                message += placeholder_hint(near)
            elif chunk.lstrip().startswith("\\") or _PSQL_VARIABLE.search(chunk):
                message += (" (psql meta-commands and :variables are not SQL: this looks "
                            "like a psql script rather than a migration)")
            else:
                message += other_dialect_hint(chunk)
            errors.append(InputError(source.path, message, line, col))
    if unreadable is not None:
        message, offset = unreadable
        line, col = source.char_position(offset)
        near = _nearest(placeholders, offset, len(text), offset)
        if near:
            message += placeholder_hint(near)
        errors.append(InputError(source.path, f"{message}; the file is not read past it",
                                 line, col))


def _pieces(text: str) -> tuple[list[slice], tuple[str, int] | None]:
    """The statements' slices, and the lexer error that ends them (an unclosed quote).

    PostgreSQL's lexer stops at a token it cannot read: everything after an unclosed quote,
    dollar quote or comment is inside that token. The statements before the one holding
    the bad token are still returned, so that they are linted.
    """
    try:
        return _split(text), None
    except pg.ParseError as exc:
        message, index = _error_of(exc)
    stop = len(text) if index is None else min(max(index, 0), len(text))
    try:
        head = _split(text[:stop])
    except pg.ParseError:
        head = []
    # The last slice is the start of the bad statement, unless a `;` closed it first.
    if head and ";" not in text[head[-1].stop:stop]:
        head.pop()
    return head, (message, stop)


def _split(text: str) -> list[slice]:
    """Statements end at a `;` outside parentheses, as psql sends them.

    libpg_query's own splitter is not used here: it drops a statement without a keyword
    (`UPDAT x;`) and everything after an unclosed `(`, and those are the statements a
    syntax error must be reported for.
    """
    pieces: list[slice] = []
    start, end, depth = -1, 0, 0
    for base, tokens in _token_chunks(text):
        for token in tokens:
            name = token.name
            if name in _COMMENTS:
                continue
            if name == "ASCII_59" and depth == 0:
                if start >= 0:
                    pieces.append(slice(start, end))
                start = -1
                continue
            if start < 0:
                start = base + token.start
            if name == "ASCII_40":
                depth += 1
            elif name == "ASCII_41":
                depth = max(depth - 1, 0)
            end = base + token.end + 1
    if start >= 0:
        pieces.append(slice(start, end))
    return pieces


def _token_chunks(text: str) -> Iterator[tuple[int, list[Any]]]:
    """The script's tokens, a piece of about PIECE_CHARS at a time, each piece with its
    offset: the tokens of a whole 21 MB script took 60 bytes per byte of it. A piece starts
    where libpg_query's scanner sees a statement start, which is a token's start outside any
    string, comment or dollar quote, so its tokens are the whole script's. A script that
    scanner cannot read is scanned whole (its error then has the whole script's offset)."""
    if len(text) <= PIECE_CHARS:
        yield 0, pg.scan(text)
        return
    try:
        cuts = _cuts(text)
    except pg.ParseError:
        yield 0, pg.scan(text)
        return
    for first, stop in pairwise(cuts):
        yield first, pg.scan(text[first:stop])


def _cuts(text: str) -> list[int]:
    """Where a long script is cut into pieces of about PIECE_CHARS: at statement starts, as
    libpg_query's scanner sees them (ParseError where it cannot read the script)."""
    cuts = [0]
    for piece in pg.split(text, with_parser=False, only_slices=True):
        if piece.start - cuts[-1] >= PIECE_CHARS:
            cuts.append(piece.start)
    cuts.append(len(text))
    return cuts


def operations(script: ParsedScript) -> list[Operation]:
    return [op for st in script.statements for op in st.ops]
