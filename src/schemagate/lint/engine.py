"""Run the rules over migrations in order, folding each operation into the catalog.

For every operation, the rules that declared its type see the schema as it is just before
it; then the fold applies it. A down script is checked against the schema after its up
script, with the same record of what the migration created, so that a down that drops what
its up created is not reported as destroying data.

A history streams through: each migration is parsed (when deferred), linted, and dropped;
what outlives it is compact — its findings (spans resolved), the folded catalog, and
`HistoryState`'s digests for the rules that judge the history as a whole. So a run's memory
follows its largest migration and its schema, not the size of the history. The same state,
saved after a migration (`Checkpoints`), lets a later run on an unchanged prefix start there.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Protocol, cast

from schemagate.fold import apply, materialize, needs_placeholders, track_gone
from schemagate.lint.result import LintResult
from schemagate.lint.suppress import ScriptSuppressions
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, index_key
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Finding, Severity, Suppression
from schemagate.model.migration import (
    DeferredMigration,
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    joined_migration,
    rollback_units,
)
from schemagate.model.names import QName
from schemagate.model.pickling import PackedValues
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.model.statement_locks import lock_for, tables_before
from schemagate.model.stats import TableStats
from schemagate.rules.context import MigrationContext, MigrationState, RuleContext
from schemagate.rules.history import UnknownObjects
from schemagate.rules.registry import Hit, Rule, all_rules, resolve


class UnknownRuleError(SchemagateError, ValueError):
    """A rule or family name that names no rule."""


def enabled_rules(settings: Settings) -> list[Rule]:
    """The rules selected by the settings; unknown names are a usage error."""
    rules = all_rules()
    if settings.select:
        wanted, unknown = resolve(settings.select)
    else:
        wanted, unknown = {r.id for r in rules if r.enabled_by_default}, []
    ignored, unknown2 = resolve(settings.ignore)
    bad = unknown + unknown2 + [k for k in settings.severity if not resolve([k])[0]]
    if bad:
        raise UnknownRuleError(f"unknown rule or family: {', '.join(bad)} "
                               "(see `schemagate rules`)")
    return [r for r in rules if r.id in wanted - ignored]


def severity_overrides(settings: Settings) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for name, sev in settings.severity.items():
        for rule_id in resolve([name])[0]:
            out[rule_id] = sev
    return out


@dataclass
class _Engine:
    """One lint run's rules, settings and result, shared by the histories it lints."""

    settings: Settings
    rules: list[Rule]
    report: set[str] | None  # migration names to report; None: all
    overrides: dict[str, Severity]
    stats: Mapping[QName, TableStats]
    by_op: dict[type, list[Rule]] = field(default_factory=dict)
    dialect_rules: dict[str, dict[type, list[Rule]]] = field(default_factory=dict)
    result: LintResult = field(default_factory=LintResult)
    # The migration being linted: its statements' spans, sorted by where they start (made
    # when a migration-level finding first needs them).
    current_starts: StatementStarts | None = None
    # The history being linted, in order (parsed or not: a rule reads only what discovery
    # says of the others): a fix that adds a migration after one reads it.
    history: Sequence[ParsedMigration | DeferredMigration] = ()
    # What rules worked out once for that history (`RuleContext.per_history`).
    history_facts: dict[object, Any] = field(default_factory=dict)
    # The unknown-object checks, when they are made on this fold as it goes (the unit being
    # linted is checked operation by operation, `UnknownObjects.step`); else None.
    unknown: UnknownObjects | None = None
    # The tables the history being linted dropped or renamed away (`HistoryState.gone`),
    # kept up to date as its up paths run.
    gone: set[QName] = field(default_factory=set)

    # The ids of the rules enabled, and the rules that judge a script's suppressions:
    # asked after every script.
    enabled_ids: set[str] = field(default_factory=set)
    suppression_rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        for r in self.rules:
            for op_type in r.ops:
                self.by_op.setdefault(op_type, []).append(r)
        self.enabled_ids = {r.id for r in self.rules}
        self.suppression_rules = [r for r in self.rules if r.scope == "suppressions"]

    def rules_by_op(self, dialect: str) -> dict[type, list[Rule]]:
        """The operation rules by operation type, less those not meant for the dialect."""
        if dialect not in self.dialect_rules:
            self.dialect_rules[dialect] = {
                op_type: [r for r in rules if r.dialects is None or dialect in r.dialects]
                for op_type, rules in self.by_op.items()}
        return self.dialect_rules[dialect]

    def severity(self, r: Rule, hit: Hit) -> Severity:
        """The hit's own severity (INFO is falsy: test for None), else the configured one."""
        if hit.severity is not None:
            return hit.severity
        return self.overrides.get(r.id, r.severity)

    def finding(self, r: Rule, hit: Hit, mig: ParsedMigration, op: o.Operation | None,
                sql: str, ctx: RuleContext | None = None) -> Finding:
        severity = self.severity(r, hit)
        span = (hit.span or (op.site if op is not None else Span.point(mig.name))).resolved()
        lock, facts = hit.lock, dict(hit.facts)
        if op is not None and ctx is not None:
            existing = [t for t in tables_before(op, ctx.catalog) if not ctx.is_new(t)]
            if existing:
                # Every finding on an existing table says which lock the statement takes.
                lock = lock or lock_for(op)
                severity = self.size_severity(r, hit, severity, existing, facts)
        if mig.source.dialect != "postgres":
            # The lock modes are PostgreSQL's: MySQL and SQLite lock otherwise.
            lock = None
        return Finding(r.id, r.family, severity, hit.message, span, r.fix, mig.name, sql,
                       hit.object, lock, facts,
                       statement_span=op.span.resolved() if op is not None else None,
                       fix=hit.fix)

    def size_severity(self, r: Rule, hit: Hit, severity: Severity, tables: list[QName],
                      facts: dict[str, object]) -> Severity:
        """With live statistics: record the table's size, raise a finding whose harm rows
        make certain, and let locking findings on small tables drop to info (locking them
        for a moment hurts nobody)."""
        stats = next((self.stats[t] for t in tables if t in self.stats), None)
        if stats is None:
            return severity
        facts.update(table=str(stats.name), rows=stats.rows, bytes=stats.bytes)
        if hit.severity_with_rows is not None and stats.rows > 0 and r.id not in self.overrides:
            return hit.severity_with_rows
        if r.grows_with_table and stats.rows < self.settings.small_table_rows:
            return Severity.INFO
        return severity

    def run_script(self, mig: ParsedMigration, script: ParsedScript, catalog: Catalog,
                   state: MigrationState, direction: str,
                   used: set[tuple[Suppression, str]] | None = None
                   ) -> ScriptSuppressions | None:
        """Run the rules over one script; its suppressions as matched (None when the
        migration is not reported), for `unused` to judge once every script that shares
        ``used`` has run."""
        reporting = self.report is None or mig.name in self.report
        sups = ScriptSuppressions.of(script, used) if reporting else None
        by_op = self.rules_by_op(mig.source.dialect)
        unknown = self.unknown if self.unknown and self.unknown.checks(script, direction) else None
        for st in script.statements:
            self.result.statements += 1
            # The catalog is changed in place, so one context serves every operation of the
            # statement and always shows the schema just before the operation at hand.
            ctx = RuleContext(catalog, self.settings, mig, script, st, state, direction,
                              self.history, self.history_facts)
            for i, op in enumerate(st.ops):
                if unknown is not None and not unknown.step(mig, direction, st, i, op,
                                                            catalog):
                    unknown = None
                if reporting and sups is not None:
                    rules = by_op.get(type(op), ())
                    if (direction, st.index, i) in mig.unknown_subjects:
                        rules = [r for r in rules if r.sees_unknown]
                    for r in rules:
                        for hit in r.check(op, ctx):
                            f = sups.apply(self.finding(r, hit, mig, op, st.sql, ctx),
                                           st.index)
                            if f.suppressed_by is not None and r.destroys_data:
                                state.acknowledged_loss.add((op.span.path, op.span.line))
                            self.result.findings.append(f)
                _track_new(op, state, catalog)
                if direction == "up":
                    _track_up_created(op, state)
                    track_gone(self.gone, (op,))
                apply(catalog, op, mig.name)
        return sups

    def unused(self, sups: ScriptSuppressions | None, mig: ParsedMigration) -> None:
        if sups is None:
            return
        for r in self.suppression_rules:
            for hit in r.check(sups, self.enabled_ids, self.settings):
                self.result.findings.append(self.finding(r, hit, mig, None, ""))

    def statement_around(self, mig: ParsedMigration, span: Span) -> Span | None:
        """The span of the statement a migration-level finding points into, if any."""
        if self.current_starts is None:
            self.current_starts = statement_starts(mig)
        return statement_around(self.current_starts, span)

    def run_migration_rules(self, ctx: MigrationContext,
                            members: Sequence[ParsedMigration] = ()) -> None:
        """The migration-scope rules on one unit of rollback; with ``members`` (a unit of
        several migrations, ``ctx.migration`` their union), each hit is reported on the
        member whose file its span names."""
        by_path = {s.script.path: m for m in members for s in (m.up, m.down) if s is not None}
        for r in self.rules:
            if r.scope == "migration" and applies(r, ctx.migration):
                for hit in r.check(ctx):
                    span = hit.span or _first_span(ctx.migration)
                    if span is None:
                        continue
                    span = span.resolved()
                    mig = by_path.get(span.path, ctx.migration)
                    self.result.findings.append(Finding(
                        r.id, r.family, self.severity(r, hit),
                        hit.message, span, r.fix, mig.name, "", hit.object,
                        hit.lock, dict(hit.facts),
                        # The unit's statements hold the member's (spans name their
                        # files): one sorted list serves every member.
                        statement_span=self.statement_around(ctx.migration, span),
                        fix=hit.fix))


    def run_folded_rules(self, sources: Sequence[MigrationSource], state: HistoryState
                         ) -> None:
        """Rules that judge the whole history by the schema it ends with, from the digests
        they took of each migration; each hit points into the migration whose file its span
        names."""
        by_path = {s.path: source for source in sources for s in (source.up, source.down)
                   if s is not None}
        for r in self.rules:
            if r.scope != "folded":
                continue
            digests: Mapping[str, Any] = state.collected.get(r.id, {})
            if self.report is not None:
                # A hit points into the migration whose digest it comes from (`Rule.collect`):
                # only the reported migrations' digests can give a hit that is reported, and
                # a state read back from the fold cache unpickles no other.
                digests = {name: digests[name] for name in sorted(self.report)
                           if name in digests}
            for hit in r.check(digests, state.catalog, self.settings):
                source = by_path.get(hit.span.path) if hit.span is not None else None
                if source is None or hit.span is None or not source_applies(r, source) or (
                        self.report is not None and source.name not in self.report):
                    continue
                starts = state.around.get(source.name)
                self.result.findings.append(Finding(
                    r.id, r.family, self.severity(r, hit),
                    hit.message, hit.span.resolved(), r.fix, source.name, "", hit.object,
                    hit.lock, dict(hit.facts),
                    statement_span=statement_around(starts, hit.span) if starts else None))


StatementStarts = list[tuple[tuple[str, int, int], Span]]


def statement_starts(mig: ParsedMigration) -> StatementStarts:
    """The spans of the migration's statements, sorted by where they start."""
    whole = [st.ops[0].span.resolved() for script in (mig.up, mig.down) if script is not None
             for st in script.statements if st.ops]
    return sorted(((s.path, s.line, s.column), s) for s in whole)


def statement_around(starts: StatementStarts, span: Span) -> Span | None:
    """The statement a span lies in, if any (found by bisection: a long script has many
    findings)."""
    i = bisect.bisect_right(starts, (span.path, span.line, span.column),
                            key=lambda item: item[0]) - 1
    if i < 0:
        return None
    whole_span = starts[i][1]
    inside = whole_span.path == span.path and (span.end_line, span.end_column) <= (
        whole_span.end_line, whole_span.end_column)
    return whole_span if inside else None


def _first_span(mig: ParsedMigration) -> Span | None:
    for script in (mig.up, mig.down):
        if script is not None:
            for st in script.statements:
                if st.ops:
                    return st.ops[0].span
    return None


def _track_up_created(op: o.Operation, state: MigrationState) -> None:
    match op:
        case o.CreateIndex(name=name, table=table, per_table=per_table) if name is not None:
            state.up_indexes.add(index_key(name, table if per_table else None))
        case o.AddConstraint(table=table, constraint=con) if con.name:
            state.up_constraints.add((table, con.name))
        case o.SetNotNull(table=table, column=column):
            # A down path may rename the column back before it drops NOT NULL: every name
            # the column had in the up path counts.
            state.up_not_null.update(
                (table, c) for c in {column, *state.former_names.get((table, column), ())})
        case o.RenameEnumValue(name=name, new_value=new):
            state.renamed_enum_values.add((name, new))
        case o.DropColumn(table=table, column=column):
            state.up_dropped_columns.add((table, column))


def _track_new(op: o.Operation, state: MigrationState, catalog: Catalog) -> None:
    match op:
        case o.AlterColumnType(table=table, column=column):
            known = catalog.tables.get(table)
            col = known.column(column) if known else None
            if col is not None and col.type.name != "unknown":
                state.old_types.setdefault((table, column), col.type)
        case o.CreateTable(table=table):
            state.new_tables.add(table)
        case o.CreateView(name=name, materialized=True):
            state.new_tables.add(name)
        case o.AddColumn(table=table, column=col):
            state.new_columns.add((table, col.name))
        case o.RenameTable(table=table, new_name=new):
            renamed = QName(table.schema, new)
            state.renamed_tables.add(renamed)
            if table in state.new_tables:
                state.new_tables.add(renamed)
            # What the up path did to the table's columns, it did under the new name too.
            for pairs in (state.renamed_columns, state.up_not_null):
                pairs.update({(renamed, c) for t, c in pairs if t == table})
            state.former_names.update({(renamed, c): names for (t, c), names
                                       in list(state.former_names.items()) if t == table})
        case o.RenameColumn(table=table, column=col, new_name=new):
            state.renamed_columns.add((table, new))
            if (table, col) in state.new_columns or table in state.new_tables:
                state.new_columns.add((table, new))
            if (table, col) in state.up_not_null:
                state.up_not_null.add((table, new))
            state.former_names[(table, new)] = state.former_names.get((table, col), set()) | {col}


@dataclass
class HistoryState:
    """What linting a history has kept after its first `position` migrations: all a later
    migration needs of the earlier ones. Plain data, so that it can be cached."""

    catalog: Catalog
    uses_down: bool
    unknown: UnknownObjects | None = None
    position: int = 0
    statements: int = 0
    findings: list[Finding] = field(default_factory=list)  # filled when saved
    # Folded rules' digests: rule id → migration name → digest. Read back from the fold
    # cache, a digest is unpickled when it is read (`PackedValues`), as are the spans below.
    collected: dict[str, PackedValues[str, Any]] = field(default_factory=dict)
    # The statement spans of the migrations a folded rule's digest points into, by name.
    around: PackedValues[str, StatementStarts] = field(default_factory=PackedValues)
    # The tables the history dropped or renamed away and did not make again (`track_gone`).
    gone: set[QName] = field(default_factory=set)


@dataclass
class HistoryPart:
    """Where one history's findings lie in a run's `findings`: those the history-scope
    rules reported on it (`checks`), and those of its migrations and folded rules
    (`findings`), each as [start, end). A run split across processes (lint.parallel) puts
    the parts of its pieces back in the order one process gives them."""

    folder: str
    first: int  # the position, in the migrations linted, of the history's first one
    checks: tuple[int, int] = (0, 0)
    findings: tuple[int, int] = (0, 0)


class Checkpoints(Protocol):
    """Where `HistoryState`s are kept between runs (lint.foldcache is one)."""

    def resume(self, folder: str, history: Sequence[ParsedMigration | DeferredMigration],
               uses_down: bool) -> HistoryState | None:
        """The state after the longest prefix of the history saved before, if any."""

    def wanted(self, folder: str, position: int, total: int) -> bool:
        """Whether to save the state after the first `position` of `total` migrations."""

    def save(self, folder: str, state: HistoryState) -> None: ...


def lint(
    migrations: Sequence[ParsedMigration | DeferredMigration],
    settings: Settings,
    *,
    report: Iterable[str] | None = None,
    catalog: Catalog | None = None,
    stats: Mapping[QName, TableStats] | None = None,
    progress: Callable[[int, int], None] | None = None,
    checkpoints: Checkpoints | None = None,
    parts: list[HistoryPart] | None = None,
) -> LintResult:
    """Lint migrations in order, each history (folder) on its own schema.

    ``report`` limits findings to the named migrations while the whole history is still
    folded (what a pre-commit hook needs); ``catalog`` is the schema before the first
    migration (the live database, when given); ``stats`` the live tables' sizes;
    ``progress(done, total)`` is called after each migration (the CLI's progress bar).
    A `DeferredMigration` is parsed when its turn comes and dropped once linted;
    ``checkpoints`` keeps the state after some migrations, and gives it back; ``parts``,
    when given, is filled with where each history's findings lie, in the order linted.
    """
    engine = _Engine(settings, enabled_rules(settings), set(report) if report is not None
                     else None, severity_overrides(settings), stats or {})
    histories: dict[str, list[ParsedMigration | DeferredMigration]] = {}
    for mig in migrations:
        histories.setdefault(mig.source.history, []).append(mig)
    checks: dict[str, tuple[int, int]] = {}
    histories = _history_scope(engine, histories, checks)
    total = sum(len(h) for h in histories.values())
    position = {id(m): i for i, m in enumerate(migrations)} if parts is not None else {}
    for folder, history in histories.items():
        start = len(engine.result.findings)
        state = _lint_history(engine, folder, history, catalog, progress, total, checkpoints)
        engine.result.catalogs[folder] = state.catalog
        engine.run_folded_rules([m.source for m in history], state)
        if parts is not None:
            parts.append(HistoryPart(folder, min(position[id(m)] for m in history),
                                     checks[folder], (start, len(engine.result.findings))))
    return engine.result


def _uses_down(history: Sequence[ParsedMigration | DeferredMigration]) -> bool:
    """Whether any migration of the history has a down path with something in it. A derived
    down (Django's) is a way back even when nothing of it is written out."""
    for m in history:
        if isinstance(m, DeferredMigration):
            if m.source.down is not None and m.down_has_statements():
                return True
        elif m.down is not None and (m.down.statements or m.down.derived):
            return True
    return False


def _lint_history(engine: _Engine, folder: str,
                  history: Sequence[ParsedMigration | DeferredMigration],
                  catalog: Catalog | None, progress: Callable[[int, int], None] | None,
                  total: int, checkpoints: Checkpoints | None) -> HistoryState:
    migration_rules = any(r.scope == "migration" for r in engine.rules)
    folded = [r for r in engine.rules if r.scope == "folded" and r.collect is not None]
    uses_down = _uses_down(history)
    state = checkpoints.resume(folder, history, uses_down) if checkpoints else None
    first = len(engine.result.findings)
    if state is not None:
        engine.result.findings.extend(state.findings)
        engine.result.migrations += state.position
        engine.result.statements += state.statements
        state.findings = []
    else:
        state = HistoryState(catalog.copy() if catalog is not None else Catalog(), uses_down)
        # Not only for unknown-object: every rule is silent on an operation whose subject
        # the checks find missing, so the findings of one rule must not hang on another's
        # being selected.
        state.unknown = UnknownObjects.starting(catalog)
    engine.history = history
    engine.history_facts = {}
    engine.gone = state.gone
    position = 0
    for items in rollback_units(history):
        # A state is resumed where a unit starts (the checkpoints keep it so).
        position += len(items)
        if position <= state.position:
            continue
        unit = [item.parse() if isinstance(item, DeferredMigration) else item
                for item in items]
        engine.result.migrations += len(unit)
        if progress is not None:
            progress(engine.result.migrations, total)
        engine.unknown = None
        unknown = state.unknown
        if unknown is not None:
            # The checks' schema and the fold's agree before the first unit (both empty),
            # and after each unit checked on the fold's own; once apart, never again.
            fresh = unknown.position == 0
            shareable = (catalog is None and (unknown.shared or fresh)
                         and _shareable(engine, unit, state.catalog))
            if unknown.shared and not shareable:
                unknown.unshare(state.catalog)
            if unknown.shared:
                unknown.begin(unit)
                engine.unknown = unknown
            else:
                # The first unit is checked whole first: whether its first migration uses
                # what it does not create decides whether any of its findings stand.
                unknown.check(unit)
                if shareable and fresh and unknown.active:
                    unknown.share()  # the fold of this unit below makes the same schema
                elif position == len(history) and not (
                        checkpoints is not None
                        and checkpoints.wanted(folder, position, len(history))):
                    # The last unit: no later one reads the schema the check folded, and
                    # the lint is about to fold one as large.
                    unknown.release()
        before = len(engine.result.findings)
        statements = engine.result.statements
        engine.current_starts = None
        if len(unit) == 1:
            _lint_migration(engine, unit[0], state.catalog, engine.settings, migration_rules,
                            uses_down)
        else:
            _lint_unit(engine, unit, state.catalog, engine.settings, migration_rules,
                       uses_down)
        # Findings read in the order the migrations run, each migration's by file and line.
        engine.result.findings[before:] = sorted(engine.result.findings[before:],
                                                 key=_FILE_ORDER)
        for r in folded:
            assert r.collect is not None
            for mig in unit:
                digests = state.collected.setdefault(r.id, PackedValues())
                digest = digests[mig.name] = r.collect(mig)
                if digest and mig.name not in state.around:
                    # A unit's statement spans are its members' together: a member's own
                    # are taken apart from them.
                    starts = engine.current_starts if len(unit) == 1 else None
                    state.around[mig.name] = starts or statement_starts(mig)
        engine.current_starts = None
        state.position = position
        state.statements += engine.result.statements - statements
        if checkpoints is not None and checkpoints.wanted(folder, state.position,
                                                          len(history)):
            state.findings = engine.result.findings[first:]
            checkpoints.save(folder, state)
            state.findings = []
    return state


def _shareable(engine: _Engine, unit: Sequence[ParsedMigration], catalog: Catalog) -> bool:
    """Whether the unknown-object checks of a unit can be made on the engine's fold of it,
    operation by operation: a unit of one migration whose down (if any) the engine runs,
    over the same schema as they were made on until now, which the fold changes only by
    the operations, making no placeholder first (`materialize`). Otherwise the checks fold
    on their own, as `find_unknown_objects` does."""
    if len(unit) != 1:
        return False
    mig = unit[0]
    if mig.down is None:
        return True
    return (engine.report is None or mig.name in engine.report) and not needs_placeholders(
        catalog, _ops_of(mig.up), down=_ops_of(mig.down), gone=engine.gone)


def _ops_of(script: ParsedScript | None) -> Iterator[o.Operation]:
    """The script's operations, read one statement at a time: a long script streams, and a
    list of them all would hold its whole parse."""
    if script is not None:
        for st in script.statements:
            yield from st.ops


# A finding's place in its migration's findings: by file, line, column, then rule.
_FILE_ORDER = attrgetter("span.path", "span.line", "span.column", "rule")


def _squash_of_a_first(source: MigrationSource) -> bool:
    """Whether the migration is a Django squash of its app's first migrations: it follows
    no migration of its own app. Django runs a squash where none of the migrations it
    replaces ran, so this one only where the app was never migrated: a new database, whose
    tables hold no rows. A later squash (`0131_squashed_0159`, after `0003_squashed_0130`)
    runs on every database that stopped before it, tables, rows and all."""
    if source.layout != "django" or not source.replaces:
        return False
    app = source.replaces[0].split(".", 1)[0]
    return not any(required.split(".", 1)[0] == app for required in source.requires)


def _lint_migration(engine: _Engine, mig: ParsedMigration, catalog: Catalog,
                    settings: Settings, migration_rules: bool, uses_down: bool) -> None:
    state = MigrationState(fresh=_squash_of_a_first(mig.source))
    before = None
    # A migration that is folded but not reported (`--changed-since`, an editor's other
    # files) needs only its up path applied: its down runs on a copy and judges nothing.
    reporting = engine.report is None or mig.name in engine.report
    if mig.down is not None:
        # The placeholders are part of the schema every later migration sees, reported or not.
        materialize(catalog, _ops_of(mig.up), down=_ops_of(mig.down), gone=engine.gone)
    if mig.down is not None and reporting:
        # Only a down path needs the whole schema as it was: up then down is compared
        # with it. Copying a large catalog for every migration would cost more than the
        # lint itself.
        before = catalog.copy()
        # Comparing with the snapshot then looks only at the tables and indexes that changed.
        catalog.track_changes()
    # A file-level comment of a file that holds both directions covers both: it is unused
    # only when neither matched anything.
    used: set[tuple[Suppression, str]] = set()
    judged = []
    if mig.up is not None:
        judged.append(engine.run_script(mig, mig.up, catalog, state, "up", used))
    after_down = None
    if mig.down is not None and reporting:
        after_down = catalog.copy()
        judged.append(engine.run_script(mig, mig.down, after_down, state, "down", used))
    for sups in judged:
        engine.unused(sups, mig)
    if migration_rules and reporting:
        engine.run_migration_rules(MigrationContext(
            before, catalog, settings, mig, state, after_down, uses_down))
    if before is not None:
        catalog.track_changes(on=False)


def _lint_unit(engine: _Engine, unit: Sequence[ParsedMigration], catalog: Catalog,
               settings: Settings, migration_rules: bool, uses_down: bool) -> None:
    """Migrations that one rollback undoes together (popx): each up in order, as its own
    migration; then every down, newest first, over the schema all the ups left; then the
    migration-scope rules judge the unit as one migration, whose up and down paths are the
    members' joined in that order."""
    states = [MigrationState() for _ in unit]
    has_down = any(m.down is not None for m in unit)
    before = None
    if has_down:
        materialize(catalog, (op for m in unit for op in _ops_of(m.up)),
                    down=(op for m in reversed(unit) for op in _ops_of(m.down)),
                    gone=engine.gone)
        before = catalog.copy()
        catalog.track_changes()
    used: set[tuple[Suppression, str]] = set()  # as in `_lint_migration`
    judged = []
    for mig, state in zip(unit, states, strict=True):
        if mig.up is not None:
            judged.append((engine.run_script(mig, mig.up, catalog, state, "up", used), mig))
    state = _joined_states(states)
    after_down = None
    if has_down:
        after_down = catalog.copy()
        for mig in reversed(unit):
            if mig.down is not None:
                judged.append((engine.run_script(mig, mig.down, after_down, state, "down",
                                                 used), mig))
    for sups, mig in judged:
        engine.unused(sups, mig)
    if migration_rules and (engine.report is None
                            or any(m.name in engine.report for m in unit)):
        engine.run_migration_rules(MigrationContext(
            before, catalog, settings, joined_migration(unit), state, after_down, uses_down),
            unit)
    if before is not None:
        catalog.track_changes(on=False)


def _joined_states(states: Sequence[MigrationState]) -> MigrationState:
    """What the ups of a unit did, as one state: the down path undoes all of it."""
    out = MigrationState()
    for state in states:
        for f in fields(MigrationState):
            mine, theirs = getattr(out, f.name), getattr(state, f.name)
            if isinstance(mine, bool):
                setattr(out, f.name, mine or theirs)
            elif isinstance(mine, set):
                mine |= theirs
            else:
                for key, value in theirs.items():
                    if key not in mine:
                        mine[key] = value  # the first change is the one the down undoes
                    elif isinstance(value, set):
                        mine[key] = mine[key] | value
    return out


# --- history scope (issue 4) -----------------------------------------------------------------
# Rules declared `scope="history"` judge a history as a whole (the Alembic revision graph,
# duplicate versions): they run once per history, before it is folded, with its migrations
# in order. Their hits carry a span; the migration reported is the one of that file.


def applies(r: Rule, mig: ParsedMigration | DeferredMigration) -> bool:
    """Whether a rule applies to the migration's SQL dialect (None: to every dialect)."""
    return source_applies(r, mig.source)


def source_applies(r: Rule, source: MigrationSource) -> bool:
    return r.dialects is None or source.dialect in r.dialects


def _history_scope(engine: _Engine,
                   histories: dict[str, list[ParsedMigration | DeferredMigration]],
                   checks: dict[str, tuple[int, int]]
                   ) -> dict[str, list[ParsedMigration | DeferredMigration]]:
    """Join the folders of one Alembic history, put revisions in graph order, and run the
    history-scope rules. A deferred migration has no revision (only layouts without one are
    deferred), which is all the graph reads of it: it takes part as it is."""
    if not any(isinstance(m, ParsedMigration) and m.revision is not None
               for h in histories.values() for m in h):
        # No revision anywhere: files run in the order found (and networkx stays unloaded).
        return _run_history_rules(engine, histories, checks)
    from schemagate.graph.revisions import merge_histories, order_history

    parsed = cast(dict[str, list[ParsedMigration]], histories)
    return _run_history_rules(engine, {folder: cast(list[ParsedMigration | DeferredMigration],
                                                     order_history(history))
                                       for folder, history in merge_histories(parsed).items()},
                              checks)


def _run_history_rules(engine: _Engine,
                       histories: dict[str, list[ParsedMigration | DeferredMigration]],
                       checks: dict[str, tuple[int, int]]
                       ) -> dict[str, list[ParsedMigration | DeferredMigration]]:
    """Run the history-scope rules; ``checks`` gets where each history's findings lie."""
    history_rules = [r for r in engine.rules if r.scope == "history"]
    out = histories
    for folder, history in histories.items():
        start = len(engine.result.findings)
        by_path = {s.path: m for m in history for s in (m.source.up, m.source.down)
                   if s is not None}
        for r in history_rules:
            for hit in r.check(history, engine.settings):
                span = (hit.span or Span.point(folder)).resolved()  # kept: plain data only
                mig = by_path.get(span.path, history[0])
                if not applies(r, mig) or (engine.report is not None
                                           and mig.name not in engine.report):
                    continue
                severity = engine.severity(r, hit)
                engine.result.findings.append(Finding(
                    r.id, r.family, severity, hit.message, span, r.fix, mig.name, "",
                    hit.object, hit.lock, dict(hit.facts)))
        checks[folder] = (start, len(engine.result.findings))
    return out
