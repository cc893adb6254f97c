"""The rule reference in docs/rules/ is what the rules say.

docs/rules/ is generated (`python scripts/gen_rule_docs.py`); these tests fail when a rule's
docstring or decorator changed and the pages were not regenerated.
"""

from __future__ import annotations

from pathlib import Path

from schemagate.reports.rule_pages import REGENERATE, pages
from schemagate.rules.registry import all_rules

DOCS = Path(__file__).parent.parent.parent / "docs" / "rules"


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
