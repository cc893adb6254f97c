"""Loading a whole history: one bad or pathological file is that file's error only."""

from __future__ import annotations

from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import FIXTURES

UNREADABLE = FIXTURES / "unreadable"


def load_unreadable():
    return load_migrations(discover([str(UNREADABLE)]).migrations)


def statement_kinds(loaded, name: str) -> list[str]:
    (migration,) = [m for m in loaded.migrations if m.source.name == name]
    assert migration.up is not None
    return [type(st.ops[0]).__name__ for st in migration.up.statements]


def test_every_unreadable_file_is_one_error_and_the_others_are_parsed() -> None:
    loaded = load_unreadable()
    assert sorted(e.path.rsplit("/", 1)[-1] for e in loaded.errors) == [
        "002_unclosed_identifier.sql", "003_unclosed_string.sql", "004_unclosed_dollar.sql",
        "005_unclosed_comment.sql", "006_empty_identifier.sql"]
    assert all(e.line and e.column for e in loaded.errors)
    assert statement_kinds(loaded, "009_drop") == ["DropColumn"]


def test_a_thousand_term_operator_chain_parses() -> None:
    assert statement_kinds(load_unreadable(), "007_long_chain") == ["CreateView"]


def test_functions_nested_four_hundred_deep_parse() -> None:
    assert statement_kinds(load_unreadable(), "008_nested_calls") == ["AddColumn"]


def test_a_chain_past_the_parsers_own_limit_is_that_files_error(tmp_path) -> None:
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "002_deep.sql").write_text(
        "SELECT " + " || ".join(["a"] * 40_000) + ";\n")
    loaded = load_migrations(discover([str(tmp_path)]).migrations)
    (err,) = loaded.errors
    assert err.path.endswith("002_deep.sql") and err.line == 1
    assert statement_kinds(loaded, "001_ok") == ["CreateTable"]
