"""Type names as PostgreSQL prints them (``format_type``), to the model's TypeRef and to SQL.

Introspection reads with an empty search_path, so ``format_type`` qualifies every type
outside pg_catalog (``public."My Type"[]``) and leaves built-in ones bare, in their SQL
spelling (``character varying(20)``, ``timestamp(3) with time zone``). A bare name is
therefore always built in; a qualified one is rebuilt with `quote_qname`, so identifiers in
generated SQL are quoted by schemagate's one function whatever PostgreSQL printed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from schemagate.model.names import quote_ident
from schemagate.model.types import TypeRef, canonical

_MODIFIERS = re.compile(r"\((\d+(?:\s*,\s*\d+)*)\)")


@lru_cache(maxsize=4096)
def parse_type(text: str) -> tuple[TypeRef, str]:
    """(TypeRef, SQL) of a ``format_type`` text. Cached: a schema repeats a few types a lot."""
    dims = 0
    base = text.strip()
    while base.endswith("[]"):
        base, dims = base[:-2].rstrip(), dims + 1
    names, rest = _identifiers(base)
    if names is None:
        return _builtin(base, text, dims), text
    mods = _modifiers(rest)
    sql = ".".join(quote_ident(n) for n in names) + rest.strip() + "[]" * dims
    if len(names) == 1:  # a quoted pg_catalog name such as "char"
        return TypeRef(names[0], mods, dims), sql
    return canonical(tuple(names), mods, dims), sql


def _builtin(base: str, text: str, dims: int) -> TypeRef:
    mods = _modifiers(base)
    name = " ".join(_MODIFIERS.sub(" ", base).split())
    if name.startswith("interval"):
        name = "interval"  # "interval year to month": the fields are a modifier
    ref = canonical((name,), mods, dims)
    # canonical() takes an unknown bare name for a type in public; here a bare name is
    # always in pg_catalog (point, tsquery, int4range …).
    return replace(ref, schema=None) if ref.schema is not None else ref


def _modifiers(text: str) -> tuple[int, ...]:
    match = _MODIFIERS.search(text)
    if match is None:
        return ()
    return tuple(int(x) for x in match.group(1).split(","))


def _identifiers(text: str) -> tuple[list[str] | None, str]:
    """Split ``a."B c".d(3)`` into (["a", "B c", "d"], "(3)"); None for a bare type name."""
    if not text.startswith('"') and "." not in text.split("(")[0]:
        return None, text
    names: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            j, buf = i + 1, []
            while j < len(text):
                if text[j] == '"':
                    if text[j + 1:j + 2] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            names.append("".join(buf))
            i = j + 1
        else:
            j = i
            while j < len(text) and text[j] not in '."(':
                j += 1
            names.append(text[i:j])
            i = j
        if text[i:i + 1] == ".":
            i += 1
            continue
        return names, text[i:]
    return names, ""
