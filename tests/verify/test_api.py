"""`schemagate.verify.run_verify`: the verify command as a library call, as the CLI makes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemagate.model.settings import Settings
from schemagate.verify import VerifyError, run_verify
from schemagate.verify.report import read_gate, render_json
from tests.conftest import FIXTURES
from tests.verify.helpers import VERIFY

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_run_verify_loads_the_folder_and_returns_the_checklist(pg_server: str) -> None:
    result = run_verify([str(VERIFY / "locks")], Settings(), scratch=pg_server)
    assert result.gate.passed
    assert result.migrations[0].up.statements[0].sql.startswith("CREATE TABLE accounts")


def test_run_verify_names_every_unparsable_file_and_runs_nothing() -> None:
    with pytest.raises(VerifyError, match=r"002_syntax_error\.sql:2:25: syntax error"):
        run_verify([str(FIXTURES / "bad_input")], Settings(),
                   scratch="postgresql://nobody@127.0.0.1:1/x")


def test_run_verify_refuses_a_folder_without_migrations(tmp_path: Path) -> None:
    with pytest.raises(VerifyError, match="no migrations found"):
        run_verify([str(tmp_path)], Settings(), scratch="postgresql://nobody@127.0.0.1:1/x")


def test_read_gate_reads_back_the_items_render_json_wrote(pg_server: str,
                                                          tmp_path: Path) -> None:
    result = run_verify([str(VERIFY / "locks")], Settings(), scratch=pg_server)
    report = tmp_path / "verify.json"
    report.write_text(render_json(result), encoding="utf-8")
    assert [i["key"] for i in read_gate(str(report))] == [i.key for i in result.gate.items]


def test_read_gate_says_which_file_is_not_a_verify_report(tmp_path: Path) -> None:
    report = tmp_path / "other.json"
    report.write_text(json.dumps({"gate": {"items": "pass"}}), encoding="utf-8")
    with pytest.raises(VerifyError, match=r"other\.json: gate\.items is not a list of checks"):
        read_gate(str(report))
