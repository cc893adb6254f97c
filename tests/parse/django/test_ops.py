"""Django operations to IR: what the PostgreSQL schema editor sends for each of them."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.settings import Settings
from tests.parse.django.helpers import INITIAL, project, up_ops


def test_remove_field_drops_with_cascade_sent_by_django(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RemoveField(model_name="account", name="name"),
    ]
'''
    (drop,) = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(drop, o.DropColumn) and drop.cascade and drop.cascade_by == "Django"


def test_delete_model_drops_its_table_with_cascade_sent_by_django(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.DeleteModel(name="Account"),
    ]
'''
    (drop,) = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(drop, o.DropTable) and drop.cascade and drop.cascade_by == "Django"


def test_run_python_is_one_statement_whatever_its_reverse(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RunPython(fill, reverse_code=unfill),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
'''
    mig = project(tmp_path, INITIAL, later)[1]
    raws = up_ops(mig)
    assert [type(op) for op in raws] == [o.RawSQL, o.RawSQL]
    assert all(isinstance(op, o.RawSQL) and op.statement_kind == o.DATA_MIGRATION
               for op in raws)
    assert mig.down is not None and mig.down.statements == []
    assert not mig.down.declared_irreversible
    result = lint(project(tmp_path / "lint", INITIAL, later), Settings(select=("all",)))
    assert sorted((f.rule, f.span.line) for f in result.findings
                  if f.span.path.endswith("0002_step.py")) == [
        ("unmodelled-statement", 10), ("unmodelled-statement", 11)]


FK_ADDED = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="parent",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, to="shop.account"),
        ),
    ]
'''


def test_altering_a_foreign_key_field_drops_its_constraint_and_makes_it_again(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterField(
            model_name="account",
            name="parent",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, to="shop.account"),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, FK_ADDED, later)
    (fk,) = [c for op in up_ops(migs[1]) if isinstance(op, o.AddColumn)
             for c in op.constraints]
    drop, not_null, add = up_ops(migs[2])
    assert isinstance(drop, o.DropConstraint) and drop.name == fk.name
    assert isinstance(not_null, o.SetNotNull)
    assert isinstance(add, o.AddConstraint) and add.constraint == fk


def test_a_change_django_does_not_send_leaves_the_foreign_key_alone(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterField(
            model_name="account",
            name="parent",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="children", to="shop.account"),
        ),
    ]
'''
    assert up_ops(project(tmp_path, INITIAL, FK_ADDED, later)[2]) == []


def test_to_field_points_the_foreign_key_at_that_column(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="code",
            field=models.CharField(max_length=12, unique=True, null=True),
        ),
        migrations.AlterField(
            model_name="account",
            name="parent",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, to="shop.account",
                to_field="code"),
        ),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, FK_ADDED, later)[2])
    alter_type = next(op for op in ops if isinstance(op, o.AlterColumnType))
    assert str(alter_type.new_type) == "varchar(12)"
    add = next(op for op in ops if isinstance(op, o.AddConstraint))
    assert add.constraint.kind == "foreign" and add.constraint.ref_columns == ("code",)
    assert any(isinstance(op, o.DropConstraint) for op in ops)
