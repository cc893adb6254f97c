"""The Alembic revision graph: order, heads, cycles and dangling references.

Alembic applies revisions by their graph (`down_revision`, `depends_on`), not by file name,
so histories are folded in a topological order of that graph: from the base, parents before
children, merges after every branch they merge, ties broken by file order so that the order
is the same on every run. networkx is imported only when a history has revisions, so a
pre-commit run on SQL files never pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemagate.model.migration import ParsedMigration, Revision

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class RevisionGraph:
    """A history's revisions as a graph (edges from parent to child) and what is wrong."""

    graph: nx.DiGraph  # nodes: positions in `migrations`
    migrations: list[ParsedMigration]
    ids: dict[str, int]  # revision id → position (the first file that claims it)
    # (position, the id it names, "down_revision" or "depends_on") for ids that do not exist
    missing: list[tuple[int, str, str]] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (first, second)

    def revision(self, node: int) -> Revision:
        rev = self.migrations[node].revision
        assert rev is not None
        return rev

    def heads(self) -> list[int]:
        """Revisions no other revision names as its `down_revision` (Alembic's heads)."""
        named = {p for n in self.graph for p in self._down_parents(n)}
        return [n for n in self.graph if n not in named]

    def bases(self) -> list[int]:
        return [n for n in self.graph if not self.revision(n).down]

    def _down_parents(self, node: int) -> list[int]:
        return [p for p, _, kind in self.graph.in_edges(node, data="kind") if kind == "down"]

    def labels(self, node: int) -> frozenset[str]:
        """The branch labels of the revision and its `down_revision` ancestors: the branch
        it is on. `depends_on` links branches without joining them, so it is not followed."""
        found = set(self.revision(node).branch_labels)
        seen = {node}
        queue = [node]
        while queue:
            for parent in self._down_parents(queue.pop()):
                if parent not in seen:
                    seen.add(parent)
                    found.update(self.revision(parent).branch_labels)
                    queue.append(parent)
        return frozenset(found)

    def cycles(self) -> list[list[int]]:
        """Each cycle as its revisions in file order (a strongly connected component)."""
        import networkx as nx

        out = []
        for component in nx.strongly_connected_components(self.graph):
            if len(component) > 1 or any(self.graph.has_edge(n, n) for n in component):
                out.append(sorted(component))
        return sorted(out)

    def order(self) -> list[int]:
        """Topological order from the base; a cycle's revisions in file order, in place."""
        import networkx as nx

        condensed = nx.condensation(self.graph)
        members = condensed.graph["mapping"]
        groups: dict[int, list[int]] = {}
        for node, group in members.items():
            groups.setdefault(group, []).append(node)
        first = {group: min(nodes) for group, nodes in groups.items()}
        out: list[int] = []
        for group in nx.lexicographical_topological_sort(condensed, key=first.__getitem__):
            out.extend(sorted(groups[group]))
        return out


def has_revisions(migrations: Sequence[ParsedMigration]) -> bool:
    return any(m.revision is not None for m in migrations)


def revision_graph(migrations: Sequence[ParsedMigration]) -> RevisionGraph:
    """The graph of the migrations that have a revision header."""
    import networkx as nx

    with_rev = [m for m in migrations if m.revision is not None]
    graph = nx.DiGraph()
    result = RevisionGraph(graph, with_rev, {})
    for i, mig in enumerate(with_rev):
        graph.add_node(i)
        rev = mig.revision
        assert rev is not None
        if rev.id in result.ids:
            result.duplicates.append((result.ids[rev.id], i))
        else:
            result.ids[rev.id] = i
    labels = {label: i for i, rev in enumerate(m.revision for m in with_rev) if rev
              for label in rev.branch_labels}
    for i, mig in enumerate(with_rev):
        rev = mig.revision
        assert rev is not None
        for kind, names in (("down", rev.down), ("depends_on", rev.depends_on)):
            for name in names:
                parent = _resolve(name, result.ids, labels if kind == "depends_on" else {})
                if parent is None:
                    result.missing.append((i, name, "down_revision" if kind == "down"
                                           else "depends_on"))
                elif not graph.has_edge(parent, i):
                    graph.add_edge(parent, i, kind=kind)
    return result


def _resolve(name: str, ids: Mapping[str, int], labels: Mapping[str, int]) -> int | None:
    """A revision id, a unique prefix of one (Alembic accepts those), or a branch label."""
    if name in ids:
        return ids[name]
    if name in labels:
        return labels[name]
    if "@" in name:  # depends_on="branch@head" style targets are resolved at run time
        label = name.split("@", 1)[0]
        return labels.get(label)
    if len(name) >= 4:
        matches = [i for rev, i in ids.items() if rev.startswith(name)]
        if len(matches) == 1:
            return matches[0]
    return None


def order_history(migrations: Sequence[ParsedMigration]) -> list[ParsedMigration]:
    """The migrations in the order their tool applies them: Alembic's by the graph."""
    if not has_revisions(migrations):
        return list(migrations)
    graph = revision_graph(migrations)
    ordered = [graph.migrations[n] for n in graph.order()]
    # A file whose header could not be read has no place in the graph: it goes last.
    return ordered + [m for m in migrations if m.revision is None]


def merge_histories(histories: Mapping[str, list[ParsedMigration]]
                    ) -> dict[str, list[ParsedMigration]]:
    """Join the folders of one Alembic history (a project that splits its revisions by
    release or by branch, `versions/2024.1/expand/`) into one history, keyed by the topmost
    folder. Folders join when a revision in one names a revision in another; a folder kept
    per dialect (`versions/sqlite`, `versions/postgresql`) names none, and stays apart."""
    owners: dict[str, set[str]] = {}
    for folder, migrations in histories.items():
        for mig in migrations:
            if mig.revision is not None:
                owners.setdefault(mig.revision.id, set()).add(folder)
    if not owners:
        return dict(histories)
    parent = {folder: folder for folder in histories}

    def find(folder: str) -> str:
        while parent[folder] != folder:
            parent[folder] = parent[parent[folder]]
            folder = parent[folder]
        return folder

    for folder, migrations in histories.items():
        for mig in migrations:
            if mig.revision is None:
                continue
            for name in (*mig.revision.down, *mig.revision.depends_on):
                # A name the folder declares itself, or that several folders declare (the
                # same revision kept once per dialect), joins nothing.
                declared = owners.get(name, set())
                if folder in declared or len(declared) != 1:
                    continue
                other = next(iter(declared))
                if find(other) != find(folder):
                    a, b = sorted((find(other), find(folder)), key=lambda f: (len(f), f))
                    parent[b] = a
    merged: dict[str, list[ParsedMigration]] = {}
    for folder, migrations in histories.items():
        merged.setdefault(find(folder), []).extend(migrations)
    return merged


def in_tool_order(migrations: Sequence[ParsedMigration]) -> list[ParsedMigration]:
    """The migrations in the order their tools apply them: each Alembic history (its folders
    joined as lint joins them) by its revision graph, where its first file was; the others as
    given (discovery's order is their tool's)."""
    alembic = [m for m in migrations if m.source.layout == "alembic"]
    if not alembic:
        return list(migrations)
    by_folder: dict[str, list[ParsedMigration]] = {}
    for mig in alembic:
        by_folder.setdefault(mig.source.history, []).append(mig)
    histories = {folder: order_history(h) for folder, h in merge_histories(by_folder).items()}
    history_of = {id(m): folder for folder, h in histories.items() for m in h}
    out: list[ParsedMigration] = []
    for mig in migrations:
        if mig.source.layout != "alembic":
            out.append(mig)
        elif (folder := history_of.pop(id(mig), None)) is not None and folder in histories:
            out.extend(histories.pop(folder))
    return out
