"""Matching suppression comments to findings, and finding the ones that matched nothing."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace

from schemagate.model.findings import Finding, Suppression
from schemagate.model.migration import ParsedScript
from schemagate.model.span import Span
from schemagate.rules.registry import resolve


@dataclass
class ScriptSuppressions:
    """The suppressions of one script, with the statement each one governs."""

    script: ParsedScript
    targets: dict[int, list[Suppression]] = field(default_factory=dict)  # statement → sups
    whole_file: list[Suppression] = field(default_factory=list)
    # (suppression, rule id) for every match; by value, so that the up and the down of one
    # file can share the set and a file-level comment used by either counts as used.
    used: set[tuple[Suppression, str]] = field(default_factory=set)
    # File-level comments written outside the script (`ParsedScript.file_suppressions`):
    # they suppress here, and are judged where they are written.
    elsewhere: list[Suppression] = field(default_factory=list)

    @classmethod
    def of(cls, script: ParsedScript, used: set[tuple[Suppression, str]] | None = None
           ) -> ScriptSuppressions:
        out = cls(script, used=set() if used is None else used,
                  elsewhere=list(script.file_suppressions))
        if not script.suppressions:  # most scripts: nothing to place
            return out
        spans = [(st.index, st.ops[0].span) for st in script.statements if st.ops]
        # A statement of a Python helper also stands at the helper's call, for the comments
        # written there.
        spans += [(st.index, st.site) for st in script.statements if st.ops and st.site]
        ends = [span.end_line for _, span in spans]
        # Statements of one SQL file run down the file; Python helpers called from
        # upgrade() can sit above it, and then only a scan finds the statement.
        in_order = all(a.end_line <= b.line for (_, a), (_, b) in itertools.pairwise(spans))
        for sup in script.suppressions:
            if sup.whole_file:
                out.whole_file.append(sup)
                continue
            if sup.block:
                for index, span in spans:
                    if span.path == sup.span.path and \
                            sup.span.line < span.line < sup.span.end_line:
                        out.targets.setdefault(index, []).append(sup)
                continue
            target = _target_in_order(sup, spans, ends) if in_order else _target(sup, spans)
            if target is not None:
                out.targets.setdefault(target, []).append(sup)
        return out

    def apply(self, finding: Finding, statement: int | None) -> Finding:
        candidates = self.whole_file + self.elsewhere
        if statement is not None:
            candidates = candidates + self.targets.get(statement, [])
        for sup in candidates:
            ids, _ = resolve(sup.rules)
            if finding.rule in ids:
                self.used.add((sup, finding.rule))
                return replace(finding, suppressed_by=sup)
        return finding

    def all(self) -> list[Suppression]:
        return self.whole_file + [s for group in self.targets.values() for s in group]

    def unused(self, enabled: set[str]) -> list[tuple[Suppression, str]]:
        """(suppression, name as written) for names that suppressed nothing."""
        out = []
        for sup in self.all():
            if sup.tool != "schemagate":
                continue
            for name in sup.rules:
                ids, unknown = resolve([name])
                if unknown:
                    out.append((sup, name))
                    continue
                live = ids & enabled
                if live and not any((sup, r) in self.used for r in live):
                    out.append((sup, name))
        return out


def _target_in_order(sup: Suppression, spans: list[tuple[int, Span]], ends: list[int]
                     ) -> int | None:
    """`_target` for statements in file order: the first statement not ended before the
    comment's line either holds that line or is the next one."""
    k = bisect.bisect_left(ends, sup.span.line)
    return spans[k][0] if k < len(spans) else None


def _target(sup: Suppression, spans: list[tuple[int, Span]]) -> int | None:
    """The statement a comment governs: the one it sits in or ends the line of, else the
    nearest below it (the first of those there, in the order they run)."""
    line = sup.span.line
    for index, span in spans:
        if span.line <= line <= span.end_line:
            return index
    below = [(span.line, k) for k, (_, span) in enumerate(spans) if span.line > line]
    return spans[min(below)[1]][0] if below else None
