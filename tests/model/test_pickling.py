"""Records pickle as their class and fields' values, and come back equal, field for field."""

from __future__ import annotations

import dataclasses
import pickle

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
