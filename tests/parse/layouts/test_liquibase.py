"""Liquibase formatted SQL: each `--changeset` of a file is a migration, undone by its
`--rollback` lines."""

from __future__ import annotations

from schemagate.lint.run import run_lint
from schemagate.model.migration import Script
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.layouts.liquibase import Changeset, applies, changesets
from tests.parse.layouts.helpers import LAYOUTS

D = "liquibase/db/changelog"


def test_each_changeset_is_a_migration_in_the_order_of_files_then_changesets() -> None:
    found = discover(["liquibase"], cwd=LAYOUTS)
    assert found.errors == []
    assert [(m.name, m.version) for m in found.migrations] == [
        ("001-init::ada:1", "1.1"), ("001-init::ada:3", "1.3"), ("001-init::ada:5", "1.5"),
        ("002-index::bob:idx", "2.1"), ("002-index::bob:idx2", "2.2")]
    first, _, seed, concurrent, _ = found.migrations
    assert (first.up, first.down) == (
        Script(f"{D}/001-init.sql", "wrapped", "up", "ada:1"),
        Script(f"{D}/001-init.sql", "wrapped", "down", "ada:1"))
    assert seed.down is None  # `--rollback empty`: nothing to undo
    assert concurrent.up == Script(f"{D}/002-index.sql", "autocommit", "up", "bob:idx")
    assert [n.message for n in found.notices] == [
        "changeset ada:2 is for h2, not postgres: left out",
        "changeset ada:4 is for !postgresql, not postgres: left out"]


def test_changesets_are_linted_as_liquibase_runs_them() -> None:
    result = run_lint([str(LAYOUTS / "liquibase")], Settings(cache=False, jobs=1)).result
    assert result.errors == []
    where = {(f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line, f.span.column)
             for f in result.findings}
    # In a changeset of its own transaction, a concurrent build fails; with
    # runInTransaction:false it runs.
    assert ("concurrently-in-transaction", "002-index.sql", 8, 1) in where
    assert not any(r == "concurrently-in-transaction" and line == 4 for r, _, line, _ in where)
    # A rollback line's SQL is where it is written, after `--rollback `.
    assert ("drop-index-non-concurrently", "002-index.sql", 9, 12) in where
    [hit] = [f for f in result.findings if f.rule == "concurrently-in-transaction"]
    assert "runInTransaction:false" in hit.message
    # The changesets left out (for H2, not PostgreSQL) are not read at all.
    assert not any("not_here" in f.message or "h2_only" in f.message for f in result.findings)


def test_changeset_lines() -> None:
    data = (b"--liquibase formatted sql\n--changeSet a:1 runInTransaction:false dbms:mysql,"
            b"mariadb\nSELECT 1;\n-- rollback SELECT 2;\n"
            b"--changeset b:2\n--rollback not required\n")
    assert changesets(data) == [Changeset("a:1", "autocommit", True, ("mysql", "mariadb")),
                                Changeset("b:2", "wrapped", False, ())]
    mysql = changesets(data)[0]
    assert applies(mysql, "mysql") and not applies(mysql, "postgres")


def test_a_master_changelog_orders_the_files_it_includes_as_one_history() -> None:
    """Spring Boot's layout: a YAML master under src/main/resources/db/changelog includes a
    file by its classpath path, a nested XML changelog by a relative one, and a folder."""
    found = discover(["liquibase-master"], cwd=LAYOUTS)
    assert (found.errors, found.notices) == ([], [])
    root = "liquibase-master/src/main/resources/db/changelog"
    assert [(m.name, m.version, m.history) for m in found.migrations] == [
        ("changes/001-users::ada:users", "1.1", root),
        ("more/002-orders::ada:orders", "2.1", root),  # once: its XML is no master of its own
        ("late/003-index::bob:orders-user", "3.1", root),
        ("late/004-raw", "4.1", root)]
    raw = found.migrations[-1]
    assert (raw.up, raw.down) == (Script(f"{root}/late/004-raw.sql", "wrapped"), None)
    result = run_lint([str(LAYOUTS / "liquibase-master")], Settings(cache=False, jobs=1)).result
    # One history: the orders' key finds the users table the first file made.
    assert not [f for f in result.findings if f.rule in ("unknown-object", "prefer-bigint")]
    assert not [f for f in result.findings if f.rule == "concurrently-in-transaction"]


def test_a_file_named_alone_brings_its_master_changelogs_history_along() -> None:
    """A pre-commit hook names the changed file: its master changelog, two folders up and
    above a nested changelog of its own, still orders the history."""
    root = "liquibase-master/src/main/resources/db/changelog"
    found = discover([f"{root}/more/002-orders.sql"], cwd=LAYOUTS)
    assert (found.errors, found.notices) == ([], [])
    assert [(m.name, m.context_only, m.history) for m in found.migrations] == [
        ("changes/001-users::ada:users", True, root),
        ("more/002-orders::ada:orders", False, root),
        ("late/003-index::bob:orders-user", True, root),
        ("late/004-raw", True, root)]
