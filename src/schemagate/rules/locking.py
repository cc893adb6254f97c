"""locking: statements that block reads or writes on an existing table (default: warning)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import replace

from schemagate.fold import index_of
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, Index, Table, index_key
from schemagate.model.findings import Severity
from schemagate.model.fixes import Fix
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedScript, ParsedStatement
from schemagate.model.names import QName, quote_literal
from schemagate.model.span import Span
from schemagate.model.statement_locks import lock_for, op_tables, tables_before
from schemagate.model.types import classify_change
from schemagate.parse.transactions import flyway_runs_outside
from schemagate.rules.context import RuleContext
from schemagate.rules.pyfix import (
    alembic_index_fix,
    alembic_not_valid_fix,
    django_index_fix,
    lock_timeout_fix,
)
from schemagate.rules.registry import Hit, rule
from schemagate.rules.rewrite import (
    StatementText,
    adds_statements,
    alone_in_statement,
    declared_mode,
    indent,
    not_null_check,
    runs_outside_transaction,
    statement_text,
)
from schemagate.rules.split import split_fix
from schemagate.rules.volatility import expression_volatility


@rule("create-index-non-concurrently", family="locking", dialects=("postgres",), severity="warning",
      ops=(o.CreateIndex,),
      aliases=("require-concurrent-index-creation", "E6", "PG101"),
      fix="use CREATE INDEX CONCURRENTLY, outside a transaction", fixable="safe")
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
    On a table created earlier in the same migration (it is empty); with `CONCURRENTLY`;
    and for `CREATE INDEX IF NOT EXISTS` of a name the history already gave a relation of
    the index's schema: PostgreSQL skips the statement ("relation … already exists,
    skipping") and builds nothing, unless an earlier statement of the script drops an
    index of that name (a rebuild). Nor on a partitioned table whose every partition the
    history made has an index of the same keys already: PostgreSQL attaches those and
    builds nothing. Either still takes SHARE on the table first, which
    `missing-lock-timeout` speaks for.

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

    ## References
    - CREATE INDEX, Building Indexes Concurrently: a normal build locks out writes for its whole
      duration; `CONCURRENTLY` does not, and cannot run inside a transaction block.
      https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    - Table-Level Locks: SHARE is taken by `CREATE INDEX` without `CONCURRENTLY`, and conflicts with
      ROW EXCLUSIVE, the lock of `INSERT`, `UPDATE` and `DELETE`.
      https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES

    ## With Alembic
    `autocommit_block()` commits the migration's transaction first, so the statement runs
    outside one.
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index("idx_users_email", "users", ["email"], postgresql_concurrently=True)
    ```

    ## With Django
    ```python
    from django.contrib.postgres.operations import AddIndexConcurrently

    class Migration(migrations.Migration):
        atomic = False  # CONCURRENTLY cannot run in a transaction
        operations = [
            AddIndexConcurrently("user", models.Index(fields=["email"], name="idx_users_email")),
        ]
    ```
    """
    if op.concurrently or ctx.is_new(op.table) or _builds_nothing(op, ctx):
        return
    name = f" `{op.name.name}`" if op.name else ""
    table = ctx.table(op.table)
    parted = table is not None and table.partitioned
    fix = None if parted else _concurrently(
        ctx, replace(op, concurrently=True), "INDEX", "Build the index CONCURRENTLY")
    fix = fix or split_fix(ctx, op) or python_index_fix(ctx, op.table)
    # PostgreSQL refuses CONCURRENTLY on a partitioned table: the online way goes through
    # its partitions (DefineIndex attaches an index each partition has already).
    how = (": PostgreSQL refuses CONCURRENTLY on a partitioned table; build each "
           "partition's index CONCURRENTLY, then CREATE INDEX ON ONLY the parent and ALTER "
           "INDEX … ATTACH PARTITION each") if parted else ""
    yield Hit(f"creating index{name} on `{op.table}` without CONCURRENTLY blocks writes to "
              f"the table while it builds{how}", object=str(op.table), lock=LockMode.SHARE,
              facts={"scan": True}, fix=fix)


def _builds_nothing(op: o.CreateIndex, ctx: RuleContext, at: int | None = None) -> bool:
    """`CREATE INDEX IF NOT EXISTS` of a name the index's schema already holds: PostgreSQL
    skips it without reading a row, once it holds the SHARE lock (PostgreSQL 15:
    pg_locks shows the lock, pg_stat_xact_user_tables no scan).

    ``at`` is the index of the statement of the script that holds ``op``, when that comes
    after the context's: the catalog is the one before the context's statement, so what the
    script drops or renames from there until ``at`` may have freed the name."""
    at = ctx.statement.index if at is None else at
    if _attaches_only(op, ctx.catalog):
        return True
    if not op.if_not_exists or op.name is None or _freed_before(op, ctx, at):
        return False
    cat = ctx.catalog
    # Any relation blocks the name (index_create asks get_relname_relid), not only an index.
    return (index_key(op.name, op.table if op.per_table else None) in cat.indexes
            or cat.relation_exists(op.name))


def _attaches_only(op: o.CreateIndex, cat: Catalog) -> bool:
    """An index on a partitioned table every one of whose partitions (one at least, all
    the history made) has an index of the same keys already: PostgreSQL attaches those and
    builds none (PostgreSQL 15, `DefineIndex`). A table whose partitions the history never
    saw made (a function's dynamic SQL) is not known to be partitioned, and is judged."""
    partitions = cat.partitions_of(op.table)
    if not partitions or op.concurrently:
        return False
    wanted = index_of(op, op.name or op.table, op.table)
    return all(any(ix.same_key(wanted) for ix in cat.indexes_on(part)) for part in partitions)


def _freed_before(op: o.CreateIndex, ctx: RuleContext, at: int) -> bool:
    """Whether a statement of the script before the one at ``at`` drops or renames an index
    of the new index's name, in any schema, or drops or renames its table. An index dropped
    even before the context's statement counts: `DROP INDEX IF EXISTS x` then
    `CREATE INDEX IF NOT EXISTS x` rebuilds `x`, and an unqualified drop finds it through a
    search_path the history cannot see."""
    assert op.name is not None
    firsts = ctx.per_script(_first_frees)
    first = min(firsts.get(op.name.name.lower(), at), firsts.get(str(op.table), at))
    return first < at


def _first_frees(script: ParsedScript) -> dict[str, int]:
    """The first statement that drops or renames each index (by bare name, lower case) and
    each table (by qualified name) of the script."""
    firsts: dict[str, int] = {}
    for st in script.statements:
        for x in st.ops:
            names: list[str] = []
            if isinstance(x, o.DropIndex):
                names = [n.name.lower() for n in x.names]
            elif isinstance(x, o.RenameIndex):
                names = [x.name.name.lower()]
            elif isinstance(x, o.DropTable):
                names = [str(t) for t in x.tables]
            elif isinstance(x, o.RenameTable):
                names = [str(x.table)]
            for name in names:
                firsts.setdefault(name, st.index)
    return firsts


def python_index_fix(ctx: RuleContext, table: QName | None) -> Fix | None:
    """The Alembic or Django form of CONCURRENTLY (`rules.pyfix`), where PostgreSQL
    allows it on the table (not on a partitioned one)."""
    known = ctx.table(table) if table is not None else None
    if known is not None and known.partitioned:
        return None
    return alembic_index_fix(ctx) or django_index_fix(ctx)


def _concurrently(ctx: RuleContext, changed: o.Operation, keyword: str, title: str
                  ) -> Fix | None:
    """`CONCURRENTLY` written after the statement's first `keyword`, where the statement
    then runs outside a transaction as PostgreSQL requires."""
    if not runs_outside_transaction(ctx, changed):
        return None
    text = statement_text(ctx)
    at = text.find(keyword) if text is not None else None
    if text is None or at is None:
        return None
    return Fix(title, (text.insert(text.tokens[at].end, " CONCURRENTLY"),))


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
      dialects=("postgres",),
      aliases=("adding-not-nullable-field", "E2", "PG303"),
      fix="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
      fixable="safe")
def set_not_null(op: o.SetNotNull, ctx: RuleContext) -> Iterator[Hit]:
    """SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.

    ## What it does
    Flags `ALTER TABLE … ALTER COLUMN … SET NOT NULL` on a column of a table that exists
    before the migration.

    ## Why it matters
    PostgreSQL checks every row while holding ACCESS EXCLUSIVE: nothing can read or write
    the table until the scan ends.

    ## When it does not fire
    On a table created earlier in the same migration (it holds no rows); on a column the
    history knows to be NOT NULL already, or the migration says is (Alembic's
    `existing_nullable=False`); and from PostgreSQL 12 on, when a validated
    `CHECK (col IS NOT NULL)` constraint already proves the column has no NULLs (PostgreSQL
    then skips the scan). A column added earlier in the same migration to a table that
    already existed is no exemption: the table's rows are scanned all the same (the usual
    add, backfill, `SET NOT NULL` in one migration holds ACCESS EXCLUSIVE through the scan).

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

    ## References
    - ALTER TABLE, SET/DROP NOT NULL: the table is scanned to check the column, unless a valid
      `CHECK` constraint proves that no NULL can exist.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
    - ALTER TABLE, VALIDATE CONSTRAINT: validating takes only SHARE UPDATE EXCLUSIVE.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT

    ## With Alembic
    ```python
    def upgrade() -> None:
        op.create_check_constraint("users_email_not_null", "users", "email IS NOT NULL",
                                   postgresql_not_valid=True)
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null")
        op.alter_column("users", "email", nullable=False)
        op.drop_constraint("users_email_not_null", "users", type_="check")
    ```

    ## With Django
    `AddConstraintNotValid` adds the check, `ValidateConstraint` (in a later migration)
    validates it; then `AlterField(..., null=False)` and `RemoveConstraint`:
    ```python
    from django.contrib.postgres.operations import AddConstraintNotValid, ValidateConstraint

    AddConstraintNotValid("user", models.CheckConstraint(
        condition=models.Q(email__isnull=False), name="users_email_not_null"))
    ValidateConstraint("user", "users_email_not_null")  # next migration
    ```
    """
    if ctx.is_new(op.table):
        return
    if _already_not_null(op, ctx):
        return  # PostgreSQL has nothing to check
    if ctx.settings.pg_version >= 12 and _has_valid_not_null_check(ctx.table(op.table),
                                                                    op.column):
        return
    yield Hit(f"`SET NOT NULL` on `{op.table}.{op.column}` scans the whole table under an "
              "ACCESS EXCLUSIVE lock", object=f"{op.table}.{op.column}",
              lock=LockMode.ACCESS_EXCLUSIVE, facts={"scan": True},
              fix=_not_null_fix(op, ctx) or split_fix(ctx, op))


def _already_not_null(op: o.SetNotNull, ctx: RuleContext) -> bool:
    """Whether the history made the column NOT NULL before, or the source says it is
    (Alembic's `existing_nullable=False`, Neutron's ussuri f4b9654dd40c): SET NOT NULL then
    changes nothing and reads no row (PostgreSQL 15: pg_stat_xact_user_tables counts no
    scan)."""
    if op.already:
        return True
    table = ctx.table(op.table)
    column = table.column(op.column) if table is not None else None
    return column is not None and column.not_null


def _not_null_fix(op: o.SetNotNull, ctx: RuleContext) -> Fix | None:
    """The check first, validated in a statement of its own, then SET NOT NULL (which the
    valid check spares its scan, from PostgreSQL 12), then the check dropped. Offered only
    where each new statement commits on its own: in one transaction the VALIDATE would scan
    under the ACCESS EXCLUSIVE lock the ADD took."""
    if not adds_statements(ctx) or not alone_in_statement(ctx):
        return None
    found = not_null_check(ctx, op)
    if found is None:
        return None
    text, written, check = found.text, found.written, found.check
    pad = indent(text)
    return Fix("Check NOT NULL with a validated constraint first", text.inserts(
        (0, f"{written} ADD CONSTRAINT {check} CHECK ({found.column} IS NOT NULL) NOT VALID;\n"
            f"{pad}{written} VALIDATE CONSTRAINT {check};\n{pad}"),
        (len(text.sql), f";\n{pad}{written} DROP CONSTRAINT {check}")))


@rule("drop-index-non-concurrently", family="locking", severity="warning", ops=(o.DropIndex,),
      dialects=("postgres",),
      aliases=("require-concurrent-index-deletion", "PG102"),
      fix="use DROP INDEX CONCURRENTLY, outside a transaction", fixable="safe")
def drop_index_non_concurrently(op: o.DropIndex, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping an index without CONCURRENTLY blocks reads and writes on its table.

    ## What it does
    Flags `DROP INDEX` without `CONCURRENTLY` when the index belongs to a table that exists
    before the migration.

    ## Why it matters
    A plain `DROP INDEX` takes ACCESS EXCLUSIVE on the table. It is quick once it holds the
    lock, but waiting for the lock behind a long query queues every other query behind it.

    ## When it does not fire
    With `CONCURRENTLY`; on a table created earlier in the same migration; when a later
    statement of the same script drops the index's table (that drop takes ACCESS EXCLUSIVE
    anyway, and `drop-table` speaks for it); when an earlier statement of the same
    transaction took ACCESS EXCLUSIVE on the table already (an `ADD COLUMN`, a rename: held
    to the end of the transaction, it keeps everyone off the table, and the DROP INDEX keeps
    nobody waiting for longer); for an index created earlier in the same script;
    and for `DROP INDEX IF EXISTS` of an index that does not exist at that point of a
    complete history (as `unknown-object` judges one: it starts from an empty schema and
    nothing it cannot follow came before), which PostgreSQL skips without a lock. An index
    the history may not show keeps the finding: one named like a key (the key's index), like
    a numbered default name, or any index once the history has partitioned tables.
    It does fire in a down path dropping an index that the up path built `CONCURRENTLY` on an
    existing table: the up took care not to block the table, and the down must too.

    ## Safe alternative
    ```sql
    DROP INDEX CONCURRENTLY IF EXISTS idx_users_email;
    ```

    ## Example
    ```sql
    DROP INDEX idx_users_email;
    ```

    ## References
    - DROP INDEX: a normal `DROP INDEX` takes ACCESS EXCLUSIVE on the table; `CONCURRENTLY` waits
      for conflicting transactions instead, and cannot run inside a transaction block.
      https://www.postgresql.org/docs/current/sql-dropindex.html

    ## With Alembic
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.drop_index("idx_users_email", table_name="users", postgresql_concurrently=True)
    ```

    ## With Django
    ```python
    from django.contrib.postgres.operations import RemoveIndexConcurrently

    class Migration(migrations.Migration):
        atomic = False
        operations = [RemoveIndexConcurrently("user", "idx_users_email")]
    ```
    """
    if op.concurrently:
        return
    for i, name in enumerate(op.names):
        index = ctx.catalog.indexes.get(name)
        if index is not None and (ctx.is_new(index.table) or ctx.dropped_later(index.table)
                                  or _made_here(index, ctx) or _locked_before(index.table, ctx)):
            continue
        where = f" on `{index.table}`" if index else ""
        # PostgreSQL 15: "cannot drop partitioned index … concurrently".
        known = ctx.table(index.table) if index is not None else None
        parted = known is not None and known.partitioned
        # DROP INDEX CONCURRENTLY drops one index, without CASCADE.
        fix = None if len(op.names) > 1 or op.cascade or parted else _concurrently(
            ctx, replace(op, concurrently=True), "INDEX", "Drop the index CONCURRENTLY")
        if fix is None and len(op.names) == 1 and not op.cascade and not parted:
            fix = python_index_fix(ctx, index.table if index else None)
        how = (": PostgreSQL cannot drop a partitioned table's index CONCURRENTLY, so keep "
               "the wait short with lock_timeout") if parted else ""
        yield Hit(f"dropping index `{name}`{where} without CONCURRENTLY takes an ACCESS "
                  f"EXCLUSIVE lock{how}", object=str(index.table if index else name),
                  lock=LockMode.ACCESS_EXCLUSIVE, span=op.name_site(i), fix=fix)


def _locked_before(table: QName, ctx: RuleContext) -> bool:
    """Whether an earlier statement of the transaction at hand took ACCESS EXCLUSIVE on the
    table: held to the transaction's end, it already keeps everyone else off the table, and
    a DROP INDEX after it keeps nobody waiting for longer (PostgreSQL 15's pg_locks show it
    adds a lock on the index only). A lock follows its table through a rename; a ROLLBACK TO
    SAVEPOINT may release locks, and forgets them all."""
    block = ctx.statement.block
    if block is None:
        return False
    held: set[QName] = set()
    for st in ctx.script.statements[:ctx.statement.index]:
        if st.block != block:
            continue
        for x in st.ops:
            if isinstance(x, o.TransactionControl) and x.action == "rollback_to":
                held.clear()
            held.update(_live_locks(x, ctx))
            if isinstance(x, o.RenameTable) and x.table in held:
                held.add(QName(x.table.schema, x.new_name))
    return table in held


def _made_here(index: Index, ctx: RuleContext) -> bool:
    """Whether this migration built the index without care for the lock: in the script at
    hand, or in the up path (for a down) without CONCURRENTLY."""
    if index.created_in != ctx.migration.name:
        return False
    if ctx.direction == "up" or ctx.migration.up is None:
        return True
    return not any(isinstance(x, o.CreateIndex) and x.name == index.name and x.concurrently
                   for st in ctx.migration.up.statements for x in st.ops)


@rule("reindex-non-concurrently", family="locking", severity="warning", ops=(o.Reindex,),
      dialects=("postgres",),
      aliases=("require-concurrent-reindex",),
      fix="REINDEX ... CONCURRENTLY (PostgreSQL 12+)", fixable="safe")
def reindex_non_concurrently(op: o.Reindex, ctx: RuleContext) -> Iterator[Hit]:
    """REINDEX without CONCURRENTLY blocks writes to the table (and reads of the index).

    ## What it does
    Flags `REINDEX INDEX|TABLE|SCHEMA|DATABASE` without `CONCURRENTLY`.

    ## Why it matters
    REINDEX takes a SHARE lock on the table (writes wait) and ACCESS EXCLUSIVE on the index
    (queries that would use it wait) for the whole rebuild.

    ## When it does not fire
    With `CONCURRENTLY`, and on a table created earlier in the same migration.

    ## Safe alternative
    From PostgreSQL 12:
    ```sql
    REINDEX INDEX CONCURRENTLY idx_users_email;
    ```
    Before 12, build a replacement with `CREATE INDEX CONCURRENTLY`, then drop the old index
    and rename the new one.

    ## Example
    ```sql
    REINDEX TABLE users;
    ```

    ## References
    - REINDEX: a plain `REINDEX` locks out writes to the table and takes ACCESS EXCLUSIVE on the
      index.
      https://www.postgresql.org/docs/current/sql-reindex.html
    - REINDEX, Rebuilding Indexes Concurrently: available from PostgreSQL 12, not inside a
      transaction block.
      https://www.postgresql.org/docs/current/sql-reindex.html#SQL-REINDEX-CONCURRENTLY

    ## With Alembic
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.execute("REINDEX INDEX CONCURRENTLY idx_users_email")
    ```
    """
    if op.concurrently:
        return
    if op.target == "table" and ctx.is_new(_qname(op.name)):
        return
    how = ("use REINDEX ... CONCURRENTLY" if ctx.settings.pg_version >= 12 else
           "PostgreSQL < 12 has no REINDEX CONCURRENTLY: build a new index concurrently and "
           "swap")
    # REINDEX SYSTEM has no concurrent form.
    fix = None if ctx.settings.pg_version < 12 or op.target == "system" else _concurrently(
        ctx, replace(op, concurrently=True), op.target.upper(), "Rebuild CONCURRENTLY")
    yield Hit(f"`REINDEX {op.target.upper()} {op.name}` blocks writes while it rebuilds; {how}",
              object=op.name, lock=LockMode.SHARE, fix=fix)


def _qname(text: str) -> QName:
    schema, _, name = text.rpartition(".")
    return QName.of(name, schema or None)


@rule("add-foreign-key-validated", family="locking", dialects=("postgres",), severity="warning",
      ops=(o.AddConstraint,), aliases=("adding-foreign-key-constraint", "E1"),
      fix="ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
      fixable="safe")
def add_foreign_key_validated(op: o.AddConstraint, ctx: RuleContext) -> Iterator[Hit]:
    """Adding a foreign key validates every row while blocking writes on both tables.

    ## What it does
    Flags `ALTER TABLE … ADD [CONSTRAINT …] FOREIGN KEY` without `NOT VALID` on a table that
    exists before the migration.

    ## Why it matters
    PostgreSQL takes SHARE ROW EXCLUSIVE on the table and on the referenced table, and scans
    the whole table to check every row while holding them: writes to both tables wait.

    ## When it does not fire
    With `NOT VALID`, and on a table created earlier in the same migration (it is empty).

    ## Safe alternative
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_user_fk
        FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    -- in a separate transaction: scans without blocking writes
    ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
    ```

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users;
    ```

    ## References
    - ALTER TABLE, ADD table_constraint: adding a foreign key takes SHARE ROW EXCLUSIVE on the
      referenced table too, and scans the table unless `NOT VALID` is given.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT
    - ALTER TABLE, VALIDATE CONSTRAINT: validation takes SHARE UPDATE EXCLUSIVE on the table (and
      ROW SHARE on the referenced table), so writes go on.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT

    ## With Alembic
    ```python
    def upgrade() -> None:
        op.create_foreign_key("orders_user_fk", "orders", "users", ["user_id"], ["id"],
                              postgresql_not_valid=True)
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk")
    ```

    ## With Django
    `AddConstraintNotValid` takes check constraints only; for a foreign key, keep the model
    state and the SQL apart:
    ```python
    migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddField("order", "user", models.ForeignKey(
            "app.User", on_delete=models.PROTECT, db_index=False))],
        database_operations=[
            migrations.RunSQL("ALTER TABLE orders ADD COLUMN user_id bigint"),
            migrations.RunSQL("ALTER TABLE orders ADD CONSTRAINT orders_user_fk "
                              "FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"),
        ],
    )
    # next migration: RunSQL("ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk"),
    # and the index with AddIndexConcurrently in a non-atomic migration
    ```
    """
    con = op.constraint
    if con.kind != "foreign" or con.not_valid or ctx.is_new(op.table):
        return
    if con.ref_table is None and con.ref_outside is not None:
        # A table only run time knows (Django's `settings.AUTH_USER_MODEL`): named as the
        # migration names it.
        both = f"`{op.table}` and the table of `{con.ref_outside}`"
    elif con.ref_table in (None, op.table):
        both = f"`{op.table}`"
    else:
        both = f"`{op.table}` and `{con.ref_table}`"
    yield Hit(f"adding foreign key on `{op.table}` validates every row while blocking writes "
              f"to {both}", object=str(op.table),
              lock=LockMode.SHARE_ROW_EXCLUSIVE, facts={"scan": True},
              fix=_not_valid_fix(op, ctx) or split_fix(ctx, op)
              or alembic_not_valid_fix(ctx, op))


def _not_valid_fix(op: o.AddConstraint, ctx: RuleContext) -> Fix | None:
    """`NOT VALID` on the constraint, and its VALIDATE in the statement after. Offered only
    where that statement commits on its own: in the ADD's transaction the validating scan
    would run under the lock the ADD took, and nothing would be gained."""
    if op.constraint.name is None or op.clause is None or not adds_statements(ctx):
        return None
    text = statement_text(ctx)
    head = text.altered_table() if text is not None else None
    where = text.span_offsets(op.clause) if text is not None else None
    if text is None or head is None or where is None:
        return None
    name = _constraint_name_at(text, where[0])
    if name is None:
        return None
    written = head[0]
    return Fix("Add the constraint NOT VALID, then VALIDATE it", text.inserts(
        (where[1], " NOT VALID"),
        (len(text.sql), f";\n{indent(text)}{written} VALIDATE CONSTRAINT {name}")))


def _constraint_name_at(text: StatementText, start: int) -> str | None:
    """The name of `ADD CONSTRAINT name …` that starts at character `start`, as written."""
    toks = text.tokens
    at = next((i for i, t in enumerate(toks) if t.start == start), None)
    if at is None or at + 2 >= len(toks) or toks[at].name != "ADD_P" or (
            toks[at + 1].name != "CONSTRAINT"):
        return None
    return toks[at + 2].text


@rule("add-check-validated", family="locking", severity="warning",
      ops=(o.AddConstraint, o.AddColumn),
      dialects=("postgres",),
      aliases=("constraint-missing-not-valid", "E1", "PG305"),
      fix="ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT",
      fixable="safe")
def add_check_validated(op: o.AddConstraint | o.AddColumn, ctx: RuleContext
                        ) -> Iterator[Hit]:
    """Adding a CHECK constraint scans the table under an ACCESS EXCLUSIVE lock.

    ## What it does
    Flags `ALTER TABLE … ADD CONSTRAINT … CHECK (…)` without `NOT VALID`, and a column added
    with a CHECK (`ADD COLUMN qty int CHECK (qty > 0)`), on a table that exists before the
    migration: PostgreSQL checks every row even when the new column holds only NULLs or its
    default (3 million rows: 0.6 ms for the column alone, 250 ms with a CHECK).

    ## Why it matters
    Every row is checked while ACCESS EXCLUSIVE is held: no reads, no writes.

    ## When it does not fire
    With `NOT VALID`, and on a table created earlier in the same migration.

    ## Safe alternative
    A new column is added without its CHECK first; then:
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;  -- SHARE UPDATE EXCLUSIVE
    ```

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
    ```

    ## References
    - ALTER TABLE, ADD table_constraint: the new constraint is checked against every row unless `NOT
      VALID` is given.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT
    - ALTER TABLE, VALIDATE CONSTRAINT: validation takes only SHARE UPDATE EXCLUSIVE.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT

    ## With Alembic
    ```python
    def upgrade() -> None:
        op.create_check_constraint("orders_total_positive", "orders", "total >= 0",
                                   postgresql_not_valid=True)
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive")
    ```

    ## With Django
    ```python
    from django.contrib.postgres.operations import AddConstraintNotValid, ValidateConstraint

    AddConstraintNotValid("order", models.CheckConstraint(
        condition=models.Q(total__gte=0), name="orders_total_positive"))
    ValidateConstraint("order", "orders_total_positive")  # in the next migration
    ```
    """
    checks = _added_constraints(op, "check")
    if ctx.is_new(op.table) or not checks:
        return
    if isinstance(op, o.AddColumn):  # one scan checks all the column's constraints
        yield Hit(f"adding `{op.column.name}` with a CHECK constraint to `{op.table}` "
                  "scans every row under an ACCESS EXCLUSIVE lock", object=str(op.table),
                  lock=LockMode.ACCESS_EXCLUSIVE, facts={"scan": True}, span=checks[0][1])
        return
    yield Hit(f"adding CHECK constraint on `{op.table}` scans every row under an ACCESS "
              "EXCLUSIVE lock", object=str(op.table), lock=LockMode.ACCESS_EXCLUSIVE,
              facts={"scan": True}, fix=_not_valid_fix(op, ctx) or split_fix(ctx, op))


@rule("validate-in-same-transaction", family="locking", dialects=("postgres",), severity="warning",
      ops=(o.ValidateConstraint,), aliases=("E4",),
      fix="commit after ADD ... NOT VALID, and VALIDATE in a new transaction")
def validate_in_same_transaction(op: o.ValidateConstraint, ctx: RuleContext) -> Iterator[Hit]:
    """VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID.

    ## What it does
    Flags `VALIDATE CONSTRAINT` that runs in the same transaction as the `ADD CONSTRAINT …
    NOT VALID` that created the constraint, explicit or opened by the migration tool.

    ## Why it matters
    The point of `NOT VALID` is to take the strong lock only briefly, and validate later under
    a weaker one. In one transaction, the ACCESS EXCLUSIVE (CHECK) or SHARE ROW EXCLUSIVE (FK)
    lock of the `ADD` is still held during the validating scan: the two-step form buys
    nothing.

    ## When it does not fire
    When the `ADD` committed before the `VALIDATE` (separate migrations, or autocommit
    statements), and on tables created earlier in the same migration.

    ## Safe alternative
    Put `VALIDATE CONSTRAINT` in the next migration (or after a `COMMIT`).

    ## Example
    ```sql
    -- migrate:up  (dbmate wraps this in one transaction)
    ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT c;
    ```

    ## References
    - Table-Level Locks: a lock is held until the end of the transaction that took it.
      https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
    - ALTER TABLE, VALIDATE CONSTRAINT: validating separately is what lets the scan run under a
      weaker lock.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT

    ## With Alembic
    Alembic runs every pending migration in one transaction unless `env.py` passes
    `transaction_per_migration=True` to `context.configure`; an `autocommit_block()` commits
    the `ADD` before the `VALIDATE` whatever the setting:
    ```python
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk")
    ```
    """
    block = ctx.statement.block
    if block is None or ctx.is_new(op.table):
        return
    added = ctx.per_script(_not_valid_adds).get((block, op.table, op.name))
    if added is not None and added[0] < ctx.statement.index:
        yield Hit(f"validating `{op.name}` in the transaction that added it keeps the "
                  f"ADD's lock on `{op.table}` during the scan", object=str(op.table),
                  lock=lock_for(added[1]), facts={"scan": True})


def _not_valid_adds(script: ParsedScript
                    ) -> dict[tuple[int | None, QName, str | None], tuple[int, o.AddConstraint]]:
    """The first `ADD CONSTRAINT … NOT VALID` of each (transaction block, table, name)."""
    out: dict[tuple[int | None, QName, str | None], tuple[int, o.AddConstraint]] = {}
    for st in script.statements:
        for op in st.ops:
            if isinstance(op, o.AddConstraint) and op.constraint.not_valid:
                out.setdefault((st.block, op.table, op.constraint.name), (st.index, op))
    return out


def _rewrite_verdict(op: o.AlterColumnType, ctx: RuleContext) -> tuple[bool | None, str]:
    old = ctx.type_before(op)
    if old is None:
        return None, f"to {op.new_type} (old type unknown)"
    change = classify_change(old, op.new_type, op.using is not None)
    if ({old.name, op.new_type.name} == {"timestamp", "timestamptz"} and op.using is None
            and ctx.settings.pg_version >= 12 and _session_timezone(ctx) == "utc"):
        # PostgreSQL 12+ skips the rewrite when the session time zone is UTC (the values'
        # bits do not change); indexes on the column are still rebuilt.
        return False, f"from {old} to {op.new_type}"
    return change.rewrite, f"from {old} to {op.new_type}"


def _collation_rebuilds(op: o.AlterColumnType, ctx: RuleContext) -> list[str]:
    """The indexes on the column that a change of its collation rebuilds (each key compares
    by the new collation); none when the statement names no collation."""
    if op.collation is None:
        return []
    return [str(ix.name) for ix in ctx.catalog.indexes_on(op.table)
            if op.column in ix.columns]


def _session_timezone(ctx: RuleContext) -> str | None:
    """The time zone the script set before this statement (SET timezone / SET TIME ZONE)."""
    indexes, zones = ctx.per_script(_timezone_settings)
    k = bisect.bisect_left(indexes, ctx.statement.index)
    zone = zones[k - 1] if k else None
    return "utc" if zone in ("utc", "etc/utc", "z", "zulu", "gmt", "0") else zone


def _timezone_settings(script: ParsedScript) -> tuple[list[int], list[str | None]]:
    """The statement index and the zone of every `SET timezone` of the script, in order."""
    indexes: list[int] = []
    zones: list[str | None] = []
    for st in script.statements:
        for op in st.ops:
            if isinstance(op, o.SetSetting) and op.name.lower() == "timezone":
                indexes.append(st.index)
                zones.append((op.value or "").strip("'").lower() or None)
    return indexes, zones


@rule("column-type-rewrite", family="locking", severity="warning", ops=(o.AlterColumnType,),
      dialects=("postgres",),
      aliases=("changing-column-type", "E5", "PG301"),
      fix="add a new column, backfill in batches, then swap")
def column_type_rewrite(op: o.AlterColumnType, ctx: RuleContext) -> Iterator[Hit]:
    """A column type change that rewrites the table and its indexes under ACCESS EXCLUSIVE.

    ## What it does
    Flags `ALTER COLUMN … TYPE` on a table that exists before the migration, unless the
    change is binary-coercible: `varchar(n)` to a longer `varchar` or `text`, `varchar` ↔
    `text`, `numeric(p,s)` to a larger precision with the same scale or to unconstrained
    `numeric`. With the old type unknown (a table that predates the history), it fires and
    says so. A change of collation alone (`TYPE text COLLATE "C"`, Django's `db_collation`)
    rewrites no row, but rebuilds every index that reads the column: it fires, naming them,
    when the column has any.

    ## Why it matters
    A rewrite copies every row and rebuilds every index while holding ACCESS EXCLUSIVE:
    the table is unavailable for the whole time, minutes to hours on large tables. An index
    rebuilt for a new collation holds the same lock for as long as the build (2.7 s for a
    unique index of 2 million rows, measured on PostgreSQL 15).

    ## When it does not fire
    On binary-coercible changes (no rewrite, no scan) and collation changes of a column no
    index reads; on `timestamp` ↔ `timestamptz` from
    PostgreSQL 12 when the script set the session time zone to UTC (only the column's
    indexes are rebuilt); and on tables or columns created earlier in the same migration.

    ## Safe alternative
    Add a new column of the new type, fill it in batches (and keep it in sync with a
    trigger), then switch the application over and drop the old column:
    ```sql
    ALTER TABLE events ADD COLUMN id_new bigint;
    UPDATE events SET id_new = id WHERE id BETWEEN 1 AND 100000;  -- batches
    ```

    ## Example
    ```sql
    ALTER TABLE events ALTER COLUMN id TYPE bigint;
    ```

    ## References
    - ALTER TABLE, Notes: changing a column's type rewrites the table and its indexes, unless the
      old type is binary coercible to the new one (and for some changes the indexes must still be
      rebuilt).
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    - ALTER TABLE, SET DATA TYPE: the form that changes a column's type.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DATA-TYPE
    """
    if ctx.is_new_column(op.table, op.column):
        return
    rewrite, what = _rewrite_verdict(op, ctx)
    rebuilt = _collation_rebuilds(op, ctx)
    if rewrite is False and rebuilt:
        names = ", ".join(f"`{ix}`" for ix in rebuilt)
        yield Hit(f"changing the collation of `{op.table}.{op.column}` to {op.collation} "
                  f"rebuilds its {'index' if len(rebuilt) == 1 else 'indexes'} ({names}) "
                  "under an ACCESS EXCLUSIVE lock", object=f"{op.table}.{op.column}",
                  lock=LockMode.ACCESS_EXCLUSIVE, facts={"rewrite": False,
                                                         "rebuilds": list(rebuilt)})
        return
    if rewrite is False:
        return
    verb = "rewrites" if rewrite else "may rewrite"
    yield Hit(f"changing `{op.table}.{op.column}` {what} {verb} the table and its indexes "
              "under an ACCESS EXCLUSIVE lock", object=f"{op.table}.{op.column}",
              lock=LockMode.ACCESS_EXCLUSIVE, facts={"rewrite": True if rewrite else "unknown"})


@rule("add-column-rewrite", family="locking", severity="warning", ops=(o.AddColumn,),
      dialects=("postgres",),
      aliases=("adding-field-with-default", "E11", "PG302"),
      fix="add the column without the volatile default, then backfill in batches")
def add_column_rewrite(op: o.AddColumn, ctx: RuleContext) -> Iterator[Hit]:
    """ADD COLUMN that rewrites the whole table.

    ## What it does
    Flags `ADD COLUMN` on a table that exists before the migration when PostgreSQL must
    rewrite the table: a volatile default (`random()`, `gen_random_uuid()`,
    `clock_timestamp()`, any user function not declared STABLE or IMMUTABLE), `serial`,
    an identity column, a stored generated column — and, before PostgreSQL 11, any default.
    Volatility comes from PostgreSQL's own `pg_proc` (shipped with schemagate) and from the
    functions the history creates; a `LANGUAGE sql` function of one `SELECT expr`, which the
    planner inlines where the default is planned, is as volatile as `expr` (Ente's
    `now_utc_micro_seconds()` over `now()`: no rewrite, checked on PostgreSQL 15).

    ## Why it matters
    The rewrite holds ACCESS EXCLUSIVE while every row is copied.

    ## When it does not fire
    With a constant or stable default on PostgreSQL 11+ (`DEFAULT 0`, `DEFAULT 'x'`,
    `DEFAULT now()`, `DEFAULT CURRENT_TIMESTAMP`: catalog-only), with no default, and on
    tables created earlier in the same migration. One `ALTER TABLE` that adds several such
    columns rewrites the table once: one finding, at the first, counting the others.

    ## Safe alternative
    ```sql
    ALTER TABLE users ADD COLUMN token uuid;                 -- instant
    ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();  -- new rows only
    UPDATE users SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000;  -- batches
    ```

    ## Example
    ```sql
    ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
    ```

    ## References
    - ALTER TABLE, Notes: adding a column with a volatile default (or a stored generated column, or
      an identity column) rewrites the table; a non-volatile default does not, from PostgreSQL 11.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    - Modifying Tables, Adding a Column: a default given with the column fills existing rows.
      https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN

    ## With Alembic
    ```python
    def upgrade() -> None:
        op.add_column("users", sa.Column("token", postgresql.UUID()))
        op.alter_column("users", "token", server_default=sa.text("gen_random_uuid()"))
    ```
    """
    if ctx.is_new(op.table):
        return
    reason, where = _rewrite_reason(op.column, ctx)
    if reason is None:
        return
    # One ALTER TABLE rewrites the table once, whatever number of its actions need it
    # (Temporal's v1.2: 28 stored generated columns in one statement): one finding, at the
    # first of them, which counts the others once (not each of them all: quadratic).
    mark = (f"add-column-rewrite:{ctx.statement.index}:{op.table}", ctx.script.script)
    if mark in ctx.state.reported:
        return
    ctx.state.reported.add(mark)
    others = sum(1 for x in ctx.statement.ops if isinstance(x, o.AddColumn) and x is not op
                 and x.table == op.table and _rewrite_reason(x.column, ctx)[0] is not None)
    more = f" (and {others} more column{'s' if others > 1 else ''})" if others else ""
    yield Hit(f"adding `{op.column.name}`{more} to `{op.table}` rewrites the table under an "
              f"ACCESS EXCLUSIVE lock: {reason}", object=f"{op.table}.{op.column.name}",
              lock=LockMode.ACCESS_EXCLUSIVE, facts={"rewrite": True}, span=where)


def _rewrite_reason(col: o.ColumnDef, ctx: RuleContext) -> tuple[str | None, Span | None]:
    """Why adding the column rewrites the table, and where that is written; (None, None)
    when it does not."""
    if col.type.serial:
        return "a serial column fills every row from its sequence", None
    if col.identity:
        return "an identity column fills every row", None
    if col.generated is not None:
        return "a stored generated column is computed for every row", col.generated.span
    if col.default is not None:
        if ctx.settings.pg_version < 11:
            return (f"before PostgreSQL 11 any default ({col.default.sql}) is written to "
                    "every row", col.default.span)
        if expression_volatility(col.default, ctx.catalog) == "v":
            return (f"the default {col.default.sql} is volatile and is computed for every "
                    "row", col.default.span)
    return None, None


@rule("add-unique-constraint", family="locking", severity="warning",
      ops=(o.AddConstraint, o.AddColumn),
      dialects=("postgres",),
      aliases=("disallowed-unique-constraint", "E7", "PG105"),
      fix="CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
      fixable="safe")
def add_unique_constraint(op: o.AddConstraint | o.AddColumn, ctx: RuleContext
                          ) -> Iterator[Hit]:
    """ADD UNIQUE builds its index while blocking reads and writes.

    ## What it does
    Flags `ALTER TABLE … ADD [CONSTRAINT …] UNIQUE (…)`, and a column added with `UNIQUE`
    (`ADD COLUMN code text UNIQUE`), on a table that exists before the migration, unless it
    reuses an index (`USING INDEX`). Such a column whose default gives every existing row
    the same value (a constant, `now()`, Django's `default=uuid.uuid4`, which Django calls
    once for the whole table) is also an error: on a table of two rows or more the index
    fails on a duplicate key, and the migration with it.

    ## Why it matters
    The unique index is built under ACCESS EXCLUSIVE: the table is unavailable for the whole
    build. A default of one value makes the migration fail in production, where the table
    holds rows, after passing on an empty development database.

    ## When it does not fire
    With `USING INDEX`, and on tables created earlier in the same migration.

    ## Safe alternative
    Add the column without `UNIQUE` first (nullable, or with a default computed for each
    row such as `gen_random_uuid()`; in Django, null, then filled by `RunPython`), then:
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
    ```

    ## Example
    ```sql
    ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
    ```

    ## References
    - ALTER TABLE, ADD table_constraint_using_index: promotes an existing unique index to a
      constraint without rebuilding it, which lets the index be built with `CREATE INDEX
      CONCURRENTLY` first.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX

    ## With Alembic
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index("users_email_key", "users", ["email"], unique=True,
                            postgresql_concurrently=True)
        op.execute("ALTER TABLE users ADD CONSTRAINT users_email_key "
                   "UNIQUE USING INDEX users_email_key")
    ```
    """
    if ctx.is_new(op.table):
        return
    same = _one_value_for_every_row(op, ctx)
    for con, span in _added_constraints(op, "unique"):
        yield Hit(f"adding UNIQUE on `{op.table}` ({', '.join(con.columns)}) builds an index "
                  "under an ACCESS EXCLUSIVE lock", object=str(op.table),
                  lock=LockMode.ACCESS_EXCLUSIVE, facts={"scan": True}, span=span,
                  fix=_using_index_fix(op, ctx, "UNIQUE")
                  if isinstance(op, o.AddConstraint) else None)
        if same is not None:
            column, value = same
            yield Hit(f"every existing row of `{op.table}` gets the same `{column}` ({value}): "
                      "with two rows or more the unique index fails on a duplicate key, and "
                      "the migration with it", object=f"{op.table}.{column}",
                      severity=Severity.ERROR, span=span)


def _one_value_for_every_row(op: o.AddConstraint | o.AddColumn, ctx: RuleContext
                             ) -> tuple[str, str] | None:
    """The default an added column fills every existing row with, when it is one value for
    all of them: not NULL, and computed once (a constant, a stable function such as `now()`,
    Django's `default=uuid.uuid4`, which Django calls once for the whole table)."""
    if not isinstance(op, o.AddColumn):
        return None
    default = op.column.default
    if default is None or default.sql.strip().upper() == "NULL" or op.column.generated:
        return None
    if expression_volatility(default, ctx.catalog) == "v":
        return None  # computed for each row (gen_random_uuid(), nextval)
    if ctx.migration.source.layout == "django":
        return op.column.name, f"`{default.sql}`, evaluated once by Django"
    return op.column.name, f"its default `{default.sql}`"


def _added_constraints(op: o.AddConstraint | o.AddColumn, kind: str
                       ) -> list[tuple[o.ConstraintDef, Span | None]]:
    """The constraints of ``kind`` ("check", "unique", "primary") the operation makes the
    table check or index now: the one an ADD CONSTRAINT adds (located at the operation), or
    those written on a column that ADD COLUMN adds (located at their keyword); none that
    reuse an index (USING INDEX) or wait to be validated (NOT VALID)."""
    found: list[tuple[o.ConstraintDef, Span | None]]
    if isinstance(op, o.AddConstraint):
        found = [(op.constraint, None)]
    else:
        found = [(con, con.span) for con in op.constraints]
    return [(con, span) for con, span in found
            if con.kind == kind and not con.using_index and not con.not_valid]


def _using_index_fix(op: o.AddConstraint, ctx: RuleContext, kind: str) -> Fix | None:
    """The unique index built CONCURRENTLY in a statement of its own, then the constraint
    made from it. Offered for `ADD CONSTRAINT name UNIQUE|PRIMARY KEY (columns)` alone in
    its statement, with nothing more to it (INCLUDE, WITH, NULLS NOT DISTINCT, DEFERRABLE
    have no place in the index statement), where each statement commits on its own."""
    if op.constraint.name is None or op.clause is None or not adds_statements(ctx) or (
            not alone_in_statement(ctx)):
        return None
    text = statement_text(ctx)
    head = text.altered_table() if text is not None else None
    where = text.span_offsets(op.clause) if text is not None else None
    if text is None or head is None or where is None or text.tokens[2].name == "IF_P":
        return None
    toks = text.tokens
    at = next((i for i, t in enumerate(toks) if t.start == where[0]), None)
    words = kind.split()
    if at is None or [t.name for t in toks[at:at + 2]] != ["ADD_P", "CONSTRAINT"]:
        return None
    first = at + 3
    last = first + len(words) - 1
    if [t.name for t in toks[first:last + 1]] != words or last + 1 >= len(toks) or (
            toks[last + 1].name != "ASCII_40"):
        return None
    close = text.find("ASCII_41", last + 1)
    nested = text.find("ASCII_40", last + 2)
    if close is None or toks[close].end != where[1] or (nested is not None and nested < close):
        return None
    name = toks[at + 2].text
    columns = text.sql[toks[last + 1].end:toks[close].start]
    return Fix("Build the unique index CONCURRENTLY, then add the constraint USING INDEX", (
        text.insert(0, f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {head[1]} ({columns});\n"
                       f"{indent(text)}"),
        text.replace(toks[first].start, where[1],
                     f"{text.between(first, last)} USING INDEX {name}")))


@rule("add-primary-key", family="locking", severity="warning",
      ops=(o.AddConstraint, o.AddColumn),
      dialects=("postgres",),
      aliases=("adding-serial-primary-key-field", "PG104"),
      fix="CREATE UNIQUE INDEX CONCURRENTLY, then ADD PRIMARY KEY USING INDEX",
      fixable="safe")
def add_primary_key(op: o.AddConstraint | o.AddColumn, ctx: RuleContext) -> Iterator[Hit]:
    """ADD PRIMARY KEY builds an index (and may check NOT NULL) under ACCESS EXCLUSIVE.

    ## What it does
    Flags `ALTER TABLE … ADD PRIMARY KEY`, and a column added as the key (`ADD COLUMN id
    bigint PRIMARY KEY`), on a table that exists before the migration, unless it reuses an
    index built beforehand (`USING INDEX`). Such a column whose default gives every existing
    row the same value (a constant, `now()`, a default Django computes once) is also an
    error: on a table of two rows or more the key's index fails on a duplicate key.

    ## Why it matters
    The index build, and the NOT NULL check of the key columns, happen while the table is
    locked against reads and writes.

    ## When it does not fire
    With `USING INDEX`, and on tables created earlier in the same migration.

    ## Safe alternative
    A new key column is added without `PRIMARY KEY` and filled first; then:
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY items_pkey_idx ON items (id);
    ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_pkey_idx;
    ```
    (make the columns NOT NULL first with the CHECK-based recipe of `set-not-null`.)

    ## Example
    ```sql
    ALTER TABLE items ADD PRIMARY KEY (id);
    ```

    ## References
    - ALTER TABLE, ADD table_constraint_using_index: a unique index built beforehand becomes the
      primary key; if its columns are not yet NOT NULL, `ADD PRIMARY KEY` marks them so, which scans
      the table.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX

    ## With Alembic
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index("items_pkey_idx", "items", ["id"], unique=True,
                            postgresql_concurrently=True)
        op.execute("ALTER TABLE items ADD CONSTRAINT items_pkey "
                   "PRIMARY KEY USING INDEX items_pkey_idx")
    ```
    """
    keys = _added_constraints(op, "primary")
    if ctx.is_new(op.table) or not keys:
        return
    con, span = keys[0]
    if isinstance(op, o.AddColumn):
        yield Hit(f"adding `{op.column.name}` as the primary key of `{op.table}` builds "
                  "its index under an ACCESS EXCLUSIVE lock", object=str(op.table),
                  lock=LockMode.ACCESS_EXCLUSIVE, facts={"scan": True}, span=span)
        if (same := _one_value_for_every_row(op, ctx)) is not None:
            column, value = same
            yield Hit(f"every existing row of `{op.table}` gets the same `{column}` ({value}): "
                      "with two rows or more the primary key's index fails on a duplicate "
                      "key, and the migration with it", object=f"{op.table}.{column}",
                      severity=Severity.ERROR, span=span)
        return
    table = ctx.table(op.table)
    # USING INDEX would still mark nullable key columns NOT NULL, scanning the table.
    not_null = table is not None and all(
        (c := table.column(name)) is not None and c.not_null for name in con.columns)
    yield Hit(f"adding a primary key to `{op.table}` builds its index under an ACCESS "
              "EXCLUSIVE lock", object=str(op.table), lock=LockMode.ACCESS_EXCLUSIVE,
              facts={"scan": True},
              fix=_using_index_fix(op, ctx, "PRIMARY KEY") if not_null else None)


@rule("add-exclusion-constraint", family="locking", dialects=("postgres",), severity="warning",
      ops=(o.AddConstraint,), aliases=("E8",),
      fix="create the constraint with the table, or schedule downtime")
def add_exclusion_constraint(op: o.AddConstraint, ctx: RuleContext) -> Iterator[Hit]:
    """An exclusion constraint on an existing table: no online way exists.

    ## What it does
    Flags `ALTER TABLE … ADD CONSTRAINT … EXCLUDE …` on a table that exists before the
    migration.

    ## Why it matters
    The constraint's index is built and every row checked under ACCESS EXCLUSIVE, and unlike
    UNIQUE there is no `USING INDEX` or `NOT VALID` form to do it in steps.

    ## When it does not fire
    On tables created earlier in the same migration.

    ## Safe alternative
    Create the constraint together with the table, or plan a maintenance window.

    ## Example
    ```sql
    ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
    ```

    ## References
    - Exclusion Constraints: adding one creates its index.
      https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-EXCLUSION
    - ALTER TABLE, ADD table_constraint: `NOT VALID` is not accepted for exclusion constraints, and
      `USING INDEX` takes only a unique index.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT
    """
    if op.constraint.kind != "exclusion" or ctx.is_new(op.table):
        return
    yield Hit(f"adding an exclusion constraint to `{op.table}` locks it against reads and "
              "writes while every row is checked", object=str(op.table),
              lock=LockMode.ACCESS_EXCLUSIVE, facts={"scan": True})


@rule("detach-partition-non-concurrently", family="locking", severity="warning",
      dialects=("postgres",),
      ops=(o.DetachPartition,), aliases=("require-concurrent-partition-detach",),
      fix="DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction")
def detach_partition_non_concurrently(op: o.DetachPartition, ctx: RuleContext
                                      ) -> Iterator[Hit]:
    """DETACH PARTITION without CONCURRENTLY locks the whole partitioned table.

    ## What it does
    Flags `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` when the target PostgreSQL is
    14 or later (where the concurrent form exists).

    ## Why it matters
    The plain form takes ACCESS EXCLUSIVE on the parent: every query on any partition waits.

    ## When it does not fire
    With `CONCURRENTLY`; on PostgreSQL < 14 (`--pg-version`), which has no alternative; on
    tables created earlier in the same migration.

    ## Safe alternative
    ```sql
    ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;
    ```

    ## Example
    ```sql
    ALTER TABLE measurements DETACH PARTITION measurements_2020;
    ```

    ## References
    - ALTER TABLE, DETACH PARTITION: without `CONCURRENTLY` it takes ACCESS EXCLUSIVE on the parent
      table; `CONCURRENTLY` (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE and cannot run in a
      transaction block.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION

    ## With Alembic
    ```python
    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY")
    ```
    """
    if op.concurrently or ctx.settings.pg_version < 14 or ctx.is_new(op.table):
        return
    yield Hit(f"detaching `{op.partition}` from `{op.table}` without CONCURRENTLY locks the "
              "partitioned table against reads and writes", object=str(op.table),
              lock=LockMode.ACCESS_EXCLUSIVE)


@rule("full-table-rewrite", family="locking", severity="warning", ops=(o.TableRewrite,),
      dialects=("postgres",),
      aliases=("prefer-repack",), fix="use pg_repack / pg_squeeze, or a maintenance window")
def full_table_rewrite(op: o.TableRewrite, ctx: RuleContext) -> Iterator[Hit]:
    """VACUUM FULL, CLUSTER and SET TABLESPACE/LOGGED/UNLOGGED rewrite the whole table.

    ## What it does
    Flags statements that copy a whole table under ACCESS EXCLUSIVE: `VACUUM FULL`,
    `CLUSTER`, `ALTER TABLE … SET TABLESPACE`, `SET LOGGED`, `SET UNLOGGED`.

    ## Why it matters
    The table is unavailable for reads and writes for the whole copy.

    ## When it does not fire
    On tables created earlier in the same migration.

    ## Safe alternative
    Reclaim space online with `pg_repack` or `pg_squeeze`, outside migrations.

    ## Example
    ```sql
    VACUUM FULL events;
    ```

    ## References
    - VACUUM: `VACUUM FULL` rewrites the table and takes ACCESS EXCLUSIVE.
      https://www.postgresql.org/docs/current/sql-vacuum.html
    - CLUSTER: the table is rewritten under ACCESS EXCLUSIVE.
      https://www.postgresql.org/docs/current/sql-cluster.html
    - ALTER TABLE: `SET TABLESPACE` moves the table's files under ACCESS EXCLUSIVE, and `SET LOGGED`
      / `SET UNLOGGED` rewrite the table.
      https://www.postgresql.org/docs/current/sql-altertable.html
    """
    if op.table is not None and ctx.is_new(op.table):
        return
    target = f"`{op.table}`" if op.table else "every table"
    yield Hit(f"{op.reason} rewrites {target} under an ACCESS EXCLUSIVE lock",
              object=str(op.table or ""), lock=LockMode.ACCESS_EXCLUSIVE, facts={"rewrite": True})


@rule("refresh-matview-non-concurrently", family="locking", severity="warning",
      dialects=("postgres",),
      ops=(o.RefreshMaterializedView,),
      fix="REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index)")
def refresh_matview_non_concurrently(op: o.RefreshMaterializedView, ctx: RuleContext
                                     ) -> Iterator[Hit]:
    """REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view.

    ## What it does
    Flags `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` on a view that exists before the
    migration.

    ## Why it matters
    The refresh takes ACCESS EXCLUSIVE on the view for as long as its query runs: readers
    of the view wait.

    ## When it does not fire
    With `CONCURRENTLY`, and on a view created earlier in the same migration.

    ## Safe alternative
    Give the view a unique index and refresh it concurrently:
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY daily_totals_day ON daily_totals (day);
    REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;
    ```

    ## Example
    ```sql
    REFRESH MATERIALIZED VIEW daily_totals;
    ```

    ## References
    - REFRESH MATERIALIZED VIEW: without `CONCURRENTLY` the refresh locks out reads of the view;
      `CONCURRENTLY` needs a unique index on the view.
      https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html
    """
    if op.concurrently or ctx.is_new(op.name):
        return
    yield Hit(f"refreshing `{op.name}` without CONCURRENTLY blocks its readers until the "
              "query finishes", object=str(op.name), lock=LockMode.ACCESS_EXCLUSIVE)


def _blocking_target(op: o.Operation, ctx: RuleContext) -> QName | None:
    """The existing table a blocking lock is taken on, if the operation takes one: a lock
    that makes ordinary writes (and so also one that makes reads) wait."""
    lock = lock_for(op)
    if lock is None or not lock.blocks_writes:
        return None
    for table in tables_before(op, ctx.catalog):
        if not ctx.is_new(table):
            return table
    return None


def _unguarded_once(ctx: RuleContext, op: o.Operation, setting: str, rule_id: str
                    ) -> QName | None:
    """The locked table, for the first blocking operation of the script with no timeout in
    effect: one finding per script, at the place where the SET belongs."""
    # Once reported, the script is done with: asked first, as most statements come after.
    mark = (rule_id, ctx.script.script)
    if mark in ctx.state.reported:
        return None
    table = _blocking_target(op, ctx)
    if table is None or ctx.setting_on(setting):
        return None
    ctx.state.reported.add(mark)
    return table


_ALL_OPS: tuple[type[o.Operation], ...] = (
    o.CreateIndex, o.DropIndex, o.Reindex, o.AddConstraint, o.AddColumn, o.DropColumn,
    o.AlterColumnType, o.SetNotNull, o.DropNotNull, o.SetDefault, o.DropConstraint,
    o.RenameTable, o.RenameColumn, o.DropTable, o.Truncate, o.TableRewrite,
    o.RefreshMaterializedView, o.DetachPartition, o.AttachPartition, o.RenameConstraint,
    o.DropTrigger, o.CreateTrigger, o.ValidateConstraint, o.LockTable, o.RawSQL,
    o.CreateTable,
)


@rule("missing-lock-timeout", family="locking", severity="warning", ops=_ALL_OPS,
      dialects=("postgres",),
      aliases=("require-lock-timeout", "E9"),
      fix="SET lock_timeout = '2s' (or SET LOCAL inside the transaction) before it",
      fixable="safe")
def missing_lock_timeout(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """A blocking lock requested with no lock_timeout: one long query stalls everything.

    ## What it does
    Flags the first statement of a script that takes an ACCESS EXCLUSIVE, EXCLUSIVE, SHARE
    ROW EXCLUSIVE or SHARE lock on an existing table when no `SET lock_timeout` (or
    `SET LOCAL lock_timeout` in the same transaction) ran before it in the script.

    ## Why it matters
    A lock request waits behind any running query on the table — and every query that
    arrives after it and conflicts with it waits behind the request: every query, reads
    included, behind ACCESS EXCLUSIVE; every write behind SHARE (a plain CREATE INDEX),
    SHARE ROW EXCLUSIVE or EXCLUSIVE. A migration waiting on a long report blocks the
    application. A lock timeout makes the migration fail fast instead; retry it.

    ## When it does not fire
    When `lock_timeout` was set to a non-zero value earlier in the script (SET for the
    session, SET LOCAL for the same transaction) or, for Alembic, by a `SET` that `env.py`
    executes on the migrations' connection; for statements that take no blocking lock or
    only touch tables created in the same migration. It reports once per script.

    ## Safe alternative
    ```sql
    SET lock_timeout = '2s';
    ALTER TABLE users ADD COLUMN plan text;
    ```

    ## Example
    ```sql
    ALTER TABLE users ADD COLUMN plan text;
    ```

    ## References
    - lock_timeout: aborts a statement that waits longer than this for a lock.
      https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
    - Table-Level Locks: which statements conflict with which locks.
      https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES

    ## With Alembic
    Set it for every migration in `env.py`, on the connection the migrations run on:
    ```python
    with connectable.connect() as connection:
        connection.execute(sa.text("SET lock_timeout = '2s'"))
        context.configure(connection=connection, target_metadata=target_metadata)
    ```
    """
    table = _unguarded_once(ctx, op, "lock_timeout", "missing-lock-timeout")
    if table is not None:
        lock = lock_for(op)
        assert lock is not None  # a blocking operation takes one
        # A waiting request holds back the requests that conflict with it: reads too only
        # behind ACCESS EXCLUSIVE; behind SHARE (CREATE INDEX) and the like, only writes.
        # A foreign key ties two tables: adding or dropping one, or dropping a table that
        # holds one, locks both, and either may be the one it waits for.
        tables = list(dict.fromkeys(  # several indexes of one table name it once
            t for t in tables_before(op, ctx.catalog) if not ctx.is_new(t)))
        the = "the table" if len(tables) == 1 else "each of them"
        held_back = (f"every query on {the} queues behind it" if lock.blocks_reads
                     else f"every write to {the} queues behind it (reads go on)")
        yield Hit(f"{lock} lock on {_listed(tables)} with no lock_timeout set: if it waits, "
                  f"{held_back}", object=str(table), span=_lock_site(op, table),
                  lock=lock, fix=_lock_timeout_fix(ctx))


def _listed(tables: Sequence[QName], most: int = 5) -> str:
    """`a`; `a` and `b`; `a`, `b` and `c`; past ``most`` names, `a`, …, `e` and 3 more."""
    names = [f"`{t}`" for t in tables]
    if len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more tables"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _lock_site(op: o.Operation, table: QName) -> Span | None:
    """Where a statement asks for its lock on `table`, when not at the operation's own
    clause: a new table's foreign key that references it."""
    if isinstance(op, o.CreateTable):
        return next((con.span for con in op.constraints
                     if con.kind == "foreign" and con.ref_table == table), None)
    return None


# The statements whose CONCURRENTLY form needs a file of their own in golang-migrate, Prisma
# and popx: a SET before them would make the file one transaction.
_CONCURRENT_KINDS = (o.CreateIndex, o.DropIndex, o.Reindex, o.DetachPartition)


def _lock_timeout_fix(ctx: RuleContext) -> Fix | None:
    """`SET lock_timeout` before the script's first statement, unless that would put a
    statement that must run outside a transaction into one: a lone statement of a file sent
    as one query, or a Flyway migration Flyway runs without a transaction."""
    script = ctx.script
    if script.script.path.endswith(".py"):
        return lock_timeout_fix(ctx)
    mode = declared_mode(ctx)
    statements = script.statements
    # Flyway refuses a migration mixing a SET with a statement it runs outside a
    # transaction, which an index statement here becomes once its own fix makes it
    # CONCURRENTLY.
    if mode == "detected" and any(flyway_runs_outside(st.ops) or any(
            isinstance(x, _CONCURRENT_KINDS) for x in st.ops) for st in statements):
        return None
    if mode == "implicit" and len(statements) == 1 and any(
            isinstance(x, _CONCURRENT_KINDS) for x in statements[0].ops):
        return None
    text = statement_text(ctx, statements[0])
    if text is None:
        return None
    value = quote_literal(ctx.settings.lock_timeout)
    return Fix(f"Set lock_timeout to {value} first",
               (text.insert(0, f"SET lock_timeout = {value};\n{indent(text)}"),))


@rule("missing-statement-timeout", family="locking", severity="warning", ops=_ALL_OPS,
      dialects=("postgres",),
      aliases=("require-statement-timeout",), enabled=False,
      fix="SET statement_timeout = '5min' before it")
def missing_statement_timeout(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """A blocking lock held by a statement with no statement_timeout (off by default).

    ## What it does
    Like `missing-lock-timeout`, for `statement_timeout`: flags the first statement of a
    script that takes a blocking lock on an existing table when no `SET statement_timeout`
    ran before it.

    ## Why it matters
    A statement that holds ACCESS EXCLUSIVE and runs longer than planned (a rewrite, a scan
    of a table bigger than expected) keeps the table unavailable until it ends. A statement
    timeout bounds the damage.

    ## When it does not fire
    As for `missing-lock-timeout`. Off by default: enable it with `--select`.

    ## Safe alternative
    ```sql
    SET statement_timeout = '5min';
    ```

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN id TYPE bigint;
    ```

    ## References
    - statement_timeout: aborts a statement that runs longer than this.
      https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
    """
    table = _unguarded_once(ctx, op, "statement_timeout", "missing-statement-timeout")
    if table is not None:
        yield Hit(f"{lock_for(op)} lock on `{table}` with no statement_timeout set",
                  object=str(table), lock=lock_for(op), span=_lock_site(op, table))


# Work that takes time while a lock is held: it scans, rewrites, builds or changes rows.
# Everything else (renames, defaults, nullable columns, drops, new empty tables) only
# changes the catalog and finishes at once.
_SLOW = (o.CreateIndex, o.ValidateConstraint, o.SetNotNull, o.AlterColumnType,
         o.UpdateRows, o.DeleteRows, o.InsertRows, o.TableRewrite,
         o.RefreshMaterializedView, o.Reindex, o.AddConstraint)


@rule("lock-held-too-long", family="locking", severity="warning", ops=_ALL_OPS,
      dialects=("postgres",),
      aliases=("E4",), fix="move the slow statements to their own transaction (migration)")
def lock_held_too_long(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """ACCESS EXCLUSIVE held while more slow work runs in the same transaction.

    ## What it does
    Flags a transaction (explicit, or the migration tool's) in which a statement takes ACCESS
    EXCLUSIVE on an existing table and a later statement does slow work: builds an index,
    scans or rewrites a table, or changes data (a `DO` block, unless all it may run was
    read and none of it is slow work, as a rename under `IF NOT EXISTS (SELECT … FROM
    information_schema.columns …)`; Django's `RunPython` and the ORM work of an Alembic
    migration's `Session(bind=op.get_bind())`, which run in the migration's transaction).
    One finding per transaction, at its first such lock, naming every slow statement that
    follows and the tables held through it: those held through all of them, or, where a
    table is dropped and others locked between them, the tables held through each run of
    them in turn; a table locked between the slow statements is named as locked on the way.
    A Django operation is as many statements as its
    schema editor sends (an `AlterField` of a foreign key: DROP CONSTRAINT, then SET NOT
    NULL, then ADD CONSTRAINT, which reads every row under the first one's lock); the
    actions of one SQL `ALTER TABLE` are one statement.

    ## Why it matters
    Locks are held until the transaction ends. The table stays unavailable for the whole
    duration of everything that follows, not just the statement that needed the lock.

    ## When it does not fire
    Outside transactions; when everything after the lock is catalog-only (adding a column
    without a volatile default, renames, defaults, drops, new tables, a binary-coercible
    type change such as `varchar(64)` to `varchar(200)`, `SET NOT NULL` of a column the
    history made NOT NULL already, `CREATE INDEX IF NOT EXISTS` of a name the schema
    holds), whatever table it touches; when the locked table is dropped before the slow
    work starts (the lock then keeps only readers waiting for an error); when
    the slow work is on tables created in the same migration (a Django `CreateModel`'s own
    indexes and foreign keys included; a foreign key is validated by reading its own table,
    so one added to a new table is not slow whatever table it references); when the lock
    is a `DROP TABLE`'s on the table it drops (the table is gone; `drop-table` speaks for
    it: the tables its foreign keys tie it to stay locked, and count); when the slow
    statement itself takes ACCESS EXCLUSIVE on every table already locked (the lock held
    since `DROP DEFAULT` blocks nobody for longer while the type change rewrites the table).
    A second lock in the same transaction is not a second finding: the first one lists it.

    ## Safe alternative
    Split the migration: the statement that takes ACCESS EXCLUSIVE in its own short
    transaction, the slow work in another.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE users ADD COLUMN plan text;
    UPDATE users SET plan = 'free';  -- users stays locked during the update
    COMMIT;
    ```

    ## References
    - Table-Level Locks: once acquired, a lock is normally held until the end of the transaction.
      https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES

    ## With Alembic
    Alembic runs every pending migration in one transaction unless `env.py` passes
    `transaction_per_migration=True` to `context.configure`: without it, splitting the
    migration in two does not release the lock.
    """
    block = ctx.statement.block
    if block is None or not _live_locks(op, ctx):
        return
    mark = (f"lock-held-too-long:{block}", ctx.script.script)
    if mark in ctx.state.reported:
        return
    held: list[QName] = []
    # Each slow statement, with the tables held while it runs.
    slow: dict[str, tuple[QName, ...]] = {}
    created: set[QName] = set()  # tables the transaction creates later: they hold no data
    for i, (st, ops) in enumerate(_sent_from(op, ctx, block)):
        # A statement's own new table holds no data for the rest of it to work through
        # (Django's CreateModel: the table, then its indexes and foreign keys).
        created.update(x.table for x in ops if isinstance(x, o.CreateTable))
        if (i > 0 and any(_slow_after(x, ctx, created, st.index) for x in ops)
                and set(held) - _own_exclusive(ops, ctx)):
            rest = "the rest of " if st is ctx.statement else ""  # a Django operation's
            entry = f"{rest}line {ops[0].span.line} (`{_head(st.sql)}`)"
            # An unrolled loop's call is named once, under what each of its passes holds.
            slow[entry] = tuple(dict.fromkeys((*slow.get(entry, ()), *held)))
        for x in ops:
            if isinstance(x, o.RenameTable) and x.if_exists and ctx.table(x.table) is None:
                continue  # of a table the history does not hold: it may well rename nothing
            held += [t for t in _live_locks(x, ctx) if t not in held and t not in created]
            if isinstance(x, o.DropTable):
                # Gone: its lock keeps only readers waiting for an error from here on.
                held = [t for t in held if t not in x.tables]
    # One scan per transaction: statements after a later lock are a subset of these.
    ctx.state.reported.add(mark)
    if not slow:
        return
    # Each table named is held while each statement named with it runs: the slow
    # statements are said together under the tables held through all of them, and where
    # none is (a table dropped, others locked since), a new group starts (Mealie's
    # d7c6efd2de42: `users_to_favorites` while line 186 runs, `recipes` and `users` while
    # line 194 does). A table locked after the first is not named: the claim stays short.
    groups: list[tuple[tuple[QName, ...], list[str]]] = []
    for entry, tables in slow.items():
        common = tuple(t for t in groups[-1][0] if t in tables) if groups else ()
        if common:
            groups[-1][1].append(entry)
            groups[-1] = (common, groups[-1][1])
        else:
            groups.append((tables, [entry]))

    def said(tables: tuple[QName, ...], entries: list[str]) -> tuple[str, str]:
        return (", ".join(f"`{t}`" for t in tables),
                f"{', '.join(entries)} {'runs' if len(entries) == 1 else 'run'}")

    if len(groups) == 1:
        names, runs = said(*groups[0])
        message = f"ACCESS EXCLUSIVE on {names} stays held while {runs} in the same transaction"
    else:
        message = "ACCESS EXCLUSIVE stays held " + "; ".join(
            "on {} while {}".format(*said(*group)) for group in groups) + \
            " in the same transaction"
    locked = list(dict.fromkeys(t for tables, _ in groups for t in tables))
    later = [t for t in next(reversed(slow.values())) if t not in locked]
    if later:  # locked between the slow statements, and held with the rest to the end
        message += (f"; {', '.join(f'`{t}`' for t in later)} "
                    f"{'is' if len(later) == 1 else 'are'} locked on the way and held too")
    yield Hit(message,
              object=", ".join(str(t) for t in locked),
              lock=LockMode.ACCESS_EXCLUSIVE, facts={"tables": [str(t) for t in locked]})


def _sent_from(op: o.Operation, ctx: RuleContext, block: int
               ) -> Iterator[tuple[ParsedStatement, tuple[o.Operation, ...]]]:
    """What the database runs in the transaction `block` from the statement of ``op`` on,
    statement by statement, with their operations: one SQL statement's together, but each
    of a Django operation's alone (`ParsedStatement.separate_ops`: an AlterField's DROP
    CONSTRAINT, then SET NOT NULL, then ADD CONSTRAINT), from ``op``'s own."""
    for st in ctx.script.statements[ctx.statement.index:]:
        if st.block != block:
            return
        if not st.separate_ops:
            yield st, st.ops
            continue
        start = next((i for i, x in enumerate(st.ops) if x is op), 0) \
            if st is ctx.statement else 0
        for x in st.ops[start:]:
            yield st, (x,)


def _live_locks(op: o.Operation, ctx: RuleContext) -> list[QName]:
    """The existing tables that outlive the statement and that it locks ACCESS EXCLUSIVE: a
    dropped table's lock keeps only its last readers waiting for an error (`drop-table` is
    the finding for that), but the tables its foreign keys tie it to stay locked too."""
    if lock_for(op) != LockMode.ACCESS_EXCLUSIVE:
        return []
    if isinstance(op, o.DropTable):
        return [t for t in tables_before(op, ctx.catalog)[len(op.tables):]
                if not ctx.is_new(t)]
    if isinstance(op, o.DropConstraint):
        # A foreign key's triggers go from both of its tables (PostgreSQL 15's pg_locks:
        # ACCESS EXCLUSIVE on the referenced table too).
        return [t for t in tables_before(op, ctx.catalog) if not ctx.is_new(t)]
    table = _blocking_target(op, ctx)
    return [table] if table is not None else []


def _own_exclusive(ops: Sequence[o.Operation], ctx: RuleContext) -> set[QName]:
    """The tables a statement locks ACCESS EXCLUSIVE itself: holding them from earlier in the
    transaction blocks nobody for longer while it runs (a rewrite after a DROP DEFAULT)."""
    return {t for x in ops if lock_for(x) == LockMode.ACCESS_EXCLUSIVE
            for t in [_blocking_target(x, ctx)] if t is not None}


def _head(sql: str, width: int = 60) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def _slow_after(op: o.Operation, ctx: RuleContext, created: set[QName], at: int) -> bool:
    """Whether the operation, of the script's statement at ``at``, does slow work on a table
    that holds data (not one of those the migration created, before or since the statement
    the context is at)."""
    if isinstance(op, o.RawSQL):
        # A procedural block can do anything, unless all it may run was read (a rename
        # under `IF NOT EXISTS (…catalog…)`); a data migration's Python (Django's RunPython,
        # an Alembic migration's ORM Session) reads and writes rows, inside the migration's
        # transaction.
        if op.statement_kind == "DoStmt" and op.branches is not None:
            return any(_slow_after(x, ctx, created, at) for x in op.branches)
        return op.statement_kind in ("DoStmt", o.DATA_MIGRATION, o.ORM_SESSION)
    if not isinstance(op, _SLOW):
        return isinstance(op, o.AddColumn) and _volatile_default(op, ctx)
    if isinstance(op, o.AddConstraint) and op.constraint.not_valid:
        return False
    if isinstance(op, o.CreateIndex) and (op.concurrently or _builds_nothing(op, ctx, at)):
        return False
    if isinstance(op, o.SetNotNull) and _already_not_null(op, ctx) and not _touched_before(
            op.table, ctx, at):
        return False
    if isinstance(op, o.AlterColumnType) and _coercible(op, ctx) and not (
            _collation_rebuilds(op, ctx) and not ctx.is_new(op.table)):
        return False  # the catalog changes, no row is read
    return not all(ctx.is_new(t) or t in created for t in _scanned(op, ctx, at))


def _scanned(op: o.Operation, ctx: RuleContext, at: int) -> tuple[QName, ...]:
    """The tables whose rows the operation reads. Validating a foreign key joins its own
    table's rows to the referenced table's key index: on an empty table it reads none of
    either (measured on PostgreSQL 15: 6 ms against a referenced table of 3 million rows).
    A table the script filled from other tables' rows (`CREATE TABLE … AS`, `INSERT …
    SELECT`) before the statement at ``at`` is new but not empty: each of its rows is looked
    up in the referenced one."""
    if isinstance(op, o.AddConstraint) and op.constraint.kind == "foreign" \
            and ctx.per_script(_filled).get(op.table, at) >= at:
        return (op.table,)
    return tuple(op_tables(op, ctx.catalog))


def _filled(script: ParsedScript) -> dict[QName, int]:
    """The tables the script fills with rows read from other tables, each with the first
    statement that does."""
    found: dict[QName, int] = {}
    for st in script.statements:
        for op in st.ops:
            if isinstance(op, o.CreateTable | o.InsertRows) and op.sources:
                found.setdefault(op.table, st.index)
    return found


def _touched_before(table: QName, ctx: RuleContext, at: int) -> bool:
    """Whether a statement of the script from the context's up to the one at ``at`` acts on
    the table: the catalog, read before the context's statement, may no longer hold for it."""
    indexes = ctx.per_script(_statements_on).get(table, [])
    first = bisect.bisect_left(indexes, ctx.statement.index)
    return first < len(indexes) and indexes[first] < at


def _statements_on(script: ParsedScript) -> dict[QName, list[int]]:
    """For each table, the statements of the script that name it, in order (an index's
    table is left out: dropping or renaming an index changes no column)."""
    found: dict[QName, list[int]] = {}
    empty = Catalog()  # no index is known: an index's table is left out
    for st in script.statements:
        for table in {t for x in st.ops for t in op_tables(x, empty)}:
            found.setdefault(table, []).append(st.index)
    return found


def _coercible(op: o.AlterColumnType, ctx: RuleContext) -> bool:
    """A binary-coercible type change (`varchar(64)` to `varchar(200)` or `text`): neither
    the table nor its indexes are rewritten."""
    old = ctx.type_before(op)
    return old is not None and classify_change(old, op.new_type,
                                               op.using is not None).rewrite is False


def _volatile_default(op: o.AddColumn, ctx: RuleContext) -> bool:
    default = op.column.default
    return default is not None and expression_volatility(default, ctx.catalog) == "v"
