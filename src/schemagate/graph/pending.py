"""Which migrations are still to run: those the migration tool's own record does not list.

Given the migrations on disk and the rows of each tool's record (`diff.applied`), every
migration is applied or pending by the tool's own rule:
- golang-migrate: every version up to the one recorded (it never runs an older file added
  later); a dirty version failed part-way, so it is pending, and reported.
- dbmate, diesel, ory/popx: the versions listed (diesel's without the dashes of the folder
  name, as diesel records them).
- Flyway: the versions with a successful row, less those undone or deleted since, and every
  version up to a baseline; a failed row is pending and reported. A repeatable migration is
  applied once its script has a successful row (Flyway also re-runs one whose checksum
  changed, which is not compared here).
- Alembic: each recorded head and everything before it in the revision graph
  (`down_revision` and `depends_on`); a head no file defines is an error.
- Prisma: the folders with a finished row that was not rolled back; a row neither finished
  nor rolled back is a failed migration, pending and reported.
- Django: the (app, name) pairs listed; a squash also when every migration it replaces is
  listed (a database migrated before the squash existed).

A state the tool itself refuses to go on from (dirty, failed) is a *problem*: reported by
the caller, never silently counted as applied.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from schemagate.graph.revisions import in_tool_order, revision_graph
from schemagate.model.applied import RECORD_TABLES, AppliedRecord
from schemagate.model.errors import SchemagateError
from schemagate.model.migration import Layout, ParsedMigration


class PendingError(SchemagateError):
    """What is pending cannot be told: no record to read, or one that names migrations
    the files do not have."""


class NoRecordError(PendingError):
    """No record of the layout's tool to read: its table does not exist, or the layout
    (plain SQL files) has no tool that keeps one."""


@dataclass
class Pending:
    """The migrations in the order their tools apply them, and which of them are pending."""

    ordered: list[ParsedMigration]
    pending: list[ParsedMigration]
    problems: list[str] = field(default_factory=list)  # states the tool refuses to go on from
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {m.name for m in self.pending}

    @property
    def first(self) -> int:
        """The position in ``ordered`` of the first pending migration (len: none pending)."""
        ids = {id(m) for m in self.pending}
        return next((i for i, m in enumerate(self.ordered) if id(m) in ids), len(self.ordered))


def looked_for(layouts: Sequence[Layout]) -> str:
    """The tables a record is looked for in, for messages: `schema_migrations (dbmate)`."""
    return ", ".join(f"{RECORD_TABLES[lay]} ({lay})" for lay in sorted(set(layouts))
                     if lay in RECORD_TABLES)


def find_pending(migrations: Sequence[ParsedMigration],
                 records: Mapping[Layout, AppliedRecord | None]) -> Pending:
    """Split ``migrations`` by the records of their tools. NoRecordError when a layout has no
    tool of its own (plain SQL) or its tool's table is missing; PendingError when a record
    names a migration the files do not have."""
    ordered = in_tool_order(migrations)
    by_layout: dict[Layout, list[ParsedMigration]] = {}
    for mig in ordered:
        by_layout.setdefault(mig.source.layout, []).append(mig)
    untracked = [lay for lay in by_layout if lay not in RECORD_TABLES]
    if "drizzle" in untracked:
        raise NoRecordError("drizzle's record of what was applied (drizzle.__drizzle_migrations, "
                            "by content hash) is not read, so what is pending cannot be told")
    if "sqlx" in untracked:
        raise NoRecordError("sqlx's record of what was applied (_sqlx_migrations) is not read, "
                            "so what is pending cannot be told")
    if untracked:
        raise NoRecordError(f"{', '.join(sorted(untracked))} migrations have no tool that "
                           "records what was applied, so what is pending cannot be told")
    missing = [lay for lay in by_layout if records.get(lay) is None]
    if missing:
        raise NoRecordError(f"no record of applied migrations in the database: looked for "
                            f"{looked_for(missing)}, and found none")
    out = Pending(ordered, [])
    applied: set[int] = set()
    for layout, migs in by_layout.items():
        record = records[layout]
        assert record is not None
        applied |= _APPLIED[layout](migs, record, out)
    out.pending = [m for m in ordered if id(m) not in applied]
    _check_order(out)
    return out


def _check_order(out: Pending) -> None:
    first = out.first
    ids = {id(m) for m in out.pending}
    late = [m.name for m in out.ordered[first:] if id(m) not in ids]
    if late:
        shown = ", ".join(late[:5]) + (" …" if len(late) > 5 else "")
        out.notes.append(f"{len(late)} migration(s) after the first pending one "
                         f"({out.ordered[first].name}) are applied already: {shown}")


def _golang_migrate(migs: list[ParsedMigration], record: AppliedRecord,
                    out: Pending) -> set[int]:
    if not record.rows:
        return set()
    row = record.rows[-1]
    at = int(row.key)
    applied = {id(m) for m in migs if _int(m.source.version) <= at}
    if not row.ok:
        dirty = [m for m in migs if _int(m.source.version) == at]
        which = dirty[0].name if dirty else f"version {at} (no file here)"
        out.problems.append(
            f"{record.table} is dirty at version {at}: migration {which} failed part-way, "
            "and golang-migrate runs nothing until the database is repaired by hand and "
            "marked with `migrate force`; it is counted as still to run")
        applied -= {id(m) for m in dirty}
    return applied


def _int(version: str | None) -> int:
    try:
        return int(version or "")
    except ValueError:
        return 2**63  # no version: never counted as applied


Applied = Callable[[list[ParsedMigration], AppliedRecord, Pending], set[int]]


def _listed(*keys: Callable[[ParsedMigration], str | None]) -> Applied:
    """A tool that lists each migration it applied: a migration is applied when one of the
    ways ``keys`` name it is listed."""
    def applied(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
        listed = {r.key for r in record.rows if r.ok}
        return {id(m) for m in migs if any(key(m) in listed for key in keys)}

    return applied


def _version(mig: ParsedMigration) -> str | None:
    return mig.source.version


def _goose(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    """goose: a row per apply and per roll-back; a version's latest row says where it is."""
    latest: dict[int, bool] = {}
    for row in record.rows:
        latest[_int(row.key)] = row.ok
    return {id(m) for m in migs if latest.get(_int(m.source.version), False)}


def _file_name(mig: ParsedMigration) -> str:
    """sql-migrate's `id`: the file's name."""
    return f"{mig.name}.sql"


def _changeset(mig: ParsedMigration) -> str | None:
    """Liquibase's `author:id`."""
    return mig.source.up.part if mig.source.up is not None else None


def _sqitch(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    """Sqitch: the changes its registry lists, by name. A reworked change is listed once per
    planning deployed: its k-th planning (`users@v1.0`, then `users`) is applied when the
    name is listed at least k times."""
    deployed = Counter(r.key for r in record.rows if r.ok)
    seen: Counter[str] = Counter()
    applied = set()
    for mig in migs:
        name = mig.name.split("@", 1)[0]
        seen[name] += 1
        if seen[name] <= deployed[name]:
            applied.add(id(mig))
    return applied


def _digits(mig: ParsedMigration) -> str:
    """diesel's version as its table lists it: the folder's digits, without dashes."""
    return (mig.source.version or "").replace("-", "")


def _flyway_version(text: str) -> tuple[int, ...]:
    """Flyway's comparison: numeric parts, `_` as `.`, trailing zero parts ignored."""
    parts = [int(p) if p.isdigit() else 0 for p in text.replace("_", ".").split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _flyway(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    done: set[tuple[int, ...]] = set()
    failed: dict[tuple[int, ...], str] = {}
    scripts: set[str] = set()
    baseline: tuple[int, ...] | None = None
    for row in record.rows:
        kind = row.kind.upper()
        if kind == "SCHEMA":
            continue
        if kind == "BASELINE":
            baseline = _flyway_version(row.key)
            continue
        if not row.key:  # a repeatable migration, known by its script
            if row.ok:
                scripts.add(posixpath.basename(row.script))
            continue
        version = _flyway_version(row.key)
        if kind.startswith("UNDO") or kind == "DELETE":
            if row.ok:
                done.discard(version)
        elif row.ok:
            done.add(version)
            failed.pop(version, None)
        else:
            failed[version] = row.script
    applied: set[int] = set()
    for mig in migs:
        script = mig.source.up or mig.source.down
        if mig.source.repeatable:
            if script is not None and posixpath.basename(script.path) in scripts:
                applied.add(id(mig))
            continue
        version = _flyway_version(mig.source.version or "")
        if version in failed:
            out.problems.append(
                f"{record.table} records migration {mig.name} as failed (success = false): "
                "Flyway refuses to migrate until it is repaired (`flyway repair`); it is "
                "counted as still to run")
        elif version in done or (baseline is not None and version <= baseline):
            applied.add(id(mig))
    return applied


def _alembic(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    import networkx as nx

    graph = revision_graph(migs)
    heads: list[int] = []
    for row in record.rows:
        node = graph.ids.get(row.key)
        if node is None:  # Alembic accepts a unique prefix; so does its version table
            found = [i for rev, i in graph.ids.items() if rev.startswith(row.key)]
            node = found[0] if len(found) == 1 else None
        if node is None:
            raise PendingError(f"{record.table} says the database is at revision "
                               f"{row.key}, which no migration here defines: is this the "
                               "right database, and the right checkout?")
        heads.append(node)
    applied: set[int] = set()
    for head in heads:
        for node in (head, *nx.ancestors(graph.graph, head)):
            applied.add(id(graph.migrations[node]))
    return applied


def _prisma(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    finished = {r.key for r in record.rows if r.ok}
    failed = {r.key for r in record.rows if not r.ok} - finished
    for mig in migs:
        if mig.name in failed:
            out.problems.append(
                f"{record.table} records migration {mig.name} as started but never "
                "finished (a failed migration): `prisma migrate deploy` runs nothing until it "
                "is resolved (`prisma migrate resolve`); it is counted as still to run")
    return {id(m) for m in migs if m.name in finished}


def _django(migs: list[ParsedMigration], record: AppliedRecord, out: Pending) -> set[int]:
    listed = {r.key for r in record.rows}
    applied: set[int] = set()
    for mig in migs:
        replaces = mig.source.replaces
        if mig.source.version in listed or (replaces and all(r in listed for r in replaces)):
            applied.add(id(mig))
        elif replaces and any(r in listed for r in replaces):
            done = sum(1 for r in replaces if r in listed)
            out.notes.append(
                f"{mig.source.version}: {done} of the {len(replaces)} migrations this squash "
                "replaces are applied; Django runs the others rather than the squash, and "
                "the whole squash is linted as still to run")
    return applied


_APPLIED: dict[str, Applied] = {
    "golang-migrate": _golang_migrate,
    "dbmate": _listed(_version),
    "goose": _goose,
    "sql-migrate": _listed(_file_name),
    "liquibase": _listed(_changeset),
    "sqitch": _sqitch,
    "popx": _listed(_version),
    "diesel": _listed(_version, _digits),
    "flyway": _flyway,
    "alembic": _alembic,
    "prisma": _prisma,
    "django": _django,
}
