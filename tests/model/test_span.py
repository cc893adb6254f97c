"""Spans worked out inside a statement's text: names found, offsets placed."""

from __future__ import annotations

from schemagate.model.span import Span, char_offset, find_identifier, span_within

SQL = ("ALTER TABLE users\n  ADD CONSTRAINT fk -- users\n"
       "  FOREIGN KEY (team) REFERENCES \"Teams\" (id)")
AT = Span("m.sql", 3, 5, 5, 48)  # the statement starts on line 3, column 5


def test_a_name_is_found_as_a_token_never_inside_a_comment_string_or_longer_word() -> None:
    assert find_identifier("SELECT 'users', users_id /* users */ FROM Users", "users") == (42, 46)
    assert find_identifier(SQL, "users", 18) is None  # only the comment says it after the head


def test_a_quoted_name_matches_exactly_and_a_bare_one_in_any_case() -> None:
    first, last = find_identifier(SQL, "Teams") or (0, 0)
    assert SQL[first:last + 1] == '"Teams"'
    assert find_identifier(SQL, "teams") is None
    assert find_identifier(SQL, "USERS") == (12, 16)


def test_offsets_on_later_lines_are_placed_by_their_own_line() -> None:
    first, last = find_identifier(SQL, "team") or (0, 0)
    span = span_within(AT, SQL, first, last)
    assert (span.line, span.column, span.end_line, span.end_column) == (5, 16, 5, 19)
    assert char_offset(AT, SQL, span.line, span.column) == first
    on_first_line = span_within(AT, SQL, 12, 16)
    assert (on_first_line.line, on_first_line.column, on_first_line.end_column) == (3, 17, 21)
