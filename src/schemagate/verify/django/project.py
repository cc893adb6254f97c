"""Where a Django project's settings are, and a settings module pointing it at the scratch
database.

The project root is the nearest folder above a migration that holds `manage.py`; its settings
module is `DJANGO_SETTINGS_MODULE` when set, else the one `manage.py` names in its
`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "…")`. The scratch settings module imports
every setting of the project's and replaces `DATABASES` with the scratch database alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg import conninfo

from schemagate.verify.scripts import NotRunnable

_SETDEFAULT = re.compile(
    r"""setdefault\(\s*["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
MODULE = "schemagate_scratch_settings"


@dataclass(frozen=True)
class DjangoProject:
    root: Path
    settings: str  # the project's settings module


def find_project(migration_path: str) -> DjangoProject:
    """The project a migration belongs to; NotRunnable when there is no manage.py above it
    or no settings module can be told."""
    here = Path(migration_path).resolve().parent
    for folder in (here, *here.parents):
        manage = folder / "manage.py"
        if manage.is_file():
            settings = os.environ.get("DJANGO_SETTINGS_MODULE")
            if not settings:
                found = _SETDEFAULT.search(manage.read_text(encoding="utf-8", errors="replace"))
                settings = found.group(1) if found else None
            if not settings:
                raise NotRunnable(f"{manage}: no DJANGO_SETTINGS_MODULE in it or in the "
                                  "environment: set DJANGO_SETTINGS_MODULE to the project's "
                                  "settings module")
            return DjangoProject(folder, settings)
    raise NotRunnable(f"no manage.py above {migration_path}: verify runs Django migrations "
                      "with the project's own settings, from the folder that holds manage.py")


def scratch_settings(project: DjangoProject, url: str) -> str:
    """The text of a settings module: the project's, on the scratch database."""
    params = conninfo.conninfo_to_dict(url)
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.get("dbname", ""),
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
        "HOST": params.get("host", ""),
        "PORT": str(params.get("port", "")),
    }
    return (f"from {project.settings} import *  # noqa: F401,F403\n\n"
            f"DATABASES = {{'default': {database!r}}}\n"
            "DATABASE_ROUTERS = []\n")
