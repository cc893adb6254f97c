"""pglast's parser module, loaded without building the Python AST it does not need here.

`pglast.parser` (libpg_query, compiled) imports `pglast.ast` and `pglast.enums` when it is
loaded: some 250 node classes and 150 enums, half of a one-file lint's import time (about
18 ms). Only `parse_sql` (Python node objects) and the printers use them; the frontend asks
for `parse_sql_json`, `split` and `scan`, which never touch them. So those two modules are
imported lazily (the standard library's `importlib.util.LazyLoader`): they are in
`sys.modules` as usual, and run on their first attribute access, by whatever needs them.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

__all__ = ["pg", "statements"]

_DEFERRED = ("pglast.ast", "pglast.enums")


class _DeferringFinder:
    """Finds the deferred modules as the path finder would, with a lazy loader."""

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in _DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def _load_parser() -> ModuleType:
    if "pglast.parser" in sys.modules:  # already loaded (the AST with it, or not): reuse
        return sys.modules["pglast.parser"]
    finder = _DeferringFinder()
    sys.meta_path.insert(0, finder)
    try:
        from pglast import parser
    finally:
        sys.meta_path.remove(finder)
    return parser


if TYPE_CHECKING:
    from pglast import parser as pg
else:
    pg = _load_parser()


def statements(sql: str) -> list[dict[str, Any]] | None:
    """The parse nodes of the statements of a piece of SQL (`{"AlterTableStmt": {…}}`, …);
    None when it does not parse."""
    try:
        parsed = json.loads(pg.parse_sql_json(sql))
    except (pg.ParseError, RecursionError, ValueError):
        return None
    return [item["stmt"] for item in parsed.get("stmts", ()) if "stmt" in item]
