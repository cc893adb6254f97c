"""Column types: one canonical spelling, and what changing from one to another costs.

PostgreSQL has many spellings for one type (``integer``, ``int``, ``int4``); rules compare
canonical names so that a rule never depends on how a migration happened to write a type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from schemagate.model.pickling import pickle_by_fields

# Spellings that reach us (from pglast, sqlglot or SQLAlchemy) mapped to PostgreSQL's own
# internal names, as pg_type.typname has them.
_ALIASES = {
    "int": "int4", "integer": "int4", "int4": "int4", "serial": "int4", "serial4": "int4",
    "smallint": "int2", "int2": "int2", "smallserial": "int2", "serial2": "int2",
    "bigint": "int8", "int8": "int8", "bigserial": "int8", "serial8": "int8",
    "boolean": "bool", "bool": "bool",
    "real": "float4", "float4": "float4", "double precision": "float8", "float8": "float8",
    "float": "float8",
    "decimal": "numeric", "numeric": "numeric",
    "character varying": "varchar", "varchar": "varchar",
    "character": "bpchar", "char": "bpchar", "bpchar": "bpchar",
    "text": "text", "citext": "citext", "name": "name",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "time": "time", "time without time zone": "time",
    "timetz": "timetz", "time with time zone": "timetz",
    "date": "date", "interval": "interval",
    "json": "json", "jsonb": "jsonb", "uuid": "uuid", "bytea": "bytea",
    "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "money": "money",
    "bit": "bit", "varbit": "varbit", "bit varying": "varbit", "xml": "xml",
    "tsvector": "tsvector", "oid": "oid",
}

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})

_INT_WIDTH = {"int2": 2, "int4": 4, "int8": 8}
_TEXT_LIKE = frozenset({"text", "varchar", "bpchar", "citext", "name"})
_TIME_OF_DAY = frozenset({"time", "timetz"})


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A column type: canonical name, type modifiers (length, precision, scale), array depth.

    ``schema`` is set for user-defined types (enums, domains) so rules can find what uses them.
    """

    name: str
    modifiers: tuple[int, ...] = ()
    array_dims: int = 0
    schema: str | None = None
    serial: bool = False

    @property
    def is_builtin(self) -> bool:
        return self.schema is None and self.name in _ALIASES.values()

    def __str__(self) -> str:
        base = self.name if self.schema is None else f"{self.schema}.{self.name}"
        if self.modifiers:
            base += "(" + ",".join(str(m) for m in self.modifiers) + ")"
        return base + "[]" * self.array_dims


@lru_cache(maxsize=4096)
def canonical(
    names: tuple[str, ...],
    modifiers: tuple[int, ...] = (),
    array_dims: int = 0,
) -> TypeRef:
    """Build a TypeRef from a possibly schema-qualified type name as a parser gives it."""
    # Built-in names are matched without regard to case; a user type keeps the case the
    # parser gave it (`"Status"` and `status` are different types).
    if len(names) == 2 and names[0].lower() == "pg_catalog":
        names = names[1:]
    if len(names) == 1:
        raw = names[0].lower()
        if raw in _ALIASES:
            return TypeRef(_ALIASES[raw], modifiers, array_dims, None, raw in SERIAL_TYPES)
        return TypeRef(names[0], modifiers, array_dims, "public")
    return TypeRef(names[-1], modifiers, array_dims, names[-2])


@dataclass(frozen=True, slots=True)
class TypeChange:
    """What ``ALTER COLUMN ... TYPE`` from one type to another does to the data and the table.

    ``lossy``: values can be truncated, rounded or rejected. ``rewrite``: PostgreSQL rewrites
    the table and rebuilds its indexes (None when it cannot be known statically).
    ``rejects_only``: lossy only in that a value the new type cannot hold makes the ALTER fail
    (int4 to int2, varchar(255) to varchar(50)): no value is changed, so when it succeeds the
    old type holds every value again (but for excess trailing blanks, which PostgreSQL cuts
    from a string too long for varchar(n) or char(n)). Never with a USING expression, which
    may change them, nor from text to another type, which keeps a value in its own form.
    """

    lossy: bool
    rewrite: bool | None
    reason: str
    rejects_only: bool = False


# The longest text form of a value of these types: a varchar at least this long holds
# every one ("-9223372036854775808", a uuid's 36 characters).
_LONGEST_TEXT = {"int2": 6, "int4": 11, "int8": 20, "uuid": 36, "bool": 5}


def _numeric_digits(t: TypeRef) -> tuple[int | None, int]:
    """(precision, scale) of a numeric; None precision means unconstrained."""
    if not t.modifiers:
        return None, 0
    return t.modifiers[0], t.modifiers[1] if len(t.modifiers) > 1 else 0


def _length(t: TypeRef) -> int | None:
    return t.modifiers[0] if t.modifiers else None


def _fits(old: TypeRef, new: TypeRef) -> bool:
    """Every value of the bounded string type `old` is within `new`'s length."""
    old_length, new_length = _length(old), _length(new)
    return old_length is not None and new_length is not None and new_length >= old_length


def classify_change(old: TypeRef, new: TypeRef, using: bool = False,
                    cast: TypeRef | None = None) -> TypeChange:
    """Classify a type change. Unknown pairs are reported as non-lossy with unknown rewrite.
    ``cast`` is the type the USING expression's outermost explicit cast gives, if any.

    Precision over recall: a pair not modelled here is never called lossy, because a wrong
    `lossy-type-change` error teaches users to ignore the tool.
    """
    if old.array_dims != new.array_dims:
        return TypeChange(False, True, "changes array dimensions")
    if old.array_dims and (old.name, old.schema, old.modifiers) != (
            new.name, new.schema, new.modifiers):
        # Each element is converted (an array coercion, never a relabelling): PostgreSQL 15
        # rewrote varchar(10)[] to varchar(20)[], and varchar[] to text[].
        element = classify_change(replace(old, array_dims=0), replace(new, array_dims=0),
                                  using)
        return replace(element, rewrite=True)
    if (old.name, old.schema) == (new.name, new.schema):
        return _same_base_change(old, new, using, cast)
    a, b = old.name, new.name
    if old.schema is not None or new.schema is not None:
        return TypeChange(False, None, "has an effect that is not modelled")
    if a in ("varchar", "text", "citext") and b == "text":
        return TypeChange(False, using, "is binary-coercible")
    if a == "text" and b == "varchar":
        n = _length(new)
        if n is None:
            return TypeChange(False, using, "is binary-coercible")
        return _longer(_rejects("rejects longer values", using), new, cast)
    if a == "bpchar" and b in ("varchar", "text"):
        return TypeChange(False, True, "strips trailing blanks")
    if a in _TEXT_LIKE and b == "varchar" and _length(new) is None:
        # An unbounded varchar holds any string; citext casts to it without a function
        # (the extension declares the cast WITHOUT FUNCTION), name through one.
        return TypeChange(False, using if a == "citext" else True, "keeps every value")
    if a == "varchar" and b == "bpchar" and not using and _fits(old, new):
        # A varchar(40) value fits a char(40): nothing is refused; shorter ones are padded.
        return TypeChange(False, True, "pads shorter values with blanks")
    if a in _TEXT_LIKE and b in ("varchar", "bpchar"):
        return _longer(_rejects("can reject longer values", using), new, cast)
    if a in _INT_WIDTH and b in _INT_WIDTH:
        if _INT_WIDTH[b] < _INT_WIDTH[a]:
            return _rejects("rejects values out of range", using)
        return TypeChange(False, True, "widens")
    if b in _TEXT_LIKE:
        n = _length(new) if b != "text" else None
        if n is not None and n < _LONGEST_TEXT.get(a, n + 1):
            return _longer(_rejects("can reject longer values", using), new, cast)
        if n is not None:
            return TypeChange(False, True, "keeps every value as text")
        return TypeChange(False, True, "keeps every value as text")
    if a in _TEXT_LIKE:
        # Not only a rejection: what parses is kept in the type's own form ('007' as 7,
        # a JSON text normalised), which is not the text the down path gets back.
        return TypeChange(True, True, "fails on values that do not parse")
    if a in ("float4", "float8", "numeric") and b in _INT_WIDTH:
        return TypeChange(True, True, "rounds fractions")
    if a == "float8" and b == "float4":
        return TypeChange(True, True, "loses precision")
    if (a in ("int8", "numeric") and b == "float4") or (a == "numeric" and b == "float8"):
        return TypeChange(True, True, "loses precision")
    if a in ("float4", "float8") and b == "numeric":
        return _numeric_target(new, "converts float to numeric")
    if a in _INT_WIDTH and b == "numeric":
        prec, scale = _numeric_digits(new)
        if prec is not None and prec - scale < {2: 5, 4: 10, 8: 19}[_INT_WIDTH[a]]:
            return _rejects("rejects large values", using)
        return TypeChange(False, True, "widens")
    if a in ("timestamp", "timestamptz") and b in ("date", *_TIME_OF_DAY):
        return TypeChange(True, True, "drops part of each value")
    if {a, b} == {"timestamp", "timestamptz"}:
        return TypeChange(False, True, "reinterprets values in the session time zone "
                          "(no rewrite on PostgreSQL 12+ when it is UTC)")
    if a == "date" and b in ("timestamp", "timestamptz"):
        return TypeChange(False, True, "keeps each date, at midnight")
    if a == "time" and b == "timetz":
        return TypeChange(False, True, "keeps each time, in the session time zone")
    if a == "float4" and b == "float8":
        return TypeChange(False, True, "widens")
    if a == "bool" and b in _INT_WIDTH:
        return TypeChange(False, True, "keeps each value as 0 or 1")
    if a == "cidr" and b == "inet":
        return TypeChange(False, using, "is binary-coercible")
    if a == "inet" and b == "cidr":
        return _rejects("rejects addresses with bits set right of the mask", using)
    if a == "bit" and b == "varbit" and _length(new) is None:
        return TypeChange(False, using, "is binary-coercible")
    if a == "json" and b == "jsonb":
        return TypeChange(False, True, "normalises documents")
    if a == "jsonb" and b == "json":
        return TypeChange(False, True, "keeps documents")
    return TypeChange(False, None, "has an effect that is not modelled")


# Bounded string types whose explicit casts cut a value that does not fit, each with the
# unit its length counts and the types a value cut to that length then fits.
_CUT_BY_CAST = {"varchar": "characters", "bpchar": "characters", "bit": "bits",
                "varbit": "bits"}
_SAME_UNIT = {"varchar": "bpchar", "bpchar": "varchar", "bit": "varbit", "varbit": "bit"}


def _cast_cut(new: TypeRef, cast: TypeRef | None) -> tuple[int, str] | None:
    """(length, unit) every value is cut to by a USING whose outermost explicit cast is to
    a bounded string or bit string type no longer than the column's new type of that kind:
    PostgreSQL's explicit cast to varchar(n), char(n), bit(n) or varbit(n) truncates a
    longer value without an error, where storing it (the assignment cast) fails."""
    if cast is None or cast.schema is not None or cast.array_dims or new.array_dims:
        return None
    unit = _CUT_BY_CAST.get(cast.name)
    if unit is None or new.name not in (cast.name, _SAME_UNIT[cast.name]):
        return None
    m, n = _length(cast), _length(new)
    if m is None or (n is not None and m > n):
        return None
    return m, unit


def _longer(change: TypeChange, new: TypeRef, cast: TypeRef | None) -> TypeChange:
    """A narrowing of a string or bit string that rejects longer values, unless the USING
    cast cuts them first (`_cast_cut`)."""
    cut = _cast_cut(new, cast)
    if cut is None:
        return change
    return TypeChange(True, True, f"cuts longer values to {cut[0]} {cut[1]} without an "
                      f"error: the USING cast to {cast} truncates")


def _rejects(reason: str, using: bool) -> TypeChange:
    """A narrowing whose default conversion fails on a value that does not fit (an error,
    the table unchanged) rather than change it; a USING expression may change it."""
    return TypeChange(True, True, reason, rejects_only=not using)


def _numeric_target(new: TypeRef, what: str) -> TypeChange:
    prec, _ = _numeric_digits(new)
    if prec is not None:
        return TypeChange(True, True, "rounds or rejects values")
    return TypeChange(False, True, what)


def _same_base_change(old: TypeRef, new: TypeRef, using: bool, cast: TypeRef | None
                      ) -> TypeChange:
    name = old.name
    if name in ("varchar", "bpchar", "bit", "varbit"):
        a, b = _length(old), _length(new)
        if a == b:
            return TypeChange(False, using, "keeps the type")
        if b is None or (a is not None and b > a):
            rewrite = using or name == "bpchar"
            return TypeChange(False, rewrite, "widens")
        return _longer(_rejects("rejects longer values", using), new, cast)
    if name == "numeric":
        (pa, sa), (pb, sb) = _numeric_digits(old), _numeric_digits(new)
        if (pa, sa) == (pb, sb):
            return TypeChange(False, using, "keeps the type")
        if pb is None:
            return TypeChange(False, using, "is binary-coercible")
        if pa is None:
            return TypeChange(True, True, "rounds or rejects values")
        if sb < sa:
            return TypeChange(True, True, "rounds fractions")
        if pb - sb < pa - sa:
            return _rejects("rejects large values", using)
        return TypeChange(False, using or sb != sa, "widens")
    if name in ("timestamp", "timestamptz", "time", "timetz", "interval"):
        a, b = _length(old), _length(new)
        if b is not None and (a is None or b < a):
            return TypeChange(True, True, "rounds fractional seconds")
        return TypeChange(False, using, "widens")
    if old.modifiers == new.modifiers:
        return TypeChange(False, using, "keeps the type")
    return TypeChange(False, None, "has an effect that is not modelled")


pickle_by_fields(globals())


# The strings PostgreSQL's boolean input takes (boolin, case and surrounding blanks
# ignored), as "Boolean Type" lists them: a default written any of these ways is stored as
# `true` or `false` (pg_get_expr), so `DEFAULT '0'` and `DEFAULT false` are one default.
_BOOLEAN_STRINGS = {**dict.fromkeys(("t", "true", "y", "yes", "on", "1"), True),
                    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), False)}
_BOOLEAN_DEFAULT = re.compile(
    r"""\s*(?:(?P<word>true|false)|'(?P<text>[^']*)')(?:\s*::\s*(?:boolean|bool))?\s*""",
    re.IGNORECASE)


def boolean_default(sql: str) -> bool | None:
    """The value of a boolean column's default written as a literal (`false`, `'0'`,
    `'yes'::boolean`), or None where it is not one."""
    found = _BOOLEAN_DEFAULT.fullmatch(sql)
    if found is None:
        return None
    if found.group("word") is not None:
        return found.group("word").lower() == "true"
    return _BOOLEAN_STRINGS.get(found.group("text").strip().lower())
