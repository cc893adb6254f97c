"""Liquibase formatted SQL: a `.sql` file whose first line is `--liquibase formatted sql`.

Each `--changeset author:id` of such a file is a migration of its own, named
`<file>::<author>:<id>`: its up is what follows the line, up to the next changeset; its
down is the SQL of its `--rollback …` lines (`--rollback empty` or `not required`: nothing
to undo). Changesets apply in the order of their files (by name, as an `includeAll` takes
them), then of the file. Liquibase runs each changeset in a transaction ("wrapped"), unless
it says `runInTransaction:false` ("autocommit"). A changeset for other databases only
(`dbms:h2`, `dbms:!postgresql`) is left out with a notice.

A folder holding a master changelog (`*changelog*.yaml`, `.yml`, `.xml` or `.json`) is one
history in the changelog's order: its `include` and `includeAll` entries, nested changelogs
followed, each path taken relative to the changelog's folder or, failing that, to a folder
above it (the resources root Spring Boot resolves `classpath:` paths against). A plain
`.sql` file it includes is one changeset, run in a transaction.

Not followed: `context:` and `labels:` filters, `endDelimiter`, and the `/* liquibase
rollback */` block form.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import NamedTuple

from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.parse.layouts.listing import Folder, Found
from schemagate.parse.layouts.signs import CHANGELOG_SUFFIXES, may_be_changelog

_HEADER = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*--[ \t]*liquibase[ \t]+formatted[ \t]+sql",
                     re.IGNORECASE)
_CHANGESET = re.compile(rb"(?im)^--[ \t]*changeset[ \t]+(\S+)(.*)$")
_ROLLBACK = re.compile(rb"(?im)^--[ \t]*rollback(?:[ \t]+(.*))?$")
_NOTHING = frozenset({"", "empty", "not required"})
# The dbms names of the dialects schemagate reads.
DBMS = {"postgres": ("postgresql",), "mysql": ("mysql", "mariadb"), "sqlite": ("sqlite",)}


class Changeset(NamedTuple):
    key: str  # author:id
    transaction: TransactionMode
    rollback: bool  # its rollback lines hold SQL
    dbms: tuple[str, ...]  # as written: `postgresql`, `!h2`; () for every database


def is_formatted(data: bytes) -> bool:
    """Whether the file starts with Liquibase's formatted-SQL header."""
    return bool(_HEADER.match(data))


def changesets(data: bytes) -> list[Changeset]:
    """The changesets of a formatted-SQL file, in order."""
    lines = list(_CHANGESET.finditer(data))
    out = []
    for i, line in enumerate(lines):
        stop = lines[i + 1].start() if i + 1 < len(lines) else len(data)
        attrs = dict(_attribute(word) for word in line.group(2).split() if b":" in word)
        rollbacks = [(m.group(1) or b"").strip().decode("utf-8", "replace").lower()
                     for m in _ROLLBACK.finditer(data, line.end(), stop)]
        mode: TransactionMode = (
            "autocommit" if attrs.get("runintransaction", "").lower() == "false" else "wrapped")
        dbms = tuple(d.strip().lower() for d in attrs.get("dbms", "").split(",") if d.strip())
        out.append(Changeset(line.group(1).decode("utf-8", "replace"), mode,
                             any(r not in _NOTHING for r in rollbacks), dbms))
    return out


def _attribute(word: bytes) -> tuple[str, str]:
    key, _, value = word.decode("utf-8", "replace").partition(":")
    return key.lower(), value


def applies(changeset: Changeset, dialect: str) -> bool:
    """Whether Liquibase runs the changeset on a database of ``dialect``."""
    if not changeset.dbms or "all" in changeset.dbms:
        return True
    names = DBMS.get(dialect, (dialect,))
    wanted = [d for d in changeset.dbms if not d.startswith("!")]
    if any(d[1:] in names for d in changeset.dbms if d.startswith("!")):
        return False
    return not wanted or any(d in names for d in wanted)


def raw_found(folder: Folder, path: str, name: str, file_index: int) -> Found:
    """A plain `.sql` file a changelog includes (``name``: its path from the changelog's
    folder): one changeset, run in a transaction."""
    stem = name[: -len(".sql")]
    source = MigrationSource(name=stem, layout="liquibase", up=Script(path, "wrapped"),
                             version=f"{file_index}.1", project=folder.display)
    return Found((folder.identity, path, None), source)


def changeset_found(folder: Folder, path: str, name: str, file_index: int, index: int,
                    changeset: Changeset, project: str | None) -> Found:
    """The changeset's migration (``path`` as shown, ``name`` its file's name from the
    folder, for the migration's `<file>::<author>:<id>`), placed by its file and then by its
    place in the file; ``project``: the history of a master changelog's folder, else None
    (the file's folder's)."""
    source = MigrationSource(
        name=f"{name[: -len('.sql')]}::{changeset.key}",
        layout="liquibase",
        up=Script(path, changeset.transaction, "up", changeset.key),
        down=Script(path, changeset.transaction, "down", changeset.key)
        if changeset.rollback else None,
        version=f"{file_index}.{index}",
        project=project,
    )
    return Found((folder.identity, f"{path}::{changeset.key}", None), source)


# An include of a changelog, and the path it names (YAML `file: x`, XML `file="x"`, JSON
# `"file": "x"`): found in the text's order, whatever its format.
_INCLUDE = re.compile(r"\b(includeAll|include)\b")
_PATH = re.compile(r"""\b(?:file|path)["']?\s*[:=]\s*["']?([^"'\s<>,}]+)""")
_CLASSPATH = re.compile(r"^classpath\*?:/?")


def is_changelog(name: str, text: str) -> bool:
    """Whether a file is a master changelog that includes others."""
    return (may_be_changelog(name) and "databaseChangeLog" in text
            and bool(_INCLUDE.search(text)))


def included(changelog: str, read: Callable[[str], str | None],
             exists: Callable[[str], bool] = os.path.exists, depth: int = 0,
             changelogs: set[str] | None = None) -> list[str]:
    """The SQL files a changelog includes, in order, as absolute paths: nested changelogs
    followed (each added to ``changelogs``), `includeAll` folders listed by name; paths that
    do not resolve are left out. ``read`` and ``exists`` are how the caller looks at a path
    (discovery notes every one)."""
    text = read(changelog)
    if text is None or depth > 20:
        return []
    if changelogs is not None:
        changelogs.add(changelog)
    out: list[str] = []
    matches = list(_INCLUDE.finditer(text))
    for i, match in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        path = _PATH.search(text, match.end(), stop)
        if path is None:
            continue
        target = _resolve(os.path.dirname(changelog), _CLASSPATH.sub("", path.group(1)),
                          exists)
        if target is None:
            continue
        if match.group(1) == "includeAll":
            if os.path.isdir(target):
                for name in sorted(os.listdir(target)):
                    full = os.path.join(target, name)
                    out += (_one(full, read, exists, depth, changelogs)
                            if os.path.isfile(full) else [])
        else:
            out += _one(target, read, exists, depth, changelogs)
    return out


def _one(path: str, read: Callable[[str], str | None], exists: Callable[[str], bool],
         depth: int, changelogs: set[str] | None) -> list[str]:
    if path.lower().endswith(".sql"):
        return [path]
    if path.lower().endswith(CHANGELOG_SUFFIXES):
        return included(path, read, exists, depth + 1, changelogs)
    return []


def _resolve(folder: str, relative: str, exists: Callable[[str], bool]) -> str | None:
    """``relative`` against the changelog's folder, else against a folder above it."""
    here = folder
    for _ in range(8):
        candidate = os.path.normpath(os.path.join(here, relative))
        if exists(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return None
