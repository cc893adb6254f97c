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
    ("catalog_oids", q.CATALOG_OIDS), ("dependencies", q.DEPENDENCIES),
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
    their texts left for `complete` (on the same cursor, so the same snapshot)."""
    cur.execute(q.SETUP)
    cur.execute(q.VERSION)
    version = int(cur.fetchone()[0])
    made = {"indexes": q.indexes(version, deferred), "constraints": q.constraints(deferred),
            "user_collations": q.user_collations(version)}
    queries = [(name, made[name] if sql is None else sql) for name, sql in QUERIES]
    queries += [("privileges", q.PRIVILEGES)] if privileges else []
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
            if on_result is not None:
                on_result(name, results[name])
    return Rows(version, results)


def complete(cur: Any, rows: Rows, constraints: list[int], indexes: list[int]) -> None:
    """Fill in the deferred texts of these constraints and index predicates."""
    for name, sql, oids, column in (("constraints", q.CHECK_TEXTS, constraints, 5),
                                    ("indexes", q.PREDICATE_TEXTS, indexes, 4)):
        if not oids:
            continue
        cur.execute(sql, (oids,))
        texts = dict(cur.fetchall())
        rows.results[name] = [
            (*row[:column], texts[row[0]], *row[column + 1:]) if row[0] in texts else row
            for row in rows.results[name]]
