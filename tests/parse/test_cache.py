"""The parse cache: same output with and without it, a miss on any changed input, safe to share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings
from schemagate.parse.cache import ParseCache, open_cache
from schemagate.parse.load import Loaded, load_migrations

ROOT = Path(__file__).resolve().parents[2]
HISTORIES = sorted(p for p in (ROOT / "tests" / "fixtures" / "layouts").iterdir() if p.is_dir())
HISTORIES += sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())


def lint_output(history: Path, fmt: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["lint", str(history), "--format", fmt, *extra])
    assert result.exit_code in (0, 1, 2), result.output
    return result.output


def entries(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("parse-*/*") if p.is_file())


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
@pytest.mark.parametrize("history", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_cached_run_prints_exactly_what_an_uncached_run_prints(
    history: Path, fmt: str, home: Path
) -> None:
    uncached = lint_output(history, fmt, "--no-cache")
    filling = lint_output(history, fmt)
    # Django's frontend reads each file against the models of the files before it, so its
    # results are never cached: its runs must still print the same, and store nothing.
    if history.name == "django":
        assert not entries(home), "a Django migration's parse was cached"
    else:
        assert entries(home), "the run wrote no cache entry"
    reading = lint_output(history, fmt)
    assert (filling, reading) == (uncached, uncached)


def test_no_cache_writes_nothing(home: Path) -> None:
    lint_output(ROOT / "examples" / "flyway", "json", "--no-cache")
    assert not home.exists() or not any(home.rglob("*"))


def test_the_cache_setting_turns_it_off(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "schemagate.toml"
    config.write_text("cache = false\n", encoding="utf-8")
    lint_output(ROOT / "examples" / "flyway", "json", "--config", str(config))
    assert entries(home) == []


def test_cache_dir_puts_the_entries_in_the_folder_named_relative_to_the_settings_file(
    home: Path, tmp_path: Path
) -> None:
    config = tmp_path / "schemagate.toml"
    config.write_text('cache-dir = ".schemagate_cache"\n', encoding="utf-8")
    lint_output(ROOT / "examples" / "flyway", "json", "--config", str(config))
    assert list((tmp_path / ".schemagate_cache").glob("parse-*/*"))
    assert entries(home) == []


# --- Invalidation: a run that misses writes new entries, one that hits writes none -------

def cache_in(tmp_path: Path) -> ParseCache:
    cache = open_cache(Settings(cache_dir=str(tmp_path / "cache")))
    assert cache is not None
    return cache


def load(path: Path, cache: ParseCache, *, variables: dict[str, str] | None = None,
         dialect: str = "postgres") -> Loaded:
    source = MigrationSource(path.stem, "sql", Script(str(path)), dialect=dialect)
    return load_migrations([source], variables=variables, cache=cache)


def migration(tmp_path: Path, text: str = "ALTER TABLE t ADD COLUMN c int;\n") -> Path:
    path = tmp_path / "0001_m.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unchanged_file_is_read_back_from_the_cache(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path)
    load(path, cache_in(tmp_path))
    again = cache_in(tmp_path)
    load(path, again)
    assert again.written == 0


def test_a_changed_file_is_parsed_again(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path)
    load(path, cache_in(tmp_path))
    migration(tmp_path, "ALTER TABLE t DROP COLUMN c;\n")
    again = cache_in(tmp_path)
    loaded = load(path, again)
    assert again.written == 1
    assert loaded.migrations[0].up is not None
    assert "DROP COLUMN" in loaded.migrations[0].up.statements[0].sql


def test_a_file_over_the_entry_limit_is_parsed_every_time_and_never_stored(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A generated multi-megabyte migration: pickling its parse cost more memory than linting
    # it (1.8 GB for 20 MB). The limit is lowered so that a small file stands in for one.
    import schemagate.parse.cache as parse_cache

    monkeypatch.setattr(parse_cache, "MAX_ENTRY_SOURCE_BYTES", 1024)
    big = migration(tmp_path, "ALTER TABLE t ADD COLUMN c int;\n" * 64)  # 2 KB
    for _ in range(2):
        cache = cache_in(tmp_path)
        loaded = load(big, cache)
        assert cache.written == 0
        assert loaded.migrations[0].up is not None
        assert len(loaded.migrations[0].up.statements) == 64
    small = migration(tmp_path, "ALTER TABLE t ADD COLUMN c int;\n")
    cache = cache_in(tmp_path)
    load(small, cache)
    assert cache.written == 1  # the same cache keeps what is under the limit


def test_a_changed_var_is_parsed_again(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path, "ALTER TABLE ${table} ADD COLUMN c int;\n")
    load(path, cache_in(tmp_path), variables={"table": "a"})
    again = cache_in(tmp_path)
    loaded = load(path, again, variables={"table": "b"})
    assert again.written == 1
    assert loaded.migrations[0].up is not None
    assert "ALTER TABLE b" in loaded.migrations[0].up.statements[0].sql


def test_a_changed_dialect_is_parsed_again(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path)
    load(path, cache_in(tmp_path))
    again = cache_in(tmp_path)
    load(path, again, dialect="mysql")
    assert again.written == 1


def test_a_corrupt_entry_is_a_miss_not_an_error(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path)
    first = load(path, cache_in(tmp_path))
    [entry] = (tmp_path / "cache").glob("parse-*/*")
    entry.write_bytes(entry.read_bytes()[:-10])  # torn
    again = cache_in(tmp_path)
    assert load(path, again).migrations == first.migrations
    assert again.written == 1


def test_an_entry_not_signed_with_the_users_secret_is_a_miss(tmp_path: Path, home: Path) -> None:
    path = migration(tmp_path)
    first = load(path, cache_in(tmp_path))
    [entry] = (tmp_path / "cache").glob("parse-*/*")
    blob = entry.read_bytes()
    entry.write_bytes(bytes(32) + blob[32:])  # a payload someone else wrote
    again = cache_in(tmp_path)
    assert load(path, again).migrations == first.migrations
    assert again.written == 1


def test_pruning_deletes_the_oldest_entries_beyond_the_limit(tmp_path: Path, home: Path) -> None:
    cache = cache_in(tmp_path)
    cache.limit_bytes = 1000
    for i in range(10):
        cache.put(f"k{i}", "x" * 200)
        os.utime(cache.folder / f"k{i}", (i, i))
    cache.prune()
    kept = sorted(p.name for p in cache.folder.iterdir())
    assert kept == ["k7", "k8", "k9"]


def test_two_concurrent_runs_on_one_cache_both_succeed_with_the_same_output(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    history = ROOT / "tests" / "fixtures" / "layouts" / "flyway"
    command = [sys.executable, "-m", "schemagate", "lint", str(history), "--format", "json"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    codes = [run.returncode for run in runs]
    uncached = subprocess.run([*command, "--no-cache"], env=env, capture_output=True,
                              text=True, timeout=120)
    assert codes == [uncached.returncode] * 2
    assert outputs == [uncached.stdout] * 2


def test_a_run_that_wrote_little_lists_the_folder_only_by_a_chance_that_small(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import schemagate.parse.cache as parse_cache

    cache = cache_in(tmp_path)
    cache.limit_bytes = 64 * 1000  # a look is due for every 1,000 bytes written
    listed: list[int] = []
    real_scandir = os.scandir
    monkeypatch.setattr(parse_cache.os, "scandir",
                        lambda path: listed.append(1) or real_scandir(path))
    cache.put("ffffffff" + "0" * 32, "x" * 100)  # a high draw: 132 bytes are not enough
    cache.prune()
    assert listed == []
    cache.put("00000000" + "0" * 32, "x" * 100)  # a low one is
    cache.prune()
    assert listed == [1]
    big = cache_in(tmp_path)
    big.limit_bytes = 64 * 1000
    big.put("ffffffff" + "1" * 32, "x" * 2000)  # more than its share: always
    big.prune()
    assert listed == [1, 1]


def test_a_large_entry_is_signed_and_checked_like_a_small_one(tmp_path: Path,
                                                              home: Path) -> None:
    cache = cache_in(tmp_path)
    value = [f"row {i}" for i in range(200_000)]  # a pickle of more than 1 MB
    cache.put("k" * 40, value)
    entry = cache.folder / ("k" * 40)
    assert entry.stat().st_size > 1024 * 1024
    assert cache_in(tmp_path).get("k" * 40) == value
    data = entry.read_bytes()
    entry.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert cache_in(tmp_path).get("k" * 40) is None
