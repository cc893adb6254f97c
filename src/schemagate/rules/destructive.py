"""destructive: operations after which data is gone (default severity: error)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.findings import Severity
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedScript
from schemagate.model.names import QName
from schemagate.model.types import classify_change
from schemagate.rules.context import RuleContext
from schemagate.rules.dependents import (
    column_dependents,
    function_may_have_users,
    function_users,
    sequence_users,
    table_dependents,
    truncate_cascade_targets,
    type_users,
)
from schemagate.rules.rebuilds import (
    copied_out,
    harmless_drops,
    kept_columns,
    left_out,
    pulled_out,
    rebuild_columns,
)
from schemagate.rules.registry import Hit, rule

_BACKUP = "save the data first (`schemagate backup`) and make sure no code still uses it"


@rule("drop-table", family="destructive", severity="error", ops=(o.DropTable,),
      aliases=("ban-drop-table", "DS102", "DROP_TABLE"), fix=_BACKUP)
def drop_table(op: o.DropTable, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a table deletes it and every row in it.

    ## What it does
    Flags `DROP TABLE` (and Alembic's `op.drop_table`) on a table that exists before the
    migration.

    ## Why it matters
    The rows are gone the moment the transaction commits; the down migration can re-create
    the table but not its data. An application version still running reads the table and
    fails.

    ## When it does not fire
    On a table created earlier in the same migration, on temporary tables, and in a table
    rebuild (SQLite's way to alter a table), where the script copies the rows (`INSERT …
    SELECT`) into the table that ends it under the dropped rows' name: create new, copy,
    drop old, rename new to old; rename old aside, create under the old name, copy back,
    drop the renamed; or copy aside, drop, create again, copy back, drop the copy; and on
    the `DROP TABLE IF EXISTS` that clears the way for such a rebuild's own scratch table
    (what an earlier, failed run of the script left). A drop followed by a bare `CREATE
    TABLE` of the same name, with nothing copied, is flagged. The copy is trusted: the rows
    its `WHERE` filters out are not checked; a column the new table lacks is
    `drop-column`'s. Nor on a `DROP TABLE IF EXISTS` of a table the history dropped or
    renamed away earlier, or, in a down path, of one the history does not hold. In an up
    path, an `IF EXISTS` drop of a table the history never made is flagged: the table may
    predate the history (a legacy table), and its rows go; unless the history is complete
    (it starts from an empty schema, as `unknown-object` judges) and the same script makes
    the table again after the drop: that drop only clears what a half-run earlier attempt of
    the script left.

    ## Safe alternative
    Stop using the table in a release first; take a backup (`schemagate backup` writes it);
    or rename it aside and drop it in a later migration:
    ```sql
    ALTER TABLE legacy_orders RENAME TO legacy_orders_deprecated;
    -- a release later, once nothing reads it:
    DROP TABLE legacy_orders_deprecated;
    ```

    ## Example
    ```sql
    DROP TABLE legacy_orders;
    ```

    ## References
    - DROP TABLE: the table, its indexes, rules, triggers and constraints are removed; `CASCADE`
      also drops the views and foreign keys that depend on it.
      https://www.postgresql.org/docs/current/sql-droptable.html
    """
    # What still uses the table is `drop-referenced-object`'s finding; this one is the data.
    rebuilt = ctx.per_script(harmless_drops)
    for i, table in enumerate(op.tables):
        if op.if_exists and ctx.direction == "down" and ctx.table(table) is None:
            continue  # drops nothing: the schema as the history knows it lacks the table
        if not ctx.is_new(table) and (ctx.statement.index, table) not in rebuilt:
            yield Hit(f"`DROP TABLE {table}` deletes the table and all its rows",
                      object=str(table), lock=LockMode.ACCESS_EXCLUSIVE, span=op.name_site(i))


@rule("drop-column", family="destructive", severity="error", ops=(o.DropColumn, o.DropTable),
      aliases=("ban-drop-column", "DS103", "remove_column"), fix=_BACKUP)
def drop_column(op: o.DropColumn | o.DropTable, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a column deletes its data, and breaks code that still reads it.

    ## What it does
    Flags `ALTER TABLE … DROP COLUMN` (and `op.drop_column`) on a table that exists before
    the migration.

    ## Why it matters
    The values are lost; the down migration can add the column back but empty. Application
    instances still running the previous release select or insert the column and fail, and
    ORMs that list every column in `SELECT` break at once.

    ## When it does not fire
    On a table or a column created earlier in the same migration, or a table a later
    statement of the script drops (Django's RemoveField of each field before DeleteModel:
    `drop-table` says the rows go, once); in a column swap, where
    an `UPDATE` of every row first copies the column into another that then takes its name
    (`ADD COLUMN id_text text; UPDATE t SET id_text = id::text; DROP COLUMN id; RENAME
    COLUMN id_text TO id`): its values live on under its name; after an `INSERT … SELECT`
    of the same script that copies the column into another table (`INSERT INTO
    folders_ciphers SELECT uuid, folder_uuid FROM ciphers`): its values live on there; after
    an `UPDATE … FROM` that copies it into the rows its table's NOT NULL, unique foreign key
    points at (`UPDATE person p SET admin = lu.admin FROM local_user lu WHERE p.id =
    lu.person_id`): every row's value reaches a row of its own.

    It does fire on a table rebuild (SQLite's way to alter a table: create the new table,
    copy the rows, drop the old one, rename the new one) whose new table has no column of
    that name and none of whose copies reads it: the column goes with the old table, at its
    `DROP TABLE`. A column a copy reads lives on under another name or in another table (a
    rename by rebuild: `INSERT INTO user (…, nickname) SELECT …, name`); a copy the tool
    cannot read (`SELECT *`) leaves the drop unjudged; a column the new table keeps under its
    name is not checked further (which values the copy puts there).

    ## Safe alternative
    Deploy code that no longer reads or writes the column (Rails' `ignored_columns`, Django's
    state-only removal), back the data up, then drop it in a later migration:
    ```sql
    -- release N: the application stops using users.legacy_id
    -- release N+1:
    ALTER TABLE users DROP COLUMN legacy_id;
    ```

    ## Example
    ```sql
    ALTER TABLE users DROP COLUMN legacy_id;
    ```

    ## References
    - ALTER TABLE, DROP COLUMN: the column and its indexes and constraints go; with `CASCADE`,
      whatever depends on it too.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN
    - ALTER TABLE, Notes: the column is made invisible at once and its space reclaimed only as rows
      are rewritten.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES

    ## With Django
    Remove the field from the model state first, and from the database a release later:
    ```python
    migrations.SeparateDatabaseAndState(
        state_operations=[migrations.RemoveField("user", "legacy_id")],
        database_operations=[],
    )
    # a release later, once no running code reads it: RemoveField("user", "legacy_id")
    ```
    """
    if isinstance(op, o.DropTable):
        yield from _left_out_of_rebuild(op, ctx)
        return
    if ctx.is_new_column(op.table, op.column) or ctx.dropped_later(op.table):
        return  # a later DROP TABLE of the script loses the column with the rest: said there
    if (ctx.statement.index, op.table, op.column) in ctx.per_script(kept_columns):
        return  # a column swap: its values live on under its name
    if ctx.per_script(copied_out).get((op.table, op.column.lower()), ctx.statement.index) \
            < ctx.statement.index:
        return  # copied into another table first: the values live on there
    if _pulled_whole(op, ctx):
        return
    yield Hit(f"dropping column `{op.column}` of `{op.table}` deletes its data",
              object=f"{op.table}.{op.column}", lock=LockMode.ACCESS_EXCLUSIVE)


def _pulled_whole(op: o.DropColumn, ctx: RuleContext) -> bool:
    """Whether an `UPDATE … FROM` earlier in the script copied the column's every value
    into another table: it matched the rows by a NOT NULL, unique foreign key of this table
    to that one's key (`SET admin = lu.admin FROM local_user lu WHERE p.id = lu.person_id`),
    so each row's value reached a row of its own. Any other match (several source rows to a
    target row, where one value wins; source rows no target row matches) may leave values
    behind, and is not taken for a move."""
    source = ctx.table(op.table)
    for index, target, (key, fk) in ctx.per_script(pulled_out).get(
            (op.table, op.column.lower()), ()):
        column = source.column(fk) if source is not None else None
        if index >= ctx.statement.index or column is None or not column.not_null:
            continue
        assert source is not None
        referenced = ctx.table(target)
        primary = referenced.primary_key() if referenced is not None else ()
        unique = any(c.kind in ("primary", "unique") and c.columns == (fk,)
                     for c in source.constraints) or any(
            i.unique and not i.partial and i.columns == (fk,)
            for i in ctx.catalog.indexes_on(op.table))
        if unique and any(c.kind == "foreign" and c.columns == (fk,) and c.ref_table == target
                          and (c.ref_columns or primary) == (key,)
                          for c in source.constraints):
            return True
    return False


def _left_out_of_rebuild(op: o.DropTable, ctx: RuleContext) -> Iterator[Hit]:
    """The columns a table rebuild drops with the old table: those of its own (not made by
    this migration) that the table holding its rows at the script's end does not have."""
    rebuilt = ctx.per_script(rebuild_columns)
    for i, table in enumerate(op.tables):
        old = ctx.table(table)
        if (ctx.statement.index, table) not in rebuilt or old is None or ctx.is_new(table):
            continue
        origins, kept = rebuilt[(ctx.statement.index, table)]

        def made_here(column: str, table: QName = table,
                      origins: frozenset[QName] = origins) -> bool:
            # A column the migration added is known by the name its table had then (a
            # down path's rebuild renames the table aside first).
            return ctx.is_new_column(table, column) or any(
                (name, column) in ctx.state.new_columns for name in origins)

        for column in left_out(old, kept, made_here):
            yield Hit(f"dropping column `{column}` of `{table}` deletes its data: the "
                      "table rebuild leaves it out of the new table",
                      object=f"{table}.{column}", lock=LockMode.ACCESS_EXCLUSIVE,
                      span=op.name_site(i))


@rule("drop-schema", family="destructive", severity="error", ops=(o.DropSchema,),
      aliases=("DS101",), fix=_BACKUP)
def drop_schema(op: o.DropSchema, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a schema deletes everything in it.

    ## What it does
    Flags `DROP SCHEMA`.

    ## Why it matters
    With `CASCADE`, every table, view, function and type in the schema goes, with all data.
    Without it, the statement fails unless the schema is empty, which is rarely what a
    migration expects in production.

    ## When it does not fire
    On a schema created earlier in the same migration (it can hold no production data):
    one whose tables the migration made, or one its up path creates and that holds no
    table when the down path drops it.

    ## Safe alternative
    Drop the objects one by one, in migrations reviewed on their own, after backing them up.

    ## Example
    ```sql
    DROP SCHEMA reporting CASCADE;
    ```

    ## References
    - DROP SCHEMA: `CASCADE` drops every object the schema contains; `RESTRICT`, the default,
      refuses while it contains any.
      https://www.postgresql.org/docs/current/sql-dropschema.html
    """
    for schema in op.names:
        tables = [str(t) for t in ctx.catalog.tables if t.schema == schema]
        if all(ctx.is_new(QName.of(t.split(".", 1)[1], schema)) for t in tables) and (
                tables or _schema_made_here(ctx, schema)):
            continue
        extra = f" with its tables {', '.join(tables[:10])}" if tables else ""
        yield Hit(f"`DROP SCHEMA {schema}` deletes the schema{extra}", object=schema)


def _schema_made_here(ctx: RuleContext, schema: str) -> bool:
    """The migration's up path creates the schema: dropped empty (a down undoing its up, as
    convoy's `DROP SCHEMA IF EXISTS convoy` after its tables), it held nothing of before."""
    up = ctx.migration.up
    return up is not None and any(isinstance(op, o.CreateSchema) and op.name == schema
                                  for st in up.statements for op in st.ops)


@rule("drop-database", family="destructive", severity="error", ops=(o.DropDatabase,),
      aliases=("ban-drop-database",), fix="never drop a database from a migration")
def drop_database(op: o.DropDatabase, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a database deletes all of it.

    ## What it does
    Flags `DROP DATABASE`.

    ## Why it matters
    Everything in the database is gone. A migration is the wrong place for it: migrations
    run against every environment, production included.

    ## When it does not fire
    Never: there is no safe form.

    ## Safe alternative
    Do it by hand, after a backup, outside the migration history.

    ## Example
    ```sql
    DROP DATABASE analytics;
    ```

    ## References
    - DROP DATABASE: removes the catalog entries and the data directory; it cannot be undone, and
      cannot run inside a transaction block.
      https://www.postgresql.org/docs/current/sql-dropdatabase.html
    """
    yield Hit(f"`DROP DATABASE {op.name}` deletes the whole database", object=op.name)


@rule("truncate", family="destructive", severity="error", ops=(o.Truncate,),
      aliases=("ban-truncate-cascade",), fix=_BACKUP)
def truncate(op: o.Truncate, ctx: RuleContext) -> Iterator[Hit]:
    """TRUNCATE deletes every row, and with CASCADE every row of the tables that reference it.

    ## What it does
    Flags `TRUNCATE` on a table that exists before the migration; the message names the
    tables that `CASCADE` empties too (found through the foreign keys of the schema).

    ## Why it matters
    The rows are gone and no down migration brings them back. `TRUNCATE` also takes an
    ACCESS EXCLUSIVE lock.

    ## When it does not fire
    On tables created earlier in the same migration.

    ## Safe alternative
    Delete the rows you mean to delete with a `WHERE` clause, in batches, after a backup.

    ## Example
    ```sql
    TRUNCATE accounts CASCADE;
    ```

    ## References
    - TRUNCATE: takes ACCESS EXCLUSIVE on each table it truncates; `CASCADE` also truncates every
      table with a foreign key to them.
      https://www.postgresql.org/docs/current/sql-truncate.html
    """
    tables = tuple(t for t in op.tables if not ctx.is_new(t))
    if not tables:
        return
    names = ", ".join(str(t) for t in tables)
    message = f"`TRUNCATE` deletes every row of {names}"
    if op.cascade:
        extra = truncate_cascade_targets(ctx.catalog, tables)
        if extra:
            message += "; CASCADE also empties " + ", ".join(str(t) for t in extra)
        else:
            message += "; CASCADE also empties every table that references it"
    yield Hit(message, object=names, lock=LockMode.ACCESS_EXCLUSIVE)


@rule("delete-all-rows", family="destructive", severity="error",
      ops=(o.DeleteRows, o.UpdateRows, o.DropTable),
      fix="add a WHERE clause, and batch large changes")
def delete_all_rows(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """DELETE or UPDATE without WHERE changes every row of a table.

    ## What it does
    Flags `DELETE FROM t` and `UPDATE t SET …` with no `WHERE` clause, or one that holds for
    every row (`WHERE 1 = 1`, `WHERE true`), on a table that exists before the migration.

    ## Why it matters
    A `DELETE` without `WHERE` empties the table; an `UPDATE` without one overwrites a column
    in every row. Either is rarely what was meant, cannot be undone by the down migration,
    and on a large table holds row locks on every row for as long as it runs.

    ## When it does not fire
    With a `WHERE` clause that may filter rows out, on a table created earlier in the same
    migration (seeding a new table is fine), and for an `UPDATE` that only sets columns
    holding no data yet: added earlier in the history (in this migration or an earlier one)
    to a table that existed, and not set by any `UPDATE` or `INSERT` of a migration since,
    or that keep their values (`SET c = COALESCE(c, …)`, MySQL's `IFNULL(c, …)`: only NULLs
    are filled). Such a backfill overwrites nothing but NULLs or the column's default. An
    `UPDATE` that sets a column holding data to anything else (a table's own column, or one
    an earlier migration already backfilled) is still flagged.

    It also fires on a SQLite table rebuild run inside a transaction after `PRAGMA
    foreign_keys=OFF` (Drizzle Kit writes that pragma around the rebuilds it generates,
    and its migrator runs them in one transaction): SQLite ignores the pragma inside a
    transaction, so with foreign keys on, the `DROP TABLE` of the old table, which first
    deletes its rows, also deletes (`ON DELETE CASCADE`) or changes (`SET NULL`, `SET
    DEFAULT`) the rows of the tables whose foreign keys reference it.

    ## Safe alternative
    Say which rows, and for large tables change them in batches:
    ```sql
    UPDATE users SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 10000;
    ```

    ## Example
    ```sql
    DELETE FROM sessions;
    ```

    ## References
    - DELETE and UPDATE: without `WHERE`, the statement applies to every row of the table.
      https://www.postgresql.org/docs/current/sql-delete.html
      https://www.postgresql.org/docs/current/sql-update.html
    """
    if isinstance(op, o.DropTable):
        yield from _rebuild_cascades(op, ctx)
        return
    assert isinstance(op, o.DeleteRows | o.UpdateRows)
    if op.has_where or ctx.is_new(op.table):
        return
    if isinstance(op, o.UpdateRows) and op.columns and all(
            c in op.kept or _unwritten(ctx, op.table, c) for c in op.columns):
        return  # a backfill: it fills NULLs, or columns that hold nothing yet
    where = "whose `WHERE` holds for every row" if op.vacuous_where else "without `WHERE`"
    if isinstance(op, o.DeleteRows):
        message = f"`DELETE` {where} deletes every row of `{op.table}`"
    else:
        cols = ", ".join(c for c in op.columns if c)
        message = f"`UPDATE` {where} overwrites {cols or 'columns'} in every row of " \
                  f"`{op.table}`"
    yield Hit(message, object=str(op.table), lock=LockMode.ROW_EXCLUSIVE)


def _rebuild_cascades(op: o.DropTable, ctx: RuleContext) -> Iterator[Hit]:
    """The rows a SQLite rebuild's `DROP TABLE` takes from the tables that reference the
    old one, when the script turned foreign keys off inside its transaction (a no-op: "This
    pragma is a no-op within a transaction")."""
    if ctx.migration.source.dialect != "sqlite" or ctx.statement.block is None:
        return
    keys_off = ctx.per_script(_keys_off_from).get(ctx.statement.block)
    if keys_off is None or keys_off > ctx.statement.index:
        return
    rebuilt = ctx.per_script(harmless_drops)
    # Tables the script fills again from a copy after the drop (openstatus's hand-written
    # 0006 copies the referencing tables aside first, and back after).
    last_copy = ctx.per_script(_last_copies)
    refilled = {t for t, at in last_copy.items() if at > ctx.statement.index}
    for i, table in enumerate(op.tables):
        if (ctx.statement.index, table) not in rebuilt:
            continue
        actions = [(name, con.on_delete) for name in ctx.catalog.tables.referencing(table)
                   if name != table and not ctx.is_new(name) and name not in refilled
                   for con in ctx.catalog.tables[name].constraints
                   if con.kind == "foreign" and con.ref_table == table
                   and con.on_delete in ("CASCADE", "SET NULL", "SET DEFAULT")]
        if not actions:
            continue
        what = ", ".join(f"`{name}` (ON DELETE {action})" for name, action in actions)
        yield Hit(f"rebuilding `{table}` inside a transaction: `DROP TABLE {table}` deletes "
                  f"its rows first, and with foreign keys on, the rows of {what} that "
                  "reference them go with them; `PRAGMA foreign_keys=OFF` does nothing "
                  "inside a transaction", object=", ".join(str(n) for n, _ in actions),
                  span=op.name_site(i))


def _keys_off_from(script: ParsedScript) -> dict[int, int]:
    """For each transaction block, the index of the first statement in it that sets
    `PRAGMA foreign_keys=OFF`."""
    out: dict[int, int] = {}
    for st in script.statements:
        if st.block is not None and st.block not in out and any(
                isinstance(x, o.SetSetting) and x.name.lower() == "foreign_keys"
                and (x.value or "").strip("'\"").lower() in ("off", "0", "false", "no")
                for x in st.ops):
            out[st.block] = st.index
    return out


def _last_copies(script: ParsedScript) -> dict[QName, int]:
    """For each table an `INSERT … SELECT` fills, the index of the last statement that
    does."""
    return {x.table: st.index for st in script.statements for x in st.ops
            if isinstance(x, o.InsertRows) and x.sources}


def _unwritten(ctx: RuleContext, table: QName, column: str) -> bool:
    """Whether the column holds no data yet (see `Column.unwritten`)."""
    known = ctx.table(table)
    col = known.column(column) if known is not None else None
    return col is not None and col.unwritten


_CASCADE_OPS = (o.DropTable, o.DropView, o.DropSchema, o.DropType, o.DropSequence,
                o.DropFunction, o.DropColumn, o.DropConstraint, o.DropIndex, o.DropExtension,
                o.DropTrigger)


@rule("drop-cascade", family="destructive", severity="error", ops=_CASCADE_OPS,
      dialects=("postgres",),
      fix="drop the dependent objects explicitly, each in plain sight")
def drop_cascade(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """DROP … CASCADE silently drops everything that depends on the object.

    ## What it does
    Flags any `DROP … CASCADE` and lists the dependents the schema history knows of (views,
    foreign keys, columns using a type, defaults using a sequence or function).

    ## Why it matters
    CASCADE turns one reviewed drop into many unreviewed ones: a view a report depends on,
    a foreign key that protected integrity, a column whose type was the dropped enum.

    ## When it does not fire
    On a `DROP` without `CASCADE`, and on objects created earlier in the same migration.
    When nothing in the history depends on the object, it is a warning, not an error, and
    says so: CASCADE then drops only what the database holds beyond the history (objects
    made by hand, or by tools the history does not show).
    Not on `DROP TRIGGER … CASCADE`: no object in PostgreSQL can depend on a trigger, so
    CASCADE drops nothing more. Not on `DROP FUNCTION … CASCADE` of a function the history
    made when nothing in the history calls it (no trigger, column default, check or index)
    and the history has no view (whose query the tool does not read for function calls).
    Not at all when the migration tool adds `CASCADE` on its own and nothing in the history
    depends on the object: Django's schema editor sends every `RemoveField` as
    `ALTER TABLE … DROP COLUMN … CASCADE` and every `DeleteModel` as `DROP TABLE … CASCADE`,
    which the migration cannot change, and the drop itself is `drop-column`'s or
    `drop-table`'s finding.

    ## Safe alternative
    Drop the dependents first, by name, so the migration says what it removes:
    ```sql
    DROP VIEW active_users;
    DROP TABLE users;
    ```

    ## Example
    ```sql
    DROP TABLE users CASCADE;
    ```

    ## References
    - Dependency Tracking: `CASCADE` drops the dependent objects, and the objects depending on
      those, recursively.
      https://www.postgresql.org/docs/current/ddl-depend.html

    ## With Django
    `RemoveField` and `DeleteModel` always drop with `CASCADE`. When a view or another
    table's foreign key rests on what they drop, drop it first, by name, in the same
    migration: `migrations.RunSQL("DROP VIEW active_users", reverse_sql=...)` before the
    `RemoveField`.
    """
    if not getattr(op, "cascade", False):
        return
    targets, dependents = _cascade_dependents(op, ctx)
    if not targets:
        return
    tool = getattr(op, "cascade_by", "")
    if tool:
        if dependents:
            names = ", ".join(f"`{t}`" for t in targets)
            yield Hit(f"{tool} drops {names} with CASCADE, which also drops "
                      f"what depends on it: {', '.join(dependents[:20])}",
                      object=", ".join(targets))
        return
    if not dependents:
        yield Hit(f"`CASCADE` on {', '.join(targets)}: nothing in the history depends on it, "
                  "but the database may hold dependents the history does not show, and they "
                  "would go without a word", object=", ".join(targets),
                  severity=Severity.WARNING, span=op.cascade_site)
        return
    yield Hit(f"`CASCADE` also drops what depends on {', '.join(targets)}: "
              f"{', '.join(dependents[:20])}", object=", ".join(targets), span=op.cascade_site)


def _cascade_dependents(op: o.Operation, ctx: RuleContext) -> tuple[list[str], list[str]]:
    cat = ctx.catalog
    targets: list[str] = []
    deps: list[str] = []
    match op:
        case o.DropTable(tables=tables) | o.DropView(names=tables):
            for t in tables:
                if not ctx.is_new(t):
                    targets.append(str(t))
                    deps += table_dependents(cat, t)
        case o.DropColumn(table=table, column=column):
            if not ctx.is_new_column(table, column):
                targets.append(f"{table}.{column}")
                deps += column_dependents(cat, table, column)
        case o.DropType(names=names):
            for n in names:
                targets.append(str(n))
                deps += type_users(cat, n)
        case o.DropSequence(names=names):
            for n in names:
                targets.append(str(n))
                deps += sequence_users(cat, n)
        case o.DropFunction(names=funcs):
            for n, _ in funcs:
                users = function_users(cat, n)
                # A function the history made and nothing it shows calls has nothing that
                # depends on it: CASCADE drops nothing more.
                if users or function_may_have_users(cat, n):
                    targets.append(str(n))
                    deps += users
        case o.DropSchema(names=names):
            targets += list(names)
            deps += [f"table {t}" for t in cat.tables if t.schema in names]
        case o.DropConstraint(table=table, name=name):
            targets.append(f"{table}.{name}")
            deps += _keys_referencing(cat, table, name)
        case o.DropIndex(names=names):
            targets += [str(n) for n in names]
        case o.DropExtension(names=names):
            targets += list(names)
        # DROP TRIGGER … CASCADE: no object in PostgreSQL can depend on a trigger (pg_depend
        # never refers to one), so CASCADE drops nothing more and the trigger is no target.
    return targets, list(dict.fromkeys(deps))


def _keys_referencing(cat: Catalog, table: QName, constraint: str) -> list[str]:
    """The foreign keys that rest on a primary key or unique constraint: CASCADE drops them."""
    known = cat.tables.get(table)
    con = known.constraint(constraint) if known is not None else None
    if con is None or con.kind not in ("primary", "unique"):
        return []
    return [f"foreign key {fk.described(other.name)}" for other, fk in cat.foreign_keys_to(table)
            if set(fk.ref_columns or con.columns) == set(con.columns)]


@rule("lossy-type-change", family="destructive", severity="error", ops=(o.AlterColumnType,),
      fix="add a new column of the new type, backfill, check, then switch")
def lossy_type_change(op: o.AlterColumnType, ctx: RuleContext) -> Iterator[Hit]:
    """A type change that can truncate, round or reject existing values.

    ## What it does
    Flags `ALTER COLUMN … TYPE` to a narrower type: a shorter `varchar`, fewer digits or
    decimals of `numeric`, `bigint` to `integer`, `text` to `varchar(n)`, `timestamptz` to
    `date`, a float to an integer, text to any non-text type (values that do not parse fail).
    The old type comes from the folded history (or Alembic's `existing_type`).

    ## Why it matters
    Values are cut or rounded, or the migration fails half-way in production on the first
    row that does not fit; the down migration cannot restore lost precision. A `USING` whose
    outermost cast is to the shorter type (`USING name::varchar(50)`) fails on nothing: an
    explicit cast to `varchar(n)`, `char(n)`, `bit(n)` or `varbit(n)` cuts every longer value
    to n, and the data is lost without an error.

    ## When it does not fire
    On widening changes (`varchar(20)` to `varchar(50)` or `text`, `int` to `bigint`,
    `numeric(10,2)` to `numeric(12,2)`), on tables created in the same migration, and when the
    old type is unknown (the rule never guesses).

    ## Safe alternative
    Check the data first, then convert explicitly:
    ```sql
    SELECT count(*) FROM users WHERE length(name) > 50;  -- must be 0
    ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
    ```
    or add a new column, backfill it, and switch readers over.

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN name TYPE varchar(50);  -- was varchar(255)
    ```

    ## References
    - Character Types: storing a longer string into `varchar(n)` is an error, while an explicit cast
      to `varchar(n)` truncates silently.
      https://www.postgresql.org/docs/current/datatype-character.html
    - Numeric Types: values with more fractional digits than the scale are rounded.
      https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-NUMERIC-DECIMAL
    - ALTER TABLE, SET DATA TYPE: every existing value is converted, with `USING` or the assignment
      cast.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DATA-TYPE
    """
    if ctx.is_new_column(op.table, op.column):
        return
    old = ctx.type_before(op)
    if old is None:
        return
    change = classify_change(old, op.new_type, op.using is not None, op.using_cast)
    if change.lossy:
        yield Hit(f"changing `{op.table}.{op.column}` from {old} to {op.new_type} "
                  f"{change.reason}", object=f"{op.table}.{op.column}",
                  lock=LockMode.ACCESS_EXCLUSIVE, facts={"rewrite": bool(change.rewrite)})


@rule("drop-type-in-use", family="destructive", dialects=("postgres",), severity="error",
      ops=(o.DropType, o.DropSequence, o.DropFunction),
      fix="change the columns and defaults that use it first")
def drop_type_in_use(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a type, sequence or function that a column or default still uses.

    ## What it does
    Flags `DROP TYPE`/`DROP DOMAIN` of a type some column has, `DROP SEQUENCE` of a sequence
    a column default calls `nextval()` on, and `DROP FUNCTION` of a function a default,
    generated column or trigger calls.

    ## Why it matters
    Without `CASCADE` the statement fails and the deployment stops half-way. With `CASCADE`
    PostgreSQL drops the dependent columns (and their data) or defaults silently.

    ## When it does not fire
    When nothing in the known schema uses the object. A statement that drops several objects
    in use is one finding that names them all.

    ## Safe alternative
    Move the columns off the type (or drop their defaults) first, in their own statements.

    ## Example
    ```sql
    DROP TYPE order_status;  -- orders.status still has this type
    ```

    ## References
    - Dependency Tracking: dropping an object others depend on fails unless `CASCADE` drops the
      dependents too.
      https://www.postgresql.org/docs/current/ddl-depend.html
    - DROP TYPE: `CASCADE` drops the objects that depend on the type, such as the columns of that
      type.
      https://www.postgresql.org/docs/current/sql-droptype.html
    """
    match op:
        case o.DropType(names=names):
            pairs = [(str(n), type_users(ctx.catalog, n)) for n in names]
        case o.DropSequence(names=names):
            pairs = [(str(n), sequence_users(ctx.catalog, n)) for n in names]
        case o.DropFunction(names=funcs):
            pairs = [(str(n), function_users(ctx.catalog, n)) for n, _ in funcs]
        case _:
            return
    effect = "CASCADE drops them" if getattr(op, "cascade", False) else "the statement fails"
    used = [(name, users) for name, users in pairs if users]
    if len(used) == 1:
        name, users = used[0]
        yield Hit(f"`{name}` is still used by {_listed(users, 10)}: {effect}", object=name)
    elif used:
        # One statement dropping many objects (a list of trigger functions) is one finding.
        shown = "; ".join(f"`{name}` by {_listed(users, 3)}" for name, users in used[:5])
        more = f"; and {len(used) - 5} more" if len(used) > 5 else ""
        yield Hit(f"{len(used)} of the objects dropped are still used: {shown}{more}: {effect}",
                  object=", ".join(name for name, _ in used))


def _listed(items: Sequence[str], most: int) -> str:
    """The first ``most`` items, and how many more there are (Ente's 93 down: 14 triggers
    on one function, 10 of them named)."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more
