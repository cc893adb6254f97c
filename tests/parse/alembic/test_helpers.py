"""Statements a migration runs through a helper function of its own file: where findings on
them point, and which suppression comments govern them."""

from __future__ import annotations

from pathlib import Path

from schemagate.model.settings import Settings
from tests.parse.alembic.helpers import lint_revisions

_INDEX = Settings(select=("create-index-non-concurrently", "unused-suppression"))
_HELPER = '''
    def setup_trigrams():
        op.create_index("ix_name_gin", "recipes", ["name"])
        op.create_index("ix_note_gin", "recipes", ["note"])


    def upgrade():
        op.execute("SELECT 1")
        {above}
        setup_trigrams(){after}


    def downgrade():
        op.drop_index("ix_note_gin", table_name="recipes")
'''


_BASE = """
    def upgrade():
        op.create_table("recipes", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("name", sa.Text()), sa.Column("note", sa.Text()))
"""


def _lines(tmp_path: Path, above: str = "", after: str = "") -> list[tuple[int, str]]:
    result = lint_revisions(tmp_path, {"0002_trgm.py": ("0001_base", _HELPER.format(
        above=above, after=after)), "0001_base.py": (None, _BASE)},
        settings=_INDEX)
    return sorted((f.span.line, f.rule) for f in result.active
                  if Path(f.span.path).name == "0002_trgm.py")


def test_findings_on_a_helper_s_statements_point_into_the_helper(tmp_path: Path) -> None:
    # The header takes lines 1-10; the helper's calls are on lines 12 and 13.
    assert _lines(tmp_path) == [(12, "create-index-non-concurrently"),
                                (13, "create-index-non-concurrently")]


def test_a_comment_on_the_call_governs_the_helper_s_first_statement(tmp_path: Path) -> None:
    after = "  # schemagate: ignore create-index-non-concurrently"
    assert _lines(tmp_path, after=after) == [(13, "create-index-non-concurrently")]


def test_a_comment_above_the_call_governs_the_helper_s_first_statement(tmp_path: Path) -> None:
    above = "# schemagate: ignore create-index-non-concurrently"
    assert _lines(tmp_path, above=above) == [(13, "create-index-non-concurrently")]


def test_a_comment_in_a_helper_of_downgrade_governs_its_statement(tmp_path: Path) -> None:
    body = '''
        def remove_trigrams():
            # schemagate: ignore drop-index-non-concurrently
            op.drop_index("ix_name", table_name="recipes")


        def upgrade():
            op.execute("SELECT 1")


        def downgrade():
            remove_trigrams()
    '''
    base = _BASE + '    op.create_index("ix_name", "recipes", ["name"])\n'
    result = lint_revisions(tmp_path, {"0001_base.py": (None, base),
                                       "0002_trgm.py": ("0001_base", body)},
                            settings=Settings(select=("drop-index-non-concurrently",
                                                      "unused-suppression")))
    assert [(f.rule, f.suppressed_by is not None) for f in result.findings
            if Path(f.span.path).name == "0002_trgm.py"] == [
        ("drop-index-non-concurrently", True)]
