"""The replay of an unchanged lint (schemagate.replay), through the real entry point: what it
writes is exactly what the run it replays wrote, with the same exit code; any change to what
that depended on is a miss; a run it cannot trust records nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schemagate import replay
from tests.conftest import FIXTURES
from tests.lint.test_foldcache import HISTORIES, history

# Slow: every case starts the command several times, as a user would.
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the journal is Linux's only"),
              pytest.mark.slow]

# `schemagate.__main__.main` as the `schemagate` command calls it, with the run's start moved
# by SCHEMAGATE_TEST_CLOCK_NS (files a test just wrote count as older than the run's
# margin), and the modules loaded at exit written to SCHEMAGATE_TEST_MODULES.
PROBE = """
import os, sys, time
offset = int(os.environ.pop("SCHEMAGATE_TEST_CLOCK_NS"))
modules = os.environ.pop("SCHEMAGATE_TEST_MODULES")
import atexit
atexit.register(lambda: open(modules, "w").write("\\n".join(sorted(sys.modules))))
from schemagate.__main__ import main
main(time.time_ns() + offset)
"""
LATER = 10 * 10**9  # every file the test made is older than the margin before this


class Run:
    """One run of the command: what it wrote, its exit code, and whether it was replayed."""

    def __init__(self, done: subprocess.CompletedProcess[str], modules: list[str],
                 written: bytes | None) -> None:
        self.stdout, self.stderr, self.code = done.stdout, done.stderr, done.returncode
        self.modules = modules
        self.written = written
        self.replayed = "schemagate.cli" not in modules

    def output(self) -> tuple[str, str, int, bytes | None]:
        return self.stdout, self.stderr, self.code, self.written


def lint(cwd: Path, *args: str, clock: int = LATER, out: Path | None = None,
         env: dict[str, str] | None = None) -> Run:
    fd, name = tempfile.mkstemp(prefix="modules-")  # outside every folder a run reads
    os.close(fd)
    modules = Path(name)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "lint", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, env={**os.environ, "SCHEMAGATE_TEST_CLOCK_NS": str(clock),
                          "SCHEMAGATE_TEST_MODULES": str(modules), **(env or {})})
    written = out.read_bytes() if out is not None and out.exists() else None
    loaded = modules.read_text().split("\n")
    modules.unlink()
    return Run(done, loaded, written)


def entries(home: Path) -> list[Path]:
    return sorted((home / "schemagate").glob("replay-*/*"))


def copy_of(folder: Path, into: Path) -> Path:
    shutil.copytree(folder, into)
    return into


# Every history as JSON to a file; standard output's formats on a clean history and on one
# with input errors (exit 2, standard error written): what a replay writes depends on the
# format and the stream, not on which history's report it holds.
_CASES = [*((folder, "json") for folder in HISTORIES),
          *((folder, fmt) for fmt in ("text", "github") for folder in HISTORIES
            if folder.name in ("golang-migrate", "bad_input"))]


@pytest.mark.parametrize(("folder", "fmt"), _CASES,
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_an_unchanged_lint_is_replayed_exactly_as_it_ran(folder: Path, fmt: str, home: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "report.out"
    # A file for JSON (as the benchmark writes it), standard output for the others.
    to = ["-o", str(out)] if fmt == "json" else []
    uncached = lint(tmp_path, str(folder), "--format", fmt, *to, "--no-cache", out=out)
    out.unlink(missing_ok=True)
    recording = lint(tmp_path, str(folder), "--format", fmt, *to, out=out)
    assert not recording.replayed and entries(home), recording.stderr
    replaying = lint(tmp_path, str(folder), "--format", fmt, *to, out=out)
    assert replaying.replayed
    assert recording.output() == replaying.output() == uncached.output()
    assert uncached.code in (0, 1, 2) and (out.exists() == (fmt == "json"))


def test_a_replay_loads_neither_click_nor_any_stage(tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    lint(tmp_path, str(folder), "--format", "json")
    run = lint(tmp_path, str(folder), "--format", "json")
    assert run.replayed
    heavy = ("click", "dataclasses", "typing", "pathlib", "inspect", "enum", "pickle",
             "schemagate.cli", "schemagate.lint", "schemagate.parse", "schemagate.reports",
             "schemagate.rules", "schemagate.fold", "tempfile")
    assert [m for m in run.modules if m.split(".")[0] in heavy or any(
        m == name or m.startswith(name + ".") for name in heavy)] == []


Change = Callable[[Path], Callable[[], object]]


def _same_size_same_mtime(folder: Path) -> Callable[[], object]:
    """An edit a stat's size and modification time cannot see (as `cp -p` or `touch -r`
    leave it): only the change time tells."""
    path = folder / "0002_t2.up.sql"

    def change() -> None:
        before = path.stat()
        path.write_text(path.read_text().replace("t2 (id bigint", "t9 (id bigint"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = path.stat()
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    return change


def _replaced_by_a_link(folder: Path) -> Callable[[], object]:
    """The same name, now a link to other bytes elsewhere."""
    path = folder / "0003_t3.up.sql"
    elsewhere = folder.parent / "elsewhere.sql"

    def change() -> None:
        elsewhere.write_bytes(path.read_bytes() + b"CREATE INDEX ON t1 (note);\n")
        path.unlink()
        path.symlink_to(elsewhere)
    return change


def _link_target_edited(folder: Path) -> Callable[[], object]:
    target = folder.parent / "target.sql"
    target.write_text("CREATE TABLE t5 (id bigint PRIMARY KEY);\n")
    (folder / "0005_t5.up.sql").symlink_to(target)
    return lambda: target.write_text("CREATE INDEX ON t1 (note);\n")


def _dangling_link_filled(folder: Path) -> Callable[[], object]:
    target = folder.parent / "later.sql"
    (folder / "0005_t5.up.sql").symlink_to(target)
    return lambda: target.write_text("CREATE INDEX ON t1 (note);\n")


def _config_removed(folder: Path) -> Callable[[], object]:
    config = folder.parent / "schemagate.toml"
    config.write_text('ignore = ["locking"]\n')
    return config.unlink


# Each sets up what it needs before the first run, and returns the change made after it.
CHANGES: dict[str, Change] = {
    "edit": lambda folder: lambda: (folder / "0002_t2.up.sql").write_text(
        "CREATE TABLE t2 (id bigint PRIMARY KEY);\nCREATE INDEX ON t1 (note);\n"),
    "same-size-same-mtime-edit": _same_size_same_mtime,
    "touch-without-change": lambda folder: lambda: os.utime(folder / "0002_t2.up.sql"),
    "add": lambda folder: lambda: (folder / "0005_t5.up.sql").write_text(
        "CREATE INDEX ON t1 (note);\n"),
    "remove": lambda folder: lambda: (folder / "0004_t4.down.sql").unlink(),
    "rename": lambda folder: lambda: (folder / "0004_t4.up.sql").rename(
        folder / "0004_t4b.up.sql"),
    "chmod": lambda folder: lambda: (folder / "0002_t2.up.sql").chmod(0o200),
    "new-folder": lambda folder: lambda: (folder / "sub").mkdir(),
    "replaced-by-a-link": _replaced_by_a_link,
    "link-target-edited": _link_target_edited,
    "dangling-link-filled": _dangling_link_filled,
    "config-added": lambda folder: lambda: (folder.parent / "schemagate.toml").write_text(
        'ignore = ["locking"]\n'),
    "config-edited": lambda folder: lambda: (folder.parent / "pyproject.toml").write_text(
        '[tool.schemagate]\nselect = ["locking"]\n'),
    "config-removed": _config_removed,
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_what_the_report_depends_on_is_a_miss(tmp_path: Path, home: Path,
                                                            change: str) -> None:
    folder = history(tmp_path / "h", 4)
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    changing = CHANGES[change](folder)
    args = (str(folder), "--format", "json")
    lint(tmp_path, *args)
    assert lint(tmp_path, *args).replayed  # unchanged: replayed
    changing()
    expected = lint(tmp_path, *args, "--no-cache")
    changed = lint(tmp_path, *args)
    assert not changed.replayed, "the changed input was answered from the journal"
    assert changed.output() == expected.output()
    again = lint(tmp_path, *args)  # recorded anew by the run that saw the change
    assert again.replayed and again.output() == expected.output()


@pytest.mark.parametrize("config", [
    ("env.py", "op.execute('SET lock_timeout = 5000')\n"),
    ("alembic.ini", "[alembic]\nsqlalchemy.url = sqlite:///app.db\n")], ids=lambda c: c[0])
def test_an_alembic_setting_beside_the_versions_folder_is_part_of_the_state(
        tmp_path: Path, home: Path, config: tuple[str, str]) -> None:
    project = copy_of(FIXTURES / "alembic" / "handwritten", tmp_path / "project")
    args = (str(project / "versions"), "--format", "json")
    lint(tmp_path, *args)
    assert lint(tmp_path, *args).replayed
    name, text = config
    (project / name).write_text(text)
    expected = lint(tmp_path, *args, "--no-cache")
    changed = lint(tmp_path, *args)
    assert not changed.replayed and changed.output() == expected.output()


@pytest.mark.parametrize("removed", ["nothing", "config", "root", "migration"])
def test_a_run_records_nothing_when_an_input_is_removed_while_it_runs(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, removed: str) -> None:
    """A path gone during the run says 'missing' at the stat, as it will next time: only its
    folder's change time shows that the report saw it."""
    from click.testing import CliRunner

    import schemagate.lint.run
    from schemagate.cli import main

    folder = history(tmp_path / "h", 3)
    config = tmp_path / "schemagate.toml"
    config.write_text('ignore = ["locking"]\n')
    real = schemagate.lint.run.run_lint

    def removing(*args: object, **kwargs: object) -> object:
        run = real(*args, **kwargs)  # type: ignore[arg-type]
        if removed == "config":
            config.unlink()
        elif removed == "root":
            shutil.rmtree(folder)
        elif removed == "migration":
            (folder / "0003_t3.up.sql").unlink()
        return run

    monkeypatch.setattr(schemagate.lint.run, "run_lint", removing)
    monkeypatch.chdir(tmp_path)
    # A short margin, waited out: the files are older than it, the removal is not.
    monkeypatch.setattr(replay, "MARGIN_NS", 200_000_000)
    (home / "schemagate").mkdir(parents=True)  # made by an earlier run, not during this one
    time.sleep(0.3)
    request = replay.Request(str(home / "schemagate"), "0" * 40, time.time_ns())
    done = CliRunner().invoke(main, ["lint", str(folder), "--format", "json"], obj=request)
    assert done.exit_code == 0 and '"findings"' in done.output
    assert bool(entries(home)) == (removed == "nothing")


def test_the_command_line_and_its_surroundings_are_part_of_the_key(tmp_path: Path,
                                                                   home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    lint(tmp_path, str(folder), "--format", "text")
    assert lint(tmp_path, str(folder), "--format", "text").replayed
    for args, env, cwd in [
            ((str(folder), "--format", "text", "--select", "locking"), None, tmp_path),
            ((str(folder), "--format", "text"), {"NO_COLOR": "1"}, tmp_path),
            ((str(folder), "--format", "text", "--color"), None, tmp_path),
            (("h", "--format", "text"), None, tmp_path),  # the same folder, relative
            ((str(folder), "--format", "text"), None, folder)]:  # another working folder
        expected = lint(cwd, *args, "--no-cache", env=env)
        run = lint(cwd, *args, env=env)
        assert not run.replayed and run.output() == expected.output()


def test_a_run_records_nothing_while_an_input_is_too_new_to_trust_its_stat(
        tmp_path: Path, home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    args = (str(folder), "--format", "json")
    first = lint(tmp_path, *args, clock=0)  # the files were written just now
    assert not first.replayed and entries(home) == []
    second = lint(tmp_path, *args, clock=0)
    assert not second.replayed and second.output() == first.output()
    lint(tmp_path, *args)  # the margin has passed
    assert entries(home) and lint(tmp_path, *args, clock=0).replayed


@pytest.mark.parametrize("args", [
    ["--no-cache"], ["--debug"], ["--format", "sarif"], ["--format", "gitlab"],
    ["--format", "markdown"], ["--format", "html"], ["--baseline", "{base}"],
    ["--write-baseline", "{base}"], ["--diff"], ["--changed-since", "HEAD"]],
    ids=lambda a: " ".join(a))
def test_runs_whose_report_depends_on_more_than_their_files_record_nothing(
        tmp_path: Path, home: Path, args: list[str]) -> None:
    folder = history(tmp_path / "h", 3)
    base = tmp_path / "baseline.json"
    lint(tmp_path, str(folder), "--write-baseline", str(base), "--no-cache")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "h"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "h"],
                   cwd=tmp_path, check=True)
    args = [a.format(base=base) for a in args]
    for _ in range(2):
        run = lint(tmp_path, str(folder), *args)
        assert not run.replayed
    assert entries(home) == []


def test_a_setting_that_turns_the_cache_off_turns_the_journal_off(tmp_path: Path,
                                                                  home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    (tmp_path / "schemagate.toml").write_text("cache = false\n")
    for _ in range(2):
        assert not lint(tmp_path, str(folder)).replayed
    assert entries(home) == []


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "other-format"])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, home: Path, damage: str) -> None:
    folder = history(tmp_path / "h", 3)
    args = (str(folder), "--format", "json")
    expected = lint(tmp_path, *args)
    (entry,) = entries(home)
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        entry.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        import marshal
        from zlib import adler32

        payload = marshal.dumps(("something", "else"))
        entry.write_bytes(adler32(payload).to_bytes(4, "big") + payload)
    run = lint(tmp_path, *args)
    assert not run.replayed and run.output() == expected.output()


def test_a_replay_that_cannot_write_its_report_fails_as_the_run_would(tmp_path: Path,
                                                                      home: Path) -> None:
    folder = history(tmp_path / "h", 3)
    out = tmp_path / "out" / "report.json"
    args = (str(folder), "--format", "json", "-o", str(out))
    lint(tmp_path, *args)
    shutil.rmtree(tmp_path / "out")
    (tmp_path / "out").write_text("a file where the folder was\n")
    replayed = lint(tmp_path, *args)
    assert replayed.replayed
    expected = lint(tmp_path, *args, "--no-cache")
    assert replayed.output() == expected.output()
    assert expected.code == 2 and "cannot write" in expected.stderr


def test_the_journal_is_kept_within_its_limit(tmp_path: Path, home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "a.sql"
    source.write_text("SELECT 1;\n")
    root = str(home / "schemagate")

    def record(i: int) -> None:
        request = replay.Request(root, f"{i:040x}", time.time_ns() + LATER)
        snapshot = request.snapshot([str(source)])
        assert snapshot is not None
        request.record(snapshot, b"x" * 10_000, None, 0)

    record(0)
    (size,) = [p.stat().st_size for p in entries(home)]
    monkeypatch.setattr(replay, "LIMIT_BYTES", int(size * 2.5))
    for i in range(1, 10):
        record(i)
    assert 1 <= len(entries(home)) <= 2
    assert entries(home)[-1].name == f"{9:040x}"  # the newest is kept


def test_the_journal_lives_where_the_caches_do(home: Path) -> None:
    from schemagate.parse.cache import user_cache_root

    assert replay.cache_root() == str(user_cache_root())


def test_every_layout_is_replayed(tmp_path: Path, home: Path) -> None:
    """Also those whose discovery reads more than names: Prisma's lock file, dbmate's heads,
    diesel's metadata, Django's apps, popx's empty downs."""
    for name in ("dbmate", "diesel", "prisma", "django", "popx", "messy"):
        folder = copy_of(FIXTURES / "layouts" / name, tmp_path / name)
        out = tmp_path / f"{name}.json"
        args = (str(folder), "--format", "json", "-o", str(out))
        expected = lint(tmp_path, *args, "--no-cache", out=out)
        lint(tmp_path, *args, out=out)
        run = lint(tmp_path, *args, out=out)
        assert run.replayed and run.output() == expected.output(), name
