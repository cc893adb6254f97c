"""Sqitch's layout: the changes of `sqitch.plan`, deployed and reverted by their scripts."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.run import run_lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.layouts.sqitch import Change, changes, places
from tests.parse.layouts.helpers import LAYOUTS, clean, write


def _source(name: str, script: str, version: int, context: bool = False) -> MigrationSource:
    return MigrationSource(
        name=name, layout="sqitch", up=Script(f"sqitch/deploy/{script}.sql", "autocommit"),
        down=Script(f"sqitch/revert/{script}.sql", "autocommit"), version=str(version),
        project="sqitch", context_only=context)


def test_the_plan_orders_the_changes_and_a_reworked_change_keeps_its_tagged_scripts() -> None:
    found = discover(["sqitch"], cwd=LAYOUTS)
    # verify/ and test/ hold no migration: only the plan's changes come, and a note says
    # which folders were left.
    assert found.errors == [] and [(n.path, n.message) for n in found.notices] == [(
        "sqitch/sqitch.plan", "a Sqitch project: its changes are the plan's; the folders "
        "beside it (test) are not walked for migrations")]
    assert found.migrations == [
        _source("app/users@v1.0", "app/users@v1.0", 1),
        _source("app/users_email_idx", "app/users_email_idx", 2),
        _source("app/users", "app/users", 3),
    ]


def test_a_named_script_brings_its_plan_along_as_context() -> None:
    found = clean(discover(["sqitch/revert/app/users_email_idx.sql"], cwd=LAYOUTS))
    assert found.migrations == [
        _source("app/users@v1.0", "app/users@v1.0", 1, context=True),
        _source("app/users_email_idx", "app/users_email_idx", 2),
        _source("app/users", "app/users", 3, context=True),
    ]
    named = discover(["sqitch/verify/app/users.sql"], cwd=LAYOUTS)
    assert named.errors == [] and all(m.context_only for m in named.migrations)
    assert [n.message for n in named.notices] == ["not a migration file; ignored"]


def test_plan_lines() -> None:
    plan = ("%project=x\n\n# a comment\nusers 2020-01-01T00:00:00Z a <a@b> # n\n"
            "@v1 2020-01-02T00:00:00Z a <a@b>\n+users [users@v1] 2021-01-01T00:00:00Z a <a@b>\n"
            "@v2 2021-01-02T00:00:00Z a <a@b>\nusers [users@v2] 2022-01-01T00:00:00Z a <a@b>\n"
            "-old 2022-02-01T00:00:00Z a <a@b>\n")
    assert changes(plan) == [Change("users", "users@v1"), Change("users", "users@v2"),
                             Change("users", "users"), Change("old", "old", reverted=True)]


def test_scripts_are_linted_as_psql_runs_them(tmp_path: Path) -> None:
    """Their own BEGIN and COMMIT are no nesting; CONCURRENTLY outside them runs, inside
    them it cannot."""
    result = run_lint([str(LAYOUTS / "sqitch")], Settings(cache=False, jobs=1)).result
    assert not result.errors
    assert not {f.rule for f in result.findings} & {
        "transaction-nesting", "concurrently-in-transaction", "unknown-object"}
    write(tmp_path / "sqitch.plan", "%project=x\nidx 2024-01-01T00:00:00Z a <a@b>\n")
    write(tmp_path / "deploy" / "idx.sql",
          "BEGIN;\nCREATE INDEX CONCURRENTLY t_idx ON t (a);\nCOMMIT;\n")
    again = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    assert [(f.rule, f.span.line) for f in again.findings
            if f.rule == "concurrently-in-transaction"] == [("concurrently-in-transaction", 2)]


def test_a_change_without_a_deploy_script_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "sqitch.plan", "%project=x\nmissing 2024-01-01T00:00:00Z a <a@b>\n")
    found = discover(["."], cwd=tmp_path)
    assert [(e.path, e.message) for e in found.errors] == [
        ("deploy/missing.sql", "no deploy script for the plan's change missing")]


def test_a_conf_that_moves_the_project_is_followed(tmp_path: Path) -> None:
    """Tamarou's Registry: `top_dir = ./sql` in sqitch.conf, and a stale plan beside it."""
    write(tmp_path / "sqitch.conf", "[core]\n\tengine = pg\n\t# plan_file = sqitch.plan\n"
          "\ttop_dir = ./sql\n[deploy]\n\tverify = true\n")
    write(tmp_path / "sqitch.plan", "%project=x\nold 2024-01-01T00:00:00Z a <a@b>\n")
    write(tmp_path / "sql" / "sqitch.plan", "%project=x\nusers 2024-01-01T00:00:00Z a <a@b>\n")
    write(tmp_path / "sql" / "deploy" / "users.sql", "CREATE TABLE users (id bigint);\n")
    found = clean(discover(["."], cwd=tmp_path))
    assert [(m.name, m.up.path if m.up else None, m.down) for m in found.migrations] == [
        ("users", "sql/deploy/users.sql", None)]
    assert places_of("[core]\n deploy_dir = db/up\n revert_dir = \"db/down\"\n") == (
        "sqitch.plan", "db/up", "db/down")


def places_of(conf: str) -> tuple[str, ...]:
    return tuple(places(conf))


def test_another_tools_history_below_a_plan_is_its_own(tmp_path: Path) -> None:
    """A repository with a Sqitch project at its top and a golang-migrate history below: a
    file of the latter, named (pre-commit), is golang-migrate's."""
    write(tmp_path / "sqitch.plan", "%project=x\nusers 2024-01-01T00:00:00Z a <a@b>\n")
    write(tmp_path / "deploy" / "users.sql", "CREATE TABLE users (id bigint);\n")
    write(tmp_path / "api" / "migrations" / "000001_init.up.sql", "CREATE TABLE t (a int);\n")
    found = clean(discover(["api/migrations/000001_init.up.sql"], cwd=tmp_path))
    assert [(m.name, m.layout) for m in found.migrations] == [("000001_init", "golang-migrate")]
    walked = discover(["."], cwd=tmp_path)
    assert [m.name for m in walked.migrations] == ["users"]
    assert [n.message for n in walked.notices] == [
        "a Sqitch project: its changes are the plan's; the folders beside it (api) are not "
        "walked for migrations"]


def test_a_script_is_read_as_psql_reads_it(tmp_path: Path) -> None:
    """Registry's deploy scripts `\\set` a variable from a file and insert it: psql's own
    lines are not SQL, and its variables are placeholders (`--var` may give them)."""
    write(tmp_path / "sqitch.plan", "%project=x\npages 2024-01-01T00:00:00Z a <a@b>\n"
          "seed 2024-01-02T00:00:00Z a <a@b>\n")
    write(tmp_path / "deploy" / "pages.sql",
          "CREATE TABLE pages (slug text PRIMARY KEY, body text);\n")
    write(tmp_path / "deploy" / "seed.sql",
          "\\set ON_ERROR_STOP 1\n\\set body `cat templates/page.html`\n\n"
          "INSERT INTO pages VALUES ('home', :'body');\n"
          "ALTER TABLE pages ADD COLUMN n int NOT NULL;\n")
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    assert result.errors == [] and result.statements == 3
    [hit] = [f for f in result.findings if f.rule == "add-required-column"]
    assert (hit.span.line, hit.span.column) == (5, 19)  # its ADD COLUMN clause
    # A script another tool runs is not psql's: the same lines are an error there.
    write(tmp_path / "plain" / "V1__seed.sql",
          (tmp_path / "deploy" / "seed.sql").read_text(encoding="utf-8"))
    plain = run_lint([str(tmp_path / "plain")], Settings(cache=False, jobs=1)).result
    assert plain.errors and "psql" in plain.errors[0].message


def test_a_named_files_project_is_looked_for_no_higher_than_the_current_folder(
        tmp_path: Path) -> None:
    """A hook runs in its repository: a plan above it (a home folder's) is not the named
    file's project, and discovery does not depend on what lies there."""
    write(tmp_path / "sqitch.plan", "%project=x\nusers 2024-01-01T00:00:00Z a <a@b>\n")
    repo = tmp_path / "repo"
    write(repo / "deploy" / "000001_init.up.sql", "CREATE TABLE t (a int);\n")
    found = clean(discover(["deploy/000001_init.up.sql"], cwd=repo))
    assert [(m.name, m.layout) for m in found.migrations] == [("000001_init", "golang-migrate")]
    assert str(tmp_path / "sqitch.plan") not in found.reads
