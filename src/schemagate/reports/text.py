"""Terminal output in the manner of ruff: one line per finding, its help under it."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.lint.result import LintResult
from schemagate.model.findings import Finding, Severity
from schemagate.model.text import escape_controls

# Identifiers come from the migrations: a table named with an escape sequence must not drive
# the user's terminal. Control characters are shown as escapes instead.
_safe = escape_controls

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_text(result: LintResult, *, colour: bool = False, show_help: bool = True) -> str:
    return "".join(iter_text(result, colour=colour, show_help=show_help))


def iter_text(result: LintResult, *, colour: bool = False, show_help: bool = True
              ) -> Iterator[str]:
    """`render_text`'s lines, each with its line break, made as they are written."""
    for f in result.findings:
        if f.suppressed_by is not None:
            continue
        yield _line(f, colour) + "\n"
        if show_help and f.help:
            yield f"  {_paint('help', '1', colour)}: {f.help}\n"
    for e in result.errors:
        where = e.path + (f":{e.line}" if e.line else "") + (f":{e.column}" if e.column else "")
        yield (f"{_paint(_safe(where), '1', colour)}: {_paint('error', '1;31', colour)}: "
               f"{_safe(e.message)}\n")
    for n in result.notices:
        yield (f"{_paint(_safe(n.path), '1', colour)}: {_paint('note', '2', colour)}: "
               f"{_safe(n.message)}\n")
    yield _summary(result) + "\n"


def _line(f: Finding, colour: bool) -> str:
    """`path:line:col: severity rule message`: the severity in words, so that a CI log
    without colour still tells a warning from an info."""
    where = f"{_safe(f.span.path)}:{f.span.line}:{f.span.column}:"
    severity = _paint(str(f.severity), "1;" + _COLOURS[f.severity], colour)
    return f"{_paint(where, '1', colour)} {severity} {_paint(f.rule, '1', colour)} " \
           f"{_safe(f.message)}"


def _summary(result: LintResult) -> str:
    counts = result.counts()
    total = sum(counts.values())
    parts = [f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n]
    suppressed = len(result.findings) - len(result.active)
    text = (f"Found {total} finding{'s' if total != 1 else ''}"
            + (f" ({', '.join(parts)})" if parts else "")
            + f" in {result.migrations} migration{'s' if result.migrations != 1 else ''}"
            + f", {result.statements} statement{'s' if result.statements != 1 else ''}")
    if suppressed:
        text += f"; {suppressed} suppressed"
    if result.baseline_hidden is not None:
        text += f"; {result.baseline_hidden} hidden by the baseline"
    if result.errors:
        text += f"; {len(result.errors)} file error{'s' if len(result.errors) != 1 else ''}"
    return text + "."
