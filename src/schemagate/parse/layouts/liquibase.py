"""Liquibase formatted SQL: a `.sql` file whose first line is `--liquibase formatted sql`.

Each `--changeset author:id` of such a file is a migration of its own, named
`<file>::<author>:<id>`: its up is what follows the line, up to the next changeset; its
down is the SQL of its `--rollback …` lines (`--rollback empty` or `not required`: nothing
to undo). Changesets apply in the order of their files (by name, as an `includeAll` takes
them), then of the file. Liquibase runs each changeset in a transaction ("wrapped"), unless
it says `runInTransaction:false` ("autocommit"). A changeset for other databases only
(`dbms:h2`, `dbms:!postgresql`) is left out with a notice.

Not followed: a master changelog (XML, YAML, or `--include`) that orders the files
otherwise, `context:` and `labels:` filters, `endDelimiter`, and the `/* liquibase rollback
*/` block form.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.parse.layouts.listing import Folder, Found

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


def found(folder: Folder, name: str, file_index: int, index: int, changeset: Changeset
          ) -> tuple[tuple[int, int, str], Found]:
    """The changeset's migration, with its place: its file's, then its own in the file."""
    path = folder.show(name)
    stem = name[: -len(".sql")]
    source = MigrationSource(
        name=f"{stem}::{changeset.key}",
        layout="liquibase",
        up=Script(path, changeset.transaction, "up", changeset.key),
        down=Script(path, changeset.transaction, "down", changeset.key)
        if changeset.rollback else None,
        version=f"{file_index}.{index}",
    )
    return (0, file_index, f"{index:09d}"), Found(
        (folder.identity, f"{name}::{changeset.key}", None), source)
