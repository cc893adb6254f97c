"""Shared helpers: lint real files from tests/fixtures the way the CLI does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from subprocess import CompletedProcess

from schemagate.lint.engine import LintResult, lint
from schemagate.model.migration import MigrationSource, Script, TransactionMode
from schemagate.model.settings import Settings
from schemagate.parse.load import load_migrations

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: object) -> None:
    """Before the workers start (once, in the controlling process): schemagate's bytecode
    and its kept dataclass code (`schemagate.startup`), as a normal install has them after
    its first run. The suite starts `schemagate` and Python in hundreds of subprocesses; where
    PYTHONDONTWRITEBYTECODE is set (as in some CI images) none of them would ever keep
    either, and each would compile all of schemagate again: 0.33 s of CPU for a one-file
    lint instead of 0.12 s, measured here."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it
        return
    import compileall
    import os
    import subprocess
    import sys

    import schemagate

    package = Path(schemagate.__file__).parent
    compileall.compile_dir(str(package), quiet=2)  # writes .pyc whatever the environment says
    warm = ("import importlib, pkgutil, schemagate\n"
            "from schemagate.startup import kept_dataclass_code\n"
            "with kept_dataclass_code():\n"
            "    for m in pkgutil.walk_packages(schemagate.__path__, 'schemagate.'):\n"
            "        try:\n"
            "            importlib.import_module(m.name)\n"
            "        except ImportError:\n"  # an optional extra that is not installed
            "            pass\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", warm], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


# missing-lock-timeout fires on the first blocking statement of nearly every script, and the
# reversibility family on every migration that destroys data; the tests of other rules leave
# them out so that each asserts only what it is about. Their own tests select them.
FOCUSED = Settings(ignore=("missing-lock-timeout", "reversibility"))


def lint_files(
    files: Sequence[Path], settings: Settings | None = None,
    transaction: TransactionMode = "autocommit",
) -> LintResult:
    """Lint plain .sql files as one history, in the order given, each file a migration."""
    sources = [MigrationSource(f.stem, "sql", Script(str(f), transaction)) for f in files]
    loaded = load_migrations(sources)
    result = lint(loaded.migrations, settings or FOCUSED)
    result.errors = loaded.errors
    return result


def lint_sql(tmp_path: Path, *scripts: str, settings: Settings | None = None,
             transaction: TransactionMode = "autocommit") -> LintResult:
    """Write each script to a numbered file and lint them as one history."""
    files = []
    for i, text in enumerate(scripts, start=1):
        f = tmp_path / f"{i:04d}_m.sql"
        f.write_text(text, encoding="utf-8")
        files.append(f)
    return lint_files(files, settings, transaction)


def lint_dialect_history(tmp_path: Path, files: dict[str, str], dialect: str,
                         settings: Settings | None = None) -> LintResult:
    """Migration files (golang-migrate's `V0001.name.up.sql` / `.down.sql`, as Authelia names
    them) in a folder named after their database, discovered and linted as the command line
    does: by default with every rule."""
    from schemagate.parse.layouts.discover import discover

    folder = tmp_path / "migrations" / dialect
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    found = discover([tmp_path / "migrations"], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    assert not found.errors and not loaded.errors
    return lint(loaded.migrations, settings or Settings(select=("all",)))


def rules_of(result: LintResult) -> list[tuple[int, str]]:
    return [(f.span.line, f.rule) for f in result.active]


def with_settings(**changes: object) -> Settings:
    return replace(FOCUSED, **changes)  # type: ignore[arg-type]


def invoke(*args: str, cwd: Path | None = None) -> CompletedProcess[str]:
    """`schemagate ARGS` run in this process through the command line's entry point (click's
    runner, NO_COLOR set), as what the process would print and exit with: no Python to start
    and no schemagate to import again (a quarter of a second of CPU per diff or verify). A
    test about the process itself (signals, imports at start-up, pre-commit) starts one; an
    exception the command line did not turn into an exit code is raised here."""
    from contextlib import chdir, nullcontext

    from click.testing import CliRunner

    from schemagate.cli import main

    with chdir(cwd) if cwd is not None else nullcontext():
        result = CliRunner(env={"NO_COLOR": "1"}).invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CompletedProcess(["schemagate", *args], result.exit_code, result.stdout,
                            result.stderr)


# --- PostgreSQL for the tests that need one -------------------------------------------
# One server per test session (per xdist worker): SCHEMAGATE_TEST_PG when set, else the server
# on this machine when one answers, else an embedded one (pgserver, in the test extra), else
# the tests that need one skip, saying how to get one. Each test gets a database of its own.
#
# What waits is the server, not the tests: DROP DATABASE forces a checkpoint and waits for it
# (seconds on a server other sessions keep busy), and CREATE DATABASE copies and logs the
# template's 7.5 MB. So a database a test is done with is emptied instead (every object it
# holds dropped, in one transaction) and handed to the next test, once the catalogs show it
# is again exactly what CREATE DATABASE makes (`_PRISTINE`); one that is not is dropped in the
# background. The session drops its databases at its end, all at once, so that they share
# checkpoints. A schema several tests need is built once into a template database and cloned
# per test (CREATE DATABASE … TEMPLATE copies files, no SQL).

import os  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from concurrent.futures import Future, ThreadPoolExecutor  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty user cache folder for this test (the parse, fold and result caches
    live under it)."""
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


DEFAULT_TEST_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DB_PREFIX = "schemagate_test_"
HOW_TO_GET_ONE = ("start PostgreSQL at 127.0.0.1:5432 (user postgres) or set "
                  "SCHEMAGATE_TEST_PG=postgresql://…, or install the embedded one: "
                  "pip install pgserver (it is in the test extra)")


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# Emptying a database a test used: its sessions end, then (in one transaction) its
# extensions, its schemas (temporary ones too) and everything in `public`, which is kept:
# its OID, owner, privileges and comment are those of a new database. Objects with no schema
# (casts, event triggers, publications, …) are not dropped: `_PRISTINE` then differs and the
# database is dropped instead.
_EMPTY = r"""
DO $empty$
DECLARE
    r record;
    seen text[] := '{}';
BEGIN
    FOR r IN SELECT extname FROM pg_extension WHERE oid >= 16384 LOOP
        EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
    END LOOP;
    FOR r IN SELECT nspname FROM pg_namespace WHERE oid >= 16384 LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
    END LOOP;
    LOOP  -- one at a time: a CASCADE takes others with it
        SELECT o.type, o.identity INTO r
        FROM pg_depend d, pg_identify_object(d.classid, d.objid, 0) o
        WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = 'public'::regnamespace
          AND d.deptype = 'n'
          AND NOT EXISTS (  -- what goes with its owner (an identity's sequence) waits for it
              SELECT FROM pg_depend i WHERE i.classid = d.classid AND i.objid = d.objid
                                        AND i.deptype IN ('i', 'a', 'e', 'x')
                                        AND (i.refclassid, i.refobjid) <> (d.classid, d.objid))
        ORDER BY d.objid LIMIT 1;
        EXIT WHEN NOT FOUND;
        IF r.identity = ANY(seen) THEN
            RAISE EXCEPTION 'cannot drop % %', r.type, r.identity;
        END IF;
        seen := seen || r.identity;
        EXECUTE format('DROP %s %s CASCADE', CASE r.type
            WHEN 'composite type' THEN 'TYPE' WHEN 'statistics object' THEN 'STATISTICS'
            ELSE upper(r.type) END, r.identity);
    END LOOP;
END
$empty$
"""


def _pristine_query(catalogs: list[str]) -> str:
    """What tells a new database from one a test has used: no object made after initdb
    (OID 16384 and up) in any catalog of the database, no large object, and the same
    schemas, extensions, comments, security labels, initial and granted privileges, and
    database-level settings, owner, privileges and comment as a new database. (Rows are
    summed as hashes of their text: no sort, a few milliseconds.)"""
    made = " + ".join(f"(SELECT count(*) FROM pg_catalog.{c} WHERE oid >= 16384)"
                      for c in catalogs)

    def rows(table: str, row: str = "x::text", where: str = "true") -> str:
        return (f"(SELECT count(*) || ' ' || coalesce(sum(hashtext({row})), 0) "
                f"FROM pg_catalog.{table} x WHERE {where})")

    this = "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
    return f"""SELECT {made} + (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata),
  {rows("pg_namespace")}, {rows("pg_extension")}, {rows("pg_description")},
  {rows("pg_seclabel")}, {rows("pg_init_privs")},
  {rows("pg_class", "oid || ' ' || relacl::text", "relacl IS NOT NULL")},
  {rows("pg_proc", "oid || ' ' || proacl::text", "proacl IS NOT NULL")},
  {rows("pg_type", "oid || ' ' || typacl::text", "typacl IS NOT NULL")},
  {rows("pg_language", "oid || ' ' || lanacl::text", "lanacl IS NOT NULL")},
  {rows("pg_attribute", "attrelid || ' ' || attnum || attacl::text", "attacl IS NOT NULL")},
  {rows("pg_database", "format('%s %s %s %s %s %s %s %s', datdba, encoding, datcollate, "
        "datctype, datistemplate, datallowconn, datconnlimit, datacl)", f"oid = {this}")},
  {rows("pg_db_role_setting", where=f"setdatabase = {this}")},
  {rows("pg_shdescription", where=f"objoid = {this}")},
  {rows("pg_shseclabel", where=f"objoid = {this}")}
"""


# The database-local catalogs with an OID column (those of PostgreSQL 13 to 17 that exist).
_CATALOGS = """
SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND a.attname = 'oid' AND c.relname <> 'pg_largeobject_metadata'
ORDER BY c.relname
"""


def _pristine_of(url: str) -> tuple[str, tuple[object, ...]]:
    """The check that a database is as new, and what it gives on `url`, a new one."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        query = _pristine_query([r[0] for r in conn.execute(_CATALOGS).fetchall()])
        return query, tuple(conn.execute(query).fetchone() or ())


class DatabaseMaker:
    """Creates databases on one server, hands emptied ones on, and drops them in the
    background."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._dropping = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dropdb")
        self._pending: list[Future[None]] = []
        self._templates: dict[str, str] = {}
        self._lock = threading.Lock()
        self._last: list[str] = []
        self._free: list[str] = []  # empty databases, as new, for the next tests
        # The check that a database is as new, and what it gives on a new one.
        self._pristine: tuple[str, tuple[object, ...]] | None = None
        self.reused = 0

    def create(self, template: str | None = None) -> str:
        """A new database (a copy of `template` when given); its URL."""
        from psycopg import sql

        from schemagate.diff.connect import connect, with_database

        name = TEST_DB_PREFIX + uuid.uuid4().hex[:12]
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with connect(self.server, autocommit=True) as admin:
            admin.execute(statement)
        return with_database(self.server, name)

    def drop_later(self, url: str) -> None:
        self._drop_later(self._name(url))

    def _drop_later(self, name: str) -> None:
        with self._lock:
            self._pending.append(self._dropping.submit(self._drop, name))

    @staticmethod
    def _name(url: str) -> str:
        from psycopg import conninfo

        return str(conninfo.conninfo_to_dict(url)["dbname"])

    @contextmanager
    def database(self, template: str | None = None) -> Iterator[str]:
        """A database of the test's own: new (or emptied, as new), or a copy of `template`.
        Afterwards emptied for the next test, or dropped."""
        url = None
        if template is None:
            with self._lock:
                if self._free:
                    from schemagate.diff.connect import with_database

                    url = with_database(self.server, self._free.pop())
                    self.reused += 1
        if url is None:
            url = self.create(template)
            if template is None and self._pristine is None:
                self._pristine = _pristine_of(url)
        try:
            yield url
        finally:
            self.release(url)

    def release(self, url: str) -> None:
        """Empty the database for the next test, or drop it when that cannot be proven."""
        name = self._name(url)
        if self._empty(url):
            with self._lock:
                self._free.append(name)
        else:
            self._drop_later(name)

    def _empty(self, url: str) -> bool:
        """Drop everything a test made in the database; whether it is now as new."""
        import psycopg

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10,
                                 options="-c lock_timeout=10s -c statement_timeout=60s "
                                         "-c client_min_messages=warning") as conn:
                if conn.info.server_version < 140000:
                    return False  # pg_terminate_backend cannot wait for the end
                conn.execute("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                if conn.execute("SELECT count(*) FROM pg_prepared_xacts "
                                "WHERE database = current_database()").fetchone() != (0,):
                    return False
                with conn.transaction():
                    conn.execute(_EMPTY)
                if self._pristine is None:
                    return False
                query, expected = self._pristine
                return tuple(conn.execute(query).fetchone() or ()) == expected
        except psycopg.Error:
            return False

    @contextmanager
    def owned_database(self) -> Iterator[str]:
        """A database of the test's own (as `database()` gives) owned by a role made for it
        that may do nothing else (no superuser, CREATEDB or CREATEROLE), and a URL that logs
        in as that role: a scratch database as diff and verify make one, without CREATE
        DATABASE (0.3 s of the server's CPU) and DROP DATABASE (a forced checkpoint)."""
        import secrets

        import psycopg
        from psycopg import sql

        from schemagate.diff.connect import connect
        from schemagate.diff.scratch import with_user

        with self.database() as url:
            name = sql.Identifier(self._name(url))
            role = TEST_DB_PREFIX + "role_" + uuid.uuid4().hex[:12]
            password = secrets.token_urlsafe(16)
            with connect(self.server, autocommit=True) as admin:
                admin.execute(sql.SQL(
                    "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS").format(sql.Identifier(role),
                                                        sql.Literal(password)))
                admin.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    name, sql.Identifier(role)))
            try:
                yield with_user(url, role, password)
            finally:
                # The database goes back to its owner (`database()` then empties it, or
                # drops it), and the role goes with what it owns there.
                with connect(self.server, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(pid, 10000) "
                                  "FROM pg_stat_activity WHERE usename = %s", (role,))
                    admin.execute(sql.SQL("ALTER DATABASE {} OWNER TO CURRENT_USER").format(
                        name))
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                with connect(self.server, autocommit=True) as admin:
                    admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))

    @contextmanager
    def clone(self, key: str, build: Callable[[str], None]) -> Iterator[str]:
        """A copy of the database `build` prepares, built once per session under `key`."""
        with self._lock:
            if key not in self._templates:
                url = self.create()
                build(url)  # closes its connections: a template must have no sessions
                self._templates[key] = self._name(url)
        with self.database(self._templates[key]) as url:
            yield url

    def after_drops(self, statement: str) -> None:
        """Run `statement` on the server once every database is gone: dropping a role that
        their grants still name would fail while a drop is pending."""
        self._last.append(statement)

    def close(self) -> None:
        # All at once: concurrent drops wait for the same checkpoints.
        names = [*self._templates.values(), *self._free]
        self._free.clear()
        if names:
            with ThreadPoolExecutor(max_workers=len(names)) as pool:
                self._pending.extend(pool.submit(self._drop, n) for n in names)
        for future in self._pending:
            future.result()
        self._dropping.shutdown()
        if self._last:
            from schemagate.diff.connect import connect

            with connect(self.server, autocommit=True) as admin:
                for statement in self._last:
                    admin.execute(statement.encode())

    def _drop(self, name: str) -> None:
        from psycopg import sql

        from schemagate.diff.connect import connect

        with connect(self.server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@contextmanager
def _embedded() -> Iterator[str]:
    """The embedded server, made cheap to write to: it holds nothing worth a crash-safe
    disk, so fsync and full-page writes are off (checkpoints then cost no disk flush)."""
    from schemagate.diff.connect import connect
    from schemagate.diff.scratch import embedded_server

    with embedded_server() as url:
        with connect(url, autocommit=True) as conn:
            for setting in ("fsync", "full_page_writes", "synchronous_commit"):
                conn.execute(f"ALTER SYSTEM SET {setting} = off")
            conn.execute("SELECT pg_reload_conf()")
        yield url


_OPEN: dict[str, DatabaseMaker] = {}


def databases_on(server: str) -> DatabaseMaker:
    """The session's database maker for a URL the `pg_server` fixture gave."""
    return _OPEN[server]


@contextmanager
def _serving(url: str) -> Iterator[str]:
    _OPEN[url] = DatabaseMaker(url)
    try:
        yield url
    finally:
        _OPEN.pop(url).close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    from schemagate.diff.connect import DatabaseError, connect

    url = os.environ.get("SCHEMAGATE_TEST_PG", DEFAULT_TEST_PG)
    try:
        connect(url, timeout=3).close()
    except DatabaseError as local_error:
        try:
            with _embedded() as embedded, _serving(embedded):
                yield embedded
            return
        except DatabaseError as exc:
            pytest.skip(f"no PostgreSQL ({local_error}; embedded server: {exc}): "
                        f"{HOW_TO_GET_ONE}")
    with _serving(url):
        yield url


@pytest.fixture
def pg_databases(pg_server: str) -> DatabaseMaker:
    """Makes databases (and clones of prepared ones) on the session's server."""
    return databases_on(pg_server)


@pytest.fixture
def pg_db(pg_databases: DatabaseMaker) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    with pg_databases.database() as url:
        yield url


@pytest.fixture
def reused_scratch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """diff and verify make their scratch databases on the session's test server with
    `DatabaseMaker.owned_database` (an emptied database and a role of its own) instead of
    CREATE DATABASE and DROP DATABASE: for the tests whose subject is what happens in a
    scratch database, not how one is made, found and dropped (tests/diff/test_scratch.py,
    tests/verify/test_signals.py, test_isolation.py and test_containment.py take the real
    ones, and so does a test marked `real_scratch`). A URL of another server, or none (the
    embedded server), gets the real one."""
    if request.node.get_closest_marker("real_scratch") is not None:
        return
    import schemagate.diff.targets
    import schemagate.verify.run
    from schemagate.diff.scratch import scratch_database

    @contextmanager
    def scratch(url: str | None = None) -> Iterator[str]:
        maker = next((m for m in _OPEN.values() if url is not None
                      and _address(m.server) == _address(url)), None)
        if maker is None:
            with scratch_database(url) as made:
                yield made
            return
        with maker.owned_database() as made:
            yield made

    monkeypatch.setattr(schemagate.diff.targets, "scratch_database", scratch)
    monkeypatch.setattr(schemagate.verify.run, "scratch_database", scratch)


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[str]:
    """One embedded PostgreSQL (pgserver) for the session, started by schemagate's own
    `embedded_server` when a test first asks for it; the URL (a Unix socket)."""
    pytest.importorskip("pgserver", reason="the embedded PostgreSQL (pgserver) is not "
                                           "installed: pip install pgserver")
    from schemagate.diff.scratch import embedded_server

    with embedded_server() as url:
        yield url


@dataclass
class SharedEmbedded:
    """The session's embedded server, as diff and verify are given it; `starts` counts the
    times they asked for an embedded server to be started."""

    url: str
    starts: int = 0


@pytest.fixture
def shared_embedded(embedded_pg: str, monkeypatch: pytest.MonkeyPatch) -> SharedEmbedded:
    """diff and verify with no --scratch take the session's embedded server (`embedded_pg`)
    instead of starting one (initdb and a server start, 1.5 s of CPU): for the tests of what
    they do on it. How one is started and stopped is tests/diff/test_scratch.py's and
    tests/verify/test_signals.py's, which start their own."""
    import schemagate.diff.scratch
    import schemagate.diff.targets

    shared = SharedEmbedded(embedded_pg)

    @contextmanager
    def started() -> Iterator[str]:
        shared.starts += 1
        yield shared.url

    for module in (schemagate.diff.scratch, schemagate.diff.targets):
        monkeypatch.setattr(module, "embedded_server", started)
    return shared


def _address(url: str) -> tuple[object, ...]:
    """Where a URL's server is (host, address, port)."""
    from psycopg import conninfo

    params = conninfo.conninfo_to_dict(url)
    return params.get("host"), params.get("hostaddr"), params.get("port")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs a PostgreSQL server is slow: it waits on the server (a database to
    create and drop, migrations to run), so `-m "not slow"` leaves it out of the edit loop."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


# Names that try to leave the place they are put in a generated script: a `--` comment (a
# newline, a carriage return, a Unicode line separator), a `/* */` comment, a quoted
# identifier, a string literal (with and without standard_conforming_strings), or the
# reader's terminal (ESC, BEL). Each would drop the canary table `keep` if it got out.
HOSTILE_NAMES = (
    "x\nDROP TABLE keep;\n--",
    "y\r\nDROP TABLE keep; --",
    "z\rDROP TABLE keep; --",
    "b*/ DROP TABLE keep; /*",
    "q'\"; DROP TABLE keep; --",
    "s\\'; DROP TABLE keep; --",
    "e\x1b[2J\x07\x85\u2028DROP TABLE keep;\u202e--",
)
CANARY = "CREATE TABLE keep (id int PRIMARY KEY, v text); INSERT INTO keep VALUES (1, 'alive');"


import contextlib  # noqa: E402


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read-only sessions give up on a lock after 200 ms instead of the default 2 s.

    Set the way a user would (PGOPTIONS, which wins over schemagate's own defaults), so a
    test behind `table_locked` checks the give-up path without sleeping through it.
    """
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=200ms")


@contextlib.contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    """``table`` held ACCESS EXCLUSIVE by a second session in an open transaction, as a
    running migration holds it. Released after 20 s at the latest, so that a run which
    waits for it fails its test's time limit instead of hanging the suite."""
    import psycopg

    from schemagate.diff.connect import connect

    with connect(url) as holder:
        holder.execute("SET idle_in_transaction_session_timeout = '20s'")
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        with contextlib.suppress(psycopg.Error):
            holder.rollback()


# --- The parse cache ---------------------------------------------------------------------
# Lint runs write parse-cache entries into the user's cache folder: keep the suite's in a
# folder of its own, so that it neither reads a developer's entries nor leaves any behind.
@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
