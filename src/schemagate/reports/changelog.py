"""`schemagate changelog`: a Keep a Changelog entry for the migrations still to run.

A reviewer reads it without the SQL: what the migrations add, change and remove in the
schema, in words (### Added / ### Changed / ### Removed, as keepachangelog.com names them);
then what deploying them means — the data destroyed and the backup that saves it first, each
lock a statement takes on a table that already exists, what it blocks, and, with live table
statistics, roughly how long it is held — and how to roll back: each migration's down path,
in the order to run them, or why there is none.

Everything here comes from the report's own stages (the parsed operations, the lint
findings, the backup section, the statistics): this module only puts it into words. Names
from the migrations are shown in code spans, escaped as the Markdown report escapes them.
Durations are orders of magnitude from the table's size at a conservative rate, never a
promise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from schemagate.model import ops as o
from schemagate.model.findings import Severity
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedMigration
from schemagate.reports.impact import Impact, MigrationView, StatementView, describe, human_bytes
from schemagate.reports.markdown import code, text, ticks

# Bytes a statement gets through per second, for the order of magnitude of how long its lock
# is held: a rewrite or index build copies the table (the backup stage's measured copy rate,
# about a third of what a development machine reached), a scan only reads it.
REWRITE_BYTES_PER_SECOND = 50 * 1024 * 1024
SCAN_BYTES_PER_SECOND = 200 * 1024 * 1024

Section = str  # "Added", "Changed", "Removed"


@dataclass(frozen=True, slots=True)
class Change:
    section: Section
    words: str  # Markdown
    migration: str


def render_changelog(impact: Impact, pending: Sequence[ParsedMigration], *,
                     version: str = "Unreleased", date: str | None = None) -> str:
    """The entry: a `## [version] - date` heading, the schema changes by section, then
    deploying and rolling back."""
    heading = f"## [{_plain(version)}]" + (f" - {_plain(date)}" if date else "")
    out = [heading, ""]
    names = [m.name for m in pending]
    if not names:
        return "\n".join([*out, "No pending migrations.", ""])
    out.append(f"Database: {_migrations_phrase(names)}.")
    changes = list(dict.fromkeys(c for m in pending for c in migration_changes(m)))
    for section in ("Added", "Changed", "Removed"):
        listed = [c for c in changes if c.section == section]
        if listed:
            out += ["", f"### {section}", ""]
            out += [f"- {c.words} ({code(c.migration)})" for c in listed]
    if not changes:
        out += ["", "The migrations change no schema object."]
    out += ["", "### Deploying", ""]
    out += _deploying(impact)
    out += ["", "### Rolling back", ""]
    out += _rolling_back(impact, pending)
    return "\n".join(out) + "\n"


def _plain(value: str) -> str:
    """A version or date as written when it holds no Markdown (`1.4.0`, `2025-01-31`),
    else escaped."""
    return value if re.fullmatch(r"[\w.+-]+", value) else text(value)


def _migrations_phrase(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"migration {code(names[0])}"
    if len(names) <= 6:
        return f"{len(names)} migrations, " + ", ".join(code(n) for n in names)
    return (f"{len(names)} migrations, {code(names[0])} to {code(names[-1])}")


# --- the schema changes in words -----------------------------------------------------------

def migration_changes(mig: ParsedMigration) -> list[Change]:
    out: list[Change] = []
    for st in mig.up.statements if mig.up is not None else ():
        for op in st.ops:
            said = words(op)
            if said is not None:
                out.append(Change(said[0], said[1], mig.name))
    return out


def words(op: o.Operation) -> tuple[Section, str] | None:
    """The section and sentence for one operation; None for what changes no schema object
    (settings, transaction control)."""
    match op:
        case o.SetSetting() | o.TransactionControl() | o.LockTable():
            return None
        case o.CreateTable(table=t, partition_of=parent) if parent is not None:
            return "Added", f"Table {code(str(t))}, a partition of {code(str(parent))}"
        case o.CreateTable(table=t, columns=cols):
            shown = ", ".join(code(c.name) for c in cols[:8])
            more = f" and {len(cols) - 8} more" if len(cols) > 8 else ""
            return "Added", f"Table {code(str(t))}" + (
                f" with columns {shown}{more}" if cols else "")
        case o.AddColumn(table=t, column=c):
            required = " (required" + (", with a default" if c.default else "") + ")" \
                if c.not_null else ""
            return "Added", f"Column {code(f'{t}.{c.name}')} of type {code(str(c.type))}" \
                + required
        case o.CreateIndex(name=name, table=t, unique=unique):
            what = "Unique index" if unique else "Index"
            named = f" {code(str(name))}" if name else ""
            return "Added", f"{what}{named} on {code(str(t))}"
        case o.AddConstraint(table=t, constraint=con):
            named = f" {code(con.name)}" if con.name else ""
            kind = {"primary": "Primary key", "foreign": "Foreign key", "unique":
                    "Unique constraint", "check": "Check constraint"}.get(
                con.kind, f"{con.kind.capitalize()} constraint")
            target = f" referencing {code(str(con.ref_table))}" if con.ref_table else ""
            return "Added", f"{kind}{named} on {code(str(t))}{target}"
        case o.CreateView(name=name, materialized=mat):
            return "Added", f"{'Materialized view' if mat else 'View'} {code(str(name))}"
        case o.CreateSequence(name=name):
            return "Added", f"Sequence {code(str(name))}"
        case o.CreateType(name=name, type_kind=kind):
            return "Added", f"Type {code(str(name))} ({text(kind)})"
        case o.AlterEnumAddValue(name=name, value=value):
            return "Added", f"Value {code(value)} of enum {code(str(name))}"
        case o.CreateFunction(name=name, procedure=proc):
            return "Added", f"{'Procedure' if proc else 'Function'} {code(str(name))}"
        case o.CreateTrigger(name=name, table=t):
            return "Added", f"Trigger {code(name)} on {code(str(t))}"
        case o.CreateExtension(name=name):
            return "Added", f"Extension {code(str(name))}"
        case o.CreateSchema(name=name):
            return "Added", f"Schema {code(name)}"
        case o.DropTable(tables=ts):
            return "Removed", f"Table {_codes(ts)} **and every row in it**"
        case o.DropColumn(table=t, column=c):
            return "Removed", f"Column {code(f'{t}.{c}')} **and its data**"
        case o.DropIndex(names=names):
            return "Removed", f"Index {_codes(names)}"
        case o.DropConstraint(table=t, name=name):
            return "Removed", f"Constraint {code(name)} on {code(str(t))}"
        case o.DropView(names=names, materialized=mat):
            return "Removed", f"{'Materialized view' if mat else 'View'} {_codes(names)}"
        case o.DropType(names=names):
            return "Removed", f"Type {_codes(names)}"
        case o.DropFunction(names=names):
            return "Removed", f"Function {_codes(n for n, _ in names)}"
        case o.DropSequence(names=names):
            return "Removed", f"Sequence {_codes(names)}"
        case o.DropTrigger(name=name, table=t):
            return "Removed", f"Trigger {code(name)} on {code(str(t))}"
        case o.DropSchema(names=names):
            return "Removed", f"Schema {_codes(names)}"
        case o.DropExtension(names=names):
            return "Removed", f"Extension {_codes(names)}"
        case o.Truncate(tables=ts):
            return "Removed", f"Every row of {_codes(ts)} (truncated)"
        case o.DeleteRows(table=t, has_where=where):
            return "Removed", f"{'Some rows' if where else 'Every row'} of {code(str(t))}"
        case o.RenameTable(table=t, new_name=new):
            return "Changed", f"Table {code(str(t))} renamed to {code(new)}"
        case o.RenameColumn(table=t, column=c, new_name=new):
            return "Changed", f"Column {code(f'{t}.{c}')} renamed to {code(new)}"
        case o.AlterColumnType(table=t, column=c, new_type=new):
            return "Changed", f"Column {code(f'{t}.{c}')} now of type {code(str(new))}"
        case o.SetNotNull(table=t, column=c):
            return "Changed", f"Column {code(f'{t}.{c}')} is now required (NOT NULL)"
        case o.DropNotNull(table=t, column=c):
            return "Changed", f"Column {code(f'{t}.{c}')} now accepts NULL"
        case o.SetDefault(table=t, column=c, default=None):
            return "Changed", f"Column {code(f'{t}.{c}')} no longer has a default"
        case o.SetDefault(table=t, column=c, default=d):
            return "Changed", f"Column {code(f'{t}.{c}')} defaults to {code(d.sql)}" \
                if d is not None else f"Column {code(f'{t}.{c}')} has a new default"
        case o.ValidateConstraint(table=t, name=name):
            return "Changed", f"Constraint {code(name)} on {code(str(t))} validated " \
                "against existing rows"
        case o.UpdateRows(table=t, has_where=where):
            return "Changed", f"{'Some rows' if where else 'Every row'} of {code(str(t))} " \
                "updated"
        case o.InsertRows(table=t):
            return "Changed", f"Rows inserted into {code(str(t))}"
        case o.RawSQL(statement_kind=kind):
            return "Changed", f"A {code(kind)} statement schemagate does not model " \
                "(read the migration)"
    said = describe(op)
    return ("Changed", code(said)) if said else None


def _codes(names: Iterable[object]) -> str:
    return ", ".join(code(str(n)) for n in names)


# --- deploying -----------------------------------------------------------------------------

def _deploying(impact: Impact) -> list[str]:
    s = impact.summary
    out: list[str] = []
    if s.destructive:
        out.append(f"- **Data destroyed** by {len(s.destructive)} statement(s):")
        out += [f"  - {code(f.migration)}: {ticks(f.message)}" for f in s.destructive]
        backup = impact.backup
        if backup.generated and backup.saves:
            out.append("- **Back up first**: `schemagate backup -o backup/` writes "
                       "`backup.sql`, which saves, before the migrations run:")
            out += [f"  - {code(line)}" for line in backup.saves]
            out.append("  and `restore.sql`, which puts it back after a rollback.")
        else:
            out.append(f"- **No backup script**: {text(backup.reason)}.")
    else:
        out.append("- No statement destroys data.")
    locks = [(m, st) for m in impact.migrations for st in m.statements
             if _blocks(st)]
    if locks:
        out.append("- **Locks** on tables that exist before these migrations:")
        out += [f"  - {_lock_line(m, st, impact.live)}" for m, st in locks]
        if not impact.live:
            out.append("  Table sizes are unknown: run with `--db URL` for rows, sizes and "
                       "how long each lock is held.")
    else:
        out.append("- No lock that blocks reads or writes on a table that already exists.")
    counts = s.counts
    if counts["error"] or counts["warning"]:
        out.append(f"- **Review**: schemagate found {counts['error']} error(s) and "
                   f"{counts['warning']} warning(s); {ticks(s.verdict_text)} "
                   "(`schemagate report` shows each).")
    if s.errors:
        out.append(f"- **Incomplete**: {len(s.errors)} file(s) could not be read; this entry "
                   "does not cover them.")
    return out


def _blocks(st: StatementView) -> bool:
    """An up statement whose lock stops the application's writes (SHARE and stronger) on a
    table that already exists."""
    return (st.direction == "up" and st.lock is not None and not st.new_tables_only
            and bool(st.tables) and st.lock.rank >= LockMode.SHARE.rank)


def _lock_line(m: MigrationView, st: StatementView, live: bool) -> str:
    assert st.lock is not None
    tables = ", ".join(code(t) for t in st.tables)
    line = f"{code(m.name)}: {code(st.lock.value)} on {tables} ({text(st.lock.effect)})"
    work = "rewrites the table" if st.rewrite == "yes" else (
        "reads every row" if st.scan else "")
    if work:
        line += f"; it {work}"
    if st.rows is not None or st.bytes is not None:
        size = human_bytes(st.bytes) if st.bytes is not None else "size unknown"
        rows = f"{st.rows:,} rows, " if st.rows is not None else ""
        line += f"; {rows}{size}"
        held = _duration(st)
        if held:
            line += f"; held about {held}"
    elif live:
        line += "; no statistics for the table"
    if st.line is not None:
        line += f" — {code(f'{st.path}:{st.line}')}"
    return line


def _duration(st: StatementView) -> str:
    """How long the statement holds its lock, to an order of magnitude: instant unless it
    rewrites or reads the whole table."""
    if st.bytes is None:
        return ""
    if st.rewrite == "yes":
        seconds = st.bytes / REWRITE_BYTES_PER_SECOND
    elif st.scan:
        seconds = st.bytes / SCAN_BYTES_PER_SECOND
    else:
        return "a moment (no rewrite or scan), once the lock is granted"
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# --- rolling back --------------------------------------------------------------------------

def _rolling_back(impact: Impact, pending: Sequence[ParsedMigration]) -> list[str]:
    views = {v.name: v for v in impact.migrations}
    irreversible: dict[str, list[str]] = {}
    for f in impact.summary.irreversible:
        if f.suppressed_by is None and f.severity >= Severity.WARNING:
            irreversible.setdefault(f.migration, []).append(ticks(f.message))
    out = ["Run, newest first:"]
    for mig in reversed(pending):
        view = views.get(mig.name)
        if view is None or not view.has_down:
            reason = ("its tool has no down migrations" if mig.source.layout == "prisma"
                      else "it has no down migration")
            out.append(f"- {code(mig.name)}: **by hand**: {reason}.")
            continue
        assert mig.down is not None
        out.append(f"- {code(mig.name)}: its down migration, {code(mig.down.script.path)}.")
        for why in irreversible.get(mig.name, []):
            out.append(f"  - does not undo everything: {why}")
    if impact.summary.destructive:
        restore = ("then `restore.sql` from the backup puts the destroyed data back"
                   if impact.backup.generated and impact.backup.saves
                   else "the destroyed data does not come back with a down migration")
        out.append(f"- Data: {restore}.")
    return out
