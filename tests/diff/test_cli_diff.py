"""`schemagate diff` through the command line's entry point: formats, --down, --check, exit
codes. In this process (tests.conftest.invoke): what is about the process itself, signals,
is in tests/verify/test_signals.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from schemagate.diff.execute import run_sql
from schemagate.diff.introspect import introspect
from schemagate.diff.plan import plan
from tests.conftest import SharedEmbedded, invoke

# The scratch databases are the session's (tests.conftest.reused_scratch): how diff makes
# and drops its own is tests/diff/test_scratch.py's and tests/verify/test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")

A = "CREATE TABLE t (id int PRIMARY KEY, legacy text, v text);\n"
B = ("CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL, w int);\n"
     "CREATE INDEX t_w ON t (w);\n")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return invoke("diff", *args)


def _files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "a.sql").write_text(A)
    (tmp_path / "b.sql").write_text(B)
    return str(tmp_path / "a.sql"), str(tmp_path / "b.sql")


def test_sql_to_a_live_database_applies_cleanly(pg_server: str, pg_db: str,
                                                tmp_path: Path) -> None:
    run_sql(pg_db, A)
    _, b = _files(tmp_path)
    proc = run("--from", pg_db, "--to", b, "--scratch", pg_server, "--allow-destructive")
    assert proc.returncode == 0, proc.stderr
    run_sql(pg_db, proc.stdout)
    again = run("--from", pg_db, "--to", b, "--scratch", pg_server, "--check")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "-- no differences" in again.stdout


def test_down_to_stdout_and_to_a_second_file(pg_server: str, tmp_path: Path) -> None:
    a, b = _files(tmp_path)
    proc = run("--from", a, "--to", b, "--scratch", pg_server, "--down")
    assert proc.returncode == 0, proc.stderr
    up, _, down = proc.stdout.partition("-- ==== schemagate: down (the reverse plan) ====")
    assert "ADD COLUMN \"w\"" in up and "DROP INDEX CONCURRENTLY" in down
    out = tmp_path / "out" / "plan.sql"
    proc = run("--from", a, "--to", b, "--scratch", pg_server, "--down", "-o", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert "ADD COLUMN" in out.read_text()
    assert "DROP INDEX CONCURRENTLY" in (tmp_path / "out" / "plan.down.sql").read_text()


def test_json_lists_each_change_with_its_hazards(pg_server: str, tmp_path: Path) -> None:
    a, b = _files(tmp_path)
    proc = run("--from", a, "--to", b, "--scratch", pg_server, "--format", "json", "--down")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["differs"] is True
    assert doc["from"] == a and doc["to"] == b
    changes = {c["kind"]: c for c in doc["up"]["changes"]}
    assert set(changes["create-index"]) >= {"kind", "object", "sql", "hazards", "destructive",
                                           "applied", "transactional"}
    assert changes["create-index"]["sql"] == [
        'CREATE INDEX CONCURRENTLY "t_w" ON "public"."t" USING btree ("w")']
    assert changes["create-index"]["transactional"] is False
    dropped = changes["drop-column"]
    assert dropped["applied"] is False and dropped["destructive"] is True
    assert "deletes-data" in dropped["hazards"] and dropped["object"] == "public.t.legacy"
    assert doc["up"]["summary"] == {"changes": 3, "skipped": 1, "destructive": 0}
    assert doc["down"]["differs"] is True


def test_text_is_a_summary_of_drift(pg_server: str, tmp_path: Path) -> None:
    a, b = _files(tmp_path)
    proc = run("--from", a, "--to", b, "--scratch", pg_server, "--format", "text")
    assert proc.returncode == 0, proc.stderr
    assert "+ add column public.t.w" in proc.stdout
    assert "! not emitted: drop column public.t.legacy" in proc.stdout


def test_check_is_a_drift_gate(pg_server: str, tmp_path: Path) -> None:
    a, b = _files(tmp_path)
    assert run("--from", a, "--to", b, "--scratch", pg_server, "--check").returncode == 1
    assert run("--from", a, "--to", a, "--scratch", pg_server, "--check").returncode == 0
    # a destructive difference alone still counts as drift
    (tmp_path / "c.sql").write_text(A.replace(", legacy text", ""))
    proc = run("--from", a, "--to", str(tmp_path / "c.sql"), "--scratch", pg_server,
               "--check", "--format", "text")
    assert proc.returncode == 1, proc.stdout


def test_bad_input_is_exit_2_without_traceback(pg_server: str, tmp_path: Path) -> None:
    a, _ = _files(tmp_path)
    (tmp_path / "bad.sql").write_text("CREATE TABLE x (id int);\nCREATE TABLE y (id int;\n")
    cases = [
        ("--from", "postgresql://nobody:pw@127.0.0.1:1/db", "--to", a),
        ("--from", str(tmp_path / "bad.sql"), "--to", a, "--scratch", pg_server),
        ("--from", str(tmp_path / "missing.sql"), "--to", a),
        ("--from", a, "--to", a, "--scratch", "postgresql://nobody@127.0.0.1:1/x"),
    ]
    messages = ["cannot connect to postgresql://nobody@127.0.0.1:1/db",
                "bad.sql:2: syntax error", "no such file or folder", "cannot connect"]
    for args, message in zip(cases, messages, strict=True):
        proc = run(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("schemagate: error: ") and message in proc.stderr
        assert "pw" not in proc.stderr


def test_the_live_database_is_not_written(pg_server: str, pg_db: str,
                                          tmp_path: Path) -> None:
    run_sql(pg_db, A)
    before = introspect(pg_db)
    _, b = _files(tmp_path)
    for args in (("--from", pg_db, "--to", b), ("--from", b, "--to", pg_db)):
        proc = run(*args, "--scratch", pg_server, "--allow-destructive")
        assert proc.returncode == 0, proc.stderr
    assert not plan(before, introspect(pg_db)).differs


@pytest.mark.slow
def test_files_without_scratch_share_one_embedded_server(
        tmp_path: Path, shared_embedded: SharedEmbedded) -> None:
    """Both sides are read at once; the embedded PostgreSQL is started once for both."""
    a, b = _files(tmp_path)
    proc = run("--from", a, "--to", b, "--format", "text")
    assert proc.returncode == 0, proc.stderr
    assert shared_embedded.starts == 1
    assert "+ add column public.t.w" in proc.stdout


def test_an_alembic_folder_and_a_revision_of_a_history_are_sources(pg_server: str,
                                                                  tmp_path: Path) -> None:
    pytest.importorskip("alembic")
    root = Path(__file__).parent.parent
    alembic = root / "fixtures" / "verify" / "alembic_project" / "migrations"
    proc = run("--from", f"{alembic}@7c1f2a9e4b10", "--to", str(alembic), "--scratch",
               pg_server)
    assert proc.returncode == 0, proc.stderr
    assert 'CREATE VIEW "public"."order_totals"' in proc.stdout
    assert 'CREATE TABLE "public"."customers"' not in proc.stdout


def test_text_groups_steps_by_object_with_hazards_and_live_table_sizes(
        pg_server: str, pg_db: str, tmp_path: Path) -> None:
    run_sql(pg_db, A + "INSERT INTO t SELECT g, 'x', 'y' FROM generate_series(1, 500) g;"
            "ANALYZE t;")
    _, b = _files(tmp_path)
    proc = run("--from", pg_db, "--to", b, "--scratch", pg_server, "--format", "text",
               "--allow-destructive")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("  table public.t "))
    assert "(~500 rows, " in lines[header]
    body = lines[header + 1:]
    assert "    + add column public.t.w  [ACCESS EXCLUSIVE]" in body
    assert any(line.startswith("    - drop column public.t.legacy  [ACCESS EXCLUSIVE, "
                               "deletes-data]") for line in body)
    assert "        destroys: drops column public.t.legacy and its values" in body
