"""Find migrations on disk: their layout, their order and their up/down pairing.

Discovery reads directory listings and, only where a layout cannot be told from names, the
head of a file (dbmate's ``-- migrate:up`` marker, Prisma's ``migration_lock.toml``). It never
parses SQL. A pre-commit hook runs it on every commit, so it is stdlib-only and opens a file
only when the file's name leaves its layout open.

Layouts are decided per directory from that directory's own entries (and, for Prisma, its
parent's lock file). So a folder gives the same migrations whether it is walked from above,
named itself, or reached through one of its files, as a pre-commit hook passes them:

- golang-migrate: ``<digits>_<name>.up.sql`` / ``<digits>_<name>.down.sql``;
- Flyway: ``V<ver>__<desc>.sql``, its undo ``U<ver>__<desc>.sql``, repeatable ``R__<desc>.sql``;
- Prisma: ``<digits>_<name>/migration.sql``, or any ``*/migration.sql`` below a folder that
  holds ``migration_lock.toml``;
- diesel: ``<version>_<name>/up.sql`` (+ ``down.sql``), version being digits and dashes;
- dbmate: any other ``.sql`` file with a ``-- migrate:up`` line in its first 64 KiB;
- plain ``.sql`` (layout "sql"): everything else, ``x.down.sql`` pairing with ``x.up.sql``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import Layout, MigrationSource, Script, TransactionMode
from schemagate.parse.layouts.alembic import (
    alembic_dialect,
    in_versions_folder,
    read_revision_head,
    versions_root,
)

__all__ = ["Discovery", "discover"]

_HEAD_BYTES = 64 * 1024

# Walking into these finds tools, caches and vendored copies, never the project's migrations.
# Hidden directories (.git, .venv, .tox, ...) are skipped by their leading dot.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv"})

_FLYWAY = re.compile(r"(?P<kind>[VU])(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.*)\.sql")
_FLYWAY_REPEATABLE = re.compile(r"R__(?P<desc>.+)\.sql")
_GOLANG = re.compile(r"(?P<version>[0-9]+)_(?P<desc>.*)\.(?P<direction>up|down)\.sql")
_PRISMA_DIR = re.compile(r"[0-9]+_.+")
_DIESEL_DIR = re.compile(r"[0-9][0-9-]*_.+")
_LEADING_DIGITS = re.compile(r"[0-9]+")
_DIGIT_RUNS = re.compile(r"([0-9]+)")
# dbmate accepts a byte-order mark and any blanks between `--` and `migrate:`.
_DBMATE_MARKER = re.compile(rb"^(?:\xef\xbb\xbf)?--[ \t]*migrate:(up|down)\b(.*)$", re.MULTILINE)

# Prisma's provider names to schemagate dialects; any other provider is read as PostgreSQL.
_PRISMA_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

# What makes two finds one migration: its folder's (st_dev, st_ino) and its up and down files.
_Key = tuple[tuple[int, int], str | None, str | None]

# A natural sort key: digit runs compare as numbers (2_x < 10_x); the raw name breaks ties.
_NaturalKey = tuple[tuple[int | str, ...], str]


@dataclass
class Discovery:
    """What `discover` found: migrations in order, and what went wrong or is worth saying."""

    migrations: list[MigrationSource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def discover(paths: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None) -> Discovery:
    """Find the migrations in `paths` (files and/or folders), in order, with their down scripts.

    Folders are walked recursively. Files are classified exactly as a walk of their folder
    would classify them, and brought together with their partner script (the down of a
    given up, the up of a given down), so a pre-commit hook passing one file sees the whole
    migration. Relative paths are taken from `cwd` (default: the current directory), and
    every path reported is relative to it when under it, else absolute, with `/` separators.
    """
    if isinstance(paths, str | os.PathLike):  # a lone path is a sequence of characters
        paths = [paths]
    base = os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd())
    finder = _Finder(base)
    for root in finder.plan(paths):
        if isinstance(root, _FileGroup):
            finder.files(root)
        else:
            finder.walk(root)
    finder.alembic_context()
    return finder.result()


@dataclass(frozen=True, slots=True)
class _FileGroup:
    """Files named explicitly, grouped by folder: the folder is listed once for all of them."""

    folder: str
    names: list[str]


@dataclass(frozen=True, slots=True)
class _Dir:
    """A listed directory: its entries by kind, and how to show their paths."""

    path: str  # absolute, for I/O
    display: str
    identity: tuple[int, int]  # (st_dev, st_ino): one folder reached by two paths is one folder
    files: dict[str, os.DirEntry[str]]
    subdirs: list[os.DirEntry[str]]
    broken: list[os.DirEntry[str]]  # .sql entries that are neither file nor folder

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def show(self, name: str) -> str:
        return name if self.display == "." else f"{self.display}/{name}"


class _Found(NamedTuple):
    """A migration and what makes two finds of it the same (its folder and file names)."""

    key: _Key
    source: MigrationSource


class _Plan(NamedTuple):
    """A migration known from file names alone, before its files are checked."""

    name: str
    layout: Layout
    up: str | None  # file names within the directory
    down: str | None
    transaction: TransactionMode
    version: str | None = None
    repeatable: bool = False
    dialect: str = "postgres"


class _Half(NamedTuple):
    """One direction of a versioned migration (golang-migrate, Flyway), waiting for its pair."""

    file: str
    stem: str
    group: tuple[int, ...]  # the version as compared: files of one version pair up
    label: str  # the description: when a version repeats, up and down pair by it
    version: str


class _Head(NamedTuple):
    """What the first bytes of a .sql file say about it."""

    empty: bool
    dbmate_up: TransactionMode | None = None  # None: not a dbmate file
    dbmate_down: TransactionMode | None = None  # None: no down section


@dataclass
class _DirResult:
    ordered: list[_Found] = field(default_factory=list)  # layouts with their own order
    plain: list[tuple[_NaturalKey, _Found]] = field(default_factory=list)  # interleave by name
    claimed: set[str | None] = field(default_factory=set)  # file names used or reported


class _Finder:
    """One discovery run; holds what the run has seen so far, nothing beyond it."""

    def __init__(self, cwd: str) -> None:
        self._cwd = cwd
        self._cwd_prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
        self._walked: set[tuple[int, int]] = set()
        self._found: dict[_Key, MigrationSource] = {}
        self._prisma_locks: dict[str, str | None] = {}
        self._errors: list[InputError] = []
        self._notices: list[Notice] = []
        # Alembic revisions named explicitly, and the versions/ trees they need as context.
        self._named_revisions: set[str] = set()
        self._alembic_roots: dict[str, None] = {}
        self._context_walk = False
        self._dialects: dict[str, str] = {}

    def result(self) -> Discovery:
        # One file reached twice (by name and through its folder) is reported once.
        migrations = _in_history_order(list(self._found.values()), self._notices)
        return Discovery(
            migrations=migrations,
            errors=list(dict.fromkeys(self._errors)),
            notices=list(dict.fromkeys(self._notices)),
        )

    # -- roots ---------------------------------------------------------------------------

    def plan(self, paths: Iterable[str | os.PathLike[str]]) -> list[str | _FileGroup]:
        """Folders to walk and files grouped by folder, in the order first named."""
        roots: list[str | _FileGroup] = []
        groups: dict[str, _FileGroup] = {}
        for given in paths:
            path = os.path.abspath(os.path.join(self._cwd, os.fspath(given)))
            try:
                is_dir = stat.S_ISDIR(os.stat(path).st_mode)
            except FileNotFoundError:
                self._errors.append(InputError(self._display(path), "no such file or directory"))
                continue
            except OSError as exc:
                self._error(self._display(path), exc)
                continue
            if is_dir:
                roots.append(path)
                continue
            folder, name = os.path.split(path)
            if folder not in groups:
                groups[folder] = _FileGroup(folder, [])
                roots.append(groups[folder])
            groups[folder].names.append(name)
        return roots

    def walk(self, root: str) -> None:
        """Every migration under `root`, depth first, each folder's entries in order."""
        stack: list[_Found | str] = list(reversed(self._expand(root, top=True)))
        while stack:
            item = stack.pop()
            if isinstance(item, _Found):
                self._add(item)
            else:
                stack.extend(reversed(self._expand(item, top=False)))

    def files(self, group: _FileGroup) -> None:
        """The migrations that the named files belong to, ordered as in their folder."""
        wanted = frozenset(group.names)
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
                self._notices.append(Notice(d.show(name), "not a migration file; ignored"))

    # -- directories ---------------------------------------------------------------------

    def _expand(self, path: str, *, top: bool) -> list[_Found | str]:
        """A folder's migrations and sub-folders, in the order they are to be visited."""
        d = self._list(path)
        # The identity check stops symlink loops and folders named twice.
        if d is None or d.identity in self._walked:
            return []
        if not top and "pyvenv.cfg" in d.files:  # a virtualenv under any name
            return []
        self._walked.add(d.identity)
        result = self._in_dir(d, None)
        # Plain files and sub-folders interleave by natural name, so that plain migrations
        # follow the natural order of their path relative to the folder walked.
        nested: list[tuple[_NaturalKey, _Found | str]] = [
            (_natural_key(entry.name), entry.path) for entry in d.subdirs
        ]
        nested.extend(result.plain)
        nested.sort(key=lambda item: item[0])
        return [*result.ordered, *(item for _, item in nested)]

    def _list(self, path: str, keep: frozenset[str] = frozenset()) -> _Dir | None:
        display = self._display(path)
        try:
            info = os.stat(path)
            with os.scandir(path) as entries:
                files, subdirs, broken = _sort_entries(entries, keep)
        except OSError as exc:
            self._error(display, exc)
            return None
        return _Dir(path, display, (info.st_dev, info.st_ino), files, subdirs, broken)

    def _in_dir(self, d: _Dir, wanted: frozenset[str] | None) -> _DirResult:
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
        names = sorted(d.files)
        if wanted is not None:  # a pre-commit hook's few files in a big folder: look no further
            names = _related(names, wanted)
        plans, rest = _plans_by_name(names)
        unit = self._unit_plan(d, rest)
        if unit is not None:
            plans.append(unit)
            rest = [name for name in rest if name not in (unit.up, unit.down)]
        for plan in plans:
            if _touches(plan, wanted):
                result.claimed.update((plan.up, plan.down))
                found = self._source(d, plan)
                if found is not None:
                    result.ordered.append(found)
        self._by_content(d, rest, wanted, result)
        if in_versions_folder(d.path):
            self._alembic(d, names, wanted, result)
        return result

    # -- Alembic -------------------------------------------------------------------------

    def _alembic(self, d: _Dir, names: list[str], wanted: frozenset[str] | None,
                 result: _DirResult) -> None:
        """The revisions of an Alembic versions folder; Alembic orders them by their graph."""
        found: list[_Found] = []
        for name in names:
            if not name.endswith(".py") or name in result.claimed:
                continue
            try:
                head = read_revision_head(d.files[name].path)
            except OSError as exc:
                self._error(d.show(name), exc)
                continue
            if head is None:
                continue
            result.claimed.add(name)
            path = d.show(name)
            if wanted is not None:
                self._named_revisions.add(path)
                self._alembic_roots.setdefault(versions_root(d.path))
            context = self._context_walk and path not in self._named_revisions
            script = Script(path, "wrapped", "up")
            down = Script(path, "wrapped", "down") if head.has_downgrade else None
            source = MigrationSource(name[: -len(".py")], "alembic", script, down,
                                     version=head.revision, context_only=context,
                                     dialect=self._alembic_dialect(d.path))
            found.append(_Found((d.identity, name, None), source))
        result.ordered.extend(found)

    def _alembic_dialect(self, folder: str) -> str:
        if folder not in self._dialects:
            self._dialects[folder] = alembic_dialect(folder)
        return self._dialects[folder]

    def alembic_context(self) -> None:
        """A named revision means little without its ancestors: walk its versions/ tree and
        keep the other revisions there as context (folded, not reported)."""
        self._context_walk = True
        for root in self._alembic_roots:
            self.walk(root)
        self._context_walk = False

    def _unit_plan(self, d: _Dir, names: list[str]) -> _Plan | None:
        """A Prisma or diesel migration: one folder holding its scripts, named by the folder."""
        if "migration.sql" in names:
            dialect = self._prisma_dialect(os.path.dirname(d.path))
            if dialect is not None or _PRISMA_DIR.fullmatch(d.name):
                # Prisma sends migration.sql as one multi-statement query, which PostgreSQL
                # runs as a single implicit transaction.
                return _Plan(
                    d.name,
                    "prisma",
                    "migration.sql",
                    None,
                    "implicit",
                    version=_leading_digits(d.name),
                    dialect=dialect or "postgres",
                )
        if "up.sql" in names and _DIESEL_DIR.fullmatch(d.name):
            down = "down.sql" if "down.sql" in names else None
            version = d.name.split("_", 1)[0]
            return _Plan(d.name, "diesel", "up.sql", down, self._diesel_mode(d), version=version)
        return None

    def _by_content(
        self, d: _Dir, names: list[str], wanted: frozenset[str] | None, result: _DirResult
    ) -> None:
        """dbmate or plain: only the file's head can tell."""
        heads: dict[str, _Head] = {}
        dbmate: list[tuple[tuple[int, int, str], _Found]] = []
        for name in names:
            head = self._head(d, name)
            if head is None:  # unreadable, and reported
                result.claimed.add(name)
            elif head.dbmate_up is None:
                heads[name] = head
            elif wanted is None or name in wanted:
                result.claimed.add(name)
                dbmate.append(_dbmate_found(d, name, head.dbmate_up, head.dbmate_down))
        dbmate.sort(key=lambda item: item[0])
        result.ordered.extend(found for _, found in dbmate)
        for plan in _plain_plans(list(heads), d.name):
            if not _touches(plan, wanted):
                continue
            result.claimed.update((plan.up, plan.down))
            first = plan.up or plan.down
            assert first is not None
            source = self._source(d, plan, heads)
            if source is not None:
                result.plain.append((_natural_key(first), source))

    # -- files ---------------------------------------------------------------------------

    def _source(
        self, d: _Dir, plan: _Plan, heads: Mapping[str, _Head] | None = None
    ) -> _Found | None:
        """A migration from its plan, leaving out scripts that cannot be read."""
        up = self._script(d, plan.up, plan.transaction, heads) if plan.up else None
        down = self._script(d, plan.down, plan.transaction, heads) if plan.down else None
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
        )
        return _Found((d.identity, plan.up, plan.down), source)

    def _script(
        self,
        d: _Dir,
        name: str,
        transaction: TransactionMode,
        heads: Mapping[str, _Head] | None,
    ) -> Script | None:
        """A script and, once, whether it is empty; None if it cannot be read (reported).

        A file whose head was read is known; others are checked with stat and access,
        which is much cheaper than opening thousands of files.
        """
        entry = d.files[name]
        display = d.show(name)
        if heads is not None:
            empty = heads[name].empty
        else:
            try:
                empty = entry.stat().st_size == 0
            except OSError as exc:
                self._error(display, exc)
                return None
            if not os.access(entry.path, os.R_OK):
                self._errors.append(InputError(display, os.strerror(errno.EACCES)))
                return None
        if empty:
            self._notices.append(Notice(display, "empty migration file"))
        return Script(display, transaction)

    def _head(self, d: _Dir, name: str) -> _Head | None:
        try:
            return _read_head(d.files[name].path)
        except OSError as exc:
            self._error(d.show(name), exc)
            return None

    def _broken(self, d: _Dir, entry: os.DirEntry[str]) -> None:
        try:
            os.stat(entry.path)
        except OSError as exc:  # a dangling symlink: the OS says why
            self._error(d.show(entry.name), exc)
            return
        self._errors.append(InputError(d.show(entry.name), "not a regular file"))

    def _prisma_dialect(self, folder: str) -> str | None:
        """The dialect of Prisma's lock file in `folder`, or None when there is none."""
        if folder not in self._prisma_locks:
            self._prisma_locks[folder] = self._read_prisma_lock(folder)
        return self._prisma_locks[folder]

    def _read_prisma_lock(self, folder: str) -> str | None:
        path = os.path.join(folder, "migration_lock.toml")
        display = self._display(path)
        document = self._read_toml(path, display)
        if document is None:
            return None
        if not document:  # unreadable or invalid, and reported as such
            return "postgres"
        provider = document.get("provider")
        dialect = _PRISMA_DIALECTS.get(provider) if isinstance(provider, str) else None
        if dialect is None:
            self._notices.append(
                Notice(
                    display,
                    f"Prisma provider {provider!r} is not supported; "
                    "its migrations are read as PostgreSQL",
                )
            )
            return "postgres"
        return dialect

    def _diesel_mode(self, d: _Dir) -> TransactionMode:
        # diesel runs each migration in a transaction unless its metadata.toml opts out
        # (needed for CREATE INDEX CONCURRENTLY and friends).
        if "metadata.toml" not in d.files:
            return "wrapped"
        document = self._read_toml(d.files["metadata.toml"].path, d.show("metadata.toml"))
        if document is not None and document.get("run_in_transaction") is False:
            return "autocommit"
        return "wrapped"

    def _read_toml(self, path: str, display: str) -> dict[str, object] | None:
        """A small TOML file; None when absent, {} when unreadable or invalid (and reported)."""
        import tomllib  # here, not at the top: only Prisma and diesel trees need it

        try:
            with open(path, "rb") as file:
                return tomllib.loads(file.read(_HEAD_BYTES).decode("utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self._error(display, exc)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            self._errors.append(InputError(display, f"invalid TOML: {exc}"))
        return {}

    # -- bookkeeping ---------------------------------------------------------------------

    def _add(self, found: _Found) -> None:
        self._found.setdefault(found.key, found.source)

    def _error(self, display: str, exc: OSError) -> None:
        self._errors.append(InputError(display, exc.strerror or str(exc)))

    def _display(self, path: str) -> str:
        if path == self._cwd:
            return "."
        if path.startswith(self._cwd_prefix):
            path = path[len(self._cwd_prefix) :]
        return path if os.sep == "/" else path.replace(os.sep, "/")


# -- entries ---------------------------------------------------------------------------------


def _sort_entries(
    entries: Iterable[os.DirEntry[str]], keep: frozenset[str]
) -> tuple[dict[str, os.DirEntry[str]], list[os.DirEntry[str]], list[os.DirEntry[str]]]:
    """Files, sub-folders to walk, and .sql names that are neither (dangling links, pipes)."""
    files: dict[str, os.DirEntry[str]] = {}
    subdirs: list[os.DirEntry[str]] = []
    broken: list[os.DirEntry[str]] = []
    for entry in entries:
        name = entry.name
        # Hidden entries are tool state (.git, .venv) or editor debris (.#x.sql lock links).
        if name.startswith(".") and name not in keep:
            continue
        if _is_dir(entry):  # a folder named weird.sql/ is still a folder
            if name not in _SKIPPED_DIRS:
                subdirs.append(entry)
        elif _is_file(entry):
            files[name] = entry
        elif name.endswith(".sql"):
            broken.append(entry)
    return files, subdirs, broken


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


# -- layouts told by name --------------------------------------------------------------------


def _plans_by_name(names: list[str]) -> tuple[list[_Plan], list[str]]:
    """Flyway and golang-migrate migrations, each in its tool's order; other .sql names."""
    versioned: list[_Half] = []
    undos: list[_Half] = []
    repeatable: list[tuple[str, str]] = []
    ups: list[_Half] = []
    downs: list[_Half] = []
    rest: list[str] = []
    for name in names:
        if not name.endswith(".sql"):
            # README.md, .ts/.js/.go data migrations, atlas.sum, .gitkeep: not migrations.
            # .py files in an Alembic versions/ folder are read after (`_Finder._alembic`).
            continue
        first = name[0]  # the patterns differ from the first character: test only one
        if first in "VU" and (match := _FLYWAY.fullmatch(name)):
            (versioned if first == "V" else undos).append(_flyway_half(name, match))
        elif first == "R" and (match := _FLYWAY_REPEATABLE.fullmatch(name)):
            repeatable.append((match["desc"], name))
        elif "0" <= first <= "9" and (match := _GOLANG.fullmatch(name)):
            (ups if match["direction"] == "up" else downs).append(_golang_half(name, match))
        else:
            rest.append(name)
    plans = _versioned_plans(versioned, undos, "flyway", "wrapped")
    plans.extend(
        _Plan(name[: -len(".sql")], "flyway", name, None, "wrapped", repeatable=True)
        for _, name in sorted(repeatable)
    )
    # golang-migrate sends each file as one multi-statement query: one implicit transaction.
    plans.extend(_versioned_plans(ups, downs, "golang-migrate", "implicit"))
    return plans, rest


def _flyway_half(name: str, match: re.Match[str]) -> _Half:
    version = match["version"]
    # Flyway shows 1_1 as 1.1: `_` is only a file-name-friendly dot.
    return _Half(
        name,
        name[: -len(".sql")],
        _flyway_version_key(version),
        match["desc"],
        version.replace("_", "."),
    )


def _golang_half(name: str, match: re.Match[str]) -> _Half:
    stem = name[: -len(f".{match['direction']}.sql")]
    version = match["version"]
    # golang-migrate reads the version as an integer: 01 and 1 are one version.
    return _Half(name, stem, (int(version),), match["desc"], version)


def _versioned_plans(
    ups: list[_Half], downs: list[_Half], layout: Layout, transaction: TransactionMode
) -> list[_Plan]:
    """Pair ups with downs by version, in version order (equal versions by name)."""
    ordered: list[tuple[tuple[tuple[int, ...], str], _Plan]] = []
    for up, down in _pair(ups, downs):
        main = up or down
        assert main is not None
        plan = _Plan(
            main.stem,
            layout,
            up.file if up else None,
            down.file if down else None,
            transaction,
            version=main.version,
        )
        ordered.append(((main.group, main.stem), plan))
    ordered.sort(key=lambda item: item[0])
    return [plan for _, plan in ordered]


def _pair(ups: list[_Half], downs: list[_Half]) -> list[tuple[_Half | None, _Half | None]]:
    """Match downs to ups of the same version: same description first, else a lone pair.

    A version used twice (two `3_*.up.sql`) is kept twice for a later rule to report; its
    downs go to the ups they name, and none is guessed when that is ambiguous.
    """
    groups: dict[tuple[int, ...], tuple[list[_Half], list[_Half]]] = {}
    for up in ups:
        groups.setdefault(up.group, ([], []))[0].append(up)
    for down in downs:
        groups.setdefault(down.group, ([], []))[1].append(down)
    pairs: list[tuple[_Half | None, _Half | None]] = []
    for group_ups, group_downs in groups.values():
        unmatched: list[_Half] = []
        for up in group_ups:
            match = next((down for down in group_downs if down.label == up.label), None)
            if match is None:
                unmatched.append(up)
            else:
                group_downs.remove(match)
                pairs.append((up, match))
        if len(unmatched) == 1 and len(group_downs) == 1:
            pairs.append((unmatched[0], group_downs[0]))
            continue
        pairs.extend((up, None) for up in unmatched)
        pairs.extend((None, down) for down in group_downs)
    return pairs


def _flyway_version_key(version: str) -> tuple[int, ...]:
    """Flyway compares versions part by part, numerically; 1.0 is the same version as 1."""
    parts = [int(part) for part in re.split(r"[._]", version)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


# -- layouts told by content -----------------------------------------------------------------


def _read_head(path: str) -> _Head:
    """Whether the file is empty, and its dbmate sections if it has a `-- migrate:up` line."""
    with open(path, "rb") as file:
        raw = file.read(_HEAD_BYTES)
        more = len(raw) == _HEAD_BYTES
        # Only whole lines: a marker cut at the boundary would lose its options.
        head = raw[: raw.rfind(b"\n") + 1] if more else raw
        markers = _markers(head)
        up = markers.get(b"up")
        if up is None:
            return _Head(empty=not raw)
        down = markers.get(b"down")
        if down is None and more:
            down = _find_down_marker(file, len(head))
    return _Head(
        empty=False,
        dbmate_up=_section_mode(up),
        dbmate_down=None if down is None else _section_mode(down),
    )


def _markers(data: bytes) -> dict[bytes, bytes]:
    """The options of the first `-- migrate:up` and `-- migrate:down` lines."""
    found: dict[bytes, bytes] = {}
    for match in _DBMATE_MARKER.finditer(data):
        found.setdefault(match[1], match[2])
    return found


def _find_down_marker(file: BinaryIO, offset: int) -> bytes | None:
    """The down marker past the head (a long up section), read in bounded chunks."""
    file.seek(offset)
    carry = b""
    skipping = False  # inside a line too long to be a marker (a bulk INSERT)
    while chunk := file.read(_HEAD_BYTES):
        data = carry + chunk
        if skipping:
            newline = data.find(b"\n")
            if newline < 0:
                carry = b""
                continue
            data, skipping = data[newline + 1 :], False
        cut = data.rfind(b"\n") + 1
        data, carry = data[:cut], data[cut:]
        down = _markers(data).get(b"down")
        if down is not None:
            return down
        if len(carry) > _HEAD_BYTES and not _DBMATE_MARKER.match(carry):
            carry, skipping = b"", True
    return _markers(carry).get(b"down")


def _section_mode(options: bytes) -> TransactionMode:
    # dbmate wraps each section in a transaction unless its marker says `transaction:false`.
    return "autocommit" if b"transaction:false" in options.split() else "wrapped"


def _dbmate_found(
    d: _Dir, name: str, up: TransactionMode, down: TransactionMode | None
) -> tuple[tuple[int, int, str], _Found]:
    stem = name[: -len(".sql")]
    version = _leading_digits(stem)
    path = d.show(name)
    source = MigrationSource(
        name=stem,
        layout="dbmate",
        up=Script(path, up, "up"),
        down=None if down is None else Script(path, down, "down"),
        version=version,
    )
    # dbmate applies by version; a file without one comes last rather than vanishing.
    order = (0, int(version), stem) if version else (1, 0, stem)
    return order, _Found((d.identity, name, name), source)


# -- plain .sql ------------------------------------------------------------------------------


def _plain_role(name: str) -> tuple[str, int]:
    """(base, rank): ranks 0-2 are ups, best first; 3 a down; 4 a down only beside its up."""
    if name == "up.sql":
        return "", 0
    if name == "down.sql":
        return "", 3
    for suffix, rank in ((".up.sql", 0), ("_up.sql", 1), (".down.sql", 3), ("_down.sql", 4)):
        if name.endswith(suffix):
            return name[: -len(suffix)], rank
    return name[: -len(".sql")], 2


def _plain_plans(names: list[str], folder: str) -> list[_Plan]:
    """Plain scripts, each down joined to the up of the same base name."""
    bases: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        base, rank = _plain_role(name)
        bases.setdefault(base, []).append((rank, name))
    plans: list[_Plan] = []
    for base, files in bases.items():
        files.sort()
        ups = [name for rank, name in files if rank <= 2]
        downs = [name for rank, name in files if rank == 3]
        # `x_down.sql` is a down only next to its up; alone it is an ordinary script.
        maybe_downs = [name for rank, name in files if rank == 4]
        if ups and not downs and maybe_downs:
            downs.append(maybe_downs.pop(0))
        label = base or folder  # up.sql/down.sql take their folder's name
        for index, up in enumerate(ups):
            down = downs.pop(0) if index == 0 and downs else None
            plans.append(_Plan(label, "sql", up, down, "autocommit"))
        plans.extend(_Plan(label, "sql", None, down, "autocommit") for down in downs)
        plans.extend(
            _Plan(name[: -len(".sql")], "sql", name, None, "autocommit") for name in maybe_downs
        )
    return plans


def _touches(plan: _Plan, wanted: frozenset[str] | None) -> bool:
    return wanted is None or plan.up in wanted or plan.down in wanted


def _related(names: list[str], wanted: frozenset[str]) -> list[str]:
    """The wanted names and every name that could pair with one of them."""
    keys = {_pairing_key(name) for name in names if name in wanted}
    return [name for name in names if _pairing_key(name) in keys]


def _pairing_key(name: str) -> tuple[str, str]:
    """Names that may end up in one migration share this key (a superset is harmless)."""
    if match := _FLYWAY.fullmatch(name):
        return "flyway", repr(_flyway_version_key(match["version"]))
    if match := _GOLANG.fullmatch(name):
        return "golang-migrate", str(int(match["version"]))
    if name.endswith(".sql"):
        return "sql", _plain_role(name)[0]
    return "other", name


# -- history order ---------------------------------------------------------------------------

_UNIT_LAYOUTS = frozenset({"diesel", "prisma"})
_NOT_DIGITS = re.compile(r"[^0-9]")


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
        if any(s.layout in _UNIT_LAYOUTS for s in sources):
            for loose in [s for s in sources if s.layout not in _UNIT_LAYOUTS]:
                script = loose.up or loose.down
                notices.append(Notice(script.path if script else loose.name,
                                      "not in a migration folder of its own; ignored, as "
                                      "diesel and Prisma ignore it"))
            sources = [s for s in sources if s.layout in _UNIT_LAYOUTS]
        ordered.extend(sorted(sources, key=_history_key))
    return ordered


def _history_key(source: MigrationSource) -> tuple[int, tuple[int, ...], _NaturalKey | None]:
    """Versioned migrations by version (numerically; equal versions keep the folder's
    order), then unversioned ones by name; Flyway's repeatable migrations after all."""
    version = source.version
    if source.layout == "diesel" and version is not None:
        digits = _NOT_DIGITS.sub("", version)
        parts: tuple[int, ...] = (int(digits),) if digits else ()
    elif version is not None:
        parts = tuple(int(p) for p in re.split(r"[._]", version) if p.isdigit())
        while len(parts) > 1 and parts[-1] == 0:  # Flyway: 1.0 is version 1
            parts = parts[:-1]
    else:
        leading = _leading_digits(source.name)
        parts = (int(leading),) if leading else ()
    if source.repeatable:
        return 2, (), _natural_key(source.name)
    if parts:
        return 0, parts, None
    return 1, (), _natural_key(source.name)


# -- helpers ---------------------------------------------------------------------------------


def _leading_digits(text: str) -> str | None:
    match = _LEADING_DIGITS.match(text)
    return match[0] if match else None


def _natural_key(name: str) -> _NaturalKey:
    parts = _DIGIT_RUNS.split(name.casefold())
    # split() alternates text and digit runs, so position i always holds the same kind.
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), name
