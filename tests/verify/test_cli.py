"""`schemagate verify` through the command line's entry point, in this process
(tests.conftest.invoke): JSON shape, exit codes, bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, invoke
from tests.verify.helpers import VERIFY

# Scratch databases are the session's (tests.conftest.reused_scratch): how verify makes and
# drops its own is tests/verify/test_isolation.py's, test_containment.py's and
# test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_json_shape(pg_server: str) -> None:
    proc = invoke("verify", str(VERIFY / "locks"), "--scratch", pg_server,
                      "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) >= {"migrations", "gate"}
    mig = doc["migrations"][0]
    assert set(mig) >= {"name", "up", "down", "up_again", "schema_restored"}
    assert mig["schema_restored"] is True
    assert set(mig["up"]) >= {"ok", "statements"}
    st = mig["up"]["statements"][0]
    assert set(st) >= {"line", "sql", "ms", "locks", "rewrites"}
    assert st["line"] == 1 and st["sql"].startswith("CREATE TABLE accounts")
    assert {"relation": "public.accounts", "mode": "AccessExclusiveLock"} in st["locks"]
    types = next(m for m in doc["migrations"] if m["name"] == "step06_types")
    assert types["up"]["statements"][0]["rewrites"][0] == {"relation": "public.payments",
                                                           "kind": "table"}
    assert doc["gate"]["passed"] is True
    assert [i["key"] for i in doc["gate"]["items"]] == ["runs", "rollback", "no-data-loss",
                                                        "backup"]
    assert set(doc["gate"]["items"][0]) == {"key", "title", "status", "detail"}


def test_text_ends_with_the_checklist_and_exit_1_on_failure(pg_server: str) -> None:
    proc = invoke("verify", str(VERIFY / "implicit"), "--scratch", pg_server)
    assert proc.returncode == 1, proc.stderr
    assert "Checklist:" in proc.stdout
    assert "FAIL  migration runs successfully: 000003_together: up failed at line 2" \
        in proc.stdout
    assert "gate failed (exit 1)" in proc.stdout


@pytest.mark.slow
def test_bad_input_is_exit_2_with_file_and_line_and_no_traceback() -> None:
    proc = invoke("verify", str(FIXTURES / "bad_input"), "--scratch",
                      "postgresql://nobody@127.0.0.1:1/x")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "002_syntax_error.sql:2:25: syntax error" in proc.stderr
    backup = invoke("backup", str(FIXTURES / "bad_input"), "-o", "/tmp/never-written")
    assert backup.returncode == 2 and "Traceback" not in backup.stderr
    assert "002_syntax_error.sql:2:25" in backup.stderr


def test_unreachable_scratch_server_is_exit_2() -> None:
    proc = invoke("verify", str(VERIFY / "locks"), "--scratch",
                      "postgresql://nobody:secret@127.0.0.1:1/x")
    assert proc.returncode == 2
    assert "cannot connect to postgresql://nobody@127.0.0.1:1/x" in proc.stderr
    assert "secret" not in proc.stderr and "Traceback" not in proc.stderr


def test_no_migrations_is_exit_2(tmp_path: object) -> None:
    proc = invoke("verify", str(tmp_path))
    assert proc.returncode == 2 and "no migrations found" in proc.stderr


def test_alembic_migrations_are_not_silently_passed(pg_server: str) -> None:
    # Alembic revisions run through Alembic's own API, which needs the project's alembic.ini;
    # without one, verify says it could not do the job (exit 2) instead of passing the gate.
    proc = invoke("verify", str(FIXTURES / "layouts" / "messy" / "alembic"),
                      "--scratch", pg_server)
    assert proc.returncode == 2
    assert "Alembic" in proc.stderr and "Traceback" not in proc.stderr
