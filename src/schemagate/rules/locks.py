"""The lock each operation takes on its table, as PostgreSQL documents it (explicit locking,
and the ALTER TABLE, CREATE INDEX and REINDEX pages).

Reports show it; locking rules name it in their findings; `verify` checks it against
`pg_locks`.
"""

from __future__ import annotations

from schemagate.model import ops as o

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
