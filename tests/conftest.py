"""Shared helpers: lint real files from tests/fixtures the way the CLI does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from schemagate.lint.engine import LintResult, lint
from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.model.settings import Settings
from schemagate.parse.load import load_migrations

FIXTURES = Path(__file__).parent / "fixtures"


def lint_files(
    files: Sequence[Path], settings: Settings | None = None,
    transaction: TransactionMode = "autocommit",
) -> LintResult:
    """Lint plain .sql files as one history, in the order given, each file a migration."""
    sources = [MigrationSource(f.stem, "sql", Script(str(f), transaction)) for f in files]
    loaded = load_migrations(sources)
    result = lint(loaded.migrations, settings or Settings())
    result.errors = loaded.errors
    return result


def lint_sql(tmp_path: Path, *scripts: str, settings: Settings | None = None,
             transaction: TransactionMode = "autocommit") -> LintResult:
    """Write each script to a numbered file and lint them as one history."""
    files = []
    for i, text in enumerate(scripts, start=1):
        f = tmp_path / f"{i:04d}_m.sql"
        f.write_text(text, encoding="utf-8")
        files.append(f)
    return lint_files(files, settings, transaction)


def rules_of(result: LintResult) -> list[tuple[int, str]]:
    return [(f.span.line, f.rule) for f in result.active]


def with_settings(**changes: object) -> Settings:
    return replace(Settings(), **changes)  # type: ignore[arg-type]
