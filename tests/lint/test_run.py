"""`run_lint`, the library call behind `schemagate lint`: the same result as the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from schemagate.lint.run import run_lint
from schemagate.model.locks import LockMode
from schemagate.model.settings import Settings
from tests.conftest import FIXTURES

ROOT = Path(__file__).parent.parent.parent


def test_run_lint_finds_what_the_command_reports() -> None:
    run = run_lint(["examples/golang-migrate"], Settings())
    proc = subprocess.run([sys.executable, "-m", "schemagate", "lint", "examples/golang-migrate",
                           "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    doc = json.loads(proc.stdout)
    assert sorted((f.rule, f.span.line) for f in run.result.active) == sorted(
        (f["rule"], f["line"]) for f in doc["findings"])
    assert run.exit_code(Settings()) == proc.returncode == 1


def test_run_lint_overrides_the_dialect_of_plain_sql_files() -> None:
    run = run_lint([str(FIXTURES / "mysql")], Settings(dialect="mysql"))
    assert run.migrations and all(m.source.dialect == "mysql" for m in run.migrations)


def test_histories_kept_per_database_are_each_linted_as_their_own_sql() -> None:
    # Before folders were read for their database, the MySQL and SQLite files were file
    # errors ("syntax error at or near AUTO_INCREMENT") and the run exited 2.
    run = run_lint([str(FIXTURES / "layouts" / "per-database")], Settings(cache=False))
    assert run.result.errors == [] and run.exit_code(Settings()) == 0
    by_folder = {(f.span.path.split("/")[-2], f.rule) for f in run.result.active}
    assert ("postgres", "prefer-identity") in by_folder  # serial is PostgreSQL's
    assert ("mysql", "prefer-bigint") in by_folder
    assert not any(folder == "sqlite" for folder, _ in by_folder)


def test_findings_on_mysql_and_sqlite_name_no_postgresql_lock(tmp_path: Path) -> None:
    for folder in ("mysql", "postgres"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "V0001.Initial.up.sql").write_text(
            "CREATE TABLE totp_configurations (id INTEGER PRIMARY KEY, secret TEXT);\n")
        (tmp_path / folder / "V0002.Drop_TOTP.up.sql").write_text(
            "DROP TABLE totp_configurations;\n")
    run = run_lint([str(tmp_path)], Settings(cache=False))
    locks = {f.span.path.split("/")[-2]: f.lock for f in run.result.active
             if f.rule == "drop-table"}
    assert locks == {"mysql": None, "postgres": LockMode.ACCESS_EXCLUSIVE}
    bigint = next(f for f in run_lint([str(FIXTURES / "layouts" / "per-database")],
                                      Settings(cache=False)).result.active
                  if f.rule == "prefer-bigint" and "/mysql/" in f.span.path)
    assert "is int:" in bigint.message  # MySQL's name for it, not PostgreSQL's int4
