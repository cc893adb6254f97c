"""The rule reference in docs/rules/ is what the rules say, and every rule's docstring is whole.

docs/rules/ is generated (`python scripts/gen_rule_docs.py`); these tests fail when a rule's
docstring or decorator changed and the pages were not regenerated, and when a docstring's
sections are missing or out of the order STYLE.md gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.reports.rule_pages import REGENERATE, pages
from schemagate.reports.sarif import rule_descriptor
from schemagate.rules.registry import Rule, all_rules

DOCS = Path(__file__).parent.parent.parent / "docs" / "rules"
SECTIONS = ("What it does", "Why it matters", "When it does not fire", "Safe alternative",
            "Example", "References")
# After References, the recipes in a migration tool's own syntax, each where it applies.
RECIPES = ("With Alembic", "With Django")


def test_docs_rules_holds_exactly_what_the_generator_writes() -> None:
    wanted = pages()
    present = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    differ = sorted(n for n in wanted.keys() | present.keys() if wanted.get(n) != present.get(n))
    assert not differ, f"docs/rules/ is out of date ({', '.join(differ)}): run `{REGENERATE}`"


def test_a_rule_off_by_default_says_how_to_turn_it_on() -> None:
    off = next(r for r in all_rules() if not r.enabled_by_default)
    assert f"`--select {off.id}`" in pages()[f"{off.id}.md"]


def test_the_index_lists_every_rule_with_its_aliases() -> None:
    index = pages()["README.md"]
    for r in all_rules():
        row = next(line for line in index.splitlines() if line.startswith(f"| [{r.id}]("))
        assert all(f"`{a}`" in row for a in r.aliases)


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.id)
def test_a_rules_docstring_has_its_sections_in_order(r: Rule) -> None:
    titles = list(r.sections)
    assert titles[:len(SECTIONS)] == list(SECTIONS)
    recipes = titles[len(SECTIONS):]
    assert recipes == [t for t in RECIPES if t in recipes]


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.id)
def test_a_rules_references_link_the_page_its_claim_rests_on(r: Rule) -> None:
    references = r.sections.get("References", "")
    if r.scope == "suppressions":
        # Suppression comments are schemagate's own syntax: no manual but ours describes them.
        assert "schemagate" in references and "https://" in references
    elif r.scope == "history":
        # A revision graph is the migration tool's, not PostgreSQL's: its own manual is cited.
        assert "https://" in references
    else:
        assert "https://www.postgresql.org/docs/" in references


def test_a_sarif_rules_help_uri_is_its_page_in_docs_rules() -> None:
    r = all_rules()[0]
    uri = rule_descriptor(r)["helpUri"]
    assert uri.endswith(f"/docs/rules/{r.id}.md") and (DOCS / f"{r.id}.md").is_file()
