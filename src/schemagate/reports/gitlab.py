"""`lint --format gitlab`: GitLab Code Quality, shown in merge requests.

The report is a JSON array of issues: description, check_name, fingerprint, severity and
location (path relative to the repository; the first and last line and column of the
clause, in the `positions` form; an input error gives its line). GitLab compares the
fingerprints of the source and target branches to say which problems a merge request adds
or fixes, so they are the same line-independent fingerprints as SARIF's.

GitLab has no notion of a suppressed issue, so suppressed findings are left out; files that
could not be parsed are issues of their own (`schemagate/input-error`, blocker): a quality
gate that did not read a file must not look clean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schemagate.lint.fingerprint import fingerprints, relative_to_root
from schemagate.lint.result import LintResult
from schemagate.model.findings import Finding, Severity
from schemagate.model.text import escape_json
from schemagate.reports.stream import Stream, iter_json

# GitLab's scale is info, minor, major, critical, blocker.
_SEVERITY = {Severity.INFO: "info", Severity.WARNING: "major", Severity.ERROR: "critical"}
_CATEGORY = {"destructive": "Bug Risk", "locking": "Performance", "transaction": "Bug Risk",
             "compat": "Compatibility", "reversibility": "Bug Risk", "design": "Style",
             "history": "Bug Risk", "meta": "Clarity"}


def gitlab_issues(result: LintResult, *, root: Path, cwd: Path) -> list[dict[str, Any]]:
    return list(_issues(result, root=root, cwd=cwd))


def _issues(result: LintResult, *, root: Path, cwd: Path) -> Iterator[dict[str, Any]]:
    """The issues, each made when it is reached (a long run has tens of thousands)."""
    paths = {}
    for f in result.findings:
        if f.span.path not in paths:
            paths[f.span.path] = relative_to_root(f.span.path, root, cwd) or f.span.path
    prints = fingerprints(result.findings, [paths[f.span.path] for f in result.findings])
    for f, fp in zip(result.findings, prints, strict=True):
        if f.suppressed_by is not None:
            continue
        yield {
            "type": "issue",
            "description": f"{f.rule}: {f.message}",
            "check_name": f.rule,
            "fingerprint": fp,
            "severity": _SEVERITY[f.severity],
            "categories": [_CATEGORY.get(f.family, "Bug Risk")],
            "location": {"path": paths[f.span.path], "positions": _positions(f)},
        }
    for e in result.errors:
        path = relative_to_root(e.path, root, cwd) or e.path
        digest = hashlib.sha256(f"input-error\x00{path}\x00{e.message}".encode()).hexdigest()
        yield {
            "type": "issue",
            "description": f"could not be parsed: {e.message}",
            "check_name": "schemagate/input-error",
            "fingerprint": digest,
            "severity": "blocker",
            "categories": ["Bug Risk"],
            "location": {"path": path, "lines": {"begin": e.line or 1}},
        }


def render_gitlab(result: LintResult, *, root: Path, cwd: Path) -> str:
    return "".join(iter_gitlab(result, root=root, cwd=cwd))


def iter_gitlab(result: LintResult, *, root: Path, cwd: Path) -> Iterator[str]:
    """`render_gitlab`'s text in pieces, an issue at a time."""
    yield from iter_json(Stream(_issues(result, root=root, cwd=cwd)), indent=2,
                         escape=escape_json)
    yield "\n"


def _positions(f: Finding) -> dict[str, Any]:
    """Code Climate's `positions` form of a location, which GitLab reads like `lines` and
    which, unlike it, carries columns: the clause, not just its line."""
    s = f.span
    begin = {"line": max(s.line, 1), "column": max(s.column, 1)}
    end = {"line": max(s.end_line, begin["line"]), "column": max(s.end_column, 1)}
    return {"begin": begin, "end": end}
