"""What a plan is made of: statements, steps (one change to one object), and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemagate.diff.options import PlanOptions
from schemagate.model.catalog import ObjectRef
from schemagate.model.locks import Hazard, LockMode

__all__ = ["Phase", "Plan", "PlanOptions", "Statement", "Step"]

# "pre": drops of what depends on something that changes, and of tables, columns and
# sequences; "main": creates and alters, in dependency order; "post": drops of types,
# extensions and schemas, once nothing uses them any more.
Phase = Literal["pre", "main", "post"]


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    # False: PostgreSQL refuses it inside a transaction block (CONCURRENTLY), or what follows
    # needs it committed first (ALTER TYPE … ADD VALUE).
    transactional: bool = True
    # True: run in a transaction of its own, so that the strong lock of the statement before
    # it (ADD CONSTRAINT … NOT VALID) is released before this long one (VALIDATE) starts.
    separate: bool = False


@dataclass
class Step:
    """One change to one object: its statements, what they risk, and why."""

    kind: str  # "create-table", "drop-column", "alter-column" …
    ref: ObjectRef
    phase: Phase
    statements: list[Statement]
    description: str
    hazards: tuple[LockMode | Hazard, ...] = ()  # the locks it takes, then what it risks
    destructive: str | None = None  # the data it destroys, when it does
    skipped: str | None = None  # why it is not part of the plan, when it is not

    @property
    def id(self) -> tuple[str, str, ObjectRef]:
        return (self.phase, self.kind, self.ref)

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.statements)


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)  # to run, in order
    skipped: list[Step] = field(default_factory=list)  # destructive, not emitted
    preamble: list[Statement] = field(default_factory=list)  # session settings
    notes: list[str] = field(default_factory=list)
    options: PlanOptions = field(default_factory=PlanOptions)
    # The DO block that stops the plan on a schema other than the one it was made from
    # (diff/guard.py); None: no guard.
    guard: Statement | None = None

    @property
    def differs(self) -> bool:
        """Whether the two schemas differ (skipped destructive changes count)."""
        return bool(self.steps or self.skipped)

    def statements(self) -> list[Statement]:
        return [s for step in self.steps for s in step.statements]
