"""sql-migrate's layout: `-- +migrate Up` / `-- +migrate Down` sections, which may recur."""

from __future__ import annotations

from schemagate.lint.run import run_lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean


def test_sql_migrate_sections_and_notransaction_on_any_marker_of_a_direction() -> None:
    found = clean(discover(["sql-migrate"], cwd=LAYOUTS))
    d = "sql-migrate/sql"
    assert found.migrations == [
        MigrationSource(name="1677078479", layout="sql-migrate",
                        up=Script(f"{d}/1677078479.sql", "wrapped", "up"),
                        down=Script(f"{d}/1677078479.sql", "wrapped", "down"),
                        version="1677078479"),
        # The second Up marker says notransaction: sql-migrate runs the whole up outside
        # a transaction; the Down marker does not, and the down runs inside one.
        MigrationSource(name="1679836136", layout="sql-migrate",
                        up=Script(f"{d}/1679836136.sql", "autocommit", "up"),
                        down=Script(f"{d}/1679836136.sql", "wrapped", "down"),
                        version="1679836136"),
    ]


def test_sql_migrate_sections_are_linted_where_sql_migrate_runs_them() -> None:
    result = run_lint([str(LAYOUTS / "sql-migrate")], Settings(cache=False, jobs=1)).result
    assert not result.errors
    # Every Up section of a file is read: the table the second one makes is known later.
    assert not [f for f in result.findings if f.rule == "unknown-object"]
    [hit] = [f for f in result.findings if f.rule == "concurrently-in-transaction"]
    # The down's concurrent drop fails inside the transaction sql-migrate opens for it
    # (convoy has 38 such statements); the advice names the down's own marker.
    assert (hit.span.path.rsplit("/", 1)[-1], hit.span.line) == ("1679836136.sql", 9)
    assert "`-- +migrate Down notransaction`" in hit.message
