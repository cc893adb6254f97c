"""SQL inside a Python migration (`op.execute("…")`), parsed by the SQL frontend.

The string's value goes through the same frontend as a `.sql` file (PostgreSQL's own parser,
or sqlglot for other dialects). Every span that frontend gives, relative to the SQL text, is
mapped back to the file through the source offset of each character of the literal, so a
finding on the third line of a triple-quoted string lands on that line of the `.py` file.
SQL that is not written where it is used (a constant defined elsewhere) points at the call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from schemagate.model.findings import InputError, Suppression
from schemagate.model.migration import Script
from schemagate.model.ops import Operation, map_spans
from schemagate.model.span import Span
from schemagate.parse.alembic.source import LineIndex, Text
from schemagate.parse.frontend import script_frontend
from schemagate.parse.source import SourceText


@dataclass
class SqlStatement:
    sql: str
    ops: tuple[Operation, ...]
    # Identifiers over 63 bytes as written, and where each is, in the file.
    long_identifiers: tuple[str, ...] = ()
    long_identifier_spans: tuple[Span, ...] = ()


@dataclass
class SqlResult:
    statements: list[SqlStatement] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)


@dataclass
class _Mapper:
    """From (line, column) in the SQL text to a span in the Python file."""

    text: Text
    sql_lines: LineIndex
    file_lines: LineIndex
    path: str
    anchor: Span

    def point(self, line: int, column: int) -> tuple[int, int] | None:
        if self.text.offsets is None or not self.text.offsets:
            return None
        char = self.sql_lines.offset(line, column - 1)
        char = min(max(char, 0), len(self.text.offsets) - 1)
        return self.file_lines.position(self.text.offsets[char])

    def span(self, span: Span) -> Span:
        start = self.point(span.line, span.column)
        end = self.point(span.end_line, span.end_column)
        if start is None or end is None:
            return self.anchor
        return Span(self.path, start[0], start[1], end[0], end[1])


def parse_sql(text: Text, anchor: Span, file_lines: LineIndex, first_index: int,
              dialect: str) -> SqlResult:
    """The statements of one SQL string, numbered from `first_index`, spans in the file."""
    path = anchor.path
    source = SourceText.of(path, mask_parameters(text.value))
    script = Script(path, "autocommit")
    parsed = script_frontend(dialect)(source, script, dialect)
    mapper = _Mapper(text, LineIndex(text.value), file_lines, path, anchor)
    result = SqlResult()
    sql_lines = mapper.sql_lines
    for offset, st in enumerate(parsed.statements):
        index = first_index + offset
        ops = tuple(replace(map_spans(op, mapper.span), statement=index) for op in st.ops)
        sql = st.sql
        if st.ops and source.text != text.value:  # show the statement as written, not masked
            local = st.ops[0].span
            start = sql_lines.offset(local.line, local.column - 1)
            end = start + len(sql)
            # A masked parameter ends in padding the statement's text was trimmed of.
            while end < len(text.value) and source.text[end] == " " and \
                    not text.value[end].isspace():
                end += 1
            sql = text.value[start:end]
        result.statements.append(SqlStatement(
            sql, ops, st.long_identifiers,
            tuple(mapper.span(span) for span in st.long_identifier_spans)))
    for error in parsed.errors:
        where = mapper.point(error.line or 1, error.column or 1) if error.line else None
        line, column = where if where is not None else (anchor.line, anchor.column)
        result.errors.append(InputError(path, error.message, line, column))
    if text.offsets is not None:  # a comment inside the string governs its next statement
        result.suppressions = [replace(s, span=mapper.span(s.span)) for s in parsed.suppressions]
    return result


def mask_parameters(sql: str) -> str:
    """Bind parameters (`:name` of `sa.text()`, DB-API `%s` and `%(name)s`) as `$1`, padded
    to the same length so that every offset still maps to the file.

    Quoted strings, quoted identifiers, dollar quotes and comments are left alone, and so
    are casts (`::int`)."""
    if ":" not in sql and "%" not in sql:
        return sql
    out = list(sql)
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        skip = _skip_quoted(sql, i)
        if skip > i:
            i = skip
            continue
        match = _PARAMETER.match(sql, i) if ch in ":%" else None
        if match and not (ch == ":" and (sql[i - 1:i] == ":" or sql[i + 1:i + 2] == ":")):
            width = match.end() - i
            out[i:match.end()] = list("$1".ljust(width)) if width >= 2 else list(ch)
            i = match.end()
            continue
        i += 1
    return "".join(out)


_PARAMETER = re.compile(r":[A-Za-z_]\w*|%\([A-Za-z_]\w*\)s|%s")
_DOLLAR = re.compile(r"\$([A-Za-z_]\w*)?\$")


def _skip_quoted(sql: str, i: int) -> int:
    """The end of a quoted string, quoted identifier, dollar quote or comment at i, else i."""
    ch = sql[i]
    if ch in "'\"":
        end = sql.find(ch, i + 1)
        while end != -1 and sql[end + 1:end + 2] == ch:  # a doubled quote
            end = sql.find(ch, end + 2)
        return len(sql) if end == -1 else end + 1
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end == -1 else end + 1
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end == -1 else end + 2
    if ch == "$":
        tag = _DOLLAR.match(sql, i)
        if tag:
            end = sql.find(tag.group(0), tag.end())
            return len(sql) if end == -1 else end + len(tag.group(0))
    return i

