"""Django operations to IR: what the PostgreSQL schema editor sends for each of them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.migration import ParsedMigration
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.model.types import TypeRef
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
        # Nothing runs going forward (Flagsmith's features 0039): no statement at all.
        migrations.RunPython(migrations.RunPython.noop, reverse_code=unfill),
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


TAGS = '''
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("accounts", models.ManyToManyField(related_name="tags", to="shop.account")),
            ],
        ),
    ]
'''


def test_a_many_to_many_field_makes_its_join_table_as_django_does(tmp_path: Path) -> None:
    ops = up_ops(project(tmp_path, INITIAL, TAGS)[1])
    tag, join, from_index, to_index = [op for op in ops
                                       if isinstance(op, o.CreateTable | o.CreateIndex)]
    assert isinstance(tag, o.CreateTable) and isinstance(join, o.CreateTable)
    assert str(join.table) == "public.shop_tag_accounts"
    assert [(c.name, str(c.type), c.not_null) for c in join.columns] == [
        ("id", "int8", True), ("tag_id", "int8", True), ("account_id", "int8", True)]
    kinds = {c.kind: c for c in join.constraints}
    assert kinds["unique"].columns == ("tag_id", "account_id")
    # The names `manage.py sqlmigrate` prints for this migration on Django 5.2.
    assert kinds["unique"].name == "shop_tag_accounts_tag_id_account_id_b7182784_uniq"
    fks = sorted((c.name, c.columns, str(c.ref_table), c.deferrable)
                 for c in join.constraints if c.kind == "foreign")
    assert fks == [
        ("shop_tag_accounts_account_id_5cc6d05d_fk_shop_account_id", ("account_id",),
         "public.shop_account", True),
        ("shop_tag_accounts_tag_id_62bcef89_fk_shop_tag_id", ("tag_id",), "public.shop_tag",
         True)]
    assert isinstance(from_index, o.CreateIndex) and isinstance(to_index, o.CreateIndex)
    assert (from_index.columns, to_index.columns) == (("tag_id",), ("account_id",))
    assert str(from_index.name) == "public.shop_tag_accounts_tag_id_62bcef89"


def test_removing_a_many_to_many_field_drops_its_join_table(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RemoveField(model_name="tag", name="accounts"),
    ]
'''
    (drop,) = up_ops(project(tmp_path, INITIAL, TAGS, later)[2])
    assert isinstance(drop, o.DropTable) and drop.tables[0].name == "shop_tag_accounts"


def test_deleting_a_model_drops_its_join_tables_first(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.DeleteModel(name="Tag"),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, TAGS, later)[2])
    assert [op.tables[0].name for op in ops if isinstance(op, o.DropTable)] == [
        "shop_tag_accounts", "shop_tag"]


def test_renames_reach_the_join_table_and_its_columns(tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RenameField(model_name="tag", old_name="accounts", new_name="members"),
        migrations.RenameModel(old_name="Account", new_name="Member"),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, TAGS, later)[2])
    renames = [(type(op).__name__, str(op.table), getattr(op, "column", ""), op.new_name)
               for op in ops if isinstance(op, o.RenameTable | o.RenameColumn)]
    assert renames == [
        ("RenameTable", "public.shop_tag_accounts", "", "shop_tag_members"),
        ("RenameTable", "public.shop_account", "", "shop_member"),
        ("RenameColumn", "public.shop_tag_members", "account_id", "member_id")]


def test_a_many_to_many_field_with_through_makes_no_table(tmp_path: Path) -> None:
    later = TAGS.replace('related_name="tags",', 'related_name="tags", through="shop.Link",')
    ops = up_ops(project(tmp_path, INITIAL, later)[1])
    assert [type(op) for op in ops] == [o.CreateTable]


def test_a_long_join_table_name_is_cut_as_truncate_name_does() -> None:
    from schemagate.parse.django.state import truncate_name

    name = "product_productvarianttranslation_" + "x" * 40
    cut = truncate_name(name)
    assert len(cut) == 63 and cut.startswith(name[:59]) and cut != name[:63]


def test_an_unmanaged_model_sends_nothing_until_it_is_made_again(tmp_path: Path) -> None:
    unmanaged = INITIAL.replace(
        "            ],\n", '            ],\n            options={"managed": False},\n')
    later = '''
    operations = [
        migrations.AddField(model_name="account", name="note", field=models.TextField()),
        migrations.DeleteModel(name="Account"),
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
            ],
        ),
    ]
'''
    first, second = project(tmp_path, unmanaged, later)
    assert up_ops(first) == []
    assert [type(op) for op in up_ops(second)] == [o.CreateTable]


def test_a_proxy_model_has_no_table_and_relations_to_it_reach_its_concrete_table(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("shop.account",),
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                               to="shop.customer")),
            ],
        ),
    ]
'''
    create, _index = up_ops(project(tmp_path, INITIAL, later)[1])
    assert isinstance(create, o.CreateTable) and str(create.table) == "public.shop_order"
    (fk,) = [c for c in create.constraints if c.kind == "foreign"]
    assert str(fk.ref_table) == "public.shop_account"


def test_a_model_made_again_with_a_table_gets_it_though_an_unmanaged_one_stood_before(
        tmp_path: Path) -> None:
    unmanaged = INITIAL.replace(
        "            ],\n", '            ],\n            options={"managed": False},\n')
    later = '''
    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
            ],
        ),
    ]
'''
    assert [type(op) for op in up_ops(project(tmp_path, unmanaged, later)[1])] == [
        o.CreateTable]


def test_an_index_dropped_by_alter_field_is_the_one_made_under_the_old_names(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.RenameModel(old_name="Account", new_name="Member"),
        migrations.AlterField(
            model_name="member",
            name="parent",
            field=models.CharField(max_length=40, null=True),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, FK_ADDED, later)
    made = next(op for op in up_ops(migs[1]) if isinstance(op, o.CreateIndex))
    dropped = next(op for op in up_ops(migs[2]) if isinstance(op, o.DropIndex))
    assert made.name is not None and made.name.name.startswith("shop_account_parent_id_")
    assert dropped.names == (made.name,)


def test_altering_a_field_the_history_never_made_claims_no_foreign_key(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterField(
            model_name="account",
            name="locale",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                    to="shop.account"),
        ),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, later)[1])
    assert not any(isinstance(op, o.AddConstraint | o.DropConstraint) for op in ops)


def test_a_null_boolean_field_is_nullable_and_making_it_boolean_sets_not_null(
        tmp_path: Path) -> None:
    # healthchecks' api/0071 and api/0075: NullBooleanField(default=False), later BooleanField.
    added = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="manual_resume",
            field=models.NullBooleanField(default=False),
        ),
    ]
'''
    made_boolean = '''
    operations = [
        migrations.AlterField(
            model_name="account",
            name="manual_resume",
            field=models.BooleanField(default=False),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, added, made_boolean)
    add = next(op for op in up_ops(migs[1]) if isinstance(op, o.AddColumn))
    assert not add.column.not_null
    assert any(isinstance(op, o.SetNotNull) for op in up_ops(migs[2]))
    result = lint(migs, Settings())
    rules = {(f.migration, f.rule) for f in result.active}
    assert not any(rule == "add-required-column" for _, rule in rules)
    assert (migs[2].name, "set-not-null") in rules


def test_a_generated_field_is_a_stored_generated_column_of_its_output_fields_type(
        tmp_path: Path) -> None:
    # paperless-ngx's documents/0006: Django 5's GeneratedField, NOT NULL without a default.
    added = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="name_length",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Length("name"),
                null=False,
                output_field=models.PositiveIntegerField(default=0),
            ),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, added)
    add = next(op for op in up_ops(migs[1]) if isinstance(op, o.AddColumn))
    assert add.column.generated is not None and add.column.not_null
    assert add.column.type.name == "int4"
    rules = {f.rule for f in lint(migs, Settings()).active if f.migration == migs[1].name}
    assert "add-required-column" not in rules  # computed: it needs no default
    assert "add-column-rewrite" in rules  # computed for every row, under ACCESS EXCLUSIVE


def test_a_positive_integer_field_adds_its_check_which_scans_the_table(tmp_path: Path) -> None:
    # Django 5.2's schema editor: ALTER TABLE "shop_account" ADD COLUMN "lines_count" integer
    # DEFAULT 0 NOT NULL CHECK ("lines_count" >= 0) (saleor's order/0203 on order_order).
    added = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="lines_count",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, added)
    add = next(op for op in up_ops(migs[1]) if isinstance(op, o.AddColumn))
    assert [(c.kind, c.columns, c.expr.sql if c.expr else None) for c in add.constraints] == [
        ("check", ("lines_count",), '"lines_count" >= 0')]
    found = {(f.migration, f.rule) for f in lint(migs, Settings()).active}
    assert (migs[1].name, "add-check-validated") in found
    assert (migs[0].name, "add-check-validated") not in found  # a new table has no rows


def test_a_field_made_positive_gets_its_check_added_which_scans_the_table(
        tmp_path: Path) -> None:
    # Django 5.2: ALTER TABLE "shop_account" ADD CONSTRAINT "shop_account_n_<hash>_check"
    # CHECK ("n" >= 0); from one positive type to another it sends no constraint.
    added = '''
    operations = [
        migrations.AddField(
            model_name="account", name="n", field=models.IntegerField(default=0)),
    ]
'''
    positive = '''
    operations = [
        migrations.AlterField(
            model_name="account", name="n", field=models.PositiveIntegerField(default=0)),
    ]
'''
    smaller = '''
    operations = [
        migrations.AlterField(
            model_name="account", name="n", field=models.PositiveSmallIntegerField(default=0)),
    ]
'''
    migs = project(tmp_path, INITIAL, added, positive, smaller)
    [check] = [op for op in up_ops(migs[2]) if isinstance(op, o.AddConstraint)]
    assert check.constraint.kind == "check" and check.constraint.name_at_run_time
    assert not any(isinstance(op, o.AddConstraint) for op in up_ops(migs[3]))
    found = {(f.migration, f.rule) for f in lint(migs, Settings()).active}
    assert (migs[2].name, "add-check-validated") in found
    assert (migs[3].name, "add-check-validated") not in found


def test_a_foreign_key_subclass_is_a_foreign_key(tmp_path: Path) -> None:
    # mptt's TreeForeignKey and TreeOneToOneField, as `makemigrations` writes them. Django
    # 5.2's sqlmigrate: ALTER TABLE "shop_account" ADD COLUMN "parent_id" bigint NULL
    # CONSTRAINT "shop_account_parent_id_2f8690d3_fk_shop_account_id" REFERENCES
    # "shop_account"("id") DEFERRABLE INITIALLY DEFERRED; …; ADD COLUMN "twin_id" bigint
    # NULL UNIQUE CONSTRAINT "shop_account_twin_id_31d54ab4_fk_shop_account_id" …;
    # CREATE INDEX "shop_account_parent_id_2f8690d3" ON "shop_account" ("parent_id").
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="parent",
            field=mptt.fields.TreeForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="children", to="shop.account"),
        ),
        migrations.AddField(
            model_name="account",
            name="twin",
            field=mptt.fields.TreeOneToOneField(
                null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="+", to="shop.account"),
        ),
    ]
'''
    parent, index, twin = up_ops(project(tmp_path, INITIAL, later)[1])
    table = QName.of("shop_account")
    assert isinstance(parent, o.AddColumn) and isinstance(twin, o.AddColumn)
    assert (parent.column.name, str(parent.column.type), parent.column.not_null) == (
        "parent_id", "int8", False)
    assert parent.constraints == (o.ConstraintDef(
        "foreign", "shop_account_parent_id_2f8690d3_fk_shop_account_id", ("parent_id",),
        table, ("id",), deferrable=True),)
    assert isinstance(index, o.CreateIndex) and index.name == QName.of(
        "shop_account_parent_id_2f8690d3") and index.columns == ("parent_id",)
    assert (twin.column.name, str(twin.column.type), twin.column.not_null) == (
        "twin_id", "int8", False)
    assert twin.constraints == (
        o.ConstraintDef("unique", "shop_account_twin_id_key", ("twin_id",)),
        o.ConstraintDef("foreign", "shop_account_twin_id_31d54ab4_fk_shop_account_id",
                        ("twin_id",), table, ("id",), deferrable=True))


def test_a_foreign_object_named_like_a_foreign_key_makes_no_foreign_key(
        tmp_path: Path) -> None:
    # django-composite-foreignkey's CompositeForeignKey is a ForeignObject: it passes
    # `to_fields`, which no ForeignKey does, and has no column of its own to point.
    later = '''
    operations = [
        migrations.AddField(
            model_name="account",
            name="owner",
            field=compositefk.fields.CompositeForeignKey(
                on_delete=django.db.models.deletion.CASCADE, to="shop.account",
                to_fields={"name": "name"}),
        ),
    ]
'''
    ops = up_ops(project(tmp_path, INITIAL, later)[1])
    assert [c for op in ops if isinstance(op, o.AddColumn) for c in op.constraints
            if c.kind == "foreign"] == []
    assert not any(isinstance(op, o.CreateIndex) for op in ops)


def test_altering_a_db_default_sets_or_drops_the_columns_default(tmp_path: Path) -> None:
    # Django 5.2's sqlmigrate, from BooleanField(default=False), BooleanField(
    # db_default=False) and IntegerField(db_default=1, null=True):
    #   ALTER TABLE "shop_check" ALTER COLUMN "partial" SET DEFAULT false;
    #   ALTER TABLE "shop_check" ALTER COLUMN "done" DROP DEFAULT;
    #   ALTER TABLE "shop_check" ALTER COLUMN "n" TYPE bigint USING "n"::bigint,
    #     ALTER COLUMN "n" SET DEFAULT 2;
    first = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Check",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("partial", models.BooleanField(default=False)),
                ("done", models.BooleanField(db_default=False)),
                ("n", models.IntegerField(db_default=1, null=True)),
            ],
        ),
    ]
'''
    later = '''
    operations = [
        migrations.AlterField("check", "partial", models.BooleanField(db_default=False,
                                                                     default=False)),
        migrations.AlterField("check", "done", models.BooleanField(default=False)),
        migrations.AlterField("check", "n", models.BigIntegerField(db_default=2, null=True)),
    ]
'''
    partial, done, widen, n = up_ops(project(tmp_path, first, later)[1])
    t = QName.of("shop_check")
    assert [replace(op, span=partial.span, statement=0) for op in (partial, done, n)] == [
        o.SetDefault(span=partial.span, table=t, column="partial",
                     default=o.Expr(sql="false", constant=True)),
        o.SetDefault(span=partial.span, table=t, column="done", default=None),
        o.SetDefault(span=partial.span, table=t, column="n",
                     default=o.Expr(sql="2", constant=True))]
    assert isinstance(widen, o.AlterColumnType) and str(widen.new_type) == "int8"


NULLABLE = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Check",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("a", models.BooleanField(null=True)),
                ("b", models.BooleanField(null=True, default=False)),
                ("c", models.CharField(blank=True, null=True, max_length=20)),
                ("d", models.IntegerField(null=True)),
                ("e", models.BooleanField(null=True)),
                ("k", models.UUIDField(null=True, unique=True)),
            ],
        ),
    ]
'''

_AT = Span.point("x")


def _statements(mig: ParsedMigration) -> list[tuple[str, list[o.Operation]]]:
    """Each statement's text (a call's first line) and its operations, spans left out."""
    assert mig.up is not None
    return [(st.sql.splitlines()[0].strip(), [replace(op, span=_AT, statement=0)
                                             for op in st.ops])
            for st in mig.up.statements]


def test_making_a_field_not_null_with_a_default_fills_its_nulls_between_the_alters(
        tmp_path: Path) -> None:
    # What Django 5.2's sqlmigrate prints for each AlterField (`_alter_field`'s "4 way
    # default alteration"), in its order:
    #   a: ALTER TABLE "shop_check" ALTER COLUMN "a" SET DEFAULT false;
    #      UPDATE "shop_check" SET "a" = false WHERE "a" IS NULL; SET CONSTRAINTS ALL
    #      IMMEDIATE; ALTER … "a" SET NOT NULL; ALTER … "a" DROP DEFAULT;
    #   b (the same default before): UPDATE …; ALTER … "b" SET NOT NULL;
    #   c (blank, no default): ALTER … "c" SET DEFAULT '', ALTER COLUMN "c" SET NOT NULL;
    #      ALTER … "c" DROP DEFAULT;
    #   d: ALTER … "d" TYPE bigint USING "d"::bigint, ALTER COLUMN "d" SET DEFAULT 0;
    #      UPDATE …; ALTER … SET NOT NULL; ALTER … DROP DEFAULT;
    #   e (db_default): ALTER … "e" SET DEFAULT false; UPDATE …; ALTER … SET NOT NULL;
    #   k (a callable): SET DEFAULT '<uuid>'::uuid; UPDATE … = '<another uuid>'::uuid …;
    #      SET NOT NULL; DROP DEFAULT.
    later = '''
    operations = [
        migrations.AlterField("check", "a", models.BooleanField(default=False)),
        migrations.AlterField("check", "b", models.BooleanField(default=False)),
        migrations.AlterField("check", "c", models.CharField(blank=True, max_length=20)),
        migrations.AlterField("check", "d", models.BigIntegerField(default=0)),
        migrations.AlterField("check", "e", models.BooleanField(db_default=False)),
        migrations.AlterField("check", "k", models.UUIDField(default=uuid.uuid4, unique=True)),
    ]
'''
    t = QName.of("shop_check")

    def default(column: str, sql: str | None) -> o.SetDefault:
        return o.SetDefault(span=_AT, table=t, column=column,
                            default=o.Expr(sql=sql, constant=True) if sql else None)

    def fill(column: str, value: str) -> tuple[str, list[o.Operation]]:
        return (f'UPDATE "shop_check" SET "{column}" = {value} WHERE "{column}" IS NULL',
                [o.UpdateRows(span=_AT, table=t, has_where=True, columns=(column,),
                              copies=((column, ()),),
                              constants=() if value == "%s" else (column,))])

    def not_null(column: str) -> o.SetNotNull:
        return o.SetNotNull(span=_AT, table=t, column=column)

    call = 'migrations.AlterField("check", "{}", models.{}'
    a, b, c, d, e, k = (call.format(x, y) for x, y in (
        ("a", "BooleanField(default=False))"), ("b", "BooleanField(default=False))"),
        ("c", "CharField(blank=True, max_length=20))"),
        ("d", "BigIntegerField(default=0))"), ("e", "BooleanField(db_default=False))"),
        ("k", "UUIDField(default=uuid.uuid4, unique=True))")))
    assert _statements(project(tmp_path, NULLABLE, later)[1]) == [
        (a, [default("a", "false")]), fill("a", "false"),
        (a, [not_null("a"), default("a", None)]),
        fill("b", "false"), (b, [not_null("b")]),
        (c, [default("c", "''"), not_null("c"), default("c", None)]),
        (d, [o.AlterColumnType(span=_AT, table=t, column="d", new_type=TypeRef("int8"),
                               old_type=TypeRef("int4")), default("d", "0")]),
        fill("d", "0"), (d, [not_null("d"), default("d", None)]),
        (e, [default("e", "false")]), fill("e", "false"), (e, [not_null("e")]),
        (k, [default("k", "uuid.uuid4")]), fill("k", "%s"),
        (k, [not_null("k"), default("k", None)])]


def test_the_update_of_a_not_null_alter_field_runs_under_its_access_exclusive_lock(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AlterField("check", "a", models.BooleanField(default=False)),
    ]
'''
    result = lint(project(tmp_path, NULLABLE, later), Settings(select=("lock-held-too-long",)))
    assert [(f.span.line, f.message) for f in result.findings] == [
        (10, "ACCESS EXCLUSIVE on `public.shop_check` stays held while line 10 (`UPDATE "
             "\"shop_check\" SET \"a\" = false WHERE \"a\" IS NULL`) runs in the same "
             "transaction")]


OUTSIDE = '''
    dependencies = [("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.CreateModel(
            name="Disk",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("ct", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to="contenttypes.contenttype")),
                ("user", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.CASCADE,
                    to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
'''


def test_a_foreign_key_to_a_contrib_model_references_its_table_as_django_names_it(
        tmp_path: Path) -> None:
    # Django 5.2's sqlmigrate: CREATE TABLE "shop_disk" (... "ct_id" integer NULL ...);
    # ALTER TABLE "shop_disk" ADD CONSTRAINT
    # "shop_disk_ct_id_e4254ccf_fk_django_content_type_id" FOREIGN KEY ("ct_id") REFERENCES
    # "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED; and for the AlterField:
    # SET CONSTRAINTS ... IMMEDIATE; ALTER TABLE "shop_disk" DROP CONSTRAINT "<that>";
    # ALTER TABLE "shop_disk" ALTER COLUMN "ct_id" SET NOT NULL; ALTER TABLE "shop_disk"
    # ADD CONSTRAINT "<that>" FOREIGN KEY ("ct_id") REFERENCES "django_content_type" ("id")
    # DEFERRABLE INITIALLY DEFERRED.
    later = '''
    operations = [
        migrations.AlterField(
            model_name="disk",
            name="ct",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="contenttypes.contenttype"),
        ),
    ]
'''
    first, second = project(tmp_path, OUTSIDE, later)
    create = up_ops(first)[0]
    assert isinstance(create, o.CreateTable)
    assert [(c.name, str(c.type)) for c in create.columns if c.name == "ct_id"] == [
        ("ct_id", "int4")]
    name = "shop_disk_ct_id_e4254ccf_fk_django_content_type_id"
    fk = o.ConstraintDef("foreign", name, ("ct_id",), QName.of("django_content_type"),
                         ("id",), deferrable=True, ref_outside="contenttypes.contenttype")
    assert fk in create.constraints
    drop, not_null, add = [replace(op, span=_AT) for op in up_ops(second)]
    t = QName.of("shop_disk")
    assert (drop, not_null, add) == (
        o.DropConstraint(span=_AT, table=t, name=name),
        o.SetNotNull(span=_AT, table=t, column="ct_id"),
        o.AddConstraint(span=_AT, table=t, constraint=fk))
    result = lint(project(tmp_path / "lint", OUTSIDE, later), Settings(select=(
        "add-foreign-key-validated", "unknown-object")))
    assert [(f.rule, f.message) for f in result.findings] == [
        ("add-foreign-key-validated", "adding foreign key on `public.shop_disk` validates "
         "every row while blocking writes to `public.shop_disk` and "
         "`public.django_content_type`")]


def test_a_foreign_key_to_the_user_model_says_its_table_is_known_only_at_run_time(
        tmp_path: Path) -> None:
    # `settings.AUTH_USER_MODEL` is auth.User (`auth_user`) unless the project swaps it:
    # with the default, Django 5.2 sends DROP CONSTRAINT
    # "shop_disk_user_id_<digest>_fk_auth_user_id"; SET NOT NULL; ADD CONSTRAINT ... FOREIGN
    # KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED. The
    # frontend claims no table for it, and so no name.
    later = '''
    operations = [
        migrations.AlterField(
            model_name="disk",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL),
        ),
    ]
'''
    not_null, add = [replace(op, span=_AT) for op in up_ops(project(tmp_path, OUTSIDE,
                                                                     later)[1])]
    t = QName.of("shop_disk")
    assert (not_null, add) == (
        o.SetNotNull(span=_AT, table=t, column="user_id"),
        o.AddConstraint(span=_AT, table=t, constraint=o.ConstraintDef(
            "foreign", None, ("user_id",), None, (), deferrable=True, name_at_run_time=True,
            ref_outside="settings.AUTH_USER_MODEL")))
    result = lint(project(tmp_path / "lint", OUTSIDE, later), Settings(select=(
        "add-foreign-key-validated", "unknown-object")))
    assert [(f.rule, f.message) for f in result.findings] == [
        ("add-foreign-key-validated", "adding foreign key on `public.shop_disk` validates "
         "every row while blocking writes to `public.shop_disk` and the table of "
         "`settings.AUTH_USER_MODEL`")]


def test_a_foreign_key_to_a_model_of_the_project_the_history_never_made_is_left_out(
        tmp_path: Path) -> None:
    later = '''
    operations = [
        migrations.AddField(
            model_name="disk",
            name="owner",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, to="shop.owner"),
        ),
    ]
'''
    add, _index = up_ops(project(tmp_path, OUTSIDE, later)[1])
    assert isinstance(add, o.AddColumn) and add.constraints == ()


def test_a_join_table_to_a_contrib_model_references_its_table(tmp_path: Path) -> None:
    # Django 5.2's sqlmigrate for ManyToManyField(to="auth.group"): ALTER TABLE
    # "shop_team_groups" ADD CONSTRAINT "shop_team_groups_group_id_68b59eed_fk_auth_group_id"
    # FOREIGN KEY ("group_id") REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED.
    teams = '''
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.CreateModel(
            name="Team",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("groups", models.ManyToManyField(to="auth.group")),
            ],
        ),
    ]
'''
    join = up_ops(project(tmp_path, teams)[0])[1]
    assert isinstance(join, o.CreateTable) and join.table == QName.of("shop_team_groups")
    assert [(c.name, str(c.type)) for c in join.columns] == [
        ("id", "int8"), ("team_id", "int8"), ("group_id", "int4")]
    assert o.ConstraintDef("foreign", "shop_team_groups_group_id_68b59eed_fk_auth_group_id",
                           ("group_id",), QName.of("auth_group"), ("id",), deferrable=True,
                           ref_outside="auth.group") in join.constraints


def test_a_db_collation_change_sends_the_type_again_with_its_collation(tmp_path: Path) -> None:
    # Django 5.2 (netbox's *_natural_ordering, checked with sqlmigrate):
    #   ALTER TABLE "shop_site" ALTER COLUMN "name" TYPE varchar(64) COLLATE "natural_sort";
    # and, dropping db_collation, the type alone with the type's own collation.
    first = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Site",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=64, unique=True)),
                ("slug", models.CharField(max_length=64, db_collation="C")),
            ],
        ),
    ]
'''
    later = '''
    operations = [
        migrations.AlterField("site", "name", models.CharField(
            db_collation="natural_sort", max_length=64, unique=True)),
        migrations.AlterField("site", "slug", models.CharField(max_length=64)),
    ]
'''
    name, slug = up_ops(project(tmp_path, first, later)[1])
    assert isinstance(name, o.AlterColumnType) and isinstance(slug, o.AlterColumnType)
    assert (str(name.new_type), name.collation) == ("varchar(64)", "natural_sort")
    assert (str(slug.new_type), slug.collation) == ("varchar(64)", "default")


def test_renaming_a_relation_field_drops_and_makes_its_foreign_key_again(
        tmp_path: Path) -> None:
    # Django 5.2's sqlmigrate, a database migrated to 0001 (netbox's circuits/0051:39):
    #   ALTER TABLE "shop_disk" DROP CONSTRAINT "shop_disk_vm_id_e55044f3_fk_shop_vm_id";
    #   ALTER TABLE "shop_disk" RENAME COLUMN "vm_id" TO "machine_id";
    #   ALTER TABLE "shop_disk" ADD CONSTRAINT "shop_disk_machine_id_1895ed74_fk_shop_vm_id"
    #     FOREIGN KEY ("machine_id") REFERENCES "shop_vm" ("id") DEFERRABLE INITIALLY DEFERRED;
    first = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="VM",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="Disk",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("vm", models.ForeignKey(on_delete=models.CASCADE, to="shop.vm")),
            ],
        ),
    ]
'''
    later = '''
    operations = [
        migrations.RenameField("disk", "vm", "machine"),
    ]
'''
    ops = up_ops(project(tmp_path, first, later)[1])
    assert [(type(op).__name__, getattr(op, "name", None) or getattr(op, "new_name", None)
             or op.constraint.name) for op in ops] == [  # type: ignore[attr-defined]
        ("DropConstraint", "shop_disk_vm_id_e55044f3_fk_shop_vm_id"),
        ("RenameColumn", "machine_id"),
        ("AddConstraint", "shop_disk_machine_id_1895ed74_fk_shop_vm_id")]


def test_an_inline_unique_of_a_long_table_has_the_name_postgresql_cuts_it_to(
        tmp_path: Path) -> None:
    # Django writes `UNIQUE` (and `PRIMARY KEY`) into the column's definition, unnamed:
    # PostgreSQL 15 names them `…attributesva_user_story_id_key` (63 bytes) and
    # `…attributesvalues_pkey`, cutting the table's part to fit.
    body = '''
    operations = [
        migrations.CreateModel(
            name="UserStoryCustomAttributesValues",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("user_story", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, to="shop.account")),
            ],
            options={"db_table": "custom_attributes_userstorycustomattributesvalues_table"},
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, body)
    create = next(op for op in up_ops(migs[1]) if isinstance(op, o.CreateTable))
    names = {c.kind: c.name for c in create.constraints}
    assert names["primary"] == "custom_attributes_userstorycustomattributesvalues_table_pkey"
    assert names["unique"] == "custom_attributes_userstorycustomattributesva_user_story_id_key"
    # Fits in 63 bytes: PostgreSQL keeps the name as it made it, and nothing is truncated.
    rules = {f.rule for f in lint(migs, Settings(select=("all",))).findings}
    assert "identifier-too-long" not in rules


# Django 5.2's schema editor on PostgreSQL 15 (the migrations below, applied with the
# `django.db.backends.schema` logger on):
#   CREATE TABLE "shop_tag" (... "email" varchar(254) NOT NULL UNIQUE ...);
#   ALTER TABLE "shop_tag" ADD CONSTRAINT "shop_tag_name_code_a846c275_uniq" UNIQUE (...);
#   CREATE INDEX "shop_tag_slug_b8e185a1" ON "shop_tag" ("slug");
#   CREATE INDEX "shop_tag_slug_b8e185a1_like" ON "shop_tag" ("slug" varchar_pattern_ops);
#   CREATE INDEX "shop_tag_code_832f2c20" ... and "shop_tag_code_832f2c20_like";
#   CREATE INDEX "shop_tag_email_ad7dec86_like" ON "shop_tag" ("email" varchar_pattern_ops);
LABELS = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("slug", models.SlugField()),
                ("name", models.CharField(max_length=40)),
                ("code", models.CharField(max_length=40, db_index=True)),
                ("email", models.EmailField(max_length=254, unique=True)),
                ("note", models.TextField()),
            ],
            options={"unique_together": set([("name", "code")])},
        ),
    ]
'''


def _index_ops(ops: list[o.Operation]) -> list[tuple[str, str]]:
    """The indexes and constraints the operations make and drop, by name."""
    out: list[tuple[str, str]] = []
    for op in ops:
        if isinstance(op, o.CreateIndex) and op.name is not None:
            out.append(("CreateIndex", op.name.name))
        elif isinstance(op, o.DropIndex):
            out += [("DropIndex", name.name) for name in op.names]
        elif isinstance(op, o.AddConstraint) and op.constraint.name:
            out.append(("AddConstraint", op.constraint.name))
        elif isinstance(op, o.DropConstraint):
            out.append(("DropConstraint", op.name))
    return out


def test_a_together_option_written_as_a_set_call_makes_its_constraint(tmp_path: Path) -> None:
    # Django's own autodetector wrote `set([...])` until 1.8; `normalize_together` keeps a
    # set as it is, a tuple of tuples too. Django 5.2 sends:
    #   ALTER TABLE "shop_tag" DROP CONSTRAINT "shop_tag_name_code_a846c275_uniq";
    #   CREATE INDEX "shop_tag_name_note_d1f436f6_idx" ON "shop_tag" ("name", "note");
    #   CREATE INDEX "shop_tag_slug_code_8c3dde0b_idx" ON "shop_tag" ("slug", "code");
    #   ALTER TABLE "shop_tag" ADD CONSTRAINT "shop_tag_email_code_36997249_uniq" UNIQUE (...);
    later = '''
    operations = [
        migrations.AlterUniqueTogether(name="tag", unique_together=set([])),
        migrations.AlterIndexTogether(name="tag", index_together=set((("name", "note"),))),
        migrations.AlterIndexTogether(
            name="tag", index_together=frozenset([("name", "note"), ("slug", "code")])),
        migrations.AlterUniqueTogether(name="tag", unique_together=(("email", "code"),)),
    ]
'''
    first, second = project(tmp_path, LABELS, later)
    assert ("AddConstraint", "shop_tag_name_code_a846c275_uniq") in _index_ops(up_ops(first))
    assert _index_ops(up_ops(second)) == [
        ("DropConstraint", "shop_tag_name_code_a846c275_uniq"),
        ("CreateIndex", "shop_tag_name_note_d1f436f6_idx"),
        ("CreateIndex", "shop_tag_slug_code_8c3dde0b_idx"),
        ("AddConstraint", "shop_tag_email_code_36997249_uniq")]


def test_a_slug_field_is_indexed_unless_it_says_otherwise(tmp_path: Path) -> None:
    # SlugField's db_index is True by default (`SlugField.__init__`), and its deconstruct
    # leaves it out. Django 5.2 sends, after the two ADD COLUMNs:
    #   CREATE INDEX "shop_tag_title_47d9a27c" ON "shop_tag" ("title");
    #   CREATE INDEX "shop_tag_title_47d9a27c_like" ON "shop_tag" ("title" varchar_pattern_ops);
    later = '''
    operations = [
        migrations.AddField("tag", "title", models.SlugField(max_length=255, null=True)),
        migrations.AddField("tag", "path", models.SlugField(db_index=False, null=True)),
    ]
'''
    first, second = project(tmp_path, LABELS, later)
    assert ("CreateIndex", "shop_tag_slug_b8e185a1") in _index_ops(up_ops(first))
    assert ("CreateIndex", "shop_tag_slug_b8e185a1_like") in _index_ops(up_ops(first))
    assert _index_ops(up_ops(second)) == [("CreateIndex", "shop_tag_title_47d9a27c"),
                                          ("CreateIndex", "shop_tag_title_47d9a27c_like")]


def test_a_slug_field_made_an_indexed_char_field_keeps_its_indexes(tmp_path: Path) -> None:
    # Django 5.2 sends only the type (taiga's timeline/0003):
    #   ALTER TABLE "shop_tag" ALTER COLUMN "slug" TYPE varchar(250) USING ...;
    # and, when the CharField loses db_index, drops both indexes it finds on the column:
    #   DROP INDEX IF EXISTS "shop_tag_slug_b8e185a1";
    #   DROP INDEX IF EXISTS "shop_tag_slug_b8e185a1_like";
    kept = '''
    operations = [
        migrations.AlterField("tag", "slug", models.CharField(db_index=True, max_length=250)),
    ]
'''
    dropped = '''
    operations = [
        migrations.AlterField("tag", "slug", models.CharField(max_length=50)),
    ]
'''
    _, second, third = project(tmp_path, LABELS, kept, dropped)
    assert [type(op) for op in up_ops(second)] == [o.AlterColumnType]
    assert _index_ops(up_ops(third)) == [("DropIndex", "shop_tag_slug_b8e185a1"),
                                         ("DropIndex", "shop_tag_slug_b8e185a1_like")]


def test_a_text_field_made_unique_or_indexed_gets_its_pattern_ops_index(
        tmp_path: Path) -> None:
    # Django 5.2 on PostgreSQL (`DatabaseSchemaEditor._alter_field`, `_create_like_index_sql`):
    #   ALTER TABLE "shop_tag" ADD CONSTRAINT "shop_tag_name_405ccc88_uniq" UNIQUE ("name");
    #   CREATE INDEX "shop_tag_name_405ccc88_like" ON "shop_tag" ("name" varchar_pattern_ops);
    #   CREATE INDEX "shop_tag_note_2b3161ed" ON "shop_tag" ("note");
    #   CREATE INDEX "shop_tag_note_2b3161ed_like" ON "shop_tag" ("note" text_pattern_ops);
    #   ALTER TABLE "shop_tag" DROP CONSTRAINT "shop_tag_email_key";
    #   DROP INDEX IF EXISTS "shop_tag_email_ad7dec86_like";
    #   DROP INDEX IF EXISTS "shop_tag_code_832f2c20";
    #   DROP INDEX IF EXISTS "shop_tag_code_832f2c20_like";
    #   ALTER TABLE "shop_tag" ADD CONSTRAINT "shop_tag_code_832f2c20_uniq" UNIQUE ("code");
    #   CREATE INDEX "shop_tag_code_832f2c20_like" ON "shop_tag" ("code" varchar_pattern_ops);
    later = '''
    operations = [
        migrations.AlterField("tag", "name", models.CharField(max_length=40, unique=True)),
        migrations.AlterField("tag", "note", models.TextField(db_index=True)),
        migrations.AlterField("tag", "email", models.EmailField(max_length=254)),
        migrations.AlterField("tag", "code", models.CharField(max_length=40, unique=True)),
    ]
'''
    mig = project(tmp_path, LABELS, later)[1]
    assert _index_ops(up_ops(mig)) == [
        ("AddConstraint", "shop_tag_name_405ccc88_uniq"),
        ("CreateIndex", "shop_tag_name_405ccc88_like"),
        ("CreateIndex", "shop_tag_note_2b3161ed"),
        ("CreateIndex", "shop_tag_note_2b3161ed_like"),
        ("DropConstraint", "shop_tag_email_key"),
        ("DropIndex", "shop_tag_email_ad7dec86_like"),
        ("DropIndex", "shop_tag_code_832f2c20"),
        ("DropIndex", "shop_tag_code_832f2c20_like"),
        ("AddConstraint", "shop_tag_code_832f2c20_uniq"),
        ("CreateIndex", "shop_tag_code_832f2c20_like")]


def test_a_unique_text_field_made_indexed_keeps_its_pattern_ops_index(tmp_path: Path) -> None:
    # Django 5.2, from the fields of the test above:
    #   ALTER TABLE "shop_tag" DROP CONSTRAINT "shop_tag_name_405ccc88_uniq";
    #   CREATE INDEX "shop_tag_name_405ccc88" ON "shop_tag" ("name");
    #   DROP INDEX IF EXISTS "shop_tag_note_2b3161ed";
    #   DROP INDEX IF EXISTS "shop_tag_note_2b3161ed_like";
    #   ALTER TABLE "shop_tag" DROP CONSTRAINT "shop_tag_code_832f2c20_uniq";
    #   DROP INDEX IF EXISTS "shop_tag_code_832f2c20_like";
    # (the unique constraints Django finds by their column; this IR names them as made).
    unique = '''
    operations = [
        migrations.AlterField("tag", "name", models.CharField(max_length=40, unique=True)),
        migrations.AlterField("tag", "note", models.TextField(db_index=True)),
        migrations.AlterField("tag", "code", models.CharField(max_length=40, unique=True)),
    ]
'''
    back = '''
    operations = [
        migrations.AlterField("tag", "name", models.CharField(max_length=40, db_index=True)),
        migrations.AlterField("tag", "note", models.TextField()),
        migrations.AlterField("tag", "code", models.CharField(max_length=40)),
    ]
'''
    mig = project(tmp_path, LABELS, unique, back)[2]
    assert [(kind, name) for kind, name in _index_ops(up_ops(mig))
            if kind != "DropConstraint"] == [
        ("CreateIndex", "shop_tag_name_405ccc88"),
        ("DropIndex", "shop_tag_note_2b3161ed"),
        ("DropIndex", "shop_tag_note_2b3161ed_like"),
        ("DropIndex", "shop_tag_code_832f2c20_like")]
    drops = [op for op in up_ops(mig) if isinstance(op, o.DropIndex)]
    assert all(op.if_exists for op in drops)


def test_an_indexed_text_field_that_changes_type_drops_its_pattern_ops_index(
        tmp_path: Path) -> None:
    # Django 5.2 (`_alter_column_type_sql`, saleor's order/0127 token):
    #   DROP INDEX IF EXISTS "shop_order_token_02467206_like";   ALTER ... TYPE uuid
    #   DROP INDEX IF EXISTS "shop_order_ref_133f9a7a_like";     ALTER ... TYPE text
    #   CREATE INDEX "shop_order_ref_133f9a7a_like" ON "shop_order" ("ref" text_pattern_ops);
    #   DROP INDEX IF EXISTS "shop_order_note_94455a30";
    #   DROP INDEX IF EXISTS "shop_order_note_94455a30_like";    (twice)  ALTER ... TYPE uuid
    first = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("token", models.CharField(unique=True, max_length=36)),
                ("ref", models.CharField(db_index=True, max_length=36)),
                ("note", models.CharField(db_index=True, max_length=36)),
            ],
        ),
    ]
'''
    later = '''
    operations = [
        migrations.AlterField("order", "token", models.UUIDField(unique=True)),
        migrations.AlterField("order", "ref", models.TextField(db_index=True)),
        migrations.AlterField("order", "note", models.UUIDField()),
    ]
'''
    assert _index_ops(up_ops(project(tmp_path, first, later)[1])) == [
        ("DropIndex", "shop_order_token_02467206_like"),
        ("DropIndex", "shop_order_ref_133f9a7a_like"),
        ("CreateIndex", "shop_order_ref_133f9a7a_like"),
        ("DropIndex", "shop_order_note_94455a30"),
        ("DropIndex", "shop_order_note_94455a30_like")]


def test_collations_are_made_and_dropped_and_alter_constraint_sends_nothing(
        tmp_path: Path) -> None:
    # Netbox's dcim 0197 (CreateCollation) and virtualization 0053 (Django 5.2's
    # AlterConstraint, whose database_forwards and _backwards are `pass`).
    later = '''
    operations = [
        CreateCollation("natural_sort", provider="icu", locale="und-u-kn-true"),
        RemoveCollation("old_sort", locale="C"),
        migrations.AlterConstraint(
            model_name="account", name="account_name_key",
            constraint=models.UniqueConstraint(fields=["name"], name="account_name_key")),
    ]
'''
    migs = project(tmp_path, INITIAL, later)
    mig = migs[1]
    kinds = [op.statement_kind for op in up_ops(mig) if isinstance(op, o.RawSQL)]
    assert kinds == ["DefineStmt", o.DROP_COLLATION] and len(up_ops(mig)) == 2
    # Catalog-only (Django derives the way back): nothing to review by hand, nothing
    # unverifiable.
    result = lint(migs, Settings(select=("all",)))
    assert [f.rule for f in result.active if f.span.path.endswith("0002_step.py")] == []


def test_a_positive_field_made_signed_drops_its_check(tmp_path: Path) -> None:
    # Netbox's dcim 0212: PositiveSmallIntegerField -> SmallIntegerField. The schema editor
    # drops the field's db_check (ACCESS EXCLUSIVE), which PostgreSQL named when the column
    # was added; the way back adds one again.
    add = '''
    operations = [
        migrations.AddField(model_name="account", name="power",
                            field=models.PositiveSmallIntegerField(null=True)),
    ]
'''
    signed = '''
    operations = [
        migrations.AlterField(model_name="account", name="power",
                              field=models.SmallIntegerField(null=True)),
    ]
'''
    migs = project(tmp_path, INITIAL, add, signed)
    assert [(type(op).__name__, getattr(op, "name", None)) for op in up_ops(migs[2])] == [
        ("DropConstraint", "shop_account_power_check")]
    result = lint(migs, Settings(select=("missing-lock-timeout",)))
    assert [(Path(f.span.path).name, f.rule) for f in result.active
            if "0003" in f.span.path] == [("0003_step.py", "missing-lock-timeout")]


def test_an_expression_index_depends_on_the_fields_its_expressions_name(
        tmp_path: Path) -> None:
    # Netbox's dcim 0198: `db_collation` on a name whose only indexes are
    # UniqueConstraint(Lower("name"), F("site")): PostgreSQL 15 rebuilds them too.
    constrain = '''
    operations = [
        migrations.AddField(model_name="account", name="site",
                            field=models.IntegerField(null=True)),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"), models.F("site"),
                models.Value("x"), name="account_lower_name_site"),
        ),
    ]
'''
    collate = '''
    operations = [
        migrations.AlterField(model_name="account", name="name",
                              field=models.CharField(max_length=50, db_collation="C")),
    ]
'''
    migs = project(tmp_path, INITIAL, constrain, collate)
    index = up_ops(migs[1])[-1]
    assert isinstance(index, o.CreateIndex) and index.columns == ("name", "site")
    result = lint(migs, Settings(select=("column-type-rewrite",)))
    assert [f.message for f in result.active] == [
        "changing the collation of `public.shop_account.name` to C rebuilds its index "
        "(`public.account_lower_name_site`) under an ACCESS EXCLUSIVE lock"]


def test_a_many_to_many_field_pointed_at_another_model_alters_its_join_tables_column(
        tmp_path: Path) -> None:
    # Netbox's extras 0111 (ContentType to ObjectType) and users 0006 (auth.Group to its
    # own Group, with a bigint key): `_alter_many_to_many` alters the join table's column
    # to the target as a foreign key: key dropped, column renamed and retyped, key again.
    models_and_field = '''
    operations = [
        migrations.CreateModel(
            name="Kind",
            fields=[("id", models.AutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="Category",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.AddField(model_name="account", name="tags",
                            field=models.ManyToManyField(to="shop.kind")),
    ]
'''
    repoint = '''
    operations = [
        migrations.AlterField(model_name="account", name="tags",
                              field=models.ManyToManyField(to="shop.category")),
    ]
'''
    migs = project(tmp_path, INITIAL, models_and_field, repoint)
    made = [op for op in up_ops(migs[1]) if isinstance(op, o.CreateTable)
            and op.table.name == "shop_account_tags"]
    fk = next(c for c in made[0].constraints if c.kind == "foreign" and c.columns == ("kind_id",))
    ops = up_ops(migs[2])
    assert [type(op).__name__ for op in ops] == [
        "DropConstraint", "RenameColumn", "AlterColumnType", "AddConstraint"]
    drop, rename, retype, add = ops
    assert isinstance(drop, o.DropConstraint) and drop.name == fk.name
    assert isinstance(rename, o.RenameColumn) and (rename.column, rename.new_name) == (
        "kind_id", "category_id")
    assert isinstance(retype, o.AlterColumnType) and retype.new_type == TypeRef("int8")
    assert isinstance(add, o.AddConstraint) and add.constraint.ref_table == QName.of(
        "shop_category")
    result = lint(migs, Settings(select=("rename-column", "column-type-rewrite",
                                         "add-foreign-key-validated")))
    assert sorted(f.rule for f in result.active if "0003" in f.span.path) == [
        "add-foreign-key-validated", "column-type-rewrite", "rename-column"]


def test_renaming_a_field_whose_column_is_named_renames_nothing(tmp_path: Path) -> None:
    # Flagsmith's environments 0032: the column keeps its `db_column` name whatever the
    # field is called; Django sends no SQL.
    named = '''
    operations = [
        migrations.AddField(model_name="account", name="v2",
                            field=models.BooleanField(db_column="v2", default=True)),
        migrations.AddField(model_name="account", name="v3",
                            field=models.BooleanField(default=True)),
    ]
'''
    rename = '''
    operations = [
        migrations.RenameField(model_name="account", old_name="v2", new_name="hashing"),
        migrations.RenameField(model_name="account", old_name="v3", new_name="split"),
    ]
'''
    migs = project(tmp_path, INITIAL, named, rename)
    assert [(type(op).__name__, op.column, op.new_name) for op in up_ops(migs[2])
            if isinstance(op, o.RenameColumn)] == [("RenameColumn", "v3", "split")]


def test_a_default_added_only_to_fill_the_rows_is_not_kept_in_the_state(
        tmp_path: Path) -> None:
    # Flagsmith's segments 0003 (AddField with default=1, preserve_default=False) and 0020
    # (AlterField changing only on_delete): the field Django compares has no default, so
    # the second sends nothing.
    add = '''
    operations = [
        migrations.AddField(
            model_name="account", name="parent",
            field=models.ForeignKey(default=1, on_delete=django.db.models.deletion.CASCADE,
                                    to="shop.account"),
            preserve_default=False,
        ),
    ]
'''
    alter = '''
    operations = [
        migrations.AlterField(
            model_name="account", name="parent",
            field=models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING,
                                    to="shop.account"),
        ),
    ]
'''
    migs = project(tmp_path, INITIAL, add, alter)
    assert up_ops(migs[2]) == []


def test_a_default_table_name_over_63_bytes_is_cut_as_django_cuts_it(tmp_path: Path) -> None:
    # Flagsmith's organisations/permissions 0001: Django sends
    # `organisation_permissions_userpermissiongrouporganisationperbee4`, never the 66-byte
    # name (`truncate_name`: the head, then 4 characters of the name's md5), and the
    # many-to-many join table of the cut name is cut again (both as Django 5.2 cuts them).
    long_model = '''
    operations = [
        migrations.CreateModel(
            name="UserPermissionGroupOrganisationPermission",
            fields=[("id", models.AutoField(primary_key=True, serialize=False)),
                    ("tags", models.ManyToManyField(to="shop.account"))],
        ),
    ]
'''
    made = [op.table.name for op in up_ops(project(tmp_path, INITIAL, long_model,
                                                   app="organisation_permissions")[1])
            if isinstance(op, o.CreateTable)]
    assert made == ["organisation_permissions_userpermissiongrouporganisationperbee4",
                    "organisation_permissions_userpermissiongrouporganisationper7b18"]


def test_an_index_together_renamed_by_its_fields_is_renamed(tmp_path: Path) -> None:
    # Flagsmith's app_analytics 0007: RenameIndex(old_fields=…) of an index_together index,
    # which Django finds by its columns and renames (ALTER INDEX … RENAME TO).
    together = '''
    operations = [
        migrations.AlterIndexTogether(name="account", index_together={("name", "id")}),
    ]
'''
    rename = '''
    operations = [
        migrations.RenameIndex(model_name="account", new_name="account_name_id_idx",
                               old_fields=("name", "id")),
    ]
'''
    migs = project(tmp_path, INITIAL, together, rename)
    made = up_ops(migs[1])[0]
    (renamed,) = up_ops(migs[2])
    assert isinstance(made, o.CreateIndex) and isinstance(renamed, o.RenameIndex)
    assert (renamed.name, renamed.new_name) == (made.name, "account_name_id_idx")
    result = lint(migs, Settings(select=("all",)))
    assert [f.rule for f in result.active if "0003" in f.span.path] == []


def test_a_missing_reverse_says_how_django_stops(tmp_path: Path) -> None:
    # Django refuses to start (IrreversibleError) at a top-level operation without a way
    # back; one inside SeparateDatabaseAndState, which says it is reversible, fails only
    # when run backwards (NotImplementedError), at that inner operation (NetBox users 0008).
    nested = '''
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[],
            database_operations=[migrations.RunSQL("UPDATE shop_account SET name = 'x'")],
        ),
    ]
'''
    both = '''
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[],
            database_operations=[migrations.RunSQL("UPDATE shop_account SET name = 'y'")],
        ),
        migrations.RunPython(fill),
    ]
'''
    migs = project(tmp_path, INITIAL, nested, both)
    result = lint(migs, Settings(select=("missing-down",)))
    assert [(Path(f.span.path).name, f.span.line, f.message.split(": ", 1)[1])
            for f in result.active] == [
        ("0002_step.py", 12, "migrating back fails there with NotImplementedError (inside "
                             "SeparateDatabaseAndState)"),
        ("0003_step.py", 14, "migrating back stops with IrreversibleError")]


PROJECT_AND_CYCLE = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Project",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
            options={"db_table": "project"},
        ),
        migrations.CreateModel(
            name="Cycle",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("project", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="project_cycle", to="shop.project")),
            ],
            options={"db_table": "cycle"},
        ),
    ]
'''


def test_a_relation_to_a_model_whose_table_was_renamed_is_no_change_by_itself(
        tmp_path: Path) -> None:
    """Plane's 0012 `AlterModelTable("project", "projects")`, then 0046's AlterField of
    `cycle.project` that only changes `related_name`: Django sends nothing (its
    `_field_should_be_altered` compares the target's table as it is then, on both sides),
    where 36 false foreign-key re-validations were found."""
    renamed = '''
    operations = [migrations.AlterModelTable(name="project", table="projects")]
'''
    related = '''
    operations = [
        migrations.AlterField(
            model_name="cycle",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="project_%(class)s", to="shop.project"),
        ),
    ]
'''
    assert up_ops(project(tmp_path, PROJECT_AND_CYCLE, renamed, related)[2]) == []


def test_a_relation_follows_its_model_through_a_rename(tmp_path: Path) -> None:
    """Plane's 0085: `RenameModel("Inbox", "Intake")` (its table named, so kept), then a
    RenameField of the relation to it, which Django sends as DROP CONSTRAINT, RENAME COLUMN
    and ADD CONSTRAINT; the AlterField after it is no change. The relation kept pointing at
    `shop.inbox`, so the key was found missing at the rename and made at the AlterField."""
    initial = PROJECT_AND_CYCLE.replace('name="Project"', 'name="Inbox"').replace(
        '"db_table": "project"', '"db_table": "inboxes"').replace("shop.project", "shop.inbox")
    renamed = '''
    operations = [
        migrations.RenameModel(old_name="Inbox", new_name="Intake"),
        migrations.RenameField(model_name="cycle", old_name="project", new_name="intake"),
        migrations.AlterField(
            model_name="cycle",
            name="intake",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="project_cycle", to="shop.intake"),
        ),
    ]
'''
    migs = project(tmp_path, initial, renamed)
    assert migs[1].up is not None
    by_line = [(st.ops[0].span.line if st.ops else None, [type(op).__name__ for op in st.ops])
               for st in migs[1].up.statements]
    assert [kinds for _, kinds in by_line if kinds] == [
        ["DropConstraint", "RenameColumn", "AddConstraint"]]
    (add,) = [op for op in up_ops(migs[1]) if isinstance(op, o.AddConstraint)]
    assert add.constraint.ref_table == QName.of("inboxes")


def test_renaming_a_model_remakes_the_foreign_keys_to_its_renamed_table(
        tmp_path: Path) -> None:
    """What Django 5.2 sent for `RenameModel("Cart", "Checkout")` with a ForeignKey to it,
    logged on PostgreSQL 15: the table's rename, then, for the relation, `DROP CONSTRAINT
    shop_cartline_cart_id_c1266cfd_fk_shop_cart_id` and `ADD CONSTRAINT
    shop_cartline_cart_id_c1266cfd_fk_shop_checkout_id FOREIGN KEY … REFERENCES
    shop_checkout`, which validates every row of shop_cartline."""
    initial = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Cart",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="CartLine",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("cart", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="shop.cart")),
            ],
        ),
    ]
'''
    renamed = '''
    operations = [migrations.RenameModel(old_name="Cart", new_name="Checkout")]
'''
    rename, drop, add = up_ops(project(tmp_path, initial, renamed)[1])
    assert isinstance(rename, o.RenameTable) and rename.new_name == "shop_checkout"
    assert isinstance(drop, o.DropConstraint) and drop.table == QName.of("shop_cartline")
    assert drop.name == "shop_cartline_cart_id_c1266cfd_fk_shop_cart_id"
    assert isinstance(add, o.AddConstraint) and add.table == QName.of("shop_cartline")
    assert add.constraint.name == "shop_cartline_cart_id_c1266cfd_fk_shop_checkout_id"
    assert add.constraint.ref_table == QName.of("shop_checkout")
