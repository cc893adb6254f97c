"""`schemagate lint` as a library call: discover, load and lint the migrations under paths.

`run_lint` is the one entry the CLI, the language server and tests share: discovery, the
dialect override, loading (placeholders filled from the settings), live table sizes,
`--changed-since`, the rules, the baseline (`settings.baseline`), and the input errors and
notices of every stage, gathered into one `LintResult`. It renders nothing.

Errors the caller must report come out as exceptions with the reason:
`engine.UnknownRuleError` for a rule selection, `parse.changes.ChangesError` for a git
revision, `diff.connect.DatabaseError` for the live database, `lint.baseline.BaselineError`
for a baseline file. Files that cannot be read or
parsed are data, in the result's `errors`, as is a path that holds no migrations (unless
`settings.allow_empty`, then a notice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, overload

from schemagate.lint.result import LintResult
from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import DeferredMigration, MigrationSource, ParsedMigration
from schemagate.model.settings import Settings

if TYPE_CHECKING:
    from schemagate.lint.foldcache import FoldCache
    from schemagate.lint.parallel import Unit
    from schemagate.lint.resultcache import ResultCache
    from schemagate.parse.cache import ParseCache
    from schemagate.parse.load import Deferring

T = TypeVar("T")


class Progress(Protocol):
    """A progress display (reports.progress.Progress is one): told what is being done."""

    def __call__(self, done: int, total: int) -> None: ...

    def track(self, items: Iterable[T], total: int) -> Iterator[T]: ...

    def relabel(self, label: str) -> None: ...


class LintRun:
    """A lint run: its result, and what the reports need besides it.

    The lint streams through the migrations and keeps none of them parsed; `migrations`
    parses them again (through the parse cache) for the reports that show them, when asked.
    """

    def __init__(self, result: LintResult, migrations: Callable[[], list[ParsedMigration]],
                 stats: Any = None, reads: tuple[str, ...] = ()) -> None:
        self.result = result
        self.stats = stats  # diff.stats' table sizes, when a live database was read
        self.migrations: Sequence[ParsedMigration] = _Reloaded(migrations)
        # What discovery depended on (`Discovery.reads`): the migrations' files among them.
        self.reads = reads

    def exit_code(self, settings: Settings) -> int:
        return self.result.exit_code(settings.fail_on)


class _Reloaded(Sequence[ParsedMigration]):
    """The run's migrations, parsed again the first time anything reads them (only the
    reports that show each migration do: a plain lint never pays for it)."""

    def __init__(self, load: Callable[[], list[ParsedMigration]]) -> None:
        self._load = load
        self._loaded: list[ParsedMigration] | None = None

    def _items(self) -> list[ParsedMigration]:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    @overload
    def __getitem__(self, index: int) -> ParsedMigration: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ParsedMigration]: ...

    def __getitem__(self, index: int | slice) -> ParsedMigration | Sequence[ParsedMigration]:
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())


def run_lint(paths: Sequence[str], settings: Settings, *, db: str | None = None,
             changed_since: str | None = None, progress: Progress | None = None,
             pending: bool = False,
             overrides: Mapping[str, str] | None = None) -> LintRun:
    """Lint the migrations under ``paths`` (default: the current folder).

    ``db``: a live PostgreSQL to read table sizes from (read-only); ``changed_since``: a git
    revision, so that only migrations changed since are reported (the whole history is
    still folded); ``pending``: report only the migrations the tool's record in ``db`` does
    not list as applied (`graph.pending`; the history before them is still folded);
    ``progress``: a display to keep up to date; ``overrides``: texts read in place of
    some files, by the path discovery gives them (`lint --diff`'s fixed files). Several
    histories are linted in up to ``settings.jobs`` processes at once (lint/parallel.py),
    with the result one process gives.
    """
    if pending and not db:
        from schemagate.graph.pending import PendingError

        raise PendingError("--pending reads what was applied from the database: give --db URL")
    from schemagate.parse.layouts.discover import discover

    # Copied: a caller may change its dict after the run (`lint --fix` between passes), and
    # the run reads these texts again when a report asks for the migrations.
    overrides = dict(overrides) if overrides else None
    baseline = _baseline(settings.baseline)  # a bad file fails before the work, not after
    # A file a fix made exists only in `overrides` until --fix writes it: found all the same.
    found = discover(list(paths) or ["."], dialect=settings.dialect, virtual=overrides)
    sources = found.migrations
    if settings.dialect != "postgres":
        sources = [replace(s, dialect=settings.dialect) if s.dialect == "postgres" else s
                   for s in sources]
    report = _report(sources, changed_since)
    # A live database's table sizes change the findings: such a run is never cached.
    results = (_result_cache(settings, sources, report, overrides, found.contents)
               if not db else None)
    found.contents = {}  # read once: the keys are made
    cached = results.get() if results is not None else None
    stats = state = None
    # Several histories, and no live database: lint them in several processes at once.
    units = _units(sources, settings, overrides) if cached is None and not db else None
    if cached is not None:  # nothing changed since a run that stored its result
        result, errors, notices, ends = cached
        result.catalogs = _lazy_catalogs(sources, settings, report, overrides, ends,
                                         results.digests if results else {})
    elif units is not None:
        # The workers fill the parse and fold caches; the result cache is filled by a
        # one-process run only, which knows each history's end state by its key.
        result = _lint_units(sources, units, settings, report, overrides, progress)
        errors, notices = result.errors, result.notices
    else:
        from schemagate.parse.load import defer_migrations

        cache = _parse_cache(settings)
        tracked = progress.track(sources, len(sources)) if progress else sources
        loaded = defer_migrations(tracked, variables=settings.variables,
                                  transactions=settings.transactions,
                                  fill_placeholders=settings.fill_placeholders, cache=cache,
                                  overrides=overrides)
        stats = _table_stats(db) if db else None
        state = _pending(db, loaded.migrations) if pending and db else None
        if state is not None:
            report = state.names if report is None else report & state.names
        if progress:
            progress.relabel("linting")
        folds = (_fold_cache(settings, loaded, report, overrides, results)
                 if cache is not None and not db else None)
        from schemagate.lint.engine import lint

        result = lint(loaded.migrations, settings, stats=stats, report=report,
                      progress=progress, checkpoints=folds)
        if cache is not None:
            cache.prune()
        if folds is not None:
            folds.store.prune()
        errors, notices, result.files = loaded.errors, loaded.notices, loaded.files
        if results is not None and state is None:
            results.put(result, errors, notices, folds.ends() if folds is not None else {})
    result.errors = found.errors + errors
    result.notices = found.notices + notices + _size_notices(stats)
    if state is not None and db:
        _pending_messages(result, state, db)
    if baseline is not None:
        from schemagate.lint.baseline import apply_baseline
        from schemagate.lint.fingerprint import repository_root

        apply_baseline(result, baseline, repository_root())
    if not found.migrations and not found.errors:
        where = ", ".join(paths) or "."
        if settings.allow_empty:
            result.notices.append(Notice(where, "no migrations found"))
        else:
            result.errors.append(InputError(
                where, "no migrations found: is this the migrations folder, in a layout "
                "schemagate reads? (--allow-empty or `allow-empty = true` accepts it)"))

    def reload() -> list[ParsedMigration]:
        from schemagate.parse.load import load_migrations

        return load_migrations(sources, variables=settings.variables,
                               transactions=settings.transactions,
                               fill_placeholders=settings.fill_placeholders,
                               cache=_parse_cache(settings), overrides=overrides).migrations

    return LintRun(result, reload, stats, found.reads)


def _units(sources: Sequence[MigrationSource], settings: Settings,
           overrides: Mapping[str, str] | None) -> list[Unit] | None:
    """How lint.parallel would share the histories out; None: this process lints them all
    (one process asked for, one history, or too little work to share)."""
    if settings.jobs == 1 or len(sources) < 2:  # a one-file lint never imports the pool
        return None
    from schemagate.lint.parallel import jobs_for, plan_units

    return plan_units(sources, jobs_for(settings), overrides)


def _lint_units(sources: Sequence[MigrationSource], units: list[Unit], settings: Settings,
                report: set[str] | None, overrides: Mapping[str, str] | None,
                progress: Progress | None) -> LintResult:
    from schemagate.lint.parallel import jobs_for, lint_in_parallel

    if progress:
        progress.relabel("linting")
    return lint_in_parallel(sources, units, settings, report, overrides, jobs_for(settings),
                            progress)


def _pending(db: str, migrations: Sequence[ParsedMigration | DeferredMigration]) -> Any:
    from schemagate.diff.applied import read_records
    from schemagate.graph.pending import find_pending

    records = read_records(db, {m.source.layout for m in migrations})
    # The record is matched by what discovery and the headers say (name, version, Alembic's
    # revision), all of which a migration not parsed yet has.
    return find_pending(cast(Sequence[ParsedMigration], migrations), records)


def _pending_messages(result: LintResult, state: Any, db: str) -> None:
    """What the record said: a state the tool refuses to go on from is an error (exit 2);
    how many migrations are pending, and anything odd about them, are notices."""
    from schemagate.diff.connect import describe

    where = describe(db)
    result.errors += [InputError(where, problem) for problem in state.problems]
    n, total = len(state.pending), len(state.ordered)
    summary = (f"{n} of {total} migrations still to run, from {state.pending[0].name}" if n
               else f"nothing to run: all {total} migrations are applied")
    result.notices += [Notice(where, summary)] + [Notice(where, note) for note in state.notes]


def _baseline(path: str | None) -> Any:
    if not path:
        return None
    from schemagate.lint.baseline import read_baseline

    return read_baseline(path)


def _table_stats(url: str) -> Any:
    from schemagate.diff.stats import table_stats

    return table_stats(url)


def _size_notices(stats: Any) -> list[Notice]:
    if not stats:  # no live database: diff.stats (and psycopg) is not needed
        return []
    from schemagate.diff.stats import size_notices

    return size_notices(stats)


def _report(sources: Sequence[Any], changed_since: str | None) -> set[str] | None:
    """The migrations to report: those changed since the revision, never the ones discovery
    gave as context only. None: all."""
    from schemagate.parse.changes import ChangesError, changed_files, report_names

    try:
        changed = changed_files(changed_since) if changed_since else None
    except ChangesError as exc:
        raise ChangesError(f"--changed-since: {exc}") from None
    return report_names(sources, changed)


def _fold_cache(settings: Settings, loaded: Deferring, report: set[str] | None,
                overrides: Mapping[str, str] | None,
                results: ResultCache | None = None) -> FoldCache | None:
    from schemagate.lint.foldcache import open_fold_cache

    return open_fold_cache(settings, loaded, report, overrides,
                           digests=results.digests if results is not None else None)


def _result_cache(settings: Settings, sources: Sequence[Any], report: set[str] | None,
                  overrides: Mapping[str, str] | None,
                  contents: Mapping[str, bytes] | None = None) -> ResultCache | None:
    if not settings.cache:
        return None
    from schemagate.lint.resultcache import open_result_cache

    return open_result_cache(settings, sources, report, overrides, contents=contents)


def _lazy_catalogs(sources: Sequence[Any], settings: Settings, report: set[str] | None,
                   overrides: Mapping[str, str] | None, ends: Mapping[str, str],
                   digests: Mapping[Any, bytes]) -> dict[str, Any]:
    """A cached result's schemas, made when a report first reads them: each history's from
    the fold cache's state after its last migration, else by linting again (from the
    latest state the fold cache has)."""
    from schemagate.lint.resultcache import LazyCatalogs

    def load() -> Mapping[str, Any]:
        from schemagate.lint.engine import lint
        from schemagate.lint.foldcache import end_catalogs
        from schemagate.parse.load import defer_migrations

        catalogs = end_catalogs(settings, ends)
        if catalogs is not None:
            return catalogs
        loaded = defer_migrations(sources, variables=settings.variables,
                                  transactions=settings.transactions,
                                  fill_placeholders=settings.fill_placeholders,
                                  cache=_parse_cache(settings), overrides=overrides)
        folds = _fold_cache(settings, loaded, report, overrides)
        if folds is not None:
            folds.digests = dict(digests)
        return lint(loaded.migrations, settings, report=report, checkpoints=folds).catalogs

    return LazyCatalogs(load)


def _parse_cache(settings: Settings) -> ParseCache | None:
    if not settings.cache:  # --no-cache: not even the cache module is imported
        return None
    from schemagate.parse.cache import open_cache

    return open_cache(settings)
