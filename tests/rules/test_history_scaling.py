"""Linting a long Alembic history does work linear in its length.

Time is not measured here (a busy machine would fail the test; benchmarks/bench_history.py
times it): the profiler counts the Python function calls of discovering, parsing and
linting `n` and `4n` revisions. Linear work makes the ratio about 4; a step that compares
every revision with every other makes it about 16.
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

import pytest

from schemagate.lint.engine import lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.rules.alembic_history import write_history

SMALL = 30
# Between linear (4) and quadratic (16), with room for the fixed costs and for the merges the
# generator adds every 50 revisions.
MAX_RATIO = 6.0


def _calls(root: Path, revisions: int) -> int:
    write_history(root / "alembic" / "versions", revisions)
    profile = cProfile.Profile()
    profile.enable()
    found = discover(["."], cwd=root)
    loaded = load_migrations(found.migrations, root=root)
    result = lint(loaded.migrations, Settings())
    profile.disable()
    assert len(found.migrations) == revisions and not loaded.errors
    assert not any(f.family == "history" for f in result.active)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined,no-any-return]


@pytest.mark.slow
def test_four_times_the_revisions_cost_about_four_times_the_work(tmp_path: Path) -> None:
    _calls(tmp_path / "warm-up", 10)  # imports and one-off tables are not the history's cost
    small = _calls(tmp_path / "small", SMALL)
    large = _calls(tmp_path / "large", 4 * SMALL)
    assert large / small < MAX_RATIO, (small, large)
