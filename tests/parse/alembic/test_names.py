"""Constraint names that only run time knows: a name built by an expression, and no name
where env.py's `target_metadata` may carry a naming convention.

The history in tests/fixtures/alembic/conventions is shaped after JupyterHub's: env.py passes
the application's metadata, whose convention names every foreign key.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from schemagate.lint.engine import lint
from schemagate.model import ops as o
from schemagate.model.settings import Settings
from schemagate.parse.layouts.alembic import alembic_run_time_names
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import FIXTURES
from tests.parse.alembic.test_frontend import ops_of, parse

CONVENTIONS = FIXTURES / "alembic" / "conventions"


def _foreign_keys(tmp_path: Path, body: str) -> list[o.ConstraintDef]:
    ops = ops_of(parse(tmp_path, body))
    return [x.constraint for x in ops if isinstance(x, o.AddConstraint)]


def _lint(root: Path, *rules: str) -> list[str]:
    found = discover([root], cwd=root.parent)
    loaded = load_migrations(found.migrations, root=root.parent)
    result = lint(loaded.migrations, Settings(select=rules))
    return [f.message for f in result.findings]


def test_a_name_built_by_an_expression_is_a_name_known_only_at_run_time(
        tmp_path: Path) -> None:
    [fk] = _foreign_keys(tmp_path, '''
        from myapp import orm

        def upgrade():
            op.create_foreign_key(
                orm.meta.naming_convention["fk"] % dict(table_name="child"),
                "child", "parent", ["parent_id"], ["id"])
    ''')
    assert (fk.name, fk.name_at_run_time) == (None, True)


def test_no_name_without_a_naming_convention_is_the_databases_to_give(
        tmp_path: Path) -> None:
    [fk] = _foreign_keys(tmp_path, '''
        def upgrade():
            op.create_foreign_key(None, "child", "parent", ["parent_id"], ["id"])
    ''')
    assert (fk.name, fk.name_at_run_time) == (None, False)


def test_a_literal_name_is_known(tmp_path: Path) -> None:
    [fk] = _foreign_keys(tmp_path, '''
        def upgrade():
            op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])
    ''')
    assert (fk.name, fk.name_at_run_time) == ("fk_child_parent", False)


def test_a_long_name_made_with_op_f_is_shortened_as_sqlalchemy_renders_it(
        tmp_path: Path) -> None:
    # Polar 296b2161f0de. Alembic 1.20 / SQLAlchemy 2.1 offline:
    #   CONSTRAINT oauth2_authorization_code_organizations_oauth2_authoriz_0a46 FOREIGN KEY…
    #   CREATE INDEX xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_eedd ON t (a);
    #   DROP INDEX xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_eedd;
    #   ALTER TABLE t DROP CONSTRAINT xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_eedd;
    # while the same names as plain strings raise IdentifierError.
    long_fk = "oauth2_authorization_code_organizations_oauth2_authorization_code_id_fkey"
    long = "x" * 70
    mig = parse(tmp_path, f"""
        from sqlalchemy.sql.naming import conv

        def upgrade():
            op.create_table(
                "oauth2_authorization_code_organizations",
                sa.Column("code_id", sa.Uuid(), nullable=False),
                sa.ForeignKeyConstraint(["code_id"], ["oauth2_authorization_codes.id"],
                                        name=op.f("{long_fk}")),
            )
            op.create_index(op.f("{long}"), "t", ["a"])
            name = op.f("{long}")
            op.drop_index(name, table_name="t")
            op.create_foreign_key(conv("{long}"), "t", "u", ["a"], ["id"])
            op.drop_constraint(op.f("{long}"), "t")
            op.create_unique_constraint("{long}", "t", ["a"])
            op.create_index(op.f("{'y' * 63}"), "t", ["a"])
    """)
    names = []
    for op in ops_of(mig):
        match op:
            case o.CreateTable(constraints=cons):
                names += [c.name for c in cons if c.kind == "foreign"]
            case o.CreateIndex(name=n) | o.DropIndex(names=(n,)):
                names.append(n.name if n else None)
            case o.AddConstraint(constraint=c):
                names.append(c.name)
            case o.DropConstraint(name=n):
                names.append(n)
    short = "x" * 55 + "_eedd"
    assert names == ["oauth2_authorization_code_organizations_oauth2_authoriz_0a46", short,
                     short, short, short, long, "y" * 63]


def test_env_py_passing_the_applications_metadata_may_name_constraints() -> None:
    assert alembic_run_time_names(str(CONVENTIONS / "versions"))


def test_env_py_passing_no_metadata_leaves_names_to_the_database(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    env = tmp_path / "alembic" / "env.py"
    for text, expected in [
        ("from alembic import context\ncontext.configure(url=url)\n", False),
        ("target_metadata = None\ncontext.configure(target_metadata=target_metadata)\n",
         False),
        ("target_metadata = sa.MetaData()\n", False),
        ("target_metadata = MetaData(naming_convention={'fk': 'fk_%(table_name)s'})\n",
         True),
        ("context.configure(connection=c, target_metadata=db.metadata)\n", True),
    ]:
        env.write_text(text)
        assert alembic_run_time_names(str(versions)) is expected, text
    env.unlink()
    assert alembic_run_time_names(str(versions))  # env.py cannot be read


def test_the_metadata_env_py_imports_is_read_for_its_naming_convention(
        tmp_path: Path) -> None:
    """warehouse's `from warehouse import db` ... `target_metadata=db.metadata`, and Mealie's
    `SqlAlchemyBase.metadata` of a `DeclarativeBase`: plain metadata, the database names what
    the revisions leave unnamed. A convention, or metadata made elsewhere, is not plain."""
    versions = tmp_path / "shop" / "migrations" / "versions"
    versions.mkdir(parents=True)
    env = tmp_path / "shop" / "migrations" / "env.py"
    env.write_text("# target_metadata = mymodel.Base.metadata\n"  # Alembic's template
                   "from shop import db\n"
                   "from shop.models.base import Base\n"
                   "context.configure(connection=c, target_metadata=db.metadata)\n")
    db = tmp_path / "shop" / "db.py"
    cases = [
        ('__all__ = ["metadata"]\nmetadata = sqlalchemy.MetaData()\n\n'
         "class ModelBase(DeclarativeBase):\n    metadata = metadata\n", False),
        ("metadata = sa.MetaData(naming_convention=NAMES)\n", True),
        ("metadata = sa.MetaData()\nmetadata.naming_convention = NAMES\n", True),
        ("from shop.names import shared\nmetadata = shared\n", True),
    ]
    for text, expected in cases:
        db.write_text(text)
        read: list[str] = []
        assert alembic_run_time_names(str(versions), read) is expected, text
        assert str(db) in read  # what the answer depended on, for the caches
    db.unlink()
    assert alembic_run_time_names(str(versions))  # db.py is not there to read
    env.write_text("from shop.models.base import Base\ntarget_metadata = Base.metadata\n")
    base = tmp_path / "shop" / "models" / "base.py"
    base.parent.mkdir()
    for text, expected in [
        ("class Base(DeclarativeBase):\n    id: Mapped[int]\n", False),
        ("Base = declarative_base()\n", False),
        ("class Base(DeclarativeBase):\n    metadata = MetaData(naming_convention=N)\n",
         True),
        ("class Base(DeclarativeBase):\n    metadata = shared_metadata\n", True),
    ]:
        base.write_text(text)
        assert alembic_run_time_names(str(versions)) is expected, text


def test_messages_name_a_foreign_key_with_a_run_time_name_by_its_columns() -> None:
    messages = _lint(CONVENTIONS, "fk-without-index", "drop-referenced-object")
    assert sorted(messages) == [
        "foreign key on `public.oauth_codes` (client_id) has no index on its columns",
        "foreign key on `public.spawners` (oauth_client_id) has no index on its columns",
        "table `public.oauth_clients` is still used by foreign key on "
        "public.oauth_codes(client_id) (references it), foreign key on "
        "public.spawners(oauth_client_id) (references it): PostgreSQL refuses the drop "
        "without CASCADE",
    ]


def test_without_a_naming_convention_an_unnamed_key_has_postgresqls_name(
        tmp_path: Path) -> None:
    root = tmp_path / "alembic"
    shutil.copytree(CONVENTIONS, root)
    (root / "env.py").write_text("from alembic import context\n\n"
                                 "context.configure(url='postgresql://localhost/app')\n")
    messages = _lint(root, "fk-without-index")
    assert "foreign key `oauth_codes_client_id_fkey` on `public.oauth_codes` (client_id) " \
        "has no index on its columns" in messages
