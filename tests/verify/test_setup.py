"""`verify --setup` / the `verify-setup` setting: SQL that the history takes for granted, run
on the scratch database before the first migration, as the scratch role; and a history that
only rolls forward (no down file at all), whose way back is the plan of `schemagate diff`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schemagate.diff.connect import connect
from schemagate.verify.inputs import read_setup
from tests.conftest import invoke
from tests.verify.helpers import VERIFY, verify_folder

pytestmark = pytest.mark.usefixtures("reused_scratch")

HISTORY = VERIFY / "roll_forward"
SETUP = VERIFY / "roll_forward_setup.sql"


def test_without_the_setup_the_first_migration_fails(pg_server: str) -> None:
    result = verify_folder(HISTORY, pg_server)
    runs = result.gate.item("runs")
    assert runs is not None and (runs.status, 'schema "auth" does not exist' in runs.detail) \
        == ("fail", True)
    # Their way back would have been diff's plan: untested, not "not applicable".
    rollback = result.gate.item("rollback")
    assert rollback is not None and (rollback.status, rollback.detail) == (
        "skip", "0 of 9 down migrations ran and gave the schema back; not tested: "
        "000001_init_auth: its up failed; 8 migrations after it not run")


def test_the_setup_runs_first_and_a_history_without_downs_is_rolled_back_by_diff(
        pg_server: str) -> None:
    result = verify_folder(HISTORY, pg_server, setup=read_setup([str(SETUP)]))
    assert (result.setup, result.setup_error) == ([str(SETUP)], None)
    assert [(m.name, m.up.ok, m.down_generated, m.schema_restored, m.up_again.ok)
            for m in result.migrations] == [
        ("000001_init_auth", True, True, True, True),
        ("000002_add_sessions", True, True, True, True),
        ("000003_add_banned_until", True, True, True, True),
        ("000004_first_admin", True, True, True, True),
        ("000005_last_seen", True, True, True, True),
        ("000006_last_seen_timestamp", True, True, True, True),
        ("000007_meta", True, True, True, True),
        ("000008_meta_bytes", True, True, None, False),
        ("000009_phone", True, True, True, True)]
    # The way forward again is diff's plan too: the admin row its up inserted is kept,
    # not inserted a second time (its own up again would break the primary key).
    admin = result.migrations[3]
    assert (admin.down.statements, admin.up_again.statements) == ([], [])
    # Where diff's plan cannot go forward (no cast from time to timestamp: the migration's
    # USING knows how), it leaves nothing half done and the migration's own up runs.
    retyped = result.migrations[5]
    assert retyped.up_again.path.endswith("000006_last_seen_timestamp.up.sql")
    [note] = retyped.up_again.notes
    assert note.startswith("diff's plan forward failed at line 1: cannot cast type time "
                           "without time zone to timestamp without time zone")
    # diff's plan cannot go back from bytea to jsonb: that rollback fails, in one
    # transaction, so the schema stays where the up left it and the migration after it runs.
    rollback = result.gate.item("rollback")
    assert rollback is not None and rollback.status == "fail"
    assert rollback.detail == "000008_meta_bytes: down failed at line 1: cannot cast type " \
        "bytea to jsonb (SQLSTATE 42846)"
    runs = result.gate.item("runs")
    assert runs is not None and runs.status == "pass"
    backup = result.gate.item("backup")
    assert backup is not None and backup.detail.endswith(
        "restore.sql not tested: 000008_meta_bytes: the way back `schemagate diff` plans "
        "failed")


def test_a_failing_setup_is_exit_2_with_its_line_and_no_migration_runs(
        pg_server: str, tmp_path: Path) -> None:
    bad = tmp_path / "setup.sql"
    bad.write_text("CREATE SCHEMA auth;\nCREATE TABLE auth.t (id int,);\n")
    proc = invoke("verify", str(HISTORY), "--scratch", pg_server, "--setup", str(bad))
    assert proc.returncode == 2
    assert f'the setup SQL failed: {bad}:2:29: syntax error at or near ")"' in proc.stderr
    assert "000001_init_auth: not run: the setup" in proc.stdout
    assert "PASS" not in proc.stdout and "Traceback" not in proc.stderr


def test_the_setup_runs_as_the_scratch_role_and_cannot_make_a_role(
        pg_server: str, tmp_path: Path) -> None:
    bad = tmp_path / "setup.sql"
    bad.write_text("CREATE ROLE sg_setup_canary;\n")
    proc = invoke("verify", str(HISTORY), "--scratch", pg_server, "--setup", str(bad))
    assert proc.returncode == 2 and "permission denied to create role" in proc.stderr
    with connect(pg_server) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = "
                            "'sg_setup_canary'").fetchone() == (0,)


def test_the_setting_names_files_relative_to_the_settings_file(
        pg_server: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    for migration in sorted(HISTORY.iterdir())[:3]:
        shutil.copy(migration, project / "migrations")
    shutil.copy(SETUP, project / "installer.sql")
    (project / "schemagate.toml").write_text('verify-setup = ["installer.sql"]\n')
    proc = invoke("verify", "migrations", "--scratch", pg_server, "--format", "json",
                  "--config", str(project / "schemagate.toml"), cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert f'"files": [\n      "{project / "installer.sql"}"' in proc.stdout


def test_a_setup_file_that_cannot_be_read_is_exit_2_before_anything_runs(
        tmp_path: Path) -> None:
    proc = invoke("verify", str(HISTORY), "--scratch", "postgresql://nobody@127.0.0.1:1/x",
                  "--setup", str(tmp_path / "missing.sql"))
    assert proc.returncode == 2
    assert f"cannot read the setup SQL: {tmp_path / 'missing.sql'}: " in proc.stderr


def test_the_tools_record_table_is_there_as_the_tool_makes_it(pg_server: str) -> None:
    """golang-migrate makes schema_migrations before the first migration; harbor's 0030 adds
    a column to it. It is the tool's: never seeded, never counted as data."""
    result = verify_folder(VERIFY / "record_table", pg_server, seed=10)
    assert result.record_table == "schema_migrations (golang-migrate)"
    assert [(m.name, m.ok) for m in result.migrations] == [
        ("000001_artifact", True), ("000002_data_version", True)]
    assert result.migrations[0].seeded == []  # nothing to seed before the first up
    assert result.migrations[1].seeded == ["public.artifact: 10 rows"]
