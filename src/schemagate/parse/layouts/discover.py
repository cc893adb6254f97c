"""Find migrations on disk: their layout, their order and their up/down pairing.

This is the walker; what each migration tool calls a migration is in its layout module
beside this one (`flyway`, `popx`, `golang_migrate`, `prisma`, `diesel`, `dbmate`,
`goose`, `sql_migrate`, `liquibase`, `sqitch`, `alembic`, `plain`). The walker owns what
they share: the roots it is given, folders reached twice or through link loops, the order of
migrations across folders, and reporting. A new layout is one module and its place in
`_Finder._in_dir`; a layout most folders are not (Alembic, Django, Liquibase, Sqitch, goose,
sql-migrate) is imported only where its sign (`signs`) is found.

Discovery reads directory listings and, only where a layout cannot be told from names, the
head of a file (the markers of dbmate, goose and sql-migrate, Liquibase's formatted-SQL
header, Prisma's ``migration_lock.toml``), and Sqitch's plan. It never parses SQL. A
pre-commit hook runs it on every commit, so it is stdlib-only and opens a file only when the
file's name leaves its layout open.

What a discovery depended on is in `Discovery.reads`: every folder listed, every file
opened or checked (size, readability), every path found missing or dangling, and every
link among the listed entries (its target decides what the entry is). A caller that keeps
the stat of each (`schemagate.replay`) knows that discovery would find the same while none of
them changes: a folder's own stat changes whenever an entry is added, removed or renamed.

Layouts are decided per directory from that directory's own entries (and, for Prisma, its
parent's lock file; for Drizzle, its `meta/_journal.json`). So a folder gives the same
migrations whether it is walked from above, named itself, or reached through one of its
files, as a pre-commit hook passes them. A folder with a Drizzle journal holds Drizzle's
migrations and nothing else; in any other folder the layouts are tried in this order, each
taking the names it recognises from what is left: Flyway, popx (in a folder whose names
carry its dialect or autocommit marks), golang-migrate, the folder's own Prisma or diesel
migration, dbmate, goose, sql-migrate, plain ``.sql`` files, and Alembic revisions in a
``versions/`` folder.

A folder named after a database (``mysql``, ``sqlite``, ``postgres``; see
`listing.folder_dialect`) holds that database's SQL, in the folders below it too (the
nearest such name counts), for the layouts whose files do not say. A version folder's
``manifest.json`` (temporal-sql-tool's ``SchemaUpdateCqlFiles``) orders its files.
"""

from __future__ import annotations

import errno
import io
import json
import os
import posixpath
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.parse.layouts import (
    dbmate,
    diesel,
    drizzle,
    flyway,
    golang_migrate,
    plain,
    popx,
    prisma,
    signs,
)
from schemagate.parse.layouts.listing import (
    Entry,
    Folder,
    Found,
    Key,
    NaturalKey,
    Plan,
    Problems,
    Virtual,
    folder_dialect,
    leading_digits,
    natural_key,
    read_start,
)

if TYPE_CHECKING:
    from schemagate.parse.layouts import django, liquibase

# The layouts whose sign is rare (`signs`: a plan, a versions/ folder, a migrations/ package,
# a changelog; goose's and sql-migrate's markers) are imported where that sign is found, not
# above: a pre-commit run on plain SQL files would load their patterns for nothing.

__all__ = ["Discovery", "discover"]

# Walking into these finds tools, caches and vendored copies, never the project's migrations.
# Hidden directories (.git, .venv, .tox, ...) are skipped by their leading dot.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv"})


# How many bytes of the files read whole to tell their layout are kept for the caller
# (`Discovery.contents`): the plain files of a long history, not a few large ones.
CONTENTS_LIMIT = 16 * 1024 * 1024


@dataclass
class Discovery:
    """What `discover` found: migrations in order, and what went wrong or is worth saying."""

    migrations: list[MigrationSource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # The absolute paths whose stat, listing or content the finding depended on (above):
    # how it was found, not what, so no part of comparing two discoveries.
    reads: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # The bytes of the files read whole to tell their layout (plain and dbmate files shorter
    # than the head read), by the path their script reports, up to `CONTENTS_LIMIT` in all:
    # what keys a file by its bytes (the result cache) need not read it a second time.
    contents: dict[str, bytes] = field(default_factory=dict)


def discover(paths: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None,
             dialect: str = "postgres", virtual: Mapping[str, str] | None = None
             ) -> Discovery:
    """Find the migrations in `paths` (files and/or folders), in order, with their down scripts.

    Folders are walked recursively. Files are classified exactly as a walk of their folder
    would classify them, and brought together with their partner script (the down of a
    given up, the up of a given down), so a pre-commit hook passing one file sees the whole
    migration. Relative paths are taken from `cwd` (default: the current directory), and
    every path reported is relative to it when under it, else absolute, with `/` separators.
    Where one folder holds a history per dialect (popx), `dialect`'s history is the one found.
    `virtual` gives files that exist only in memory (path to text; files a fix made and has
    not written): each is found as if it were in its folder, beside the files named there.
    """
    if isinstance(paths, str | os.PathLike):  # a lone path is a sequence of characters
        paths = [paths]
    base = os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd())
    finder = _Finder(base, dialect, {
        os.path.abspath(os.path.join(base, p)): text for p, text in (virtual or {}).items()})
    for root in finder.plan(paths):
        if isinstance(root, _FileGroup):
            finder.files(root)
        else:
            finder.walk(root)
    finder.alembic_context()
    finder.django_history()
    return finder.result()


@dataclass(frozen=True, slots=True)
class _FileGroup:
    """Files named explicitly, grouped by folder: the folder is listed once for all of them."""

    folder: str
    names: list[str]


@dataclass
class _DirResult:
    """What one folder's files hold: its migrations, and the names it has accounted for."""

    ordered: list[Found] = field(default_factory=list)  # layouts with their own order
    plain: list[tuple[NaturalKey, Found]] = field(default_factory=list)  # interleave by name
    claimed: set[str | None] = field(default_factory=set)  # file names used or reported


class _Finder:
    """One discovery run; holds what the run has seen so far, nothing beyond it."""

    def __init__(self, cwd: str, dialect: str, virtual: Mapping[str, str] | None = None
                 ) -> None:
        self._cwd = cwd
        # Files only in memory, by folder: name to text.
        self._virtual: dict[str, dict[str, str]] = {}
        for path, text in (virtual or {}).items():
            folder, name = os.path.split(path)
            self._virtual.setdefault(folder, {})[name] = text
        self._dialect = dialect
        self._cwd_prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
        self._walked: set[tuple[int, int]] = set()
        self._found: dict[Key, MigrationSource] = {}
        self._prisma_locks: dict[str, str | None] = {}
        self._problems = Problems()
        # Alembic revisions named explicitly, and the versions/ trees they need as context.
        self._named_revisions: set[str] = set()
        self._alembic_roots: dict[str, None] = {}
        self._context_walk = False
        self._dialects: dict[str, str] = {}
        self._sessions: dict[str, tuple[tuple[str, str], ...]] = {}  # Alembic's env.py SETs
        # Alembic: whether env.py's target_metadata may name unnamed constraints.
        self._run_time_names: dict[str, bool] = {}
        self._django: dict[Key, django.Entry] = {}
        self._django_labels: dict[str, str] = {}
        self._reads: dict[str, None] = {}  # in the order met, each once
        self._liquibase_taken: set[str] = set()  # files a master changelog ordered
        self._contents: dict[str, bytes] = {}
        self._contents_size = 0
        # A crate folder -> the database of the sqlx its Cargo.toml names; None: no sqlx.
        self._sqlx_crates: dict[str, str | None] = {}
        self._repositories: dict[str, str | None] = {}  # a folder -> its repository's folder

    def result(self) -> Discovery:
        # One file reached twice (by name and through its folder) is reported once.
        migrations = _in_history_order(_nested_histories(list(self._found.values()),
                                                         self._dialect),
                                       self._problems.notices)
        return Discovery(
            migrations=migrations,
            errors=list(dict.fromkeys(self._problems.errors)),
            notices=list(dict.fromkeys(self._problems.notices)),
            reads=tuple(self._reads),
            contents=self._contents,
        )

    # -- roots ---------------------------------------------------------------------------

    def plan(self, paths: Iterable[str | os.PathLike[str]]) -> list[str | _FileGroup]:
        """Folders to walk and files grouped by folder, in the order first named."""
        roots: list[str | _FileGroup] = []
        groups: dict[str, _FileGroup] = {}
        for given in paths:
            path = os.path.abspath(os.path.join(self._cwd, os.fspath(given)))
            self._read(path)
            try:
                is_dir = stat.S_ISDIR(os.stat(path).st_mode)
            except FileNotFoundError:
                missing = InputError(self._display(path), "no such file or directory")
                self._problems.errors.append(missing)
                continue
            except OSError as exc:
                self._problems.error(self._display(path), exc)
                continue
            if is_dir:
                roots.append(path)
                continue
            folder, name = os.path.split(path)
            if folder not in groups:
                groups[folder] = _FileGroup(folder, [])
                roots.append(groups[folder])
            groups[folder].names.append(name)
        for folder, group in groups.items():  # a new file belongs with the files named
            group.names.extend(self._virtual.get(folder, ()))
        return roots

    def walk(self, root: str) -> None:
        """Every migration under `root`, depth first, each folder's entries in order."""
        stack: list[Found | str] = list(reversed(self._expand(root, top=True)))
        while stack:
            item = stack.pop()
            if isinstance(item, Found):
                self._add(item)
            else:
                stack.extend(reversed(self._expand(item, top=False)))

    def files(self, group: _FileGroup) -> None:
        """The migrations that the named files belong to, ordered as in their folder."""
        wanted = frozenset(group.names)
        if self._liquibase_files(group):
            return
        project = self._sqitch_project(group.folder)
        if project is not None:
            named = {os.path.join(group.folder, name) for name in group.names}
            claimed: set[str] = set()
            for found in self._sqitch(project, named, claimed):
                self._add(found)
            for name in dict.fromkeys(group.names):
                if os.path.join(group.folder, name) not in claimed:
                    self._problems.notices.append(Notice(
                        self._display(os.path.join(group.folder, name)),
                        "not a migration file; ignored"))
            return
        d = self._list(group.folder, keep=wanted)
        if d is None:
            return
        result = self._in_dir(d, wanted)
        for found in result.ordered:
            self._add(found)
        for _, found in sorted(result.plain, key=lambda item: item[0]):
            self._add(found)
        for name in dict.fromkeys(group.names):
            if name not in result.claimed:
                self._problems.notices.append(Notice(d.show(name), "not a migration file; ignored"))

    # -- directories ---------------------------------------------------------------------

    def _expand(self, path: str, *, top: bool) -> list[Found | str]:
        """A folder's migrations and sub-folders, in the order they are to be visited."""
        d = self._list(path)
        # The identity check stops symlink loops and folders named twice.
        if d is None or d.identity in self._walked:
            return []
        if not top and "pyvenv.cfg" in d.files:  # a virtualenv under any name
            return []
        self._walked.add(d.identity)
        if signs.SQITCH_PLAN in d.files:  # its changes are in the plan: no sub-folder is walked
            return list(self._sqitch(d, None, walked=True))
        project = self._liquibase_project(d)
        result = self._in_dir(d, None)
        result.ordered[:0] = project
        # Plain files and sub-folders interleave by natural name, so that plain migrations
        # follow the natural order of their path relative to the folder walked.
        nested: list[tuple[NaturalKey, Found | str]] = [
            (natural_key(entry.name), entry.path) for entry in d.subdirs
        ]
        nested.extend(result.plain)
        nested.sort(key=lambda item: item[0])
        return [*result.ordered, *(item for _, item in nested)]

    def _list(self, path: str, keep: frozenset[str] = frozenset()) -> Folder | None:
        display = self._display(path)
        self._read(path)
        try:
            info = os.stat(path)
            with os.scandir(path) as entries:
                files, subdirs, broken, links = _sort_entries(entries, keep)
        except OSError as exc:
            self._problems.error(display, exc)
            return None
        for link in links:
            self._read(link)
        for name, text in self._virtual.get(path, {}).items():
            files.setdefault(name, Virtual(name, os.path.join(path, name), text))
        return Folder(path, display, (info.st_dev, info.st_ino), files, subdirs, broken)

    def _in_dir(self, d: Folder, wanted: frozenset[str] | None) -> _DirResult:
        """The migrations of one folder's files; with `wanted`, only those touching them.

        A folder rarely mixes layouts; when it does, each layout's migrations stay together
        in their own order: Flyway, golang-migrate, the folder's Prisma or diesel migration,
        dbmate, and last the plain files, which the caller interleaves with sub-folders.
        """
        result = _DirResult()
        for entry in d.broken:
            if wanted is None or entry.name in wanted:
                self._broken(d, entry)
                result.claimed.add(entry.name)
        # Files a Liquibase master changelog took are its history's, not this folder's.
        taken = [n for n in d.files if os.path.join(d.path, n) in self._liquibase_taken
                 ] if self._liquibase_taken else []
        result.claimed.update(taken)
        names = sorted(set(d.files) - set(taken))
        # golang-migrate's names are popx's too: the whole folder tells them apart.
        is_popx = popx.is_popx(name for name in names if name.endswith(".sql"))
        if wanted is not None:  # a pre-commit hook's few files in a big folder: look no further
            names = _related(names, wanted)
        # README.md, .ts/.js/.go data migrations, atlas.sum, .gitkeep: not migrations.
        # .py files in an Alembic versions/ folder are read after (`_alembic`).
        rest = [name for name in names if name.endswith(".sql")]
        if rest and self._in_django_package(d):
            self._problems.notices.append(Notice(d.show(rest[0]), (
                f"{len(rest)} .sql file{'s' if len(rest) != 1 else ''} in a Django app's "
                "migrations package: the SQL its migrations run (RunSQL), not migrations of "
                "their own; left out")))
            result.claimed.update(rest)
            rest = []
        plans: list[Plan] = []
        journal = self._drizzle_journal(d)
        if journal is not None:
            drizzled = drizzle.claim(rest, journal)
            plans.extend(drizzled.plans)
            rest = []
            self._drizzle_left(d, drizzled, wanted, result)
        flyway_plans, rest = flyway.claim(rest)
        plans.extend(flyway_plans)
        if is_popx:
            popx_claim = popx.claim(rest, self._dialect)
            plans.extend(popx_claim.plans)
            rest = popx_claim.rest
            result.claimed.update(popx_claim.left_out)
            self._other_dialects(d, popx_claim.other_dialects)
        crate = self._sqlx_crate(d) if rest else None
        if crate is not None:
            from schemagate.parse.layouts import sqlx

            def start(name: str) -> bytes:
                path = os.path.join(d.path, name)
                self._read(path)
                try:
                    return read_start(path, len(sqlx.NO_TRANSACTION))
                except OSError:
                    return b""  # the file's own read reports it

            sqlx_plans, rest = sqlx.claim(rest, start)
            plans.extend(plan._replace(dialect=crate) for plan in sqlx_plans)
        golang_plans, rest = golang_migrate.claim(rest)
        plans.extend(golang_plans)
        if wanted is None:
            self._code_migration(d)
        unit = self._unit_plan(d, rest)
        if unit is not None:
            plans.append(unit)
            rest = [name for name in rest if name not in (unit.up, unit.down)]
        own_runner = self._run_by_own_code(d, golang_plans)
        for plan in plans:
            if _touches(plan, wanted):
                result.claimed.update((plan.up, plan.down))
                found = self._source(d, plan)
                if found is not None and own_runner and plan.layout == "golang-migrate":
                    found = found._replace(source=replace(found.source, own_runner=True))
                if found is not None:
                    result.ordered.append(found)
        self._by_content(d, rest, wanted, result)
        if _MANIFEST in d.files:
            self._manifest_order(d, wanted, result)
        if signs.in_alembic_versions(d.path):
            self._alembic(d, names, wanted, result)
        named = _written_in(self._project_parts(d))
        if signs.is_django_migrations(d.path):
            if named in _OTHER_DATABASES:
                # An app named for such a database (Flagsmith's `clickhouse`), which a
                # database router migrates there.
                self._django_not_linted(named, d)
            else:
                self._django_folder(d, wanted, result)
        if named in _OTHER_DATABASES:
            self._not_linted(named, d, result)
        elif named is not None and named != "postgres":
            _written_for(named, result)
        return result

    def _project_parts(self, d: Folder) -> list[str]:
        """The names of the folders that lead to `d` inside its project: those below the
        repository's own folder (the nearest holding `.git`), or with none, those of the path
        as shown. A folder above the repository is the user's machine, not the project
        (`/srv/mysql/app/`): its name says nothing of the project's SQL; and the same files
        give the same findings wherever in the repository the lint is run from. The
        repository is looked for only where its answer matters, a folder on the way being
        named for a database: each folder asked is a path the run depends on (`reads`), and
        one above the project (`/tmp`) changes too often for a run to be replayed."""
        if _written_in(d.path.split(os.sep)) is None:
            return d.display.split("/")
        root = self._repository(d.path)
        if root is None:
            return d.display.split("/")
        below = os.path.relpath(d.path, root)
        return [] if below == os.curdir else below.split(os.sep)

    def _repository(self, folder: str) -> str | None:
        """The folder of the repository `folder` is in (the nearest holding `.git`), if any;
        each folder on the way is asked once a run."""
        passed: list[str] = []
        path = folder
        root: str | None = None
        while path not in self._repositories:
            passed.append(path)
            mark = os.path.join(path, ".git")
            self._read(mark)
            if os.path.lexists(mark):
                root = path
                break
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
        else:
            root = self._repositories[path]
        for seen in passed:
            self._repositories[seen] = root
        return root

    def _not_linted(self, database: str, d: Folder, result: _DirResult) -> None:
        """Leave out, with a notice, the migrations of a folder named for a database
        schemagate does not lint (`db/clickhouse/migrations`): its SQL is that database's,
        and read as PostgreSQL's it gives errors and findings that are not true of it.
        Layouts whose files name their database (a Prisma lock, popx's suffixes) keep it."""
        def kept(found: Found) -> bool:
            return found.source.layout not in _NAMED_BY_FOLDER

        left_out = [f for f in result.ordered if not kept(f)] + \
            [f for _, f in result.plain if not kept(f)]
        if not left_out:
            return
        result.ordered[:] = [f for f in result.ordered if kept(f)]
        result.plain[:] = [(key, f) for key, f in result.plain if kept(f)]
        self._left_out(database, d, len(left_out))

    def _django_not_linted(self, database: str, d: Folder) -> None:
        """A Django app named for a database schemagate does not lint: its migrations are
        left out, with a notice."""
        from schemagate.parse.layouts import django
        count = sum(1 for name in d.files if django.is_migration_name(name))
        if count:
            self._left_out(database, d, count)

    def _left_out(self, database: str, d: Folder, count: int) -> None:
        self._problems.notices.append(Notice(d.display, (
            f"written for {_OTHER_DATABASES[database]} (the folder's name), a "
            f"database schemagate does not lint: {count} migration"
            f"{'s' if count != 1 else ''} left out")))

    def _in_django_package(self, d: Folder) -> bool:
        """Whether the folder is a Django app's migrations package (`migrations/` holding
        `__init__.py`), or a folder in one (Flagsmith's `segments/migrations/sql/`)."""
        if signs.is_django_migrations(d.path) and "__init__.py" in d.files:
            return True
        path = d.path
        for _ in range(2):
            path = os.path.dirname(path)
            if signs.is_django_migrations(path):
                init = os.path.join(path, "__init__.py")
                self._read(init)
                return os.path.isfile(init)
        return False

    def _run_by_own_code(self, d: Folder, plans: list[Plan]) -> bool:
        """Whether golang-migrate-named files that share a version (which golang-migrate
        refuses) are run by the project's own Go code instead: a `.go` file in the folder
        or the two above it names one of them (Shiori's `newFileMigration("0.0.0", "0.1.0",
        "mysql/0000_system_create")`). Only such folders are looked at; the `migrate` CLI
        (a Dockerfile's, a Kubernetes job's) names no file in Go code."""
        by_version: dict[str, list[str]] = {}
        for plan in plans:
            key = golang_migrate.pairing_key(plan.up) if plan.up is not None else None
            if key is not None:
                by_version.setdefault(key, []).append(plan.name)
        shared = [name for names in by_version.values() if len(names) > 1 for name in names]
        if not shared:
            return False
        path = d.path
        for _ in range(_GO_CODE_DEPTH):
            listed = self._list(path) if path != d.path else d
            for name in sorted(listed.files) if listed is not None else ():
                if name.endswith(".go"):
                    text = self._file_text(os.path.join(path, name))
                    if isinstance(text, str) and any(stem in text for stem in shared):
                        return True
            if path == self._cwd or not path.startswith(self._cwd_prefix):
                return False
            path = os.path.dirname(path)
        return False

    # -- sqlx ----------------------------------------------------------------------------

    def _sqlx_crate(self, d: Folder) -> str | None:
        """Whether the folder holds a Rust crate's sqlx migrations: the `Cargo.toml` of its
        parent (`sqlx::migrate!("./migrations")`) or of the folder above that (for
        `migrations/postgres`) names sqlx among its dependencies. The database they are
        written for, when sqlx's features name one alone ("sqlite"), else PostgreSQL."""
        parent = os.path.dirname(d.path)
        for crate in (parent, os.path.dirname(parent)):
            if crate not in self._sqlx_crates:
                text = self._file_text(os.path.join(crate, "Cargo.toml"))
                found = _SQLX_DEPENDENCY.search(text) if isinstance(text, str) else None
                self._sqlx_crates[crate] = (
                    self._sqlx_database(crate, found.group(0)) if found else None)
            if self._sqlx_crates[crate] is not None:
                return self._sqlx_crates[crate]
        return None

    def _sqlx_database(self, crate: str, dependency: str) -> str:
        """The database a crate's sqlx migrations are written for: the one sqlx's features
        name alone in its Cargo.toml; where they name none (`sqlx = { workspace = true }`:
        cargo unifies the features of every crate that uses sqlx, so another crate's may
        choose), the one the crate's own code alone uses (`sqlx::sqlite::SqlitePool`);
        else PostgreSQL."""
        named = _sqlx_databases(dependency)
        if not named:
            named = self._sqlx_databases_used(os.path.join(crate, "src"))
        return named.pop() if len(named) == 1 else "postgres"

    def _sqlx_databases_used(self, src: str) -> set[str]:
        """The databases whose sqlx modules or pools the Rust files under `src` use, read
        until two are seen or `_SQLX_SOURCES_READ` files have been."""
        used: set[str] = set()
        read = 0
        for folder, subdirs, files in os.walk(src):
            subdirs.sort()
            self._read(folder)
            for name in sorted(files):
                if not name.endswith(".rs"):
                    continue
                text = self._file_text(os.path.join(folder, name))
                if isinstance(text, str):
                    used.update(found.group(1) or _SQLX_TYPE_PREFIXES[found.group(2)]
                                for found in _SQLX_BACKEND_USE.finditer(text))
                read += 1
                if len(used) > 1 or read >= _SQLX_SOURCES_READ:
                    return used
        return used

    # -- a version folder's manifest ------------------------------------------------------

    def _manifest_order(self, d: Folder, wanted: frozenset[str] | None,
                        result: _DirResult) -> None:
        """Order a folder's plain files by its `manifest.json` (temporal-sql-tool's, which
        Cadence shares: `SchemaUpdateCqlFiles`, the files of one schema version in the order
        the tool runs them). A `.sql` file it does not name is left out with a notice, as the
        tool never runs it; a file it names that is not there is an input error."""
        text = self._file_text(os.path.join(d.path, _MANIFEST))
        listed = _manifest_files(text) if isinstance(text, str) else None
        if listed is None:
            return  # another tool's manifest, or none that can be read
        places = {name: i for i, name in enumerate(listed)}
        kept: list[tuple[NaturalKey, Found]] = []
        for key, found in result.plain:
            script = found.source.up
            name = posixpath.basename(script.path) if script is not None else ""
            if found.source.layout != "sql" or name not in places:
                if found.source.layout == "sql":
                    self._problems.notices.append(Notice(d.show(name), (
                        f"not in {_MANIFEST}'s SchemaUpdateCqlFiles: the schema tool does "
                        "not run it; left out")))
                    continue
                kept.append((key, found))
                continue
            position = places[name]
            kept.append((natural_key(f"{position:06d}"),
                          found._replace(source=replace(found.source, position=position))))
        result.plain[:] = kept
        if wanted is None:
            for name in listed:
                if name not in d.files:
                    self._problems.errors.append(InputError(d.show(name), (
                        f"{_MANIFEST} names this file, but it is not there")))

    # -- Drizzle -------------------------------------------------------------------------

    def _drizzle_journal(self, d: Folder) -> drizzle.Journal | None:
        """The Drizzle Kit journal beside the folder's files (`meta/_journal.json`), if any."""
        if not any(entry.name == drizzle.JOURNAL[0] for entry in d.subdirs):
            return None
        text = self._file_text(os.path.join(d.path, *drizzle.JOURNAL))
        return drizzle.read_journal(text) if isinstance(text, str) else None

    def _drizzle_left(self, d: Folder, drizzled: drizzle.Claim,
                      wanted: frozenset[str] | None, result: _DirResult) -> None:
        """What a Drizzle folder holds beside its journal's migrations, said: files drizzle
        does not run, and migrations the journal names whose file is not there."""
        for name in drizzled.rest:
            if wanted is None or name in wanted:
                result.claimed.add(name)
                self._problems.notices.append(Notice(d.show(name), (
                    "not in drizzle's journal (meta/_journal.json): drizzle does not run "
                    "it; left out")))
        if wanted is None:
            for name in drizzled.missing:
                self._problems.errors.append(InputError(d.show(name), (
                    "drizzle's journal (meta/_journal.json) names this migration, but the "
                    "file is not there")))

    # -- Liquibase -----------------------------------------------------------------------

    def _liquibase_files(self, group: _FileGroup) -> bool:
        """Named files (pre-commit) that a master changelog above them includes: the
        outermost such changelog's whole history comes, the others' changesets as context.
        False when no changelog within a few folders above includes any of them."""
        named = {os.path.join(group.folder, n) for n in group.names}
        top: Folder | None = None
        for here in self._upward(group.folder):
            d = self._list(here)
            if d is not None and named & set(self._liquibase_includes(d)[0]):
                top = d
        if top is None:
            return False
        shown = {self._display(path) for path in named}
        project = self._liquibase_project(top)
        mine = {f.source.up.path for f in project if f.source.up is not None}
        for found in project:
            script = found.source.up
            context = script is None or script.path not in shown
            self._add(found._replace(source=replace(found.source, context_only=context)))
        for name in sorted(shown - mine):
            self._problems.notices.append(Notice(name, "not a migration file; ignored"))
        return True

    def _upward(self, folder: str) -> Iterator[str]:
        """A named file's folder and those above it where its project may begin: up to the
        current folder when the file is below it (the repository a hook runs in: what lies
        above it, a home folder, would make every replay of the run depend on it), else a
        few folders up."""
        here, inside = folder, folder.startswith(self._cwd_prefix) or folder == self._cwd
        for _ in range(64 if inside else 4):
            yield here
            parent = os.path.dirname(here)
            if parent == here or (inside and here == self._cwd):
                return
            here = parent

    def _liquibase_includes(self, d: Folder) -> tuple[list[str], set[str]]:
        """The SQL files the master changelogs of a folder include, in order (absolute
        paths), and every changelog read for them. A changelog another one here includes
        is no master of its own; one a master before took is skipped."""
        read, exists = self._liquibase_text, self._exists
        candidates = [os.path.join(d.path, n) for n in sorted(d.files)
                      if signs.may_be_changelog(n)
                      and os.path.join(d.path, n) not in self._liquibase_taken]
        if not candidates:
            return [], set()
        from schemagate.parse.layouts import liquibase
        masters = [c for c in candidates
                   if liquibase.is_changelog(os.path.basename(c), read(c) or "")]
        changelogs: dict[str, set[str]] = {m: set() for m in masters}
        included = {m: liquibase.included(m, read, exists, changelogs=changelogs[m])
                    for m in masters}
        masters = [m for m in masters
                   if not any(m in changelogs[o] for o in masters if o != m)]
        files: list[str] = []
        read_for: set[str] = set()
        for master in masters:
            files += [f for f in included[master] if f not in files]
            read_for |= changelogs[master]
        return files, read_for

    def _file_text(self, path: str) -> str | OSError | UnicodeDecodeError:
        """A text file read whole, its read noted: its text, or why it could not be read."""
        self._read(path)
        try:
            with open(path, encoding="utf-8-sig") as file:
                return file.read()
        except (OSError, UnicodeDecodeError) as exc:
            return exc

    def _liquibase_text(self, path: str) -> str | None:
        """A changelog's text; None when it cannot be read (then it orders nothing)."""
        text = self._file_text(path)
        return text if isinstance(text, str) else None

    def _exists(self, path: str) -> bool:
        self._read(path)
        return os.path.exists(path)

    def _liquibase_project(self, d: Folder) -> list[Found]:
        """The migrations of a folder's master changelog, in its order, as one history; the
        files it includes are taken, so that walking their folders finds them no more."""
        files, changelogs = self._liquibase_includes(d)
        self._liquibase_taken |= changelogs
        out: list[Found] = []
        if not files:
            return out
        from schemagate.parse.layouts import liquibase
        for file_index, path in enumerate(files, start=1):
            self._liquibase_taken.add(path)
            self._read(path)
            shown = self._display(path)
            name = os.path.relpath(path, d.path).replace(os.sep, "/")
            try:
                data = read_start(path)
            except OSError as exc:
                self._problems.error(shown, exc)
                continue
            if not liquibase.is_formatted(data):
                out.append(liquibase.raw_found(d, shown, name, file_index))
                continue
            out += [liquibase.changeset_found(d, shown, name, file_index, index, changeset,
                                              d.display)
                    for index, changeset in self._applying(shown, liquibase.changesets(data))]
        return out

    # -- Sqitch --------------------------------------------------------------------------

    def _sqitch_project(self, folder: str) -> Folder | None:
        """The Sqitch project whose plan or scripts a named file's folder holds: the
        nearest folder above it (its own included) with a plan, when the file is that
        folder's or under its deploy, revert or verify folder. A file elsewhere below a
        plan (another tool's history in the same repository) is not Sqitch's."""
        for here in self._upward(folder):
            plan = os.path.join(here, signs.SQITCH_PLAN)
            self._read(plan)
            if os.path.isfile(plan):
                break
        else:
            return None
        d = self._list(here)
        if d is None:
            return None
        from schemagate.parse.layouts import sqitch
        conf = os.path.join(here, sqitch.CONF)
        where = sqitch.places(self._text(d, sqitch.CONF) if os.path.isfile(conf) else None)
        own = [os.path.join(here, *rel.split("/"))
               for rel in (where.deploy, where.revert, "verify")]
        inside = folder == here or any(folder == o or folder.startswith(o + os.sep)
                                       for o in own)
        return d if inside else None

    def _sqitch(self, d: Folder, named: set[str] | None, claimed: set[str] | None = None,
                *, walked: bool = False) -> list[Found]:
        """The plan's changes, in its order. With ``named`` (files given by path), every
        change still comes, as context, and those whose scripts were named are reported;
        ``claimed`` collects the named files that are scripts of a change. ``walked``: the
        folder is walked, and the sub-folders that are not the project's are said to be
        left."""
        from schemagate.parse.layouts import sqitch
        conf = self._text(d, sqitch.CONF) if sqitch.CONF in d.files else None
        where = sqitch.places(conf)
        if walked:
            own = {rel.split("/", 1)[0] for rel in (where.plan, where.deploy, where.revert)}
            others = sorted(e.name for e in d.subdirs
                            if e.name not in own and e.name not in sqitch.OWN_FOLDERS)
            if others:
                self._problems.notices.append(Notice(d.show(where.plan), (
                    "a Sqitch project: its changes are the plan's; the folders beside it ("
                    f"{', '.join(others)}) are not walked for migrations")))
        text = self._text(d, where.plan)
        if text is None:
            return []
        found: list[Found] = []
        for index, change in enumerate(sqitch.changes(text), start=1):
            up = f"{where.deploy}/{change.script}.sql"
            down = f"{where.revert}/{change.script}.sql"
            if change.reverted:
                self._problems.notices.append(Notice(
                    d.show(where.plan), f"change {change.name} is planned to be reverted "
                    "(`-`): left out"))
                continue
            paths = {rel: os.path.join(d.path, *rel.split("/")) for rel in (up, down)}
            for path in paths.values():
                self._read(path)
            if not os.path.isfile(paths[up]):
                self._problems.errors.append(InputError(
                    d.show(up), f"no deploy script for the plan's change {change.name}"))
                continue
            has_down = os.path.isfile(paths[down])
            mine = {paths[up], paths[down]}
            if claimed is not None and named is not None:
                claimed.update(mine & named)
            found.append(Found((d.identity, up, down if has_down else None), MigrationSource(
                # A reworked change's earlier planning by the name Sqitch gives it (users@v1.0).
                name=change.script,
                layout="sqitch",
                up=Script(d.show(up), "autocommit"),
                down=Script(d.show(down), "autocommit") if has_down else None,
                version=str(index),
                project=d.display,
                context_only=named is not None and not mine & named,
            )))
        return found

    def _text(self, d: Folder, relative: str) -> str | None:
        """A text file of the folder (or below it), read whole; None when it cannot be
        (reported)."""
        text = self._file_text(os.path.join(d.path, *relative.split("/")))
        if isinstance(text, str):
            return text
        self._problems.errors.append(InputError(d.show(relative), str(
            text.strerror if isinstance(text, OSError) else "not UTF-8")))
        return None

    # -- Django --------------------------------------------------------------------------

    def _django_folder(self, d: Folder, wanted: frozenset[str] | None,
                       result: _DirResult) -> None:
        """An app's migrations; all of them even when one is named, since the graph needs
        the others (they are kept as context: folded, not reported)."""
        from schemagate.parse.layouts import django
        app_folder = os.path.dirname(d.path)
        if app_folder not in self._django_labels:
            self._read(os.path.join(app_folder, django.APPS_FILE))
            self._django_labels[app_folder] = django.app_label(app_folder)
        label = self._django_labels[app_folder]
        for name in sorted(d.files):
            if not django.is_migration_name(name) or name in result.claimed:
                continue
            key: Key = (d.identity, name, None)
            self._read(d.files[name].path)
            try:
                entry = django.read_entry(d.files[name].path, d.show(name), key, label)
            except OSError as exc:
                self._problems.error(d.show(name), exc)
                continue
            if entry is None:
                continue
            if wanted is None or name in wanted:
                result.claimed.add(name)
            entry.context_only = wanted is not None and name not in wanted
            previous = self._django.get(key)
            if previous is None or (previous.context_only and not entry.context_only):
                self._django[key] = entry

    def django_history(self) -> None:
        """The Django migrations found, as one project ordered by its graph."""
        if not self._django:
            return
        from schemagate.parse.layouts import django
        entries = list(self._django.values())
        project = self._display(django.project_folder([e.app_folder for e in entries]))
        graph = django.history(entries, project)
        self._problems.notices.extend(graph.notices)
        for found in graph.found:
            self._add(found)

    # -- Alembic -------------------------------------------------------------------------

    def _alembic(self, d: Folder, names: list[str], wanted: frozenset[str] | None,
                 result: _DirResult) -> None:
        """The revisions of an Alembic versions folder; Alembic orders them by their graph."""
        from schemagate.parse.layouts import alembic
        found: list[Found] = []
        for name in names:
            if not name.endswith(".py") or name in result.claimed:
                continue
            self._read(d.files[name].path)
            try:
                head = alembic.read_revision_head(d.files[name].path)
            except OSError as exc:
                self._problems.error(d.show(name), exc)
                continue
            if head is None:
                continue
            result.claimed.add(name)
            path = d.show(name)
            if wanted is not None:
                self._named_revisions.add(path)
                self._alembic_roots.setdefault(alembic.versions_root(d.path))
            context = self._context_walk and path not in self._named_revisions
            dialect = self._alembic_dialect(d.path)
            if d.path not in self._sessions:
                self._sessions[d.path] = alembic.alembic_session(d.path)
                looked_at: list[str] = []
                self._run_time_names[d.path] = alembic.alembic_run_time_names(d.path,
                                                                              looked_at)
                for path in (*alembic.config_files(d.path), *looked_at):
                    self._read(path)
            found.append(alembic.found(d, name, head, dialect=dialect, context_only=context,
                                       session=self._sessions[d.path],
                                       run_time_names=self._run_time_names[d.path]))
        result.ordered.extend(found)

    def _alembic_dialect(self, folder: str) -> str:
        if folder not in self._dialects:
            from schemagate.parse.layouts import alembic
            self._dialects[folder] = alembic.alembic_dialect(folder)
        return self._dialects[folder]

    def alembic_context(self) -> None:
        """A named revision means little without its ancestors: walk its versions/ tree and
        keep the other revisions there as context (folded, not reported)."""
        self._context_walk = True
        for root in self._alembic_roots:
            self.walk(root)
        self._context_walk = False

    def _other_dialects(self, d: Folder, counts: dict[str, int]) -> None:
        if not counts:
            return
        files = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
        self._problems.notices.append(Notice(
            d.display,
            f"popx files for other databases left out ({files}): "
            f"this is the {self._dialect} history",
        ))

    def _code_migration(self, d: Folder) -> None:
        """A notice for a Prisma migration folder that holds code instead of SQL (Formbricks'
        `migration.ts` data migrations): it runs, and nothing here reads it."""
        code = prisma.code_migration(d, d.files)
        if code is not None and self._prisma_dialect(os.path.dirname(d.path)) is not None:
            self._problems.notices.append(Notice(d.show(code), (
                "a data migration in code, which the project's own runner runs between "
                "Prisma's: schemagate does not read it; review it by hand")))

    def _unit_plan(self, d: Folder, names: list[str]) -> Plan | None:
        """A Prisma or diesel migration: one folder holding its scripts, named by the folder."""
        parent = os.path.dirname(d.path)
        unit = prisma.plan(d, names, lambda: self._prisma_dialect(parent))
        if unit is None:
            unit = diesel.plan(d, names, self._problems)
            if unit is not None and "metadata.toml" in d.files:  # its transaction setting
                self._read(d.files["metadata.toml"].path)
        return unit

    def _by_content(
        self, d: Folder, names: list[str], wanted: frozenset[str] | None, result: _DirResult
    ) -> None:
        """dbmate or plain: only the file's head can tell."""
        heads: dict[str, dbmate.Head] = {}
        dbmates: list[tuple[tuple[int, int, str], Found]] = []
        gooses: list[tuple[tuple[int, int, str], Found]] = []
        sql_migrates: list[tuple[tuple[int, int, str], Found]] = []
        formatted: list[tuple[str, list[liquibase.Changeset]]] = []  # Liquibase's files
        for name in names:
            head = self._head(d, name)
            if head is None:  # unreadable, and reported
                result.claimed.add(name)
            elif head.up is not None:
                if wanted is None or name in wanted:
                    result.claimed.add(name)
                    dbmates.append(dbmate.found(d, name, head.up, head.down))
            elif not _marked(data := self._whole(d, name, head)):
                heads[name] = head  # a plain script: no other tool's marker, at a glance
            else:
                from schemagate.parse.layouts import goose, liquibase, sql_migrate
                if (parts := goose.sections(data)) is not None:
                    if wanted is None or name in wanted:
                        result.claimed.add(name)
                        gooses.append(goose.found(d, name, parts))
                elif (modes := sql_migrate.sections(data)) is not None:
                    if wanted is None or name in wanted:
                        result.claimed.add(name)
                        sql_migrates.append(sql_migrate.found(d, name, *modes))
                elif liquibase.is_formatted(data):
                    if wanted is None or name in wanted:
                        result.claimed.add(name)
                        formatted.append((name, liquibase.changesets(data)))
                else:
                    heads[name] = head
        for found_here in (dbmates, gooses, sql_migrates):
            found_here.sort(key=lambda item: item[0])
            result.ordered.extend(found for _, found in found_here)
        result.ordered.extend(self._liquibase(d, formatted))
        if gooses and wanted is None:
            self._goose_go_files(d)
        for plan in plain.plans(list(heads), d.name):
            if not _touches(plan, wanted):
                continue
            result.claimed.update((plan.up, plan.down))
            first = plan.up or plan.down
            assert first is not None
            source = self._source(d, plan, heads)
            if source is not None:
                result.plain.append((natural_key(first), source))

    def _goose_go_files(self, d: Folder) -> None:
        """A goose history's Go migrations, which are not read, said to be left out."""
        from schemagate.parse.layouts import goose
        go = goose.go_migrations(d.files)
        if go:
            shown = ", ".join(go[:3]) + (", …" if len(go) > 3 else "")
            self._problems.notices.append(Notice(d.show(go[0]), (
                f"{len(go)} goose Go migration{'s' if len(go) != 1 else ''} not read "
                f"({shown}): the checks of the migrations after them do not know what they "
                "change")))

    # -- files ---------------------------------------------------------------------------

    def _source(
        self, d: Folder, plan: Plan, heads: Mapping[str, dbmate.Head] | None = None
    ) -> Found | None:
        """A migration from its plan, leaving out scripts that cannot be read."""
        # An empty popx file is popx's way to say "nothing to do on this database".
        popx_file = plan.layout == "popx"
        up = self._script(d, plan.up, plan.transaction, heads, quiet=popx_file) if plan.up else None
        down = None
        if plan.down and not (popx_file and self._empty(d, plan.down)):
            down = self._script(d, plan.down, plan.down_transaction or plan.transaction, heads)
        if up is None and down is None:
            return None
        source = MigrationSource(
            name=plan.name,
            layout=plan.layout,
            up=up,
            down=down,
            version=plan.version,
            repeatable=plan.repeatable,
            dialect=plan.dialect,
            rollback_unit=plan.rollback_unit,
        )
        return Found((d.identity, plan.up, plan.down), source)

    def _script(
        self,
        d: Folder,
        name: str,
        transaction: TransactionMode,
        heads: Mapping[str, dbmate.Head] | None,
        *,
        quiet: bool = False,
    ) -> Script | None:
        """A script and, once, whether it is empty; None if it cannot be read (reported).

        A file whose head was read is known; others are checked with stat and access,
        which is much cheaper than opening thousands of files.
        """
        entry = d.files[name]
        display = d.show(name)
        self._read(entry.path)
        if heads is not None:
            empty = heads[name].empty
        else:
            try:
                empty = entry.stat().st_size == 0
            except OSError as exc:
                self._problems.error(display, exc)
                return None
            if not isinstance(entry, Virtual) and not os.access(entry.path, os.R_OK):
                self._problems.errors.append(InputError(display, os.strerror(errno.EACCES)))
                return None
        if empty and not quiet:
            self._problems.notices.append(Notice(display, "empty migration file"))
        return Script(display, transaction)

    def _empty(self, d: Folder, name: str) -> bool:
        """An empty file; an unreadable one is not, so that reading it reports why."""
        self._read(d.files[name].path)
        try:
            return d.files[name].stat().st_size == 0
        except OSError:
            return False

    def _head(self, d: Folder, name: str) -> dbmate.Head | None:
        entry = d.files[name]
        if isinstance(entry, Virtual):
            return dbmate.head_of(io.BytesIO(entry.text.encode("utf-8")))
        self._read(entry.path)
        try:
            head = dbmate.read_head(entry.path)
        except OSError as exc:
            self._problems.error(d.show(name), exc)
            return None
        if head.data is not None and self._contents_size + len(head.data) <= CONTENTS_LIMIT:
            self._contents[d.show(name)] = head.data
            self._contents_size += len(head.data)
        return head

    def _liquibase(self, d: Folder, files: list[tuple[str, list[liquibase.Changeset]]]
                   ) -> list[Found]:
        """The changesets of a folder's Liquibase files, in the order of the files' names
        and then of each file."""
        out: list[Found] = []
        if not files:
            return out
        from schemagate.parse.layouts import liquibase
        ordered = sorted(files, key=lambda item: natural_key(item[0]))
        for file_index, (name, changesets) in enumerate(ordered, start=1):
            shown = d.show(name)
            out += [liquibase.changeset_found(d, shown, name, file_index, index, changeset, None)
                    for index, changeset in self._applying(shown, changesets)]
        return out

    def _applying(self, shown: str, changesets: list[liquibase.Changeset]
                  ) -> Iterator[tuple[int, liquibase.Changeset]]:
        """The changesets Liquibase runs on the dialect linted, with their place in their
        file; the others left out with a notice."""
        from schemagate.parse.layouts import liquibase
        for index, changeset in enumerate(changesets, start=1):
            if liquibase.applies(changeset, self._dialect):
                yield index, changeset
            else:
                self._problems.notices.append(Notice(shown, (
                    f"changeset {changeset.key} is for {', '.join(changeset.dbms)}, not "
                    f"{self._dialect}: left out")))

    def _whole(self, d: Folder, name: str, head: dbmate.Head) -> bytes:
        """A file that is not dbmate's, for goose's and sql-migrate's markers: the bytes its
        head read whole, else (a file longer than the head whose head holds a marker) read
        whole now; empty when it has no marker or cannot be read (reported)."""
        if head.data is not None:
            return head.data
        if not head.marked:  # a long plain script: its up marker would be in its head
            return b""
        entry = d.files[name]
        try:
            if isinstance(entry, Virtual):
                return entry.text.encode("utf-8")
            with open(entry.path, "rb") as file:
                return file.read()
        except OSError as exc:
            self._problems.error(d.show(name), exc)
            return b""

    def _broken(self, d: Folder, entry: os.DirEntry[str]) -> None:
        self._read(entry.path)
        try:
            os.stat(entry.path)
        except OSError as exc:  # a dangling symlink: the OS says why
            self._problems.error(d.show(entry.name), exc)
            return
        self._problems.errors.append(InputError(d.show(entry.name), "not a regular file"))

    def _prisma_dialect(self, folder: str) -> str | None:
        """The dialect of Prisma's lock file in `folder`, or None when there is none."""
        if folder not in self._prisma_locks:
            path = os.path.join(folder, prisma.LOCK_FILE)
            self._read(path)
            self._prisma_locks[folder] = prisma.read_lock(path, self._display(path), self._problems)
        return self._prisma_locks[folder]

    # -- bookkeeping ---------------------------------------------------------------------

    def _read(self, path: str) -> None:
        """Note a path discovery depends on (see `Discovery.reads`)."""
        self._reads[path] = None

    def _add(self, found: Found) -> None:
        self._found.setdefault(found.key, found.source)

    def _display(self, path: str) -> str:
        if path == self._cwd:
            return "."
        if path.startswith(self._cwd_prefix):
            path = path[len(self._cwd_prefix) :]
        return path if os.sep == "/" else path.replace(os.sep, "/")




# -- entries ---------------------------------------------------------------------------------


def _sort_entries(
    entries: Iterable[os.DirEntry[str]], keep: frozenset[str]
) -> tuple[dict[str, Entry], list[os.DirEntry[str]], list[os.DirEntry[str]], list[str]]:
    """Files, sub-folders to walk, .sql names that are neither (dangling links, pipes), and
    the paths of the links among them (what each is depends on its target, not on the
    folder)."""
    files: dict[str, Entry] = {}
    subdirs: list[os.DirEntry[str]] = []
    broken: list[os.DirEntry[str]] = []
    links: list[str] = []
    for entry in entries:
        name = entry.name
        # Hidden entries are tool state (.git, .venv) or editor debris (.#x.sql lock links).
        if name.startswith(".") and name not in keep:
            continue
        if _is_link(entry):
            links.append(entry.path)
        if _is_dir(entry):  # a folder named weird.sql/ is still a folder
            if name not in _SKIPPED_DIRS:
                subdirs.append(entry)
        elif _is_file(entry):
            files[name] = entry
        elif name.endswith(".sql"):
            broken.append(entry)
    return files, subdirs, broken, links


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # cannot tell: kept as if it were one
        return True


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


# The layouts whose files say nothing of their database: their folder's name may.
_NAMED_BY_FOLDER = frozenset({"sql", "golang-migrate", "flyway", "dbmate", "goose",
                              "sql-migrate", "sqlx", "diesel"})


def _written_in(parts: Sequence[str]) -> str | None:
    """The database the nearest folder named for one among `parts` says (`schema/mysql/v8/
    temporal/versioned/v1.5`: mysql), if any: what is below it is written for it. A
    database schemagate does not lint is named as in `_OTHER_DATABASES`."""
    for part in reversed(parts):
        named = folder_dialect(part)
        if named is not None:
            return named
        if part.lower() in _OTHER_DATABASES:
            return part.lower()
    return None


def _written_for(dialect: str, result: _DirResult) -> None:
    """Lint a folder named after a database (`migrations/mysql`) as that database's SQL.

    Only where nothing else named one: a Prisma lock file, a popx file's suffix or an
    Alembic URL says more than a folder's name, and `--dialect` still applies to the rest.
    """
    def named(found: Found) -> Found:
        source = found.source
        if source.layout not in _NAMED_BY_FOLDER or source.dialect != "postgres":
            return found
        return found._replace(source=replace(source, dialect=dialect))

    result.ordered[:] = [named(found) for found in result.ordered]
    result.plain[:] = [(key, named(found)) for key, found in result.plain]


# -- files named explicitly ------------------------------------------------------------------


def _touches(plan: Plan, wanted: frozenset[str] | None) -> bool:
    return wanted is None or plan.up in wanted or plan.down in wanted


def _related(names: list[str], wanted: frozenset[str]) -> list[str]:
    """The wanted names and every name that could pair with one of them."""
    keys = {_pairing_key(name) for name in names if name in wanted}
    return [name for name in names if _pairing_key(name) in keys]


def _pairing_key(name: str) -> tuple[str, str]:
    """Names that may end up in one migration share this key (a superset is harmless)."""
    if (key := flyway.pairing_key(name)) is not None:
        return "flyway", key
    # popx's names are a superset of golang-migrate's, and both pair by integer version.
    if (key := popx.pairing_key(name)) is not None:
        return "up-down", key
    if (key := golang_migrate.pairing_key(name)) is not None:
        return "up-down", key
    if name.endswith(".sql"):
        return "sql", plain.pairing_key(name)
    return "other", name


# -- history order ---------------------------------------------------------------------------

# Layouts whose migrations are folders: loose .sql files beside them are not migrations.
_UNIT_LAYOUTS = frozenset({"diesel", "prisma"})


def _marked(data: bytes) -> bool:
    """Whether a file may hold goose's or sql-migrate's marker (`-- +goose`, `-- +migrate`)
    or start with Liquibase's header: byte searches, before any pattern is tried, as
    most files hold none."""
    head = data[:256]
    return b"+" in data or b"iquibase" in head or b"IQUIBASE" in head


# A dependency on sqlx in a Cargo.toml: `sqlx = "0.8"`, `sqlx = { workspace = true, … }`,
# `[dependencies.sqlx]`.
_SQLX_DEPENDENCY = re.compile(
    r"^[ \t]*(?:sqlx[ \t]*=.*|\[(?:[\w.-]+\.)?dependencies\.sqlx\](?:\n(?!\[).*)*)",
    re.MULTILINE)
_SQLX_DATABASES = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
# `sqlx::sqlite::…`, `SqlitePool`, `PgConnection`, `MySqlPoolOptions`: what a crate's code
# names of one database's driver.
_SQLX_BACKEND_USE = re.compile(
    r"\bsqlx::(postgres|mysql|sqlite)\b|\b(Pg|MySql|Sqlite)(?:Pool|Connection|ConnectOptions)")
_SQLX_TYPE_PREFIXES = {"Pg": "postgres", "MySql": "mysql", "Sqlite": "sqlite"}
_SQLX_SOURCES_READ = 200
_GO_CODE_DEPTH = 3  # folders looked in for Go code naming migrations: theirs and two above


def _sqlx_databases(dependency: str) -> set[str]:
    """The databases sqlx's `features` name in a Cargo.toml dependency entry."""
    return {db for feature, db in _SQLX_DATABASES.items()
            if re.search(rf"[\"']{feature}[\"']", dependency)}

_MANIFEST = "manifest.json"


def _manifest_files(text: str) -> list[str] | None:
    """The files a temporal-sql-tool manifest lists, in order; None for any other JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    files = data.get("SchemaUpdateCqlFiles") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return files


# Folders named for databases schemagate does not lint, and how those databases are named:
# such a folder (`db/clickhouse/migrations`, `db/migration/h2`) holds another database's
# history, neither linted as PostgreSQL's nor joined to a project's PostgreSQL one.
_OTHER_DATABASES = {
    "h2": "H2", "hsqldb": "HSQLDB", "hsql": "HSQLDB", "oracle": "Oracle",
    "sqlserver": "SQL Server", "mssql": "SQL Server", "db2": "Db2", "derby": "Derby",
    "sybase": "Sybase", "firebird": "Firebird", "informix": "Informix",
    "cockroachdb": "CockroachDB", "cockroach": "CockroachDB", "snowflake": "Snowflake",
    "redshift": "Redshift", "clickhouse": "ClickHouse", "tidb": "TiDB", "dm": "DM",
    "kingbase": "KingbaseES", "oceanbase": "OceanBase"}

# A folder named for a version (`0.21`, `v2`, `1_4_0`): plain files in folders so named
# under one parent are one history, folder by folder (memos: `sqlite/0.21/00__x.sql`).
_VERSION_FOLDER = re.compile(r"[vV]?[0-9]+(?:[._-][0-9]+)*")


def _nested_histories(sources: list[MigrationSource], dialect: str) -> list[MigrationSource]:
    """Join the histories that a tool reads from several folders under one parent.

    Flyway scans its location's sub-folders too and orders every versioned migration it
    finds there by version (`db/migration/release1/V1__a.sql`, `db/migration/release2/
    V2__b.sql`): the Flyway folders under one parent, and the parent's own Flyway files, are
    one history, unless a version repeats among them (then they are separate histories that
    Flyway would refuse to run together). Plain `.sql` files in version-named folders under
    one parent are one history, in the order of the folders' versions and then of their
    names; the parent's own files are not in it (a schema to start from, not a step of the
    history: memos's `LATEST.sql`). A folder named for a database (`postgres/`, `mysql/`)
    holds that database's own history, and is joined to none of its siblings but the other
    Flyway folders beside it, when it is the database linted (`--dialect`): Spring projects
    give Flyway `db/migration/common` and `db/migration/{vendor}` as one location list,
    which runs the two as one history on that database. The history
    joined is named for the parent (`parent/*` where the parent's own files are another),
    and is written for the database its parent is named for, as the parent's own files are.
    """
    folders: dict[str, list[MigrationSource]] = {}
    histories = {source.history for source in sources}
    for source in sources:
        if source.project is None and source.layout in ("flyway", "sql"):
            folders.setdefault(source.history, []).append(source)
    groups: dict[tuple[str, str], list[str]] = {}  # (parent, layout) -> the folders it joins
    projects: dict[int, str] = {}  # id of a source joined -> the history it joins
    dialects: dict[int, str] = {}
    for folder, members in folders.items():
        layout = members[0].layout
        if any(m.layout != layout for m in members):
            continue
        parent, name = posixpath.split(folder)
        named = folder_dialect(name)
        if (named is not None and (layout != "flyway" or named != dialect)) or \
                name.lower() in _OTHER_DATABASES:
            continue
        if layout == "sql" and not _VERSION_FOLDER.fullmatch(name):
            continue
        groups.setdefault((parent, layout), []).append(folder)
    for (parent, kind), joined in groups.items():
        own = folders.get(parent, [])
        if kind == "flyway" and own and all(m.layout == "flyway" for m in own):
            joined = [*joined, parent]
        if len(joined) < 2:
            continue
        members = [m for folder in joined for m in folders[folder]]
        if kind == "flyway":
            versions = [_history_key(m) for m in members if not m.repeatable]
            if len(set(versions)) < len(versions):
                continue
        # The parent's name, unless its own files, not joined, are a history by that name.
        name = parent or "."
        if parent in histories and parent not in joined:
            name = posixpath.join(name, "*")
        written_for = folder_dialect(posixpath.basename(parent))
        for m in members:
            projects[id(m)] = name
            if written_for is not None and m.dialect == "postgres":
                dialects[id(m)] = written_for  # `mysql/0.21/`: the parent's database
    if not projects:
        return sources
    return [replace(s, project=projects[id(s)], dialect=dialects.get(id(s), s.dialect))
            if id(s) in projects else s for s in sources]


def _in_history_order(migrations: list[MigrationSource], notices: list[Notice]
                      ) -> list[MigrationSource]:
    """Each history's migrations in the order its tool applies them.

    Folders are walked by name, which is not always the tool's order: diesel compares the
    version before the first `_` with its dashes removed (so `2017-08-31-230457_x` sorts
    among `20170820180453_y`), and a folder that mixes layouts (`12_x.up.sql` beside
    `13_y.sql`) is applied by version across them. Loose .sql files beside diesel or Prisma
    migration folders are not migrations to those tools, and are left out with a notice.
    """
    histories: dict[str, list[MigrationSource]] = {}
    for source in migrations:
        histories.setdefault(source.history, []).append(source)
    ordered: list[MigrationSource] = []
    for sources in histories.values():
        if sources[0].layout == "django":  # already in the order of the project's graph
            ordered.extend(sources)
            continue
        if any(s.layout in _UNIT_LAYOUTS for s in sources):
            for loose in [s for s in sources if s.layout not in _UNIT_LAYOUTS]:
                script = loose.up or loose.down
                notices.append(Notice(script.path if script else loose.name,
                                      "not in a migration folder of its own; ignored, as "
                                      "diesel and Prisma ignore it"))
            sources = [s for s in sources if s.layout in _UNIT_LAYOUTS]
        if sources[0].layout == "sql" and (sources[0].project is not None or any(
                s.position is not None for s in sources)):
            # Version-named folders joined (`_nested_histories`): folder by folder, each in
            # its manifest's order where it has one.
            ordered.extend(sorted(sources, key=lambda s: (
                natural_key(posixpath.basename(s.folder)),
                (0, s.position) if s.position is not None else (1, 0),
                _history_key(s))))
            continue
        ordered.extend(sorted(sources, key=_history_key))
    return ordered


def _history_key(source: MigrationSource) -> tuple[int, tuple[int, ...], NaturalKey | None]:
    """Versioned migrations by version (numerically; equal versions keep the folder's
    order), then unversioned ones by name; Flyway's repeatable migrations after all.
    Prisma applies its folders in plain string order of the whole folder name."""
    version = source.version
    if source.layout == "prisma":
        return 0, (), ((), source.name)
    if source.layout == "diesel" and version is not None:
        parts: tuple[int, ...] = diesel.version_key(version)
    elif version is not None:
        parts = tuple(int(p) for p in re.split(r"[._]", version) if p.isdigit())
        while len(parts) > 1 and parts[-1] == 0:  # Flyway: 1.0 is version 1
            parts = parts[:-1]
    else:
        leading = leading_digits(source.name)
        parts = (int(leading),) if leading else ()
    if source.repeatable:
        return 2, (), natural_key(source.name)
    if parts:
        return 0, parts, None
    return 1, (), natural_key(source.name)
