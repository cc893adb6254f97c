"""Which statements run inside a transaction, given the migration tool's own wrapping.

The mode ("autocommit", "implicit" or "wrapped", see `model.migration.TransactionMode`) comes
with each script from its layout; each module in `parse/layouts/` says which one its tool uses
and why.

PostgreSQL runs a multi-statement simple query as one implicit transaction, so `CREATE INDEX
CONCURRENTLY` fails there exactly as inside `BEGIN`: a file of one statement is not a
transaction. Explicit `BEGIN`/`COMMIT` in the script are followed as PostgreSQL would: after
an explicit `COMMIT` in a wrapped script, the rest runs outside the tool's transaction.

Flyway decides per migration ("detected"): its PostgreSQL parser marks the statements that
cannot run in a transaction (PostgreSQLParser.detectCanExecuteInTransaction: CREATE or DROP
INDEX CONCURRENTLY, CREATE or DROP DATABASE, TABLESPACE or SUBSCRIPTION, ALTER SYSTEM,
REINDEX SCHEMA/DATABASE/SYSTEM, VACUUM, DISCARD ALL), and a migration holding one runs with
no transaction at all. It refuses a migration that also holds other statements unless its
`mixed` setting is on, and then runs that one with no transaction too, as modelled here.
It does not recognise REINDEX … CONCURRENTLY or DETACH PARTITION … CONCURRENTLY, and wraps
those, where PostgreSQL refuses them.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemagate.model import ops as o
from schemagate.model.migration import TransactionMode
from schemagate.model.ops import Operation, TransactionControl

# Statements Flyway runs outside a transaction, by the parser's statement kind (the others
# are matched on operations in `flyway_runs_outside`).
_FLYWAY_OUTSIDE_KINDS = frozenset({
    "CreatedbStmt", "DropdbStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
    "CreateSubscriptionStmt", "DropSubscriptionStmt", "AlterSystemStmt", "VacuumStmt",
})


def in_transaction(statements: Sequence[Sequence[Operation]], mode: TransactionMode) -> list[bool]:
    """For each statement (given as its operations), whether it runs inside a transaction."""
    return [block is not None for block in transaction_blocks(statements, mode)]


def transaction_blocks(
    statements: Sequence[Sequence[Operation]], mode: TransactionMode,
    queries: Sequence[int | None] | None = None,
) -> list[int | None]:
    """For each statement, the number of the transaction block it runs in, or None.

    BEGIN belongs to the block it opens, COMMIT/ROLLBACK to the block they close.
    ``queries`` says, for a script the tool otherwise sends statement by statement
    ("autocommit"), which statements it sends together as one query (goose's
    StatementBegin … StatementEnd): the same number for each statement of one query, None
    for a statement sent alone. Each such query runs as a file sent whole does ("implicit").
    """
    mode = resolved_mode(statements, mode)
    if mode == "autocommit" and queries is not None and any(q is not None for q in queries):
        return _by_query(statements, queries)
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


def _by_query(statements: Sequence[Sequence[Operation]], queries: Sequence[int | None]
              ) -> list[int | None]:
    """`transaction_blocks` of an "autocommit" script some of whose statements are sent
    together. As PostgreSQL runs a query of several statements (Frontend/Backend Protocol,
    Multiple Statements in a Simple Query): as one implicit transaction, unless an explicit
    one is open; a BEGIN in it makes its implicit transaction explicit, outliving the query;
    a COMMIT in it starts a new implicit one for the statements after it."""
    out: list[int | None] = []
    block: int | None = None
    implicit = False  # `block` is the implicit transaction of the query being run
    next_block = 1
    for i, ops in enumerate(statements):
        query = queries[i]
        first = query is not None and (i == 0 or queries[i - 1] != query)
        last = query is not None and (i + 1 == len(queries) or queries[i + 1] != query)
        together = query is not None and not (first and last)
        if together and first and block is None:
            block, next_block, implicit = next_block, next_block + 1, True
        control = ops[0] if ops and isinstance(ops[0], TransactionControl) else None
        out.append(block if block is not None or control is None or control.action != "begin"
                   else next_block)
        if control is None or control.action in ("savepoint", "release", "rollback_to"):
            pass
        elif control.action == "begin":
            if block is None:
                block, next_block = next_block, next_block + 1
            implicit = False
        elif together and not last:  # commit or rollback, more of the query to come
            block, next_block, implicit = next_block, next_block + 1, True
        else:
            block, implicit = None, False
        if together and last and implicit:
            block, implicit = None, False
    return out


def resolved_mode(statements: Sequence[Sequence[Operation]], mode: TransactionMode
                  ) -> TransactionMode:
    """The mode a script runs in: "detected" becomes "autocommit" or "wrapped"."""
    if mode != "detected":
        return mode
    return "autocommit" if any(flyway_runs_outside(ops) for ops in statements) else "wrapped"


def flyway_runs_outside(ops: Sequence[Operation]) -> bool:
    """Whether Flyway runs the migration holding this statement outside a transaction."""
    first = ops[0] if ops else None
    match first:
        case o.CreateIndex(concurrently=True) | o.DropIndex(concurrently=True) | o.DropDatabase():
            return True
        case o.Reindex(target="schema" | "database" | "system"):
            return True
        case o.RawSQL(statement_kind=kind, sql=sql):
            if kind == "DiscardStmt":
                return sql.upper().split()[1:2] == ["ALL"]
            return kind in _FLYWAY_OUTSIDE_KINDS
    return False
