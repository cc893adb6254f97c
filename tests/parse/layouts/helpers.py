"""Helpers for the discovery tests: real trees, their migrations as comparable rows."""

from __future__ import annotations

from pathlib import Path

from schemagate.model.migration import Script
from schemagate.parse.layouts.discover import Discovery

LAYOUTS = Path(__file__).parents[2] / "fixtures" / "layouts"

Row = tuple[str, str, str | None, str | None, str | None]


def rows(found: Discovery) -> list[Row]:
    """(name, layout, up path, down path, version) of each migration, in order."""
    return [(m.name, m.layout, path_of(m.up), path_of(m.down), m.version) for m in found.migrations]


def path_of(script: Script | None) -> str | None:
    return None if script is None else script.path


def write(path: Path, text: str = "SELECT 1;\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def clean(found: Discovery) -> Discovery:
    assert found.errors == []
    assert found.notices == []
    return found
