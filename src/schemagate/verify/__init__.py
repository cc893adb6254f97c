"""Apply migrations up, down and up again on a scratch PostgreSQL; trace and check them.

`run_verify(paths, settings, scratch=None, seed=None)` is `schemagate verify` as a library
call: it loads the migrations under `paths` (VerifyError when any cannot be parsed) and
verifies them; `verify(migrations, scratch=None, seed=None)` does the same for migrations
already parsed. Both return a `VerifyResult`: per migration and
statement the time, locks, rewrites and what was created or validated; whether the schema
came back after down; with a seed, whether every row survived; and the gate's `Checklist`.
"""

from schemagate.verify.errors import VerifyError
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
from schemagate.verify.run import VerifyResult, run_verify, verify
from schemagate.verify.scripts import Executable, NotRunnable

__all__ = [
    "BackupRun", "Checklist", "DataCheck", "Executable", "GateItem", "LockTaken",
    "MigrationResult", "NotRunnable", "Rewrite", "ScriptResult", "StatementResult",
    "VerifyError", "VerifyResult", "checklist", "run_verify", "verify",
]
