"""The schema comparison behind `schema_restored`, both readers (introspect and the flat
pg_catalog one that stands in when introspect is absent)."""

from __future__ import annotations

from datetime import datetime

import pytest

from schemagate.diff.connect import connect
from schemagate.verify.schema import (
    SchemaState,
    capture_schema,
    flat_differences,
    read_flat,
    schema_differences,
    without_moments,
)
from tests.verify.helpers import VERIFY, verify_folder

SCHEMA = """
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, name text DEFAULT 'x', m mood, legacy text);
CREATE INDEX t_name_idx ON t (name);
CREATE VIEW v AS SELECT id, name FROM t;
CREATE SEQUENCE s;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
"""


@pytest.mark.parametrize("reader", ["flat", "capture"])
def test_column_order_is_ignored_and_real_changes_are_named(pg_db: str, reader: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        conn.execute(SCHEMA)

        def take() -> SchemaState:
            return SchemaState(flat=read_flat(conn)) if reader == "flat" else \
                capture_schema(conn, pg_db)

        before = take()
        # Dropped and added back: last in the table now, and still "restored".
        conn.execute("ALTER TABLE t DROP COLUMN legacy; ALTER TABLE t ADD COLUMN legacy text")
        assert schema_differences(before, take()) == []
        conn.execute("ALTER TABLE t ALTER COLUMN name SET DEFAULT 'y'; DROP INDEX t_name_idx;"
                     "ALTER TYPE mood ADD VALUE 'c'")
        found = "\n".join(schema_differences(before, take()))
        assert "t_name_idx" in found and "is missing" in found
        assert "name" in found and "'y'" in found
        assert "mood" in found


def test_flat_differences_words() -> None:
    assert flat_differences({"index a": "x", "index b": "y"}, {"index b": "z", "index c": ""}) \
        == ["index a is missing", "index b differs: y → z", "index c was not there before"]


def test_backup_schemas_are_left_out(pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        before = capture_schema(conn, pg_db)
        flat = read_flat(conn)
        conn.execute("CREATE SCHEMA schemagate_backup_x_20240101T000000; "
                     "CREATE TABLE schemagate_backup_x_20240101T000000.t01 (id int)")
        assert schema_differences(before, capture_schema(conn, pg_db)) == []
        assert flat_differences(flat, read_flat(conn)) == []


def test_a_moment_of_about_now_in_a_view_is_its_making_not_its_query() -> None:
    now = datetime(2026, 12, 4, 21, 30)
    made = ("SELECT id FROM post WHERE published < ('2026-12-04 21:19:18.627829'::timestamp "
            "without time zone - '1 mon'::interval) AND at > '2026-12-04'::date")
    assert without_moments(made, now) == (
        "SELECT id FROM post WHERE published < ('<now>'::timestamp without time zone - "
        "'1 mon'::interval) AND at > '<now>'::date")
    written = "SELECT id FROM post WHERE published > '2020-01-01 00:00:00'::timestamp " \
              "without time zone"
    assert without_moments(written, now) == written


@pytest.mark.usefixtures("reused_scratch")
def test_a_view_remade_by_the_down_with_now_in_its_query_is_restored(pg_server: str) -> None:
    """lemmy's post_aggregates_view: the down makes the same view again, whose 'now' is
    another moment; the schema is back as it was."""
    result = verify_folder(VERIFY / "moments", pg_server)
    assert [(m.name, m.schema_restored, m.schema_differences) for m in result.migrations] \
        == [("000001_hot_posts", True, []), ("000002_post_score", True, [])]
