"""transaction: statements that cannot run, or run wrongly, where they are (default: error)."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule

_HOW = {
    "golang-migrate": "golang-migrate sends a file of several statements as one transaction: "
                      "put this statement in a migration of its own",
    "prisma": "Prisma sends the script as one transaction: put this statement in a "
              "migration of its own",
    "dbmate": "mark the section `-- migrate:up transaction:false`",
    "flyway": "Flyway runs it outside a transaction only when every statement of the "
              "migration is non-transactional: move it to a migration of its own",
    "alembic": "wrap it in `with op.get_context().autocommit_block():`",
    "diesel": "add `run_in_transaction = false` to the migration's metadata.toml",
}


def _concurrent(op: o.Operation) -> bool:
    match op:
        case (o.CreateIndex(concurrently=True) | o.DropIndex(concurrently=True)
              | o.Reindex(concurrently=True) | o.DetachPartition(concurrently=True)):
            return True
    return False


@rule("concurrently-in-transaction", family="transaction", severity="error",
      ops=(o.CreateIndex, o.DropIndex, o.Reindex, o.DetachPartition),
      aliases=("ban-concurrent-index-creation-in-transaction", "PG103"),
      fix="run the statement outside any transaction")
def concurrently_in_transaction(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """CONCURRENTLY cannot run inside a transaction block.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`
    and `DETACH PARTITION … CONCURRENTLY` when the statement runs inside a transaction:
    an explicit `BEGIN`, or the one the migration tool opens (dbmate, Flyway, diesel and
    Alembic wrap each migration; golang-migrate and Prisma send a multi-statement file as one
    implicit transaction).

    ## Why it matters
    PostgreSQL refuses: `ERROR: CREATE INDEX CONCURRENTLY cannot run inside a transaction
    block`. The deployment stops at this migration.

    ## When it does not fire
    When the statement runs on its own: a plain `.sql` file applied statement by statement,
    a golang-migrate or Prisma file holding only this statement, a dbmate section marked
    `transaction:false`. The transaction model of each layout is in the README and can be
    overridden in the configuration.

    ## Safe alternative
    Put the statement where no transaction wraps it, for instance in dbmate:
    ```sql
    -- migrate:up transaction:false
    CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
    ```

    ## Example
    ```sql
    BEGIN;
    CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
    COMMIT;
    ```
    """
    if not _concurrent(op) or not ctx.statement.in_transaction:
        return
    layout = ctx.migration.source.layout
    how = _HOW.get(layout, "run it outside BEGIN … COMMIT")
    yield Hit(f"CONCURRENTLY cannot run inside a transaction ({how})")
