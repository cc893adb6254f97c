"""`run_backup`, the library call behind `schemagate backup`: the same scripts as the CLI,
and errors as `BackupError` with the reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemagate.backup import BackupError, run_backup
from schemagate.model.settings import Settings
from tests.conftest import FIXTURES, invoke

PROJECT = FIXTURES / "backup" / "roundtrip"


def test_run_backup_gives_the_scripts_the_command_writes(tmp_path: Path) -> None:
    made = run_backup([str(PROJECT)], Settings(), start="000002_destroy",
                      now=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert made.scripts.schema == "schemagate_backup_000002_destroy_20240102T030405"
    proc = invoke("backup", str(PROJECT), "--from", "000002_destroy", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert made.saves() and all(f"  {line}\n" in proc.stdout for line in made.saves())
    written = (tmp_path / "backup.sql").read_text(encoding="utf-8")
    schema = re.search(r"schemagate_backup_000002_destroy_\d{8}T\d{6}", written)
    assert schema is not None
    assert _undated(written, schema.group()) == _undated(made.scripts.backup,
                                                         made.scripts.schema)


def _undated(script: str, schema: str) -> str:
    """The script without its generation time and with its backup schema's name (which
    holds that time) replaced."""
    return re.sub(r"generated [0-9-]+ [0-9:]+ UTC", "generated <now>",
                  script.replace(schema, "<schema>"))


def test_an_unknown_start_migration_is_a_backup_error_naming_the_known_ones() -> None:
    with pytest.raises(BackupError, match=r"--from 9999: no such migration .*000001_init"):
        run_backup([str(PROJECT)], Settings(), start="9999")


def test_unparsable_migrations_are_a_backup_error_with_file_and_line() -> None:
    with pytest.raises(BackupError, match=r"cannot use these migrations:\n .*"
                                          r"002_syntax_error\.sql:\d+"):
        run_backup([str(FIXTURES / "bad_input")], Settings())


def test_a_folder_without_migrations_is_a_backup_error(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no migrations found"):
        run_backup([str(tmp_path)], Settings())
