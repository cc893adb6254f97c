"""Edits that make a finding go away: what `lint --fix`, JSON, SARIF and the editor offer."""

from __future__ import annotations

from dataclasses import dataclass

from schemagate.model.pickling import pickle_by_fields


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace a range of one file's text with `content`.

    Positions are 1-based lines and columns counted in characters, like `Span`, but the end
    is exclusive, so that an insertion is a range whose start and end are the same point.
    An edit with `new_file` set creates `path` holding `content` (a statement moved into a
    migration of its own); its range is 1:1 to 1:1.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    new_file: bool = False


@dataclass(frozen=True, slots=True)
class Fix:
    """A rewrite offered for one finding.

    `safe` fixes keep the migration's meaning (CONCURRENTLY, NOT VALID then VALIDATE); an
    unsafe one changes it (json to jsonb) and is applied only with `--unsafe-fixes`.
    """

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


pickle_by_fields(globals())
