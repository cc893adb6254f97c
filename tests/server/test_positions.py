"""Spans and edits (1-based characters) as LSP positions (0-based code units)."""

from __future__ import annotations

from schemagate.model.fixes import Edit
from schemagate.model.span import Span
from schemagate.server.positions import edit_range, lines_of, span_range, units

LINES = lines_of("SELECT 1;\r\nCOMMENT ON TABLE t IS '😀é'; DROP TABLE t;\n")


def _pair(r: object) -> tuple[int, int, int, int]:
    start, end = r.start, r.end  # type: ignore[attr-defined]
    return start.line, start.character, end.line, end.character


def test_a_span_end_includes_its_last_character_and_the_range_end_excludes_it() -> None:
    assert _pair(span_range(LINES, Span("f", 1, 1, 1, 9), "utf-16")) == (0, 0, 0, 9)


def test_columns_after_a_wide_character_count_the_agreed_units() -> None:
    # `DROP TABLE t;` is characters 29 to 41 (1-based) of line 2, after 😀 and é.
    span = Span("f", 2, 29, 2, 41)
    assert _pair(span_range(LINES, span, "utf-32")) == (1, 28, 1, 41)
    assert _pair(span_range(LINES, span, "utf-16")) == (1, 29, 1, 42)
    assert _pair(span_range(LINES, span, "utf-8")) == (1, 32, 1, 45)


def test_a_span_ending_on_a_wide_character_ends_after_all_its_units() -> None:
    smiley = Span("f", 2, 24, 2, 24)
    assert _pair(span_range(LINES, smiley, "utf-16")) == (1, 23, 1, 25)
    assert _pair(span_range(LINES, smiley, "utf-8")) == (1, 23, 1, 27)


def test_an_edit_end_is_already_exclusive() -> None:
    insert = Edit("f", 2, 29, 2, 29, "-- x\n")
    assert _pair(edit_range(LINES, insert, "utf-16")) == (1, 29, 1, 29)


def test_positions_past_the_text_are_clamped_to_its_end() -> None:
    assert _pair(span_range(LINES, Span("f", 1, 5, 1, 99), "utf-16")) == (0, 4, 0, 9)
    assert _pair(span_range(LINES, Span("f", 9, 1, 9, 1), "utf-16")) == (2, 0, 2, 0)


def test_code_units_per_encoding() -> None:
    assert (units("a😀é", "utf-8"), units("a😀é", "utf-16"), units("a😀é", "utf-32")) == (
        7, 4, 3)
