"""Run the rules over migrations in order, folding each operation into the catalog.

For every operation, the rules that declared its type see the schema as it is just before
it; then the fold applies it. A down script is checked against the schema after its up
script, with the same record of what the migration created, so that a down that drops what
its up created is not reported as destroying data.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from schemagate.fold import apply, materialize
from schemagate.lint.suppress import ScriptSuppressions
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Finding, InputError, Notice, Severity
from schemagate.model.migration import (
    ParsedMigration,
    ParsedScript,
    joined_migration,
    rollback_units,
)
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.model.statement_locks import lock_for, op_tables
from schemagate.model.stats import TableStats
from schemagate.rules.context import MigrationContext, MigrationState, RuleContext
from schemagate.rules.registry import Hit, Rule, all_rules, resolve


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: int = 0
    migrations: int = 0
    statements: int = 0
    catalogs: dict[str, Catalog] = field(default_factory=dict)  # history folder → schema
    # With a baseline (lint/baseline.py): how many findings it hid; None without one.
    baseline_hidden: int | None = None

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by is None]

    def counts(self) -> dict[str, int]:
        c = Counter(str(f.severity) for f in self.active)
        return {"error": c["error"], "warning": c["warning"], "info": c["info"]}

    def exit_code(self, fail_on: Severity | None) -> int:
        if self.errors:
            return 2
        if fail_on is not None and any(f.severity >= fail_on for f in self.active):
            return 1
        return 0


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
    settings: Settings
    rules: list[Rule]
    report: set[str] | None  # migration names to report; None: all
    overrides: dict[str, Severity]
    stats: Mapping[QName, TableStats]
    by_op: dict[type, list[Rule]] = field(default_factory=dict)
    dialect_rules: dict[str, dict[type, list[Rule]]] = field(default_factory=dict)
    result: LintResult = field(default_factory=LintResult)
    # Per migration (by id): its statements' spans, sorted by where they start.
    statement_spans: dict[int, list[tuple[tuple[str, int, int], Span]]] = field(
        default_factory=dict)
    # The history being linted, in order: a fix that adds a migration after one reads it.
    history: Sequence[ParsedMigration] = ()

    def __post_init__(self) -> None:
        for r in self.rules:
            for op_type in r.ops:
                self.by_op.setdefault(op_type, []).append(r)

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
            existing = [t for t in op_tables(op, ctx.catalog) if not ctx.is_new(t)]
            if existing:
                # Every finding on an existing table says which lock the statement takes.
                lock = lock or lock_for(op)
                severity = self.size_severity(r, hit, severity, existing, facts)
        return Finding(r.id, r.family, severity, hit.message, span, r.fix, mig.name, sql,
                       hit.object, lock, facts,
                       statement_span=op.span if op is not None else None, fix=hit.fix)

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
                   state: MigrationState, direction: str) -> None:
        reporting = self.report is None or mig.name in self.report
        sups = ScriptSuppressions.of(script) if reporting else None
        by_op = self.rules_by_op(mig.source.dialect)
        for st in script.statements:
            self.result.statements += 1
            # The catalog is changed in place, so one context serves every operation of the
            # statement and always shows the schema just before the operation at hand.
            ctx = RuleContext(catalog, self.settings, mig, script, st, state, direction,
                              self.history)
            for i, op in enumerate(st.ops):
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
                apply(catalog, op, mig.name)
        if sups is not None:
            self.unused(sups, mig)

    def unused(self, sups: ScriptSuppressions, mig: ParsedMigration) -> None:
        enabled = {r.id for r in self.rules}
        for r in self.rules:
            if r.scope == "suppressions":
                for hit in r.check(sups, enabled, self.settings):
                    self.result.findings.append(self.finding(r, hit, mig, None, ""))

    def statement_around(self, mig: ParsedMigration, span: Span) -> Span | None:
        """The span of the statement a migration-level finding points into, if any (found by
        bisection: a long script has many findings)."""
        starts = self.statement_spans.get(id(mig))
        if starts is None:
            whole = [st.ops[0].span for script in (mig.up, mig.down) if script is not None
                     for st in script.statements if st.ops]
            starts = self.statement_spans[id(mig)] = sorted(
                ((s.path, s.line, s.column), s) for s in whole)
        i = bisect.bisect_right(starts, (span.path, span.line, span.column),
                                key=lambda item: item[0]) - 1
        if i < 0:
            return None
        whole_span = starts[i][1]
        inside = whole_span.path == span.path and (span.end_line, span.end_column) <= (
            whole_span.end_line, whole_span.end_column)
        return whole_span if inside else None

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
                        statement_span=self.statement_around(mig, span), fix=hit.fix))


    def run_folded_rules(self, history: Sequence[ParsedMigration], catalog: Catalog) -> None:
        """Rules that judge the whole history by the schema it ends with; each hit points
        into the migration whose file its span names."""
        by_path = {s.script.path: m for m in history for s in (m.up, m.down) if s is not None}
        for r in self.rules:
            if r.scope != "folded":
                continue
            for hit in r.check(history, catalog, self.settings):
                mig = by_path.get(hit.span.path) if hit.span is not None else None
                if mig is None or hit.span is None or not applies(r, mig) or (
                        self.report is not None and mig.name not in self.report):
                    continue
                self.result.findings.append(Finding(
                    r.id, r.family, self.severity(r, hit),
                    hit.message, hit.span.resolved(), r.fix, mig.name, "", hit.object,
                    hit.lock, dict(hit.facts), statement_span=self.statement_around(mig, hit.span)))


def _first_span(mig: ParsedMigration) -> Span | None:
    for script in (mig.up, mig.down):
        if script is not None:
            for st in script.statements:
                if st.ops:
                    return st.ops[0].span
    return None


def _track_up_created(op: o.Operation, state: MigrationState) -> None:
    match op:
        case o.CreateIndex(name=name) if name is not None:
            state.up_indexes.add(name)
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


def lint(
    migrations: Sequence[ParsedMigration],
    settings: Settings,
    *,
    report: Iterable[str] | None = None,
    catalog: Catalog | None = None,
    stats: Mapping[QName, TableStats] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LintResult:
    """Lint migrations in order, each history (folder) on its own schema.

    ``report`` limits findings to the named migrations while the whole history is still
    folded (what a pre-commit hook needs); ``catalog`` is the schema before the first
    migration (the live database, when given); ``stats`` the live tables' sizes;
    ``progress(done, total)`` is called after each migration (the CLI's progress bar).
    """
    engine = _Engine(settings, enabled_rules(settings), set(report) if report is not None
                     else None, severity_overrides(settings), stats or {})
    histories: dict[str, list[ParsedMigration]] = {}
    for mig in migrations:
        histories.setdefault(mig.source.history, []).append(mig)
    histories = _history_scope(engine, histories, catalog)  # issue 4: see below
    for folder, history in histories.items():
        start = catalog.copy() if catalog is not None else Catalog()
        engine.result.catalogs[folder] = _lint_history(
            engine, history, start, settings, progress,
            sum(len(h) for h in histories.values()))
        engine.run_folded_rules(history, engine.result.catalogs[folder])
    return engine.result


def _lint_history(engine: _Engine, migrations: Sequence[ParsedMigration], catalog: Catalog,
                  settings: Settings, progress: Callable[[int, int], None] | None = None,
                  total: int = 0) -> Catalog:
    migration_rules = any(r.scope == "migration" for r in engine.rules)
    # A derived down (Django's) is a way back even when nothing of it is written out.
    uses_down = any(m.down is not None and (m.down.statements or m.down.derived)
                    for m in migrations)
    engine.history = migrations
    for unit in rollback_units(migrations):
        engine.result.migrations += len(unit)
        if progress is not None:
            progress(engine.result.migrations, total)
        first = len(engine.result.findings)
        if len(unit) == 1:
            _lint_migration(engine, unit[0], catalog, settings, migration_rules, uses_down)
        else:
            _lint_unit(engine, unit, catalog, settings, migration_rules, uses_down)
        # Findings read in the order the migrations run, each migration's by file and line.
        engine.result.findings[first:] = sorted(
            engine.result.findings[first:],
            key=lambda f: (f.span.path, f.span.line, f.span.column, f.rule))
    return catalog


def _lint_migration(engine: _Engine, mig: ParsedMigration, catalog: Catalog,
                    settings: Settings, migration_rules: bool, uses_down: bool) -> None:
    state = MigrationState()
    before = None
    # A migration that is folded but not reported (`--changed-since`, an editor's other
    # files) needs only its up path applied: its down runs on a copy and judges nothing.
    reporting = engine.report is None or mig.name in engine.report
    if mig.down is not None:
        # The placeholders are part of the schema every later migration sees, reported or not.
        materialize(catalog, [op for script in (mig.up, mig.down) if script is not None
                              for st in script.statements for op in st.ops])
    if mig.down is not None and reporting:
        # Only a down path needs the whole schema as it was: up then down is compared
        # with it. Copying a large catalog for every migration would cost more than the
        # lint itself.
        before = catalog.copy()
        # Comparing with the snapshot then looks only at the tables and indexes that changed.
        catalog.track_changes()
    if mig.up is not None:
        engine.run_script(mig, mig.up, catalog, state, "up")
    after_down = None
    if mig.down is not None and reporting:
        after_down = catalog.copy()
        engine.run_script(mig, mig.down, after_down, state, "down")
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
        scripts = [m.up for m in unit] + [m.down for m in reversed(unit)]
        materialize(catalog, [op for script in scripts if script is not None
                              for st in script.statements for op in st.ops])
        before = catalog.copy()
        catalog.track_changes()
    for mig, state in zip(unit, states, strict=True):
        if mig.up is not None:
            engine.run_script(mig, mig.up, catalog, state, "up")
    state = _joined_states(states)
    after_down = None
    if has_down:
        after_down = catalog.copy()
        for mig in reversed(unit):
            if mig.down is not None:
                engine.run_script(mig, mig.down, after_down, state, "down")
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
            if isinstance(mine, set):
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


def applies(r: Rule, mig: ParsedMigration) -> bool:
    """Whether a rule applies to the migration's SQL dialect (None: to every dialect)."""
    return r.dialects is None or mig.source.dialect in r.dialects


def _history_scope(engine: _Engine, histories: dict[str, list[ParsedMigration]],
                   catalog: Catalog | None) -> dict[str, list[ParsedMigration]]:
    """Join the folders of one Alembic history, put revisions in graph order, note what
    `unknown-object` needs, and run the history-scope rules."""
    from schemagate.graph.revisions import has_revisions, merge_histories, order_history
    from schemagate.rules.history import find_unknown_objects

    if any(has_revisions(h) for h in histories.values()):
        histories = merge_histories(histories)
    history_rules = [r for r in engine.rules if r.scope == "history"]
    unknown = any(r.needs_unknown_refs for r in engine.rules)
    out: dict[str, list[ParsedMigration]] = {}
    for folder, history in histories.items():
        history = out[folder] = order_history(history)
        if unknown:
            find_unknown_objects(history, catalog)
        by_path = {s.script.path: m for m in history for s in (m.up, m.down) if s is not None}
        for r in history_rules:
            for hit in r.check(history, engine.settings):
                span = hit.span or Span.point(folder)
                mig = by_path.get(span.path, history[0])
                if not applies(r, mig) or (engine.report is not None
                                           and mig.name not in engine.report):
                    continue
                severity = engine.severity(r, hit)
                engine.result.findings.append(Finding(
                    r.id, r.family, severity, hit.message, span, r.fix, mig.name, "",
                    hit.object, hit.lock, dict(hit.facts)))
    return out
