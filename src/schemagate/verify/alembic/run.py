"""Alembic revisions through Alembic's own API, one revision at a time, on the scratch database.

For each revision, in the order of the revision graph (`graph.revisions`, as lint folds them):
`alembic.command.upgrade(config, revision)`, then `downgrade` to the state before it, then
`upgrade` again; run.py captures the schema around them as for SQL layouts. The Config is the
project's own alembic.ini with `sqlalchemy.url` set to the scratch database, and the commands
run in this process from the project's folder (`verify.alembic.project`), so that env.py and
the application it imports behave as under `alembic upgrade`. `verify.alembic.trace` records
what each command sends.

A revision that raises, or whose statement the database refuses, fails its step like an SQL
migration. When Alembic could not start at all (env.py cannot import the application, no
alembic.ini, Alembic not installed) verify could not do the job: NotRunnable, exit 2.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from schemagate.model.migration import ParsedMigration
from schemagate.verify.alembic.project import (
    AlembicProject,
    find_project,
    sqlalchemy_url,
    user_environment,
)
from schemagate.verify.alembic.trace import Traced, Tracer, WrongDatabase
from schemagate.verify.results import Direction, ScriptResult
from schemagate.verify.scripts import Executable, NotRunnable, ScriptDirection

# The package itself, not this project's extra: "schemagate" on the package index is an
# unrelated project, and the hint must be safe to paste.
INSTALL_HINT = "pip install alembic in the project's environment"


# --- whether verify can run a revision at all ---------------------------------------------------

def revision_scripts(mig: ParsedMigration,
                     direction: ScriptDirection) -> list[Executable] | None:
    """What verify needs to know before the run: whether the revision can be run (else
    NotRunnable), and whether it has this direction. The statements themselves are Alembic's
    to send: the list is empty."""
    if mig.source.dialect != "postgres":
        raise NotRunnable(f"verify runs PostgreSQL migrations; this one is {mig.source.dialect}")
    _require_alembic()
    find_project(_path(mig))
    if mig.revision is None:
        raise NotRunnable("no literal `revision = \"…\"`: Alembic cannot be told to run it")
    if direction == "up":
        return [] if mig.up is not None else None
    # A downgrade() that raises or does nothing declares the revision irreversible: no down.
    down = mig.down
    return [] if down is not None and not down.declared_irreversible else None


def _require_alembic() -> None:
    try:
        import alembic.command
        import alembic.config  # noqa: F401
    except ImportError as exc:
        raise NotRunnable(f"Alembic revisions run through the alembic package, which cannot "
                          f"be imported here ({exc}): {INSTALL_HINT}") from None


def _path(mig: ParsedMigration) -> str:
    script = mig.source.up or mig.source.down
    assert script is not None
    return script.path


# --- running one direction ------------------------------------------------------------------------

def run_revision(conn: psycopg.Connection[Any], url: str, mig: ParsedMigration,
                direction: Direction) -> ScriptResult:
    """One Alembic command for the revision, traced; NotRunnable when Alembic could not start
    on the first up (later steps report it as their failure: the first up did start)."""
    project = find_project(_path(mig))
    script = mig.source.down if direction == "down" else mig.source.up
    parsed = mig.down if direction == "down" else mig.up
    result = ScriptResult(path=script.path if script else _path(mig), ran=True, ok=True)
    own_file = os.path.abspath(_path(mig))
    tracer = Tracer(url, project.versions, project.env_py, own_file,
                    parsed.statements if parsed is not None else ())
    error: BaseException | None = None
    try:
        with user_environment(project.root), _quiet_alembic(), \
                _revisions_read_once(project, url), tracer.listening():
            _command(project, url, mig, direction)
    except (Exception, SystemExit) as exc:  # whatever env.py or the revision raises
        error = exc
    traced = tracer.traced
    result.statements = traced.statements
    result.notes += _notes(traced, own_file)
    if error is not None:
        failure = _failure(error, traced, project, own_file)
        if failure.environment and direction == "up":
            raise NotRunnable(f"Alembic could not run revision {_revision(mig)}: "
                              f"{failure.message}") from None
        result.ok, result.error, result.line = False, failure.message, failure.line
    elif direction == "down" and not _revision_down(mig):
        _drop_empty_version_table(conn, traced.version_table)
    return result


def _command(project: AlembicProject, url: str, mig: ParsedMigration,
             direction: Direction) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(project.ini, ini_section=project.section)
    # ConfigParser interpolates %; a URL's %-escapes (a socket path) must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    if direction == "down":
        command.downgrade(config, _down_target(mig))
    else:
        command.upgrade(config, _revision(mig))


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs every step at INFO ("Running upgrade a -> b"), three times a revision
    here; verify's report says as much. Its warnings still show."""
    logger = logging.getLogger("alembic.runtime.migration")
    keep = _WarningsOnly()
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


# (alembic.ini, section, scratch URL) → the RevisionMap of that project in that verify run.
_REVISION_MAPS: dict[tuple[str, str, str], Any] = {}
_KEPT_MAPS = 4


@contextmanager
def _revisions_read_once(project: AlembicProject, url: str) -> Iterator[None]:
    """Each Alembic command builds a new ScriptDirectory (`from_config`), which imports every
    revision file again: three commands per revision would read a history of N revisions 3N
    times. Within one verify run (one scratch URL) the commands share the first command's
    revision map; `from_config` itself, env.py and the revisions' own code still run each time.
    """
    from alembic.script import ScriptDirectory

    original = ScriptDirectory.__dict__["from_config"]
    key = (project.ini, project.section, url)

    def from_config(cls: type[ScriptDirectory], config: Any) -> ScriptDirectory:
        script: ScriptDirectory = original.__func__(cls, config)
        if key in _REVISION_MAPS:
            script.revision_map = _REVISION_MAPS[key]
        else:
            _REVISION_MAPS[key] = script.revision_map
            while len(_REVISION_MAPS) > _KEPT_MAPS:  # earlier runs' maps
                del _REVISION_MAPS[next(iter(_REVISION_MAPS))]
        return script

    setattr(ScriptDirectory, "from_config", classmethod(from_config))  # noqa: B010
    try:
        yield
    finally:
        setattr(ScriptDirectory, "from_config", original)  # noqa: B010


def _revision(mig: ParsedMigration) -> str:
    assert mig.revision is not None
    return mig.revision.id


def _revision_down(mig: ParsedMigration) -> tuple[str, ...]:
    return mig.revision.down if mig.revision is not None else ()


def _down_target(mig: ParsedMigration) -> str:
    """The downgrade target that undoes this revision only.

    `<revision>@<parent>` limits Alembic to the revision's own branch: a plain `<parent>`
    would also undo every other branch that grew from the parent, and `base` every root.
    A merge joins heads, none an ancestor of another, so any of its parents will do.
    """
    rev = _revision(mig)
    parents = _revision_down(mig)
    return f"{rev}@{parents[-1]}" if parents else f"{rev}@base"


def _drop_empty_version_table(conn: psycopg.Connection[Any],
                              table: tuple[str | None, str] | None) -> None:
    """Alembic leaves its version table behind, empty, when the last revision is undone; it
    did not exist before the first revision, so the schema is not back until it is gone."""
    if table is None:
        return
    schema, name = table
    ident = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    exists = conn.execute("SELECT to_regclass(%s)", (ident.as_string(conn),)).fetchone()
    if exists is None or exists[0] is None:
        return
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident)).fetchone()
    if row is not None and row[0] == 0:
        conn.execute(sql.SQL("DROP TABLE {}").format(ident))


# --- what went wrong ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Failure:
    message: str
    line: int | None
    environment: bool  # Alembic or env.py failed before or around the revision, not in it


def _failure(exc: BaseException, traced: Traced, project: AlembicProject,
             own_file: str) -> _Failure:
    """Whose failure it is: the revision's (a statement refused, or its code raised), or
    the environment's (env.py, Alembic itself, a connection to the wrong database)."""
    if traced.failed is not None and traced.failed.error is not None:
        return _Failure(f"line {traced.failed.line}: {traced.failed.error}", traced.failed.line,
                        False)
    # Relative file names (a relative script_location) are relative to the project's folder,
    # where Alembic ran.
    frames = list(traceback.extract_tb(exc.__traceback__))
    for f in frames:
        f.filename = os.path.realpath(os.path.join(project.root, f.filename))
    versions = project.versions + os.sep
    in_revision = [f for f in frames if f.filename.startswith(versions)]
    what = f"{type(exc).__name__}: {_first_line(exc)}"
    if in_revision and not isinstance(exc, WrongDatabase):
        frame = in_revision[-1]
        where = "" if frame.filename == os.path.realpath(own_file) \
            else f" of {os.path.basename(frame.filename)}"
        return _Failure(f"line {frame.lineno}{where}: {what}", frame.lineno, False)
    in_project = [f for f in frames if f.filename.startswith(project.root + os.sep)]
    where = f"{os.path.relpath(in_project[-1].filename, project.root)} line " \
            f"{in_project[-1].lineno}: " if in_project else ""
    hint = "" if isinstance(exc, WrongDatabase) else \
        f" (verify runs env.py in this Python, from {project.root}: run verify in the " \
        f"project's environment)"
    return _Failure(f"{where}{what}{hint}", None, True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def _notes(traced: Traced, own_file: str) -> list[str]:
    notes = []
    others = sorted({os.path.basename(f) for f in traced.files
                     if f != os.path.realpath(own_file)})
    if others:
        notes.append(f"Alembic also ran {', '.join(others)} for this step: the revisions "
                     "before it were not all applied")
    if traced.env_statements:
        n = len(traced.env_statements)
        notes.append(f"env.py sent {n} statement{'s' * (n != 1)} of its own, not listed: "
                     + "; ".join(traced.env_statements[:3]))
    return notes

