"""Backup and restore scripts for the data that migrations destroy.

`plan_backup` folds the migrations and finds what each destructive statement would lose;
`read_facts`/`with_facts` complete the plan from a live database (read-only);
`render_scripts` writes `backup.sql` and `restore.sql`.
"""

from schemagate.backup.live import LiveFacts, TableStats, read_facts, tables_to_read, with_facts
from schemagate.backup.plan import BackupPlan, Note, Reason, Save, TableShape, plan_backup
from schemagate.backup.render import Scripts, backup_table, render_scripts

__all__ = [
    "BackupPlan", "LiveFacts", "Note", "Reason", "Save", "Scripts", "TableShape", "TableStats",
    "backup_table", "plan_backup", "read_facts", "render_scripts", "tables_to_read",
    "with_facts",
]
