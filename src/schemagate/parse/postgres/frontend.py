"""The PostgreSQL frontend: a script's text to statements and operations, through pglast.

pglast wraps libpg_query, PostgreSQL's own parser, so every statement is parsed exactly as
the server would. We ask for its JSON form: building Python node objects costs three times
as long, and the operations are all the later stages look at.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pglast import parser as pg

from schemagate.model.findings import InputError
from schemagate.model.migration import ParsedScript, ParsedStatement, Script
from schemagate.model.ops import Operation
from schemagate.parse.postgres.locate import Locator
from schemagate.parse.postgres.ops import to_ops
from schemagate.parse.source import SourceText, unfilled_placeholders
from schemagate.parse.suppressions import find_suppressions
from schemagate.parse.transactions import transaction_blocks

_DBMATE_MARKER = re.compile(r"^--\s*migrate:(up|down)\b.*$", re.MULTILINE)
# A run of 64 or more bytes that can make up an identifier (multi-byte UTF-8 characters are
# bytes >= 0x80), bare or quoted: the only places an over-long identifier can be.
_LONG_WORD = re.compile(rb'[A-Za-z0-9_$\x80-\xff]{64,}|"[^"]{64,}"')
NAMEDATALEN = 64
_PSQL_VARIABLE = re.compile(r"(?m)^\s*\\\w+|:'\w+'|:\"\w+\"")


def parse_script(source: SourceText, script: Script, dialect: str = "postgres") -> ParsedScript:
    """Parse one script (a file, or a dbmate section of one) into statements.

    `dialect` is always PostgreSQL here; it is taken so that every SQL frontend is called
    alike (`parse.frontend.ScriptFrontend`).
    """
    result = ParsedScript(script)
    text = source.text
    if script.section is not None:
        text = _mask_outside_section(source, script.section)
    # (byte start, byte end, node, byte offset its locations count from)
    raw: list[tuple[int, int, dict[str, Any], int]] = []
    try:
        raw = _parse_all(text)
    except pg.ParseError as exc:
        raw = _parse_each(source, text, result.errors, _error_of(exc))
    statements: list[tuple[tuple[Operation, ...], str]] = []
    for start, end, node, origin in raw:
        sql = source.data[start:end].decode("utf-8", errors="replace").rstrip()
        end = start + len(sql.encode("utf-8"))
        span = source.span(start, end)
        locate = Locator(source, sql, start, origin, span)
        statements.append((to_ops(node, span, len(statements), sql, locate), sql))
    blocks = transaction_blocks([ops for ops, _ in statements], script.transaction)
    # One search of the whole text first: almost no file has an identifier that long.
    check_long = _LONG_WORD.search(source.data) is not None
    result.statements = [
        ParsedStatement(i, sql, ops, block is not None, block,
                        long_identifiers(sql) if check_long else ())
        for i, ((ops, sql), block) in enumerate(zip(statements, blocks, strict=True))
    ]
    result.empty = not result.statements and not result.errors
    result.suppressions = [s for s in find_suppressions(text, source.path)]
    return result


def long_identifiers(sql: str) -> tuple[str, ...]:
    """Identifiers of the statement longer than PostgreSQL keeps (NAMEDATALEN - 1 bytes)."""
    if not _LONG_WORD.search(sql.encode("utf-8")):
        return ()
    out = []
    for token in pg.scan(sql):
        if token.name != "IDENT":
            continue
        name = sql[token.start:token.end + 1]
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        if len(name.encode("utf-8")) >= NAMEDATALEN:
            out.append(name)
    return tuple(out)


def _parse_all(text: str, base: int = 0) -> list[tuple[int, int, dict[str, Any], int]]:
    """The statements of `text`, which starts at byte `base` of the file."""
    tree = json.loads(pg.parse_sql_json(text))
    out = []
    size = len(text.encode("utf-8")) if not text.isascii() else len(text)
    for item in tree.get("stmts", ()):
        if "stmt" not in item:
            continue
        start = item.get("stmt_location", 0)
        length = item.get("stmt_len", 0) or size - start
        out.append((base + start, base + start + length, item["stmt"], base))
    return out


def _error_of(exc: pg.ParseError) -> tuple[str, int | None]:
    index = exc.args[1] if len(exc.args) > 1 else None
    return str(exc.args[0]), index


def _parse_each(
    source: SourceText, text: str, errors: list[InputError], first: tuple[str, int | None],
) -> list[tuple[int, int, dict[str, Any], int]]:
    """Statement by statement, after a syntax error: report each bad one, keep the rest.

    The whole-file parse gave the first error with its real context (`at or near ";"`); a
    statement parsed alone would only say `at end of input`, so that one message is kept.
    """
    out: list[tuple[int, int, dict[str, Any], int]] = []
    placeholders = unfilled_placeholders(text)
    for piece in pg.split(text, with_parser=False, only_slices=True):
        chunk = text[piece.start:piece.stop]
        byte_base = len(text[:piece.start].encode("utf-8"))
        try:
            out.extend(_parse_all(chunk, byte_base))
        except pg.ParseError as exc:
            message, index = _error_of(exc)
            offset = piece.stop if index is None else piece.start + index
            if first[1] is not None and piece.start <= first[1] <= piece.stop + 1:
                message, offset = first[0], first[1]
            if chunk.lstrip().startswith("\\") or _PSQL_VARIABLE.search(chunk):
                message += (" (psql meta-commands and :variables are not SQL: this looks "
                            "like a psql script rather than a migration)")
            line, col = source.char_position(offset)
            near = [p for ln, p in placeholders if
                    source.char_position(piece.start)[0] <= ln <= line]
            if near:
                message += (f" (unfilled template placeholder {near[0]}: pass "
                            "--var NAME=VALUE)")
            errors.append(InputError(source.path, message, line, col))
    return out


def _mask_outside_section(source: SourceText, section: str) -> str:
    """The text with everything outside one dbmate section blanked, byte for byte.

    Keeping every byte offset (and newline) in place means spans need no translation.
    """
    bounds: list[tuple[str, int, int]] = []
    markers = list(_DBMATE_MARKER.finditer(source.text))
    for i, m in enumerate(markers):
        stop = markers[i + 1].start() if i + 1 < len(markers) else len(source.text)
        bounds.append((m.group(1), m.end(), stop))
    kept = []
    for name, start, stop in bounds:
        if name == section:
            b0 = len(source.text[:start].encode("utf-8"))
            kept.append((b0, b0 + len(source.text[start:stop].encode("utf-8"))))
    pieces, cursor = [], 0
    for b0, b1 in kept:
        pieces += [_blank(source.data[cursor:b0]), source.data[b0:b1]]
        cursor = b1
    pieces.append(_blank(source.data[cursor:]))
    data = b"".join(pieces)
    return data.decode("utf-8")


def operations(script: ParsedScript) -> list[Operation]:
    return [op for st in script.statements for op in st.ops]


def _blank(data: bytes) -> bytes:
    return re.sub(rb"[^\n]", b" ", data)
