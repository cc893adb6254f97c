"""Code actions: a finding's Fix as a WorkspaceEdit, and the suppression comment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lsprotocol import types

from schemagate.lint.workspace import Workspace
from schemagate.model.findings import Finding
from schemagate.model.fixes import Edit, Fix
from schemagate.model.settings import Settings
from schemagate.server.actions import fix_action, suppress_action
from schemagate.server.diagnostics import finding_diagnostic
from schemagate.server.positions import lines_of
from tests.lint.test_workspace import ALEMBIC_INDEX, _alembic

INDEX = "-- index the e-mails 📧 of users\nCREATE INDEX users_email ON users (email);\n"


def _finding(root: Path, rule: str) -> tuple[Workspace, Finding]:
    folder = root / "migrations"
    folder.mkdir()
    (folder / "000001_users.up.sql").write_text("CREATE TABLE users (id int, email text);\n",
                                                encoding="utf-8")
    (folder / "000002_index.up.sql").write_text(INDEX, encoding="utf-8")
    workspace = Workspace.open(root, Settings(cache=False))
    found = workspace.lint_file("migrations/000002_index.up.sql")
    return workspace, next(f for f in found.findings if f.rule == rule)


def test_a_fix_becomes_a_quick_fix_editing_the_file_in_the_agreed_units(tmp_path: Path
                                                                       ) -> None:
    workspace, finding = _finding(tmp_path, "create-index-non-concurrently")
    path = finding.span.path
    fix = Fix("Build the index CONCURRENTLY", (
        Edit(path, 2, 13, 2, 13, " CONCURRENTLY"),
        # `of users`, after the 📧 of line 1 (one character, two UTF-16 units).
        Edit(path, 1, 24, 1, 32, "of accounts"),
    ))
    finding = replace(finding, fix=fix)
    lines = lines_of(INDEX)
    diagnostic = finding_diagnostic(finding, lines, "utf-16")
    action = fix_action(fix, diagnostic, lambda p: lines_of(
        (workspace.root / p).read_text(encoding="utf-8")), lambda p: f"file:///w/{p}", "utf-16")
    assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
    assert action.title == "Build the index CONCURRENTLY"
    assert action.diagnostics == [diagnostic]
    assert action.edit is not None and action.edit.changes is not None
    concurrently, wording = action.edit.changes[f"file:///w/{path}"]
    assert (concurrently.range.start, concurrently.range.end) == (
        types.Position(line=1, character=12), types.Position(line=1, character=12))
    assert concurrently.new_text == " CONCURRENTLY"
    assert (wording.range.start, wording.range.end) == (
        types.Position(line=0, character=24), types.Position(line=0, character=32))


def test_a_fix_that_creates_a_file_creates_it_then_fills_it(tmp_path: Path) -> None:
    _, finding = _finding(tmp_path, "create-index-non-concurrently")
    moved = "migrations/000003_index.up.sql"
    fix = Fix("Move the index into a migration of its own", (
        Edit(finding.span.path, 2, 1, 3, 1, ""),
        Edit(moved, 1, 1, 1, 1, "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
             new_file=True),
    ), safe=False)
    action = fix_action(fix, finding_diagnostic(finding, lines_of(INDEX), "utf-16"),
                        lambda p: lines_of(INDEX), lambda p: f"file:///w/{p}", "utf-16")
    assert not action.is_preferred and "changes the migration's meaning" in action.title
    assert action.edit is not None and action.edit.document_changes is not None
    create, removal, filling = action.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == f"file:///w/{moved}"
    assert isinstance(removal, types.TextDocumentEdit) and isinstance(
        filling, types.TextDocumentEdit)
    assert filling.text_document.uri == f"file:///w/{moved}"
    (line,) = filling.edits
    assert isinstance(line, types.TextEdit) and line.new_text.startswith("CREATE INDEX")


def test_a_python_suppression_comment_goes_above_the_call_and_silences_the_finding(
        tmp_path: Path) -> None:
    _alembic(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    path = "alembic/versions/b2_index.py"
    (finding,) = [f for f in workspace.lint_file(path).findings
                  if f.rule == "create-index-non-concurrently"]
    lines = lines_of(ALEMBIC_INDEX)
    action = suppress_action(finding, finding_diagnostic(finding, lines, "utf-16"), lines,
                             "file:///w/b2_index.py", "utf-16")
    assert action is not None and action.edit is not None and action.edit.changes
    (edit,) = action.edit.changes["file:///w/b2_index.py"]
    assert edit.new_text == "    # schemagate: ignore create-index-non-concurrently\n"
    at = edit.range.start.line
    assert lines[at].strip().startswith("op.create_index(")
    edited = "\n".join([*lines[:at], edit.new_text.rstrip("\n"), *lines[at:]])
    workspace.update(path, edited)
    assert "create-index-non-concurrently" not in {
        f.rule for f in workspace.lint_file(path).findings}
    assert "unused-suppression" not in {f.rule for f in workspace.lint_file(path).findings}


def test_no_suppression_is_offered_in_python_that_does_not_parse(tmp_path: Path) -> None:
    _alembic(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    (finding,) = [f for f in workspace.lint_file("alembic/versions/b2_index.py").findings
                  if f.rule == "create-index-non-concurrently"]
    lines = lines_of(ALEMBIC_INDEX + "def broken(:\n")
    assert suppress_action(finding, finding_diagnostic(finding, lines, "utf-16"), lines,
                           "file:///w/b2_index.py", "utf-16") is None
