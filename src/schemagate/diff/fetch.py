"""Run the catalog queries (diff/queries.py) on a database and keep their rows.

One READ ONLY transaction; every query sent at once (a pipeline), so that the server runs
them back to back while the caller reads each result as it comes. Light on purpose: it
imports psycopg and nothing of the model, so a diff can start reading both databases while
the rest of schemagate is still being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemagate.diff import queries as q
from schemagate.diff.connect import read_only

Row = tuple[Any, ...]

# Sent in this order; later handlers of the rows may use earlier results.
# (None: a query made for the server's version, or for a deferred fetch.)
QUERIES: tuple[tuple[str, str | None], ...] = (
    ("schemas", q.SCHEMAS), ("members", q.EXTENSION_MEMBERS),
    ("extensions", q.EXTENSIONS), ("collations", q.COLLATIONS),
    ("user_collations", None), ("types", q.TYPES),
    ("relations", q.RELATIONS), ("sequences", q.SEQUENCES), ("inherits", q.INHERITS),
    ("type_collations", q.TYPE_COLLATIONS), ("columns", q.COLUMNS), ("defaults", q.DEFAULTS),
    ("constraints", None), ("access_methods", q.ACCESS_METHODS),
    ("operator_classes", q.OPERATOR_CLASSES), ("indexes", None), ("triggers", q.TRIGGERS),
    ("policies", q.POLICIES),
    ("functions", q.FUNCTIONS), ("rewrites", q.REWRITES),
    ("catalog_oids", q.CATALOG_OIDS), ("dependencies", None),
    ("comments", q.COMMENTS),
)


@dataclass
class Rows:
    """Every query's rows, as fetched: what introspect.build makes a Catalog of."""

    version: int
    results: dict[str, list[Row]]

    def __getitem__(self, name: str) -> list[Row]:
        return self.results.get(name, [])


OnResult = Callable[[str, list[Row]], None]


def fetch(url: str, *, privileges: bool = False, on_result: OnResult | None = None) -> Rows:
    """Run the catalog queries in one READ ONLY transaction; keep their rows.
    ``on_result`` sees each query's rows as they arrive, while the server runs the next."""
    with read_only(url) as cur:
        return fetch_cursor(cur, privileges=privileges, on_result=on_result)


def fetch_cursor(cur: Any, *, privileges: bool = False, on_result: OnResult | None = None,
                 deferred: bool = False) -> Rows:
    """``deferred``: tables' CHECK constraints and index predicates come as raw node trees,
    without their texts (`fetch_relations` reads those for the relations a diff keeps)."""
    cur.execute(q.SETUP)
    cur.execute(q.VERSION)
    version = int(cur.fetchone()[0])
    queries = _queries(version, privileges, deferred)
    conn = cur.connection
    results: dict[str, list[Row]] = {}
    with conn.pipeline():  # all sent at once; the server runs them back to back
        cursors = []
        for _, sql in queries:
            c = conn.cursor()
            c.execute(sql)
            cursors.append(c)
        for (name, _), c in zip(queries, cursors, strict=True):
            results[name] = c.fetchall()
            # libpq's copy of the result goes now, not with the last cursor: the peak of a
            # 10,000-table schema held every query's result twice (as rows and in libpq).
            c.close()
            if on_result is not None:
                on_result(name, results[name])
    return Rows(version, results)


# The queries whose rows each belong to one relation (the column of its oid): on a large
# schema, most rows. A narrowed read keeps those of the relations it builds only.
PER_RELATION = {"columns": 0, "defaults": 0, "constraints": 1, "indexes": 1, "triggers": 1,
                "policies": 1, "privileges": 0}
KeepRows = Callable[[str, list[Row]], list[Row]]
_CHUNK = 5000


def fetch_lean(cur: Any, *, on_result: OnResult, keep_rows: KeepRows,
               privileges: bool = False) -> Rows:
    """The rows `fetch_cursor(deferred=True)` reads, for a reader that indexes them as they
    come (``on_result``, in chunks for the large queries) and keeps only the rows of each
    chunk that ``keep_rows`` gives back: the others are let go at once, and the ones the
    diff turns out to need are read again by `fetch_relations`, in the same transaction.

    Each query is sent before the rows of the one before it are handled, so that the server
    runs it meanwhile; no further ahead: a pipeline of every query had libpq hold every
    result at once (some 70 MB on 10,000 tables), this holds two."""
    cur.execute(q.SETUP)
    cur.execute(q.VERSION)
    version = int(cur.fetchone()[0])
    results: dict[str, list[Row]] = {}
    conn = cur.connection
    queries = _queries(version, privileges, deferred=True)
    with conn.pipeline() as pipeline:
        sent = conn.cursor()
        sent.execute(queries[0][1])
        for i, (name, _) in enumerate(queries):
            current = sent
            # Its result in (a sync waits for every query sent, so the next one goes after
            # it), then the next query sent, then this one's rows handled.
            pipeline.sync()
            if i + 1 < len(queries):
                sent = conn.cursor()
                sent.execute(queries[i + 1][1])
            if name not in PER_RELATION and name != "dependencies":
                results[name] = current.fetchall()
                on_result(name, results[name])
            else:
                kept: list[Row] = []
                while chunk := current.fetchmany(_CHUNK):
                    on_result(name, chunk)
                    kept += keep_rows(name, chunk)
                results[name] = kept
            current.close()  # (libpq's copy of the result goes now)
    return Rows(version, results)


def fetch_relations(cur: Any, version: int, relations: list[int], objects: list[int], *,
                    privileges: bool = False, meanwhile: Callable[[], object] | None = None
                    ) -> dict[str, list[Row]]:
    """The per-relation rows of these relations, with every text (no node tree to deparse
    later), the columns of the tables their foreign keys reference, and the dependencies
    of ``objects`` (the relations' own) that `fetch_lean`'s query leaves out (those of
    indexes on their own table's columns; the reader keeps the others it read): what a diff
    of them needs that `fetch_lean` let go. The queries are sent at once (a pipeline: few
    rows each), and ``meanwhile`` runs while the server answers them."""
    conn = cur.connection
    sent: list[tuple[str, Any]] = []
    with conn.pipeline():
        for name, sql in _queries(version, privileges, deferred=False):
            if name not in PER_RELATION:
                continue
            column, params = PER_RELATION[name], [relations]
            if name == "columns":  # ... and those of the tables their foreign keys reference
                # (one array: an OR of the two made the server scan every column)
                sql = _filtered(sql, column).replace(
                    "ANY(%s::oid[])", f"ANY(ARRAY(SELECT pg_catalog.unnest(%s::oid[]) "
                    f"UNION {_REFERENCED}))") + " ORDER BY 1, 2"
                params = [relations, relations]
            else:
                sql = _filtered(sql, column)
            sent.append((name, conn.cursor().execute(sql, params)))
        sent.append(("dependencies", conn.cursor().execute(q.INDEX_COLUMN_DEPENDENCIES,
                                                           (objects,))))
        if meanwhile is not None:
            meanwhile()
        return {name: c.fetchall() for name, c in sent}


def _filtered(sql: str, column: int) -> str:
    """A query's rows whose column ``column`` is one of the oids of the parameter (the filter
    goes into the query: the server reads no more than that)."""
    names = ", ".join(f"c{i}" for i in range(column + 1))
    return f"SELECT * FROM ({sql}) AS r({names}) WHERE r.c{column} = ANY(%s::oid[])"


# The tables the foreign keys of the relations of the parameter reference: those of the
# constraints query (diff/queries.py) with a referenced table (confrelid).
_REFERENCED = """SELECT con.confrelid FROM pg_catalog.pg_constraint con
WHERE con.conrelid = ANY(%s::oid[]) AND con.contype = 'f' AND con.conparentid = 0
  AND con.conislocal"""


def _queries(version: int, privileges: bool, deferred: bool) -> list[tuple[str, str]]:
    made = {"indexes": q.indexes(version, deferred),
            "constraints": q.constraints(deferred, version),
            "user_collations": q.user_collations(version),
            "dependencies": q.dependencies(deferred)}
    queries = [(name, made[name] if sql is None else sql) for name, sql in QUERIES]
    return queries + ([("privileges", q.PRIVILEGES)] if privileges else [])
