"""MySQL/MariaDB and SQLite through sqlglot: the same IR, statements on their lines, and the
rules that are not PostgreSQL's own working on them. The fixture projects are proven valid
by running them: SQLite through Python's sqlite3, MySQL on the MariaDB server when one is
reachable."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from schemagate.lint import engine
from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.findings import Severity
from schemagate.model.migration import MigrationSource, ParsedScript, Script
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.parse.source import SourceText
from schemagate.parse.sqlglot.frontend import parse_dialect_script, split_statements
from schemagate.rules.registry import Hit, Rule
from tests.conftest import FIXTURES

MYSQL = FIXTURES / "mysql"
SQLITE = FIXTURES / "sqlite"


def parse(sql: str, dialect: str = "mysql") -> ParsedScript:
    return parse_dialect_script(SourceText.of("m.sql", sql), Script("m.sql"), dialect)


def kinds(script: ParsedScript) -> list[list[str]]:
    return [[op.kind for op in st.ops] for st in script.statements]


def line_of(path: Path, snippet: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if snippet in text)


def test_statements_are_split_by_the_tokenizer() -> None:
    sql = ("-- a comment; not a statement\nCREATE TABLE a (x int);  /* ; */\n"
           "INSERT INTO a VALUES ('x;y');\n\n  DROP TABLE a")
    pieces = [sql[p.start:p.end] for p in split_statements(sql, "mysql")]
    assert pieces == ["CREATE TABLE a (x int)", "INSERT INTO a VALUES ('x;y')", "DROP TABLE a"]
    script = parse(sql)
    assert [st.ops[0].span.line for st in script.statements] == [2, 3, 5]
    assert script.statements[2].ops[0].span.column == 3


def test_mysql_delimiter_blocks() -> None:
    path = MYSQL / "plain" / "001_routines.sql"
    script = parse(path.read_text())
    assert kinds(script) == [["CreateTable"], ["CreateFunction"], ["SetSetting"],
                             ["RenameColumn"], ["DropTable"]]
    routine = script.statements[1].ops[0]
    assert isinstance(routine, o.CreateFunction) and routine.procedure
    assert routine.span.line == line_of(path, "CREATE PROCEDURE")
    assert script.statements[1].sql.endswith("END")


def test_mysql_prisma_project_into_the_ir() -> None:
    found = discover([MYSQL / "prisma"], cwd=MYSQL)
    assert {m.dialect for m in found.migrations} == {"mysql"}  # from migration_lock.toml
    loaded = load_migrations(found.migrations, root=MYSQL)
    assert loaded.errors == []
    init, orders, cleanup = (m.up for m in loaded.migrations)
    assert init is not None and orders is not None and cleanup is not None
    assert kinds(init) == [["CreateTable"], ["CreateTable", "CreateIndex"], ["AddConstraint"]]
    users = init.statements[0].ops[0]
    # MySQL has no `public`: an unqualified name is in the current database.
    assert isinstance(users, o.CreateTable) and users.table == QName("", "users")
    columns = {c.name: c for c in users.columns}
    assert columns["id"].identity and columns["id"].not_null
    assert str(columns["email"].type) == "varchar(191)"
    assert str(columns["role"].type) == "mysql.enum"  # no PostgreSQL counterpart: not modelled
    assert columns["created_at"].default is not None
    assert {(c.kind, c.columns) for c in users.constraints} == {
        ("unique", ("email",)), ("primary", ("id",))}
    # InnoDB indexes a foreign key no other index leads with, under the constraint's name.
    assert kinds(orders) == [["AddColumn", "AlterColumnType", "SetNotNull"],
                             ["CreateTable", "CreateIndex"], ["CreateView"]]
    fk_index = orders.statements[1].ops[1]
    assert isinstance(fk_index, o.CreateIndex)
    assert (fk_index.name, fk_index.columns) == (QName("", "orders_user_id_fkey"), ("user_id",))
    assert kinds(cleanup) == [
        ["DropConstraint"], ["AlterColumnType", "SetNotNull", "RenameColumn"], ["DropColumn"],
        ["DropColumn"], ["RenameTable"], ["DeleteRows"], ["Truncate"], ["DropTable"]]
    change = cleanup.statements[1].ops[0]
    assert isinstance(change, o.AlterColumnType) and str(change.new_type) == "numeric(8,2)"


def test_dialect_independent_rules_fire_on_mysql() -> None:
    found = discover([MYSQL / "prisma"], cwd=MYSQL)
    loaded = load_migrations(found.migrations, root=MYSQL)
    result = lint(loaded.migrations, Settings(select=("destructive", "history", "compat")))
    path = MYSQL / "prisma/migrations/20240103000000_cleanup/migration.sql"
    got = {(f.rule, f.span.line) for f in result.active}
    assert got >= {
        ("lossy-type-change", line_of(path, "CHANGE COLUMN")),
        ("drop-column", line_of(path, "DROP COLUMN `nickname`")),
        ("drop-referenced-object", line_of(path, "DROP COLUMN `name`")),
        ("rename-table", line_of(path, "RENAME TABLE")),
        ("delete-all-rows", line_of(path, "DELETE FROM")),
        ("truncate", line_of(path, "TRUNCATE")),
        ("drop-table", line_of(path, "DROP TABLE `orders`")),
    }
    assert not any(f.rule == "unknown-object" for f in result.active)


def test_sqlite_table_rebuild_is_modelled() -> None:
    found = discover([SQLITE], cwd=SQLITE)
    sources = [replace(s, dialect="sqlite") for s in found.migrations]
    loaded = load_migrations(sources, root=SQLITE)
    assert loaded.errors == []
    rebuild = loaded.migrations[1].up
    assert rebuild is not None
    assert kinds(rebuild) == [["SetSetting"], ["CreateTable"], ["InsertRows"], ["DropTable"],
                              ["RenameTable"], ["SetSetting"], ["AddColumn"], ["RenameColumn"],
                              ["DropColumn"]]
    result = lint(loaded.migrations, Settings(select=("history",)))
    assert result.active == []  # every object it uses exists at that point


def test_a_statement_sqlglot_cannot_read_is_kept_and_says_so() -> None:
    script = parse("ALTER TABLE t ADD COLUMN (a int, b int);\nLOCK TABLES t WRITE;\n"
                   "CREATE TABLE t2 (a int")
    assert [op.kind for st in script.statements for op in st.ops] == ["RawSQL"] * 3
    raws = [st.ops[0] for st in script.statements]
    assert isinstance(raws[0], o.RawSQL) and raws[0].statement_kind == "Command/ALTER"
    assert isinstance(raws[2], o.RawSQL) and raws[2].statement_kind == "Unparsed"
    assert "sqlglot could not read it" in raws[2].reason
    assert script.errors == []


def test_an_alter_table_action_sqlite_does_not_have_is_not_modelled_as_done() -> None:
    # Atuin's down.sql: sqlglot reads MySQL's `DROP INDEX` action in SQLite too; SQLite
    # refuses it, so the index is not dropped and the statement says why.
    sql = ("ALTER TABLE scripts DROP INDEX name_uniq_idx;\n"
           "ALTER TABLE scripts ADD CONSTRAINT u UNIQUE (name);\n"
           "ALTER TABLE scripts ADD COLUMN a text;\nALTER TABLE scripts DROP COLUMN a;\n"
           "ALTER TABLE scripts RENAME COLUMN b TO c;\nALTER TABLE scripts RENAME TO s;\n")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE scripts (name text, b text)")
    db.execute("CREATE UNIQUE INDEX name_uniq_idx ON scripts (name)")
    ran = []
    for statement in sql.splitlines():
        try:
            db.execute(statement)
            ran.append(True)
        except sqlite3.OperationalError:
            ran.append(False)
    assert ran == [False, False, True, True, True, True]
    script = parse(sql, "sqlite")
    assert kinds(script) == [["RawSQL"], ["RawSQL"], ["AddColumn"], ["DropColumn"],
                             ["RenameColumn"], ["RenameTable"]]
    refused = [st.ops[0] for st in script.statements[:2]]
    assert [op.reason.split(":")[0] for op in refused if isinstance(op, o.RawSQL)] == [
        "SQLite's ALTER TABLE has no DROP INDEX", "SQLite's ALTER TABLE has no ADD CONSTRAINT"]
    assert [op.site.column for op in refused] == [21, 21]
    # MySQL has them.
    assert kinds(parse(sql, "mysql"))[:2] == [["DropIndex"], ["AddConstraint"]]


def test_rules_declared_for_postgres_only_skip_other_dialects(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def always(op: o.Operation, ctx: object) -> Iterator[Hit]:
        yield Hit("PostgreSQL only")

    pg_only = Rule("pg-only", "locking", Severity.WARNING, always, (o.DropTable,),
                   dialects=("postgres",))
    monkeypatch.setattr(engine, "enabled_rules", lambda settings: [pg_only])
    for dialect, fired in (("postgres", True), ("mysql", False), ("sqlite", False)):
        source = MigrationSource("m", "sql", Script("m.sql"), dialect=dialect)
        script = parse("DROP TABLE t", dialect) if dialect != "postgres" else None
        if script is None:
            from schemagate.parse.postgres.frontend import parse_script

            script = parse_script(SourceText.of("m.sql", "DROP TABLE t"), Script("m.sql"))
        from schemagate.model.migration import ParsedMigration

        result = lint([ParsedMigration(source, script, None)], Settings())
        assert bool(result.findings) is fired, dialect


# -- the fixtures are valid SQL for their database -------------------------------------------

def test_sqlite_fixtures_run_on_sqlite() -> None:
    db = sqlite3.connect(":memory:")
    for up in sorted(SQLITE.rglob("*.up.sql")):
        db.executescript(up.read_text())
    for down in sorted(SQLITE.rglob("*.down.sql"), reverse=True):
        db.executescript(down.read_text())
    db.close()


def _mysql(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    client = shutil.which("mariadb") or shutil.which("mysql")
    assert client is not None
    return subprocess.run([client, "-h", "127.0.0.1", "-P", "3306", "-u", "root",
                           "--batch", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture
def mariadb() -> Iterator[str]:
    if shutil.which("mariadb") is None and shutil.which("mysql") is None:
        pytest.skip("no mariadb/mysql client installed")
    probe = _mysql("-e", "SELECT 1")
    if probe.returncode != 0:
        pytest.skip(f"no MariaDB at 127.0.0.1:3306: {probe.stderr.strip()}")
    name = f"schemagate_{uuid.uuid4().hex[:8]}"
    _mysql("-e", f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        _mysql("-e", f"DROP DATABASE IF EXISTS {name}")


def test_mysql_fixtures_run_on_mariadb(mariadb: str) -> None:
    for path in sorted(MYSQL.rglob("*.sql")):
        done = _mysql(mariadb, stdin=path.read_text())
        assert done.returncode == 0, f"{path}: {done.stderr}"


def test_routine_and_trigger_bodies_keep_their_semicolons() -> None:
    mysql = parse("CREATE PROCEDURE p(IN t VARCHAR(64))\nBEGIN\n  IF t = 'a' THEN\n"
                  "    SELECT CASE WHEN 1 THEN 2 END;\n    SET @q = 1;\n  END IF;\nEND;\n"
                  "DROP PROCEDURE p;")
    assert kinds(mysql) == [["CreateFunction"], ["DropFunction"]]
    sqlite = parse("CREATE TRIGGER t_touch AFTER UPDATE ON t\nBEGIN\n"
                   "  UPDATE t SET n = n + 1 WHERE id = NEW.id;\n  SELECT 1;\nEND;\n"
                   "CREATE INDEX ix ON t (n);", "sqlite")
    assert kinds(sqlite) == [["CreateTrigger"], ["CreateIndex"]]
    assert [st.ops[0].span.line for st in sqlite.statements] == [1, 6]


def _clause_text(text: str, span: Span | None) -> str | None:
    if span is None:
        return None
    lines = text.splitlines()
    assert span.line == span.end_line
    return lines[span.line - 1][span.column - 1:span.end_column]


CLAUSES = ("CREATE TABLE `größe` (\n  id int AUTO_INCREMENT PRIMARY KEY,\n  payload json,\n"
           "  CONSTRAINT fk FOREIGN KEY (id) REFERENCES users (id)\n);\n"
           "ALTER TABLE users\n  ADD COLUMN plan text NOT NULL,\n  DROP COLUMN legacy;\n")


def test_mysql_alter_table_actions_are_spanned_exactly() -> None:
    parsed = parse_dialect_script(SourceText.of("m.sql", CLAUSES), Script("m.sql"), "mysql")
    ops = parsed.statements[1].ops
    assert [_clause_text(CLAUSES, op.clause) for op in ops] == [
        "ADD COLUMN plan text NOT NULL", "DROP COLUMN legacy"]


def test_mysql_create_table_columns_and_constraints_are_spanned_past_non_ascii() -> None:
    parsed = parse_dialect_script(SourceText.of("m.sql", CLAUSES), Script("m.sql"), "mysql")
    (table,) = parsed.statements[0].ops
    assert isinstance(table, o.CreateTable)
    assert [_clause_text(CLAUSES, c.span) for c in table.columns] == [
        "id int AUTO_INCREMENT PRIMARY KEY", "payload json"]
    fk = next(c for c in table.constraints if c.kind == "foreign")
    assert _clause_text(CLAUSES, fk.span) == (
        "CONSTRAINT fk FOREIGN KEY (id) REFERENCES users (id)")


def test_mysql_names_unnamed_unique_and_foreign_key_indexes_as_innodb_does(
        tmp_path: Path) -> None:
    # Shaped like Flipt's MySQL history: `DROP INDEX \`key\`` drops the index of an inline
    # UNIQUE, `DROP INDEX segment_key` the one InnoDB made for a foreign key.
    (tmp_path / "1_init.up.sql").write_text(
        "CREATE TABLE flags (`key` VARCHAR(255) UNIQUE NOT NULL, PRIMARY KEY (`key`));\n"
        "CREATE TABLE rules (id VARCHAR(255) NOT NULL, segment_key VARCHAR(255) NOT NULL,\n"
        "  flag_key VARCHAR(255) NOT NULL, PRIMARY KEY (id), UNIQUE (flag_key, id),\n"
        "  FOREIGN KEY (flag_key) REFERENCES flags (`key`),\n"
        "  FOREIGN KEY (segment_key) REFERENCES flags (`key`));\n")
    (tmp_path / "2_reindex.up.sql").write_text(
        "ALTER TABLE flags DROP INDEX `key`, ADD INDEX `key` (`key`) USING BTREE;\n"
        "ALTER TABLE rules DROP INDEX `segment_key`;\n")
    found = discover([tmp_path], cwd=tmp_path, dialect="mysql")
    sources = [replace(m, dialect="mysql") for m in found.migrations]  # as `--dialect mysql`
    loaded = load_migrations(sources, root=tmp_path)
    assert loaded.errors == []
    result = lint(loaded.migrations, Settings(select=("history",)))
    assert [f.message for f in result.active if f.rule == "unknown-object"] == []
    rules = loaded.migrations[0].up.statements[1].ops
    # flag_key leads the UNIQUE index: no index of InnoDB's own for its foreign key.
    assert [(op.name, op.columns) for op in rules if isinstance(op, o.CreateIndex)] == [
        (QName("", "segment_key"), ("segment_key",))]


def test_mysql_index_names_are_their_tables_own_and_sqlite_ones_the_databases() -> None:
    sql = ("CREATE TABLE t (id int PRIMARY KEY, email varchar(9) UNIQUE, KEY k (id));\n"
           "CREATE INDEX i ON t (email);\nDROP INDEX i ON t;\nALTER TABLE t DROP INDEX k;")
    (table, key), (index,), (drop,), (alter,) = (st.ops for st in parse(sql).statements)
    assert isinstance(table, o.CreateTable) and isinstance(key, o.CreateIndex)
    assert [c.index_per_table for c in table.constraints] == [True, True]
    assert (key.per_table, index.per_table) == (True, True)
    assert (drop.table, alter.table) == (QName("", "t"), QName("", "t"))
    sqlite = ("CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE);\n"
              "CREATE INDEX i ON t (email);\nDROP INDEX i;")
    (table,), (index,), (drop,) = (st.ops for st in parse(sqlite, "sqlite").statements)
    assert isinstance(table, o.CreateTable)
    assert [c.index_per_table for c in table.constraints] == [False, False]
    assert (index.per_table, drop.table) == (False, None)


def test_an_update_setting_a_column_to_ifnull_of_itself_keeps_its_values() -> None:
    (st,) = parse("UPDATE t SET a = IFNULL(a, 0), b = COALESCE(b, 1), c = IFNULL(a, 2);").statements
    (op,) = st.ops
    assert isinstance(op, o.UpdateRows)
    assert (op.columns, op.kept) == (("a", "b", "c"), ("a", "b"))


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_a_section_of_a_dbmate_file_is_read_alone(dialect: str) -> None:
    """A dbmate file holds both directions: each section is its own script, its statements
    where they are in the file (the other section's were linted as both, once)."""
    text = ("-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, name text);\n"
            "-- é outside nothing\n\n-- migrate:down\nDROP TABLE users;\n")
    source = SourceText.of("db/migrations/20240101000000_init.sql", text)
    up = parse_dialect_script(source, Script(source.path, "wrapped", "up"), dialect)
    down = parse_dialect_script(source, Script(source.path, "wrapped", "down"), dialect)
    assert [type(op).__name__ for st in up.statements for op in st.ops] == ["CreateTable"]
    assert [type(op).__name__ for st in down.statements for op in st.ops] == ["DropTable"]
    assert down.statements[0].ops[0].span.line == 6
    assert down.statements[0].sql.strip() == "DROP TABLE users"


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_an_insert_select_names_the_tables_its_rows_come_from_not_those_a_condition_reads(
        dialect: str) -> None:
    script = parse("INSERT INTO t (id, v) SELECT id, v FROM _bkp_t AS b JOIN x ON 1 = 1 "
                   "WHERE id IN (SELECT id FROM z) UNION SELECT 1, 2 FROM (SELECT * FROM q) s;\n"
                   "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c;\n"
                   "INSERT INTO t VALUES (1, 'a');\n"
                   "CREATE TABLE t2 AS SELECT * FROM t;\n", dialect)
    ops = [st.ops[0] for st in script.statements]
    assert all(isinstance(op, (o.InsertRows, o.CreateTable)) for op in ops)
    assert [op.sources for op in ops if isinstance(op, (o.InsertRows, o.CreateTable))] == [
        (QName("", "_bkp_t"), QName("", "x"), QName("", "q")), (), (), (QName("", "t"),)]


def test_a_where_that_holds_for_every_row_filters_none() -> None:
    # MySQL reads `WHERE 1` as true; a written WHERE that filters nothing is no WHERE.
    script = parse("DELETE FROM t WHERE 1;\nUPDATE t SET a = 1 WHERE TRUE AND (1 = 1);\n"
                   "DELETE FROM t WHERE 'a' = 'a' OR id = 2;\nDELETE FROM t WHERE 0;\n"
                   "DELETE FROM t WHERE 1 = '1';\nDELETE FROM t WHERE id = 1;\n")
    found = [(op.has_where, op.vacuous_where) for st in script.statements for op in st.ops
             if isinstance(op, o.DeleteRows | o.UpdateRows)]
    assert found == [(False, True), (False, True), (False, True), (True, False),
                     (True, False), (True, False)]


def test_an_index_on_an_expression_names_no_column() -> None:
    # Temporal's SQLite visibility schema: `(COALESCE(close_time, '9999-12-31')) DESC`.
    script = parse("CREATE INDEX by_status ON v (namespace_id, status, "
                   "(COALESCE(close_time, '9999-12-31 23:59:59+00:00')) DESC, run_id);",
                   "sqlite")
    index = script.statements[0].ops[0]
    assert isinstance(index, o.CreateIndex)
    assert index.columns == ("namespace_id", "status", "run_id")
    assert [e.sql for e in index.expressions] == [
        "COALESCE(close_time, '9999-12-31 23:59:59+00:00')"]
    assert index.expressions[0].columns == frozenset({"close_time"})


def test_mysql_online_ddl_clauses_are_read_past() -> None:
    # OpenFGA's 007_collate_object_id: `, LOCK = SHARED` and `LOCK = NONE` ask MySQL for a
    # way to run the statement and change nothing it does; sqlglot cannot read them.
    sql = ("ALTER TABLE tuple MODIFY COLUMN object_id VARCHAR(255) COLLATE utf8mb4_bin,\n"
           "LOCK = SHARED;\n"
           "CREATE INDEX idx_user_lookup ON tuple (store, _user) LOCK = NONE;\n"
           "DROP INDEX idx_reverse ON tuple LOCK=NONE;\n"
           "ALTER TABLE tuple ADD COLUMN a INT, ALGORITHM=INSTANT, LOCK=NONE;\n"
           "LOCK TABLES tuple WRITE;\n")
    script = parse(sql, "mysql")
    assert kinds(script) == [["AlterColumnType", "DropNotNull"], ["CreateIndex"],
                             ["DropIndex"], ["AddColumn"], ["RawSQL"]]
    add = script.statements[3].ops[0]
    assert (add.site.line, add.site.column) == (5, 19)
    assert script.statements[0].sql.endswith("LOCK = SHARED")  # the statement as written


def test_mysql_fulltext_and_spatial_indexes_are_indexes_of_their_kind() -> None:
    # Temporal's mysql visibility schema: `CREATE FULLTEXT INDEX … ON executions_visibility
    # (Text01)`, which sqlglot cannot read ("unsupported syntax").
    sql = ("CREATE FULLTEXT INDEX by_text_01 ON executions_visibility (namespace_id, Text01);\n"
           "create spatial index by_place ON places (point);\n"
           "CREATE INDEX by_status ON executions_visibility (status);\n")
    script = parse(sql, "mysql")
    indexes = [st.ops[0] for st in script.statements]
    assert all(isinstance(ix, o.CreateIndex) for ix in indexes)
    assert [(ix.name.name, ix.columns, ix.method) for ix in indexes] == [  # type: ignore[union-attr]
        ("by_text_01", ("namespace_id", "Text01"), "fulltext"),
        ("by_place", ("point",), "spatial"),
        ("by_status", ("status",), "btree")]


def test_an_insert_select_names_the_columns_its_select_list_reads() -> None:
    from schemagate.parse.postgres.frontend import parse_script

    sql = ("INSERT INTO u (id, nickname) SELECT o.id, lower(o.name) FROM o;\n"
           "INSERT INTO u SELECT * FROM o;\n"
           "INSERT INTO u SELECT id FROM o UNION SELECT id FROM p;\n"
           "INSERT INTO u (id) VALUES (1);\n")
    for dialect in ("sqlite", "mysql", "postgres"):
        script = (parse_script(SourceText.of("m.sql", sql), Script("m.sql"))
                  if dialect == "postgres" else parse(sql, dialect))
        inserts = [op for st in script.statements for op in st.ops
                   if isinstance(op, o.InsertRows)]
        assert [op.selected for op in inserts] == [
            frozenset({"id", "name"}), None, None, None], dialect
