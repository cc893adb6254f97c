"""Where findings live in the repository, and the fingerprints that recognise them.

Code scanning and merge-request widgets match results to files of the repository, and match a
result of today's run to the same result of yesterday's run; a baseline file recognises
today's findings in tomorrow's run. So paths are made relative to the repository root (not to
wherever the tool happened to be started), and each finding gets a fingerprint that does not
change when unrelated lines are added above it. SARIF, GitLab Code Quality and the baseline
all take their fingerprints from here, so one finding has one fingerprint everywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from schemagate.model.findings import Finding

FINGERPRINT_KEY = "schemagate/v1"


def repository_root(cwd: Path | None = None) -> Path:
    """The top of the git work tree holding ``cwd``; ``cwd`` itself when there is none.

    Asked of git itself rather than by looking for a `.git` folder: worktrees, submodules and
    `GIT_DIR` all answer correctly that way.
    """
    here = (cwd or Path.cwd()).resolve()
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here,
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return here
    top = done.stdout.strip()
    return Path(top).resolve() if done.returncode == 0 and top else here


def relative_to_root(path: str, root: Path, cwd: Path | None = None) -> str | None:
    """``path`` (as findings carry it: relative to the cwd, or absolute) relative to ``root``,
    with forward slashes; None when the file lies outside the repository."""
    full = Path(path) if os.path.isabs(path) else (cwd or Path.cwd()) / path
    try:
        rel = Path(os.path.normpath(full.resolve())).relative_to(root)
    except ValueError:
        return None
    return PurePosixPath(*rel.parts).as_posix()


def uri_reference(posix_path: str) -> str:
    """A relative URI reference for a repository path: spaces, `#`, `%` and non-ASCII
    characters percent-encoded (SARIF's `uri` must be a valid URI, and `#` would start a
    fragment)."""
    return quote(posix_path, safe="/-._~!$&'()*+,;=:@")


def file_uri(path: str, cwd: Path | None = None) -> str:
    full = Path(path) if os.path.isabs(path) else (cwd or Path.cwd()) / path
    return full.resolve().as_uri()


_SPACE = re.compile(r"\s+")


def normalise_statement(sql: str) -> str:
    """The statement with runs of white space collapsed and no trailing semicolon: reindenting
    or rewrapping a statement is not a new problem."""
    return _SPACE.sub(" ", sql).strip().rstrip(";").strip()


def fingerprints(findings: Sequence[Finding], paths: Sequence[str]) -> list[str]:
    """A stable fingerprint for each finding: a hash of its rule, its file (``paths``, aligned
    with ``findings``), the normalised statement text, and the finding's occurrence index
    among findings with those same three. Line numbers take no part, so adding a migration
    above, or comments, moves a finding without making it new.

    A migration-level finding has no statement; its object (``rows of public.accounts``)
    stands in for it.
    """
    seen: dict[tuple[str, str, str], int] = {}
    out: list[str] = []
    for f, path in zip(findings, paths, strict=True):
        if f.fingerprint is not None:  # worked out before some findings were dropped
            out.append(f.fingerprint)
            continue
        text = normalise_statement(f.statement) if f.statement else f"object:{f.object}"
        key = (f.rule, path, text)
        index = seen.get(key, 0)
        seen[key] = index + 1
        digest = hashlib.sha256("\x00".join((f.rule, path, text, str(index))).encode("utf-8"))
        out.append(digest.hexdigest())
    return out


def artifact_uri(path: str, root: Path, cwd: Path | None = None) -> str:
    """The URI SARIF gives the file a finding's ``path`` names: relative to ``root`` (a URI
    reference), or absolute (`file://`) for a file outside the repository."""
    rel = relative_to_root(path, root, cwd)
    return uri_reference(rel) if rel is not None else file_uri(path, cwd)


def finding_fingerprints(findings: Sequence[Finding], root: Path,
                         cwd: Path | None = None) -> list[str]:
    """The fingerprints SARIF gives ``findings`` (the whole list of a run, suppressed ones
    included, so that occurrence indexes are the same as SARIF's)."""
    uris: dict[str, str] = {}
    for f in findings:
        if f.span.path not in uris:
            uris[f.span.path] = artifact_uri(f.span.path, root, cwd)
    return fingerprints(findings, [uris[f.span.path] for f in findings])
