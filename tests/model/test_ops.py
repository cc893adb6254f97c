"""The IR's span handling: clause spans beside statement spans, and moving them together."""

from __future__ import annotations

from dataclasses import replace

from schemagate.model import ops as o
from schemagate.model.names import QName
from schemagate.model.span import LazySpan, Span
from schemagate.model.types import TypeRef

STATEMENT = Span("m.sql", 1, 1, 3, 20)
CLAUSE = Span("m.sql", 2, 3, 2, 30)


def _moved_down(span: Span) -> Span:
    return replace(span, line=span.line + 10, end_line=span.end_line + 10)


def test_an_operation_without_a_clause_is_sited_at_its_statement() -> None:
    op = o.DropColumn(table=QName.of("t"), column="c", span=STATEMENT)
    assert op.site == STATEMENT


def test_an_operation_with_a_clause_is_sited_at_the_clause() -> None:
    op = o.DropColumn(table=QName.of("t"), column="c", span=STATEMENT, clause=CLAUSE)
    assert op.site == CLAUSE


def test_spans_take_no_part_in_equality() -> None:
    a = o.ColumnDef("c", TypeRef("int4"), span=CLAUSE)
    assert a == o.ColumnDef("c", TypeRef("int4"))


def test_map_spans_moves_nested_spans_and_keeps_names() -> None:
    column = o.ColumnDef("c", TypeRef("int4"), default=o.Expr("now()", span=CLAUSE),
                         span=CLAUSE)
    op = o.AddColumn(table=QName.of("t"), column=column, span=STATEMENT, clause=CLAUSE)
    moved = o.map_spans(op, _moved_down)
    assert isinstance(moved, o.AddColumn)
    assert (moved.span.line, moved.clause and moved.clause.line,
            moved.column.span and moved.column.span.line,
            moved.column.default and moved.column.default.span
            and moved.column.default.span.line) == (11, 12, 12, 12)
    assert isinstance(moved.table, QName)


def test_a_lazy_span_is_worked_out_once_and_compares_as_the_span_it_stands_for() -> None:
    calls: list[int] = []

    def make() -> Span:
        calls.append(1)
        return CLAUSE

    lazy = LazySpan(make)
    assert calls == []
    assert lazy == CLAUSE and lazy == CLAUSE and hash(lazy) == hash(CLAUSE)
    assert (lazy.line, lazy.column, lazy.end_line, lazy.end_column) == (2, 3, 2, 30)
    assert calls == [1]


def test_map_spans_keeps_a_lazy_span_lazy() -> None:
    calls: list[int] = []

    def make() -> Span:
        calls.append(1)
        return CLAUSE

    op = o.DropColumn(table=QName.of("t"), column="c", span=STATEMENT, clause=LazySpan(make))
    moved = o.map_spans(op, _moved_down)
    assert calls == []
    assert moved.clause is not None and moved.clause.line == 12 and calls == [1]
