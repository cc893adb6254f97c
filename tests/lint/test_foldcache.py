"""The fold cache: a run that starts from a saved history state prints exactly what a run
from scratch prints, and starts after the last migration that did not change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.lint.engine import LintResult, lint
from schemagate.lint.foldcache import FoldCache, open_fold_cache
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import defer_migrations

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
HISTORIES = [ROOT / "examples" / "golang-migrate", ROOT / "examples" / "dbmate",
             FIXTURES / "layouts" / "flyway", FIXTURES / "layouts" / "prisma",
             FIXTURES / "bad_input", FIXTURES / "alembic"]
FORMATS = ["json", "text", "sarif", "github", "gitlab", "markdown"]


def lint_output(history: Path | str, fmt: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["lint", str(history), "--format", fmt, *extra])
    assert result.exit_code in (0, 1, 2), result.output
    return result.output


def fold_entries(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("fold-*/*") if p.is_file())


def history(folder: Path, n: int) -> Path:
    """n golang-migrate migrations, each adding a table with a foreign key to the last."""
    folder.mkdir()
    for i in range(1, n + 1):
        ref = f", parent_id bigint REFERENCES t{i - 1} (id)" if i > 1 else ""
        (folder / f"{i:04d}_t{i}.up.sql").write_text(
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY{ref});\n"
            f"ALTER TABLE t{i} ADD COLUMN note varchar(20) NOT NULL DEFAULT now()::text;\n")
        (folder / f"{i:04d}_t{i}.down.sql").write_text(f"DROP TABLE t{i};\n")
    return folder


def run(folder: Path) -> tuple[LintResult, FoldCache]:
    """What `run_lint` does, keeping hold of its fold cache to see where it started."""
    settings = Settings()
    found = discover([str(folder)])
    loaded = defer_migrations(found.migrations)
    folds = open_fold_cache(settings, loaded, None)
    assert folds is not None
    result = lint(loaded.migrations, settings, checkpoints=folds)
    result.errors, result.notices = loaded.errors, loaded.notices
    return result, folds


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", HISTORIES, ids=lambda p: p.name)
def test_a_run_from_the_fold_cache_prints_exactly_what_a_run_without_it_prints(
        folder: Path, fmt: str, home: Path) -> None:
    uncached = lint_output(folder, fmt, "--no-cache")
    assert not fold_entries(home)
    filling = lint_output(folder, fmt)
    assert fold_entries(home), "the run saved no history state"
    reading = lint_output(folder, fmt)
    assert (filling, reading) == (uncached, uncached)


def test_an_unchanged_history_starts_after_its_last_migration(tmp_path: Path,
                                                               home: Path) -> None:
    folder = history(tmp_path / "h", 6)
    first, folds = run(folder)
    assert folds.resumed == {}
    again, folds = run(folder)
    assert folds.resumed == {str(folder): 6}
    assert again.findings == first.findings and again.statements == first.statements
    assert again.migrations == first.migrations == 6
    assert again.catalogs[str(folder)].tables.keys() == first.catalogs[str(folder)].tables.keys()


@pytest.mark.parametrize("changed", [6, 5])
def test_a_changed_migration_is_linted_again_from_that_migration_on(
        tmp_path: Path, home: Path, changed: int) -> None:
    folder = history(tmp_path / "h", 6)
    run(folder)
    edited = folder / f"{changed:04d}_t{changed}.up.sql"
    edited.write_text(edited.read_text() + "CREATE INDEX ON t1 (note);\n")
    result, folds = run(folder)
    assert folds.resumed == {str(folder): changed - 1}
    fresh = lint_output(folder, "json", "--no-cache")
    assert lint_output(folder, "json") == fresh
    assert any(f.migration == f"{changed:04d}_t{changed}" and
               f.rule == "create-index-non-concurrently" for f in result.findings)


def test_a_new_migration_starts_from_the_state_the_last_run_ended_with(
        tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 5)
    run(folder)
    history(tmp_path / "more", 6)
    for name in ("0006_t6.up.sql", "0006_t6.down.sql"):
        (folder / name).write_bytes((tmp_path / "more" / name).read_bytes())
    _, folds = run(folder)
    assert folds.resumed == {str(folder): 5}


def test_no_state_is_kept_after_a_migration_too_large_for_the_parse_cache(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A generated multi-megabyte migration: pickling the schema it leaves cost half a
    # gigabyte. The limit is lowered so that the sixth, padded migration stands in for one.
    import schemagate.parse.cache as parse_cache

    folder = history(tmp_path / "h", 6)
    big = folder / "0006_t6.up.sql"
    big.write_text(big.read_text() + "-- generated\n" * 200)
    monkeypatch.setattr(parse_cache, "MAX_ENTRY_SOURCE_BYTES", 1024)
    first, _ = run(folder)
    again, folds = run(folder)
    assert folds.resumed == {str(folder): 5}  # the state before it, not after it
    assert again.findings == first.findings


def test_a_forged_or_torn_entry_is_a_miss(tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 4)
    expected = lint_output(folder, "json", "--no-cache")
    lint_output(folder, "json")
    for i, entry in enumerate(fold_entries(home)):
        data = entry.read_bytes()
        entry.write_bytes(data[:len(data) // 2] if i % 2 else b"\0" * 32 + data[32:])
    _, folds = run(folder)
    assert folds.resumed == {}
    assert lint_output(folder, "json") == expected


def test_runs_resuming_from_the_cache_at_once_all_print_the_same(tmp_path: Path,
                                                                  home: Path) -> None:
    # Filling the caches at once is test_resultcache's test of runs sharing them. Here a
    # migration joins the history after the run that saved its states: the result cache
    # misses, and every run resumes from the same fold state at once.
    folder = history(tmp_path / "h", 40)
    lint_output(folder, "json")
    assert fold_entries(home)
    (folder / "0041_t41.up.sql").write_text("CREATE TABLE t41 (id bigint PRIMARY KEY);\n")
    (folder / "0041_t41.down.sql").write_text("DROP TABLE t41;\n")
    expected = lint_output(folder, "json", "--no-cache")
    cmd = [sys.executable, "-m", "schemagate", "lint", str(folder), "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert outputs == [expected] * 4


def popx(folder: Path, files: dict[str, tuple[str, str]]) -> Path:
    """popx `<version>_<name>.postgres.(up|down).sql` files; versions of one timestamp are
    one unit of rollback."""
    folder.mkdir(exist_ok=True)
    for name, (up, down) in files.items():
        (folder / f"{name}.postgres.up.sql").write_text(up, encoding="utf-8")
        (folder / f"{name}.postgres.down.sql").write_text(down, encoding="utf-8")
    return folder


def test_a_new_migration_joining_the_last_unit_of_rollback_lints_the_unit_again(
        tmp_path: Path, home: Path) -> None:
    # The state saved after the last run's end lies inside the unit the new file joins: its
    # downs undo the whole unit, so the unit is linted again from its first migration.
    folder = popx(tmp_path / "h", {
        "20240101000000000000_things": ("CREATE TABLE things (id int PRIMARY KEY);",
                                        "DROP TABLE things;"),
        "20240102000000000000_note": ("ALTER TABLE things ADD COLUMN note text;",
                                      "DROP INDEX things_note;"),
        "20240102000000000001_note": ("CREATE INDEX things_note ON things (note);", ""),
    })
    run(folder)
    popx(folder, {"20240102000000000002_note": ("ALTER TABLE things ADD COLUMN more text;",
                                                "ALTER TABLE things DROP COLUMN note;")})
    result, folds = run(folder)
    assert folds.resumed.get(str(folder), 0) <= 1
    fresh = lint_output(folder, "json", "--no-cache")
    assert lint_output(folder, "json") == fresh
    # The last down drops `note` but leaves `more` behind: judged over the whole unit.
    assert [f.migration for f in result.active if f.rule == "down-does-not-restore"] == [
        "20240102000000000002_note"]


def test_lint_diff_with_the_fold_cache_reads_the_fixed_texts(tmp_path: Path,
                                                             home: Path) -> None:
    # `--diff` lints the fixed texts in place of the files: a state saved for the files
    # must not stand for them, nor one saved for the fixed texts for the files.
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "0001_t.up.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    (folder / "0001_t.down.sql").write_text("DROP TABLE t;\n")
    (folder / "0002_ix.up.sql").write_text("CREATE INDEX t_id ON t (id);\n")
    (folder / "0002_ix.down.sql").write_text("DROP INDEX t_id;\n")
    expected = [lint_output(folder, "json", "--no-cache", *extra)
                for extra in ((), ("--diff",), ())]
    assert expected[0] != expected[1]
    assert [lint_output(folder, "json", *extra) for extra in ((), ("--diff",), ())] == expected


def test_a_state_saved_by_other_code_is_not_resumed_from(tmp_path: Path, home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The store's salt names the code of the stages: states saved before a change to the
    # rules or the fold are keyed apart from the new code's.
    from schemagate.lint import foldcache
    from schemagate.parse.cache import open_store

    folder = history(tmp_path / "h", 4)
    run(folder)
    _, folds = run(folder)
    assert folds.resumed == {str(folder): 4}

    def other_code(*args: object) -> object:
        store = open_store(*args)  # type: ignore[arg-type]
        assert store is not None
        store.salt = b"other code"
        return store

    monkeypatch.setattr(foldcache, "open_store", other_code)
    _, folds = run(folder)
    assert folds.resumed == {}
