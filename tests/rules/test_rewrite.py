"""The statement text fixes are built on (rules/rewrite.py)."""

from __future__ import annotations

from schemagate.rules.rewrite import StatementText


def test_text_the_scanner_refuses_has_no_tokens_and_so_no_fix() -> None:
    # An Alembic op.execute string may hold what PostgreSQL's scanner rejects (`""`): the
    # fix is not offered, and the lint goes on.
    text = StatementText('ALTER TABLE t ADD COLUMN "" timestamp', "m.py", 3, 5)
    assert text.tokens == []
    assert text.find("ADD_P") is None


def test_tokens_leave_comments_out() -> None:
    text = StatementText("CREATE /* INDEX */ INDEX i ON t (a)", "m.sql", 1, 1)
    assert [t.name for t in text.tokens][:2] == ["CREATE", "INDEX"]
