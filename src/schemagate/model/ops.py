"""The IR: what a migration does, independent of the language it was written in.

Every frontend (PostgreSQL SQL, Alembic Python, other dialects) turns its source into these
operations, and every rule reads only these, so a rule written once serves them all. Each
operation carries the span of its statement in the file the user wrote and the index of that
statement in its script: one ``ALTER TABLE`` with three sub-commands gives three operations
that share a statement index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemagate.model.locks import LockMode
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.model.types import TypeRef

ConstraintKind = Literal["primary", "unique", "foreign", "check", "exclusion"]


@dataclass(frozen=True, slots=True)
class Expr:
    """A SQL expression: its text and what it calls or reads.

    ``constant`` is true for literals, casts of literals and ``ARRAY[...]`` of them: a default
    that needs no function call at all.
    """

    sql: str
    functions: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    sequences: frozenset[str] = frozenset()
    constant: bool = False


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """A column as a statement defines it."""
    name: str
    type: TypeRef
    not_null: bool = False
    default: Expr | None = None
    identity: bool = False
    generated: Expr | None = None


@dataclass(frozen=True, slots=True)
class ConstraintDef:
    """A table constraint as a statement defines it, inline or on its own."""
    kind: ConstraintKind
    name: str | None = None
    columns: tuple[str, ...] = ()
    ref_table: QName | None = None
    ref_columns: tuple[str, ...] = ()
    expr: Expr | None = None
    not_valid: bool = False
    using_index: str | None = None
    deferrable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """What one statement does; `statement` is its index in the script."""
    span: Span
    statement: int = 0

    @property
    def kind(self) -> str:
        return type(self).__name__


# --- schemas, databases ---------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSchema(Operation):
    """`CREATE SCHEMA`."""
    name: str
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSchema(Operation):
    """`DROP SCHEMA`."""
    names: tuple[str, ...]
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameSchema(Operation):
    """`ALTER SCHEMA … RENAME TO`."""
    name: str
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DropDatabase(Operation):
    """`DROP DATABASE`."""
    name: str


# --- tables ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTable(Operation):
    """`CREATE TABLE`."""
    table: QName
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[ConstraintDef, ...] = ()
    if_not_exists: bool = False
    from_query: bool = False
    partition_of: QName | None = None
    temporary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTable(Operation):
    """`DROP TABLE`, of one table or several."""
    tables: tuple[QName, ...]
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameTable(Operation):
    """`ALTER TABLE … RENAME TO`."""
    table: QName
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRewrite(Operation):
    """A statement that rewrites a whole table under ACCESS EXCLUSIVE (VACUUM FULL, CLUSTER,
    SET TABLESPACE, SET LOGGED/UNLOGGED)."""

    table: QName | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachPartition(Operation):
    """`ALTER TABLE … ATTACH PARTITION`."""
    table: QName
    partition: QName


@dataclass(frozen=True, slots=True, kw_only=True)
class DetachPartition(Operation):
    """`ALTER TABLE … DETACH PARTITION`."""
    table: QName
    partition: QName
    concurrently: bool = False


# --- columns --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class AddColumn(Operation):
    """`ALTER TABLE … ADD COLUMN`."""
    table: QName
    column: ColumnDef
    constraints: tuple[ConstraintDef, ...] = ()
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropColumn(Operation):
    """`ALTER TABLE … DROP COLUMN`."""
    table: QName
    column: str
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameColumn(Operation):
    """`ALTER TABLE … RENAME COLUMN`."""
    table: QName
    column: str
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterColumnType(Operation):
    """`ALTER TABLE … ALTER COLUMN … TYPE`."""
    table: QName
    column: str
    new_type: TypeRef
    using: Expr | None = None
    old_type: TypeRef | None = None  # when the source states it (Alembic's existing_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotNull(Operation):
    """`ALTER TABLE … ALTER COLUMN … SET NOT NULL`."""
    table: QName
    column: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DropNotNull(Operation):
    """`ALTER TABLE … ALTER COLUMN … DROP NOT NULL`."""
    table: QName
    column: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDefault(Operation):
    """`ALTER TABLE … ALTER COLUMN … SET DEFAULT` or `DROP DEFAULT`."""
    table: QName
    column: str
    default: Expr | None  # None: DROP DEFAULT


# --- constraints ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class AddConstraint(Operation):
    """`ALTER TABLE … ADD CONSTRAINT`."""
    table: QName
    constraint: ConstraintDef


@dataclass(frozen=True, slots=True, kw_only=True)
class DropConstraint(Operation):
    """`ALTER TABLE … DROP CONSTRAINT`."""
    table: QName
    name: str
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateConstraint(Operation):
    """`ALTER TABLE … VALIDATE CONSTRAINT`."""
    table: QName
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameConstraint(Operation):
    """`ALTER TABLE … RENAME CONSTRAINT`."""
    table: QName
    name: str
    new_name: str


# --- indexes --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateIndex(Operation):
    """`CREATE INDEX`."""
    name: QName | None
    table: QName
    columns: tuple[str, ...] = ()
    expressions: tuple[Expr, ...] = ()
    unique: bool = False
    concurrently: bool = False
    if_not_exists: bool = False
    where: Expr | None = None
    method: str = "btree"


@dataclass(frozen=True, slots=True, kw_only=True)
class DropIndex(Operation):
    """`DROP INDEX`."""
    names: tuple[QName, ...]
    concurrently: bool = False
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameIndex(Operation):
    """`ALTER INDEX … RENAME TO`."""
    name: QName
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reindex(Operation):
    """`REINDEX`."""
    target: Literal["index", "table", "schema", "database", "system"]
    name: str
    concurrently: bool = False


# --- views, sequences, types, functions, triggers -------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateView(Operation):
    """`CREATE VIEW` or `CREATE MATERIALIZED VIEW`."""
    name: QName
    materialized: bool = False
    or_replace: bool = False
    reads: tuple[tuple[QName, str], ...] = ()  # (table, column) pairs the query reads
    tables: tuple[QName, ...] = ()  # every relation the query reads


@dataclass(frozen=True, slots=True, kw_only=True)
class DropView(Operation):
    """`DROP VIEW` or `DROP MATERIALIZED VIEW`."""
    names: tuple[QName, ...]
    materialized: bool = False
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshMaterializedView(Operation):
    """`REFRESH MATERIALIZED VIEW`."""
    name: QName
    concurrently: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSequence(Operation):
    """`CREATE SEQUENCE`."""
    name: QName
    owned_by: tuple[QName, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSequence(Operation):
    """`DROP SEQUENCE`."""
    names: tuple[QName, ...]
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateType(Operation):
    """`CREATE TYPE` (or `CREATE DOMAIN`)."""
    name: QName
    enum_values: tuple[str, ...] | None = None  # None: not an enum (composite, domain, range)
    type_kind: Literal["enum", "composite", "domain", "range", "other"] = "enum"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterEnumAddValue(Operation):
    """`ALTER TYPE … ADD VALUE`."""
    name: QName
    value: str
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameEnumValue(Operation):
    """`ALTER TYPE … RENAME VALUE`."""
    name: QName
    value: str
    new_value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameType(Operation):
    """`ALTER TYPE … RENAME TO`."""
    name: QName
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DropType(Operation):
    """`DROP TYPE`."""
    names: tuple[QName, ...]
    cascade: bool = False
    if_exists: bool = False
    domain: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateFunction(Operation):
    """`CREATE FUNCTION` or `CREATE PROCEDURE`."""
    name: QName
    arg_types: tuple[str, ...] = ()
    or_replace: bool = False
    procedure: bool = False
    volatility: Literal["v", "s", "i"] = "v"


@dataclass(frozen=True, slots=True, kw_only=True)
class DropFunction(Operation):
    """`DROP FUNCTION` or `DROP PROCEDURE`."""
    names: tuple[tuple[QName, tuple[str, ...] | None], ...]  # (name, args or None if unstated)
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrigger(Operation):
    """`CREATE TRIGGER`."""
    name: str
    table: QName
    function: QName
    or_replace: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTrigger(Operation):
    """`DROP TRIGGER`."""
    name: str
    table: QName
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateExtension(Operation):
    """`CREATE EXTENSION`."""
    name: str
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropExtension(Operation):
    """`DROP EXTENSION`."""
    names: tuple[str, ...]
    cascade: bool = False


# --- data -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Truncate(Operation):
    """`TRUNCATE`."""
    tables: tuple[QName, ...]
    cascade: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRows(Operation):
    """`DELETE`."""
    table: QName
    has_where: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateRows(Operation):
    """`UPDATE`."""
    table: QName
    has_where: bool
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertRows(Operation):
    """`INSERT`."""
    table: QName


# --- session and transaction control --------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class SetSetting(Operation):
    """``SET [LOCAL] name = value`` / ``RESET name``; value None means RESET/DEFAULT."""

    name: str
    value: str | None
    local: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LockTable(Operation):
    """``LOCK [TABLE] name, … IN mode MODE [NOWAIT]``: held until the transaction ends."""

    tables: tuple[QName, ...]
    mode: LockMode = LockMode.ACCESS_EXCLUSIVE  # LOCK without IN … MODE
    nowait: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionControl(Operation):
    """`BEGIN`, `COMMIT`, `ROLLBACK` and savepoints."""
    action: Literal["begin", "commit", "rollback", "savepoint", "release", "rollback_to"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RawSQL(Operation):
    """A statement the IR does not model: kept, never dropped, so rules can still see it.

    ``statement_kind`` is the parser's name for it (``GrantStmt``, ``DoStmt`` …). ``reason``
    says why it could not be modelled when that is not simply an unmodelled kind (for example
    SQL built at run time in a Python migration).
    """

    statement_kind: str
    sql: str = ""
    reason: str = ""
    tables: tuple[QName, ...] = field(default=())
