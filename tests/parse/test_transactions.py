"""The transaction model: the tool's own wrapping plus explicit BEGIN/COMMIT."""

from __future__ import annotations

import pytest

from schemagate.model.migration import Script, TransactionMode
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText


def flags(sql: str, mode: TransactionMode) -> list[bool]:
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql", mode))
    return [st.in_transaction for st in script.statements]


ONE = "CREATE INDEX CONCURRENTLY i ON t (a);"
TWO = "SET lock_timeout = '1s'; CREATE INDEX CONCURRENTLY i ON t (a);"


@pytest.mark.parametrize(("sql", "mode", "expected"), [
    (ONE, "autocommit", [False]),
    (TWO, "autocommit", [False, False]),
    # golang-migrate / Prisma: one statement is not a transaction, several are.
    (ONE, "implicit", [False]),
    (TWO, "implicit", [True, True]),
    (ONE, "wrapped", [True]),
    ("BEGIN; CREATE INDEX i ON t (a); COMMIT; CREATE INDEX CONCURRENTLY j ON t (b);",
     "autocommit", [True, True, True, False]),
    # After an explicit COMMIT, a wrapped script runs outside the tool's transaction.
    ("CREATE TABLE x (a int); COMMIT; CREATE INDEX CONCURRENTLY j ON x (a);",
     "wrapped", [True, True, False]),
    # In a multi-statement query, statements after COMMIT start a new implicit block.
    ("CREATE TABLE x (a int); COMMIT; CREATE INDEX CONCURRENTLY j ON x (a);",
     "implicit", [True, True, True]),
    # BEGIN and COMMIT belong to the transaction they open and close.
    ("START TRANSACTION; SELECT 1; ROLLBACK; SELECT 2;", "autocommit",
     [True, True, True, False]),
    # Flyway: no transaction when a statement cannot run in one, else BEGIN … COMMIT.
    (ONE, "detected", [False]),
    (TWO, "detected", [False, False]),
    ("CREATE TABLE x (a int); CREATE INDEX i ON x (a);", "detected", [True, True]),
    ("VACUUM x; ANALYZE x;", "detected", [False, False]),
    ("discard all;", "detected", [False]),
    ("DISCARD PLANS;", "detected", [True]),
    # Flyway does not recognise REINDEX … CONCURRENTLY: it wraps it.
    ("REINDEX INDEX CONCURRENTLY i;", "detected", [True]),
])
def test_in_transaction(sql: str, mode: TransactionMode, expected: list[bool]) -> None:
    assert flags(sql, mode) == expected


def blocks(sql: str, mode: TransactionMode) -> list[int | None]:
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql", mode))
    return [st.transaction for st in script.statements]


def test_blocks_number_each_transaction() -> None:
    sql = "BEGIN; SELECT 1; COMMIT; SELECT 2; BEGIN; SELECT 3; ROLLBACK;"
    assert blocks(sql, "autocommit") == [1, 1, 1, None, 2, 2, 2]
    assert blocks("SELECT 1; COMMIT; SELECT 2;", "implicit") == [0, 0, 1]
    assert blocks("SELECT 1; SELECT 2;", "wrapped") == [0, 0]


def test_goose_statement_blocks_are_queries_as_postgresql_runs_them() -> None:
    """Each block of a NO TRANSACTION goose file is one query: one implicit transaction; a
    COMMIT in it starts another, a BEGIN in it outlives it (PostgreSQL 15, psycopg)."""
    sql = ("-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 0;\n"
           "-- +goose StatementBegin\nSELECT 1; COMMIT; SELECT 2; SELECT 3;\n"
           "-- +goose StatementEnd\n"
           "-- +goose StatementBegin\nSELECT 4; BEGIN; SELECT 5;\n-- +goose StatementEnd\n"
           "SELECT 6;\nCOMMIT;\nSELECT 7;\n")
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql", "autocommit", "up"))
    got = [st.transaction for st in script.statements]
    assert got[0] is None and got[-1] is None
    first, second, third = got[1], got[3], got[5]
    assert got[1:5] == [first, first, second, second] and first != second
    assert got[5:10] == [third] * 5 and third not in (first, second)
