"""verify's result as text for a terminal, or as JSON (the shape README documents)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from schemagate import __version__
from schemagate.verify.errors import VerifyError
from schemagate.verify.results import MigrationResult, ScriptResult, StatementResult
from schemagate.verify.run import GENERATED, VerifyResult

JSON_VERSION = 1


# --- JSON -------------------------------------------------------------------------------

def render_json(result: VerifyResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


def to_json(result: VerifyResult) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "tool": {"name": "schemagate", "version": __version__},
        "scratch": {"server": result.server, "database": result.database,
                    "dropped": True},
        "seed": result.seed,
        "seconds": round(result.seconds, 3),
        "migrations": [_migration(m) for m in result.migrations],
        "unrunnable": result.unrunnable,
        "setup": {"files": result.setup, "error": result.setup_error},
        "record_table": result.record_table,
        "gate": {"passed": result.gate.passed and not result.unrunnable
                 and not result.setup_error,
                 "items": [asdict(item) for item in result.gate.items]},
    }


def read_gate(path: str) -> list[dict[str, Any]]:
    """The gate items of a file `render_json` wrote (`schemagate verify --format json`), for
    reports that show verify's checklist; VerifyError when the file is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        items = doc["gate"]["items"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VerifyError(f"--verify-json {path}: not the JSON of `schemagate verify` "
                          f"({exc})") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise VerifyError(f"--verify-json {path}: gate.items is not a list of checks")
    return items


def _migration(m: MigrationResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": m.name,
        "ok": m.ok,
        "skipped": m.skipped,
        "up": _script(m.up),
        "down": _script(m.down) if m.has_down else None,
        "down_generated": m.down_generated,
        "up_again": _script(m.up_again) if m.has_down else None,
        "schema_restored": m.schema_restored,
        "schema_differences": m.schema_differences,
    }
    if m.members:
        out["members"] = m.members
    if m.seeded or m.seed_notes:
        out["seeded"] = {"tables": m.seeded, "skipped": m.seed_notes}
    if m.data is not None:
        out["data"] = {"ok": m.data.ok, "tables": m.data.tables, "rows": m.data.rows,
                       "changed": m.data.changed}
    if m.backup is not None:
        out["backup"] = {"saves": m.backup.saves, "ok": m.backup.ok,
                         "refused": m.backup.refused, "backup_error": m.backup.backup_error,
                         "restore_error": m.backup.restore_error,
                         "ran_backup": m.backup.ran_backup, "ran_restore": m.backup.ran_restore}
    return out


def _script(s: ScriptResult) -> dict[str, Any]:
    return {"ok": s.ok, "ran": s.ran, "path": s.path, "ms": round(s.ms, 3),
            "error": s.error, "line": s.line, "notes": s.notes,
            "statements": [_statement(st) for st in s.statements]}


def _statement(st: StatementResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": st.line, "sql": st.sql, "ms": round(st.ms, 3),
        "locks": [{"relation": lk.relation, "mode": lk.mode} for lk in st.locks],
        "rewrites": [{"relation": r.relation, "kind": r.kind} for r in st.rewrites],
        "created": st.created, "dropped": st.dropped, "validated": st.validated,
        "in_transaction": st.in_transaction, "traced": st.traced, "error": st.error,
    }
    if st.path:  # a rollback unit's statement: which of its files
        out["path"] = st.path
    return out


# --- text -------------------------------------------------------------------------------

def render_text(result: VerifyResult) -> str:
    n = len(result.migrations)
    seed = f", {result.seed} seeded rows per table" if result.seed is not None else ""
    lines = [f"schemagate verify: {n} migration{'s' * (n != 1)} on a scratch database, "
             f"{result.server}{seed} ({result.seconds:.1f} s)", ""]
    if result.record_table:
        lines[1:1] = [f"record table: {result.record_table}, made first as its tool makes it"]
    if result.setup:
        lines[1:1] = [f"setup: {', '.join(result.setup)}"
                      + (f" (failed: {result.setup_error})" if result.setup_error else "")]
    for m in result.migrations:
        lines += _migration_text(m)
    lines += ["", "Checklist:"]
    for item in result.gate.items:
        lines.append(f"  {item.status.upper():<4}  {item.title}: {item.detail}")
    lines += ["", f"{_verdict(result)}; the scratch database {result.database} was dropped"]
    return "\n".join(lines) + "\n"


def _verdict(result: VerifyResult) -> str:
    if result.setup_error:
        return "gate not reached (exit 2): the setup SQL failed"
    if result.unrunnable:
        n = len(result.unrunnable)
        return f"gate not reached (exit 2): verify could not apply {n} migration{'s' * (n != 1)}"
    if not result.gate.passed:
        return "gate failed (exit 1)"
    unchecked = [i.title for i in result.gate.unchecked]
    return "gate passed" + (f", but not checked in full: {', '.join(unchecked)}"
                            if unchecked else "")


def _migration_text(m: MigrationResult) -> list[str]:
    if m.skipped is not None:
        return [f"{m.name}: {m.skipped}"]
    steps = [f"up {_status(m.up)}"]
    if m.has_down:
        generated = " (planned by schemagate diff)" if m.down_generated else ""
        steps += [f"down{generated} {_status(m.down)}"]
        if m.schema_restored is not None:
            steps.append("schema restored" if m.schema_restored else "schema NOT restored")
        planned = " (planned by schemagate diff)" if m.up_again.path == GENERATED else ""
        steps.append(f"up again{planned} {_status(m.up_again)}")
    else:
        steps.append("no down migration")
    name = m.name
    if m.members:
        name += (f" (popx rollback unit of {len(m.members)} versions, to {m.members[-1]}: "
                 "their ups, then their downs newest first)")
    lines = [f"{name}: {', '.join(steps)}"]
    for label, script in (("up", m.up), ("down", m.down)):
        path = ""
        for i, st in enumerate(script.statements):
            if st.path and st.path != path:
                path = st.path
                lines.append(f"  {label if i == 0 else '':<5}{Path(path).name}")
                label = ""
            lines.append(_statement_text(label if i == 0 else "", st))
        lines += [f"        note: {note}" for note in script.notes]
    lines += [f"  up again: {note}" for note in m.up_again.notes]
    lines += [f"  schema: {d}" for d in m.schema_differences[:10]]
    if m.seeded or m.seed_notes:
        lines.append(f"  seeded: {', '.join(m.seeded) or 'nothing'}")
        lines += [f"  not seeded: {note}" for note in m.seed_notes]
    if m.data is not None and m.data.tables:
        lines.append(f"  data: {'every row back' if m.data.ok else 'CHANGED'} after up, down "
                     f"and restore ({m.data.rows} rows in {m.data.tables} "
                     f"table{'s' * (m.data.tables != 1)})")
        lines += [f"    {c}" for c in m.data.changed]
    if m.backup is not None and m.backup.saves:
        b = m.backup
        restore = "not run" if not b.ran_restore else "FAILED" if b.restore_error else "ok"
        backup = "not run" if not b.ran_backup and not b.backup_error else \
            "FAILED" if b.backup_error else "ok"
        lines.append(f"  backup: {b.saves} save{'s' * (b.saves != 1)}; backup.sql {backup}, "
                     f"restore.sql {restore}")
        lines += [f"    {e}" for e in (b.backup_error, b.restore_error) if e]
        lines += [f"    refused: {r}" for r in b.refused]
    return lines


def _status(s: ScriptResult) -> str:
    if not s.ran:
        return "not run"
    return f"ok ({s.ms:.1f} ms)" if s.ok else "FAILED"


def _statement_text(label: str, st: StatementResult) -> str:
    sql = " ".join(st.sql.split())
    sql = sql if len(sql) <= 60 else sql[:59] + "…"
    head = f"  {label:<5}{st.line:>4}  {sql:<60} {st.ms:8.1f} ms"
    if st.error is not None:
        return f"{head}  error: {st.error}"
    facts = _strongest_locks(st)
    facts += [f"rewrites {r.kind} {r.relation}" for r in st.rewrites]
    facts += [f"validates {v}" for v in st.validated]
    if st.traced.startswith("not traced") and not st.locks:
        facts.append(st.traced)
    elif st.traced == "observer":
        facts.append("(seen from a second session)")
    return f"{head}  {'; '.join(facts)}" if facts else head


def _strongest_locks(st: StatementResult) -> list[str]:
    """One lock per relation for the terminal, the strongest (JSON lists them all); a
    relation the statement created is marked: nobody else can be waiting for it."""
    strongest: dict[str, str] = {}
    for lock in st.locks:  # ordered weakest first per relation
        strongest[lock.relation] = lock.mode
    new = {c.split(" ", 1)[1] for c in st.created if " " in c}
    return [f"{mode} {rel}" + (" (new)" if rel in new else "")
            for rel, mode in strongest.items()]
