"""popx's units of rollback: the downs of a run of versions, newest first, undo its ups."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations

ALL = Settings()


def _popx(folder: Path, files: dict[str, tuple[str, str]]) -> LintResult:
    """Write `<version>_<name>.postgres.(up|down).sql` files and lint the folder."""
    for name, (up, down) in files.items():
        (folder / f"{name}.postgres.up.sql").write_text(up, encoding="utf-8")
        (folder / f"{name}.postgres.down.sql").write_text(down, encoding="utf-8")
    found = discover([str(folder)])
    assert found.errors == []
    return lint(load_migrations(found.migrations).migrations, ALL)


def _rules(result: LintResult) -> list[tuple[str, str]]:
    return [(f.rule, Path(f.span.path).name) for f in result.active]


# As Ory writes them: the downs are numbered on their own, so the down of a version does not
# undo its up (the down of `…000001` drops a column that only the up of `…000002` adds).
UNDONE_TOGETHER = {
    "20240101000000000000_things": ("CREATE TABLE things (id int PRIMARY KEY);",
                                    "DROP TABLE things;"),
    "20240101000000000001_things": ("CREATE INDEX things_id ON things (id);",
                                    "ALTER TABLE things DROP COLUMN note;"),
    "20240101000000000002_things": ("ALTER TABLE things ADD COLUMN note text;",
                                    "DROP INDEX things_id;"),
}


def test_downs_numbered_apart_from_their_ups_restore_the_schema_together(
        tmp_path: Path) -> None:
    result = _popx(tmp_path, UNDONE_TOGETHER)
    rules = {rule for rule, _ in _rules(result)}
    assert not rules & {"down-does-not-restore", "missing-down", "unknown-object",
                        "drop-column", "drop-table"}, _rules(result)


def test_a_unit_whose_downs_leave_a_column_behind_is_reported_on_the_first_down_run(
        tmp_path: Path) -> None:
    result = _popx(tmp_path, {
        "20240101000000000000_things": ("CREATE TABLE things (id int PRIMARY KEY);",
                                        "DROP TABLE things;"),
        "20240102000000000000_note": ("ALTER TABLE things ADD COLUMN note text;", ""),
        "20240102000000000001_note": ("CREATE INDEX things_note ON things (note);",
                                      "DROP INDEX things_note;"),
    })
    (f,) = [f for f in result.active if f.rule == "down-does-not-restore"]
    assert "column public.things.note is left behind" in f.message
    assert Path(f.span.path).name == "20240102000000000001_note.postgres.down.sql"
    assert f.migration == "20240102000000000001_note"
    assert "missing-down" not in {rule for rule, _ in _rules(result)}


def test_a_unit_with_no_down_at_all_is_missing_its_down(tmp_path: Path) -> None:
    result = _popx(tmp_path, {
        "20240101000000000000_things": ("CREATE TABLE things (id int PRIMARY KEY);",
                                        "DROP TABLE things;"),
        "20240102000000000000_note": ("ALTER TABLE things ADD COLUMN note text;", ""),
        "20240102000000000001_note": ("CREATE INDEX things_note ON things (note);", ""),
    })
    assert [r for r in _rules(result) if r[0] == "missing-down"] == [
        ("missing-down", "20240102000000000000_note.postgres.up.sql")]
