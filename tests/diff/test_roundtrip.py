"""Round trips on a real PostgreSQL, in the manner of migra and pg-schema-diff.

Each test builds A and B in two databases, plans A→B, applies the plan to A and proves A
equals B (introspected catalogs, their dependencies, and normalised `pg_dump
--schema-only`); then plans B→A, applies it to B and proves B equals a fresh A. The test
names say which failure class each one covers.
"""

from __future__ import annotations

import subprocess

import pytest

from schemagate.diff.changes import PlanOptions
from schemagate.diff.execute import run_sql
from schemagate.diff.introspect import introspect
from schemagate.diff.plan import plan
from schemagate.diff.render import render_sql
from tests.conftest import databases_on
from tests.diff.support import (
    assert_same_schema,
    databases,
    find_pg_dump,
    fixture,
    kinds,
    require_extensions,
    round_trip,
    server_major,
)


def _position(sql: str, *needles: str) -> list[int]:
    positions = [sql.find(n) for n in needles]
    assert all(p >= 0 for p in positions), [n for n, p in zip(needles, positions, strict=True)
                                           if p < 0]
    return positions


# --- every kind of object -----------------------------------------------------------------

def test_every_kind_of_object_created_from_nothing_and_dropped_again(pg_server: str) -> None:
    require_extensions(pg_server, "citext", "btree_gist")
    rt = round_trip(pg_server, *fixture("everything"))
    assert not rt.up.skipped and not rt.down.skipped
    # FKs are steps of their own after both tables, which is what breaks FK cycles
    # (orders references itself; the FK to customers waits for customers).
    assert rt.up_sql.index('ADD CONSTRAINT "orders_parent_fk"') > rt.up_sql.index(
        'CREATE TABLE "app"."orders"')


def test_every_kind_of_object_changed_in_place_replaced_added_and_removed(
        pg_server: str) -> None:
    require_extensions(pg_server, "citext", "btree_gist")
    rt = round_trip(pg_server, *fixture("changed"))
    up = rt.up_sql
    # enum values are added in place, outside any transaction block
    assert "ADD VALUE 'draft' BEFORE 'new'" in up and "ADD VALUE 'paused' AFTER 'active'" in up
    # the down plan removes enum values: a rebuild, not ADD VALUE
    assert 'ALTER TYPE "app"."status" RENAME TO' in rt.down_sql
    # a composite type whose attribute changes type is rebuilt (a column uses it)
    assert 'ALTER TYPE "app"."money_pair" RENAME TO' in up
    # partition bound changed: detached and attached again, data kept
    assert 'DETACH PARTITION "app"."events_2024"' in up
    assert "ATTACH PARTITION" in up


def test_hostile_identifiers_round_trip(pg_server: str) -> None:
    rt = round_trip(pg_server, *fixture("hostile"))
    assert '"Weird ""schema"""."view; DROP TABLE x"' in rt.up_sql
    # a newline in a name never ends a SQL comment early: it is shown escaped
    added = [line for line in rt.up_sql.splitlines()
             if line.startswith("-- add column public.line")]
    assert added and all("new\\nline" in line for line in added)


def test_reserved_words_and_case_as_names(pg_server: str) -> None:
    a = 'CREATE TABLE "User" ("Order" int, "group" text);'
    b = ('CREATE TABLE "User" ("Order" bigint, "group" text, "SELECT" int);'
         'CREATE INDEX "Index" ON "User" ("group"); CREATE VIEW "View" AS SELECT * FROM "User"')
    round_trip(pg_server, a, b)


# --- the classic failure classes ----------------------------------------------------------

def test_view_depending_on_a_column_whose_type_changes(pg_server: str) -> None:
    a = """CREATE TABLE t (id int, amount int);
           CREATE VIEW v AS SELECT id, amount FROM t;
           CREATE VIEW vv AS SELECT amount FROM v;"""
    b = """CREATE TABLE t (id int, amount bigint);
           CREATE VIEW v AS SELECT id, amount FROM t;
           CREATE VIEW vv AS SELECT amount FROM v;"""
    rt = round_trip(pg_server, a, b)
    drop_vv, drop_v, alter, create_v, create_vv = _position(
        rt.up_sql, 'DROP VIEW "public"."vv"', 'DROP VIEW "public"."v"', 'TYPE bigint',
        'CREATE VIEW "public"."v"', 'CREATE VIEW "public"."vv"')
    assert drop_vv < drop_v < alter < create_v < create_vv


def test_a_foreign_key_whose_two_sides_change_type_goes_first_and_comes_back(
        pg_server: str) -> None:
    """documenso's Folder ids, integer to text on both sides of the key (and back): the
    key cannot stay while one side has changed and the other not yet."""
    a = """CREATE TABLE folder (id int PRIMARY KEY, parent_id int REFERENCES folder (id));
           CREATE TABLE document (id int PRIMARY KEY, folder_id int REFERENCES folder (id));"""
    b = """CREATE TABLE folder (id text PRIMARY KEY, parent_id text REFERENCES folder (id));
           CREATE TABLE document (id int PRIMARY KEY, folder_id text REFERENCES folder (id));"""
    rt = round_trip(pg_server, a, b)
    for sql in (rt.up_sql, rt.down_sql):
        drop, retype, add = _position(
            sql, 'DROP CONSTRAINT "document_folder_id_fkey"', 'ALTER COLUMN "folder_id" TYPE',
            'ADD CONSTRAINT "document_folder_id_fkey"')
        assert drop < retype < add
    # One side alone keeps its key: PostgreSQL re-adds it itself (int to bigint).
    one = round_trip(pg_server, a, a.replace("folder_id int", "folder_id bigint"))
    assert "document_folder_id_fkey" not in one.up_sql


def test_a_sequence_whose_owning_table_is_replaced_is_owned_once_the_table_exists(
        pg_server: str) -> None:
    """harbor's 0004 renames replication_job (the sequence keeps its name): the way back
    drops one table and creates the other, and sets the sequence's owner once, after."""
    a = "CREATE TABLE replication_job (id serial PRIMARY KEY, policy_id int);"
    b = a + " ALTER TABLE replication_job RENAME TO replication_schedule_job;"
    rt = round_trip(pg_server, a, b)
    for sql, table in ((rt.up_sql, "replication_schedule_job"),
                       (rt.down_sql, "replication_job")):
        owned = f'OWNED BY "public"."{table}"."id"'
        assert sql.count(owned) == 1, sql
        assert sql.index(f'CREATE TABLE "public"."{table}"') < sql.index(owned)


def test_view_depending_on_a_dropped_column(pg_server: str) -> None:
    a = "CREATE TABLE t (id int, legacy text); CREATE VIEW v AS SELECT id, legacy FROM t;"
    b = "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t;"
    rt = round_trip(pg_server, a, b)
    assert rt.up_sql.index('DROP VIEW "public"."v"') < rt.up_sql.index('DROP COLUMN "legacy"')


def test_function_used_by_a_column_default(pg_server: str) -> None:
    """A body-only change is CREATE OR REPLACE and leaves the default alone; a signature
    change drops the default first, replaces the function, and sets the default again."""
    a = """CREATE FUNCTION code(n int) RETURNS text LANGUAGE sql AS $$ SELECT 'a' || n $$;
           CREATE TABLE t (c text DEFAULT code(1), d text DEFAULT code(2));"""
    body = """CREATE FUNCTION code(n int) RETURNS text LANGUAGE sql AS $$ SELECT 'b' || n $$;
              CREATE TABLE t (c text DEFAULT code(1), d text DEFAULT code(2));"""
    rt = round_trip(pg_server, a, body)
    assert "DROP DEFAULT" not in rt.up_sql and "CREATE OR REPLACE FUNCTION" in rt.up_sql
    signature = """CREATE FUNCTION code(n bigint, p text) RETURNS text LANGUAGE sql
                       AS $$ SELECT p || n $$;
                   CREATE TABLE t (c text DEFAULT code(1, 'x'), d text DEFAULT 'plain');"""
    rt = round_trip(pg_server, a, signature)
    drop_default, drop_fn, create_fn, set_default = _position(
        rt.up_sql, 'ALTER COLUMN "c" DROP DEFAULT', 'DROP FUNCTION "public"."code"(n integer)',
        "CREATE OR REPLACE FUNCTION public.code(n bigint, p text)", 'ALTER COLUMN "c" SET DEFAULT')
    assert drop_default < drop_fn and create_fn < set_default


def test_function_return_type_change_replaces_it_and_its_dependents(pg_server: str) -> None:
    a = """CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
           CREATE VIEW v AS SELECT f() AS x;
           CREATE TABLE t (x int CHECK (x <> f()));"""
    b = """CREATE FUNCTION f() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;
           CREATE VIEW v AS SELECT f() AS x;
           CREATE TABLE t (x int CHECK (x <> f()));"""
    round_trip(pg_server, a, b)


def test_enum_value_changes_used_by_views(pg_server: str) -> None:
    a = """CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
           CREATE TABLE t (m mood DEFAULT 'ok', ms mood[]);
           CREATE VIEW happy AS SELECT m FROM t WHERE m = 'happy';
           CREATE INDEX t_sad ON t (m) WHERE m = 'sad';"""
    # values added in the middle and at the end: ADD VALUE, the view is left alone
    added = a.replace("('sad', 'ok', 'happy')", "('sad', 'meh', 'ok', 'happy', 'ecstatic')")
    rt = round_trip(pg_server, a, added)
    assert "DROP VIEW" not in rt.up_sql
    assert "ADD VALUE 'meh' AFTER 'sad'" in rt.up_sql
    assert all(not s.transactional for s in rt.up.steps if s.kind == "alter-type")
    # a value removed and the rest reordered: a rebuild, and the view, the partial index
    # and the default (which name the type) go before and come back after
    removed = a.replace("('sad', 'ok', 'happy')", "('happy', 'sad')").replace(
        "DEFAULT 'ok'", "DEFAULT 'sad'")
    rt = round_trip(pg_server, a, removed)
    assert rt.up_sql.index('DROP VIEW "public"."happy"') < rt.up_sql.index("RENAME TO")
    assert 'USING "ms"::text[]::"public"."mood"[]' in rt.up_sql
    assert 'DROP TYPE "public"."mood_old_' in rt.up_sql


def test_removing_an_enum_value_is_destructive(pg_server: str) -> None:
    a = "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t (m mood);"
    b = "CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE t (m mood);"
    with databases(pg_server, a, b) as (x, y):
        p = plan(introspect(x), introspect(y))
    assert p.steps == [] and p.differs
    assert "removes value(s) sad" in (p.skipped[0].destructive or "")


def test_identity_and_serial_ownership(pg_server: str) -> None:
    a = """CREATE TABLE t (id serial PRIMARY KEY, legacy bigserial, n int);
           CREATE SEQUENCE free_seq;
           CREATE TABLE u (id int GENERATED ALWAYS AS IDENTITY, x int);"""
    b = """CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n int);
           CREATE SEQUENCE free_seq;
           CREATE TABLE u (id int GENERATED BY DEFAULT AS IDENTITY, x int DEFAULT
                           nextval('free_seq'));
           ALTER SEQUENCE free_seq OWNED BY u.x;"""
    rt = round_trip(pg_server, a, b)
    # the serial's sequence goes with its column: no DROP SEQUENCE of its own for legacy
    assert "t_legacy_seq" not in rt.up_sql
    assert 'ALTER SEQUENCE "public"."free_seq" OWNED BY "public"."u"."x"' in rt.up_sql


def test_sequence_kept_while_its_owning_column_is_dropped(pg_server: str) -> None:
    a = "CREATE TABLE t (id serial, x int);"
    b = "CREATE SEQUENCE t_id_seq AS integer; CREATE TABLE t (x int);"
    rt = round_trip(pg_server, a, b)
    assert rt.up_sql.index("OWNED BY NONE") < rt.up_sql.index('DROP COLUMN "id"')


def test_partitioned_tables_and_their_indexes(pg_server: str) -> None:
    a = """CREATE TABLE m (id int, at date NOT NULL, v text) PARTITION BY RANGE (at);
           CREATE TABLE m_2023 PARTITION OF m FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
           CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
           CREATE INDEX m_at ON m (at);
           CREATE TABLE loose (id int, at date NOT NULL, v text);
           CREATE TABLE h (k int, v text) PARTITION BY HASH (k);
           CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
           CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);"""
    b = """CREATE TABLE m (id int, at date NOT NULL, v text, w int) PARTITION BY RANGE (at);
           CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
           CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
           CREATE TABLE loose PARTITION OF m FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
           CREATE INDEX m_at ON m (at, id);
           CREATE INDEX m_v ON m (v);
           ALTER TABLE m ADD PRIMARY KEY (id, at);
           CREATE TABLE h (k int, v text) PARTITION BY HASH (k);
           CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
           CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);
           CREATE INDEX h_v ON h (v);"""
    rt = round_trip(pg_server, a, b)
    up = rt.up_sql
    # CONCURRENTLY does not work on a partitioned table: plain CREATE INDEX there
    assert 'CREATE INDEX "m_v" ON "public"."m"' in up
    assert 'ATTACH PARTITION "public"."loose"' in up
    # the partitions' own copies of the parent's index are never separate steps
    assert "m_2024_at" not in up


def test_partitions_survive_their_parent_being_recreated(pg_server: str) -> None:
    a = """CREATE TABLE p (k int, v text) PARTITION BY LIST (k);
           CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);"""
    b = """CREATE TABLE p (k int, v text) PARTITION BY LIST (v);
           CREATE TABLE p1 PARTITION OF p FOR VALUES IN ('one');"""
    rt = round_trip(pg_server, a, b)
    assert rt.up_sql.index("DETACH PARTITION") < rt.up_sql.index('DROP TABLE "public"."p"')


def test_materialized_view_and_its_indexes(pg_server: str) -> None:
    a = """CREATE TABLE t (k int, v int);
           CREATE MATERIALIZED VIEW mv AS SELECT k, sum(v) AS s FROM t GROUP BY k;
           CREATE UNIQUE INDEX mv_k ON mv (k);
           CREATE INDEX mv_s ON mv (s);"""
    b = """CREATE TABLE t (k int, v int);
           CREATE MATERIALIZED VIEW mv AS SELECT k, sum(v) AS s, count(*) AS n FROM t GROUP BY k;
           CREATE UNIQUE INDEX mv_k ON mv (k);
           CREATE INDEX mv_n ON mv (n);"""
    rt = round_trip(pg_server, a, b)
    assert rt.up_sql.index('CREATE MATERIALIZED VIEW') < rt.up_sql.index('"mv_k"')
    only_index = b.replace("mv_n ON mv (n)", "mv_n ON mv (n, k)")
    rt = round_trip(pg_server, b, only_index)
    # the materialized view stays; its index is rebuilt without blocking reads
    assert "MATERIALIZED VIEW" not in rt.up_sql
    assert 'CREATE INDEX CONCURRENTLY "mv_n"' in rt.up_sql


def test_comments_on_every_kind_of_object(pg_server: str) -> None:
    a = """CREATE SCHEMA s; CREATE TYPE s.e AS ENUM ('x'); CREATE DOMAIN s.d AS int;
           CREATE SEQUENCE s.q; CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
           CREATE TABLE s.t (c int CONSTRAINT c_pos CHECK (c > 0)); CREATE INDEX i ON s.t (c);
           CREATE VIEW s.v AS SELECT c FROM s.t;
           CREATE MATERIALIZED VIEW s.m AS SELECT c FROM s.t;
           CREATE FUNCTION s.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
           CREATE TRIGGER tr BEFORE INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.tf();
           CREATE POLICY p ON s.t USING (true);"""
    comments = """
           COMMENT ON SCHEMA s IS 'schema'; COMMENT ON TYPE s.e IS 'enum';
           COMMENT ON DOMAIN s.d IS 'domain'; COMMENT ON SEQUENCE s.q IS 'seq';
           COMMENT ON FUNCTION s.f() IS 'fn'; COMMENT ON TABLE s.t IS 'table';
           COMMENT ON COLUMN s.t.c IS 'column'; COMMENT ON CONSTRAINT c_pos ON s.t IS 'check';
           COMMENT ON INDEX s.i IS 'index'; COMMENT ON VIEW s.v IS 'view';
           COMMENT ON COLUMN s.v.c IS 'view column'; COMMENT ON MATERIALIZED VIEW s.m IS 'mv';
           COMMENT ON TRIGGER tr ON s.t IS 'trigger'; COMMENT ON POLICY p ON s.t IS 'policy';"""
    rt = round_trip(pg_server, a, a + comments)
    assert all(s.kind.startswith("alter-") for s in rt.up.steps)
    assert rt.up_sql.count("COMMENT ON") == 14


def test_table_privileges_when_asked(pg_server: str) -> None:
    import uuid

    from schemagate.diff.connect import connect

    role = f"sg_reader_{uuid.uuid4().hex[:6]}"
    with connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}"')
    try:
        a = "CREATE TABLE t (id int); GRANT SELECT ON t TO PUBLIC;"
        b = f'CREATE TABLE t (id int); GRANT SELECT, INSERT ON t TO "{role}";'
        rt = round_trip(pg_server, a, b, privileges=True)
        assert f'GRANT INSERT ON TABLE "public"."t" TO "{role}"' in rt.up_sql
        assert 'REVOKE SELECT ON TABLE "public"."t" FROM PUBLIC' in rt.up_sql
        with databases(pg_server, a, b) as (x, y):  # off by default
            assert not plan(introspect(x), introspect(y)).differs
    finally:
        databases_on(pg_server).after_drops(f'DROP ROLE IF EXISTS "{role}"')


def test_inheritance_children_are_detached_and_attached(pg_server: str) -> None:
    a = """CREATE TABLE base (id int, msg text);
           CREATE TABLE child (extra int) INHERITS (base);"""
    b = """CREATE TABLE base (id int, msg text);
           CREATE TABLE child (id int, msg text, extra int);"""
    with databases(pg_server, a, b) as (x, y):
        up = plan(introspect(x), introspect(y))
        run_sql(x, render_sql(up))
        assert_same_schema(x, y)
        # The way back: INHERIT adds the parent, but PostgreSQL has no DDL that turns the
        # child's own columns back into inherited-only ones (attislocal), so only the
        # catalog comparison that ignores that flag is empty.
        down = plan(introspect(y), introspect(x))
        run_sql(y, render_sql(down))
        assert not plan(introspect(y), introspect(x)).differs


def test_inherited_columns_and_constraints_are_never_emitted_on_children(
        pg_server: str) -> None:
    a = """CREATE TABLE base (id int, msg text, CONSTRAINT pos CHECK (id > 0));
           CREATE TABLE child (extra int) INHERITS (base);"""
    b = """CREATE TABLE base (id int, msg text, note text, CONSTRAINT pos CHECK (id > 0));
           CREATE TABLE child (extra int, own text) INHERITS (base);
           CREATE TABLE other (x int); CREATE TABLE child2 (y int) INHERITS (other);"""
    rt = round_trip(pg_server, a, b)
    assert 'ADD COLUMN "note"' in rt.up_sql and 'ADD COLUMN "own"' in rt.up_sql
    assert '"child" ADD COLUMN "note"' not in rt.up_sql  # the parent's column reaches it
    assert '"child2" (\n    "y" integer\n) INHERITS ("public"."other")' in rt.up_sql
    assert '"child" ADD CONSTRAINT' not in rt.up_sql + rt.down_sql


# --- collations ---------------------------------------------------------------------------

_CI = "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"


def test_collations_are_created_before_the_columns_that_use_them(pg_server: str) -> None:
    a = "CREATE TABLE t (id int, name text);"
    b = _CI + """COMMENT ON COLLATION ci IS 'case-insensitive';
        CREATE COLLATION byte_order (provider = libc, locale = 'C');
        CREATE TABLE t (id int, name text COLLATE ci, code text COLLATE byte_order,
                        other text COLLATE "C");"""
    rt = round_trip(pg_server, a, b)
    up, down = rt.up_sql, rt.down_sql
    assert up.index('CREATE COLLATION "public"."ci" (provider = icu') < up.index(
        'ALTER COLUMN "name" TYPE text COLLATE "public"."ci"')
    assert up.index('CREATE COLLATION "public"."byte_order"') < up.index('ADD COLUMN "code"')
    # the way back changes the column's COLLATE in place, then drops the collation
    assert 'ALTER COLUMN "name" TYPE text USING' in down
    assert down.index('ALTER COLUMN "name" TYPE') < down.index('DROP COLLATION "public"."ci"')


def test_a_changed_collation_is_said_not_emitted_rather_than_dropped_under_its_columns(
        pg_server: str) -> None:
    a = _CI + "CREATE TABLE t (name text COLLATE ci);"
    b = ("CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level1', "
         "deterministic = false); CREATE TABLE t (name text COLLATE ci);")
    with databases(pg_server, a, b) as (x, y):
        up = plan(introspect(x), introspect(y), PlanOptions(allow_destructive=True))
        sql = render_sql(up)
        assert not up.steps and up.differs
        assert "-- CREATE COLLATION \"public\".\"ci\" (provider = icu, locale = " \
               "'und-u-ks-level1'" in sql
        assert "cannot change a collation's definition" in sql
        run_sql(x, sql)


def test_an_extension_version_with_no_downgrade_script_is_said_not_emitted(
        pg_server: str) -> None:
    require_extensions(pg_server, "citext")
    a = "CREATE EXTENSION citext VERSION '1.6';"
    b = "CREATE EXTENSION citext VERSION '1.5';"
    with databases(pg_server, a, b) as (x, y):
        down = plan(introspect(x), introspect(y))
        sql = render_sql(down)
        assert not down.steps and down.differs
        assert "-- ALTER EXTENSION \"citext\" UPDATE TO '1.5';" in sql
        assert "no update path from version 1.6 to 1.5" in sql
        run_sql(x, sql)  # runs, changing nothing


def test_foreign_key_cycles(pg_server: str) -> None:
    b = """CREATE TABLE a (id int PRIMARY KEY, b_id int);
           CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
           ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b;"""
    rt = round_trip(pg_server, "", b)
    tables = max(rt.up_sql.index('CREATE TABLE "public"."a"'),
                 rt.up_sql.index('CREATE TABLE "public"."b"'))
    assert rt.up_sql.index("FOREIGN KEY") > tables
    assert not rt.up.notes  # no cycle to break: FKs come after both tables


def test_constraints_validity_and_deferrability(pg_server: str) -> None:
    a = """CREATE TABLE p (id int PRIMARY KEY);
           CREATE TABLE c (id int, p int, CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p);
           ALTER TABLE c ADD CONSTRAINT c_pos CHECK (id > 0) NOT VALID;
           ALTER TABLE c ADD CONSTRAINT c_u UNIQUE (id);"""
    b = """CREATE TABLE p (id int PRIMARY KEY);
           CREATE TABLE c (id int, p int, CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p
                           DEFERRABLE INITIALLY DEFERRED);
           ALTER TABLE c ADD CONSTRAINT c_pos CHECK (id > 0);
           ALTER TABLE c ADD CONSTRAINT c_u UNIQUE (id) DEFERRABLE;
           ALTER TABLE c ADD CONSTRAINT c_pk PRIMARY KEY (id);"""
    rt = round_trip(pg_server, a, b)
    assert 'VALIDATE CONSTRAINT "c_pos"' in rt.up_sql
    # a new PK on an existing table: its index is built CONCURRENTLY, then attached
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "c_pk"' in rt.up_sql
    assert 'ADD CONSTRAINT "c_pk" PRIMARY KEY USING INDEX "c_pk"' in rt.up_sql
    assert 'ADD CONSTRAINT "c_u" UNIQUE USING INDEX "c_u" DEFERRABLE' in rt.up_sql


def test_domains_rebuilt_when_their_base_type_changes(pg_server: str) -> None:
    a = """CREATE DOMAIN code AS varchar(5) CHECK (VALUE <> '');
           CREATE TABLE t (c code DEFAULT 'x'); CREATE VIEW v AS SELECT c FROM t;"""
    b = """CREATE DOMAIN code AS varchar(10) CHECK (VALUE <> '');
           CREATE TABLE t (c code DEFAULT 'x'); CREATE VIEW v AS SELECT c FROM t;"""
    rt = round_trip(pg_server, a, b)
    assert 'ALTER DOMAIN "public"."code" RENAME TO' in rt.up_sql


def test_offline_plans_round_trip_too(pg_server: str) -> None:
    require_extensions(pg_server, "citext", "btree_gist")
    rt = round_trip(pg_server, *fixture("changed"), online=False)
    for sql in (rt.up_sql, rt.down_sql):
        assert "CONCURRENTLY" not in sql and "IS NOT NULL) NOT VALID" not in sql
    # NOT VALID only where the target itself has the constraint NOT VALID
    assert "NOT VALID" not in rt.up_sql
    assert rt.down_sql.count("NOT VALID") == 1


def test_extension_version_update(pg_server: str) -> None:
    require_extensions(pg_server, "citext")
    a = "CREATE EXTENSION citext VERSION '1.5'; CREATE TABLE t (e citext);"
    b = "CREATE EXTENSION citext VERSION '1.6'; CREATE TABLE t (e citext);"
    with databases(pg_server, a, b) as (x, y):
        up = plan(introspect(x), introspect(y))
        assert "ALTER EXTENSION \"citext\" UPDATE TO '1.6'" in render_sql(up)
        run_sql(x, render_sql(up))
        assert_same_schema(x, y)  # (no way down: citext has no downgrade script)


# --- what is held back, and what is never guessed -----------------------------------------

def test_renamed_column_is_a_drop_and_an_add_and_the_drop_is_held_back(
        pg_server: str) -> None:
    a = "CREATE TABLE t (id int, old_name text);"
    b = "CREATE TABLE t (id int, new_name text);"
    with databases(pg_server, a, b) as (x, y):
        p = plan(introspect(x), introspect(y))
        sql = render_sql(p)
        assert kinds(p) == ["add-column"]
        assert [s.kind for s in p.skipped] == ["drop-column"]
        assert '-- ALTER TABLE "public"."t" DROP COLUMN "old_name";' in sql
        assert "RENAME" not in sql
        run_sql(x, sql)  # applies cleanly; the old column is still there
        left = plan(introspect(x), introspect(y))
        assert left.steps == [] and len(left.skipped) == 1
    round_trip(pg_server, a, b)  # with --allow-destructive it converges


def test_destructive_changes_are_comments_without_allow_destructive(pg_server: str) -> None:
    a = """CREATE TABLE gone (id int); CREATE TABLE t (id int, v text, n numeric(10,2));
           CREATE TYPE e AS ENUM ('a'); CREATE SEQUENCE s; CREATE SCHEMA old;"""
    b = "CREATE TABLE t (id int, v varchar(5), n numeric(12,2));"
    with databases(pg_server, a, b) as (x, y):
        p = plan(introspect(x), introspect(y))
        sql = render_sql(p)
    assert kinds(p) == ["alter-column"]  # numeric(10,2) -> (12,2) widens: not destructive
    skipped = {s.kind: s.destructive for s in p.skipped}
    assert set(skipped) == {"drop-table", "drop-type", "drop-sequence", "drop-schema",
                            "alter-column"}
    assert "rejects longer values" in (skipped["alter-column"] or "")
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert not any(line.startswith(("DROP", 'ALTER TABLE "public"."t" ALTER COLUMN "v"'))
                   for line in statements)


def test_identical_schemas_give_an_empty_plan(pg_server: str) -> None:
    schema = "CREATE TABLE t (id int PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t;"
    with databases(pg_server, schema, schema) as (x, y):
        p = plan(introspect(x), introspect(y))
    assert not p.differs and p.preamble == []
    assert render_sql(p).strip() == "-- no differences"


# --- the plan's shape ---------------------------------------------------------------------

def test_online_variants_and_transaction_blocks(pg_server: str) -> None:
    a = "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (id int, p int, v text);"
    b = """CREATE TABLE p (id int PRIMARY KEY);
           CREATE TABLE t (id int, p int REFERENCES p, v text NOT NULL CHECK (v <> ''));
           CREATE INDEX t_v ON t (v);"""
    rt = round_trip(pg_server, a, b)
    sql = rt.up_sql
    lines = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert lines[0] == "SET lock_timeout = '5s';"
    # FK and CHECK: NOT VALID, then VALIDATE in a transaction of its own
    assert "FOREIGN KEY (p) REFERENCES public.p(id) NOT VALID;" in sql
    # SET NOT NULL through a validated CHECK, which PostgreSQL uses to skip the scan
    add, validate, set_nn, drop = _position(
        sql, 'CHECK ("v" IS NOT NULL) NOT VALID', 'VALIDATE CONSTRAINT "v_not_null_',
        'ALTER COLUMN "v" SET NOT NULL', 'DROP CONSTRAINT "v_not_null_')
    assert add < validate < set_nn < drop
    # every VALIDATE and CONCURRENTLY stands outside BEGIN … COMMIT
    depth = 0
    for line in lines:
        depth += {"BEGIN;": 1, "COMMIT;": -1}.get(line, 0)
        if "VALIDATE CONSTRAINT" in line or "CONCURRENTLY" in line:
            assert depth == 0, line
    assert depth == 0
    idx = next(s for s in rt.up.steps if s.kind == "create-index")
    assert not idx.transactional and "non-transactional" in idx.hazards


def test_new_tables_get_plain_indexes_and_constraints(pg_server: str) -> None:
    b = "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL); CREATE INDEX t_v ON t (v);"
    rt = round_trip(pg_server, "", b)
    assert "CONCURRENTLY" not in rt.up_sql and "NOT VALID" not in rt.up_sql


def test_the_plan_runs_with_psql(pg_server: str) -> None:
    """The SQL output is a file psql runs as is, stopping at the first error."""
    import shutil

    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    a = "CREATE TYPE e AS ENUM ('a'); CREATE TABLE t (id int, e e);"
    b = """CREATE TYPE e AS ENUM ('a', 'b'); CREATE TABLE t (id int NOT NULL, e e DEFAULT 'b');
           CREATE INDEX ON t (id);"""
    with databases(pg_server, a, b) as (x, y):
        sql = render_sql(plan(introspect(x), introspect(y)))
        proc = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", x],
                              input=sql, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert_same_schema(x, y)


def test_pg_dump_is_available_for_the_comparisons(pg_server: str) -> None:
    """Not a skip in disguise: says plainly when the dump half of the round trips is off."""
    if find_pg_dump(server_major(pg_server)) is None:
        pytest.skip("no pg_dump that can dump this server: the round trips compare "
                    "catalogs only")
    with databases(pg_server, "CREATE TABLE t (id int)") as (x,):
        assert any("CREATE TABLE public.t" in block for block in
                   __import__("tests.diff.support", fromlist=["dump"]).dump(x))


def test_plan_options_are_honoured(pg_server: str) -> None:
    a = "CREATE TABLE t (id int);"
    b = "CREATE TABLE t (id int); CREATE INDEX ON t (id);"
    with databases(pg_server, a, b) as (x, y):
        p = plan(introspect(x), introspect(y), PlanOptions(online=False, lock_timeout=None))
    assert [s.sql for s in p.preamble] == ["SET check_function_bodies = off"]
    assert "CONCURRENTLY" not in render_sql(p)


def test_index_variants(pg_server: str) -> None:
    """Indexes on plain columns are rebuilt from pg_index (not pg_get_indexdef): every
    option must survive the trip."""
    a = """CREATE TABLE t (a text, b int, c varchar(10), d text COLLATE "C", e int);"""
    b = a + """
        CREATE INDEX i1 ON t (a DESC NULLS LAST, b NULLS FIRST) INCLUDE (c) WITH (fillfactor=50);
        CREATE INDEX i2 ON t (a text_pattern_ops, c varchar_pattern_ops);
        CREATE INDEX i3 ON t (d COLLATE "POSIX", b DESC);
        CREATE UNIQUE INDEX i4 ON t (b, e);
        CREATE INDEX i5 ON t USING hash (b);
        CREATE INDEX i6 ON t (c) WHERE e > 0 AND a IS NOT NULL;
        CREATE INDEX i7 ON t USING gin (to_tsvector('simple', a));
        CREATE INDEX i8 ON t (b ASC NULLS LAST, e DESC NULLS FIRST);"""
    rt = round_trip(pg_server, a, b)
    assert 'USING btree ("a" DESC NULLS LAST, "b" NULLS FIRST) INCLUDE ("c")' in rt.up_sql
    assert '"pg_catalog"."text_pattern_ops"' in rt.up_sql
    changed = b.replace("(fillfactor=50)", "(fillfactor=60)").replace("b DESC)", "b)")
    rt = round_trip(pg_server, b, changed)
    assert {s.ref.name for s in rt.up.steps if s.kind == "create-index"} == {"i1", "i3"}
