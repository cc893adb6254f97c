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


# missing-lock-timeout fires on the first blocking statement of nearly every script, and the
# reversibility family on every migration that destroys data; the tests of other rules leave
# them out so that each asserts only what it is about. Their own tests select them.
FOCUSED = Settings(ignore=("missing-lock-timeout", "reversibility"))


def lint_files(
    files: Sequence[Path], settings: Settings | None = None,
    transaction: TransactionMode = "autocommit",
) -> LintResult:
    """Lint plain .sql files as one history, in the order given, each file a migration."""
    sources = [MigrationSource(f.stem, "sql", Script(str(f), transaction)) for f in files]
    loaded = load_migrations(sources)
    result = lint(loaded.migrations, settings or FOCUSED)
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
    return replace(FOCUSED, **changes)  # type: ignore[arg-type]


# --- PostgreSQL for the tests that need one -------------------------------------------
# The server on this machine when one answers (SCHEMAGATE_TEST_PG overrides the URL), else an
# embedded one (pgserver), else the test is skipped with the reason. Each test gets a
# database of its own, created and dropped around it.

import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

DEFAULT_TEST_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    from schemagate.diff.connect import DatabaseError, connect
    from schemagate.diff.scratch import embedded_server

    url = os.environ.get("SCHEMAGATE_TEST_PG", DEFAULT_TEST_PG)
    try:
        connect(url, timeout=3).close()
    except DatabaseError as local_error:
        try:
            with embedded_server() as embedded:
                yield embedded
            return
        except DatabaseError as exc:
            pytest.skip(f"no PostgreSQL: {local_error}; embedded server: {exc}")
    yield url


@pytest.fixture
def pg_db(pg_server: str) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    from schemagate.diff.scratch import _database_on

    with _database_on(pg_server) as url:
        yield url


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# Names that try to leave the place they are put in a generated script: a `--` comment (a
# newline, a carriage return, a Unicode line separator), a `/* */` comment, a quoted
# identifier, a string literal (with and without standard_conforming_strings), or the
# reader's terminal (ESC, BEL). Each would drop the canary table `keep` if it got out.
HOSTILE_NAMES = (
    "x\nDROP TABLE keep;\n--",
    "y\r\nDROP TABLE keep; --",
    "z\rDROP TABLE keep; --",
    "b*/ DROP TABLE keep; /*",
    "q'\"; DROP TABLE keep; --",
    "s\\'; DROP TABLE keep; --",
    "e\x1b[2J\x07\x85\u2028DROP TABLE keep;\u202e--",
)
CANARY = "CREATE TABLE keep (id int PRIMARY KEY, v text); INSERT INTO keep VALUES (1, 'alive');"


import contextlib  # noqa: E402


@contextlib.contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    """``table`` held ACCESS EXCLUSIVE by a second session in an open transaction, as a
    running migration holds it. Released after 20 s at the latest, so that a run which
    waits for it fails its test's time limit instead of hanging the suite."""
    import psycopg

    from schemagate.diff.connect import connect

    with connect(url) as holder:
        holder.execute("SET idle_in_transaction_session_timeout = '20s'")
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        with contextlib.suppress(psycopg.Error):
            holder.rollback()
