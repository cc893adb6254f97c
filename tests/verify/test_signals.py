"""A `schemagate verify` process stopped mid-statement leaves nothing behind.

Each test starts the real command on a migration that sleeps in `pg_sleep`, waits until the
server shows that statement running, and stops the process: SIGTERM, SIGHUP and SIGINT make
it drop its scratch database and role on the way out; after SIGKILL the server ends the
orphaned backend and the next run sweeps the database. The embedded server is stopped alike,
and so are the scratch databases `schemagate diff` applies folders to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from schemagate.diff.connect import connect
from schemagate.diff.scratch import sweep_embedded
from tests.backup.helpers import ROOT
from tests.conftest import unique_name

# Long enough that a run which waited the statement out is told from one that cancelled it,
# however busy the machine (the cleanup itself can take seconds under load).
SLEEP = 120
PROMPT = 60


def _sleeping_migration(tmp_path: Path) -> tuple[Path, str]:
    token = unique_name("sleeper")
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_sleep.up.sql").write_text(
        f"CREATE TABLE t (id int);\nSELECT pg_sleep({SLEEP}) AS {token};\n", encoding="utf-8")
    (folder / "001_sleep.down.sql").write_text("DROP TABLE t;\n", encoding="utf-8")
    return folder, token


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "schemagate", "verify", str(folder), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "NO_COLOR": "1"})


def _database_running(url: str, token: str, proc: subprocess.Popen[str]) -> str:
    """The database where the statement with `token` runs, once it does."""
    deadline = time.monotonic() + 120
    with connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT datname FROM pg_stat_activity WHERE query LIKE %s "
                               "AND pid <> pg_backend_pid()", (f"%{token}%",)).fetchone()
            if row is not None:
                return str(row[0])
            if proc.poll() is not None:
                pytest.fail(f"verify ended before the statement ran: {proc.communicate()}")
            time.sleep(0.1)
    proc.kill()
    pytest.fail("the sleeping statement never showed in pg_stat_activity")


def _count(url: str, query: str, name: str) -> int:
    with connect(url, autocommit=True) as conn:
        row = conn.execute(query, (name,)).fetchone()
    return int(row[0]) if row else 0


def _databases(url: str, name: str) -> int:
    return _count(url, "SELECT count(*) FROM pg_database WHERE datname = %s", name)


def _roles(url: str, name: str) -> int:
    return _count(url, "SELECT count(*) FROM pg_roles WHERE rolname = %s", name)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_mid_statement_drops_the_scratch_database_and_role(
        pg_server: str, tmp_path: Path, signum: int) -> None:
    folder, token = _sleeping_migration(tmp_path)
    proc = _start(folder, "--scratch", pg_server)
    database = _database_running(pg_server, token, proc)
    stopped = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=SLEEP + 60)
    assert time.monotonic() - stopped < PROMPT  # the sleep was cancelled, not waited out
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert _databases(pg_server, database) == 0
    assert _roles(pg_server, database) == 0


def test_after_sigkill_the_backend_ends_and_the_next_run_sweeps_the_database(
        pg_server: str, tmp_path: Path) -> None:
    folder, token = _sleeping_migration(tmp_path)
    proc = _start(folder, "--scratch", pg_server)
    database = _database_running(pg_server, token, proc)
    proc.kill()
    proc.communicate(timeout=SLEEP + 60)
    assert _databases(pg_server, database) == 1  # nobody could clean up
    sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
    deadline = time.monotonic() + 20
    while _count(pg_server, sessions, database) and time.monotonic() < deadline:
        time.sleep(0.2)
    # client_connection_check_interval ends the orphaned pg_sleep long before it is done.
    assert _count(pg_server, sessions, database) == 0
    again = tmp_path / "again"
    again.mkdir()
    (again / "001_t.sql").write_text("CREATE TABLE t (id int);\n", encoding="utf-8")
    rerun = _start(again, "--scratch", pg_server)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode in (0, 1), err
    assert _databases(pg_server, database) == 0
    assert _roles(pg_server, database) == 0


def test_a_signal_during_diffs_scratch_step_drops_its_database_at_once(
        pg_server: str, tmp_path: Path) -> None:
    folder, token = _sleeping_migration(tmp_path)
    (folder / "001_sleep.down.sql").unlink()
    other = tmp_path / "other"
    other.mkdir()
    (other / "001_u.sql").write_text("CREATE TABLE u (id int);\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "schemagate", "diff", "--from", str(folder),
                             "--to", str(other), "--scratch", pg_server], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # diff applies the folders on worker threads, where no signal handler runs.
    database = _database_running(pg_server, token, proc)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=SLEEP + 60)
    assert time.monotonic() - stopped < PROMPT, "waited for the migration's pg_sleep"
    assert proc.returncode == 130, err
    assert _databases(pg_server, database) == 0
    assert _roles(pg_server, database) == 0


def _embedded_of(pid: int) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for folder in Path(tempfile.gettempdir()).glob("schemagate-pg-*"):
            owner = folder / "owner.pid"
            if owner.is_file() and owner.read_text().strip() == str(pid) \
                    and (folder / "data" / "postmaster.pid").is_file():
                return folder
        time.sleep(0.1)
    pytest.fail("the embedded server did not start")


def _postmaster(folder: Path) -> tuple[int, str]:
    """The embedded server's pid and its URL (a Unix socket)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            lines = (folder / "data" / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:  # pg_ctl is between attempts
            lines = []
        if len(lines) >= 8 and lines[7].strip() == "ready":
            return int(lines[0]), f"host={lines[4]} port={lines[3]} user=postgres dbname=postgres"
        time.sleep(0.1)
    pytest.fail("the embedded server never became ready")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_dead(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def _embedded_available() -> None:
    pytest.importorskip("pgserver", reason="pip install 'schemagate[embedded]' to test the "
                                           "embedded server")


@pytest.mark.slow  # starts an embedded PostgreSQL
def test_sigterm_stops_the_embedded_server_and_removes_its_folder(tmp_path: Path) -> None:
    _embedded_available()
    folder, token = _sleeping_migration(tmp_path)
    proc = _start(folder)
    server = _embedded_of(proc.pid)
    pid, url = _postmaster(server)
    _database_running(url, token, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=SLEEP + 60)
    assert proc.returncode == 130, err
    assert _wait_dead(pid)
    assert not server.exists()


@pytest.mark.slow  # starts an embedded PostgreSQL
def test_an_embedded_server_whose_run_was_killed_is_stopped_by_the_next_start(
        tmp_path: Path) -> None:
    _embedded_available()
    folder, token = _sleeping_migration(tmp_path)
    proc = _start(folder)
    server = _embedded_of(proc.pid)
    pid, url = _postmaster(server)
    _database_running(url, token, proc)
    proc.kill()
    proc.communicate(timeout=SLEEP + 60)
    assert _alive(pid)  # orphaned
    assert str(server) in sweep_embedded()
    assert _wait_dead(pid)
    assert not server.exists()
