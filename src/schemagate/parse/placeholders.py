"""Template placeholders in migrations: finding them, and filling them from `--var`.

Real histories are templates: Go's text/template (`{{ .Schema }}`, `{{ index .Options
"Namespace" }}`, in Ory's popx), Jinja-like `{{ name }}`, Flyway and dbmate `${name}`, a
`/* TEMPLATE: name */` marker some generators leave, and psql variables (`:name`, `:'name'`
as a string literal, `:"name"` as an identifier).

Template engines and Flyway substitute everywhere, strings and comments included, so their
placeholders are found in the whole text. psql substitutes only outside quotes and comments,
never in `::type` casts or `:=`, and a bare `:name` inside `[ ]` is an array slice
(`a[1:n]`), so psql variables are found by a small scanner that skips all of those.

A placeholder is filled from the variables by its names, the first that is given winning
(`{{ index .Options "Namespace" }}` answers to `Namespace` and `Options.Namespace`), then by
the same names in any case. With ``fill_all``, one that no variable names gets a harmless
identifier made from its own name, so the file parses; the caller says which in a notice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["template", "psql", "psql-literal", "psql-identifier"]

_TEMPLATE = re.compile(
    r"\{\{-?\s*(?:index\s+\.(?P<map>[A-Za-z_]\w*)\s+\"(?P<key>[^\"{}]+)\""
    r"|\.?(?P<go>[A-Za-z_][\w.]*))\s*-?\}\}"
    r"|\$\{(?P<dollar>[A-Za-z_][\w.]*)\}"
    r"|/\*\s*TEMPLATE:\s*(?P<marker>[A-Za-z_][\w.]*)\s*\*/"
)
_PSQL = re.compile(
    r":(?:'(?P<lit>[A-Za-z_]\w*)'|\"(?P<ident>[A-Za-z_]\w*)\"|(?P<bare>[A-Za-z_]\w*))")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_WORD = re.compile(r"\w")
_INTERESTING = re.compile(r"--|/\*|['\"$:\[\]]")


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One placeholder as written: its character range and the names that fill it."""

    text: str
    start: int
    end: int
    names: tuple[str, ...]
    kind: Kind

    @property
    def name(self) -> str:
        """The name to give `--var` for it."""
        return self.names[0]

    @property
    def is_comment(self) -> bool:
        """A `/* TEMPLATE: name */` marker: unfilled, it is a comment to the parser, so it
        never causes a syntax error."""
        return self.text.startswith("/*")


def find_placeholders(text: str, *, psql: bool = True) -> list[Placeholder]:
    """Every placeholder in the text, in order; psql variables only when ``psql``."""
    found = [_template(m) for m in _TEMPLATE.finditer(text)]
    if psql and ":" in text:
        taken = [(p.start, p.end) for p in found]
        found += [p for p in _psql_variables(text)
                  if not any(s <= p.start < e for s, e in taken)]
    return sorted(found, key=lambda p: p.start)


def fill(text: str, placeholders: list[Placeholder], variables: Mapping[str, str],
         fill_all: bool = False) -> tuple[str, list[tuple[int, int, int, int]],
                                          list[tuple[Placeholder, str]]]:
    """The text with placeholders filled, the edits made, and the ones filled by default.

    Each edit is (start, end) in the original text and (start, end) in the new one, in
    characters, so that positions in the new text can be mapped back to the file.
    """
    folded = {k.lower(): v for k, v in variables.items()}
    pieces: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    defaulted: list[tuple[Placeholder, str]] = []
    cursor = new = 0
    for p in placeholders:
        value = _value(p, variables, folded)
        if value is None:
            if not fill_all:
                continue
            value = _harmless(p)
            defaulted.append((p, value))
        value = _as_written(p, value)
        pieces.append(text[cursor:p.start])
        new += p.start - cursor
        pieces.append(value)
        edits.append((p.start, p.end, new, new + len(value)))
        new += len(value)
        cursor = p.end
    pieces.append(text[cursor:])
    return "".join(pieces), edits, defaulted


def _template(m: re.Match[str]) -> Placeholder:
    if m.group("key"):
        names: tuple[str, ...] = (m.group("key"), f"{m.group('map')}.{m.group('key')}")
    else:
        name = m.group("go") or m.group("dollar") or m.group("marker")
        last = name.rsplit(".", 1)[-1]
        names = (name, last) if last != name else (name,)
    return Placeholder(m.group(0), m.start(), m.end(), names, "template")


def _psql_variables(text: str) -> list[Placeholder]:
    """psql's `:name`, `:'name'` and `:"name"` outside quotes, comments and casts."""
    out: list[Placeholder] = []
    i, n, brackets = 0, len(text), 0
    while i < n:
        jump = _INTERESTING.search(text, i)
        if jump is None:
            break
        i = jump.start()
        c = text[i]
        if c == "-" and text.startswith("--", i):
            i = _after(text, "\n", i + 2)
        elif c == "/" and text.startswith("/*", i):
            i = _after_comment(text, i)
        elif c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not _WORD.match(text[i - 2]))
            i = _after_quote(text, i, "'", escapes)
        elif c == '"':
            i = _after_quote(text, i, '"', False)
        elif c == "$" and (i == 0 or not _WORD.match(text[i - 1])):
            tag = _DOLLAR_TAG.match(text, i)
            i = _after(text, tag.group(0), tag.end()) if tag else i + 1
        elif c == ":":
            if text.startswith("::", i):
                i += 2
                continue
            m = _PSQL.match(text, i)
            if m is None or (m.group("bare") and brackets > 0):
                i += 1
                continue
            name = m.group("lit") or m.group("ident") or m.group("bare")
            kind: Kind = ("psql-literal" if m.group("lit") else
                          "psql-identifier" if m.group("ident") else "psql")
            out.append(Placeholder(m.group(0), m.start(), m.end(), (name,), kind))
            i = m.end()
        else:
            if c == "[":
                brackets += 1
            elif c == "]":
                brackets -= 1
            i += 1
    return out


def _after(text: str, closing: str, start: int) -> int:
    found = text.find(closing, start)
    return len(text) if found == -1 else found + len(closing)


def _after_comment(text: str, start: int) -> int:
    """After a block comment; PostgreSQL's nest."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(text)


def _after_quote(text: str, start: int, quote: str, escapes: bool) -> int:
    i = start + 1
    while i < len(text):
        c = text[i]
        if escapes and c == "\\":
            i += 2
        elif c == quote:
            if text.startswith(quote * 2, i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return len(text)


def _value(p: Placeholder, variables: Mapping[str, str], folded: Mapping[str, str]
           ) -> str | None:
    for name in p.names:
        if name in variables:
            return variables[name]
    for name in p.names:
        if name.lower() in folded:
            return folded[name.lower()]
    return None


def _harmless(p: Placeholder) -> str:
    """An identifier made of the placeholder's name: readable in findings, never reserved."""
    word = re.sub(r"\W+", "_", p.name).strip("_").lower() or "placeholder"
    from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    if word[0].isdigit() or word in RESERVED_KEYWORDS or word in TYPE_FUNC_NAME_KEYWORDS:
        word += "_"
    return word


def _as_written(p: Placeholder, value: str) -> str:
    """psql's `:'name'` is a quoted literal and `:"name"` a quoted identifier."""
    if p.kind == "psql-literal":
        return "'" + value.replace("'", "''") + "'"
    if p.kind == "psql-identifier":
        return '"' + value.replace('"', '""') + '"'
    return value


# A psql meta-command: a backslash command at the start of a line (`\set`, `\echo`, `\i`),
# and the name a `\set` gives a value to.
_META = re.compile(r"(?m)^[ \t]*\\(?:set[ \t]+(?P<name>[A-Za-z_]\w*))?[^\n]*")


def without_meta_commands(text: str) -> tuple[str, tuple[str, ...]]:
    """A script psql runs (a Sqitch script) with its meta-command lines blanked, every
    character a space so that positions stay, and the variables its `\\set` lines define:
    psql fills them in the SQL, where they are placeholders (their values, often a shell
    command's output, are not known here)."""
    if "\\" not in text:
        return text, ()
    names: list[str] = []

    def blank(m: re.Match[str]) -> str:
        if m.group("name"):
            names.append(m.group("name"))
        return " " * len(m.group(0))

    return _META.sub(blank, text), tuple(dict.fromkeys(names))
