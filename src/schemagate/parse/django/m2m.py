"""ManyToManyField join tables: the table Django makes for a many-to-many field without
`through`.

`create_many_to_many_intermediary_model` gives the field a model of its own, which the
schema editor creates with the field's model (`create_model`, `add_field`) and drops with it
(`delete_model`, `remove_field`):

- table `<model's table>_<field name>`, or the field's `db_table`, cut to 63 bytes the way
  `truncate_name` does (the head, then 4 characters of an md5 of the whole);
- an automatic key `id`, of the kind the model's own automatic key is;
- `<model>_id` and `<target model>_id` (`from_<model>_id` and `to_<model>_id` when the field
  points at its own model), each a `ForeignKey` on `CASCADE`: NOT NULL, a
  `DEFERRABLE INITIALLY DEFERRED` foreign key unless `db_constraint=False`, and an index;
- `unique_together` on the two, a `_uniq` constraint.

A field with `through=` names a model of the project's own, made by its own `CreateModel`.
"""

from __future__ import annotations

from schemagate.model import ops as o
from schemagate.model.names import QName, default_name
from schemagate.model.span import Span
from schemagate.model.types import TypeRef
from schemagate.parse.django.state import (
    JoinTable,
    ModelState,
    ProjectState,
    index_name,
    outside_key,
    truncate_name,
)


def join_table(model: ModelState, field_name: str, target_key: str | None,
               db_table: str | None, db_constraint: bool) -> JoinTable:
    """The join table of `model.field_name`, pointing at the model `target_key`."""
    table = truncate_name(db_table or f"{model.table}_{field_name}")
    from_ = model.name
    to = target_key.partition(".")[2] if target_key else "?"
    if to == from_:
        from_, to = f"from_{from_}", f"to_{to}"
    return JoinTable(table, f"{from_}_id", f"{to}_id", target_key, db_table is None,
                     db_constraint)


def create(join: JoinTable, model: ModelState, state: ProjectState, span: Span
           ) -> list[o.Operation]:
    """CREATE TABLE of the join table, then the index on each of its two columns."""
    pk = model.pk()
    key_type = pk.type if pk is not None and pk.column_def is not None and \
        pk.column_def.identity else TypeRef("int8")
    target = _target(join, model, state)
    columns = [o.ColumnDef("id", key_type, not_null=True, identity=True)]
    constraints = [o.ConstraintDef("primary", default_name(join.table, None, "pkey"), ("id",))]
    for column, side in ((join.from_column, model), (join.to_column, target)):
        side_pk = side.pk() if side is not None else None
        col_type = side_pk.type if side_pk is not None else TypeRef("unknown")
        columns.append(o.ColumnDef(column, col_type, not_null=True))
        key = _key(join, column, side, model, state)
        if key is not None:
            constraints.append(key)
            if column == join.to_column:
                join.to_key = key.name
    pair = [join.from_column, join.to_column]
    constraints.append(o.ConstraintDef("unique", index_name(join.table, pair, "_uniq"),
                                       tuple(pair)))
    table = QName.of(join.table)
    ops: list[o.Operation] = [o.CreateTable(span=span, table=table, columns=tuple(columns),
                                            constraints=tuple(constraints))]
    ops += [o.CreateIndex(span=span, name=QName.of(index_name(join.table, [c])), table=table,
                          columns=(c,)) for c in pair]
    return ops


def _key(join: JoinTable, column: str, side: ModelState | None, model: ModelState,
         state: ProjectState) -> o.ConstraintDef | None:
    """The foreign key of one of the join table's columns to the model on its side."""
    if side is None or not join.db_constraint:
        return None
    if side is model or join.target in state.models:
        side_pk = side.pk()
        ref_col = side_pk.column if side_pk is not None and side_pk.column else "id"
        return o.ConstraintDef(
            "foreign", index_name(join.table, [column], f"_fk_{side.table}_{ref_col}"),
            (column,), side.qname, (ref_col,), deferrable=True)
    if join.target is not None and not state.holds_app(join.target.partition(".")[0]):
        # A model outside the project, as for any relation field (`outside_key`).
        return outside_key(join.table, column, join.target, None, None)
    return None


def repoint(old: JoinTable, new: JoinTable, model: ModelState, state: ProjectState,
            span: Span) -> list[o.Operation]:
    """AlterField of a many-to-many field (`_alter_many_to_many`): the join table takes the
    new field's name, and its column to the target is altered as any foreign key is when
    it points at another model: its key dropped (found by its column), the column renamed
    (`contenttype_id` to `objecttype_id`), the key made again to the new model, which reads
    every row under the lock the drop took."""
    ops: list[o.Operation] = []
    if old.table != new.table:
        ops.append(o.RenameTable(span=span, table=QName.of(old.table), new_name=new.table))
    if (old.target, old.to_column) == (new.target, new.to_column):
        new.to_key = old.to_key
        return ops
    table = QName.of(new.table)
    if old.to_key is not None:
        ops.append(o.DropConstraint(span=span, table=table, name=old.to_key))
    if old.to_column != new.to_column:
        ops.append(o.RenameColumn(span=span, table=table, column=old.to_column,
                                  new_name=new.to_column))
    was, target = _target(old, model, state), _target(new, model, state)
    old_pk = was.pk() if was is not None else None
    new_pk = target.pk() if target is not None else None
    if old_pk is not None and new_pk is not None and "unknown" not in (
            old_pk.type.name, new_pk.type.name) and old_pk.type != new_pk.type:
        # The column takes the new target's key type (auth.Group's int4 to a bigint key).
        ops.append(o.AlterColumnType(span=span, table=table, column=new.to_column,
                                     new_type=new_pk.type, old_type=old_pk.type))
    key = _key(new, new.to_column, target, model, state)
    new.to_key = key.name if key is not None else None
    if key is not None:
        ops.append(o.AddConstraint(span=span, table=table, constraint=key))
    return ops


def _target(join: JoinTable, model: ModelState, state: ProjectState) -> ModelState | None:
    """The model the join table's `to_column` points at."""
    if join.target is None:
        return None
    app, _, name = join.target.partition(".")
    return model if join.target == f"{model.app}.{model.name}" else state.model(app, name)


def drop(join: JoinTable, span: Span, cascade_by: str) -> o.DropTable:
    """`delete_model` of the join table: DROP TABLE … CASCADE."""
    return o.DropTable(span=span, tables=(QName.of(join.table),), cascade=True,
                       cascade_by=cascade_by)


def rename_model(model: ModelState, old_name: str, state: ProjectState, span: Span
                 ) -> list[o.Operation]:
    """What RenameModel and AlterModelTable send for join tables
    (`_alter_many_to_many`): the model's own join tables follow its table's name, and the
    `<model>_id` column of every join table on the model's side follows its name.

    `model` is already in `state` under its new name and table."""
    ops: list[o.Operation] = []
    key, old_key = f"{model.app}.{model.name}", f"{model.app}.{old_name}"
    for other in state.models.values():
        for f in other.fields.values():
            join = f.join
            if join is None:
                continue
            if join.target == old_key:
                join.target = key
            if other is model and join.default_table:
                new_table = truncate_name(f"{model.table}_{f.name}")
                if new_table != join.table:
                    ops.append(o.RenameTable(span=span, table=QName.of(join.table),
                                             new_name=new_table))
                    join.table = new_table
            sides = (["from_column"] if other is model else []) + (
                ["to_column"] if join.target == key else [])
            for side in sides if old_name != model.name else []:
                column = getattr(join, side)
                for prefix in ("", "from_", "to_"):
                    if column == f"{prefix}{old_name}_id":
                        renamed = f"{prefix}{model.name}_id"
                        ops.append(o.RenameColumn(span=span, table=QName.of(join.table),
                                                  column=column, new_name=renamed))
                        setattr(join, side, renamed)
    return ops
