"""Template placeholders: which text is one, how `--var` fills it, and spans after filling."""

from __future__ import annotations

from schemagate.model.migration import Script
from schemagate.parse.placeholders import find_placeholders
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText, read_source, with_placeholders
from tests.conftest import FIXTURES

TEMPLATES = FIXTURES / "templates"


def names(text: str) -> list[tuple[str, str]]:
    return [(p.text, p.name) for p in find_placeholders(text)]


def parse_text(text: str, variables: dict[str, str], fill_all: bool = False):
    source = with_placeholders(SourceText.of("m.sql", text), variables, fill_all)
    return parse_script(source, Script("m.sql", "autocommit"))  # type: ignore[arg-type]


def test_go_template_placeholders_are_named_by_their_field_or_index_key() -> None:
    assert names('CREATE TABLE {{ index .Options "Namespace" }}.a ();\n{{.Schema}}') == [
        ('{{ index .Options "Namespace" }}', "Namespace"), ("{{.Schema}}", "Schema")]


def test_flyway_and_psql_variables_are_placeholders() -> None:
    assert names("SET search_path TO ${schema}, :\"fallback\"; SELECT :'greeting', :n;") == [
        ("${schema}", "schema"), (':"fallback"', "fallback"), (":'greeting'", "greeting"),
        (":n", "n")]


def test_casts_assignments_slices_strings_and_comments_are_not_psql_variables() -> None:
    text = ("SELECT x::int, (ARRAY[1, 2])[1:n], 'a:b', E'\\':c', \"q:d\" -- :e\n"
            "/* :f /* :g */ :h */; DO $$ BEGIN y := :i; END $$; DO $b$ :j $b$")
    assert names(text) == []


def test_a_var_fills_an_index_placeholder_by_its_key_or_its_full_name() -> None:
    text = 'DROP TABLE {{ index .Options "Namespace" }}.a;'
    for variables in ({"Namespace": "app"}, {"Options.Namespace": "app"}, {"namespace": "app"}):
        (statement,) = parse_text(text, variables).statements
        assert str(statement.ops[0].tables[0]) == "app.a"  # type: ignore[attr-defined]


def test_psql_quoted_variables_are_filled_as_a_literal_and_an_identifier() -> None:
    script = parse_text("ALTER TABLE :\"tab\" ADD COLUMN c text DEFAULT :'val';",
                        {"tab": "Odd Name", "val": "it's"})
    (op,) = script.statements[0].ops
    assert op.table.name == "Odd Name"  # type: ignore[attr-defined]
    assert op.column.default.sql == "'it''s'"  # type: ignore[attr-defined]


def test_spans_after_filling_point_into_the_file_as_written() -> None:
    line = "DROP TABLE {{ .Schema }}.a; DROP TABLE {{ .Schema }}.b;"
    script = parse_text(f"-- first\n{line}\n", {"Schema": "a_much_longer_schema_name"})
    spans = [(st.ops[0].span.line, st.ops[0].span.column, st.ops[0].span.end_column)
             for st in script.statements]
    assert spans == [(2, 1, 26), (2, 29, 54)]


def test_a_syntax_error_after_a_filled_placeholder_has_the_files_column() -> None:
    script = parse_text("SELECT {{ .A }}, {{ .B }} x y;", {"A": "aaaaaaaaaaaa"})
    (err,) = script.errors
    assert err.column == 18
    assert "{{ .B }}" in err.message and "--var B=VALUE" in err.message


def test_fill_all_fills_every_placeholder_with_a_name_that_is_not_reserved() -> None:
    source = with_placeholders(SourceText.of("m.sql", "DROP TABLE ${user}.{{ .Table }};"),
                               {}, fill_all=True)
    assert source.text == "DROP TABLE user_.table_;"
    assert [(p.text, value) for p, value in source.defaulted] == [
        ("${user}", "user_"), ("{{ .Table }}", "table_")]


def test_python_files_get_no_made_up_fillers() -> None:
    source = SourceText.of("versions/a.py", 'op.execute(f"SELECT {{x}} :y")')
    assert with_placeholders(source, {}, fill_all=True) is source


def test_a_go_templated_file_parses_once_its_placeholders_are_given() -> None:
    source = read_source(TEMPLATES / "20230303000000_drop_nick.up.sql", "drop.sql",
                         {"Namespace": "app", "Schema": "app"})
    assert isinstance(source, SourceText)
    script = parse_script(source, Script("drop.sql", "autocommit"))  # type: ignore[arg-type]
    assert script.errors == []
    assert [st.ops[0].span.column for st in script.statements] == [1, 75]
