"""A plan as SQL (to run with psql), JSON (for tools) or text (for people).

SQL: session settings first (lock_timeout), then the statements. Consecutive statements
that may share a transaction run in one ``BEGIN … COMMIT``; a statement that cannot run in
a transaction block (CONCURRENTLY, ALTER TYPE … ADD VALUE) or must not share one (VALIDATE
after NOT VALID) stands alone between blocks, so the file runs as is with
``psql -v ON_ERROR_STOP=1 -f plan.sql``. Destructive changes that were not allowed follow as
comments, with the reason. Every comment line goes through `sql_comment`, so a name with a
newline in it cannot end its comment.
"""

from __future__ import annotations

import json
from typing import Any

from schemagate import __version__
from schemagate.diff.changes import Plan, Step
from schemagate.model.names import sql_comment
from schemagate.model.text import escape_controls, escape_json

DOWN_BANNER = "-- ==== schemagate: down (the reverse plan) ===="


def render_sql(plan: Plan, *, source: str = "", target: str = "") -> str:
    out: list[str] = []
    if source or target:
        out.append(sql_comment(f"schemagate diff: from {source} to {target}"))
    if not plan.differs:
        out.append(sql_comment("no differences"))
        return "\n".join(out) + "\n"
    counts = f"{len(plan.steps)} change(s)"
    if plan.skipped:
        counts += f", {len(plan.skipped)} destructive change(s) not emitted (see the end)"
    out.append(sql_comment(counts))
    out += [sql_comment(f"note: {n}") for n in plan.notes]
    out += [s.sql + ";" for s in plan.preamble]
    in_block = False
    for step in plan.steps:
        header = [sql_comment(step.description + _hazard_text(step))]
        if step.destructive:
            header.append(sql_comment(f"destructive: {step.destructive}"))
        for i, stmt in enumerate(step.statements):
            shared = stmt.transactional and not stmt.separate
            if in_block and not shared:
                out.append("COMMIT;")
                in_block = False
            if i == 0:
                out.append("")
                out += header
            if not stmt.transactional:
                out.append(sql_comment("cannot run inside a transaction block"))
            if shared and not in_block:
                out.append("BEGIN;")
                in_block = True
            out.append(stmt.sql + ";")
    if in_block:
        out.append("COMMIT;")
    if plan.skipped:
        out += ["", sql_comment("Not emitted: destructive changes. Review them, then run "
                                "again with --allow-destructive to include them.")]
        for step in plan.skipped:
            out.append(sql_comment(f"{step.description}: {step.destructive}"))
            for stmt in step.statements:
                out += [sql_comment(line) for line in (stmt.sql + ";").splitlines()]
    return "\n".join(out) + "\n"


def _hazard_text(step: Step) -> str:
    return f" [{', '.join(step.hazards)}]" if step.hazards else ""


def plan_json(plan: Plan) -> dict[str, Any]:
    changes = [_step_json(s, True) for s in plan.steps]
    changes += [_step_json(s, False) for s in plan.skipped]
    return {
        "differs": plan.differs,
        "preamble": [s.sql for s in plan.preamble],
        "changes": changes,
        "notes": list(plan.notes),
        "summary": {"changes": len(plan.steps), "skipped": len(plan.skipped),
                    "destructive": sum(1 for s in plan.steps if s.destructive)},
    }


def _step_json(step: Step, applied: bool) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "object": str(step.ref),
        "object_kind": step.ref.kind,
        "phase": step.phase,
        "description": step.description,
        "sql": [s.sql for s in step.statements],
        "transactional": step.transactional,
        "hazards": list(step.hazards),
        "destructive": step.destructive is not None,
        "destroys": step.destructive,
        "applied": applied,
        "reason": step.skipped,
    }


def render_json(up: Plan, down: Plan | None, *, source: str, target: str) -> str:
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "schemagate", "version": __version__},
        "from": source,
        "to": target,
        "differs": up.differs,
        "up": plan_json(up),
    }
    if down is not None:
        doc["down"] = plan_json(down)
    return escape_json(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


_SIGNS = {"create": "+", "add": "+", "drop": "-", "alter": "~", "rebuild": "~", "set": "~",
          "validate": "~", "own": "~", "disown": "~", "detach": "~"}


def render_text(up: Plan, down: Plan | None, *, source: str, target: str) -> str:
    out = [escape_controls(f"schemagate diff: {source} -> {target}")]
    out += _text_section(up)
    if down is not None:
        out += ["", "down (reverse plan):", *_text_section(down)]
    return "\n".join(out) + "\n"


def _text_section(plan: Plan) -> list[str]:
    if not plan.differs:
        return ["  no differences: the schemas match"]
    out = []
    for step in plan.steps:
        sign = _SIGNS.get(step.kind.split("-")[0], "~")
        line = f"  {sign} {step.description}"
        if step.hazards:
            line += f"  [{', '.join(step.hazards)}]"
        out.append(escape_controls(line))
    for step in plan.skipped:
        out.append(escape_controls(f"  ! not emitted: {step.description} ({step.destructive})"))
    out += [escape_controls(f"  note: {n}") for n in plan.notes]
    summary = f"{len(plan.steps)} change(s)"
    if plan.skipped:
        summary += f"; {len(plan.skipped)} destructive change(s) held back " \
                   "(--allow-destructive)"
    return [*out, f"  {summary}"]
