"""verify applies a popx history by rollback unit, as popx rolls it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.verify.report import render_json, render_text
from tests.verify.helpers import VERIFY, verify_folder

# Scratch databases are the session's (tests.conftest.reused_scratch) unless a test is about
# the scratch database itself: how verify makes and drops its own is tests/verify/
# test_isolation.py's, test_containment.py's and test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")


def test_downs_numbered_apart_from_their_ups_are_run_together_newest_first(
        pg_server: str) -> None:
    # As Ory writes them: the down of `…000001` drops a column only the up of `…000002`
    # adds. Version by version, that down fails; popx runs all of the unit's ups, then all
    # of its downs newest first, and so does verify.
    result = verify_folder(VERIFY / "popx_units", pg_server)
    assert [m.name for m in result.migrations] == ["20240101000000000000_things",
                                                   "20240102000000000000_note"]
    things, note = result.migrations
    assert things.members == [f"2024010100000000000{i}_things" for i in range(3)]
    assert things.ok and things.schema_restored, (things.down.error, things.schema_differences)
    assert [Path(st.path).name for st in things.down.statements] == [
        "20240101000000000002_things.postgres.down.sql",
        "20240101000000000001_things.postgres.down.sql",
        "20240101000000000000_things.postgres.down.sql"]
    assert things.up_again.ok
    # Each file keeps its own transaction: the `.autocommit.` CREATE INDEX CONCURRENTLY runs
    # outside one although the unit's other up is wrapped; its empty down is popx's "none".
    assert note.ok and note.has_down and note.schema_restored
    concurrently = note.up.statements[0]
    assert Path(concurrently.path).name == "20240102000000000000_note.postgres.autocommit.up.sql"
    assert not concurrently.in_transaction
    assert [Path(st.path).name for st in note.down.statements] == [
        "20240102000000000001_note.postgres.down.sql"] * 2
    assert result.gate.passed, result.gate
    rollback = result.gate.item("rollback")
    assert rollback is not None and rollback.status == "pass"
    text = render_text(result)
    assert "popx rollback unit of 3 versions" in text
    assert "20240101000000000001_things.postgres.down.sql" in text
    assert '"members": [' in render_json(result)


def test_a_failing_down_names_its_file(pg_server: str, tmp_path: Path) -> None:
    for f in (VERIFY / "popx_units").iterdir():
        if f.name.startswith("20240101"):
            (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "20240101000000000001_things.postgres.down.sql").write_text(
        "ALTER TABLE things DROP COLUMN nothing_here;\n")
    result = verify_folder(tmp_path, pg_server)
    (things,) = result.migrations
    assert not things.down.ok
    assert (things.down.error or "").startswith(
        "20240101000000000001_things.postgres.down.sql line 1: column \"nothing_here\"")


def test_backup_from_inside_a_rollback_unit_says_where_the_unit_starts(tmp_path: Path) -> None:
    from schemagate.backup import run_backup
    from schemagate.model.settings import Settings

    made = run_backup([str(VERIFY / "popx_units")], Settings(),
                      start="20240101000000000001_things")
    assert any("inside a popx rollback unit that starts at 20240101000000000000_things" in n
               for n in made.notes())
    whole = run_backup([str(VERIFY / "popx_units")], Settings(),
                       start="20240102000000000000_note")
    assert not any("rollback unit" in n for n in whole.notes())
