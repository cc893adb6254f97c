"""The migrations verify acts on: discovered and parsed, all of them, or none.

Verify runs the migrations, so an unparsable file is not a finding to report after the others
but a reason not to start: every input error is listed, with file and line, in one
`VerifyError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemagate.model.migration import ParsedMigration
from schemagate.model.settings import Settings
from schemagate.verify.errors import VerifyError


def load_strictly(paths: Sequence[str], settings: Settings) -> list[ParsedMigration]:
    """Every migration under `paths` (default: the current folder), parsed; VerifyError
    when any file cannot be read or parsed, or when there is none."""
    from schemagate.parse.load import load_strictly as load_all

    return load_all(paths, settings, VerifyError)
