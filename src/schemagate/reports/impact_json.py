"""`report --format json`: the impact report as data, for dashboards and scripts.

The same content as the HTML page, field for field; findings have the shape of
`lint --format json` (see CLI.md), so a consumer parses them one way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from schemagate.model.text import escape_json
from schemagate.reports.depgraph import picture_dict
from schemagate.reports.impact import Impact, MigrationView, StatementView, StatementViews
from schemagate.reports.json_report import finding_dict


def _statement(st: StatementView) -> dict[str, Any]:
    return {
        "direction": st.direction, "path": st.path, "line": st.line, "sql": st.sql,
        "sql_truncated": st.sql_truncated, "changes": st.changes, "lock": st.lock,
        "tables": st.tables, "new_tables_only": st.new_tables_only,
        "rewrite": st.rewrite or None, "scan": st.scan, "rows": st.rows, "bytes": st.bytes,
        "findings": [finding_dict(f) for f in st.findings],
    }


class _Made(list[dict[str, Any]]):
    """The statements of a long script (`StatementViews`), each made as the encoder reaches
    it: json's encoder (the Python one, which `indent` selects) reads a list only by its
    truth and by iterating it, so the text is the same as for the list, but the statements
    are never all held as dicts (a 5 MB migration's took 430 MB)."""

    def __init__(self, views: StatementViews) -> None:
        super().__init__()
        self._views = views

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_statement(st) for st in self._views)

    def __len__(self) -> int:
        return len(self._views)


def _migration(m: MigrationView, lazy: bool) -> dict[str, Any]:
    return {
        "name": m.name, "layout": m.layout, "paths": m.paths, "has_down": m.has_down,
        "worst": str(m.worst) if m.worst is not None else None,
        "findings": [finding_dict(f) for f in m.notes],
        "statements": _Made(m.statements) if lazy and isinstance(m.statements, StatementViews)
        else [_statement(st) for st in m.statements],
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in m.errors],
    }


def impact_dict(impact: Impact, lazy: bool = False) -> dict[str, Any]:
    """The report as data. ``lazy``: a long script's statements as `_Made`, for
    `impact_json_pieces` only (json's C encoder, used without `indent`, would see none)."""
    s = impact.summary
    return {
        "version": 1,
        "tool": {"name": "schemagate", "version": impact.version},
        "title": impact.title,
        "generated": impact.generated or None,
        "summary": {
            "verdict": s.verdict, "verdict_text": s.verdict_text,
            "migrations": s.migrations, "statements": s.statements, "files": s.files,
            "findings": s.counts, "suppressed": s.suppressed,
            "worst_lock": s.worst_lock, "worst_lock_tables": s.worst_lock_tables,
            "worst_lock_migration": s.worst_lock_migration or None,
            "largest_table": ({"name": s.largest.name, "rows": s.largest.rows,
                               "bytes": s.largest.bytes} if s.largest else None),
            "destructive": [finding_dict(f) for f in s.destructive],
            "irreversible": [finding_dict(f) for f in s.irreversible],
            "errors": [{"path": e.path, "line": e.line, "column": e.column,
                        "message": e.message} for e in s.errors],
            "notices": [{"path": n.path, "line": n.line, "message": n.message}
                        for n in s.notices],
        },
        "checklist": [asdict(item) for item in impact.checklist],
        "migrations": [_migration(m, lazy) for m in impact.migrations],
        "graph": picture_dict(impact.graph) if impact.graph is not None else None,
        "drift": ([asdict(d) for d in impact.drift] if impact.drift is not None else None),
        "backup": asdict(impact.backup),
    }


def render_impact_json(impact: Impact) -> str:
    return "".join(impact_json_pieces(impact))


def impact_json_pieces(impact: Impact) -> Iterator[str]:
    """The JSON text a piece at a time, to write as it comes (as `html.html_pieces`)."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
    for piece in encoder.iterencode(impact_dict(impact, lazy=True)):
        yield escape_json(piece)  # character by character: the same on any cut
    yield "\n"
