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
