"""`--format github`: workflow commands that GitHub Actions turns into annotations."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.lint.result import LintResult
from schemagate.model.findings import Severity
from schemagate.model.text import escape_controls

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # GitHub decodes %0A and %0D into line breaks of the annotation; the log that shows the
    # command itself is a terminal, so every other control character is shown escaped.
    return escape_controls(text.replace("%", "%25").replace("\r", "%0D")
                           .replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: LintResult) -> str:
    return "".join(iter_github(result))


def iter_github(result: LintResult) -> Iterator[str]:
    """`render_github`'s commands, one line (with its line break) at a time."""
    for f in result.findings:
        if f.suppressed_by is not None:
            continue
        s = f.span
        props = (f"file={_prop(s.path)},line={s.line},col={s.column},endLine={s.end_line},"
                 f"endColumn={s.end_column},title={_prop('schemagate ' + f.rule)}")
        yield f"::{_LEVEL[f.severity]} {props}::{_data(f.message)}\n"
    for e in result.errors:
        props = f"file={_prop(e.path)}" + (f",line={e.line}" if e.line else "")
        yield f"::error {props},title=schemagate::{_data(e.message)}\n"
