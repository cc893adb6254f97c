"""The project's models as the migrations so far have built them: tables, columns, indexes.

Django derives what it sends from the model state, not from the operation alone: a field's
table is its model's `db_table`, a foreign key's column type is the target's primary key,
`AlterField` sends only what differs from the field before, and the reverse of `RemoveField`
re-adds the field as it was. The frontend reads a project's migrations in graph order and
keeps this state between them (the loader hands one `ProjectState` to every file of the
project). Django's own contrib models, which projects depend on without holding their
migrations, are known by their table and key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from schemagate.model import ops as o
from schemagate.model.names import QName
from schemagate.model.types import TypeRef

# Postgres truncates identifiers at 63 bytes; Django builds names to fit.
MAX_NAME = 63


@dataclass
class JoinTable:
    """The join table of one many-to-many field without `through` (`parse.django.m2m`)."""

    table: str
    from_column: str
    to_column: str
    target: str | None  # "app.model" of the target, None when not a literal
    default_table: bool  # no db_table: the name follows the model's table and field name
    db_constraint: bool = True
    # The name of the foreign key of `to_column` as made (a rename of the table keeps it),
    # None when none was made or only run time knows it.
    to_key: str | None = None


@dataclass
class FieldState:
    """One concrete field: its column, type and what the schema editor derives from it."""

    name: str
    field_class: str
    column: str | None  # None: no column (ManyToManyField)
    type: TypeRef
    null: bool
    unique: bool = False
    primary_key: bool = False
    db_index: bool = False
    target: str | None = None  # "app.model" of a relation
    default: o.Expr | None = None  # db_default
    column_def: o.ColumnDef | None = None
    to_field: str | None = None  # the target's field a relation points at (else its key)
    db_constraint: bool = True  # a relation with a FOREIGN KEY constraint
    # What Django compares to decide whether AlterField sends anything
    # (`_field_should_be_altered`): the class and the arguments that reach the database.
    signature: str = ""
    fk_name: str | None = None  # the foreign key's name, as made when the field was added
    index_name: str | None = None  # its `db_index` index's name, likewise
    like_name: str | None = None  # its `_like` index's name (`ops.pattern_ops`), likewise
    join: JoinTable | None = None  # a many-to-many field's own join table
    # A Python `default` (`Field.has_default`), and the value `effective_default` fills
    # rows with (`ops.effective_default`: a literal, or an `Opaque` run time evaluates).
    has_default: bool = False
    fill: object = None
    # A relation's `to` as written when it is not a literal (`settings.AUTH_USER_MODEL`).
    to_named: str | None = None
    collation: str | None = None  # `db_collation`, when it is a literal
    # `db_column` written: the column is named so whatever the field is called (a
    # RenameField sends nothing).
    db_column: bool = False

    def copy(self) -> FieldState:
        return replace(self, join=replace(self.join) if self.join is not None else None)


@dataclass
class ModelState:
    app: str
    name: str  # lower-cased model name
    table: str
    default_table: bool  # no db_table: the table follows renames of the model
    fields: dict[str, FieldState] = field(default_factory=dict)
    indexes: dict[str, o.CreateIndex] = field(default_factory=dict)
    constraints: dict[str, o.ConstraintDef] = field(default_factory=dict)
    unique_together: list[tuple[str, ...]] = field(default_factory=list)
    index_together: list[tuple[str, ...]] = field(default_factory=list)
    managed: bool = True
    proxy: bool = False

    @property
    def has_table(self) -> bool:
        """`managed = False` and proxy models have no table of their own: the schema
        editor sends nothing for them (`Options.can_migrate`)."""
        return self.managed and not self.proxy

    @property
    def qname(self) -> QName:
        return QName.of(self.table)

    def pk(self) -> FieldState | None:
        return next((f for f in self.fields.values() if f.primary_key), None)

    def copy(self, fields: dict[int, FieldState]) -> ModelState:
        """A copy that changes apart from this one; `fields` keeps one copy of a field that
        several models hold (a proxy holds its concrete model's)."""
        own: dict[str, FieldState] = {}
        for name, f in self.fields.items():
            if id(f) not in fields:
                fields[id(f)] = f.copy()
            own[name] = fields[id(f)]
        return replace(self, fields=own, indexes=dict(self.indexes),
                       constraints=dict(self.constraints),
                       unique_together=list(self.unique_together),
                       index_together=list(self.index_together))

    def column(self, field_name: str) -> str:
        """The column of a field by name (`-name` for a descending index is kept)."""
        desc = field_name.startswith("-")
        bare = field_name.lstrip("-")
        found = self.fields.get(bare)
        column = found.column if found is not None and found.column else bare
        return ("-" if desc else "") + column


# Django's contrib apps: their tables and key types (AutoField, integer).
_CONTRIB = {"auth.user": "auth_user", "auth.group": "auth_group",
            "auth.permission": "auth_permission",
            "contenttypes.contenttype": "django_content_type", "sites.site": "django_site"}


def outside_key(table: str, column: str, target: str | None, named: str | None,
                to_field: str | None, name: str | None = None) -> o.ConstraintDef | None:
    """The FOREIGN KEY of `table.column` to a model that the project's migrations do not
    make ("app.model" `target`, or the `to` written as `named`).

    A Django contrib model's table is Django's (`auth_user`, `django_content_type`, …) and
    the key is named as `_create_fk_sql` names it. Any other model's table only run time
    knows: `settings.AUTH_USER_MODEL` is `auth.User` unless the project swaps it, and a
    third-party app's table is its migrations' to name. Its foreign key then names no table
    (`ref_table` None), and its own name, which ends with the table's, is not known either.
    """
    known = _CONTRIB.get(target) if target is not None else None
    if known is not None:
        ref_col = to_field or "id"
        return o.ConstraintDef(
            "foreign", name or index_name(table, [column], f"_fk_{known}_{ref_col}"),
            (column,), QName.of(known), (ref_col,), deferrable=True, ref_outside=target)
    said = named or target
    if said is None:
        return None
    return o.ConstraintDef("foreign", None, (column,), None, (to_field,) if to_field else (),
                           deferrable=True, name_at_run_time=True, ref_outside=said)


@dataclass
class ProjectState:
    """Every model of a project, keyed by "app_label.model_name" (lower-cased)."""

    models: dict[str, ModelState] = field(default_factory=dict)

    def copy(self) -> ProjectState:
        """A state that changes apart from this one (Django's `ProjectState.clone`); the
        frozen IR values its models hold are shared."""
        fields: dict[int, FieldState] = {}
        return ProjectState({key: m.copy(fields) for key, m in self.models.items()})

    def holds_app(self, app: str) -> bool:
        """Whether the history made a model of this app: the app is the project's."""
        prefix = f"{app}."
        return any(key.startswith(prefix) for key in self.models)

    def model(self, app: str, name: str) -> ModelState:
        """The model, or one with Django's default table when the history never made it."""
        key = f"{app}.{name.lower()}"
        if key not in self.models:
            table = _CONTRIB.get(key, default_table(app, name))
            model = ModelState(app, name.lower(), table, True)
            if key in _CONTRIB:
                model.fields["id"] = FieldState("id", "AutoField", "id", TypeRef("int4"),
                                                False, primary_key=True)
            return model
        return self.models[key]

    def relations_to(self, label: str) -> list[tuple[ModelState, FieldState]]:
        """The relation fields with a column that point at model ``label`` ("app.model"),
        each with its model."""
        return [(model, f) for model in self.models.values() for f in model.fields.values()
                if f.target == label and f.column is not None]

    def repoint(self, old: str, new: str) -> None:
        """Point every relation to model ``old`` ("app.model") at ``new``."""
        for model in self.models.values():
            for f in model.fields.values():
                if f.target == old:
                    f.target = new

    def target(self, app: str, to: str) -> ModelState | None:
        """The model a relation's `to` names: "app.Model", "Model" (same app), "self"."""
        if "." in to:
            target_app, name = to.split(".", 1)
        else:
            target_app, name = app, to
        return self.model(target_app, name)


def truncate_name(name: str, length: int = MAX_NAME, hash_len: int = 4) -> str:
    """`django.db.backends.utils.truncate_name`: a name too long keeps its head and ends
    with a digest of the whole."""
    if len(name) <= length:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:hash_len]
    return f"{name[:length - hash_len]}{digest}"


def default_table(app: str, model: str) -> str:
    """A model's table when it names none (`Options.contribute_to_class`): app label and
    model name, cut to PostgreSQL's 63 bytes as `truncate_name` cuts it."""
    return truncate_name(f"{app}_{model.lower()}")


def index_name(table: str, columns: list[str] | tuple[str, ...], suffix: str = "") -> str:
    """The name Django's schema editor gives an index or constraint it names itself
    (`BaseDatabaseSchemaEditor._create_index_name`): table, columns and an md5 digest,
    shortened to fit PostgreSQL's 63 bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in (table, *columns):
        digest.update(part.encode())
    hash_suffix = digest.hexdigest()[:8] + suffix
    name = f"{table}_{'_'.join(columns)}_{hash_suffix}"
    if len(name) <= MAX_NAME:
        return name
    if len(hash_suffix) > MAX_NAME // 3:
        hash_suffix = hash_suffix[: MAX_NAME // 3]
    other = (MAX_NAME - len(hash_suffix)) // 2 - 1
    name = f"{table[:other]}_{'_'.join(columns)[:other]}_{hash_suffix}"
    if name[0] == "_" or name[0].isdigit():
        name = f"D{name[:-1]}"
    return name
