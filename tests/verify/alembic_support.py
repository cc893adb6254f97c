"""The Alembic fixture project, and copies of it with revisions a test adds."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from tests.verify.helpers import VERIFY

PROJECT = VERIFY / "alembic_project"
VERSIONS = PROJECT / "migrations" / "versions"

# The fixture's revisions in graph order (their files sort otherwise).
CREATE = "7c1f2a9e4b10_create_customers_and_orders"
NOTE_INDEX = "2d8e5b3a6f41_orders_note_and_status_index"
DROP_LEGACY = "e4a09c7d1b52_drop_customers_legacy_code"
VIEW = "19b6f0e3c8d7_order_totals_view"
IN_GRAPH_ORDER = [CREATE, NOTE_INDEX, DROP_LEGACY, VIEW]
HEAD = "19b6f0e3c8d7"


def line_of(file: Path, text: str) -> int:
    """The line of the first occurrence of `text` in the file (tests name what they mean
    instead of counting lines)."""
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {file}")


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(PROJECT, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def add_revision(project: Path, revision: str, down_revision: str | tuple[str, ...] | None,
                 upgrade: str, downgrade: str, slug: str = "change") -> Path:
    """Write a revision file as `alembic revision` would, with the bodies given."""
    file = project / "migrations" / "versions" / f"{revision}_{slug}.py"
    down = repr(down_revision)
    file.write_text(
        f'"""{slug}\n\nRevision ID: {revision}\nRevises: {down_revision or ""}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n"
        "\n\n"
        f"def downgrade() -> None:\n"
        f"{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n",
        encoding="utf-8")
    return file
