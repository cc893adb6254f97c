"""The Django frontend: what the schema editor would send, read from the files alone."""

from __future__ import annotations

import re
from pathlib import Path

from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.parse.django.fields import COLUMN_TYPES
from tests.parse.django.helpers import INITIAL, project, up_ops

DOCS = Path(__file__).parents[3] / "docs" / "django.md"


def test_a_model_gets_its_apps_table_and_an_identity_key(tmp_path: Path) -> None:
    create = up_ops(project(tmp_path, INITIAL)[0])[0]
    assert isinstance(create, o.CreateTable)
    assert create.table == QName.of("shop_account")
    key, name = create.columns
    assert (key.name, str(key.type), key.identity, key.not_null) == ("id", "int8", True, True)
    assert (name.name, str(name.type), name.not_null) == ("name", "varchar(50)", True)


def test_db_table_names_the_table_for_later_operations(tmp_path: Path) -> None:
    initial = INITIAL.replace(
        "            ],\n", '            ],\n            options={"db_table": "accounts"},\n')
    later = '''
    operations = [
        migrations.RemoveField(model_name="account", name="name"),
    ]
'''
    drop = up_ops(project(tmp_path, initial, later)[1])[0]
    assert isinstance(drop, o.DropColumn) and drop.table == QName.of("accounts")


def test_a_foreign_key_is_a_deferrable_constraint_with_an_index(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="parent",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, to="shop.account"),
        ),
    ]
'''
    add, index = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(add, o.AddColumn) and isinstance(index, o.CreateIndex)
    assert (add.column.name, str(add.column.type)) == ("parent_id", "int8")
    (fk,) = add.constraints
    assert fk.kind == "foreign" and fk.deferrable and fk.ref_table == QName.of("shop_account")
    assert index.columns == ("parent_id",) and not index.concurrently


def test_a_default_is_sent_as_a_constant_then_dropped(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="plan",
            field=models.CharField(default="free", max_length=10),
        ),
    ]
'''
    add, drop_default = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(add, o.AddColumn) and add.column.default is not None
    assert add.column.default.constant and add.column.not_null
    assert isinstance(drop_default, o.SetDefault) and drop_default.default is None


def test_a_db_default_stays(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="active",
            field=models.BooleanField(db_default=True),
        ),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, later)[1])
    assert [type(op) for op in ops] == [o.AddColumn]


def test_alter_field_sends_only_what_differs(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterField(
            model_name="account",
            name="name",
            field=models.CharField(max_length=80),
        ),
    ]
'''
    (change,) = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(change, o.AlterColumnType)
    assert (str(change.old_type), str(change.new_type)) == ("varchar(50)", "varchar(80)")


def test_run_sql_is_parsed_with_lines_in_the_python_file(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RunSQL(
            """
            UPDATE shop_account SET name = upper(name);
            DELETE FROM shop_account;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
'''
    mig = project(tmp_path, INITIAL, later)[1]
    update, delete = up_ops(mig)
    assert isinstance(update, o.UpdateRows) and isinstance(delete, o.DeleteRows)
    text = (tmp_path / "shop" / "migrations" / "0002_step.py").read_text().splitlines()
    assert "DELETE FROM" in text[delete.span.line - 1]
    assert mig.down is not None and not mig.down.declared_irreversible


def test_run_sql_of_a_formatted_string_literal_is_read(tmp_path: Path) -> None:
    # taiga's json_to_jsonb migrations: the table and column are given to `.format()` of the
    # literal, as they would be to a module constant's.
    later = '''
    operations = [
        migrations.RunSQL(
            """
            ALTER TABLE "{table_name}"
               ALTER COLUMN "{column_name}" TYPE text USING "{column_name}"::text;
            """.format(
                table_name="shop_account",
                column_name="name",
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL("UPDATE {} SET name = {}".format("shop_account", 1)),
    ]
'''
    change, update = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(change, o.AlterColumnType) and change.table == QName.of("shop_account")
    assert (change.column, str(change.new_type)) == ("name", "text")
    assert isinstance(update, o.UpdateRows) and update.columns == ("name",)


def test_run_sql_keeps_where_an_over_long_identifier_is_written(tmp_path: Path) -> None:
    # PostgreSQL cuts the index's name to 63 bytes: identifier-too-long points at the name
    # inside the Python string, as it does in a .sql file.
    name = "shop_account_name_lookup_index_for_the_nightly_reconciliation_job_x"
    later = f'''
    operations = [
        migrations.RunSQL(
            "CREATE INDEX {name} ON shop_account (name)",
            reverse_sql="DROP INDEX {name}",
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, later)
    result = lint(migs, Settings(select=("identifier-too-long",)))
    text = (tmp_path / "shop" / "migrations" / "0002_step.py").read_text().splitlines()
    line = next(i for i, row in enumerate(text, start=1) if "CREATE INDEX" in row)
    column = text[line - 1].index(name) + 1
    assert [(f.span.line, f.span.column, f.span.end_column, f.message)
            for f in result.active] == [
        (line, column, column + len(name) - 1,
         f"identifier `{name}` is {len(name)} bytes: PostgreSQL truncates it to 63")]


def test_a_join_table_made_with_its_model_points_at_its_field(tmp_path: Path) -> None:
    # CreateModel makes the join table of each many-to-many field; a finding on it (its
    # int4 key, the lock on the table it references) belongs to the field's line.
    later = '''
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("accounts", models.ManyToManyField(to="shop.account")),
            ],
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, later)
    result = lint(migs, Settings(select=("prefer-bigint",)))
    text = (tmp_path / "shop" / "migrations" / "0002_step.py").read_text().splitlines()
    field = next(i for i, row in enumerate(text, start=1) if "ManyToManyField" in row)
    assert [(f.span.line, f.object) for f in result.active
            if "shop_tag_accounts" in (f.object or "")] == [
        (field, "public.shop_tag_accounts.id")]


def test_run_python_without_reverse_code_has_no_way_back(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RunPython(lambda apps, editor: None),
    ]
'''
    mig = project(tmp_path, INITIAL, later)[1]
    (raw,) = up_ops(mig)
    assert isinstance(raw, o.RawSQL) and raw.statement_kind == "RunPython"
    assert mig.down is not None and mig.down.declared_irreversible


def test_only_database_operations_of_separate_database_and_state_reach_the_database(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="account", name="name"),
            ],
            database_operations=[
                migrations.RunSQL("ALTER TABLE shop_account ALTER name DROP NOT NULL",
                                  migrations.RunSQL.noop),
            ],
        ),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, later)[1])
    assert [type(op) for op in ops] == [o.DropNotNull]


MEMBERSHIP = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Group",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("group", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="shop.group")),
            ],
        ),
    ]
'''


def test_database_operations_run_before_the_state_operations_written_above_them(
        tmp_path: Path) -> None:
    # Django's `database_forwards` runs the database operations against the state before
    # the SeparateDatabaseAndState, each advancing a copy of it: the DeleteModel written
    # first does not hide the model from them (netbox tenancy/0020).
    later = '''
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Membership")],
            database_operations=[
                migrations.AlterModelTable(name="Membership", table="shop_volume"),
                migrations.RenameField(
                    model_name="membership", old_name="group", new_name="label"),
            ],
        ),
    ]
'''
    migs = project(tmp_path, MEMBERSHIP, later)
    # The relation's foreign key is dropped and made again around the rename of its column
    # (a real run finds it on the renamed table; sqlmigrate, on a database where the
    # table was not renamed yet, finds none and shows the RENAME COLUMN alone).
    rename_table, drop_fk, rename_column, add_fk = up_ops(migs[1])
    assert rename_table == o.RenameTable(span=rename_table.span, table=QName.of(
        "shop_membership"), new_name="shop_volume")
    assert rename_column == o.RenameColumn(span=rename_column.span, statement=1,
                                           table=QName.of("shop_volume"), column="group_id",
                                           new_name="label_id")
    assert isinstance(drop_fk, o.DropConstraint) and isinstance(add_fk, o.AddConstraint)
    assert add_fk.constraint.columns == ("label_id",)
    result = lint(project(tmp_path / "lint", MEMBERSHIP, later), Settings(select=("all",)))
    assert [f.rule for f in result.findings if f.rule == "unknown-object"] == []


def test_the_state_after_separate_database_and_state_is_that_of_its_state_operations(
        tmp_path: Path) -> None:
    # The database operations moved a copy of the state: the project's model keeps its
    # table, which the state operations did not change.
    later = '''
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="Membership", table="shop_volume"),
            ],
        ),
    ]
'''
    last = '''
    operations = [
        migrations.RemoveField(model_name="membership", name="group"),
    ]
'''
    (drop,) = up_ops(project(tmp_path, MEMBERSHIP, later, last)[2])
    assert isinstance(drop, o.DropColumn)
    assert (drop.table, drop.column) == (QName.of("shop_membership"), "group_id")


def test_a_non_atomic_migration_runs_outside_a_transaction(tmp_path: Path) -> None:
    later = '''
    atomic = False

    operations = [
        migrations.RemoveField(model_name="account", name="name"),
    ]
'''
    mig = project(tmp_path, INITIAL, later)[1]
    assert mig.up is not None and not mig.up.statements[0].in_transaction
    first = project(tmp_path / "x", INITIAL)[0]
    assert first.up is not None and first.up.statements[0].in_transaction


def test_an_unknown_operation_is_an_unmodelled_statement_not_an_error(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterOrderWithRespectTo(name="account", order_with_respect_to="name"),
    ]
'''
    (raw,) = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(raw, o.RawSQL) and "AlterOrderWithRespectTo" in raw.reason


def test_a_comment_above_the_operation_suppresses_its_finding(tmp_path: Path) -> None:
    later = '''
    operations = [
        # schemagate: ignore drop-column -- the column is unused since v2
        migrations.RemoveField(model_name="account", name="name"),
    ]
'''
    result = lint(project(tmp_path, INITIAL, later), Settings(select=("drop-column",)))
    assert [f.rule for f in result.findings] == ["drop-column"]
    assert result.active == []


def test_django_migration_linters_ignore_marker_silences_the_file(tmp_path: Path) -> None:
    later = '''
    operations = [
        IgnoreMigration(),
        migrations.RemoveField(model_name="account", name="name"),
    ]
'''
    result = lint(project(tmp_path, INITIAL, later), Settings(select=("drop-column",)))
    assert result.active == [] and len(result.findings) == 1


def test_the_field_type_table_in_the_docs_is_the_one_the_code_uses() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| *(identity)? *\|$", DOCS.read_text(),
                      re.MULTILINE)
    documented = {}
    for cls, text, identity in rows:
        name, _, mods = text.partition("(")
        modifiers = tuple(m.strip() for m in mods.rstrip(")").split(",")) if mods else ()
        documented[cls] = (name, modifiers, identity == "identity")
    assert documented == COLUMN_TYPES


def test_a_blank_text_field_fills_existing_rows_with_the_empty_string(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="about",
            field=models.TextField(blank=True),
        ),
    ]
'''
    add, drop_default = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(add, o.AddColumn) and add.column.default is not None
    assert add.column.default.sql == "''" and isinstance(drop_default, o.SetDefault)


def test_an_operation_class_defined_in_the_file_is_read_as_its_base(tmp_path: Path) -> None:
    later = '''
    operations = [
        DeleteModelIfExists(name="Account"),
    ]


class DeleteModelIfExists(migrations.DeleteModel):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        super().database_forwards(app_label, schema_editor, from_state, to_state)
'''
    (drop,) = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(drop, o.DropTable) and drop.tables == (QName.of("shop_account"),)
