"""Apply one operation to a catalog, as PostgreSQL would.

The fold is forgiving by design: migrations are linted, not executed, and a history often
starts from a schema the tool never saw. An operation on a table the history never created
makes an "assumed" table that predates the history (and so holds data); an operation on a
column the tool does not know adds it. Nothing here raises on a missing object.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Container, Iterable, Iterator
from itertools import chain
from operator import attrgetter
from typing import Any, TypeVar, cast

from schemagate.model import ops as o
from schemagate.model.catalog import (
    Catalog,
    Column,
    Constraint,
    Function,
    Index,
    Sequence,
    Table,
    TableIndexKey,
    Trigger,
    TypeDef,
    View,
    index_key,
)
from schemagate.model.names import NO_SCHEMA, QName, chosen_name, default_name, name_addition
from schemagate.model.types import TypeRef

_UNKNOWN = TypeRef("unknown")
_NO_NAMES: frozenset[str] = frozenset()
_NAME = attrgetter("name")

T = TypeVar("T")


def replace(record: T, **changes: Any) -> T:
    """A copy of a frozen, slotted record with some fields changed.

    dataclasses.replace re-runs __init__ and looks the fields up every call; the fold calls
    this tens of thousands of times on a long history, so it copies the slots directly,
    by a function made once per class (`_copier`).
    """
    copier = _COPIERS.get(type(record))
    if copier is None:
        copier = _COPIERS[type(record)] = _copier(type(record))
    return cast(T, copier(record, changes))


_COPIERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def _copier(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    """A function copying a record of `cls` slot by slot, then setting the changes: one
    line per slot, which took half the time of a loop over the slots asking of each
    whether it changes (a Table has 16)."""
    slots: tuple[str, ...] = cls.__slots__  # type: ignore[attr-defined]
    known = frozenset(slots)
    lines = [f"    set_(new, {name!r}, record.{name})" for name in slots]
    source = ("def copy(record, changes):\n"
              "    if not known.issuperset(changes):\n"
              "        unknown = [name for name in changes if name not in known]\n"
              "        raise TypeError(f'{cls.__name__} has no field(s) {\", \".join(unknown)}')\n"
              "    new = new_(cls)\n" + "\n".join(lines) + "\n"
              "    for name, value in changes.items():\n"
              "        set_(new, name, value)\n"
              "    return new\n")
    namespace: dict[str, Any] = {"cls": cls, "known": known, "new_": object.__new__,
                                 "set_": object.__setattr__}
    exec(compile(source, f"<replace {cls.__qualname__}>", "exec"), namespace)
    return cast(Callable[[Any, dict[str, Any]], Any], namespace["copy"])


def apply_all(catalog: Catalog, operations: Iterable[o.Operation], migration: str) -> None:
    for op in operations:
        apply(catalog, op, migration)


def apply(catalog: Catalog, op: o.Operation, migration: str) -> None:
    """Change the catalog in place to what it is after the operation."""
    handler = _HANDLERS.get(type(op))
    if handler is not None:
        handler(catalog, op, migration)


def materialize(catalog: Catalog, operations: Iterable[o.Operation], *,
                down: Iterable[o.Operation] = (), gone: Container[QName] = frozenset()
                ) -> None:
    """Make placeholders for the tables and columns the operations use but the history never
    created, before the operations run: ``operations`` are an up path's, ``down`` the down
    path's that follows it, ``gone`` the tables the history dropped or renamed away
    (`track_gone`).

    A snapshot taken after this knows that `users.legacy` existed before a migration that
    drops it, so comparing it with the schema after up and down shows whether the down path
    brought the column back. Placeholder columns have an unknown type.

    A `DROP TABLE IF EXISTS` makes no placeholder for a table the history dropped or renamed
    away (it drops nothing), nor in a down path: a down path undoes its up path, and a table
    that neither made nor the history holds is one its author expected to be absent. In an up
    path it does: a history may begin after a table was made, and its drop destroys data.
    """
    for table, column in _placeholders(catalog, operations, down, gone):
        known = table_or_assumed(catalog, table)
        if column is not None:
            catalog.tables[table] = replace(known, columns=(*known.columns,
                                                            _placeholder(column)))


def needs_placeholders(catalog: Catalog, operations: Iterable[o.Operation], *,
                       down: Iterable[o.Operation] = (),
                       gone: Container[QName] = frozenset()) -> bool:
    """Whether `materialize` would change the catalog (it is left as it is)."""
    return next(_placeholders(catalog, operations, down, gone), None) is not None


def track_gone(gone: set[QName], operations: Iterable[o.Operation]) -> None:
    """Keep ``gone``, the tables the history dropped or renamed away and did not make again,
    up to date with an up path's operations."""
    for op in with_effects(operations):
        match op:
            case o.DropTable(tables=tables):
                gone.update(tables)
            case o.RenameTable(table=t, new_name=new):
                gone.add(t)
                gone.discard(QName(t.schema, new))
            case o.CreateTable(table=t) | o.CreateView(name=t):
                gone.discard(t)


def _placeholders(catalog: Catalog, operations: Iterable[o.Operation],
                  down: Iterable[o.Operation], gone: Container[QName]
                  ) -> Iterator[tuple[QName, str | None]]:
    """The placeholders `materialize` makes, one at a time: (table, None) for a table,
    (table, column) for a column of an assumed table. Each is asked for of the catalog as
    the placeholders before it left it, so the caller makes each before taking the next."""
    produced: set[QName] = set()
    added: set[tuple[QName, str]] = set()
    steps = chain(((op, False) for op in with_effects(operations)),
                  ((op, True) for op in with_effects(down)))
    for op, in_down in steps:
        match op:
            case o.CreateTable(table=t) | o.CreateView(name=t):
                produced.add(t)
            case o.RenameTable(table=t, new_name=new):
                produced.add(QName(t.schema, new))
            case o.AddColumn(table=t, column=c):
                added.add((t, c.name))
            case o.RenameColumn(table=t, new_name=new):
                added.add((t, new))
        if isinstance(op, (o.DropTable, o.Truncate)):
            absent_ok = isinstance(op, o.DropTable) and op.if_exists
            for dropped in op.tables:
                if dropped in produced or dropped in catalog.tables:
                    continue
                if absent_ok and (in_down or dropped in gone):
                    continue
                yield dropped, None
            continue
        table = getattr(op, "table", None)
        if not isinstance(table, QName) or table in produced or table in catalog.views:
            continue
        if isinstance(op, o.RenameTable) and table in catalog.sequences \
                and table not in catalog.tables:
            continue  # ALTER TABLE renaming a sequence (`_rename_table`)
        if table not in catalog.tables:
            yield table, None
        known = catalog.tables[table]
        column = getattr(op, "column", None)
        if (known.assumed and isinstance(column, str) and (table, column) not in added
                and known.column(column) is None):
            yield table, column


def with_effects(operations: Iterable[o.Operation]) -> Iterator[o.Operation]:
    """The operations, each DO block's effects after it."""
    for op in operations:
        yield op
        if isinstance(op, o.RawSQL):
            yield from with_effects(op.effects)


def table_or_assumed(catalog: Catalog, name: QName) -> Table:
    """The table, or a placeholder for one that predates the known history."""
    table = catalog.tables.get(name)
    if table is None:
        table = Table(name, assumed=True)
        catalog.tables[name] = table
    return table


def _column_of(table: Table, name: str) -> Column:
    return table.column(name) or _placeholder(name)


def _placeholder(name: str) -> Column:
    return Column(name, _UNKNOWN, assumed=True)


def _with_column(table: Table, column: Column) -> Table:
    # The membership test runs in C: a table that gains hundreds of columns one ALTER at a
    # time made a Python scan per column the fold's slowest step.
    if column.name not in map(_NAME, table.columns):
        return replace(table, columns=(*table.columns, column))
    return replace(table, columns=tuple(column if c.name == column.name else c
                                        for c in table.columns))


def constraint_name(table: QName, con: o.ConstraintDef,
                    taken: Callable[[str], bool] | None = None) -> str:
    """PostgreSQL's default constraint names, so later DROP CONSTRAINTs find them.

    With ``taken``, a default name in use gets a number after its label, as PostgreSQL's
    does (`chosen_name`); without, the name is the first PostgreSQL would try.
    A constraint whose name only run time knows (`name_at_run_time`) is keyed by the
    default name too, and the catalog marks that name as not known (`name_known`)."""
    if con.name:
        return con.name
    parts = _default_name_parts(table, con)
    return default_name(*parts) if taken is None else chosen_name(*parts, taken)


def _default_name_parts(table: QName, con: o.ConstraintDef) -> tuple[str, str | None, str]:
    suffix = {"primary": "pkey", "unique": "key", "foreign": "fkey", "check": "check",
              "exclusion": "excl"}[con.kind]
    if con.kind == "primary":
        return table.name, None, suffix
    if con.kind == "check":
        # Named after its column when its expression reads exactly one, else the table's.
        read = con.columns or (tuple(sorted(con.expr.columns)) if con.expr else ())
        return table.name, read[0] if len(read) == 1 else None, suffix
    return table.name, name_addition(con.columns) or None, suffix


def _name_taken(catalog: Catalog, table: Table, added: list[Constraint],
                con: o.ConstraintDef) -> Callable[[str], bool]:
    """Whether PostgreSQL would find a default name for ``con`` in use.

    A constraint's name must be new among the schema's constraints (`ChooseConstraintName`);
    a primary key's, unique or exclusion constraint's is its index's too, so it must also be
    new among the schema's relations (`ChooseRelationName`). MySQL and SQLite (whose
    tables have no schema) name unnamed constraints otherwise and number nothing this way:
    there the first name is kept, as the key it is known by."""
    schema = table.name.schema
    relation = con.kind in ("primary", "unique", "exclusion")

    def taken(name: str) -> bool:
        if schema == NO_SCHEMA or con.index_per_table or con.name_at_run_time:
            return False
        if any(c.name == name for c in chain(added, table.constraints)):
            return True
        if relation and catalog.relation_exists(QName(schema, name)):
            return True
        # A key's or unique constraint's name is its index's (`constraint_named` holds
        # only the others).
        return catalog.tables.constraint_named(schema, name) or \
            index_key(QName(schema, name), None) in catalog.indexes
    return taken


def _constraint(table: QName, con: o.ConstraintDef, migration: str,
                taken: Callable[[str], bool] | None = None) -> Constraint:
    return Constraint(constraint_name(table, con, taken), con.kind, _shared(con.columns),
                      con.ref_table, _shared(con.ref_columns), _kept(con.expr),
                      not con.not_valid, migration, on_delete=con.on_delete,
                      name_known=not con.name_at_run_time)


def _kept(expr: o.Expr | None) -> o.Expr | None:
    """An expression as the catalog keeps it: without its span. A parsed span is worked out
    lazily from the whole file it was read from, and the catalog outlives every migration's
    parse; rules read an expression's span from the operation, never from the catalog.
    Equal expressions are kept once (`_shared`: a span takes no part in equality)."""
    if expr is None:
        return expr
    # Keyed by its fields (a span takes no part in its equality): a tuple hashes in C, the
    # record's own __hash__ is Python code.
    key = (o.Expr, expr.sql, expr.functions, expr.columns, expr.sequences, expr.constant)
    kept = _SHARED.get(key)
    if kept is None:
        kept = _keep(key, expr if expr.span is None else replace(expr, span=None))
    return cast(o.Expr, kept)


# Values the catalog holds many equal copies of (column types, defaults such as `now()`),
# each parsed afresh from its statement: one copy is kept of each. A 20 MB migration of
# 80,000 tables held 80,000 `bigint` types (64 bytes each) and 20,000 `now()` defaults
# (about 300 bytes each, their function names' sets included). Bounded, so that a process
# that lints many histories (the language server) keeps no more than this many; emptied
# when full, the values in use come back at once (a table of 4,096 swung what a lint held
# by up to a megabyte, with its entries' keys, whatever the input).
_SHARED: dict[tuple[object, ...], object] = {}
_SHARED_MAX = 1024


def _shared(value: T) -> T:
    key = (type(value), value)  # by type too: a tuple of two names equals a QName
    kept = _SHARED.get(key)
    return cast(T, kept if kept is not None else _keep(key, value))


def _kept_type(t: TypeRef) -> TypeRef:
    key = (TypeRef, t.name, t.modifiers, t.array_dims, t.schema, t.serial)
    kept = _SHARED.get(key)
    return cast(TypeRef, kept if kept is not None else _keep(key, t))


def _keep(key: tuple[object, ...], value: object) -> object:
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[key] = value
    return value


def _add_constraints(
    catalog: Catalog, table: Table, defs: Iterable[o.ConstraintDef], migration: str,
) -> Table:
    added: list[Constraint] = []
    defs = list(defs)
    for con in defs:
        c = _constraint(table.name, con, migration, _name_taken(catalog, table, added, con))
        if c.kind == "foreign" and not c.ref_columns and c.ref_table is not None:
            # `REFERENCES t` means t's primary key: PostgreSQL stores its columns, so a
            # down path that writes `REFERENCES t (id)` gives back the same constraint.
            c = replace(c, ref_columns=_primary_key(
                table if c.ref_table == table.name else catalog.tables.get(c.ref_table),
                defs if c.ref_table == table.name else ()))
        added.append(c)
        if con.kind in ("primary", "unique") and not con.using_index:
            # Primary keys and unique constraints own an index of the same name.
            ix = QName(table.name.schema, c.name)
            key = index_key(ix, table.name if con.index_per_table else None)
            catalog.indexes[key] = Index(ix, table.name, _shared(con.columns), True, False,
                                         migration)
        elif con.using_index:
            old = QName(table.name.schema, con.using_index)
            existing = catalog.indexes.pop(old, None)
            ix = QName(table.name.schema, c.name)
            catalog.indexes[ix] = Index(ix, table.name, existing.columns if existing else
                                        con.columns, True, False, migration)
            if existing is not None and not c.columns:
                c = replace(c, columns=existing.columns)
                added[-1] = c
        if con.kind == "primary":
            cols = [_kept_column(replace(col, not_null=True)) if col.name in c.columns
                    else col for col in table.columns]
            table = replace(table, columns=tuple(cols))
    names = {c.name for c in added}
    kept = tuple(c for c in table.constraints if c.name not in names)
    return replace(table, constraints=kept + tuple(added))


def _primary_key(table: Table | None, adding: Iterable[o.ConstraintDef]) -> tuple[str, ...]:
    """The columns of a table's primary key (one being added alongside counts); () if none
    is known."""
    for con in adding:
        if con.kind == "primary":
            return con.columns
    for known in table.constraints if table is not None else ():
        if known.kind == "primary":
            return known.columns
    return ()


def _owned_sequences(catalog: Catalog, table: QName, column: Column, migration: str) -> None:
    """serial and identity columns own an implicit sequence named table_column_seq (Django's
    identity keys' sequences are renamed by name in its RunSQL)."""
    if column.type.serial or column.identity:
        seq = QName(table.schema, f"{table.name}_{column.name}_seq")
        catalog.sequences[seq] = Sequence(seq, (table, column.name), migration,
                                          identity=not column.type.serial)


def _column(c: o.ColumnDef) -> Column:
    # A name such as `id` or `created_at` is a string of its own in every statement's parse.
    return _kept_column(Column(sys.intern(c.name), _kept_type(c.type), c.not_null,
                               _kept(c.default), c.identity, _kept(c.generated)))


def _kept_column(column: Column) -> Column:
    """The one kept copy of an equal column (`_shared`): most tables of a history repeat
    the same few (`id bigint PRIMARY KEY`, `created_at timestamptz DEFAULT now()`), which
    were 3 in 4 of the columns of a generated 20 MB migration. ``unwritten`` takes no part
    in a column's equality, so it is part of the key.

    The key is the column's fields, its type and expressions by identity (they are the
    fold's kept ones, `_kept_type` and `_kept`): a tuple of those hashes in C, where the
    record's own __hash__ would hash the type and expressions again, in Python. An entry's
    column holds those objects, so no other object can take their ids while it is kept."""
    if (column.type_sql is not None or column.collation is not None or column.comment
            is not None or column.identity_kind is not None or column.inherited):
        return column  # read from a live database, not folded: left as it is
    key = (column.name, id(column.type), column.not_null, id(column.default),
           column.identity, id(column.generated), column.unwritten)
    kept = _SHARED.get(key)
    return cast(Column, kept if kept is not None else _keep(key, column))


# --- handlers -----------------------------------------------------------------------

def _create_table(cat: Catalog, op: o.CreateTable, mig: str) -> None:
    if op.if_not_exists and op.table in cat.tables:
        return
    columns = tuple(_column(c) for c in op.columns)
    if op.from_query:
        columns = _query_columns(cat, op)
    table = Table(op.table, columns, (), op.partition_of, created_in=mig,
                  partitioned=op.partitioned)
    table = _add_constraints(cat, table, op.constraints, mig)
    # The schema is not created here: CREATE TABLE fails without it, so it existed already.
    cat.tables[op.table] = table
    for col in table.columns:
        _owned_sequences(cat, op.table, col, mig)


def _query_columns(cat: Catalog, op: o.CreateTable) -> tuple[Column, ...]:
    """The columns of a table created from a query: names and types only (PostgreSQL copies
    no constraint and no default); none at all when one of them cannot be known."""
    out: list[Column] = []
    for qc in op.query_columns or ():
        source = cat.tables.get(qc.source) if qc.source is not None else None
        if qc.name is None:  # a star: the source's columns, when the history knows them all
            if source is None or source.assumed or not source.columns:
                return ()
            # A copied column is a plain one: `serial` belongs to the source's default.
            out.extend(Column(c.name, replace(c.type, serial=False)) for c in source.columns)
            continue
        typ = qc.type
        if typ is None and source is not None and qc.source_column is not None:
            found = source.column(qc.source_column)
            typ = replace(found.type, serial=False) if found is not None else None
        out.append(Column(qc.name, typ or _UNKNOWN))
    if not out or len(op.column_names) > len(out):
        return ()
    renamed = [replace(c, name=n) for c, n in zip(out, op.column_names, strict=False)]
    return (*renamed, *out[len(renamed):])


def _drop_table(cat: Catalog, op: o.DropTable, mig: str) -> None:
    for name in op.tables:
        _remove_relation(cat, name, op.cascade)


def _remove_relation(cat: Catalog, name: QName, cascade: bool) -> None:
    # A partitioned table's partitions go with it (PostgreSQL 15), and theirs with them.
    for partition in cat.partitions_of(name):
        _remove_relation(cat, partition, cascade)
    cat.tables.pop(name, None)
    for ix in cat.indexes.keys_on(name):
        del cat.indexes[ix]
    for seq in [k for k, v in cat.sequences.items() if v.owned_by and v.owned_by[0] == name]:
        del cat.sequences[seq]
    for trigger_key in [k for k in cat.triggers if k[0] == name]:
        del cat.triggers[trigger_key]
    if cascade:
        _drop_row_type_users(cat, name)
        for view in [k for k, v in cat.views.items() if name in v.tables]:
            _remove_relation(cat, view, True)
            cat.views.pop(view, None)
        for referencing in cat.tables.referencing(name):
            t = cat.tables[referencing]
            kept = tuple(c for c in t.constraints if c.ref_table != name)
            cat.tables[referencing] = replace(t, constraints=kept)


def _drop_row_type_users(cat: Catalog, relation: QName) -> None:
    """CASCADE: the functions that take the relation's row type (or an array of it) as an
    argument go with it (BeeeOn's `f(NEW beeeon.sensor_history)`, dropped with the view)."""
    names = {str(relation).lower(), relation.name.lower()}
    for key in [k for k in cat.functions
                if any(arg.lower().rstrip("[]") in names for arg in k[1])]:
        del cat.functions[key]


def _rename_table(cat: Catalog, op: o.RenameTable, mig: str) -> None:
    new = QName(op.table.schema, op.new_name)
    if op.table not in cat.tables and op.table in cat.sequences:
        # ALTER TABLE renames any relation: a sequence too (netbox's RunSQL renames the
        # sequence of a table AlterModelTable renamed, which PostgreSQL left as it was).
        cat.sequences[new] = replace(cat.sequences.pop(op.table), name=new)
        return
    if op.table in cat.views:
        cat.views[new] = replace(cat.views.pop(op.table), name=new)
        return
    table = table_or_assumed(cat, op.table)
    del cat.tables[op.table]
    cat.tables[new] = replace(table, name=new)
    for key in cat.indexes.keys_on(op.table):
        ix = replace(cat.indexes[key], table=new)
        if isinstance(key, TableIndexKey):  # a name within the table: it moves with it
            del cat.indexes[key]
            key = TableIndexKey(new, key.name)
        cat.indexes[key] = ix
    for key in [k for k, s in cat.sequences.items() if s.owned_by and s.owned_by[0] == op.table]:
        seq = cat.sequences[key]
        cat.sequences[key] = replace(seq, owned_by=(new, seq.owned_by[1]))  # type: ignore[index]
    for trigger_key in [k for k in cat.triggers if k[0] == op.table]:
        trig = cat.triggers.pop(trigger_key)
        cat.triggers[(new, trigger_key[1])] = replace(trig, table=new)
    for referencing in cat.tables.referencing(op.table):
        t = cat.tables[referencing]
        cons = tuple(replace(c, ref_table=new) if c.ref_table == op.table else c
                     for c in t.constraints)
        cat.tables[referencing] = replace(t, constraints=cons)


def _add_column(cat: Catalog, op: o.AddColumn, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    if op.if_not_exists and table.column(op.column.name):
        return
    # A column added to a table that holds rows holds no data of its own until something
    # writes it; a table's own columns (CREATE TABLE) are written by whoever inserts rows.
    col = _kept_column(replace(_column(op.column), unwritten=op.column.generated is None))
    table = _with_column(table, col)
    cat.tables[op.table] = _add_constraints(cat, table, op.constraints, mig)
    _owned_sequences(cat, op.table, col, mig)


def _drop_column(cat: Catalog, op: o.DropColumn, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    cols = tuple(c for c in table.columns if c.name != op.column)
    # Constraints and indexes on the column go with it, as in PostgreSQL.
    cons = tuple(c for c in table.constraints if op.column not in c.columns and not (
        c.expr is not None and op.column in c.expr.columns))
    cat.tables[op.table] = replace(table, columns=cols, constraints=cons)
    for key in [k for k in cat.indexes.keys_on(op.table) if cat.indexes[k].uses(op.column)]:
        del cat.indexes[key]
    owned = (op.table, op.column)
    for key in [k for k, seq in cat.sequences.items() if seq.owned_by == owned]:
        del cat.sequences[key]
    if op.cascade:
        for key in [k for k, view in cat.views.items() if owned in view.reads]:
            del cat.views[key]
            _drop_row_type_users(cat, key)


def _rename_column(cat: Catalog, op: o.RenameColumn, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    col = _column_of(table, op.column)
    cols = [replace(col, name=op.new_name) if c.name == op.column else c for c in table.columns]
    if table.column(op.column) is None:
        cols.append(replace(col, name=op.new_name))
    cons = tuple(replace(c, columns=tuple(op.new_name if x == op.column else x
                                          for x in c.columns))
                 if op.column in c.columns else c for c in table.constraints)
    cat.tables[op.table] = replace(table, columns=tuple(cols), constraints=cons)
    for key in [k for k in cat.indexes.keys_on(op.table) if cat.indexes[k].uses(op.column)]:
        ix = cat.indexes[key]
        reads = ix.reads if op.column not in ix.reads else _shared(
            ix.reads - {op.column} | {op.new_name})
        cat.indexes[key] = replace(ix, columns=tuple(
            op.new_name if x == op.column else x for x in ix.columns), reads=reads)


def _update_column(cat: Catalog, table_name: QName, column: str, **changes: Any) -> None:
    table = table_or_assumed(cat, table_name)
    col = _column_of(table, column)
    cat.tables[table_name] = _with_column(table, replace(col, **changes))


def _alter_type(cat: Catalog, op: o.AlterColumnType, mig: str) -> None:
    _update_column(cat, op.table, op.column, type=op.new_type)


def _set_not_null(cat: Catalog, op: o.SetNotNull, mig: str) -> None:
    _update_column(cat, op.table, op.column, not_null=True)


def _drop_not_null(cat: Catalog, op: o.DropNotNull, mig: str) -> None:
    table = cat.tables.get(op.table)
    if table is not None and op.column in table.primary_key():
        return  # MySQL's MODIFY keeps a primary key's column NOT NULL; PostgreSQL refuses
    _update_column(cat, op.table, op.column, not_null=False)


def _set_default(cat: Catalog, op: o.SetDefault, mig: str) -> None:
    _update_column(cat, op.table, op.column, default=_kept(op.default))


def _add_constraint(cat: Catalog, op: o.AddConstraint, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    cat.tables[op.table] = _add_constraints(cat, table, (op.constraint,), mig)


def _drop_constraint(cat: Catalog, op: o.DropConstraint, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    con = table.constraint(op.name)
    cat.tables[op.table] = replace(table, constraints=tuple(
        c for c in table.constraints if c.name != op.name))
    if con is not None and con.kind in ("primary", "unique", "exclusion"):
        # The index the constraint owns goes with it. An index of that name the history
        # made with CREATE INDEX is no constraint: PostgreSQL finds no constraint to drop
        # (an error, or a NOTICE with IF EXISTS) and keeps the index.
        cat.indexes.pop(QName(op.table.schema, op.name), None)
    if con is None or con.kind in ("primary", "unique", "exclusion"):
        # MySQL: a key is an index named within its table, and DROP CONSTRAINT drops a
        # unique key whichever statement made it.
        cat.indexes.pop(TableIndexKey(op.table, op.name), None)
    if op.cascade and con is not None and con.kind in ("primary", "unique"):
        # The foreign keys of other tables that rely on this key go with it.
        for referencing in cat.tables.referencing(op.table):
            t = cat.tables[referencing]
            kept = tuple(c for c in t.constraints if not (
                c.kind == "foreign" and c.ref_table == op.table
                and set(c.ref_columns or con.columns) <= set(con.columns)))
            cat.tables[referencing] = replace(t, constraints=kept)


def _validate_constraint(cat: Catalog, op: o.ValidateConstraint, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    cat.tables[op.table] = replace(table, constraints=tuple(
        replace(c, validated=True) if c.name == op.name else c for c in table.constraints))


def _rename_constraint(cat: Catalog, op: o.RenameConstraint, mig: str) -> None:
    table = table_or_assumed(cat, op.table)
    cat.tables[op.table] = replace(table, constraints=tuple(
        replace(c, name=op.new_name, name_known=True) if c.name == op.name else c
        for c in table.constraints))
    old = QName(op.table.schema, op.name)
    if old in cat.indexes:
        new = QName(op.table.schema, op.new_name)
        cat.indexes[new] = replace(cat.indexes.pop(old), name=new)


def _default_index_name(cat: Catalog, op: o.CreateIndex) -> QName:
    """PostgreSQL's name for an unnamed index (`ChooseIndexName`): numbered while the
    schema has a relation of that name (PostgreSQL's way only: MySQL and SQLite, whose
    tables have no schema, name an unnamed index otherwise)."""
    cols = name_addition(op.columns) or "expr"
    schema = op.table.schema
    return QName(schema, chosen_name(
        op.table.name, cols, "idx",
        lambda name: schema != NO_SCHEMA and cat.relation_exists(QName(schema, name))))


def _create_index(cat: Catalog, op: o.CreateIndex, mig: str) -> None:
    name = op.name or _default_index_name(cat, op)
    key = index_key(name, op.table if op.per_table else None)
    if op.if_not_exists and key in cat.indexes:
        return
    # The table's own name, which the catalog holds already, rather than the statement's.
    known = cat.tables.get(op.table)
    table = known.name if known is not None and known.name == op.table else op.table
    cat.indexes[key] = index_of(op, name, table, mig)


def index_of(op: o.CreateIndex, name: QName, table: QName, migration: str | None = None
             ) -> Index:
    """The catalog's record of the index a CREATE INDEX makes, under ``name`` on ``table``."""
    # Most indexes call nothing: they share the one empty set (a new one takes 200 bytes).
    calls = frozenset().union(*(e.functions for e in (*op.expressions, op.where) if e)) \
        or _NO_NAMES
    # Most read no column outside their keys: they share the one empty set too.
    reads = frozenset().union(*(e.columns for e in (*op.expressions, op.where) if e))
    return Index(name, table, _shared(op.columns), op.unique, op.where is not None,
                 migration, expressions=bool(op.expressions), functions=calls,
                 reads=_shared(reads) if reads else _NO_NAMES)


def _drop_index(cat: Catalog, op: o.DropIndex, mig: str) -> None:
    for name in op.names:
        ix = cat.indexes.pop(index_key(name, op.table), None)
        # A partitioned table's index takes the partitions' indexes attached to it along.
        for key in cat.attached_indexes(ix) if ix is not None else ():
            del cat.indexes[key]


def _rename_index(cat: Catalog, op: o.RenameIndex, mig: str) -> None:
    new = QName(op.name.schema, op.new_name)
    ix = cat.indexes.pop(op.name, None)
    if ix is not None:
        cat.indexes[new] = replace(ix, name=new)
    # ALTER INDEX ... RENAME also renames the constraint the index backs (a UNIQUE or
    # PRIMARY KEY constraint and its index always share one name).
    tables = ([ix.table] if ix is not None and ix.table in cat.tables
              else [n for n in cat.tables if n.schema == op.name.schema])
    for name in tables:
        t = cat.tables[name]
        if t.constraint(op.name.name) is not None:
            cat.tables[t.name] = replace(t, constraints=tuple(
                replace(c, name=op.new_name, name_known=True) if c.name == op.name.name else c
                for c in t.constraints))


def _create_view(cat: Catalog, op: o.CreateView, mig: str) -> None:
    reads: list[tuple[QName, str]] = []
    for table, column in op.reads:
        known = cat.tables.get(table)
        if column == "*" and known is not None:
            reads.extend((table, c.name) for c in known.columns)
        elif _reads_column(known, column, len(op.tables)):
            reads.append((table, column))
    cat.views[op.name] = View(op.name, op.materialized, tuple(dict.fromkeys(reads)),
                              op.tables, mig)


def _reads_column(table: Table | None, column: str, relations: int) -> bool:
    """Whether a (table, column) candidate of a view's query is a real read.

    Unqualified columns were attributed to every relation of the query: keep the pairs whose
    table has the column. An assumed table may have any column; a table the history never
    mentioned is trusted only when it is the query's single relation.
    """
    if table is None:
        return relations == 1 or column == "*"
    return table.assumed or table.column(column) is not None


def _drop_view(cat: Catalog, op: o.DropView, mig: str) -> None:
    for name in op.names:
        cat.views.pop(name, None)
        if op.cascade:
            _drop_row_type_users(cat, name)
        for key in cat.indexes.keys_on(name):
            del cat.indexes[key]


def _create_sequence(cat: Catalog, op: o.CreateSequence, mig: str) -> None:
    cat.sequences[op.name] = Sequence(op.name, op.owned_by, mig)


def _drop_sequence(cat: Catalog, op: o.DropSequence, mig: str) -> None:
    for name in op.names:
        cat.sequences.pop(name, None)


def _rename_sequence(cat: Catalog, op: o.RenameSequence, mig: str) -> None:
    seq = cat.sequences.pop(op.name, None)
    if seq is not None:
        new = QName(op.name.schema, op.new_name)
        cat.sequences[new] = replace(seq, name=new)


def _create_type(cat: Catalog, op: o.CreateType, mig: str) -> None:
    cat.types[op.name] = TypeDef(op.name, op.type_kind, op.enum_values or (), mig)


def _add_enum_value(cat: Catalog, op: o.AlterEnumAddValue, mig: str) -> None:
    typ = cat.types.get(op.name) or TypeDef(op.name)
    if op.value not in typ.values:
        cat.types[op.name] = replace(typ, values=(*typ.values, op.value))


def _rename_enum_value(cat: Catalog, op: o.RenameEnumValue, mig: str) -> None:
    typ = cat.types.get(op.name) or TypeDef(op.name)
    cat.types[op.name] = replace(typ, values=tuple(
        op.new_value if v == op.value else v for v in typ.values))
    # A column default holds the enum value itself, not its label: the default renames too.
    old, new = _sql_literal(op.value), _sql_literal(op.new_value)
    for t in list(cat.tables.values()):
        columns = tuple(
            replace(c, default=replace(c.default, sql=new + c.default.sql[len(old):]))
            if (c.default is not None and _is_type(c.type, op.name)
                and (c.default.sql == old or c.default.sql.startswith(old + "::")))
            else c for c in t.columns)
        if columns != t.columns:
            cat.tables[t.name] = replace(t, columns=columns)


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _rename_type(cat: Catalog, op: o.RenameType, mig: str) -> None:
    new = QName(op.name.schema, op.new_name)
    typ = cat.types.pop(op.name, None)
    if typ is not None:
        cat.types[new] = replace(typ, name=new)
    # Columns hold the type, not its name: after ALTER TYPE ... RENAME they show the new one
    # (the usual enum swap renames the old type away, then converts columns to a new one).
    for t in list(cat.tables.values()):
        if any(_is_type(c.type, op.name) for c in t.columns):
            cat.tables[t.name] = replace(t, columns=tuple(
                replace(c, type=replace(c.type, name=op.new_name))
                if _is_type(c.type, op.name) else c for c in t.columns))


def _is_type(ref: TypeRef, name: QName) -> bool:
    return ref.schema == name.schema and ref.name == name.name


def _drop_type(cat: Catalog, op: o.DropType, mig: str) -> None:
    for name in op.names:
        cat.types.pop(name, None)
        if not op.cascade:
            continue
        # PostgreSQL drops the columns of the type with it, and their data (hatchet's down
        # of v1_0_69 loses TenantResourceLimitAlert.resource this way).
        for table in [t for t in cat.tables.values() if any(_of_type(c, name) for c in t.columns)]:
            for column in [c.name for c in table.columns if _of_type(c, name)]:
                _drop_column(cat, o.DropColumn(span=op.span, statement=op.statement,
                                               table=table.name, column=column), mig)


def _of_type(column: Column, name: QName) -> bool:
    """Whether the column is of the user-defined type (or domain) ``name``."""
    typ = column.type
    return typ.name == name.name and typ.schema in (name.schema, None) and not typ.is_builtin


def _create_function(cat: Catalog, op: o.CreateFunction, mig: str) -> None:
    cat.functions[(op.name, op.arg_types)] = Function(op.name, op.arg_types, op.volatility, mig,
                                                      inlined=op.inlined)


def _drop_function(cat: Catalog, op: o.DropFunction, mig: str) -> None:
    for name, args in op.names:
        for key in [k for k in cat.functions if k[0] == name and (args is None or k[1] == args)]:
            del cat.functions[key]


def _rename_function(cat: Catalog, op: o.RenameFunction, mig: str) -> None:
    new = QName(op.name.schema, op.new_name)
    for fkey in [k for k in cat.functions
                 if k[0] == op.name and (op.arg_types is None or k[1] == op.arg_types)]:
        cat.functions[(new, fkey[1])] = replace(cat.functions.pop(fkey), name=new)
    # A trigger calls its function by OID: it follows the rename.
    for tkey, trig in list(cat.triggers.items()):
        if trig.function == op.name:
            cat.triggers[tkey] = replace(trig, function=new)


def _rename_trigger(cat: Catalog, op: o.RenameTrigger, mig: str) -> None:
    trig = cat.triggers.pop((op.table, op.name), None)
    if trig is not None:
        cat.triggers[(op.table, op.new_name)] = replace(trig, name=op.new_name)


def _create_trigger(cat: Catalog, op: o.CreateTrigger, mig: str) -> None:
    cat.triggers[(op.table, op.name)] = Trigger(op.name, op.table, op.function, mig)


def _drop_trigger(cat: Catalog, op: o.DropTrigger, mig: str) -> None:
    cat.triggers.pop((op.table, op.name), None)


def _create_schema(cat: Catalog, op: o.CreateSchema, mig: str) -> None:
    cat.schemas.add(op.name)


def _drop_schema(cat: Catalog, op: o.DropSchema, mig: str) -> None:
    for schema in op.names:
        cat.schemas.discard(schema)
        for table in [t for t in cat.tables if t.schema == schema]:
            _remove_relation(cat, table, True)
        for store in (cat.views, cat.sequences, cat.types):
            for key in [k for k in store if k.schema == schema]:
                del store[key]
        for ix_key in [k for k in cat.indexes if k.schema == schema]:
            del cat.indexes[ix_key]
        for fkey in [k for k in cat.functions if k[0].schema == schema]:
            del cat.functions[fkey]


def _rename_schema(cat: Catalog, op: o.RenameSchema, mig: str) -> None:
    cat.schemas.discard(op.name)
    cat.schemas.add(op.new_name)
    for key in [k for k in cat.tables if k.schema == op.name]:
        new = QName(op.new_name, key.name)
        cat.tables[new] = replace(cat.tables.pop(key), name=new)


def _create_extension(cat: Catalog, op: o.CreateExtension, mig: str) -> None:
    cat.extensions.add(op.name)


def _drop_extension(cat: Catalog, op: o.DropExtension, mig: str) -> None:
    for name in op.names:
        cat.extensions.discard(name)


def _write_rows(cat: Catalog, op: o.UpdateRows | o.InsertRows, mig: str) -> None:
    """The columns an UPDATE sets (all of them, for an INSERT or an UPDATE whose columns the
    parser could not name) hold data from now on."""
    table = cat.tables.get(op.table)
    if table is None:
        return
    written = set(op.columns) if isinstance(op, o.UpdateRows) and op.columns else None
    cols = tuple(_kept_column(replace(c, unwritten=False)) if c.unwritten and (
        written is None or c.name in written) else c for c in table.columns)
    cat.tables[op.table] = replace(table, columns=cols)


def _block(cat: Catalog, op: o.RawSQL, mig: str) -> None:
    """A DO block changes the schema by what it certainly runs (an unmodelled statement has
    no effects)."""
    for effect in op.effects:
        apply(cat, effect, mig)


Handler = Callable[[Catalog, Any, str], None]

_HANDLERS: dict[type, Handler] = {
    o.CreateTable: _create_table, o.DropTable: _drop_table, o.RenameTable: _rename_table,
    o.AddColumn: _add_column, o.DropColumn: _drop_column, o.RenameColumn: _rename_column,
    o.AlterColumnType: _alter_type, o.SetNotNull: _set_not_null,
    o.DropNotNull: _drop_not_null, o.SetDefault: _set_default,
    o.AddConstraint: _add_constraint, o.DropConstraint: _drop_constraint,
    o.ValidateConstraint: _validate_constraint, o.RenameConstraint: _rename_constraint,
    o.CreateIndex: _create_index, o.DropIndex: _drop_index, o.RenameIndex: _rename_index,
    o.CreateView: _create_view, o.DropView: _drop_view,
    o.CreateSequence: _create_sequence, o.DropSequence: _drop_sequence,
    o.CreateType: _create_type, o.AlterEnumAddValue: _add_enum_value,
    o.RenameEnumValue: _rename_enum_value, o.RenameType: _rename_type,
    o.DropType: _drop_type, o.CreateFunction: _create_function,
    o.DropFunction: _drop_function, o.CreateTrigger: _create_trigger,
    o.DropTrigger: _drop_trigger, o.RenameSequence: _rename_sequence,
    o.RenameFunction: _rename_function, o.RenameTrigger: _rename_trigger,
    o.CreateSchema: _create_schema,
    o.DropSchema: _drop_schema, o.RenameSchema: _rename_schema,
    o.CreateExtension: _create_extension, o.DropExtension: _drop_extension,
    o.UpdateRows: _write_rows, o.InsertRows: _write_rows, o.RawSQL: _block,
}
