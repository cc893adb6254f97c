"""A finding outlives its migration, so it must hold only what the report shows.

The lint drops each migration once linted (its text, tokens and parse tree); a finding that
kept a lazy span, an operation or a statement object would keep all of that alive to the
end of the run, for every finding of a long history. Everything reachable from the
findings is checked to be plain data.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from schemagate.lint.run import run_lint
from schemagate.model.findings import Finding, Severity, Suppression
from schemagate.model.fixes import Edit, Fix
from schemagate.model.settings import Settings
from schemagate.model.span import Span

ROOT = Path(__file__).parent.parent.parent
PLAIN = (str, int, float, bool, type(None), Severity, Span, Finding, Suppression, Fix, Edit)


def _reachable_types(roots: list[Any]) -> dict[type, int]:
    seen: set[int] = set()
    found: dict[type, int] = {}
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found[type(obj)] = found.get(type(obj), 0) + 1
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif not isinstance(obj, str | int | float | enum.Enum | type(None)):
            stack.extend(getattr(obj, name) for cls in type(obj).__mro__
                         for name in getattr(cls, "__slots__", ()) if hasattr(obj, name))
            stack.extend(getattr(obj, "__dict__", {}).values())
    return found


def test_findings_hold_plain_data_only(monkeypatch: Any) -> None:
    monkeypatch.chdir(ROOT)
    paths = ["examples/golang-migrate", "examples/dbmate", "examples/flyway",
             "tests/fixtures/reports/hostile"]
    result = run_lint(paths, Settings(cache=False)).result
    assert result.findings and any(f.fix for f in result.findings)
    assert any(f.suppressed_by for f in result.findings)
    types = _reachable_types(list(result.findings))
    # A LazySpan is a Span whose closure holds its statement: only resolved spans are kept.
    unexpected = {t.__name__: n for t, n in types.items()
                  if not (t in PLAIN or issubclass(t, enum.Enum)
                          or t in (dict, list, tuple))}
    assert not unexpected, unexpected
