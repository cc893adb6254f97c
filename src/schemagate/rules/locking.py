"""locking: statements that block reads or writes on an existing table (default: warning)."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.model.catalog import Table
from schemagate.rules.context import RuleContext
from schemagate.rules.locks import ACCESS_EXCLUSIVE, SHARE
from schemagate.rules.registry import Hit, rule


@rule("create-index-non-concurrently", family="locking", severity="warning",
      ops=(o.CreateIndex,),
      aliases=("require-concurrent-index-creation", "E6", "PG101"),
      fix="use CREATE INDEX CONCURRENTLY, outside a transaction")
def create_index_non_concurrently(op: o.CreateIndex, ctx: RuleContext) -> Iterator[Hit]:
    """Building an index without CONCURRENTLY blocks all writes to the table.

    ## What it does
    Flags `CREATE INDEX` (and `CREATE UNIQUE INDEX`) without `CONCURRENTLY` on a table that
    exists before the migration.

    ## Why it matters
    A plain `CREATE INDEX` holds a SHARE lock for the whole build: every `INSERT`, `UPDATE`
    and `DELETE` on the table waits. On a large table the build takes minutes, and the
    application's writes queue up behind it.

    ## When it does not fire
    On a table created earlier in the same migration (it is empty), and with `CONCURRENTLY`.

    ## Safe alternative
    Build it concurrently; this cannot run inside a transaction, so the migration must run
    outside one (golang-migrate: a file of its own; dbmate: `transaction:false`):
    ```sql
    CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
    ```
    If a concurrent build fails it leaves an INVALID index: drop it and retry.

    ## Example
    ```sql
    CREATE INDEX idx_users_email ON users (email);
    ```
    """
    if op.concurrently or ctx.is_new(op.table):
        return
    name = f" `{op.name.name}`" if op.name else ""
    yield Hit(f"creating index{name} on `{op.table}` without CONCURRENTLY blocks writes to "
              "the table while it builds", object=str(op.table), lock=SHARE,
              facts={"scan": True})


def _has_valid_not_null_check(table: Table | None, column: str) -> bool:
    if table is None:
        return False
    wanted = f"{column} IS NOT NULL"
    for con in table.constraints:
        if con.kind == "check" and con.validated and con.expr is not None:
            text = con.expr.sql.strip("()")
            if text == wanted or text.replace('"', "") == wanted:
                return True
    return False


@rule("set-not-null", family="locking", severity="warning", ops=(o.SetNotNull,),
      aliases=("adding-not-nullable-field", "E2", "PG303"),
      fix="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL")
def set_not_null(op: o.SetNotNull, ctx: RuleContext) -> Iterator[Hit]:
    """SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.

    ## What it does
    Flags `ALTER TABLE … ALTER COLUMN … SET NOT NULL` on a column of a table that exists
    before the migration.

    ## Why it matters
    PostgreSQL checks every row while holding ACCESS EXCLUSIVE: nothing can read or write
    the table until the scan ends.

    ## When it does not fire
    On a table or column created earlier in the same migration; and from PostgreSQL 12 on,
    when a validated `CHECK (col IS NOT NULL)` constraint already proves the column has no
    NULLs (PostgreSQL then skips the scan).

    ## Safe alternative
    ```sql
    ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
    ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;  -- no long lock
    ALTER TABLE users ALTER COLUMN email SET NOT NULL;            -- PG 12+: no scan
    ALTER TABLE users DROP CONSTRAINT users_email_not_null;
    ```

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    ```
    """
    if ctx.is_new_column(op.table, op.column):
        return
    if ctx.settings.pg_version >= 12 and _has_valid_not_null_check(ctx.table(op.table),
                                                                    op.column):
        return
    yield Hit(f"`SET NOT NULL` on `{op.table}.{op.column}` scans the whole table under an "
              "ACCESS EXCLUSIVE lock", object=f"{op.table}.{op.column}", lock=ACCESS_EXCLUSIVE,
              facts={"scan": True})
