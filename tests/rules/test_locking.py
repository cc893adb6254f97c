"""Locking rules (`rules/locking.py`), message by message, where a fixture folder's
line-level expectations cannot tell two findings of one rule on one statement apart."""

from __future__ import annotations

from pathlib import Path

from schemagate.model.findings import Severity
from tests.conftest import lint_sql


def test_a_unique_column_whose_default_is_one_value_for_every_row_fails(
        tmp_path: Path) -> None:
    # PostgreSQL 15, on a table of two rows: DEFAULT 'x' UNIQUE and DEFAULT now() UNIQUE
    # fail ("Key (c)=(x) is duplicated"); DEFAULT gen_random_uuid() UNIQUE does not.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
        "ALTER TABLE users ADD COLUMN code text NOT NULL DEFAULT 'none' UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now() UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid() UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN nick text DEFAULT NULL UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN handle text UNIQUE;\n",
    )
    errors = [(f.span.line, f.message) for f in result.active
              if f.rule == "add-unique-constraint" and f.severity is Severity.ERROR]
    assert errors == [
        (1, "every existing row of `public.users` gets the same `code` (its default "
            "`'none'`): with two rows or more the unique index fails on a duplicate key, "
            "and the migration with it"),
        (2, "every existing row of `public.users` gets the same `seen` (its default "
            "`now()`): with two rows or more the unique index fails on a duplicate key, "
            "and the migration with it")]
    warnings = [f.span.line for f in result.active
                if f.rule == "add-unique-constraint" and f.severity is Severity.WARNING]
    assert warnings == [1, 2, 3, 4, 5]
