"""What an unmodelled Alembic call says about itself: which argument only run time knows, or
what is wrong with it, and what the call is made on.

tests/fixtures/alembic/unrolled is shaped after JupyterHub's revisions: loops over literal
tuples and lists (which the parser unrolls), `sa.Column` objects passed as column names,
`op.get_bind().execute(f"...")`, and constraint names built from a naming convention.
"""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.findings import Finding
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import FIXTURES
from tests.parse.alembic.test_frontend import line_of, ops_of, parse

UNROLLED = FIXTURES / "alembic" / "unrolled"
CLIENTS = UNROLLED / "versions" / "2b3c4d5e6f7a_clients.py"


def _raws(tmp_path: Path, body: str, direction: str = "up") -> list[tuple[str, str]]:
    return [(x.statement_kind, x.reason) for x in ops_of(parse(tmp_path, body), direction)
            if isinstance(x, o.RawSQL)]


def _findings(*rules: str) -> list[Finding]:
    found = discover([UNROLLED], cwd=UNROLLED.parent)
    loaded = load_migrations(found.migrations, root=UNROLLED.parent)
    return lint(loaded.migrations, Settings(select=rules)).findings


def test_a_column_object_given_as_a_column_name_is_said_to_be_one(tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        def upgrade():
            op.drop_column('groups', sa.Column('properties'))
    ''') == [("op.drop_column", "the column is given as a `sa.Column(...)` object where "
              "`op.drop_column` takes its name as a string: Alembic 1.20 on SQLAlchemy 2.1 "
              "raises TypeError here")]


def test_an_unknown_constraint_name_is_said_to_be_the_constraint_name(
        tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        from myapp import orm

        def upgrade():
            with op.batch_alter_table('spawners') as batch_op:
                batch_op.drop_constraint(orm.meta.naming_convention["fk"] % {}, type_='foreignkey')
    ''') == [("batch_op.drop_constraint", "constraint name known only at run time")]


def test_sql_sent_on_the_connection_is_said_to_be_the_connections(tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        def upgrade():
            c = op.get_bind()
            c.execute(f"UPDATE users SET created='{now()}'")
    ''') == [("Connection.execute", "SQL built at run time")]


def test_a_call_in_an_unrolled_loop_is_reported_once_where_it_is_written() -> None:
    loop = line_of(CLIENTS, "op.drop_column('services', sa.Column(item['name']))")
    drops = [f for f in _findings("unmodelled-statement") if f.span.line == loop]
    assert len(drops) == 1
    assert "`sa.Column(...)` object" in drops[0].message


def test_a_slow_call_in_an_unrolled_loop_is_listed_once() -> None:
    [held] = _findings("lock-held-too-long")
    line = line_of(CLIENTS, "batch_op.create_foreign_key(")
    assert held.message.count(f"line {line} ") == 1
    assert "`public.services`, `public.spawners`" in held.message


def test_a_missing_table_argument_is_said_to_be_missing(tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        def upgrade():
            op.drop_constraint("ck_disallow_private_top_level_classifier")
    ''') == [("op.drop_constraint",
              "no table name given: `op.drop_constraint` requires one")]


def test_a_table_name_known_only_at_run_time_is_said_to_be_the_table_name(
        tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        def upgrade():
            op.drop_column(get_table_name(), "x")
    ''') == [("op.drop_column", "table name known only at run time")]


_HANDED = "is imported from elsewhere and is given the migration's connection: the SQL it " \
          "runs is not known"


def test_an_imported_function_given_the_connection_is_said_to_run_unknown_sql(
        tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        import sqlalchemy_searchable as ss
        from sqlalchemy_searchable import sync_trigger
        from myapp.db import helpers

        def upgrade():
            conn = op.get_bind()
            ss.drop_trigger(conn, "queries", "search_vector")
            sync_trigger(op.get_bind(), "queries", "search_vector", ["name"])
            done = helpers.backfill(connection=op.get_context().connection)
            helpers.fix(op)
    ''') == [("PythonCall", f"`ss.drop_trigger()` {_HANDED}"),
             ("PythonCall", f"`sync_trigger()` {_HANDED}"),
             ("PythonCall", f"`helpers.backfill()` {_HANDED}"),
             ("PythonCall", f"`helpers.fix()` {_HANDED}")]


def test_an_import_inside_the_function_counts_too(tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        def downgrade():
            from sqlalchemy_searchable import drop_trigger
            drop_trigger(op.get_bind(), "queries", "search_vector")
    ''', "down") == [("PythonCall", f"`drop_trigger()` {_HANDED}")]


def test_sqlalchemy_and_imports_not_given_the_connection_are_not_reported(
        tmp_path: Path) -> None:
    assert _raws(tmp_path, '''
        import sqlalchemy_searchable as ss
        from sqlalchemy import inspect

        def upgrade():
            conn = op.get_bind()
            ss.vectorizer.clear()
            meta = sa.MetaData(bind=conn)
            names = inspect(conn).get_table_names()
            t = sa.Table("queries", meta, autoload_with=conn)
            op.add_column("queries", sa.Column("v", sa.Text()))
    ''') == []
