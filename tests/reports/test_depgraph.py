"""The picture's dependencies: the schema graph asked about a few objects at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.graph.schema import dependency_index
from schemagate.lint.run import run_lint
from schemagate.model.catalog import Catalog, Dependency, ObjectRef
from schemagate.model.settings import Settings
from schemagate.reports.depgraph import Obj, graph_relations, relations_in
from tests.conftest import FIXTURES
from tests.fold.test_fold import fold

# What the graph links in ways a cut could lose: keys to a table the history never made, to
# columns with no unique key, to itself and through a unique index; views over views and over
# columns; an index on a materialized view; and what a table uses but the picture does not
# show (a type, a sequence, a function, a trigger).
SCHEMA = """
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE SEQUENCE invoice_no;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, feeling mood,
                    invoice bigint DEFAULT nextval('invoice_no'),
                    manager bigint REFERENCES users (id));
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id),
                     email text REFERENCES users (email), legacy_id bigint REFERENCES legacy (id),
                     loose text REFERENCES users (feeling));
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE TABLE notes (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));
CREATE VIEW user_emails AS SELECT id, email FROM users;
CREATE VIEW recent AS SELECT u.email, o.id FROM user_emails u JOIN orders o ON o.email = u.email;
CREATE MATERIALIZED VIEW totals AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX totals_user_idx ON totals (user_id);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
"""


def _schema() -> Catalog:
    return fold(SCHEMA)


def _objects(cat: Catalog) -> list[Obj]:
    """Every table, view and index of the catalog, and names it does not hold (as a run
    that dropped them asks about them)."""
    found = [("table", str(t)) for t in cat.tables]
    found += [("view", str(v)) for v in cat.views]
    found += sorted({("index", str(i.name)) for i in cat.indexes.values()})
    found += [("table", "public.legacy"), ("view", "public.gone"), ("index", "public.gone")]
    return sorted(found)


def _assert_same_in_batches(cat: Catalog) -> None:
    objects = _objects(cat)
    whole = list(relations_in(dependency_index(cat), objects))
    assert whole, "the catalog relates nothing: the comparison would prove nothing"
    for batch in (1, 3, len(objects)):
        found = graph_relations(cat, objects, batch)
        assert found is not None
        assert list(found) == whole, batch


def test_batches_relate_what_the_whole_graph_relates() -> None:
    cat = _schema()
    _assert_same_in_batches(cat)
    relations = list(relations_in(dependency_index(cat), _objects(cat)))
    assert (("table", "public.orders"), ("table", "public.legacy"), "references") in relations
    assert (("view", "public.recent"), ("view", "public.user_emails"), "reads") in relations
    assert (("index", "public.totals_user_idx"), ("view", "public.totals"),
            "index on") in relations


def test_a_catalog_with_live_dependencies_is_asked_whole() -> None:
    cat = _schema()
    cat.dependencies.add(Dependency(ObjectRef("view", "public", "legacy_report"),
                                    ObjectRef("column", "public", "notes", "order_id")))
    _assert_same_in_batches(cat)


@pytest.mark.parametrize("folder", [
    "diff/everything", "rules/fk-without-index", "layouts/flyway/db/migration",
    "rules/drop-referenced-object", "verify/moments", "alembic/handwritten/versions",
    # Two tables with an index of one name: MySQL names an index within its table.
    "mysql/golang-migrate"])
def test_batches_relate_what_the_whole_graph_relates_on_real_shaped_histories(
        folder: str) -> None:
    dialect = "mysql" if folder.startswith("mysql/") else "postgres"
    settings = Settings(cache=False, jobs=1, dialect=dialect)
    result = run_lint([str(FIXTURES / folder)], settings).result
    assert result.catalogs
    for cat in result.catalogs.values():
        _assert_same_in_batches(cat)


def test_batches_relate_what_the_whole_graph_relates_with_indexes_named_per_table(
        tmp_path: Path) -> None:
    """MySQL names an index within its table: two tables' indexes `segment_key` are two
    entries of the catalog, and one node of the graph."""
    (tmp_path / "1_init.up.sql").write_text("""
CREATE TABLE segments (`key` VARCHAR(255) NOT NULL, PRIMARY KEY (`key`));
CREATE TABLE rules (id INT PRIMARY KEY, segment_key VARCHAR(255) NOT NULL,
  INDEX segment_key (segment_key), FOREIGN KEY (segment_key) REFERENCES segments (`key`));
CREATE TABLE constraints (id INT PRIMARY KEY, segment_key VARCHAR(255) NOT NULL,
  INDEX segment_key (segment_key), FOREIGN KEY (segment_key) REFERENCES segments (`key`));
""", encoding="utf-8")
    settings = Settings(cache=False, jobs=1, dialect="mysql")
    [cat] = run_lint([str(tmp_path)], settings).result.catalogs.values()
    assert [str(k) for k in cat.indexes if "segment_key" in str(k)] == [
        "segment_key on rules", "segment_key on constraints"]
    _assert_same_in_batches(cat)
