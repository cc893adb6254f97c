"""JSON written a piece at a time, exactly as `json.dumps` would write it whole.

A report of a long history holds tens of thousands of findings: made into one document and
then one string, it took several times the memory of the findings themselves (every
finding as a dict, the text, then its escaped copy). Here the document's long lists are
`Stream`s, whose items are made, encoded and handed on one at a time; everything else is
encoded by `json` as before. The text is the same, byte for byte, as `json.dumps` of the
document with the lists filled in, indented or compact. (Indented, json's own encoder walks
the whole document once, as json.dumps does; compact, each item goes through json's C
encoder on its own.)
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Stream(list[Any]):
    """A JSON array whose items are produced while it is written (once: it is an iterator).

    A list to `json`'s own encoder, which asks only whether it is empty and iterates it:
    the indenting encoder (pure Python) writes it like any list. Its list storage stays
    empty; the compact path (`json`'s C encoder reads list storage directly) goes through
    `_encode` instead.
    """

    __slots__ = ("_first", "_items")

    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__()
        self._items = iter(items)
        self._first: list[Any] | None = None  # the first item, once looked at

    def _peek(self) -> list[Any]:
        if self._first is None:
            self._first = [item for item in itertools.islice(self._items, 1)]
        return self._first

    def __len__(self) -> int:  # only ever asked "is it empty?"
        return len(self._peek())

    def __bool__(self) -> bool:
        return bool(self._peek())

    def __iter__(self) -> Iterator[Any]:
        first = self._peek()
        self._first = []
        yield from first
        yield from self._items

    def __eq__(self, other: object) -> bool:
        return self is other


def materialized(value: Any) -> Any:
    """``value`` with every `Stream` in it made a list: the whole document, for callers that
    want it as data."""
    if isinstance(value, Stream):
        return [materialized(item) for item in value]
    if isinstance(value, dict):
        return {k: materialized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialized(item) for item in value]
    return value


def iter_json(doc: Any, *, indent: int | None = None,
              escape: Callable[[str], str] = lambda text: text) -> Iterator[str]:
    """The JSON text of ``doc`` in pieces (an item of a `Stream` at a time, or so), the
    same as ``json.dumps(doc, ensure_ascii=False, indent=indent)`` with ``indent``, and with
    the compact separators (``,`` and ``:``) without. ``escape`` is applied to every piece:
    it must change characters one by one (it never sees a piece's neighbours)."""
    if indent is not None:
        # One encoder for the whole document, as json.dumps runs it: the indenting encoder
        # is made of closures that refer to each other, garbage only the cycle collector
        # frees (and a lint run turns it off), so one per item would pile up.
        encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)
        pieces = encoder.iterencode(doc)
    else:
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        pieces = _encode(doc, encoder)
    run: list[str] = []
    for piece in pieces:
        run.append(piece)
        if len(run) >= 512:
            yield escape("".join(run))
            run.clear()
    if run:
        yield escape("".join(run))


def _has_stream(value: Any) -> bool:
    if isinstance(value, Stream):
        return True
    if isinstance(value, dict):
        return any(_has_stream(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_stream(v) for v in value)
    return False


def _encode(value: Any, encoder: json.JSONEncoder, plain: bool = False) -> Iterator[str]:
    """Compact JSON: what holds a `Stream` is written here, the rest (and each item of a
    stream, ``plain``) by json's C encoder."""
    if plain or not _has_stream(value):
        yield encoder.encode(value)
        return
    if isinstance(value, dict):
        open_, close = "{", "}"
        members: Iterable[tuple[str | None, Any]] = value.items()
    else:
        open_, close = "[", "]"
        members = ((None, item) for item in value)
    streamed = isinstance(value, Stream)
    yield open_
    first = True
    for key, item in members:
        if not first:
            yield ","
        first = False
        if key is not None:
            yield json.dumps(key, ensure_ascii=False) + ":"
        yield from _encode(item, encoder, plain=streamed)
    yield close
