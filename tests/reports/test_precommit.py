"""The pre-commit hook: its `files` pattern, and real `pre-commit run`s of it.

pre-commit installs a hook from a git repository at a commit. The hook file may be new in
the working tree, so the test clones the repository into a temporary folder, copies the
working tree's `.pre-commit-hooks.yaml` into the clone and commits it there (never touching
the real repository's state), then runs the hook in a temporary project, from a config
outside the project naming the clone and its commit: what `pre-commit try-repo` writes and
runs, except that try-repo installs into a new store every time, where the two runs here
share one (the hook's environment is built once, as on a user's machine).

pre-commit builds the hook's virtualenv as it does for a user: a new virtualenv, then
`pip install .` of the clone, so the manifest's language, entry and the package's console
script are all exercised. Only the dependencies come from elsewhere: pip runs with no index
and sees this test run's own environment on PYTHONPATH, where pglast and the rest are
already installed, so it installs schemagate alone. Nothing is taken from the base
interpreter, and no network is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.reports.helpers import ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _hook() -> dict[str, object]:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hook, dict)
    return hook


@pytest.mark.parametrize(("path", "matches"), [
    ("migrations/000001_create_users.up.sql", True),  # golang-migrate
    ("db/migrations/20240101120000_create_accounts.sql", True),  # dbmate
    ("src/main/resources/db/migration/V1__init.sql", True),  # Flyway
    ("prisma/migrations/20230101120000_init/migration.sql", True),  # Prisma
    ("migrations/2020-01-01-000000_create_users/up.sql", True),  # diesel
    ("alembic/versions/3f2a1b9c0d4e_add_users.py", True),  # Alembic
    ("services/api/migrations/versions/abc_add.py", True),  # Flask-Migrate
    ("app/models.py", False),
    ("migrations/env.py", False),  # Alembic's env, not a revision
    ("docs/schema.sql", False),
    ("README.md", False),
])
def test_files_pattern_matches_the_common_layouts(path: str, matches: bool) -> None:
    hook = _hook()
    assert hook["id"] == "schemagate" and hook["pass_filenames"] is True
    assert bool(re.search(str(hook["files"]), path)) is matches


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=schemagate tests", "-c",
                    "user.email=tests@schemagate.invalid", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True)


def _is_git_checkout(path: Path) -> bool:
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=path, capture_output=True,
                          check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _is_git_checkout(ROOT),
                    reason="needs git and a git checkout of schemagate to clone")
@pytest.mark.slow
def test_pre_commit_runs_the_hook_on_the_staged_migrations(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    hooks = tmp_path / "hooks"
    _git("clone", "--quiet", str(ROOT), str(hooks), cwd=tmp_path)
    shutil.copy(HOOKS, hooks / ".pre-commit-hooks.yaml")
    _git("add", ".pre-commit-hooks.yaml", cwd=hooks)
    _git("commit", "--quiet", "--allow-empty", "-m", "hook file from the working tree",
         cwd=hooks)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True,
                         text=True, check=True).stdout.strip()
    config = tmp_path / "pre-commit-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": str(hooks), "rev": rev,
                                                 "hooks": [{"id": "schemagate"}]}]}),
                      encoding="utf-8")

    project = tmp_path / "project"
    (project / "db" / "migrations").mkdir(parents=True)
    (project / "db" / "migrations" / "001_users.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY, legacy text);\n")
    (project / "db" / "migrations" / "002_drop.sql").write_text(
        "ALTER TABLE users DROP COLUMN legacy;\n")
    (project / "notes.sql.txt").write_text("DROP TABLE everything;\n")  # not a migration
    _git("init", "--quiet", cwd=project)
    _git("add", ".", cwd=project)

    # PYTHONPATH entries are not site directories, so the .pth of an editable install of
    # schemagate in this environment is not read there: the hook imports the copy pip
    # installed into its own virtualenv.
    here = sysconfig.get_paths()
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join(dict.fromkeys((here["purelib"], here["platlib"]))),
               PIP_NO_INDEX="1",
               PIP_NO_BUILD_ISOLATION="0",  # pip's spelling of --no-build-isolation
               PRE_COMMIT_COLOR="never")

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        selection = ["--files", *files] if files else ["--all-files"]
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--config",
                               str(config), "schemagate", *selection], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600, check=False)

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "db/migrations/002_drop.sql:1:19: error drop-column" in failed.stdout
    assert "notes.sql.txt" not in failed.stdout
    passed = run("db/migrations/001_users.sql")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"schemagate\.+Passed", passed.stdout)
