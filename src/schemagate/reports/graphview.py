"""The picture of what a run touches: objects as boxes in layers, dependencies as arrows.

Drawn by this module, not by Graphviz: the report must be one self-contained file, and a
DBA's machine or a CI runner need not have a `dot` binary. The layout is the classic layered
one, kept small: an object sits one layer below everything it depends on (a view below its
tables, a referencing table below the table it references), the order inside a layer follows
the neighbours above it (barycentres), and wide layers wrap into rows so the picture stays
readable. Coordinates only: the HTML template turns them into SVG, escaping every label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# What happened to an object, most important first: it decides which objects are kept when
# there are too many to draw, and the colour of the box.
STATUSES = ("dropped", "emptied", "changed", "dependent", "created", "context")
STATUS_LABEL = {"dropped": "dropped", "emptied": "rows deleted", "changed": "changed",
                "dependent": "depends on a change", "created": "created",
                "context": "referenced"}
MAX_NODES = 60
MAX_PER_ROW = 6
NODE_H = 42
ROW_GAP = 56
COL_GAP = 28
MARGIN = 16
LABEL_CHARS = 34
CHAR_W = 7.0  # an estimate of the label font's average advance, in px
NOTE_CHARS = 40
NOTE_CHAR_W = 6.2


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """An object to draw, as the stages describe it (before layout)."""

    key: str  # unique in the picture: history, kind and qualified name
    label: str
    kind: str  # table, view, index, …
    status: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    dependent: str  # node keys
    dependency: str
    kind: str  # "fk", "reads", "index", "depends"


@dataclass(frozen=True, slots=True)
class Node:
    key: str
    label: str
    kind: str
    status: str
    note: str
    x: float
    y: float
    w: float
    h: float
    title: str  # the full name, for the tooltip when the label is shortened


@dataclass(frozen=True, slots=True)
class Edge:
    dependent: str
    dependency: str
    kind: str
    path: str  # SVG path data: numbers and commands only
    highlighted: bool  # the dependency is dropped or changed: this is what breaks


@dataclass
class Picture:
    width: float = 0.0
    height: float = 0.0
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    omitted: int = 0  # objects left out to keep the picture readable
    source: str = "catalog"  # where the dependencies came from


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    one_line = text.replace("\r", " ").replace("\n", "⏎")
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _second_line(spec: NodeSpec) -> str:
    return f"{spec.kind} · {_short(spec.note or STATUS_LABEL[spec.status], NOTE_CHARS)}"


def _layers(keys: Sequence[str], deps: Mapping[str, list[str]]) -> dict[str, int]:
    """Layer of each node: 0 for nodes that depend on nothing drawn, else one below the
    deepest dependency. A dependency cycle (two tables referencing each other) is cut where
    the depth-first walk meets it again."""
    layer: dict[str, int] = {}
    on_path: set[str] = set()
    for root in keys:
        if root in layer:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                on_path.add(node)
            targets = deps.get(node, [])
            if i < len(targets):
                stack.append((node, i + 1))
                nxt = targets[i]
                if nxt not in layer and nxt not in on_path:
                    stack.append((nxt, 0))
                continue
            on_path.discard(node)
            layer[node] = 1 + max((layer[t] for t in targets if t in layer), default=-1)
    return layer


def layout(specs: Iterable[NodeSpec], edges: Iterable[EdgeSpec], *, source: str = "catalog",
           max_nodes: int = MAX_NODES) -> Picture:
    by_key: dict[str, NodeSpec] = {}
    for spec in specs:
        known = by_key.get(spec.key)
        if known is None or STATUSES.index(spec.status) < STATUSES.index(known.status):
            by_key[spec.key] = spec
    ranked = sorted(by_key.values(), key=lambda s: (STATUSES.index(s.status), s.key))
    kept = {s.key for s in ranked[:max_nodes]}
    picture = Picture(omitted=max(0, len(ranked) - max_nodes), source=source)
    if not kept:
        return picture
    edge_list = sorted({(e.dependent, e.dependency, e.kind) for e in edges
                        if e.dependent in kept and e.dependency in kept
                        and e.dependent != e.dependency})
    deps: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    for dependent, dependency, _ in edge_list:
        deps.setdefault(dependent, []).append(dependency)
        users.setdefault(dependency, []).append(dependent)
    keys = sorted(kept)
    layer = _layers(keys, deps)

    # Order each layer by the mean position of its dependencies in the layers above, so
    # arrows mostly run straight down instead of crossing the picture.
    by_layer: dict[int, list[str]] = {}
    for key in keys:
        by_layer.setdefault(layer[key], []).append(key)
    position: dict[str, float] = {}
    rows: list[list[str]] = []
    for depth in sorted(by_layer):
        members = by_layer[depth]

        def barycentre(key: str) -> tuple[float, str]:
            above = [position[d] for d in deps.get(key, []) if d in position]
            return (sum(above) / len(above) if above else float("inf"), key)

        members.sort(key=barycentre)
        for i, key in enumerate(members):
            position[key] = float(i)
        for start in range(0, len(members), MAX_PER_ROW):
            rows.append(members[start:start + MAX_PER_ROW])

    # Wide enough for the label and for the smaller second line (kind and note).
    width_of = {k: min(max(len(_short(by_key[k].label)) * CHAR_W + 24,
                           len(_second_line(by_key[k])) * NOTE_CHAR_W + 24, 96.0), 300.0)
                for k in keys}
    row_widths = [sum(width_of[k] for k in row) + COL_GAP * (len(row) - 1) for row in rows]
    total_w = max(row_widths) + 2 * MARGIN
    nodes: dict[str, Node] = {}
    for r, (row, row_w) in enumerate(zip(rows, row_widths, strict=True)):
        x = MARGIN + (total_w - 2 * MARGIN - row_w) / 2
        y = MARGIN + r * (NODE_H + ROW_GAP)
        for key in row:
            spec = by_key[key]
            nodes[key] = Node(key, _short(spec.label), spec.kind, spec.status,
                              _short(spec.note, NOTE_CHARS), round(x, 1), float(y),
                              round(width_of[key], 1), float(NODE_H), spec.label)
            x += width_of[key] + COL_GAP
    picture.nodes = [nodes[k] for row in rows for k in row]
    picture.width = round(total_w, 1)
    picture.height = float(2 * MARGIN + len(rows) * NODE_H + (len(rows) - 1) * ROW_GAP)
    for dependent, dependency, kind in edge_list:
        a, b = nodes[dependent], nodes[dependency]
        picture.edges.append(Edge(dependent, dependency, kind, _path(a, b),
                                  b.status in ("dropped", "emptied", "changed")))
    return picture


def _path(a: Node, b: Node) -> str:
    """From the dependent to its dependency: up from the top of a box below to the bottom of
    the box above, as a smooth curve; sideways within a row."""
    if b.y + b.h <= a.y:
        x1, y1, x2, y2 = a.x + a.w / 2, a.y, b.x + b.w / 2, b.y + b.h
        mid = (y1 + y2) / 2
        return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
    if a.y + a.h <= b.y:  # a cycle's back edge: the dependency is drawn below
        x1, y1, x2, y2 = a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y
        mid = (y1 + y2) / 2
        return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
    left = a.x + a.w <= b.x
    x1 = a.x + a.w if left else a.x
    x2 = b.x if left else b.x + b.w
    y = a.y + a.h / 2
    return f"M{x1:.1f},{y:.1f} L{x2:.1f},{y:.1f}"
