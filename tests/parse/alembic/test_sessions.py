"""ORM work through a Session on the migration's connection: one statement that changes
rows the tool does not read, where the session is first used."""

from __future__ import annotations

from pathlib import Path

from schemagate.model import ops as o
from schemagate.model.settings import Settings
from tests.parse.alembic.helpers import lint_revisions
from tests.parse.alembic.test_frontend import line_of, ops_of, parse

_SESSION_REASON = ("ORM work through a Session on the migration's connection: the rows it "
                   "reads and writes are not known")


def test_a_session_on_the_migration_s_bind_is_one_data_changing_statement(
        tmp_path: Path) -> None:
    # Mealie's 86054b40fd06: query the cookbooks, set an attribute on each, commit.
    mig = parse(tmp_path, '''
        from sqlalchemy import orm


        def upgrade():
            op.add_column("cookbooks", sa.Column("query_filter", sa.String()))
            session = orm.Session(bind=op.get_bind())
            for cookbook in session.query(CookBook).all():
                cookbook.query_filter = "tags IN []"
            session.add(CookBook(name="x"))
            session.commit()
    ''')
    path = tmp_path / "versions" / "r1_test.py"
    raws = [x for x in ops_of(mig) if isinstance(x, o.RawSQL)]
    assert [(x.statement_kind, x.reason, x.span.line) for x in raws] == [
        (o.ORM_SESSION, _SESSION_REASON, line_of(path, "session.query"))]


def test_sessions_made_by_a_sessionmaker_or_handed_to_a_helper_are_read_alike(
        tmp_path: Path) -> None:
    mig = parse(tmp_path, '''
        from sqlalchemy.orm import Session, sessionmaker


        def fill(session):
            session.execute(sa.text(f"UPDATE {T.__tablename__} SET a = 1"))
            session.execute(sa.text("UPDATE t SET b = 2"))


        def upgrade():
            fill(Session(bind=op.get_bind()))
            maker = sessionmaker(bind=op.get_bind())
            other = maker()
            other.merge(T(id=1))
            other.flush()
    ''')
    path = tmp_path / "versions" / "r1_test.py"
    found = [(type(x).__name__, getattr(x, "statement_kind", ""), x.span.line)
             for x in ops_of(mig)]
    # The SQL the session is given in a string is still read.
    assert found == [
        ("RawSQL", o.ORM_SESSION, line_of(path, "session.execute")),
        ("UpdateRows", "", line_of(path, "UPDATE t SET b = 2")),
        ("RawSQL", o.ORM_SESSION, line_of(path, "other.merge")),
    ]


def test_a_session_s_work_after_an_access_exclusive_lock_is_slow_work(tmp_path: Path) -> None:
    body = '''
        from sqlalchemy import orm


        def upgrade():
            op.add_column("cookbooks", sa.Column("query_filter", sa.String()))
            session = orm.Session(bind=op.get_bind())
            for cookbook in session.query(CookBook).all():
                cookbook.query_filter = ""
            session.commit()
    '''
    base = 'def upgrade():\n    op.create_table("cookbooks", sa.Column("id", sa.Integer()))\n'
    result = lint_revisions(tmp_path, {"0001_base.py": (None, base),
                                       "0002_filter.py": ("0001_base", body)},
                            settings=Settings(select=("lock-held-too-long",)))
    [finding] = result.active
    assert finding.message == (
        "ACCESS EXCLUSIVE on `public.cookbooks` stays held while line 17 "
        "(`session.query(CookBook)`) runs in the same transaction")
