"""compat: changes that break the application version still running (default: warning)."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.rules.context import RuleContext
from schemagate.rules.locks import ACCESS_EXCLUSIVE
from schemagate.rules.registry import Hit, rule


@rule("add-required-column", family="compat", severity="warning", ops=(o.AddColumn,),
      aliases=("adding-required-field", "MF103", "NOT_NULL"),
      fix="add the column with a DEFAULT, or nullable and backfill before SET NOT NULL")
def add_required_column(op: o.AddColumn, ctx: RuleContext) -> Iterator[Hit]:
    """Adding a NOT NULL column without a default breaks existing rows and old inserts.

    ## What it does
    Flags `ADD COLUMN … NOT NULL` with no `DEFAULT` on a table that exists before the
    migration.

    ## Why it matters
    If the table has rows the statement fails (`column contains null values`). If it is
    empty it succeeds, and then every `INSERT` from the application version still running,
    which does not know the column, fails.

    ## When it does not fire
    With a `DEFAULT`, for identity, serial and generated columns (they fill themselves), and
    on tables created earlier in the same migration.

    ## Safe alternative
    ```sql
    ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
    ```
    or add it nullable, backfill, then `SET NOT NULL` (see `set-not-null`).

    ## Example
    ```sql
    ALTER TABLE users ADD COLUMN plan text NOT NULL;
    ```
    """
    col = op.column
    if not col.not_null or col.default is not None or ctx.is_new(op.table):
        return
    if col.identity or col.generated is not None or col.type.serial:
        return
    yield Hit(f"adding NOT NULL column `{col.name}` without a default to `{op.table}` fails if "
              "the table has rows, and breaks inserts from the running application",
              object=f"{op.table}.{col.name}", lock=ACCESS_EXCLUSIVE)


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
    On a table created earlier in the same migration, and on a down path renaming back the
    table its up path renamed.

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
    """
    if ctx.is_new(op.table) or ctx.undoes_rename(op.table):
        return
    yield Hit(f"renaming `{op.table}` to `{op.new_name}` breaks code that still uses the old "
              "name", object=str(op.table), lock=ACCESS_EXCLUSIVE)


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
    """
    if ctx.is_new_column(op.table, op.column) or ctx.undoes_rename(op.table, op.column):
        return
    yield Hit(f"renaming `{op.table}.{op.column}` to `{op.new_name}` breaks code that still "
              "uses the old name", object=f"{op.table}.{op.column}", lock=ACCESS_EXCLUSIVE)
