"""Run SQL on a scratch database, statement by statement, saying where a failure is.

Statements run one at a time in autocommit mode, as psql runs a file: a script's own BEGIN
and COMMIT are obeyed, and CREATE INDEX CONCURRENTLY works outside them. Only scratch
databases are ever given to this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from schemagate.diff.connect import DatabaseError, connect
from schemagate.model.errors import SchemagateError


@dataclass(frozen=True, slots=True)
class ScriptStatement:
    sql: str
    line: int | None  # 1-based line of the statement in its file


class ScriptError(SchemagateError):
    """A statement of a file failed: the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.message = path, line, message


def split_sql(text: str) -> list[ScriptStatement]:
    """Statements of a SQL text with their lines (PostgreSQL's own grammar, via pglast)."""
    from pglast import parser

    out = []
    for piece in parser.split(text, with_parser=True, only_slices=True):
        sql = text[piece.start:piece.stop].strip()
        if sql:
            start = piece.start + _leading_noise(text[piece.start:piece.stop])
            out.append(ScriptStatement(sql, text.count("\n", 0, start) + 1))
    return out


def _leading_noise(text: str) -> int:
    """Characters of blanks and comments before a statement's first token."""
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            i = len(text) if end < 0 else end + 2
        else:
            break
    return i


def run_statements(url: str, statements: Iterable[ScriptStatement], path: str) -> None:
    """Run each statement; the first failure raises ScriptError with its file and line."""
    conn = connect(url, autocommit=True)
    try:
        for st in statements:
            try:
                conn.execute(st.sql.encode("utf-8"))  # bytes: no client-side % parsing
            except psycopg.Error as exc:
                raise ScriptError(path, _error_line(st, exc),
                                  _first_line(exc)) from None
    finally:
        conn.close()


def run_sql(url: str, text: str, path: str = "<sql>") -> None:
    try:
        statements = split_sql(text)
    except Exception as exc:  # pglast.parser.ParseError: syntax error, with a position
        index = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        line = text.count("\n", 0, index) + 1 if index is not None else None
        raise ScriptError(path, line, str(exc.args[0]) if exc.args else str(exc)) from None
    run_statements(url, statements, path)


def _error_line(st: ScriptStatement, exc: psycopg.Error) -> int | None:
    if st.line is None:
        return None
    position = getattr(exc.diag, "statement_position", None)
    if position:
        return st.line + st.sql[:max(int(position) - 1, 0)].count("\n")
    return st.line


def _first_line(exc: psycopg.Error) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["DatabaseError", "ScriptError", "ScriptStatement", "run_sql", "run_statements",
           "split_sql"]
