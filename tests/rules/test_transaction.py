"""Transaction rules (`rules/transaction.py`) on what the history says of their objects."""

from __future__ import annotations

from pathlib import Path

from schemagate.model.settings import Settings
from tests.conftest import lint_sql


def test_concurrently_is_refused_in_a_transaction_whatever_the_index(tmp_path: Path) -> None:
    # PostgreSQL 15: `BEGIN; DROP INDEX CONCURRENTLY IF EXISTS nope;` fails with "cannot
    # run inside a transaction block" before it looks for the index. The history knows the
    # index was never made (a drop of it does nothing, and other rules stay silent), and
    # the migration fails all the same (convoy 1692024707's down path).
    result = lint_sql(
        tmp_path,
        "CREATE TABLE t (a int);\n",
        "BEGIN;\nDROP INDEX CONCURRENTLY IF EXISTS nope;\nCOMMIT;\n",
        settings=Settings(select=("all",)))
    assert [(f.rule, f.span.line) for f in result.active] == [
        ("concurrently-in-transaction", 2)]
