"""A catalog as a flat map of objects, each named by an `ObjectRef`, and its dependency index.

Compare and plan work object by object: a column, a column's default, a constraint are
objects of their own, so that one changed default is one change, and a view can depend on
exactly the column it reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemagate.model.catalog import (
    Catalog,
    Column,
    Constraint,
    Dependency,
    Extension,
    Index,
    ObjectRef,
    Table,
)
from schemagate.model.names import QName


@dataclass(frozen=True, slots=True)
class SchemaRec:
    name: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnRec:
    table: Table
    column: Column


@dataclass(frozen=True, slots=True)
class DefaultRec:
    table: Table
    column: Column

    @property
    def sql(self) -> str:
        assert self.column.default is not None
        return self.column.default.sql


@dataclass(frozen=True, slots=True)
class ConstraintRec:
    table: Table
    constraint: Constraint


def table_ref(name: QName) -> ObjectRef:
    return ObjectRef("table", name.schema, name.name)


def column_ref(table: QName, column: str) -> ObjectRef:
    return ObjectRef("column", table.schema, table.name, column)


def owner_of(ref: ObjectRef) -> ObjectRef | None:
    """The object this one lives in and goes with: a column's table, a default's column."""
    if ref.kind == "default":
        return ObjectRef("column", ref.schema, ref.name, ref.sub)
    if ref.kind in ("column", "constraint", "trigger", "policy"):
        return ObjectRef("table", ref.schema, ref.name)
    return None


def flatten(cat: Catalog) -> dict[ObjectRef, Any]:
    """Every object of the catalog by its reference (for tests and small schemas; the
    planner looks objects up through `Objects` instead, without building this)."""
    out = non_table_objects(cat)
    for table in cat.tables.values():
        out.update(table_objects(table))
    return out


def non_table_objects(cat: Catalog) -> dict[ObjectRef, Any]:
    """Every object but tables and what lives in them (columns, defaults, constraints)."""
    out: dict[ObjectRef, Any] = {}
    for schema in cat.schemas:
        out[ObjectRef("schema", "", schema)] = SchemaRec(schema, cat.schema_comments.get(schema))
    for name in cat.extensions:
        out[ObjectRef("extension", "", name)] = cat.extension_info.get(name) or Extension(name)
    for qn, coll in cat.collations.items():
        out[ObjectRef("collation", *qn)] = coll
    for qn, typ in cat.types.items():
        out[ObjectRef("type", *qn)] = typ
    for qn, seq in cat.sequences.items():
        if not seq.identity:  # made and dropped by its column, as introspection reads it
            out[ObjectRef("sequence", *qn)] = seq
    for (qn, args), fn in cat.functions.items():
        out[ObjectRef("function", qn.schema, qn.name, None, args)] = fn
    for ix_key, ix in cat.indexes.items():
        if ix.constraint is None:  # a constraint's index is made by the constraint
            out[ObjectRef("index", ix_key.schema, ix_key.name)] = ix
    for qn, view in cat.views.items():
        out[ObjectRef("view", *qn)] = view
    for (qn, name), trig in cat.triggers.items():
        out[ObjectRef("trigger", qn.schema, qn.name, name)] = trig
    for (qn, name), pol in cat.policies.items():
        out[ObjectRef("policy", qn.schema, qn.name, name)] = pol
    return out


def table_objects(table: Table) -> dict[ObjectRef, Any]:
    """A table, its columns, their defaults, and its constraints."""
    qn = table.name
    out: dict[ObjectRef, Any] = {table_ref(qn): table}
    for col in table.columns:
        out[ObjectRef("column", qn.schema, qn.name, col.name)] = ColumnRec(table, col)
        if col.default is not None:
            out[ObjectRef("default", qn.schema, qn.name, col.name)] = DefaultRec(table, col)
    for con in table.constraints:
        out[ObjectRef("constraint", qn.schema, qn.name, con.name)] = ConstraintRec(table, con)
    return out


class Objects(Mapping[ObjectRef, Any]):
    """A catalog's objects by reference, looked up in the catalog's own stores on demand:
    a schema of 2,000 tables has 50,000 objects, and a plan touches a few hundred."""

    def __init__(self, cat: Catalog) -> None:
        self.cat = cat
        self._tables: dict[QName, dict[ObjectRef, Any]] = {}

    def _in_table(self, ref: ObjectRef) -> Any:
        qn = QName(ref.schema, ref.name)
        objs = self._tables.get(qn)
        if objs is None:
            table = self.cat.tables.get(qn)
            if table is None:
                return None
            objs = self._tables[qn] = table_objects(table)
        return objs.get(ref)

    def get(self, ref: ObjectRef, default: Any = None) -> Any:
        found = self._lookup(ref)
        return default if found is None else found

    def _lookup(self, ref: ObjectRef) -> Any:
        kind, cat = ref.kind, self.cat
        if kind in ("table", "column", "default", "constraint"):
            return self._in_table(ref)
        qn = QName(ref.schema, ref.name)
        if kind == "index":
            ix = cat.indexes.get(qn)
            return ix if ix is not None and ix.constraint is None else None
        if kind == "view":
            return cat.views.get(qn)
        if kind == "type":
            return cat.types.get(qn)
        if kind == "collation":
            return cat.collations.get(qn)
        if kind == "sequence":
            seq = cat.sequences.get(qn)
            return seq if seq is not None and not seq.identity else None
        if kind == "function":
            return cat.functions.get((qn, ref.args))
        if kind == "trigger":
            return cat.triggers.get((qn, ref.sub or ""))
        if kind == "policy":
            return cat.policies.get((qn, ref.sub or ""))
        if kind == "schema":
            return SchemaRec(ref.name, cat.schema_comments.get(ref.name)) \
                if ref.name in cat.schemas else None
        if kind == "extension":
            if ref.name not in cat.extensions:
                return None
            return cat.extension_info.get(ref.name) or Extension(ref.name)
        return None

    def __getitem__(self, ref: ObjectRef) -> Any:
        found = self._lookup(ref)
        if found is None:
            raise KeyError(ref)
        return found

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, ObjectRef) and self._lookup(ref) is not None

    def __iter__(self) -> Iterator[ObjectRef]:
        return iter(flatten(self.cat))

    def __len__(self) -> int:
        return len(flatten(self.cat))


def ref_key(ref: ObjectRef) -> tuple[str, str, str, str, tuple[str, ...]]:
    """A total order on references (``sub`` may be None)."""
    return (ref.kind, ref.schema, ref.name, ref.sub or "", ref.args)


Pairs = list[tuple[ObjectRef, bool]]


class DependencyIndex:
    """pg_depend both ways: what an object needs, and what needs it, as (object, auto)
    pairs. Built in one pass over the catalog's dependencies; a pair list is made (and
    sorted, so that a plan never depends on the order of a set) only when asked for.

    Introspection leaves out what the catalog says itself (a default needs its column, a
    constraint the columns it is on); they are added here, for the objects asked about."""

    def __init__(self, by_dependent: dict[ObjectRef, list[Dependency]],
                 by_referenced: dict[ObjectRef, list[Dependency]],
                 cat: Catalog | None = None) -> None:
        self._by_dependent, self._by_referenced = by_dependent, by_referenced
        self._cat = cat
        self._needs: dict[ObjectRef, Pairs] = {}
        self._needed_by: dict[ObjectRef, Pairs] = {}

    def needs(self, ref: ObjectRef) -> Pairs:
        found = self._needs.get(ref)
        if found is None:
            pairs = _pairs(self._by_dependent.get(ref, ()), 1) + self._implicit_needs(ref)
            found = self._needs[ref] = sorted(set(pairs), key=_pair_key)
        return found

    def needed_by(self, ref: ObjectRef) -> Pairs:
        found = self._needed_by.get(ref)
        if found is None:
            pairs = _pairs(self._by_referenced.get(ref, ()), 0) + self._implicit_users(ref)
            found = self._needed_by[ref] = sorted(set(pairs), key=_pair_key)
        return found

    def _table(self, ref: ObjectRef) -> Table | None:
        return self._cat.tables.get(QName(ref.schema, ref.name)) if self._cat else None

    def _plain_index(self, ref: ObjectRef) -> Index | None:
        """An index whose column dependencies introspection left implicit."""
        ix = self._cat.indexes.get(QName(ref.schema, ref.name)) if self._cat else None
        return ix if ix is not None and _plain(ix) else None

    def _implicit_needs(self, ref: ObjectRef) -> Pairs:
        if ref.kind == "default":
            return [(ObjectRef("column", ref.schema, ref.name, ref.sub), True)]
        if ref.kind == "constraint" and (table := self._table(ref)) is not None:
            con = table.constraint(ref.sub or "")
            if con is not None:
                return [(ObjectRef("column", ref.schema, ref.name, c), True)
                        for c in con.columns]
        if ref.kind == "index" and (ix := self._plain_index(ref)) is not None:
            if self._cat is not None and ix.table in self._cat.views:  # a materialized view's
                return [(ObjectRef("view", *ix.table), True)]
            return [(ObjectRef("column", ix.table.schema, ix.table.name, c), True)
                    for c in ix.columns]
        return []

    def _implicit_users(self, ref: ObjectRef) -> Pairs:
        if ref.kind == "view" and self._cat is not None:
            return [(ObjectRef("index", *ix.name), True)
                    for ix in self._cat.indexes.on(QName(ref.schema, ref.name)) if _plain(ix)]
        if ref.kind != "column" or (table := self._table(ref)) is None or self._cat is None:
            return []
        col = table.column(ref.sub or "")
        out: Pairs = []
        if col is not None and col.default is not None:
            out.append((ObjectRef("default", ref.schema, ref.name, ref.sub), True))
        out += [(ObjectRef("constraint", ref.schema, ref.name, c.name), True)
                for c in table.constraints if ref.sub in c.columns]
        out += [(ObjectRef("index", ix.name.schema, ix.name.name), True)
                for ix in self._cat.indexes.on(table.name)
                if ix.constraint is None and _plain(ix) and ref.sub in ix.columns]
        return out

    @classmethod
    def of(cls, cat: Catalog) -> DependencyIndex:
        # pg_depend already says what structure implies: a partition needs its parent, a
        # child table its INHERITS parent, a foreign key the referenced table's key.
        by_dependent: dict[ObjectRef, list[Dependency]] = defaultdict(list)
        by_referenced: dict[ObjectRef, list[Dependency]] = defaultdict(list)
        for dep in cat.dependencies:
            by_dependent[dep[0]].append(dep)
            by_referenced[dep[1]].append(dep)
        return cls(by_dependent, by_referenced, cat)


def _plain(ix: Index) -> bool:
    """On plain columns, without a predicate: its columns are all it depends on."""
    return not ix.partial and not ix.expressions


def _pairs(deps: Iterable[Dependency], referenced: int) -> Pairs:
    return [(d.referenced if referenced else d.dependent, d.auto) for d in deps]


def _pair_key(pair: tuple[ObjectRef, bool]) -> tuple[tuple[str, str, str, str,
                                                           tuple[str, ...]], bool]:
    return ref_key(pair[0]), pair[1]
