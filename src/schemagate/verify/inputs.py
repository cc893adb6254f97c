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
    from schemagate.parse.layouts.discover import discover
    from schemagate.parse.load import load_migrations

    found = discover(list(paths) or ["."], dialect=settings.dialect)
    loaded = load_migrations(found.migrations, variables=settings.variables,
                             transactions=settings.transactions)
    errors = found.errors + loaded.errors
    if errors:
        lines = [":".join(str(p) for p in (e.path, e.line, e.column) if p is not None)
                 + f": {e.message}" for e in errors]
        raise VerifyError("cannot use these migrations:\n  " + "\n  ".join(lines))
    if not loaded.migrations:
        raise VerifyError(f"no migrations found in {', '.join(paths) or '.'}")
    return loaded.migrations
