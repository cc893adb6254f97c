"""Linting a long script costs work in proportion to its length, never to its square.

Work is counted, not timed: every Python and C function call the profiler hook sees while the
rules run. A per-statement rescan of the script multiplies the count by about 16 when the
script grows fourfold; linear work multiplies it by about 4.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from schemagate.lint.engine import lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from schemagate.parse.load import load_migrations

# Linear work gives a ratio near 4; one rescan per statement, well over 8 at these sizes.
MAX_GROWTH = 6.0


def _lint_calls(tmp_path: Path, n: int) -> int:
    """Function calls made by linting n blocking statements on n existing tables."""
    path = tmp_path / f"{n}_alter.sql"
    # Each statement blocks an existing table and none sets lock_timeout, so
    # missing-lock-timeout asks at every statement whether one ran before it.
    path.write_text("".join(f"ALTER TABLE t{i} ADD COLUMN c int;\n" for i in range(n)),
                    encoding="utf-8")
    loaded = load_migrations([MigrationSource(path.stem, "sql", Script(str(path), "autocommit"))])
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        result = lint(loaded.migrations, Settings())
    finally:
        sys.setprofile(None)
    assert any(f.rule == "missing-lock-timeout" for f in result.findings)
    return calls


def test_lint_work_grows_linearly_with_the_number_of_blocking_statements(
        tmp_path: Path) -> None:
    small, large = _lint_calls(tmp_path, 300), _lint_calls(tmp_path, 1200)
    assert large / small < MAX_GROWTH, (small, large)


def _rewrite_calls(tmp_path: Path, n: int) -> int:
    """Function calls made by linting one ALTER TABLE of n columns that each rewrite."""
    path = tmp_path / f"{n}_rewrite.sql"
    path.write_text("ALTER TABLE t " + ",\n".join(
                        f"ADD COLUMN c{i} uuid DEFAULT gen_random_uuid()" for i in range(n))
                    + ";\n", encoding="utf-8")
    loaded = load_migrations([MigrationSource(path.stem, "sql", Script(str(path), "autocommit"))])
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        result = lint(loaded.migrations, Settings(select=("add-column-rewrite",)))
    finally:
        sys.setprofile(None)
    assert [f.rule for f in result.findings] == ["add-column-rewrite"]
    return calls


def test_one_finding_for_a_statement_of_many_rewriting_columns_counts_them_once(
        tmp_path: Path) -> None:
    """add-column-rewrite says one ALTER TABLE's rewrite once, counting its columns: each
    column asking whether the others rewrite made a 4,000-column statement take 36 s."""
    small, large = _rewrite_calls(tmp_path, 200), _rewrite_calls(tmp_path, 800)
    assert large / small < MAX_GROWTH, (small, large)
