"""How a plan is made: the choices `schemagate diff` takes from its options.

A module of its own, with nothing of the model in it, so that a command can state its choices
before the planner and the model are imported: those are imported while the databases are
being read (diff/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanOptions:
    allow_destructive: bool = False
    online: bool = True  # CONCURRENTLY, NOT VALID + VALIDATE, CHECK-based SET NOT NULL
    lock_timeout: str | None = "5s"
