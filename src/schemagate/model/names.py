"""Qualified names, and the functions through which every name reaches generated SQL.

A name goes into a script in one of three ways, each through one function here: as an
identifier (`quote_ident`, `quote_qname`), as a string literal (`quote_literal`), or inside
a `--` comment (`sql_comment`). Nothing else builds SQL text out of a name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from schemagate.model.text import escape_controls

DEFAULT_SCHEMA = "public"


# The schema of an unqualified name in MySQL and SQLite, which have no `public`: the current
# database. Such names are shown without a schema.
NO_SCHEMA = ""


class QName(NamedTuple):
    """A schema-qualified object name. Unqualified names resolve to ``public`` in PostgreSQL,
    and to `NO_SCHEMA` (the current database) in MySQL and SQLite."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @classmethod
    def of(cls, name: str, schema: str | None = None) -> QName:
        return cls(schema or DEFAULT_SCHEMA, name)


# PostgreSQL's NAMEDATALEN: an identifier is at most 63 bytes.
NAMEDATALEN = 64


def truncated(name: str) -> str:
    """The name PostgreSQL keeps of an identifier: its first 63 bytes, less a character the
    cut would split (`truncate_identifier`)."""
    return _clipped(name.encode(), NAMEDATALEN - 1)


def default_name(name1: str, name2: str | None, label: str) -> str:
    """The name PostgreSQL gives an object a statement leaves unnamed (`makeObjectName`):
    `<name1>_<name2>_<label>`, the longer of the two names cut a byte at a time (never
    inside a character) until the whole fits in 63 bytes."""
    first, second = name1.encode(), name2.encode() if name2 is not None else None
    room = NAMEDATALEN - 1 - len(label) - 1 - (1 if second is not None else 0)
    keep1, keep2 = len(first), len(second or b"")
    while keep1 + keep2 > room:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    parts = [_clipped(first, keep1)]
    if second is not None:
        parts.append(_clipped(second, keep2))
    return "_".join((*parts, label))


def chosen_name(name1: str, name2: str | None, label: str,
                taken: Callable[[str], bool]) -> str:
    """The name PostgreSQL gives an unnamed object when the default one may be in use
    (`ChooseRelationName`, `ChooseConstraintName`): `default_name`, and while that is
    ``taken``, the same with 1, 2, … after the label, the parts cut again to fit."""
    name, number = default_name(name1, name2, label), 0
    while taken(name):
        number += 1
        name = default_name(name1, name2, f"{label}{number}")
    return name


def name_addition(columns: tuple[str, ...] | list[str]) -> str:
    """The columns' part of a default constraint or index name, as PostgreSQL joins them
    (`ChooseForeignKeyConstraintNameAddition`): with `_`, until it reaches 64 bytes."""
    joined = b""
    for column in columns:
        if joined:
            joined += b"_"
        joined += column.encode()[:NAMEDATALEN - 1]
        if len(joined) >= NAMEDATALEN:
            break
    return joined.decode("utf-8", errors="ignore")


def _clipped(name: bytes, size: int) -> str:
    # Cut to `size` bytes, less a character the cut would split (`pg_mbcliplen`).
    return name[:size].decode("utf-8", errors="ignore")


def quote_ident(name: str) -> str:
    """Quote an identifier for PostgreSQL, always: safe for reserved words, case and unicode."""
    return '"' + name.replace('"', '""') + '"'


def quote_qname(qname: QName) -> str:
    return f"{quote_ident(qname.schema)}.{quote_ident(qname.name)}"


def quote_literal(value: str) -> str:
    """Quote a string literal that means the same whatever the session's settings.

    A backslash is plain text only while standard_conforming_strings is on (the default, but
    a database or a role can turn it off, and then a backslash escapes the quote after it and
    the literal ends elsewhere than written): a value holding one is written as an escape
    string, E'…' with the backslashes doubled, which reads the same either way. PostgreSQL's
    own quote_literal() does the same.
    """
    quoted = "'" + value.replace("'", "''") + "'"
    if "\\" in value:
        return "E" + quoted.replace("\\", "\\\\")
    return quoted


def sql_comment(text: str) -> str:
    """One `--` comment line holding ``text``, which may hold names from anywhere.

    PostgreSQL and psql end a `--` comment at a newline or a carriage return; every such
    character in ``text``, and every other control or line-separator character (which
    editors and terminals may act on), is shown as an escape, so nothing in a name can end
    the comment and become a statement. Trailing blanks are dropped.
    """
    return ("-- " + escape_controls(text)).rstrip()
