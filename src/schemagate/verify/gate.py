"""The quality gate's checklist, as data the text, JSON and HTML reports all show.

Four items, each `pass`, `fail` or `skip` (could not be checked, and says why); the gate
fails, and verify exits 1, when any item fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from schemagate.verify.results import MigrationResult

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True, slots=True)
class GateItem:
    key: str  # stable id: "runs", "rollback", "no-data-loss", "backup"
    title: str
    status: Status
    detail: str


@dataclass(frozen=True, slots=True)
class Checklist:
    items: tuple[GateItem, ...]

    @property
    def passed(self) -> bool:
        return all(item.status != "fail" for item in self.items)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def item(self, key: str) -> GateItem | None:
        return next((i for i in self.items if i.key == key), None)


def checklist(results: Sequence[MigrationResult], seeded: bool) -> Checklist:
    return Checklist((_runs(results), _rollback(results), _no_data_loss(results, seeded),
                      _backup(results)))


def _listing(items: list[str], limit: int = 5) -> str:
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def _runs(results: Sequence[MigrationResult]) -> GateItem:
    title = "migration runs successfully"
    failed = [f"{m.name}: up failed at {m.up.error}" for m in results if m.up.ran and not m.up.ok]
    failed += [f"{m.name}: up again after down failed at {m.up_again.error}" for m in results
               if m.up_again.ran and not m.up_again.ok]
    if failed:
        return GateItem("runs", title, "fail", _listing(failed))
    ran = [m for m in results if m.up.ran]
    unrun = [f"{m.name}: {m.skipped}" for m in results if m.skipped is not None]
    if unrun:
        return GateItem("runs", title, "skip", _listing(unrun))
    if not ran:
        return GateItem("runs", title, "skip", "no migration to run")
    again = sum(1 for m in ran if m.up_again.ran)
    return GateItem("runs", title, "pass", f"{len(ran)} migration{'s' * (len(ran) != 1)} ran "
                    f"up; {again} ran up again after their down")


def _rollback(results: Sequence[MigrationResult]) -> GateItem:
    title = "rollback tested"
    ran = [m for m in results if m.up.ok]
    problems = [f"{m.name}: no down migration" for m in ran if not m.has_down]
    problems += [f"{m.name}: down failed at {m.down.error}" for m in ran
                 if m.down.ran and not m.down.ok]
    problems += [f"{m.name}: the schema after up and down differs: "
                 f"{_listing(m.schema_differences, 3)}" for m in ran
                 if m.schema_restored is False]
    if problems:
        return GateItem("rollback", title, "fail", _listing(problems))
    if not ran:
        return GateItem("rollback", title, "skip", "no migration ran")
    return GateItem("rollback", title, "pass", f"{len(ran)} down migration"
                    f"{'s' * (len(ran) != 1)} ran and gave the schema back")


def _no_data_loss(results: Sequence[MigrationResult], seeded: bool) -> GateItem:
    title = "no data loss"
    problems = [f"{m.name}: {r}" for m in results if m.backup is not None
                for r in m.backup.refused]
    problems += [f"{m.name}: {c}" for m in results if m.data is not None for c in m.data.changed]
    if problems:
        return GateItem("no-data-loss", title, "fail", _listing(problems))
    destructive = [m for m in results if m.backup is not None and m.backup.saves]
    saves = sum(m.backup.saves for m in destructive if m.backup is not None)
    unproven = [f"{m.name}: {_why_unproven(m, seeded)}" for m in destructive if m.data is None]
    steps = f"{saves} destructive step{'s' * (saves != 1)}"
    if unproven:
        return GateItem("no-data-loss", title, "skip", f"{steps} covered by backup.sql and "
                        f"restore.sql, not proven by a seeded round trip: {_listing(unproven)}")
    checked = [m.data for m in results if m.data is not None and m.data.tables]
    if checked:
        covered = f"{steps} covered by backup.sql and restore.sql; " if saves else ""
        return GateItem("no-data-loss", title, "pass", f"{covered}the seeded round trip (up, "
                        f"down, restore.sql) kept every row, in {len(checked)} migration"
                        f"{'s' * (len(checked) != 1)}")
    return GateItem("no-data-loss", title, "pass", "no statement destroys data"
                    + ("" if seeded else " (the seeded round trip, --seed N, would prove it)"))


def _why_unproven(m: MigrationResult, seeded: bool) -> str:
    if not m.up.ok:
        return "the migration failed"
    if not m.has_down:
        return "no down migration"
    if not seeded:
        return "run with --seed N"
    return "the round trip did not complete"


def _backup(results: Sequence[MigrationResult]) -> GateItem:
    title = "backup procedure ready"
    runs = [(m.name, m.backup) for m in results if m.backup is not None and m.backup.saves]
    if not runs:
        return GateItem("backup", title, "pass", "nothing to back up")
    problems = [f"{name}: backup.sql failed: {b.backup_error}" for name, b in runs
                if b.backup_error]
    problems += [f"{name}: {r}" for name, b in runs for r in b.refused]
    problems += [f"{name}: restore.sql failed: {b.restore_error}" for name, b in runs
                 if b.restore_error and not b.refused]  # a refusal is said once
    if problems:
        return GateItem("backup", title, "fail", _listing(problems))
    unrestored = [name for name, b in runs if not b.ran_restore]
    detail = f"backup.sql ran on the scratch copy for {len(runs)} migration" \
             f"{'s' * (len(runs) != 1)}"
    detail += f", restore.sql after {len(runs) - len(unrestored)} of their down migrations"
    if unrestored:
        detail += f" (not run for {', '.join(unrestored[:5])}: no down, or it failed)"
    return GateItem("backup", title, "pass", detail + "; write them with `schemagate backup`")
