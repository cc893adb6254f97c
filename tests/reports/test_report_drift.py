"""report --drift: the live database against the schema the migrations build (real PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.diff.connect import connect

# The scratch database is the session's (tests.conftest.reused_scratch).
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_drift_lists_what_the_live_database_lacks_and_has_extra(
        pg_db: str, pg_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_users.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY, "
                                          "email text);\n")
    (folder / "002_orders.sql").write_text("CREATE TABLE orders (id bigint PRIMARY KEY);\n")
    with connect(pg_db, autocommit=True) as conn:
        # Migration 001 ran; 002 did not; someone added a table by hand.
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
        conn.execute("CREATE TABLE hand_made (id int)")
    result = CliRunner().invoke(main, ["report", str(folder), "--db", pg_db, "--drift",
                                       "--scratch", pg_server, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    drift = {(c["action"], c["kind"], c["name"]) for c in json.loads(result.output)["drift"]}
    # To reach the target, the live database gains orders and loses the hand-made table.
    assert ("create", "table", "public.orders") in drift
    assert ("drop", "table", "public.hand_made") in drift
    assert not any("users" in name for _, _, name in drift)  # the same on both sides


def test_drift_needs_a_database(tmp_path: Path) -> None:
    (tmp_path / "001.sql").write_text("SELECT 1;\n")
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--drift"])
    assert result.exit_code == 2 and "--db" in result.output
