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


def test_a_key_column_whose_default_is_one_value_for_every_row_fails(tmp_path: Path) -> None:
    # PostgreSQL 15, on a table of two rows: ADD COLUMN id int DEFAULT 7 PRIMARY KEY fails
    # ("could not create unique index ... Key (id)=(7) is duplicated"); DEFAULT
    # gen_random_uuid() PRIMARY KEY does not.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE a (x int);\nCREATE TABLE b (x int);\n",
        "ALTER TABLE a ADD COLUMN id int DEFAULT 7 PRIMARY KEY;\n"
        "ALTER TABLE b ADD COLUMN id uuid DEFAULT gen_random_uuid() PRIMARY KEY;\n",
    )
    found = [(f.span.line, f.severity, f.message) for f in result.active
             if f.rule == "add-primary-key"]
    assert found == [
        (1, Severity.WARNING, "adding `id` as the primary key of `public.a` builds its index "
                              "under an ACCESS EXCLUSIVE lock"),
        (1, Severity.ERROR, "every existing row of `public.a` gets the same `id` (its default "
                            "`7`): with two rows or more the primary key's index fails on a "
                            "duplicate key, and the migration with it"),
        (2, Severity.WARNING, "adding `id` as the primary key of `public.b` builds its index "
                              "under an ACCESS EXCLUSIVE lock")]
