"""A workspace kept warm for an editor: the history parsed once, a buffer standing for its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.run import run_lint
from schemagate.lint.workspace import Workspace
from schemagate.model.findings import Finding
from schemagate.model.settings import Settings
from schemagate.model.span import Span

ALEMBIC_USERS = '''"""users"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.BigInteger, primary_key=True),
                    sa.Column("email", sa.Text))


def downgrade():
    op.drop_table("users")
'''

ALEMBIC_INDEX = '''"""index users"""
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade():
    op.execute("SET lock_timeout = '2s'")
    op.create_index("users_email", "users", ["email"])


def downgrade():
    op.drop_index("users_email")
'''


def _alembic(root: Path) -> Path:
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_users.py").write_text(ALEMBIC_USERS, encoding="utf-8")
    (versions / "b2_index.py").write_text(ALEMBIC_INDEX, encoding="utf-8")
    return versions / "b2_index.py"


def _sql(root: Path) -> None:
    folder = root / "migrations"
    folder.mkdir()
    (folder / "000001_users.up.sql").write_text("CREATE TABLE users (id int, email text);\n",
                                                encoding="utf-8")
    (folder / "000002_index.up.sql").write_text("CREATE INDEX i ON users (email);\n",
                                                encoding="utf-8")


def test_a_file_is_judged_as_schemagate_lint_judges_it_in_that_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _alembic(tmp_path)
    workspace = Workspace.open(tmp_path, Settings())
    found = workspace.lint_file("alembic/versions/b2_index.py")
    monkeypatch.chdir(tmp_path)
    cli = run_lint([], Settings()).result.active
    assert [(f.rule, f.span) for f in found.findings] == [
        (f.rule, f.span) for f in cli if f.span.path == "alembic/versions/b2_index.py"]
    assert "create-index-non-concurrently" in {f.rule for f in found.findings}


def test_a_buffer_stands_for_its_file_until_it_is_dropped(tmp_path: Path) -> None:
    _sql(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    path = "migrations/000002_index.up.sql"
    rules = {f.rule for f in workspace.lint_file(path).findings}
    assert "create-index-non-concurrently" in rules
    assert workspace.update(path, "CREATE INDEX CONCURRENTLY i ON users (email);\n")
    rules = {f.rule for f in workspace.lint_file(path).findings}
    assert "create-index-non-concurrently" not in rules
    workspace.update(path, None)
    assert "create-index-non-concurrently" in {f.rule for f in workspace.lint_file(path).findings}


def test_a_buffer_of_an_earlier_migration_changes_the_history_a_later_one_is_judged_by(
        tmp_path: Path) -> None:
    _sql(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    later = "migrations/000002_index.up.sql"
    # The table is now created in the same migration as its index, so nothing locks.
    workspace.update("migrations/000001_users.up.sql", "SELECT 1;\n")
    workspace.update(later, "CREATE TABLE users (id int, email text);\n"
                            "CREATE INDEX i ON users (email);\n")
    assert "create-index-non-concurrently" not in {
        f.rule for f in workspace.lint_file(later).findings}


def test_only_the_files_own_findings_and_errors_are_given(tmp_path: Path) -> None:
    _sql(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    workspace.update("migrations/000001_users.up.sql", "CREATE TABLE (;\n")
    broken = workspace.lint_file("migrations/000001_users.up.sql")
    assert [(e.line, "syntax error" in e.message) for e in broken.errors] == [(1, True)]
    later = workspace.lint_file("migrations/000002_index.up.sql")
    assert later.errors == []
    assert {f.span.path for f in later.findings} == {"migrations/000002_index.up.sql"}


def test_a_file_that_is_no_migration_gives_nothing(tmp_path: Path) -> None:
    _sql(tmp_path)
    (tmp_path / "notes.txt").write_text("DROP TABLE users;\n", encoding="utf-8")
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    assert not workspace.update("notes.txt", "DROP TABLE users;\n")
    assert workspace.lint_file("notes.txt").findings == []
    assert workspace.path_of(tmp_path.parent / "elsewhere.sql") is None


def test_a_new_file_is_found_when_the_workspace_is_refreshed(tmp_path: Path) -> None:
    _sql(tmp_path)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    new = tmp_path / "migrations" / "000003_drop.up.sql"
    new.write_text("ALTER TABLE users DROP COLUMN email;\n", encoding="utf-8")
    path = workspace.path_of(new)
    assert path == "migrations/000003_drop.up.sql"
    assert workspace.lint_file(path).findings == []
    workspace.refresh()
    assert "drop-column" in {f.rule for f in workspace.lint_file(path).findings}


def _long_sql(root: Path, n: int = 12) -> list[str]:
    """A golang-migrate history of ``n`` migrations: a table each, then an index on the
    table of the migration before (which locks: that table is older)."""
    folder = root / "migrations"
    folder.mkdir()
    paths = []
    for i in range(1, n + 1):
        text = f"CREATE TABLE t{i} (id int, v text);\n"
        if i > 1:
            text += f"CREATE INDEX i{i} ON t{i - 1} (v);\n"
        name = f"{i:06d}_m{i}.up.sql"
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(f"migrations/{name}")
    return paths


def _key(findings: list[Finding]) -> list[tuple[str, Span, str, str]]:
    return sorted((f.rule, f.span, f.message, str(f.severity)) for f in findings)


def test_edits_in_the_middle_of_a_history_give_what_the_cli_gives_for_the_same_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The workspace resumes each run from the state kept before the edited migration; every
    # open file must still get exactly the findings `schemagate lint` gives with the same
    # texts in place of the files.
    paths = _long_sql(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = Settings(cache=False)
    workspace = Workspace.open(tmp_path, settings)
    middle, later, last = paths[5], paths[8], paths[-1]
    original = (tmp_path / middle).read_text(encoding="utf-8")
    edits = [
        original + "ALTER TABLE t9 ADD COLUMN w int;\n",  # t9 does not exist yet
        original + "DROP TABLE t3;\n",
        original.replace("CREATE TABLE t6", "CREATE TABLE t6x"),  # later uses of t6 break
        original,
        "CREATE TABLE (;\n",  # does not parse
        original + "CREATE INDEX CONCURRENTLY j ON t5 (v);\n",
    ]
    workspace.update(later, (tmp_path / later).read_text(encoding="utf-8"))
    workspace.update(last, (tmp_path / last).read_text(encoding="utf-8"))
    for text in edits:
        workspace.update(middle, text)
        found = workspace.lint_files([middle, later, last])
        cli = run_lint([], settings, overrides=dict(workspace.buffers)).result
        for path in (middle, later, last):
            assert _key(found[path].findings) == _key(
                [f for f in cli.active if f.span.path == path]), (text, path)
            assert [e.message for e in found[path].errors] == [
                e.message for e in cli.errors if e.path == path]
    # The state before the edited migration was kept, and the runs resumed from it.
    assert 5 in next(iter(workspace.kept.values()))


def test_an_edit_to_an_earlier_migration_changes_what_a_later_open_one_is_told(
        tmp_path: Path) -> None:
    paths = _long_sql(tmp_path, 4)
    workspace = Workspace.open(tmp_path, Settings(cache=False))
    first, later = paths[1], paths[3]  # t2; then an index on t3 (created by paths[2])
    workspace.update(later, (tmp_path / later).read_text(encoding="utf-8"))
    assert "unknown-object" not in {f.rule for f in workspace.lint_file(later).findings}
    workspace.update(first, "CREATE TABLE t2 (id int, v text);\nDROP TABLE t2;\n")
    workspace.update(paths[2], "SELECT 1;\n")  # t3 is no longer created
    found = workspace.lint_files([first, later])
    assert "unknown-object" in {f.rule for f in found[later].findings}
    workspace.update(paths[2], None)
    assert "unknown-object" not in {f.rule for f in workspace.lint_file(later).findings}
