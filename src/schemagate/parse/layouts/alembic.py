"""Alembic: the revision files of a `versions/` folder, found by their head, never imported.

Names: a `.py` file in a folder named `versions` (or a folder below one, as projects that
split their history by release do) whose head assigns module-level `revision = ...` and
`down_revision = ...`; other `.py` files there (helpers, `__init__.py`) are not revisions.
The dialect comes from a folder below `versions/` named after one, `sqlalchemy.url` in
`alembic.ini`, or a URL literal in `env.py`, when one is visible next to or above the
versions folder; PostgreSQL otherwise.
Versions: revision ids do not compare. Alembic applies revisions in the order of their
`down_revision` graph, which `graph.revisions` builds from the parsed headers, whatever
order discovery lists them in.
Up and down: `upgrade()` and `downgrade()` of one file; no `downgrade()`, no down.
Transactions: Alembic runs a migration inside one transaction ("wrapped"), except the
statements in `op.get_context().autocommit_block()`, which the frontend marks itself.
Session: `env.py` beside `versions/` runs before every migration, on the connection they
run on; a `SET name = value` it executes there (`connection.execute(text("SET
lock_timeout = 4000"))`, as the timeout rules advise) is in force for every migration.
Only literal `SET` statements are read (not `SET LOCAL`, which ends with env.py's own
transaction, nor a value built at run time).
Names: Alembic builds the tables and constraints of an `op.*` call in a `MetaData` that takes
the naming convention of env.py's `target_metadata`, so a constraint a migration leaves
unnamed is named by the database only when env.py, read, passes no metadata (or None, or a
bare `MetaData()`), or one that the application module it imports shows is plain
(`_plain_metadata`); otherwise its name is known only at run time.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from schemagate.model.migration import MigrationSource, Script
from schemagate.parse.layouts.listing import (
    HEAD_BYTES,
    Folder,
    Found,
    folder_dialect,
    read_start,
)

_ASSIGN = r"^{name}\s*(?::[^=\n]*)?=\s*(?P<value>.*)$"
_REVISION = re.compile(_ASSIGN.format(name="revision").encode(), re.MULTILINE)
_DOWN_REVISION = re.compile(_ASSIGN.format(name="down_revision").encode(), re.MULTILINE)
_DOWNGRADE = re.compile(rb"^def downgrade\s*\(", re.MULTILINE)
_QUOTED = re.compile(rb"""^(?:[rRuU]?)(['"])(?P<id>[^'"]+)\1""")
_INI_URL = re.compile(r"^\s*sqlalchemy\.url\s*=\s*(?P<url>\S+)", re.MULTILINE)
_URL = re.compile(r"""['"](?P<scheme>postgresql|postgres|mysql|mariadb|sqlite)(?:\+\w+)?://""")
_SESSION_SET = re.compile(
    r"""execute\s*\(\s*(?:\w+(?:\.\w+)*\s*\(\s*)?[rRuUfF]?(['"])\s*SET\s+(?:SESSION\s+)?"""
    r"""(?P<name>[A-Za-z_][\w.]*)\s*(?:=|\s+TO\s+)\s*(?P<value>'[^'\n]*'|[\w.]+)\s*;?\s*\1""",
    re.IGNORECASE)
_TARGET_METADATA = re.compile(r"\btarget_metadata\s*=\s*(?P<value>[^,)\n#]*)")
# What gives SQLAlchemy no naming convention beyond its default (indexes only):
# `target_metadata = None`, a bare `MetaData()`, and `target_metadata=target_metadata`.
_NO_CONVENTION = re.compile(r"(None|target_metadata|(?:\w+\.)*MetaData\(\s*\)?)\s*")
_SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql",
            "mariadb": "mysql", "sqlite": "sqlite"}


class RevisionHead(NamedTuple):
    """What the head of a revision file says: its id (when a literal), and a downgrade()."""

    revision: str | None
    has_downgrade: bool


def read_revision_head(path: str) -> RevisionHead | None:
    """The revision head of a `.py` file, or None when it is not an Alembic revision."""
    with open(path, "rb") as file:
        head = file.read(HEAD_BYTES)
    revision = _REVISION.search(head)
    if revision is None or _DOWN_REVISION.search(head) is None:
        return None
    quoted = _QUOTED.match(revision["value"].strip())
    ident = quoted["id"].decode("utf-8", errors="replace") if quoted else None
    return RevisionHead(ident, _DOWNGRADE.search(head) is not None)


def found(
    folder: Folder, name: str, head: RevisionHead, *, dialect: str, context_only: bool,
    session: tuple[tuple[str, str], ...] = (), run_time_names: bool = False,
) -> Found:
    """The revision in file `name` of `folder`: its upgrade() and, if any, downgrade()."""
    path = folder.show(name)
    script = Script(path, "wrapped", "up")
    down = Script(path, "wrapped", "down") if head.has_downgrade else None
    source = MigrationSource(name[: -len(".py")], "alembic", script, down,
                             version=head.revision, context_only=context_only,
                             dialect=dialect, session=session,
                             run_time_names=run_time_names)
    return Found((folder.identity, name, None), source)


def config_files(versions_folder: str) -> tuple[str, ...]:
    """Every file `alembic_session` and `alembic_dialect` may read for ``versions_folder``:
    `env.py` beside `versions/`, and `alembic.ini` in the folder above `versions/` and the
    one above that."""
    parent = os.path.dirname(versions_root(versions_folder))
    return (os.path.join(parent, "env.py"), *(os.path.join(folder, "alembic.ini")
                                              for folder in (parent, os.path.dirname(parent))))


def alembic_session(versions_folder: str) -> tuple[tuple[str, str], ...]:
    """The `SET name = value` statements `env.py` (beside `versions/`) executes on the
    migrations' connection, in order."""
    env = _read(config_files(versions_folder)[0])
    return tuple((m["name"].lower(), m["value"]) for m in _SESSION_SET.finditer(env or ""))


def alembic_run_time_names(versions_folder: str, read: list[str] | None = None) -> bool:
    """Whether a constraint the revisions leave unnamed may be named at run time: by a
    naming convention on the `target_metadata` that `env.py` (beside `versions/`) passes
    to Alembic, or because env.py cannot be read whole. The application modules looked at
    to know (`_plain_metadata`) are added to ``read``."""
    path = config_files(versions_folder)[0]
    env = _read(path, whole=True)
    if env is None:
        return True
    env = _COMMENT_LINE.sub("", env)  # Alembic's template: "# target_metadata = mymodel.Base…"
    return any(_NO_CONVENTION.fullmatch(value) is None
               and not _plain_metadata(value, env, os.path.dirname(path), read)
               for value in (m["value"].strip() for m in _TARGET_METADATA.finditer(env)))


_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
# `target_metadata = Base.metadata`, `db.metadata`: a name env.py imports, and its metadata.
_METADATA_OF = re.compile(r"(?P<name>[A-Za-z_]\w*)\.metadata")
# How far above env.py an application's package may sit (alembic/env.py beside the package,
# or <package>/migrations/env.py under it).
_PACKAGE_LEVELS = 3


def _plain_metadata(value: str, env: str, env_folder: str, read: list[str] | None) -> bool:
    """Whether ``value`` (`Base.metadata`, `db.metadata`) is a MetaData with no naming
    convention, as far as the module env.py imports it from shows: that module found beside
    or above env.py, naming no convention, and the name a module assigning `metadata` once,
    a bare `MetaData()` (`metadata = sa.MetaData()`, warehouse's `db`), a class of
    SQLAlchemy's `DeclarativeBase` or a bare `declarative_base()` (Mealie's
    `SqlAlchemyBase`). Anything else, a convention passed from elsewhere included, is not
    known to be plain."""
    match = _METADATA_OF.fullmatch(value)
    if match is None:
        return False
    name = match["name"]
    imported = re.search(rf"^from\s+(?P<module>[\w.]+)\s+import\s+(?:.*[\s,(])?{name}\b",
                         env, re.MULTILINE)
    if imported is None:
        return False
    module = imported["module"]
    # `from warehouse import db`: db is a module; `from app.models import Base`: a name in one.
    as_module = _module_text(f"{module}.{name}", env_folder, read)
    if as_module is not None:
        assigned = re.findall(r"^metadata\s*[:=].*$", as_module, re.MULTILINE)
        return ("naming_convention" not in as_module and len(assigned) == 1
                and re.fullmatch(r"metadata\s*=\s*(?:\w+\.)*MetaData\(\s*\)\s*(?:#.*)?",
                                 assigned[0]) is not None)
    text = _module_text(module, env_folder, read)
    if text is None or "naming_convention" in text or re.search(r"\bmetadata\b", text):
        return False
    return re.search(rf"^class\s+{name}\s*\(\s*(?:\w+\.)*DeclarativeBase\s*\)\s*:"
                     rf"|^{name}\s*=\s*(?:\w+\.)*declarative_base\(\s*\)\s*$",
                     text, re.MULTILINE) is not None


def _module_text(module: str, env_folder: str, read: list[str] | None) -> str | None:
    """The source of ``module`` (dotted), found below env.py's folder or one of the few
    above it, as a module file or a package's `__init__.py`; None if not found or too big."""
    relative = module.replace(".", os.sep)
    folder = env_folder
    for _ in range(_PACKAGE_LEVELS + 1):
        for candidate in (os.path.join(folder, relative + ".py"),
                          os.path.join(folder, relative, "__init__.py")):
            if read is not None:
                read.append(candidate)
            if os.path.isfile(candidate):
                return _read(candidate, whole=True)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


def alembic_dialect(versions_folder: str) -> str:
    """The dialect of the database the revisions run on, as far as the files say.

    A folder below `versions/` named after a dialect (`versions/sqlite`); else `alembic.ini`
    in the folder above `versions/` or the one above that (its usual places), then `env.py`
    beside `versions/`. A URL built at run time says nothing: PostgreSQL.
    """
    root = versions_root(versions_folder)
    # A history kept per dialect below versions/ (versions/sqlite, versions/postgresql).
    below = os.path.relpath(versions_folder, root).replace(os.sep, "/").split("/")
    for part in below:
        if (named := folder_dialect(part)) is not None:
            return named
    env_py, *inis = config_files(versions_folder)
    for path in inis:
        ini = _read(path)
        match = _INI_URL.search(ini) if ini else None
        if match:
            scheme = re.split(r"[+:]", match["url"], maxsplit=1)[0].lower()
            if scheme in _SCHEMES:
                return _SCHEMES[scheme]
    env = _read(env_py)
    found = {_SCHEMES[m["scheme"]] for m in _URL.finditer(env or "")}
    return found.pop() if len(found) == 1 else "postgres"


def versions_root(folder: str) -> str:
    """The nearest folder named `versions` at or above `folder`."""
    current = folder
    while current and os.path.basename(current) != "versions":
        parent = os.path.dirname(current)
        if parent == current:
            return folder
        current = parent
    return current or folder


def _read(path: str, *, whole: bool = False) -> str | None:
    """A file's head, or None when it cannot be read; with ``whole``, its whole text, or
    None when it is longer than a head."""
    try:
        data = read_start(path, HEAD_BYTES + 1)
    except OSError:
        return None
    if len(data) > HEAD_BYTES and whole:
        return None
    return data[:HEAD_BYTES].decode("utf-8", errors="replace")
