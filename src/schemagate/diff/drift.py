"""Drift: what differs between a live database and the schema a migrations folder builds.

The folder's migrations are applied on a scratch database (the server given, else an
embedded one) and both schemas are read and compared the way `schemagate diff` compares
them; the live database is only read.
"""

from __future__ import annotations

from schemagate.diff.compare import Delta, compare
from schemagate.diff.targets import Loader, parse_target


def drift(db_url: str, folder: str, scratch: str | None = None) -> list[Delta]:
    """The changes that would turn the live database into the folder's schema.

    Raises `diff.connect.DatabaseError` or `diff.targets.TargetError` with the reason when
    either side cannot be read or built."""
    with Loader(scratch) as loader:
        live = loader.load(parse_target(db_url))
        target = loader.load(parse_target(folder))
    return compare(live, target)
