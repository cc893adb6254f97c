"""The plan's step order: the heap sort in plan.py gives networkx's lexicographical
topological order (which the planner used before), and leaves a graph with a cycle to it."""

from __future__ import annotations

import random

import networkx as nx

from schemagate.diff.plan import _lexicographic_toposort


def _graph(rng: random.Random, n: int, density: float, *, acyclic: bool
           ) -> tuple[list[int], set[tuple[int, int]]]:
    nodes = list(range(n))
    rng.shuffle(nodes)  # the listed order is not the key order
    edges = {(a, b) for a in range(n) for b in range(n)
             if a != b and (not acyclic or a < b) and rng.random() < density}
    return nodes, edges


def test_same_order_as_networkx_on_random_dags() -> None:
    rng = random.Random(14)
    for _ in range(300):
        n = rng.randint(0, 40)
        nodes, edges = _graph(rng, n, rng.choice((0.0, 0.02, 0.1, 0.3)), acyclic=True)
        keys = {node: (rng.randint(0, 5), -node) for node in nodes}  # ties on the first part
        graph = nx.DiGraph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from(edges)
        want = list(nx.lexicographical_topological_sort(graph, key=keys.__getitem__))
        assert _lexicographic_toposort(nodes, edges, keys.__getitem__) == want


def test_equal_keys_keep_the_listed_order() -> None:
    nodes = ["c", "a", "b"]
    assert _lexicographic_toposort(nodes, set(), lambda _: 0) == nodes


def test_edges_to_other_nodes_are_left_out() -> None:
    # (the planner sorts one phase at a time over all steps' edges)
    assert _lexicographic_toposort(["b", "a"], {("x", "a"), ("a", "y"), ("b", "a")},
                                   str) == ["b", "a"]


def test_a_cycle_or_a_self_loop_is_none() -> None:
    rng = random.Random(16)
    for _ in range(100):
        nodes, edges = _graph(rng, rng.randint(2, 20), 0.2, acyclic=False)
        graph = nx.DiGraph(list(edges))
        graph.add_nodes_from(nodes)
        got = _lexicographic_toposort(nodes, edges, lambda node: node)
        assert (got is None) == (not nx.is_directed_acyclic_graph(graph))
    assert _lexicographic_toposort(["a", "b"], {("a", "a")}, str) is None
