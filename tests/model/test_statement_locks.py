"""The statement → lock table agrees with the locks PostgreSQL grants, read from pg_locks.

Each statement runs in a transaction on a real table; before it rolls back, the same session
reads from `pg_locks` the relation locks it was granted on the relations that existed before
the statement. The strongest of them must be the mode `lock_for` gives the statement's
operations (its contract: the strongest table-level lock the operation takes, on any table).

Statements that PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY,
DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY, DETACH PARTITION … CONCURRENTLY, VACUUM
FULL) cannot be observed this way and are not listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from schemagate.model.locks import LockMode
from schemagate.model.migration import MigrationSource, Script
from schemagate.model.ops import DropTable, Operation
from schemagate.model.statement_locks import lock_for
from schemagate.parse.load import load_migrations
from tests.conftest import databases_on, unique_name

SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, a int, b text, c int NOT NULL DEFAULT 0);
CREATE INDEX t_a ON t (a);
ALTER TABLE t ADD CONSTRAINT t_c_positive CHECK (c >= 0) NOT VALID;
CREATE TABLE ref (id int PRIMARY KEY);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_noop BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop();
CREATE POLICY t_all ON t USING (true);
CREATE TABLE parted (id int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE loose (id int);
CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x;
CREATE UNIQUE INDEX mv_x ON mv (x);
CREATE ROLE {role};
"""

STATEMENTS = [
    # Operations the IR models.
    "ALTER TABLE t ADD COLUMN d int",
    "ALTER TABLE t DROP COLUMN b",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "ALTER TABLE t ALTER COLUMN c DROP NOT NULL",
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1",
    "ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0)",
    "ALTER TABLE t ADD CONSTRAINT t_b_unique UNIQUE (b)",
    "ALTER TABLE t ADD CONSTRAINT t_a_ref FOREIGN KEY (a) REFERENCES ref (id)",
    "ALTER TABLE t ADD CONSTRAINT t_a_ref FOREIGN KEY (a) REFERENCES ref (id) NOT VALID",
    "ALTER TABLE t DROP CONSTRAINT t_c_positive",
    "ALTER TABLE t VALIDATE CONSTRAINT t_c_positive",
    "ALTER TABLE t RENAME CONSTRAINT t_c_positive TO t_c_nonnegative",
    "ALTER TABLE t RENAME TO t2",
    "ALTER TABLE t RENAME COLUMN b TO b2",
    "ALTER TABLE t SET LOGGED",
    "ALTER TABLE t SET UNLOGGED",
    "ALTER TABLE parted ATTACH PARTITION loose FOR VALUES FROM (10) TO (20)",
    "ALTER TABLE parted DETACH PARTITION parted_1",
    "CREATE INDEX t_b ON t (b)",
    "CREATE UNIQUE INDEX t_b ON t (b)",
    "DROP INDEX t_a",
    "REINDEX TABLE t",
    "REINDEX INDEX t_a",
    "CLUSTER t USING t_a",
    "DROP TABLE loose",
    "TRUNCATE t",
    "REFRESH MATERIALIZED VIEW mv",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
    "INSERT INTO t (id) VALUES (1)",
    "UPDATE t SET a = 1",
    "DELETE FROM t",
    "CREATE TRIGGER t_noop2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop()",
    "DROP TRIGGER t_noop ON t",
    "CREATE TABLE child (id int PRIMARY KEY, r int REFERENCES ref (id))",
    "CREATE TABLE child (id int PRIMARY KEY, r int, FOREIGN KEY (r) REFERENCES ref (id))",
    "CREATE TABLE child (id int PRIMARY KEY, up int REFERENCES child (id))",
    "CREATE TABLE child (id int PRIMARY KEY)",
    # LOCK TABLE, in every mode.
    "LOCK TABLE t",
    *(f"LOCK TABLE t IN {mode} MODE" for mode in LockMode),
    # Unmodelled ALTER TABLE sub-commands and policy statements, kept as RawSQL.
    "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE t DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE t FORCE ROW LEVEL SECURITY",
    "ALTER TABLE t NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE t OWNER TO {role}",
    "ALTER TABLE t REPLICA IDENTITY FULL",
    "ALTER TABLE t ENABLE TRIGGER t_noop",
    "ALTER TABLE t DISABLE TRIGGER t_noop",
    "ALTER TABLE t DISABLE TRIGGER ALL",
    "ALTER TABLE t ENABLE TRIGGER USER",
    "ALTER TABLE t ENABLE ALWAYS TRIGGER t_noop",
    "ALTER TABLE t ENABLE REPLICA TRIGGER t_noop",
    "ALTER TABLE t ALTER COLUMN a SET STATISTICS 500",
    "ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)",
    "ALTER TABLE t ALTER COLUMN a RESET (n_distinct)",
    "ALTER TABLE t CLUSTER ON t_a",
    "ALTER TABLE t SET WITHOUT CLUSTER",
    "ALTER TABLE t SET (fillfactor = 70)",
    "ALTER TABLE t RESET (fillfactor)",
    "ALTER TABLE t ALTER COLUMN b SET STORAGE EXTERNAL",
    "ALTER TABLE t ALTER COLUMN b SET COMPRESSION pglz",
    "ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY",
    "ALTER TABLE t INHERIT ref",
    "CREATE POLICY t_none ON t USING (false)",
    "ALTER POLICY t_all ON t USING (false)",
    "DROP POLICY t_all ON t",
]

_USER_RELATIONS = """
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
"""
_GRANTED = """
SELECT mode FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
  AND relation = ANY(%s)
"""


def _ops(sql: str, tmp_path: Path) -> list[Operation]:
    path = tmp_path / "statement.sql"
    path.write_text(sql + ";\n", encoding="utf-8")
    loaded = load_migrations([MigrationSource("statement", "sql", Script(str(path),
                                                                         "autocommit"))])
    assert not loaded.errors, loaded.errors
    up = loaded.migrations[0].up
    assert up is not None
    return [op for st in up.statements for op in st.ops]


def _strongest(modes: list[LockMode | None]) -> LockMode | None:
    known = [m for m in modes if m is not None]
    return max(known, key=lambda m: m.rank) if known else None


@pytest.fixture(scope="module")
def locked_db(pg_server: str) -> Iterator[tuple[str, str]]:
    """A database holding the tables above, and the role OWNER TO gives them to."""
    role = unique_name("sg_owner")
    with databases_on(pg_server).database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA.format(role=role))
        try:
            yield url, role
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_lock_table_names_the_mode_postgresql_grants(
        statement: str, locked_db: tuple[str, str], tmp_path: Path) -> None:
    url, role = locked_db
    sql = statement.format(role=role)
    with psycopg.connect(url) as conn, conn.transaction(force_rollback=True):
        before = [row[0] for row in conn.execute(_USER_RELATIONS).fetchall()]
        conn.execute(sql)
        granted = [LockMode.from_pg_locks(row[0])
                   for row in conn.execute(_GRANTED, (before,)).fetchall()]
    assert _strongest([lock_for(op) for op in _ops(sql, tmp_path)]) == _strongest(granted)


# Dropping a foreign key, or a table that holds one or is referenced by one (CASCADE),
# removes the key's triggers from both of its tables, under ACCESS EXCLUSIVE on each.
KEYS = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk
                    REFERENCES parent (id));
CREATE TABLE other (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
CREATE TABLE loose (id int);
"""
DROPS = [
    "ALTER TABLE child DROP CONSTRAINT child_parent_fk",
    "DROP TABLE child",
    "DROP TABLE parent CASCADE",
    "DROP TABLE loose",
]
_EXCLUSIVE = """
SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.mode = 'AccessExclusiveLock' AND c.relkind = 'r'
"""


@pytest.mark.parametrize("statement", DROPS)
def test_a_drop_locks_the_tables_its_foreign_keys_tie_it_to(
        statement: str, pg_server: str, tmp_path: Path) -> None:
    from schemagate.fold import apply_all
    from schemagate.model.catalog import Catalog
    from schemagate.model.statement_locks import op_tables

    catalog = Catalog()
    schema = tmp_path / "schema.sql"
    schema.write_text(KEYS, encoding="utf-8")
    loaded = load_migrations([MigrationSource("schema", "sql", Script(str(schema)))])
    up = loaded.migrations[0].up
    assert up is not None
    apply_all(catalog, [op for st in up.statements for op in st.ops], "schema")
    with databases_on(pg_server).database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(KEYS)
        with psycopg.connect(url) as conn, conn.transaction(force_rollback=True):
            conn.execute(statement)
            locked = {row[0] for row in conn.execute(_EXCLUSIVE).fetchall()}
    ops = _ops(statement, tmp_path)
    modelled = {t.name for op in ops for t in op_tables(op, catalog)}
    # A dropped table has no pg_class row left to name it by, inside the transaction.
    dropped = {t.name for op in ops if isinstance(op, DropTable) for t in op.tables}
    assert modelled - dropped == locked
