"""The impact report's content: what the stages found, arranged per migration and statement.

Nothing here decides anything. Findings come from the rules, the lock each statement takes
from `model.statement_locks` (the table the locking rules use), sizes from the live statistics or
the findings' `facts`, dependencies from the folded catalog, backup scripts from
`schemagate.backup`, and the verdict from the lint result's own exit code. This module only
sorts those into the shape the HTML, Markdown and JSON renderers print, so that all three
say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from schemagate import __version__
from schemagate.lint.result import LintResult
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.findings import Finding, InputError, Notice, Severity
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedMigration, ParsedStatement, StatementStream
from schemagate.model.names import QName
from schemagate.model.statement_locks import lock_for, op_tables
from schemagate.model.stats import TableStats
from schemagate.reports.depgraph import dependency_picture
from schemagate.reports.graphview import Picture
from schemagate.rules.registry import Rule, all_rules

SQL_SHOWN = 4000  # characters of a statement shown; a function body can be very long


def lock_rank(lock: LockMode | None) -> int:
    return -1 if lock is None else lock.rank


def human_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_rows(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


@dataclass
class StatementView:
    direction: str  # "up" or "down"
    path: str
    line: int | None
    sql: str
    sql_truncated: bool
    changes: list[str]
    lock: LockMode | None
    lock_effect: str
    tables: list[str]
    new_tables_only: bool  # every table it locks was created by this migration: harmless
    rewrite: str  # "yes", "no", "unknown", or "" when no rule said
    scan: bool
    rows: int | None
    bytes: int | None
    findings: list[Finding]

    @property
    def size(self) -> str:
        return human_bytes(self.bytes)

    @property
    def worst(self) -> Severity | None:
        active = [f.severity for f in self.findings if f.suppressed_by is None]
        return max(active) if active else None


class StatementViews(Sequence[StatementView]):
    """The views of a long script's statements (a `StatementStream`), made again whenever
    they are read: held, they would take some seven bytes per byte of the script, on top of
    what its lint holds. The report reads them once to sum them up, and once to print them."""

    __slots__ = ("_count", "_make")

    def __init__(self, make: Callable[[], Iterator[StatementView]], count: int) -> None:
        self._make, self._count = make, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[StatementView]:
        return self._make()

    @overload
    def __getitem__(self, index: int) -> StatementView: ...

    @overload
    def __getitem__(self, index: slice) -> list[StatementView]: ...

    def __getitem__(self, index: int | slice) -> StatementView | list[StatementView]:
        return list(self)[index]


@dataclass
class MigrationView:
    name: str
    layout: str
    history: str
    paths: list[str]
    has_down: bool
    # A list, or for a long script `StatementViews`, made again as they are read.
    statements: Sequence[StatementView]
    notes: list[Finding]  # findings about the migration as a whole (no statement)
    errors: list[InputError]
    # The statements' findings, in their order: summed up without making the views again.
    placed: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return self.notes + self.placed

    @property
    def worst(self) -> Severity | None:
        active = [f.severity for f in self.findings if f.suppressed_by is None]
        return max(active) if active else None

    @property
    def anchor(self) -> str:
        return "m-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)[:80]


@dataclass(frozen=True, slots=True)
class TableSize:
    name: str
    rows: int
    bytes: int

    @property
    def size(self) -> str:
        return human_bytes(self.bytes)


@dataclass
class Summary:
    migrations: int
    statements: int
    files: int
    verdict: str  # "pass", "review", "fail", "incomplete"
    verdict_text: str
    counts: dict[str, int]
    suppressed: int
    worst_lock: LockMode | None
    worst_lock_tables: list[str]
    worst_lock_migration: str
    largest: TableSize | None
    sizes_known: bool
    destructive: list[Finding]
    irreversible: list[Finding]
    errors: list[InputError]
    notices: list[Notice]

    @property
    def worst_lock_where(self) -> str:
        if not self.worst_lock:
            return ""
        return f"{', '.join(self.worst_lock_tables) or 'a table'} in {self.worst_lock_migration}"


@dataclass
class BackupView:
    generated: bool
    reason: str  # why not generated, or how many saves
    schema: str = ""
    backup: str = ""
    restore: str = ""
    saves: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckItem:
    name: str
    status: str  # "pass", "fail", "attention", "not checked"
    evidence: str


@dataclass(frozen=True, slots=True)
class DriftChange:
    """One difference between the live database and the target schema.

    The hook for `schemagate.diff`: its deltas (action, object reference, aspects) become
    these through `drift_from_deltas`, and every renderer prints them as they are.
    """

    action: str  # create, drop, alter, replace, rebuild
    kind: str  # table, column, index, …
    name: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    family: str
    severity: str
    summary: str
    # The documentation as blocks to print: ("h", title), ("p", text) or ("code", sql).
    blocks: tuple[tuple[str, str], ...]


@dataclass
class Impact:
    title: str
    version: str
    generated: str
    summary: Summary
    migrations: list[MigrationView]
    graph: Picture | None
    drift: list[DriftChange] | None
    drift_note: str
    backup: BackupView
    checklist: list[CheckItem]
    rules: list[RuleDoc]
    live: bool  # table sizes came from a live database


# --- operations in words ------------------------------------------------------------------

def _names(names: Iterable[object]) -> str:
    return ", ".join(str(n) for n in names)


def describe(op: o.Operation) -> str | None:
    """What an operation does to the schema or the data, in a few words; None for statements
    that change neither (settings, transaction control)."""
    match op:
        case o.SetSetting() | o.TransactionControl():
            return None
        case o.CreateTable(table=t, partition_of=parent):
            return f"create table {t}" + (f" (partition of {parent})" if parent else "")
        case o.DropTable(tables=ts, cascade=cascade):
            return f"drop table {_names(ts)}" + (" CASCADE" if cascade else "")
        case o.RenameTable(table=t, new_name=new):
            return f"rename table {t} to {new}"
        case o.AddColumn(table=t, column=c):
            return f"add column {t}.{c.name} {c.type}" + (" NOT NULL" if c.not_null else "")
        case o.DropColumn(table=t, column=c):
            return f"drop column {t}.{c}"
        case o.RenameColumn(table=t, column=c, new_name=new):
            return f"rename column {t}.{c} to {new}"
        case o.AlterColumnType(table=t, column=c, new_type=new):
            return f"change type of {t}.{c} to {new}"
        case o.SetNotNull(table=t, column=c):
            return f"set NOT NULL on {t}.{c}"
        case o.DropNotNull(table=t, column=c):
            return f"drop NOT NULL on {t}.{c}"
        case o.SetDefault(table=t, column=c, default=None):
            return f"drop default of {t}.{c}"
        case o.SetDefault(table=t, column=c):
            return f"set default of {t}.{c}"
        case o.AddConstraint(table=t, constraint=con):
            valid = " NOT VALID" if con.not_valid else ""
            named = f" {con.name}" if con.name else ""
            return f"add {con.kind} key{named} on {t}{valid}" if con.kind in (
                "primary", "foreign") else f"add {con.kind} constraint{named} on {t}{valid}"
        case o.DropConstraint(table=t, name=name):
            return f"drop constraint {name} on {t}"
        case o.ValidateConstraint(table=t, name=name):
            return f"validate constraint {name} on {t}"
        case o.CreateIndex(name=name, table=t, unique=unique, concurrently=conc):
            return (f"create {'unique ' if unique else ''}index {name.name if name else ''}"
                    f" on {t}{' concurrently' if conc else ''}").replace("index  on", "index on")
        case o.DropIndex(names=names, concurrently=conc):
            return f"drop index {_names(names)}{' concurrently' if conc else ''}"
        case o.CreateView(name=name, materialized=mat):
            return f"create {'materialized ' if mat else ''}view {name}"
        case o.DropView(names=names, materialized=mat):
            return f"drop {'materialized ' if mat else ''}view {_names(names)}"
        case o.Truncate(tables=ts, cascade=cascade):
            return f"truncate {_names(ts)}" + (" CASCADE" if cascade else "")
        case o.DeleteRows(table=t, has_where=where):
            return f"delete {'some' if where else 'every'} row{'s' if where else ''} of {t}"
        case o.UpdateRows(table=t, has_where=where):
            return f"update {'some' if where else 'every'} row{'s' if where else ''} of {t}"
        case o.InsertRows(table=t):
            return f"insert rows into {t}"
        case o.RawSQL(statement_kind=kind):
            return f"run {kind} (not modelled)"
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", op.kind).lower()
    for attr in ("table", "name", "names", "tables"):
        value = getattr(op, attr, None)
        if isinstance(value, tuple) and value and not isinstance(value, QName):
            return f"{words} {_names(value)}"
        if value:
            return f"{words} {value}"
    return words


# --- rule documentation as printable blocks ------------------------------------------------

def rule_doc(r: Rule) -> RuleDoc:
    blocks: list[tuple[str, str]] = []
    for title, text in r.sections.items():
        if title == "Example":
            continue  # the statement in the report is the example
        blocks.append(("h", title))
        for i, part in enumerate(text.split("```")):
            if i % 2:  # inside a fence: drop the language tag on its first line
                code = part.split("\n", 1)[1] if "\n" in part else part
                blocks.append(("code", code.strip("\n")))
            else:
                for para in re.split(r"\n\s*\n", part.strip()):
                    if para.strip():
                        blocks.append(("p", " ".join(para.split())))
    return RuleDoc(r.id, r.family, str(r.severity), r.summary, tuple(blocks))


# --- assembling the report -----------------------------------------------------------------

def _statement_lines(st: ParsedStatement) -> tuple[str, int, int] | None:
    spans = [op.span for op in st.ops]
    if not spans:
        return None
    return (spans[0].path, min(s.line for s in spans), max(s.end_line for s in spans))


def _facts_value(findings: Iterable[Finding], key: str) -> Any:
    for f in findings:
        if key in f.facts:
            return f.facts[key]
    return None


def _statement_view(mig: ParsedMigration, st: ParsedStatement, direction: str,
                    by_line: Mapping[tuple[str, int], list[Finding]],
                    catalog: Catalog | None, stats: Mapping[QName, TableStats]
                    ) -> StatementView:
    where = _statement_lines(st)
    findings: list[Finding] = []
    if where is not None:
        path, first, last = where
        for line in range(first, last + 1):
            findings.extend(f for f in by_line.get((path, line), ())
                            if f.statement and f.migration == mig.name)
    # The lock modes are PostgreSQL's: a MySQL or SQLite statement gets none.
    lock = max((lock_for(op) for op in st.ops), key=lock_rank, default=None
               ) if mig.source.dialect == "postgres" else None
    for f in findings:
        if lock_rank(f.lock) > lock_rank(lock):
            lock = f.lock
    tables: list[QName] = []
    for op in st.ops:
        for t in op_tables(op, catalog if catalog is not None else Catalog()):
            if t not in tables:
                tables.append(t)
    new_only = bool(tables) and catalog is not None and all(
        t in catalog.tables and catalog.tables[t].created_in == mig.name for t in tables)
    rewrite = _facts_value(findings, "rewrite")
    rows = _facts_value(findings, "rows")
    size = _facts_value(findings, "bytes")
    if rows is None:
        sized = [stats[t] for t in tables if t in stats]
        if sized:
            biggest = max(sized, key=lambda s: -1 if s.bytes is None else s.bytes)
            rows, size = biggest.rows, biggest.bytes
    changes = [d for d in (describe(op) for op in st.ops) if d]
    sql = st.sql.strip()
    script = mig.up if direction == "up" else mig.down
    path = where[0] if where else (script.script.path if script is not None else "")
    return StatementView(
        direction=direction, path=path, line=where[1] if where else None,
        sql=sql[:SQL_SHOWN], sql_truncated=len(sql) > SQL_SHOWN, changes=changes, lock=lock,
        lock_effect=lock.effect if lock else "", tables=[str(t) for t in tables],
        new_tables_only=new_only,
        rewrite={True: "yes", False: "no", "unknown": "unknown"}.get(rewrite, "")
        if isinstance(rewrite, bool | str) else "",
        scan=bool(_facts_value(findings, "scan")), rows=rows, bytes=size, findings=findings)


def _verdict(result: LintResult, fail_on: Severity | None) -> tuple[str, str]:
    counts = result.counts()
    if result.errors:
        n = len(result.errors)
        return "incomplete", (f"{n} input error{'s' if n != 1 else ''}: some migrations could "
                              "not be read, so this report is not the whole story")
    if result.exit_code(fail_on) == 1:
        level = str(fail_on) if fail_on is not None else "error"
        return "fail", (f"findings at or above `{level}`: do not run these migrations as "
                        "they are")
    if counts["warning"] or counts["error"]:
        return "review", "no blocking findings; the warnings deserve a look before running"
    return "pass", "nothing found that blocks or warns"


def build_impact(
    result: LintResult,
    migrations: Sequence[ParsedMigration],
    *,
    fail_on: Severity | None = Severity.ERROR,
    stats: Mapping[QName, TableStats] | None = None,
    backup: BackupView | None = None,
    drift: Sequence[DriftChange] | None = None,
    checklist: Sequence[CheckItem] | None = None,
    generated: datetime | None = None,
    title: str = "schemagate impact report",
    drift_note: str = ("not compared: the live database was not compared with the target "
                       "schema (`schemagate diff` supplies this)"),
) -> Impact:
    """Everything the report says, from the stages' outputs. ``backup`` and ``drift`` are
    None when their stage did not run (the report says so); ``checklist``, when given (by
    `verify`), replaces the one derived from what lint and backup know."""
    stats = stats or {}
    by_line: dict[tuple[str, int], list[Finding]] = {}
    for f in result.findings:
        by_line.setdefault((f.span.path, f.span.line), []).append(f)
    errors_by_path: dict[str, list[InputError]] = {}
    for e in result.errors:
        errors_by_path.setdefault(e.path, []).append(e)

    # The picture first: it builds the schema graph of each history's final catalog, which
    # it lets go of before the statements' views are made (a long migration's catalog and
    # views are each some tens of bytes per byte of it; held together, their sum).
    picture = dependency_picture(migrations, result.catalogs)
    views: list[MigrationView] = []
    placed: set[int] = set()
    # The summary: the strongest lock taken on a table that existed before (a lock on a table
    # the same migration created blocks nobody), the largest table touched, what is lost.
    worst_lock: LockMode | None = None
    worst_tables: list[str] = []
    worst_migration = ""
    largest: TableSize | None = None
    for mig in migrations:
        catalog = result.catalogs.get(mig.source.history)

        def made(mig: ParsedMigration = mig, catalog: Catalog | None = catalog
                 ) -> Iterator[StatementView]:
            for direction, script in (("up", mig.up), ("down", mig.down)):
                for st in script.statements if script is not None else ():
                    yield _statement_view(mig, st, direction, by_line, catalog, stats)

        streamed = any(isinstance(s.statements, StatementStream)
                       for s in (mig.up, mig.down) if s is not None)
        kept: list[StatementView] = []
        found: list[Finding] = []
        count = 0
        for sv in made():
            found += sv.findings
            count += 1
            if not streamed:
                kept.append(sv)
            if sv.direction != "up" or sv.lock is None or sv.new_tables_only:
                continue
            if lock_rank(sv.lock) > lock_rank(worst_lock):
                worst_lock, worst_tables, worst_migration = sv.lock, sv.tables, mig.name
            if sv.bytes is not None and (largest is None or sv.bytes > largest.bytes):
                largest = TableSize(sv.tables[0] if sv.tables else "?", sv.rows or 0,
                                    sv.bytes)
        paths = [s.script.path for s in (mig.up, mig.down) if s is not None]
        views.append(MigrationView(
            name=mig.name, layout=mig.source.layout, history=mig.source.history,
            paths=list(dict.fromkeys(paths)),
            has_down=mig.down is not None and bool(mig.down.statements),
            statements=StatementViews(made, count) if streamed else kept, notes=[],
            errors=[e for p in dict.fromkeys(paths) for e in errors_by_path.get(p, [])],
            placed=found))
        placed.update(id(f) for f in found)
    by_name = {v.name: v for v in views}
    for f in result.findings:
        if id(f) not in placed and f.migration in by_name:
            by_name[f.migration].notes.append(f)

    verdict, verdict_text = _verdict(result, fail_on)
    rules = {r.id: r for r in all_rules()}
    summary = Summary(
        # What this report covers (with `--from`, the migrations still to run), not what the
        # lint folded to get there.
        migrations=len(views), statements=sum(len(v.statements) for v in views),
        files=len({p for v in views for p in v.paths}),
        verdict=verdict, verdict_text=verdict_text, counts=result.counts(),
        suppressed=sum(1 for f in result.findings if f.suppressed_by is not None),
        worst_lock=worst_lock, worst_lock_tables=worst_tables,
        worst_lock_migration=worst_migration, largest=largest,
        sizes_known=bool(stats) or largest is not None,
        destructive=[f for f in result.findings if f.rule in rules
                     and rules[f.rule].destroys_data],
        irreversible=[f for f in result.findings if f.rule in rules
                      and rules[f.rule].irreversible],
        errors=list(result.errors), notices=list(result.notices))

    backup_view = backup or BackupView(False, "not generated")
    used = sorted({f.rule for f in result.findings if f.rule in rules})
    return Impact(
        title=title, version=__version__,
        generated=generated.strftime("%Y-%m-%d %H:%M UTC") if generated else "",
        summary=summary, migrations=views,
        graph=picture,
        drift=list(drift) if drift is not None else None,
        drift_note="" if drift is not None else drift_note,
        backup=backup_view,
        checklist=list(checklist) if checklist is not None else default_checklist(
            summary, views, backup_view),
        rules=[rule_doc(rules[i]) for i in used], live=bool(stats))


def default_checklist(summary: Summary, migrations: Sequence[MigrationView],
                      backup: BackupView) -> list[CheckItem]:
    """The quality gate as far as lint and backup know it. Running the migrations and their
    rollback is `schemagate verify`'s job: until its results are given, those two items say
    "not checked" rather than guess."""
    n = len(migrations)
    with_down = sum(1 for m in migrations if m.has_down)
    losses = [f for f in summary.destructive if f.suppressed_by is None]
    acknowledged = len(summary.destructive) - len(losses)
    if summary.errors:
        parse = f"{len(summary.errors)} file(s) could not be parsed"
    else:
        parse = f"all {summary.statements} statements parse"
    items = [
        CheckItem("Migration runs", "not checked",
                  f"{parse}; not applied to a database (run `schemagate verify`)"),
        CheckItem("Rollback tested", "not checked",
                  f"{with_down} of {n} migration{'s' if n != 1 else ''} have a down path; "
                  "not run (run `schemagate verify`)"),
    ]
    if not summary.destructive:
        items.append(CheckItem("No data loss", "pass", "no statement destroys data"))
    else:
        detail = f"{len(losses)} destructive statement{'s' if len(losses) != 1 else ''}"
        if acknowledged:
            detail += f" ({acknowledged} more acknowledged by a suppression)"
        items.append(CheckItem("No data loss", "fail" if losses else "attention", detail))
    if backup.generated:
        covered = bool(backup.saves) or not losses
        items.append(CheckItem("Backup ready", "pass" if covered else "attention",
                               backup.reason))
    elif not summary.destructive:
        items.append(CheckItem("Backup ready", "pass", "nothing to back up"))
    else:
        items.append(CheckItem("Backup ready", "not checked", backup.reason))
    return items


def checklist_from_gate(items: Iterable[Mapping[str, Any]]) -> list[CheckItem]:
    """The checklist `schemagate verify` established (the `gate.items` of its JSON: key,
    title, status pass/fail/skip, detail), which replaces what lint alone can say."""
    status = {"pass": "pass", "fail": "fail", "skip": "not checked"}
    return [CheckItem(str(i.get("title") or i.get("key") or "check"),
                      status.get(str(i.get("status")), "not checked"), str(i.get("detail", "")))
            for i in items]


def drift_from_deltas(deltas: Iterable[Any]) -> list[DriftChange]:
    """Drift from `schemagate.diff.compare` deltas (``ref``, ``action``, ``aspects``), read
    by attribute so that this module does not import the diff stage."""
    out: list[DriftChange] = []
    for d in deltas:
        ref = getattr(d, "ref", None)
        kind = getattr(ref, "kind", "object")
        out.append(DriftChange(str(getattr(d, "action", "alter")), str(kind), str(ref),
                               ", ".join(str(a) for a in getattr(d, "aspects", ()))))
    return out
