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
from collections.abc import Mapping
from typing import Any

from schemagate import __version__
from schemagate.diff.changes import Plan, Step
from schemagate.model.names import QName, sql_comment
from schemagate.model.stats import TableStats
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
    held = [s for s in plan.skipped if s.destructive]
    impossible = [s for s in plan.skipped if not s.destructive]
    if held:
        counts += f", {len(held)} destructive change(s) not emitted (see the end)"
    if impossible:
        counts += f", {len(impossible)} change(s) this server cannot make (see the end)"
    out.append(sql_comment(counts))
    out += [sql_comment(f"note: {n}") for n in plan.notes]
    out += [s.sql + ";" for s in plan.preamble]
    if plan.guard is not None:
        out += ["", sql_comment("guard: stops here if the objects this plan touches are not "
                                "as they were when it was made (--no-guard leaves it out); "
                                "run with psql -v ON_ERROR_STOP=1"),
                plan.guard.sql + ";"]
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
    if held:
        out += _not_emitted("Not emitted: destructive changes. Review them, then run again "
                            "with --allow-destructive to include them.",
                            [(step, step.destructive) for step in held])
    if impossible:
        out += _not_emitted("Not emitted: changes PostgreSQL cannot make here; they need a "
                            "decision by hand.",
                            [(step, step.skipped) for step in impossible])
    return "\n".join(out) + "\n"


def _not_emitted(header: str, steps: list[tuple[Step, object]]) -> list[str]:
    """Steps left out of the plan, as comments: each with why, then its SQL."""
    out = ["", sql_comment(header)]
    for step, why in steps:
        out.append(sql_comment(f"{step.description}: {why}"))
        for stmt in step.statements:
            out += [sql_comment(line) for line in (stmt.sql + ";").splitlines()]
    return out


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


def render_text(up: Plan, down: Plan | None, *, source: str, target: str,
                stats: Mapping[QName, TableStats] | None = None) -> str:
    """The plan for people: grouped by the object each step changes (a column's, default's,
    constraint's, trigger's or policy's table), each step with its locks and hazards, and,
    given the live database's table statistics, each table's size and rows."""
    out = [escape_controls(f"schemagate diff: {source} -> {target}")]
    out += _text_section(up, stats)
    if down is not None:
        out += ["", "down (reverse plan):", *_text_section(down, stats)]
    return "\n".join(out) + "\n"


def _group(step: Step) -> str:
    ref = step.ref
    if ref.kind in ("column", "default", "constraint", "trigger", "policy"):
        return f"table {ref.schema}.{ref.name}"
    if ref.kind == "function":
        return f"function {ref}"
    return f"{ref.kind} {ref.schema + '.' if ref.schema else ''}{ref.name}"


def _estimate(group: str, stats: Mapping[QName, TableStats] | None) -> str:
    if not stats or not group.startswith(("table ", "view ")):
        return ""
    schema, _, name = group.split(" ", 1)[1].partition(".")
    found = stats.get(QName(schema, name))
    if found is None:
        return ""
    return f"  (~{found.rows:,} rows, {found.size})"


def _text_section(plan: Plan, stats: Mapping[QName, TableStats] | None = None) -> list[str]:
    if not plan.differs:
        return ["  no differences: the schemas match"]
    groups: dict[str, list[str]] = {}
    for step in plan.steps:
        sign = _SIGNS.get(step.kind.split("-")[0], "~")
        line = f"    {sign} {step.description}"
        if step.hazards:
            line += f"  [{', '.join(step.hazards)}]"
        groups.setdefault(_group(step), []).append(line)
        if step.destructive:
            groups[_group(step)].append(f"        destroys: {step.destructive}")
    for step in plan.skipped:
        groups.setdefault(_group(step), []).append(
            f"    ! not emitted: {step.description} ({step.destructive or step.skipped})")
    out = []
    for group, lines in groups.items():  # in plan order: the first step of each object
        out.append(escape_controls(f"  {group}{_estimate(group, stats)}"))
        out += [escape_controls(line) for line in lines]
    out += [escape_controls(f"  note: {n}") for n in plan.notes]
    summary = f"{len(plan.steps)} change(s)"
    held = sum(1 for s in plan.skipped if s.destructive)
    if held:
        summary += f"; {held} destructive change(s) held back (--allow-destructive)"
    if len(plan.skipped) > held:
        summary += f"; {len(plan.skipped) - held} change(s) this server cannot make"
    return [*out, f"  {summary}"]
