"""Write docs/rules/ (one page per rule and an index) from the rules' docstrings and decorators.

The pages are generated so they cannot drift from `schemagate explain`; a test fails when the
checked-in files differ from what this writes. Run it after changing a rule:

    python scripts/gen_rule_docs.py          # rewrite docs/rules/
    python scripts/gen_rule_docs.py --check  # exit 1, listing the files that differ
"""

from __future__ import annotations

import sys
from pathlib import Path

from schemagate.reports.rule_pages import pages

OUT = Path(__file__).parent.parent / "docs" / "rules"


def main(argv: list[str]) -> int:
    wanted = pages()
    present = {p.name: p.read_text(encoding="utf-8") for p in OUT.glob("*.md")}
    stale = sorted(name for name in present if name not in wanted)
    changed = sorted(name for name, text in wanted.items() if present.get(name) != text)
    if "--check" in argv:
        for name in changed + stale:
            print(f"docs/rules/{name} is out of date", file=sys.stderr)
        return 1 if changed or stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (OUT / name).unlink()
    for name in changed:
        (OUT / name).write_text(wanted[name], encoding="utf-8")
    print(f"docs/rules/: {len(changed)} written, {len(stale)} removed, "
          f"{len(wanted) - len(changed)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
