"""Where a tool takes new migrations right after an existing one, without renumbering any.

A fix that must move statements out of a migration's transaction (a VALIDATE, a CREATE
INDEX CONCURRENTLY) puts them into new migrations that run right after it. Each tool
decides by name where a migration runs, so a new one is a name that is free, sorts after
the migration, and sorts before the one that follows it; when no such name exists (a
sequence `1, 2, 3` with the migration in the middle) there is no place, and no fix.

- golang-migrate, dbmate and goose: the next version, as an integer (`000004` after
  `000003`, the width kept), or one second later for a `YYYYMMDDHHMMSS` timestamp;
  golang-migrate compares versions as integers, dbmate and goose apply by version.
- popx: the version's leading timestamp one second later, the rest (Ory's sequence digits)
  kept, so that the string, which popx compares as a string, keeps its length. Only for a
  migration written for PostgreSQL alone (`.postgres.`): a generic file runs on every
  dialect, and its new statements are PostgreSQL's.
- Flyway: `V<version>.1` (or `_1`, as the file separates its version's parts), compared
  part by part.
- Prisma and diesel keep a folder per migration: not offered here.

Which names are taken comes from the migration's folder on disk and from `known` (the
versions of the history as linted, which holds files a fix made and has not yet written).
Stdlib only, like the rest of discovery.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemagate.model.migration import MigrationSource
from schemagate.parse.layouts.flyway import version_key

_STAMP = "%Y%m%d%H%M%S"
_GOLANG = re.compile(r"(?P<version>[0-9]+)_(?P<desc>.*)\.up\.sql")
_POPX = re.compile(r"(?P<version>[0-9]+)_(?P<desc>[^.]+)\.(?P<dialect>postgres|postgresql|pg)"
                   r"\.up\.sql")
_FLYWAY = re.compile(r"V(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.*)\.sql")
_DBMATE = re.compile(r"(?P<version>[0-9]+)_(?P<desc>.*)\.sql")
_ANY_VERSION = re.compile(r"[VU]?(?P<version>[0-9]+(?:[._][0-9]+)*)_")


@dataclass(frozen=True, slots=True)
class NewMigration:
    """A migration a fix creates: its files as paths like the source's (`down` is None
    where the tool keeps both directions in one file, or the migration has no down)."""

    layout: str
    up: str
    down: str | None
    version: str


class Taken:
    """The versions a new migration may not have: the history's, and its folder's on disk."""

    __slots__ = ("_numbers", "versions")

    def __init__(self, versions: frozenset[str]) -> None:
        self.versions = versions
        self._numbers: set[int] | None = None

    def has_number(self, number: int) -> bool:
        """Whether a version taken is that integer (`000004` is 4)."""
        if self._numbers is None:
            self._numbers = {int(v) for v in self.versions if v.isdigit()}
        return number in self._numbers


def place(source: MigrationSource, following: MigrationSource | None, known: Iterable[str],
          suffixes: list[tuple[str, bool]], listed: dict[str, Taken] | None = None
          ) -> list[NewMigration] | None:
    """New migrations right after `source`, one for each (name suffix, runs outside a
    transaction) in `suffixes`, in that order; None when the layout has no room for them
    there, or cannot run one outside a transaction.

    `following` is the migration after `source` in its history, and `known` the versions
    of the history's migrations, as the lint saw them. `listed`, when given, keeps what is
    taken in each folder once read, for the next call with the same `known`: a lint run
    places new migrations in one folder of hundreds of files again and again, and reading
    the folder (and gathering its versions) each time was most of what a fix cost.
    """
    script = source.up
    if script is None or source.version is None or not suffixes:
        return None
    folder, name = posixpath.split(script.path)
    taken = listed.get(folder) if listed is not None else None
    if taken is None:
        taken = Taken(frozenset(known) | _versions_on_disk(folder))
        if listed is not None:
            listed[folder] = taken
    after = following.version if following is not None and (
        following.layout == source.layout) else None
    out: list[NewMigration] = []
    for step, (suffix, outside) in enumerate(suffixes, start=1):
        made = _one(source, folder, name, step, suffix, outside, taken, after)
        if made is None:
            return None
        out.append(made)
    return out


def _one(source: MigrationSource, folder: str, name: str, step: int, suffix: str,
         outside: bool, taken: Taken, after: str | None) -> NewMigration | None:
    join = (lambda n: n) if folder == "" else (lambda n: f"{folder}/{n}")
    has_down = source.down is not None
    if source.layout == "golang-migrate" and (m := _GOLANG.fullmatch(name)):
        version = _later(m["version"], step)
        if not _fits_integer(version, taken, after):
            return None
        stem = f"{version}_{m['desc']}_{suffix}"
        return NewMigration("golang-migrate", join(f"{stem}.up.sql"),
                            join(f"{stem}.down.sql") if has_down else None, version)
    if source.layout in ("dbmate", "goose") and (m := _DBMATE.fullmatch(name)):
        version = _later(m["version"], step)
        if not _fits_integer(version, taken, after):
            return None
        # One file holds both directions, in sections.
        return NewMigration(source.layout, join(f"{version}_{m['desc']}_{suffix}.sql"), None,
                            version)
    if source.layout == "popx" and (m := _POPX.fullmatch(name)):
        version = _later(m["version"], step)
        if len(version) != len(m["version"]) or version in taken.versions or (
                after is not None and not version < after):
            return None
        mode = ".autocommit" if outside else ""
        stem = f"{version}_{m['desc']}_{suffix}.{m['dialect']}{mode}"
        # popx wants a down file for every up; an empty one says there is nothing to undo.
        return NewMigration("popx", join(f"{stem}.up.sql"), join(f"{stem}.down.sql"), version)
    if source.layout == "flyway" and (m := _FLYWAY.fullmatch(name)):
        sep = "_" if "_" in m["version"] and "." not in m["version"] else "."
        version = f"{m['version']}{sep}{step}"
        key = version_key(version)
        if any(version_key(v) == key for v in taken.versions if _is_flyway(v)) or (
                after is not None and _is_flyway(after) and not key < version_key(after)):
            return None
        stem = f"{version}__{m['desc']}_{suffix}.sql"
        return NewMigration("flyway", join(f"V{stem}"), join(f"U{stem}") if has_down else None,
                            version.replace("_", "."))
    return None


def _later(version: str, step: int) -> str:
    """`step` versions after `version`: seconds for a timestamp, else integers, the width
    kept (a 20-digit popx version is a timestamp and 6 sequence digits)."""
    if len(version) >= 14:
        try:
            stamp = datetime.strptime(version[:14], _STAMP)
        except ValueError:
            pass
        else:
            return (stamp + timedelta(seconds=step)).strftime(_STAMP) + version[14:]
    return str(int(version) + step).zfill(len(version))


def _fits_integer(version: str, taken: Taken, after: str | None) -> bool:
    number = int(version)
    if taken.has_number(number):
        return False
    return after is None or not after.isdigit() or number < int(after)


def _is_flyway(version: str) -> bool:
    return bool(re.fullmatch(r"[0-9]+(?:[._][0-9]+)*", version))


def _versions_on_disk(folder: str) -> set[str]:
    """The versions the folder's file names carry (a folder that cannot be listed has
    none: the history's own versions still count)."""
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return set()
    found = set()
    for name in names:
        if (m := _ANY_VERSION.match(name)) is not None:
            found.add(m["version"].replace("_", "."))
    return found
