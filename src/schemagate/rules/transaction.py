"""transaction: statements that cannot run, or run wrongly, where they are (default: error)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from schemagate.model import ops as o
from schemagate.model.migration import ParsedScript, ParsedStatement
from schemagate.model.names import QName
from schemagate.parse.transactions import flyway_runs_outside
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule

_HOW = {
    "golang-migrate": "golang-migrate sends a file of several statements as one transaction: "
                      "put this statement in a migration of its own",
    "prisma": "Prisma sends the script as one transaction: put this statement in a "
              "migration of its own",
    # `{Up}`, `{up}`: the direction of the section the statement is in.
    "dbmate": "mark the section `-- migrate:{up} transaction:false`",
    "goose": "put this statement in a migration of its own that says "
             "`-- +goose NO TRANSACTION`",
    # A `NO TRANSACTION` file: the statement is in a block goose sends as one query.
    "goose-block": "goose sends its `-- +goose StatementBegin` … `StatementEnd` block as one "
                   "query, which PostgreSQL runs as one transaction: take the statement out "
                   "of the block",
    "sql-migrate": "put this statement in a migration of its own whose marker says "
                   "`-- +migrate {Up} notransaction`",
    "liquibase": "add `runInTransaction:false` to its `--changeset` line, and keep the "
                 "statement alone in that changeset",
    "flyway": "Flyway runs it outside a transaction only when it recognises the "
              "statement: run it from a migration of its own with `executeInTransaction=false` "
              "in the script's .conf file",
    "alembic": "wrap it in `with op.get_context().autocommit_block():`",
    "diesel": "add `run_in_transaction = false` to the migration's metadata.toml",
    "popx": "name the file `.autocommit.{up}.sql` and keep this statement alone in it",
    "django": "set `atomic = False` on the migration's `Migration` class",
    "drizzle": "drizzle runs every pending migration inside one transaction: run this "
               "statement by hand (or from another tool) before or after the migrations",
    "sqlx": "start the file with the line `-- no-transaction`, and keep the statement alone "
            "in that migration",
}


def _concurrent(op: o.Operation) -> bool:
    match op:
        case (o.CreateIndex(concurrently=True) | o.DropIndex(concurrently=True)
              | o.Reindex(concurrently=True) | o.DetachPartition(concurrently=True)):
            return True
    return False


@rule("concurrently-in-transaction", family="transaction", dialects=("postgres",), severity="error",
      ops=(o.CreateIndex, o.DropIndex, o.Reindex, o.DetachPartition),
      aliases=("ban-concurrent-index-creation-in-transaction", "PG103"),
      fix="run the statement outside any transaction",
      # PostgreSQL refuses the statement before it looks for its object: `DROP INDEX
      # CONCURRENTLY IF EXISTS` of an index that is not there fails in a transaction too.
      sees_unknown=True)
def concurrently_in_transaction(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """CONCURRENTLY cannot run inside a transaction block.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`
    and `DETACH PARTITION … CONCURRENTLY` when the statement runs inside a transaction:
    an explicit `BEGIN`, or the one the migration tool opens (dbmate, Flyway, diesel and
    Alembic wrap each migration; golang-migrate and Prisma send a multi-statement file as one
    implicit transaction, as goose does a `-- +goose StatementBegin` … `StatementEnd` block
    of a `NO TRANSACTION` file). For Flyway, which runs a migration holding `CREATE INDEX
    CONCURRENTLY` without a transaction, flags such a migration when it also holds other
    statements: Flyway refuses it ("Detected both transactional and non-transactional
    statements within the same migration") unless its `mixed` setting is on. Also flags
    `DROP INDEX CONCURRENTLY` of several indexes, which PostgreSQL refuses anywhere.

    ## Why it matters
    PostgreSQL refuses: `ERROR: CREATE INDEX CONCURRENTLY cannot run inside a transaction
    block`, or `DROP INDEX CONCURRENTLY does not support dropping multiple objects`. The
    deployment (or the rollback) stops at this migration.

    ## When it does not fire
    When the statement runs on its own: a plain `.sql` file applied statement by statement,
    a golang-migrate or Prisma file holding only this statement, a dbmate section marked
    `transaction:false`, a Flyway migration holding only statements Flyway runs outside
    a transaction. The transaction model of each layout is in the README and can be
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

    ## References
    - CREATE INDEX, Building Indexes Concurrently: a regular `CREATE INDEX` can run in a transaction
      block, `CREATE INDEX CONCURRENTLY` cannot.
      https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    - DROP INDEX, REINDEX and ALTER TABLE … DETACH PARTITION say the same of their `CONCURRENTLY`
      forms.
      https://www.postgresql.org/docs/current/sql-dropindex.html
      https://www.postgresql.org/docs/current/sql-reindex.html#SQL-REINDEX-CONCURRENTLY

    ## With Alembic
    Alembic wraps each migration in a transaction; `autocommit_block()` commits it and runs
    its body outside one:
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index("idx_users_email", "users", ["email"], postgresql_concurrently=True)
    ```

    ## With Django
    Set `atomic = False` on the migration (its other operations then run without a
    transaction too, so keep it to the concurrent statement):
    ```python
    class Migration(migrations.Migration):
        atomic = False
    ```
    """
    if not _concurrent(op):
        return
    if isinstance(op, o.DropIndex) and len(op.names) > 1:
        # convoy's downs drop their indexes three at a time: verify saw them fail.
        yield Hit(f"DROP INDEX CONCURRENTLY drops one index at a time: PostgreSQL refuses "
                  f"this list of {len(op.names)} (write one statement per index)")
    layout = ctx.migration.source.layout
    if layout == "flyway" and not ctx.statement.in_transaction and _flyway_mixes(ctx.script):
        yield Hit("Flyway refuses a migration that mixes statements it must run outside a "
                  "transaction with others (unless `mixed` is set, when it runs all of them "
                  "outside any transaction): put this statement in a migration of its own")
        return
    if not ctx.statement.in_transaction:
        return
    key: str = layout
    if layout == "goose" and ctx.script.script.transaction == "autocommit":
        # No transaction of goose's own: the BEGIN the script wrote, or a block it sends whole.
        explicit_open, _ = ctx.per_script(_explicit_states)[ctx.statement.index]
        key = "sql" if explicit_open else "goose-block"
    how = _HOW.get(key, "run it outside BEGIN … COMMIT").format(
        up=ctx.direction, Up=ctx.direction.capitalize())
    yield Hit(f"CONCURRENTLY cannot run inside a transaction ({how})")


def _flyway_mixes(script: ParsedScript) -> bool:
    """Whether Flyway sees both kinds of statement in the script."""
    outside = [flyway_runs_outside(st.ops) for st in script.statements if st.ops]
    return any(outside) and not all(outside)


@rule("transaction-nesting", family="transaction", dialects=("postgres",), severity="error",
      ops=(o.TransactionControl,), aliases=("transaction-nesting",),
      fix="remove the explicit BEGIN/COMMIT, or tell the tool not to wrap the migration")
def transaction_nesting(op: o.TransactionControl, ctx: RuleContext) -> Iterator[Hit]:
    """BEGIN inside a transaction, COMMIT outside one, or either where the tool already wraps.

    ## What it does
    Flags `BEGIN`/`START TRANSACTION` when a transaction is already open (explicitly, or by
    the migration tool: dbmate, Flyway, diesel, Alembic wrap every migration), and
    `COMMIT`/`ROLLBACK` when none is open, or when they close the tool's own transaction.

    ## Why it matters
    PostgreSQL only warns (`there is already a transaction in progress`), but the meaning
    changes: a `COMMIT` in a wrapped migration commits half of it, and the statements after
    it run outside any transaction, so a later failure leaves the schema half-migrated while
    the tool believes the migration rolled back.

    ## When it does not fire
    On balanced `BEGIN … COMMIT` in scripts the tool runs statement by statement (plain SQL,
    golang-migrate, Prisma), and on savepoints.

    ## Safe alternative
    Let the tool manage the transaction, or turn its wrapping off for this migration
    (dbmate `transaction:false`, diesel `run_in_transaction = false`).

    ## Example
    ```sql
    -- migrate:up   (dbmate already wraps this section)
    BEGIN;
    ALTER TABLE users ADD COLUMN plan text;
    COMMIT;
    ```

    ## References
    - BEGIN: issued inside a transaction block, it only provokes a warning; the transaction is not
      affected.
      https://www.postgresql.org/docs/current/sql-begin.html
    - COMMIT: issued outside a transaction it does no harm but provokes a warning; inside one, it
      ends the transaction the tool opened.
      https://www.postgresql.org/docs/current/sql-commit.html

    ## With Alembic
    Never `op.execute("COMMIT")`: leave the transaction to Alembic, and put what must run
    outside it in `with op.get_context().autocommit_block():`.
    """
    explicit_open, tool_closed = ctx.per_script(_explicit_states)[ctx.statement.index]
    mode = ctx.script.script.transaction
    tool_open = mode == "wrapped" and not tool_closed
    if op.action == "begin":
        if explicit_open or tool_open:
            where = "an open" if explicit_open else "the migration tool's"
            yield Hit(f"BEGIN inside {where} transaction: PostgreSQL ignores it, and the "
                      "transaction boundaries are not what the script says")
    elif op.action in ("commit", "rollback"):
        if tool_open:
            yield Hit(f"{op.action.upper()} ends the migration tool's own transaction: the "
                      "statements after it run outside any transaction")
        elif not explicit_open and mode == "autocommit":
            yield Hit(f"{op.action.upper()} with no transaction open")


def _explicit_states(script: ParsedScript) -> list[tuple[bool, bool]]:
    """Before each statement: whether an explicit BEGIN is open, and whether an explicit
    COMMIT or ROLLBACK with no BEGIN of its own has already ended the tool's transaction."""
    explicit_open = tool_closed = False
    out = []
    for st in script.statements:
        out.append((explicit_open, tool_closed))
        control = st.ops[0] if st.ops and isinstance(st.ops[0], o.TransactionControl) else None
        if control is None:
            continue
        if control.action == "begin":
            explicit_open = True
        elif control.action in ("commit", "rollback"):
            tool_closed = tool_closed or not explicit_open
            explicit_open = False
    return out


def _closes(statements: Sequence[ParsedStatement], index: int) -> bool:
    if index < 0:
        return False
    ops = statements[index].ops
    return bool(ops) and isinstance(ops[0], o.TransactionControl) and ops[0].action in (
        "commit", "rollback")


@rule("uncommitted-transaction", family="transaction", severity="error",
      ops=(o.TransactionControl,), aliases=("ban-uncommitted-transaction",),
      fix="end the script's transaction with COMMIT")
def uncommitted_transaction(op: o.TransactionControl, ctx: RuleContext) -> Iterator[Hit]:
    """BEGIN with no COMMIT or ROLLBACK before the end of the script.

    ## What it does
    Flags a `BEGIN` that the script never closes.

    ## Why it matters
    With psql the open transaction is rolled back when the session ends: the migration
    silently did nothing. Other tools commit it, or keep locks until the connection closes.

    ## When it does not fire
    When a `COMMIT` or `ROLLBACK` closes the transaction later in the script.

    ## Safe alternative
    ```sql
    BEGIN;
    ALTER TABLE users ADD COLUMN plan text;
    COMMIT;
    ```

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE users ADD COLUMN plan text;
    ```

    ## References
    - BEGIN: the statements after it run in one transaction until an explicit `COMMIT` or
      `ROLLBACK`.
      https://www.postgresql.org/docs/current/sql-begin.html
    - Transactions: a transaction that is not committed leaves no trace once it is aborted.
      https://www.postgresql.org/docs/current/tutorial-transactions.html
    """
    if op.action != "begin":
        return
    block = ctx.statement.block
    for later in ctx.script.statements[ctx.statement.index + 1:]:
        if later.block != block:
            return
        if _closes(ctx.script.statements, later.index):
            return
    if ctx.script.script.transaction == "wrapped" and block == 0:
        return  # the tool's COMMIT closes it; transaction-nesting reports the BEGIN
    yield Hit("this BEGIN is never committed: the script ends inside the transaction")


@rule("enum-value-used-in-same-transaction", family="transaction", severity="error",
      dialects=("postgres",),
      ops=(o.AlterEnumAddValue,),
      fix="commit after ALTER TYPE ... ADD VALUE, then use the value")
def enum_value_used_in_same_transaction(op: o.AlterEnumAddValue, ctx: RuleContext
                                        ) -> Iterator[Hit]:
    """A value added by ALTER TYPE … ADD VALUE used before the transaction commits.

    ## What it does
    Flags `ALTER TYPE … ADD VALUE 'v'` when a later statement of the same transaction uses
    `'v'`.

    ## Why it matters
    PostgreSQL refuses: `unsafe use of new value "v" of enum type`. The new value cannot be
    used until the transaction that added it commits. (Before PostgreSQL 12, `ADD VALUE`
    cannot run inside a transaction block at all.)

    ## When it does not fire
    When the value is used after a `COMMIT`, in a later migration, or in autocommit mode.

    ## Safe alternative
    Add the value in one migration and use it in the next.

    ## Example
    ```sql
    BEGIN;
    ALTER TYPE order_status ADD VALUE 'refunded';
    UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
    COMMIT;
    ```

    ## References
    - ALTER TYPE, Notes: a value added by `ADD VALUE` inside a transaction block cannot be used
      until the transaction has committed.
      https://www.postgresql.org/docs/current/sql-altertype.html

    ## With Alembic
    Add the value outside the migration's transaction, then use it:
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
        op.execute("UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL")
    ```
    """
    block = ctx.statement.block
    if block is None:
        return
    literal = "'" + op.value.replace("'", "''") + "'"
    candidates = []
    for later in ctx.script.statements[ctx.statement.index + 1:]:
        if later.block != block:
            break
        if literal in later.sql:
            candidates.append(later)
    if not candidates:
        return
    users = {t.name for t in ctx.catalog.tables.values() for c in t.columns
             if c.type.name == op.name.name and c.type.schema in (op.name.schema, None)}
    known = {t.name for t in ctx.catalog.tables.values() if not t.assumed}
    for later in candidates:
        if _uses_type(later, op.name, users, known):
            yield Hit(f"enum value {literal} added to `{op.name}` is used on line "
                      f"{later.ops[0].span.line if later.ops else '?'} before the transaction "
                      "commits", object=str(op.name))
            return


def _uses_type(st: ParsedStatement, enum: QName, users: set[QName], known: set[QName]
               ) -> bool:
    """Whether a statement can be using a value of the enum: it names the type, or changes a
    table with a column of that type (or a table whose columns the history does not know).
    Adding the same label to another enum is no use."""
    if any(isinstance(op, o.AlterEnumAddValue) and op.name != enum for op in st.ops):
        return False
    if enum.name in st.sql:
        return True
    tables = [getattr(op, "table", None) for op in st.ops]
    return any(t in users or t not in known for t in tables if isinstance(t, QName))


@rule("drop-unnamed-constraint", family="transaction", severity="error", ops=(o.RawSQL,),
      fix="name the constraint: look it up in the database (or set a naming convention on "
          "the MetaData) and pass its name to op.drop_constraint")
def drop_unnamed_constraint(op: o.RawSQL, ctx: RuleContext) -> Iterator[Hit]:
    """`op.drop_constraint(None, …)` cannot run: Alembic has no name to drop.

    ## What it does
    Flags an Alembic `op.drop_constraint(None, "table", type_=…)` (or the same call on a
    `batch_op`): a constraint dropped by the name `None`.

    ## Why it matters
    Alembic autogenerate writes exactly this when the constraint it wants to drop has no
    name in the SQLAlchemy model (a `ForeignKey` or `UniqueConstraint` declared without
    `name=`, and no naming convention on the `MetaData`). The migration looks complete, but
    SQLAlchemy cannot emit `DROP CONSTRAINT` without a name and stops with `CompileError:
    Can't emit DROP CONSTRAINT for constraint …; it has no name`. The deployment stops at
    this migration, often in the downgrade that nobody ran before the incident.

    ## When it does not fire
    When the name is given, literally or through a variable the tool can read. When the name
    is an expression known only at run time (a function call, a loop variable), which is
    reported as unmodelled instead.

    ## Safe alternative
    Use the name PostgreSQL gave the constraint (`\\d table` in psql, or
    `pg_constraint`), and name constraints in the model from then on:
    ```python
    op.drop_constraint("orders_user_id_fkey", "orders", type_="foreignkey")
    ```

    ## Example
    ```python
    def downgrade() -> None:
        op.drop_constraint(None, "orders", type_="foreignkey")
    ```

    ## References
    - Alembic, The Importance of Naming Constraints: autogenerate cannot drop a constraint
      that has no name, and a naming convention on the MetaData gives every constraint one.
      https://alembic.sqlalchemy.org/en/latest/naming.html
    - ALTER TABLE, DROP CONSTRAINT: the statement takes the constraint's name.
      https://www.postgresql.org/docs/current/sql-altertable.html

    ## With Alembic
    Give the `MetaData` a naming convention so that autogenerate writes names:
    ```python
    metadata = MetaData(naming_convention={"fk": "%(table_name)s_%(column_0_name)s_fkey"})
    ```
    """
    if op.statement_kind != o.UNNAMED_DROP_CONSTRAINT:
        return
    yield Hit("`op.drop_constraint` is given no constraint name (None): SQLAlchemy cannot emit "
              "DROP CONSTRAINT without one, and the migration stops here")
