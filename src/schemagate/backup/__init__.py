"""Backup and restore scripts for the data that migrations destroy.

`run_backup` is `schemagate backup` as a library call (`backup` for migrations already
parsed, `report_section` for the impact report). Underneath, `plan_backup` folds the
migrations and finds what each destructive statement would lose; `read_facts`/`with_facts`
complete the plan from a live database (read-only); `render_scripts` writes `backup.sql`
and `restore.sql`.
"""

from schemagate.backup.live import LiveFacts, TableStats, read_facts, tables_to_read, with_facts
from schemagate.backup.plan import BackupPlan, Note, Reason, Save, TableShape, plan_backup
from schemagate.backup.render import Scripts, backup_table, render_scripts
from schemagate.backup.run import (
    Backup,
    BackupError,
    Section,
    backup,
    first_pending,
    load_strictly,
    report_section,
    run_backup,
    start_index,
)

__all__ = [
    "Backup", "BackupError", "BackupPlan", "LiveFacts", "Note", "Reason", "Save", "Scripts",
    "Section", "TableShape", "TableStats", "backup", "backup_table", "first_pending",
    "load_strictly",
    "plan_backup", "read_facts", "render_scripts", "report_section", "run_backup",
    "start_index", "tables_to_read", "with_facts",
]
