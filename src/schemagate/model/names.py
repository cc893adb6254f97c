"""Qualified names and the one function that quotes identifiers in generated SQL."""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_SCHEMA = "public"


class QName(NamedTuple):
    """A schema-qualified object name. Unqualified names resolve to ``public``."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    @classmethod
    def of(cls, name: str, schema: str | None = None) -> QName:
        return cls(schema or DEFAULT_SCHEMA, name)


def quote_ident(name: str) -> str:
    """Quote an identifier for PostgreSQL, always: safe for reserved words, case and unicode."""
    return '"' + name.replace('"', '""') + '"'


def quote_qname(qname: QName) -> str:
    return f"{quote_ident(qname.schema)}.{quote_ident(qname.name)}"


def quote_literal(value: str) -> str:
    """Quote a string literal; standard_conforming_strings is on in every supported release."""
    return "'" + value.replace("'", "''") + "'"
