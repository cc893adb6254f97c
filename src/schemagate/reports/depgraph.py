"""The objects a run touches, and the dependencies around them, for the report's picture.

What is touched, and how, is read from the operations (the IR): a `DropTable` drops, an
`AddColumn` changes, a `CreateView` creates. Dependencies come from two places:
- the schema graph of `schemagate.graph` over each history's final catalog: who reads,
  references or indexes a touched object at the end of the run (views on a changed table,
  tables whose foreign keys point at it);
- the relations the operations themselves declare (a view's tables, a foreign key's target,
  an index's table), which is the only record of what depended on an object that the run
  drops: it is gone from the final catalog, and so from its graph.

When the graph stage is not importable (it is optional at runtime for this renderer), the
same relations are read from the catalog directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.migration import ParsedMigration
from schemagate.model.names import QName
from schemagate.reports.graphview import STATUSES, EdgeSpec, NodeSpec, Picture, layout

if TYPE_CHECKING:
    from schemagate.graph.schema import DependencyIndex

Obj = tuple[str, str]  # (kind, qualified name as text): "table", "public.users"
Relation = tuple[Obj, Obj, str]  # dependent, dependency, how
BREAKING = ("dropped", "emptied", "changed")


def _mark(out: dict[Obj, tuple[str, str]], kind: str, name: QName, status: str,
          note: str = "") -> None:
    obj = (kind, str(name))
    known = out.get(obj)
    if known is None or STATUSES.index(status) < STATUSES.index(known[0]):
        out[obj] = (status, note)
    elif known[0] == status and note and note not in known[1].split(", "):
        out[obj] = (status, f"{known[1]}, {note}" if known[1] else note)


def touched_by(op: o.Operation, out: dict[Obj, tuple[str, str]]) -> None:
    """Record what the operation does to which object: (kind, name) → (status, note)."""
    match op:
        case o.CreateTable(table=t):
            _mark(out, "table", t, "created")
        case o.DropTable(tables=ts):
            for t in ts:
                _mark(out, "table", t, "dropped")
        case o.Truncate(tables=ts):
            for t in ts:
                _mark(out, "table", t, "emptied")
        case o.DeleteRows(table=t, has_where=False):
            _mark(out, "table", t, "emptied")
        case o.RenameTable(table=t, new_name=new):
            _mark(out, "table", QName(t.schema, new), "changed", f"renamed from {t.name}")
        case o.AddColumn(table=t, column=c):
            _mark(out, "table", t, "changed", f"+{c.name}")
        case o.DropColumn(table=t, column=c):
            _mark(out, "table", t, "changed", f"-{c}")
        case o.AlterColumnType(table=t, column=c) | o.SetNotNull(table=t, column=c):
            _mark(out, "table", t, "changed", f"~{c}")
        case o.RenameColumn(table=t, column=c, new_name=new):
            _mark(out, "table", t, "changed", f"{c}→{new}")
        case (o.AddConstraint(table=t) | o.DropConstraint(table=t) | o.DropNotNull(table=t)
              | o.SetDefault(table=t)):
            _mark(out, "table", t, "changed")
        case o.CreateIndex(name=name, table=t) if name is not None:
            _mark(out, "index", name, "created", f"on {t.name}")
        case o.DropIndex(names=names):
            for n in names:
                _mark(out, "index", n, "dropped")
        case o.CreateView(name=name):
            _mark(out, "view", name, "created")
        case o.DropView(names=names):
            for n in names:
                _mark(out, "view", n, "dropped")


def declared_relations(op: o.Operation, views: set[QName]) -> Iterator[Relation]:
    """Dependencies an operation creates, as written in the migration."""
    match op:
        case o.CreateView(name=name, tables=tables):
            for t in tables:
                yield ("view", str(name)), ("view" if t in views else "table", str(t)), "reads"
        case o.CreateTable(table=t, constraints=cons):
            for con in cons:
                if con.kind == "foreign" and con.ref_table is not None and con.ref_table != t:
                    yield ("table", str(t)), ("table", str(con.ref_table)), "references"
        case o.AddColumn(table=t, constraints=cons):
            for con in cons:
                if con.kind == "foreign" and con.ref_table is not None and con.ref_table != t:
                    yield ("table", str(t)), ("table", str(con.ref_table)), "references"
        case o.AddConstraint(table=t, constraint=con) if (
                con.kind == "foreign" and con.ref_table is not None and con.ref_table != t):
            yield ("table", str(t)), ("table", str(con.ref_table)), "references"
        case o.CreateIndex(name=name, table=t) if name is not None:
            yield ("index", str(name)), ("view" if t in views else "table", str(t)), "index on"


_KINDS = {"table": "table", "view": "view", "materialized view": "view", "index": "index"}


# Objects asked about at a time: each batch builds the graph of the part of the schema
# around it (`Surroundings`), which it lets go of before the next.
GRAPH_BATCH = 256


def graph_relations(catalog: Catalog, objects: Sequence[Obj], batch: int = GRAPH_BATCH
                    ) -> Iterator[Relation] | None:
    """Relations around ``objects`` from `schemagate.graph`'s schema graph of the catalog, at
    the level of tables, views and indexes (a view reading a column depends on its table),
    ``batch`` objects at a time; None when the graph stage is not available."""
    try:
        from schemagate.graph.schema import Surroundings, dependency_index
    except ImportError:
        return None
    surroundings = Surroundings(catalog)

    def relations() -> Iterator[Relation]:
        for start in range(0, len(objects), batch):
            some = objects[start:start + batch]
            # The graph's plain-dict form: the same nodes and edges in the same order,
            # without networkx's import or its dict per edge.
            yield from relations_in(dependency_index(surroundings.around(some)), some)

    return relations()


def relations_in(g: DependencyIndex, objects: Sequence[Obj]) -> Iterator[Relation]:
    """The relations of ``objects`` in the graph ``g``: see `graph_relations`."""

    def owner(node: str) -> str:
        # Columns and constraints stand for the table they belong to.
        if g.nodes[node].get("kind") in ("column", "constraint"):
            for _, target, data in g.out_edges(node, data=True):
                if data.get("kind") in ("column of", "constraint on"):
                    return str(target)
        return node

    def obj(node: str) -> Obj | None:
        kind = _KINDS.get(g.nodes[node].get("kind", ""))
        return (kind, str(g.nodes[node].get("label", node))) if kind else None

    for kind, name in objects:
        node = f"{'view' if kind == 'view' else kind}:{name}"
        if node not in g:
            continue
        # In the graph's order (not a set's, which changes from run to run): the first
        # relation to name a dependent gives it its note in the picture.
        parts = [node] + [d for d, _, data in g.in_edges(node, data=True)
                          if data.get("auto") and g.nodes[d].get("kind") in (
                              "column", "constraint")]
        for part in parts:
            for dependent, _, data in g.in_edges(part, data=True):
                if data.get("auto"):
                    continue  # goes with the object: its own columns, constraints
                who = obj(owner(dependent))
                if who is not None and who != (kind, name):
                    yield who, (kind, name), str(data.get("kind", "depends on"))
            for _, target, data in g.out_edges(part, data=True):
                if data.get("auto") and data.get("kind") != "index on":
                    continue
                what = obj(owner(target))
                if what is not None and what != (kind, name):
                    yield (kind, name), what, str(data.get("kind", "depends on"))


def catalog_relations(catalog: Catalog, objects: Sequence[Obj]) -> Iterator[Relation]:
    """The same relations read from the catalog itself (foreign keys, views, indexes)."""
    for kind, name in objects:
        schema, _, rel = name.partition(".")
        qname = QName(schema, rel)
        if kind == "table" and qname in catalog.tables:
            for ref_table, _con in catalog.foreign_keys_to(qname):
                yield ("table", str(ref_table.name)), (kind, name), "references"
            for con in catalog.tables[qname].constraints:
                if con.kind == "foreign" and con.ref_table not in (None, qname):
                    yield (kind, name), ("table", str(con.ref_table)), "references"
        if kind in ("table", "view"):
            for view in catalog.views_reading(qname):
                yield ("view", str(view.name)), (kind, name), "reads"
        if kind == "view" and qname in catalog.views:
            for t in catalog.views[qname].tables:
                yield (kind, name), ("view" if t in catalog.views else "table", str(t)), "reads"
        if kind == "index" and qname in catalog.indexes:
            yield (kind, name), ("table", str(catalog.indexes[qname].table)), "index on"


def dependency_picture(migrations: Sequence[ParsedMigration],
                       catalogs: Mapping[str, Catalog]) -> Picture:
    """The picture of the objects the migrations' up scripts touch and what depends on them."""
    touched: dict[str, dict[Obj, tuple[str, str]]] = {}
    relations: dict[str, list[Relation]] = {}
    views: dict[str, set[QName]] = {}
    for mig in migrations:
        history = mig.source.history
        marks = touched.setdefault(history, {})
        rels = relations.setdefault(history, [])
        known_views = views.setdefault(history, set())
        for st in mig.up.statements if mig.up is not None else ():
            for op in st.ops:
                touched_by(op, marks)
                if isinstance(op, o.CreateView):
                    known_views.add(op.name)
                rels.extend(declared_relations(op, known_views))
    try:
        import schemagate.graph.schema  # noqa: F401  (only: is the graph stage there?)
        source = "schema graph"
    except ImportError:
        source = "catalog"
    for history, marks in touched.items():
        catalog = catalogs.get(history)
        if catalog is None:
            continue
        # What a created object depends on, its own operation declared; the graph is asked
        # only about the objects a change can break (on a long history, most of what the
        # migrations touch was created by them).
        objects = sorted(obj for obj, (status, _) in marks.items() if status in BREAKING)
        if not objects:
            continue
        found = graph_relations(catalog, objects)
        relations[history].extend(found if found is not None
                                  else catalog_relations(catalog, objects))
    return _picture(touched, relations, source)


def _picture(touched: Mapping[str, Mapping[Obj, tuple[str, str]]],
             relations: Mapping[str, Sequence[Relation]], source: str) -> Picture:
    def key(history: str, obj: Obj) -> str:
        return f"{history}\x00{obj[0]}\x00{obj[1]}"

    specs: list[NodeSpec] = []
    edges: list[EdgeSpec] = []
    for history, marks in touched.items():
        for obj, (status, note) in marks.items():
            specs.append(NodeSpec(key(history, obj), obj[1], obj[0], status, note))
        for dependent, dependency, how in relations.get(history, ()):
            if dependent not in marks and dependency not in marks:
                continue
            edges.append(EdgeSpec(key(history, dependent), key(history, dependency), how))
            if dependent not in marks:
                status = "dependent" if marks[dependency][0] in BREAKING else "context"
                note = f"{how} {_short_name(dependency[1])}" if status == "dependent" else ""
                specs.append(NodeSpec(key(history, dependent), dependent[1], dependent[0],
                                      status, note))
            elif dependency not in marks:
                specs.append(NodeSpec(key(history, dependency), dependency[1], dependency[0],
                                      "context"))
    return layout(specs, edges, source=source)


def _short_name(qualified: str) -> str:
    return qualified.split(".", 1)[1] if "." in qualified else qualified


def picture_dict(picture: Picture) -> dict[str, Any]:
    """The picture as data (for `report --format json`): nodes and edges without geometry."""
    def name(key: str) -> str:
        return key.split("\x00")[-1]

    return {
        "source": picture.source,
        "omitted": picture.omitted,
        "nodes": [{"kind": n.kind, "name": n.title, "status": n.status, "note": n.note}
                  for n in picture.nodes],
        "edges": [{"dependent": name(e.dependent), "dependency": name(e.dependency),
                   "kind": e.kind, "breaks": e.highlighted} for e in picture.edges],
    }
