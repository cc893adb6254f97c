"""Suppression comments: next statement, same line, whole file, aliases, reasons, unused."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.engine import LintResult, lint
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import FOCUSED, lint_sql, rules_of


def test_ignore_applies_to_the_next_statement_only(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- schemagate: ignore drop-table\nDROP TABLE a;\nDROP TABLE b;\n")
    assert rules_of(result) == [(3, "drop-table")]
    suppressed = [f for f in result.findings if f.suppressed_by]
    assert [(f.span.line, f.rule) for f in suppressed] == [(2, "drop-table")]


def test_trailing_comment_applies_to_its_own_statement(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "DROP TABLE a; -- schemagate: ignore drop-table\nDROP TABLE b;\n")
    assert rules_of(result) == [(2, "drop-table")]


def test_reason_is_kept(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- schemagate: ignore drop-column -- unused since v2.3\n"
                                "ALTER TABLE u DROP COLUMN c;\n")
    (f,) = result.findings
    assert f.suppressed_by is not None and f.suppressed_by.reason == "unused since v2.3"


def test_ignore_file_and_several_rules(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- schemagate: ignore-file drop-column, rename-column\n"
                                "ALTER TABLE u DROP COLUMN c;\n"
                                "ALTER TABLE u RENAME COLUMN d TO e;\n"
                                "DROP TABLE x;\n")
    assert rules_of(result) == [(4, "drop-table")]


def test_squawk_comments_and_aliases_are_honoured(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- squawk-ignore ban-drop-column\nALTER TABLE u DROP COLUMN c;\n"
                                "-- squawk-ignore-file require-concurrent-index-creation\n"
                                "CREATE INDEX i ON u (a);\n")
    assert rules_of(result) == []


def test_family_names_suppress_the_family(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- schemagate: ignore destructive\nDROP TABLE x CASCADE;\n")
    assert rules_of(result) == []


def test_unused_and_unknown_suppressions_are_reported(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- schemagate: ignore drop-table\nSELECT 1;\n"
                                "-- schemagate: ignore no-such-rule\nSELECT 2;\n")
    assert rules_of(result) == [(1, "unused-suppression"), (3, "unused-suppression")]
    assert "no-such-rule" in result.active[1].message


def test_atlas_nolint_comments_are_honoured(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- atlas:nolint DS103 MF103\nALTER TABLE u DROP COLUMN c;\n"
                                "-- atlas:nolint\nDROP TABLE x;\nDROP TABLE y;\n")
    assert rules_of(result) == [(5, "drop-table")]


def test_a_diesel_guard_safety_assured_block_silences_every_rule_inside_it(
        tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "DROP TABLE before;\n"
                                "-- safety-assured:start\n"
                                "-- Safe because: nothing reads these any more\n"
                                "ALTER TABLE u DROP COLUMN c;\n"
                                "CREATE INDEX i ON u (a);\n"
                                "  --SAFETY-ASSURED:END  \n"
                                "DROP TABLE after;\n")
    assert rules_of(result) == [(1, "drop-table"), (7, "drop-table")]
    suppressed = [(f.span.line, f.rule, f.suppressed_by.tool) for f in result.findings
                  if f.suppressed_by is not None]
    assert suppressed == [(4, "drop-column", "diesel-guard"),
                          (5, "create-index-non-concurrently", "diesel-guard")]


def test_an_unclosed_or_unmatched_safety_assured_marker_silences_nothing(
        tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "-- safety-assured:end\nDROP TABLE a;\n"
                                "-- safety-assured:start\nDROP TABLE b;\n"
                                "-- safety-assured:start extra text\n")
    assert rules_of(result) == [(2, "drop-table"), (4, "drop-table")]


def _lint_folder(tmp_path: Path, files: dict[str, str]) -> LintResult:
    """The files of one migration folder, discovered and linted as the command line does."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    found = discover([str(folder)], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    assert not found.errors and not loaded.errors
    return lint(loaded.migrations, FOCUSED)


_RETYPE = ("ALTER TABLE t ALTER COLUMN c TYPE bytea USING c::bytea;\n", "{up}",
           "ALTER TABLE t ALTER COLUMN c TYPE text USING encode(c, 'escape');\n", "{down}")
_CREATE = "CREATE TABLE t (c text);\n"


@pytest.mark.parametrize(("name", "up", "down"), [
    ("1736807673.sql", "-- +migrate Up", "-- +migrate Down"),
    ("00002_retype.sql", "-- +goose Up", "-- +goose Down"),
    ("20240101000002_retype.sql", "-- migrate:up", "-- migrate:down"),
])
@pytest.mark.parametrize("comment", ["-- squawk-ignore-file changing-column-type",
                                     "-- schemagate: ignore-file column-type-rewrite"])
def test_a_file_level_suppression_above_the_markers_covers_both_directions(
        tmp_path: Path, name: str, up: str, down: str, comment: str) -> None:
    first = name.replace("2", "1", 1).replace("retype", "create")
    result = _lint_folder(tmp_path, {
        first: f"{up}\n{_CREATE}{down}\nDROP TABLE t;\n",
        name: f"{comment}\n{up}\n{_RETYPE[0]}{down}\n{_RETYPE[2]}"})
    assert [r for _, r in rules_of(result) if r == "column-type-rewrite"] == []
    assert sorted(f.span.line for f in result.findings
                  if f.rule == "column-type-rewrite" and f.suppressed_by) == [3, 5]


def test_a_file_level_suppression_in_the_up_section_covers_the_down_and_is_used(
        tmp_path: Path) -> None:
    result = _lint_folder(tmp_path, {
        "1.sql": f"-- +migrate Up\n{_CREATE}-- +migrate Down\nDROP TABLE t;\n",
        "2.sql": "-- +migrate Up\n-- schemagate: ignore-file column-type-rewrite\n"
                 "ALTER TABLE t ADD COLUMN d int;\n"
                 f"-- +migrate Down\n{_RETYPE[0]}"})
    assert [r for _, r in rules_of(result)
            if r in ("column-type-rewrite", "unused-suppression")] == []
    assert [(f.span.line, f.rule) for f in result.findings if f.suppressed_by] == [
        (5, "column-type-rewrite")]


def test_a_file_level_suppression_covers_every_changeset_of_a_liquibase_file(
        tmp_path: Path) -> None:
    result = _lint_folder(tmp_path, {"changes.sql": (
        "--liquibase formatted sql\n"
        "-- schemagate: ignore-file column-type-rewrite\n"
        f"--changeset a:1\n{_CREATE}--rollback DROP TABLE t;\n"
        "--changeset a:2\nALTER TABLE t ALTER COLUMN c TYPE bytea USING c::bytea;\n"
        "--rollback ALTER TABLE t ALTER COLUMN c TYPE text USING encode(c, 'escape');\n")})
    assert [r for _, r in rules_of(result) if r == "column-type-rewrite"] == []
    assert sorted(f.span.line for f in result.findings
                  if f.rule == "column-type-rewrite" and f.suppressed_by) == [7, 8]


def test_a_file_level_suppression_above_the_markers_that_matches_nothing_is_reported_once(
        tmp_path: Path) -> None:
    result = _lint_folder(tmp_path, {
        "1.sql": f"-- +migrate Up\n{_CREATE}-- +migrate Down\nDROP TABLE t;\n",
        "2.sql": "-- schemagate: ignore-file drop-table\n-- +migrate Up\n"
                 "ALTER TABLE t ADD COLUMN d int;\n-- +migrate Down\n"
                 "ALTER TABLE t DROP COLUMN d;\n"})
    assert [(f.span.path.rsplit("/", 1)[-1], f.span.line) for f in result.active
            if f.rule == "unused-suppression"] == [("2.sql", 1)]
