"""--seed: synthetic rows that respect the schema, data-dependent failures, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.diff.connect import connect
from schemagate.model.names import QName
from schemagate.verify.data import checksums
from schemagate.verify.seed import seed
from tests.backup.helpers import run_sql
from tests.conftest import FIXTURES, DatabaseMaker
from tests.verify.helpers import VERIFY, verify_folder

ROUNDTRIP = FIXTURES / "backup" / "roundtrip"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_seed_fills_every_type_and_respects_keys_fks_enums_checks(
        pg_databases: DatabaseMaker) -> None:
    with pg_databases.owned_database() as url, connect(url, autocommit=True) as conn:
        run_sql(url, (ROUNDTRIP / "000001_init.up.sql").read_text(encoding="utf-8"))
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, "
                     "status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped')), "
                     "code varchar(8) UNIQUE NOT NULL, customer_id bigint NOT NULL "
                     "REFERENCES customers (id), total numeric(10, 2) NOT NULL)")
        report = seed(conn, 300)
        assert report.skipped == []
        assert len(report.filled) == 6
        counts = checksums(conn)
        assert all(rows == 300 for rows, _ in counts.values()), counts
        # Values fill their types: varchar(n) to n characters, numeric(p, s) near its top.
        assert conn.execute("SELECT max(length(code)), min(length(code)) FROM orders"
                            ).fetchone() == (8, 8)
        assert conn.execute("SELECT max(total) > 99999000 FROM orders").fetchone() == (True,)
        assert {r[0] for r in conn.execute("SELECT DISTINCT status FROM orders")} == \
            {"new", "paid", "shipped"}
        # Foreign keys point at real rows; nullable columns hold some NULLs; enums cycle.
        assert conn.execute("SELECT count(*) FROM invoice_lines l LEFT JOIN invoices i "
                            "ON i.id = l.invoice_id WHERE i.id IS NULL").fetchone() == (0,)
        assert conn.execute('SELECT count(*) FILTER (WHERE legacy IS NULL) > 0, '
                            'count(DISTINCT m) FROM "Everything"').fetchone() == (True, 4)
        # A second seed leaves tables that hold rows alone.
        assert seed(conn, 300).filled == []
        assert checksums(conn)[QName("public", "orders")] == counts[QName("public", "orders")]


def test_seeded_round_trip_proves_backup_and_restore(pg_server: str) -> None:
    result = verify_folder(ROUNDTRIP, pg_server, seed=1000)
    destroy = result.migrations[1]
    assert destroy.data is not None and destroy.data.ok, destroy.data
    assert destroy.data.rows == 5000 and destroy.data.tables == 5
    assert destroy.backup is not None and destroy.backup.saves == 4 and destroy.backup.ok
    assert destroy.backup.ran_backup and destroy.backup.ran_restore
    assert result.gate.passed, result.gate
    item = result.gate.item("no-data-loss")
    assert item is not None and item.status == "pass" and "seeded round trip" in item.detail


def test_data_dependent_failure_shows_with_seed(pg_server: str) -> None:
    # `ADD COLUMN region text NOT NULL` passes on empty tables and fails on real ones.
    empty = verify_folder(EXAMPLES / "golang-migrate", pg_server)
    assert empty.migrations[2].up.ok
    seeded = verify_folder(EXAMPLES / "golang-migrate", pg_server, seed=50)
    reporting = seeded.migrations[2]
    assert not reporting.up.ok and reporting.up.line == 3
    assert "contains null values" in (reporting.up.error or "")
    assert seeded.migrations[3].skipped == "not run: 000003_orders_reporting failed before it"


def test_a_loss_restore_cannot_undo_fails_the_gate(pg_server: str) -> None:
    result = verify_folder(VERIFY / "keyless", pg_server, seed=40)
    dropped = result.migrations[1]
    assert dropped.data is not None and not dropped.data.ok
    assert dropped.data.changed == ["public.readings: 40 rows, values differ"]
    item = result.gate.item("no-data-loss")
    assert item is not None and item.status == "fail" and "no primary key" in item.detail
    assert result.gate.exit_code == 1


def test_without_seed_destructive_steps_are_covered_but_not_proven(pg_server: str) -> None:
    result = verify_folder(ROUNDTRIP, pg_server)
    item = result.gate.item("no-data-loss")
    assert item is not None and item.status == "skip" and "--seed" in item.detail
    assert result.gate.passed  # skip is not fail
