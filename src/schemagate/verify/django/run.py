"""Django migrations through Django's own migration executor, one at a time, on the scratch
database.

A child process (`verify.django.child`) runs with the project's settings, `DATABASES`
pointed at the scratch database (`verify.django.project`), for the whole run: `up` applies
exactly the migration, `down` unapplies exactly it, as `manage.py migrate` would, in the
order lint folds them (Django's plan); run.py captures the schema around them as for the
other layouts. Before the first one, the migrations of apps outside the verified history that
it depends on (`auth`, `contenttypes`, third-party apps) are applied, and Django's
`django_migrations` table made, so that they are part of the schema before, not differences
after.

What Django's connection sends is recorded with its time; the locks are not traced (the
statements run in Django's session, not one verify can read `pg_locks` in). When Django
cannot start (not installed, settings that do not import), verify could not do the job:
NotRunnable, exit 2.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from schemagate.model.migration import ParsedMigration
from schemagate.verify.django.project import (
    MODULE,
    DjangoProject,
    find_project,
    scratch_settings,
)
from schemagate.verify.results import Direction, ScriptResult, StatementResult
from schemagate.verify.scripts import Executable, NotRunnable, ScriptDirection

_CHILD = Path(__file__).with_name("child.py")
INSTALL_HINT = "pip install django (and the project's requirements) in this environment"
NOT_TRACED = "sent by Django's migration executor: locks not traced"


def migration_scripts(mig: ParsedMigration,
                      direction: ScriptDirection) -> list[Executable] | None:
    """Whether the migration can be run (else NotRunnable), and whether it has this
    direction: Django reverses every operation itself, except a RunPython without
    reverse_code or a RunSQL without reverse_sql. The statements are Django's to send."""
    _key(mig)
    find_project(_path(mig))
    if direction == "up":
        return []
    down = mig.down
    return [] if down is not None and not down.declared_irreversible else None


@dataclass
class Session:
    """The child process of one verify run, started at the first Django migration."""

    url: str
    # The scratch settings (with the scratch database's password) and the child's stderr.
    folder: Path
    process: subprocess.Popen[str] | None = None
    failed: str | None = None  # why Django could not start

    def ask(self, project: DjangoProject, action: str, keys: list[tuple[str, str]]
            ) -> dict[str, object]:
        if self.failed is not None:
            return {"ok": False, "environment": True, "error": self.failed}
        if self.process is None:
            self.process = _start(project, self.url, self.folder)
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps({"action": action, "keys": keys}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
            answer = json.loads(line) if line else None
        except (OSError, json.JSONDecodeError):
            answer = None
        if not isinstance(answer, dict):
            self.failed = "Django's process ended: " + _tail(self.process, self.folder)
            return {"ok": False, "environment": True, "error": self.failed}
        return answer


@contextmanager
def session(url: str, migrations: Sequence[ParsedMigration]) -> Iterator[Session]:
    """A session for the run; prepared when the history holds Django migrations
    (NotRunnable when Django cannot start or its prerequisites cannot be applied)."""
    run = Session(url, Path(tempfile.mkdtemp(prefix="schemagate-django-")))
    try:
        django = [m for m in migrations if m.source.layout == "django"]
        if django:
            answer = run.ask(find_project(_path(django[0])), "prepare",
                             [_key(m) for m in django])
            if not answer.get("ok"):
                raise NotRunnable(str(answer.get("error") or "Django could not start"))
        yield run
    finally:
        if run.process is not None:
            if run.process.stdin is not None:
                run.process.stdin.close()
            try:
                run.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                run.process.kill()
                run.process.wait()
        shutil.rmtree(run.folder, ignore_errors=True)


def run_migration(run: Session, mig: ParsedMigration, direction: Direction) -> ScriptResult:
    """One migration applied (`up`, `up_again`) or unapplied (`down`) by Django."""
    answer = run.ask(find_project(_path(mig)), "down" if direction == "down" else "up",
                     [_key(mig)])
    sent = answer.get("sent")
    line = mig.down.span.line if mig.down is not None and mig.down.span is not None else 1
    result = ScriptResult(path=_path(mig), ran=True, ok=bool(answer.get("ok")),
                          notes=[NOT_TRACED] if direction == "up" else [])
    result.statements = [
        StatementResult(line, str(sql), float(ms), traced=NOT_TRACED)
        for sql, ms in (sent if isinstance(sent, list) else []) if not _bookkeeping(str(sql))]
    if not result.ok:
        if answer.get("environment") and direction == "up":
            raise NotRunnable(str(answer.get("error")))
        result.error = str(answer.get("error") or "Django's migrate failed")
    return result


def _bookkeeping(sql: str) -> bool:
    """The executor's own reads and its record of what is applied, not the migration's."""
    head = sql.lstrip()[:200].upper()
    return "DJANGO_MIGRATIONS" in head or (head.startswith("SELECT") and "PG_" in sql.upper())


def _start(project: DjangoProject, url: str, folder: Path) -> subprocess.Popen[str]:
    try:
        import django  # noqa: F401
    except ImportError as exc:
        raise NotRunnable(f"Django migrations run through Django itself, which cannot be "
                          f"imported here ({exc}): {INSTALL_HINT}") from None
    (folder / f"{MODULE}.py").write_text(scratch_settings(project, url), encoding="utf-8")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=MODULE, PYTHONPATH=os.pathsep.join(
        p for p in (str(folder), str(project.root), os.environ.get("PYTHONPATH", "")) if p))
    # Whatever the project prints goes to a file: a full pipe would stop the child.
    with (folder / "stderr").open("w", encoding="utf-8") as err:
        return subprocess.Popen([sys.executable, str(_CHILD)], cwd=project.root, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                text=True)


def _tail(process: subprocess.Popen[str], folder: Path) -> str:
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    err = (folder / "stderr").read_text(encoding="utf-8", errors="replace") \
        if (folder / "stderr").is_file() else ""
    lines = [x for x in err.strip().splitlines() if x.strip()]
    return lines[-1] if lines else f"exit code {process.returncode}"


def _key(mig: ParsedMigration) -> tuple[str, str]:
    app, _, name = (mig.source.version or "").partition(".")
    if not app or not name:
        raise NotRunnable("not a Django migration of a known app")
    return app, name


def _path(mig: ParsedMigration) -> str:
    script = mig.source.up or mig.source.down
    assert script is not None
    return script.path
