"""The lock each operation takes on its table, as PostgreSQL documents it (explicit locking,
and the ALTER TABLE, CREATE INDEX and REINDEX pages).

Reports show it; locking rules name it in their findings; `verify` checks it against
`pg_locks`.
"""

from __future__ import annotations

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog
from schemagate.model.names import QName

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"


def lock_for(op: o.Operation) -> str | None:
    """The strongest table-level lock the operation takes, or None when it takes none."""
    match op:
        case o.CreateIndex(concurrently=True) | o.DropIndex(concurrently=True):
            return SHARE_UPDATE_EXCLUSIVE
        case o.CreateIndex():
            return SHARE
        case o.Reindex(concurrently=True):
            return SHARE_UPDATE_EXCLUSIVE
        case o.Reindex():
            return ACCESS_EXCLUSIVE
        case o.AddConstraint(constraint=o.ConstraintDef(kind="foreign")):
            return SHARE_ROW_EXCLUSIVE
        case o.ValidateConstraint():
            return SHARE_UPDATE_EXCLUSIVE
        case o.DetachPartition(concurrently=True):
            return SHARE_UPDATE_EXCLUSIVE
        case o.RefreshMaterializedView(concurrently=True):
            return "EXCLUSIVE"
        case o.DeleteRows() | o.UpdateRows() | o.InsertRows():
            return ROW_EXCLUSIVE
        case o.CreateTrigger():
            return SHARE_ROW_EXCLUSIVE
        case (o.AddColumn() | o.DropColumn() | o.AlterColumnType() | o.SetNotNull()
              | o.DropNotNull() | o.SetDefault() | o.AddConstraint() | o.DropConstraint()
              | o.RenameTable() | o.RenameColumn() | o.DropTable() | o.Truncate()
              | o.TableRewrite() | o.DropIndex() | o.RefreshMaterializedView()
              | o.DetachPartition() | o.AttachPartition() | o.RenameConstraint()
              | o.DropTrigger()):
            return ACCESS_EXCLUSIVE
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
