"""Replay an unchanged `schemagate lint`: the report an earlier run of the same command
wrote, written again before the command line is built, a setting read, or a migration found,
parsed or linted.

A pre-commit hook or a CI step lints the same history with the same command again and again.
Even answered from the result cache (`lint/resultcache.py`) such a run pays for Python's
imports of click, the settings, discovery and the report writers, and reads every migration
to hash it: most of its time. So a run that may be replayed (`Request`) leaves a journal
entry: the report it wrote, where it wrote it, its exit code, and the stat of every path the
report depended on —

- the settings files `lint.config` looked for (found or missing),
- everything discovery depended on (`Discovery.reads`: folders listed, files read or
  checked, the migrations' files among them, links, paths found missing),
- schemagate's own code and data, and the parsers' (a new version is a new report).

The next run of the same command line — same arguments, working folder, user, Python (and
its flags and warning options), NO_COLOR, and standard streams (a terminal gets colours, and
JSON indented) — stats those
paths again and, when every stat is as recorded, writes the recorded report and exits with
the recorded code. Any difference is a miss, and the run goes on as usual (with the result
cache) and records a new entry.

A stat stands for the content as git's index lets it: size, modification and change times
in nanoseconds, inode, device, mode and owner. Writing a file, replacing it (even with
the same size and modification time, as `touch -r` or `cp -p` do), renaming, or changing its
permissions moves its change time, which no program can set; adding, removing or renaming an
entry moves its folder's. The stats are taken once the run has read everything and before
it writes its report. Two things could slip between a read and that stat: a change within
the same tick of the file system's clock as the stat (git's "racy clean" entries), and a
path removed during the run (its stat then says missing, as it will next time). So a run
records nothing when any path changed less than `MARGIN_NS` before the run started (a later
change then shows for sure; the next run records instead); and a removal shows either in a
stat taken before the run read the path (the settings files and the paths given: their
folders are the project's and its parents, /tmp or the home folder, busy with other things),
or in the change time of the folder holding it (every other path's).

Never journaled: `--no-cache` (or `cache = false`), `--debug`, a live database (`--db`,
`--pending`), `--changed-since` (git's state), a baseline (and `--write-baseline`),
`--fix`/`--diff`, and the formats that read more than the findings (SARIF and GitLab ask git
for the repository's root; Markdown and HTML read the schemas). Entries are written
atomically and carry an Adler-32 checksum (a torn or damaged entry is a miss), and are
pruned when the folder outgrows `LIMIT_BYTES`. They live in the user's own cache folder
whatever `cache-dir` says (no setting is read before one is replayed), and they are
marshalled plain data, which loading runs no code of: so unlike the parse cache's pickles
they need no signature, and a replay hashes nothing but its command line. Only on Linux for now:
elsewhere, the change time is not always what the rule needs (Windows), or the cache
folder is platformdirs' to say.

This module runs before anything else of schemagate, so it imports nothing that Python has
not loaded already at start-up but `marshal`, `zlib` and `_blake2` (`typing` and `pathlib`
alone would cost a replay as much again).
"""

from __future__ import annotations

import marshal
import os
import sys
from _blake2 import blake2b
from zlib import adler32

# For the type checker only: typing and collections.abc are imports a replay does not pay.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import NoReturn, TypeAlias

    # The paths a report depended on, and the stat of each (`signatures`).
    Snapshot: TypeAlias = tuple[tuple[str, ...], list[tuple[int, ...] | int]]

# Bump when an entry's shape or meaning changes.
FORMAT = 1
# A change this close before a run's start could hide from the stat taken during the run:
# the coarse kernel clock (a few ms), and file systems that keep whole seconds (ext3, HFS+)
# or two (FAT).
MARGIN_NS = 3_000_000_000
# Entries hold whole reports: several MB for a big history.
LIMIT_BYTES = 128 * 1024 * 1024
# A larger report is not kept: holding it whole to record it costs what streaming it saves.
MAX_REPORT_CHARS = 32 * 1024 * 1024
_CHECK_SIZE = 4
# Arguments that make a run one the journal never answers.
_NEVER = frozenset({"--no-cache", "--debug"})


class Request:
    """A run that may be journaled: where its entry lives, and when the run started."""

    def __init__(self, root: str, key: str, started_ns: int) -> None:
        self.root = root
        self.key = key
        self.started_ns = started_ns
        # Paths stat'ed before the run read them (`watch`), and what the stat said.
        self.before: dict[str, tuple[int, ...] | int] = {}

    def watch(self, paths: Iterable[str]) -> None:
        """Stat ``paths`` now, before the run reads them (the settings files it will look
        for, the paths it was given): `snapshot` then tells any change during the run from
        these stats, removals included, without asking the folders above them."""
        paths = [os.path.abspath(path) for path in paths]
        self.before.update(zip(paths, signatures(paths), strict=True))

    @property
    def path(self) -> str:
        return os.path.join(self.root, f"replay-{FORMAT}", self.key)

    def read(self) -> tuple[bytes, str | None, int] | None:
        """The recorded report (as written: encoded), its destination and exit code, when
        nothing it depends on changed; else None."""
        try:
            with open(self.path, "rb") as file:
                blob = file.read()
        except OSError:
            return None
        payload = blob[_CHECK_SIZE:]
        if blob[:_CHECK_SIZE] != adler32(payload).to_bytes(_CHECK_SIZE, "big"):
            return None  # torn or damaged
        try:
            entry = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        if not (isinstance(entry, tuple) and len(entry) == 6 and entry[0] == FORMAT):
            return None
        _, paths, recorded, report, destination, code = entry
        stat = os.stat
        for path, then in zip(paths, recorded, strict=True):
            try:
                st = stat(path)
            except OSError as exc:
                if then != -(exc.errno or 1):
                    return None
                continue
            if then != (st.st_ctime_ns, st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev,
                        st.st_mode, st.st_uid, st.st_gid):
                return None
        return report, destination, code

    def snapshot(self, reads: Iterable[str]) -> Snapshot | None:
        """The stat of every path in ``reads`` and of the code, taken when the run has read
        all it reads and written nothing yet; None when one of them, or the folder holding
        one, changed too recently to trust (see the module)."""
        own = code_files()
        if own is None:
            return None
        paths = tuple(dict.fromkeys([*map(os.path.abspath, reads), *own]))
        recorded = signatures(paths)
        if any(self.before.get(path, then) != then
               for path, then in zip(paths, recorded, strict=True)):
            return None  # changed while the run read it
        # A path removed or renamed away during the run leaves no change time of its own
        # behind, but moves its folder's: so the folders of the paths not watched from the
        # start count here too, without being kept (a busy folder above the project, such
        # as /tmp or the home folder, would only make later runs miss).
        folders = signatures({os.path.dirname(path) for path in paths
                              if path not in self.before}.difference(paths))
        newest = max((max(s[0], s[1]) for s in (*recorded, *folders) if isinstance(s, tuple)),
                     default=0)
        if newest >= self.started_ns - MARGIN_NS:
            return None
        return paths, recorded

    def record(self, snapshot: Snapshot, report: bytes, destination: str | None,
               code: int) -> None:
        """Keep what this run wrote (``report``: as written, encoded), where and with which
        exit code, under the ``snapshot`` taken before it was written."""
        paths, recorded = snapshot
        payload = marshal.dumps((FORMAT, paths, recorded, report, destination, code))
        folder = os.path.dirname(self.path)
        try:
            os.makedirs(folder, exist_ok=True)
            _write_atomically(self.path, adler32(payload).to_bytes(_CHECK_SIZE, "big") + payload)
            _prune(folder)
        except OSError:  # a cache that cannot be written: the next run lints again
            return


def replay(argv: Sequence[str], started_ns: int) -> Request | None:
    """Answer ``schemagate <argv>`` from its journal entry and exit, when there is one and
    nothing it depends on changed. Else the `Request` under which the run may record one,
    or None when such a run is never journaled. Never raises: anything unexpected is a miss.
    """
    if not argv or argv[0] != "lint" or sys.platform != "linux":
        return None
    if _NEVER.intersection(argv) or "_SCHEMAGATE_COMPLETE" in os.environ:
        return None
    try:
        root = cache_root()
        key = blake2b(_invocation(argv), digest_size=20).hexdigest()
    except (OSError, ValueError, AttributeError):  # no cwd, a closed or missing stream
        return None
    request = Request(root, key, started_ns)
    try:
        found = request.read()
    except (ValueError, TypeError):  # an entry of another shape: a miss
        found = None
    if found is not None:
        _answer(*found)
    return request


def cache_root() -> str:
    """The user's cache folder for schemagate, as `parse.cache.user_cache_root` gives it on
    Linux (without importing pathlib)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return os.path.join(base.strip() or os.path.expanduser("~/.cache"), "schemagate")


def signatures(paths: Iterable[str]) -> list[tuple[int, ...] | int]:
    """Each path's stat as an entry keeps it (change and modification times first), or the
    negated errno of why it has none (missing, dangling, unreadable): `Request.read` compares
    the same fields in the same order."""
    out: list[tuple[int, ...] | int] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError as exc:
            out.append(-(exc.errno or 1))
            continue
        out.append((st.st_ctime_ns, st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev,
                    st.st_mode, st.st_uid, st.st_gid))
    return out


def code_files() -> list[str] | None:
    """schemagate's own folders and files (bytecode aside), and the parsers' modules: a
    report depends on the code that made it. None when the code is not in files of its own
    (run from a zip archive): then nothing tells a new version from this one."""
    import importlib.util

    package = os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(package):
        return None
    out = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        out.append(folder)
        out += [os.path.join(folder, name) for name in sorted(files)]
    for parser in ("pglast", "sqlglot", "libcst"):
        spec = importlib.util.find_spec(parser)
        if spec is not None and spec.origin:
            out.append(spec.origin)
    return out


def _invocation(argv: Sequence[str]) -> bytes:
    """Everything besides the files that a lint's report depends on."""
    streams = [(s.isatty(), s.encoding, s.errors) for s in (sys.stdout, sys.stderr)]
    state = (FORMAT, list(argv), os.getcwd(), os.environ.get("NO_COLOR"), streams,
             os.getuid(), os.getgid(), sorted(os.getgroups()), sys.executable, sys.version,
             tuple(sys.flags), sys.warnoptions, __file__)
    return repr(state).encode("utf-8", "surrogateescape")


def _answer(report: bytes, destination: str | None, code: int) -> NoReturn:
    """Write the recorded report where the command line says, and exit as the run did (a
    report that cannot be written fails as it would have then)."""
    from schemagate.console import run_command, write_output

    def body() -> int:
        write_output(report, destination)
        return code

    run_command(False, body)


def _write_atomically(path: str, data: bytes) -> None:
    tmp = f"{os.path.dirname(path)}/.tmp-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 (contextlib is one more import)
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _prune(folder: str) -> None:
    """Delete the oldest entries while the folder is over its limit."""
    entries = []
    total = 0
    with os.scandir(folder) as it:
        for entry in it:
            try:
                st = entry.stat()
            except OSError:
                continue
            entries.append((st.st_mtime_ns, st.st_size, entry.path))
            total += st.st_size
    if total <= LIMIT_BYTES:
        return
    entries.sort()
    for _, size, path in entries:
        if total <= LIMIT_BYTES * 3 // 4:  # some room, so that the next run does not prune
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
