"""The PostgreSQL frontend on real files: spans, encodings, comments, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.model import ops as o
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedScript, Script
from schemagate.model.names import QName
from schemagate.parse.postgres import frontend
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText, read_source
from tests.conftest import FIXTURES

PARSE = FIXTURES / "parse"


def parse(name: str, section: str | None = None, variables: dict[str, str] | None = None):
    src = read_source(PARSE / name, name, variables)
    assert isinstance(src, SourceText), src
    return parse_script(src, Script(name, "autocommit", section))  # type: ignore[arg-type]


def test_bom_and_crlf_keep_lines_and_columns() -> None:
    script = parse("bom_crlf.sql")
    spans = [(st.ops[0].span.line, st.ops[0].span.column, st.ops[0].span.end_line)
             for st in script.statements]
    assert spans == [(1, 1, 1), (3, 1, 4)]
    assert script.statements[1].sql == "ALTER TABLE t\r\n  ADD COLUMN x int"
    assert isinstance(script.statements[1].ops[0], o.AddColumn)


def test_dollar_quoted_body_is_one_statement_and_comments_are_skipped() -> None:
    script = parse("dollar.sql")
    assert [type(st.ops[0]).__name__ for st in script.statements] == [
        "CreateFunction", "CreateTrigger"]
    trigger = script.statements[1].ops[0]
    # The statement starts after the block comment, on line 9, column 18.
    assert (trigger.span.line, trigger.span.column) == (9, 18)
    assert (trigger.span.end_line, trigger.span.end_column) == (10, 39)


def test_columns_count_characters_not_bytes() -> None:
    script = parse("unicode.sql")
    second, third = script.statements[1], script.statements[2]
    assert isinstance(second.ops[0], o.DropColumn) and second.ops[0].column == "naïve"
    assert (third.ops[0].span.line, third.ops[0].span.column) == (2, 41)
    assert isinstance(third.ops[0], o.RenameTable) and third.ops[0].new_name == "crème"


def test_syntax_error_is_reported_with_line_and_the_rest_is_parsed() -> None:
    script = parse("syntax_error.sql")
    assert len(script.errors) == 1
    err = script.errors[0]
    assert (err.path, err.line, err.column) == ("syntax_error.sql", 2, 29)
    assert 'syntax error at or near ";"' in err.message
    kinds = [type(st.ops[0]).__name__ for st in script.statements]
    assert kinds == ["CreateTable", "DropTable"]
    assert script.statements[1].ops[0].span.line == 3


def test_unfilled_placeholders_are_named_in_the_error() -> None:
    script = parse("template.sql")
    assert [e.line for e in script.errors] == [1, 2]
    assert "{{ schema }}" in script.errors[0].message
    assert "--var" in script.errors[0].message


def test_placeholders_filled_from_variables() -> None:
    script = parse("template.sql", variables={"schema": "app", "legacy_table": "old_events"})
    assert not script.errors
    create, drop = (st.ops[0] for st in script.statements)
    assert isinstance(create, o.CreateTable) and str(create.table) == "app.events"
    assert isinstance(drop, o.DropTable) and str(drop.tables[0]) == "public.old_events"


def test_binary_non_utf8_and_oversized_files_are_errors() -> None:
    binary = read_source(PARSE / "binary.sql", "binary.sql")
    assert not isinstance(binary, SourceText) and "binary" in binary.message
    latin = read_source(PARSE / "latin1.sql", "latin1.sql")
    assert not isinstance(latin, SourceText)
    assert latin.line == 2 and "UTF-8" in latin.message
    big = read_source(PARSE / "dollar.sql", "dollar.sql", max_bytes=10)
    assert not isinstance(big, SourceText) and "limit" in big.message


def test_missing_file_is_an_error() -> None:
    err = read_source(Path("/nonexistent/x.sql"), "x.sql")
    assert not isinstance(err, SourceText) and err.path == "x.sql"


def test_empty_file_parses_to_nothing() -> None:
    script = parse("empty.sql")
    assert script.empty and not script.errors and not script.statements


def test_dbmate_sections_keep_their_own_statements_and_file_lines() -> None:
    up = parse("dbmate_sections.sql", "up")
    down = parse("dbmate_sections.sql", "down")
    assert [st.ops[0].span.line for st in up.statements] == [2, 3]
    assert [type(st.ops[0]).__name__ for st in down.statements] == ["DropTable"]
    assert down.statements[0].ops[0].span.line == 6


def test_every_statement_is_kept_even_unmodelled() -> None:
    src = SourceText.of("x.sql", "GRANT SELECT ON t TO u; NOTIFY t; SELECT 1;")
    script = parse_script(src, Script("x.sql"))
    assert [st.ops[0].kind for st in script.statements] == ["RawSQL"] * 3
    assert [st.ops[0].statement_kind for st in script.statements] == [  # type: ignore
        "GrantStmt", "NotifyStmt", "SelectStmt"]


def test_lock_table_is_modelled_with_its_tables_and_mode() -> None:
    src = SourceText.of("x.sql", "LOCK TABLE a, s.b IN SHARE ROW EXCLUSIVE MODE NOWAIT;")
    (op,) = parse_script(src, Script("x.sql")).statements[0].ops
    assert op == o.LockTable(tables=(QName.of("a"), QName.of("b", "s")),
                             mode=LockMode.SHARE_ROW_EXCLUSIVE, nowait=True, span=op.span)


def _long_script(path: Path, error_at: int | None = None) -> SourceText:
    """A script just over the piece size: tables, non-ASCII defaults, SQL-standard function
    bodies (whose inner `;` the scanner cuts at, unless there is an error) and
    dollar-quoted blocks."""
    parts = []
    for i in range(2000 if error_at is None else 1250):
        parts.append(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, note text DEFAULT 'é;ü');\n"
                     f"DO $$ BEGIN RAISE NOTICE 'x;y'; END $$; -- ; {i}\n")
        if error_at is None:
            parts.append(f"CREATE FUNCTION f{i}() RETURNS int LANGUAGE sql\n"
                         "  BEGIN ATOMIC SELECT 1; SELECT 2; END;\n")
        elif i == error_at:
            parts.append("ALTER TABLE ADD x;\n")
    path.write_text("".join(parts) * (2 if error_at is not None else 1), encoding="utf-8")
    src = read_source(path, path.name)
    assert isinstance(src, SourceText)
    assert len(src.text) > frontend.PIECE_CHARS
    return src


def _shape(script: ParsedScript) -> list[tuple[object, ...]]:
    return [(st.index, st.sql, st.ops, st.transaction) for st in script.statements]


def test_a_long_script_parsed_in_pieces_equals_the_whole_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _long_script(tmp_path / "long.sql")
    pieced = parse_script(src, Script("long.sql", "wrapped"))
    monkeypatch.setattr(frontend, "PIECE_CHARS", len(src.text) + 1)
    whole = parse_script(src, Script("long.sql", "wrapped"))
    assert len(pieced.statements) == 6000 and not pieced.errors
    assert _shape(pieced) == _shape(whole)


def test_a_syntax_error_beyond_the_first_piece_keeps_its_line_and_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _long_script(tmp_path / "long.sql", error_at=1200)
    pieced = parse_script(src, Script("long.sql", "autocommit"))
    monkeypatch.setattr(frontend, "PIECE_CHARS", len(src.text) + 1)
    whole = parse_script(src, Script("long.sql", "autocommit"))
    first = pieced.errors[0]
    assert (first.line, first.column, first.message) == (
        1200 * 2 + 2 + 1, 17, 'syntax error at or near "x"')
    assert len(pieced.statements) == 5000
    assert pieced.errors == whole.errors and _shape(pieced) == _shape(whole)
