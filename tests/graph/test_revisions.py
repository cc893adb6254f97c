"""The Alembic revision graph: order from the base, heads, cycles, dangling names, and the
folders of one history joined."""

from __future__ import annotations

from schemagate.graph.revisions import merge_histories, order_history, revision_graph
from schemagate.model.migration import (
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    Revision,
    Script,
)


def mig(rev: str, *down: str, folder: str = "versions", labels: tuple[str, ...] = (),
        depends: tuple[str, ...] = ()) -> ParsedMigration:
    path = f"{folder}/{rev}.py"
    source = MigrationSource(rev, "alembic", Script(path, "wrapped", "up"))
    return ParsedMigration(source, ParsedScript(source.up),  # type: ignore[arg-type]
                           None, revision=Revision(rev, down, labels, depends))


def names(migrations: list[ParsedMigration]) -> list[str]:
    return [m.name for m in migrations]


def test_order_follows_the_graph_not_the_file_names() -> None:
    # Files sort z, y, x, w, v; the graph says v → (w, x) → y → z.
    history = [mig("z", "y"), mig("y", "w", "x"), mig("x", "v"), mig("w", "v"), mig("v")]
    assert names(order_history(history)) == ["v", "x", "w", "y", "z"]
    # Deterministic: the same graph from files listed in another order gives the same order
    # up to ties, which follow the listing.
    assert names(order_history(list(reversed(history)))) == ["v", "w", "x", "y", "z"]


def test_depends_on_orders_without_joining_branches() -> None:
    history = [mig("b1", "base", labels=("b",)), mig("a1", "base", labels=("a",),
                                                     depends=("b1",)), mig("base")]
    graph = revision_graph(history)
    assert names(order_history(history)) == ["base", "b1", "a1"]
    heads = sorted(graph.revision(h).id for h in graph.heads())
    assert heads == ["a1", "b1"]
    assert {graph.revision(h).id: graph.labels(h) for h in graph.heads()} == {
        "a1": frozenset({"a"}), "b1": frozenset({"b"})}


def test_cycles_missing_names_and_duplicates() -> None:
    history = [mig("a"), mig("b", "c"), mig("c", "b"), mig("d", "gone"), mig("a")]
    graph = revision_graph(history)
    assert [[graph.revision(n).id for n in cycle] for cycle in graph.cycles()] == [["b", "c"]]
    assert [(graph.revision(n).id, name, kind) for n, name, kind in graph.missing] == [
        ("d", "gone", "down_revision")]
    assert graph.duplicates == [(0, 4)]
    # A cycle has no topological order: its revisions keep their file order, in place.
    assert names(order_history(history)) == ["a", "b", "c", "d", "a"]


def test_prefixes_and_labels_resolve_like_alembic() -> None:
    history = [mig("ae1027a6acf"), mig("b2", "ae10", labels=("sizes",)),
               mig("c3", "b2", depends=("sizes", "sizes@head"))]
    assert revision_graph(history).missing == []


def test_folders_of_one_history_are_joined_and_per_dialect_ones_kept_apart() -> None:
    histories = {
        "v": [mig("base", folder="v")],
        "v/2024/expand": [mig("e1", "base", folder="v/2024/expand")],
        "v/2024/contract": [mig("c1", "base", folder="v/2024/contract")],
        "p/sqlite": [mig("s0", folder="p/sqlite"), mig("s1", "s0", folder="p/sqlite")],
        "p/postgresql": [mig("s0", folder="p/postgresql"), mig("s1", "s0",
                                                                folder="p/postgresql")],
    }
    merged = merge_histories(histories)
    assert sorted((k, sorted(names(v))) for k, v in merged.items()) == [
        ("p/postgresql", ["s0", "s1"]), ("p/sqlite", ["s0", "s1"]),
        ("v", ["base", "c1", "e1"])]
