"""docs/ARCHITECTURE.md and CONTRIBUTING.md name files and folders that exist.

Both pages point newcomers at real places in the code; a module that moves leaves them
pointing nowhere. Every path of two parts or more they write in backticks
(`parse/layouts/discover.py`, `tests/fixtures/rules/`) must exist under the repository or
under src/schemagate/; paths with a placeholder (`<tool>`) are patterns, not places.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "docs" / "ARCHITECTURE.md", ROOT / "CONTRIBUTING.md"]
PACKAGE = ROOT / "src" / "schemagate"


def _paths(page: Path) -> list[str]:
    found = []
    for token in re.findall(r"`([^`\s]+)`", page.read_text(encoding="utf-8")):
        path = token.split(":")[0]
        # A bare name (`engine.py`, `model/`) is relative to the table row it stands in.
        if "<" in path or not re.fullmatch(r"[\w.-]+/[\w./-]+", path):
            continue
        if path.endswith((".py", "/", ".md", ".toml")):
            found.append(path)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_path_the_page_names_exists(page: Path) -> None:
    missing = [p for p in _paths(page)
               if not any((base / p).exists() for base in (ROOT, PACKAGE, page.parent))]
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def test_the_architecture_page_describes_every_stage_package() -> None:
    text = PAGES[0].read_text(encoding="utf-8")
    stages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert [s for s in stages if f"| `{s}/` |" not in text] == []
