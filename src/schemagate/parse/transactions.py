"""Which statements run inside a transaction, given the migration tool's own wrapping.

The mode ("autocommit", "implicit" or "wrapped", see `model.migration.TransactionMode`) comes
with each script from its layout; each module in `parse/layouts/` says which one its tool uses
and why.

PostgreSQL runs a multi-statement simple query as one implicit transaction, so `CREATE INDEX
CONCURRENTLY` fails there exactly as inside `BEGIN`: a file of one statement is not a
transaction. Explicit `BEGIN`/`COMMIT` in the script are followed as PostgreSQL would: after
an explicit `COMMIT` in a wrapped script, the rest runs outside the tool's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemagate.model.migration import TransactionMode
from schemagate.model.ops import Operation, TransactionControl


def in_transaction(statements: Sequence[Sequence[Operation]], mode: TransactionMode) -> list[bool]:
    """For each statement (given as its operations), whether it runs inside a transaction."""
    return [block is not None for block in transaction_blocks(statements, mode)]


def transaction_blocks(
    statements: Sequence[Sequence[Operation]], mode: TransactionMode,
) -> list[int | None]:
    """For each statement, the number of the transaction block it runs in, or None.

    BEGIN belongs to the block it opens, COMMIT/ROLLBACK to the block they close.
    """
    implicit = mode == "implicit" and len(statements) > 1
    block: int | None = 0 if (mode == "wrapped" or implicit) else None
    next_block = 1
    out: list[int | None] = []
    for ops in statements:
        control = ops[0] if ops and isinstance(ops[0], TransactionControl) else None
        if control is None or control.action in ("savepoint", "release", "rollback_to"):
            out.append(block)
        elif control.action == "begin":
            if block is None:
                block, next_block = next_block, next_block + 1
            out.append(block)
        else:  # commit or rollback
            out.append(block)
            # In a multi-statement query the statements after COMMIT form a new implicit block.
            if implicit:
                block, next_block = next_block, next_block + 1
            else:
                block = None
    return out
