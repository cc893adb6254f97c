"""Discovering Django migrations: apps, labels, one history per project, graph order."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, write

PROJECT = LAYOUTS / "django"

MIGRATION = '''from django.db import migrations


class Migration(migrations.Migration):

    dependencies = {deps}
{extra}
    operations = []
'''


def write_migration(root: Path, app: str, name: str, deps: list[tuple[str, str]],
                    extra: str = "") -> Path:
    return write(root / app / "migrations" / f"{name}.py",
                 MIGRATION.format(deps=repr(deps), extra=extra))


def versions(root: Path) -> list[str | None]:
    return [m.version for m in discover(["."], cwd=root).migrations]


def test_the_fixture_project_is_one_history_in_djangos_plan_order() -> None:
    # Leaves by (app, name), each after its ancestors, depth first: catalog's leaf, then
    # orders' first leaf pulls in users (its parent sorted last is visited first).
    found = discover([PROJECT])
    assert found.errors == []
    assert [m.version for m in found.migrations] == [
        "catalog.0001_squashed_0002_product_sku", "catalog.0003_product_price",
        "users.0001_initial", "users.0002_user_email", "orders.0001_initial",
        "orders.0002_order_note", "orders.0003_order_status", "orders.0003_order_total"]
    assert len({m.history for m in found.migrations}) == 1
    assert all(m.layout == "django" for m in found.migrations)


def test_the_app_label_comes_from_apps_py() -> None:
    found = discover([PROJECT])
    accounts = [m for m in found.migrations if "/accounts/" in (m.up.path if m.up else "")]
    assert {m.version.split(".")[0] for m in accounts if m.version} == {"users"}


def test_files_without_a_migration_class_are_not_migrations() -> None:
    found = discover([PROJECT])
    assert not any(m.name in ("helpers", "__init__") for m in found.migrations)


def test_a_squash_replaces_its_members_and_dependencies_on_them() -> None:
    found = discover([PROJECT])
    by_version = {m.version: m for m in found.migrations}
    assert "catalog.0001_initial" not in by_version
    assert "catalog.0002_product_sku" not in by_version
    assert by_version["catalog.0003_product_price"].requires == (
        "catalog.0001_squashed_0002_product_sku",)
    assert any("squashed" in n.message for n in found.notices)


def test_run_before_makes_the_named_migration_depend_on_this_one() -> None:
    found = discover([PROJECT])
    by_version = {m.version: m for m in found.migrations}
    assert "users.0002_user_email" in by_version["orders.0002_order_note"].requires


def test_first_and_latest_resolve_to_the_apps_first_and_last_migration() -> None:
    found = discover([PROJECT])
    by_version = {m.version: m for m in found.migrations}
    assert "users.0001_initial" in by_version["orders.0001_initial"].requires
    assert "catalog.0003_product_price" in by_version["orders.0003_order_total"].requires


def test_a_dependency_on_an_app_outside_the_project_is_left_out(tmp_path: Path) -> None:
    write_migration(tmp_path, "shop", "0001_initial", [("auth", "0012_alter_user")])
    found = discover(["."], cwd=tmp_path)
    assert [m.requires for m in found.migrations] == [()]


def test_a_dependency_on_a_later_app_orders_it_first(tmp_path: Path) -> None:
    write_migration(tmp_path, "alpha", "0001_initial", [("zeta", "0001_initial")])
    write_migration(tmp_path, "zeta", "0001_initial", [])
    assert versions(tmp_path) == ["zeta.0001_initial", "alpha.0001_initial"]


def test_a_missing_dependency_is_kept_for_the_history_rules(tmp_path: Path) -> None:
    write_migration(tmp_path, "shop", "0001_initial", [])
    write_migration(tmp_path, "shop", "0002_next", [("shop", "0001_gone")])
    found = discover(["."], cwd=tmp_path)
    assert found.migrations[-1].requires == ("shop.0001_gone",)


def test_a_named_file_brings_its_app_as_context(tmp_path: Path) -> None:
    write_migration(tmp_path, "shop", "0001_initial", [])
    second = write_migration(tmp_path, "shop", "0002_next", [("shop", "0001_initial")])
    found = discover([second], cwd=tmp_path)
    assert [(m.name, m.context_only) for m in found.migrations] == [
        ("0001_initial", True), ("0002_next", False)]


def test_a_migration_of_an_app_sorted_first_runs_before_an_unrelated_later_app(
        tmp_path: Path) -> None:
    write_migration(tmp_path, "alpha", "0001_initial", [("zeta", "0001_initial")])
    write_migration(tmp_path, "alpha", "0002_more", [("alpha", "0001_initial")])
    write_migration(tmp_path, "zeta", "0001_initial", [])
    write_migration(tmp_path, "zeta", "0002_more", [("zeta", "0001_initial")])
    assert versions(tmp_path) == ["zeta.0001_initial", "alpha.0001_initial",
                                  "alpha.0002_more", "zeta.0002_more"]


def test_a_cycle_keeps_every_migration(tmp_path: Path) -> None:
    write_migration(tmp_path, "shop", "0001_a", [("shop", "0002_b")])
    write_migration(tmp_path, "shop", "0002_b", [("shop", "0001_a")])
    assert versions(tmp_path) == ["shop.0001_a", "shop.0002_b"]


def test_sql_files_in_a_django_migrations_package_are_not_migrations(tmp_path: Path) -> None:
    # Flagsmith's segments/migrations/sql/0023_*.sql: the body of a RunSQL that reads the
    # file; linted alone, its UPDATE of a column the migration had just added read as the
    # overwriting of every row.
    write(tmp_path / "segments/migrations/__init__.py", "")
    write(tmp_path / "segments/migrations/0001_initial.py",
          "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
          "    initial = True\n    operations = []\n")
    write(tmp_path / "segments/migrations/sql/0023_versioning.sql",
          "UPDATE segments_segment SET version_of_id = id;\n")
    write(tmp_path / "segments/migrations/0002_fill.sql", "SELECT 1;\n")
    # A `migrations/sql/` folder that is no Python package is plain SQL as ever.
    write(tmp_path / "db/migrations/sql/001_users.sql", "CREATE TABLE users (id int);\n")
    found = discover(["."], cwd=tmp_path)
    assert sorted((m.layout, (m.up or m.down).path) for m in found.migrations
                  if m.up or m.down) == [
        ("django", "segments/migrations/0001_initial.py"),
        ("sql", "db/migrations/sql/001_users.sql")]
    assert sorted(n.message.split(":")[0] for n in found.notices) == [
        "1 .sql file in a Django app's migrations package",
        "1 .sql file in a Django app's migrations package"]
