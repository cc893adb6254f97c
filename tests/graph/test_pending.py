"""What each tool's record says is applied: the cases its table alone cannot show."""

from __future__ import annotations

from schemagate.graph.pending import find_pending
from schemagate.model.applied import AppliedRecord, AppliedRow
from schemagate.model.migration import MigrationSource, ParsedMigration, ParsedScript, Script


def _change(name: str, index: int) -> ParsedMigration:
    source = MigrationSource(name, "sqitch", Script(f"deploy/{name}.sql", "autocommit"),
                             version=str(index), project="db")
    assert source.up is not None
    return ParsedMigration(source, ParsedScript(source.up), None)


def test_a_reworked_sqitch_change_is_applied_once_per_planning_its_registry_lists() -> None:
    """`users` was planned, tagged, then reworked: the registry lists the name once per
    deployment, so one row means the first planning (`users@v1.0`) only."""
    plan = [_change("users@v1.0", 1), _change("orders", 2), _change("users", 3)]
    rows = tuple(AppliedRow(name, True, "shop", "") for name in ("users", "orders"))
    pending = find_pending(plan, {"sqitch": AppliedRecord("sqitch", "sqitch.changes", rows)})
    assert [m.name for m in pending.pending] == ["users"]
    both = (*rows, AppliedRow("users", True, "shop", ""))
    done = find_pending(plan, {"sqitch": AppliedRecord("sqitch", "sqitch.changes", both)})
    assert done.pending == []


def test_a_drizzle_history_says_its_record_is_not_read() -> None:
    import pytest

    from schemagate.graph.pending import NoRecordError

    source = MigrationSource("0000_init", "drizzle", Script("drizzle/0000_init.sql", "wrapped"),
                             version="0")
    assert source.up is not None
    with pytest.raises(NoRecordError, match=r"drizzle's record of what was applied "
                       r"\(drizzle.__drizzle_migrations, by content hash\) is not read"):
        find_pending([ParsedMigration(source, ParsedScript(source.up), None)], {})


def test_a_sqlx_history_says_its_record_is_not_read() -> None:
    import pytest

    from schemagate.graph.pending import NoRecordError

    source = MigrationSource("20240101000000_init", "sqlx",
                             Script("migrations/20240101000000_init.sql", "wrapped"),
                             version="20240101000000")
    assert source.up is not None
    with pytest.raises(NoRecordError, match=r"sqlx's record of what was applied "
                       r"\(_sqlx_migrations\) is not read"):
        find_pending([ParsedMigration(source, ParsedScript(source.up), None)], {})
