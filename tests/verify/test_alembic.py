"""verify on an Alembic project, through Alembic's own upgrade()/downgrade() on real PostgreSQL.

Fixture tests/fixtures/verify/alembic_project: alembic.ini, the standard online env.py (it
imports the application's models from myapp/ beside alembic.ini), and four revisions whose
files sort in another order than their graph.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from schemagate.diff.connect import connect
from schemagate.verify import VerifyResult
from schemagate.verify.alembic.project import sqlalchemy_url
from tests.conftest import SharedEmbedded
from tests.verify.alembic_support import (
    CREATE,
    DROP_LEGACY,
    HEAD,
    IN_GRAPH_ORDER,
    NOTE_INDEX,
    VERSIONS,
    VIEW,
    add_revision,
    copy_project,
    line_of,
)
from tests.verify.helpers import modes, statement, verify_folder

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


@pytest.fixture(scope="module")
def shop(pg_server: str) -> VerifyResult:
    return verify_folder(VERSIONS, pg_server)


def test_every_revision_runs_up_down_up_in_graph_order(shop: VerifyResult) -> None:
    assert sorted(IN_GRAPH_ORDER) != IN_GRAPH_ORDER  # file order would be wrong
    assert [m.name for m in shop.migrations] == IN_GRAPH_ORDER
    for m in shop.migrations:
        assert m.up.ok and m.down.ok and m.up_again.ok, (m.name, m.up.error, m.down.error)
        assert m.schema_restored is True, (m.name, m.schema_differences)
        assert m.up.path.endswith(f"{m.name}.py")
    assert shop.gate.passed, shop.gate
    assert shop.unrunnable == []
    assert shop.exit_code == 0


def test_add_column_and_create_index_locks_on_the_right_table(shop: VerifyResult) -> None:
    file = VERSIONS / f"{NOTE_INDEX}.py"
    add = statement(shop, NOTE_INDEX, line_of(file, "op.add_column("))
    assert add.sql == "ALTER TABLE orders ADD COLUMN note TEXT"
    assert modes(add, "public.orders") == {"AccessExclusiveLock"}
    assert add.traced == "session" and add.in_transaction
    index = statement(shop, NOTE_INDEX, line_of(file, "op.create_index("))
    assert index.sql.startswith("CREATE INDEX ix_orders_status ON orders")
    assert "ShareLock" in modes(index, "public.orders")
    assert "AccessExclusiveLock" not in modes(index, "public.orders")
    assert index.created == ["index public.ix_orders_status"]
    # The same statements again in the up after the down.
    assert [st.line for st in shop.migrations[1].up_again.statements] == [add.line, index.line]


def test_statements_carry_the_revision_file_lines_and_times(shop: VerifyResult) -> None:
    view = VERSIONS / f"{VIEW}.py"
    # op.execute: the SQL statement's own line inside the string, as the static frontend has it.
    created = statement(shop, VIEW, line_of(view, "CREATE VIEW order_totals"))
    assert created.created == ["view public.order_totals"]
    validate = statement(shop, VIEW, line_of(view, "VALIDATE CONSTRAINT"))
    assert modes(validate, "public.orders") == {"ShareUpdateExclusiveLock"}
    assert validate.validated == ["constraint public.orders.ck_orders_total_not_negative"]
    down = statement(shop, VIEW, line_of(view, 'op.execute("DROP VIEW'), "down")
    assert down.sql == "DROP VIEW order_totals"
    table = statement(shop, CREATE, line_of(VERSIONS / f"{CREATE}.py", '"orders",') - 1)
    assert table.sql.startswith("CREATE TABLE orders")
    for m in shop.migrations:
        for script in (m.up, m.down, m.up_again):
            assert script.statements and script.notes == []
            # Alembic's own bookkeeping is not the migration's.
            assert not any("alembic_version" in st.sql for st in script.statements)
            assert all(st.ms > 0 and st.error is None for st in script.statements)


def test_the_destructive_revision_is_backed_up_and_restored(pg_server: str) -> None:
    result = verify_folder(VERSIONS, pg_server, seed=20)
    assert result.gate.passed, result.gate
    drop = next(m for m in result.migrations if m.name == DROP_LEGACY)
    assert drop.backup is not None and drop.backup.saves == 1 and drop.backup.ok
    assert drop.backup.ran_restore
    assert drop.data is not None and drop.data.ok and drop.data.rows
    item = result.gate.item("no-data-loss")
    assert item is not None and item.status == "pass"


def test_env_py_runs_in_the_projects_environment_and_leaves_ours_alone(
        pg_server: str) -> None:
    # env.py imports myapp.models, which sits next to alembic.ini and is importable only
    # from there: verify ran it with the project's folder first on sys.path.
    with pytest.raises(ImportError):
        __import__("myapp.models")
    cwd, path = os.getcwd(), list(sys.path)
    result = verify_folder(VERSIONS, pg_server)
    assert result.gate.passed, result.gate
    assert os.getcwd() == cwd and sys.path == path
    assert not any(name == "myapp" or name.startswith("myapp.") for name in sys.modules)


def test_an_autocommit_block_is_watched_from_a_second_session(tmp_path: Path,
                                                               pg_server: str) -> None:
    project = copy_project(tmp_path)
    file = add_revision(project, "5a5a5a5a5a5a", HEAD, upgrade="""
        with op.get_context().autocommit_block():
            op.create_index("ix_orders_total", "orders", ["total"],
                            postgresql_concurrently=True)
        """, downgrade="""
        with op.get_context().autocommit_block():
            op.drop_index("ix_orders_total", table_name="orders",
                          postgresql_concurrently=True)
        """, slug="orders_total_index")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    assert result.gate.passed, result.gate
    st = statement(result, file.stem, line_of(file, "op.create_index("))
    assert st.sql.startswith("CREATE INDEX CONCURRENTLY")
    assert not st.in_transaction and st.traced == "observer"
    assert "ShareUpdateExclusiveLock" in modes(st, "public.orders")
    assert st.created == ["index public.ix_orders_total"]


def test_branches_and_merges_are_undone_one_revision_at_a_time(tmp_path: Path,
                                                              pg_server: str) -> None:
    # Two branches off the head, merged; and a second root. Each downgrade undoes only its
    # own revision: the schema comes back and the other branch stays.
    project = copy_project(tmp_path)
    add_revision(project, "b1b1b1b1b1b1", HEAD, 'op.add_column("orders", sa.Column("b1", '
                 'sa.Integer()))', 'op.drop_column("orders", "b1")')
    add_revision(project, "b2b2b2b2b2b2", HEAD, 'op.add_column("orders", sa.Column("b2", '
                 'sa.Integer()))', 'op.drop_column("orders", "b2")')
    add_revision(project, "0e0e0e0e0e0e", ("b1b1b1b1b1b1", "b2b2b2b2b2b2"),
                 "pass", "pass", slug="merge")
    add_revision(project, "aaaa00000001", None, 'op.create_table("audit", '
                 'sa.Column("id", sa.Integer(), primary_key=True))', 'op.drop_table("audit")',
                 slug="audit_root")
    result = verify_folder(project / "migrations" / "versions", pg_server)
    assert result.gate.passed, result.gate
    assert len(result.migrations) == 8
    assert all(m.schema_restored for m in result.migrations)
    names = [m.name for m in result.migrations]
    assert names.index("0e0e0e0e0e0e_merge") > names.index("b2b2b2b2b2b2_change")


def test_a_unix_socket_host_goes_into_the_query() -> None:
    assert sqlalchemy_url("host='/tmp/pg sock' port=5433 user=postgres dbname=scratch_1") == \
        "postgresql+psycopg://postgres@/scratch_1?port=5433&host=/tmp/pg%20sock"
    assert sqlalchemy_url("postgresql://u%40x:p%25ss@db.example:6432/app?sslmode=require") \
        == "postgresql+psycopg://u%40x:p%25ss@db.example:6432/app?sslmode=require"


def test_the_converted_url_connects_through_sqlalchemy(pg_db: str) -> None:
    import sqlalchemy as sa

    with connect(pg_db) as conn:
        row = conn.execute("SELECT current_database(), current_setting('unix_socket_directories')"
                           ).fetchone()
    assert row is not None
    dbname, sockets = row
    urls = [pg_db]
    socket_dir = next((d.strip() for d in sockets.split(",") if os.path.isdir(d.strip())), None)
    if socket_dir:  # the same server through its socket, as the embedded server is reached
        from psycopg import conninfo

        params: dict[str, Any] = conninfo.conninfo_to_dict(pg_db)
        params["host"] = socket_dir
        params.pop("hostaddr", None)
        urls.append(conninfo.make_conninfo(**params))
    for url in urls:
        engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == dbname


@pytest.mark.slow
def test_the_embedded_server_runs_alembic_too(shared_embedded: SharedEmbedded) -> None:
    result = verify_folder(VERSIONS, None)  # reached through its Unix socket (host=/tmp/…)
    assert result.server.startswith("embedded PostgreSQL")
    assert result.gate.passed, result.gate
