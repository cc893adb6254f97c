"""The checklist as data: statuses and exit codes from results (no database needed)."""

from __future__ import annotations

from schemagate.verify import (
    BackupRun,
    DataCheck,
    MigrationResult,
    ScriptResult,
    checklist,
)


def _ran(ok: bool = True, error: str | None = None) -> ScriptResult:
    return ScriptResult(path="m.sql", ran=True, ok=ok, error=error)


def _migration(name: str = "0001_m", **changes: object) -> MigrationResult:
    m = MigrationResult(name, up=_ran(), down=_ran(), up_again=_ran(), schema_restored=True,
                        has_down=True, backup=BackupRun())
    for key, value in changes.items():
        setattr(m, key, value)
    return m


def test_all_good_passes() -> None:
    gate = checklist([_migration()], seeded=False)
    assert [i.status for i in gate.items] == ["pass", "pass", "pass", "pass"]
    assert [i.key for i in gate.items] == ["runs", "rollback", "no-data-loss", "backup"]
    assert gate.passed and gate.exit_code == 0


def test_a_failed_up_fails_runs() -> None:
    gate = checklist([_migration(up=_ran(False, "line 3: boom"))], seeded=False)
    runs = gate.item("runs")
    assert runs is not None and runs.status == "fail" and "line 3: boom" in runs.detail
    assert gate.exit_code == 1


def test_missing_down_and_unrestored_schema_fail_rollback() -> None:
    gate = checklist([_migration("a", has_down=False, down=ScriptResult(),
                                 up_again=ScriptResult(), schema_restored=None),
                      _migration("b", schema_restored=False,
                                 schema_differences=["index public.x was not there before"])],
                     seeded=False)
    item = gate.item("rollback")
    assert item is not None and item.status == "fail"
    assert "a: no down migration" in item.detail and "index public.x" in item.detail


def test_destructive_without_seed_is_skipped_not_failed() -> None:
    gate = checklist([_migration(backup=BackupRun(saves=2, ran_backup=True,
                                                  ran_restore=True))], seeded=False)
    item = gate.item("no-data-loss")
    assert item is not None and item.status == "skip" and "--seed" in item.detail
    assert gate.passed


def test_changed_rows_or_refused_restore_fail_no_data_loss() -> None:
    changed = _migration(data=DataCheck(1, 10, ["public.t: 10 rows → 0 rows"]))
    refused = _migration("0002_m", backup=BackupRun(saves=1, refused=["public.k: no key"]))
    gate = checklist([changed, refused], seeded=True)
    item = gate.item("no-data-loss")
    assert item is not None and item.status == "fail"
    assert "10 rows → 0 rows" in item.detail and "no key" in item.detail
    backup = gate.item("backup")
    assert backup is not None and backup.status == "fail"


def test_backup_script_errors_fail_the_backup_item() -> None:
    gate = checklist([_migration(backup=BackupRun(saves=1, backup_error="syntax error"))],
                     seeded=True)
    item = gate.item("backup")
    assert item is not None and item.status == "fail" and "syntax error" in item.detail


def _failed_up(name: str) -> MigrationResult:
    return _migration(name, up=_ran(False, "line 1: boom"), down=ScriptResult(),
                      up_again=ScriptResult(), schema_restored=None)


def _not_run(name: str, after: str) -> MigrationResult:
    return MigrationResult(name, skipped=f"not run: {after} failed before it")


def test_rollback_is_not_passed_when_some_downs_never_ran() -> None:
    gate = checklist([_migration("a"), _migration("b"), _failed_up("c"), _not_run("d", "c")],
                     seeded=False)
    item = gate.item("rollback")
    assert item is not None and item.status == "skip"
    assert "2 of 4 down migrations ran" in item.detail
    assert "c: its up failed" in item.detail and "1 migration after it not run" in item.detail


def test_no_item_passes_for_migrations_that_did_not_run() -> None:
    gate = checklist([_migration("a"), _failed_up("b"), _not_run("c", "b")], seeded=False)
    statuses = {i.key: i.status for i in gate.items}
    assert statuses == {"runs": "fail", "rollback": "skip", "no-data-loss": "skip",
                        "backup": "skip"}
    item = gate.item("no-data-loss")
    assert item is not None and "not checked for 2 of 3 migrations" in item.detail


def test_nothing_passes_when_verify_could_not_apply_the_first_migration() -> None:
    first = MigrationResult("a", skipped="no alembic.ini found at or above versions")
    gate = checklist([first, _not_run("b", "a")], seeded=False)
    assert [i.status for i in gate.items] == ["skip", "skip", "skip", "skip"]


def test_rollback_is_not_applicable_without_downs_or_a_planned_way_back() -> None:
    why = "Prisma has no down migrations (prisma migrate only applies forward)"
    prisma = _migration(has_down=False, down=ScriptResult(), up_again=ScriptResult(),
                        schema_restored=None, no_down=why)
    gate = checklist([prisma], seeded=False)
    item = gate.item("rollback")
    assert item is not None and item.status == "n/a" and why in item.detail
    assert gate.passed


def test_rollback_passes_with_the_migrations_it_does_not_apply_to_named() -> None:
    repeatable = _migration("R__view", has_down=False, down=ScriptResult(),
                            up_again=ScriptResult(), schema_restored=None,
                            no_down="a Flyway repeatable migration is never undone")
    gate = checklist([_migration("V1__t"), repeatable], seeded=False)
    item = gate.item("rollback")
    assert item is not None and item.status == "pass"
    assert "1 of 1 down migrations" in item.detail and "not applicable to 1" in item.detail


def test_a_down_planned_by_diff_counts_as_a_tested_rollback_and_says_so() -> None:
    why = "Prisma has no down migrations (prisma migrate only applies forward)"
    gate = checklist([_migration(no_down=why, down_generated=True)], seeded=False)
    item = gate.item("rollback")
    assert item is not None and item.status == "pass"
    assert "1 of them the way back `schemagate diff` plans" in item.detail and why in item.detail


def test_restore_sql_that_never_ran_keeps_the_backup_item_from_passing() -> None:
    no_down = _migration(has_down=False, down=ScriptResult(), up_again=ScriptResult(),
                         schema_restored=None,
                         backup=BackupRun(saves=1, ran_backup=True, ran_restore=False))
    gate = checklist([no_down], seeded=False)
    item = gate.item("backup")
    assert item is not None and item.status == "skip"
    assert "restore.sql not tested: 0001_m: no down migration" in item.detail
