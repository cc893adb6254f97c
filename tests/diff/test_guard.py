"""Self-guarding plans: the guard lets a plan run on the schema it was made from, and stops
it, with a clear message, once the objects it touches have changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.diff.execute import ScriptError, run_sql
from schemagate.diff.guard import Touched, add_guard, fingerprint, fingerprint_sql, guard_sql
from schemagate.diff.introspect import introspect
from schemagate.diff.plan import plan
from schemagate.diff.render import render_sql
from schemagate.model.catalog import ObjectRef
from tests.conftest import invoke
from tests.diff.support import databases

# Scratch databases are the session's (tests.conftest.reused_scratch): how diff makes and
# drops its own is tests/diff/test_scratch.py's and tests/verify/test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")

A = "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TYPE mood AS ENUM ('ok');"
B = ("CREATE TABLE t (id int PRIMARY KEY, v text, w int); CREATE INDEX t_w ON t (w);"
     "CREATE TYPE mood AS ENUM ('ok', 'meh');")


def _guarded(a: str, b: str) -> str:
    up = plan(introspect(a), introspect(b))
    add_guard(up, a, "the test's database")
    return render_sql(up)


def test_a_guarded_plan_runs_on_the_schema_it_was_made_from(pg_server: str) -> None:
    with databases(pg_server, A, B) as (a, b):
        sql = _guarded(a, b)
        assert sql.index("DO $schemagate_guard$") < sql.index("BEGIN;")
        run_sql(a, sql)
        assert not plan(introspect(a), introspect(b)).differs


@pytest.mark.parametrize("change", [
    "ALTER TABLE t ADD COLUMN extra int",  # a column of a table the plan alters
    "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x'",
    "CREATE INDEX t_w ON t (v)",  # an object the plan creates, made in the mean time
    "ALTER TYPE mood ADD VALUE 'bad'",
])
def test_a_guarded_plan_refuses_a_database_changed_since(pg_server: str, change: str) -> None:
    with databases(pg_server, A, B) as (a, b):
        sql = _guarded(a, b)
        run_sql(a, change)
        with pytest.raises(ScriptError, match="this plan was made from the test's database, "
                                              "and the objects it touches have changed"):
            run_sql(a, sql)
        t = next(t for t in introspect(a).tables.values() if t.name.name == "t")
        assert t.column("w") is None  # nothing of the plan ran


def test_a_change_to_an_object_the_plan_does_not_touch_lets_it_run(pg_server: str) -> None:
    with databases(pg_server, A + "CREATE TABLE other (x int);", B +
                   "CREATE TABLE other (x int);") as (a, b):
        sql = _guarded(a, b)
        run_sql(a, "ALTER TABLE other ADD COLUMN y int")
        run_sql(a, sql)


def test_the_fingerprint_is_the_same_on_two_databases_built_alike(pg_server: str) -> None:
    import psycopg

    objects = Touched.of([ObjectRef("table", "public", "t"), ObjectRef("type", "public", "mood"),
                          ObjectRef("index", "public", "t_w"),
                          ObjectRef("schema", "", "public")])
    with databases(pg_server, B, B) as (x, y):
        prints = []
        for url in (x, y):
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                prints.append(fingerprint(cur, objects))
        assert prints[0] == prints[1] and len(prints[0]) == 32


def test_names_cannot_break_out_of_the_guard(pg_server: str) -> None:
    hostile = "x$schemagate_guard$'; DROP TABLE t; --%"
    objects = Touched.of([ObjectRef("table", "public", hostile)])
    sql = guard_sql(objects, "0" * 32, "a % place")
    assert sql.startswith("DO $schemagate_guard1$")
    assert "a %% place" in sql and hostile.replace("'", "''") in fingerprint_sql(objects)
    with databases(pg_server, A) as (a,):
        with pytest.raises(ScriptError, match="made from a % place"):
            run_sql(a, sql + ";")
        assert introspect(a).tables  # t is still there


def test_the_cli_guards_by_default_and_no_guard_leaves_it_out(pg_server: str, pg_db: str,
                                                              tmp_path: Path) -> None:
    run_sql(pg_db, A)
    target = tmp_path / "b.sql"
    target.write_text(B)

    def diff(*extra: str) -> str:
        proc = invoke("diff", "--from", pg_db, "--to", str(target), "--scratch", pg_server,
                      *extra)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    guarded, plain = diff(), diff("--no-guard")
    assert "DO $schemagate_guard$" in guarded and "schemagate_guard" not in plain
    run_sql(pg_db, "ALTER TABLE t ADD COLUMN late int")
    with pytest.raises(ScriptError, match="objects it touches have changed"):
        run_sql(pg_db, guarded)
    run_sql(pg_db, plain)  # unguarded, it runs on whatever it finds


def test_a_plan_from_files_is_guarded_by_the_schema_they_build(pg_server: str, pg_db: str,
                                                               tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text(A)
    (tmp_path / "b.sql").write_text(B)
    proc = invoke("diff", "--from", str(tmp_path / "a.sql"), "--to", str(tmp_path / "b.sql"),
                  "--scratch", pg_server)
    assert proc.returncode == 0, proc.stderr
    run_sql(pg_db, A)  # a database built from the same file: the guard lets it through
    run_sql(pg_db, proc.stdout)
    with pytest.raises(ScriptError, match="objects it touches have changed"):
        run_sql(pg_db, proc.stdout)  # run twice: the schema is B's now
