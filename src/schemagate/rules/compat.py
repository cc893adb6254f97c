"""compat: changes that break the application version still running (default: warning)."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.model.findings import Severity
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedScript
from schemagate.model.names import QName
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule


@rule("add-required-column", family="compat", severity="warning",
      ops=(o.AddColumn, o.SetDefault),
      aliases=("adding-required-field", "MF103", "NOT_NULL"),
      fix="add the column with a DEFAULT, or nullable and backfill before SET NOT NULL")
def add_required_column(op: o.AddColumn | o.SetDefault, ctx: RuleContext) -> Iterator[Hit]:
    """Adding a NOT NULL column without a default breaks existing rows and old inserts.

    ## What it does
    Flags `ADD COLUMN … NOT NULL` with no `DEFAULT` on a table that exists before the
    migration, and `DROP DEFAULT` of a NOT NULL column the same migration added with one
    (what Django sends for `AddField` with a Python `default`): the rows are filled, but the
    column ends up required with nothing to fill it.

    ## Why it matters
    If the table has rows the statement fails (`column contains null values`). If it is
    empty it succeeds, and then every `INSERT` from the application version still running,
    which does not know the column, fails.

    MySQL and MariaDB do not fail on existing rows: they fill the column with its type's
    implicit default (`''`, `0`), which the application then reads as real data; a
    `DATETIME`/`DATE` gets the zero date, which strict mode with `NO_ZERO_DATE` (MySQL's
    default) rejects, failing the statement. In strict mode (the default) every `INSERT`
    that omits the column fails with `Field '…' doesn't have a default value`. (Checked on
    MariaDB 10.11.)

    ## When it does not fire
    With a `DEFAULT` that stays, for identity, serial and generated columns (they fill
    themselves), and on tables created earlier in the same migration. In a down path adding
    back a column its up path dropped, the code the rollback returns to writes the column: a
    default dropped right after is fine there, and without one only the rows are a problem.
    With `--db`, when the live table has rows, the finding is an error rather than a warning:
    the statement will fail. When a `DELETE` without `WHERE` or a `TRUNCATE` emptied the
    table earlier in the same transaction, the statement succeeds: the finding is only
    about the running application's inserts.

    ## Safe alternative
    ```sql
    ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
    ```
    or add it nullable, backfill, then `SET NOT NULL` (see `set-not-null`).

    ## Example
    ```sql
    ALTER TABLE users ADD COLUMN plan text NOT NULL;
    ```

    ## References
    - Modifying Tables, Adding a Column: the new column is filled with its default, or NULL when it
      has none, so `NOT NULL` without a default fails on a table with rows.
      https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN
    - ALTER TABLE, Notes: a non-volatile default is stored once in the catalog (PostgreSQL 11+),
      with no rewrite.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES

    ## With Alembic
    Give the default to the database, not only to SQLAlchemy:
    ```python
    op.add_column("users", sa.Column("plan", sa.Text(), nullable=False, server_default="free"))
    ```

    ## With Django
    A field `default=` lives in Python only; from Django 5.0, `db_default=` sets it in the
    database too, so inserts from the previous release still succeed:
    ```python
    migrations.AddField("user", "plan", models.TextField(db_default="free"))
    ```
    """
    if isinstance(op, o.SetDefault):
        yield from _default_dropped(op, ctx)
        return
    col = op.column
    if not col.not_null or col.default is not None or ctx.is_new(op.table):
        return
    if col.identity or col.generated is not None or col.type.serial:
        return
    if ctx.migration.source.dialect == "mysql":
        yield Hit(f"adding NOT NULL column `{col.name}` without a default to `{op.table}`: "
                  "existing rows get the type's implicit default ('' or 0; a zero date, "
                  "which NO_ZERO_DATE rejects), and in strict mode inserts from the running "
                  "application fail with \"doesn't have a default value\"",
                  object=f"{op.table}.{col.name}", lock=LockMode.ACCESS_EXCLUSIVE)
        return
    # A down path adding back what its up dropped restores the column the older code writes:
    # only the rows stand in its way.
    restores = ctx.undoes_drop_column(op.table, col.name)
    if _emptied_before(op.table, ctx):
        # Ente's 84: `DELETE FROM casting` just before, in the same transaction: no row
        # stands in the way, only the running application's inserts.
        if not restores:
            yield Hit(f"adding NOT NULL column `{col.name}` without a default to `{op.table}` "
                      "breaks inserts from the running application (the table, emptied "
                      "earlier in this transaction, has no rows for it to fail on)",
                      object=f"{op.table}.{col.name}", lock=LockMode.ACCESS_EXCLUSIVE)
        return
    breaks = "" if restores else ", and breaks inserts from the running application"
    yield Hit(f"adding NOT NULL column `{col.name}` without a default to `{op.table}` fails if "
              f"the table has rows{breaks}",
              object=f"{op.table}.{col.name}", lock=LockMode.ACCESS_EXCLUSIVE,
              severity_with_rows=Severity.ERROR)


def _emptied_before(table: QName, ctx: RuleContext) -> bool:
    """Whether the table holds no rows when the statement runs: a `DELETE` without `WHERE`
    or a `TRUNCATE` emptied it earlier in the same transaction, and nothing put rows back
    since. Outside a transaction the application may insert in between."""
    block = ctx.statement.block
    if block is None:
        return False
    events = ctx.per_script(_row_events).get((block, table), ())
    earlier = [emptied for index, emptied in events if index < ctx.statement.index]
    return bool(earlier) and earlier[-1]


def _row_events(script: ParsedScript) -> dict[tuple[int, QName], list[tuple[int, bool]]]:
    """For each (transaction block, table), the statements that empty it (True) or put
    rows in it (False), in order."""
    out: dict[tuple[int, QName], list[tuple[int, bool]]] = {}
    for st in script.statements:
        if st.block is None:
            continue
        for op in st.ops:
            match op:
                case o.DeleteRows(table=table, has_where=False):
                    out.setdefault((st.block, table), []).append((st.index, True))
                case o.Truncate(tables=tables):
                    for table in tables:
                        out.setdefault((st.block, table), []).append((st.index, True))
                case o.InsertRows(table=table):
                    out.setdefault((st.block, table), []).append((st.index, False))
    return out


def _default_dropped(op: o.SetDefault, ctx: RuleContext) -> Iterator[Hit]:
    """DROP DEFAULT of a NOT NULL column this migration added to an existing table."""
    if op.default is not None or ctx.is_new(op.table) or \
            not ctx.is_new_column(op.table, op.column) or \
            ctx.undoes_drop_column(op.table, op.column):
        return  # (a down path restoring a column its up dropped: older code writes it)
    table = ctx.table(op.table)
    col = table.column(op.column) if table is not None else None
    if col is None or not col.not_null or col.identity or col.generated is not None:
        return
    yield Hit(f"the default of new NOT NULL column `{op.column}` on `{op.table}` is dropped "
              "right after the rows are filled: inserts from the running application, which "
              "does not know the column, fail", object=f"{op.table}.{op.column}",
              lock=LockMode.ACCESS_EXCLUSIVE)


@rule("rename-table", family="compat", severity="warning", ops=(o.RenameTable,),
      aliases=("renaming-table", "BC101"),
      fix="create a view under the old name, or expand-contract over several releases")
def rename_table(op: o.RenameTable, ctx: RuleContext) -> Iterator[Hit]:
    """Renaming a table breaks every query of the running application that names it.

    ## What it does
    Flags `ALTER TABLE … RENAME TO` on a table that exists before the migration.

    ## Why it matters
    Between the migration and the deployment of the new code, the old code queries a table
    that no longer exists. Rolling deploys make that window minutes long.

    ## When it does not fire
    On a table created earlier in the same migration, on a down path renaming back the table
    its up path renamed, on a sequence renamed by `ALTER TABLE` (a serial or identity
    column's: its default names it by oid, and keeps working), and when the script makes a
    table under the old name again and ends with it there, as a table rebuild does (rename
    the old table aside, create the new one under its name, copy the rows, drop the renamed
    one): code that uses the old name goes on finding a table.

    ## Safe alternative
    Rename, and keep the old name alive with an updatable view until the old code is gone:
    ```sql
    ALTER TABLE customers RENAME TO clients;
    CREATE VIEW customers AS SELECT * FROM clients;
    ```

    ## Example
    ```sql
    ALTER TABLE customers RENAME TO clients;
    ```

    ## References
    - ALTER TABLE: `RENAME` changes the name at once for every session.
      https://www.postgresql.org/docs/current/sql-altertable.html
    - CREATE VIEW, Updatable Views: a simple view over one table accepts `INSERT`, `UPDATE` and
      `DELETE`, so the old name keeps working for writers too.
      https://www.postgresql.org/docs/current/sql-createview.html#SQL-CREATEVIEW-UPDATABLE-VIEWS
    """
    if ctx.is_new(op.table) or ctx.undoes_rename(op.table):
        return
    if ctx.table(op.table) is None and op.table in ctx.catalog.sequences:
        return  # a sequence: a column's default names it by its oid, not its name
    if ctx.per_script(_remade_tables).get(op.table, -1) > ctx.statement.index:
        return  # renamed aside: the name is back by the end of the script
    yield Hit(f"renaming `{op.table}` to `{op.new_name}` breaks code that still uses the old "
              "name", object=str(op.table), lock=LockMode.ACCESS_EXCLUSIVE)


def _remade_tables(script: ParsedScript) -> dict[QName, int]:
    """The tables the script makes (creates, or renames another table to) and leaves in
    place at its end, with the index of the statement that last made each."""
    made: dict[QName, int] = {}
    for st in script.statements:
        for op in st.ops:
            match op:
                case o.CreateTable(table=table):
                    made[table] = st.index
                case o.RenameTable(table=table, new_name=new):
                    made.pop(table, None)
                    made[QName(table.schema, new)] = st.index
                case o.DropTable(tables=tables):
                    for table in tables:
                        made.pop(table, None)
    return made


@rule("rename-column", family="compat", severity="warning", ops=(o.RenameColumn,),
      aliases=("renaming-column", "BC102"),
      fix="add the new column, write both, backfill, switch reads, then drop the old one")
def rename_column(op: o.RenameColumn, ctx: RuleContext) -> Iterator[Hit]:
    """Renaming a column breaks every query of the running application that names it.

    ## What it does
    Flags `ALTER TABLE … RENAME COLUMN` on a table that exists before the migration.

    ## Why it matters
    The running application version selects, inserts and updates the old name and fails
    until the new code is everywhere.

    ## When it does not fire
    On a table or column created earlier in the same migration, and on a down path renaming
    back the column its up path renamed.

    ## Safe alternative
    Expand and contract: add the new column, write to both, backfill, move the reads, and
    drop the old column in a later release.

    ## Example
    ```sql
    ALTER TABLE users RENAME COLUMN email TO email_address;
    ```

    ## References
    - ALTER TABLE: `RENAME COLUMN` changes the name at once for every session.
      https://www.postgresql.org/docs/current/sql-altertable.html

    ## With Django
    Keep the column's old name in the database while the model uses the new one:
    `RenameField` plus `db_column="old_name"` on the field renames nothing in the database.
    """
    if ctx.is_new_column(op.table, op.column) or ctx.undoes_rename(op.table, op.column):
        return
    yield Hit(f"renaming `{op.table}.{op.column}` to `{op.new_name}` breaks code that still "
              "uses the old name", object=f"{op.table}.{op.column}", lock=LockMode.ACCESS_EXCLUSIVE)


@rule("rename-schema", family="compat", severity="warning", ops=(o.RenameSchema,),
      dialects=("postgres",),
      aliases=("rename_schema",), fix="rename only once no running code uses the old name")
def rename_schema(op: o.RenameSchema, ctx: RuleContext) -> Iterator[Hit]:
    """Renaming a schema breaks every query that qualifies names with it.

    ## What it does
    Flags `ALTER SCHEMA … RENAME TO`.

    ## Why it matters
    Queries and `search_path` settings of the running application name the old schema.

    ## When it does not fire
    On a schema created earlier in the same migration.

    ## Safe alternative
    Deploy code that no longer names the schema first, or keep both names working through
    views for one release.

    ## Example
    ```sql
    ALTER SCHEMA reporting RENAME TO analytics;
    ```

    ## References
    - ALTER SCHEMA: `RENAME TO` changes the name at once.
      https://www.postgresql.org/docs/current/sql-alterschema.html
    - The Schema Search Path: unqualified names are looked up through `search_path`, which names
      schemas.
      https://www.postgresql.org/docs/current/ddl-schemas.html#DDL-SCHEMAS-PATH
    """
    if any(t.schema == op.name and ctx.is_new(t) for t in ctx.catalog.tables) and not any(
            t.schema == op.name and not ctx.is_new(t) for t in ctx.catalog.tables):
        return
    yield Hit(f"renaming schema `{op.name}` to `{op.new_name}` breaks code that still uses "
              "the old name", object=op.name)


@rule("rename-enum-value", family="compat", severity="warning", ops=(o.RenameEnumValue,),
      dialects=("postgres",),
      aliases=("rename_enum_value",), fix="add the new value, migrate rows, stop using the old")
def rename_enum_value(op: o.RenameEnumValue, ctx: RuleContext) -> Iterator[Hit]:
    """Renaming an enum value breaks code that still writes or compares the old value.

    ## What it does
    Flags `ALTER TYPE … RENAME VALUE`.

    ## Why it matters
    The running application inserts and filters by the old label; inserts fail with
    `invalid input value for enum`, and filters silently match nothing.

    ## When it does not fire
    On a type created earlier in the same migration; in a down path renaming back a value
    its up path renamed (that restores what the code before the up path used).

    ## Safe alternative
    Add the new value, move rows over, deploy code using it, and stop using the old one.

    ## Example
    ```sql
    ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';
    ```

    ## References
    - ALTER TYPE: `RENAME VALUE` renames a label of an enum type.
      https://www.postgresql.org/docs/current/sql-altertype.html
    - Enumerated Types: an input value that is not a label of the type is an error.
      https://www.postgresql.org/docs/current/datatype-enum.html
    """
    typ = ctx.catalog.types.get(op.name)
    if typ is not None and typ.created_in == ctx.migration.name:
        return
    if ctx.undoes_enum_rename(op.name, op.value):
        return  # a down path giving back the label the running (older) code knows
    yield Hit(f"renaming value '{op.value}' of `{op.name}` to '{op.new_value}' breaks code "
              "that still uses the old value", object=str(op.name))


@rule("drop-not-null", family="compat", severity="warning", ops=(o.DropNotNull,),
      aliases=("ban-drop-not-null",), fix="make sure every reader handles NULL first")
def drop_not_null(op: o.DropNotNull, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping NOT NULL lets NULLs reach code that does not expect them.

    ## What it does
    Flags `ALTER COLUMN … DROP NOT NULL` on an existing column.

    ## Why it matters
    Code of the running version assumes the column always has a value; the first NULL a new
    writer stores breaks those readers (and the change is hard to revert once NULLs exist).

    ## When it does not fire
    On a table or column created earlier in the same migration, on a column the history
    knows to be nullable already (Alembic's `alter_column(..., nullable=True)` restating it)
    or the migration says is (`existing_nullable=True`),
    on a column of the primary key (MySQL's `MODIFY` without `NOT NULL` keeps such a column
    NOT NULL; PostgreSQL refuses the statement), and in a down path undoing its up's `SET
    NOT NULL`: that restores the schema the running code was written for.

    ## Safe alternative
    Deploy readers that handle NULL before the migration that allows it.

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
    ```

    ## References
    - ALTER TABLE, SET/DROP NOT NULL: `DROP NOT NULL` lets the column hold NULLs from then on.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
    """
    if ctx.is_new_column(op.table, op.column) or ctx.undoes_set_not_null(op.table, op.column) \
            or op.already:
        return
    table = ctx.table(op.table)
    column = table.column(op.column) if table else None
    if column is not None and not column.assumed and not column.not_null:
        return  # already nullable: an ORM's `nullable=True` restating it changes nothing
    if table is not None and op.column in table.primary_key():
        return  # a primary key's column stays NOT NULL (MySQL keeps it, PostgreSQL refuses)
    yield Hit(f"`{op.table}.{op.column}` may now be NULL: readers that expect a value break",
              object=f"{op.table}.{op.column}", lock=LockMode.ACCESS_EXCLUSIVE)
