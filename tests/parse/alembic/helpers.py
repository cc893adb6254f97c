"""Alembic histories written into a test's folder, discovered and linted as the CLI does."""

from __future__ import annotations

import textwrap
from pathlib import Path

from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations

_HEADER = '''"""{name}"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None

'''


def lint_revisions(tmp_path: Path, revisions: dict[str, tuple[str | None, str]],
                   folder: str = "", settings: Settings | None = None) -> LintResult:
    """Revision files `{file name: (down revision, body)}`, each revision named by its file
    name's stem, in `alembic/versions/<folder>` (a database's name there says which database
    they run on), linted with every rule unless ``settings`` say otherwise."""
    versions = tmp_path / "alembic" / "versions" / folder
    versions.mkdir(parents=True)
    (tmp_path / "alembic" / "env.py").write_text("from alembic import context\n")
    for name, (down, body) in revisions.items():
        stem = name.removesuffix(".py")
        text = _HEADER.format(name=stem, revision=stem, down=down)
        (versions / name).write_text(text + textwrap.dedent(body).strip() + "\n")
    found = discover([tmp_path / "alembic"], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    assert not found.errors and not loaded.errors, found.errors + loaded.errors
    return lint(loaded.migrations, settings or Settings(select=("all",)))
