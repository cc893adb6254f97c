"""Findings and input errors as LSP diagnostics.

A finding becomes a diagnostic at its clause, with the rule's id as `code`, a link to the
rule's page as `codeDescription`, and source "schemagate"; the rule's one-line safe
alternative follows the message, as under each finding on the command line. An input error
(a buffer that does not parse) is an error at the line and column the parser gave, or on
the first line when it gave none.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from schemagate.model.findings import Finding, InputError, Severity
from schemagate.model.span import Span
from schemagate.rules.registry import by_id, docs_url
from schemagate.server.positions import span_range

SOURCE = "schemagate"
INPUT_ERROR = "input-error"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def finding_diagnostic(finding: Finding, lines: Sequence[str], encoding: str
                       ) -> types.Diagnostic:
    rule = by_id(finding.rule)
    message = finding.message + (f"\n{finding.help}" if finding.help else "")
    return types.Diagnostic(
        range=span_range(lines, finding.span, encoding),
        message=message,
        severity=_SEVERITY[finding.severity],
        code=finding.rule,
        code_description=types.CodeDescription(href=docs_url(rule)) if rule else None,
        source=SOURCE,
    )


def error_diagnostic(error: InputError, lines: Sequence[str], encoding: str
                     ) -> types.Diagnostic:
    line = error.line or 1
    column = error.column or 1
    if error.column is None and line <= len(lines):
        # No column: the whole line, so that the editor shows where the trouble is.
        span = Span(error.path, line, 1, line, max(len(lines[line - 1]), 1))
    else:
        span = Span.point(error.path, line, column)
    return types.Diagnostic(
        range=span_range(lines, span, encoding),
        message=error.message,
        severity=types.DiagnosticSeverity.Error,
        code=INPUT_ERROR,
        source=SOURCE,
    )
