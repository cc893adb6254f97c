"""Every migrations layout lint reads is a diff source, whole or up to one migration.

Each test builds the layout's history on a scratch database, plans from an empty database to
it and back, applies both plans and proves each side equal (re-diff empty, normalised
`pg_dump -s`): the folder's schema is what PostgreSQL built from the files themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.diff.changes import PlanOptions
from schemagate.diff.execute import run_sql
from schemagate.diff.introspect import build, fetch, introspect
from schemagate.diff.plan import plan
from schemagate.diff.render import render_sql
from schemagate.diff.targets import Loader, Target, TargetError, parse_target
from tests.conftest import databases_on
from tests.diff.support import assert_same_schema

# Scratch databases are the session's (tests.conftest.reused_scratch): how diff makes and
# drops its own is tests/diff/test_scratch.py's and tests/verify/test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")

ROOT = Path(__file__).parent.parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
ALEMBIC = ROOT / "tests" / "fixtures" / "verify" / "alembic_project"


def _upgrade_alembic(url: str, migrations: object, revision: str | None) -> None:
    from schemagate.verify.alembic.run import upgrade_history

    upgrade_history(url, migrations, revision)  # type: ignore[arg-type]


def _round_trip(server: str, target: Target) -> str:
    """Empty → target → empty, each plan applied and checked; the up plan's SQL."""
    options = PlanOptions(allow_destructive=True)
    maker = databases_on(server)
    with Loader(server, apply_alembic=_upgrade_alembic) as loader, \
            loader.database(target) as built, maker.database() as empty, \
            maker.database() as empty_again:
        # Each side's catalog rows are read once while it stays as it is.
        rows_built = fetch(built)
        up = render_sql(plan(introspect(empty), build(rows_built), options))
        run_sql(empty, up, "<up plan>")
        assert_same_schema(empty, built, rows_y=rows_built)
        rows_again = fetch(empty_again)
        down = render_sql(plan(build(rows_built), build(rows_again), options))
        run_sql(built, down, "<down plan>")
        assert_same_schema(built, empty_again, rows_y=rows_again)
    return up


@pytest.mark.parametrize("folder", [
    "tests/fixtures/layouts/golang-migrate", "tests/fixtures/layouts/flyway",
    "tests/fixtures/layouts/dbmate", "tests/fixtures/layouts/prisma",
    "tests/fixtures/layouts/diesel", "tests/fixtures/layouts/plain",
    "examples/golang-migrate", "examples/flyway", "examples/dbmate",
])
def test_every_sql_layout_is_a_source_that_round_trips(pg_server: str, folder: str) -> None:
    up = _round_trip(pg_server, parse_target(str(ROOT / folder)))
    assert "CREATE TABLE" in up


def test_an_alembic_history_is_applied_through_alembic_itself(pg_server: str) -> None:
    pytest.importorskip("alembic")
    up = _round_trip(pg_server, parse_target(str(ALEMBIC / "migrations")))
    # the revisions' op.* calls ran: their table, index and view are there
    assert 'CREATE VIEW "public"."order_totals"' in up and '"ix_orders_status"' in up


def test_an_alembic_history_up_to_one_revision(pg_server: str) -> None:
    pytest.importorskip("alembic")
    target = parse_target(f"{ALEMBIC / 'migrations'}@7c1f2a9e4b10")
    assert target.version == "7c1f2a9e4b10"
    up = _round_trip(pg_server, target)
    assert 'CREATE TABLE "public"."customers"' in up
    assert "order_totals" not in up and "ix_orders_status" not in up


def test_a_revision_within_a_history_is_the_schema_after_that_migration(
        pg_server: str) -> None:
    folder = LAYOUTS / "golang-migrate"
    target = parse_target(f"{folder}@2")
    assert (target.spec, target.version) == (str(folder), "2")
    up = _round_trip(pg_server, target)
    assert '"email"' in up  # migration 2 adds it
    assert "CREATE INDEX" not in up  # migration 3 makes the index: not applied


def test_an_unknown_revision_is_refused_with_the_versions_found(pg_server: str) -> None:
    target = parse_target(f"{LAYOUTS / 'golang-migrate'}@99")
    with Loader(pg_server) as loader, pytest.raises(TargetError, match=r"@99: no migration"):
        loader.load(target)


def test_alembic_without_a_runner_is_refused_saying_why(pg_server: str) -> None:
    with Loader(pg_server) as loader, pytest.raises(TargetError, match="only Alembic"):
        loader.load(parse_target(str(ALEMBIC / "migrations")))
