"""Records pickle as their class and fields' values, and come back equal, field for field."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import replace

from schemagate.model import catalog, findings, ops, pickling, span, types
from schemagate.model.catalog import Catalog, Column, Constraint, Index, Table
from schemagate.model.findings import Finding, Severity
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.model.types import TypeRef


def test_a_catalog_and_a_finding_round_trip_field_for_field() -> None:
    name = QName("public", "t")
    cat = Catalog()
    cat.tables[name] = Table(name, (Column("id", TypeRef("bigint"), not_null=True),
                                    Column("note", TypeRef("text"), comment="x")),
                             (Constraint("t_pkey", "primary", ("id",)),), created_in="0001")
    cat.indexes[QName("public", "t_note")] = Index(QName("public", "t_note"), name, ("note",),
                                                   created_in="0002")
    finding = Finding("rule", "family", Severity.WARNING, "message", Span("a.sql", 1, 2, 3, 4),
                      facts={"rows": 3}, statement_span=Span.point("a.sql"))
    back_cat, back_finding = pickle.loads(pickle.dumps((cat, finding)))
    assert back_cat.tables == cat.tables and back_cat.indexes == cat.indexes
    # fields that take no part in equality come back too
    assert back_cat.tables[name].created_in == "0001"
    assert back_finding == finding and back_finding.facts == {"rows": 3}
    assert back_finding.statement_span == finding.statement_span


def test_the_records_pickle_by_their_fields_and_keyword_only_ones_as_dataclasses_do() -> None:
    for module in (catalog, findings, span, types):
        for value in vars(module).values():
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__
                    and value.__dataclass_params__.frozen):  # type: ignore[attr-defined]
                assert value.__dict__.get("__reduce__") is not None, value
    assert "__reduce__" not in vars(ops.AddColumn)  # keyword-only: dataclasses' own way
    assert vars(span.LazySpan)["__reduce__"] is not pickling._reduce


def _schema() -> Catalog:
    """Three tables: `b` and `c` hold foreign keys to `a`, made by migrations 0002 and 0003."""
    cat = Catalog()
    a, b, c = QName("public", "a"), QName("public", "b"), QName("app", "c")
    cat.tables[a] = Table(a, (Column("id", TypeRef("bigint")),), created_in="0001")
    for name, mig in ((b, "0002"), (c, "0003")):
        cat.tables[name] = Table(name, (Column("a_id", TypeRef("bigint")),), (
            Constraint(f"{name.name}_fk", "foreign", ("a_id",), a, ("id",), created_in=mig),),
            created_in=mig)
    cat.indexes[QName("public", "b_a")] = Index(QName("public", "b_a"), b, ("a_id",))
    return cat


def _unread(store: dict[QName, object]) -> set[str]:
    """The entries of a store read back that nothing has read yet."""
    return {key.name for key, value in dict.items(store)
            if type(value) is pickling.Packed and not value.read}


def test_a_catalog_read_back_unpickles_a_table_only_when_it_is_read() -> None:
    back = pickle.loads(pickle.dumps(_schema()))
    assert _unread(back.tables) == {"a", "b", "c"} and _unread(back.indexes) == {"b_a"}
    # What the stores know of their entries' relations needs none of them read.
    a = QName("public", "a")
    assert back.tables.referencing(a) == [QName("app", "c"), QName("public", "b")]
    assert back.tables.with_foreign_keys_from(["0003"]) == [QName("app", "c")]
    assert back.indexes.tables() == [QName("public", "b")]
    assert a in back.tables and list(back.tables) == [a, QName("public", "b"), QName("app", "c")]
    assert back.tables[a].created_in == "0001"
    assert back.tables.get(QName("public", "b")).created_in == "0002"
    assert _unread(back.tables) == {"c"} and _unread(back.indexes) == {"b_a"}
    assert back.indexes.on(QName("public", "b"))[0].columns == ("a_id",)
    assert back == _schema() and _unread(back.tables) == set()


def test_copies_of_a_catalog_read_back_share_its_records_and_keep_their_own_changes() -> None:
    back = pickle.loads(pickle.dumps(_schema()))
    snapshot = back.copy()
    b, c = QName("public", "b"), QName("app", "c")
    assert snapshot.tables[b] is back.tables[b]  # one record, read once
    back.track_changes()
    del back.tables[c]
    back.tables[b] = replace(back.tables[b], constraints=())
    back.indexes.pop(QName("public", "b_a"))
    assert back.tables.referencing(QName("public", "a")) == []
    assert back.tables.with_foreign_keys_from(["0002", "0003"]) == []
    assert back.indexes.tables() == []
    assert snapshot.tables.referencing(QName("public", "a")) == [c, b]
    assert snapshot.tables.with_foreign_keys_from(["0002", "0003"]) == [b, c]
    assert snapshot.differences(back) == ["table app.c", "table public.b", "index public.b_a"]
    assert snapshot == _schema()


def test_a_catalog_read_back_pickles_again_with_the_bytes_of_what_it_did_not_change() -> None:
    first = pickle.loads(pickle.dumps(_schema()))
    a, b = QName("public", "a"), QName("public", "b")
    first.tables[b] = replace(first.tables[b], comment="changed")
    kept = dict.__getitem__(first.tables, a).data
    assert pickling.pack(dict.__getitem__(first.tables, a)) is kept
    again = pickle.loads(pickle.dumps(first))
    assert dict.__getitem__(again.tables, a).data == kept
    assert again.tables[b].comment == "changed" and again == first
    assert again.tables.referencing(a) == [QName("app", "c"), b]


def test_packed_values_are_unpickled_one_by_one_when_read() -> None:
    digests: pickling.PackedValues[str, tuple[int, ...]] = pickling.PackedValues()
    digests.update({"0001": (1,), "0002": (), "0003": (3, 3)})
    back = pickle.loads(pickle.dumps(digests))
    assert type(back) is pickling.PackedValues and list(back) == ["0001", "0002", "0003"]
    assert back["0003"] == (3, 3) and back.get("0009", "none") == "none"
    assert {k for k, v in dict.items(back) if not v.read} == {"0001", "0002"}
    copy = back.copy()
    assert copy.pop("0001") == (1,) and "0001" in back and copy.setdefault("0004", (4,)) == (4,)
    assert back == digests and dict(back.items()) == {"0001": (1,), "0002": (), "0003": (3, 3)}
