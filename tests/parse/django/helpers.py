"""Helpers for the Django frontend tests: a small project on disk, discovered and parsed."""

from __future__ import annotations

from pathlib import Path

from schemagate.model import ops as o
from schemagate.model.migration import ParsedMigration
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations

HEAD = '''from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
{body}
'''

INITIAL = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=50)),
            ],
        ),
    ]
'''


def project(tmp_path: Path, *bodies: str, app: str = "shop") -> list[ParsedMigration]:
    """Each body is a migration of `app`, numbered in order, each after the one before."""
    folder = tmp_path / app / "migrations"
    folder.mkdir(parents=True)
    previous = None
    for i, body in enumerate(bodies, start=1):
        deps = f'[("{app}", "{previous}")]' if previous else "[]"
        name = f"{i:04d}_step"
        text = body if "dependencies" in body else f"\n    dependencies = {deps}\n{body}"
        (folder / f"{name}.py").write_text(HEAD.format(body=text), encoding="utf-8")
        previous = name
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    assert loaded.errors == [] and found.errors == []
    return loaded.migrations


def up_ops(mig: ParsedMigration) -> list[o.Operation]:
    assert mig.up is not None
    return [op for st in mig.up.statements for op in st.ops]
