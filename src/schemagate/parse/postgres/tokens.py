"""PostgreSQL's scanner over a statement, its tokens kept for the statements scanned last.

Several readers scan the same text: the frontend, for identifiers longer than PostgreSQL
keeps (while parsing); the spans of a statement's clauses (`locate`: the statement, or one
clause's text), when a finding points at them; a fix's rewrite (`rules.rewrite`). On real
histories a fifth of the scans repeated one made shortly before (lemmy: 332 of 1,587;
openmeter: 373 of 1,254), and scanning, pglast making a Python object per token, is about
a tenth of a lint run. So the tokens of the last `KEPT` texts up to `MAX_CHARS` long are
kept, by their text (with 64, lemmy scans 1,333 times): the bounds keep a long generated
script from holding its tokens twice.
"""

from __future__ import annotations

from typing import Any

from schemagate.parse.postgres.libpg import pg

KEPT = 64
MAX_CHARS = 4096
_kept: dict[str, tuple[Any, ...]] = {}  # oldest first


def scan(sql: str) -> tuple[Any, ...]:
    """pglast's tokens of `sql` (start, end inclusive, name, kind; comments included), to
    read only. Raises `pg.ParseError` where pglast's scan does."""
    tokens = _kept.get(sql)
    if tokens is None:
        tokens = tuple(pg.scan(sql))
        if len(sql) <= MAX_CHARS:
            if len(_kept) >= KEPT:
                del _kept[next(iter(_kept))]
            _kept[sql] = tokens
    return tokens
