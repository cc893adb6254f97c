"""Which statements run inside a transaction, given the migration tool's own wrapping.

| layout         | how the tool sends a script                  | mode        |
| -------------- | -------------------------------------------- | ----------- |
| plain .sql     | statement by statement (psql)                | autocommit  |
| golang-migrate | the file as one multi-statement query        | implicit    |
| Prisma         | the script as one multi-statement query      | implicit    |
| dbmate         | BEGIN … COMMIT, unless `transaction:false`   | wrapped     |
| Flyway         | BEGIN … COMMIT per migration                 | wrapped     |
| diesel         | BEGIN … COMMIT per migration                 | wrapped     |
| Alembic        | one transaction, except `autocommit_block()` | wrapped     |

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
    implicit = mode == "implicit" and len(statements) > 1
    is_open = mode == "wrapped" or implicit
    out: list[bool] = []
    for ops in statements:
        control = ops[0] if ops and isinstance(ops[0], TransactionControl) else None
        if control is None:
            out.append(is_open)
            continue
        if control.action == "begin":
            out.append(is_open)
            is_open = True
        elif control.action in ("commit", "rollback"):
            out.append(is_open)
            # In a multi-statement query the statements after COMMIT form a new implicit block.
            is_open = implicit
        else:
            out.append(is_open)
    return out
