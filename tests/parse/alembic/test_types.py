"""SQLAlchemy types, as written in migrations, to the PostgreSQL types they render as."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from schemagate.model import ops as o
from schemagate.parse.alembic.eval import Env
from schemagate.parse.alembic.types import default_of, type_of
from tests.parse.alembic.helpers import lint_revisions
from tests.parse.alembic.test_frontend import ops_of, parse


def render(expression: str, dialect: str = "postgresql", setup: str = "") -> str:
    env = Env("", {}, dialect)
    for line in filter(None, setup.splitlines()):
        name, _, value = line.partition(" = ")
        node = cst.parse_expression(value)
        env.bind(name, node, env.value(node))
    return str(type_of(cst.parse_expression(expression), env))


@pytest.mark.parametrize(("expression", "expected"), [
    ("sa.Integer", "int4"), ("sa.Integer()", "int4"), ("sa.INTEGER()", "int4"),
    ("sa.BigInteger()", "int8"), ("sa.SmallInteger()", "int2"), ("mysql.TINYINT()", "int2"),
    ("sa.String(50)", "varchar(50)"), ("sa.String(length=50)", "varchar(50)"),
    ("sa.String()", "varchar"), ("sa.Unicode(20)", "varchar(20)"), ("sa.CHAR(3)", "bpchar(3)"),
    ("sa.Text()", "text"), ("sa.UnicodeText", "text"), ("sa.TEXT()", "text"),
    ("sa.Numeric(10, 2)", "numeric(10,2)"), ("sa.Numeric(precision=12, scale=4)",
                                             "numeric(12,4)"),
    ("sa.Numeric()", "numeric"), ("sa.DECIMAL(5)", "numeric(5)"),
    ("sa.Float()", "float8"), ("sa.Float(precision=24)", "float4"), ("sa.REAL()", "float4"),
    ("sa.DateTime()", "timestamp"), ("sa.DateTime(timezone=True)", "timestamptz"),
    ("sa.DateTime(True)", "timestamptz"), ("postgresql.TIMESTAMP(timezone=True)",
                                           "timestamptz"),
    ("sa.Date()", "date"), ("sa.Time()", "time"), ("sa.Interval()", "interval"),
    ("sa.Boolean()", "bool"), ("sa.LargeBinary()", "bytea"), ("postgresql.BYTEA()", "bytea"),
    ("sa.JSON()", "json"), ("postgresql.JSONB(astext_type=sa.Text())", "jsonb"),
    ("postgresql.UUID(as_uuid=True)", "uuid"), ("sa.Uuid()", "uuid"),
    ("sqlalchemy_utils.types.uuid.UUIDType(binary=False)", "uuid"),
    ("postgresql.INET()", "inet"), ("postgresql.TSVECTOR()", "tsvector"),
    ("sa.ARRAY(sa.Integer())", "int4[]"), ("postgresql.ARRAY(sa.String(20))", "varchar(20)[]"),
    ("postgresql.ARRAY(sa.Text(), dimensions=2)", "text[][]"),
    ('sa.Enum("a", "b", name="status")', "public.status"),
    ('postgresql.ENUM("a", name="kind", schema="app", create_type=False)', "app.kind"),
    ('sa.Enum("a", "b", native_enum=False)', "varchar"),
    ("postgresql.HSTORE()", "public.hstore"),
    ("myapp.types.MoneyType()", "unknown"),
])
def test_types(expression: str, expected: str) -> None:
    assert render(expression) == expected


def test_variants_and_names_bound_to_types() -> None:
    assert render('sa.Integer().with_variant(sa.BigInteger(), "postgresql")') == "int8"
    assert render('sa.Integer().with_variant(sa.BigInteger(), "sqlite")') == "int4"
    assert render("status", setup='status = sa.Enum("x", name="st")') == "public.st"


@pytest.mark.parametrize(("expression", "sql", "constant", "functions"), [
    ('"0"', "'0'", True, set()),
    ("sa.text(\"'draft'::text\")", "'draft'::text", True, set()),
    ('sa.text("now()")', "now()", False, {"now"}),
    ("sa.func.now()", "now()", False, {"now"}),
    ("sa.func.gen_random_uuid()", "gen_random_uuid()", False, {"gen_random_uuid"}),
    ("sa.false()", "false", True, set()),
    ("sa.sql.expression.true()", "true", True, set()),
    ('sa.literal_column("0")', "0", True, set()),
])
def test_server_defaults(expression: str, sql: str, constant: bool, functions: set[str]) -> None:
    found = default_of(cst.parse_expression(expression), Env("", {}, "postgresql"))
    assert found is not None
    assert (found.sql, found.constant, set(found.functions)) == (sql, constant, functions)


# -- whose type a name is ------------------------------------------------------------------

def _column_types(tmp_path: Path, imports: str, *columns: str) -> list[str]:
    """The types of the columns of one `op.create_table`, in a revision with ``imports``."""
    body = imports + "\n\ndef upgrade():\n    op.create_table(\"t\", " + ", ".join(
        f'sa.Column("c{i}", {c})' for i, c in enumerate(columns)) + ")\n"
    [table] = ops_of(parse(tmp_path, body))
    assert isinstance(table, o.CreateTable)
    return [str(c.type) for c in table.columns]


def test_a_type_imported_from_sqlalchemy_is_read_by_its_class_name(tmp_path: Path) -> None:
    imports = ("import sqlalchemy\nfrom sqlalchemy import JSON\n"
               "from sqlalchemy.dialects import postgresql\n"
               "from sqlalchemy.dialects.postgresql import JSONB as PgJSONB\n"
               "import sqlalchemy.types as sat\nfrom sqlalchemy_utils import UUIDType")
    assert _column_types(tmp_path, imports, "JSON()", "sa.JSON()", "sqlalchemy.JSON()",
                         "postgresql.JSONB()", "PgJSONB()", "sat.JSON()",
                         "sqlalchemy.types.JSON()", "UUIDType(binary=False)") == [
        "json", "json", "json", "jsonb", "jsonb", "json", "json", "uuid"]


def test_a_type_imported_from_the_project_is_unknown_whatever_its_class_name(
        tmp_path: Path) -> None:
    # Prefect's JSON is a TypeDecorator that is JSONB on PostgreSQL, its UUID CHAR(36) on
    # SQLite: the class name says nothing about what the project's type renders as.
    imports = ("import prefect\nimport prefect.server.utilities.database\n"
               "from prefect.server.utilities.database import UUID, JSON as PJSON\n"
               "from app import db_types\nfrom . import columns")
    assert _column_types(tmp_path, imports, "prefect.server.utilities.database.JSON()",
                         "UUID()", "PJSON()", "db_types.JSON()", "columns.Text()",
                         "sa.ARRAY(db_types.JSON())") == ["unknown"] * 5 + ["unknown[]"]


def test_a_type_the_migration_defines_or_imports_in_its_function_is_unknown(
        tmp_path: Path) -> None:
    mig = parse(tmp_path, '''
        class JSON(sa.types.TypeDecorator):
            impl = sa.Text

        def upgrade():
            from myapp.types import Text
            op.add_column("t", sa.Column("a", JSON()))
            op.add_column("t", sa.Column("b", Text()))
    ''')
    assert [str(op.column.type) for op in ops_of(mig) if isinstance(op, o.AddColumn)] == [
        "unknown", "unknown"]


def test_a_project_json_type_is_not_told_to_be_jsonb_nor_compared_on_the_way_back(
        tmp_path: Path) -> None:
    result = lint_revisions(tmp_path, {
        "r1_runs.py": (None, '''
            import prefect

            def upgrade():
                op.create_table(
                    "flow_run", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("config", prefect.server.utilities.database.JSON()),
                    sa.Column("state", postgresql.JSONB(astext_type=sa.Text())))
        '''),
        "r2_drop.py": ("r1_runs", '''
            from prefect.server.utilities.database import JSON

            def upgrade():
                op.drop_column("flow_run", "config")
                op.drop_column("flow_run", "state")

            def downgrade():
                op.add_column("flow_run", sa.Column(
                    "config", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
                op.add_column("flow_run", sa.Column("state", JSON(), nullable=True))
        '''),
    })
    assert [f.rule for f in result.active if f.rule in (
        "prefer-jsonb", "down-does-not-restore")] == []


def test_a_column_of_a_project_type_keeps_what_the_history_knows_of_it(
        tmp_path: Path) -> None:
    # Not a placeholder for a column the history never made: its nullability is known.
    result = lint_revisions(tmp_path, {
        "r1_queue.py": (None, '''
            import prefect

            def upgrade():
                op.create_table(
                    "work_queue", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("pool_id", prefect.server.utilities.database.UUID(),
                              nullable=False),
                    sa.Column("note", prefect.server.utilities.database.JSON()))
        '''),
        "r2_restate.py": ("r1_queue", '''
            def upgrade():
                with op.batch_alter_table("work_queue") as batch_op:
                    batch_op.alter_column("pool_id", nullable=False)
                    batch_op.alter_column("note", nullable=True)

            def downgrade():
                with op.batch_alter_table("work_queue") as batch_op:
                    batch_op.alter_column("pool_id", nullable=True)
        '''),
    })
    assert [(f.rule, f.message) for f in result.active if f.rule in (
        "set-not-null", "drop-not-null", "down-does-not-restore")] == [
        ("down-does-not-restore", "up then down does not restore the schema: column "
         "public.work_queue.pool_id comes back as unknown, was unknown NOT NULL")]
