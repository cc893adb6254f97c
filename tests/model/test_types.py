"""Type spellings and what a change from one type to another costs."""

from __future__ import annotations

import pytest

from schemagate.diff.connect import connect
from schemagate.model.types import boolean_default, canonical, classify_change


def t(*names: str, mods: tuple[int, ...] = ()) -> object:
    return canonical(names, mods)


def test_spellings_are_canonical() -> None:
    assert canonical(("pg_catalog", "int4")) == canonical(("integer",)) == canonical(("int",))
    assert canonical(("bigserial",)).name == "int8" and canonical(("bigserial",)).serial
    assert canonical(("character varying",), (20,)) == canonical(("varchar",), (20,))
    assert canonical(("mood",)).schema == "public" and not canonical(("mood",)).is_builtin


@pytest.mark.parametrize(("old", "new", "lossy", "rewrite"), [
    (("varchar", (20,)), ("varchar", (50,)), False, False),
    (("varchar", (50,)), ("varchar", (20,)), True, True),
    (("varchar", (50,)), ("text", ()), False, False),
    (("text", ()), ("varchar", (10,)), True, True),
    (("text", ()), ("varchar", ()), False, False),
    (("citext", ()), ("varchar", ()), False, False),
    (("citext", ()), ("varchar", (20,)), True, True),
    (("numeric", (10, 2)), ("numeric", (12, 2)), False, False),
    (("numeric", (10, 2)), ("numeric", (8, 2)), True, True),
    (("numeric", (10, 2)), ("numeric", (10, 1)), True, True),
    (("numeric", (10, 2)), ("numeric", ()), False, False),
    (("int4", ()), ("int8", ()), False, True),
    (("int8", ()), ("int4", ()), True, True),
    (("float8", ()), ("int4", ()), True, True),
    (("timestamptz", ()), ("date", ()), True, True),
    (("timestamp", ()), ("timestamptz", ()), False, True),
    (("text", ()), ("int4", ()), True, True),
    (("int4", ()), ("text", ()), False, True),
    (("int8", ()), ("varchar", (255,)), False, True),
    (("int8", ()), ("varchar", (19,)), True, True),
    (("uuid", ()), ("varchar", (36,)), False, True),
])
def test_classify_change(old: tuple, new: tuple, lossy: bool, rewrite: bool) -> None:
    change = classify_change(canonical((old[0],), old[1]), canonical((new[0],), new[1]))
    assert (change.lossy, change.rewrite) == (lossy, rewrite), change.reason


def test_unknown_pairs_are_never_called_lossy() -> None:
    change = classify_change(canonical(("mood",)), canonical(("text",)))
    assert not change.lossy
    change = classify_change(canonical(("money",)), canonical(("numeric",)))
    assert not change.lossy and change.rewrite is None


def test_index_store_keeps_the_by_table_map_current() -> None:
    from schemagate.model.catalog import Catalog, Index
    from schemagate.model.names import QName

    cat = Catalog()
    t, u = QName("public", "t"), QName("public", "u")
    a, b = QName("public", "a"), QName("public", "b")
    cat.indexes[a] = Index(a, t)
    cat.indexes[b] = Index(b, t)
    assert [ix.name for ix in cat.indexes_on(t)] == [a, b]
    cat.indexes[b] = Index(b, u)  # re-pointed to another table
    assert [ix.name for ix in cat.indexes_on(t)] == [a]
    copy = cat.copy()
    del cat.indexes[a]
    cat.indexes.pop(b)
    assert cat.indexes_on(t) == [] and cat.indexes_on(u) == []
    assert [ix.name for ix in copy.indexes_on(u)] == [b]  # the copy is independent


# (old type, new type, a value the new type holds, a value it cannot hold as it is), and
# whether PostgreSQL 15 rejects that value (the ALTER fails, nothing changed) or changes it.
NARROWINGS = [
    ("integer", "smallint", "7", "70000", "rejects"),
    ("bigint", "integer", "7", "5000000000", "rejects"),
    ("varchar(255)", "varchar(5)", "'abc'", "'abcdefgh'", "rejects"),
    ("text", "varchar(5)", "'abc'", "'abcdefgh'", "rejects"),
    ("bigint", "varchar(3)", "7", "12345", "rejects"),
    ("numeric(10,2)", "numeric(4,2)", "1.25", "12345.5", "rejects"),
    ("numeric(12,4)", "numeric(12,2)", "1.25", "1.2345", "changes"),
    ("double precision", "integer", "7", "7.6", "changes"),
    ("timestamptz", "date", "'2026-12-05'", "'2026-12-05 13:14'", "changes"),
]


@pytest.mark.parametrize(("old", "new", "fits", "misfit", "what"), NARROWINGS,
                         ids=[f"{n[0]}->{n[1]}" for n in NARROWINGS])
def test_rejects_only_is_what_postgresql_does_with_a_value_that_does_not_fit(
        pg_db: str, old: str, new: str, fits: str, misfit: str, what: str) -> None:
    """A change is `rejects_only` exactly when PostgreSQL fails on a value the new type
    cannot hold, rather than change it; and then a value that fits comes back unchanged
    when the type is widened back (what irreversible-data-loss rests on)."""
    import psycopg

    from schemagate.diff.connect import connect
    from schemagate.model import ops as o
    from schemagate.model.migration import Script
    from schemagate.parse.postgres.frontend import parse_script
    from schemagate.parse.source import SourceText

    def column_type(sql: str) -> object:
        script = parse_script(SourceText.of("t.sql", sql), Script("t.sql"))
        op = script.statements[0].ops[0]
        assert isinstance(op, o.CreateTable)
        return op.columns[0].type

    change = classify_change(column_type(f"CREATE TABLE t (c {old})"),  # type: ignore[arg-type]
                             column_type(f"CREATE TABLE t (c {new})"))  # type: ignore[arg-type]
    assert change.lossy and change.rejects_only == (what == "rejects"), change
    with connect(pg_db, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE fits (c {old})")
        conn.execute(f"INSERT INTO fits VALUES ({fits})")
        before = conn.execute("SELECT c::text FROM fits").fetchone()
        conn.execute(f"ALTER TABLE fits ALTER COLUMN c TYPE {new}")
        conn.execute(f"ALTER TABLE fits ALTER COLUMN c TYPE {old} USING c::{old}")
        assert conn.execute("SELECT c::text FROM fits").fetchone() == before
        conn.execute(f"CREATE TABLE misfit (c {old})")
        conn.execute(f"INSERT INTO misfit VALUES ({misfit})")
        stored = conn.execute("SELECT c::text FROM misfit").fetchone()
        if what == "rejects":
            with pytest.raises(psycopg.DataError):  # SQLSTATE class 22: out of range, too long
                conn.execute(f"ALTER TABLE misfit ALTER COLUMN c TYPE {new}")
            assert conn.execute("SELECT c::text FROM misfit").fetchone() == stored
        else:
            conn.execute(f"ALTER TABLE misfit ALTER COLUMN c TYPE {new}")
            conn.execute(f"ALTER TABLE misfit ALTER COLUMN c TYPE {old} USING c::{old}")
            assert conn.execute("SELECT c::text FROM misfit").fetchone() != stored


# (old type, new type, a value, USING needed): whether the change rewrites the table is
# what PostgreSQL 15 does, read from the table's file node before and after.
REWRITES = [
    ("varchar(10)", "text", "'x'", False),
    ("text", "varchar(10)", "'x'", False),
    ("varchar(10)", "varchar(20)", "'x'", False),
    ("numeric(10,2)", "numeric(12,2)", "1", False),
    ("numeric(10,2)", "numeric(10,3)", "1", False),
    ("int4", "int8", "1", False),
    ("float4", "float8", "1", False),
    ("date", "timestamptz", "'2026-12-05'", False),
    ("date", "timestamp", "'2026-12-05'", False),
    ("time", "timetz", "'10:00'", False),
    ("timestamp", "timestamptz", "now()", False),  # in a session that is not UTC
    ("timestamp(6)", "timestamp(3)", "now()", False),
    ("timestamp(3)", "timestamp(6)", "now()", False),
    ("bool", "int4", "true", True),
    ("cidr", "inet", "'10.0.0.0/8'", False),
    ("inet", "cidr", "'10.0.0.0/8'", False),
    ("bit(3)", "varbit", "B'101'", False),
    ("json", "jsonb", "'{}'", False),
    ("varchar(10)[]", "varchar(20)[]", "'{x}'", False),
    ("varchar[]", "text[]", "'{x}'", False),
    ("int4[]", "int8[]", "'{1}'", False),
    ("numeric(10,2)[]", "numeric(12,2)[]", "'{1}'", False),
    ("text[]", "text[]", "'{x}'", False),
    ("varchar(40)", "char(40)", "'x'", False),
]


@pytest.mark.parametrize(("old", "new", "value", "using"), REWRITES,
                         ids=[f"{r[0]}->{r[1]}" for r in REWRITES])
def test_rewrite_is_what_postgresql_does(pg_db: str, old: str, new: str, value: str,
                                         using: bool) -> None:
    from schemagate.diff.connect import connect
    from schemagate.model import ops as o
    from schemagate.model.migration import Script
    from schemagate.parse.postgres.frontend import parse_script
    from schemagate.parse.source import SourceText

    def column_type(sql: str) -> object:
        script = parse_script(SourceText.of("t.sql", sql), Script("t.sql"))
        op = script.statements[0].ops[0]
        assert isinstance(op, o.CreateTable)
        return op.columns[0].type

    change = classify_change(column_type(f"CREATE TABLE t (c {old})"),  # type: ignore[arg-type]
                             column_type(f"CREATE TABLE t (c {new})"),  # type: ignore[arg-type]
                             using)
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'Europe/Oslo'")
        conn.execute(f"CREATE TABLE r (c {old})")
        conn.execute(f"INSERT INTO r VALUES ({value})")
        node = "SELECT pg_relation_filenode('r')"
        before = conn.execute(node).fetchone()
        cast = f" USING c::{new}" if using else ""
        conn.execute(f"ALTER TABLE r ALTER COLUMN c TYPE {new}{cast}")
        rewrote = conn.execute(node).fetchone() != before
    assert change.rewrite is rewrote, change


def test_a_bounded_varchar_into_a_char_as_long_loses_nothing(pg_db: str) -> None:
    # Vaultwarden's down.sql: varchar(40) -> char(40) is no narrowing (a varchar(40) value
    # always fits); varchar(50) -> char(40) is.
    from schemagate.diff.connect import connect

    assert not classify_change(canonical(("varchar",), (40,)),
                               canonical(("bpchar",), (40,))).lossy
    assert classify_change(canonical(("varchar",), (50,)), canonical(("bpchar",), (40,))).lossy
    assert classify_change(canonical(("varchar",)), canonical(("bpchar",), (40,))).lossy
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE w (c varchar(40))")
        conn.execute("INSERT INTO w VALUES (repeat('x', 40)), ('abc')")
        conn.execute("ALTER TABLE w ALTER COLUMN c TYPE char(40)")
        assert conn.execute("SELECT length(c) FROM w ORDER BY 1").fetchall() == [(3,), (40,)]


def test_a_using_expression_or_a_parse_from_text_may_change_values() -> None:
    change = classify_change(canonical(("int4",)), canonical(("int2",)), using=True)
    assert change.lossy and not change.rejects_only
    # '007' comes back as '7', a JSON text normalised: not the text the down path restores
    for new in ("int4", "jsonb", "uuid"):
        change = classify_change(canonical(("text",)), canonical((new,)))
        assert change.lossy and not change.rejects_only, new


BOOLEAN_DEFAULTS = ["'0'", "'f'", "'false'", "'n'", "'no'", "'off'", "'1'", "'t'", "'true'",
                    "'y'", "'yes'", "'on'", "'FALSE'", "'Off'", "' true '", "false", "TRUE",
                    "'0'::boolean", "false::boolean", "'t'::bool", "'yes'::boolean"]


def test_a_boolean_default_reads_as_postgresql_stores_it(pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        for i, spelling in enumerate(BOOLEAN_DEFAULTS):
            conn.execute(f"CREATE TABLE b{i} (v boolean DEFAULT {spelling})")
            row = conn.execute("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef "
                               f"WHERE adrelid = 'b{i}'::regclass").fetchone()
            assert row is not None
            assert boolean_default(spelling) is (row[0] == "true"), spelling


@pytest.mark.parametrize("sql", ["0", "'2'", "now()", "'maybe'", "NULL", "'t' || 'rue'"])
def test_what_is_no_boolean_literal_has_no_boolean_value(sql: str) -> None:
    assert boolean_default(sql) is None
