"""What verify's checklist says for each migration layout: only what ran can pass.

Each layout fixture under tests/fixtures/layouts is verified for real; the statuses are
pinned, with the reason behind each that is not a plain pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, invoke
from tests.verify.helpers import VERIFY, verify_folder

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")

LAYOUTS = FIXTURES / "layouts"

# runs, rollback, no-data-loss, backup
EXPECTED = {
    # Three of six migrations have no down file: rollback fails for them; the destructive
    # one's restore.sql cannot run without its down.
    "plain": ("pass", "fail", "skip", "skip"),
    "golang-migrate": ("pass", "fail", "skip", "skip"),
    # DROP INDEX CONCURRENTLY in dbmate's default transaction fails: what that migration
    # does to data was never seen.
    "dbmate": ("fail", "fail", "skip", "skip"),
    # Repeatable R__ scripts have no undo by design; V1 without its U1 does.
    "flyway": ("pass", "fail", "skip", "skip"),
    # Prisma has no down migrations: the way back `schemagate diff` plans is tested instead.
    "prisma": ("pass", "pass", "pass", "pass"),
    "diesel": ("pass", "fail", "skip", "skip"),
}


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_each_layout_gets_the_verdicts_of_what_ran(pg_server: str, layout: str) -> None:
    result = verify_folder(LAYOUTS / layout, pg_server)
    assert tuple(i.status for i in result.gate.items) == EXPECTED[layout], \
        [(i.key, i.status, i.detail) for i in result.gate.items]


def test_prisma_migrations_are_rolled_back_by_the_plan_of_schemagate_diff(
        pg_server: str) -> None:
    result = verify_folder(LAYOUTS / "prisma", pg_server)
    assert all(m.down_generated and m.schema_restored for m in result.migrations)
    assert result.migrations[0].down.statements[0].sql == 'DROP TABLE "public"."User"'
    item = result.gate.item("rollback")
    assert item is not None and item.detail.startswith(
        "3 of 3 down migrations ran and gave the schema back (3 of them the way back "
        "`schemagate diff` plans to the schema before the migration: Prisma has no down")


def test_flyway_repeatable_migrations_are_not_applicable_to_rollback(pg_server: str) -> None:
    result = verify_folder(LAYOUTS / "flyway", pg_server)
    item = result.gate.item("rollback")
    assert item is not None and "R__" not in item.detail
    assert "not applicable to 2 (a Flyway repeatable migration" in item.detail


def test_an_alembic_project_passes_every_check_it_ran(pg_server: str) -> None:
    result = verify_folder(VERIFY / "alembic_project", pg_server)
    assert [i.status for i in result.gate.items] == ["pass", "pass", "skip", "pass"]
    assert result.gate.item("no-data-loss").detail.endswith(  # type: ignore[union-attr]
        "not proven by a seeded round trip: e4a09c7d1b52_drop_customers_legacy_code: "
        "run with --seed N")


def test_alembic_without_alembic_ini_says_no_pass_and_exits_2(pg_server: str) -> None:
    proc = invoke("verify", str(FIXTURES / "alembic" / "autogen"), "--scratch", pg_server)
    assert proc.returncode == 2
    checklist = proc.stdout.split("Checklist:")[1]
    assert "PASS" not in checklist and "gate passed" not in checklist
    assert "gate not reached (exit 2): verify could not apply 1 migration" in checklist
    assert "no alembic.ini found" in proc.stderr


def test_a_column_type_left_changed_is_named_in_sql(pg_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_t.up.sql").write_text("CREATE TABLE t (name varchar(20));\n")
    (folder / "001_t.down.sql").write_text("DROP TABLE t;\n")
    (folder / "002_widen.up.sql").write_text("ALTER TABLE t ALTER COLUMN name TYPE varchar(40);\n")
    (folder / "002_widen.down.sql").write_text("SELECT 1;\n")
    result = verify_folder(folder, pg_server)
    differences = result.migrations[1].schema_differences
    assert differences == ["table public.t: column name differs "
                           "(type: character varying(20) → character varying(40))"]
