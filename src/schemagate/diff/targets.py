"""The two sides of a diff: a live database, a DDL file, a migrations folder, or a Python
module's SQLAlchemy MetaData.

Whatever the source, it becomes a Catalog the same way: a file, a folder or a MetaData is
applied to a scratch database (the `--scratch` server, else an embedded PostgreSQL started
once for both sides) and introspected there, so both sides are normalised by PostgreSQL
itself. A live database is only read.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from schemagate.diff.connect import DatabaseError, database_errors, describe, read_only
from schemagate.diff.execute import ScriptError, ScriptStatement, run_sql, run_statements
from schemagate.diff.fetch import fetch, fetch_lean, fetch_relations
from schemagate.diff.narrow import Side, relations_to_keep
from schemagate.diff.scratch import embedded_server, scratch_database, stop_on_signals
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import InputError
from schemagate.model.names import QName

if TYPE_CHECKING:  # the model is imported while the databases are read (see load_pair)
    from collections.abc import Sequence

    from schemagate.model.catalog import Catalog
    from schemagate.model.migration import ParsedMigration

TargetKind = Literal["url", "sql", "folder", "python"]
_T = TypeVar("_T")


# Upgrades a scratch database (the URL) through Alembic itself with an Alembic history's
# revisions, to the revision named (None: every head). It lives above diff (verify runs
# revisions the same way); the CLI hands it down. It raises TargetError when it cannot.
ApplyAlembic = Callable[[str, "Sequence[ParsedMigration]", "str | None"], None]


class TargetError(SchemagateError):
    """A --from/--to source that cannot be read or applied; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Target:
    spec: str
    kind: TargetKind
    # A migrations folder read up to and including this migration (``folder@<version>``).
    version: str | None = None

    @property
    def label(self) -> str:
        """For messages and reports: a URL without its password."""
        return describe(self.spec) if self.kind == "url" else self.spec


def parse_target(spec: str) -> Target:
    if spec.startswith("python:"):
        return Target(spec, "python")
    if spec.startswith(("postgresql://", "postgres://")) or (
            "=" in spec and not os.path.exists(spec)):  # a key=value connection string
        return Target(spec, "url")
    path = Path(spec)
    if path.is_dir():
        return Target(spec, "folder")
    folder, at, version = spec.rpartition("@")
    if at and version and Path(folder).is_dir():  # the schema after one migration
        return Target(folder, "folder", version)
    if path.is_file():
        if path.suffix.lower() != ".sql":
            raise TargetError(f"{spec}: not a .sql file, a migrations folder, a PostgreSQL URL "
                              "or python:module:metadata")
        return Target(spec, "sql")
    raise TargetError(f"{spec}: no such file or folder (expected a PostgreSQL URL, a .sql "
                      "file, a migrations folder or python:module:metadata)")


class Loader:
    """Reads targets into catalogs; starts the embedded PostgreSQL at most once."""

    def __init__(self, scratch: str | None = None, *, privileges: bool = False,
                 apply_alembic: ApplyAlembic | None = None, hold: bool = False) -> None:
        self.scratch = scratch
        self.privileges = privileges
        self.apply_alembic = apply_alembic
        self.hold = hold
        self._held: dict[Target, tuple[str, Any]] = {}  # (url, cursor of its read session)
        self._folders = threading.Lock()
        self._stack = ExitStack()
        self._server: str | None = scratch
        self._lock = threading.Lock()

    def __enter__(self) -> Loader:
        # Scratch databases are made on worker threads, where no signal handler runs: the
        # main thread's handler drops them on SIGINT, SIGTERM or SIGHUP (diff.scratch).
        self._stack.enter_context(stop_on_signals())
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()

    def _scratch_server(self) -> str:
        with self._lock:  # both sides may ask at once: one server for both
            if self._server is None:
                self._server = self._stack.enter_context(embedded_server())
            return self._server

    @contextmanager
    def database(self, target: Target) -> Iterator[str]:
        """The database a target is read from: the live one, or a scratch database the
        file, folder or MetaData is applied to (dropped afterwards)."""
        if target.kind == "url":
            yield target.spec
            return
        with scratch_database(self._scratch_server()) as url:
            if target.kind == "sql":
                _apply_sql_file(url, target.spec)
            elif target.kind == "folder" and self.apply_alembic is not None:
                # Alembic runs from its project's folder (a chdir, process-wide): while it
                # does, the other side must not read files by relative paths.
                with self._folders:
                    _apply_folder(url, target.spec, target.version, self.apply_alembic)
            elif target.kind == "folder":
                _apply_folder(url, target.spec, target.version)
            else:
                _apply_metadata(url, target.spec)
            yield url

    def load(self, target: Target) -> Catalog:
        """A target's whole catalog."""
        from schemagate.diff.introspect import build

        with self.database(target) as url:
            return build(fetch(url, privileges=self.privileges))

    def load_pair(self, first: Target, second: Target,
                  meanwhile: Callable[[], object] | None = None) -> tuple[Catalog, Catalog]:
        """Both sides at once, on two threads, narrowed (diff/narrow.py) to what differs
        and what depends on it. Each side's rows are indexed as they arrive; once both are
        in, the relations to keep are known, and each side's transaction, still open, reads
        the few texts left for them, and its thread builds its catalog. ``meanwhile`` runs
        on this thread in the mean time (the CLI imports the planner then)."""
        from concurrent.futures import Future, ThreadPoolExecutor

        keep: Future[set[QName]] = Future()
        ready: tuple[Future[Side], Future[Side]] = (Future(), Future())

        def work(target: Target, side_ready: Future[Side]) -> Catalog:
            try:
                return self._read_side(target, side_ready, keep)
            except BaseException as exc:
                if not side_ready.done():
                    side_ready.set_exception(exc)
                raise

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="schemagate-load") as pool:
            jobs = [pool.submit(work, first, ready[0]), pool.submit(work, second, ready[1])]
            if meanwhile is not None:
                meanwhile()
            try:
                keep.set_result(relations_to_keep(_result(ready[0]), _result(ready[1])))
            except BaseException as exc:
                if not keep.done():  # let the other side's thread end
                    keep.set_exception(exc)
                raise
            return _result(jobs[0]), _result(jobs[1])

    @contextmanager
    def held(self, target: Target) -> Iterator[Any]:
        """A cursor in the READ ONLY transaction a side was read in, kept open until the
        loader closes when it was made with ``hold`` (and the database, when it is a scratch
        one): a plan's guard is fingerprinted there, in the snapshot the plan was made from
        (diff/guard.py)."""
        url, cur = self._held[target]
        with database_errors(url):
            yield cur

    def _read_side(self, target: Target, ready: Future[Side], keep: Future[set[QName]]
                   ) -> Catalog:
        with ExitStack() as stack:
            url = stack.enter_context(self.database(target))
            cur = stack.enter_context(read_only(url))
            catalog = self._read(cur, ready, keep)
            if self.hold:
                with self._lock:  # the session (and database) outlive this thread
                    self._held[target] = (url, cur)
                    self._stack.enter_context(stack.pop_all())
            return catalog

    def _read(self, cur: Any, ready: Future[Side], keep: Future[set[QName]]) -> Catalog:
        side = Side()
        # The rows of each relation are indexed and let go; those of the relations the diff
        # keeps are read again, texts and all, in the same transaction (the same snapshot):
        # a schema's size no longer stays in memory twice over.
        rows = fetch_lean(cur, privileges=self.privileges, on_result=side.add,
                          keep_rows=side.kept)
        side.finish(rows)
        ready.set_result(side)
        kept = keep.result()
        relations, objects = side.relations_needed(kept)
        # What only the walk needed goes while the server reads the kept relations' rows.
        side.take(fetch_relations(cur, rows.version, relations, objects,
                                  privileges=self.privileges, meanwhile=side.forget_walk),
                  objects)
        catalog = side.catalog(kept)
        # Every row and map goes now, on this thread, while the other side may still be
        # reading: freeing them object by object is time, and the main thread has none
        # to spare.
        side.drop()
        return catalog


def _result(future: Future[_T]) -> _T:
    """A future's result, waited for in short slices. A signal is handled on the main thread,
    but may be received by a worker: a main thread asleep on a lock until the worker's
    statement ends (a scratch migration's pg_sleep) would not handle it until then, and
    the scratch database would not be dropped at once (stop_on_signals)."""
    while True:
        try:
            return future.result(timeout=0.1)
        except TimeoutError:  # (not the worker's own: a future raises that from result())
            if future.done():
                raise


def _apply_sql_file(url: str, path: str) -> None:

    from schemagate.parse.source import read_source

    text = read_source(Path(path), path)
    if isinstance(text, InputError):  # unreadable, not UTF-8, binary …
        raise TargetError(_input_error(text))
    try:
        run_sql(url, text.text, path)
    except ScriptError as exc:
        raise TargetError(str(exc)) from None


def _input_error(error: InputError) -> str:
    where = f"{error.path}:{error.line}" if error.line else error.path
    return f"{where}: {error.message}"


def _apply_folder(url: str, folder: str, version: str | None = None,
                  apply_alembic: ApplyAlembic | None = None, hold: bool = False) -> None:
    """Apply each migration's up script, in the order discovery gives (an Alembic history:
    through Alembic, `apply_alembic`); with ``version``, up to and including the migration
    of that version (or name; for Alembic, that revision)."""
    from schemagate.parse.layouts.discover import discover
    from schemagate.parse.load import load_migrations

    found = discover([folder])
    if found.errors:
        raise TargetError(_input_error(found.errors[0]))
    if not found.migrations:
        raise TargetError(f"{folder}: no migrations found")
    for source in found.migrations:
        if source.dialect != "postgres":
            raise TargetError(f"{folder}: {source.dialect} migrations cannot be applied to "
                              "PostgreSQL")
    alembic = any(s.layout == "alembic" for s in found.migrations)
    if alembic and apply_alembic is None:
        raise TargetError(f"{folder}: Alembic revisions are Python (op.* calls), and only "
                          "Alembic itself can run them, which this caller did not provide; "
                          "use the database they built, or python:module:metadata")
    loaded = load_migrations([s for s in found.migrations if s.up is not None])
    if loaded.errors:
        raise TargetError(_input_error(loaded.errors[0]))
    migrations = list(loaded.migrations)
    if alembic:  # Alembic orders its revisions itself, and finds the one named
        assert apply_alembic is not None
        apply_alembic(url, migrations, version)
        return
    if version is not None:
        migrations = _up_to(folder, migrations, version)
    for migration in migrations:
        if migration.up is None:
            continue
        statements = [ScriptStatement(st.sql, st.ops[0].span.line if st.ops else None)
                      for st in migration.up.statements]
        try:
            run_statements(url, statements, migration.up.script.path)
        except ScriptError as exc:
            raise TargetError(str(exc)) from None


def _up_to(folder: str, migrations: list[ParsedMigration], version: str
           ) -> list[ParsedMigration]:
    """The migrations up to and including the one ``version`` names."""
    for i, mig in enumerate(migrations):
        names = {mig.source.version, mig.source.name}
        if version in names:
            return migrations[:i + 1]
    known = ", ".join(m.source.version or m.source.name for m in migrations[:8])
    raise TargetError(f"{folder}@{version}: no migration of that version (found: {known}"
                      f"{' …' if len(migrations) > 8 else ''})")


def _apply_metadata(url: str, spec: str) -> None:
    """``python:package.module:attribute``: SQLAlchemy's create_all on the scratch database."""
    module_name, _, attribute = spec[len("python:"):].partition(":")
    if not module_name or not attribute:
        raise TargetError(f"{spec}: expected python:package.module:attribute, e.g. "
                          "python:myapp.models:Base.metadata")
    try:
        import sqlalchemy
    except ImportError:
        raise TargetError(f"{spec}: python: targets need SQLAlchemy, which is not installed "
                          "(pip install sqlalchemy)") from None
    metadata = _metadata(spec, module_name, attribute)
    import psycopg

    engine = sqlalchemy.create_engine("postgresql+psycopg://",
                                      creator=lambda: psycopg.connect(url))
    try:
        metadata.create_all(engine)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise TargetError(f"{spec}: create_all failed: {message}") from None
    finally:
        engine.dispose()


def _metadata(spec: str, module_name: str, attribute: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path:  # the user's application is importable from where they stand
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # an application's import can fail any way
        raise TargetError(f"{spec}: cannot import {module_name}: "
                          f"{type(exc).__name__}: {exc}") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise TargetError(f"{spec}: {module_name} has no attribute {attribute}")
        obj = getattr(obj, part)
    if not hasattr(obj, "create_all") and hasattr(obj, "metadata"):
        obj = obj.metadata  # a declarative Base
    if not hasattr(obj, "create_all"):
        raise TargetError(f"{spec}: {attribute} is not a SQLAlchemy MetaData")
    return obj


__all__ = ["DatabaseError", "Loader", "Target", "TargetError", "parse_target"]
