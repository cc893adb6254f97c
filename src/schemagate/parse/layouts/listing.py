"""What the walker hands a layout module and what it gets back: a folder, plans, finds.

A layout module sees one folder at a time (`Folder`: its entries, already sorted into
files, sub-folders and broken links) and answers with `Plan`s, migrations known from file
names alone, or with `Found` migrations when it had to read a file to know them (dbmate,
Alembic). Problems go to `Problems` as data; nothing here raises for a bad file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import Layout, MigrationSource, Script, TransactionMode

# How much of a file discovery reads when it must read one: markers and lock files sit early.
HEAD_BYTES = 64 * 1024

# What makes two finds one migration: its folder's (st_dev, st_ino) and its up and down files.
Key = tuple[tuple[int, int], str | None, str | None]

# A natural sort key: digit runs compare as numbers (2_x < 10_x); the raw name breaks ties.
NaturalKey = tuple[tuple[int | str, ...], str]

# Folder names that say which database a history's SQL is written for: projects that keep
# one history per database side by side (`migrations/postgres`, `migrations/mysql`,
# `migrations/sqlite`, as Authelia and Mattermost do).
_DIALECT_FOLDERS = {"postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
                    "pgsql": "postgres", "mysql": "mysql", "mariadb": "mysql",
                    "sqlite": "sqlite", "sqlite3": "sqlite"}

_LEADING_DIGITS = re.compile(r"[0-9]+")
_DIGIT_RUNS = re.compile(r"([0-9]+)")
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def folder_dialect(name: str) -> str | None:
    """The dialect a folder's name says its SQL is written for (`mysql`, `sqlite3`), if any."""
    return _DIALECT_FOLDERS.get(name.lower())


def read_start(path: str, size: int = -1) -> bytes:
    """The first ``size`` bytes of a file (with -1, all of it), by plain system calls.

    A history's files are read one after another, thousands of them on every run (the
    heads of plain files, the bytes that key the result cache): `open()` makes a buffered
    file object and asks `fstat` and `isatty` of each, which took twice as long (17.5 ms
    against 9.5 ms for 2,000 files). Raises OSError as `open()` does.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        chunks = []
        left = size
        while left:
            chunk = os.read(fd, left if left > 0 else 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            if left > 0:
                left -= len(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Entry(Protocol):
    """A file of a folder: an `os.DirEntry`, or a `Virtual` file."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    def stat(self) -> os.stat_result: ...


@dataclass(frozen=True, slots=True)
class Virtual:
    """A file that exists only in memory (one a fix made and has not written yet), found
    as if it were on disk."""

    name: str
    path: str
    text: str

    def stat(self) -> os.stat_result:
        size = len(self.text.encode("utf-8"))
        return os.stat_result((0o100644, 0, 0, 1, 0, 0, size, 0, 0, 0))


@dataclass(frozen=True, slots=True)
class Folder:
    """A listed directory: its entries by kind, and how to show their paths."""

    path: str  # absolute, for I/O
    display: str
    identity: tuple[int, int]  # (st_dev, st_ino): one folder reached by two paths is one folder
    files: dict[str, Entry]
    subdirs: list[os.DirEntry[str]]
    broken: list[os.DirEntry[str]]  # .sql entries that are neither file nor folder

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def show(self, name: str) -> str:
        return name if self.display == "." else f"{self.display}/{name}"


class Plan(NamedTuple):
    """A migration known from file names alone, before its files are checked."""

    name: str
    layout: Layout
    up: str | None  # file names within the directory
    down: str | None
    transaction: TransactionMode
    version: str | None = None
    repeatable: bool = False
    dialect: str = "postgres"
    # When the down is sent otherwise than the up (popx names `.autocommit` per file).
    down_transaction: TransactionMode | None = None
    # The migrations one rollback undoes together (see MigrationSource.rollback_unit).
    rollback_unit: str | None = None


class Found(NamedTuple):
    """A migration and what makes two finds of it the same (its folder and file names)."""

    key: Key
    source: MigrationSource


@dataclass
class Problems:
    """What went wrong or is worth saying during one discovery run, in the order met."""

    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def error(self, display: str, exc: OSError) -> None:
        self.errors.append(InputError(display, exc.strerror or str(exc)))


def read_toml(path: str, display: str, problems: Problems) -> dict[str, object] | None:
    """A small TOML file; None when absent, {} when unreadable or invalid (and reported)."""
    import tomllib  # here, not at the top: only Prisma and diesel trees need it

    try:
        with open(path, "rb") as file:
            return tomllib.loads(file.read(HEAD_BYTES).decode("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        problems.error(display, exc)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.errors.append(InputError(display, f"invalid TOML: {exc}"))
    return {}


def leading_digits(text: str) -> str | None:
    match = _LEADING_DIGITS.match(text)
    return match[0] if match else None


def natural_key(name: str) -> NaturalKey:
    parts = _DIGIT_RUNS.split(name.casefold())
    # split() alternates text and digit runs, so position i always holds the same kind.
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), name


def sectioned(folder: Folder, name: str, layout: Layout, up: TransactionMode,
              down: TransactionMode | None) -> tuple[tuple[int, int, str], Found]:
    """The migration in file `name` whose up and down are sections of it (dbmate, goose,
    sql-migrate), with its place in the tool's order: by the number the name starts with;
    a file without one comes last, by name, rather than vanishing."""
    stem = name[: -len(".sql")]
    version = leading_digits(stem)
    path = folder.show(name)
    source = MigrationSource(
        name=stem,
        layout=layout,
        up=Script(path, up, "up"),
        down=None if down is None else Script(path, down, "down"),
        version=version,
    )
    order = (0, int(version), stem) if version else (1, 0, stem)
    return order, Found((folder.identity, name, name), source)
