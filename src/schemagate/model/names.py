"""Qualified names, and the functions through which every name reaches generated SQL.

A name goes into a script in one of three ways, each through one function here: as an
identifier (`quote_ident`, `quote_qname`), as a string literal (`quote_literal`), or inside
a `--` comment (`sql_comment`). Nothing else builds SQL text out of a name.
"""

from __future__ import annotations

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
