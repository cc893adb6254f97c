"""Discovering Alembic revisions: versions folders, their dialect, and context for a file."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover

REVISION = '''"""{name}"""
from alembic import op

revision = "{rev}"
down_revision = {down}


def upgrade():
    op.execute("SELECT 1")
{downgrade}'''


def write_revision(folder: Path, rev: str, down: str | None, downgrade: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rev}_step.py"
    body = "\n\ndef downgrade():\n    pass\n" if downgrade else ""
    path.write_text(REVISION.format(name=rev, rev=rev, down=repr(down), downgrade=body))
    return path


def test_revisions_in_a_versions_folder(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    write_revision(versions, "a1", None)
    write_revision(versions, "b2", "a1", downgrade=False)
    (versions / "__init__.py").write_text("")
    (versions / "helpers.py").write_text("revision = 1\n")  # no down_revision: not a revision
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py").write_text('revision = "x"\ndown_revision = None\n')
    found = discover(["."], cwd=tmp_path)
    assert found.errors == [] and found.notices == []
    rows = [(m.name, m.layout, m.version, m.down is not None, m.up.transaction if m.up else None)
            for m in found.migrations]
    assert rows == [("a1_step", "alembic", "a1", True, "wrapped"),
                    ("b2_step", "alembic", "b2", False, "wrapped")]


def test_dialect_from_alembic_ini_env_py_or_folder_name(tmp_path: Path) -> None:
    ini = tmp_path / "mysqlproj"
    write_revision(ini / "migrations" / "versions", "m1", None)
    (ini / "alembic.ini").write_text("[alembic]\nsqlalchemy.url = mysql+pymysql://u@h/db\n")
    env = tmp_path / "liteproj" / "alembic"
    write_revision(env / "versions", "s1", None)
    (env / "env.py").write_text('URL = "sqlite:///app.db"\n')
    split = tmp_path / "split" / "versions"
    write_revision(split / "sqlite", "q1", None)
    write_revision(split / "postgresql", "p1", None)
    unknown = tmp_path / "unknown" / "versions"
    write_revision(unknown, "u1", None)
    (tmp_path / "unknown" / "env.py").write_text("url = os.environ['DATABASE_URL']\n")
    found = discover(["."], cwd=tmp_path)
    assert {m.version: m.dialect for m in found.migrations} == {
        "m1": "mysql", "s1": "sqlite", "q1": "sqlite", "p1": "postgres", "u1": "postgres"}


def test_a_named_revision_brings_its_history_as_context(tmp_path: Path) -> None:
    versions = tmp_path / "db" / "versions"
    write_revision(versions / "2023", "a1", None)
    write_revision(versions / "2024", "b2", "a1")
    named = write_revision(versions / "2024", "c3", "b2")
    found = discover([named], cwd=tmp_path)
    assert sorted((m.version, m.context_only) for m in found.migrations) == [
        ("a1", True), ("b2", True), ("c3", False)]
    # Walking the folder instead reports every revision.
    assert not any(m.context_only for m in discover(["db"], cwd=tmp_path).migrations)


ENV_PY = '''from alembic import context
from sqlalchemy import text


def run_migrations_online():
    with connectable.connect() as connection:
        connection.execute(text("SET statement_timeout = 5000"))
        connection.execute(text("SET lock_timeout TO '4s'"))
        connection.execute(text("SET LOCAL work_mem = '64MB'"))
        context.configure(connection=connection)
'''


def test_the_settings_env_py_sets_on_the_connection_are_each_revisions_session(
        tmp_path: Path) -> None:
    write_revision(tmp_path / "alembic" / "versions", "a1", None)
    (tmp_path / "alembic" / "env.py").write_text(ENV_PY)
    write_revision(tmp_path / "bare" / "versions", "b1", None)
    found = discover(["."], cwd=tmp_path)
    assert {m.version: m.session for m in found.migrations} == {
        "a1": (("statement_timeout", "5000"), ("lock_timeout", "'4s'")), "b1": ()}
