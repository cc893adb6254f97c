"""Alembic revisions that run on SQLite or MySQL: their `op.*` calls name objects as the SQL
in their `op.execute` does, and make no type where the database has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.model import ops as o
from schemagate.model.names import QName
from tests.parse.alembic.helpers import lint_revisions
from tests.parse.alembic.test_frontend import ops_of, parse


def _rules(tmp_path: Path, folder: str, revisions: dict[str, tuple[str | None, str]],
           *rules: str) -> list[tuple[str, str]]:
    result = lint_revisions(tmp_path, revisions, folder)
    return [(f.rule, f.message) for f in result.active if f.rule in rules]


_TABLE = '''
    def upgrade():
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(20)))
'''

_TABLE_AND_INDEX = _TABLE + '''
        op.create_index("ix_t__name", "t", ["name"])
'''


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_names_the_call_gives_no_schema_are_the_databases_own(tmp_path: Path,
                                                               dialect: str) -> None:
    mig = parse(tmp_path, '''
        def upgrade():
            op.add_column("t", sa.Column("a", sa.Integer))
            op.create_index("ix_t__a", "t", ["a"])
            with op.batch_alter_table("t") as batch_op:
                batch_op.create_foreign_key("fk_t__a", "u", ["a"], ["id"])
    ''', dialect)
    column, index, fk = ops_of(mig)
    assert isinstance(column, o.AddColumn) and column.table == QName("", "t")
    assert isinstance(index, o.CreateIndex) and (index.name, index.table) == (
        QName("", "ix_t__a"), QName("", "t"))
    assert isinstance(fk, o.AddConstraint) and fk.table == QName("", "t")
    assert fk.constraint.ref_table == QName("", "u")


def test_an_index_made_by_a_call_and_dropped_by_sql_on_sqlite_is_dropped(
        tmp_path: Path) -> None:
    assert _rules(tmp_path, "sqlite", {
        "a1_t.py": (None, _TABLE),
        "a2_ix.py": ("a1_t", '''
            def upgrade():
                op.create_index("ix_t__name", "t", ["name"])

            def downgrade():
                op.execute("DROP INDEX ix_t__name")
        '''),
    }, "down-does-not-restore") == []


def test_an_update_of_a_column_added_just_before_on_sqlite_overwrites_nothing(
        tmp_path: Path) -> None:
    assert _rules(tmp_path, "sqlite", {
        "a1_t.py": (None, _TABLE),
        "a2_path.py": ("a1_t", '''
            def upgrade():
                op.add_column("t", sa.Column("path", sa.String(), nullable=True))
                op.execute(sa.text("UPDATE t SET path = '';"))

            def downgrade():
                op.drop_column("t", "path")
        '''),
    }, "delete-all-rows") == []


def test_a_table_renamed_by_sql_on_sqlite_keeps_its_indexes_for_the_calls_after(
        tmp_path: Path) -> None:
    assert _rules(tmp_path, "sqlite", {
        "a1_t.py": (None, _TABLE_AND_INDEX),
        "a2_rename.py": ("a1_t", '''
            def upgrade():
                op.execute("ALTER TABLE t RENAME TO t2")
                with op.batch_alter_table("t2") as batch_op:
                    batch_op.drop_index("ix_t__name")
                    batch_op.create_index("ix_t2__name", ["name"])

            def downgrade():
                with op.batch_alter_table("t2") as batch_op:
                    batch_op.drop_index("ix_t2__name")
                    batch_op.create_index("ix_t__name", ["name"])
                op.execute("ALTER TABLE t2 RENAME TO t")
        '''),
    }, "down-does-not-restore") == []


def test_an_index_of_a_mysql_table_is_the_same_by_a_call_or_by_sql(tmp_path: Path) -> None:
    # MySQL names an index within its table: `DROP INDEX ix ON t` drops the one of `t`.
    assert _rules(tmp_path, "mysql", {
        "a1_t.py": (None, _TABLE),
        "a2_ix.py": ("a1_t", '''
            def upgrade():
                op.create_index("ix_name", "t", ["name"])
                op.execute("CREATE INDEX ix_id ON t (id)")

            def downgrade():
                op.execute("DROP INDEX ix_name ON t")
                op.drop_index("ix_id", table_name="t")
        '''),
    }, "down-does-not-restore") == []


@pytest.mark.parametrize(("dialect", "expected"), [("sqlite", "varchar"),
                                                   ("mysql", "mysql.enum")])
def test_an_enum_is_a_column_type_and_no_named_type_where_the_database_has_none(
        tmp_path: Path, dialect: str, expected: str) -> None:
    mig = parse(tmp_path, '''
        def upgrade():
            op.create_table("run", sa.Column("state", sa.Enum("A", "B", name="state_type")))
            sa.Enum("X", name="kind").create(op.get_bind())
    ''', dialect)
    [table] = ops_of(mig)
    assert isinstance(table, o.CreateTable)
    assert str(table.columns[0].type) == expected


def test_dropping_a_table_with_an_enum_on_sqlite_leaves_no_type_behind(
        tmp_path: Path) -> None:
    assert _rules(tmp_path, "sqlite", {
        "a1_run.py": (None, '''
            def upgrade():
                op.create_table(
                    "run", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("state", sa.Enum("A", "B", name="state_type"), nullable=True))

            def downgrade():
                op.drop_table("run")
        '''),
    }, "down-does-not-restore") == []
