"""The result cache: a re-lint of an unchanged history prints exactly what a run from
scratch prints, in every format, without parsing, folding or checking anything; any change
to what the findings depend on is a miss."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import schemagate.lint.engine
from schemagate.lint import resultcache
from schemagate.lint.run import run_lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from tests.lint.test_foldcache import HISTORIES, history, lint_output

# The fold cache's test histories, and every format (the fold cache's tests leave out html).
FORMATS = ["json", "text", "sarif", "github", "gitlab", "markdown", "html"]


def result_entries(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("result-*/*") if p.is_file())


class Linted:
    """Counts the runs that reached the engine (a result-cache hit never does)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = schemagate.lint.engine.lint

        def counting(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(schemagate.lint.engine, "lint", counting)


@pytest.fixture
def linted(monkeypatch: pytest.MonkeyPatch) -> Linted:
    return Linted(monkeypatch)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", HISTORIES, ids=lambda p: p.name)
def test_a_run_from_the_result_cache_prints_exactly_what_a_run_without_it_prints(
        folder: Path, fmt: str, home: Path, linted: Linted) -> None:
    uncached = lint_output(folder, fmt, "--no-cache")
    assert not result_entries(home)
    filling = lint_output(folder, fmt)
    assert result_entries(home), "the run stored no result"
    calls = linted.calls
    reading = lint_output(folder, fmt)
    # markdown and HTML read the schemas: from the fold cache's end state, no lint
    assert linted.calls == calls, "the unchanged history was linted again"
    assert (filling, reading) == (uncached, uncached)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_without_the_fold_state_the_schemas_are_linted_again(
        tmp_path: Path, fmt: str, home: Path, linted: Linted) -> None:
    folder = history(tmp_path / "h", 5)
    uncached = lint_output(folder, fmt, "--no-cache")
    lint_output(folder, fmt)
    for entry in home.rglob("fold-*/*"):
        entry.unlink()
    calls = linted.calls
    assert lint_output(folder, fmt) == uncached
    assert linted.calls == calls + 1


def test_a_hit_imports_neither_the_engine_nor_the_parser(tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    probe = ("import json, sys\nfrom schemagate.cli import main\n"
             "try:\n    main(['lint', *sys.argv[1:]])\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(sys.modules)))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    command = [sys.executable, "-c", probe, str(folder), "--format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert first.stdout.splitlines()[:-1] == second.stdout.splitlines()[:-1]
    modules = json.loads(second.stdout.splitlines()[-1])
    unneeded = ("pglast", "schemagate.lint.engine", "schemagate.rules", "schemagate.fold",
                "schemagate.parse.load", "schemagate.parse.postgres", "schemagate.model.ops",
                "schemagate.model.catalog", "platformdirs", "hashlib")
    assert [m for m in modules if m.split(".")[0] in unneeded or any(
        m == name or m.startswith(name + ".") for name in unneeded)] == []


@pytest.mark.parametrize("change", [
    "edit", "add", "remove", "rename", "select", "var", "dialect", "changed-since"])
def test_any_change_to_what_the_findings_depend_on_is_a_miss(
        tmp_path: Path, home: Path, linted: Linted, change: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = history(tmp_path / "h", 4)
    extra: list[str] = []
    lint_output(folder, "json")
    calls = linted.calls
    lint_output(folder, "json")
    assert linted.calls == calls  # unchanged: a hit
    if change == "edit":
        edited = folder / "0002_t2.up.sql"
        edited.write_text(edited.read_text() + "CREATE INDEX ON t1 (note);\n")
    elif change == "add":
        (folder / "0005_t5.up.sql").write_text("CREATE INDEX ON t1 (note);\n")
    elif change == "remove":
        (folder / "0004_t4.down.sql").unlink()
    elif change == "rename":
        (folder / "0004_t4.up.sql").rename(folder / "0004_t4b.up.sql")
        (folder / "0004_t4.down.sql").rename(folder / "0004_t4b.down.sql")
    elif change == "select":
        extra = ["--select", "locking"]
    elif change == "var":
        (folder / "0005_t5.up.sql").write_text("CREATE INDEX ON ${name} (note);\n")
        lint_output(folder, "json", "--var", "name=t1")
        extra = ["--var", "name=t2"]
    elif change == "dialect":
        extra = ["--dialect", "mysql"]
    elif change == "changed-since":
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
        monkeypatch.chdir(folder)
        lint_output(".", "json")
        calls = linted.calls
        assert lint_output(".", "json") and linted.calls == calls
        subprocess.run(["git", "add", "0001_t1.up.sql"], cwd=folder, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                        "one"], cwd=folder, check=True)
        expected = lint_output(".", "json", "--no-cache", "--changed-since", "HEAD")
        calls = linted.calls
        assert lint_output(".", "json", "--changed-since", "HEAD") == expected
        assert linted.calls == calls + 1
        return
    calls = linted.calls
    expected = lint_output(folder, "json", "--no-cache", *extra)
    assert linted.calls == calls + 1
    assert lint_output(folder, "json", *extra) == expected
    assert linted.calls == calls + 2, "the changed input was served from the cache"
    assert lint_output(folder, "json", *extra) == expected
    assert linted.calls == calls + 2


def test_the_code_of_the_stages_is_part_of_the_key(tmp_path: Path, home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = history(tmp_path / "h", 2)
    from schemagate.parse.layouts.discover import discover

    sources = discover([str(folder)]).migrations
    before = resultcache.open_result_cache(Settings(), sources, None)
    monkeypatch.setattr(resultcache, "open_store", lambda *args: _salted(*args, b"other"))
    after = resultcache.open_result_cache(Settings(), sources, None)
    assert before is not None and after is not None and before.key != after.key


def _salted(settings: Settings, name: str, packages: tuple[str, ...], salt: bytes) -> object:
    from schemagate.parse.cache import open_store

    store = open_store(settings, name, packages)
    assert store is not None
    store.salt = salt
    return store


def test_no_cache_reads_and_writes_no_result(tmp_path: Path, home: Path,
                                             linted: Linted) -> None:
    folder = history(tmp_path / "h", 3)
    lint_output(folder, "json")
    calls = linted.calls
    lint_output(folder, "json", "--no-cache")
    assert linted.calls == calls + 1
    for entry in result_entries(home):
        entry.unlink()
    lint_output(folder, "json", "--no-cache")
    assert not result_entries(home)


def test_a_forged_or_torn_entry_is_a_miss(tmp_path: Path, home: Path, linted: Linted) -> None:
    folder = history(tmp_path / "h", 4)
    expected = lint_output(folder, "json", "--no-cache")
    lint_output(folder, "json")
    for i, entry in enumerate(result_entries(home)):
        data = entry.read_bytes()
        entry.write_bytes(data[:len(data) // 2] if i % 2 else b"\0" * 32 + data[32:])
    (entry,) = result_entries(home)
    entry.write_bytes(b"\0" * 32 + entry.read_bytes()[32:])
    calls = linted.calls
    assert lint_output(folder, "json") == expected
    assert linted.calls == calls + 1


def test_a_baseline_hides_the_same_findings_from_a_cached_result(tmp_path: Path,
                                                                  home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    baseline = tmp_path / "baseline.json"
    lint_output(folder, "json", "--write-baseline", str(baseline))
    history(tmp_path / "more", 4)
    for name in ("0004_t4.up.sql", "0004_t4.down.sql"):
        (folder / name).write_bytes((tmp_path / "more" / name).read_bytes())
    expected = lint_output(folder, "json", "--no-cache", "--baseline", str(baseline))
    assert '"hidden_by_baseline"' in expected
    assert [lint_output(folder, "json", "--baseline", str(baseline)) for _ in range(2)] == [
        expected] * 2


def test_the_folder_is_kept_within_its_limit(tmp_path: Path, home: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = history(tmp_path / "h", 3)
    lint_output(folder, "json")
    (size,) = [p.stat().st_size for p in result_entries(home)]
    monkeypatch.setattr(resultcache, "LIMIT_BYTES", int(size * 2.5))
    for rules in ("locking", "naming", "data-loss", "constraints"):
        lint_output(folder, "json", "--select", rules)
    assert 1 <= len(result_entries(home)) <= 2


def test_runs_sharing_the_cache_at_once_all_print_the_same(tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 40)
    expected = lint_output(folder, "json", "--no-cache")
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    cmd = [sys.executable, "-m", "schemagate", "lint", str(folder), "--format", "json"]
    for _ in range(2):  # the first round fills the cache at once, the second reads it
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
                 for _ in range(4)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert outputs == [expected] * 4


def test_run_lint_serves_a_hit_with_the_same_result(tmp_path: Path, home: Path,
                                                    linted: Linted) -> None:
    folder = history(tmp_path / "h", 4)
    first = run_lint([str(folder)], Settings()).result
    calls = linted.calls
    again = run_lint([str(folder)], Settings()).result
    assert linted.calls == calls
    assert (again.findings, again.errors, again.notices) == (
        first.findings, first.errors, first.notices)
    assert (again.files, again.migrations, again.statements) == (
        first.files, first.migrations, first.statements)
    assert again.catalogs[str(folder)].tables.keys() == first.catalogs[str(folder)].tables.keys()


def test_a_large_file_is_keyed_a_block_at_a_time_as_its_bytes_would_be(
        tmp_path: Path) -> None:
    path = tmp_path / "big.sql"
    data = b"CREATE TABLE t (id int);\n" * (3 * resultcache._BLOCK // 25 + 7)
    path.write_bytes(data)
    source = MigrationSource("big", "sql", Script(str(path)))
    assert len(data) > 2 * resultcache._BLOCK
    assert resultcache.source_digest(source, {}) == resultcache.source_digest(
        source, {}, {str(path): data})
    path.write_bytes(data + b"\n")
    assert resultcache.source_digest(source, {}) != resultcache.source_digest(
        source, {}, {str(path): data})
