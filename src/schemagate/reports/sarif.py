"""`lint --format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

What code scanning reads, and why each piece is here:
- `tool.driver.rules[]` carry each rule's own documentation (the docstring sections that
  `schemagate explain` prints) as `help`, so an alert explains itself on the pull request;
  `properties.tags`/`precision`/`problem.severity` sort and filter alerts.
- every result has one physical location relative to the repository root (`%SRCROOT%`):
  GitHub matches it against the files of the commit, whatever folder the tool ran in.
- `partialFingerprints` do not involve line numbers (see `location.fingerprints`), so an
  alert survives unrelated edits instead of closing and reopening as a new one.
- suppressed findings stay in the log with `suppressions` (kind inSource, the comment's
  reason as justification): the suppression is visible and auditable rather than silent.
- files that could not be parsed are tool execution notifications, and the invocation is
  marked unsuccessful: "no results" must not read as "nothing wrong" when input was skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from schemagate import __version__
from schemagate.lint.fingerprint import (
    FINGERPRINT_KEY,
    file_uri,
    fingerprints,
    relative_to_root,
    uri_reference,
)
from schemagate.lint.result import LintResult
from schemagate.model.findings import Finding, Severity
from schemagate.model.fixes import Fix
from schemagate.model.text import escape_json
from schemagate.reports.stream import Stream, iter_json, materialized
from schemagate.rules.registry import Rule, all_rules, docs_url

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/schemagate/schemagate"
SRCROOT = "%SRCROOT%"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# CodeQL's own vocabulary for the alert's kind, which GitHub shows next to the severity.
_PROBLEM = {Severity.ERROR: "error", Severity.WARNING: "warning",
            Severity.INFO: "recommendation"}

# What kind of problem each family is, in the tags GitHub code scanning filters on. Data loss
# is an integrity (security) problem; the rest are about correctness or operations.
_FAMILY_TAGS: dict[str, tuple[str, ...]] = {
    "destructive": ("security", "correctness", "data-loss"),
    "locking": ("reliability", "performance"),
    "transaction": ("correctness",),
    "compat": ("correctness", "compatibility"),
    "reversibility": ("reliability",),
    "design": ("maintainability",),
    "history": ("correctness",),
    "meta": ("maintainability",),
}
# GitHub ranks alerts tagged `security` by this CVSS-like score (0.0 to 10.0).
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def _pascal(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in rule_id.split("-"))


def _unwrap(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()))


def rule_descriptor(r: Rule) -> dict[str, Any]:
    sections = r.sections
    also = f"\n\nAlso known as: {', '.join(r.aliases)}." if r.aliases else ""
    tags = [r.family, *_FAMILY_TAGS.get(r.family, ())]
    props: dict[str, Any] = {
        "tags": tags,
        "precision": r.precision,
        "problem.severity": _PROBLEM[r.severity],
    }
    if "security" in tags:
        props["security-severity"] = _SECURITY_SEVERITY[r.severity]
    # One paragraph per line: viewers wrap text themselves, and the docstring's line breaks
    # would show as breaks in the middle of sentences.
    full = _unwrap(sections.get("What it does") or r.summary)
    return {
        "id": r.id,
        "name": _pascal(r.id),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": f"{r.summary}\n\n{r.doc}{also}".strip(),
                 "markdown": f"**{r.summary}**\n\n{r.doc}{also}".strip()},
        "helpUri": docs_url(r),
        "defaultConfiguration": {"level": _LEVEL[r.severity],
                                 "enabled": r.enabled_by_default},
        "properties": props,
    }


def _artifact(path: str, root: Path, cwd: Path) -> dict[str, Any]:
    rel = relative_to_root(path, root, cwd)
    if rel is None:  # outside the repository: an absolute URI, which has no base
        return {"uri": file_uri(path, cwd)}
    return {"uri": uri_reference(rel), "uriBaseId": SRCROOT}


def _region(f: Finding) -> dict[str, Any]:
    s = f.span
    region: dict[str, Any] = {"startLine": max(s.line, 1), "startColumn": max(s.column, 1)}
    if (s.end_line, s.end_column) >= (s.line, s.column):
        # Spans end on the last character; SARIF's endColumn is the column after it.
        region["endLine"] = s.end_line
        region["endColumn"] = s.end_column + 1
    return region


def _fix(fix: Fix, artifact: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """A finding's fix as code scanning shows a suggested change: per file, the regions
    replaced (an insertion is an empty region) and the text put there. Edit ranges end
    exclusively, as SARIF's endColumn does."""
    changes: dict[str, list[dict[str, Any]]] = {}
    for e in fix.edits:
        changes.setdefault(e.path, []).append({
            "deletedRegion": {"startLine": e.line, "startColumn": e.column,
                              "endLine": e.end_line, "endColumn": e.end_column},
            "insertedContent": {"text": e.content}})
    return {"description": {"text": fix.title},
            "artifactChanges": [{"artifactLocation": artifact(path),
                                 "replacements": replacements}
                                for path, replacements in changes.items()],
            "properties": {"safe": fix.safe}}


def _result(f: Finding, index: int, fingerprint: str,
            artifact: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    props: dict[str, Any] = {"family": f.family}
    for key in ("migration", "object", "lock"):
        value = getattr(f, key)
        if value:
            props[key] = value
    if f.facts:
        props["facts"] = f.facts
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact(f.span.path),
                                            "region": _region(f)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": props,
    }
    if f.fix is not None:
        out["fixes"] = [_fix(f.fix, artifact)]
    if f.suppressed_by is not None:
        sup = f.suppressed_by
        suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if sup.reason:
            suppression["justification"] = sup.reason
        suppression["location"] = {"physicalLocation": {
            "artifactLocation": artifact(sup.span.path),
            "region": {"startLine": max(sup.span.line, 1)}}}
        out["suppressions"] = [suppression]
    return out


def sarif_document(result: LintResult, *, root: Path, cwd: Path,
                   category: str | None = None) -> dict[str, Any]:
    """The SARIF log as a dict. ``root`` is the repository root the URIs are relative to,
    ``cwd`` the folder the findings' relative paths start from."""
    return cast(dict[str, Any], materialized(_document(result, root=root, cwd=cwd,
                                                       category=category)))


def _document(result: LintResult, *, root: Path, cwd: Path,
              category: str | None = None) -> dict[str, Any]:
    """The SARIF log, its results a `Stream`: each made when it is written."""
    rules = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    descriptors = [rule_descriptor(r) for r in rules]
    for f in result.findings:  # a finding of a rule the registry does not know (a plugin)
        if f.rule not in index:
            index[f.rule] = len(descriptors)
            descriptors.append({"id": f.rule, "name": _pascal(f.rule),
                                "shortDescription": {"text": f.rule},
                                "defaultConfiguration": {"level": _LEVEL[f.severity]},
                                "properties": {"tags": [f.family]}})
    artifacts: dict[str, dict[str, Any]] = {}

    def artifact(path: str) -> dict[str, Any]:
        # Worked out once per file (it resolves the path on disk): a long run's findings,
        # fixes and suppressions name a few hundred files tens of thousands of times.
        made = artifacts.get(path)
        if made is None:
            made = artifacts[path] = _artifact(path, root, cwd)
        return made

    # Fingerprints are computed over every finding, suppressed or not, so that suppressing
    # one finding does not renumber its neighbours' occurrence indexes.
    prints = fingerprints(result.findings, [artifact(f.span.path).get("uri", "")
                                            for f in result.findings])
    results = Stream(_result(f, index[f.rule], fp, artifact)
                     for f, fp in zip(result.findings, prints, strict=True))
    notifications: list[dict[str, Any]] = []
    for e in result.errors:
        note: dict[str, Any] = {"level": "error", "message": {"text": e.message},
                                "descriptor": {"id": "input-error"}}
        location: dict[str, Any] = {"artifactLocation": artifact(e.path)}
        if e.line:
            location["region"] = {"startLine": e.line,
                                  **({"startColumn": e.column} if e.column else {})}
        note["locations"] = [{"physicalLocation": location}]
        notifications.append(note)
    for n in result.notices:
        notifications.append({"level": "note", "message": {"text": f"{n.path}: {n.message}"},
                              "descriptor": {"id": "notice"}})
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "schemagate",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
        "invocations": [{"executionSuccessful": not result.errors,
                         "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {SRCROOT: {"description": {
            "text": "The root of the repository the migrations belong to."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"summary": {"files": result.files, "migrations": result.migrations,
                                   "statements": result.statements,
                                   "findings": result.counts()}},
    }
    if category:
        # GitHub reads the part before the last "/" as the category; a trailing "/" says the
        # whole string is the category (what codeql-action's upload-sarif does with its
        # `category` input), so runs with different categories sit side by side.
        run["automationDetails"] = {"id": category if category.endswith("/")
                                    else category + "/"}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(result: LintResult, *, root: Path, cwd: Path,
                 category: str | None = None) -> str:
    return "".join(iter_sarif(result, root=root, cwd=cwd, category=category))


def iter_sarif(result: LintResult, *, root: Path, cwd: Path,
               category: str | None = None) -> Iterator[str]:
    """`render_sarif`'s text in pieces, a result at a time."""
    doc = _document(result, root=root, cwd=cwd, category=category)
    yield from iter_json(doc, indent=2, escape=_escape)
    yield "\n"


def _escape(text: str) -> str:
    # Markup characters only ever occur inside JSON strings, where these escapes mean the
    # same characters: a viewer that pastes a message into HTML cannot be handed a tag.
    return escape_json(text.replace("<", "\\u003c").replace(">", "\\u003e")
                       .replace("&", "\\u0026"))
