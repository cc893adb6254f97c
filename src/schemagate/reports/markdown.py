"""`--format markdown`: a short summary for a pull-request comment or a changelog entry.

It says what the migrations change in the schema, what data they destroy, and what risks
the rules found, and stays under GitHub's 65,536-character limit for a comment however long
the run: each section has a share of the budget and says how much it left out.

Everything that comes from the migrations (identifiers, statements, suppression reasons) is
escaped: in code spans it can hold no Markdown, HTML, mention or link; in running text every
Markdown punctuation character is backslash-escaped, so `<script>` is shown, not sent to the
page, a `@team` is not pinged, and `[x](https://…)` is not a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemagate.model.findings import Finding, Severity
from schemagate.model.text import escape_controls
from schemagate.reports.impact import Impact, MigrationView, human_bytes, plural

LIMIT = 65_000
# Shares of the budget; what a section does not use is not given to another (simple, and a
# reviewer sees every section's start).
SHARES = {"changes": 0.28, "data": 0.18, "risks": 0.38, "drift": 0.06}
CHANGES_PER_MIGRATION = 8

_VERDICT = {"fail": "❌ blocked", "incomplete": "⛔ incomplete", "review": "⚠️ review",
            "pass": "✅ pass"}
_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️",
         Severity.INFO: "\N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16}"}
# Every character Markdown (GFM: also `~` strikethrough, `:` emoji and autolinks, `@`
# mentions, `$` math) might read as syntax. CommonMark allows a backslash before any ASCII
# punctuation, so escaping too many is harmless.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~^:@$])")


def _one_line(s: str) -> str:
    # A line break is shown as ⏎; any other control character, as an escape (a raw ESC or
    # a right-to-left override would reach the reader's terminal or reorder the text).
    return escape_controls(s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "⏎"))


def text(s: str) -> str:
    """Running text, escaped: shows exactly the characters given."""
    return _SPECIAL.sub(r"\\\1", _one_line(s))


def code(s: str, *, table: bool = False) -> str:
    """A code span holding ``s`` literally: fenced by more backticks than ``s`` contains in a
    row, padded when it starts or ends with one; in a table cell its pipes are escaped (GFM
    splits cells before it parses code spans)."""
    s = _one_line(s)
    if not s:
        return ""
    if table:
        s = s.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s[0] in "` " or s[-1] in "` " else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def ticks(s: str, *, table: bool = False) -> str:
    """A rule's message, whose backquoted parts are names: those become code spans, the rest
    running text."""
    parts = _one_line(s).split("`")
    if len(parts) % 2 == 0:
        # An odd number of backquotes: a name holds one, and the pairs cannot be told apart.
        # Plain escaped text is always right, if less pretty.
        return text(s)
    return "".join(code(p, table=table) if i % 2 else text(p) for i, p in enumerate(parts))


class _Section:
    """Lines up to a character budget, then a note of what was left out."""

    def __init__(self, budget: float) -> None:
        self.budget = int(budget)
        self.lines: list[str] = []
        self.used = 0
        self.left_out = 0

    def add(self, line: str) -> bool:
        if self.left_out or self.used + len(line) + 1 > self.budget:
            self.left_out += 1
            return False
        self.lines.append(line)
        self.used += len(line) + 1
        return True

    def close(self, what: str) -> list[str]:
        if self.left_out:
            self.lines.append(f"\n_… and {self.left_out} more {what} not shown here: see the "
                              "full report (`schemagate report -o report.html`)._")
        return self.lines


def _where(f: Finding) -> str:
    return code(f"{f.span.path}:{f.span.line}:{f.span.column}", table=True)


def _size(f: Finding) -> str:
    rows, size = f.facts.get("rows"), f.facts.get("bytes")
    if rows is None:
        return ""
    return f" ({rows:,} rows, {human_bytes(size) if isinstance(size, int) else '?'})"


def _changes(migrations: Iterable[MigrationView], section: _Section) -> None:
    for m in migrations:
        changes = [c for st in m.statements if st.direction == "up" for c in st.changes]
        if not changes:
            continue
        shown = "; ".join(code(c) for c in changes[:CHANGES_PER_MIGRATION])
        more = len(changes) - CHANGES_PER_MIGRATION
        if more > 0:
            shown += f"; and {more} more"
        section.add(f"- **{code(m.name)}**: {shown}")


def render_markdown(impact: Impact, *, limit: int = LIMIT) -> str:
    s = impact.summary
    counts = s.counts
    out = [f"### schemagate: {_VERDICT.get(s.verdict, s.verdict)}", "",
           ticks(s.verdict_text), "",
           "| | |", "| --- | --- |",
           f"| Migrations | {s.migrations} ({plural(s.statements, 'statement')}) |",
           f"| Findings | {plural(counts['error'], 'error')}, "
           f"{plural(counts['warning'], 'warning')}, {plural(counts['info'], 'info')}"
           + (f"; {s.suppressed} suppressed" if s.suppressed else "") + " |"]
    if s.worst_lock:
        tables = ", ".join(code(t, table=True) for t in s.worst_lock_tables) or "a table"
        out.append(f"| Worst lock | {code(s.worst_lock, table=True)} on {tables} in "
                   f"{code(s.worst_lock_migration, table=True)} |")
    else:
        out.append("| Worst lock | none on a table that exists before the migrations |")
    if s.largest is not None:
        out.append(f"| Largest table touched | {code(s.largest.name, table=True)}: "
                   f"{s.largest.rows:,} rows, {s.largest.size} |")
    else:
        out.append("| Largest table touched | unknown (sizes need `--db`) |")
    out.append(f"| Destructive operations | {len(s.destructive)} |")
    out.append(f"| Not reversible | {len(s.irreversible)} |")
    if s.errors:
        out += ["", f"**{plural(len(s.errors), 'file')} could not be read:**", ""]
        for e in s.errors[:20]:
            where = e.path + (f":{e.line}" if e.line else "")
            out.append(f"- {code(where)}: {text(e.message)}")
        if len(s.errors) > 20:
            out.append(f"- … and {len(s.errors) - 20} more")

    for n in s.notices[:10]:
        out.append(f"\n_Note: {code(n.path)}: {text(n.message)}_")

    changes = _Section(limit * SHARES["changes"])
    _changes(impact.migrations, changes)
    if changes.lines or changes.left_out:
        out += ["", "#### What changes in the schema", "", *changes.close("migrations")]

    data = _Section(limit * SHARES["data"])
    for f in s.destructive:
        note = ""
        if f.suppressed_by is not None:
            reason = f.suppressed_by.reason
            note = f" — suppressed: {text(reason)}" if reason else " — suppressed"
        data.add(f"- {_ICON[f.severity]} {code(f.rule)} in {code(f.migration)} "
                 f"({code(f'{f.span.path}:{f.span.line}:{f.span.column}')}): {ticks(f.message)}"
                 f"{text(_size(f))}{note}")
    out += ["", "#### Data impact", ""]
    out += data.close("destructive operations") if data.lines else [
        "No statement destroys data."]

    risks = _Section(limit * SHARES["risks"])
    active = sorted((f for f in (x for m in impact.migrations for x in m.findings)
                     if f.suppressed_by is None and f.severity >= Severity.WARNING),
                    key=lambda f: (-f.severity, f.span.path, f.span.line, f.rule))
    for f in active:
        risks.add(f"| {_ICON[f.severity]} | {code(f.rule, table=True)} | {_where(f)} | "
                  f"{ticks(f.message, table=True)} |")
    out += ["", "#### Risks", ""]
    if risks.lines:
        out += ["| | Rule | Where | Finding |", "| --- | --- | --- | --- |",
                *risks.close("findings")]
    else:
        out.append("No errors or warnings.")
    if counts["info"]:
        out += ["", f"_{plural(counts['info'], 'informational finding')} not listed._"]

    out += ["", "#### Quality gate", ""]
    for item in impact.checklist:
        box = "x" if item.status == "pass" else " "
        out.append(f"- [{box}] **{text(item.name)}**: {item.status} — {ticks(item.evidence)}")

    if impact.drift is not None:
        drift = _Section(limit * SHARES["drift"])
        for d in impact.drift:
            detail = f": {text(d.detail)}" if d.detail else ""
            drift.add(f"- {text(d.action)} {text(d.kind)} {code(d.name)}{detail}")
        out += ["", "#### Drift between the live database and the target", ""]
        out += drift.close("differences") if drift.lines else ["No drift."]

    out += ["", f"<sub>schemagate {text(impact.version)}</sub>", ""]
    doc = "\n".join(out)
    if len(doc) > limit:  # the shares keep below it; this guards the fixed parts
        cut = doc.rfind("\n", 0, limit - 200)
        doc = doc[:cut] + "\n\n_… the rest of this summary is cut to fit._\n"
    return doc
