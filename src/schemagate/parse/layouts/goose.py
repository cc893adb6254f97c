"""goose (pressly/goose): any `.sql` file with a `-- +goose Up` line; `-- +goose Down` below.

Names: `<version>_<description>.sql`, the version a number (sequential `00001` or a
timestamp). Like dbmate's, goose's files cannot be told by name, so a `.sql` file that no
other layout claimed is read for the marker. Versions compare as numbers; a file without
one comes last, by name. goose's Go migrations (`.go` files) are not read.
Up and down: two sections of one file, `-- +goose Up` and `-- +goose Down`. goose reads
its annotations in any case, each on a line of its own that starts with `--`.
Transactions: goose runs each section in a transaction ("wrapped"), unless the file says
`-- +goose NO TRANSACTION`: then both run outside one ("autocommit"), statement by
statement, but for a `-- +goose StatementBegin` … `StatementEnd` block, which goose sends
as one Exec: PostgreSQL runs the statements of that one query as one implicit transaction
(the postgres frontend reads the blocks, `parse.transactions.transaction_blocks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import Folder, Found, sectioned

# A Go migration: `<version>_<name>.go`, registered with goose.AddMigration… in its init().
_GO_MIGRATION = re.compile(r"[0-9]+_\w*\.go")
# Any annotation at all: a search with a literal start, before the slower ones below.
_ANY = re.compile(rb"\+(?i:goose)")
_UP = re.compile(rb"(?im)^(?:\xef\xbb\xbf)?--[ \t]*\+goose[ \t]+up[ \t\r]*$")
_DOWN = re.compile(rb"(?im)^--[ \t]*\+goose[ \t]+down[ \t\r]*$")
_NO_TRANSACTION = re.compile(rb"(?im)^--[ \t]*\+goose[ \t]+no[ \t]+transaction[ \t\r]*$")


class Sections(NamedTuple):
    """How goose runs each section of a file."""

    up: TransactionMode
    down: TransactionMode | None  # None: no down section


def sections(data: bytes) -> Sections | None:
    """The sections of a whole file, if it is goose's (it has an up marker)."""
    if not _ANY.search(data) or not _UP.search(data):
        return None
    mode: TransactionMode = "autocommit" if _NO_TRANSACTION.search(data) else "wrapped"
    return Sections(mode, mode if _DOWN.search(data) else None)


def found(folder: Folder, name: str, parts: Sections) -> tuple[tuple[int, int, str], Found]:
    """The migration in file `name`, with its place in goose's order (by version)."""
    return sectioned(folder, name, "goose", parts.up, parts.down)


def go_migrations(names: Iterable[str]) -> list[str]:
    """The Go migrations among a goose folder's files, which are not read: what they change
    is unknown to the checks of the migrations after them."""
    return sorted(name for name in names if _GO_MIGRATION.fullmatch(name))
