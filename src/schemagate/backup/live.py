"""What the live database says about the tables a backup saves: shape, size, row estimate.

Read in one read-only transaction (`diff.connect.read_only`). The live database is the
truth where the history is silent: a table the migrations never created has its columns,
key and foreign keys read here, and a dropped schema's tables are listed here. Shapes come
from the catalogs, which take no lock on the tables; sizes need one, and a table whose size
cannot be read in time (a migration holds it locked) has no estimate, and a note says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from schemagate.backup.plan import (
    REFUSES,
    UNLISTED_SCHEMA,
    BackupPlan,
    ColumnShape,
    Note,
    Save,
    TableShape,
)
from schemagate.diff.connect import read_only
from schemagate.diff.stats import read_sizes
from schemagate.model.names import QName, quote_qname


@dataclass(frozen=True, slots=True)
class TableStats:
    rows: int | None  # pg_class.reltuples; None when the table was never analysed
    total_bytes: int  # pg_total_relation_size: heap, TOAST and indexes
    table_bytes: int  # pg_table_size: what a copy of the rows costs, roughly
    widths: dict[str, int] = field(default_factory=dict)  # pg_stats.avg_width per column


@dataclass
class LiveFacts:
    shapes: dict[QName, TableShape] = field(default_factory=dict)
    stats: dict[QName, TableStats] = field(default_factory=dict)
    unknown: dict[QName, str] = field(default_factory=dict)  # why a size is missing


_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.reltuples::float8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND (c.oid IN (SELECT to_regclass(q) FROM unnest(%(tables)s::text[]) AS q)
       OR n.nspname = ANY(%(schemas)s::text[]))
"""

# Element types of arrays decide whether a column holds a user-defined type.
_COLUMNS = """
SELECT a.attrelid, a.attname, a.attgenerated <> '', a.attidentity <> '',
       coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%%', false),
       en.nspname, et.typname, t.typcategory = 'A', s.avg_width
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                                 THEN t.typelem ELSE t.oid END
JOIN pg_namespace en ON en.oid = et.typnamespace
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
                    AND s.attname = a.attname
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Primary key first, then unique indexes on plain NOT NULL columns without a predicate.
_KEYS = """
SELECT i.indrelid,
       array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord)::text[]
FROM pg_index i
WHERE i.indrelid = ANY(%(oids)s) AND i.indisunique AND i.indisvalid
  AND i.indpred IS NULL AND i.indexprs IS NULL
  AND NOT EXISTS (SELECT FROM pg_attribute a
                  WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                    AND NOT a.attnotnull)
ORDER BY i.indrelid, i.indisprimary DESC, i.indexrelid
"""

_REFERENCES = """
SELECT con.conrelid, n.nspname, c.relname
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND con.conrelid = ANY(%(oids)s) AND con.confrelid <> con.conrelid
ORDER BY con.conrelid, con.conname
"""


def read_facts(url: str, tables: Iterable[QName], schemas: Iterable[str] = ()) -> LiveFacts:
    """Shapes and statistics of the named tables and of every table in ``schemas``."""
    with read_only(url) as cur:
        return _read(cur, [quote_qname(t) for t in tables], list(schemas))


def _read(cur: Any, tables: list[str], schemas: list[str]) -> LiveFacts:
    facts = LiveFacts()
    cur.execute(_TABLES, {"tables": tables, "schemas": schemas})
    names: dict[int, QName] = {}
    estimates: dict[int, int | None] = {}
    for oid, schema, name, reltuples in cur.fetchall():
        names[oid] = QName(schema, name)
        estimates[oid] = None if reltuples is None or reltuples < 0 else int(reltuples)
    oids = list(names)
    sizes, unknown = read_sizes(cur, oids)
    for oid, (total, size) in sizes.items():
        facts.stats[names[oid]] = TableStats(estimates[oid], total, size)
    facts.unknown = {names[oid]: why for oid, why in unknown.items()}
    columns: dict[int, list[ColumnShape]] = {oid: [] for oid in oids}
    sequences: dict[int, list[str]] = {oid: [] for oid in oids}
    cur.execute(_COLUMNS, {"oids": oids})
    for oid, col, generated, identity, nextval, tschema, tname, array, width in cur.fetchall():
        user = None
        if tschema not in ("pg_catalog", "information_schema"):
            user = quote_qname(QName(tschema, tname)) + ("[]" if array else "")
        columns[oid].append(ColumnShape(col, user, bool(generated)))
        if identity or nextval:
            sequences[oid].append(col)
        if width is not None and names[oid] in facts.stats:
            facts.stats[names[oid]].widths[col] = int(width)
    keys: dict[int, tuple[str, ...]] = {}
    cur.execute(_KEYS, {"oids": oids})
    for oid, cols in cur.fetchall():
        keys.setdefault(oid, tuple(cols))
    refs: dict[int, list[QName]] = {oid: [] for oid in oids}
    cur.execute(_REFERENCES, {"oids": oids})
    for oid, schema, name in cur.fetchall():
        if QName(schema, name) not in refs[oid]:
            refs[oid].append(QName(schema, name))
    for oid, qname in names.items():
        facts.shapes[qname] = TableShape(qname, tuple(columns[oid]), keys.get(oid, ()),
                                         tuple(refs[oid]), tuple(sequences[oid]))
    return facts


def tables_to_read(plan: BackupPlan) -> tuple[list[QName], list[str]]:
    """The tables and schemas a plan needs facts of."""
    return [s.table.name for s in plan.saves], [name for name, _ in plan.dropped_schemas]


def with_facts(plan: BackupPlan, facts: LiveFacts) -> BackupPlan:
    """The plan with the live shapes of its tables, and saves for the live tables of dropped
    schemas that the history did not know."""
    absent = [s for s in plan.saves if s.table.name not in facts.shapes
              and all(r.if_exists for r in s.reasons)]
    saves = [replace(s, number=i, table=facts.shapes.get(s.table.name, s.table))
             for i, s in enumerate((s for s in plan.saves if s not in absent), start=1)]
    known = {s.table.name for s in saves if s.kind == "table"}
    for schema, reason in plan.dropped_schemas:
        for name, shape in sorted(facts.shapes.items()):
            if name.schema == schema and name not in known:
                known.add(name)
                saves.append(Save(len(saves) + 1, "table", shape, (), (reason,)))
    notes = [n for n in plan.notes
             if not n.message.startswith(REFUSES) and UNLISTED_SCHEMA not in n.message]
    notes += [Note(REFUSES + why) for s in saves if (why := s.restorable) is not None]
    notes += [Note(f"{name}: {why}") for name, why in facts.unknown.items()]
    notes += [Note(f"{s.table.name} is not in the database: its DROP TABLE IF EXISTS drops "
                   "nothing, and there is nothing to save") for s in absent]
    return BackupPlan(list(plan.migrations), saves, notes, list(plan.dropped_schemas))
