"""Apply migrations up, down and up again on a scratch PostgreSQL; trace and check them.

`verify(migrations, scratch=None, seed=None)` returns a `VerifyResult`: per migration and
statement the time, locks, rewrites and what was created or validated; whether the schema
came back after down; with a seed, whether every row survived; and the gate's `Checklist`.
"""

from schemagate.verify.gate import Checklist, GateItem, checklist
from schemagate.verify.results import (
    BackupRun,
    DataCheck,
    LockTaken,
    MigrationResult,
    Rewrite,
    ScriptResult,
    StatementResult,
)
from schemagate.verify.run import VerifyResult, verify
from schemagate.verify.scripts import Executable, NotRunnable

__all__ = [
    "BackupRun", "Checklist", "DataCheck", "Executable", "GateItem", "LockTaken",
    "MigrationResult", "NotRunnable", "Rewrite", "ScriptResult", "StatementResult",
    "VerifyResult", "checklist", "verify",
]
