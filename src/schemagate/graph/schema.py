"""The schema as a dependency graph: which objects use which.

Nodes are the objects of a `Catalog` (tables, columns, indexes, constraints, views and
materialized views, sequences, types, functions, triggers); an edge goes from the dependent
to what it depends on. Each edge says whether the dependent goes away with its dependency
(`auto`: a table's columns, an index on a column, a sequence owned by a column, as
PostgreSQL's automatic dependencies) or stands in its way (a view reading a column, a
foreign key referencing a table, a trigger calling a function, as PostgreSQL's normal
dependencies: `DROP` without `CASCADE` fails on them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemagate.model.catalog import (
    Catalog,
    Column,
    IndexKey,
    IndexStore,
    Table,
    TableStore,
)
from schemagate.model.names import QName
from schemagate.model.ops import Expr

if TYPE_CHECKING:
    import networkx as nx


def table_id(name: QName) -> str:
    return f"table:{name}"


def column_id(table: QName, column: str) -> str:
    return f"column:{table}.{column}"


def view_id(name: QName) -> str:
    return f"view:{name}"


def function_id(name: QName, args: tuple[str, ...]) -> str:
    return f"function:{name}({','.join(args)})"


def schema_graph(catalog: Catalog, foreign_keys: bool = True) -> nx.DiGraph:
    """The dependency graph of a catalog. Node attributes: `kind` and `label`; edge
    attributes: `kind` (what the dependency is) and `auto` (goes with its dependency).

    ``foreign_keys=False`` leaves out what foreign keys reference (SQLite lets a table go
    from under them)."""
    import networkx as nx

    g = nx.DiGraph()
    _Builder(g, catalog, foreign_keys).build()
    return g


class DependencyIndex:
    """The part of a networkx DiGraph that building the schema graph and
    `blocking_dependents` use, in plain dicts, with networkx's semantics (attributes of a
    node or edge added twice are merged; predecessors in the order their edges were added).

    A rule asking what blocks a drop needs no more; importing networkx and building its
    graph took a quarter of the time of linting a real history with a few such drops.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        # A node's edges, made at its first edge: most columns have one, many objects none.
        self._pred: dict[str, dict[str, dict[str, Any]]] = {}
        self._succ: dict[str, dict[str, dict[str, Any]]] = {}
        # Edge attributes are few distinct dicts ("column of", auto), each shared by every
        # edge that has it until one is merged with more (then it gets a copy of its own): a
        # dict per edge was a fifth of the index of a long history's schema.
        self._shared: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    # A rule builds the whole index for each drop it looks at: the keyword arguments' own
    # dict (new at every call) becomes the attributes of a new node, and is merged into
    # those of one added before.
    def add_node(self, node: str, **attrs: Any) -> None:
        known = self.nodes.get(node)
        if known is None:
            self.nodes[node] = attrs
        else:
            known.update(attrs)

    def add_edge(self, dependent: str, dependency: str, **attrs: Any) -> None:
        if dependent not in self.nodes:
            self.add_node(dependent)
        if dependency not in self.nodes:
            self.add_node(dependency)
        succ = self._succ.get(dependent)
        if succ is None:
            succ = self._succ[dependent] = {}
        data = succ.get(dependency)
        if data is None:
            key = tuple(attrs.items())
            shared = self._shared.setdefault(key, attrs)
            pred = self._pred.get(dependency)
            if pred is None:
                pred = self._pred[dependency] = {}
            succ[dependency] = pred[dependent] = shared
        elif attrs.items() - data.items():
            merged = {**data, **attrs}
            succ[dependency] = self._pred[dependency][dependent] = merged

    def has_edge(self, dependent: str, dependency: str) -> bool:
        return dependency in self._succ.get(dependent, {})

    def in_edges(self, node: str, data: bool = True
                 ) -> list[tuple[str, str, dict[str, Any]]]:
        return [(dependent, node, attrs)
                for dependent, attrs in self._pred.get(node, {}).items()]

    def out_edges(self, node: str, data: bool = True
                  ) -> list[tuple[str, str, dict[str, Any]]]:
        return [(node, dependency, attrs)
                for dependency, attrs in self._succ.get(node, {}).items()]


def dependency_index(catalog: Catalog, foreign_keys: bool = True) -> DependencyIndex:
    """The schema graph of a catalog as a `DependencyIndex`, for `blocking_dependents`."""
    g = DependencyIndex()
    _Builder(g, catalog, foreign_keys).build()
    return g


class Surroundings:
    """Small catalogs cut from a large one around some of its tables, views and indexes.

    The schema graph of each (`around`) has the same edges, in the same order, at those
    objects and at their columns and constraints, between them and the tables, views and
    indexes next to them, as the graph of the whole catalog has. Only those kinds: the
    functions, types, sequences, triggers and policies an object uses or is used by are
    left out, with their edges. The report's picture asks about thousands of objects of a
    long migration, a few hundred at a time; the graph of the whole schema of such a
    migration (80,000 tables) held some 100 MB at once.

    A catalog with a live database's `dependencies` (pg_depend may link any two objects) is
    not cut: `around` hands it out whole.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Objects in catalog order: a cut keeps it, and with it the order of the edges.
        self._order: dict[IndexKey, int] = {key: i for i, key in enumerate(
            [*catalog.tables, *catalog.views, *catalog.indexes])}
        # Names as the graph writes them, of every object it may hold a node of: what the
        # catalog holds, and what a foreign key or a view names without the catalog holding it.
        self._names: dict[str, QName] = {}
        self._readers: dict[QName, list[QName]] = {}
        # An index by the name its node has: MySQL's are keyed by table, and two tables'
        # indexes of one name are one node.
        self._indexes: dict[str, list[IndexKey]] = {}
        for key, index in catalog.indexes.items():
            self._indexes.setdefault(str(index.name), []).append(key)
        for table in catalog.tables.values():
            for con in table.constraints:
                if con.ref_table is not None:
                    self._names.setdefault(str(con.ref_table), con.ref_table)
        for view in catalog.views.values():
            for relation in dict.fromkeys([*view.tables, *(t for t, _ in view.reads)]):
                self._names.setdefault(str(relation), relation)
                self._readers.setdefault(relation, []).append(view.name)
        for key in [*catalog.tables, *catalog.views]:
            self._names[str(key)] = key

    def around(self, objects: Iterable[tuple[str, str]]) -> Catalog:
        """The part of the catalog around ``objects``: (kind, name) pairs, as the graph
        labels them ("table", "view" or "index"; the qualified name as text)."""
        cat = self.catalog
        if cat.dependencies:
            return cat
        tables: set[QName] = set()
        views: set[QName] = set()
        indexes: set[IndexKey] = set()

        def relation(name: QName) -> None:
            (views if name in cat.views else tables).add(name)

        for kind, text in objects:
            if kind == "index":
                for key in self._indexes.get(text, ()):
                    indexes.add(key)
                    relation(cat.indexes[key].table)
                continue
            name = self._names.get(text)
            if name is None:
                continue
            relation(name)
            views.update(self._readers.get(name, ()))
            if name in cat.views:
                for read in [*cat.views[name].tables, *(t for t, _ in cat.views[name].reads)]:
                    relation(read)
            elif name in cat.tables:
                for con in cat.tables[name].constraints:
                    if con.ref_table is not None:
                        relation(con.ref_table)
            tables.update(cat.tables.referencing(name))
        # A foreign key needs the unique indexes of the table it references to be drawn.
        for name in (*tables, *views):
            indexes.update(cat.indexes.keys_on(name))
        position = self._order.__getitem__
        return Catalog(
            tables=TableStore({k: cat.tables[k]
                               for k in sorted(tables & cat.tables.keys(), key=position)}),
            views={k: cat.views[k] for k in sorted(views & cat.views.keys(), key=position)},
            indexes=IndexStore({k: cat.indexes[k] for k in sorted(indexes, key=position)}))


@dataclass
class _Builder:
    g: nx.DiGraph | DependencyIndex
    catalog: Catalog
    foreign_keys: bool = True
    # Function nodes by (schema, lower-case name), in catalog order: built once, so that
    # resolving the functions of every trigger and default costs a lookup, not a scan of
    # every function (which grew with the square of a long history).
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for qname, args in self.catalog.functions:
            self.by_name.setdefault((qname.schema, qname.name.lower()), []).append(
                function_id(qname, args))

    def node(self, node: str, kind: str, label: str, **attrs: object) -> None:
        self.g.add_node(node, kind=kind, label=label, **attrs)

    def edge(self, dependent: str, dependency: str, kind: str, auto: bool) -> None:
        if dependency not in self.g:  # an object the catalog does not hold: show it anyway
            kind_of, _, label = dependency.partition(":")
            self.g.add_node(dependency, kind=kind_of, label=label, known=False)
        self.g.add_edge(dependent, dependency, kind=kind, auto=auto)

    def build(self) -> None:
        cat = self.catalog
        for fn in cat.functions.values():
            self.node(function_id(fn.name, fn.arg_types), "function",
                      f"{fn.name}({', '.join(fn.arg_types)})")
        for name, typ in cat.types.items():
            self.node(f"type:{name}", "type", str(name), type_kind=typ.kind)
        for name, seq in cat.sequences.items():
            if not seq.identity:  # an identity column's is the column's own
                self.node(f"sequence:{name}", "sequence", str(name))
        for table in cat.tables.values():
            self.table(table)
        for view in cat.views.values():
            self.node(view_id(view.name), "materialized view" if view.materialized else "view",
                      str(view.name))
        for view in cat.views.values():
            node = view_id(view.name)
            for relation in view.tables:
                self.edge(node, self.relation_id(relation), "reads", auto=False)
            for read_table, column in view.reads:
                if column != "*":
                    self.edge(node, column_id(read_table, column), "reads", auto=False)
        for seq in cat.sequences.values():
            if seq.owned_by is not None and not seq.identity:
                self.edge(f"sequence:{seq.name}", column_id(*seq.owned_by), "owned by",
                          auto=True)
        for index in cat.indexes.values():
            node = f"index:{index.name}"
            self.node(node, "index", str(index.name), unique=index.unique)
            self.edge(node, self.relation_id(index.table), "index on", auto=True)
            for column in index.columns:
                self.edge(node, column_id(index.table, column), "indexes", auto=True)
        for policy in getattr(cat, "policies", {}).values():
            node = f"policy:{policy.table}.{policy.name}"
            self.node(node, "policy", f"{policy.name} on {policy.table}",
                      table=str(policy.table))
            self.edge(node, table_id(policy.table), "policy on", auto=True)
            for column in _policy_columns(policy.using, policy.check):
                self.edge(node, column_id(policy.table, column), "reads", auto=False)
        # What a live database says depends on what (pg_depend), beyond what the fold knows.
        for dep in getattr(cat, "dependencies", ()):
            dependent, referenced = _ref_id(dep.dependent), _ref_id(dep.referenced)
            if dependent and referenced and dependent != referenced and \
                    not self.g.has_edge(dependent, referenced):
                if dependent not in self.g:
                    kind, _, label = dependent.partition(":")
                    self.node(dependent, kind, label)
                self.edge(dependent, referenced, "depends on", auto=bool(dep.auto))
        for trigger in cat.triggers.values():
            node = f"trigger:{trigger.table}.{trigger.name}"
            self.node(node, "trigger", f"{trigger.name} on {trigger.table}",
                      table=str(trigger.table))
            self.edge(node, table_id(trigger.table), "trigger on", auto=True)
            for fkey in self.functions_named(trigger.function):
                self.edge(node, fkey, "calls", auto=False)

    def relation_id(self, name: QName) -> str:
        return view_id(name) if name in self.catalog.views else table_id(name)

    def table(self, table: Table) -> None:
        # The name as text once, not once per column id and label (the same strings as
        # `table_id` and `column_id` make).
        name = str(table.name)
        tnode = f"table:{name}"
        self.node(tnode, "table", name)
        for col in table.columns:
            label = f"{name}.{col.name}"
            cnode = f"column:{label}"
            self.node(cnode, "column", label)
            self.edge(cnode, tnode, "column of", auto=True)
            self.column_uses(cnode, col)
        for con in table.constraints:
            node = f"constraint:{name}.{con.name}"
            self.node(node, "constraint", con.described(name), constraint=con.kind,
                      table=name)
            self.edge(node, tnode, "constraint on", auto=True)
            columns = set(con.columns) | (set(con.expr.columns) if con.expr else set())
            for column in sorted(columns):
                self.edge(node, f"column:{name}.{column}", "constrains", auto=True)
            if con.kind == "foreign" and con.ref_table is not None and self.foreign_keys \
                    and _referenceable(self.catalog, con.ref_table, con.ref_columns):
                self_ref = con.ref_table == table.name
                self.edge(node, table_id(con.ref_table), "references", auto=self_ref)
                for column in con.ref_columns:
                    self.edge(node, column_id(con.ref_table, column), "references",
                              auto=self_ref and column in con.columns)

    def column_uses(self, node: str, col: Column) -> None:
        if col.type.schema is not None and not col.type.is_builtin:
            self.edge(node, f"type:{QName(col.type.schema, col.type.name)}", "of type",
                      auto=False)
        for expr in (col.default, col.generated):
            if expr is not None:
                self.expression_uses(node, expr)

    def expression_uses(self, node: str, expr: Expr) -> None:
        for seq in expr.sequences:
            name = seq.strip('"')
            qname = QName.of(*reversed(name.split(".", 1))) if "." in name else QName.of(name)
            self.edge(node, f"sequence:{qname}", "default uses", auto=False)
        for fname in expr.functions:
            for fkey in self.functions_named(QName.of(fname)):
                self.edge(node, fkey, "default calls", auto=False)

    def functions_named(self, name: QName) -> Iterable[str]:
        return self.by_name.get((name.schema, name.name.lower()), ())


def _policy_columns(*expressions: str | None) -> set[str]:
    """The columns a policy's USING and WITH CHECK expressions read."""
    from schemagate.parse.alembic.types import sql_expr

    out: set[str] = set()
    for text in expressions:
        if text:
            out |= set(sql_expr(text).columns)
    return out


def _ref_id(ref: Any) -> str:
    """The graph node of a catalog ObjectRef (pg_depend's view of an object)."""
    qname = QName(ref.schema, ref.name)
    match ref.kind:
        case "table":
            return table_id(qname)
        case "column" | "default":
            return column_id(qname, ref.sub) if ref.sub else table_id(qname)
        case "view":
            return view_id(qname)
        case "function":
            return function_id(qname, tuple(ref.args))
        case "constraint" | "trigger" | "policy":
            return f"{ref.kind}:{qname}.{ref.sub}"
        case "index" | "sequence" | "type":
            return f"{ref.kind}:{qname}"
        case "schema" | "extension":
            return f"{ref.kind}:{ref.name}"
    return ""


def _referenceable(cat: Catalog, table: QName, columns: tuple[str, ...]) -> bool:
    """Whether a foreign key to these columns can still exist: PostgreSQL requires a primary
    key or unique constraint (or unique index) on them, and drops the foreign key with it
    (`DROP CONSTRAINT … CASCADE`). A table that predates the history is not known well
    enough to say no."""
    target = cat.tables.get(table)
    if target is None or target.assumed:
        return True
    wanted = set(columns)
    for con in target.constraints:
        if con.kind in ("primary", "unique") and (set(con.columns) == wanted or (
                not wanted and con.kind == "primary")):
            return True
    return any(ix.unique and set(ix.columns) == wanted for ix in cat.indexes_on(table))


@dataclass(frozen=True)
class Dependent:
    """An object that stands in the way of a drop, or goes with it under CASCADE."""

    node: str
    kind: str  # node kind: "view", "constraint", "trigger", "column", …
    label: str
    how: str  # the edge: "reads", "references", "calls", …
    direct: bool  # uses the dropped object itself (not through another dependent)
    table: str = ""  # the table a constraint or trigger is on


def blocking_dependents(g: nx.DiGraph | DependencyIndex, node: str,
                        dropped_with: Iterable[str] = ()) -> list[Dependent]:
    """What stands in the way of dropping `node` without CASCADE, and what goes with it.

    Objects that go with the node automatically (its columns, indexes, own constraints) do
    not block; objects with a normal dependency on any of those do, and so, through them,
    do the objects that depend on those (a view on a view). ``dropped_with`` names the other
    objects the same statement drops (`DROP TABLE a, b`): PostgreSQL drops them together, so
    what they and theirs hold on `node` (b's foreign key to a) does not block."""
    if node not in g:
        return []
    gone = {node} | _auto_closure(g, node)
    for other in dropped_with:
        if other in g and other not in gone:
            gone |= {other} | _auto_closure(g, other)
    out: dict[str, Dependent] = {}
    for target in gone:
        for dependent, _, data in g.in_edges(target, data=True):
            if dependent in gone or data.get("auto"):
                continue
            attrs = g.nodes[dependent]
            out.setdefault(dependent, Dependent(dependent, attrs.get("kind", ""),
                                                attrs.get("label", dependent),
                                                data.get("kind", ""), True,
                                                attrs.get("table", "")))
    queue = list(out)
    while queue:
        current = queue.pop()
        for dependent, _, data in g.in_edges(current, data=True):
            if dependent in gone or dependent in out:
                continue
            attrs = g.nodes[dependent]
            out[dependent] = Dependent(dependent, attrs.get("kind", ""),
                                       attrs.get("label", dependent), data.get("kind", ""),
                                       False, attrs.get("table", ""))
            queue.append(dependent)
    return sorted(out.values(), key=lambda d: (not d.direct, d.kind, d.label))


def goes_with(g: nx.DiGraph, node: str, kinds: Iterable[str] = ("index",)) -> list[str]:
    """Labels of the objects of the given kinds that are dropped along with `node`."""
    wanted = set(kinds)
    return sorted(g.nodes[n].get("label", n) for n in _auto_closure(g, node)
                  if g.nodes[n].get("kind") in wanted)


def _auto_closure(g: nx.DiGraph | DependencyIndex, node: str) -> set[str]:
    seen: set[str] = set()
    queue = [node]
    while queue:
        current = queue.pop()
        for dependent, _, data in g.in_edges(current, data=True):
            if data.get("auto") and dependent not in seen and dependent != node:
                seen.add(dependent)
                queue.append(dependent)
    return seen
