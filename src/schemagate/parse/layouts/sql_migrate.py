"""sql-migrate (rubenv/sql-migrate): any `.sql` file with a `-- +migrate Up` line.

Names: any `.sql` name; sql-migrate orders by the number a name starts with (a sequence
or a Unix timestamp such as convoy's `1677078479.sql`), then by name. Like dbmate's and
goose's, its files cannot be told by name, so a `.sql` file that no other layout claimed
is read for the marker.
Up and down: the `-- +migrate Up` and `-- +migrate Down` sections of one file; a file may
hold several of each, which sql-migrate runs in order as one.
Transactions: sql-migrate runs each direction in a transaction ("wrapped"), unless one of
its markers says `notransaction` (`-- +migrate Up notransaction`): then all of it outside
one ("autocommit"). The commands are read as sql-migrate reads them: `Up`, `Down` and the
option exactly so written.
"""

from __future__ import annotations

import re

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import Folder, Found, sectioned

_MARKER = re.compile(rb"(?m)^(?:\xef\xbb\xbf)?-- \+migrate (Up|Down)\b(.*)$")


def sections(data: bytes) -> tuple[TransactionMode, TransactionMode | None] | None:
    """How sql-migrate runs the up and the down of a whole file, if it is sql-migrate's
    (it has an up marker); None for the down when it has no down section."""
    if b"+migrate" not in data:
        return None
    modes: dict[bytes, TransactionMode] = {}
    for marker in _MARKER.finditer(data):
        # One marker of a direction that says so takes the whole direction out of its
        # transaction (convoy's files end with `-- +migrate Up notransaction` sections).
        if b"notransaction" in marker[2].split():
            modes[marker[1]] = "autocommit"
        else:
            modes.setdefault(marker[1], "wrapped")
    if b"Up" not in modes:
        return None
    return modes[b"Up"], modes.get(b"Down")


def found(folder: Folder, name: str, up: TransactionMode, down: TransactionMode | None
          ) -> tuple[tuple[int, int, str], Found]:
    """The migration in file `name`, with its place in sql-migrate's order."""
    return sectioned(folder, name, "sql-migrate", up, down)
