"""design: schema choices that cost later (default: info; warning where noted).

These rules look at definitions a migration creates (tables, added columns, new types), on
the up path only: a down path re-creating what existed is not a new design decision.
"""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.model.types import TypeRef
from schemagate.rules.context import MigrationContext, RuleContext
from schemagate.rules.registry import Hit, rule

_COLUMN_OPS = (o.CreateTable, o.AddColumn, o.AlterColumnType)


def _new_columns(op: o.Operation, ctx: RuleContext) -> list[tuple[QName, str, TypeRef]]:
    """(table, column, type) defined by the operation, on the up path."""
    if ctx.direction != "up":
        return []
    match op:
        case o.CreateTable(table=t, columns=cols):
            return [(t, c.name, c.type) for c in cols]
        case o.AddColumn(table=t, column=c):
            return [(t, c.name, c.type)]
        case o.AlterColumnType(table=t, column=c, new_type=typ):
            return [(t, c, typ)]
    return []


def _column_span(op: o.Operation, column: str) -> Span | None:
    """The definition of a column the operation defines, when its frontend located it."""
    match op:
        case o.CreateTable(columns=cols):
            return next((c.span for c in cols if c.name == column), None)
        case o.AddColumn(column=c):
            return c.span
    return None


def _key_columns(op: o.Operation) -> set[str]:
    """Columns of the operation that are primary-key or foreign-key columns."""
    match op:
        case o.CreateTable(constraints=cons) | o.AddColumn(constraints=cons):
            return {c for con in cons if con.kind in ("primary", "foreign") for c in con.columns}
    return set()


@rule("prefer-bigint", family="design", severity="warning", ops=_COLUMN_OPS,
      aliases=("prefer-bigint-over-int", "prefer-bigint-over-smallint"),
      fix="use bigint (or bigint GENERATED ... AS IDENTITY) for keys")
def prefer_bigint(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """Primary and foreign keys of type integer or smallint run out.

    ## What it does
    Flags `integer`, `smallint`, `serial` and `smallserial` columns that are part of a primary
    key or a foreign key in a `CREATE TABLE` or `ADD COLUMN`.

    ## Why it matters
    `integer` ends at 2,147,483,647. Tables that grow reach it, and widening a key later means
    rewriting the table and every table referencing it, under ACCESS EXCLUSIVE.

    ## When it does not fire
    On `bigint`/`bigserial` keys, on columns that are not keys, on down paths.

    ## Safe alternative
    ```sql
    CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```

    ## Example
    ```sql
    CREATE TABLE events (id serial PRIMARY KEY);
    ```
    """
    keys = _key_columns(op)
    for table, column, typ in _new_columns(op, ctx):
        if column in keys and typ.name in ("int4", "int2") and typ.array_dims == 0:
            yield Hit(f"key column `{table}.{column}` is {typ.name}: use bigint",
                      object=f"{table}.{column}", span=_column_span(op, column))


@rule("prefer-identity", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("prefer-identity",), fix="use GENERATED ALWAYS AS IDENTITY")
def prefer_identity(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """serial/bigserial: prefer identity columns.

    ## What it does
    Flags columns declared `serial`, `bigserial` or `smallserial`.

    ## Why it matters
    A serial's sequence is a separate object with its own permissions and ownership, easy to
    get out of step when copying tables or data; identity columns are part of the column and
    the SQL standard.

    ## When it does not fire
    On identity columns and plain integers; on down paths.

    ## Safe alternative
    ```sql
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY
    ```

    ## Example
    ```sql
    CREATE TABLE t (id bigserial PRIMARY KEY);
    ```
    """
    for table, column, typ in _new_columns(op, ctx):
        if typ.serial:
            yield Hit(f"`{table}.{column}` is serial: prefer an identity column",
                      object=f"{table}.{column}", span=_column_span(op, column))


def _type_rule(op: o.Operation, ctx: RuleContext, wanted: str, message: str,
               modifiers: bool | None = None) -> Iterator[Hit]:
    for table, column, typ in _new_columns(op, ctx):
        if typ.name == wanted and typ.schema is None and (
                modifiers is None or bool(typ.modifiers) == modifiers):
            yield Hit(f"`{table}.{column}` {message}", object=f"{table}.{column}",
                      span=_column_span(op, column))


@rule("prefer-text", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("prefer-text-field",), fix="use text, with a CHECK on length if it matters")
def prefer_text(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """varchar(n): prefer text with a CHECK constraint.

    ## What it does
    Flags `varchar(n)` columns.

    ## Why it matters
    The length limit is rarely a real rule of the data, and raising it later is a schema
    change (lowering it rewrites the table). `text` performs the same; a CHECK on length can
    be changed with `NOT VALID` + `VALIDATE`, online.

    ## When it does not fire
    On `text` and on `varchar` without a length; on down paths.

    ## Safe alternative
    ```sql
    name text CHECK (length(name) <= 200)
    ```

    ## Example
    ```sql
    CREATE TABLE users (name varchar(200));
    ```
    """
    yield from _type_rule(op, ctx, "varchar", "is varchar(n): prefer text", modifiers=True)


@rule("prefer-timestamptz", family="design", severity="info", ops=_COLUMN_OPS,
      dialects=("postgres",),
      aliases=("prefer-timestamptz",), fix="use timestamptz")
def prefer_timestamptz(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """timestamp without time zone: prefer timestamptz.

    ## What it does
    Flags `timestamp` (`timestamp without time zone`) columns.

    ## Why it matters
    A `timestamp` stores a wall-clock reading with no zone: the same value means different
    instants depending on the writer's time zone, and arithmetic across DST is wrong.
    `timestamptz` stores an instant.

    ## When it does not fire
    On `timestamptz`; on down paths.

    ## Safe alternative
    ```sql
    created_at timestamptz NOT NULL DEFAULT now()
    ```

    ## Example
    ```sql
    CREATE TABLE events (created_at timestamp);
    ```
    """
    yield from _type_rule(op, ctx, "timestamp", "is timestamp without time zone: prefer "
                          "timestamptz")


@rule("ban-char", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("ban-char-field",), fix="use text (or varchar)")
def ban_char(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """char(n) pads with blanks: prefer text.

    ## What it does
    Flags `char(n)`/`character(n)` columns.

    ## Why it matters
    Values are padded with spaces to n characters, comparisons ignore trailing spaces in
    surprising ways, and it is no faster than `text`.

    ## When it does not fire
    On `text` and `varchar`; on down paths.

    ## Safe alternative
    ```sql
    country_code text CHECK (length(country_code) = 2)
    ```

    ## Example
    ```sql
    CREATE TABLE t (country_code char(2));
    ```
    """
    yield from _type_rule(op, ctx, "bpchar", "is char(n): prefer text")


@rule("prefer-jsonb", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("E3", "add_column_json"), fix="use jsonb")
def prefer_jsonb(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """json: prefer jsonb.

    ## What it does
    Flags `json` columns.

    ## Why it matters
    `json` has no equality operator (so `SELECT DISTINCT` and `UNION` on it fail), cannot be
    indexed with GIN, and is re-parsed on every access. `jsonb` does all of that.

    ## When it does not fire
    On `jsonb`; on down paths.

    ## Safe alternative
    ```sql
    payload jsonb NOT NULL DEFAULT '{}'
    ```

    ## Example
    ```sql
    ALTER TABLE events ADD COLUMN payload json;
    ```
    """
    yield from _type_rule(op, ctx, "json", "is json: prefer jsonb")


def _identifiers(op: o.Operation) -> list[str]:
    match op:
        case o.CreateTable(table=t, columns=cols, constraints=cons):
            return [t.name, *(c.name for c in cols), *(c.name for c in cons if c.name)]
        case o.AddColumn(column=c):
            return [c.name]
        case o.CreateIndex(name=n) if n is not None:
            return [n.name]
        case o.AddConstraint(constraint=c) if c.name:
            return [c.name]
        case (o.RenameTable(new_name=n) | o.RenameColumn(new_name=n)
              | o.RenameConstraint(new_name=n) | o.RenameIndex(new_name=n)):
            return [n]
        case o.CreateView(name=n) | o.CreateSequence(name=n) | o.CreateType(name=n):
            return [n.name]
    return []


@rule("identifier-too-long", family="design", dialects=("postgres",), severity="warning",
      ops=(o.CreateTable, o.AddColumn, o.CreateIndex, o.AddConstraint, o.RenameTable,
           o.RenameColumn, o.RenameConstraint, o.RenameIndex, o.CreateView,
           o.CreateSequence, o.CreateType),
      aliases=("identifier-too-long",), fix="use a name of at most 63 bytes")
def identifier_too_long(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """An identifier longer than 63 bytes, which PostgreSQL silently truncates.

    ## What it does
    Flags table, column, index, constraint, view, sequence and type names over 63 bytes
    (PostgreSQL's NAMEDATALEN - 1; multi-byte characters count in bytes).

    ## Why it matters
    PostgreSQL truncates the name with only a NOTICE. The object then has a different name
    than the migration and the application use: a later `DROP INDEX` by the full name fails,
    and two long names with the same first 63 bytes collide.

    ## When it does not fire
    On names of 63 bytes or fewer.

    ## Safe alternative
    Shorten the name (`idx_orders_customer_created` rather than the full column list).

    ## Example
    ```sql
    CREATE INDEX index_orders_on_customer_id_and_created_at_and_status_and_region ON orders (...);
    ```
    """
    first = op is ctx.statement.ops[0]
    written = ctx.statement.long_identifiers if first else ()
    for name in dict.fromkeys((*written, *_identifiers(op))):
        size = len(name.encode("utf-8"))
        if size > 63:
            yield Hit(f"identifier `{name}` is {size} bytes: PostgreSQL truncates it to 63",
                      object=name)


def _covered(columns: tuple[str, ...], indexes: list[tuple[str, ...]]) -> bool:
    """An index covers a FK when the FK's columns are the index's leading columns."""
    k = len(columns)
    return any(len(ix) >= k and set(ix[:k]) == set(columns) for ix in indexes)


@rule("fk-without-index", family="design", severity="warning", scope="migration",
      dialects=("postgres", "sqlite"),
      aliases=("E15",), fix="CREATE INDEX CONCURRENTLY on the referencing columns")
def fk_without_index(ctx: MigrationContext) -> Iterator[Hit]:
    """A foreign key whose referencing columns no index covers.

    ## What it does
    After each migration, checks the foreign keys it added: flags those whose referencing
    columns are not the leading columns of any index (primary keys and unique constraints
    count) on the referencing table.

    ## Why it matters
    Every `DELETE` or key `UPDATE` on the referenced table scans the referencing table to
    check the constraint, and joins along the key cannot use an index: slow deletes, long
    locks, and cascades that take minutes.

    ## When it does not fire
    When an index with those leading columns exists by the end of the migration (in any
    order), or on foreign keys the migration did not add.

    ## Safe alternative
    ```sql
    CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
    ```

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users;
    ```
    """
    name = ctx.migration.name
    up = ctx.migration.up
    touched = {op.table for st in (up.statements if up else ()) for op in st.ops
               if isinstance(op, (o.CreateTable, o.AddConstraint, o.AddColumn))}
    for table_name in sorted(touched, key=str):
        table = ctx.after.tables.get(table_name)
        if table is None:
            continue
        new_fks = [c for c in table.constraints if c.kind == "foreign" and c.created_in == name]
        if not new_fks:
            continue
        indexes = [ix.columns for ix in ctx.after.indexes_on(table.name)]
        for fk in new_fks:
            if fk.columns and not _covered(fk.columns, indexes):
                yield Hit(f"foreign key `{fk.name}` on `{table.name}` ({', '.join(fk.columns)})"
                          " has no index on its columns", object=str(table.name),
                          span=_fk_span(ctx, table.name, fk.columns))


def _fk_span(ctx: MigrationContext, table: QName, columns: tuple[str, ...]) -> Span | None:
    """The REFERENCES clause or FOREIGN KEY constraint that added the key, else the first
    statement of the migration on its table."""
    up = ctx.migration.up
    if up is None:
        return None
    first = None
    for st in up.statements:
        for op in st.ops:
            if isinstance(op, (o.CreateTable, o.AddConstraint, o.AddColumn)) and \
                    op.table == table:
                first = first or op.span
                cons = op.constraints if not isinstance(op, o.AddConstraint) else (
                    op.constraint,)
                for con in cons:
                    if con.kind == "foreign" and con.columns == columns:
                        return con.span or op.site
    return first


@rule("enum-type", family="design", severity="info", ops=(o.CreateType,), aliases=("W13",),
      dialects=("postgres",),
      enabled=False, fix="use a lookup table or a CHECK constraint")
def enum_type(op: o.CreateType, ctx: RuleContext) -> Iterator[Hit]:
    """CREATE TYPE … AS ENUM (off by default).

    ## What it does
    Flags enum types.

    ## Why it matters
    Values can be added but not removed or reordered without rebuilding the type and every
    column using it; `ADD VALUE` has transaction restrictions. A lookup table or a CHECK
    constraint changes online.

    ## When it does not fire
    On other types. Off by default: teams that like enums keep them; enable it with
    `--select enum-type`.

    ## Safe alternative
    ```sql
    status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped'))
    ```

    ## Example
    ```sql
    CREATE TYPE order_status AS ENUM ('new', 'paid');
    ```
    """
    if op.enum_values is not None and op.type_kind == "enum" and ctx.direction == "up":
        yield Hit(f"enum type `{op.name}`: values cannot be removed or reordered later",
                  object=str(op.name))
