"""Lint work grows linearly: a script or a history four times as long costs about four times
as much, never sixteen.

Work is counted, not timed: every Python and C function call made while the lint runs
(``sys.setprofile``), which is the same on a busy machine as on an idle one. A rule that
rescans the script (or the history) for every statement makes the count grow with the
square of the length, and the ratio between n and 4n goes from about 4 towards 16.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType

from schemagate.lint.engine import lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations

# Linear work with a fixed start-up cost gives a ratio under 4; a quadratic term of even a
# few percent at n pushes it past this.
MAX_RATIO = 5.0
# Another change makes these two incremental; until then they rescan the script.
QUADRATIC_ELSEWHERE = ("missing-lock-timeout", "missing-statement-timeout")


def _statements(n: int, first: int = 0) -> str:
    """n statements on a few existing tables, of the kinds whose rules look at the statements
    around their own: locks held in a transaction, constraints validated after NOT VALID,
    time zones, renames after drops, BEGIN/COMMIT, suppressions."""
    out = []
    for i in range(first, first + n):
        table = f"users{i % 7}"
        out.append([
            f"-- schemagate: ignore add-column-volatile-default -- reviewed {i}\n"
            f"ALTER TABLE {table} ADD COLUMN c{i} timestamptz DEFAULT now();\n",
            f"ALTER TABLE {table} ADD CONSTRAINT ck{i} CHECK (id > 0) NOT VALID;\n",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT ck{i - 1};\n",
            f"SET timezone = 'UTC';\nALTER TABLE {table} ALTER COLUMN ts{i} TYPE timestamptz;\n",
            f"CREATE INDEX ix{i} ON {table} (c{i - 4});\n",
            f"ALTER TABLE {table} RENAME COLUMN a{i} TO b{i};\n",
            f"CREATE TABLE new{i} (id int);\nALTER TABLE new{i} RENAME TO old{i};\n",
            f"DROP TABLE gone{i};\n",
            f"UPDATE {table} SET c{i - 8} = now();\n",
            f"BEGIN;\nALTER TABLE {table} ALTER COLUMN x{i} SET NOT NULL;\nCOMMIT;\n",
            f"ALTER TABLE {table} ADD COLUMN d{i} int REFERENCES {table}(id);\n",
        ][i % 11])
    return "".join(out)


def _calls(root: Path) -> int:
    """Function calls made by discovering, loading and linting the migrations under root."""
    found = discover(["."], cwd=root)
    count = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        loaded = load_migrations(found.migrations, root=root)
        result = lint(loaded.migrations, Settings(ignore=QUADRATIC_ELSEWHERE))
    finally:
        sys.setprofile(None)
    assert not loaded.errors and result.findings
    return count


def test_a_script_four_times_as_long_costs_about_four_times_the_work(tmp_path: Path) -> None:
    counts = []
    for n in (150, 600):
        # Flyway wraps the file in one transaction, so every statement shares a block.
        folder = tmp_path / str(n) / "db" / "migration"
        folder.mkdir(parents=True)
        (folder / "V1__big.sql").write_text(_statements(n), encoding="utf-8")
        _calls(tmp_path / str(n))  # the first run also imports what the lint needs
        counts.append(_calls(tmp_path / str(n)))
    assert counts[1] < MAX_RATIO * counts[0], counts


def test_a_history_four_times_as_long_costs_about_four_times_the_work(tmp_path: Path) -> None:
    counts = []
    for files in (30, 120):
        folder = tmp_path / str(files) / "migrations"
        folder.mkdir(parents=True)
        for k in range(files):
            up = f"CREATE TABLE users{k % 7}_{k} (id int PRIMARY KEY);\n" + _statements(5, 5 * k)
            (folder / f"{k + 1:05d}_step.up.sql").write_text(up, encoding="utf-8")
            (folder / f"{k + 1:05d}_step.down.sql").write_text(
                f"DROP TABLE users{k % 7}_{k};\n", encoding="utf-8")
        _calls(tmp_path / str(files))
        counts.append(_calls(tmp_path / str(files)))
    assert counts[1] < MAX_RATIO * counts[0], counts
