"""A long script is linted as a stream of statements, with the findings of the whole parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.run import run_lint
from schemagate.model.migration import Script, StatementStream
from schemagate.model.settings import Settings
from schemagate.parse.postgres import frontend
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText
from schemagate.reports.json_report import iter_report
from tests.lint.helpers import held_per_byte


def _statements(n: int, first: int = 0) -> str:
    """n statements on tables created before them and on tables no migration created, of
    the kinds whose rules look at other statements: transaction blocks, timeouts set before,
    suppressions, renames after drops, foreign keys (judged on the schema the history ends
    with), and some that Flyway runs outside a transaction."""
    out = []
    for i in range(first, first + n):
        table = f"t{i - i % 9}"
        out.append([
            f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL, "
            f"parent bigint REFERENCES {table}(id));\n",
            f"-- schemagate: ignore add-column-volatile-default -- reviewed {i}\n"
            f"ALTER TABLE users ADD COLUMN c{i} timestamptz DEFAULT now();\n",
            f"BEGIN;\nALTER TABLE users ALTER COLUMN x{i} SET NOT NULL;\nCOMMIT;\n",
            f"SET lock_timeout = '2s';\nCREATE INDEX ix{i} ON users (c{i - 1});\n",
            f"ALTER TABLE users ADD CONSTRAINT ck{i} CHECK (id > 0) NOT VALID;\n"
            f"ALTER TABLE users VALIDATE CONSTRAINT ck{i};\n",
            f"ALTER TABLE {table} RENAME COLUMN name TO name{i};\n"
            f"ALTER TABLE users DROP COLUMN d{i};\n",
            f"UPDATE users SET c{i - 5} = now();\nDO $$ BEGIN RAISE NOTICE 'x;y'; END $$;\n",
            f"ALTER TABLE orders ADD COLUMN u{i} bigint REFERENCES users(id);\n",
            f"CREATE INDEX CONCURRENTLY cx{i} ON orders (u{i - 1});\n",
        ][i % 9])
    return "".join(out)


def _histories(root: Path) -> Path:
    """A golang-migrate history whose second migration is long (it has a down path), and a
    Flyway one of one long migration (Flyway decides its transaction from its statements)."""
    migrate = root / "app" / "migrations"
    migrate.mkdir(parents=True)
    (migrate / "1_init.up.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint);\n",
        encoding="utf-8")
    (migrate / "1_init.down.sql").write_text("DROP TABLE orders;\nDROP TABLE users;\n",
                                             encoding="utf-8")
    (migrate / "2_long.up.sql").write_text(_statements(270), encoding="utf-8")
    (migrate / "2_long.down.sql").write_text(
        "".join(f"ALTER TABLE users DROP COLUMN c{i};\n" for i in range(0, 270, 9)),
        encoding="utf-8")
    flyway = root / "db" / "migration"
    flyway.mkdir(parents=True)
    (flyway / "V1__long.sql").write_text(_statements(180, 1000), encoding="utf-8")
    return root


def _report(root: Path) -> str:
    run = run_lint([str(root)], Settings(cache=False, jobs=1))
    return "".join(iter_report(run.result, pretty=True))


def test_a_long_script_is_linted_as_a_stream_with_the_findings_of_the_whole_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _histories(tmp_path)
    # Streams from 8 KB, in pieces of 2 KB: the scripts here are 10-20 KB, so they are read
    # as several pieces, two of them kept parsed at a time.
    monkeypatch.setattr(frontend, "PIECE_CHARS", 2 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 8 * 1024)
    streamed = _report(root)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 1 << 40)
    whole = _report(root)
    assert streamed == whole
    assert '"rule": "fk-without-index"' in whole and '"rule": "unknown-object"' in whole \
        and '"rule": "uncommitted-transaction"' not in whole


def test_a_stream_reads_as_the_list_of_the_whole_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "V1__long.sql"
    path.write_text(_statements(500), encoding="utf-8")
    src = SourceText.of(path.name, path.read_text(encoding="utf-8"))
    monkeypatch.setattr(frontend, "PIECE_CHARS", 4 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 16 * 1024)
    streamed = parse_script(src, Script(path.name, "detected"))
    monkeypatch.setattr(frontend, "STREAM_CHARS", 1 << 40)
    whole = parse_script(src, Script(path.name, "detected"))
    assert isinstance(streamed.statements, StatementStream)
    assert isinstance(whole.statements, list) and len(whole.statements) == 834
    assert list(streamed.statements) == whole.statements
    assert list(streamed.statements[100:103]) == whole.statements[100:103]
    assert streamed.statements[-1] == whole.statements[-1]
    assert list(streamed.statements[600:][5:]) == whole.statements[605:]
    # A statement read twice in a row is the same object (rules compare them by identity).
    assert streamed.statements[300] is streamed.statements[300]
    # Flyway runs a migration holding CREATE INDEX CONCURRENTLY with no transaction: decided
    # from all the statements, then every statement knows.
    assert streamed.script.transaction == "autocommit"
    assert (streamed.suppressions, streamed.errors, streamed.empty) == (
        whole.suppressions, whole.errors, whole.empty)


def test_a_long_script_with_syntax_errors_streams_with_the_errors_of_the_whole_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a syntax error a script is read statement by statement (each bad one an error,
    the rest linted); a long one still as a stream, a chunk of statements at a time."""
    path = tmp_path / "V1__long.sql"
    text = _statements(500)
    cut = text.index(";\n", len(text) // 3) + 2
    late = text.index(";\n", 2 * len(text) // 3) + 2
    path.write_text(text[:cut] + "ALTER TABLE users ADD COLUMN;\n" + text[cut:late]
                    + "CREATE TABLE broken id int;\n" + text[late:], encoding="utf-8")
    src = SourceText.of(path.name, path.read_text(encoding="utf-8"))
    monkeypatch.setattr(frontend, "PIECE_CHARS", 4 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 16 * 1024)
    monkeypatch.setattr(frontend, "_EACH_CHUNK", 64)
    streamed = parse_script(src, Script(path.name, "detected"))
    monkeypatch.setattr(frontend, "STREAM_CHARS", 1 << 40)
    whole = parse_script(src, Script(path.name, "detected"))
    assert isinstance(streamed.statements, StatementStream)
    assert len(whole.errors) == 2 and len(whole.statements) == 834
    assert list(streamed.statements) == whole.statements
    assert streamed.script.transaction == "autocommit"  # as a stream without errors
    assert (streamed.suppressions, streamed.errors, streamed.empty) == (
        whole.suppressions, whole.errors, whole.empty)


@pytest.mark.slow  # lints scripts of 90 KB and 370 KB, traced: about 10 s
def test_a_long_script_holds_a_small_multiple_of_its_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the lint of one long script holds at most grows by a few bytes per byte of the
    script: its text, and the schema it builds, never its whole parse (about 30 bytes per
    byte). Measured as the peak's growth from n statements to 4n, so that the imports and
    the pieces kept parsed (fixed) do not count."""
    monkeypatch.setattr(frontend, "PIECE_CHARS", 16 * 1024)
    monkeypatch.setattr(frontend, "STREAM_CHARS", 64 * 1024)
    settings = Settings(cache=False, jobs=1)
    per_byte, measured = held_per_byte(tmp_path, lambda p: run_lint([str(p)], settings))
    # 10.0 measured; 34.8 with the whole parse held (no stream).
    assert per_byte < 12, (measured, per_byte)
