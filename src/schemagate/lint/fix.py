"""`lint --fix` and `--diff`: apply the fixes the findings carry, lint again, repeat.

In ruff's manner: a pass lints, takes the fixes of the findings that are not suppressed
(safe ones, and unsafe ones too when asked), and applies them file by file in the order
their first edits stand. A fix whose edits overlap or touch an edit already taken in the
pass waits for the next pass, where the file is linted afresh and the fix, if its finding
is still there, is made again against the new text. Passes stop when no fix applies, or
after `MAX_PASSES` (a fix that keeps re-creating its own finding must not loop forever).

Texts are held in memory between passes and handed to the next lint in place of the files
(`run_lint(overrides=…)`), so that `--diff` writes nothing; `--fix` writes each changed file
once at the end, atomically (a temporary file in the same folder, renamed over it). Files
are read and written byte for byte as UTF-8 without newline translation, so everything
outside an edit stays exactly as it was.

A fix that creates a file (`Edit.new_file`, a migration split off another) makes it in
memory like any other change; discovery finds it there in the next pass (`run_lint`'s
overrides), so it is linted, and fixed, like the files on disk; `--diff` shows it as new.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemagate.lint.run import LintRun, run_lint
from schemagate.model.findings import Finding
from schemagate.model.fixes import Edit, Fix
from schemagate.model.settings import Settings

MAX_PASSES = 10


@dataclass
class FixRun:
    """What the passes did: the lint of the fixed files, the fixes applied, and each
    changed file's text before (None: created by a fix) and after."""

    run: LintRun
    fixed: int = 0
    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    passes: int = 0

    def changed(self) -> list[str]:
        """The paths whose text the fixes changed, in order."""
        return sorted(p for p, text in self.after.items() if self.before.get(p) != text)

    def unsafe_left(self) -> int:
        """Unsafe fixes still offered after the last pass (`--unsafe-fixes` would apply
        them)."""
        return sum(1 for f in self.run.result.active if f.fix is not None and not f.fix.safe)


def fix_lint(paths: Sequence[str], settings: Settings, *, unsafe: bool = False,
             write: bool = False, **lint_options: Any) -> FixRun:
    """Lint the migrations under ``paths``, applying fixes until none applies.

    ``unsafe`` takes fixes that change the migration's meaning too; ``write`` writes the
    changed files (``--fix``), else nothing is written (``--diff``). ``lint_options`` go
    to `run_lint` (``db``, ``changed_since``, ``progress``).
    """
    before: dict[str, str | None] = {}
    after: dict[str, str] = {}
    fixed = passes = 0
    run = run_lint(paths, settings, overrides=after, **lint_options)
    while passes < MAX_PASSES:
        fixes = chosen(run.result.active, unsafe)
        applied = apply_fixes(fixes, after, before, read_text)
        if not applied:
            break
        fixed += applied
        passes += 1
        run = run_lint(paths, settings, overrides=after, **lint_options)
    result = FixRun(run, fixed, before, after, passes)
    if write:
        for path in result.changed():
            write_atomically(Path(path), after[path])
    return result


def chosen(findings: Iterable[Finding], unsafe: bool) -> list[Fix]:
    """The fixes to apply: of findings not suppressed, safe ones (and unsafe ones when
    asked), each once, in the order their first edits stand."""
    seen: dict[tuple[str, tuple[Edit, ...]], Fix] = {}
    for f in findings:
        if f.suppressed_by is None and f.fix is not None and f.fix.edits and (
                f.fix.safe or unsafe):
            seen.setdefault((f.fix.title, f.fix.edits), f.fix)
    return sorted(seen.values(), key=lambda fix: _where(fix.edits[0]))


def _where(edit: Edit) -> tuple[str, int, int]:
    return edit.path, edit.line, edit.column


def apply_fixes(fixes: Sequence[Fix], texts: dict[str, str], before: dict[str, str | None],
                read: Callable[[str], str | None]) -> int:
    """Apply the fixes that do not overlap one applied before them in this pass; `texts`
    (path to current text) is updated, and `before` records each file's first text.
    Returns how many were applied."""
    taken: dict[str, list[tuple[int, int]]] = {}
    todo: dict[str, list[tuple[int, int, str]]] = {}
    applied = 0
    for fix in fixes:
        ranges = _ranges(fix, texts, before, read)
        if ranges is None or any(_overlaps(span, taken.get(path, ()))
                                 for path, span, _ in ranges):
            continue
        for path, span, content in ranges:
            if path not in texts:  # a file the fix creates
                texts[path] = ""
                before.setdefault(path, None)
            taken.setdefault(path, []).append(span)
            todo.setdefault(path, []).append((*span, content))
        applied += 1
    for path, edits in todo.items():
        text = texts[path]
        # From the end backwards, so earlier offsets stay valid; a stable sort keeps the
        # order of insertions at one point as their fixes gave them.
        for start, end, content in sorted(edits, key=lambda e: e[0], reverse=True):
            text = text[:start] + content + text[end:]
        texts[path] = text
    return applied


def _ranges(fix: Fix, texts: dict[str, str], before: dict[str, str | None],
            read: Callable[[str], str | None]
            ) -> list[tuple[str, tuple[int, int], str]] | None:
    """The fix's edits as (path, (start, end) character offsets, content), or None when
    one of them does not fit the file's current text."""
    out = []
    for edit in fix.edits:
        if edit.new_file:
            if edit.path in texts or read(edit.path) is not None:
                return None  # the file exists: creating it would overwrite it
            out.append((edit.path, (0, 0), edit.content))
            continue
        if edit.path not in texts:
            text = read(edit.path)
            if text is None:
                return None
            texts[edit.path] = text
            before.setdefault(edit.path, text)
        span = offsets(texts[edit.path], edit)
        if span is None:
            return None
        out.append((edit.path, span, edit.content))
    return out


def offsets(text: str, edit: Edit) -> tuple[int, int] | None:
    """The character offsets [start, end) of an edit's range in `text`, or None when the
    range does not fall inside it. Lines end at "\\n" (a "\\r" before it is part of the
    line), as the frontends count them."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def at(line: int, column: int) -> int | None:
        if not 1 <= line <= len(starts) or column < 1:
            return None
        end = starts[line] - 1 if line < len(starts) else len(text)
        offset = starts[line - 1] + column - 1
        return offset if offset <= end else None

    start, end = at(edit.line, edit.column), at(edit.end_line, edit.end_column)
    if start is None or end is None or end < start:
        return None
    return start, end


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    """Whether the range overlaps or touches one already taken: two insertions at one
    point, or one at the edge of a replaced range, would be ordered by chance."""
    start, end = span
    return any(start <= other_end and other_start <= end for other_start, other_end in taken)


def read_text(path: str) -> str | None:
    """A file's text exactly as stored (no newline translation), or None if it is absent
    or not UTF-8."""
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace the file's contents in one step: a reader sees the old file or the new one,
    never half of it. The file keeps its permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
