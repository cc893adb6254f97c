"""Writing a command's report (schemagate.console) without pathlib or tempfile: the same file,
and the same failure, as pathlib's spelling of the path gives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from schemagate.console import pathlike, write_output
from schemagate.model.errors import SchemagateError

ODD = ["x", "./x", "x/", "a//b", "a/./b", "/", "//", "///", "//x", "///x", "/x/", "a/..",
       "..", ".", "./", "a/b/.", "a/b/../c", "~/x", ".hidden/", "a/b//", "////a//b/"]


@pytest.mark.skipif(os.sep != "/", reason="POSIX spelling")
@pytest.mark.parametrize("path", ODD)
def test_a_path_is_spelled_as_pathlib_spells_it(path: str) -> None:
    assert pathlike(path) == str(Path(path))
    if Path(path).name:
        assert (os.path.dirname(pathlike(path)) or ".") == str(Path(path).parent)
        assert os.path.basename(pathlike(path)) == Path(path).name


def test_a_trailing_slash_still_names_the_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_output(["{", "}\n"], "sub/out.json/")
    assert (tmp_path / "sub" / "out.json").read_text() == "{}\n"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.json"]  # no temporary left


def test_text_and_its_utf8_bytes_write_the_same_file(tmp_path: Path) -> None:
    text = "naïve — ✓\n"
    write_output([text], str(tmp_path / "a"))
    write_output(text.encode("utf-8"), str(tmp_path / "b"))
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode


def test_bytes_reach_standard_output_as_text_would(capfdbinary: pytest.CaptureFixture[bytes]
                                                   ) -> None:
    sys.stdout.write("one\n")
    write_output("two ✓\n".encode(), None)
    write_output(["three\n"], "-")
    assert capfdbinary.readouterr().out == "one\ntwo ✓\nthree\n".encode()


def test_a_report_that_cannot_be_written_is_one_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    # A file where its folder should be: making the folder fails, as Path.mkdir fails.
    with pytest.raises(SchemagateError, match=r"^cannot write .*/file/out\.json: File exists$"):
        write_output(["x"], str(tmp_path / "file" / "out.json"))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_stops_reading_stops_the_run_quietly(tmp_path: Path, fmt: str) -> None:
    """`schemagate lint | head`: the rest of the report is not wanted. No "internal error",
    no traceback: exit 141, as a program stopped by SIGPIPE."""
    import subprocess

    (tmp_path / "V1__tables.sql").write_text("".join(
        f"CREATE TABLE t{i} (id int PRIMARY KEY, at timestamp);\n" for i in range(3000)),
        encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "schemagate", "lint", str(tmp_path), "--format", fmt,
         "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.read(10)  # the report has started
    run.stdout.close()
    errors = run.stderr.read()
    assert run.wait(timeout=120) == 141, errors
    assert errors == b""



# A command's end as `schemagate.__main__` calls it, in a process of its own (`leave` may
# end the process): what was printed before, then `leave(<status>)`; something left to
# finish first, with "handler" or "thread".
LEAVE = """
import atexit, sys, threading, time
from schemagate.console import leave
if sys.argv[2] == "handler":
    atexit.register(lambda: print("exit handler ran"))
if sys.argv[2] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread ran"))).start()
class Torn:
    def __del__(self):
        print("torn down")
kept = Torn()  # freed by the interpreter's teardown, if there is one
sys.stdout.write("x" * 1_000_000 + "\\n")  # more than a pipe holds: written at the flush
print("to standard error", file=sys.stderr)
leave(eval(sys.argv[1]))
"""


@pytest.mark.parametrize(("status", "code", "error"), [
    ("None", 0, ""), ("1", 1, ""), ("2", 2, ""), ("'no such rule'", 1, "no such rule\n")])
@pytest.mark.parametrize("left", ["nothing", "handler", "thread"])
def test_leaving_writes_everything_and_exits_as_sys_exit_would(
        status: str, code: int, error: str, left: str) -> None:
    """Without the interpreter's teardown (nothing left to finish) or with it (an exit
    handler registered, a thread running, a message for a status), the output is whole,
    the exit code and standard error are sys.exit's, and what was left to finish ran. The
    teardown (an object freed, which prints) is skipped exactly when nothing was left."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", LEAVE, status, left],
                          capture_output=True, text=True, timeout=60)
    ran = {"nothing": "", "handler": "exit handler ran\n", "thread": "thread ran\n"}[left]
    torn = "" if left == "nothing" and not error else "torn down\n"
    assert (done.returncode, done.stdout, done.stderr) == (
        code, "x" * 1_000_000 + "\n" + ran + torn, "to standard error\n" + error)
