"""Alembic projects that fail: each failure is reported for its revision, the scratch database
is dropped, and there is never a traceback. Real PostgreSQL; the projects are copies of the
fixture with a revision (or env.py) changed by the test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.diff.connect import connect
from schemagate.diff.scratch import SCRATCH_PREFIX
from tests.backup.helpers import schemagate
from tests.conftest import invoke, unique_name
from tests.verify.alembic_support import (
    CREATE,
    HEAD,
    VERSIONS,
    add_revision,
    copy_project,
    line_of,
)
from tests.verify.helpers import verify_folder

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def _databases(url: str) -> set[str]:
    with connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


def test_a_downgrade_that_forgets_an_index_fails_the_gate(tmp_path: Path,
                                                          pg_server: str) -> None:
    project = copy_project(tmp_path)
    add_revision(project, "f0f0f0f0f0f0", HEAD, upgrade="""
        op.add_column("orders", sa.Column("coupon", sa.Text(), nullable=True))
        op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
        """, downgrade="""
        op.drop_column("orders", "coupon")
        """, slug="coupon")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    coupon = result.migrations[-1]
    assert coupon.name == "f0f0f0f0f0f0_coupon"
    assert coupon.up.ok and coupon.down.ok
    assert coupon.schema_restored is False
    assert any("ix_orders_customer_id" in d for d in coupon.schema_differences), \
        coupon.schema_differences
    rollback = result.gate.item("rollback")
    assert rollback is not None and rollback.status == "fail"
    assert "f0f0f0f0f0f0_coupon" in rollback.detail
    proc = invoke("verify", str(project / "migrations" / "versions"), "--scratch", pg_server)
    assert proc.returncode == 1, proc.stderr
    assert "schema NOT restored" in proc.stdout
    assert "FAIL  rollback tested: f0f0f0f0f0f0_coupon" in proc.stdout


def test_a_revision_that_raises_is_reported_by_name_and_the_scratch_db_is_dropped(
        tmp_path: Path, pg_server: str) -> None:
    project = copy_project(tmp_path)
    # script_location relative to the working directory, as older `alembic init` wrote it.
    ini = project / "alembic.ini"
    ini.write_text(ini.read_text(encoding="utf-8").replace(
        "script_location = %(here)s/migrations", "script_location = migrations"),
        encoding="utf-8")
    file = add_revision(project, "0badf00d0001", HEAD, upgrade="""
        op.add_column("orders", sa.Column("coupon", sa.Text(), nullable=True))
        raise RuntimeError("coupons are not ready")
        """, downgrade="""
        op.drop_column("orders", "coupon")
        """, slug="coupons")
    # A process of its own, on a scratch database of its own: the one it made is dropped.
    before = _databases(pg_server)
    proc = schemagate("verify", str(project / "migrations" / "versions"), "--scratch", pg_server,
                      "--format", "json")
    after = _databases(pg_server)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    doc = json.loads(proc.stdout)
    scratch = doc["scratch"]["database"]
    assert scratch.startswith(SCRATCH_PREFIX)
    assert scratch not in before and scratch not in after
    failed = doc["migrations"][-1]
    assert failed["name"] == "0badf00d0001_coupons" and failed["ok"] is False
    raised_at = line_of(file, "raise RuntimeError")
    assert failed["up"]["error"] == f"line {raised_at}: RuntimeError: coupons are not ready"
    assert failed["up"]["line"] == raised_at
    # What ran before the raise is still shown, with its lock; Alembic rolled it back.
    assert failed["up"]["statements"][0]["sql"] == "ALTER TABLE orders ADD COLUMN coupon TEXT"
    runs = doc["gate"]["items"][0]
    assert runs["status"] == "fail" and "0badf00d0001_coupons: up failed at line" in \
        runs["detail"]


def test_a_statement_the_database_refuses_is_reported_with_its_line(
        tmp_path: Path, pg_server: str) -> None:
    project = copy_project(tmp_path)
    file = add_revision(project, "0badf00d0002", HEAD, upgrade="""
        op.add_column("orders", sa.Column("coupon", sa.Text(), nullable=True))
        op.create_index("ix_orders_missing", "orders", ["no_such_column"])
        """, downgrade="""
        op.drop_column("orders", "coupon")
        """, slug="bad_index")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    up = result.migrations[-1].up
    at = line_of(file, "op.create_index(")
    assert not up.ok and up.line == at
    assert up.error is not None and up.error.startswith(f"line {at}: column \"no_such_column\"")
    assert "SQLSTATE 42703" in up.error
    assert up.statements[-1].error is not None
    assert result.exit_code == 1


def test_a_revision_that_creates_a_role_is_stopped_before_the_statement_is_sent(
        tmp_path: Path, pg_server: str) -> None:
    project = copy_project(tmp_path)
    role = unique_name("evil")
    file = add_revision(project, "0badf00d0003", HEAD, upgrade=f"""
        op.add_column("orders", sa.Column("coupon", sa.Text(), nullable=True))
        op.execute("CREATE ROLE {role} SUPERUSER")
        """, downgrade="""
        op.drop_column("orders", "coupon")
        """, slug="make_role")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    up = result.migrations[-1].up
    at = line_of(file, "op.execute(")
    assert not up.ok and up.line == at
    assert up.error == (f"line {at}: not run: CREATE ROLE acts on roles, beyond the scratch "
                        "database; verify runs a migration only inside its scratch database")
    with connect(pg_server, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    assert row == (0,)


def test_an_env_py_that_cannot_import_the_app_cannot_be_applied(tmp_path: Path,
                                                               pg_server: str) -> None:
    # First a project whose env.py imports its myapp.models, in this same process: what it
    # imported must not stand in for the second project's own application.
    assert verify_folder(VERSIONS, pg_server).gate.passed
    project = copy_project(tmp_path)
    (project / "myapp" / "models.py").rename(project / "myapp" / "schema.py")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    first = result.migrations[0]
    assert first.name == CREATE and first.skipped is not None
    assert "migrations/env.py line" in first.skipped
    assert "ModuleNotFoundError: No module named 'myapp.models'" in first.skipped
    assert "project's environment" in first.skipped
    assert all(m.skipped and "not run" in m.skipped for m in result.migrations[1:])
    assert result.exit_code == 2  # verify could not do the job


def test_an_env_py_that_connects_elsewhere_is_stopped(tmp_path: Path, pg_server: str,
                                                      pg_db: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A common env.py takes its URL from the environment: verify must not migrate that one.
    project = copy_project(tmp_path)
    env = project / "migrations" / "env.py"
    env.write_text(env.read_text(encoding="utf-8").replace(
        'config.get_main_option("sqlalchemy.url")',
        'os.environ["SHOP_DATABASE_URL"]').replace("from logging", "import os\nfrom logging"),
        encoding="utf-8")
    from schemagate.verify.alembic.project import sqlalchemy_url

    monkeypatch.setenv("SHOP_DATABASE_URL", sqlalchemy_url(pg_db))
    result = verify_folder(project / "migrations" / "versions", pg_server)
    assert result.exit_code == 2
    skipped = result.migrations[0].skipped or ""
    assert "env.py connected to the database" in skipped and "not to verify's scratch" in skipped
    with connect(pg_db) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE n.nspname = 'public'").fetchone()
    assert tables == (0,)


def test_without_alembic_installed_verify_says_so_and_exits_2(
        pg_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import alembic` fail, as if it were not installed.
    monkeypatch.setitem(sys.modules, "alembic", None)
    result = verify_folder(VERSIONS, pg_server)
    assert result.exit_code == 2
    assert result.migrations[0].skipped is not None
    assert "pip install alembic in the project's environment" in \
        result.migrations[0].skipped
    out = CliRunner().invoke(main, ["verify", str(VERSIONS), "--scratch", pg_server])
    assert out.exit_code == 2
    assert "pip install alembic" in out.output
    assert "Traceback" not in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
