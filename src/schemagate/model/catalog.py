"""The schema as the migrations build it: plain records in one mutable container.

Entries are immutable records; the fold replaces an entry when it changes. A snapshot of the
whole catalog (before a migration, to compare with what its down path gives back) is then a
shallow copy of a few dicts, however large the schema.

``created_in`` records which migration created an object. It is provenance, not schema, so it
takes no part in equality: a table dropped and re-created by a down migration equals the one
it replaces when its definition does.

The fields after the original ones (``type_sql``, ``definition``, ``comment`` …) are filled by
introspection of a live database (diff/introspect.py); the fold leaves them at their
defaults. ``definition`` texts are PostgreSQL's own deparsed forms (``pg_get_indexdef``,
``pg_get_viewdef`` …), read with an empty search_path so every name in them is qualified.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NamedTuple, Self, TypeAlias, TypeVar

from schemagate.model.names import QName
from schemagate.model.ops import ConstraintKind, Expr
from schemagate.model.pickling import Packed, PackedValues, pack, pickle_by_fields
from schemagate.model.types import TypeRef

K = TypeVar("K")
V = TypeVar("V")
N = TypeVar("N")


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table."""
    name: str
    type: TypeRef
    not_null: bool = False
    default: Expr | None = None
    identity: bool = False
    generated: Expr | None = None
    # The type as SQL, exactly (``character varying(20)``, ``"app"."My Enum"[]``).
    type_sql: str | None = None
    collation: QName | None = None  # only when it is not the type's default collation
    identity_kind: str | None = None  # "ALWAYS" or "BY DEFAULT" when identity
    comment: str | None = None
    # Comes from a parent (partition or INHERITS) and is not declared by this table itself.
    inherited: bool = False
    # Added by the history to a table that already existed, and not written by a migration
    # since: its rows hold only the column's default. Provenance, like ``created_in``.
    unwritten: bool = field(default=False, compare=False)
    # A placeholder for a column the known history never made (see `Table.assumed`): its
    # type, nullability and default are those of no statement, only what later ones set.
    # A column of a type the tool cannot know (`unknown`) but made by the history is not.
    assumed: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Constraint:
    """A table constraint."""
    name: str
    kind: ConstraintKind
    columns: tuple[str, ...] = ()
    ref_table: QName | None = None
    ref_columns: tuple[str, ...] = ()
    expr: Expr | None = None
    validated: bool = True
    created_in: str | None = field(default=None, compare=False)
    # pg_get_constraintdef without its " NOT VALID" (which ``validated`` says).
    definition: str | None = None
    deferrable: bool = False
    deferred: bool = False
    on_delete: str | None = None  # FK actions as SQL ("CASCADE", "SET NULL" …), else None
    on_update: str | None = None
    comment: str | None = None
    # False when only run time knows the name (a SQLAlchemy naming convention, a name built
    # by an expression): `name` is then the database's default name, kept as the
    # constraint's key, and messages describe the constraint by its columns instead.
    name_known: bool = field(default=True, compare=False)

    def described(self, table: object) -> str:
        """The constraint as a message names it, on ``table``: `name on table`, or by the
        table's columns (`on table(a, b)`) when only run time knows its name."""
        if self.name_known:
            return f"{self.name} on {table}"
        return f"on {table}({', '.join(self.columns)})"


@dataclass(frozen=True, slots=True)
class Table:
    """A table, with its columns and constraints."""
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
    partitioned: bool = False
    partition_key: str | None = None  # pg_get_partkeydef: "RANGE (created_at)"
    partition_bound: str | None = None  # "FOR VALUES FROM (…) TO (…)" or "DEFAULT"
    inherits: tuple[QName, ...] = ()  # INHERITS parents, in order (not partition parents)
    unlogged: bool = False
    rls_enabled: bool = False
    rls_forced: bool = False
    options: tuple[str, ...] = ()  # storage parameters: ("fillfactor=70",)
    comment: str | None = None
    # (grantee, privilege) pairs other than the owner's; read only when asked for.
    privileges: tuple[tuple[str, str], ...] = ()

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

    def primary_key(self) -> tuple[str, ...]:
        """The primary key's columns; () when the table has none the schema knows."""
        return next((con.columns for con in self.constraints if con.kind == "primary"), ())


@dataclass(frozen=True, slots=True)
class Index:
    """An index on a table."""
    name: QName
    table: QName
    columns: tuple[str, ...] = ()
    unique: bool = False
    partial: bool = False
    created_in: str | None = field(default=None, compare=False)
    definition: str | None = None  # pg_get_indexdef
    # The definition after "ON <table> ": "USING btree (a) INCLUDE (b) WHERE …".
    spec: str | None = None
    method: str = "btree"
    constraint: str | None = None  # the constraint this index backs (PK, unique, exclusion)
    comment: str | None = None
    expressions: bool = False  # some key is an expression, not a column
    # The functions its key expressions and predicate call, lowercased, as the fold reads
    # them from its statement (PostgreSQL records a dependency on each); introspection
    # leaves it empty.
    functions: frozenset[str] = field(default=frozenset(), compare=False)
    # The columns its key expressions and predicate read, as the fold reads them from its
    # statement: PostgreSQL drops the index with any of them. Introspection leaves it empty.
    reads: frozenset[str] = field(default=frozenset(), compare=False)

    def uses(self, column: str) -> bool:
        """Whether the index depends on the column: as a key, or read by a key expression
        or its predicate."""
        return column in self.columns or column in self.reads

    def same_key(self, other: Index) -> bool:
        """Whether the two index the same keys the same way, as far as the fold knows (a
        predicate by the columns it reads): what PostgreSQL asks of a partition's index to
        attach it to its partitioned table's."""
        return (self.columns == other.columns and self.unique == other.unique
                and self.partial == other.partial and self.expressions == other.expressions
                and self.reads == other.reads and self.method == other.method)


class TableIndexKey(NamedTuple):
    """The key in `Catalog.indexes` of an index whose name is its table's own.

    MySQL and MariaDB name an index within its table: two tables may each have an index
    `segment_key` (InnoDB names the index of an unnamed foreign key after its first column),
    and `DROP INDEX segment_key ON rules` drops the one of `rules`. PostgreSQL names an index
    within its schema, as it names a table, and SQLite within the database: an index of
    theirs is keyed by its `QName`. Shown as messages name it: "segment_key on rules".
    """

    table: QName
    name: str

    @property
    def schema(self) -> str:
        """The schema of the index, which is its table's."""
        return self.table.schema

    def __str__(self) -> str:
        return f"{self.name} on {self.table}"


# An index's key in `Catalog.indexes`: its name, or its table and its name (`TableIndexKey`).
IndexKey: TypeAlias = QName | TableIndexKey


def index_key(name: QName, table: QName | None = None) -> IndexKey:
    """The key of the index ``name``: ``table`` is given when the index's name is its
    table's own (MySQL, MariaDB), and None when it is its schema's."""
    return name if table is None else TableIndexKey(table, name.name)


@dataclass(frozen=True, slots=True)
class View:
    """A view or materialized view, and what it reads."""
    name: QName
    materialized: bool = False
    reads: tuple[tuple[QName, str], ...] = ()
    tables: tuple[QName, ...] = ()
    created_in: str | None = field(default=None, compare=False)
    definition: str | None = None  # pg_get_viewdef
    columns: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # ("security_barrier=true", "check_option=local")
    comment: str | None = None
    column_comments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Sequence:
    """A sequence, and the column that owns it."""
    name: QName
    owned_by: tuple[QName, str] | None = None
    created_in: str | None = field(default=None, compare=False)
    data_type: str | None = None  # "bigint", "integer", "smallint"
    start: int | None = None
    increment: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    cache: int | None = None
    cycle: bool = False
    comment: str | None = None
    # An identity column's: PostgreSQL makes and drops it with the column, and dumps and
    # diffs leave it to the column. Kept for its name, which a table's rename leaves as it
    # was and an `ALTER TABLE … RENAME` may change.
    identity: bool = False


@dataclass(frozen=True, slots=True)
class TypeDef:
    """A type of its own: enum, domain, range or composite."""
    name: QName
    kind: str = "enum"
    values: tuple[str, ...] = ()
    created_in: str | None = field(default=None, compare=False)
    base_type: str | None = None  # domain: its base type as SQL; range: its subtype
    default: str | None = None  # domain default expression
    not_null: bool = False  # domain NOT NULL
    # Domain CHECK constraints: (name, "CHECK (…)", validated).
    checks: tuple[tuple[str, str, bool], ...] = ()
    # Composite attributes: (name, type as SQL, collation or None).
    attributes: tuple[tuple[str, str, QName | None], ...] = ()
    collation: QName | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """A function, procedure or aggregate, by name and argument types."""
    name: QName
    arg_types: tuple[str, ...] = ()
    volatility: str = "v"
    created_in: str | None = field(default=None, compare=False)
    procedure: bool = False
    definition: str | None = None  # pg_get_functiondef: a complete CREATE OR REPLACE
    identity_args: str | None = None  # pg_get_function_identity_arguments, for DROP/COMMENT
    arguments: str | None = None  # pg_get_function_arguments: names and defaults too
    result: str | None = None  # pg_get_function_result
    comment: str | None = None
    aggregate: bool = False  # CREATE AGGREGATE: its definition is put together by diff
    inlined: Expr | None = field(default=None, compare=False)  # see `CreateFunction.inlined`


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger on a table, and the function it calls."""
    name: str
    table: QName
    function: QName
    created_in: str | None = field(default=None, compare=False)
    definition: str | None = None  # pg_get_triggerdef
    enabled: str = "O"  # pg_trigger.tgenabled: O(rigin), D(isabled), R(eplica), A(lways)
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """A row-level security policy."""

    name: str
    table: QName
    command: str = "ALL"  # ALL, SELECT, INSERT, UPDATE, DELETE
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)  # "public" is PUBLIC (a role cannot have that name)
    using: str | None = None
    check: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Collation:
    """A user collation (CREATE COLLATION). ``provider`` is pg_collation.collprovider:
    c (libc), i (ICU), b (builtin, PostgreSQL 17); ``locale`` is the ICU or builtin locale,
    ``lc_collate``/``lc_ctype`` libc's."""

    name: QName
    provider: str = "c"
    deterministic: bool = True
    locale: str | None = None
    lc_collate: str | None = None
    lc_ctype: str | None = None
    rules: str | None = None  # ICU tailoring rules (PostgreSQL 16)
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """An installed extension."""
    name: str
    version: str | None = None
    schema: str | None = None
    comment: str | None = None
    # The versions ALTER EXTENSION … UPDATE can reach from this one on the server it was
    # read from (None: not known). Not part of the extension's identity.
    update_targets: tuple[str, ...] | None = field(default=None, compare=False)


class ObjectRef(NamedTuple):
    """Names any schema object, for dependencies: ``kind`` is one of schema, extension,
    collation, type, sequence, function, table, column, default, constraint, index, view,
    trigger, policy.

    ``name`` is the object's (or, for objects that live in a table, the table's) name; ``sub``
    the column, constraint, trigger or policy name; ``args`` a function's argument types.
    A named tuple, not a dataclass: a large schema hashes these hundreds of thousands of
    times, and tuples hash in C.
    """

    kind: str
    schema: str
    name: str
    sub: str | None = None
    args: tuple[str, ...] = ()

    def __str__(self) -> str:
        base = f"{self.schema}.{self.name}" if self.schema else self.name
        if self.sub is not None:
            base += f".{self.sub}"
        if self.kind == "function":
            base += f"({', '.join(self.args)})"
        return base


class Dependency(NamedTuple):
    """``dependent`` needs ``referenced`` (pg_depend). ``auto``: PostgreSQL drops the dependent
    with the referenced object (deptype 'a'), as an index goes with its column."""

    dependent: ObjectRef
    referenced: ObjectRef
    auto: bool = False


class _SharedSets(Generic[K, N]):
    """A map of keys to sets of names, whose sets a copy shares until either side changes one.

    The stores' secondary maps (`TableStore`, `IndexStore`) are copied with the catalog
    before every migration that has a down path; copying each of their sets made that copy
    grow with the schema (the largest part of `Catalog.copy` on a long history), while a
    migration changes the sets of a few tables.

    Most keys hold a name or two (a table's indexes, the tables referencing one), so a key's
    names are a tuple, replaced when it changes, which a copy shares for nothing: a set takes
    216 bytes, a tuple of one name 48 (a 20 MB migration of 80,000 tables held 19 MB of
    them, and as much again in `owned`). A key that gathers more than `_SMALL` names holds
    a set, changed in place, which is copied when first changed after a copy, on whichever
    side changes it: adding to a tuple copies it, so that many adds to one key would grow
    with the square of its names.
    """

    __slots__ = ("owned", "sets")

    _SMALL = 16

    def __init__(self) -> None:
        self.sets: dict[K, tuple[N, ...] | set[N]] = {}
        self.owned: set[K] = set()  # the keys whose sets (not tuples) no copy shares

    def copy(self) -> _SharedSets[K, N]:
        new: _SharedSets[K, N] = _SharedSets.__new__(_SharedSets)
        new.sets, new.owned = dict(self.sets), set()
        self.owned = set()  # shared from now on, on this side too
        return new

    def get(self, key: K) -> Collection[N]:
        """The names under ``key``, to read (never to change)."""
        return self.sets.get(key, ())

    def add(self, key: K, name: N) -> None:
        names = self.sets.get(key)
        if names is None:
            self.sets[key] = (name,)
            return
        if isinstance(names, tuple):
            if name in names:
                return
            if len(names) < self._SMALL:
                self.sets[key] = (*names, name)
                return
            names = self.sets[key] = set(names)
            self.owned.add(key)
        elif key not in self.owned:
            names = self.sets[key] = set(names)
            self.owned.add(key)
        names.add(name)

    def discard(self, key: K, name: N) -> None:
        names = self.sets.get(key)
        if names is None or name not in names:
            return
        if isinstance(names, tuple):
            i = names.index(name)
            self.sets[key] = names[:i] + names[i + 1:]
            return
        if key not in self.owned:
            names = self.sets[key] = set(names)
            self.owned.add(key)
        names.discard(name)


class _KeyedStore(dict[K, V]):
    """A dict that tells its subclass of every entry added or removed, so that it can keep
    a secondary map current; callers use it as a plain dict.

    While ``changed`` is a set, every key written or deleted is added to it (and a copy
    carries it on): `changed_keys` then compares only those with an earlier snapshot.
    """

    changed: set[K] | None = None

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def copy(self) -> Self:
        """A copy that shares the entries: the dict copied in C, the secondary map from the
        original's, its sets shared until changed (re-adding every entry made each snapshot
        of a long history cost as much as building it)."""
        new = type(self).__new__(type(self))
        dict.update(new, self)
        new._copy_map(self)
        if self.changed is not None:
            new.changed = set(self.changed)
        return new

    # The class a pickled store is read back as: one whose entries stay packed until read.
    packed_type: type[_KeyedStore[Any, Any]]

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        # Pickled (the fold cache) as its keys, each entry pickled on its own, and the
        # secondary map as it is: read back, an entry is unpickled when it is first read
        # (`PackedValues`), and nothing has to be read to rebuild the map. What `changed`
        # records is a run's own business and is not kept.
        return _unpickle_store, (self.packed_type, tuple(dict.keys(self)),
                                 tuple(map(pack, dict.values(self))), self._map())

    def _map(self) -> Any:
        raise NotImplementedError

    def _set_map(self, state: Any) -> None:
        raise NotImplementedError

    def _copy_map(self, source: Self) -> None:
        raise NotImplementedError

    def _added(self, key: K, value: V) -> None:
        raise NotImplementedError

    def _removed(self, key: K, value: V) -> None:
        raise NotImplementedError

    def __setitem__(self, key: K, value: V) -> None:
        old = super().get(key)
        if old is not None:
            self._removed(key, old)
        super().__setitem__(key, value)
        self._added(key, value)
        if self.changed is not None:
            self.changed.add(key)

    def __delitem__(self, key: K) -> None:
        old = super().__getitem__(key)
        super().__delitem__(key)
        self._removed(key, old)
        if self.changed is not None:
            self.changed.add(key)

    def pop(self, key: K, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def setdefault(self, key: K, default: V) -> V:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        for key in list(self):
            del self[key]


# The constraints that own no index, whose names only the constraint holds.
_UNINDEXED = frozenset({"foreign", "check"})


class TableStore(_KeyedStore[QName, Table]):
    """Tables by name, that also know which tables reference each table by foreign key.

    "What references this table" is asked on every drop, rename and truncate; scanning every
    table's constraints each time grew with the square of the history.
    """

    def __init__(self, items: Mapping[QName, Table] | None = None) -> None:
        self._referenced_by: _SharedSets[QName, QName] = _SharedSets()
        # The tables holding a foreign key each migration created (``created_in``).
        self._foreign_keys_from: _SharedSets[str, QName] = _SharedSets()
        # The tables holding a foreign key or check of each name: PostgreSQL numbers a
        # default constraint name taken anywhere in the schema (`ChooseConstraintName`),
        # and scanning every table for it, at every unnamed constraint, grew with the
        # square of the history. A key or unique constraint is found by its index, which
        # bears its name (`IndexStore`): most tables have one, and this map would hold
        # them all again.
        self._named: _SharedSets[str, QName] = _SharedSets()
        super().__init__(items)

    def _map(self) -> Any:
        return self._referenced_by, self._foreign_keys_from, self._named

    def _set_map(self, state: Any) -> None:
        self._referenced_by, self._foreign_keys_from, self._named = state

    def _copy_map(self, source: TableStore) -> None:
        self._referenced_by = source._referenced_by.copy()
        self._foreign_keys_from = source._foreign_keys_from.copy()
        self._named = source._named.copy()

    def _added(self, key: QName, value: Table) -> None:
        for c in value.constraints:
            if c.kind in _UNINDEXED:
                self._named.add(c.name, key)
            if c.kind == "foreign":
                if c.ref_table is not None:
                    self._referenced_by.add(c.ref_table, key)
                if c.created_in is not None:
                    self._foreign_keys_from.add(c.created_in, key)

    def _removed(self, key: QName, value: Table) -> None:
        for c in value.constraints:
            if c.kind in _UNINDEXED:
                self._named.discard(c.name, key)
            if c.kind == "foreign":
                if c.ref_table is not None:
                    self._referenced_by.discard(c.ref_table, key)
                if c.created_in is not None:
                    self._foreign_keys_from.discard(c.created_in, key)

    def constraint_named(self, schema: str | None, name: str) -> bool:
        """Whether a table of the schema holds a foreign key or check of that name."""
        return any(table.schema == schema for table in self._named.get(name))

    def referencing(self, table: QName) -> list[QName]:
        """Names of the tables with a foreign key to the table, in a stable order."""
        return sorted(self._referenced_by.get(table), key=str)

    def with_foreign_keys_from(self, migrations: Iterable[str]) -> list[QName]:
        """Names of the tables that hold a foreign key one of the migrations created, in
        the store's order: a judgement of those keys reads only these tables."""
        found: set[QName] = set()
        for name in migrations:
            found.update(self._foreign_keys_from.get(name))
        return [key for key in self if key in found] if found else []


class IndexStore(_KeyedStore[IndexKey, Index]):
    """Indexes by key (`IndexKey`), that also know the indexes of each table.

    Rules ask "which indexes does this table have" for every foreign key a migration adds;
    scanning thousands of indexes each time made that the slowest part of a lint run.
    """

    def __init__(self, items: Mapping[IndexKey, Index] | None = None) -> None:
        self._by_table: _SharedSets[QName, IndexKey] = _SharedSets()
        super().__init__(items)

    def _map(self) -> Any:
        return self._by_table

    def _set_map(self, state: Any) -> None:
        self._by_table = state

    def _copy_map(self, source: IndexStore) -> None:
        self._by_table = source._by_table.copy()

    def _added(self, key: IndexKey, value: Index) -> None:
        self._by_table.add(value.table, key)

    def _removed(self, key: IndexKey, value: Index) -> None:
        self._by_table.discard(value.table, key)

    def keys_on(self, table: QName) -> list[IndexKey]:
        return sorted(self._by_table.get(table), key=str)

    def on(self, table: QName) -> list[Index]:
        return [self[k] for k in self.keys_on(table)]

    def tables(self) -> list[QName]:
        """The tables that have indexes (found without reading an index)."""
        return [table for table, keys in self._by_table.sets.items() if keys]


class _PackedTables(TableStore, PackedValues[QName, Table]):
    """A `TableStore` read back from a pickle: each table unpickled when first read."""


class _PackedIndexes(IndexStore, PackedValues[IndexKey, Index]):
    """An `IndexStore` read back from a pickle: each index unpickled when first read."""


TableStore.packed_type = _PackedTables
IndexStore.packed_type = _PackedIndexes


def _unpickle_store(cls: type[_KeyedStore[Any, Any]], keys: tuple[Any, ...],
                    data: tuple[bytes, ...], state: Any) -> _KeyedStore[Any, Any]:
    """A store read back from its pickle (`_KeyedStore.__reduce__`), its entries packed."""
    new = cls.__new__(cls)
    dict.update(new, zip(keys, map(Packed, data), strict=True))
    new._set_map(state)
    return new


@dataclass
class Catalog:
    """The whole schema, every object by name, as the fold or introspection builds it."""
    schemas: set[str] = field(default_factory=lambda: {"public"})
    extensions: set[str] = field(default_factory=set)
    tables: TableStore = field(default_factory=TableStore)
    indexes: IndexStore = field(default_factory=IndexStore)
    views: dict[QName, View] = field(default_factory=dict)
    sequences: dict[QName, Sequence] = field(default_factory=dict)
    types: dict[QName, TypeDef] = field(default_factory=dict)
    functions: dict[tuple[QName, tuple[str, ...]], Function] = field(default_factory=dict)
    triggers: dict[tuple[QName, str], Trigger] = field(default_factory=dict)
    # Filled by introspection of a live database; the fold leaves them empty.
    policies: dict[tuple[QName, str], Policy] = field(default_factory=dict)
    extension_info: dict[str, Extension] = field(default_factory=dict)
    schema_comments: dict[str, str] = field(default_factory=dict)
    dependencies: set[Dependency] = field(default_factory=set)
    server_version: int | None = None  # server_version_num, e.g. 150004
    collations: dict[QName, Collation] = field(default_factory=dict)  # user collations

    def __post_init__(self) -> None:
        # Callers may pass plain dicts; the stores keep the lookups fast.
        if not isinstance(self.tables, TableStore):
            self.tables = TableStore(self.tables)
        if not isinstance(self.indexes, IndexStore):
            self.indexes = IndexStore(self.indexes)

    def copy(self) -> Catalog:
        return Catalog(
            set(self.schemas), set(self.extensions), self.tables.copy(), self.indexes.copy(),
            dict(self.views), dict(self.sequences), dict(self.types), dict(self.functions),
            dict(self.triggers), dict(self.policies), dict(self.extension_info),
            dict(self.schema_comments), set(self.dependencies), self.server_version,
            dict(self.collations),
        )

    def track_changes(self, on: bool = True) -> None:
        """Start (or stop) recording which tables and indexes change, for `changed_keys`:
        a snapshot taken just before, compared with this catalog or a copy of it later,
        then looks only at what changed in between."""
        self.tables.changed = set() if on else None
        self.indexes.changed = set() if on else None

    def relation_exists(self, name: QName) -> bool:
        """Whether a relation holds the name: a table, an index (by its schema's name), a
        view or a sequence, which share PostgreSQL's pg_class and so its names."""
        return (name in self.tables or name in self.indexes or name in self.views
                or name in self.sequences)

    def indexes_on(self, table: QName) -> list[Index]:
        return self.indexes.on(table)

    def partitions_of(self, table: QName) -> list[QName]:
        """The partitions the schema holds of a partitioned table (none of another): read
        only for a table made with `PARTITION BY`, as it reads every table."""
        parent = self.tables.get(table)
        if parent is None or not parent.partitioned:
            return []
        return [name for name, t in self.tables.items() if t.partition_of == table]

    def attached_indexes(self, index: Index) -> list[IndexKey]:
        """The indexes of a partitioned table's partitions that PostgreSQL attaches to
        ``index``, one of the table's own: each partition's index of the same keys."""
        return [key for part in self.partitions_of(index.table)
                for key in self.indexes.keys_on(part) if self.indexes[key].same_key(index)]

    def views_reading(self, table: QName, column: str | None = None) -> list[View]:
        """Views that read the table (or, given a column, that column of it)."""
        if column is None:
            return [v for v in self.views.values() if table in v.tables]
        return [v for v in self.views.values() if (table, column) in v.reads]

    def foreign_keys_to(self, table: QName) -> list[tuple[Table, Constraint]]:
        """(referencing table, FK) pairs that reference the table, from other tables."""
        out: list[tuple[Table, Constraint]] = []
        for name in self.tables.referencing(table):
            if name != table:
                t = self.tables[name]
                out += [(t, c) for c in t.constraints
                        if c.kind == "foreign" and c.ref_table == table]
        return out

    def differences(self, other: Catalog, *, tables: bool = True) -> list[str]:
        """Names of the objects that differ between two catalogs, for `down-does-not-restore`;
        ``tables=False`` leaves tables and indexes out (for a caller that compares them
        itself: comparing two tables means comparing all their columns)."""
        out = []
        if tables:
            out += _store_differences("table", self.tables, other.tables)
            out += _store_differences("index", self.indexes, other.indexes)
        # A view reads the same columns whatever their order in its tables (`SELECT *` over a
        # column dropped and added again lists it last): the set of what it reads compares.
        out += _store_differences("view", self.views, other.views, _same_view)
        out += _store_differences("sequence", self.sequences, other.sequences)
        out += _store_differences("type", self.types, other.types)
        out += _store_differences("trigger", self.triggers, other.triggers)
        for key in sorted(set(self.functions) ^ set(other.functions), key=str):
            out.append(f"function {key[0]}({', '.join(key[1])})")
        for schema in sorted(self.schemas ^ other.schemas):
            out.append(f"schema {schema}")
        return out

    def holds(self, difference: str) -> bool:
        """Whether this catalog has the object a line of `differences` names."""
        kind, _, key = difference.partition(" ")
        if kind == "schema":
            return key in self.schemas
        if kind == "function":
            return any(f"{k[0]}({', '.join(k[1])})" == key for k in self.functions)
        stores: dict[str, Mapping[Any, Any]] = {
            "table": self.tables, "index": self.indexes, "view": self.views,
            "sequence": self.sequences, "type": self.types, "trigger": self.triggers}
        store = stores.get(kind)
        return store is not None and any(_key_str(k) == key for k in store)


def _same_view(a: object, b: object) -> bool:
    if isinstance(a, View) and isinstance(b, View):
        return replace(a, reads=()) == replace(b, reads=()) and set(a.reads) == set(b.reads)
    return a == b


def changed_keys(mine: Mapping[K, object], theirs: Mapping[K, object]) -> list[K]:
    """Keys whose entries are not the very same record in both, in order of their names.

    The fold replaces a record when it changes, so two snapshots of one history share
    every record a migration did not touch. When ``theirs`` recorded its changes since it
    was equal to ``mine`` (`Catalog.track_changes`), only those keys are looked at: a
    comparison after every migration of a long history then does not walk the whole schema.
    """
    recorded = getattr(theirs, "changed", None)
    keys = recorded if recorded is not None else mine.keys() | theirs.keys()
    return sorted((key for key in keys
                   if mine.get(key, _ABSENT) is not theirs.get(key, _ABSENT)), key=str)


_ABSENT = object()


def _store_differences(label: str, mine: Mapping[K, object], theirs: Mapping[K, object],
                       same: Callable[[object, object], bool] = operator.eq) -> list[str]:
    return [f"{label} {_key_str(key)}" for key in changed_keys(mine, theirs)
            if not same(mine.get(key), theirs.get(key))]


def _key_str(key: object) -> str:
    if isinstance(key, TableIndexKey):
        return str(key)
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], QName):
        return f"{key[0]}.{key[1]}"
    return str(key)


pickle_by_fields(globals())
