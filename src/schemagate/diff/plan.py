"""Plan: the ordered, safe SQL that turns schema A (the database now) into schema B.

1. Compare the two catalogs object by object (compare.py). Destructive changes are held
   back unless allowed: they are reported, not planned.
2. Close over A's dependencies (pg_depend): what depends on an object that goes (dropped,
   replaced, a column whose type changes, a type that is rebuilt) goes before it and comes
   back after — a view on a column whose type changes, a default that calls a function
   whose signature changes. What PostgreSQL drops by itself along with its owner (a table's
   indexes, a column's default, a serial column's sequence) gets no statement of its own.
3. Three phases, each ordered by a topological sort of its steps' graph: "pre" drops
   dependents first (A's dependencies); "main" creates and alters, dependencies first (B's
   dependencies); "post" drops types, extensions and schemas once nothing uses them.
   Foreign keys are steps of their own, after both tables, so FK cycles never arise; any
   other cycle is broken at a foreign key if it has one, and the plan says so.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from schemagate.diff.changes import Phase, Plan, PlanOptions, Statement, Step
from schemagate.diff.compare import Delta, compare, inherited_overrides
from schemagate.diff.ddl import literal
from schemagate.diff.objects import (
    ColumnRec,
    ConstraintRec,
    DefaultRec,
    DependencyIndex,
    Objects,
    column_ref,
    owner_of,
    ref_key,
    table_ref,
)
from schemagate.diff.steps import (
    Context,
    alter_step,
    create_step,
    destructive_reason,
    detach_step,
    disown_step,
    drop_identity_step,
    drop_step,
    own_sequence_step,
    rebuild_steps,
)
from schemagate.model.catalog import Catalog, Extension, Index, ObjectRef, Sequence, Table
from schemagate.model.names import QName

if TYPE_CHECKING:
    import networkx as nx

StepId = tuple[str, str, ObjectRef]

# Tie-breaks between steps the graph leaves free: a readable, stable order.
_PRIORITY = {kind: i for i, kind in enumerate((
    "drop-view", "drop-trigger", "drop-policy", "drop-constraint", "drop-index",
    "drop-default", "drop-identity", "disown-sequence", "detach-table", "drop-column", "drop-table",
    "drop-function",
    "create-schema", "alter-schema", "create-extension", "alter-extension", "create-collation",
    "alter-collation", "create-type",
    "rebuild-type", "alter-type", "create-sequence", "alter-sequence", "create-function",
    "alter-function", "create-table", "alter-table", "add-column", "alter-column",
    "set-default", "alter-default", "own-sequence", "create-constraint", "alter-constraint",
    "create-index", "alter-index", "create-view", "alter-view", "create-trigger",
    "alter-trigger", "create-policy", "alter-policy",
    "drop-sequence", "drop-old-type", "drop-type", "drop-collation", "drop-extension",
    "drop-schema",
))}


_CONTAINER_RANK = {"schema": 0, "table": 1, "view": 2, "column": 3, "type": 4,
                   "function": 5, "sequence": 6}


def plan(a: Catalog, b: Catalog, options: PlanOptions | None = None) -> Plan:
    """The plan that turns A into B (A: the database the SQL will run on)."""
    return _Planner(a, b, options or PlanOptions()).run()


class _Planner:
    def __init__(self, a: Catalog, b: Catalog, options: PlanOptions) -> None:
        self.options = options
        self.objs_a = Objects(a)
        self.objs_b = Objects(b)
        self.deps_a = DependencyIndex.of(a)
        self.deps_b = DependencyIndex.of(b)
        backing = {(ix.table, ix.constraint): ix for ix in b.indexes.values()
                   if ix.constraint is not None}
        self.ctx = Context(self.objs_a, self.objs_b, options.online, backing=backing)
        self.deltas: dict[ObjectRef, Delta] = {}
        self.vetoed: list[tuple[Delta, str]] = []
        # What PostgreSQL cannot do here (an extension version no update script reaches):
        # said in the plan, with the reason, instead of SQL that fails.
        self.unreachable: list[tuple[Delta, str]] = []
        self.reasons: dict[ObjectRef, str] = {}
        deltas = compare(a, b)
        self.overridden = inherited_overrides(a) | inherited_overrides(b)
        self.dropped_tables = {d.ref for d in deltas
                               if d.ref.kind in ("table", "view") and d.action in ("drop",
                                                                                  "replace")}
        for delta in deltas:
            self._admit(delta)
        self.gone: dict[ObjectRef, ObjectRef] = {}  # object → the object whose drop takes it
        self.rebuilt: dict[ObjectRef, None] = {}
        self.detached: set[ObjectRef] = set()
        self.disowned: set[ObjectRef] = set()
        self.steps: dict[StepId, Step] = {}
        self.removers: dict[ObjectRef, StepId] = {}
        self.makers: dict[ObjectRef, StepId] = {}
        self.covered: dict[ObjectRef, ObjectRef] = {}  # made by its container's step
        self.edges: set[tuple[StepId, StepId]] = set()
        # Steps that set a sequence's owner, each after the step making the owning column:
        # linked once every maker is known (a sequence sorts before a table it belongs to).
        self.owned: list[tuple[ObjectRef, StepId]] = []
        self.notes: list[str] = []

    # --- 1. what changes, and what is held back ----------------------------------------

    def _admit(self, delta: Delta) -> None:
        if delta.action == "drop" and self._owner(delta.ref) in self.dropped_tables:
            return  # goes with its table (or view), which says so itself
        if delta.ref.kind == "extension" and delta.action == "alter" and \
                "version" in delta.aspects and not _reachable(delta.old, delta.new):
            old, new = delta.old.version, delta.new.version
            self.unreachable.append((replace(delta, aspects=("version",)), (
                f"no update path from version {old} to {new} on the server the plan was "
                f"made from (extensions seldom ship downgrade scripts): drop and create "
                f"extension {delta.ref.name} again by hand, or keep {old}")))
            rest = tuple(a for a in delta.aspects if a != "version")
            if not rest:
                return
            delta = replace(delta, aspects=rest)
        if delta.ref.kind == "collation" and delta.action == "replace":
            self.unreachable.append((delta, (
                "PostgreSQL cannot change a collation's definition, and it cannot drop one "
                "that columns or indexes use: create the new collation under another name "
                "and move them to it")))
            return
        reason = destructive_reason(delta)
        if reason is not None:
            self.reasons[delta.ref] = reason
        if reason is None or self.options.allow_destructive:
            self.deltas[delta.ref] = delta
            return
        if delta.action == "alter" and delta.ref.kind == "column" and "type" in delta.aspects:
            rest = tuple(a for a in delta.aspects if a != "type")
            if rest:
                self.deltas[delta.ref] = replace(delta, aspects=rest)
            delta = replace(delta, aspects=("type",))
        elif delta.action == "alter" and delta.ref.kind == "type":
            rest = tuple(a for a in delta.aspects if a != "attributes")
            if rest:
                self.deltas[delta.ref] = replace(delta, aspects=rest)
            delta = replace(delta, aspects=("attributes",))
        self.vetoed.append((delta, reason))

    # --- 2. what goes, and what comes back ---------------------------------------------

    def _close(self) -> None:
        # Containers first: a dropped table takes its columns along, so they must not be
        # marked as dropped on their own before the table is.
        ordered = sorted(self.deltas.values(),
                         key=lambda d: (_CONTAINER_RANK.get(d.ref.kind, 9), ref_key(d.ref)))
        for d in ordered:
            if d.action in ("drop", "replace"):
                self._go(d.ref, None, False)
        for d in ordered:
            if d.action == "rebuild":
                self._rebuild(d.ref)
        for d in ordered:
            if d.action == "alter" and d.ref.kind == "column" and "type" in d.aspects:
                self._retype(d.ref)

    def _owner(self, ref: ObjectRef) -> ObjectRef | None:
        owner = owner_of(ref)
        if owner is not None:
            return owner
        rec = self.objs_a.get(ref)
        if isinstance(rec, Index):
            table = table_ref(rec.table)
            return table if table in self.objs_a else ObjectRef("view", *rec.table)
        return None

    def _keeps(self, ref: ObjectRef) -> bool:
        d = self.deltas.get(ref)
        return ref in self.objs_b and (d is None or d.action not in ("drop", "replace"))

    def _go(self, start: ObjectRef, via: ObjectRef | None, auto: bool) -> None:
        """Mark an object of A as gone, and everything that cannot outlive it."""
        stack = [(start, via, auto)]
        while stack:
            ref, via, auto = stack.pop()
            if ref in self.gone or ref not in self.objs_a or ref in self.rebuilt:
                continue
            owner = self._owner(ref)
            if owner is not None and owner in self.gone:
                self.gone[ref] = self.gone[owner]  # PostgreSQL drops it with its owner
            elif via is not None and auto and via in self.gone:
                self.gone[ref] = self.gone[via]
            else:
                self.gone[ref] = ref
            rec = self.objs_a[ref]
            if isinstance(rec, Table):
                stack += [(ObjectRef("column", ref.schema, ref.name, c.name), ref, True)
                          for c in rec.columns]
            for dep, dep_auto in self.deps_a.needed_by(ref):
                if dep.kind == "sequence" and ref.kind == "column" and dep_auto:
                    if dep in self.objs_b:  # keep the sequence: detach it first
                        self.disowned.add(dep)
                    else:
                        stack.append((dep, ref, True))
                elif dep.kind == "table" and ref.kind == "table" and self._keeps(dep):
                    self.detached.add(dep)  # a partition or child outlives its parent
                elif ref.kind == "collation" and dep.kind == "column" and self._keeps(dep):
                    continue  # its ALTER … TYPE … COLLATE comes first (a post-phase drop)
                else:
                    stack.append((dep, ref, dep_auto))

    def _retype(self, column: ObjectRef) -> None:
        """A column whose type changes: what PostgreSQL cannot carry over must go first."""
        for dep, _ in self.deps_a.needed_by(column):
            own_default = dep.kind == "default" and (dep.schema, dep.name, dep.sub) == (
                column.schema, column.name, column.sub)
            if dep.kind in ("view", "policy", "trigger", "function", "column") or own_default:
                self._go(dep, None, False)
            elif dep.kind == "constraint" and self._both_sides_retyped(dep):
                # PostgreSQL re-adds a foreign key after each ALTER … TYPE, while the other
                # side still has its old type: it must go first and come back after both.
                self._go(dep, None, False)

    def _both_sides_retyped(self, ref: ObjectRef) -> bool:
        rec = self.objs_a.get(ref)
        if not isinstance(rec, ConstraintRec) or rec.constraint.kind != "foreign" or \
                rec.constraint.ref_table is None:
            return False
        fk, parent = rec.constraint, rec.constraint.ref_table

        def retyped(table: QName, columns: tuple[str, ...]) -> bool:
            return any((d := self.deltas.get(column_ref(table, c))) is not None
                       and d.action == "alter" and "type" in d.aspects for c in columns)

        return retyped(rec.table.name, fk.columns) and retyped(parent, fk.ref_columns)

    def _rebuild(self, start: ObjectRef) -> None:
        stack = [start]
        while stack:
            ref = stack.pop()
            if ref in self.rebuilt:
                continue
            self.rebuilt[ref] = None
            for dep, _ in self.deps_a.needed_by(ref):
                if dep.kind == "column":
                    if self._keeps_type(dep):
                        self._retype(dep)
                elif dep.kind == "type" and self._keeps(dep):
                    stack.append(dep)
                else:
                    self._go(dep, None, False)

    def _keeps_type(self, column: ObjectRef) -> bool:
        old, new = self.objs_a.get(column), self.objs_b.get(column)
        return (isinstance(old, ColumnRec) and isinstance(new, ColumnRec)
                and column not in self.gone and self._keeps(column)
                and old.column.type_sql == new.column.type_sql)

    # --- 3. steps ----------------------------------------------------------------------

    def _exists_after_pre(self, ref: ObjectRef) -> bool:
        return ref in self.objs_a and ref not in self.gone

    def _add(self, step: Step) -> StepId:
        self.steps[step.id] = step
        return step.id

    def _edge(self, before: StepId | None, after: StepId | None) -> None:
        if before is not None and after is not None and before != after:
            self.edges.add((before, after))

    def _remover(self, ref: ObjectRef) -> StepId | None:
        if ref in self.gone:
            return self.removers.get(self.gone[ref])
        if ref in self.rebuilt:
            return ("post", "drop-old-type", ref)
        return None

    def _maker(self, ref: ObjectRef) -> StepId | None:
        seen = 0
        while ref not in self.makers and ref in self.covered and seen < 4:
            ref, seen = self.covered[ref], seen + 1
        return self.makers.get(ref)

    def _build(self) -> None:
        ctx = self.ctx
        # What the main phase may have to make: created, altered, or gone and back.
        self.candidates = sorted({*self.deltas, *self.gone, *self.detached, *self.disowned},
                                 key=ref_key)
        ctx.new_relations = {QName(r.schema, r.name) for r in self.candidates
                             if r.kind in ("table", "view") and r in self.objs_b
                             and not self._exists_after_pre(r)}
        for ref in self.rebuilt:
            ctx.rebuild_columns[ref] = [
                (self.objs_b[d].table, self.objs_b[d].column)
                for d, _ in self.deps_a.needed_by(ref)
                if d.kind == "column" and self._keeps_type(d)]
        late = self._late_drops()
        for ref in sorted(self.gone, key=ref_key):
            if self.gone[ref] == ref:
                step = drop_step(ref, self.objs_a[ref], ctx, replaced=ref in self.objs_b)
                if ref in late:
                    step.phase = "post"
                delta = self.deltas.get(ref)
                if delta is not None and delta.action in ("drop", "replace"):
                    step.destructive = self.reasons.get(ref)
                self.removers[ref] = self._add(step)
        for ref, delta in sorted(self.deltas.items(), key=lambda x: ref_key(x[0])):
            if delta.action == "alter" and "identity" in delta.aspects and \
                    delta.old.column.identity_kind and not delta.new.column.identity_kind:
                self._add(drop_identity_step(ref, delta.old))
                self.deltas[ref] = replace(delta, aspects=tuple(
                    a for a in delta.aspects if a != "identity"))
        for ref in sorted(self.rebuilt, key=ref_key):
            main, post = rebuild_steps(ref, self.objs_a[ref], self.objs_b[ref], ctx)
            main.destructive = self.reasons.get(ref)
            self.makers[ref] = self._add(main)
            self._edge(main.id, self._add(post))
        self._build_main()
        self._build_links()

    def _build_main(self) -> None:
        ctx = self.ctx
        for ref in self.candidates:
            rec = self.objs_b.get(ref)
            if rec is None or ref in self.rebuilt:
                continue
            if not self._exists_after_pre(ref):
                container = self._container_made(ref)
                if container is not None:
                    self.covered[ref] = container
                    continue
                if isinstance(rec, ColumnRec | DefaultRec) and rec.column.inherited and \
                        ref not in self.overridden:
                    continue  # comes from the parent
                step = create_step(ref, rec, ctx, recreated=ref in self.objs_a)
                self.makers[ref] = self._add(step)
                self._edge(self._remover(ref), step.id)
                if isinstance(rec, Sequence) and rec.owned_by is not None:
                    self._own(ref, rec)
                continue
            delta = self.deltas.get(ref)
            if delta is not None and ref in self.disowned and "owned_by" in delta.aspects:
                # Its owner goes and comes back: the own step below sets it once it exists.
                aspects = tuple(a for a in delta.aspects if a != "owned_by")
                delta = replace(delta, aspects=aspects) if aspects else None
            attach = ref in self.detached
            if (delta is not None and delta.action == "alter") or attach:
                step_ = alter_step(delta or Delta(ref, "alter", self.objs_a[ref], rec), ctx,
                                   attach=attach)
                if step_ is not None:
                    step_.destructive = self.reasons.get(ref)
                    self.makers[ref] = self._add(step_)
                    if isinstance(rec, Sequence) and rec.owned_by is not None:
                        self.owned.append((_owner_column(rec), step_.id))
            if ref in self.disowned and isinstance(rec, Sequence) and rec.owned_by:
                self._own(ref, rec)

    def _own(self, ref: ObjectRef, seq: Sequence) -> None:
        own = self._add(own_sequence_step(ref, seq))
        self._edge(self._maker(ref), own)
        self.owned.append((_owner_column(seq), own))

    def _late_drops(self) -> set[ObjectRef]:
        """Objects dropped in the "pre" phase by kind that a type, collation, extension or
        schema dropped in the "post" phase still needs — a domain whose CHECK calls a
        function, a range type's canonical function: they are dropped after it instead."""
        post_kinds = ("type", "collation", "extension", "schema")
        stack = [r for r, root in self.gone.items() if r == root and r.kind in post_kinds]
        late: set[ObjectRef] = set()
        while stack:
            ref = stack.pop()
            for needed, _ in self.deps_a.needs(ref):
                root = self.gone.get(needed)
                if root is not None and root.kind not in post_kinds and root not in late:
                    late.add(root)
                    stack.append(root)
        return late

    def _container_made(self, ref: ObjectRef) -> ObjectRef | None:
        """The container whose create step makes this object too (a new table's columns,
        a new column's default)."""
        owner = owner_of(ref)
        if ref.kind in ("column", "default") and owner is not None and \
                not self._exists_after_pre(owner) and owner in self.objs_b:
            return owner
        return None

    def _build_links(self) -> None:
        """The graph's edges: A's dependencies for drops, B's for creates."""
        for ref, root in self.gone.items():
            remover = self.removers.get(root)
            for needed, _ in self.deps_a.needs(ref):
                self._edge(remover, self._remover(needed))
            if ref.schema and (ref.kind != "schema"):
                self._edge(remover, self._remover(ObjectRef("schema", "", ref.schema)))
        for seq in self.disowned:
            rec = self.objs_a[seq]
            self._edge(("pre", "disown-sequence", seq), self._remover(_owner_column(rec)))
        for column, step_id in self.owned:
            self._edge(self._maker(column), step_id)
        for table in self.detached:
            rec = self.objs_a[table]
            for parent in (rec.partition_of, *rec.inherits):
                if parent is not None:
                    self._edge(("pre", "detach-table", table), self._remover(table_ref(parent)))
        contents: dict[ObjectRef, list[ObjectRef]] = defaultdict(list)
        for ref, container in self.covered.items():
            contents[container].append(ref)
        extensions = [m for r, m in self.makers.items() if r.kind == "extension"]
        for step_id, step in list(self.steps.items()):
            if step.phase == "post":  # what still uses it is changed first
                for dep, _ in self.deps_a.needed_by(step.ref):
                    if dep not in self.gone:
                        self._edge(self._maker(dep), step_id)
            if step.phase != "main":
                continue
            made = [step.ref, *contents.get(step.ref, ())]
            for ref in made[1:]:
                made += contents.get(ref, ())  # a new table's columns' defaults
            for ref in made:
                for needed, auto in self.deps_b.needs(ref):
                    if ref.kind == "sequence" and needed.kind == "column" and auto:
                        continue  # ownership: set by its own step, after both exist
                    self._edge(self._maker(needed), step_id)
            if step.ref.kind not in ("schema", "extension"):
                for ext_step in extensions:
                    self._edge(ext_step, step_id)
            schema = step.ref.schema or (self.objs_b[step.ref].schema
                                         if step.ref.kind == "extension" and
                                         self.objs_b.get(step.ref) is not None else "")
            if schema and step.ref.kind != "schema":
                self._edge(self.makers.get(ObjectRef("schema", "", schema)), step_id)

    def _detach_steps(self) -> None:
        parents_gone = {QName(r.schema, r.name) for r in self.gone if r.kind == "table"}
        for ref in sorted(self.detached, key=ref_key):
            self._add(detach_step(ref, self.objs_a[ref], parents_gone))
        for ref in sorted(self.disowned, key=ref_key):
            self._add(disown_step(ref, self.objs_a[ref]))

    # --- 4. order ----------------------------------------------------------------------

    def _order(self) -> list[Step]:
        """Each phase's steps, dependencies first; where the graph leaves the order free,
        by `_PRIORITY` and then by reference (the smallest ready step first, as networkx's
        lexicographical_topological_sort orders them). O(E + V log V) with a heap; networkx
        is imported only for a phase with a cycle, which it finds and breaks (`_toposort`)."""
        out: list[Step] = []
        phases: tuple[Phase, ...] = ("pre", "main", "post")
        for phase in phases:
            nodes = [n for n in self.steps if n[0] == phase]
            ordered = _lexicographic_toposort(nodes, self.edges, _step_key)
            if ordered is None:
                ordered = self._toposort_phase(phase)
            out += [self.steps[n] for n in ordered]
        return out

    def _toposort_phase(self, phase: Phase) -> list[StepId]:
        """A phase whose graph has a cycle, ordered the way networkx orders it (the graph
        built as before, so the cycle found and broken is the same)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.steps)
        graph.add_edges_from(e for e in self.edges if e[0] in self.steps and e[1] in self.steps)
        nodes = [n for n in graph if n[0] == phase]
        return self._toposort(nx.DiGraph(graph.subgraph(nodes)))

    def _toposort(self, graph: nx.DiGraph) -> list[StepId]:
        import networkx as nx

        while True:
            try:
                return list(nx.lexicographical_topological_sort(graph, key=_step_key))
            except nx.NetworkXUnfeasible:
                cycle = nx.find_cycle(graph)
                edge = next((e for e in cycle if _is_fk(self.steps[e[1]])), cycle[-1])
                graph.remove_edge(edge[0], edge[1])
                self.notes.append(f"dependency cycle broken: {self.steps[edge[1]].description}"
                                  f" no longer waits for {self.steps[edge[0]].description}")

    # --- run ---------------------------------------------------------------------------

    def run(self) -> Plan:
        self._close()
        self._detach_steps()
        self._build()
        ordered = self._order()
        skipped = self._skipped_steps()
        preamble = []
        if ordered:
            if self.options.lock_timeout:
                preamble.append(Statement(
                    f"SET lock_timeout = {literal(self.options.lock_timeout)}"))
            # Function bodies are checked when the plan has created what they use.
            preamble.append(Statement("SET check_function_bodies = off"))
        return Plan(ordered, skipped, preamble, self.notes, self.options)

    def _skipped_steps(self) -> list[Step]:
        out: list[Step] = []
        for delta, reason in self.vetoed:
            steps: list[Step] = []
            ref = delta.ref
            if delta.action in ("drop", "replace"):
                steps.append(drop_step(ref, delta.old, self.ctx))
            if delta.action == "replace":
                steps.append(create_step(ref, delta.new, self.ctx, recreated=True))
            if delta.action == "rebuild":
                steps += list(rebuild_steps(ref, delta.old, delta.new, self.ctx))
            if delta.action == "alter":
                step = alter_step(delta, self.ctx)
                steps += [step] if step is not None else []
            for step in steps:
                step.skipped = "destructive: pass --allow-destructive to emit it"
                step.destructive = reason
            out += steps
        for delta, why in self.unreachable:
            if delta.action == "replace":
                steps = [drop_step(delta.ref, delta.old, self.ctx),
                         create_step(delta.ref, delta.new, self.ctx, recreated=True)]
            else:
                steps = [s for s in [alter_step(delta, self.ctx)] if s is not None]
            for step in steps:
                step.skipped = why
            out += steps
        return out


def _reachable(old: Extension | None, new: Extension | None) -> bool:
    """Whether ALTER EXTENSION … UPDATE can go from the old version to the new one (when
    the server's update paths are unknown, it is assumed it can)."""
    if old is None or new is None or old.update_targets is None or new.version is None:
        return True
    return new.version in old.update_targets


def _owner_column(seq: Any) -> ObjectRef:
    table, column = seq.owned_by
    return ObjectRef("column", table.schema, table.name, column)



def _step_key(node: StepId) -> tuple[int, tuple[str, str, str, str, tuple[str, ...]]]:
    return (_PRIORITY.get(node[1], 99), ref_key(node[2]))


def _lexicographic_toposort(nodes: list[StepId], edges: Iterable[tuple[StepId, StepId]],
                            key: Callable[[StepId], Any]) -> list[StepId] | None:
    """``nodes`` in an order where every edge between two of them goes forward, always taking
    the ready node of the smallest key (then the first in ``nodes``); None when the edges
    among them make a cycle (a self-loop is one)."""
    index = {node: i for i, node in enumerate(nodes)}
    children: list[list[int]] = [[] for _ in nodes]
    waiting = [0] * len(nodes)
    for before, after in edges:
        b, a = index.get(before), index.get(after)
        if b is not None and a is not None:
            children[b].append(a)
            waiting[a] += 1
    keys = [key(node) for node in nodes]
    ready = [(keys[i], i) for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    out: list[StepId] = []
    while ready:
        _, i = heapq.heappop(ready)
        out.append(nodes[i])
        for child in children[i]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (keys[child], child))
    return out if len(out) == len(nodes) else None


def _is_fk(step: Step) -> bool:
    return step.ref.kind == "constraint" and "FOREIGN KEY" in " ".join(
        s.sql for s in step.statements)


def differs(a: Catalog, b: Catalog) -> bool:
    """Whether two catalogs differ in anything a plan would change."""
    return bool(compare(a, b))
