"""`run_diff`: the diff command's work as one library call."""

from __future__ import annotations

from pathlib import Path

from schemagate.diff.changes import PlanOptions
from schemagate.diff.run import run_diff


def test_run_diff_plans_both_ways_and_guards_each_plan(pg_server: str, tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id int);")
    (tmp_path / "b.sql").write_text("CREATE TABLE t (id int, v text);")
    result = run_diff(str(tmp_path / "a.sql"), str(tmp_path / "b.sql"), scratch=pg_server,
                      down=True, guard=True,
                      options=PlanOptions(allow_destructive=True))
    assert result.back is not None and result.source.endswith("a.sql")
    assert [s.kind for s in result.up.steps] == ["add-column"]
    assert result.up.guard is not None and result.back.guard is not None
    assert result.up.guard.sql != result.back.guard.sql  # each side's own fingerprint
