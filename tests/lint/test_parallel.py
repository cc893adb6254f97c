"""`lint -j N` (lint/parallel.py): histories linted in several processes give the bytes one
process gives, in every format; a dead worker costs only its histories; Ctrl-C leaves no
worker behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import LINT_FORMATS, main
from schemagate.lint import parallel
from schemagate.lint.config import ConfigError, settings_from
from schemagate.lint.run import run_lint
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.settings import Settings

ROOT = Path(__file__).parent.parent.parent
# Several histories of several layouts, with history-scope findings (duplicate versions,
# Alembic heads), files that cannot be read or parsed, and notices.
HISTORIES = [
    "tests/fixtures/layouts/golang-migrate", "tests/fixtures/layouts/flyway",
    "tests/fixtures/layouts/dbmate", "tests/fixtures/layouts/diesel",
    "tests/fixtures/layouts/prisma", "tests/fixtures/layouts/popx",
    "tests/fixtures/layouts/messy", "tests/fixtures/layouts/django",
    "tests/fixtures/alembic/handwritten", "tests/fixtures/bad_input",
    "tests/fixtures/unreadable", "examples/flyway", "examples/dbmate",
]


@pytest.fixture
def share_everything(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Share out even the fixtures' few bytes; records how many units each pool run had."""
    monkeypatch.setattr(parallel, "MIN_SHARED_BYTES", 0)
    runs: list[int] = []
    real = parallel.lint_in_parallel

    def spy(sources, units, *args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(len(units))
        return real(sources, units, *args, **kwargs)

    monkeypatch.setattr(parallel, "lint_in_parallel", spy)
    return runs


def _lint(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, ["lint", *HISTORIES, "--fail-on", "warning", *args])
    assert done.exit_code in (0, 1, 2), done.output
    return done.exit_code, done.stdout


# Every format with forked workers; the start method does not meet the format, so fresh
# interpreters (seconds each on a busy machine) are tried on two.
@pytest.mark.parametrize(("fmt", "method"), [(fmt, "fork") for fmt in LINT_FORMATS]
                         + [("json", "spawn"), ("text", "spawn")])
def test_several_processes_print_what_one_prints(fmt: str, method: str,
                                                 share_everything: list[int],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(parallel, "_start_method", lambda: method)
    one = _lint("--format", fmt, "--no-cache", "-j", "1")
    assert share_everything == []
    for jobs in ("2", "3") if method == "fork" else ("2",):
        assert _lint("--format", fmt, "--no-cache", "-j", jobs) == one
    assert share_everything and all(n > 2 for n in share_everything)
    assert one[0] == 2  # the unparsable files are errors, after the rest were linted


def test_fixes_found_by_several_processes_are_the_same(share_everything: list[int],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    one = _lint("--diff", "--unsafe-fixes", "--no-cache", "-j", "1")
    assert "+++ " in one[1]
    assert _lint("--diff", "--unsafe-fixes", "--no-cache", "-j", "2") == one
    assert share_everything


def test_the_caches_filled_by_workers_give_the_same_output(
        share_everything: list[int], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    uncached = _lint("--format", "json", "--no-cache", "-j", "1")
    cold = _lint("--format", "json", "-j", "2")
    warm = _lint("--format", "json", "-j", "2")
    warm_here = _lint("--format", "json", "-j", "1")  # reads what the workers wrote
    assert cold == warm == warm_here == uncached
    assert any((tmp_path / "cache").rglob("fold-*/*"))


def test_run_lint_merges_in_the_order_one_process_gives(share_everything: list[int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    one = run_lint(HISTORIES, Settings(cache=False, jobs=1)).result
    many = run_lint(HISTORIES, Settings(cache=False, jobs=2)).result
    assert many.findings == one.findings
    assert (many.errors, many.notices) == (one.errors, one.notices)
    assert (many.files, many.migrations, many.statements) == (
        one.files, one.migrations, one.statements)
    assert list(many.catalogs) == list(one.catalogs)
    assert all(many.catalogs[k].tables == one.catalogs[k].tables for k in one.catalogs)


def _source(path: str, layout: str = "sql") -> MigrationSource:
    return MigrationSource(Path(path).stem, layout, Script(path))  # type: ignore[arg-type]


def test_no_pool_for_one_history_one_process_or_little_work(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1_x.sql").write_text("SELECT 1;\n" * 40_000)
    two = [_source(str(tmp_path / "a" / "1_x.sql")), _source(str(tmp_path / "b" / "1_x.sql"))]
    units = parallel.plan_units(two, 2)
    assert units is not None and [u.indexes for u in units] == [[0], [1]]
    assert parallel.plan_units(two, 1) is None
    assert parallel.plan_units(two[:1], 8) is None
    (tmp_path / "b" / "1_x.sql").write_text("SELECT 1;\n")  # all the work in one history
    assert parallel.plan_units(two, 2) is None


def test_alembic_and_django_histories_are_one_unit(tmp_path: Path) -> None:
    sources = [_source(f"v{i}/x.py", "alembic") for i in range(3)] + [
        _source("d/0001.py", "django"), _source("s/1.sql"), _source("t/1.sql")]
    units = parallel.plan_units(sources, 4, {s.up.path: "x" * 200_000 for s in sources
                                             if s.up is not None})
    assert units is not None
    assert sorted(u.indexes for u in units) == [[0, 1, 2, 3], [4], [5]]


def test_jobs_default_to_the_cpus_this_process_may_use() -> None:
    assert parallel.jobs_for(Settings()) == len(os.sched_getaffinity(0))
    assert parallel.jobs_for(Settings(jobs=3)) == 3
    assert Settings(jobs=3) == Settings() and "jobs" not in repr(Settings(jobs=3))


def test_jobs_setting() -> None:
    assert settings_from({"jobs": 4}, "x").jobs == 4
    assert settings_from({"jobs": "auto"}, "x").jobs is None
    for bad in (0, -1, "4", True, 1.5):
        with pytest.raises(ConfigError, match="jobs must be"):
            settings_from({"jobs": bad}, "x")


def test_jobs_option_is_checked() -> None:
    done = CliRunner().invoke(main, ["lint", "examples/dbmate", "-j", "0"])
    assert done.exit_code == 2 and "-j" in done.output


# A worker that dies: the function a pool runs is given, so a test can make it die.
DOOMED = "flyway"


def die_on_flyway(task: parallel.Task) -> parallel.Piece:
    if any(DOOMED in s.history for s in task.sources):
        os._exit(9)  # as the kernel's OOM killer or a segfault would: no goodbye
    return parallel.lint_unit(task)


def test_a_dead_worker_costs_only_its_histories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    paths = ["examples/flyway", "examples/dbmate", "examples/golang-migrate"]
    settings = Settings(cache=False, jobs=1)
    from schemagate.parse.layouts.discover import discover

    sources = discover(paths).migrations
    monkeypatch.setattr(parallel, "MIN_SHARED_BYTES", 0)
    units = parallel.plan_units(sources, 3)
    assert units is not None and len(units) == 3
    # The doomed unit is the largest: a worker takes it (this process takes the smallest).
    units.sort(key=lambda u: not any(DOOMED in sources[i].history for i in u.indexes))
    result = parallel.lint_in_parallel(sources, units, settings, None, None, 3,
                                       work=die_on_flyway)
    one = run_lint(paths, settings).result
    assert [e.message for e in result.errors] == [
        "the worker process linting this history ended abruptly (killed, out of memory, "
        "or a crash in native code): its migrations were not linted (`--jobs 1` lints "
        "them in the main process)"]
    assert result.errors[0].path == "examples/flyway"
    assert result.findings == [f for f in one.findings if DOOMED not in f.span.path]
    assert result.exit_code(None) == 2


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(p) for p in (task / "children").read_text().split())
    return found


def _alive(pids: set[int]) -> list[int]:
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                out.append(pid)
    return out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_no_worker_outlives_the_run(tmp_path: Path, how: str) -> None:
    # Two histories big enough to share out and to take a while: the signal must find the
    # run at work, not already on its way out with its report written (under load, the
    # workers may be seen only late). Interrupted, the run costs little more for its size.
    statement = "ALTER TABLE t ADD COLUMN c{i} int;\nCREATE INDEX i{i} ON t (c{i});\n"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for n in range(1, 121):
            (tmp_path / name / f"{n:03d}_m.sql").write_text(
                "CREATE TABLE IF NOT EXISTS t (id int);\n"
                + "".join(statement.format(i=i) for i in range(200)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "schemagate", "lint", "a", "b", "--no-cache", "-j", "2"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while not workers and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert workers, "no worker was started"
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        else:
            proc.kill()  # a CI job's timeout: no chance to stop the workers itself
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == "ctrl-c":
        assert proc.returncode == 130, err
        assert b"Traceback" not in err
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(workers) == []


@pytest.mark.parametrize(("files", "quota"), [
    ({"cpu.max": "200000 100000\n"}, 2),
    ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs' worth of time: two workers may use it
    ({"cpu.max": "50000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),  # cgroup v2 without a quota
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": "garbage\n"}, None),
    ({}, None),
])
def test_a_containers_cpu_quota_caps_the_default_jobs(tmp_path: Path, files: dict[str, str],
                                                       quota: int | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert parallel.cpu_quota(str(tmp_path)) == quota
    mask = len(os.sched_getaffinity(0))
    assert parallel.available_cpus(str(tmp_path)) == (mask if quota is None
                                                       else max(1, min(mask, quota)))
