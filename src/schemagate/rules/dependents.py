"""What else in the schema goes with, or breaks with, an object that is dropped."""

from __future__ import annotations

from schemagate.model.catalog import Catalog, Constraint, Table
from schemagate.model.names import QName


def table_dependents(catalog: Catalog, table: QName) -> list[str]:
    """Views reading the table and foreign keys referencing it."""
    out = [f"view {v.name}" for v in catalog.views_reading(table)]
    out += [_foreign_key(t, c) for t, c in catalog.foreign_keys_to(table)]
    return out


def column_dependents(catalog: Catalog, table: QName, column: str) -> list[str]:
    """Views reading the column, and foreign keys from other tables referencing it."""
    out = [f"view {v.name}" for v in catalog.views_reading(table, column)]
    out += [_foreign_key(t, c) for t, c in catalog.foreign_keys_to(table)
            if column in c.ref_columns]
    return out


def _foreign_key(table: Table, fk: Constraint) -> str:
    """A foreign key by its name, or by its columns when only run time knows the name."""
    if fk.name_known:
        return f"foreign key {table.name}.{fk.name}"
    return f"foreign key {fk.described(table.name)}"


def truncate_cascade_targets(catalog: Catalog, tables: tuple[QName, ...]) -> list[QName]:
    """Tables that TRUNCATE ... CASCADE empties besides the named ones (FK closure)."""
    seen = set(tables)
    queue = list(tables)
    extra: list[QName] = []
    while queue:
        current = queue.pop()
        for referencing, _ in catalog.foreign_keys_to(current):
            if referencing.name not in seen:
                seen.add(referencing.name)
                extra.append(referencing.name)
                queue.append(referencing.name)
    return extra


def type_users(catalog: Catalog, name: QName) -> list[str]:
    """Columns whose type is the given user-defined type."""
    return [
        f"column {t.name}.{c.name}"
        for t in catalog.tables.values()
        for c in t.columns
        if c.type.name == name.name and c.type.schema in (name.schema, None)
        and not c.type.is_builtin
    ]


def sequence_users(catalog: Catalog, name: QName) -> list[str]:
    """Columns whose default calls nextval() on the sequence."""
    wanted = {name.name, str(name), f'"{name.name}"'}
    return [
        f"column {t.name}.{c.name}"
        for t in catalog.tables.values()
        for c in t.columns
        if c.default is not None and not wanted.isdisjoint(c.default.sequences)
    ]


def function_users(catalog: Catalog, name: QName) -> list[str]:
    """Column defaults, checks, indexes and triggers that call the function."""
    lowered = name.name.lower()  # once, not for every column of the schema
    out = [
        f"column {t.name}.{c.name}"
        for t in catalog.tables.values()
        for c in t.columns
        for e in (c.default, c.generated)
        if e is not None and lowered in e.functions
    ]
    out += [f"check {t.name}.{c.name}" for t in catalog.tables.values() for c in t.constraints
            if c.kind == "check" and c.expr is not None and lowered in c.expr.functions]
    out += [f"index {ix.name}" for ix in catalog.indexes.values() if lowered in ix.functions]
    out += [f"trigger {trig.name} on {trig.table}" for trig in catalog.triggers.values()
            if trig.function.name == name.name]
    return out


def function_may_have_users(catalog: Catalog, name: QName) -> bool:
    """Whether something the catalog cannot see into may call the function: a function the
    history never made (the database may hold anything that uses it), or a view (the fold
    does not read the functions a view's query calls)."""
    known = any(key[0] == name for key in catalog.functions)
    return not known or bool(catalog.views)
