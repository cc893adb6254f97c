"""Narrowing: a diff of two databases builds records only for what differs and what
depends on it, and gets exactly the plan a diff of the full catalogs gets."""

from __future__ import annotations

import pytest

from schemagate.diff.changes import PlanOptions
from schemagate.diff.introspect import build, fetch
from schemagate.diff.narrow import Side, narrowed, relations_to_keep
from schemagate.diff.plan import plan
from schemagate.diff.render import render_sql
from schemagate.diff.targets import Loader, Target
from schemagate.model.names import QName
from tests.diff.support import databases

UNRELATED = "\n".join(f"CREATE TABLE other_{i} (id int PRIMARY KEY, v text);"
                      f"CREATE INDEX ON other_{i} (v);" for i in range(20))

A = UNRELATED + """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE FUNCTION code(n int) RETURNS text LANGUAGE sql AS $$ SELECT 'c' || n $$;
CREATE TABLE chain_0 (id int PRIMARY KEY);
""" + "\n".join(f"CREATE TABLE chain_{i} (id int PRIMARY KEY, up int REFERENCES chain_{i - 1});"
                for i in range(1, 10)) + """
CREATE TABLE t (id int PRIMARY KEY, amount int, m mood);
CREATE VIEW v1 AS SELECT id, amount FROM t;
CREATE VIEW v2 AS SELECT amount FROM v1;
CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n, sum(amount) AS s FROM t;
CREATE INDEX mv_s ON mv (s);
CREATE TABLE uses_mood (id int, m mood DEFAULT 'ok');
CREATE TABLE uses_code (id int, c text DEFAULT code(1));
CREATE TABLE p (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE base (id int);
CREATE TABLE kid (x int) INHERITS (base);
CREATE TABLE owner_a (id int);
CREATE TABLE owner_b (id int);
CREATE SEQUENCE s OWNED BY owner_a.id;
"""

B = (A.replace("amount int, m mood", "amount bigint, m mood")          # retype: views
     .replace("('sad', 'ok', 'happy')", "('ok', 'happy')")             # rebuild: users
     .replace("code(n int)", "code(n bigint)")                          # replace: default
     .replace("TO ('2025-01-01')", "TO ('2024-07-01')")                 # bound, parent same
     .replace("(x int) INHERITS", "(x bigint) INHERITS")                # child, parent same
     .replace("OWNED BY owner_a.id", "OWNED BY owner_b.id")             # owner moves
     .replace("chain_5 (id int PRIMARY KEY", "chain_5 (id bigint PRIMARY KEY")
     .replace("m mood DEFAULT 'ok'", "m mood DEFAULT 'happy'"))


def test_narrowed_catalogs_plan_exactly_like_full_ones(pg_server: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    options = PlanOptions(allow_destructive=True)
    sides: list[Side] = []  # each side as its catalog was built from it, kept to look at
    monkeypatch.setattr(Side, "drop", lambda side: sides.append(side))
    with databases(pg_server, A, B) as (a, b):
        rows_a, rows_b = fetch(a), fetch(b)
        full = render_sql(plan(build(rows_a), build(rows_b), options))
        back = render_sql(plan(build(rows_b), build(rows_a), options))
        # as the CLI reads them: CHECKs and predicates as node trees, texts read after
        with Loader() as loader:
            narrow_a, narrow_b = loader.load_pair(Target(a, "url"), Target(b, "url"))
        assert len(sides) == 2
        assert render_sql(plan(narrow_a, narrow_b, options)) == full
        for side in sides:  # the rows of relations left out were let go as they were read
            other = {oid for oid, name in side.relations.items()
                     if name.name.startswith("other_")}
            kept = {oid for oid, name in side.relations.items() if name.name == "t"}
            assert other and kept
            for query, column in (("columns", 0), ("indexes", 1), ("constraints", 1),
                                  ("dependencies", 1), ("dependencies", 4)):
                held = {row[column] for row in side.rows[query]}
                assert not held & other, query
                assert held & kept, query  # … and those of the kept ones read again
            # the kept table's CHECK/predicate texts are there (read in full the second time)
            assert all(row[5] for row in side.rows["constraints"] if row[1] in kept)
        assert render_sql(plan(narrow_b, narrow_a, options)) == back
        assert render_sql(plan(*narrowed(rows_a, rows_b), options)) == full
        keep = {n.name for n in relations_to_keep(Side.of(rows_a), Side.of(rows_b))}
    # what differs, and what depends on it …
    assert {"t", "v1", "v2", "mv", "uses_mood", "uses_code", "p1", "kid", "chain_5",
            "chain_6", "owner_a", "owner_b", "s"} <= keep
    # … and nothing else: a foreign key chain is followed one link, not to its end
    assert not any(name.startswith("other_") for name in keep)
    assert not {"chain_0", "chain_4", "chain_7", "chain_9"} & keep
    assert narrow_a.tables.keys() == narrow_b.tables.keys()
    assert narrow_a.tables[QName("public", "p1")].partition_of == QName("public", "p")
    # A kept partition's parent is kept too (whether the partition's columns keep the
    # parent's defaults and NOT NULL is read from it), and compares equal.
    assert QName("public", "p") in narrow_a.tables
    assert narrow_a.tables[QName("public", "p")] == narrow_b.tables[QName("public", "p")]
    assert "ALTER TABLE \"public\".\"p\" DETACH PARTITION \"public\".\"p1\"" in full


def test_identical_databases_keep_nothing(pg_server: str) -> None:
    with databases(pg_server, A, A) as (a, b):
        rows_a, rows_b = fetch(a), fetch(b)
        assert relations_to_keep(Side.of(rows_a), Side.of(rows_b)) == set()
        narrow_a, narrow_b = narrowed(rows_a, rows_b)
    assert not plan(narrow_a, narrow_b).differs
    assert narrow_a.types and narrow_a.functions  # built in full, always
    assert not narrow_a.tables and not narrow_a.sequences  # the same: left out
