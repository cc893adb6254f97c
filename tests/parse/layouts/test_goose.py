"""goose's layout: `-- +goose Up` / `-- +goose Down` sections of one file."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.run import run_lint
from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.parse.layouts.helpers import LAYOUTS, clean, write


def test_goose_sections_come_from_one_file_and_no_transaction_covers_both() -> None:
    found = clean(discover(["goose"], cwd=LAYOUTS))
    d = "goose/migrations"

    def both(name: str, mode: TransactionMode) -> MigrationSource:
        path = f"{d}/{name}.sql"
        return MigrationSource(name=name, layout="goose", up=Script(path, mode, "up"),
                               down=Script(path, mode, "down"), version=name.split("_")[0])

    assert found.migrations == [
        both("00001_create_users", "wrapped"),
        both("00002_users_email_index", "autocommit"),
        both("00003_add_plan", "wrapped"),  # `-- +goose up`: goose reads any case
        both("00004_plan_index", "wrapped"),
    ]


def test_goose_sections_are_linted_apart_where_goose_runs_them() -> None:
    result = run_lint([str(LAYOUTS / "goose")], Settings(cache=False, jobs=1)).result
    assert not result.errors
    seen = {(f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line) for f in result.findings}
    # NO TRANSACTION: the concurrent build runs outside a transaction, as it must.
    assert not any(rule == "concurrently-in-transaction" for rule, _, _ in seen)
    assert ("create-index-non-concurrently", "00004_plan_index.sql", 2) in seen
    # An empty down section is pointed at by its marker.
    assert ("missing-down", "00004_plan_index.sql", 4) in seen
    # The downs' drops are the downs' own: the later ups still find the table.
    assert not any(rule == "unknown-object" for rule, _, _ in seen)


def test_goose_without_no_transaction_runs_a_concurrent_build_in_one(tmp_path: Path) -> None:
    write(tmp_path / "00001_users.sql", "-- +goose Up\nCREATE TABLE users (id bigint);\n"
          "-- +goose Down\nDROP TABLE users;\n")
    write(tmp_path / "00002_index.sql", "-- +goose Up\n"
          "CREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n")
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    [hit] = [f for f in result.findings if f.rule == "concurrently-in-transaction"]
    assert (hit.span.line, hit.span.column) == (2, 1)
    assert "-- +goose NO TRANSACTION" in hit.help or "-- +goose NO TRANSACTION" in hit.message


def test_a_mysql_goose_history_reads_each_section_alone(tmp_path: Path) -> None:
    """Shaped like gophish's db/db_mysql: every table is dropped in the first file's down
    section, and later ups use them."""
    write(tmp_path / "20160118194630_init.sql",
          "\n-- +goose Up\nCREATE TABLE IF NOT EXISTS `users` (id integer primary key "
          "auto_increment, username varchar(255) NOT NULL UNIQUE);\n\n"
          "-- +goose Down\nDROP TABLE `users`;\n")
    write(tmp_path / "20160131153104_add_details.sql",
          "\n-- +goose Up\nALTER TABLE `users` ADD COLUMN details BLOB;\n\n-- +goose Down\n")
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1, dialect="mysql")).result
    assert not [f for f in result.findings if f.rule == "unknown-object"]
    assert result.statements == 3


def test_goose_go_migrations_are_named_as_not_read(tmp_path: Path) -> None:
    write(tmp_path / "00001_users.sql", "-- +goose Up\nCREATE TABLE users (id bigint);\n")
    write(tmp_path / "00002_backfill.go", "package migrations\n")
    write(tmp_path / "helpers.go", "package migrations\n")  # not a migration: no version
    found = discover(["."], cwd=tmp_path)
    assert [m.name for m in found.migrations] == ["00001_users"]
    notes = [(n.path, n.message) for n in found.notices]
    assert notes == [("00002_backfill.go", "1 goose Go migration not read (00002_backfill.go): "
                      "the checks of the migrations after them do not know what they change")]


def test_a_goose_file_longer_than_the_head_read_keeps_its_down(tmp_path: Path) -> None:
    rows = "".join(f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(5000))
    write(tmp_path / "00001_seed.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
          "CREATE TABLE t (a int, b text);\n" + rows + "-- +goose Down\nDROP TABLE t;\n")
    write(tmp_path / "00002_plain.sql", "SELECT 1;\n" + rows)  # a long script, no marker
    assert (tmp_path / "00001_seed.sql").stat().st_size > 64 * 1024
    found = discover(["."], cwd=tmp_path)
    seed = found.migrations[0]
    assert (seed.layout, seed.up, seed.down) == (
        "goose", Script("00001_seed.sql", "autocommit", "up"),
        Script("00001_seed.sql", "autocommit", "down"))
    assert [m.layout for m in found.migrations] == ["goose", "sql"]


_PAYLOAD = ("-- +goose Up\nCREATE TABLE v1_payload (id bigint, external_id uuid);\n"
            "-- +goose Down\nDROP TABLE v1_payload;\n")


def test_a_statement_block_of_a_no_transaction_file_runs_as_one_transaction(
        tmp_path: Path) -> None:
    """Shaped like hatchet's v1_0_108: goose sends the block as one query, which PostgreSQL
    runs as one implicit transaction, so the constraint's lock is held through the
    backfill."""
    write(tmp_path / "00001_payload.sql", _PAYLOAD)
    write(tmp_path / "00002_backfill.sql",
          "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n"
          "ALTER TABLE v1_payload\n"
          "  ADD CONSTRAINT ext_not_null CHECK (external_id IS NOT NULL) NOT VALID;\n\n"
          "DO $$ BEGIN UPDATE v1_payload SET external_id = gen_random_uuid(); END $$;\n"
          "-- +goose StatementEnd\n"
          "CREATE INDEX CONCURRENTLY payload_id_idx ON v1_payload (id);\n"
          "SELECT 1;\n")
    loaded = load_migrations(discover([str(tmp_path)]).migrations)
    up = loaded.migrations[1].up
    blocks = [st.block for st in up.statements]
    assert blocks[0] is not None and blocks[0] == blocks[1]
    assert blocks[2:] == [None, None]  # outside the block: each statement on its own
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    assert ("lock-held-too-long", 5) in {
        (f.rule, f.span.line) for f in result.active if f.span.path.endswith("02_backfill.sql")}
    assert not any(f.rule == "concurrently-in-transaction" for f in result.findings)


def test_a_concurrent_build_in_a_statement_block_runs_in_a_transaction(tmp_path: Path) -> None:
    write(tmp_path / "00001_payload.sql", _PAYLOAD)
    write(tmp_path / "00002_index.sql",
          "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n"
          "SET lock_timeout = '2s';\n"
          "CREATE INDEX CONCURRENTLY payload_id_idx ON v1_payload (id);\n"
          "-- +goose StatementEnd\n")
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    [hit] = [f for f in result.findings if f.rule == "concurrently-in-transaction"]
    assert hit.span.line == 5 and "out of the block" in hit.message


def test_a_statement_block_of_one_statement_is_no_transaction(tmp_path: Path) -> None:
    write(tmp_path / "00001_payload.sql", _PAYLOAD)
    write(tmp_path / "00002_index.sql",
          "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n"
          "CREATE INDEX CONCURRENTLY payload_id_idx ON v1_payload (id);\n"
          "-- +goose StatementEnd\n")
    result = run_lint([str(tmp_path)], Settings(cache=False, jobs=1)).result
    assert not any(f.rule == "concurrently-in-transaction" for f in result.findings)
