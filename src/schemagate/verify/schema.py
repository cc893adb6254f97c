"""The schema of the scratch database, to tell whether up then down gave it back.

`capture_schema` is the one place that reads it. It uses `diff.introspect` (the live schema
read into the model's `Catalog`, the same reader `diff` uses) when that module is present,
and otherwise reads PostgreSQL's own catalogs into a flat map from object to definition,
deparsed by PostgreSQL itself (`pg_get_indexdef`, `pg_get_constraintdef`, …).

Column order is left out on purpose: a down migration that adds back a dropped column adds
it last, and the schema is restored in every sense that matters to the application. The
backup schemas verify creates for its own round trip are left out too.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from schemagate.model.catalog import Catalog, Table

BACKUP_PREFIX = "schemagate_backup_"

Schema = dict[str, str]  # "column public.users.email" → "text NOT NULL DEFAULT …"

# Objects of the user's schemas, without extension members and verify's own backups.
_OWN = """n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND n.nspname NOT LIKE 'schemagate\\_backup\\_%'"""

_NOT_EXTENSION = """NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = {catalog}::regclass
  AND d.objid = {oid} AND d.deptype = 'e')"""

_QUERIES = {
    "schema": f"""
SELECT n.nspname, '' FROM pg_namespace n WHERE {_OWN}""",
    "extension": """
SELECT extname, extversion FROM pg_extension""",
    "relation": f"""
SELECT n.nspname || '.' || c.relname,
       c.relkind::text || ' ' || c.relpersistence::text || coalesce(' ' || c.reloptions::text, '')
       || CASE WHEN c.relrowsecurity THEN ' rls' ELSE '' END
       || coalesce(' partition ' || pg_get_expr(c.relpartbound, c.oid), '')
       || coalesce(' comment ' || obj_description(c.oid, 'pg_class'), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
  AND {_NOT_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}""",
    "column": f"""
SELECT n.nspname || '.' || c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY'
                             ELSE '' END
       || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
       || CASE WHEN a.attcollation <> t.typcollation
               THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
       || coalesce(' comment ' || col_description(c.oid, a.attnum), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE {_OWN} AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
  AND {_NOT_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}""",
    "constraint": f"""
SELECT n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || con.conname,
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_type t ON t.oid = con.contypid
WHERE {_OWN}""",
    "index": f"""
SELECT n.nspname || '.' || c.relname, pg_get_indexdef(c.oid)
       || CASE WHEN NOT i.indisvalid THEN ' INVALID' ELSE '' END
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND {_NOT_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}""",
    "view": f"""
SELECT n.nspname || '.' || c.relname, pg_get_viewdef(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND c.relkind IN ('v', 'm')
  AND {_NOT_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}""",
    "sequence": f"""
SELECT n.nspname || '.' || c.relname,
       format_type(s.seqtypid, NULL) || ' ' || s.seqincrement || ' ' || s.seqmin || ' '
       || s.seqmax || ' ' || s.seqstart || ' ' || s.seqcache || ' ' || s.seqcycle
       || coalesce(' owned by ' || (
            SELECT dn.nspname || '.' || dc.relname || '.' || da.attname
            FROM pg_depend d JOIN pg_class dc ON dc.oid = d.refobjid
            JOIN pg_namespace dn ON dn.oid = dc.relnamespace
            JOIN pg_attribute da ON da.attrelid = d.refobjid AND da.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
              AND d.deptype IN ('a', 'i') LIMIT 1), '')
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND {_NOT_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}""",
    "type": f"""
SELECT n.nspname || '.' || t.typname,
       t.typtype::text || CASE t.typtype
         WHEN 'e' THEN ' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                               FROM pg_enum e WHERE e.enumtypid = t.oid)
         WHEN 'd' THEN ' ' || format_type(t.typbasetype, t.typtypmod)
                      || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                      || coalesce(' DEFAULT ' || t.typdefault, '')
         WHEN 'r' THEN ' ' || (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r
                               WHERE r.rngtypid = t.oid)
         ELSE '' END
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {_OWN} AND t.typtype IN ('e', 'd', 'r', 'm')
  AND {_NOT_EXTENSION.format(catalog="'pg_type'", oid="t.oid")}""",
    "function": f"""
SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       p.prokind::text || ' ' || CASE WHEN p.prokind = 'a' THEN ''
                                ELSE md5(pg_get_functiondef(p.oid)) END
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_OWN} AND {_NOT_EXTENSION.format(catalog="'pg_proc'", oid="p.oid")}""",
    "trigger": f"""
SELECT n.nspname || '.' || c.relname || '.' || tg.tgname,
       pg_get_triggerdef(tg.oid) || ' ' || tg.tgenabled::text
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND NOT tg.tgisinternal""",
    "policy": f"""
SELECT n.nspname || '.' || c.relname || '.' || p.polname,
       p.polcmd::text || ' ' || p.polpermissive::text || ' ' || p.polroles::text || ' '
       || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN}""",
}


@dataclass
class SchemaState:
    """The schema at one moment: an introspected catalog, or the flat map."""

    catalog: Catalog | None = None  # normalised for comparing: columns in name order
    flat: Schema | None = None
    as_is: Catalog | None = None  # columns in table order, for planning a way back to it


def capture_schema(conn: Any, url: str) -> SchemaState:
    """The scratch database's schema; ``conn`` must have no transaction open."""
    introspect = _introspect()
    if introspect is not None:
        as_is = _without_backups(introspect(url))
        return SchemaState(catalog=_normalised(as_is), as_is=as_is)
    return SchemaState(flat=read_flat(conn))


def _introspect() -> Callable[[str], Catalog] | None:
    try:
        module = importlib.import_module("schemagate.diff.introspect")
    except ImportError:
        return None
    found: Callable[[str], Catalog] | None = getattr(module, "introspect", None)
    return found


def _without_backups(cat: Catalog) -> Catalog:
    """Without the schemas verify's backup.sql makes."""
    out = cat.copy()
    for store in (out.tables, out.views, out.sequences, out.types):
        for key in [k for k in store if k.schema.startswith(BACKUP_PREFIX)]:
            del store[key]
    for ix_key in [k for k in out.indexes if k.schema.startswith(BACKUP_PREFIX)]:
        del out.indexes[ix_key]
    for fkey in [k for k in out.functions if k[0].schema.startswith(BACKUP_PREFIX)]:
        del out.functions[fkey]
    out.schemas = {s for s in out.schemas if not s.startswith(BACKUP_PREFIX)}
    return out


def _normalised(cat: Catalog) -> Catalog:
    """With every table's columns in name order (a column dropped and added back is last),
    and the moment a view was made in place of the `'now'` its query says."""
    out = cat.copy()
    for name, table in list(out.tables.items()):
        out.tables[name] = replace(table, columns=tuple(sorted(table.columns,
                                                              key=lambda c: c.name)))
    for name, view in list(out.views.items()):
        if view.definition and "'::" in view.definition:
            out.views[name] = replace(view, definition=without_moments(view.definition))
    return out


# A date or timestamp literal, as pg_get_viewdef writes it.
_MOMENT = re.compile(r"'(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?)"
                     r"(?:[+-]\d{2}(?::\d{2})?)?'::(timestamp with(?:out)? time zone|date)")
_NOW_WINDOW = timedelta(days=2)


def without_moments(definition: str, now: datetime | None = None) -> str:
    """The definition with every date or timestamp literal of about now replaced by a
    placeholder: PostgreSQL turns `'now'::timestamp` (and `'today'`) into the moment the
    view is made, so the same view made twice differs by them (lemmy's hot-rank views). A
    literal far from now was written by hand, and stays."""
    now = now or datetime.now()

    def moment(match: re.Match[str]) -> str:
        try:
            when = datetime.fromisoformat(match.group(1))
        except ValueError:
            return match.group(0)
        return f"'<now>'::{match.group(2)}" if abs(when - now) <= _NOW_WINDOW \
            else match.group(0)

    return _MOMENT.sub(moment, definition)


def schema_differences(before: SchemaState, after: SchemaState) -> list[str]:
    """What differs, in words."""
    if before.catalog is not None and after.catalog is not None:
        return _catalog_differences(before.catalog, after.catalog)
    return flat_differences(before.flat or {}, after.flat or {})


def _catalog_differences(before: Catalog, after: Catalog) -> list[str]:
    out = []
    for name in before.differences(after):
        kind, _, key = name.partition(" ")
        if kind == "table":
            a, b = _table(before, key), _table(after, key)
            if a is not None and b is not None:
                out += [f"table {key}: {d}" for d in _table_details(a, b)]
                continue
        out.append(name + (" is missing" if not after.holds(name) else
                           " was not there before" if not before.holds(name) else " differs"))
    return out


def _table(cat: Catalog, key: str) -> Table | None:
    return next((t for n, t in cat.tables.items() if str(n) == key), None)


def _table_details(a: Table, b: Table) -> list[str]:
    out = []
    cols_a, cols_b = {c.name: c for c in a.columns}, {c.name: c for c in b.columns}
    out += [f"column {c} is missing" for c in cols_a if c not in cols_b]
    out += [f"column {c} was not there before" for c in cols_b if c not in cols_a]
    out += [f"column {c} differs ({_changed(cols_a[c], cols_b[c])})" for c in cols_a
            if c in cols_b and cols_a[c] != cols_b[c]]
    cons_a, cons_b = {c.name: c for c in a.constraints}, {c.name: c for c in b.constraints}
    out += [f"constraint {c} is missing" for c in cons_a if c not in cons_b]
    out += [f"constraint {c} was not there before" for c in cons_b if c not in cons_a]
    out += [f"constraint {c} differs ({_changed(cons_a[c], cons_b[c])})" for c in cons_a
            if c in cons_b and cons_a[c] != cons_b[c]]
    if not out:
        bare_a = replace(a, columns=(), constraints=())
        bare_b = replace(b, columns=(), constraints=())
        out.append(f"differs ({_changed(bare_a, bare_b)})")
    return out


def _changed(a: Any, b: Any) -> str:
    names = [f.name for f in fields(a) if f.compare and getattr(a, f.name) != getattr(b, f.name)]
    if "type_sql" in names and "type" in names:
        names.remove("type")  # the same change, once as PostgreSQL spells it
    return "; ".join(f"{_FIELD_NAMES.get(n, n)}: {_show(getattr(a, n))} → "
                     f"{_show(getattr(b, n))}" for n in names) or "details differ"


_FIELD_NAMES = {"type_sql": "type", "not_null": "not null"}


def _show(value: Any) -> str:
    """A catalog value as SQL or plain words, never a Python repr."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    sql = getattr(value, "sql", None)  # an Expr: its text says it all
    if isinstance(sql, str):
        return sql
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple | list | set | frozenset):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return str(value)  # TypeRef as `varchar(20)`, QName as `public.t`


def read_flat(conn: Any) -> Schema:
    """Every object of the user's schemas, keyed "kind name", with its definition."""
    out: Schema = {}
    for kind, query in _QUERIES.items():
        for name, definition in conn.execute(query).fetchall():
            out[f"{kind} {name}"] = definition or ""
    return out


def flat_differences(before: Schema, after: Schema) -> list[str]:
    """What differs between two flat maps: missing, extra, or changed objects."""
    out = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            out.append(f"{key} is missing")
        elif key not in before:
            out.append(f"{key} was not there before")
        elif before[key] != after[key]:
            out.append(f"{key} differs: {before[key]} → {after[key]}")
    return out
