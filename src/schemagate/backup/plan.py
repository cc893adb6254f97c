"""Which data the migrations destroy: the saves a backup must make, found by folding.

The migrations are replayed over a catalog in order. Those before ``start`` only build the
schema; from ``start`` on they form the *batch* the backup is for: `backup.sql` runs right
before its first migration and `restore.sql` right after its down migrations have run, so
both see the schema as it is at the start of the batch. Every save is therefore expressed
in the names of that moment, even when a migration of the batch renamed the table or column
before destroying it, and data created inside the batch (a table or column added by one of
its migrations) is not saved: it did not exist when the backup ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from schemagate.fold import apply
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, Table
from schemagate.model.migration import ParsedMigration
from schemagate.model.names import QName, quote_qname
from schemagate.model.span import Span
from schemagate.model.types import TypeRef, classify_change
from schemagate.rules.dependents import truncate_cascade_targets

SaveKind = Literal["table", "columns"]
REFUSES = "restore.sql refuses: "
UNLISTED_SCHEMA = "only the tables the history knows are saved"


@dataclass(frozen=True, slots=True)
class ColumnShape:
    """A column as the backup sees it.

    ``user_type`` is the quoted SQL name of a user-defined type (enum, domain, composite,
    an extension's type): such columns are saved as text, because a backup table holding the
    type itself would make the migration's own `DROP TYPE` fail, or with `CASCADE` lose the
    saved column; restore casts them back.
    """

    name: str
    user_type: str | None = None
    generated: bool = False


@dataclass(frozen=True, slots=True)
class TableShape:
    """What a backup needs of a table: columns, a key, and whom its foreign keys reference."""

    name: QName
    columns: tuple[ColumnShape, ...] | None  # None: unknown (never created in the history)
    key: tuple[str, ...] = ()  # primary key, else a unique key of NOT NULL columns; () none
    references: tuple[QName, ...] = ()
    sequence_columns: tuple[str, ...] = ()  # identity, serial, nextval(): catch up after restore

    def column(self, name: str) -> ColumnShape | None:
        for col in self.columns or ():
            if col.name == name:
                return col
        return None


@dataclass(frozen=True, slots=True)
class Reason:
    """One destructive statement that a save covers."""

    migration: str
    what: str
    span: Span
    statement: str
    # `DROP TABLE IF EXISTS`: where the database has no such table, the drop does nothing.
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class Save:
    """Data to save before the batch: a whole table, or some columns of it by key."""

    number: int
    kind: SaveKind
    table: TableShape
    columns: tuple[str, ...] = ()  # kind "columns": the columns destroyed
    reasons: tuple[Reason, ...] = ()

    @property
    def restorable(self) -> str | None:
        """Why restore.sql cannot put this back automatically, or None when it can."""
        if self.kind == "columns" and not self.table.key:
            return (f"{self.table.name} has no primary key (or unique key of NOT NULL "
                    "columns): the saved values cannot be matched to their rows")
        if self.kind == "table" and self.table.columns is None:
            return (f"the columns of {self.table.name} are unknown to the migration history; "
                    "generate the scripts again with --db")
        return None


@dataclass(frozen=True, slots=True)
class Note:
    """Something the backup does not cover, said in the scripts' headers."""

    message: str
    span: Span | None = None


@dataclass
class BackupPlan:
    migrations: list[str] = field(default_factory=list)  # the batch, in order
    saves: list[Save] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    dropped_schemas: list[tuple[str, Reason]] = field(default_factory=list)

    @property
    def first(self) -> str | None:
        return self.migrations[0] if self.migrations else None


def plan_backup(migrations: Sequence[ParsedMigration], start: int = 0, *,
                before: Catalog | None = None) -> BackupPlan:
    """The saves that protect the data the up scripts of ``migrations[start:]`` destroy.

    ``before``, when given, is the schema before ``migrations[start]`` (a caller that walks
    the history keeps it), and the migrations before ``start`` are not folded again.
    """
    if before is not None:
        catalog = before.copy()
    else:
        catalog = Catalog()
        for mig in migrations[:start]:
            for op in up_ops(mig):
                apply(catalog, op, mig.name)
    planner = _Planner(catalog.copy(), _Origins())
    for mig in migrations[start:]:
        planner.plan.migrations.append(mig.name)
        for st in mig.up.statements if mig.up is not None else ():
            for op in st.ops:
                planner.check(op, catalog, Reason(mig.name, "", op.span, st.sql))
                planner.origins.follow(op, catalog)
                apply(catalog, op, mig.name)
    return planner.finish()


def up_ops(mig: ParsedMigration) -> Iterable[o.Operation]:
    """The operations of a migration's up script, in order."""
    return (op for st in (mig.up.statements if mig.up else ()) for op in st.ops)


class _Origins:
    """Current names → names at the start of the batch (None: created inside the batch)."""

    def __init__(self) -> None:
        self.tables: dict[QName, QName | None] = {}
        # By table, so that a table made, dropped or renamed moves only its own columns (a
        # search of every column for each made 20,000 tables quadratic: minutes).
        self.columns: dict[QName, dict[str, str | None]] = {}

    def table(self, name: QName) -> QName | None:
        return self.tables.get(name, name)

    def column(self, table: QName, name: str) -> str | None:
        if self.table(table) is None:
            return None
        return self.columns.get(table, {}).get(name, name)

    def _set_column(self, table: QName, name: str, origin: str | None) -> None:
        self.columns.setdefault(table, {})[name] = origin

    def follow(self, op: o.Operation, catalog: Catalog) -> None:
        match op:
            case o.CreateTable(table=t) | o.CreateView(name=t, materialized=True):
                if not (isinstance(op, o.CreateTable) and op.if_not_exists
                        and t in catalog.tables):
                    self._new_table(t)
            case o.DropTable(tables=tables):
                for t in tables:
                    self._new_table(t)
            case o.RenameTable(table=t, new_name=new):
                self._rename_table(t, QName(t.schema, new))
            case o.RenameSchema(name=old, new_name=new):
                for t in [t for t in catalog.tables if t.schema == old]:
                    self._rename_table(t, QName(new, t.name))
            case o.AddColumn(table=t, column=col):
                if not (op.if_not_exists and (table := catalog.tables.get(t)) is not None
                        and table.column(col.name) is not None):
                    self._set_column(t, col.name, None)
            case o.DropColumn(table=t, column=c):
                self._set_column(t, c, None)
            case o.RenameColumn(table=t, column=c, new_name=new):
                self._set_column(t, new, self.column(t, c))
                self._set_column(t, c, None)

    def _new_table(self, name: QName) -> None:
        self.tables[name] = None
        self.columns.pop(name, None)

    def _rename_table(self, old: QName, new: QName) -> None:
        self.tables[new] = self.table(old)
        moved = self.columns.pop(old, None)
        if moved:
            self.columns.setdefault(new, {}).update(moved)
        self.tables[old] = None


class _Planner:
    def __init__(self, start: Catalog, origins: _Origins) -> None:
        self.start = start
        self.origins = origins
        self.plan = BackupPlan()
        self.by_target: dict[tuple[SaveKind, QName], Save] = {}
        self.dropped: list[QName] = []  # tables dropped (at their batch-start names)

    def check(self, op: o.Operation, cat: Catalog, where: Reason) -> None:
        """Record the saves one operation needs, given the schema just before it."""
        match op:
            case o.DropTable(tables=tables, if_exists=if_exists):
                for t in tables:
                    self.whole(cat, t, replace(where, what=f"DROP TABLE {t}",
                                               if_exists=if_exists))
                    if (origin := self.origins.table(t)) is not None:
                        self.dropped.append(origin)
            case o.Truncate(tables=tables, cascade=cascade):
                targets = list(tables)
                if cascade:
                    targets += truncate_cascade_targets(cat, tables)
                for t in targets:
                    self.whole(cat, t, replace(where, what=f"TRUNCATE {t}"))
            case o.DeleteRows(table=t, has_where=False):
                self.whole(cat, t, replace(where, what=f"DELETE without WHERE on {t}"))
            case o.UpdateRows(table=t, has_where=False, columns=cols):
                what = f"UPDATE without WHERE on {t}"
                if cols:
                    self.columns(cat, t, cols, replace(where, what=what))
                else:
                    self.whole(cat, t, replace(where, what=what))
            case o.DropColumn(table=t, column=c):
                self.columns(cat, t, (c,), replace(where, what=f"DROP COLUMN {t}.{c}"))
            case o.AlterColumnType():
                self.type_change(op, cat, where)
            case o.DropType(names=names, cascade=True):
                for name in names:
                    for table, col in _columns_of_type(cat, name):
                        self.columns(cat, table, (col,), replace(
                            where, what=f"DROP TYPE {name} CASCADE drops {table}.{col}"))
            case o.DropSchema(names=names, cascade=True):
                for schema in names:
                    reason = replace(where, what=f"DROP SCHEMA {schema} CASCADE")
                    self.plan.dropped_schemas.append((schema, reason))
                    self.note(f"DROP SCHEMA {schema} CASCADE: {UNLISTED_SCHEMA}; with --db, "
                              "every table of the schema is", where.span)
                    for t in [t for t in cat.tables if t.schema == schema]:
                        self.whole(cat, t, reason)
            case o.DropExtension(names=names, cascade=True):
                self.note(f"DROP EXTENSION {', '.join(names)} CASCADE drops the columns that "
                          "use the extension's types; they are not saved", where.span)
            case o.DropDatabase(name=name):
                self.note(f"DROP DATABASE {name}: a whole database is beyond this backup; "
                          "take a pg_dump", where.span)

    def type_change(self, op: o.AlterColumnType, cat: Catalog, where: Reason) -> None:
        table = cat.tables.get(op.table)
        col = table.column(op.column) if table is not None else None
        old = op.old_type or (col.type if col is not None and col.type.name != "unknown"
                              else None)
        if old is None:
            what = f"type change of {op.table}.{op.column} from a type the history does " \
                   f"not know to {op.new_type}"
        else:
            change = classify_change(old, op.new_type, op.using is not None)
            if not change.lossy and op.using is None:
                return
            how = change.reason if change.lossy else "rewrites every value through USING"
            what = f"type change of {op.table}.{op.column} from {old} to {op.new_type} ({how})"
        self.columns(cat, op.table, (op.column,), replace(where, what=what))

    def whole(self, cat: Catalog, table: QName, reason: Reason) -> None:
        origin = self.origins.table(table)
        if origin is None:
            return  # created inside the batch: held no data when the backup ran
        self.add("table", self.shape(cat, table, origin), (), reason)

    def columns(self, cat: Catalog, table: QName, cols: Iterable[str], reason: Reason) -> None:
        origin = self.origins.table(table)
        if origin is None:
            return
        originals = tuple(c for c in (self.origins.column(table, c) for c in cols)
                          if c is not None)
        if originals:
            self.add("columns", self.shape(cat, table, origin), originals, reason)

    def add(self, kind: SaveKind, shape: TableShape, cols: tuple[str, ...],
            reason: Reason) -> None:
        existing = self.by_target.get((kind, shape.name))
        if existing is None:
            save = Save(len(self.plan.saves) + 1, kind, shape, cols, (reason,))
            self.plan.saves.append(save)
        else:
            merged = tuple(dict.fromkeys(existing.columns + cols))
            save = replace(existing, columns=merged, reasons=(*existing.reasons, reason))
            self.plan.saves[existing.number - 1] = save
        self.by_target[(kind, shape.name)] = save

    def shape(self, cat: Catalog, current: QName, origin: QName) -> TableShape:
        """The table as it is at the start of the batch, in that moment's names."""
        known = self.start.tables.get(origin)
        if known is not None and not known.assumed:
            return table_shape(known, self.start)
        table = cat.tables.get(current) or Table(current, assumed=True)
        shape = table_shape(table, cat)
        cols = None
        if shape.columns is not None:
            cols = tuple(replace(c, name=n) for c in shape.columns
                         if (n := self.origins.column(current, c.name)) is not None)
        key = tuple(k for k in (self.origins.column(current, c) for c in shape.key)
                    if k is not None)
        return replace(shape, name=origin, columns=cols,
                       key=key if len(key) == len(shape.key) else ())

    def note(self, message: str, span: Span | None = None) -> None:
        self.plan.notes.append(Note(message, span))

    def finish(self) -> BackupPlan:
        saved = {s.table.name for s in self.plan.saves if s.kind == "table"}
        for dropped in self.dropped:
            # A surviving table referencing a dropped one loses its foreign key (CASCADE) and
            # the down migration must not re-create it before the rows are back.
            for referencing in self._referencing(dropped):
                if referencing not in saved:
                    self.note(f"{referencing} references {dropped}: the down migration can "
                              "only re-create that foreign key once restore.sql has put the "
                              "rows back (add it NOT VALID, restore, then VALIDATE it)")
        for why in (s.restorable for s in self.plan.saves):
            if why is not None:
                self.note(REFUSES + why)
        return self.plan

    def _referencing(self, table: QName) -> list[QName]:
        return [t.name for t in self.start.tables.values()
                if any(c.kind == "foreign" and c.ref_table == table for c in t.constraints)]


def table_shape(table: Table, catalog: Catalog) -> TableShape:
    """A catalog table's shape; its columns are unknown when the table is only assumed."""
    cols = None if table.assumed else tuple(
        ColumnShape(c.name, user_type_sql(c.type), c.generated is not None)
        for c in table.columns)
    seqs = tuple(c.name for c in table.columns
                 if c.identity or c.type.serial or (c.default is not None and (
                     c.default.sequences or "nextval" in c.default.functions)))
    refs = tuple(dict.fromkeys(c.ref_table for c in table.constraints
                               if c.kind == "foreign" and c.ref_table is not None
                               and c.ref_table != table.name))
    return TableShape(table.name, cols, _key(table, catalog), refs, seqs)


def _key(table: Table, catalog: Catalog) -> tuple[str, ...]:
    """The primary key, else the first unique key whose columns are all NOT NULL."""
    if key := table.primary_key():
        return key
    not_null = {c.name for c in table.columns if c.not_null}
    candidates = [c.columns for c in table.constraints if c.kind == "unique" and c.columns]
    candidates += [ix.columns for ix in catalog.indexes_on(table.name)
                   if ix.unique and not ix.partial and ix.columns]
    for cols in candidates:
        if set(cols) <= not_null:
            return cols
    return ()


def user_type_sql(t: TypeRef) -> str | None:
    """The quoted name of a user-defined type (with its array brackets), None for built-ins."""
    if t.is_builtin or t.name == "unknown" or t.schema is None:
        return None
    return quote_qname(QName(t.schema, t.name)) + "[]" * t.array_dims


def _columns_of_type(cat: Catalog, name: QName) -> list[tuple[QName, str]]:
    return [(t.name, c.name) for t in cat.tables.values() for c in t.columns
            if not c.type.is_builtin and c.type.name == name.name
            and c.type.schema in (name.schema, None)]
