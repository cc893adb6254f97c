"""--from/--to sources: a live database, a .sql file, a migrations folder, a MetaData."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from schemagate.diff.compare import compare
from schemagate.diff.execute import run_sql
from schemagate.diff.introspect import introspect
from schemagate.diff.targets import Loader, TargetError, parse_target
from schemagate.model.names import QName
from tests.conftest import SharedEmbedded

# Scratch databases are the session's (tests.conftest.reused_scratch): how diff makes and
# drops its own is tests/diff/test_scratch.py's and tests/verify/test_signals.py's.
pytestmark = pytest.mark.usefixtures("reused_scratch")

SCHEMA = """CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (id serial PRIMARY KEY, m mood, note text);
CREATE INDEX t_note ON t (note);
"""


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_kinds_of_target(tmp_path: Path) -> None:
    sql = _write(tmp_path, {"schema.sql": SCHEMA}) / "schema.sql"
    assert parse_target("postgresql://u:secret@h/db").kind == "url"
    assert parse_target("postgresql://u:secret@h/db").label == "postgresql://u@h:5432/db"
    assert parse_target("host=h dbname=db").kind == "url"
    assert parse_target(str(sql)).kind == "sql"
    assert parse_target(str(tmp_path)).kind == "folder"
    assert parse_target("python:app.models:metadata").kind == "python"
    with pytest.raises(TargetError, match="no such file or folder"):
        parse_target(str(tmp_path / "missing.sql"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(TargetError, match=r"not a \.sql file"):
        parse_target(str(tmp_path / "notes.txt"))


def test_url_sql_file_and_folder_give_the_same_catalog(pg_server: str, pg_db: str,
                                                       tmp_path: Path) -> None:
    run_sql(pg_db, SCHEMA)
    sql = _write(tmp_path / "file", {"schema.sql": SCHEMA}) / "schema.sql"
    folder = _write(tmp_path / "migrations", {
        "000001_types.up.sql": "CREATE TYPE mood AS ENUM ('sad');",
        "000001_types.down.sql": "DROP TYPE mood;",
        "000002_table.up.sql": """
            ALTER TYPE mood ADD VALUE 'ok';
            CREATE TABLE t (id serial PRIMARY KEY, m mood, note text, junk int);
            """,
        "000002_table.down.sql": "DROP TABLE t;",
        "000010_index.up.sql": """
            ALTER TABLE t DROP COLUMN junk;
            CREATE INDEX CONCURRENTLY t_note ON t (note);
            """,
        "000010_index.down.sql": "DROP INDEX t_note;",
    })
    with Loader(pg_server) as loader:
        live = loader.load(parse_target(pg_db))
        from_file = loader.load(parse_target(str(sql)))
        from_folder = loader.load(parse_target(str(folder)))
    assert QName("public", "t") in live.tables
    assert compare(live, from_file) == []
    assert compare(live, from_folder) == []  # ups in order (000010 after 000002), no downs


def test_dbmate_sections_and_explicit_transactions(pg_server: str, tmp_path: Path) -> None:
    folder = _write(tmp_path, {
        "db/migrations/20240101000000_init.sql": """
            -- migrate:up
            BEGIN;
            CREATE TABLE a (id int);
            COMMIT;
            -- migrate:down
            DROP TABLE a;
            """,
        "db/migrations/20240102000000_more.sql": """
            -- migrate:up transaction:false
            CREATE INDEX CONCURRENTLY a_id ON a (id);
            -- migrate:down
            DROP INDEX a_id;
            """,
    })
    with Loader(pg_server) as loader:
        cat = loader.load(parse_target(str(folder / "db" / "migrations")))
    assert QName("public", "a") in cat.tables and QName("public", "a_id") in cat.indexes


def test_a_failing_statement_names_its_file_and_line(pg_server: str, tmp_path: Path) -> None:
    _write(tmp_path, {
        "bad.sql": """
            CREATE TABLE a (id int);

            CREATE VIEW v AS SELECT nope FROM a;
            """,
        "syntax.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int;\n",
        "mig/001_ok.up.sql": "CREATE TABLE a (id int);",
        "mig/002_bad.up.sql": "\n\nALTER TABLE missing ADD COLUMN x int;",
    })
    with Loader(pg_server) as loader:
        with pytest.raises(TargetError) as caught:
            loader.load(parse_target(str(tmp_path / "bad.sql")))
        assert str(caught.value).startswith(f"{tmp_path / 'bad.sql'}:4: ")
        assert 'column "nope" does not exist' in str(caught.value)
        with pytest.raises(TargetError, match=r"syntax\.sql:2: syntax error"):
            loader.load(parse_target(str(tmp_path / "syntax.sql")))
        with pytest.raises(TargetError, match=r"002_bad\.up\.sql:3: relation \"missing\""):
            loader.load(parse_target(str(tmp_path / "mig")))


def test_a_file_that_is_not_utf8_is_a_clear_error(pg_server: str, tmp_path: Path) -> None:
    (tmp_path / "latin1.sql").write_bytes(b"CREATE TABLE caf\xe9 (id int);\n")
    with Loader(pg_server) as loader, pytest.raises(TargetError, match="not valid UTF-8"):
        loader.load(parse_target(str(tmp_path / "latin1.sql")))


def test_alembic_folders_are_refused_clearly(pg_server: str, tmp_path: Path) -> None:
    _write(tmp_path, {"alembic/versions/abc_init.py": """
        revision = "abc"
        down_revision = None
        from alembic import op
        def upgrade():
            op.execute("CREATE TABLE a (id int)")
        def downgrade():
            op.execute("DROP TABLE a")
        """})
    with Loader(pg_server) as loader, pytest.raises(TargetError, match="Alembic"):
        loader.load(parse_target(str(tmp_path / "alembic")))


def test_sqlalchemy_metadata(pg_server: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed")
    _write(tmp_path, {"shopapp/__init__.py": "", "shopapp/models.py": """
        import sqlalchemy as sa

        metadata = sa.MetaData()
        users = sa.Table(
            "users", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(200), nullable=False, unique=True),
            sa.Column("status", sa.Enum("active", "gone", name="user_status")),
        )
        orders = sa.Table(
            "orders", metadata,
            sa.Column("id", sa.BigInteger, primary_key=True),
            sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE")),
            sa.Index("orders_user", "user_id"),
        )
        """})
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with Loader(pg_server) as loader:
        cat = loader.load(parse_target("python:shopapp.models:metadata"))
    users = cat.tables[QName("public", "users")]
    assert {c.name: c.type_sql for c in users.columns}["email"] == "character varying(200)"
    assert cat.types[QName("public", "user_status")].values == ("active", "gone")
    fk = next(c for c in cat.tables[QName("public", "orders")].constraints
              if c.kind == "foreign")
    assert fk.on_delete == "CASCADE" and QName("public", "orders_user") in cat.indexes
    for name in [m for m in sys.modules if m.startswith("shopapp")]:
        del sys.modules[name]


def test_python_targets_say_what_is_wrong(pg_server: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed")
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"broken_app.py": "raise RuntimeError('needs DATABASE_URL')\n",
                      "plain_app.py": "metadata = 42\n"})
    with Loader(pg_server) as loader:
        with pytest.raises(TargetError, match="cannot import broken_app: RuntimeError"):
            loader.load(parse_target("python:broken_app:metadata"))
        with pytest.raises(TargetError, match="not a SQLAlchemy MetaData"):
            loader.load(parse_target("python:plain_app:metadata"))
        with pytest.raises(TargetError, match="has no attribute nope"):
            loader.load(parse_target("python:plain_app:nope"))
        with pytest.raises(TargetError, match=r"expected python:package\.module:attribute"):
            loader.load(parse_target("python:plain_app"))


def test_python_target_without_sqlalchemy(pg_server: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import sqlalchemy now fails
    with Loader(pg_server) as loader, pytest.raises(TargetError, match="need SQLAlchemy"):
        loader.load(parse_target("python:app.models:metadata"))


@pytest.mark.slow
def test_embedded_scratch_server_by_default(tmp_path: Path,
                                            shared_embedded: SharedEmbedded) -> None:
    sql = _write(tmp_path, {"a.sql": SCHEMA, "b.sql": SCHEMA + "ALTER TABLE t ADD x int;"})
    with Loader() as loader:
        a = loader.load(parse_target(str(sql / "a.sql")))
        b = loader.load(parse_target(str(sql / "b.sql")))
    assert shared_embedded.starts == 1  # one embedded server for both sides
    assert [d.ref.sub for d in compare(a, b)] == ["x"]


def test_a_live_database_is_only_read(pg_db: str) -> None:
    run_sql(pg_db, SCHEMA)
    before = introspect(pg_db)
    with Loader() as loader:  # no scratch server is started for a URL
        loader.load(parse_target(pg_db))
        assert loader._server is None
    assert compare(before, introspect(pg_db)) == []
