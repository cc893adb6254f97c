"""`lint -j N`: lint independent histories in several processes at once.

A run's unit of work is a history: the migrations of one folder fold on their own schema,
and nothing one history finds depends on another. Alembic's and Django's histories are
the exception (folders of one Alembic history join by their revision headers, read only
when the files are parsed), so they all make one unit together. This process lints units
itself, smallest first, while up to N-1 worker processes lint the largest ones; each
worker parses, lints and caches its unit exactly as a run of one process would (the
engine streams it through the parse and fold caches) and sends back only the compact part
of its result: the findings, what parsing reported per migration, the files it read, the
counts, and each history's folded schema. Parsed migrations never cross a process
boundary: pickling them back cost more than parsing them again.

The pieces are put back in the order one process gives them: the history-scope rules'
findings of every history, in history order, then each history's own, and parsing's errors
and notices in the order the migrations were found. So `-j 1` and `-j N` print the same
bytes in every format (tests/lint/test_parallel.py).

No pool is started for one unit, for a run too small to repay a worker's start-up, or with
a live database (`--db`, `--pending`: its statistics and record are read once, here). This
module imports nothing heavy until it starts a pool: a one-file lint never imports
`multiprocessing`.

Workers are forked when this process runs no other thread (the start-up of a fresh
interpreter, which must import the parser and every rule, is most of what a small history
costs); otherwise, in a test runner's worker or an editor's server, a fork could copy a
lock another thread holds, so they are started fresh ('spawn'). A worker that dies (killed,
out of memory, a crash in a parser's C code) costs only the histories it was linting:
they are linted again alone in a new worker, and if that one dies too, each history of the
unit gets an error saying so (exit code 2), while every other history is reported as
usual. Workers ignore SIGINT: on Ctrl-C this process stops them and exits (130); killed
outright, it takes them with it (Linux's parent-death signal).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemagate.model.findings import Finding, InputError, Notice
from schemagate.model.migration import MigrationSource
from schemagate.model.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from schemagate.lint.engine import HistoryPart
    from schemagate.lint.result import LintResult
    from schemagate.model.catalog import Catalog

# Below this many bytes of SQL (or Python) outside the largest unit, the workers' start-up
# costs more than the work they would take over. A forked worker costs this process about
# 0.07 s of CPU, a fresh ('spawn') one about 0.3 s (it imports the parser and the rules):
# four times the work for it.
MIN_SHARED_BYTES = 256 * 1024
SPAWN_FACTOR = 4
# Layouts whose histories may join across folders (by revision headers): one unit together.
_JOINED_LAYOUTS = ("alembic", "django")


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def jobs_for(settings: Settings) -> int:
    """How many processes may lint at once: the setting, else the CPUs available."""
    return settings.jobs if settings.jobs is not None else available_cpus()


@dataclass
class Unit:
    """Migrations to lint in one process: one history, or every joined-layout one."""

    indexes: list[int]  # positions of its sources in the run's sources
    size: int  # bytes of its files (what the work grows with)


def plan_units(sources: Sequence[MigrationSource], jobs: int,
               overrides: Mapping[str, str] | None = None) -> list[Unit] | None:
    """The units to share out, largest first; None when one process should do it all:
    ``jobs`` is 1, there is one unit, or the work outside the largest unit is too small to
    repay a worker's start-up."""
    if jobs <= 1:
        return None
    groups: dict[str, list[int]] = {}
    for i, source in enumerate(sources):
        key = "\0joined" if source.layout in _JOINED_LAYOUTS else source.history
        groups.setdefault(key, []).append(i)
    if len(groups) < 2:
        return None
    units = [Unit(indexes, sum(_size(sources[i], overrides or {}) for i in indexes))
             for indexes in groups.values()]
    units.sort(key=lambda u: (-u.size, u.indexes[0]))
    least = MIN_SHARED_BYTES * (1 if _start_method() == "fork" else SPAWN_FACTOR)
    if sum(u.size for u in units[1:]) < least:
        return None
    return units


def _size(source: MigrationSource, overrides: Mapping[str, str]) -> int:
    total = 0
    for script in (source.up, source.down):
        if script is None:
            continue
        if script.path in overrides:
            total += len(overrides[script.path])
            continue
        with contextlib.suppress(OSError):
            total += os.stat(script.path).st_size
    return total


@dataclass
class Task:
    """What a worker needs to lint one unit (all of it plain, picklable data)."""

    sources: list[MigrationSource]
    indexes: list[int]  # their positions in the run's sources
    settings: Settings
    report: set[str] | None
    overrides: dict[str, str] | None


@dataclass
class Piece:
    """What linting one unit gives back: the compact part of its `LintResult`."""

    indexes: list[int]
    findings: list[Finding] = field(default_factory=list)
    parts: list[HistoryPart] = field(default_factory=list)  # `first`: a run-wide position
    catalogs: dict[str, Catalog] = field(default_factory=dict)
    # Per source of the unit, in order: what parsing it reported.
    reports: list[tuple[list[InputError], list[Notice]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # the files read
    migrations: int = 0
    statements: int = 0
    errors: list[InputError] = field(default_factory=list)  # the unit could not be linted


def lint_unit(task: Task) -> Piece:
    """Load and lint one unit as a whole run would (parse and fold caches included)."""
    from schemagate.lint.engine import lint
    from schemagate.parse.load import defer_migrations

    settings = task.settings
    cache = None
    if settings.cache:
        from schemagate.parse.cache import open_cache

        cache = open_cache(settings)
    loaded = defer_migrations(task.sources, variables=settings.variables,
                              transactions=settings.transactions,
                              fill_placeholders=settings.fill_placeholders, cache=cache,
                              overrides=task.overrides)
    folds = None
    if cache is not None:
        from schemagate.lint.foldcache import open_fold_cache

        folds = open_fold_cache(settings, loaded, task.report, task.overrides)
    parts: list[HistoryPart] = []
    result = lint(loaded.migrations, settings, report=task.report, checkpoints=folds,
                  parts=parts)
    if cache is not None:
        cache.prune()
    if folds is not None:
        folds.store.prune()
    for part in parts:
        part.first = task.indexes[part.first]
    return Piece(task.indexes, result.findings, parts, result.catalogs,
                 [(b.errors, b.notices) for b in loaded.buckets], list(loaded.paths),
                 result.migrations, result.statements)


def lint_in_parallel(sources: Sequence[MigrationSource], units: Sequence[Unit],
                     settings: Settings, report: set[str] | None,
                     overrides: Mapping[str, str] | None, jobs: int,
                     progress: Callable[[int, int], None] | None = None,
                     work: Callable[[Task], Piece] = lint_unit) -> LintResult:
    """Lint the units (from `plan_units`) with up to ``jobs`` processes, this one included;
    the result is the one a single process gives, less the input errors and notices of
    discovery (the caller's)."""
    tasks = [Task([sources[i] for i in u.indexes], u.indexes, settings, report,
                  dict(overrides) if overrides else None) for u in units]
    pieces = _Runner(tasks, min(jobs, len(tasks)) - 1, work, progress, len(sources)).run()
    return merge(pieces)


def merge(pieces: Sequence[Piece]) -> LintResult:
    """The pieces' results as one, in the order one process would have given them."""
    from schemagate.lint.result import LintResult

    result = LintResult()
    parts = sorted(((part, piece) for piece in pieces for part in piece.parts),
                   key=lambda item: item[0].first)
    for part, piece in parts:  # every history's history-scope findings first
        result.findings.extend(piece.findings[slice(*part.checks)])
    for part, piece in parts:
        result.findings.extend(piece.findings[slice(*part.findings)])
        result.catalogs[part.folder] = piece.catalogs[part.folder]
    reports: dict[int, tuple[list[InputError], list[Notice]]] = {}
    paths: set[str] = set()
    for piece in pieces:
        if piece.errors:  # a unit no worker could lint
            reports[piece.indexes[0]] = (piece.errors, [])
            continue
        reports.update(zip(piece.indexes, piece.reports, strict=True))
        paths.update(piece.paths)
        result.migrations += piece.migrations
        result.statements += piece.statements
    for i in sorted(reports):
        result.errors.extend(reports[i][0])
        result.notices.extend(reports[i][1])
    result.files = len(paths)
    return result


def _broken(task: Task) -> Piece:
    """The piece of a unit whose worker died even when linting it alone."""
    folders = list(dict.fromkeys(s.history or "." for s in task.sources))
    message = ("the worker process linting this history ended abruptly (killed, out of "
               "memory, or a crash in native code): its migrations were not linted "
               "(`--jobs 1` lints them in the main process)")
    return Piece(task.indexes, errors=[InputError(folder, message) for folder in folders])


class _Runner:
    """Share the tasks (largest first) between ``workers`` processes and this one."""

    def __init__(self, tasks: list[Task], workers: int, work: Callable[[Task], Piece],
                 progress: Callable[[int, int], None] | None, total: int) -> None:
        self.tasks = tasks
        self.workers = workers
        self.work = work
        self.progress = progress
        self.total = total
        self.done = 0
        self.pieces: list[Piece] = []
        self.executor: ProcessPoolExecutor | None = None

    def run(self) -> list[Piece]:
        from collections import deque
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        waiting = deque(self.tasks)
        running: dict[Future[Piece], tuple[Task, ProcessPoolExecutor]] = {}
        again: list[Task] = []  # units whose worker died: linted once more, alone
        try:
            while waiting or running:
                # What the workers finished while this process linted: each gets another.
                self._collect(running, [f for f in running if f.done()], again)
                while len(running) < self.workers and waiting:
                    task = waiting.popleft()
                    pool = self._pool()
                    try:
                        with _ctrl_c_held():  # the pool starts its workers here
                            running[pool.submit(self.work, task)] = (task, pool)
                    except BrokenProcessPool:
                        self._drop_pool(pool)
                        again.append(task)
                if waiting:  # this process takes the smallest unit left
                    self._finished(self.work(waiting.pop()))
                    continue
                if running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    self._collect(running, finished, again)
            for task in again:
                self._finished(self._alone(task))
        except BaseException:
            self._stop()
            raise
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None
        return self.pieces

    def _collect(self, running: dict[Future[Piece], tuple[Task, ProcessPoolExecutor]],
                 finished: Iterable[Future[Piece]], again: list[Task]) -> None:
        from concurrent.futures.process import BrokenProcessPool

        for future in finished:
            task, pool = running.pop(future)
            try:
                self._finished(future.result())
            except BrokenProcessPool:  # every task its pool was running fails so
                self._drop_pool(pool)
                again.append(task)

    def _finished(self, piece: Piece) -> None:
        self.pieces.append(piece)
        self.done += len(piece.indexes)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _alone(self, task: Task) -> Piece:
        """Lint a unit whose worker died in a new worker of its own: if this one dies too,
        the unit is what kills it."""
        from concurrent.futures.process import BrokenProcessPool

        if self.executor is not None:
            self._drop_pool(self.executor)
        workers, self.workers = self.workers, 1
        pool = self._pool()
        try:
            return pool.submit(self.work, task).result()
        except BrokenProcessPool:
            return _broken(task)
        finally:
            self._drop_pool(pool)
            self.workers = workers

    def _pool(self) -> ProcessPoolExecutor:
        if self.executor is None:
            import gc
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = _start_method()
            if method == "fork":
                self._prepare()
                # What waits in this process's buffers would be written by the child too.
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context(method),
                initializer=_start_worker, initargs=(gc.isenabled(), os.getpid()))
        return self.executor

    def _prepare(self) -> None:
        """Import, before forking, what every process will need to lint: the rules and the
        SQL frontends (this process lints units too), so that no worker imports them."""
        from schemagate.lint.engine import enabled_rules
        from schemagate.parse.frontend import script_frontend

        enabled_rules(self.tasks[0].settings)
        for dialect in sorted({s.dialect for task in self.tasks for s in task.sources}):
            script_frontend(dialect)

    def _drop_pool(self, pool: ProcessPoolExecutor) -> None:
        """Stop a pool one of whose workers died (if it is not stopped already)."""
        if pool is self.executor:
            self.executor = None
            _terminate(pool)

    def _stop(self) -> None:
        """Stop every worker now (Ctrl-C, or an error here): none outlives this process."""
        if self.executor is not None:
            executor, self.executor = self.executor, None
            _terminate(executor)


def _start_method() -> str:
    """Fork only a process that runs no other thread (a thread may hold a lock the child
    would inherit held, and never released); fresh interpreters otherwise."""
    import threading

    return "fork" if threading.active_count() == 1 and hasattr(os, "fork") else "spawn"


def _terminate(executor: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop workers in the middle of a task (Python 3.14
    # adds `terminate_workers`): its processes are terminated, then the executor is shut.
    processes: dict[int, Any] = dict(getattr(executor, "_processes", None) or {})
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.terminate()
    for process in processes.values():
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT blocked in this thread while workers start, and delivered after: a worker
    starts with it blocked (a fork, and an exec, keep the mask) and ignores it before it
    lets it through (`_start_worker`). Else a Ctrl-C in the moment after a fork interrupts
    the child's at-fork handlers (logging's), which print a traceback."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _start_worker(gc_enabled: bool, parent: int) -> None:
    """A worker ignores Ctrl-C (the main process stops it), dies with the main process, and
    collects cycles only if the main process does (the CLI turns the collector off: a lint
    makes no cycles worth it)."""
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with it blocked (`_ctrl_c_held`)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with(parent)
    if not gc_enabled:
        gc.disable()


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when the main process ends, however it ends (a CI
    job's timeout kills it with no chance to stop its workers; an idle worker would wait for
    work forever). Linux only (prctl); elsewhere workers end when they next read or write
    their pipes to it."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the request was made
        os._exit(1)
