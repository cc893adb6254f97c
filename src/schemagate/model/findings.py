"""What the tool says: findings from rules, and input errors that stopped a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from schemagate.model.fixes import Fix
from schemagate.model.locks import LockMode
from schemagate.model.pickling import pickle_by_fields
from schemagate.model.span import Span


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ignore comment, as written."""

    rules: tuple[str, ...]
    span: Span
    whole_file: bool = False
    reason: str | None = None
    # "schemagate", or the tool whose comment was honoured ("squawk", "atlas"): comments
    # written for another tool, which may still run, are not reported when unused.
    tool: str = "schemagate"
    # A block (diesel-guard's `safety-assured:start` … `:end`, its span from one marker to
    # the other): it governs every statement that starts inside it, not the next one.
    block: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a rule found: where it is, how bad, and what to do about it."""

    rule: str
    family: str
    severity: Severity
    message: str
    span: Span
    help: str = ""
    migration: str = ""
    statement: str = ""
    object: str = ""
    lock: LockMode | None = None
    # Table-level facts a DBA reads: "rewrite" / "scan", and with --db "rows" and "bytes".
    facts: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    suppressed_by: Suppression | None = None
    # The whole statement, when `span` points at a clause inside it.
    statement_span: Span | None = field(default=None, compare=False)
    # The rewrite that removes this finding, where one is known (`lint --fix`).
    fix: Fix | None = field(default=None, compare=False)
    # Set when a step that drops findings (the baseline) worked it out over the whole run.
    fingerprint: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class InputError:
    """A file (or part of one) that could not be read or parsed. Line is 1-based, or None."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something worth saying about the input that is not an error (an empty migration)."""

    path: str
    message: str
    line: int | None = None


pickle_by_fields(globals())
