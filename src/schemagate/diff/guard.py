"""Self-guarding plans: a fingerprint of what a plan touches, checked before it runs.

A plan is made from one schema and may be run days later. Its SQL opens with a DO block
that recomputes, on the database it runs on, an md5 over a canonical catalog text of the
objects the plan touches — every relation it creates, changes or drops (its kind, columns,
defaults, constraints, indexes, triggers, view query), every type, function, collation,
schema and extension — and RAISEs when it differs from the fingerprint computed when the
plan was made. An object the plan creates is fingerprinted as absent, so one made in the
mean time stops the plan too.

The fingerprint is one SELECT (`fingerprint_sql`), the same text at plan time and in the
guard: run at plan time on the FROM side (the live database, or the scratch database its
files were built on), and inside the DO block on the database the plan runs on. Names are
literals in it, so the query is the same on any database; the texts are PostgreSQL's own
deparsed ones, under an empty search_path (set for the block's own transaction only).

What it does not do: it sees only the objects the plan names. A change elsewhere (a table
the plan never touches) does not stop it, because it cannot make the plan fail or mean
something else. Run the plan with `psql -v ON_ERROR_STOP=1`: without it, psql goes on after
the guard's error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schemagate.diff.changes import Plan
from schemagate.model.catalog import ObjectRef
from schemagate.model.names import quote_literal

_RELATION_KINDS = ("table", "column", "default", "constraint", "trigger", "policy", "index",
                   "view", "sequence")


@dataclass
class Touched:
    """The objects a plan touches, by kind: (schema, name) pairs (schemas and extensions:
    ("", name))."""

    relations: set[tuple[str, str]] = field(default_factory=set)
    types: set[tuple[str, str]] = field(default_factory=set)
    functions: set[tuple[str, str]] = field(default_factory=set)
    collations: set[tuple[str, str]] = field(default_factory=set)
    schemas: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, refs: Iterable[ObjectRef]) -> Touched:
        out = cls()
        for ref in refs:
            pair = (ref.schema, ref.name)
            if ref.kind in _RELATION_KINDS:
                out.relations.add(pair)
            elif ref.kind == "type":
                out.types.add(pair)
            elif ref.kind == "function":
                out.functions.add(pair)
            elif ref.kind == "collation":
                out.collations.add(pair)
            elif ref.kind == "schema":
                out.schemas.add(ref.name)
            elif ref.kind == "extension":
                out.extensions.add(ref.name)
            if ref.schema:
                out.schemas.add(ref.schema)
        return out


def touched(plan: Plan) -> Touched:
    return Touched.of(step.ref for step in plan.steps)


def _pairs(pairs: set[tuple[str, str]]) -> str:
    ordered = sorted(pairs)
    schemas = ", ".join(quote_literal(s) for s, _ in ordered)
    names = ", ".join(quote_literal(n) for _, n in ordered)
    return f"ARRAY[{schemas}]::text[], ARRAY[{names}]::text[]"


def _names(names: set[str]) -> str:
    return f"ARRAY[{', '.join(quote_literal(n) for n in sorted(names))}]::text[]"


# Per relation: its kind, columns (type, NOT NULL, COLLATE, default), constraints, indexes,
# triggers and view query, each sorted by name; 'absent' when there is none of that name.
_RELATION = """
SELECT string_agg(r.s || '.' || r.n || ': ' || COALESCE((
  SELECT c.relkind::text || ' ' || concat_ws(' | ',
    (SELECT string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || COALESCE(' collate ' || (SELECT co.collname FROM pg_catalog.pg_collation co
                                        WHERE co.oid = a.attcollation), '')
            || COALESCE(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''),
            ', ' ORDER BY a.attname)
     FROM pg_catalog.pg_attribute a
     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(con.conname || ' ' || pg_catalog.pg_get_constraintdef(con.oid), ', '
                       ORDER BY con.conname)
     FROM pg_catalog.pg_constraint con WHERE con.conrelid = c.oid),
    (SELECT string_agg(pg_catalog.pg_get_indexdef(i.indexrelid), ', '
                       ORDER BY pg_catalog.pg_get_indexdef(i.indexrelid))
     FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid),
    (SELECT string_agg(pg_catalog.pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
     FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
    CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
  WHERE ns.nspname = r.s AND c.relname = r.n), 'absent'), E'\\n' ORDER BY r.s, r.n)
FROM unnest({pairs}) AS r(s, n)"""

_TYPE = """
SELECT string_agg(r.s || '.' || r.n || ': ' || COALESCE((
  SELECT t.typtype::text || ' ' || pg_catalog.format_type(t.typbasetype, t.typtypmod) || ' '
         || COALESCE((SELECT string_agg(e.enumlabel::text, ', ' ORDER BY e.enumsortorder)
                      FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '')
         || COALESCE((SELECT string_agg(a.attname || ' '
                                        || pg_catalog.format_type(a.atttypid, a.atttypmod),
                                        ', ' ORDER BY a.attnum)
                      FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.typrelid AND a.attnum > 0
                        AND NOT a.attisdropped), '')
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace ns ON ns.oid = t.typnamespace
  WHERE ns.nspname = r.s AND t.typname = r.n), 'absent'), E'\\n' ORDER BY r.s, r.n)
FROM unnest({pairs}) AS r(s, n)"""

_FUNCTION = """
SELECT string_agg(r.s || '.' || r.n || ': ' || COALESCE((
  SELECT string_agg(p.prokind::text || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid)
                    || ') ' || COALESCE(pg_catalog.pg_get_function_result(p.oid), '') || ' '
                    || p.provolatile::text || ' ' || pg_catalog.md5(p.prosrc), ', '
                    ORDER BY pg_catalog.pg_get_function_identity_arguments(p.oid))
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace ns ON ns.oid = p.pronamespace
  WHERE ns.nspname = r.s AND p.proname = r.n), 'absent'), E'\\n' ORDER BY r.s, r.n)
FROM unnest({pairs}) AS r(s, n)"""

_COLLATION = """
SELECT string_agg(r.s || '.' || r.n || ': ' || COALESCE((
  SELECT string_agg(co.collprovider::text || ' ' || co.collisdeterministic::text || ' '
                    || COALESCE(co.collcollate, '') || ' ' || COALESCE(co.collctype, ''), ', ')
  FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace ns ON ns.oid = co.collnamespace
  WHERE ns.nspname = r.s AND co.collname = r.n), 'absent'), E'\\n' ORDER BY r.s, r.n)
FROM unnest({pairs}) AS r(s, n)"""

_SCHEMA = """
SELECT string_agg(r.n || ': ' || CASE WHEN EXISTS (
  SELECT 1 FROM pg_catalog.pg_namespace ns WHERE ns.nspname = r.n)
  THEN 'present' ELSE 'absent' END, E'\\n' ORDER BY r.n)
FROM unnest({names}) AS r(n)"""

_EXTENSION = """
SELECT string_agg(r.n || ': ' || COALESCE((
  SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = r.n), 'absent'),
  E'\\n' ORDER BY r.n)
FROM unnest({names}) AS r(n)"""


def fingerprint_sql(objects: Touched) -> str:
    """One SELECT of one md5 text: the fingerprint of these objects on this database."""
    parts = []
    for pairs, template in ((objects.relations, _RELATION), (objects.types, _TYPE),
                            (objects.functions, _FUNCTION), (objects.collations, _COLLATION)):
        if pairs:
            parts.append("(" + template.format(pairs=_pairs(pairs)) + ")")
    for names, template in ((objects.schemas, _SCHEMA), (objects.extensions, _EXTENSION)):
        if names:
            parts.append("(" + template.format(names=_names(names)) + ")")
    body = ",\n".join(parts) if parts else "''"
    return f"SELECT pg_catalog.md5(pg_catalog.concat_ws(E'\\n---\\n',\n{body}))"


def fingerprint(cur: Any, objects: Touched) -> str:
    """Run the fingerprint query through a cursor (its session's search_path is set to
    empty for the transaction, as the guard does)."""
    cur.execute("SELECT pg_catalog.set_config('search_path', '', true)")
    cur.execute(fingerprint_sql(objects))
    row = cur.fetchone()
    return str(row[0])


def guard_sql(objects: Touched, expected: str, made_from: str) -> str:
    """The DO block that stops a plan run on a database other than the one it was made from.
    ``made_from`` names that database in the message (a label, never a password)."""
    made_from = made_from.replace("%", "%%")  # RAISE's placeholder
    message = (f"schemagate: this plan was made from {made_from}, and the objects it "
               "touches have changed since (fingerprint %, expected %): make the plan "
               "again from this database")
    body = (
        "DECLARE found text;\nBEGIN\n"
        "  PERFORM pg_catalog.set_config('search_path', '', true);\n"
        f"  found := ({fingerprint_sql(objects)});\n"
        f"  IF found IS DISTINCT FROM {quote_literal(expected)} THEN\n"
        f"    RAISE EXCEPTION {quote_literal(message)}, found, {quote_literal(expected)};\n"
        "  END IF;\nEND")
    tag = "$schemagate_guard$"
    n = 0
    while tag in body:  # a name may hold the tag itself: take one it does not hold
        n += 1
        tag = f"$schemagate_guard{n}$"
    return f"DO {tag}\n{body}\n{tag}"


def add_guard(plan: Plan, url: str, made_from: str) -> None:
    """Open the plan with a guard whose fingerprint is computed now on ``url`` (the database
    the plan was made from, or the scratch database its files were built on)."""
    from schemagate.diff.connect import read_only

    if not plan.steps:
        return
    with read_only(url) as cur:
        add_guard_read(plan, cur, made_from)


# The output settings the catalog reads fix for their transaction (diff/queries.py SETUP),
# back to the session's own: the guard runs in the session of whoever runs the plan, where a
# default's deparsed constant reads as that session's settings make it read.
_SESSION_SETTINGS = """
SELECT pg_catalog.set_config(s.name, s.reset_val, true) FROM pg_catalog.pg_settings s
WHERE s.name IN ('TimeZone', 'DateStyle', 'IntervalStyle', 'extra_float_digits')
"""


def add_guard_read(plan: Plan, cur: Any, made_from: str) -> None:
    """`add_guard`, with the fingerprint taken through ``cur``: the transaction the plan's
    side was read in, still open, so that the fingerprint is of the very snapshot the plan
    was made from (and costs no new session)."""
    from schemagate.diff.changes import Statement

    if not plan.steps:
        return
    objects = touched(plan)
    cur.execute(_SESSION_SETTINGS)
    expected = fingerprint(cur, objects)
    plan.guard = Statement(guard_sql(objects, expected, made_from))
