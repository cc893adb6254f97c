"""Migrations under verify stay in the scratch database: a canary database and role survive.

Each test gives verify a migration that reaches beyond its database, next to a canary
database (with a table) and a canary role made for the test on the same server, and checks
that the statement was reported, not run, and that nothing outside changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import conninfo, sql

from schemagate.diff.connect import connect
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.verify.scripts import from_statement
from tests.conftest import DatabaseMaker, unique_name
from tests.verify.helpers import verify_folder


class Canary:
    def __init__(self, server: str, database: str) -> None:
        self.server = server
        self.database = database
        self.role = unique_name("canary_role")
        self.evil = unique_name("evil")  # a role the migrations try to create

    def exists(self, catalog: str, name: str) -> bool:
        column = "datname" if catalog == "pg_database" else "rolname"
        with connect(self.server, autocommit=True) as conn:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
                sql.Identifier(catalog), sql.Identifier(column)), (name,)).fetchone()
        return bool(row and row[0])

    def role_is_plain(self) -> bool:
        with connect(self.server, autocommit=True) as conn:
            row = conn.execute("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles "
                               "WHERE rolname = %s", (self.role,)).fetchone()
        return row is not None and row[0] is False

    def rows(self) -> int:
        with connect(f"{self.server.rsplit('/', 1)[0]}/{self.database}") as conn:
            row = conn.execute("SELECT count(*) FROM keep").fetchone()
        return int(row[0]) if row else -1


@pytest.fixture
def canary(pg_server: str, pg_databases: DatabaseMaker) -> Iterator[Canary]:
    # The canary database is one of the session's (emptied afterwards, or dropped if it is
    # not as new): made and dropped for each test, it cost a CREATE DATABASE and a
    # checkpoint. verify's own scratch databases here are made as for a user.
    with pg_databases.database() as url:
        c = Canary(pg_server, conninfo.conninfo_to_dict(url)["dbname"])
        with connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(c.role)))
        with connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2)")
        try:
            yield c
        finally:
            with connect(pg_server, autocommit=True) as conn:
                for role in (c.role, c.evil):
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(
                        sql.Identifier(role)))


def _migration(tmp_path: Path, statement: str) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_reach.up.sql").write_text(f"CREATE TABLE mine (id int);\n{statement};\n",
                                             encoding="utf-8")
    (folder / "001_reach.down.sql").write_text("DROP TABLE mine;\n", encoding="utf-8")
    return folder


REACHING = {
    "create a superuser": "CREATE ROLE {evil} SUPERUSER LOGIN",
    "alter another role": "ALTER ROLE {role} SUPERUSER CREATEROLE",
    "rename another role": "ALTER ROLE {role} RENAME TO {evil}",
    "drop another role": "DROP ROLE {role}",
    "grant a server role": "GRANT pg_read_server_files TO {role}",
    "rename another database": "ALTER DATABASE {database} RENAME TO {evil}",
    "drop another database": "DROP DATABASE {database}",
    "create a database": "CREATE DATABASE {evil}",
    "change server settings": "ALTER SYSTEM SET work_mem = '1GB'",
    "run a program": "COPY mine FROM PROGRAM 'echo 1'",
    "write through dblink": "SELECT dblink_exec('dbname={database}', 'DROP TABLE keep')",
    "end other sessions": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
}


def test_every_statement_beyond_the_database_is_recognised(tmp_path: Path) -> None:
    folder = tmp_path / "all"
    folder.mkdir()
    text = ";\n".join(s.format(evil="e", role="r", database="d") for s in REACHING.values())
    (folder / "001_all.sql").write_text(text + ";\n", encoding="utf-8")
    loaded = load_migrations(discover([folder]).migrations)
    refused = [from_statement(st).refused for st in loaded.migrations[0].up.statements]
    assert all(r is not None and "beyond the scratch database" in r for r in refused), refused


def test_statements_inside_the_database_are_run(tmp_path: Path) -> None:
    folder = tmp_path / "inside"
    folder.mkdir()
    (folder / "001_in.sql").write_text(
        "CREATE TABLE t (id int);\nCOPY t FROM STDIN;\nSELECT 'dblink(' AS text;\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT pg_cancel_backend(1)';\n"
        "ALTER TABLE t RENAME TO u;\n", encoding="utf-8")
    loaded = load_migrations(discover([folder]).migrations)
    assert [from_statement(st).refused for st in loaded.migrations[0].up.statements] == \
        [None] * 5


# Run for real (each a verify run of its own), one of each kind of reach.
ON_THE_SERVER = ("create a superuser", "rename another database", "write through dblink",
                 "alter another role")


@pytest.mark.parametrize("statement", [REACHING[k] for k in ON_THE_SERVER], ids=ON_THE_SERVER)
def test_a_statement_beyond_the_scratch_database_is_reported_and_not_run(
        canary: Canary, tmp_path: Path, statement: str) -> None:
    text = statement.format(evil=canary.evil, role=canary.role, database=canary.database)
    result = verify_folder(_migration(tmp_path, text), canary.server)
    up = result.migrations[0].up
    assert not up.ok and up.error is not None and "beyond the scratch database" in up.error
    assert result.gate.item("runs") is not None
    assert result.gate.item("runs").status == "fail"  # type: ignore[union-attr]
    assert canary.exists("pg_database", canary.database) and canary.rows() == 2
    assert canary.exists("pg_roles", canary.role) and canary.role_is_plain()
    assert not canary.exists("pg_roles", canary.evil)
    assert not canary.exists("pg_database", canary.evil)


HIDDEN = {
    "alter another role": "DO $$ BEGIN EXECUTE 'ALTER ROLE {role} SUPERUSER'; END $$",
    "rename another database":
        "DO $$ BEGIN EXECUTE 'ALTER DATABASE {database} RENAME TO {evil}'; END $$",
    "read the server's files":
        "DO $$ BEGIN EXECUTE 'SELECT pg_' || 'ls_dir(''.'')'; END $$",
}


@pytest.mark.parametrize("statement", HIDDEN.values(), ids=list(HIDDEN))
def test_a_statement_hidden_in_a_do_block_fails_for_want_of_privilege(
        canary: Canary, tmp_path: Path, statement: str) -> None:
    text = statement.format(evil=canary.evil, role=canary.role, database=canary.database)
    result = verify_folder(_migration(tmp_path, text), canary.server)
    up = result.migrations[0].up
    assert not up.ok and up.error is not None and "SQLSTATE 42501" in up.error, up.error
    assert canary.exists("pg_database", canary.database) and canary.rows() == 2
    assert canary.role_is_plain() and not canary.exists("pg_roles", canary.evil)


def test_migrations_run_as_a_role_without_privileges_that_owns_the_database(
        pg_server: str, tmp_path: Path) -> None:
    check = ("DO $$ BEGIN IF (SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles "
             "WHERE rolname = current_user) OR (SELECT datdba::regrole::text FROM pg_database "
             "WHERE datname = current_database()) <> current_user THEN RAISE EXCEPTION "
             "'privileged: %', current_user; END IF; END $$")
    result = verify_folder(_migration(tmp_path, check), pg_server)
    assert result.migrations[0].up.ok, result.migrations[0].up.error


def test_the_scratch_database_and_its_role_are_dropped_after_the_run(
        canary: Canary, tmp_path: Path) -> None:
    result = verify_folder(_migration(tmp_path, "SELECT 1"), canary.server)
    assert result.database.startswith("schemagate_scratch_")
    assert not canary.exists("pg_database", result.database)
    assert not canary.exists("pg_roles", result.database)
