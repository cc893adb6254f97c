"""verify on a Django project, through Django's own migration executor on real PostgreSQL.

Fixture tests/fixtures/verify/django_project: manage.py naming shopsite.settings, and the
shop app's migrations (a swappable dependency on the user model, a ManyToManyField, RunSQL
with its reverse, RunPython with a no-op reverse). Django is imported in a child process
with the project's settings; the test skips where Django is not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schemagate.verify import VerifyResult
from tests.verify.helpers import VERIFY, verify_folder

pytest.importorskip("django", reason="verify runs Django migrations through Django itself")

PROJECT = VERIFY / "django_project"
IRREVERSIBLE = '''from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("shop", "Product").objects.update(name="x")


class Migration(migrations.Migration):

    dependencies = [("shop", "0003_product_search_view")]

    operations = [
        migrations.RunPython(fill),
    ]
'''


# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


@pytest.fixture(scope="module")
def shop(pg_server: str) -> VerifyResult:
    return verify_folder(PROJECT / "shop", pg_server)


def test_every_migration_runs_up_down_up_through_django(shop: VerifyResult) -> None:
    assert [m.name for m in shop.migrations] == [
        "0001_initial", "0002_product_tags_product_is_published", "0003_product_search_view"]
    for m in shop.migrations:
        assert m.up.ok and m.down.ok and m.up_again.ok, (m.name, m.up.error, m.down.error)
        assert m.schema_restored is True, (m.name, m.schema_differences)
    assert shop.unrunnable == [] and shop.exit_code == 0 and shop.gate.passed


def test_what_django_sends_is_recorded_with_its_time(shop: VerifyResult) -> None:
    second = shop.migrations[1]
    sent = [st.sql for st in second.up.statements]
    assert any(s.startswith('CREATE TABLE "shop_product_related"') for s in sent), sent
    assert any(s.startswith('CREATE INDEX "shop_product_pub_name_idx"') for s in sent), sent
    # Django's bookkeeping (django_migrations, catalog reads) is not the migration's.
    assert not any("django_migrations" in s for s in sent)
    assert all(st.traced.startswith("sent by Django") for st in second.up.statements)
    assert second.up.ms > 0


def test_a_run_python_without_reverse_code_fails_rollback(pg_server: str,
                                                          tmp_path: Path) -> None:
    project = tmp_path / "django_project"
    shutil.copytree(PROJECT, project)
    (project / "shop" / "migrations" / "0004_fill_names.py").write_text(IRREVERSIBLE)
    result = verify_folder(project / "shop", pg_server)
    last = result.migrations[-1]
    assert last.name == "0004_fill_names" and last.up.ok and not last.has_down
    assert not result.gate.passed


def test_without_manage_py_verify_says_what_it_needs(pg_server: str, tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "shop", tmp_path / "shop")
    result = verify_folder(tmp_path / "shop", pg_server)
    assert result.exit_code == 2
    assert "no manage.py above" in result.unrunnable[0]


def test_settings_that_do_not_import_make_verify_unable_to_run(pg_server: str,
                                                                tmp_path: Path) -> None:
    project = tmp_path / "django_project"
    shutil.copytree(PROJECT, project)
    (project / "shopsite" / "settings.py").write_text("import not_installed_anywhere\n")
    result = verify_folder(project / "shop", pg_server)
    assert result.exit_code == 2
    assert "Django could not start" in result.unrunnable[0]
    assert "not_installed_anywhere" in result.unrunnable[0]
