"""Write a realistic Alembic history of any length: tables with foreign keys, added and
altered columns, SQL strings, batch blocks, concurrent indexes, branches and their merges."""

from __future__ import annotations

import random
from pathlib import Path

_FILE = '''"""{message}

Revision ID: {rev}
Revises: {down}
Create Date: 2024-01-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "{rev}"
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
{up}


def downgrade() -> None:
{down_body}
'''


def revision_id(i: int) -> str:
    return f"{i:04d}{(i * 7919) % 100000:05d}aa"


def write_history(folder: Path, count: int, seed: int = 4) -> None:
    """`count` revisions in `folder`; every 50th forks into two branches merged after."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    tables: list[str] = []
    parents: list[str | None] = [None]
    i = 0
    while i < count:
        if i > 10 and i % 50 == 0 and len(parents) == 1 and i + 1 < count:
            forks = [revision_id(i), revision_id(i + 1)]
            for rev in forks:
                table = rng.choice(tables)
                _write(folder, rev, "fork", parents, *_add_column(table, f"fork_{rev}"))
            parents, i = list[str | None](forks), i + 2
            continue
        rev = revision_id(i)
        if len(parents) > 1:
            _write(folder, rev, "merge heads", parents, "    pass", "    pass")
        else:
            _write(folder, rev, f"step {i}", parents, *_step(i, tables, rng))
        parents, i = [rev], i + 1


def _write(folder: Path, rev: str, message: str, parents: list[str | None], up: str,
           down: str) -> None:
    down_repr = repr(parents[0]) if len(parents) == 1 else repr(tuple(parents))
    (folder / f"{rev}_{message.replace(' ', '_')}.py").write_text(_FILE.format(
        message=message, rev=rev, down=", ".join(str(p) for p in parents), down_repr=down_repr,
        up=up, down_body=down))


def _add_column(table: str, column: str) -> tuple[str, str]:
    return (f'    op.add_column("{table}", sa.Column("{column}", sa.String(length=40), '
            "nullable=True))", f'    op.drop_column("{table}", "{column}")')


def _step(i: int, tables: list[str], rng: random.Random) -> tuple[str, str]:
    kind = i % 5
    if kind == 0 or not tables:
        table = f"table_{i}"
        fk = ""
        if tables:
            fk = (f',\n        sa.ForeignKeyConstraint(["parent_id"], ["{rng.choice(tables)}.id"], '
                  'ondelete="CASCADE")')
        tables.append(table)
        return (f'''    op.create_table(
        "{table}",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True){fk},
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_{table}_name"), "{table}", ["name"], unique=False)''',
                f'''    op.drop_index(op.f("ix_{table}_name"), table_name="{table}")
    op.drop_table("{table}")''')
    table = rng.choice(tables)
    if kind == 1:
        return (f'''    op.add_column("{table}", sa.Column("col_{i}", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE {table}
           SET col_{i} = 0
         WHERE col_{i} IS NULL
        """
    )
    op.alter_column("{table}", "col_{i}", existing_type=sa.Integer(), nullable=False)''',
                f'    op.drop_column("{table}", "col_{i}")')
    if kind == 2:
        return (f'''    with op.batch_alter_table("{table}") as batch_op:
        batch_op.add_column(sa.Column("flag_{i}", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index("ix_{table}_flag_{i}", ["flag_{i}"])''',
                f'''    with op.batch_alter_table("{table}") as batch_op:
        batch_op.drop_index("ix_{table}_flag_{i}")
        batch_op.drop_column("flag_{i}")''')
    if kind == 3:
        return (f'''    with op.get_context().autocommit_block():
        op.create_index("ix_{table}_created_{i}", "{table}", ["created_at"],
                        postgresql_concurrently=True)''',
                f'''    with op.get_context().autocommit_block():
        op.drop_index("ix_{table}_created_{i}", table_name="{table}",
                      postgresql_concurrently=True)''')
    return (f'''    op.create_check_constraint("ck_{table}_{i}", "{table}", "length(name) > 0")''',
            f'''    op.drop_constraint("ck_{table}_{i}", "{table}", type_="check")''')
