"""The IR: what a migration does, independent of the language it was written in.

Every frontend (PostgreSQL SQL, Alembic Python, other dialects) turns its source into these
operations, and every rule reads only these, so a rule written once serves them all. Each
operation carries the span of its statement in the file the user wrote and the index of that
statement in its script: one ``ALTER TABLE`` with three sub-commands gives three operations
that share a statement index. Where the frontend can tell, an operation also carries the span
of its own clause (the ``ALTER TABLE`` action), and column and constraint definitions and
expressions carry theirs: findings point at the smallest piece of syntax that causes them.
Spans take no part in equality, so that the same definition written elsewhere is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, cast

from schemagate.model.locks import LockMode
from schemagate.model.names import QName
from schemagate.model.pickling import pickle_by_fields
from schemagate.model.span import LazySpan, Span
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
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """A column as a statement defines it."""
    name: str
    type: TypeRef
    not_null: bool = False
    default: Expr | None = None
    identity: bool = False
    generated: Expr | None = None
    span: Span | None = field(default=None, compare=False)


# pg_constraint's confdeltype/confupdtype codes (pglast's fk_del_action too), as SQL; "a",
# NO ACTION, the default, is None.
FK_ACTION_CODES = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def fk_action(text: object) -> str | None:
    """A foreign key action as written (`cascade`, `SET  NULL`, an ORM's `ondelete=`), as
    the IR and the catalog keep it: upper case, single spaces; None for NO ACTION, or for a
    value that is not text."""
    if not isinstance(text, str):
        return None
    action = " ".join(text.upper().split())
    return None if action == "NO ACTION" else action


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
    # The index a primary key or unique constraint owns is named within its table, not
    # its schema (MySQL, MariaDB: see `CreateIndex.per_table`).
    index_per_table: bool = False
    # A name is given, but only run time knows it (an expression the tool cannot evaluate, a
    # SQLAlchemy naming convention), or the database names an unnamed constraint otherwise
    # than PostgreSQL does (MySQL's `orders_ibfk_1`; SQLite gives it no name): `name` is
    # then None and PostgreSQL's default name is not the constraint's either.
    name_at_run_time: bool = False
    # A foreign key's ON DELETE action, as SQL ("CASCADE", "SET NULL", "SET DEFAULT",
    # "RESTRICT"); None for NO ACTION, the default.
    on_delete: str | None = None
    span: Span | None = field(default=None, compare=False)
    # A foreign key to a table that migrations outside the history make (a Django contrib
    # app's, which the project depends on without holding its migrations): how the
    # migration names the target ("contenttypes.contenttype", `settings.AUTH_USER_MODEL`).
    # The table exists although no migration of the history made it; `ref_table` is it
    # where its name is known, else None (a swappable model, a third-party app's table).
    ref_outside: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """What one statement does; `statement` is its index in the script."""
    span: Span  # the whole statement
    statement: int = 0
    clause: Span | None = field(default=None, compare=False)  # this operation's part of it
    # One span per name of `tables`/`names`, in order, when the statement names several.
    name_spans: tuple[Span, ...] = field(default=(), compare=False)
    # Where `CASCADE` is written, for a drop or truncate that cascades.
    cascade_site: Span | None = field(default=None, compare=False)

    @property
    def site(self) -> Span:
        """The smallest span known to hold this operation: its clause, else its statement."""
        return self.clause or self.span

    def name_site(self, index: int) -> Span | None:
        """The span of the index-th name the operation acts on, when it names several."""
        return self.name_spans[index] if index < len(self.name_spans) else None

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

@dataclass(frozen=True, slots=True)
class QueryColumn:
    """An output column of the query a table is created from (CREATE TABLE AS, SELECT INTO).

    The fold resolves it against the tables known at that point: `*` (no `name`) stands for
    every column of `source`, a named column takes its type from `type` (a cast) or else
    from `source_column` of `source`.
    """

    name: str | None  # None: `*`
    source: QName | None = None  # the relation it is read from, when the query says which
    source_column: str | None = None
    type: TypeRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTable(Operation):
    """`CREATE TABLE`."""
    table: QName
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[ConstraintDef, ...] = ()
    if_not_exists: bool = False
    from_query: bool = False
    partition_of: QName | None = None
    partitioned: bool = False  # `PARTITION BY`: its rows live in its partitions
    temporary: bool = False
    # From a query: its output columns, or None when they cannot be told from the text (a
    # VALUES list, an unnamed expression, a sub-select); then the table's columns are unknown.
    query_columns: tuple[QueryColumn, ...] | None = None
    column_names: tuple[str, ...] = ()  # `CREATE TABLE t (a, b) AS …`: renames, in order
    # From a query: the tables its rows are read from (see `InsertRows.sources`).
    sources: tuple[QName, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTable(Operation):
    """`DROP TABLE`, of one table or several.

    ``cascade_by`` names the migration tool that sends `CASCADE` whatever the migration
    says (Django's schema editor), empty when the migration wrote it.
    """
    tables: tuple[QName, ...]
    cascade: bool = False
    if_exists: bool = False
    cascade_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameTable(Operation):
    """`ALTER TABLE … RENAME TO`."""
    table: QName
    new_name: str
    if_exists: bool = False  # `ALTER TABLE IF EXISTS`: a missing table is no error


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
    """`ALTER TABLE … DROP COLUMN`; ``cascade_by`` as for `DropTable`."""
    table: QName
    column: str
    cascade: bool = False
    if_exists: bool = False
    cascade_by: str = ""


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
    # The type USING's outermost explicit cast converts to (`USING c::varchar(26)`): a cast
    # to a bounded string type cuts a longer value where the assignment would reject it.
    using_cast: TypeRef | None = None
    old_type: TypeRef | None = None  # when the source states it (Alembic's existing_type)
    # The collation its COLLATE clause names (`"C"`, Django's `db_collation`; "default"
    # for the type's own): a change of collation rebuilds the indexes on the column.
    collation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotNull(Operation):
    """`ALTER TABLE … ALTER COLUMN … SET NOT NULL`."""
    table: QName
    column: str
    # The source says the column is NOT NULL already (Alembic's `existing_nullable=False`):
    # the statement changes nothing and reads no row.
    already: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropNotNull(Operation):
    """`ALTER TABLE … ALTER COLUMN … DROP NOT NULL`."""
    table: QName
    column: str
    already: bool = False  # nullable already, by the source's word (`existing_nullable=True`)


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
    # The name is the table's own, not the schema's: MySQL and MariaDB let two tables each
    # have an index `email`. PostgreSQL names indexes within the schema, SQLite within the
    # database.
    per_table: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropIndex(Operation):
    """`DROP INDEX`."""
    names: tuple[QName, ...]
    concurrently: bool = False
    cascade: bool = False
    if_exists: bool = False
    # The table whose own indexes `names` are, where index names are per table (MySQL's
    # `DROP INDEX x ON t` and `ALTER TABLE t DROP INDEX x`); None where they are the
    # schema's, and the statement names no table (PostgreSQL, SQLite).
    table: QName | None = None


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
class RenameSequence(Operation):
    """`ALTER SEQUENCE … RENAME TO`."""
    name: QName
    new_name: str


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
    # A `LANGUAGE sql` function the planner puts its body in place of (`inline_function`):
    # one `SELECT expr`, not SECURITY DEFINER, STRICT, SET or SETOF. Declared VOLATILE (the
    # default), a call of it is as volatile as `expr`: `DEFAULT now_us()` over `now()`
    # writes no row.
    inlined: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameFunction(Operation):
    """`ALTER FUNCTION … RENAME TO` (or PROCEDURE)."""
    name: QName
    arg_types: tuple[str, ...] | None  # None when the statement gives no argument list
    new_name: str


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
class RenameTrigger(Operation):
    """`ALTER TRIGGER … ON table RENAME TO`."""
    name: str
    table: QName
    new_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTrigger(Operation):
    """`DROP TRIGGER`."""
    name: str
    table: QName
    cascade: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DropEventTrigger(Operation):
    """`DROP EVENT TRIGGER`: database-wide, on no table; nothing else depends on one."""
    names: tuple[str, ...]
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
    has_where: bool  # a WHERE that may filter rows out
    # A WHERE written that holds for every row (`WHERE 1 = 1`, `WHERE true`): has_where is
    # then False.
    vacuous_where: bool = False


@dataclass(frozen=True, slots=True)
class RowsPulled:
    """An `UPDATE … FROM` that copies columns of one other table into the rows it matches
    by one equality: `UPDATE person p SET admin = lu.admin FROM local_user lu WHERE p.id =
    lu.person_id`. Whether every source row's values arrive is the catalog's to say (the
    source column is a NOT NULL foreign key to the target column)."""
    source: QName
    match: tuple[str, str]  # (target column, source column) of the WHERE's equality
    columns: tuple[tuple[str, str], ...]  # (target column, source column) it is set to


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateRows(Operation):
    """`UPDATE`."""
    table: QName
    has_where: bool  # a WHERE that may filter rows out
    vacuous_where: bool = False  # as DeleteRows'
    columns: tuple[str, ...] = ()
    # The columns set to `COALESCE(themselves, …)` (MySQL's `IFNULL` too): a row that holds
    # a value keeps it, only NULLs are filled. A backfill, whatever the column held.
    kept: tuple[str, ...] = ()
    # Each column set, with the columns of the table its new value reads (`SET id_text =
    # id::text`: ("id_text", ("id",))), where the frontend can tell; empty otherwise.
    copies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The columns set to a constant (a literal, NULL, DEFAULT, a cast of one), where the
    # frontend can tell: their new value holds nothing read from the database or passed in
    # at run time. A column not named here may be set from anything.
    constants: tuple[str, ...] = ()
    pulled: RowsPulled | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertRows(Operation):
    """`INSERT`."""
    table: QName
    # `INSERT … SELECT`: the tables the rows are read from, those named in the FROM and JOIN
    # clauses of the query (through sub-selects there and set operations), not those a
    # condition reads; empty for `VALUES` or a query whose FROM names none.
    sources: tuple[QName, ...] = ()
    # Every value inserted is a constant (`VALUES` of literals, NULL, DEFAULT), where the
    # frontend can tell: the rows hold nothing read from the database or passed in at run
    # time. False: the values may come from anywhere.
    constant: bool = False
    # `INSERT … SELECT`: the columns its select list reads (lower-cased), each of whose
    # values lives on in the rows inserted; None when not known (a `*`, a set operation).
    selected: frozenset[str] | None = None
    # The query keeps rows out by more than `IS NOT NULL` tests (a `WHERE kind = 'x'`): some
    # rows' values are not copied.
    filtered: bool = False


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


# The statement kind of `op.drop_constraint(None, …)`: Alembic autogenerate writes it for a
# constraint the database gave no name, and it fails when it runs.
UNNAMED_DROP_CONSTRAINT = "op.drop_constraint(None)"

# The statement kind of ORM work through a SQLAlchemy Session bound to an Alembic migration's
# connection (`orm.Session(bind=op.get_bind())`): it reads and writes rows the tool does not
# read, inside the migration's transaction (a Session given a connection joins its
# transaction, and its commit() does not end it).
ORM_SESSION = "orm.Session"

# The statement kind of Django's `RunPython`: Python code that, by Django's contract, changes
# rows rather than the schema. It holds no SQL, so there is no SQL whose inverse to check.
DATA_MIGRATION = "RunPython"
# The statement kind of `DROP COLLATION` without CASCADE: PostgreSQL refuses it while a
# column or index uses the collation, so it drops nothing a rule reasons about.
DROP_COLLATION = "DropCollation"


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
    # A DO block's statements that run on every path (`parse.postgres.plpgsql`): the fold
    # applies them; rules see only the block.
    effects: tuple[Operation, ...] = field(default=())
    # Every operation a DO block may run on any path, when all of it can be read (no loop,
    # no SQL built at run time, conditions that read only the catalogs); None otherwise.
    branches: tuple[Operation, ...] | None = None
    # A SELECT's function calls, by name (lower case, no schema), where the frontend read
    # the statement and it writes no rows (no INSERT, UPDATE or DELETE in its WITH); None
    # where it did not.
    calls: tuple[str, ...] | None = None
    # A `DATA_MIGRATION` whose way back is a function of its own (Django's `reverse_code`,
    # not `RunPython.noop`): migrating back runs code the tool does not read, after undoing
    # the operations written below it.
    reverse_code: bool = False


def map_spans(op: Operation, move: Callable[[Span], Span]) -> Operation:
    """The operation with every span in it, nested ones included, passed through `move`.

    For a frontend that parses text found inside another file (SQL in a Python string): its
    spans are relative to that text until moved into the file.
    """
    return cast(Operation, _moved(op, move))


def _moved(value: object, move: Callable[[Span], Span]) -> object:
    if isinstance(value, LazySpan):  # stays lazy: moved when it is read
        lazy = value
        return LazySpan(lambda: move(lazy.resolved()))
    if isinstance(value, Span):
        return move(value)
    if type(value) is tuple:  # not a QName, which is a tuple of strings
        items = tuple(_moved(v, move) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, (Operation, ColumnDef, ConstraintDef, Expr)):
        changes: dict[str, Any] = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = _moved(old, move)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    return value


pickle_by_fields(globals())
