"""Compare two catalogs object by object: what is created, dropped, altered in place, replaced.

Pure: no SQL, no order. Each `Delta` says what differs (its ``aspects``) and how it can be
reached: ``alter`` (in place), ``replace`` (drop and create again: the object holds no data,
or the change cannot be made otherwise) or ``rebuild`` (a type: renamed out of the way, made
anew, its columns converted, the old one dropped). Renames are never guessed: a renamed
column is one column dropped and another added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from schemagate.diff.objects import (
    ColumnRec,
    ConstraintRec,
    DefaultRec,
    SchemaRec,
    non_table_objects,
    ref_key,
    table_objects,
)
from schemagate.model.catalog import (
    Catalog,
    Collation,
    Extension,
    Function,
    Index,
    ObjectRef,
    Policy,
    Sequence,
    Table,
    Trigger,
    TypeDef,
    View,
)

Action = Literal["create", "drop", "alter", "replace", "rebuild"]

# PostgreSQL 17 can change a generated column's expression in place.
SET_EXPRESSION_VERSION = 170000


@dataclass(frozen=True, slots=True)
class Delta:
    ref: ObjectRef
    action: Action
    old: Any = None
    new: Any = None
    aspects: tuple[str, ...] = ()


def compare(a: Catalog, b: Catalog) -> list[Delta]:
    """What differs between two catalogs, A (the database now) and B (the target).

    Store by store; an identical table (the common case) is one comparison, not one per
    column, default and constraint."""
    pairs: list[tuple[Any, Any]] = []
    for name in sorted(a.tables.keys() | b.tables.keys()):
        ta, tb = a.tables.get(name), b.tables.get(name)
        if ta != tb:
            pairs.append((table_objects(ta) if ta else {}, table_objects(tb) if tb else {}))
    objs_a: dict[ObjectRef, Any] = {}
    objs_b: dict[ObjectRef, Any] = {}
    for x, y in pairs:
        objs_a.update(x)
        objs_b.update(y)
    objs_a.update(non_table_objects(a))
    objs_b.update(non_table_objects(b))
    return compare_objects(objs_a, objs_b, a.server_version,
                           overridden=inherited_overrides(a) | inherited_overrides(b))


def inherited_overrides(cat: Catalog) -> set[ObjectRef]:
    """A child's inherited columns (and their defaults) whose default or NOT NULL is not
    its parent's: a partition made with `PARTITION OF parent (col DEFAULT …, col NOT NULL)`,
    or an `ALTER TABLE child ALTER COLUMN …` of its own. Such a column does not simply
    follow its parent, so it is compared on its own."""
    out: set[ObjectRef] = set()
    for table in cat.tables.values():
        parents = [p for p in (table.partition_of, *table.inherits) if p is not None]
        if not parents:
            continue
        for col in table.columns:
            if not col.inherited:
                continue
            source = next((c for p in parents if p in cat.tables
                           for c in cat.tables[p].columns if c.name == col.name), None)
            if source is None:
                continue  # the parent is not in this catalog: it did not change
            default = col.default.sql if col.default else None
            if (default, col.not_null) != (source.default.sql if source.default else None,
                                           source.not_null):
                qn = table.name
                out.add(ObjectRef("column", qn.schema, qn.name, col.name))
                out.add(ObjectRef("default", qn.schema, qn.name, col.name))
    return out


def compare_objects(objs_a: Mapping[ObjectRef, Any], objs_b: Mapping[ObjectRef, Any],
                    version: int | None = None,
                    overridden: set[ObjectRef] | frozenset[ObjectRef] = frozenset()
                    ) -> list[Delta]:
    out: list[Delta] = []
    for ref in objs_a.keys() | objs_b.keys():
        old, new = objs_a.get(ref), objs_b.get(ref)
        if (old is None or _inherited(old)) and (new is None or _inherited(new)) and \
                ref not in overridden:
            continue  # a parent's column (or its default): it follows the parent's changes
        if old is None:
            out.append(Delta(ref, "create", None, new))
        elif new is None:
            out.append(Delta(ref, "drop", old, None))
        elif _content(old) != _content(new):
            action, aspects = _ASPECTS[ref.kind](old, new, version)
            if action is not None:
                out.append(Delta(ref, action, old, new, aspects))
    out.sort(key=lambda d: ref_key(d.ref))
    return out


def _content(rec: Any) -> Any:
    """What to compare: a column's record carries its whole table, which need not differ."""
    if isinstance(rec, ColumnRec | DefaultRec):
        return rec.column
    if isinstance(rec, ConstraintRec):
        return rec.constraint
    return rec


def _inherited(rec: Any) -> bool:
    return isinstance(rec, ColumnRec | DefaultRec) and rec.column.inherited


Verdict = tuple[Action | None, tuple[str, ...]]


def _verdict(aspects: list[str], replace: bool = False, rebuild: bool = False) -> Verdict:
    if rebuild:
        return "rebuild", tuple(aspects)
    if replace:
        return "replace", tuple(aspects)
    return ("alter" if aspects else None), tuple(aspects)


def _differs(old: Any, new: Any, *fields: str) -> list[str]:
    return [f for f in fields if getattr(old, f) != getattr(new, f)]


def _schema(old: SchemaRec, new: SchemaRec, version: int | None) -> Verdict:
    return _verdict(_differs(old, new, "comment"))


def _extension(old: Extension | None, new: Extension | None, version: int | None) -> Verdict:
    if old is None or new is None:
        return None, ()
    return _verdict(_differs(old, new, "version", "schema", "comment"))


def _collation(old: Collation, new: Collation, version: int | None) -> Verdict:
    # PostgreSQL has no DDL that changes a collation's definition: made again.
    aspects = _differs(old, new, "provider", "deterministic", "locale", "lc_collate",
                       "lc_ctype", "rules")
    return _verdict(aspects + _differs(old, new, "comment"), replace=bool(aspects))


def _type(old: TypeDef, new: TypeDef, version: int | None) -> Verdict:
    aspects = _differs(old, new, "kind", "values", "base_type", "collation", "default",
                       "not_null", "checks", "attributes", "comment")
    if "kind" in aspects or "base_type" in aspects or "collation" in aspects:
        return _verdict(aspects, rebuild=True)
    if "values" in aspects and not is_subsequence(old.values, new.values):
        return _verdict(aspects, rebuild=True)
    if "attributes" in aspects and _attribute_retyped(old, new):
        # ALTER TYPE … ALTER ATTRIBUTE … TYPE is refused while a column uses the type.
        return _verdict(aspects, rebuild=True)
    return _verdict(aspects)


def _attribute_retyped(old: TypeDef, new: TypeDef) -> bool:
    before = {name: rest for name, *rest in old.attributes}
    return any(name in before and before[name] != rest for name, *rest in new.attributes)


def is_subsequence(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """Whether every old value is still there, in the same order (ADD VALUE can do it)."""
    it = iter(new)
    return all(value in it for value in old)


def _sequence(old: Sequence, new: Sequence, version: int | None) -> Verdict:
    aspects = _differs(old, new, "data_type", "start", "increment", "min_value", "max_value",
                       "cache", "cycle")
    params = ["parameters"] if aspects else []
    return _verdict(params + _differs(old, new, "owned_by", "comment"))


def _function(old: Function, new: Function, version: int | None) -> Verdict:
    aspects = _differs(old, new, "definition", "comment")
    # CREATE OR REPLACE cannot change the result type, argument names or defaults, or kind;
    # an aggregate's cannot change its state type or kind either: always made again.
    replace = "definition" in aspects and (old.aggregate or new.aggregate or bool(
        _differs(old, new, "result", "arguments", "procedure")))
    return _verdict(aspects, replace=replace)


def _table(old: Table, new: Table, version: int | None) -> Verdict:
    aspects = []
    if _differs(old, new, "partitioned", "partition_key"):
        aspects.append("partitioning")
    if _differs(old, new, "partition_of", "partition_bound"):
        aspects.append("partition")
    aspects += _differs(old, new, "inherits", "unlogged", "rls_enabled", "rls_forced",
                        "options", "comment", "privileges")
    return _verdict(aspects, replace="partitioning" in aspects)


def _column(old: ColumnRec, new: ColumnRec, version: int | None) -> Verdict:
    a, b = old.column, new.column
    aspects = []
    replace = False
    if a.generated != b.generated:
        if a.generated is not None and b.generated is None:
            aspects.append("drop-expression")
        elif a.generated is not None and (version or 0) >= SET_EXPRESSION_VERSION:
            aspects.append("expression")
        else:
            aspects.append("expression")
            replace = True
    if a.type_sql != b.type_sql or a.collation != b.collation:
        aspects.append("type")
    if a.not_null != b.not_null:
        aspects.append("not_null")
    if a.identity_kind != b.identity_kind:
        aspects.append("identity")
    if a.comment != b.comment:
        aspects.append("comment")
    return _verdict(aspects, replace=replace)


def _default(old: DefaultRec, new: DefaultRec, version: int | None) -> Verdict:
    return _verdict(["default"] if old.sql != new.sql else [])


# PostgreSQL prints `col IN ('a', 'b')` on a varchar column as a cast of the whole array,
# `(ARRAY['a'::character varying, …])::text[]`, and stores that text, parsed again, as a
# cast of each element: `ARRAY[('a'::character varying)::text, …]`. Both mean the same, but
# a CHECK or index predicate created from the first form reads back in the second, so each
# is compared in the second form.
_LITERAL = r"'(?:[^']|'')*'::[\w .\"]+?(?:\(\d+(?:,\d+)?\))?"
_ARRAY_CAST = re.compile(r"\(ARRAY\[(" + _LITERAL + r"(?:, " + _LITERAL + r")*)\]\)::"
                         r"([\w .\"]+?(?:\(\d+(?:,\d+)?\))?)\[\]")
_ITEM = re.compile(_LITERAL + r"(?=, '|$)")


def canonical_sql(text: str | None) -> str | None:
    """A deparsed expression with array casts written per element (see above)."""
    if text is None or "(ARRAY[" not in text:
        return text

    def per_element(m: re.Match[str]) -> str:
        items = _ITEM.findall(m.group(1))
        return "ARRAY[" + ", ".join(f"({item})::{m.group(2)}" for item in items) + "]"

    return _ARRAY_CAST.sub(per_element, text)


def _same_sql(a: str | None, b: str | None) -> bool:
    return a == b or canonical_sql(a) == canonical_sql(b)


def _constraint(old: ConstraintRec, new: ConstraintRec, version: int | None) -> Verdict:
    a, b = old.constraint, new.constraint
    aspects = _differs(a, b, "kind", "deferrable", "deferred")
    if not _same_sql(a.definition, b.definition):
        aspects.insert(1, "definition")
    replace = bool(aspects) or (a.validated and not b.validated)
    if a.validated != b.validated:
        aspects.append("validated")
    aspects += _differs(a, b, "comment")
    return _verdict(aspects, replace=replace)


def _index(old: Index, new: Index, version: int | None) -> Verdict:
    aspects = _differs(old, new, "table", "unique", "method")
    if not _same_sql(old.spec, new.spec):
        aspects.append("spec")
    return _verdict(aspects + _differs(old, new, "comment"), replace=bool(aspects))


def _view(old: View, new: View, version: int | None) -> Verdict:
    aspects = _differs(old, new, "materialized", "definition", "options", "columns")
    return _verdict(aspects + _differs(old, new, "comment", "column_comments"),
                    replace=bool(aspects))


def _trigger(old: Trigger, new: Trigger, version: int | None) -> Verdict:
    aspects = _differs(old, new, "definition")
    return _verdict(aspects + _differs(old, new, "enabled", "comment"), replace=bool(aspects))


def _policy(old: Policy, new: Policy, version: int | None) -> Verdict:
    aspects = _differs(old, new, "command", "permissive", "roles", "using", "check")
    return _verdict(aspects + _differs(old, new, "comment"), replace=bool(aspects))


_ASPECTS: dict[str, Callable[[Any, Any, int | None], Verdict]] = {
    "schema": _schema, "extension": _extension, "collation": _collation,
    "type": _type, "sequence": _sequence,
    "function": _function, "table": _table, "column": _column, "default": _default,
    "constraint": _constraint, "index": _index, "view": _view, "trigger": _trigger,
    "policy": _policy,
}
