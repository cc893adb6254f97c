"""How volatile a default expression is, from PostgreSQL's own pg_proc.

`ADD COLUMN ... DEFAULT expr` is a catalog-only change from PostgreSQL 11 on when expr is not
volatile; a volatile default (random(), gen_random_uuid(), clock_timestamp()) must be
computed per row, which rewrites the table. The table of built-in functions is generated from
a real server by scripts/gen_volatility.py and shipped as data.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from schemagate.model.catalog import Catalog, Function
from schemagate.model.ops import Expr

_ORDER = {"i": 0, "s": 1, "v": 2}
# SQL-standard value functions (CURRENT_TIMESTAMP, CURRENT_USER …) are stable.
_SQL_VALUE = frozenset({"current_date", "current_time", "current_timestamp", "localtime",
                        "localtimestamp", "current_role", "current_user", "user",
                        "session_user", "current_catalog", "current_schema"})


@cache
def builtin_volatility() -> dict[str, str]:
    # Read from beside the package, where it is installed: importlib.resources brings
    # tempfile, shutil, zipfile and the compression modules (some 5 ms of imports, a tenth
    # of a lint's start-up) to open a file that is on disk. It is asked only when the file is
    # not there (a package imported from a zip archive).
    try:
        data = (Path(__file__).parent.parent / "data" / "volatility.json").read_text("utf-8")
    except OSError:
        from importlib import resources

        data = resources.files("schemagate").joinpath("data/volatility.json").read_text(
            "utf-8")
    return dict(json.loads(data)["functions"])


def function_volatility(name: str, catalog: Catalog | None = None, depth: int = 0) -> str:
    """'i', 's' or 'v' for a function name; the most volatile overload wins, and an unknown
    function counts as volatile, as CREATE FUNCTION's own default is VOLATILE. A VOLATILE
    `LANGUAGE sql` function the planner inlines counts as its body (`Function.inlined`)."""
    name = name.lower()
    if name in _SQL_VALUE:
        return "s"
    if catalog is not None:
        kinds = [_called(f, catalog, depth) for key, f in catalog.functions.items()
                 if key[0].name == name]
        if kinds:
            return max(kinds, key=_ORDER.__getitem__)
    builtin = builtin_volatility().get(name)
    if builtin is None:
        return "v"
    return max(builtin, key=_ORDER.__getitem__)


def expression_volatility(expr: Expr, catalog: Catalog | None = None,
                          depth: int = 0) -> str:
    if expr.constant or not expr.functions:
        return "i"
    return max((function_volatility(f, catalog, depth) for f in expr.functions),
               key=_ORDER.__getitem__)


def _called(f: Function, catalog: Catalog, depth: int) -> str:
    """How volatile a call of ``f`` is once planned: its body's volatility where the planner
    inlines it (no deeper than a few calls: a function may call itself)."""
    if f.volatility == "v" and f.inlined is not None and depth < 8:
        return expression_volatility(f.inlined, catalog, depth + 1)
    return f.volatility
