"""Code actions: a finding's fix as a quick fix, and a comment that suppresses the finding.

A `Fix` is edits on 1-based character positions (model/fixes.py); each becomes a text edit
in the encoding agreed with the client, in the file it names, read through ``lines_of``
(the open buffer, else the file on disk). An edit that creates a file becomes a CreateFile
operation followed by the text inserted into it.

The suppression comment is the one `lint/suppress.py` honours: in SQL,
``-- schemagate: ignore RULE`` on the line above the statement (it governs the next
statement); in Python, ``# schemagate: ignore RULE`` on the line above the Python statement
holding the finding (it governs the call below it). The comment takes the indentation of
the line it is put above, so the file keeps its shape.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from lsprotocol import types

from schemagate.model.findings import Finding
from schemagate.model.fixes import Fix
from schemagate.server.positions import edit_range, to_lsp

LinesOf = Callable[[str], list[str]]  # a workspace path → its lines
UriOf = Callable[[str], str]  # a workspace path → its URI


def fix_action(fix: Fix, diagnostic: types.Diagnostic, lines_of: LinesOf, uri_of: UriOf,
               encoding: str) -> types.CodeAction:
    """The quick fix that applies ``fix``; preferred when the fix keeps the meaning."""
    created = [e for e in fix.edits if e.new_file]
    by_path: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        if edit.new_file:
            start = types.Position(line=0, character=0)
            text_edit = types.TextEdit(range=types.Range(start=start, end=start),
                                       new_text=edit.content)
        else:
            text_edit = types.TextEdit(range=edit_range(lines_of(edit.path), edit, encoding),
                                       new_text=edit.content)
        by_path.setdefault(edit.path, []).append(text_edit)
    if created:
        operations: list[types.TextDocumentEdit | types.CreateFile] = [
            types.CreateFile(uri=uri_of(e.path),
                             options=types.CreateFileOptions(ignore_if_exists=False))
            for e in created]
        operations += [types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri_of(path)),
            edits=list(edits)) for path, edits in by_path.items()]
        workspace_edit = types.WorkspaceEdit(document_changes=operations)
    else:
        workspace_edit = types.WorkspaceEdit(
            changes={uri_of(path): edits for path, edits in by_path.items()})
    return types.CodeAction(
        title=fix.title if fix.safe else f"{fix.title} (changes the migration's meaning)",
        kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        is_preferred=fix.safe, edit=workspace_edit)


def suppress_action(finding: Finding, diagnostic: types.Diagnostic, lines: Sequence[str],
                    uri: str, encoding: str) -> types.CodeAction | None:
    """The action that adds a suppression comment for the finding's rule above it; None
    when no line can hold one (a Python buffer that does not parse)."""
    python = finding.span.path.endswith(".py")
    line = _python_statement_line(lines, finding.span.line) if python else (
        (finding.statement_span or finding.span).line)
    if line is None or not 1 <= line <= max(len(lines), 1):
        return None
    current = lines[line - 1] if lines else ""
    indent = current[:len(current) - len(current.lstrip())]
    marker = "#" if python else "--"
    comment = f"{indent}{marker} schemagate: ignore {finding.rule}\n"
    start = to_lsp(lines, line, 1, encoding)
    edit = types.TextEdit(range=types.Range(start=start, end=start), new_text=comment)
    return types.CodeAction(
        title=f"Suppress {finding.rule} with a comment",
        kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes={uri: [edit]}))


def _python_statement_line(lines: Sequence[str], line: int) -> int | None:
    """The first line of the innermost Python statement holding ``line`` (a comment above it
    is outside any string or call), or None when the text does not parse."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None
    best: int | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):  # the innermost starts last: a body's, not its `with`
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (best is None or node.lineno > best):
                best = node.lineno
    return best
