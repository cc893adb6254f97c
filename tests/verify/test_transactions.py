"""verify follows each migration tool's transaction model, as PostgreSQL would run it."""

from __future__ import annotations

import pytest

from schemagate.diff.connect import connect
from tests.verify.helpers import VERIFY, modes, statement, verify_folder

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_golang_migrate_file_of_many_statements_is_one_transaction(pg_server: str) -> None:
    result = verify_folder(VERIFY / "implicit", pg_server)
    alone, together = result.migrations[1], result.migrations[2]
    # One statement alone is not a transaction: CONCURRENTLY works, traced from outside.
    assert alone.up.ok and alone.down.ok and alone.up_again.ok
    assert statement(result, "000002_alone", 1).traced == "observer"
    # Two statements are one implicit transaction: CONCURRENTLY fails, as in production.
    assert not together.up.ok
    assert together.up.line == 2
    assert "cannot run inside a transaction block" in (together.up.error or "")
    gate = result.gate.item("runs")
    assert gate is not None and gate.status == "fail" and "000003_together" in gate.detail
    assert result.gate.exit_code == 1


def test_explicit_begin_commit_in_a_psql_script_is_honoured(pg_server: str) -> None:
    result = verify_folder(VERIFY / "explicit_block", pg_server)
    assert result.gate.passed, result.gate
    up = result.migrations[0].up
    by_line = {st.line: st for st in up.statements}
    assert not by_line[1].in_transaction  # CREATE TABLE, autocommit (traced in verify's own)
    assert by_line[3].in_transaction and by_line[4].in_transaction  # inside BEGIN … COMMIT
    assert "ShareLock" in modes(by_line[4], "public.items")
    # After COMMIT, CONCURRENTLY runs on its own again.
    assert by_line[6].traced == "observer" and not by_line[6].in_transaction


def test_a_failure_in_a_wrapped_migration_rolls_all_of_it_back(pg_server: str) -> None:
    result = verify_folder(VERIFY / "wrapped_failure", pg_server)
    up = result.migrations[0].up
    assert not up.ok and up.line == 4
    assert "violates foreign key constraint" in (up.error or "")
    assert all(st.in_transaction for st in up.statements)  # dbmate: BEGIN … COMMIT
    assert result.migrations[0].has_down and not result.migrations[0].down.ran


def test_schema_not_restored_by_the_down_migration_is_reported(pg_server: str) -> None:
    result = verify_folder(VERIFY / "not_restored", pg_server)
    forgetful = result.migrations[1]
    assert forgetful.schema_restored is False
    text = "\n".join(forgetful.schema_differences)
    assert "members_name_idx" in text  # the index the down forgot
    assert "column plan differs" in text and "'free'" in text  # the default it forgot
    assert "score" not in text  # dropped and gone: restored
    rollback = result.gate.item("rollback")
    assert rollback is not None and rollback.status == "fail"
    # Up again then fails on the index left behind, which verify reports too.
    assert not forgetful.up_again.ok and "already exists" in (forgetful.up_again.error or "")


@pytest.mark.real_scratch
def test_the_scratch_database_is_gone_after_a_failed_migration(pg_server: str) -> None:
    result = verify_folder(VERIFY / "wrapped_failure", pg_server)
    with connect(pg_server) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert result.database and result.database not in names


def test_a_flyway_migration_of_a_lone_concurrent_index_runs_without_a_transaction(
        pg_server: str) -> None:
    result = verify_folder(VERIFY / "flyway_concurrently", pg_server)
    index = result.migrations[1]
    # Flyway runs it with no transaction, as it does on PostgreSQL: it succeeds.
    assert index.up.ok and index.down.ok, (index.up.error, index.down.error)
    assert not statement(result, "V2__index_accounts_email", 1).in_transaction
    # The migration before it has no such statement: Flyway wraps it.
    assert all(st.in_transaction for st in result.migrations[0].up.statements)
