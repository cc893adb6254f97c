"""Where an Alembic project lives, how to point it at the scratch database, and its environment.

An Alembic revision runs the way `alembic upgrade` runs it: from the folder that holds
`alembic.ini` (relative `script_location`s and `prepend_sys_path = .` are read from there),
with that folder first on `sys.path` (env.py usually imports the application), and with
`sqlalchemy.url` naming the database. Nothing here imports Alembic: a project is found, and a
URL converted, whether or not it is installed.
"""

from __future__ import annotations

import configparser
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from psycopg import conninfo

from schemagate.parse.layouts.alembic import versions_root
from schemagate.verify.scripts import NotRunnable


@dataclass(frozen=True, slots=True)
class AlembicProject:
    root: str  # the folder holding alembic.ini: Alembic's working directory
    ini: str
    section: str  # the ini section naming this script_location ("alembic" unless multi-db)
    script_location: str  # resolved, real path
    versions: str  # the versions/ folder the revisions were found in, real path

    @property
    def env_py(self) -> str:
        return os.path.join(self.script_location, "env.py")


def find_project(revision_file: str) -> AlembicProject:
    """The project a revision belongs to: the nearest alembic.ini at or above its versions
    folder whose `script_location` (or `version_locations`) is that folder's."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(revision_file)))
    return _find(versions_root(folder))


@lru_cache(maxsize=64)
def _find(versions: str) -> AlembicProject:
    seen: list[str] = []
    current = os.path.dirname(versions)
    while True:
        ini = os.path.join(current, "alembic.ini")
        if os.path.isfile(ini):
            seen.append(ini)
            found = _matching_section(ini, versions)
            if found is not None:
                section, location = found
                return AlembicProject(current, ini, section, location, versions)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if seen:
        raise NotRunnable(f"no alembic.ini above {versions} has it as its script_location "
                          f"or version_locations (read: {', '.join(seen)}); Alembic cannot "
                          "run these revisions from there")
    raise NotRunnable(f"no alembic.ini found at or above {os.path.dirname(versions)}: Alembic "
                      "needs one (its script_location) to run these revisions")


def _matching_section(ini: str, versions: str) -> tuple[str, str] | None:
    """(section, script_location) of the ini section whose scripts are in `versions`.

    Read as Alembic reads it: `%(here)s` is the ini's folder, relative paths are relative to
    the working directory, which is the ini's folder when verify runs Alembic.
    """
    here = os.path.dirname(os.path.abspath(ini))
    parser = configparser.ConfigParser(defaults={"here": here})
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    for section in parser.sections():
        try:
            location = parser.get(section, "script_location", fallback=None)
            extra = parser.get(section, "version_locations", fallback="") or ""
        except configparser.Error:
            continue
        if not location:
            continue
        script_dir = _real(here, location)
        folders = {os.path.join(script_dir, "versions")}
        folders |= {_real(here, f) for f in extra.replace(",", " ").split() if f}
        if versions in folders:
            return section, script_dir
    return None


def _real(here: str, path: str) -> str:
    return os.path.realpath(os.path.join(here, os.path.expanduser(path.strip())))


# --- the scratch database as SQLAlchemy names it ------------------------------------------------

def sqlalchemy_url(url: str) -> str:
    """A psycopg connection string as an SQLAlchemy URL for psycopg 3 (`postgresql+psycopg`).

    A Unix-socket host (`host=/tmp/…`, as the embedded server gives) cannot be the URL's host
    part; it goes into the query, which SQLAlchemy hands to psycopg as it is, and so does every
    other parameter (port included, since a socket's file name carries it).
    """
    params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    user = params.pop("user", None)
    password = params.pop("password", None)
    dbname = params.pop("dbname", None)
    host = params.pop("host", None)
    netloc = ""
    if host and not str(host).startswith("/") and "," not in str(host):
        netloc = _quote_host(str(host))
        port = params.pop("port", None)
        netloc += f":{port}" if port else ""
    elif host:
        params["host"] = host
    if user:
        auth = quote(str(user), safe="")
        auth += f":{quote(str(password), safe='')}" if password else ""
        netloc = f"{auth}@{netloc}"
    query = "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='/')}"
                     for k, v in params.items())
    path = f"/{quote(str(dbname), safe='')}" if dbname else "/"
    return f"postgresql+psycopg://{netloc}{path}" + (f"?{query}" if query else "")


def _quote_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host  # an IPv6 address


# --- the user's environment, for the length of one Alembic command ------------------------------

@contextmanager
def user_environment(root: str) -> Iterator[None]:
    """Run from the project's folder with it first on sys.path, as `alembic` run there would;
    put back the working directory, sys.path, logging and the project's modules afterwards.

    The project's modules (the application env.py imports) are forgotten again, so that
    another project verified in this process imports its own `myapp`, not this one's.
    """
    cwd, path = os.getcwd(), list(sys.path)
    modules = set(sys.modules)
    logs = _logging_state()
    sys.path.insert(0, root)
    os.chdir(root)
    _forget_relative_finders()
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        _forget_relative_finders()
        _forget_modules(root, modules)
        _restore_logging(logs)


def _forget_relative_finders() -> None:
    """Python keeps one finder per sys.path entry, and the one for "." (Alembic's
    `prepend_sys_path = .`) holds the working directory of the day it was made: without
    this, a second project would import the first one's application."""
    for entry in [e for e in sys.path_importer_cache if not os.path.isabs(e)]:
        del sys.path_importer_cache[entry]


def _forget_modules(root: str, before: set[str]) -> None:
    prefix = os.path.realpath(root) + os.sep
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.realpath(file).startswith(prefix):
            del sys.modules[name]


_LoggerState = tuple[int, list[logging.Handler], bool, bool]


def _logging_state() -> dict[str, _LoggerState]:
    """env.py usually calls logging.config.fileConfig(alembic.ini), which replaces the root
    handlers and disables every logger it does not name: noted here to be put back."""
    loggers: dict[str, logging.Logger] = {"": logging.getLogger()}
    loggers.update({name: lg for name, lg in logging.Logger.manager.loggerDict.items()
                    if isinstance(lg, logging.Logger)})
    return {name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled)
            for name, lg in loggers.items()}


def _restore_logging(state: dict[str, _LoggerState]) -> None:
    for name, (level, handlers, propagate, disabled) in state.items():
        lg = logging.getLogger(name or None)
        lg.setLevel(level)
        lg.handlers[:] = handlers
        lg.propagate, lg.disabled = propagate, disabled
    # Loggers the configuration created (its "alembic" at INFO) go back to defaults.
    for name, made in logging.Logger.manager.loggerDict.items():
        if name not in state and isinstance(made, logging.Logger):
            made.setLevel(logging.NOTSET)
            made.handlers.clear()
            made.propagate, made.disabled = True, False
