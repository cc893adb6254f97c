"""Pickle frozen dataclasses as their class and their fields' values.

`dataclasses` pickles a frozen class with slots through its own ``__getstate__`` and
``__setstate__``, which call `dataclasses.fields` and set each field one at a time, in
Python, for every object: reading back the fold cache's state of a 2,000-migration history
(about 80,000 records) spent most of its time there. Pickled as ``(cls, values)`` instead,
an object is made again by its own ``__init__`` from a tuple taken in C: about half the time
both ways. The classes are the same; only how pickle takes them apart changes.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, ItemsView, Mapping, ValuesView
from typing import Any, Self, TypeVar

_getters: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        get: Callable[[Any], tuple[Any, ...]] = lambda obj: (one(obj),)  # noqa: E731
    else:
        get = operator.attrgetter(*names)
    _getters[cls] = get
    return get


def _reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
    cls = type(self)
    get = _getters.get(cls) or _values(cls)
    return cls, get(self)


def pickle_by_fields(namespace: Mapping[str, Any]) -> None:
    """Pickle by fields every frozen dataclass with slots that ``namespace`` (a module's
    globals) defines, whose ``__init__`` is the generated one and takes every field, in
    order, by position (not the keyword-only operations), and that has no ``__reduce__``
    of its own. A subclass that keeps more than its
    fields must define its own ``__reduce__`` (as `span.LazySpan` does)."""
    module = namespace["__name__"]
    for cls in list(namespace.values()):
        if (isinstance(cls, type) and cls.__module__ == module
                and dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__
                and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
                and "__reduce__" not in cls.__dict__
                and all(f.init and f.kw_only is not True for f in dataclasses.fields(cls))
                and getattr(getattr(cls.__init__, "__code__", None), "co_filename", "")
                == "<string>"):
            cls.__reduce__ = _reduce  # type: ignore[method-assign]


class Packed:
    """A value pickled on its own, unpickled the first time it is read and kept then.

    The fold cache's state holds a whole schema, and a run that resumes from it after the
    newest migration changed reads a handful of its tables: unpickling every record up
    front was half of that run. The bytes are kept beside the value, so that saving the
    state again pickles only what changed since. A `Packed` is shared by the copies of the
    mapping that holds it, so all of them read the very same record.
    """

    __slots__ = ("data", "value")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.value: Any = _UNREAD

    @property
    def read(self) -> bool:
        """Whether the value was unpickled."""
        return self.value is not _UNREAD

    def unpack(self) -> Any:
        if self.value is _UNREAD:
            from pickle import loads  # only a run that reads a cached state needs pickle

            self.value = loads(self.data)
        return self.value


_UNREAD = object()


def pack(value: Any) -> bytes:
    """The bytes of one value, as `Packed` keeps them (a `Packed`'s own, if it is one)."""
    if type(value) is Packed:
        return value.data
    from pickle import HIGHEST_PROTOCOL, dumps

    return dumps(value, protocol=HIGHEST_PROTOCOL)


K = TypeVar("K")
V = TypeVar("V")


class PackedValues(dict[K, V]):
    """A dict that pickles each value on its own and, read back, unpickles a value only
    when it is read (`Packed`): by key, one value; through `values()`, `items()` or a
    comparison, all of them. Keys, their number and membership need no value unpickled.

    Its subclasses hold `Packed` values only once read back from a pickle: a dict built in
    this run pays nothing for them but the Python-level reads.
    """

    def __getitem__(self, key: K) -> V:
        value: Any = dict.__getitem__(self, key)
        return value.unpack() if type(value) is Packed else value  # type: ignore[no-any-return]

    def get(self, key: K, default: Any = None) -> Any:
        value: Any = dict.get(self, key, _UNREAD)
        if value is _UNREAD:
            return default
        return value.unpack() if type(value) is Packed else value

    def unpack_all(self) -> None:
        """Unpickle every value still packed (each is kept in its `Packed` too)."""
        packed: list[tuple[Any, Any]] = [(key, value) for key, value in dict.items(self)
                                         if type(value) is Packed]
        for key, value in packed:
            dict.__setitem__(self, key, value.unpack())

    def values(self) -> ValuesView[V]:  # type: ignore[override]
        self.unpack_all()
        return dict.values(self)

    def items(self) -> ItemsView[K, V]:  # type: ignore[override]
        self.unpack_all()
        return dict.items(self)

    def pop(self, key: K, *default: Any) -> Any:
        value: Any = dict.pop(self, key, *default)
        return value.unpack() if type(value) is Packed else value

    def setdefault(self, key: K, default: V) -> V:
        if key not in self:
            self[key] = default
        return self[key]

    def __eq__(self, other: object) -> bool:
        self.unpack_all()
        if isinstance(other, PackedValues):
            other.unpack_all()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def copy(self) -> Self:
        """A copy that shares the values, packed or not."""
        new = type(self).__new__(type(self))
        dict.update(new, self)
        return new

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return unpickle_packed, (type(self), tuple(dict.keys(self)),
                                 tuple(map(pack, dict.values(self))))


def unpickle_packed(cls: type[PackedValues[Any, Any]], keys: tuple[Any, ...],
                    data: tuple[bytes, ...]) -> PackedValues[Any, Any]:
    """A `PackedValues` read back: its values left packed."""
    new = cls.__new__(cls)
    dict.update(new, zip(keys, map(Packed, data), strict=True))
    return new
