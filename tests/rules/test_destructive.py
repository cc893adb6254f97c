"""The destructive family: what its messages say happens to the data."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import DatabaseMaker, lint_sql

_TABLE = "CREATE TABLE u (p text, b varbit, n numeric(10, 3), q varchar(40));\n"
_CUTS = [
    ("ALTER TABLE u ALTER COLUMN p TYPE varchar(26) USING p::varchar(26);",
     "cuts longer values to 26 characters"),
    ("ALTER TABLE u ALTER COLUMN p TYPE varchar(26) USING CAST(upper(p) AS varchar(20));",
     "cuts longer values to 20 characters"),
    ("ALTER TABLE u ALTER COLUMN q TYPE char(3) USING q::char(3);",
     "cuts longer values to 3 characters"),
    ("ALTER TABLE u ALTER COLUMN b TYPE varbit(3) USING b::varbit(3);",
     "cuts longer values to 3 bits"),
]
_REJECTS = [
    "ALTER TABLE u ALTER COLUMN p TYPE varchar(26);",
    "ALTER TABLE u ALTER COLUMN p TYPE varchar(26) USING upper(p);",
    # A cast to a longer type cuts nothing: the assignment to varchar(26) then fails.
    "ALTER TABLE u ALTER COLUMN q TYPE varchar(26) USING q::varchar(30);",
]


def _message(tmp_path: Path, statement: str) -> str:
    result = lint_sql(tmp_path, _TABLE, statement + "\n")
    (finding,) = [f for f in result.active if f.rule == "lossy-type-change"]
    return finding.message


@pytest.mark.parametrize(("statement", "said"), _CUTS)
def test_a_using_cast_to_a_shorter_string_type_is_said_to_cut_values_silently(
        tmp_path: Path, statement: str, said: str) -> None:
    message = _message(tmp_path, statement)
    assert said in message and "without an error" in message and "reject" not in message


@pytest.mark.parametrize("statement", _REJECTS)
def test_an_assignment_to_a_shorter_string_type_is_still_said_to_reject_values(
        tmp_path: Path, statement: str) -> None:
    message = _message(tmp_path, statement)
    assert "reject" in message and "cuts" not in message


def test_a_using_cast_to_fewer_decimals_is_said_to_round_as_the_assignment_does(
        tmp_path: Path) -> None:
    message = _message(tmp_path, "ALTER TABLE u ALTER COLUMN n TYPE numeric(10, 1) "
                                 "USING n::numeric(10, 1);")
    assert "rounds fractions" in message


def test_postgresql_cuts_where_the_message_says_cuts_and_fails_where_it_says_rejects(
        pg_databases: DatabaseMaker) -> None:
    with pg_databases.database() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_TABLE.encode())
        conn.execute("INSERT INTO u VALUES (repeat('x', 30), B'101010', 1.25, repeat('y', 30))")
        for statement, _ in _CUTS:
            with conn.transaction(force_rollback=True):
                conn.execute(statement.encode())
        with conn.transaction(force_rollback=True):
            conn.execute(_CUTS[0][0].encode())
            assert conn.execute("SELECT length(p) FROM u").fetchone() == (26,)
        for statement in _REJECTS:
            with pytest.raises(psycopg.errors.StringDataRightTruncation), \
                    conn.transaction(force_rollback=True):
                conn.execute(statement.encode())
