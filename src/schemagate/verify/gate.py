"""The quality gate's checklist, as data the text, JSON and HTML reports all show.

Four items, each `pass` (checked, for every migration it covers), `fail`, `skip` (could not
be checked for some or all migrations, and says which and why) or `n/a` (does not apply to
these migrations' tool, and says why). An item counts only what ran: a migration that never
ran (an earlier one failed, or verify could not apply it) keeps every item it touches from
passing. The gate fails, and verify exits 1, when any item fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from schemagate.verify.results import STOPPED, MigrationResult

Status = Literal["pass", "fail", "skip", "n/a"]


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

    @property
    def unchecked(self) -> list[GateItem]:
        """The items that could not be checked in full."""
        return [i for i in self.items if i.status == "skip"]


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
    unrun = [m for m in results if m.skipped is not None]
    if unrun:
        return GateItem("runs", title, "skip", _unrun_listing(unrun))
    if not ran:
        return GateItem("runs", title, "skip", "no migration to run")
    again = sum(1 for m in ran if m.up_again.ran)
    return GateItem("runs", title, "pass", f"{len(ran)} migration{'s' * (len(ran) != 1)} ran "
                    f"up; {again} ran up again after their down")


def _not_run(results: Sequence[MigrationResult]) -> list[MigrationResult]:
    """Migrations whose up did not run through: what they do was not seen."""
    return [m for m in results if not m.up.ok]


def _unrun_listing(unrun: Sequence[MigrationResult]) -> str:
    """Why each migration did not run; those that only waited on an earlier failure are
    counted, not listed (the failure is said once)."""
    later = [m for m in unrun if (m.skipped or "").startswith(STOPPED)]
    own = [f"{m.name}: {_why_not_down(m)}" for m in unrun if m not in later]
    if later:
        n = len(later)
        own.append(f"{n} migration{'s' * (n != 1)} after it not run")
    return _listing(own)


def _unchecked(item: str, title: str, results: Sequence[MigrationResult],
               unrun: Sequence[MigrationResult]) -> GateItem:
    return GateItem(item, title, "skip", f"not checked for {len(unrun)} of {len(results)} "
                    f"migrations, which did not run through: {_unrun_listing(unrun)}")


def _rollback(results: Sequence[MigrationResult]) -> GateItem:
    title = "rollback tested"
    applies = [m for m in results if m.no_down is None or m.down_generated
               or (m.down_planned and not m.up.ok)]
    ran = [m for m in applies if m.up.ok]
    problems = [f"{m.name}: no down migration" for m in ran if not m.has_down]
    problems += [f"{m.name}: down failed at {m.down.error}" for m in ran
                 if m.down.ran and not m.down.ok]
    problems += [f"{m.name}: the schema after up and down differs: "
                 f"{_listing(m.schema_differences, 3)}" for m in ran
                 if m.schema_restored is False]
    applying = {id(m) for m in applies}
    na = [m for m in results if m.no_down is not None and id(m) not in applying]
    why_na = "; ".join(dict.fromkeys(m.no_down for m in na if m.no_down)) if na else ""
    also = f"; not applicable to {len(na)} ({why_na})" if na else ""
    if problems:
        return GateItem("rollback", title, "fail", _listing(problems) + also)
    if not applies:
        return GateItem("rollback", title, "n/a", f"not applicable: {why_na}" if na
                        else "no migration to roll back")
    tested = [m for m in ran if m.schema_restored is True]
    untested = [m for m in applies if m not in tested]
    done = f"{len(tested)} of {len(applies)} down migrations ran and gave the schema back"
    generated = [m for m in applies if m.down_generated]
    if generated:
        tools = "; ".join(dict.fromkeys(m.no_down for m in generated if m.no_down))
        done += (f" ({len(generated)} of them the way back `schemagate diff` plans to the "
                 f"schema before the migration: {tools})")
    if untested:
        return GateItem("rollback", title, "skip", f"{done}; not tested: "
                        f"{_unrun_listing(untested)}{also}")
    return GateItem("rollback", title, "pass", done + also)


def _why_not_down(m: MigrationResult) -> str:
    if m.skipped is not None:
        return m.skipped
    if not m.up.ok:
        return "its up failed"
    if m.down.ran and not m.down.ok:
        return "its down failed"
    return "the down did not run"


def _why_no_restore(m: MigrationResult) -> str:
    if m.down_generated and m.down.ran and not m.down.ok:
        return "the way back `schemagate diff` plans failed"
    if m.no_down is not None:
        return m.no_down
    return _why_not_down(m) if m.has_down else "no down migration"


def _no_data_loss(results: Sequence[MigrationResult], seeded: bool) -> GateItem:
    title = "no data loss"
    problems = [f"{m.name}: {r}" for m in results if m.backup is not None
                for r in m.backup.refused]
    problems += [f"{m.name}: {c}" for m in results if m.data is not None for c in m.data.changed]
    if problems:
        return GateItem("no-data-loss", title, "fail", _listing(problems))
    if not_run := _not_run(results):
        return _unchecked("no-data-loss", title, results, not_run)
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
    runs = [(m, m.backup) for m in results if m.backup is not None and m.backup.saves]
    problems = [f"{m.name}: backup.sql failed: {b.backup_error}" for m, b in runs
                if b.backup_error]
    problems += [f"{m.name}: {r}" for m, b in runs for r in b.refused]
    problems += [f"{m.name}: restore.sql failed: {b.restore_error}" for m, b in runs
                 if b.restore_error and not b.refused]  # a refusal is said once
    if problems:
        return GateItem("backup", title, "fail", _listing(problems))
    if not_run := _not_run(results):
        return _unchecked("backup", title, results, not_run)
    if not runs:
        return GateItem("backup", title, "pass", "nothing to back up")
    unrestored = [f"{m.name}: {_why_no_restore(m)}" for m, b in runs if not b.ran_restore]
    detail = f"backup.sql ran on the scratch copy for {len(runs)} migration" \
             f"{'s' * (len(runs) != 1)}, restore.sql after {len(runs) - len(unrestored)} of " \
             f"their down migrations"
    if unrestored:
        return GateItem("backup", title, "skip", f"{detail}; restore.sql not tested: "
                        f"{_listing(unrestored)}")
    return GateItem("backup", title, "pass", detail + "; write them with `schemagate backup`")
