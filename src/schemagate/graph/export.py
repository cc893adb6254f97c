"""Graphs for reports: JSON (nodes and edges) and Graphviz DOT, deterministic output.

Works on any graph built here: the schema graph (`graph.schema`) and the revision graph
(`revision_digraph`). Nodes are written in sorted order, so a report diff shows only what
changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from schemagate.graph.revisions import RevisionGraph

if TYPE_CHECKING:
    import networkx as nx

_SHAPES = {"table": "box", "view": "box3d", "materialized view": "box3d", "column": "ellipse",
           "index": "diamond", "constraint": "hexagon", "sequence": "cds", "type": "note",
           "function": "component", "trigger": "septagon", "revision": "box"}


def to_json_data(g: nx.DiGraph) -> dict[str, Any]:
    nodes = [{"id": node, **_plain(g.nodes[node])} for node in sorted(g.nodes, key=str)]
    edges = [{"source": a, "target": b, **_plain(data)}
             for a, b, data in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1])))]
    return {"nodes": nodes, "edges": edges}


def to_json(g: nx.DiGraph) -> str:
    return json.dumps(to_json_data(g), indent=2, sort_keys=True)


def to_dot(g: nx.DiGraph, name: str = "schema") -> str:
    """Graphviz DOT: dependent → dependency, dashed where the dependent goes with it."""
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in sorted(g.nodes, key=str):
        attrs = g.nodes[node]
        kind = str(attrs.get("kind", ""))
        label = str(attrs.get("label", node))
        extra = ", style=dotted" if attrs.get("known") is False else ""
        lines.append(f"  {_quote(str(node))} [label={_quote(label)}, "
                     f"shape={_SHAPES.get(kind, 'box')}{extra}];")
    for a, b, data in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        style = ", style=dashed" if data.get("auto") else ""
        label = str(data.get("kind", ""))
        lines.append(f"  {_quote(str(a))} -> {_quote(str(b))} [label={_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def revision_digraph(revisions: RevisionGraph) -> nx.DiGraph:
    """The revision graph with readable nodes (revision ids) for export."""
    import networkx as nx

    g = nx.DiGraph()
    heads = set(revisions.heads())
    for node in revisions.graph:
        rev = revisions.revision(node)
        g.add_node(rev.id, kind="revision", label=f"{rev.id}\n{revisions.migrations[node].name}",
                   head=node in heads, branch_labels=list(rev.branch_labels))
    for a, b, data in revisions.graph.edges(data=True):
        g.add_edge(revisions.revision(b).id, revisions.revision(a).id, kind=data.get("kind"))
    return g


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _plain(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, (set, frozenset)) else v) for k, v in attrs.items()}
