"""The fold cache: a run that starts from a saved history state prints exactly what a run
from scratch prints, and starts after the last migration that did not change."""

from __future__ import annotations

import shutil
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


# --- --changed-since: a run that resumes near the end and reads little of the state -------

SCHEMA = {
    "0001_a": ("CREATE TABLE a (id bigint PRIMARY KEY, name text);\n", "DROP TABLE a;\n"),
    "0002_b": ("CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint);\n", "DROP TABLE b;\n"),
    "0003_v": ("CREATE VIEW a_names AS SELECT id, name FROM a;\n", "DROP VIEW a_names;\n"),
    "0004_c": ("CREATE TABLE c (id bigint PRIMARY KEY, b_id bigint);\n"
               "CREATE INDEX c_b ON c (b_id);\n", "DROP TABLE c;\n"),
    "0005_d": ("CREATE TABLE d (id bigint PRIMARY KEY);\n", "DROP TABLE d;\n"),
    "0006_e": ("ALTER TABLE d ADD COLUMN note text;\n", "ALTER TABLE d DROP COLUMN note;\n"),
}
# What the newest migration's up path is edited to add, each reading the state differently.
EDITS = {
    # a table no migration touched since the first
    "late": "ALTER TABLE a ADD COLUMN extra int NOT NULL;\nCREATE INDEX a_extra ON a (extra);\n",
    "drop": "DROP TABLE a;\n",  # a table that a view reads
    "rename": "ALTER TABLE a RENAME TO a2;\nALTER TABLE d ADD COLUMN a_id bigint REFERENCES a2;\n",
    "view": "ALTER TABLE a DROP COLUMN name;\n",  # a column that a view reads
    "fk": "ALTER TABLE c ADD CONSTRAINT c_b_fk FOREIGN KEY (b_id) REFERENCES b;\n"
          "ALTER TABLE d ADD COLUMN b_id bigint REFERENCES b (id);\n",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


def committed(folder: Path, files: dict[str, tuple[str, str]]) -> Path:
    """golang-migrate files, committed to a new git repository."""
    folder.mkdir()
    for name, (up, down) in files.items():
        (folder / f"{name}.up.sql").write_text(up)
        (folder / f"{name}.down.sql").write_text(down)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-qm", "history")
    return folder


def run_changed(folder: Path) -> tuple[LintResult, FoldCache]:
    """`run` in the current folder, ``folder``, as `lint . --changed-since HEAD` runs: only
    the migrations changed since git's HEAD are reported."""
    from schemagate.parse.changes import changed_files, report_names

    settings = Settings()
    found = discover(["."])
    report = report_names(found.migrations, changed_files("HEAD", folder))
    loaded = defer_migrations(found.migrations)
    folds = open_fold_cache(settings, loaded, report)
    assert folds is not None
    result = lint(loaded.migrations, settings, report=report, checkpoints=folds)
    return result, folds


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("edit", EDITS)
def test_the_newest_migration_edited_again_prints_what_a_run_from_scratch_prints(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    # The pre-commit case: the state before the newest migration is read back, only the
    # tables the migration touches are unpickled, and the findings are a cold run's.
    folder = committed(tmp_path / "h", SCHEMA)
    monkeypatch.chdir(folder)
    newest = folder / "0006_e.up.sql"
    append(newest, EDITS[edit])
    lint_output(".", "json", "--changed-since", "HEAD")  # keeps the states of this report
    append(newest, "-- edited again\n")
    _, folds = run_changed(folder)
    assert list(folds.resumed.values()) == [5]
    for fmt in ("json", "text"):
        expected = lint_output(".", fmt, "--no-cache", "--changed-since", "HEAD")
        assert lint_output(".", fmt, "--changed-since", "HEAD") == expected


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_foreign_key_reported_before_the_state_resumed_from_is_still_judged(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `fk-without-index` reads only the tables holding keys that the reported migrations
    # made: one made by an older changed migration lies in the state read back, unread.
    folder = committed(tmp_path / "h", SCHEMA)
    monkeypatch.chdir(folder)
    append(folder / "0002_b.up.sql", "ALTER TABLE b ADD FOREIGN KEY (a_id) REFERENCES a;\n")
    append(folder / "0006_e.up.sql", "CREATE INDEX d_note ON d (note);\n")
    lint_output(".", "json", "--changed-since", "HEAD")
    append(folder / "0006_e.up.sql", "-- edited again\n")
    result, folds = run_changed(folder)
    assert list(folds.resumed.values()) == [5]
    assert [f.migration for f in result.active if f.rule == "fk-without-index"] == ["0002_b"]
    expected = lint_output(".", "json", "--no-cache", "--changed-since", "HEAD")
    assert lint_output(".", "json", "--changed-since", "HEAD") == expected


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_run_resumed_before_the_newest_migration_reads_only_the_tables_it_touches(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from schemagate.model.pickling import Packed

    files = {f"{i:04d}_t{i}": (f"CREATE TABLE t{i} (id bigint PRIMARY KEY, "
                               f"parent_id bigint REFERENCES t{max(i - 1, 1)});\n"
                               f"CREATE INDEX t{i}_parent ON t{i} (parent_id);\n",
                               f"DROP TABLE t{i};\n") for i in range(1, 21)}
    folder = committed(tmp_path / "h", files)
    monkeypatch.chdir(folder)
    newest = folder / "0020_t20.up.sql"
    append(newest, "ALTER TABLE t3 ADD COLUMN note text;\n")
    lint_output(".", "json", "--changed-since", "HEAD")
    append(newest, "-- edited again\n")
    result, folds = run_changed(folder)
    assert list(folds.resumed.values()) == [19]
    [catalog] = result.catalogs.values()
    tables = catalog.tables
    read = {key.name for key, value in dict.items(tables)
            if type(value) is not Packed or value.read}
    assert read == {"t3", "t19", "t20"}  # t20's foreign key reads the table it references


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_new_migration_after_a_commit_resumes_from_the_last_pre_commit_runs_state(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The run on 0006 kept states keyed with 0006 reported; the state before 0006 does not
    # depend on it and serves the run on 0007, which reports 0007 only.
    folder = committed(tmp_path / "h", SCHEMA)
    monkeypatch.chdir(folder)
    append(folder / "0006_e.up.sql", EDITS["fk"])
    lint_output(".", "json", "--changed-since", "HEAD")
    git(folder, "commit", "-qam", "0006")
    (folder / "0007_f.up.sql").write_text(EDITS["late"])
    (folder / "0007_f.down.sql").write_text("DROP INDEX a_extra;\n")
    _, folds = run_changed(folder)
    assert list(folds.resumed.values()) == [5]
    expected = lint_output(".", "json", "--no-cache", "--changed-since", "HEAD")
    assert lint_output(".", "json", "--changed-since", "HEAD") == expected
    assert '"0007_f"' in expected and '"0006_e"' not in expected
