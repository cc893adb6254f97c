"""sqlx (Rust): a crate's `migrations/` beside a Cargo.toml that depends on sqlx."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.run import run_lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import clean, write

# atuin's crates/atuin-server-postgres/Cargo.toml
CARGO = '[package]\nname = "server"\n\n[dependencies]\nsqlx = { workspace = true, ' \
        'features = ["%s", "tls-native-tls"] }\n'


def _crate(root: Path, database: str = "postgres") -> Path:
    write(root / "Cargo.toml", CARGO % database)
    migrations = root / "migrations"
    write(migrations / "20210425153745_create_history.sql",
          "CREATE TABLE history (id bigserial PRIMARY KEY, data text);\n")
    write(migrations / "20230315224203_create-deleted.sql",
          "ALTER TABLE history ADD COLUMN deleted_at timestamptz;\n"
          "CREATE INDEX history_deleted_index ON history (deleted_at);\n")
    write(migrations / "20240101000000_concurrently.sql",
          "-- no-transaction\nCREATE INDEX CONCURRENTLY history_data ON history (data);\n")
    write(migrations / "20240201000000_users.up.sql", "CREATE TABLE users (id bigint);\n")
    write(migrations / "20240201000000_users.down.sql", "DROP TABLE users;\n")
    return migrations


def test_a_crates_migrations_are_sqlxs_each_in_its_transaction(tmp_path: Path) -> None:
    _crate(tmp_path / "server")
    found = clean(discover(["server"], cwd=tmp_path))
    assert [(m.name, m.layout, m.version, m.up.transaction if m.up else None,
             m.down.path if m.down else None, m.dialect) for m in found.migrations] == [
        ("20210425153745_create_history", "sqlx", "20210425153745", "wrapped", None,
         "postgres"),
        ("20230315224203_create-deleted", "sqlx", "20230315224203", "wrapped", None,
         "postgres"),
        ("20240101000000_concurrently", "sqlx", "20240101000000", "autocommit", None,
         "postgres"),
        ("20240201000000_users", "sqlx", "20240201000000", "wrapped",
         "server/migrations/20240201000000_users.down.sql", "postgres")]


def test_the_database_is_the_one_sqlxs_features_name(tmp_path: Path) -> None:
    _crate(tmp_path / "client", "sqlite")
    write(tmp_path / "other" / "Cargo.toml",
          '[dependencies.sqlx]\nversion = "0.8"\nfeatures = ["mysql", "runtime-tokio"]\n')
    write(tmp_path / "other" / "migrations" / "1_init.sql", "CREATE TABLE t (id int);\n")
    found = clean(discover(["client", "other"], cwd=tmp_path))
    assert {(m.layout, m.dialect) for m in found.migrations} == {
        ("sqlx", "sqlite"), ("sqlx", "mysql")}


def test_a_crate_whose_sqlx_names_no_database_is_the_one_its_code_uses(
        tmp_path: Path) -> None:
    # Atuin's atuin-scripts: `sqlx = { workspace = true }`, its SQLite feature unified from
    # the workspace's other crates; its code opens a `SqlitePool`.
    for crate, code in (("scripts", "use sqlx::sqlite::{SqlitePool, SqliteRow};\n"),
                        ("server", "let pool = PgPoolOptions::new();\nPgPool::connect(url)\n"),
                        ("both", "use sqlx::sqlite::SqlitePool;\nuse sqlx::PgPool;\n"),
                        ("none", "fn main() {}\n")):
        write(tmp_path / crate / "Cargo.toml",
              '[package]\nname = "x"\n\n[dependencies]\nsqlx = { workspace = true }\n')
        write(tmp_path / crate / "src" / "db" / "mod.rs", code)
        write(tmp_path / crate / "migrations" / "1_init.sql", "CREATE TABLE t (id int);\n")
    found = clean(discover(["."], cwd=tmp_path))
    assert {m.up.path.split("/")[0]: (m.layout, m.dialect)
            for m in found.migrations if m.up} == {
        "scripts": ("sqlx", "sqlite"), "server": ("sqlx", "postgres"),
        "both": ("sqlx", "postgres"), "none": ("sqlx", "postgres")}
    # What a run read to know it is what a replay must see unchanged.
    assert str(tmp_path / "scripts" / "src" / "db" / "mod.rs") in found.reads


def test_without_sqlx_in_the_crate_the_files_are_plain_scripts(tmp_path: Path) -> None:
    migrations = _crate(tmp_path / "server")
    (tmp_path / "server" / "Cargo.toml").write_text(
        '[dependencies]\ndiesel = "2"\n# sqlx-like names, not sqlx\n', encoding="utf-8")
    found = clean(discover([str(migrations)], cwd=tmp_path))
    assert {m.layout for m in found.migrations} == {"sql", "golang-migrate"}


def test_sqlxs_transaction_holds_the_lock_and_refuses_concurrently(tmp_path: Path) -> None:
    migrations = _crate(tmp_path / "server")
    write(migrations / "20240301000000_index.sql",
          "CREATE INDEX CONCURRENTLY history_id_data ON history (id, data);\n")
    result = run_lint([str(tmp_path / "server")], Settings(cache=False)).result
    assert result.errors == []
    found = {(f.rule, Path(f.span.path).name, f.span.line) for f in result.findings
             if f.rule in ("lock-held-too-long", "concurrently-in-transaction")}
    assert found == {
        ("lock-held-too-long", "20230315224203_create-deleted.sql", 1),
        ("concurrently-in-transaction", "20240301000000_index.sql", 1)}
    advice = next(f for f in result.findings if f.rule == "concurrently-in-transaction")
    assert "start the file with the line `-- no-transaction`" in advice.message
