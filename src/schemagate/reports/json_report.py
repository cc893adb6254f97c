"""`lint --format json`: the shape CLI.md documents (version 1). Fields are only ever added."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemagate import __version__
from schemagate.lint.result import LintResult
from schemagate.model.findings import Finding
from schemagate.model.fixes import Fix
from schemagate.model.text import escape_json
from schemagate.reports.stream import Stream, iter_json


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule, "family": f.family, "severity": str(f.severity),
        "message": f.message, "help": f.help,
        "path": f.span.path, "line": f.span.line, "column": f.span.column,
        "end_line": f.span.end_line, "end_column": f.span.end_column,
        "migration": f.migration, "statement": f.statement, "object": f.object,
        "lock": f.lock,
    }
    if f.facts:
        out["facts"] = f.facts
    if f.fix is not None:
        out["fix"] = fix_dict(f.fix)
    if f.suppressed_by is not None:
        out["suppression"] = {"line": f.suppressed_by.span.line,
                              "reason": f.suppressed_by.reason}
    return out


def fix_dict(fix: Fix) -> dict[str, Any]:
    """A finding's fix: its edits' ranges are 1-based, in characters, the end exclusive (an
    insertion starts and ends at one point)."""
    return {"title": fix.title, "safe": fix.safe, "edits": [
        {"path": e.path, "line": e.line, "column": e.column, "end_line": e.end_line,
         "end_column": e.end_column, "content": e.content,
         **({"new_file": True} if e.new_file else {})}
        for e in fix.edits]}


def render_json(result: LintResult, *, pretty: bool = True) -> str:
    """The report; ``pretty`` indents it for people (Python's indenting encoder is several
    times slower than the compact C one, which matters for large runs written to files)."""
    return "".join(iter_report(result, pretty=pretty))


def iter_report(result: LintResult, *, pretty: bool = True) -> Iterator[str]:
    """`render_json`'s text in pieces, a finding at a time: a long run's findings are never
    all made into dicts, or one string, at once."""
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "schemagate", "version": __version__},
        "findings": Stream(finding_dict(f) for f in result.findings
                           if f.suppressed_by is None),
        "suppressed": Stream(finding_dict(f) for f in result.findings if f.suppressed_by),
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in result.errors],
        "notices": [{"path": n.path, "line": n.line, "message": n.message}
                    for n in result.notices],
        "summary": {"files": result.files, "migrations": result.migrations,
                    "statements": result.statements, "findings": result.counts()},
    }
    if result.baseline_hidden is not None:  # only with a baseline: the shape is unchanged
        doc["summary"]["hidden_by_baseline"] = result.baseline_hidden
    yield from iter_json(doc, indent=2 if pretty else None, escape=escape_json)
    yield "\n"
