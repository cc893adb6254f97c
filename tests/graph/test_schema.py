"""The schema dependency graph: what depends on what, what blocks a drop, and its export."""

from __future__ import annotations

import json

from schemagate.fold import apply_all
from schemagate.graph.export import revision_digraph, to_dot, to_json
from schemagate.graph.revisions import revision_graph
from schemagate.graph.schema import (
    DependencyIndex,
    blocking_dependents,
    column_id,
    dependency_index,
    function_id,
    goes_with,
    schema_graph,
    table_id,
)
from schemagate.model.catalog import Catalog
from schemagate.model.migration import Script
from schemagate.model.names import QName
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText
from tests.graph.test_revisions import mig

SCHEMA = """
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE SEQUENCE invoice_no;
CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, feeling mood,
                    invoice bigint DEFAULT nextval('invoice_no'));
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE VIEW user_emails AS SELECT id, email FROM users;
CREATE VIEW recent AS SELECT email FROM user_emails;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
"""


def catalog() -> Catalog:
    script = parse_script(SourceText.of("s.sql", SCHEMA), Script("s.sql"))
    cat = Catalog()
    apply_all(cat, [op for st in script.statements for op in st.ops], "m1")
    return cat


USERS = QName("public", "users")


def test_nodes_and_edges_from_dependent_to_dependency() -> None:
    g = schema_graph(catalog())
    assert g.nodes[table_id(USERS)]["kind"] == "table"
    edges = {(a, b): data["kind"] for a, b, data in g.edges(data=True)}
    assert edges[(column_id(USERS, "email"), table_id(USERS))] == "column of"
    assert edges[("index:public.users_email_idx", column_id(USERS, "email"))] == "indexes"
    assert edges[("view:public.user_emails", column_id(USERS, "email"))] == "reads"
    assert edges[("view:public.recent", "view:public.user_emails")] == "reads"
    assert edges[("constraint:public.orders.orders_user_id_fkey", table_id(USERS))] == \
        "references"
    assert edges[("sequence:public.users_id_seq", column_id(USERS, "id"))] == "owned by"
    assert edges[(column_id(USERS, "invoice"), "sequence:public.invoice_no")] == "default uses"
    assert edges[(column_id(USERS, "feeling"), "type:public.mood")] == "of type"
    assert edges[("trigger:public.users.users_touch", function_id(QName("public", "touch"),
                                                                   ()))] == "calls"


def test_what_blocks_a_drop_and_what_goes_with_it() -> None:
    g = schema_graph(catalog())
    email = blocking_dependents(g, column_id(USERS, "email"))
    assert [(d.label, d.how, d.direct) for d in email] == [
        ("public.user_emails", "reads", True), ("public.recent", "reads", False)]
    assert goes_with(g, column_id(USERS, "email")) == ["public.users_email_idx"]
    table = {(d.label, d.direct) for d in blocking_dependents(g, table_id(USERS))}
    assert table == {("orders_user_id_fkey on public.orders", True),
                     ("public.user_emails", True), ("public.recent", False)}
    touch = blocking_dependents(g, function_id(QName("public", "touch"), ()))
    assert [d.label for d in touch] == ["users_touch on public.users"]
    # Its own index, constraint, trigger and sequence go with the table: nothing to report
    # for a table nobody else uses.
    assert blocking_dependents(g, table_id(QName("public", "orders"))) == []


def test_sqlite_leaves_foreign_keys_out() -> None:
    g = schema_graph(catalog(), foreign_keys=False)
    assert all(d.kind != "constraint" for d in blocking_dependents(g, table_id(USERS)))


def test_json_and_dot_exports() -> None:
    g = schema_graph(catalog())
    data = json.loads(to_json(g))
    assert {"id": "table:public.users", "kind": "table", "label": "public.users"} in data["nodes"]
    assert {"source": "view:public.recent", "target": "view:public.user_emails",
            "kind": "reads", "auto": False} in data["edges"]
    assert to_json(g) == to_json(schema_graph(catalog()))  # deterministic
    dot = to_dot(g)
    assert dot.startswith('digraph "schema" {')
    assert '"view:public.recent" -> "view:public.user_emails" [label="reads"];' in dot
    assert '"column:public.users.email" -> "table:public.users" [label="column of", ' \
           'style=dashed];' in dot


def test_revision_graph_export() -> None:
    graph = revision_graph([mig("a"), mig("b", "a"), mig("c", "a")])
    data = json.loads(to_json(revision_digraph(graph)))
    assert [n["id"] for n in data["nodes"] if n["head"]] == ["b", "c"]
    assert {(e["source"], e["target"]) for e in data["edges"]} == {("b", "a"), ("c", "a")}


def test_policies_and_live_dependencies() -> None:
    from schemagate.model.catalog import Dependency, ObjectRef, Policy

    cat = catalog()
    cat.policies[(USERS, "own_rows")] = Policy("own_rows", USERS, using="email = current_user")
    cat.dependencies.add(Dependency(ObjectRef("view", "public", "legacy_report"),
                                    ObjectRef("column", "public", "users", "feeling")))
    g = schema_graph(cat)
    email = {d.label for d in blocking_dependents(g, column_id(USERS, "email"))}
    assert "own_rows on public.users" in email
    feeling = blocking_dependents(g, column_id(USERS, "feeling"))
    assert [(d.label, d.how) for d in feeling] == [("public.legacy_report", "depends on")]


def test_the_dependency_index_finds_what_the_networkx_graph_finds() -> None:
    g, index = schema_graph(catalog()), dependency_index(catalog())
    assert set(index.nodes) == set(g.nodes)
    assert all(index.nodes[n] == g.nodes[n] for n in g.nodes)
    for node in g.nodes:
        assert blocking_dependents(index, node) == blocking_dependents(g, node), node
        assert index.in_edges(node) == list(g.in_edges(node, data=True)), node
        assert index.out_edges(node) == list(g.out_edges(node, data=True)), node


def test_an_edge_given_more_attributes_leaves_the_edges_it_shared_them_with_alone() -> None:
    index = DependencyIndex()
    index.add_edge("column:t.a", "table:t", kind="column of", auto=True)
    index.add_edge("column:t.b", "table:t", kind="column of", auto=True)
    index.add_edge("column:t.a", "table:t", kind="column of", auto=False)
    assert index.in_edges("table:t") == [
        ("column:t.a", "table:t", {"kind": "column of", "auto": False}),
        ("column:t.b", "table:t", {"kind": "column of", "auto": True})]
    assert index.out_edges("column:t.a") == [
        ("column:t.a", "table:t", {"kind": "column of", "auto": False})]
