"""Django migration operations to IR operations: what the PostgreSQL schema editor sends.

One function per operation class, all called `(call, ctx)`, each returning the statements
of the up direction and those of Django's automatic reverse, and updating the project's
model state as Django's `state_forwards` does. An operation not listed becomes `RawSQL`
with a reason, never an error. docs/django.md says what each one sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from schemagate.model import ops as o
from schemagate.model.names import QName, default_name
from schemagate.model.span import Span
from schemagate.parse.django import m2m
from schemagate.parse.django.fields import (
    INDEXED_BY_DEFAULT,
    RELATION_FIELDS,
    UNKNOWN,
    column_type,
    field_class,
    has_column,
)
from schemagate.parse.django.state import (
    FieldState,
    ModelState,
    ProjectState,
    default_table,
    index_name,
    outside_key,
    truncate_name,
)

# The tool named where the IR says who sent a statement the migration did not write.
DJANGO = "Django"


@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression with no literal value (a name, an attribute, a lambda): its code."""

    code: str


@dataclass
class Call:
    """A call as written: the callee's last name, its arguments' values, where it is."""

    name: str
    args: list[object]
    kwargs: dict[str, object]
    span: Span
    code: str
    kw_spans: dict[str, Span] = field(default_factory=dict)
    arg_nodes: list[object] = field(default_factory=list)  # libcst nodes, for RunSQL
    kw_nodes: dict[str, object] = field(default_factory=dict)

    def arg(self, index: int, name: str) -> object:
        if name in self.kwargs:
            return self.kwargs[name]
        return self.args[index] if index < len(self.args) else None

    def node(self, index: int, name: str) -> object:
        if name in self.kw_nodes:
            return self.kw_nodes[name]
        return self.arg_nodes[index] if index < len(self.arg_nodes) else None


@dataclass
class Statement:
    sql: str
    ops: tuple[o.Operation, ...]
    # Of RunSQL's SQL: its identifiers over 63 bytes, and where each is in the file.
    long_identifiers: tuple[str, ...] = ()
    long_identifier_spans: tuple[Span, ...] = ()
    # An operation's, sent as one SQL statement per change (`ParsedStatement.separate_ops`);
    # False for RunSQL's, whose statements are SQL's own.
    separate_ops: bool = True


@dataclass
class Translated:
    up: list[Statement] = field(default_factory=list)
    down: list[Statement] = field(default_factory=list)  # in the order Django runs them
    irreversible: bool = False


# RunSQL's strings: (the node, the anchor span) to statements in the file.
SqlReader = Callable[[object, Span], list[Statement]]


@dataclass
class Context:
    app: str
    state: ProjectState
    read_sql: SqlReader


def translate(call: Call, ctx: Context) -> Translated:
    """The statements of one operation, up and down; the state moves forward."""
    translator = _TRANSLATORS.get(call.name)
    if translator is None:
        if call.name in _STATE_ONLY:
            return Translated()
        raw = o.RawSQL(span=call.span, statement_kind=f"Django {call.name}", sql=call.code,
                       reason=f"the Django operation `{call.name}` is not modelled")
        return Translated([Statement(call.code, (raw,))], [], False)
    # Django asks the model of the state the operation leads to whether it has a table
    # (`allow_migrate_model`), DeleteModel the one it starts from.
    before = _touched(call, ctx) if call.name == "DeleteModel" else None
    result = translator(call, ctx)
    model = before if call.name == "DeleteModel" else _touched(call, ctx)
    if model is not None and not model.has_table:
        return Translated(irreversible=result.irreversible)  # no table: nothing is sent
    return result


def _touched(call: Call, ctx: Context) -> ModelState | None:
    """The model a schema operation acts on, as the state holds it now."""
    if call.name in ("RunSQL", "RunPython"):
        return None
    name = _str(call.kwargs.get("model_name", call.kwargs.get("name")))
    if name is None and call.args:
        name = _str(call.args[0])
    return ctx.state.models.get(f"{ctx.app}.{name.lower()}") if name else None


def _one(call: Call, *ops: o.Operation) -> list[Statement]:
    return [Statement(call.code, tuple(ops))] if ops else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _model(call: Call, ctx: Context, key: str = "model_name", index: int = 0) -> ModelState:
    name = _str(call.arg(index, key)) or "?"
    return ctx.state.model(ctx.app, name)


# -- fields ----------------------------------------------------------------------------------


def field_state(name: str, value: object, model: ModelState, ctx: Context) -> FieldState:
    """A field as the schema editor sees it: column, type, nullability, index, relation."""
    if not isinstance(value, Call):
        return FieldState(name, "?", name, UNKNOWN, True)
    kw = value.kwargs
    cls = field_class(value.name, kw)
    # NullBooleanField (removed in Django 4, still in old histories) sets null=True itself.
    null = kw.get("null") is True or cls == "NullBooleanField"
    column = _str(kw.get("db_column"))
    target = None
    type_, identity = column_type(cls, kw)
    to_field = _str(kw.get("to_field"))
    named = None
    if cls in RELATION_FIELDS:
        written = value.arg(0, "to")
        to = _str(written)
        named = written.code if isinstance(written, Opaque) else None
        target_model = model if to == "self" else (
            ctx.state.target(ctx.app, to) if to else None)
        pointed = target_model.fields.get(to_field) if target_model and to_field else (
            target_model.pk() if target_model is not None else None)
        type_ = pointed.type if pointed is not None else UNKNOWN
        if type_.name in ("serial", "bigserial", "smallserial"):
            type_ = UNKNOWN
        target = f"{target_model.app}.{target_model.name}" if target_model else None
        column = column or f"{name}_id"
    if not has_column(cls):
        join = None
        if cls.endswith("ManyToManyField") and "through" not in kw:
            to = _str(value.arg(0, "to"))
            target_model = model if to == "self" else (
                ctx.state.target(ctx.app, to) if to else None)
            target = f"{target_model.app}.{target_model.name}" if target_model else None
            join = m2m.join_table(model, name, target, _str(kw.get("db_table")),
                                  kw.get("db_constraint") is not False)
        return FieldState(name, cls, None, UNKNOWN, True, target=target, join=join)
    primary = kw.get("primary_key") is True
    unique = kw.get("unique") is True or cls == "OneToOneField"
    db_index = kw.get("db_index", cls in INDEXED_BY_DEFAULT) is True and not unique and \
        not primary
    default = None
    if "db_default" in kw:
        default = _expr(kw["db_default"])
    # GeneratedField (Django 5): its column is computed from `expression`, stored (the only
    # kind PostgreSQL has), of `output_field`'s type; it needs no default to be NOT NULL.
    generated = None
    if cls == "GeneratedField":
        output = kw.get("output_field")
        if isinstance(output, Call):
            type_, _ = column_type(output.name, output.kwargs)
        generated = _expr(kw.get("expression"))
    column = column or name
    # The field's own call: a finding about the column points at it, inside CreateModel.
    col = o.ColumnDef(name=column, type=type_, not_null=(not null and not primary) or primary,
                      default=default, identity=identity, generated=generated,
                      span=value.span)
    return FieldState(name, cls, column, type_, null and not primary, unique, primary,
                      db_index, target, default, col, to_field,
                      kw.get("db_constraint") is not False,
                      _signature(value.name, kw),
                      has_default="default" in kw, fill=effective_default(value),
                      to_named=named, collation=_str(kw.get("db_collation")),
                      db_column=_str(kw.get("db_column")) is not None)


# Field arguments that never reach the database (`Field.non_db_attrs`); `db_column` is
# compared as the column itself.
_NON_DB_ATTRS = frozenset({
    "blank", "choices", "db_column", "editable", "error_messages", "help_text",
    "limit_choices_to", "on_delete", "related_name", "related_query_name", "validators",
    "verbose_name", "db_comment"})


def _signature(cls: str, kwargs: dict[str, object]) -> str:
    """The field as `_field_should_be_altered` compares it, less `to`: that counts as the
    table the target model has when the field is altered (`_target_table`), not the one it
    had when the field was written (Plane's `AlterModelTable("project", "projects")`
    before an AlterField that only changes `related_name`: no change)."""
    kept = {k: _canon(v) for k, v in kwargs.items() if k not in _NON_DB_ATTRS and k != "to"}
    return repr((cls, sorted(kept.items())))


def _target_table(f: FieldState, state: ProjectState) -> str | None:
    """The table a relation field points at now; a model moved between apps with its table
    points at the same one."""
    model = state.models.get(f.target) if f.target is not None else None
    return model.table if model is not None else f.target


def _canon(value: object) -> object:
    """A value without the places it was written at: calls and names by their code."""
    if isinstance(value, Call | Opaque):
        return value.code
    if isinstance(value, list | tuple):
        return tuple(_canon(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), repr(_canon(v))) for k, v in value.items()))
    return value


def foreign_key(model: ModelState, f: FieldState, state: ProjectState
                ) -> o.ConstraintDef | None:
    """The FOREIGN KEY constraint the schema editor makes for a relation field
    (`_create_fk_sql`, named `<table>_<column>_<digest>_fk_<target table>_<target column>`),
    remembered on the field so that a later AlterField drops it by that name. A model
    outside the project (Django's contrib apps, `settings.AUTH_USER_MODEL`, a third-party
    app) has its table made by migrations the history does not hold (`outside_key`)."""
    if f.column is None or f.field_class not in RELATION_FIELDS or not f.db_constraint:
        return None
    if f.target is None or f.target not in state.models:
        if f.target is not None and state.holds_app(f.target.partition(".")[0]):
            return None  # a model of the project's own the history did not make
        key = outside_key(model.table, f.column, f.target, f.to_named, f.to_field, f.fk_name)
        f.fk_name = key.name if key is not None else None
        return key
    target = state.models[f.target]
    pointed = target.fields.get(f.to_field) if f.to_field else target.pk()
    ref_col = pointed.column if pointed is not None and pointed.column else (
        f.to_field or "id")
    name = f.fk_name or index_name(model.table, [f.column],
                                   f"_fk_{target.table}_{ref_col}")
    f.fk_name = name
    return o.ConstraintDef("foreign", name, (f.column,), target.qname, (ref_col,),
                           deferrable=True)


def _expr(value: object) -> o.Expr:
    if isinstance(value, Opaque | Call):
        code = value.code
        return o.Expr(sql=code, constant=False)
    if isinstance(value, bool):
        return o.Expr(sql="true" if value else "false", constant=True)
    if isinstance(value, int | float):
        return o.Expr(sql=str(value), constant=True)
    if value is None:
        return o.Expr(sql="NULL", constant=True)
    return o.Expr(sql="'" + str(value).replace("'", "''") + "'", constant=True)


# Fields whose column Django constrains to non-negative values (`db_check`).
_POSITIVE_FIELDS = frozenset({"PositiveIntegerField", "PositiveSmallIntegerField",
                              "PositiveBigIntegerField"})


def _positive_check(column: str, *, name_at_run_time: bool = False) -> o.ConstraintDef:
    """A positive integer field's db_check: its column is never negative."""
    return o.ConstraintDef("check", None, (column,), expr=o.Expr(
        sql=f'"{column}" >= 0', columns=frozenset({column}), constant=False),
        name_at_run_time=name_at_run_time)


def _field_extras(model: ModelState, f: FieldState, span: Span, state: ProjectState
                  ) -> tuple[list[o.ConstraintDef], list[o.CreateIndex]]:
    """The constraints and indexes the schema editor adds with a field."""
    constraints: list[o.ConstraintDef] = []
    indexes: list[o.CreateIndex] = []
    if f.column is None:
        return constraints, indexes
    if f.primary_key:
        constraints.append(o.ConstraintDef("primary", default_name(model.table, None, "pkey"),
                                           (f.column,)))
    elif f.unique:
        # An inline UNIQUE in CREATE TABLE / ADD COLUMN: PostgreSQL names it <table>_<col>_key,
        # the parts cut to fit in 63 bytes (`default_name`).
        constraints.append(o.ConstraintDef("unique", default_name(model.table, f.column, "key"),
                                           (f.column,)))
    if f.field_class in _POSITIVE_FIELDS:
        # The field's db_check, inline in the column's definition: PostgreSQL names it
        # <table>_<column>_check, and checks every row when the column is added.
        constraints.append(_positive_check(f.column))
    fk = foreign_key(model, f, state)
    if fk is not None:
        constraints.append(fk)
    if f.db_index:
        f.index_name = f.index_name or index_name(model.table, [f.column])
        indexes.append(o.CreateIndex(span=span, name=QName.of(f.index_name),
                                     table=model.qname, columns=(f.column,)))
    if _indexed(f) and pattern_ops(f):
        f.like_name = f.like_name or index_name(model.table, [f.column], "_like")
        indexes.append(o.CreateIndex(span=span, name=QName.of(f.like_name),
                                     table=model.qname, columns=(f.column,)))
    return constraints, indexes


def pattern_ops(f: FieldState) -> bool:
    """Whether the field's column, once indexed, gets a second index with
    varchar_pattern_ops or text_pattern_ops for `LIKE 'x%'` (named `<...>_like`): a
    varchar or text column, not an array of them (`_create_like_index_sql`)."""
    return f.type.name in ("varchar", "text") and f.type.array_dims == 0


def _unique(f: FieldState) -> bool:
    """Django's `Field.unique`: a primary key is unique too."""
    return f.unique or f.primary_key


def _indexed(f: FieldState) -> bool:
    """`field.db_index or field.unique` as written: `FieldState.db_index` leaves out the
    index a unique field does not need."""
    return f.db_index or _unique(f)


# -- models ----------------------------------------------------------------------------------


def _create_model(call: Call, ctx: Context) -> Translated:
    name = _str(call.arg(0, "name")) or "?"
    options = call.kwargs.get("options")
    options = options if isinstance(options, dict) else {}
    db_table = _str(options.get("db_table"))
    table = db_table or default_table(ctx.app, name)
    model = ModelState(ctx.app, name.lower(), table, db_table is None)
    ctx.state.models[f"{ctx.app}.{name.lower()}"] = model
    model.managed = options.get("managed") is not False
    model.proxy = options.get("proxy") is True
    bases = call.kwargs.get("bases")
    if options.get("proxy") is True and isinstance(bases, tuple) and bases and \
            isinstance(bases[0], str) and "." in bases[0]:
        # A proxy is its concrete model's table: relations to it point there.
        concrete = ctx.state.target(ctx.app, bases[0])
        if concrete is not None:
            model.table, model.fields = concrete.table, dict(concrete.fields)
    fields = call.arg(1, "fields")
    written: dict[str, Span] = {}  # each field's own call: a join table's findings go there
    for item in fields if isinstance(fields, list | tuple) else []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            model.fields[item[0]] = field_state(item[0], item[1], model, ctx)
            if isinstance(item[1], Call):
                written[item[0]] = item[1].span
    columns: list[o.ColumnDef] = []
    constraints: list[o.ConstraintDef] = []
    indexes: list[o.CreateIndex] = []
    for f in model.fields.values():
        if f.column_def is not None:
            columns.append(f.column_def)
        cons, idx = _field_extras(model, f, call.span, ctx.state)
        constraints += cons
        indexes += idx
    up: list[o.Operation] = [o.CreateTable(span=call.span, table=model.qname,
                                           columns=tuple(columns),
                                           constraints=tuple(constraints))]
    up += indexes
    for key, suffix in (("unique_together", "_uniq"), ("index_together", "_idx")):
        for cols in _together(options.get(key)):
            up.append(_together_op(model, cols, suffix, call.span))
            getattr(model, key).append(cols)
    for value in _list(options.get("indexes")):
        op = _index(model, value, call.span, False)
        if op is not None:
            up.append(op)
    for value in _list(options.get("constraints")):
        up += _constraint(model, value, call.span, False)
    joins = [(f.join, written.get(f.name, call.span)) for f in model.fields.values()
             if f.join is not None]
    for join, span in joins:  # `create_model` makes them last, each as a model of its own
        up += m2m.create(join, model, ctx.state, span)
    down = [m2m.drop(join, call.span, DJANGO) for join, _ in joins]
    down.append(o.DropTable(span=call.span, tables=(model.qname,), cascade=True,
                            cascade_by=DJANGO))
    return Translated(_one(call, *up), _one(call, *down))


def _together(value: object) -> list[tuple[str, ...]]:
    """`unique_together`/`index_together` as `normalize_together` reads it: one tuple of
    field names, or several; a literal, or the `set([...])` Django's autodetector wrote
    until 1.8 (`set()`, `frozenset(...)`, `tuple(...)`, `list(...)` are the same)."""
    if isinstance(value, Call) and value.name in _COLLECTIONS and not value.kwargs and \
            len(value.args) <= 1:
        value = value.args[0] if value.args else []
    if isinstance(value, set | frozenset | list | tuple):
        items = list(value)
        if items and all(isinstance(v, str) for v in items):
            return [tuple(str(v) for v in items)]
        return [tuple(str(x) for x in v) for v in items if isinstance(v, list | tuple)]
    return []


# Builtins that make a collection of what they are given.
_COLLECTIONS = frozenset({"set", "frozenset", "tuple", "list"})


def _together_op(model: ModelState, cols: tuple[str, ...], suffix: str, span: Span
                 ) -> o.Operation:
    columns = tuple(model.column(c) for c in cols)
    name = index_name(model.table, list(columns), suffix)
    if suffix == "_uniq":
        return o.AddConstraint(span=span, table=model.qname,
                               constraint=o.ConstraintDef("unique", name, columns))
    return o.CreateIndex(span=span, name=QName.of(name), table=model.qname, columns=columns)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _delete_model(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx, "name")
    ctx.state.models.pop(f"{ctx.app}.{model.name}", None)
    columns = tuple(f.column_def for f in model.fields.values() if f.column_def is not None)
    recreate = o.CreateTable(span=call.span, table=model.qname, columns=columns)
    # `delete_model` drops the model's join tables first, then its table.
    up: list[o.Operation] = [m2m.drop(f.join, call.span, DJANGO)
                             for f in model.fields.values() if f.join is not None]
    up.append(o.DropTable(span=call.span, tables=(model.qname,), cascade=True,
                          cascade_by=DJANGO))
    return Translated(_one(call, *up), _one(call, recreate))


def _rename_model(call: Call, ctx: Context) -> Translated:
    old = _str(call.arg(0, "old_name")) or "?"
    new = _str(call.arg(1, "new_name")) or "?"
    model = ctx.state.model(ctx.app, old)
    old_label, new_label = f"{ctx.app}.{old.lower()}", f"{ctx.app}.{new.lower()}"
    # The foreign keys to the model, under the names they were made with.
    pointing = [(other, f, foreign_key(other, f, ctx.state))
                for other, f in ctx.state.relations_to(old_label)] \
        if model.default_table else []
    ctx.state.models.pop(old_label, None)
    old_table = model.qname
    model.name = new.lower()
    ctx.state.models[new_label] = model
    # Relations to the model follow it (`ProjectState.rename_model`): a RenameField of one
    # after it still finds the foreign key it drops and makes again (Plane's 0085).
    ctx.state.repoint(old_label, new_label)
    up: list[o.Operation] = []
    if model.default_table:
        model.table = default_table(ctx.app, new)
        up.append(o.RenameTable(span=call.span, table=old_table, new_name=model.table))
        up += _repointed_keys(pointing, call.span, ctx.state)
    up += m2m.rename_model(model, old.lower(), ctx.state, call.span)
    # The way back is Django's RenameModel the other way, which the up path does not need
    # to model: only the table's own rename is kept for it.
    down = [o.RenameTable(span=call.span, table=model.qname, new_name=old_table.name)] \
        if model.default_table else []
    return Translated(_one(call, *up), _one(call, *down))


def _repointed_keys(pointing: list[tuple[ModelState, FieldState, o.ConstraintDef | None]],
                    span: Span, state: ProjectState) -> list[o.Operation]:
    """What RenameModel sends for each relation to a model whose table it renames: the
    field is altered (`database_forwards`: "Alter the fields pointing to us"), and, its
    target's table changed, its foreign key is dropped and made again under a name that
    holds the new table's, validating every row of the referencing table."""
    out: list[o.Operation] = []
    for other, f, key in pointing:
        if key is None or not key.name or not other.has_table:
            continue
        out.append(o.DropConstraint(span=span, table=other.qname, name=key.name))
        f.fk_name = None  # named after the new table now
        again = foreign_key(other, f, state)
        if again is not None:
            out.append(o.AddConstraint(span=span, table=other.qname, constraint=again))
    return out


def _alter_model_table(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx, "name")
    old_table = model.qname
    table = _str(call.arg(1, "table"))
    model.default_table = table is None
    model.table = table or default_table(ctx.app, model.name)
    if model.table == old_table.name:
        return Translated()
    up: list[o.Operation] = [o.RenameTable(span=call.span, table=old_table,
                                           new_name=model.table)]
    up += m2m.rename_model(model, model.name, ctx.state, call.span)
    return Translated(
        _one(call, *up),
        _one(call, o.RenameTable(span=call.span, table=model.qname, new_name=old_table.name)))


# -- fields ----------------------------------------------------------------------------------


def _add_field(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    value = call.arg(2, "field")
    f = field_state(name, value, model, ctx)
    model.fields[name] = f
    span = call.kw_spans.get("field", call.span)
    if f.join is not None:
        return Translated(_one(call, *m2m.create(f.join, model, ctx.state, span)),
                          _one(call, m2m.drop(f.join, call.span, DJANGO)))
    if f.column_def is None:
        return Translated()
    col = f.column_def
    default = effective_default(value) if isinstance(value, Call) else None
    up: list[o.Operation] = []
    # A Python default is sent once, as a constant, to fill the existing rows, and dropped
    # right after (`BaseDatabaseSchemaEditor.add_field`): on PostgreSQL 11 and later,
    # ADD COLUMN with a constant default rewrites nothing.
    has_default = default is not None and col.default is None and col.not_null
    if has_default:
        col = replace(col, default=o.Expr(sql=_expr(default).sql, constant=True))
    cons, indexes = _field_extras(model, f, span, ctx.state)
    up.append(o.AddColumn(span=span, table=model.qname, column=col,
                          constraints=tuple(cons)))
    if has_default:
        up.append(o.SetDefault(span=span, table=model.qname, column=col.name, default=None))
    up += indexes
    _keep_default(call, name, value, f, model, ctx)
    down = o.DropColumn(span=call.span, table=model.qname, column=col.name)
    return Translated(_one(call, *up), _one(call, down))


def _keep_default(call: Call, name: str, value: object, f: FieldState, model: ModelState,
                  ctx: Context) -> None:
    """`preserve_default=False` on AddField or AlterField: the default only filled the rows,
    and the state keeps the field without it (`state_forwards`), as the next AlterField
    compares it (Flagsmith's segments 0020, whose AlterField then changes only
    `on_delete`, which sends nothing)."""
    if call.arg(3, "preserve_default") is not False or not isinstance(value, Call):
        return
    kept = field_state(name, replace(value, kwargs={
        k: v for k, v in value.kwargs.items() if k != "default"}), model, ctx)
    kept.fk_name, kept.index_name, kept.like_name = f.fk_name, f.index_name, f.like_name
    model.fields[name] = kept


# Fields whose `empty_strings_allowed` is false: `blank=True` gives them no default.
_NO_EMPTY_STRING = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "BooleanField", "NullBooleanField",
    "DateField", "DateTimeField", "TimeField", "DurationField", "DecimalField", "FloatField",
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "GenericIPAddressField",
    "JSONField", "UUIDField", "ForeignKey", "OneToOneField",
})


def effective_default(field: Call) -> object:
    """The value `BaseDatabaseSchemaEditor.effective_default` fills existing rows with:
    the field's `default`; the empty string for a `blank=True` text-like field that is
    not nullable; the current time for `auto_now`/`auto_now_add`; else none."""
    kw = field.kwargs
    cls = field_class(field.name, kw)
    if "default" in kw and kw["default"] is not None:
        return kw["default"]
    if kw.get("null") is not True and kw.get("blank") is True and \
            cls not in _NO_EMPTY_STRING:
        return ""
    if cls in ("DateField", "DateTimeField", "TimeField") and (
            kw.get("auto_now") is True or kw.get("auto_now_add") is True):
        return Opaque("now()")  # evaluated once, in Python: a constant for the database
    return None


def _remove_field(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    f = model.fields.pop(name, None)
    column = f.column if f is not None else name
    if f is not None and f.join is not None:  # `remove_field`: `delete_model` of the join
        return Translated(_one(call, m2m.drop(f.join, call.span, DJANGO)),
                          _one(call, *m2m.create(f.join, model, ctx.state, call.span)))
    if f is not None and f.column is None:
        return Translated()
    # Django drops columns and tables with CASCADE (`sql_delete_column`, `sql_delete_table`
    # in `BaseDatabaseSchemaEditor`, which the PostgreSQL backend keeps): views and foreign
    # keys of other tables that use them go too.
    up = o.DropColumn(span=call.span, table=model.qname, column=column or name, cascade=True,
                      cascade_by=DJANGO)
    down = []
    if f is not None and f.column_def is not None:
        down.append(o.AddColumn(span=call.span, table=model.qname, column=f.column_def))
    return Translated(_one(call, up), _one(call, *down))


def _alter_field(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    old = model.fields.get(name)
    value = call.arg(2, "field")
    new = field_state(name, value, model, ctx)
    model.fields[name] = new
    span = call.kw_spans.get("field", call.span)
    if old is not None and old.join is not None and new.join is not None:
        return Translated(
            _one(call, *m2m.repoint(old.join, new.join, model, ctx.state, span)),
            _one(call, *m2m.repoint(replace(new.join), replace(old.join), model, ctx.state,
                                    call.span)))
    up = _alter(model, old, new, span, ctx.state, call.code)
    down = _alter(model, new, old, call.span, ctx.state, call.code) if old is not None else []
    _keep_default(call, name, value, new, model, ctx)
    return Translated(up, down)


def _alter(model: ModelState, old: FieldState | None, new: FieldState | None, span: Span,
           state: ProjectState, code: str) -> list[Statement]:
    """What `BaseDatabaseSchemaEditor._alter_field` sends for the difference of two fields,
    as one statement; when a nullable field becomes NOT NULL with a default (its "4 way
    default alteration"), the UPDATE that fills the NULLs is a statement of its own between
    what comes before it (the ALTER that sets the default, whose lock it runs under) and
    what comes after (SET NOT NULL, DROP DEFAULT)."""
    if new is None or new.column is None:
        return []
    table = model.qname
    out: list[o.Operation] = []
    column = new.column
    altered = old is None or old.signature != new.signature or old.column != new.column \
        or _target_table(old, state) != _target_table(new, state)
    # Any change to a relation field drops its foreign key first and makes it again at the
    # end (`_alter_field`: `fks_dropped`), which validates every row once more.
    old_fk = foreign_key(model, old, state) if old is not None and altered else None
    # One whose name only run time knows (to a table only run time knows) is dropped
    # unseen: Django finds it by its column (`_constraint_names`).
    if old_fk is not None and old_fk.name:
        out.append(o.DropConstraint(span=span, table=table, name=old_fk.name))
    if old is not None:
        out += _dropped_indexes(model, old, new, span)
    if old is not None and old.column is not None and old.field_class in _POSITIVE_FIELDS \
            and new.field_class not in _POSITIVE_FIELDS:
        # The old field's db_check goes (`_alter_field`: "Change check constraints?"),
        # found by its column; PostgreSQL named it when the column was made.
        out.append(o.DropConstraint(span=span, table=table,
                                    name=default_name(model.table, old.column, "check")))
    if old is not None and old.column is not None and old.column != new.column:
        out.append(o.RenameColumn(span=span, table=table, column=old.column,
                                  new_name=new.column))
    # A field whose type the history does not know (a custom field, a max_length from
    # settings) may already have the new type: Django would then send nothing, so no
    # type change is claimed.
    # `db_collation` changed: Django sends the type again with its COLLATE (`_alter_field`:
    # `_alter_column_collation_sql`; "default" when the collation is dropped).
    collation = (new.collation or "default") if old is not None and \
        old.collation != new.collation else None
    if new.type.name != "unknown" and old is not None and old.type.name != "unknown" and \
            (old.type != new.type or collation is not None):
        out.append(o.AlterColumnType(span=span, table=table, column=column,
                                     new_type=new.type, old_type=old.type,
                                     collation=collation))
    if old is not None and new.default != old.default:  # db_default, which stays
        out.append(o.SetDefault(span=span, table=table, column=column, default=new.default))
    # NULL to NOT NULL: a Python default other than the old one is set for the rows (and
    # for inserts meanwhile), dropped at the end; with a default of either kind the rows
    # that hold NULL are filled before SET NOT NULL, in a statement of their own.
    to_not_null = old is not None and old.null and not new.null
    python_default = None
    if old is not None and to_not_null and new.default is None and new.fill is not None \
            and not _same_fill(old.fill, new.fill):
        python_default = o.Expr(sql=_expr(new.fill).sql, constant=True)
        out.append(o.SetDefault(span=span, table=table, column=column,
                                default=python_default))
    statements = []
    if to_not_null and (new.has_default or new.default is not None):
        # The value: db_default's, else the Python default's, sent as a parameter.
        value = new.default or o.Expr(sql=_expr(new.fill).sql,
                                      constant=not isinstance(new.fill, Opaque | Call))
        statements += [Statement(code, tuple(out)), _fill(table, column, value, span)]
        out = []
    if old is None or old.null != new.null:
        out.append(o.DropNotNull(span=span, table=table, column=column) if new.null
                   else o.SetNotNull(span=span, table=table, column=column))
    if old is not None and new.unique and not old.unique and not new.primary_key:
        out.append(o.AddConstraint(span=span, table=table, constraint=o.ConstraintDef(
            "unique", index_name(model.table, [column], "_uniq"), (column,))))
    if old is not None and new.db_index and not old.db_index:
        new.index_name = index_name(model.table, [column])
        out.append(o.CreateIndex(span=span, name=QName.of(new.index_name), table=table,
                                 columns=(column,)))
    if old is not None and old.field_class not in _POSITIVE_FIELDS and \
            new.field_class in _POSITIVE_FIELDS:
        # Django adds the new field's db_check under a name of its own making (a digest):
        # `ALTER TABLE ... ADD CONSTRAINT "<table>_<column>_<hash>_check" CHECK (... >= 0)`.
        out.append(o.AddConstraint(span=span, table=table, constraint=_positive_check(
            column, name_at_run_time=True)))
    if old is not None and old.db_index == new.db_index:
        new.index_name = old.index_name
    if old is None:
        # A field the history never made (an operation it does not model added it): what
        # Django would drop and make again is not known, so nothing is claimed.
        return [Statement(code, tuple(out))] if out else []
    old_had_fk = foreign_key(model, old, state) is not None
    if old_fk is not None or not old_had_fk:
        new.fk_name = None  # made again now, under the name the current tables give it
        new_fk = foreign_key(model, new, state)
        if new_fk is not None:
            out.append(o.AddConstraint(span=span, table=table, constraint=new_fk))
    else:
        new.fk_name = old.fk_name
    if python_default is not None:
        out.append(o.SetDefault(span=span, table=table, column=column, default=None))
    out += _like_index(model, old, new, span)
    return [st for st in (*statements, Statement(code, tuple(out))) if st.ops]


def _dropped_indexes(model: ModelState, old: FieldState, new: FieldState, span: Span
                     ) -> list[o.Operation]:
    """What `_alter_field` drops before it changes the column: the unique constraint the
    field no longer has; the `db_index` index, and with it the `_like` index, which Django
    finds as every b-tree index on the column alone (`_constraint_names`), so by the names
    they were made under; and the `_like` index of a varchar or text column whose type
    leaves that family (`_alter_column_type_sql`), by the name the table and column give
    it now. `new.like_name` says which `_like` index is left."""
    table = model.qname
    out: list[o.Operation] = []
    new.like_name = old.like_name if _indexed(old) and pattern_ops(old) else None
    if old.unique and not new.unique and not new.primary_key:
        out.append(o.DropConstraint(span=span, table=table,
                                    name=default_name(model.table, old.column, "key")))
    if old.db_index and not new.db_index:
        # Found by its column in the database: the names they were made under, whatever
        # the table and column are called now; one `DROP INDEX IF EXISTS` each.
        made = old.index_name or index_name(model.table, [old.column or ""])
        out += [o.DropIndex(span=span, names=(QName.of(name),), if_exists=True)
                for name in (made, new.like_name) if name is not None]
        if new.like_name is not None:
            new.like_name = None
            return out  # the type change's DROP INDEX IF EXISTS then finds nothing
    if _indexed(old) and _leaves_text(old, new):
        out.append(_drop_like(model, old, new, span))
    return out


def _leaves_text(old: FieldState, new: FieldState) -> bool:
    """`_is_changing_type_of_indexed_text_column`, less the index: varchar to another type
    than varchar, text to another than text."""
    return pattern_ops(old) and new.type.name != "unknown" and \
        new.type.name != old.type.name


def _like_index(model: ModelState, old: FieldState | None, new: FieldState, span: Span
                ) -> list[o.Operation]:
    """What PostgreSQL's schema editor adds at the end of `_alter_field`: the `_like` index
    of a varchar or text column that becomes indexed or unique (or changes type while
    indexed), and the drop of that index when a unique column becomes neither unique nor
    indexed, by the name the table and column give it now (`DROP INDEX IF EXISTS`)."""
    if old is None or new.column is None:
        return []
    made = (not _indexed(old) or (_unique(new) and not _unique(old)) or
            (_indexed(old) and _leaves_text(old, new)))
    if made and _indexed(new) and pattern_ops(new):
        new.like_name = index_name(model.table, [new.column], "_like")
        return [o.CreateIndex(span=span, name=QName.of(new.like_name), table=model.qname,
                              columns=(new.column,))]
    if _unique(old) and not _indexed(new):
        return [_drop_like(model, old, new, span)]
    return []


def _drop_like(model: ModelState, old: FieldState, new: FieldState, span: Span
               ) -> o.DropIndex:
    """`DROP INDEX IF EXISTS` of the `_like` index by the name the table and the old column
    give it now; one made under other names stays (`new.like_name`)."""
    name = index_name(model.table, [old.column or ""], "_like")
    if new.like_name == name:
        new.like_name = None
    return o.DropIndex(span=span, names=(QName.of(name),), if_exists=True)


def _same_fill(old: object, new: object) -> bool:
    """Whether the two effective defaults are equal, as `_alter_field` compares them: a
    value run time computes (a callable, `now()`) is another value each time."""
    return not isinstance(old, Opaque | Call) and not isinstance(new, Opaque | Call) and \
        type(old) is type(new) and old == new


def _fill(table: QName, column: str, value: o.Expr, span: Span) -> Statement:
    """`sql_update_with_default`: the UPDATE that gives the rows holding NULL the default.
    Its text is Django's, not the file's, with the value where a literal gives one and
    Django's parameter where only run time knows it (the `SET CONSTRAINTS ALL IMMEDIATE`
    Django sends after it changes no schema and is left out)."""
    shown = value.sql if value.constant else "%s"
    sql = f'UPDATE "{table.name}" SET "{column}" = {shown} WHERE "{column}" IS NULL'
    return Statement(sql, (o.UpdateRows(span=span, table=table, has_where=True,
                                        columns=(column,), copies=((column, ()),),
                                        constants=(column,) if value.constant else ()),))


def _rename_field(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    old = _str(call.arg(1, "old_name")) or "?"
    new = _str(call.arg(2, "new_name")) or "?"
    f = model.fields.pop(old, None)
    if f is None:
        model.fields[new] = FieldState(new, "?", new, UNKNOWN, True)
        return Translated(_one(call, o.RenameColumn(span=call.span, table=model.qname,
                                                    column=old, new_name=new)))
    old_column = f.column
    before = f.copy()
    f.name = new
    if f.join is not None and f.join.default_table:
        # The join table is named after the field (`_alter_many_to_many`).
        old_join = f.join.table
        f.join.table = truncate_name(f"{model.table}_{new}")
        model.fields[new] = f
        return Translated(
            _one(call, o.RenameTable(span=call.span, table=QName.of(old_join),
                                     new_name=f.join.table)),
            _one(call, o.RenameTable(span=call.span, table=QName.of(f.join.table),
                                     new_name=old_join)))
    if not f.db_column and (f.column == old or (
            f.field_class in RELATION_FIELDS and f.column == f"{old}_id")):
        f.column = new if f.column == old else f"{new}_id"
        if f.column_def is not None:
            f.column_def = replace(f.column_def, name=f.column)
    model.fields[new] = f
    if old_column is None or f.column == old_column:
        return Translated()
    assert f.column is not None
    if f.field_class in RELATION_FIELDS and f.db_constraint:
        # A relation's column renamed is a field altered (`_field_should_be_altered`): its
        # foreign key is dropped, and made again under the new column's name, validated.
        up = _alter(model, before, f, call.span, ctx.state, call.code)
        down = _alter(model, f.copy(), before.copy(), call.span, ctx.state, call.code)
        return Translated(up, down)
    return Translated(
        _one(call, o.RenameColumn(span=call.span, table=model.qname, column=old_column,
                                  new_name=f.column)),
        _one(call, o.RenameColumn(span=call.span, table=model.qname, column=f.column,
                                  new_name=old_column)))


# -- indexes and constraints -----------------------------------------------------------------


def _key_expr(model: ModelState, value: object) -> o.Expr:
    """An index key written as an expression (`Lower("name")`, `F("site")`), with the
    columns of the model's fields it names: a function's string arguments are field names
    (`Lower("name")`), as is `F`'s; `Value("x")` is a literal."""
    expr = _expr(value)
    read: set[str] = set()

    def walk(node: object) -> None:
        if not isinstance(node, Call) or node.name == "Value":
            return
        for arg in (*node.args, *node.kwargs.values()):
            if isinstance(arg, str) and arg.lstrip("-") in model.fields:
                read.add(model.column(arg).lstrip("-"))
            walk(arg)

    walk(value)
    return replace(expr, columns=frozenset(read)) if read else expr


def _with_read(columns: tuple[str, ...], expressions: tuple[o.Expr, ...]) -> tuple[str, ...]:
    """An index's columns and those its key expressions read, as PostgreSQL's frontend lists
    them: an index depends on every column it reads (a change of collation rebuilds it, a
    dropped column drops it)."""
    read = sorted({c for e in expressions for c in e.columns} - set(columns))
    return (*columns, *read)

_INDEX_METHODS = {"Index": "btree", "GinIndex": "gin", "GistIndex": "gist",
                  "BrinIndex": "brin", "HashIndex": "hash", "SpGistIndex": "spgist",
                  "BloomIndex": "bloom", "BTreeIndex": "btree"}


def _index(model: ModelState, value: object, span: Span, concurrently: bool
           ) -> o.CreateIndex | None:
    if not isinstance(value, Call):
        return None
    name = _str(value.kwargs.get("name")) or "?"
    fields = [f for f in _list(value.kwargs.get("fields")) if isinstance(f, str)]
    expressions = tuple(_key_expr(model, a) for a in value.args)
    columns = _with_read(tuple(model.column(f).lstrip("-") for f in fields), expressions)
    where = _expr(value.kwargs["condition"]) if "condition" in value.kwargs else None
    op = o.CreateIndex(span=span, name=QName.of(name), table=model.qname, columns=columns,
                       expressions=expressions, where=where, concurrently=concurrently,
                       method=_INDEX_METHODS.get(value.name, "btree"))
    model.indexes[name] = op
    return op


def _constraint(model: ModelState, value: object, span: Span, not_valid: bool
                ) -> list[o.Operation]:
    if not isinstance(value, Call):
        return []
    name = _str(value.kwargs.get("name")) or "?"
    table = model.qname
    if value.name == "UniqueConstraint":
        fields = [f for f in _list(value.kwargs.get("fields")) if isinstance(f, str)]
        columns = tuple(model.column(f) for f in fields)
        if "condition" in value.kwargs or value.args or "include" in value.kwargs or \
                "opclasses" in value.kwargs:
            # Django sends a partial or expression unique constraint as a unique index.
            where = _expr(value.kwargs["condition"]) if "condition" in value.kwargs else None
            expressions = tuple(_key_expr(model, a) for a in value.args)
            index = o.CreateIndex(span=span, name=QName.of(name), table=table,
                                  columns=_with_read(columns, expressions), unique=True,
                                  where=where, expressions=expressions)
            model.indexes[name] = index
            return [index]
        con = o.ConstraintDef("unique", name, columns)
    elif value.name == "CheckConstraint":
        check = value.kwargs.get("condition", value.kwargs.get("check"))
        con = o.ConstraintDef("check", name, expr=_expr(check), not_valid=not_valid)
    elif value.name == "ExclusionConstraint":
        con = o.ConstraintDef("exclusion", name)
    else:
        return []
    model.constraints[name] = con
    return [o.AddConstraint(span=span, table=table, constraint=con)]


def _add_index(call: Call, ctx: Context, concurrently: bool = False) -> Translated:
    model = _model(call, ctx)
    op = _index(model, call.arg(1, "index"), call.span, concurrently)
    if op is None:
        return translate(replace(call, name=f"{call.name}(index not literal)"), ctx)
    assert op.name is not None
    return Translated(_one(call, op), _one(call, o.DropIndex(
        span=call.span, names=(op.name,), concurrently=concurrently)))


def _add_index_concurrently(call: Call, ctx: Context) -> Translated:
    return _add_index(call, ctx, concurrently=True)


def _remove_index(call: Call, ctx: Context, concurrently: bool = False) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    old = model.indexes.pop(name, None)
    down = [replace(old, span=call.span, concurrently=concurrently)] if old else []
    return Translated(_one(call, o.DropIndex(span=call.span, names=(QName.of(name),),
                                             concurrently=concurrently)), _one(call, *down))


def _remove_index_concurrently(call: Call, ctx: Context) -> Translated:
    return _remove_index(call, ctx, concurrently=True)


def _rename_index(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    new = _str(call.kwargs.get("new_name")) or "?"
    old = _str(call.kwargs.get("old_name"))
    fields = _together(call.kwargs.get("old_fields"))
    if old is None and len(fields) == 1 and fields[0] in model.index_together:
        # An index_together index the history made, under the name Django gave it (it
        # finds it by its columns: `_constraint_names(…, index=True)`); Flagsmith's
        # app_analytics 0007. The index leaves index_together for a name of its own.
        old = index_name(model.table, [model.column(c) for c in fields[0]], "_idx")
        model.index_together = [cols for cols in model.index_together if cols != fields[0]]
    if old is None:  # an index_together the history does not show
        return translate(replace(call, name="RenameIndex(old_fields)"), ctx)
    if old in model.indexes:
        model.indexes[new] = replace(model.indexes.pop(old), name=QName.of(new))
    return Translated(
        _one(call, o.RenameIndex(span=call.span, name=QName.of(old), new_name=new)),
        _one(call, o.RenameIndex(span=call.span, name=QName.of(new), new_name=old)))


def _add_constraint(call: Call, ctx: Context, not_valid: bool = False) -> Translated:
    model = _model(call, ctx)
    ops = _constraint(model, call.arg(1, "constraint"), call.span, not_valid)
    if not ops:
        return translate(replace(call, name=f"{call.name}(constraint not literal)"), ctx)
    down: list[o.Operation] = []
    for op in ops:
        if isinstance(op, o.AddConstraint) and op.constraint.name:
            down.append(o.DropConstraint(span=call.span, table=model.qname,
                                         name=op.constraint.name))
        elif isinstance(op, o.CreateIndex) and op.name is not None:
            down.append(o.DropIndex(span=call.span, names=(op.name,)))
    return Translated(_one(call, *ops), _one(call, *down))


def _add_constraint_not_valid(call: Call, ctx: Context) -> Translated:
    return _add_constraint(call, ctx, not_valid=True)


def _remove_constraint(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    if name in model.indexes and model.indexes[name].unique:
        index = model.indexes.pop(name)
        return Translated(_one(call, o.DropIndex(span=call.span, names=(QName.of(name),))),
                          _one(call, replace(index, span=call.span)))
    con = model.constraints.pop(name, None)
    down = [o.AddConstraint(span=call.span, table=model.qname, constraint=con)] if con else []
    return Translated(_one(call, o.DropConstraint(span=call.span, table=model.qname,
                                                  name=name)), _one(call, *down))


def _validate_constraint(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx)
    name = _str(call.arg(1, "name")) or "?"
    if name in model.constraints:
        model.constraints[name] = replace(model.constraints[name], not_valid=False)
    return Translated(_one(call, o.ValidateConstraint(span=call.span, table=model.qname,
                                                      name=name)))


def _alter_together(call: Call, ctx: Context) -> Translated:
    model = _model(call, ctx, "name")
    unique = call.name == "AlterUniqueTogether"
    key = "unique_together" if unique else "index_together"
    suffix = "_uniq" if unique else "_idx"
    old: list[tuple[str, ...]] = getattr(model, key)
    new = _together(call.arg(1, key))
    up: list[o.Operation] = []
    down: list[o.Operation] = []
    for cols in old:
        if cols not in new:
            up.append(_drop_together(model, cols, suffix, call.span))
            down.append(_together_op(model, cols, suffix, call.span))
    for cols in new:
        if cols not in old:
            up.append(_together_op(model, cols, suffix, call.span))
            down.append(_drop_together(model, cols, suffix, call.span))
    setattr(model, key, new)
    return Translated(_one(call, *up), _one(call, *down))


def _drop_together(model: ModelState, cols: tuple[str, ...], suffix: str, span: Span
                   ) -> o.Operation:
    columns = [model.column(c) for c in cols]
    name = index_name(model.table, columns, suffix)
    if suffix == "_uniq":
        return o.DropConstraint(span=span, table=model.qname, name=name)
    return o.DropIndex(span=span, names=(QName.of(name),))


# -- code and SQL ----------------------------------------------------------------------------


def _run_sql(call: Call, ctx: Context) -> Translated:
    up = _sql(call.node(0, "sql"), call, ctx)
    reverse = call.node(1, "reverse_sql")
    if reverse is None:
        return Translated(up, [], irreversible=True)
    return Translated(up, _sql(reverse, call, ctx))


def _sql(node: object, call: Call, ctx: Context) -> list[Statement]:
    if node is None or _is_noop(node):
        return []
    return ctx.read_sql(node, call.span)


def _is_noop(node: object) -> bool:
    import libcst as cst

    return isinstance(node, cst.Attribute) and node.attr.value == "noop"


def _run_python(call: Call, ctx: Context) -> Translated:
    reverse = call.arg(1, "reverse_code")
    noop = _noop(reverse)
    if _noop(call.arg(0, "code")):
        # `RunPython(migrations.RunPython.noop, reverse_code=…)`: nothing runs going forward
        # (Flagsmith's features 0039 and 0051, whose reverse fills rows back).
        return Translated([], [], irreversible=reverse is None)
    way_back = "no reverse_code" if reverse is None else (
        "a reverse that does nothing" if noop else "its reverse_code")
    # One statement for the call: its reverse is the same call, at the same line, so a
    # second statement in the down script would only say the same thing twice.
    up = o.RawSQL(span=call.span, statement_kind=o.DATA_MIGRATION, sql=call.code,
                  reason=f"Python code (a data migration, {way_back}): not read, not run",
                  reverse_code=reverse is not None and not noop)
    return Translated(_one(call, up), [], irreversible=reverse is None)


def _create_extension(call: Call, ctx: Context) -> Translated:
    name = _EXTENSIONS.get(call.name) or _str(call.arg(0, "name")) or "?"
    # Django sends CREATE EXTENSION IF NOT EXISTS, and DROP EXTENSION IF EXISTS back.
    return Translated(
        _one(call, o.CreateExtension(span=call.span, name=name, if_not_exists=True)),
        _one(call, o.DropExtension(span=call.span, names=(name,))))


def _create_collation(call: Call, ctx: Context) -> Translated:
    """django.contrib.postgres's `CreateCollation`: CREATE COLLATION, and DROP COLLATION
    back (`RemoveCollation` the other way round); catalog-only, as in SQL."""
    create = o.RawSQL(span=call.span, statement_kind="DefineStmt", sql=call.code)
    drop = o.RawSQL(span=call.span, statement_kind=o.DROP_COLLATION, sql=call.code)
    if call.name == "RemoveCollation":
        create, drop = drop, create
    return Translated(_one(call, create), _one(call, drop))


def _noop(code: object) -> bool:
    """Whether a RunPython argument is Django's `RunPython.noop`."""
    return isinstance(code, Opaque) and code.code.endswith(".noop")


_EXTENSIONS = {"BloomExtension": "bloom", "BtreeGinExtension": "btree_gin",
               "BtreeGistExtension": "btree_gist", "CITextExtension": "citext",
               "CryptoExtension": "pgcrypto", "HStoreExtension": "hstore",
               "TrigramExtension": "pg_trgm", "UnaccentExtension": "unaccent"}

# Operations that change only Django's model state: nothing reaches the database (Django
# 5.2's `AlterConstraint` changes a constraint's options that live in Python only, such as
# `violation_error_message`; its database_forwards and _backwards do nothing).
_STATE_ONLY = frozenset({"AlterModelManagers", "AlterConstraint"})


def _alter_model_options(call: Call, ctx: Context) -> Translated:
    """State only. `managed` is one of the options it replaces (absent: the default, True),
    and decides whether later operations on the model reach the database; turning it on
    creates no table."""
    options = call.arg(1, "options")
    if isinstance(options, dict):
        _model(call, ctx, "name").managed = options.get("managed") is not False
    return Translated()

Translator = Callable[[Call, Context], Translated]

_TRANSLATORS: dict[str, Translator] = {
    "CreateModel": _create_model,
    "DeleteModel": _delete_model,
    "RenameModel": _rename_model,
    "AlterModelTable": _alter_model_table,
    "AddField": _add_field,
    "RemoveField": _remove_field,
    "AlterField": _alter_field,
    "RenameField": _rename_field,
    "AddIndex": _add_index,
    "RemoveIndex": _remove_index,
    "RenameIndex": _rename_index,
    "AddIndexConcurrently": _add_index_concurrently,
    "RemoveIndexConcurrently": _remove_index_concurrently,
    "AddConstraint": _add_constraint,
    "AddConstraintNotValid": _add_constraint_not_valid,
    "RemoveConstraint": _remove_constraint,
    "ValidateConstraint": _validate_constraint,
    "AlterUniqueTogether": _alter_together,
    "AlterIndexTogether": _alter_together,
    "AlterModelOptions": _alter_model_options,
    "RunSQL": _run_sql,
    "RunPython": _run_python,
    "CreateExtension": _create_extension,
    "CreateCollation": _create_collation,
    "RemoveCollation": _create_collation,
    **{name: _create_extension for name in _EXTENSIONS},
}
