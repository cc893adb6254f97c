"""Snapshot tests of every lint output format on the example histories.

A change in output is a change in a public interface: review the diff, then regenerate with
`SCHEMAGATE_UPDATE_GOLDEN=1 python -m pytest tests/reports/test_golden.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main

ROOT = Path(__file__).parent.parent.parent
GOLDEN = Path(__file__).parent / "golden"
TARGETS = ["examples/golang-migrate", "examples/dbmate", "examples/flyway"]


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("json", "json"),
                                             ("github", "github.txt")])
def test_lint_output_matches_golden(fmt: str, suffix: str, monkeypatch: pytest.MonkeyPatch
                                    ) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["lint", *TARGETS, "--format", fmt, "--no-color"])
    assert result.exit_code == 1, result.output
    golden = GOLDEN / f"lint.{suffix}"
    if os.environ.get("SCHEMAGATE_UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")
