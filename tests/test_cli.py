"""The command-line contract (CLI.md) through the command line's entry point, on real files:
in this process (tests.conftest.invoke), but for the JSON contract and a bad setting, run as
a process of their own, as users and CI run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.conftest import FIXTURES, invoke

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
BAD = FIXTURES / "bad_input"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return invoke(*args, cwd=cwd)


def run_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "schemagate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


def test_json_shape_matches_cli_md() -> None:
    proc = run_process("lint", "examples/golang-migrate", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["tool"]["name"] == "schemagate"
    assert set(doc) >= {"findings", "errors", "summary"}
    f = doc["findings"][0]
    assert set(f) >= {"rule", "family", "severity", "message", "help", "path", "line", "column",
                      "end_line", "end_column", "migration", "statement", "object", "lock"}
    assert f["path"].startswith("examples/golang-migrate/")
    assert doc["summary"]["migrations"] == 5 and doc["summary"]["files"] == 10
    assert set(doc["summary"]["findings"]) == {"error", "warning", "info"}
    # The suppressed drop-column carries its reason.
    (sup,) = doc["suppressed"]
    assert sup["rule"] == "drop-column"
    assert sup["suppression"]["reason"] == "legacy_ref unused since v2.3, archived in S3"


def test_down_migration_dropping_what_up_created_is_not_flagged() -> None:
    doc = json.loads(run("lint", "examples/golang-migrate", "--format", "json").stdout)
    downs = [f for f in doc["findings"] if f["path"].endswith("000001_create_users.down.sql")]
    assert downs == []
    dropped_region = [f for f in doc["findings"]
                      if f["path"].endswith("000003_orders_reporting.down.sql")
                      and f["rule"] == "drop-column"]
    assert dropped_region == []


def test_bad_input_is_reported_per_file_and_the_rest_is_linted() -> None:
    proc = run("lint", str(BAD.relative_to(ROOT)), "--format", "json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    errors = {(Path(e["path"]).name, e["line"]) for e in doc["errors"]}
    assert ("002_syntax_error.sql", 2) in errors
    assert ("004_latin1.sql", 1) in errors
    assert ("006_template.sql", 1) in errors
    assert any(name == "003_binary.sql" for name, _ in errors)
    template = next(e for e in doc["errors"] if e["path"].endswith("006_template.sql"))
    assert "{{ name }}" in template["message"] and "--var" in template["message"]
    linted = {(Path(f["path"]).name, f["rule"]) for f in doc["findings"]}
    assert ("001_good.sql", "drop-table") in linted
    assert ("002_syntax_error.sql", "drop-table") in linted
    assert any(n["path"].endswith("005_empty.sql") for n in doc["notices"])


def test_var_fills_templates() -> None:
    proc = run("lint", str((BAD / "006_template.sql").relative_to(ROOT)), "--var", "name=events")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_missing_path_is_exit_2_with_message() -> None:
    proc = run("lint", "no/such/dir", "--format", "json")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["errors"][0]["path"] == "no/such/dir"


def test_text_output_is_ruff_like() -> None:
    proc = run("lint", "examples/golang-migrate/000003_orders_reporting.up.sql",
               "--select", "create-index-non-concurrently")
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("examples/golang-migrate/000003_orders_reporting.up.sql:2:1: "
                               "warning create-index-non-concurrently ")
    assert lines[1].startswith("  help: ")
    assert lines[-1].startswith("Found ")
    assert "\x1b[" not in proc.stdout


def test_the_summary_counts_in_the_singular_where_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "0001_users.sql").write_text("CREATE INDEX users_email ON users (email);\n")
    proc = run("lint", "0001_users.sql", "--no-cache", "--select",
               "create-index-non-concurrently", cwd=tmp_path)
    assert proc.stdout.splitlines()[-1] == \
        "Found 1 finding (1 warning) in 1 migration, 1 statement."


def test_github_annotations() -> None:
    proc = run("lint", "examples/golang-migrate/000003_orders_reporting.up.sql",
               "--format", "github", "--select", "create-index-non-concurrently")
    assert proc.stdout.startswith(
        "::warning file=examples/golang-migrate/000003_orders_reporting.up.sql,line=2,col=1,")
    assert "title=schemagate create-index-non-concurrently::" in proc.stdout


@pytest.mark.slow
def test_fail_on_select_ignore() -> None:
    target = "examples/golang-migrate/000004_drop_legacy_ref.up.sql"
    assert run("lint", target).returncode == 0  # warnings only
    assert run("lint", target, "--fail-on", "warning").returncode == 1
    assert run("lint", target, "--fail-on", "warning", "--ignore",
               "locking,compat,reversibility").returncode == 0
    proc = run("lint", target, "--select", "no-such-rule")
    assert proc.returncode == 2 and "unknown rule" in proc.stderr


def test_output_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.json"
    proc = run("lint", "examples/dbmate", "--format", "json", "-o", str(out))
    assert proc.stdout == "" and proc.returncode == 1
    assert json.loads(out.read_text())["summary"]["migrations"] == 3


def test_dbmate_sections_and_transaction_false() -> None:
    doc = json.loads(run("lint", "examples/dbmate", "--format", "json").stdout)
    got = sorted((Path(f["path"]).name, f["line"], f["rule"]) for f in doc["findings"])
    assert got == [
        ("20240301100000_cleanup.sql", 2, "concurrently-in-transaction"),
        ("20240301100000_cleanup.sql", 3, "delete-all-rows"),
        ("20240301100000_cleanup.sql", 3, "irreversible-data-loss"),
        # The down section drops the index the up built CONCURRENTLY without CONCURRENTLY,
        # and without lock_timeout.
        ("20240301100000_cleanup.sql", 6, "drop-index-non-concurrently"),
        ("20240301100000_cleanup.sql", 6, "missing-lock-timeout"),
    ]


def test_flyway_undo_pairs_and_lossy_change() -> None:
    doc = json.loads(run("lint", "examples/flyway", "--format", "json").stdout)
    rules = sorted((Path(f["path"]).name, f["rule"]) for f in doc["findings"])
    assert ("V2__narrow_price.sql", "lossy-type-change") in rules
    assert ("V2__narrow_price.sql", "truncate") in rules
    # The column is new, the table's rows are not: SET NOT NULL scans them.
    assert ("V1.1__product_names.sql", "set-not-null") in rules
    assert doc["summary"]["migrations"] == 3


def test_rules_and_explain() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0 and "drop-column" in listing.output
    explained = runner.invoke(main, ["explain", "ban-drop-column"])
    assert explained.exit_code == 0
    for section in ("What it does", "Why it matters", "When it does not fire",
                    "Safe alternative", "Example"):
        assert section in explained.output
    assert runner.invoke(main, ["explain", "nope"]).exit_code == 2


def test_internal_errors_hide_the_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "schemagate.toml"
    cfg.write_text("fail-on = 'sometimes'\n")
    proc = run_process("lint", "examples/dbmate", "--config", str(cfg))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "sometimes" in proc.stderr


@pytest.mark.slow
def test_output_never_replaces_what_is_not_a_regular_file(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    existing = tmp_path / "existing.json"
    existing.write_text("x")
    existing.chmod(0o640)
    assert run("lint", "examples/dbmate", "--format", "json", "-o", str(link)).returncode == 1
    assert link.is_symlink() and json.loads(real.read_text())["version"] == 1
    assert run("lint", "examples/dbmate", "--format", "json", "-o", "/dev/null").returncode == 1
    assert Path("/dev/null").is_char_device()
    assert run("lint", "examples/dbmate", "-o", str(existing)).returncode == 1
    assert existing.stat().st_mode & 0o777 == 0o640  # permissions kept
    new = tmp_path / "new.txt"
    assert run("lint", "examples/dbmate", "-o", str(new)).returncode == 1
    assert new.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_text_output_cannot_drive_the_terminal(tmp_path: Path) -> None:
    migration = tmp_path / "001.sql"
    migration.write_text('DROP TABLE "evil\x1b[2Jname";\n', encoding="utf-8")
    proc = run("lint", str(migration), "--no-color")
    assert "\x1b" not in proc.stdout
    assert "evil\\x1b[2Jname" in proc.stdout


def test_unreadable_files_are_named_in_errors_and_the_others_are_linted() -> None:
    proc = run("lint", "tests/fixtures/unreadable", "--format", "json")
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr
    doc = json.loads(proc.stdout)
    errors = {Path(e["path"]).name: (e["line"], e["column"]) for e in doc["errors"]}
    assert errors == {"002_unclosed_identifier.sql": (3, 14), "003_unclosed_string.sql": (1, 39),
                      "004_unclosed_dollar.sql": (1, 61), "005_unclosed_comment.sql": (2, 1),
                      "006_empty_identifier.sql": (1, 14)}
    linted = {(Path(f["path"]).name, f["rule"]) for f in doc["findings"]}
    assert ("009_drop.sql", "drop-column") in linted


def test_an_internal_error_has_exit_code_3_with_and_without_debug(monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("schemagate.lint.run.run_lint", broken)
    for extra in ([], ["--debug"]):
        result = CliRunner().invoke(main, ["lint", "examples/dbmate", *extra])
        assert result.exit_code == 3, result.output
        assert "internal error: RuntimeError: a bug" in result.output


def test_a_folder_without_migrations_is_an_error(tmp_path: Path) -> None:
    proc = run("lint", str(tmp_path), "--format", "json")
    assert proc.returncode == 2
    (error,) = json.loads(proc.stdout)["errors"]
    assert error["message"].startswith("no migrations found")


def test_allow_empty_accepts_a_folder_without_migrations(tmp_path: Path) -> None:
    assert run("lint", str(tmp_path), "--allow-empty").returncode == 0


def test_the_allow_empty_setting_accepts_a_folder_without_migrations(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text("allow-empty = true\n")
    (tmp_path / "empty").mkdir()
    assert run("lint", "empty", cwd=tmp_path).returncode == 0


TEMPLATE_VARS = ("--var", "Namespace=app", "--var", "Schema=app", "--var", "schema=app",
                 "--var", "fallback=public", "--var", "greeting=hi")


def test_a_go_templated_history_lints_without_errors_once_its_variables_are_given() -> None:
    proc = run("lint", "tests/fixtures/templates", "--format", "json", *TEMPLATE_VARS)
    doc = json.loads(proc.stdout)
    assert doc["errors"] == [] and doc["notices"] == []
    assert {f["object"] for f in doc["findings"] if f["rule"] == "drop-column"} == {
        "app.identities.nick", "app.identities.state"}


def test_fill_placeholders_lints_a_templated_history_and_names_each_filled_one() -> None:
    proc = run("lint", "tests/fixtures/templates", "--format", "json", "--fill-placeholders")
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    filled = {n["message"].split(" filled")[0] for n in doc["notices"]}
    assert filled == {'placeholder {{ index .Options "Namespace" }}', "placeholder {{ .Schema }}",
                      "placeholder ${schema}", 'placeholder :"fallback"',
                      "placeholder :'greeting'"}


def test_an_unfilled_placeholder_names_the_var_that_fills_it() -> None:
    proc = run("lint", "tests/fixtures/templates", "--format", "json")
    assert proc.returncode == 2
    messages = [e["message"] for e in json.loads(proc.stdout)["errors"]]
    assert any("{{ .Schema }}" in m and "--var Schema=VALUE" in m for m in messages)
    assert any(":'greeting'" in m and "--var greeting=VALUE" in m for m in messages)


def test_a_signal_surfacing_wrapped_in_another_error_still_exits_130(monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:  # as Python wraps one raised in __set_name__
            raise RuntimeError("Error calling __set_name__") from exc

    monkeypatch.setattr("schemagate.lint.run.run_lint", interrupted)
    result = CliRunner().invoke(main, ["lint", "examples/dbmate"])
    assert result.exit_code == 130 and "internal error" not in result.output


@pytest.mark.parametrize(("extra", "code"), [((), 0), (("--fail-on", "warning"), 1)])
def test_the_program_flushes_its_report_and_exit_code_when_it_leaves_after_a_lint(
        tmp_path: Path, extra: tuple[str, ...], code: int) -> None:
    # `schemagate.cli.run` ends a lint with os._exit: nothing written may be lost.
    sql = tmp_path / "0001_ix.sql"
    sql.write_text("CREATE INDEX users_plan ON users (plan);\n", encoding="utf-8")
    command = [sys.executable, "-m", "schemagate", "lint", str(sql), "--format", "json",
               "--no-cache", *extra]
    to_stdout = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert to_stdout.returncode == code, to_stdout.stderr
    report = json.loads(to_stdout.stdout)
    assert "create-index-non-concurrently" in [f["rule"] for f in report["findings"]]
    to_file = subprocess.run([*command, "-o", str(tmp_path / "out.json")],
                             capture_output=True, text=True, timeout=120)
    assert to_file.returncode == code and to_file.stdout == ""
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == report
    bad = subprocess.run([sys.executable, "-m", "schemagate", "lint", "--format", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "nope" in bad.stderr
