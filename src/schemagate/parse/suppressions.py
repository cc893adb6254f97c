"""Inline suppression comments: `-- schemagate: ignore RULE[,RULE] [-- reason]`.

squawk's `-- squawk-ignore RULE` / `-- squawk-ignore-file RULE` and Atlas's
`-- atlas:nolint [CODE …]` are read too, so a team can switch without rewriting its review
comments; rule names and codes are resolved through aliases later (`atlas:nolint` alone
silences every rule for the next statement, as in Atlas). diesel-guard's blocks, a line
`-- safety-assured:start` and a later line `-- safety-assured:end` (each alone on its line,
any case), silence every rule for the statements that start between them: diesel-guard skips
all of its checks, built-in and custom, there. A block it would reject (an `end` without a
`start`, a `start` never closed, a `start` inside a block) silences nothing more than the
well-formed blocks around it: an unclosed block is not read as reaching the end of the file.
"""

from __future__ import annotations

import re

from schemagate.model.findings import Suppression
from schemagate.model.span import Span
from schemagate.parse.sections import first_marker_line

_SQL = re.compile(
    r"--\s*(?:schemagate:\s*(?P<sg>ignore-file|ignore)|(?P<sq>squawk-ignore-file|squawk-ignore))"
    r"(?P<rules>(?:\s*,?\s*[A-Za-z][\w-]*)+)(?:\s+--\s*(?P<reason>.*\S))?"
)
_ATLAS = re.compile(r"--\s*atlas:nolint(?P<rules>(?:[ \t]+[A-Za-z][\w-]*)*)")
_PY = re.compile(
    r"#\s*schemagate:\s*(?P<sg>ignore-file|ignore)(?P<rules>(?:\s*,?\s*[A-Za-z][\w-]*)+)"
    r"(?:\s+--\s*(?P<reason>.*\S))?"
)


# A block's edge from its `--` on (`_blocks` checks that only blanks come before it on its
# line): a pattern that starts with `^[ \t]*` is tried at every character of every file,
# ten times slower than this one, which the regex engine finds by its `--`.
_BLOCK = re.compile(r"--[ \t]*safety-assured:(?P<edge>start|end)[ \t]*$",
                    re.IGNORECASE | re.MULTILINE)


def find_suppressions(text: str, path: str, python: bool = False) -> list[Suppression]:
    """Every suppression comment in the text, with its line (a block: its lines)."""
    blocks = [] if python else _blocks(text, path)
    marker = "schemagate:" if python else ("schemagate:", "squawk-ignore", "atlas:nolint")
    if isinstance(marker, str) and marker not in text:
        return blocks
    if isinstance(marker, tuple) and not any(m in text for m in marker):
        return blocks
    pattern = _PY if python else _SQL
    out: list[Suppression] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = pattern.search(line)
        if not match:
            atlas = None if python else _ATLAS.search(line)
            if atlas is not None:
                codes = tuple(atlas.group("rules").split()) or ("all",)
                out.append(Suppression(codes, Span(path, lineno, atlas.start() + 1, lineno,
                                                   len(line)), tool="atlas"))
            continue
        kind = match.group("sg") or match.group("sq") if not python else match.group("sg")
        rules = tuple(r for r in re.split(r"[\s,]+", match.group("rules").strip()) if r)
        col = match.start() + 1
        out.append(Suppression(
            rules=rules,
            span=Span(path, lineno, col, lineno, len(line)),
            whole_file=str(kind).endswith("-file"),
            reason=match.group("reason"),
            tool="squawk" if str(kind).startswith("squawk") else "schemagate",
        ))
    return out + blocks


def of_part(text: str, file_text: str, path: str, section: str | None, part: str | None
            ) -> tuple[list[Suppression], list[Suppression]]:
    """The suppressions of a script that is one part of a file (``text``: the file with the
    rest blanked; a whole file when ``section`` is None): its own, and the file-level ones
    written elsewhere in ``file_text`` (`ParsedScript.file_suppressions`). A file-level one
    above the first direction marker is the up section's own, so that one script judges
    whether it matched anything."""
    own = find_suppressions(text, path)
    if section is None:
        return own, []
    elsewhere = file_level_elsewhere(file_text, path, own)
    if section == "up" and part is None and elsewhere:
        head = first_marker_line(file_text)
        own += [s for s in elsewhere if s.span.line < head]
        elsewhere = [s for s in elsewhere if s.span.line >= head]
    return own, elsewhere


def file_level_elsewhere(text: str, path: str, own: list[Suppression]) -> list[Suppression]:
    """The file-level suppressions of the whole file ``text`` that are not among ``own``
    (those of the part of it being read): squawk and schemagate mean the whole file by
    them, whichever direction or changeset they are written in, or above all of them."""
    if "ignore-file" not in text:
        return []
    mine = {s.span for s in own}
    return [s for s in find_suppressions(text, path) if s.whole_file and s.span not in mine]


def _blocks(text: str, path: str) -> list[Suppression]:
    """diesel-guard's `safety-assured` blocks, each spanning its start and end lines."""
    out: list[Suppression] = []
    start: tuple[int, int] | None = None  # (line, column) of the open block's start
    for match in _BLOCK.finditer(text):
        at = match.start()
        line_start = text.rfind("\n", 0, at) + 1
        if text[line_start:at].strip(" \t"):
            continue  # the line holds something else before the comment
        line = text.count("\n", 0, at) + 1
        if match["edge"].lower() == "start":
            if start is None:
                start = (line, at - line_start + 1)
        elif start is not None:
            out.append(Suppression(("all",), Span(path, start[0], start[1], line,
                                                  match.end() - line_start),
                                   tool="diesel-guard", block=True))
            start = None
    return out
