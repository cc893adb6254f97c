"""The set-ups the documentation tells users to copy work as written.

The YAML blocks of docs/github-actions.md are parsed out of the page; every `schemagate`
command they run is run here, in a project holding the example migrations, and the files the
later steps upload must be the ones it wrote. What cannot run here (GitHub's actions, `pip
install` from GitHub) is checked for what it names: this distribution, this repository, a
release tag that exists, and a hook that tag provides.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from schemagate.cli import main

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
CI_DOC = ROOT / "docs" / "github-actions.md"
CHANGELOG = ROOT / "CHANGELOG.md"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# What a matrix variable stands for when a documented command is run here.
MATRIX = {"${{ matrix.service }}": "billing"}


def _blocks(source: Path | str, language: str) -> list[str]:
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def _section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _yaml_blocks() -> list[Any]:
    return [yaml.safe_load(block) for block in _blocks(CI_DOC, "yaml")]


def _workflow() -> dict[str, Any]:
    workflow = _yaml_blocks()[0]
    assert isinstance(workflow, dict) and "jobs" in workflow
    return workflow


def _commands(node: object) -> list[str]:
    """Every shell line of every `run:` (GitHub) and `script:` (GitLab) in a YAML block."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                found += [line.strip() for line in value.strip().splitlines()]
            elif key == "script" and isinstance(value, list):
                found += [str(line).strip() for line in value]
            else:
                found += _commands(value)
    elif isinstance(node, list):
        for item in node:
            found += _commands(item)
    return found


def _install_requirements() -> list[Requirement]:
    """The requirements of every `pip install "… @ git+…"` the docs show users."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (README, CI_DOC, CHANGELOG))
    return [Requirement(r) for r in re.findall(r'pip install "([^"]+ @ git\+[^"]+)"', text)]


def _released_tags() -> set[str]:
    return {f"v{v}" for v in re.findall(r"^## \[(\d+\.\d+\.\d+)\]",
                                        CHANGELOG.read_text(encoding="utf-8"), flags=re.M)}


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)


def _require_tag(tag: str) -> None:
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout: the release tags cannot be looked up")
    if _git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}").returncode != 0:
        pytest.skip(f"tag {tag} is not in this clone (a shallow one?): git fetch --tags")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the example migrations where the snippets expect them."""
    shutil.copytree(ROOT / "examples" / "golang-migrate", tmp_path / "migrations")
    shutil.copytree(ROOT / "examples" / "golang-migrate",
                    tmp_path / "services" / MATRIX["${{ matrix.service }}"] / "migrations")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def _run_documented(command: str) -> int:
    for variable, value in MATRIX.items():
        command = command.replace(variable, value)
    args = shlex.split(command)
    assert args[0] == "schemagate"
    result = CliRunner().invoke(main, args[1:])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    (block,) = _blocks(_section(README, "## Running the tests"), "sh")[:1]
    (command,) = block.strip().splitlines()
    assert command == 'pip install -e ".[test]" && python -m pytest -q'
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_fast_subset_the_readme_names_selects_a_registered_marker() -> None:
    section = _section(README, "## Running the tests")
    assert 'python -m pytest -q -m "not slow"' in section
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in pytest_options["markers"])


def test_every_documented_install_names_this_distribution_from_this_repository() -> None:
    requirements = _install_requirements()
    assert len(requirements) >= 4  # README, the two CI set-ups, the changelog
    repository = PROJECT["urls"]["Homepage"]
    for requirement in requirements:
        assert canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"])
        assert requirement.url is not None
        url, _, ref = requirement.url.removeprefix("git+").rpartition("@")
        assert url == repository
        assert ref in _released_tags() | {"vX.Y.Z"}


def test_no_documented_install_fetches_the_unrelated_schemagate_from_the_index() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (README, CI_DOC, CHANGELOG))
    assert "pip install" in text
    assert not re.search(r"pip install +[\"']?schemagate([\[\"'\s]|$)", text, flags=re.M)


def test_the_current_version_is_a_release_in_the_changelog() -> None:
    assert f"v{PROJECT['version']}" in _released_tags()


def test_the_release_tag_exists_and_is_annotated() -> None:
    tag = f"v{PROJECT['version']}"
    _require_tag(tag)
    assert _git("cat-file", "-t", f"refs/tags/{tag}").stdout.strip() == "tag"


def _precommit_snippets() -> list[dict[str, Any]]:
    documented = next(b for b in _yaml_blocks() if isinstance(b, dict) and "repos" in b)
    header = "\n".join(line[4:] for line in HOOKS.read_text(encoding="utf-8").splitlines()
                       if line.startswith("#   "))
    return [documented, yaml.safe_load(header)]


def test_the_precommit_snippets_point_at_this_repository_and_hook() -> None:
    for snippet in _precommit_snippets():
        (repo,) = snippet["repos"]
        assert repo["repo"] == PROJECT["urls"]["Homepage"]
        assert repo["rev"] in _released_tags()
        assert [h["id"] for h in repo["hooks"]] == ["schemagate"]


def test_the_precommit_rev_provides_the_hook_and_its_command() -> None:
    (repo,) = _precommit_snippets()[0]["repos"]
    rev = repo["rev"]
    _require_tag(rev)
    hooks = yaml.safe_load(_git("show", f"{rev}:.pre-commit-hooks.yaml").stdout)
    (hook,) = [h for h in hooks if h["id"] == "schemagate"]
    assert hook["language"] == "python"
    scripts = tomllib.loads(_git("show", f"{rev}:pyproject.toml").stdout)["project"]["scripts"]
    assert shlex.split(hook["entry"])[0] in scripts


def test_the_github_workflow_uploads_what_its_lint_step_writes(project: Path) -> None:
    (job,) = _workflow()["jobs"].values()
    steps = job["steps"]
    lint = next(s for s in steps if s.get("id") == "lint")
    assert lint.get("continue-on-error") is True  # findings must not skip the upload
    assert _run_documented(lint["run"]) in (0, 1)
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    sarif = json.loads((project / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "steps.lint.outcome" in next(s for s in steps if s.get("run") == "exit 1")["if"]


def test_every_documented_schemagate_command_runs_and_writes_its_output(project: Path) -> None:
    commands = [c for block in _yaml_blocks() for c in _commands(block)
                if c.startswith("schemagate ")]
    assert len(commands) >= 5
    for command in commands:
        code = _run_documented(command)
        expected = (0,) if "--fail-on never" in command else (0, 1)
        assert code in expected, command
        output = shlex.split(command)[shlex.split(command).index("-o") + 1]
        assert (project / output).stat().st_size > 0, command


def test_the_documented_artifacts_are_the_files_the_commands_write() -> None:
    written = {shlex.split(c)[shlex.split(c).index("-o") + 1]
               for block in _yaml_blocks() for c in _commands(block)
               if c.startswith("schemagate ") and " -o " in c}
    uploaded: set[str] = set()
    for block in _yaml_blocks():
        for node in block if isinstance(block, list) else [block]:
            text = json.dumps(node)
            uploaded |= set(re.findall(r'"(?:sarif_file|path|codequality)": "([^"$]+)"', text))
    assert uploaded and uploaded <= written, (uploaded, written)
