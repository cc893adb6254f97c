"""compare.canonical_sql: the printed IN-list forms PostgreSQL reads back differently."""

from __future__ import annotations

from schemagate.diff.compare import canonical_sql


def test_an_array_cast_is_written_per_element() -> None:
    whole = ("((status)::text = ANY ((ARRAY['a'::character varying, "
             "'b, c''s'::character varying(20)])::text[]))")
    each = ("((status)::text = ANY (ARRAY[('a'::character varying)::text, "
            "('b, c''s'::character varying(20))::text]))")
    assert canonical_sql(whole) == each
    assert canonical_sql(each) == each


def test_other_arrays_and_texts_are_left_alone() -> None:
    for text in ("(x = ANY (ARRAY[1, 2]))", "(tags @> ARRAY['a'::text])",
                 "(ARRAY[lower(a), b])::text[]", None):
        assert canonical_sql(text) == text
