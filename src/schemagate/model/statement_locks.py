"""Which table lock each operation takes, as PostgreSQL documents it: the manual's "Explicit
Locking" page, and the notes on the ALTER TABLE, CREATE INDEX, REINDEX, CREATE/ALTER/DROP
POLICY and LOCK pages.

Lint's locking rules name the lock in their findings, the reports show it, and `verify`
compares it with what `pg_locks` says; tests/model/test_statement_locks.py runs every kind
of statement in this table on a real PostgreSQL and checks the mode it was granted.
ALTER TABLE takes ACCESS EXCLUSIVE unless its page says otherwise for the sub-command, so an
unmodelled sub-command (RawSQL `AlterTableStmt/AT_…`) is given that mode unless listed.
"""

from __future__ import annotations

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, index_key
from schemagate.model.locks import LockMode
from schemagate.model.names import QName

_M = LockMode

# Unmodelled statements (RawSQL, by the parser's statement kind) that lock the tables they
# name. ALTER TABLE sub-commands not listed take ACCESS EXCLUSIVE.
RAW_LOCKS: dict[str, LockMode] = {
    # "SHARE ROW EXCLUSIVE": enabling or disabling triggers (ALTER TABLE's notes).
    **{f"AlterTableStmt/{sub}": _M.SHARE_ROW_EXCLUSIVE for sub in (
        "AT_EnableTrig", "AT_DisableTrig", "AT_EnableTrigAll", "AT_DisableTrigAll",
        "AT_EnableTrigUser", "AT_DisableTrigUser", "AT_EnableAlwaysTrig",
        "AT_EnableReplicaTrig")},
    # "SHARE UPDATE EXCLUSIVE": statistics, per-attribute options, clustering marks, and the
    # storage parameters in common use (fillfactor, autovacuum_*, parallel_workers; a few
    # rare ones, such as user_catalog_table, take ACCESS EXCLUSIVE).
    **{f"AlterTableStmt/{sub}": _M.SHARE_UPDATE_EXCLUSIVE for sub in (
        "AT_SetStatistics", "AT_SetOptions", "AT_ResetOptions", "AT_ClusterOn",
        "AT_DropCluster", "AT_SetRelOptions", "AT_ResetRelOptions")},
    # CREATE, ALTER and DROP POLICY take ACCESS EXCLUSIVE on the policy's table.
    "CreatePolicyStmt": _M.ACCESS_EXCLUSIVE,
    "AlterPolicyStmt": _M.ACCESS_EXCLUSIVE,
    "DropStmt": _M.ACCESS_EXCLUSIVE,  # DROP POLICY: the one unmodelled DROP that names a table
}
_ALTER_TABLE = "AlterTableStmt/"


# The operation types whose lock depends on more than their type (a CONCURRENTLY, a
# constraint's kind, a raw statement's kind): `lock_for` asks `_lock_of` each time. For
# every other type the answer is the type's, kept in `_BY_TYPE` once worked out: the
# locking rules ask for each operation several times, and the match below tries its
# cases one by one.
_BY_FIELDS: tuple[type[o.Operation], ...] = (
    o.CreateIndex, o.DropIndex, o.Reindex, o.AddConstraint, o.DetachPartition,
    o.RefreshMaterializedView, o.LockTable, o.RawSQL, o.CreateTable)
_BY_TYPE: dict[type, LockMode | None] = {}


def lock_for(op: o.Operation) -> LockMode | None:
    """The strongest table-level lock the operation takes, or None when it takes none."""
    kind = type(op)
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    lock = _lock_of(op)
    if not issubclass(kind, _BY_FIELDS):
        _BY_TYPE[kind] = lock
    return lock


def _lock_of(op: o.Operation) -> LockMode | None:
    match op:
        case o.CreateIndex(concurrently=True) | o.DropIndex(concurrently=True):
            return _M.SHARE_UPDATE_EXCLUSIVE
        case o.CreateIndex():
            return _M.SHARE
        case o.Reindex(concurrently=True):
            return _M.SHARE_UPDATE_EXCLUSIVE
        case o.Reindex():
            return _M.ACCESS_EXCLUSIVE
        case o.AddConstraint(constraint=o.ConstraintDef(kind="foreign")):
            return _M.SHARE_ROW_EXCLUSIVE
        case o.CreateTable() if _referenced(op):
            # The new table's foreign keys lock the tables they reference, as ADD CONSTRAINT
            # does; the new table itself no other session can see yet.
            return _M.SHARE_ROW_EXCLUSIVE
        case o.ValidateConstraint():
            return _M.SHARE_UPDATE_EXCLUSIVE
        case o.DetachPartition(concurrently=True):
            return _M.SHARE_UPDATE_EXCLUSIVE
        case o.RefreshMaterializedView(concurrently=True):
            return _M.EXCLUSIVE
        case o.DeleteRows() | o.UpdateRows() | o.InsertRows():
            return _M.ROW_EXCLUSIVE
        case o.CreateTrigger():
            return _M.SHARE_ROW_EXCLUSIVE
        case o.LockTable(mode=mode):
            return mode
        case o.RawSQL(statement_kind=kind, tables=tables) if tables:
            if kind in RAW_LOCKS:
                return RAW_LOCKS[kind]
            return _M.ACCESS_EXCLUSIVE if kind.startswith(_ALTER_TABLE) else None
        case (o.AddColumn() | o.DropColumn() | o.AlterColumnType() | o.SetNotNull()
              | o.DropNotNull() | o.SetDefault() | o.AddConstraint() | o.DropConstraint()
              | o.RenameTable() | o.RenameColumn() | o.DropTable() | o.Truncate()
              | o.TableRewrite() | o.DropIndex() | o.RefreshMaterializedView()
              | o.DetachPartition() | o.AttachPartition() | o.RenameConstraint()
              | o.DropTrigger() | o.RenameTrigger()):
            return _M.ACCESS_EXCLUSIVE
    return None


def op_tables(op: o.Operation, catalog: Catalog) -> list[QName]:
    """The tables an operation locks or changes (an index's table, a view's name)."""
    match op:
        case o.DropIndex(names=names, table=table):
            keys = [index_key(n, table) for n in names]
            return [catalog.indexes[k].table for k in keys if k in catalog.indexes]
        case o.RenameIndex(name=name):
            return [catalog.indexes[name].table] if name in catalog.indexes else []
        case o.DropTable(tables=tables, cascade=cascade):
            return _with_related(list(tables), catalog, cascade)
        case o.DropConstraint(table=table, name=name):
            found = catalog.tables.get(table)
            con = found.constraint(name) if found is not None else None
            if con is not None and con.kind == "foreign" and con.ref_table is not None \
                    and con.ref_table != table:
                return [table, con.ref_table]  # its triggers on both tables go
            return [table]
        case (o.Truncate(tables=tables) | o.LockTable(tables=tables)
              | o.RawSQL(tables=tables)):
            return list(tables)
        case o.RefreshMaterializedView(name=name):
            return [name]
        case o.AddConstraint(table=table, constraint=con) if con.ref_table is not None:
            return [table, con.ref_table]
        case o.CreateTable(table=table):
            return [table, *_referenced(op)]
        case o.TableRewrite(table=table):
            return [table] if table is not None else []
        case o.Reindex(target="table", name=name):
            schema, _, rel = name.rpartition(".")
            return [QName.of(rel, schema or None)]
        case o.Reindex(target="index", name=name):
            schema, _, rel = name.rpartition(".")
            ix = catalog.indexes.get(QName.of(rel, schema or None))
            return [ix.table] if ix else []
    table = getattr(op, "table", None)
    return [table] if isinstance(table, QName) else []


def tables_before(op: o.Operation, catalog: Catalog) -> list[QName]:
    """The tables an operation locks or changes that exist before it runs: `op_tables`
    without the table a CREATE TABLE makes (its foreign keys' tables stay)."""
    tables = op_tables(op, catalog)
    return tables[1:] if isinstance(op, o.CreateTable) else tables


def _with_related(tables: list[QName], catalog: Catalog, cascade: bool) -> list[QName]:
    """The tables a DROP TABLE locks: the dropped ones, then those their foreign keys
    reference, and with CASCADE those whose foreign keys reference them. Each foreign key
    has triggers on both of its tables, which go with it under ACCESS EXCLUSIVE on both
    (PostgreSQL 15's pg_locks: `DROP TABLE child` locks its parent so)."""
    out = list(tables)
    for name in tables:
        found = catalog.tables.get(name)
        for con in found.constraints if found is not None else ():
            if con.kind == "foreign" and con.ref_table is not None and con.ref_table not in out:
                out.append(con.ref_table)
    if cascade:
        # Found through the store's map of references, and listed in the store's order.
        referencing = {name for t in tables for name in catalog.tables.referencing(t)}
        out += [name for name in catalog.tables if name in referencing and name not in out]
    return out


def _referenced(op: o.CreateTable) -> list[QName]:
    """The other tables a new table's foreign keys reference, each once."""
    return list(dict.fromkeys(
        con.ref_table for con in op.constraints
        if con.kind == "foreign" and con.ref_table is not None and con.ref_table != op.table))
