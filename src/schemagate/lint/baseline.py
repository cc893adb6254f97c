"""A baseline: the findings a project already had, recorded so that only new ones are reported.

`lint --write-baseline FILE` records the active findings of a run by the fingerprint SARIF
gives them (`lint.fingerprint`: rule, file relative to the repository root, the statement's
text with its white space collapsed, and an occurrence index; no line numbers), so a finding
is recognised after lines are inserted above it, and one more copy of the same statement in
the same file is a new finding. `lint --baseline FILE` (or the `baseline` setting) hides the
findings whose fingerprint the file records, as many times as it records it, and says how
many it hid.

The file is JSON meant to be read and reviewed in a diff: one entry per finding, sorted by
file, rule and fingerprint, each with the message for people; identical fingerprints (only
possible when two paths name one file) are one entry with a `count`. Only `fingerprint` and
`count` are read back: the rest may be edited or be stale without changing what is hidden.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from schemagate.lint.fingerprint import artifact_uri, finding_fingerprints
from schemagate.lint.result import LintResult
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Finding
from schemagate.model.text import escape_json

FORMAT = "schemagate-baseline"
VERSION = 1


class BaselineError(SchemagateError):
    """A baseline file that cannot be read, written or understood; the message names it."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """The fingerprints a baseline file records, with how many findings bear each."""

    path: str
    counts: Counter[str]


def baseline_document(findings: Sequence[Finding], root: Path,
                      cwd: Path | None = None) -> dict[str, Any]:
    """The baseline file's content for a run's findings (all of them: fingerprints count
    suppressed ones too, as SARIF's do; only the active ones are recorded)."""
    prints = finding_fingerprints(findings, root, cwd)
    entries: dict[str, dict[str, Any]] = {}
    for f, fp in zip(findings, prints, strict=True):
        if f.suppressed_by is not None:
            continue
        if fp in entries:
            entries[fp]["count"] = entries[fp].get("count", 1) + 1
            continue
        entries[fp] = {"path": artifact_uri(f.span.path, root, cwd), "rule": f.rule,
                       "fingerprint": fp, "message": f.message}
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    return {"format": FORMAT, "version": VERSION,
            "findings": ordered}


def render_baseline(findings: Sequence[Finding], root: Path, cwd: Path | None = None) -> str:
    doc = baseline_document(findings, root, cwd)
    return escape_json(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def recorded(findings: Sequence[Finding]) -> int:
    """How many findings a baseline of ``findings`` records (the active ones)."""
    return sum(1 for f in findings if f.suppressed_by is None)


def read_baseline(path: str) -> Baseline:
    """The fingerprints recorded in the file; BaselineError says what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file (`schemagate lint "
                            f"--write-baseline {path}` makes one)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read it: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path}: not JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"baseline {path}: not a schemagate baseline (no "
                            f"\"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise BaselineError(f"baseline {path}: version {doc.get('version')!r} is not one "
                            f"this schemagate reads ({VERSION})")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {path}: \"findings\" is not a list")
    counts: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"baseline {path}: findings[{i}] has no \"fingerprint\"")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise BaselineError(f"baseline {path}: findings[{i}].count is not a positive "
                                "whole number")
        counts[fp] += count
    return Baseline(path, counts)


def apply_baseline(result: LintResult, baseline: Baseline, root: Path,
                   cwd: Path | None = None) -> None:
    """Drop from ``result`` the active findings the baseline records, and count them in
    ``result.baseline_hidden``."""
    prints = finding_fingerprints(result.findings, root, cwd)
    left = Counter(baseline.counts)
    kept: list[Finding] = []
    hidden = 0
    for f, fp in zip(result.findings, prints, strict=True):
        if f.suppressed_by is None and left[fp] > 0:
            left[fp] -= 1
            hidden += 1
            continue
        # The fingerprint is kept: SARIF and GitLab number repeated statements, and without
        # the hidden findings they would number the rest differently.
        kept.append(replace(f, fingerprint=fp))
    result.findings = kept
    result.baseline_hidden = hidden
