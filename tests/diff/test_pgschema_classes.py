"""Round trips of the failure classes pgschema's own diff suite found (see
benchmarks/pgschema_suite.py): each case is written here in the shape of an application
schema, and goes through `round_trip`, which also checks that the narrowed catalogs the CLI
builds give the same plans as full ones."""

from __future__ import annotations

from tests.diff.support import round_trip

VALIDATOR = """
CREATE FUNCTION sku_is_valid(code text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT code ~ '^[A-Z]{3}-[0-9]{4}$' $$;
CREATE DOMAIN sku AS text CHECK (sku_is_valid(VALUE));
"""


def test_a_domain_whose_check_calls_a_function_comes_after_it_and_goes_before_it(
        pg_server: str) -> None:
    base = "CREATE TABLE product (id bigint PRIMARY KEY, name text NOT NULL);"
    with_domain = VALIDATOR + """
        CREATE TABLE product (id bigint PRIMARY KEY, name text NOT NULL, code sku);"""
    rt = round_trip(pg_server, base, with_domain)
    up, down = rt.up_sql, rt.down_sql
    assert up.index("FUNCTION public.sku_is_valid") < up.index('CREATE DOMAIN "public"."sku"')
    assert down.index('DROP DOMAIN "public"."sku"') < down.index(
        'DROP FUNCTION "public"."sku_is_valid"')


AGGREGATES = """
CREATE FUNCTION money_add(numeric, numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION money_sub(numeric, numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1 - $2 $$;
CREATE FUNCTION csv_step(text, text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $1 = '' THEN $2 ELSE $1 || ',' || $2 END $$;
CREATE AGGREGATE ledger_sum(numeric) (
    SFUNC = money_add, STYPE = numeric, INITCOND = '0', COMBINEFUNC = money_add,
    MSFUNC = money_add, MINVFUNC = money_sub, MSTYPE = numeric, MINITCOND = '0',
    PARALLEL = SAFE);
CREATE AGGREGATE csv_agg(text) (SFUNC = csv_step, STYPE = text, INITCOND = '');
COMMENT ON AGGREGATE csv_agg(text) IS 'comma-separated values';
CREATE TABLE entry (id bigint PRIMARY KEY, amount numeric NOT NULL, tag text);
"""


def test_aggregates_with_their_options_and_comments_are_made_and_dropped(
        pg_server: str) -> None:
    base = "CREATE TABLE entry (id bigint PRIMARY KEY, amount numeric NOT NULL, tag text);"
    rt = round_trip(pg_server, base, AGGREGATES)
    assert "CREATE OR REPLACE AGGREGATE public.ledger_sum(numeric) (SFUNC = " \
        "public.money_add" in rt.up_sql
    assert "COMMENT ON AGGREGATE" in rt.up_sql
    # the aggregate goes before the functions it calls
    down = rt.down_sql
    assert down.index('DROP AGGREGATE "public"."ledger_sum"(numeric)') < down.index(
        'DROP FUNCTION "public"."money_add"')


def test_a_changed_aggregate_is_made_again(pg_server: str) -> None:
    changed = AGGREGATES.replace("INITCOND = '')", "INITCOND = '-')")
    rt = round_trip(pg_server, AGGREGATES, changed)
    assert [s.kind for s in rt.up.steps] == ["drop-function", "create-function"]


ORDERS = """
CREATE TABLE orders (id bigint NOT NULL, region text NOT NULL, priority int DEFAULT 0,
                     notes text) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
"""


def test_a_new_partition_keeps_its_own_defaults_and_not_null(pg_server: str) -> None:
    with_us = ORDERS + """CREATE TABLE orders_us PARTITION OF orders (
        priority DEFAULT 10, notes NOT NULL) FOR VALUES IN ('us');"""
    rt = round_trip(pg_server, ORDERS, with_us)
    assert 'ALTER TABLE "public"."orders_us" ALTER COLUMN "priority" SET DEFAULT 10' \
        in rt.up_sql
    assert 'ALTER TABLE "public"."orders_us" ALTER COLUMN "notes" SET NOT NULL' in rt.up_sql
    # the partition that follows its parent gets nothing of its own
    assert '"orders_eu" ALTER' not in rt.up_sql


def test_a_partitions_own_default_and_not_null_change_in_place(pg_server: str) -> None:
    own = ORDERS + """ALTER TABLE orders_eu ALTER COLUMN priority SET DEFAULT 5;
                      ALTER TABLE orders_eu ALTER COLUMN notes SET NOT NULL;"""
    rt = round_trip(pg_server, ORDERS, own)
    assert sorted(s.kind for s in rt.up.steps) == ["alter-column", "alter-default"]
    assert sorted(s.kind for s in rt.down.steps) == ["alter-column", "alter-default"]


def test_a_function_and_a_domain_over_a_tables_or_views_row_type_come_after_it(
        pg_server: str) -> None:
    base = "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);"
    more = base + """
        ALTER TABLE account ADD COLUMN role text NOT NULL DEFAULT 'member';
        CREATE TABLE address (street text, city text);
        CREATE DOMAIN home AS address;
        CREATE VIEW active_account AS SELECT id, email, role FROM account;
        CREATE FUNCTION members() RETURNS SETOF active_account
        LANGUAGE sql STABLE AS $$ SELECT * FROM active_account WHERE role = 'member' $$;"""
    rt = round_trip(pg_server, base, more)
    up, down = rt.up_sql, rt.down_sql
    assert up.index('CREATE TABLE "public"."address"') < up.index('CREATE DOMAIN "public"."home"')
    assert up.index('CREATE VIEW "public"."active_account"') < up.index(
        "FUNCTION public.members()")
    assert down.index('DROP FUNCTION "public"."members"') < down.index(
        'DROP VIEW "public"."active_account"')
    assert down.index('DROP DOMAIN "public"."home"') < down.index(
        'DROP TABLE "public"."address"')


def test_a_composite_type_comes_after_the_enum_its_attribute_uses(pg_server: str) -> None:
    types = """CREATE TYPE status AS ENUM ('active', 'inactive');
               CREATE TYPE audit_entry AS (at timestamptz, status status);"""
    rt = round_trip(pg_server, "", types)
    assert rt.up_sql.index('"public"."status" AS ENUM') < rt.up_sql.index(
        '"public"."audit_entry" AS')
    assert rt.down_sql.index('DROP TYPE "public"."audit_entry"') < rt.down_sql.index(
        'DROP TYPE "public"."status"')


def test_an_in_list_check_and_predicate_on_varchar_round_trip_without_a_rebuild(
        pg_server: str) -> None:
    base = """CREATE TABLE orders (id bigint PRIMARY KEY, status varchar(20) NOT NULL,
                                   amount numeric NOT NULL);"""
    checked = base + """
        ALTER TABLE orders ADD CONSTRAINT valid_status
            CHECK (status IN ('pending', 'shipped', 'it''s, done'));
        CREATE INDEX open_orders ON orders (id) WHERE status IN ('pending', 'shipped');"""
    rt = round_trip(pg_server, base, checked)
    assert sorted(s.kind for s in rt.up.steps) == ["create-constraint", "create-index"]
    # the forms PostgreSQL prints and reads back are one definition, not a change
    written = base + """
        ALTER TABLE orders ADD CONSTRAINT valid_status CHECK ((status)::text = ANY (ARRAY[
            ('pending'::character varying)::text, ('shipped'::character varying)::text,
            ('it''s, done'::character varying)::text]));
        CREATE INDEX open_orders ON orders (id) WHERE (status)::text = ANY ((ARRAY[
            'pending'::character varying, 'shipped'::character varying])::text[]);"""
    same = round_trip(pg_server, checked, written)
    assert not same.up.differs and not same.down.differs
