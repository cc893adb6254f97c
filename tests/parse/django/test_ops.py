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
