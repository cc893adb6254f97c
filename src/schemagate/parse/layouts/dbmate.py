"""dbmate: any `.sql` file whose head has a `-- migrate:up` line; `-- migrate:down` below it.

Names: dbmate's files cannot be told by name (`20240101120000_init.sql` is also a plain
script), so the first 64 KiB of each `.sql` file that no other layout claimed are read for
the marker; a byte-order mark and blanks after `--` are allowed, as dbmate allows them.
Versions compare as the number the file name starts with; a file without one comes last,
by name.
Up and down: two sections of one file, `-- migrate:up` and `-- migrate:down`.
Transactions: dbmate runs each section inside BEGIN … COMMIT ("wrapped") unless its marker
says `transaction:false` ("autocommit").
"""

from __future__ import annotations

import io
import re
from typing import BinaryIO, NamedTuple

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import (
    HEAD_BYTES,
    Folder,
    Found,
    read_start,
    sectioned,
)

_MARKER = re.compile(rb"^(?:\xef\xbb\xbf)?--[ \t]*migrate:(up|down)\b(.*)$", re.MULTILINE)


class Head(NamedTuple):
    """What the first bytes of a .sql file say about it."""

    empty: bool
    up: TransactionMode | None = None  # None: not a dbmate file
    down: TransactionMode | None = None  # None: no down section
    data: bytes | None = None  # the whole file, when it was shorter than the head read
    # A longer file's head holds another tool's marker (goose's, sql-migrate's, Liquibase's
    # header): the file is read whole only then.
    marked: bool = False


def read_head(path: str) -> Head:
    """Whether the file is empty, and its dbmate sections if it has a `-- migrate:up` line."""
    raw = read_start(path, HEAD_BYTES)
    if len(raw) < HEAD_BYTES:  # the whole file, as most are
        return head_of(io.BytesIO(raw))
    with open(path, "rb") as file:
        return head_of(file)


def head_of(file: BinaryIO) -> Head:
    """`read_head` of an open file."""
    raw = file.read(HEAD_BYTES)
    more = len(raw) == HEAD_BYTES
    # Only whole lines: a marker cut at the boundary would lose its options.
    head = raw[: raw.rfind(b"\n") + 1] if more else raw
    markers = _markers(head)
    up = markers.get(b"up")
    if up is None:
        return Head(empty=not raw, data=None if more else raw,
                    marked=more and (b"+goose" in raw.lower() or b"+migrate" in raw
                                     or b"liquibase" in raw[:256].lower()))
    down = markers.get(b"down")
    if down is None and more:
        down = _find_down_marker(file, len(head))
    return Head(
        empty=False,
        up=_section_mode(up),
        down=None if down is None else _section_mode(down),
        data=None if more else raw,
    )


def found(
    folder: Folder, name: str, up: TransactionMode, down: TransactionMode | None
) -> tuple[tuple[int, int, str], Found]:
    """The migration in file `name`, with its place in dbmate's order (by version)."""
    return sectioned(folder, name, "dbmate", up, down)


def _markers(data: bytes) -> dict[bytes, bytes]:
    """The options of the first `-- migrate:up` and `-- migrate:down` lines."""
    markers: dict[bytes, bytes] = {}
    if b"migrate:" not in data:
        # Most files are not dbmate's: a substring search is a memchr, where the pattern
        # (no literal prefix, with its optional byte-order mark) is tried at every byte.
        return markers
    for match in _MARKER.finditer(data):
        markers.setdefault(match[1], match[2])
    return markers


def _find_down_marker(file: BinaryIO, offset: int) -> bytes | None:
    """The down marker past the head (a long up section), read in bounded chunks."""
    file.seek(offset)
    carry = b""
    skipping = False  # inside a line too long to be a marker (a bulk INSERT)
    while chunk := file.read(HEAD_BYTES):
        data = carry + chunk
        if skipping:
            newline = data.find(b"\n")
            if newline < 0:
                carry = b""
                continue
            data, skipping = data[newline + 1 :], False
        cut = data.rfind(b"\n") + 1
        data, carry = data[:cut], data[cut:]
        down = _markers(data).get(b"down")
        if down is not None:
            return down
        if len(carry) > HEAD_BYTES and not _MARKER.match(carry):
            carry, skipping = b"", True
    return _markers(carry).get(b"down")


def _section_mode(options: bytes) -> TransactionMode:
    return "autocommit" if b"transaction:false" in options.split() else "wrapped"
