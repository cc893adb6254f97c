"""The PostgreSQL frontend on real files: spans, encodings, comments, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.model import ops as o
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedScript, Script
from schemagate.model.names import QName
from schemagate.model.span import Span
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


def test_a_select_names_the_functions_it_calls_unless_a_with_writes_rows() -> None:
    src = SourceText.of("x.sql", """
        SELECT id, name FROM dashboards;
        SELECT count(*), lower(name) FROM dashboards WHERE created_at < now();
        SELECT setval('dashboards_id_seq', (SELECT max(id) FROM dashboards));
        SELECT * FROM public.create_hypertable('events', 'created_at');
        WITH gone AS (DELETE FROM dashboards WHERE id = 1 RETURNING id) SELECT id FROM gone;
        SELECT id INTO TEMP ids FROM dashboards;
    """)
    script = parse_script(src, Script("x.sql"))
    assert [getattr(st.ops[0], "calls", "no SELECT") for st in script.statements] == [
        (), ("count", "lower", "now"), ("max", "setval"), ("create_hypertable",), None,
        "no SELECT"]


UNREADABLE = FIXTURES / "unreadable"


def parse_unreadable(name: str):
    src = read_source(UNREADABLE / name, name)
    assert isinstance(src, SourceText), src
    return parse_script(src, Script(name, "autocommit"))  # type: ignore[arg-type]


def test_an_unclosed_quoted_identifier_is_the_files_error_and_earlier_statements_are_kept(
) -> None:
    script = parse_unreadable("002_unclosed_identifier.sql")
    (err,) = script.errors
    assert (err.line, err.column) == (3, 14)
    assert err.message.startswith("unterminated quoted identifier")
    assert [type(st.ops[0]).__name__ for st in script.statements] == ["CreateTable"]


def test_the_near_text_of_an_unclosed_token_is_cut_to_one_short_line() -> None:
    (err,) = parse_unreadable("005_unclosed_comment.sql").errors
    assert "\n" not in err.message and "DROP TABLE" not in err.message
    assert (err.line, err.column) == (2, 1)


def test_unclosed_strings_dollar_quotes_and_empty_identifiers_are_errors_with_a_position(
) -> None:
    found = {name: parse_unreadable(name).errors for name in (
        "003_unclosed_string.sql", "004_unclosed_dollar.sql", "006_empty_identifier.sql")}
    assert {name: [(e.line, e.column) for e in errs] for name, errs in found.items()} == {
        "003_unclosed_string.sql": [(1, 39)], "004_unclosed_dollar.sql": [(1, 61)],
        "006_empty_identifier.sql": [(1, 14)]}


def test_a_file_over_its_time_budget_is_cut_short_with_an_error_where_it_stopped() -> None:
    text = "".join(f"CREATE TABLE t{i} (id int);\n" for i in range(300))
    script = parse_script(SourceText.of("big.sql", text), Script("big.sql", "autocommit"),
                          budget=0)
    (err,) = script.errors
    assert err.message.startswith("gave up after the time allowed") and err.line == 256
    assert len(script.statements) == 256


def test_a_statement_without_a_keyword_and_an_unclosed_parenthesis_are_each_an_error(
) -> None:
    text = "UPDAT seen_at timestamptz;\nCREATE TABLE a (id int;\nCREATE TABLE b (id int);\n"
    script = parse_script(SourceText.of("m.sql", text), Script("m.sql", "autocommit"))
    assert [(e.line, e.column) for e in script.errors] == [(1, 1), (2, 23)]


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
def _long_script(path: Path, error_at: int | None = None, count: int = 1250) -> SourceText:
    """A script just over the piece size: tables, non-ASCII defaults, SQL-standard function
    bodies (whose inner `;` the scanner cuts at, unless there is an error) and
    dollar-quoted blocks."""
    parts = []
    for i in range(2000 if error_at is None else count):
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
    # Pieces of 8 KB rather than the real 256 KB: the same cuts on a script a tenth as long.
    monkeypatch.setattr(frontend, "PIECE_CHARS", 8 * 1024)
    src = _long_script(tmp_path / "long.sql", error_at=120, count=125)
    pieced = parse_script(src, Script("long.sql", "autocommit"))
    first = pieced.errors[0]
    assert src.text.index("ALTER TABLE ADD x") > frontend.PIECE_CHARS
    monkeypatch.setattr(frontend, "PIECE_CHARS", len(src.text) + 1)
    whole = parse_script(src, Script("long.sql", "autocommit"))
    assert (first.line, first.column, first.message) == (
        120 * 2 + 2 + 1, 17, 'syntax error at or near "x"')
    assert len(pieced.statements) == 500
    assert pieced.errors == whole.errors and _shape(pieced) == _shape(whole)


def _ops(sql: str) -> list[o.Operation]:
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql"))
    return [op for st in script.statements for op in st.ops]


def test_set_transaction_is_a_local_setting_and_session_characteristics_a_default() -> None:
    ops = _ops("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
               "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED;")
    assert [(op.name, op.value, op.local) for op in ops if isinstance(op, o.SetSetting)] == [
        ("transaction_isolation", "serializable", True),
        ("default_transaction_isolation", "read committed", False)]


def test_drop_event_trigger_is_modelled() -> None:
    [op] = _ops("DROP EVENT TRIGGER IF EXISTS audit_ddl, audit_dml;")
    assert isinstance(op, o.DropEventTrigger)
    assert (op.names, op.if_exists) == (("audit_ddl", "audit_dml"), True)


def _errors(sql: str) -> list[str]:
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql"))
    return [e.message for e in script.errors]


def test_a_mysql_script_fails_with_a_hint_to_pass_the_mysql_dialect() -> None:
    [message] = _errors("CREATE TABLE `networks` (\n`id` char(36) NOT NULL,\n"
                        "PRIMARY KEY(`id`)\n) ENGINE=InnoDB;\n")
    assert message.endswith("(this looks like MySQL: lint it with --dialect mysql)")


def test_a_sqlite_script_fails_with_a_hint_to_pass_the_sqlite_dialect() -> None:
    # River's riversqlite migrations, whose /* TEMPLATE: schema */ marker is a comment to the
    # parser: it is not blamed for the error.
    [message] = _errors("CREATE TABLE /* TEMPLATE: schema */river_notification (\n"
                        "    id integer PRIMARY KEY AUTOINCREMENT,\n    payload text\n);\n")
    assert message == ('syntax error at or near "AUTOINCREMENT" '
                       "(this looks like SQLite: lint it with --dialect sqlite)")


def test_a_postgresql_typo_gets_no_dialect_hint() -> None:
    [message] = _errors("CREATE TABEL users (id bigint);\nSELECT '`quoted`';\n")
    assert "--dialect" not in message


def test_an_update_setting_a_column_to_coalesce_of_itself_keeps_its_values() -> None:
    (op,) = _ops("UPDATE t SET a = COALESCE(a, 0), b = coalesce(t.b, 1), c = COALESCE(a, 2), "
                 "d = 3;")
    assert isinstance(op, o.UpdateRows)
    assert (op.columns, op.kept) == (("a", "b", "c", "d"), ("a", "b"))


def test_a_long_quoted_name_with_doubled_quotes_is_found(tmp_path: Path) -> None:
    """`""` stands for one `"` of the name: a name of 70 bytes whose longest run between
    quotes is 35 bytes (and which holds spaces) is still over PostgreSQL's 63."""
    half = "order line " * 3 + "note"  # 37 bytes, with spaces
    name = f'{half}"{half}'
    path = tmp_path / "0001_long.sql"
    path.write_text(f'CREATE TABLE t ("{half}""{half}" text);\n')
    src = read_source(path, "0001_long.sql")
    assert isinstance(src, SourceText)
    [statement] = parse_script(src, Script("0001_long.sql", "autocommit")).statements
    assert statement.long_identifiers == (name,)
    assert [(s.line, s.column, s.end_line, s.end_column)
            for s in statement.long_identifier_spans] == [(1, 17, 1, 94)]


def test_a_long_script_is_split_a_piece_at_a_time_as_it_is_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Statements end at a `;` outside parentheses: scanned a piece at a time (a long
    script's tokens, whole, took 60 bytes per byte of it), the cuts are the same, comments,
    strings, dollar quotes, non-ASCII text and a `(` left open across pieces included."""
    body = "".join(
        f"-- note {i}; é\nINSERT INTO t VALUES ({i}, 'a;b', $$x;{i}$$);\n"
        f"/* c; */ SELECT (1;\n2);\n" for i in range(200))
    text = body + "CREATE TABLE open (id int;\n" + body
    whole = frontend._split(text)
    monkeypatch.setattr(frontend, "PIECE_CHARS", 512)
    assert frontend._split(text) == whole
    # The open `(` swallows the rest: the last statement runs to the end of the script.
    assert len(whole) == 401 and whole[-1].stop == len(text.rstrip())


def test_an_insert_select_names_the_tables_its_rows_come_from_not_those_a_condition_reads(
) -> None:
    sql = ("INSERT INTO t (id, v) SELECT id, v FROM _bkp_t b JOIN x ON true "
           "WHERE id IN (SELECT id FROM z) UNION SELECT 1, 2 FROM (SELECT * FROM q) s;\n"
           "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c;\n"
           "INSERT INTO t VALUES (1, 'a');\n"
           "CREATE TABLE t2 AS SELECT * FROM app.t;\n")
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql"))
    ops = [st.ops[0] for st in script.statements]
    assert all(isinstance(op, (o.InsertRows, o.CreateTable)) for op in ops)
    assert [op.sources for op in ops if isinstance(op, (o.InsertRows, o.CreateTable))] == [
        (QName("public", "_bkp_t"), QName("public", "x"), QName("public", "q")), (), (),
        (QName("app", "t"),)]


def test_sqlite_date_functions_say_sqlite_even_with_backquoted_names() -> None:
    # Drizzle's SQLite output (openstatus): backquoted names, as MySQL's, and strftime.
    [message] = _errors("CREATE TABLE `incident` (\n\t`id` integer PRIMARY KEY NOT NULL,\n"
                        "\t`updated_at` integer DEFAULT (strftime('%s', 'now'))\n);\n")
    assert message.endswith("(this looks like SQLite: lint it with --dialect sqlite)")
    [message] = _errors("CREATE TABLE `t` (`at` text DEFAULT (datetime('now')));\n")
    assert message.endswith("(this looks like SQLite: lint it with --dialect sqlite)")


def test_backquoted_names_alone_name_both_databases() -> None:
    [message] = _errors("CREATE TABLE `page` (\n\t`id` integer PRIMARY KEY NOT NULL\n);\n")
    assert message.endswith("(backquoted names are MySQL's or SQLite's: lint it with "
                            "--dialect mysql or --dialect sqlite)")

