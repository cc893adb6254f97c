"""Synthetic rows for the tables of the scratch database, so data-dependent failures show.

A migration that passes on empty tables can fail on real ones: `ADD COLUMN … NOT NULL`
without a default, a unique index over duplicates, a narrowing type change, a cast of text
that does not parse. Each empty table gets N rows, made in SQL from `generate_series`:

- values follow the column's type and fill it: a `varchar(n)` gets strings of exactly n
  characters and a `numeric(p, s)` values near its largest, so that narrowing them fails as
  it would on production data; every tenth integer is large;
- NOT NULL columns always get a value, other columns are NULL in one row of seven;
- every value of a row includes the row number, so primary keys and unique keys hold;
- foreign keys take the keys of the referenced table's rows (parents are seeded first);
- enums cycle through their labels; a CHECK that lists the allowed values
  (`status IN ('new', 'paid')`) is respected;
- identity, serial and generated columns are left to PostgreSQL.

A table that cannot be filled this way (a CHECK too clever, a type with no generator) is
tried again with its nullable columns left out, then skipped with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg

from schemagate.model.applied import RECORD_TABLE_NAMES
from schemagate.model.names import QName, quote_ident, quote_literal, quote_qname

_TABLES = """
SELECT c.oid, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE 'schemagate\\_backup\\_%'
ORDER BY n.nspname, c.relname
"""

# The column's type, its element type for arrays, and the base type of a domain.
_COLUMNS = """
SELECT a.attrelid, a.attname, a.attnotnull, a.attidentity <> '' OR a.attgenerated <> ''
         OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%%', false),
       a.atthasdef,
       tn.nspname, t.typname, t.typcategory = 'A',
       CASE WHEN tn.nspname = 'pg_catalog' THEN format_type(a.atttypid, a.atttypmod) END,
       bn.nspname, b.typname, b.typtype,
       CASE WHEN e.typtype = 'd' THEN e.typtypmod ELSE a.atttypmod END,
       en.nspname, e.typname
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_type e ON e.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                               THEN t.typelem ELSE t.oid END
JOIN pg_namespace en ON en.oid = e.typnamespace
JOIN pg_type b ON b.oid = CASE WHEN e.typtype = 'd' THEN e.typbasetype ELSE e.oid END
JOIN pg_namespace bn ON bn.oid = b.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS = """
SELECT con.conrelid, con.contype,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
             ORDER BY k.o)::text[],
       fn.nspname, fc.relname,
       array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
             ORDER BY k.o)::text[],
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY(%s) AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.contype, con.conname
"""

_UNIQUE_INDEXES = """
SELECT i.indrelid, array(SELECT a.attname FROM unnest(i.indkey) k(n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)::text[]
FROM pg_index i WHERE i.indrelid = ANY(%s) AND i.indisunique
"""

_LISTED = re.compile(r"= ANY \(\(?ARRAY\[(?P<items>.*)\]")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


@dataclass
class Column:
    name: str
    not_null: bool
    automatic: bool  # identity, serial, generated: PostgreSQL fills it
    has_default: bool
    type_sql: str  # what to cast a generated value to
    array: bool
    base: str  # the base type's name (pg_catalog), or the enum's
    base_kind: str  # "b" base, "e" enum, …
    base_sql: str  # the base type, quoted, for enum_range
    typmod: int
    allowed: list[str] = field(default_factory=list)  # from a CHECK listing the values


@dataclass
class Table:
    oid: int
    name: QName
    columns: list[Column] = field(default_factory=list)
    unique: set[str] = field(default_factory=set)  # columns in a primary or unique key
    foreign: list[tuple[tuple[str, ...], QName, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class SeedReport:
    filled: list[str] = field(default_factory=list)  # "public.users: 1000 rows"
    skipped: list[str] = field(default_factory=list)  # "public.x: <why>"


def seed(conn: psycopg.Connection[Any], rows: int) -> SeedReport:
    """Fill every empty user table with ``rows`` rows; report what was filled or not. A
    migration tool's record table is the tool's, and holds what it says: never filled."""
    report = SeedReport()
    tables = _read_tables(conn)
    for table in _parents_first(tables):
        if table.name.name in RECORD_TABLE_NAMES:
            continue
        row = conn.execute(f"SELECT EXISTS (SELECT FROM {quote_qname(table.name)})").fetchone()
        if row is not None and row[0]:
            continue  # already holds rows (seeded before an earlier migration)
        error = _fill(conn, table, rows, minimal=False)
        if error is not None and _fill(conn, table, rows, minimal=True) is None:
            error = None
        if error is None:
            report.filled.append(f"{table.name}: {rows} rows")
        else:
            report.skipped.append(f"{table.name}: {error}")
    return report


def _fill(conn: psycopg.Connection[Any], table: Table, rows: int, minimal: bool) -> str | None:
    sql = insert_sql(table, rows, minimal)
    if isinstance(sql, _Unseedable):
        return sql.reason
    conn.execute("BEGIN")
    try:
        conn.execute(sql.encode("utf-8"))
    except psycopg.Error as exc:
        conn.execute("ROLLBACK")
        return str(exc).strip().splitlines()[0]
    conn.execute("COMMIT")
    return None


@dataclass(frozen=True, slots=True)
class _Unseedable:
    reason: str


def insert_sql(table: Table, rows: int, minimal: bool = False) -> str | _Unseedable:
    """`INSERT … SELECT … FROM generate_series(1, rows)` for one table."""
    joins: list[str] = []
    from_parent: dict[str, str] = {}
    for n, (cols, parent, refs) in enumerate(table.foreign):
        alias = f"fk{n}"
        order = ", ".join(quote_ident(r) for r in refs)
        aggs = ", ".join(f"array_agg({quote_ident(r)} ORDER BY {order}) AS k{j}"
                         for j, r in enumerate(refs))
        joins.append(f"CROSS JOIN (SELECT {aggs}, count(*) AS n FROM {quote_qname(parent)}) "
                     f"AS {alias}")
        for j, name in enumerate(cols):
            from_parent.setdefault(name, f"CASE WHEN {alias}.n = 0 THEN NULL ELSE "
                                        f"{alias}.k{j}[1 + (g.i % {alias}.n)] END")
    names, values = [], []
    for col in table.columns:
        if col.automatic:
            continue
        optional = not col.not_null and col.name not in table.unique
        if minimal and optional and col.name not in from_parent:
            continue
        value = from_parent.get(col.name) or _value(col)
        if value is None:
            if col.not_null and not col.has_default:
                return _Unseedable(f"no generator for column {col.name} of type "
                                   f"{col.type_sql}")
            continue
        if optional and col.name not in from_parent:
            value = f"CASE WHEN g.i % 7 = 3 THEN NULL ELSE {value} END"
        names.append(quote_ident(col.name))
        values.append(value)
    if not names:
        return (f"INSERT INTO {quote_qname(table.name)} "
                f"SELECT FROM generate_series(1, {rows}) AS g(i)")
    return (f"INSERT INTO {quote_qname(table.name)} ({', '.join(names)})\n"
            f"SELECT {', '.join(values)}\n  FROM generate_series(1, {rows}) AS g(i)"
            + "".join(f"\n  {j}" for j in joins))


def _value(col: Column) -> str | None:
    element = _element(col)
    if element is None:
        return None
    if col.array:
        return f"ARRAY[{element}]::{col.type_sql}"
    return f"({element})::{col.type_sql}"


def _element(col: Column) -> str | None:
    """A SQL expression of row number `g.i` giving a value of the column's element type."""
    if col.allowed:
        items = ", ".join(quote_literal(v) for v in col.allowed)
        return f"(ARRAY[{items}])[1 + g.i % {len(col.allowed)}]"
    if col.base_kind == "e":
        return f"(enum_range(NULL::{col.base_sql}))[1 + g.i % " \
               f"cardinality(enum_range(NULL::{col.base_sql}))]"
    name, mod = col.base, col.typmod
    if name in ("varchar", "bpchar") and mod > 4:
        n = mod - 4
        return f"rpad(g.i::text || '·', {n}, 'x')" if n > 2 else f"right(g.i::text, {n})"
    if name == "numeric" and mod > 4:
        precision, scale = (mod - 4) >> 16 & 0xFFFF, (mod - 4) & 0xFFFF
        digits = precision - scale
        if digits <= 0:
            return f"(g.i % 10) / 10.0 ^ {scale}"
        top = 10 ** digits - 1
        fraction = f" + 0.{'5'.rjust(scale, '0')}" if scale else ""
        return f"({top} - g.i % {min(top, 10 ** 6)}){fraction}"
    return _SIMPLE.get(name)


_SIMPLE = {
    "int2": "30000 - g.i % 30000",
    "int4": "CASE WHEN g.i % 10 = 0 THEN 2000000000 + g.i ELSE g.i END",
    "int8": "CASE WHEN g.i % 10 = 0 THEN 9000000000 + g.i ELSE g.i END",
    "numeric": "g.i * 1.5",
    "float4": "g.i * 1.25", "float8": "g.i * 1.125",
    "bool": "g.i % 2 = 0",
    "text": "'seed ' || g.i || ' ünïcødé ✓'",
    "varchar": "'seed ' || g.i || ' ünïcødé ✓'",
    "bpchar": "'s' || g.i",
    "citext": "'Seed ' || g.i", "name": "'seed_' || g.i",
    "date": "date '2000-01-01' + (g.i % 100000)::int",
    "timestamp": "timestamp '2000-01-01' + g.i * interval '1 minute'",
    "timestamptz": "timestamptz '2000-01-01 00:00+00' + g.i * interval '1 minute'",
    "time": "time '00:00' + (g.i % 86400) * interval '1 second'",
    "timetz": "(time '00:00' + (g.i % 86400) * interval '1 second')::timetz",
    "interval": "g.i * interval '1 minute'",
    "uuid": "md5(g.i::text || '-seed')::uuid",
    "json": "json_build_object('seed', g.i)",
    "jsonb": "jsonb_build_object('seed', g.i)",
    "bytea": "decode(md5(g.i::text), 'hex')",
    "inet": "('10.' || g.i / 65536 % 256 || '.' || g.i / 256 % 256 || '.' || g.i % 256)",
    "cidr": "('10.' || g.i / 65536 % 256 || '.' || g.i / 256 % 256 || '.' || g.i % 256 "
            "|| '/32')",
    "macaddr": "(rpad(to_hex(g.i), 12, '0'))",
    "money": "g.i",
    "tsvector": "to_tsvector('simple', 'seed ' || g.i)",
    "oid": "g.i",
}


def _read_tables(conn: psycopg.Connection[Any]) -> list[Table]:
    tables = {oid: Table(oid, QName(s, n)) for oid, s, n in conn.execute(_TABLES).fetchall()}
    oids = list(tables)
    for (oid, name, not_null, automatic, has_default, tschema, tname, array, builtin_sql,
         bschema, bname, bkind, typmod, eschema, ename) in conn.execute(_COLUMNS,
                                                                          (oids,)).fetchall():
        type_sql = builtin_sql or quote_qname(QName(tschema, tname))
        if array and not builtin_sql:
            type_sql = quote_qname(QName(eschema, ename)) + "[]"
        tables[oid].columns.append(Column(
            name, bool(not_null), bool(automatic), bool(has_default), type_sql, bool(array),
            bname if bschema == "pg_catalog" or bkind == "e" else "", bkind,
            quote_qname(QName(bschema, bname)), int(typmod)))
    for oid, kind, cols, fschema, ftable, fcols, definition in conn.execute(
            _CONSTRAINTS, (oids,)).fetchall():
        table = tables[oid]
        if kind in ("p", "u"):
            table.unique.update(cols)
        elif kind == "f":
            table.foreign.append((tuple(cols), QName(fschema, ftable), tuple(fcols)))
        elif kind == "c" and len(cols) == 1:
            _allowed_values(table, cols[0], definition)
    for oid, cols in conn.execute(_UNIQUE_INDEXES, (oids,)).fetchall():
        tables[oid].unique.update(cols)
    return list(tables.values())


def _allowed_values(table: Table, column: str, definition: str) -> None:
    """`CHECK ((status = ANY (ARRAY['new'::text, 'paid'::text])))` → ['new', 'paid']."""
    found = _LISTED.search(definition)
    if found is None:
        return
    values = [v.replace("''", "'") for v in _LITERAL.findall(found.group("items"))]
    for col in table.columns:
        if col.name == column and values:
            col.allowed = values


def _parents_first(tables: list[Table]) -> list[Table]:
    by_name = {t.name: t for t in tables}
    ordered: list[Table] = []
    visiting: set[QName] = set()
    done: set[QName] = set()

    def visit(t: Table) -> None:
        if t.name in done or t.name in visiting:
            return  # seen, or a cycle of foreign keys: the rest comes as it may
        visiting.add(t.name)
        for _, parent, _ in t.foreign:
            if parent in by_name and parent != t.name:
                visit(by_name[parent])
        visiting.discard(t.name)
        done.add(t.name)
        ordered.append(t)

    for t in tables:
        visit(t)
    return ordered
