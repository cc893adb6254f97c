"""SQLAlchemy types, as written in migrations, to the PostgreSQL types they render as."""

from __future__ import annotations

import libcst as cst
import pytest

from schemagate.parse.alembic.eval import Env
from schemagate.parse.alembic.types import default_of, type_of


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
