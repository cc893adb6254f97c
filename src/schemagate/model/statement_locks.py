"""Which table lock each operation takes, as PostgreSQL documents it: the manual's "Explicit
Locking" page, and the notes on the ALTER TABLE, CREATE INDEX and REINDEX pages.

Lint's locking rules name the lock in their findings, the reports show it, and `verify`
compares it with what `pg_locks` says.
"""

from __future__ import annotations

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.locks import LockMode
from schemagate.model.names import QName

_M = LockMode


def lock_for(op: o.Operation) -> LockMode | None:
    """The strongest table-level lock the operation takes, or None when it takes none."""
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
        case (o.AddColumn() | o.DropColumn() | o.AlterColumnType() | o.SetNotNull()
              | o.DropNotNull() | o.SetDefault() | o.AddConstraint() | o.DropConstraint()
              | o.RenameTable() | o.RenameColumn() | o.DropTable() | o.Truncate()
              | o.TableRewrite() | o.DropIndex() | o.RefreshMaterializedView()
              | o.DetachPartition() | o.AttachPartition() | o.RenameConstraint()
              | o.DropTrigger()):
            return _M.ACCESS_EXCLUSIVE
    return None


def op_tables(op: o.Operation, catalog: Catalog) -> list[QName]:
    """The tables an operation locks or changes (an index's table, a view's name)."""
    match op:
        case o.DropIndex(names=names):
            return [catalog.indexes[n].table for n in names if n in catalog.indexes]
        case o.RenameIndex(name=name):
            return [catalog.indexes[name].table] if name in catalog.indexes else []
        case o.DropTable(tables=tables) | o.Truncate(tables=tables):
            return list(tables)
        case o.RefreshMaterializedView(name=name):
            return [name]
        case o.AddConstraint(table=table, constraint=con) if con.ref_table is not None:
            return [table, con.ref_table]
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
