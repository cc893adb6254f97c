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
from json.encoder import encode_basestring as _encode_string
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
    pieces: Iterable[str]
    if indent is not None:
        pieces = _indented(doc, " " * indent, 0)
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


def _indented(value: Any, indent: str, level: int) -> Iterator[str]:
    """Indented JSON, as `json.JSONEncoder(ensure_ascii=False, indent=…)` writes it: what
    holds a `Stream` a piece at a time, everything else (each item of a stream) as one
    string from `_indented_text`."""
    if not _has_stream(value):
        yield _indented_text(value, indent, level)
        return
    if isinstance(value, dict):
        open_, close = "{", "}"
    else:
        open_, close = "[", "]"
    if not value:
        yield open_ + close
        return
    inner = "\n" + indent * (level + 1)
    yield open_ + inner
    first = True
    members: Iterable[tuple[Any, Any]] = (value.items() if isinstance(value, dict)
                                          else ((None, item) for item in value))
    for key, item in members:
        if not first:
            yield "," + inner
        first = False
        if key is not None:
            yield _key(key) + ": "
        yield from _indented(item, indent, level + 1)
    yield "\n" + indent * level + close


def _indented_text(value: Any, indent: str, level: int) -> str:
    """`_indented` of a value holding no `Stream`, as one string.

    json's indenting encoder is written in Python as generators yielding a piece per key,
    separator and value: a finding took some forty of them. This is the same walk, with
    the same tests in the same order, returning strings (about three times faster): the
    JSON report of a history under 2,000 findings, and SARIF, are indented.
    """
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + indent * (level + 1)
        return ("[" + inner
                + ("," + inner).join([_indented_text(v, indent, level + 1) for v in value])
                + "\n" + indent * level + "]")
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + indent * (level + 1)
        return ("{" + inner
                + ("," + inner).join([_key(k) + ": " + _indented_text(v, indent, level + 1)
                                      for k, v in value.items()])
                + "\n" + indent * level + "}")
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _key(key: Any) -> str:
    """A dict key as json writes it: strings as they are, numbers and constants as text."""
    if isinstance(key, str):
        return _encode_string(key)
    if isinstance(key, float):
        return _encode_string(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _encode_string(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _float(value: float) -> str:
    """A float as json writes it (allow_nan: NaN and the infinities as JavaScript names)."""
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


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
