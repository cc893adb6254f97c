"""What a lint run found: `LintResult`, in a module of its own so that a run served from the
result cache (lint/resultcache.py), and the reports, need not import the engine and its
rules to read one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemagate.model.findings import Finding, InputError, Notice, Severity

if TYPE_CHECKING:
    from schemagate.model.catalog import Catalog


@dataclass
class LintResult:
    """What a lint run found, read and counted, for the reports."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: int = 0
    migrations: int = 0
    statements: int = 0
    catalogs: dict[str, Catalog] = field(default_factory=dict)  # history folder → schema
    # With a baseline (lint/baseline.py): how many findings it hid; None without one.
    baseline_hidden: int | None = None

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by is None]

    def counts(self) -> dict[str, int]:
        c = Counter(str(f.severity) for f in self.active)
        return {"error": c["error"], "warning": c["warning"], "info": c["info"]}

    def exit_code(self, fail_on: Severity | None) -> int:
        if self.errors:
            return 2
        if fail_on is not None and any(f.severity >= fail_on for f in self.active):
            return 1
        return 0
