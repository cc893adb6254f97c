"""The PostgreSQL frontend on real files: spans, encodings, comments, errors."""

from __future__ import annotations

from pathlib import Path

from schemagate.model import ops as o
from schemagate.model.locks import LockMode
from schemagate.model.migration import Script
from schemagate.model.names import QName
from schemagate.model.span import Span
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


def _text(name: str, span: Span | None) -> str:
    """The source text a span covers (lines joined by newlines)."""
    assert span is not None
    lines = (PARSE / name).read_text(encoding="utf-8").splitlines()
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column]
    return "\n".join([lines[span.line - 1][span.column - 1:],
                      *lines[span.line:span.end_line - 1],
                      lines[span.end_line - 1][:span.end_column]])


def test_each_alter_table_action_is_spanned_exactly() -> None:
    name = "clauses/alter_actions.sql"
    ops = parse(name).statements[0].ops
    assert [_text(name, op.clause) for op in ops] == [
        "ADD COLUMN region text DEFAULT 'eu'",
        "ALTER COLUMN balance TYPE numeric(12, 2)",
        "ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id)",
        "ALTER COLUMN name SET NOT NULL",
        "DROP COLUMN legacy",
    ]


def test_an_action_on_the_fifth_line_of_a_statement_points_there() -> None:
    set_not_null = parse("clauses/alter_actions.sql").statements[0].ops[3]
    assert isinstance(set_not_null, o.SetNotNull)
    assert set_not_null.span.line == 2
    clause = set_not_null.clause
    assert clause is not None
    assert (clause.line, clause.column, clause.end_line, clause.end_column) == (6, 3, 6, 32)


def test_a_default_set_by_alter_column_is_spanned_at_its_expression() -> None:
    name = "clauses/alter_actions.sql"
    (op,) = parse(name).statements[1].ops
    assert isinstance(op, o.SetDefault) and op.default is not None
    assert _text(name, op.default.span) == "gen_random_uuid()"


def test_column_definitions_are_spanned_in_characters_past_non_ascii_names() -> None:
    name = "clauses/create_table.sql"
    (table,) = parse(name).statements[0].ops
    assert isinstance(table, o.CreateTable)
    assert [_text(name, c.span) for c in table.columns] == [
        "id serial PRIMARY KEY",
        '"naïve" varchar(20) NOT NULL',
        "created timestamp DEFAULT clock_timestamp()",
        "owner_id int REFERENCES users (id) ON DELETE CASCADE",
    ]


def test_a_column_default_is_spanned_at_its_expression() -> None:
    name = "clauses/create_table.sql"
    (table,) = parse(name).statements[0].ops
    assert isinstance(table, o.CreateTable) and table.columns[2].default is not None
    assert _text(name, table.columns[2].default.span) == "clock_timestamp()"


def test_inline_and_table_foreign_keys_are_spanned_at_their_clauses() -> None:
    name = "clauses/create_table.sql"
    (table,) = parse(name).statements[0].ops
    assert isinstance(table, o.CreateTable)
    fks = [c for c in table.constraints if c.kind == "foreign"]
    assert [_text(name, c.span) for c in fks] == [
        "REFERENCES users (id) ON DELETE CASCADE",
        "CONSTRAINT größe_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id)",
    ]


def test_clauses_are_exact_in_statements_parsed_one_by_one_after_a_syntax_error() -> None:
    name = "clauses/after_syntax_error.sql"
    script = parse(name)
    assert script.errors
    ops = script.statements[-1].ops
    assert [_text(name, op.clause) for op in ops] == ["ADD COLUMN a int", "DROP COLUMN b"]


def test_each_name_of_a_drop_of_several_tables_is_spanned() -> None:
    name = "clauses/drops.sql"
    (drop,) = parse(name).statements[0].ops
    assert isinstance(drop, o.DropTable)
    assert [_text(name, s) for s in drop.name_spans] == ["public.a", "b", "c"]


def test_a_drop_of_one_table_has_no_name_spans() -> None:
    (drop,) = parse("clauses/drops.sql").statements[1].ops
    assert isinstance(drop, o.DropTable) and drop.name_spans == ()
