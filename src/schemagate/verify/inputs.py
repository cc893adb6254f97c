"""The migrations verify acts on: discovered and parsed, all of them, or none.

Verify runs the migrations, so an unparsable file is not a finding to report after the others
but a reason not to start: every input error is listed, with file and line, in one
`VerifyError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schemagate.model.migration import ParsedMigration
from schemagate.model.settings import Settings
from schemagate.verify.errors import VerifyError


def load_strictly(paths: Sequence[str], settings: Settings) -> list[ParsedMigration]:
    """Every migration under `paths` (default: the current folder), parsed; VerifyError
    when any file cannot be read or parsed, or when there is none."""
    from schemagate.parse.load import load_strictly as load_all

    return load_all(paths, settings, VerifyError)


@dataclass(frozen=True)
class SetupScript:
    """A SQL file run on the scratch database before the first migration."""

    path: str
    text: str


def read_setup(files: Sequence[str]) -> list[SetupScript]:
    """The setup files, read; VerifyError naming each one that cannot be read."""
    scripts, problems = [], []
    for name in files:
        try:
            scripts.append(SetupScript(name, Path(name).read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: {exc.strerror if isinstance(exc, OSError) else exc}")
    if problems:
        raise VerifyError("cannot read the setup SQL: " + "; ".join(problems))
    return scripts
