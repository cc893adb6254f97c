"""JSON written a piece at a time, exactly as `json.dumps` would write it whole.

A report of a long history holds tens of thousands of findings: made into one document and
then one string, it took several times the memory of the findings themselves (every
finding as a dict, the text, then its escaped copy). Here the document's long lists are
`Stream`s, whose items are made, encoded and handed on one at a time; everything else is
encoded by `json` as before. The text is the same, byte for byte, as `json.dumps` of the
document with the lists filled in, indented or compact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Stream:
    """A JSON array whose items are produced while it is written (once: it is an iterator)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)

    def __iter__(self) -> Iterator[Any]:
        return self._items


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
    """The JSON text of ``doc`` in pieces (an item of a `Stream` at a time), the same as
    ``json.dumps(doc, ensure_ascii=False, indent=indent)`` with ``indent``, and with the
    compact separators (``,`` and ``:``) without. ``escape`` is applied to every piece: it
    must change characters one by one (it never sees a piece's neighbours)."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent,
                               separators=None if indent is not None else (",", ":"))
    for piece in _encode(doc, 0, encoder, indent):
        yield escape(piece)


def _has_stream(value: Any) -> bool:
    if isinstance(value, Stream):
        return True
    if isinstance(value, dict):
        return any(_has_stream(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_stream(v) for v in value)
    return False


def _encode(value: Any, level: int, encoder: json.JSONEncoder, indent: int | None,
            plain: bool = False) -> Iterator[str]:
    """``plain``: ``value`` holds no `Stream` (an item of one: it is not searched)."""
    if plain or not _has_stream(value):
        text = encoder.encode(value)
        # Nested values are indented by their depth: json's own indenting adds the same
        # spaces after every line break, and a line break only ever occurs between tokens
        # (inside strings it is written \n).
        if indent is not None and level:
            text = text.replace("\n", "\n" + " " * (indent * level))
        yield text
        return
    if isinstance(value, dict):
        open_, close = "{", "}"
        members: Iterable[tuple[str | None, Any]] = value.items()
    else:
        open_, close = "[", "]"
        members = ((None, item) for item in value)
    inner = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    outer = "\n" + " " * (indent * level) if indent is not None else ""
    colon = ": " if indent is not None else ":"
    streamed = isinstance(value, Stream)
    first = True
    for key, item in members:
        head = (open_ + inner) if first else ("," + inner)
        if key is not None:
            head += json.dumps(key, ensure_ascii=False) + colon
        first = False
        pieces = _encode(item, level + 1, encoder, indent, plain=streamed)
        # The separator and key go out with the item's first piece, not on their own.
        yield head + next(pieces, "")
        yield from pieces
    yield (open_ + close) if first else (outer + close)
