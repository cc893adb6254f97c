"""The schema as the migrations build it: plain records in one mutable container.

Entries are immutable records; the fold replaces an entry when it changes. A snapshot of the
whole catalog (before a migration, to compare with what its down path gives back) is then a
shallow copy of a few dicts, however large the schema.

``created_in`` records which migration created an object. It is provenance, not schema, so it
takes no part in equality: a table dropped and re-created by a down migration equals the one
it replaces when its definition does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from schemagate.model.names import QName
from schemagate.model.ops import ConstraintKind, Expr
from schemagate.model.types import TypeRef

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: TypeRef
    not_null: bool = False
    default: Expr | None = None
    identity: bool = False
    generated: Expr | None = None


@dataclass(frozen=True, slots=True)
class Constraint:
    name: str
    kind: ConstraintKind
    columns: tuple[str, ...] = ()
    ref_table: QName | None = None
    ref_columns: tuple[str, ...] = ()
    expr: Expr | None = None
    validated: bool = True
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Table:
    name: QName
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    partition_of: QName | None = None
    # None: the table predates the known history (or comes from the live database) and is
    # assumed to hold data.
    created_in: str | None = field(default=None, compare=False)
    # True when the table was never created in the known history: its columns are only those
    # that later statements mentioned.
    assumed: bool = field(default=False, compare=False)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def constraint(self, name: str) -> Constraint | None:
        for con in self.constraints:
            if con.name == name:
                return con
        return None


@dataclass(frozen=True, slots=True)
class Index:
    name: QName
    table: QName
    columns: tuple[str, ...] = ()
    unique: bool = False
    partial: bool = False
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class View:
    name: QName
    materialized: bool = False
    reads: tuple[tuple[QName, str], ...] = ()
    tables: tuple[QName, ...] = ()
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Sequence:
    name: QName
    owned_by: tuple[QName, str] | None = None
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TypeDef:
    name: QName
    kind: str = "enum"
    values: tuple[str, ...] = ()
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Function:
    name: QName
    arg_types: tuple[str, ...] = ()
    volatility: str = "v"
    created_in: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    table: QName
    function: QName
    created_in: str | None = field(default=None, compare=False)


@dataclass
class Catalog:
    schemas: set[str] = field(default_factory=lambda: {"public"})
    extensions: set[str] = field(default_factory=set)
    tables: dict[QName, Table] = field(default_factory=dict)
    indexes: dict[QName, Index] = field(default_factory=dict)
    views: dict[QName, View] = field(default_factory=dict)
    sequences: dict[QName, Sequence] = field(default_factory=dict)
    types: dict[QName, TypeDef] = field(default_factory=dict)
    functions: dict[tuple[QName, tuple[str, ...]], Function] = field(default_factory=dict)
    triggers: dict[tuple[QName, str], Trigger] = field(default_factory=dict)

    def copy(self) -> Catalog:
        return Catalog(
            set(self.schemas), set(self.extensions), dict(self.tables), dict(self.indexes),
            dict(self.views), dict(self.sequences), dict(self.types), dict(self.functions),
            dict(self.triggers),
        )

    def relation_exists(self, name: QName) -> bool:
        return name in self.tables or name in self.views

    def indexes_on(self, table: QName) -> list[Index]:
        return [ix for ix in self.indexes.values() if ix.table == table]

    def views_reading(self, table: QName, column: str | None = None) -> list[View]:
        """Views that read the table (or, given a column, that column of it)."""
        if column is None:
            return [v for v in self.views.values() if table in v.tables]
        return [v for v in self.views.values() if (table, column) in v.reads]

    def foreign_keys_to(self, table: QName) -> list[tuple[Table, Constraint]]:
        """(referencing table, FK) pairs that reference the table, from other tables."""
        return [
            (t, c)
            for t in self.tables.values()
            if t.name != table
            for c in t.constraints
            if c.kind == "foreign" and c.ref_table == table
        ]

    def differences(self, other: Catalog) -> list[str]:
        """Names of the objects that differ between two catalogs, for `down-does-not-restore`."""
        out = _store_differences("table", self.tables, other.tables)
        out += _store_differences("index", self.indexes, other.indexes)
        out += _store_differences("view", self.views, other.views)
        out += _store_differences("sequence", self.sequences, other.sequences)
        out += _store_differences("type", self.types, other.types)
        out += _store_differences("trigger", self.triggers, other.triggers)
        for key in sorted(set(self.functions) ^ set(other.functions), key=str):
            out.append(f"function {key[0]}({', '.join(key[1])})")
        for schema in sorted(self.schemas ^ other.schemas):
            out.append(f"schema {schema}")
        return out


def _store_differences(label: str, mine: Mapping[K, object], theirs: Mapping[K, object]
                       ) -> list[str]:
    return [f"{label} {_key_str(key)}" for key in sorted(set(mine) | set(theirs), key=str)
            if mine.get(key) != theirs.get(key)]


def _key_str(key: object) -> str:
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], QName):
        return f"{key[0]}.{key[1]}"
    return str(key)
