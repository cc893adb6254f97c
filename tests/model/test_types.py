"""Type spellings and what a change from one type to another costs."""

from __future__ import annotations

import pytest

from schemagate.model.types import canonical, classify_change


def t(*names: str, mods: tuple[int, ...] = ()) -> object:
    return canonical(names, mods)


def test_spellings_are_canonical() -> None:
    assert canonical(("pg_catalog", "int4")) == canonical(("integer",)) == canonical(("int",))
    assert canonical(("bigserial",)).name == "int8" and canonical(("bigserial",)).serial
    assert canonical(("character varying",), (20,)) == canonical(("varchar",), (20,))
    assert canonical(("mood",)).schema == "public" and not canonical(("mood",)).is_builtin


@pytest.mark.parametrize(("old", "new", "lossy", "rewrite"), [
    (("varchar", (20,)), ("varchar", (50,)), False, False),
    (("varchar", (50,)), ("varchar", (20,)), True, True),
    (("varchar", (50,)), ("text", ()), False, False),
    (("text", ()), ("varchar", (10,)), True, True),
    (("text", ()), ("varchar", ()), False, False),
    (("citext", ()), ("varchar", ()), False, False),
    (("citext", ()), ("varchar", (20,)), True, True),
    (("numeric", (10, 2)), ("numeric", (12, 2)), False, False),
    (("numeric", (10, 2)), ("numeric", (8, 2)), True, True),
    (("numeric", (10, 2)), ("numeric", (10, 1)), True, True),
    (("numeric", (10, 2)), ("numeric", ()), False, False),
    (("int4", ()), ("int8", ()), False, True),
    (("int8", ()), ("int4", ()), True, True),
    (("float8", ()), ("int4", ()), True, True),
    (("timestamptz", ()), ("date", ()), True, True),
    (("timestamp", ()), ("timestamptz", ()), False, True),
    (("text", ()), ("int4", ()), True, True),
    (("int4", ()), ("text", ()), False, True),
    (("int8", ()), ("varchar", (255,)), False, True),
    (("int8", ()), ("varchar", (19,)), True, True),
    (("uuid", ()), ("varchar", (36,)), False, True),
])
def test_classify_change(old: tuple, new: tuple, lossy: bool, rewrite: bool) -> None:
    change = classify_change(canonical((old[0],), old[1]), canonical((new[0],), new[1]))
    assert (change.lossy, change.rewrite) == (lossy, rewrite), change.reason


def test_unknown_pairs_are_never_called_lossy() -> None:
    change = classify_change(canonical(("mood",)), canonical(("text",)))
    assert not change.lossy
    change = classify_change(canonical(("inet",)), canonical(("cidr",)))
    assert not change.lossy and change.rewrite is None


def test_index_store_keeps_the_by_table_map_current() -> None:
    from schemagate.model.catalog import Catalog, Index
    from schemagate.model.names import QName

    cat = Catalog()
    t, u = QName("public", "t"), QName("public", "u")
    a, b = QName("public", "a"), QName("public", "b")
    cat.indexes[a] = Index(a, t)
    cat.indexes[b] = Index(b, t)
    assert [ix.name for ix in cat.indexes_on(t)] == [a, b]
    cat.indexes[b] = Index(b, u)  # re-pointed to another table
    assert [ix.name for ix in cat.indexes_on(t)] == [a]
    copy = cat.copy()
    del cat.indexes[a]
    cat.indexes.pop(b)
    assert cat.indexes_on(t) == [] and cat.indexes_on(u) == []
    assert [ix.name for ix in copy.indexes_on(u)] == [b]  # the copy is independent
