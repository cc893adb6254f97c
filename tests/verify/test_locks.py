"""verify reports the locks PostgreSQL documents for each statement, and table rewrites.

Fixture tests/fixtures/verify/locks: plain SQL files (psql: each statement on its own), so
each statement's locks are its own. The modes are those of the PostgreSQL manual's
"Explicit Locking" chapter and the ALTER TABLE page.
"""

from __future__ import annotations

import pytest

from schemagate.verify import VerifyResult
from tests.verify.helpers import VERIFY, modes, statement, verify_folder


@pytest.fixture(scope="module")
def locks_run(pg_server: str) -> VerifyResult:
    return verify_folder(VERIFY / "locks", pg_server)


def test_the_fixture_passes_the_gate(locks_run: VerifyResult) -> None:
    assert locks_run.gate.passed, locks_run.gate
    assert all(m.schema_restored for m in locks_run.migrations)


def test_create_index_takes_share_lock(locks_run: VerifyResult) -> None:
    st = statement(locks_run, "step02_index", 1)
    assert "ShareLock" in modes(st, "public.accounts")
    assert "AccessExclusiveLock" not in modes(st, "public.accounts")
    assert st.created == ["index public.accounts_email_idx"]


def test_create_index_concurrently_takes_share_update_exclusive(locks_run: VerifyResult
                                                                 ) -> None:
    st = statement(locks_run, "step03_concurrently", 1)
    assert st.traced == "observer"  # cannot run in a transaction: seen from a second session
    assert not st.in_transaction
    assert modes(st, "public.payments") == {"ShareUpdateExclusiveLock"}
    down = statement(locks_run, "step03_concurrently", 1, "down")
    assert not down.in_transaction
    # DROP INDEX CONCURRENTLY ends within milliseconds whatever the table holds, so a second
    # session may not catch it; what it catches is SHARE UPDATE EXCLUSIVE and nothing more.
    assert modes(down, "public.payments") <= {"ShareUpdateExclusiveLock"}


def test_add_column_takes_access_exclusive(locks_run: VerifyResult) -> None:
    st = statement(locks_run, "step04_add_column", 1)
    assert modes(st, "public.accounts") == {"AccessExclusiveLock"}
    assert st.rewrites == []  # a nullable column without default: no rewrite


def test_add_foreign_key_takes_share_row_exclusive_on_both_tables(locks_run: VerifyResult
                                                                   ) -> None:
    st = statement(locks_run, "step05_foreign_key", 2)
    assert "ShareRowExclusiveLock" in modes(st, "public.payments")
    assert "ShareRowExclusiveLock" in modes(st, "public.accounts")
    assert "AccessExclusiveLock" not in modes(st, "public.payments")
    assert st.created == ["constraint public.payments.payments_account_fk (NOT VALID)"]


def test_validate_constraint_takes_share_update_exclusive(locks_run: VerifyResult) -> None:
    st = statement(locks_run, "step05_foreign_key", 4)
    assert "ShareUpdateExclusiveLock" in modes(st, "public.payments")
    assert "ShareRowExclusiveLock" not in modes(st, "public.payments")
    assert st.validated == ["constraint public.payments.payments_account_fk"]


def test_int_to_bigint_rewrites_the_table(locks_run: VerifyResult) -> None:
    st = statement(locks_run, "step06_types", 1)
    rewritten = {(r.relation, r.kind) for r in st.rewrites}
    assert ("public.payments", "table") in rewritten
    # The index on the changed column is rebuilt too (dropped and made again by PostgreSQL).
    assert ("public.payments_amount_idx", "index") in rewritten
    assert "AccessExclusiveLock" in modes(st, "public.payments")


def test_widening_varchar_does_not_rewrite(locks_run: VerifyResult) -> None:
    st = statement(locks_run, "step06_types", 2)
    assert st.rewrites == []
    assert modes(st, "public.accounts") == {"AccessExclusiveLock"}
    # Narrowing it back in the down migration does rewrite.
    down = statement(locks_run, "step06_types", 1, "down")
    assert ("public.accounts", "table") in {(r.relation, r.kind) for r in down.rewrites}


def test_every_statement_has_a_time(locks_run: VerifyResult) -> None:
    for m in locks_run.migrations:
        for script in (m.up, m.down, m.up_again):
            assert script.ran and script.ok
            assert all(st.ms > 0 for st in script.statements)
