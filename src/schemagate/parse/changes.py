"""Which migrations to report: those changed since a git revision, and not mere context.

`schemagate lint --changed-since main` folds the whole history (a migration means little
without the schema before it) but reports only the migrations whose files differ from the
revision, or are new and untracked. git is asked twice, through its command line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from schemagate.model.errors import SchemagateError
from schemagate.model.migration import MigrationSource


class ChangesError(SchemagateError):
    """git could not say what changed: not a repository, an unknown revision, no git."""


def changed_files(revision: str, cwd: Path | None = None) -> set[str]:
    """Absolute paths of the files changed since `revision` (committed, staged, in the
    working tree) and of untracked files that are not ignored."""
    where = str(cwd or Path.cwd())
    root = _git(["rev-parse", "--show-toplevel"], where).strip()
    if revision.startswith("-"):
        raise ChangesError(f"not a revision: {revision!r}")
    listed = _git(["diff", "--name-only", "-z", revision, "--"], where)
    listed += _git(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"], where)
    return {os.path.normpath(os.path.join(root, name)) for name in listed.split("\0") if name}


def report_names(sources: Iterable[MigrationSource], changed: set[str] | None,
                 cwd: Path | None = None) -> set[str] | None:
    """The migrations to report, or None for all of them.

    Context-only migrations (the other revisions a named Alembic revision brought along) are
    never reported; with `changed`, only migrations with a changed script are.
    """
    sources = list(sources)
    if changed is None and not any(s.context_only for s in sources):
        return None
    base = str(cwd or Path.cwd())
    out: set[str] = set()
    for source in sources:
        if source.context_only:
            continue
        scripts = [s for s in (source.up, source.down) if s is not None]
        if changed is None or any(
                os.path.normpath(os.path.join(base, s.path)) in changed for s in scripts):
            out.add(source.name)
    return out


def _git(args: list[str], cwd: str) -> str:
    import subprocess  # only --changed-since runs git: a plain lint does not import it

    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChangesError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise ChangesError(f"git {args[0]} failed: {message[0] if message else done.returncode}")
    return done.stdout
