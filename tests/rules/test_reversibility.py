"""What the reversibility rules say (`rules/reversibility.py`), message by message, on SQL,
Alembic and Django histories linted as the command line lints them."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import lint_dialect_history

BASE = {
    "000001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, "
                              "code varchar(255));\n",
    "000001_accounts.down.sql": "DROP TABLE accounts;\n",
}


def lost(tmp_path: Path, up: str, down: str) -> list[str]:
    result = lint_dialect_history(tmp_path, {
        **BASE, "000002_change.up.sql": up, "000002_change.down.sql": down}, "postgres")
    return [f.message for f in result.active if f.rule == "irreversible-data-loss"]


def test_a_scratch_column_the_up_path_adds_and_drops_holds_nothing_of_the_database(
        tmp_path: Path) -> None:
    # redash's 640888ce445d: copy aside, drop, add again, fill, drop the copy.
    up = ("ALTER TABLE accounts ADD COLUMN old_code varchar(255);\n"
          "UPDATE accounts SET old_code = code;\n"
          "ALTER TABLE accounts DROP COLUMN code;\n"
          "ALTER TABLE accounts ADD COLUMN code text;\n"
          "UPDATE accounts SET code = upper(old_code);\n"
          "ALTER TABLE accounts ALTER COLUMN old_code TYPE varchar(10);\n"
          "ALTER TABLE accounts DROP COLUMN old_code;\n")
    assert lost(tmp_path, up, "ALTER TABLE accounts ALTER COLUMN code TYPE varchar(255);\n"
                ) == ["the down path cannot bring back column public.accounts.code: take a "
                      "backup first (`schemagate backup`)"]


def test_a_column_that_was_there_before_if_not_exists_is_still_lost(tmp_path: Path) -> None:
    up = ("ALTER TABLE accounts ADD COLUMN IF NOT EXISTS code varchar(255);\n"
          "ALTER TABLE accounts DROP COLUMN code;\n")
    assert lost(tmp_path, up, "ALTER TABLE accounts ADD COLUMN code varchar(255);\n") == [
        "the down path cannot bring back column public.accounts.code: take a backup first "
        "(`schemagate backup`)"]


def lint_tree(root: Path) -> LintResult:
    """The migrations under ``root`` discovered and linted as the command line does."""
    found = discover(["."], cwd=root)
    loaded = load_migrations(found.migrations, root=root)
    assert not found.errors and not loaded.errors, found.errors + loaded.errors
    return lint(loaded.migrations, Settings(select=("all",)))


def findings(result: LintResult, rule: str) -> list[tuple[int, str, str]]:
    return [(f.span.line, str(f.severity), f.message) for f in result.active if f.rule == rule]


ALEMBIC_BASE = '''"""Revision ID: a1
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("item", sa.Column("id", sa.BigInteger(), primary_key=True),
                    sa.Column("flag", sa.Boolean(), nullable=True),
                    sa.Column("legacy_flag", sa.Boolean(), nullable=True))


def downgrade():
    op.drop_table("item")
'''

ALEMBIC_DROP = '''"""Revision ID: a2
Revises: a1
"""
import sqlalchemy as sa
from alembic import op

from shop.migrating import copy_flags_back

revision = "a2"
down_revision = "a1"


def upgrade():
{up}


def downgrade():
{down}
'''


def alembic_history(tmp_path: Path, up: str, down: str) -> LintResult:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_item.py").write_text(ALEMBIC_BASE)
    (versions / "a2_drop.py").write_text(ALEMBIC_DROP.format(up=up, down=down))
    return lint_tree(tmp_path)


READD = '    op.add_column("item", sa.Column("flag", sa.Boolean(), nullable=True))\n'
MAY = ("the down path may bring back column public.item.flag (line {line} writes from code "
       "or data the tool does not check): whether the values come back is not verified")


@pytest.mark.parametrize("refill", [
    '    op.execute(sa.text("UPDATE item SET flag = legacy_flag"))',
    '    op.execute("UPDATE item SET flag = l.flag FROM legacy l WHERE l.id = item.id")',
    '    copy_flags_back(op.get_bind())',
    '    conn = op.get_bind()\n'
    '    for item_id, flag in conn.execute(sa.text("SELECT id, flag FROM legacy")):\n'
    '        conn.execute(sa.text("UPDATE item SET flag = :flag WHERE id = :id"),\n'
    '                     {"flag": flag, "id": item_id})',
    '    op.execute("UPDATE item SET flag = true WHERE id IN (SELECT id FROM flagged)")',
], ids=["other-column", "other-table", "opaque-call", "row-by-row", "rows-another-picks"])
def test_a_column_the_down_path_fills_from_elsewhere_may_come_back(
        tmp_path: Path, refill: str) -> None:
    result = alembic_history(tmp_path, '    op.drop_column("item", "flag")', READD + refill)
    line = next(n for n, text in enumerate(
        (tmp_path / "alembic/versions/a2_drop.py").read_text().splitlines(), 1)
        if "flag = " in text or ("copy_flags_back(" in text and "import" not in text))
    assert findings(result, "irreversible-data-loss") == [
        (14, "info", MAY.format(line=line))]


@pytest.mark.parametrize("refill", [
    "",
    '    op.execute("UPDATE item SET flag = false")',
    '    op.execute("UPDATE item SET flag = NULL WHERE id > 10")',
], ids=["nothing", "constant", "null"])
def test_a_column_the_down_path_adds_back_empty_or_constant_is_lost(
        tmp_path: Path, refill: str) -> None:
    result = alembic_history(tmp_path, '    op.drop_column("item", "flag")', READD + refill)
    assert findings(result, "irreversible-data-loss") == [
        (14, "warning", "the down path cannot bring back column public.item.flag: take a "
                        "backup first (`schemagate backup`)")]


REBUILD = ("CREATE TABLE new_ciphers (uuid TEXT NOT NULL PRIMARY KEY, user_uuid TEXT "
           "REFERENCES users (uuid){extra});\n"
           "INSERT INTO new_ciphers SELECT uuid, user_uuid FROM ciphers;\n"
           "DROP TABLE ciphers;\nALTER TABLE new_ciphers RENAME TO ciphers;\n")


@pytest.mark.parametrize(("extra", "left"), [
    ("", []),
    (", UNIQUE (user_uuid)", ["constraint on ciphers(user_uuid) is left behind",
                              "index new_ciphers_user_uuid_key is left behind"]),
], ids=["same-keys", "one-more-key"])
def test_unnamed_keys_of_a_table_rebuilt_under_a_scratch_name_are_known_by_what_they_are(
        tmp_path: Path, extra: str, left: list[str]) -> None:
    # Vaultwarden's SQLite add_favorites_table: ciphers is rebuilt as new_ciphers and
    # renamed; its down path adds the column back to the rebuilt table. Its unnamed primary
    # and foreign keys are the ones it had, whatever name the scratch table gave them.
    result = lint_dialect_history(tmp_path, {
        "001_init.up.sql": "CREATE TABLE users (uuid TEXT NOT NULL PRIMARY KEY);\n"
                           "CREATE TABLE ciphers (uuid TEXT NOT NULL PRIMARY KEY, user_uuid "
                           "TEXT REFERENCES users (uuid), favorite BOOLEAN);\n",
        "001_init.down.sql": "DROP TABLE ciphers;\nDROP TABLE users;\n",
        "002_favorites.up.sql": REBUILD.format(extra=extra),
        "002_favorites.down.sql": "ALTER TABLE ciphers ADD COLUMN favorite BOOLEAN;\n"},
        "sqlite")
    found = [f.message for f in result.active if f.rule == "down-does-not-restore"]
    if not left:
        assert found == []
    else:
        assert len(found) == 1 and found[0].split(": ", 1)[1].split("; ") == left


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_a_constant_set_on_the_rows_another_table_picks_may_bring_the_column_back(
        tmp_path: Path, dialect: str) -> None:
    # Vaultwarden's add_favorites_table: the down path sets the flag again on the rows the
    # favorites table names, in each of its three dialects alike.
    result = lint_dialect_history(tmp_path, {
        **BASE,
        "000002_favorites.up.sql": "CREATE TABLE favorites (account_id bigint);\n"
                                   "ALTER TABLE accounts DROP COLUMN code;\n",
        "000002_favorites.down.sql":
            "ALTER TABLE accounts ADD COLUMN code varchar(255);\n"
            "UPDATE accounts SET code = 'x' WHERE EXISTS (\n"
            "  SELECT * FROM favorites WHERE favorites.account_id = accounts.id);\n"
            "DROP TABLE favorites;\n"}, dialect)
    assert [(f.severity.name.lower(), f.message.split(" (")[0]) for f in result.active
            if f.rule == "irreversible-data-loss" and "code" in f.message] == [
        ("info", f"the down path may bring back column "
                 f"{'public.' if dialect == 'postgres' else ''}accounts.code")]


def test_a_column_filled_before_the_down_path_adds_it_is_lost(tmp_path: Path) -> None:
    down = '    copy_flags_back(op.get_bind())\n' + READD
    result = alembic_history(tmp_path, '    op.drop_column("item", "flag")', down)
    assert [severity for _, severity, _ in findings(result, "irreversible-data-loss")] == [
        "warning"]


def test_a_column_filled_under_another_name_and_renamed_may_come_back(tmp_path: Path) -> None:
    # Prefect's 94622c1663e8: the down path adds the column under a new name, fills it row by
    # row from Python, drops the one the up path made and renames its own.
    down = ('    op.add_column("item", sa.Column("old_flag", sa.Boolean(), nullable=True))\n'
            '    conn = op.get_bind()\n'
            '    for item_id, flag in conn.execute(sa.text("SELECT id, legacy_flag FROM item")):\n'
            '        conn.execute(sa.text("UPDATE item SET old_flag = :f WHERE id = :id"),\n'
            '                     {"f": flag, "id": item_id})\n'
            '    op.alter_column("item", "old_flag", new_column_name="flag")')
    result = alembic_history(tmp_path, '    op.drop_column("item", "flag")', down)
    assert findings(result, "irreversible-data-loss") == [(14, "info", MAY.format(line=21))]


def test_rows_the_down_path_inserts_from_run_time_values_may_come_back(
        tmp_path: Path) -> None:
    # Prefect's 9e83011d1f2a: the rows deleted are inserted again, one by one, from another
    # table's.
    down = ('    conn = op.get_bind()\n'
            '    for row in conn.execute(sa.text("SELECT id FROM legacy")).fetchall():\n'
            '        conn.execute(sa.text("INSERT INTO item (id) VALUES (:id)"), {"id": row.id})')
    result = alembic_history(tmp_path, '    op.execute("DELETE FROM item")', down)
    assert findings(result, "irreversible-data-loss") == [
        (14, "info", "the down path may bring back rows of public.item (line 20 writes from "
                     "code or data the tool does not check): whether the values come back is "
                     "not verified")]


def test_rows_the_down_path_inserts_as_constants_are_lost(tmp_path: Path) -> None:
    down = '    op.execute("INSERT INTO item (id, flag) VALUES (1, true)")'
    result = alembic_history(tmp_path, '    op.execute("DELETE FROM item")', down)
    assert [severity for _, severity, _ in findings(result, "irreversible-data-loss")] == [
        "warning"]


def test_a_table_the_down_path_creates_and_fills_by_a_query_may_come_back(
        tmp_path: Path) -> None:
    down = ('    op.create_table("item", sa.Column("id", sa.BigInteger(), primary_key=True))\n'
            '    op.execute("INSERT INTO item (id) SELECT id FROM item_archive")')
    result = alembic_history(tmp_path, '    op.drop_table("item")', down)
    assert [(severity, message.split(" (")[0]) for _, severity, message in
            findings(result, "irreversible-data-loss")] == [
        ("info", "the down path may bring back table public.item")]


DJANGO_INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("flag", models.BooleanField(default=False)),
            ],
        ),
    ]
'''

DJANGO_REMOVE = '''from django.db import migrations


def forward(apps, schema_editor):
    Item = apps.get_model("shop", "Item")
    Item.objects.filter(flag=True).update(note="flagged")


def backward(apps, schema_editor):
    Item = apps.get_model("shop", "Item")
    Item.objects.filter(note="flagged").update(flag=True)


class Migration(migrations.Migration):

    dependencies = [("shop", "0001_initial")]

    operations = [
        {first},
        {second},
    ]
'''

RUN_PYTHON = "migrations.RunPython(forward, reverse_code={reverse})"
REMOVE_FIELD = 'migrations.RemoveField("item", "flag")'


def django_history(tmp_path: Path, first: str, second: str) -> LintResult:
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "0001_initial.py").write_text(DJANGO_INITIAL)
    (app / "0002_remove_flag.py").write_text(DJANGO_REMOVE.format(first=first, second=second))
    return lint_tree(tmp_path)


def test_a_field_a_reverse_function_runs_after_django_adds_it_back_may_come_back(
        tmp_path: Path) -> None:
    # paperless-ngx's documents/0014: reversed, Django adds the column back, then runs
    # `backward`, which sets the values again.
    result = django_history(tmp_path, RUN_PYTHON.format(reverse="backward"), REMOVE_FIELD)
    assert findings(result, "irreversible-data-loss") == [
        (20, "info", "the down path may bring back column public.shop_item.flag (line 19 "
                     "writes from code or data the tool does not check): whether the values "
                     "come back is not verified")]


@pytest.mark.parametrize("first, second", [
    (RUN_PYTHON.format(reverse="migrations.RunPython.noop"), REMOVE_FIELD),
    (REMOVE_FIELD, RUN_PYTHON.format(reverse="backward")),
], ids=["noop-reverse", "reverse-runs-before-the-field-is-back"])
def test_a_field_no_reverse_function_refills_is_lost(tmp_path: Path, first: str,
                                                     second: str) -> None:
    result = django_history(tmp_path, first, second)
    assert [severity for _, severity, _ in findings(result, "irreversible-data-loss")] == [
        "warning"]


BOOLEAN_BASE = ALEMBIC_BASE.replace(
    'sa.Column("flag", sa.Boolean(), nullable=True)',
    'sa.Column("flag", sa.Boolean(), server_default="0", nullable=True)')


def test_a_boolean_default_written_another_way_is_restored(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_item.py").write_text(BOOLEAN_BASE)
    (versions / "a2_drop.py").write_text(ALEMBIC_DROP.format(
        up='    op.drop_column("item", "flag")',
        down='    op.add_column("item", sa.Column("flag", sa.Boolean(), '
             'server_default=sa.text("false"), nullable=True))'))
    assert findings(lint_tree(tmp_path), "down-does-not-restore") == []


def test_a_boolean_default_of_the_other_value_is_not_restored(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_item.py").write_text(BOOLEAN_BASE)
    (versions / "a2_drop.py").write_text(ALEMBIC_DROP.format(
        up='    op.drop_column("item", "flag")',
        down='    op.add_column("item", sa.Column("flag", sa.Boolean(), '
             'server_default=sa.text("true"), nullable=True))'))
    assert [message for _, _, message in findings(lint_tree(tmp_path),
                                                  "down-does-not-restore")] == [
        "up then down does not restore the schema: column public.item.flag comes back as "
        "bool DEFAULT true, was bool DEFAULT '0'"]



INDEXED_BASE = '''"""Revision ID: a1
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("bt", sa.Column("id", sa.BigInteger(), primary_key=True),
                    sa.Column("name", sa.String(), nullable=False))
    op.create_index("uq_bt__name", "bt", ["name"], unique=True)


def downgrade():
    op.drop_table("bt")
'''

SLUG = '''"""Revision ID: a2
Revises: a1
"""
import sqlalchemy as sa
from alembic import op

revision = "a2"
down_revision = "a1"


def upgrade():
    op.drop_index("uq_bt__name", table_name="bt")
    op.add_column("bt", sa.Column("slug", sa.String(), nullable=True))
    op.create_index("uq_bt__slug", "bt", ["slug"], unique=True)


def downgrade():
    op.drop_index("uq_bt__slug", table_name="bt")
{recreate}
    op.drop_column("bt", "slug")
'''


def slug_history(tmp_path: Path, recreate: str) -> list[tuple[int, str, str]]:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_bt.py").write_text(INDEXED_BASE)
    (versions / "a2_slug.py").write_text(SLUG.format(recreate=recreate))
    return findings(lint_tree(tmp_path), "down-does-not-restore")


def test_an_index_made_again_differently_is_reported_where_it_is_made(
        tmp_path: Path) -> None:
    # Prefect's 4ff2f2bf81f4: the down path makes the unique index again, not unique.
    assert slug_history(tmp_path, '    op.create_index("uq_bt__name", "bt", ["name"], '
                                  'unique=False)') == [
        (19, "warning", "up then down does not restore the schema: index public.uq_bt__name "
                        "comes back as (name), was UNIQUE (name)")]


def test_an_index_never_made_again_is_reported_at_the_start_of_the_down_path(
        tmp_path: Path) -> None:
    assert slug_history(tmp_path, "") == [
        (18, "warning", "up then down does not restore the schema: index public.uq_bt__name "
                        "is not restored")]


def test_a_column_made_again_differently_is_reported_where_it_is_made(tmp_path: Path) -> None:
    result = alembic_history(tmp_path, '    op.drop_column("item", "flag")',
                             '    op.execute("SELECT 1")\n'
                             '    op.add_column("item", sa.Column("flag", sa.Integer()))')
    assert [(line, message) for line, _, message in
            findings(result, "down-does-not-restore")] == [
        (19, "up then down does not restore the schema: column public.item.flag comes back "
             "as int4, was bool")]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_a_table_the_history_never_made_and_the_up_path_drops_if_it_exists_is_left_out(
        tmp_path: Path, dialect: str) -> None:
    # Nothing says `legacy_config` exists, and its definition is unknown: a down path
    # cannot be held to make it again. The difference the down path does leave shows.
    result = lint_dialect_history(tmp_path, {
        **BASE,
        "000002_change.up.sql": "DROP TABLE IF EXISTS legacy_config;\n"
                                "ALTER TABLE accounts ADD COLUMN note text;\n",
        "000002_change.down.sql": "SELECT 1;\n"}, dialect)
    messages = [f.message for f in result.active if f.rule == "down-does-not-restore"]
    assert len(messages) == 1 and "legacy_config" not in messages[0]
    assert "accounts.note is left behind" in messages[0]
