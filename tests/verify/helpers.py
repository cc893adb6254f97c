"""Verify real fixture folders on the test PostgreSQL server."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.verify import StatementResult, VerifyResult, verify
from schemagate.verify.inputs import SetupScript
from tests.conftest import FIXTURES

VERIFY = FIXTURES / "verify"


def verify_folder(folder: Path, scratch: str | None, seed: int | None = None,
                  setup: Sequence[SetupScript] = ()) -> VerifyResult:
    found = discover([folder])
    assert not found.errors, found.errors
    loaded = load_migrations(found.migrations)
    assert not loaded.errors, loaded.errors
    return verify(loaded.migrations, scratch, seed, setup)


def statement(result: VerifyResult, migration: str, line: int,
              direction: str = "up") -> StatementResult:
    mig = next(m for m in result.migrations if m.name == migration)
    script = getattr(mig, direction)
    return next(st for st in script.statements if st.line == line)


def modes(st: StatementResult, relation: str) -> set[str]:
    return {lock.mode for lock in st.locks if lock.relation == relation}
