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
from collections.abc import Callable, Mapping
from typing import Any

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
