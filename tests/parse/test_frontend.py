"""Which frontend reads a script: pglast for PostgreSQL, sqlglot for the other dialects."""

from __future__ import annotations

from schemagate.model.migration import Script
from schemagate.parse.frontend import script_frontend
from schemagate.parse.source import SourceText

# Backquoted names are MySQL's: PostgreSQL's grammar has no backquote.
MYSQL_ONLY = "CREATE TABLE `users` (`id` int);\n"


def test_a_mysql_script_is_read_by_a_frontend_that_knows_backquotes() -> None:
    script = script_frontend("mysql")(SourceText.of("m.sql", MYSQL_ONLY), Script("m.sql"), "mysql")
    assert script.errors == []
    assert [type(op).__name__ for s in script.statements for op in s.ops] == ["CreateTable"]


def test_a_postgres_script_is_read_by_postgres_grammar_and_a_syntax_error_is_data() -> None:
    parse = script_frontend("postgres")
    script = parse(SourceText.of("m.sql", MYSQL_ONLY), Script("m.sql"), "postgres")
    assert [(e.path, e.line) for e in script.errors] == [("m.sql", 1)]
