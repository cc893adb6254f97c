"""The steps for each kind of object: drop, create, alter, rebuild — their SQL and hazards.

Online variants are chosen here, per object, from what the plan knows: a table created by
the same plan is empty, so its indexes and constraints are built the plain way; an existing
table gets CREATE INDEX CONCURRENTLY, ADD CONSTRAINT … NOT VALID + VALIDATE, and a
CHECK-based SET NOT NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemagate.diff import ddl
from schemagate.diff.changes import Phase, Statement, Step
from schemagate.diff.compare import Delta
from schemagate.diff.objects import ColumnRec, ConstraintRec, DefaultRec, SchemaRec
from schemagate.diff.typenames import parse_type
from schemagate.model.catalog import (
    Collation,
    Column,
    Constraint,
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
from schemagate.model.locks import Hazard, LockMode
from schemagate.model.names import QName
from schemagate.model.types import classify_change

# Default expressions that call a volatile function: adding such a column rewrites the table.
_VOLATILE_HINTS = ("nextval(", "random(", "gen_random_uuid(", "uuid_generate_",
                   "clock_timestamp(", "timeofday(")


@dataclass
class Context:
    """What the step builders need to know about the plan as a whole."""

    objs_a: Mapping[ObjectRef, Any]
    objs_b: Mapping[ObjectRef, Any]
    online: bool = True
    new_relations: set[QName] = field(default_factory=set)  # created by this plan (empty)
    rebuild_columns: dict[ObjectRef, list[tuple[Table, Column]]] = field(default_factory=dict)
    # The target's constraint-backed indexes, by (table, constraint name).
    backing: dict[tuple[QName, str], Index] = field(default_factory=dict)

    def existing(self, name: QName) -> bool:
        return name not in self.new_relations

    def partitioned(self, name: QName) -> bool:
        for objs in (self.objs_b, self.objs_a):
            table = objs.get(ObjectRef("table", name.schema, name.name))
            if isinstance(table, Table):
                return table.partitioned
        return False


def _step(kind: str, ref: ObjectRef, phase: Phase, sqls: list[str | Statement], what: str,
          hazards: tuple[LockMode | Hazard, ...] = (), destructive: str | None = None) -> Step:
    statements = [s if isinstance(s, Statement) else Statement(s) for s in sqls]
    return Step(kind, ref, phase, statements, what, tuple(dict.fromkeys(hazards)), destructive)


def label(ref: ObjectRef) -> str:
    kind = {"view": "view"}.get(ref.kind, ref.kind)
    return f"{kind} {ref}"


# --- destructive changes ----------------------------------------------------------------

def destructive_reason(delta: Delta) -> str | None:
    """What data a change destroys (None: nothing), in words for the plan's comments."""
    ref, old, new = delta.ref, delta.old, delta.new
    if delta.action == "drop":
        if ref.kind == "table":
            return f"drops table {ref} and its rows"
        if ref.kind == "column" and old.column.generated is None:
            return f"drops column {ref} and its values"
        if ref.kind == "type":
            return f"drops type {ref}"
        if ref.kind == "sequence":
            return f"drops sequence {ref} and its current value"
        if ref.kind == "extension":
            return f"drops extension {ref.name} and the objects it provides"
        if ref.kind == "schema":
            return f"drops schema {ref.name}"
        return None
    if delta.action == "replace":
        if ref.kind == "table":
            return f"recreates table {ref} because its partitioning changes: its rows are lost"
        if ref.kind == "column" and old.column.generated is None:
            return f"recreates column {ref} as a generated column: its stored values are lost"
        return None
    if delta.action == "rebuild":
        return _rebuild_loss(old, new)
    if delta.action == "alter" and ref.kind == "column" and "type" in delta.aspects:
        a, b = old.column, new.column
        change = classify_change(a.type, b.type)
        if change.lossy:
            return (f"changes the type of {ref} from {a.type_sql} to {b.type_sql}, which "
                    f"{change.reason}")
    if delta.action == "alter" and ref.kind == "type" and old.kind == "composite":
        gone = [n for n, _, _ in old.attributes if n not in {x[0] for x in new.attributes}]
        if gone:
            return f"drops attribute(s) {', '.join(gone)} of type {ref}"
    return None


def _rebuild_loss(old: TypeDef, new: TypeDef) -> str | None:
    if old.kind == "enum" and new.kind == "enum":
        removed = [v for v in old.values if v not in new.values]
        if removed:
            return (f"removes value(s) {', '.join(removed)} from enum {old.name}: rows holding "
                    "them make the conversion fail")
        return None
    if old.kind == new.kind == "composite":
        after = {name: type_sql for name, type_sql, _ in new.attributes}
        for name, type_sql, _ in old.attributes:
            if name not in after:
                return f"drops attribute {name} of type {old.name}"
            change = classify_change(parse_type(type_sql)[0], parse_type(after[name])[0])
            if change.lossy:
                return f"changes attribute {name} of type {old.name}, which {change.reason}"
        return None
    if old.base_type and new.base_type and old.kind == new.kind:
        change = classify_change(parse_type(old.base_type)[0], parse_type(new.base_type)[0])
        if change.lossy:
            return f"changes the base type of {old.name}, which {change.reason}"
        return None
    return f"rebuilds type {old.name} as a {new.kind}: values that do not convert fail"


# --- drops ------------------------------------------------------------------------------

def drop_step(ref: ObjectRef, rec: Any, ctx: Context, *, replaced: bool = False,
              reason: str | None = None) -> Step:
    kind = ref.kind
    what = reason or ("drop (to recreate) " if replaced else "drop ") + label(ref)
    # Types, extensions and schemas go last: columns still use them until the main phase
    # changes those columns. A sequence is only used by defaults, which go in "pre" (and an
    # identity column added later must not find the old serial's sequence name taken).
    phase: Phase = "post" if kind in ("type", "collation", "extension", "schema") else "pre"
    builder = _DROPS[kind]
    sqls, hazards = builder(ref, rec, ctx)
    return _step(f"drop-{kind}", ref, phase, sqls, what, hazards)


Built = tuple[list[str | Statement], tuple[LockMode | Hazard, ...]]


def _drop_schema(ref: ObjectRef, rec: SchemaRec, ctx: Context) -> Built:
    return [f"DROP SCHEMA {ddl.ident(rec.name)}"], (Hazard.DELETES_DATA,)


def _drop_extension(ref: ObjectRef, rec: Extension | None, ctx: Context) -> Built:
    return [f"DROP EXTENSION {ddl.ident(ref.name)}"], (Hazard.DELETES_DATA,)


def _drop_collation(ref: ObjectRef, rec: Collation, ctx: Context) -> Built:
    return [f"DROP COLLATION {ddl.qname(rec.name)}"], ()


def _drop_type(ref: ObjectRef, rec: TypeDef, ctx: Context) -> Built:
    return [ddl.drop_type(rec)], (Hazard.DELETES_DATA,)


def _drop_sequence(ref: ObjectRef, rec: Sequence, ctx: Context) -> Built:
    return [f"DROP SEQUENCE {ddl.qname(rec.name)}"], (Hazard.DELETES_DATA,)


def _drop_function(ref: ObjectRef, rec: Function, ctx: Context) -> Built:
    return [ddl.drop_function(rec)], ()


def _drop_table(ref: ObjectRef, rec: Table, ctx: Context) -> Built:
    return [f"DROP TABLE {ddl.qname(rec.name)}"], (LockMode.ACCESS_EXCLUSIVE, Hazard.DELETES_DATA)


def _drop_column(ref: ObjectRef, rec: ColumnRec, ctx: Context) -> Built:
    sql = ddl.alter_table(rec.table.name, f"DROP COLUMN {ddl.ident(rec.column.name)}")
    hazards: tuple[LockMode | Hazard, ...] = (LockMode.ACCESS_EXCLUSIVE,)
    if not rec.column.generated:
        hazards += (Hazard.DELETES_DATA,)
    return [sql], hazards


def _drop_default(ref: ObjectRef, rec: DefaultRec, ctx: Context) -> Built:
    col = ddl.ident(rec.column.name)
    return [ddl.alter_table(rec.table.name, f"ALTER COLUMN {col} DROP DEFAULT")], (
        LockMode.ACCESS_EXCLUSIVE,)


def _drop_constraint(ref: ObjectRef, rec: ConstraintRec, ctx: Context) -> Built:
    return [ddl.drop_constraint(rec.table.name, rec.constraint.name)], (LockMode.ACCESS_EXCLUSIVE,)


def _drop_index(ref: ObjectRef, rec: Index, ctx: Context) -> Built:
    # DROP INDEX CONCURRENTLY does not work on a partitioned table's index.
    if ctx.online and not ctx.partitioned(rec.table):
        return [Statement(ddl.drop_index(rec.name, concurrently=True), transactional=False)], (
            LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.NON_TRANSACTIONAL)
    return [ddl.drop_index(rec.name)], (LockMode.ACCESS_EXCLUSIVE,)


def _drop_view(ref: ObjectRef, rec: View, ctx: Context) -> Built:
    return [f"DROP {ddl.view_keyword(rec.materialized)} {ddl.qname(rec.name)}"], (
        LockMode.ACCESS_EXCLUSIVE,)


def _drop_trigger(ref: ObjectRef, rec: Trigger, ctx: Context) -> Built:
    return [f"DROP TRIGGER {ddl.ident(rec.name)} ON {ddl.qname(rec.table)}"], (
        LockMode.ACCESS_EXCLUSIVE,)


def _drop_policy(ref: ObjectRef, rec: Policy, ctx: Context) -> Built:
    return [f"DROP POLICY {ddl.ident(rec.name)} ON {ddl.qname(rec.table)}"], (
        LockMode.ACCESS_EXCLUSIVE,)


_DROPS: dict[str, Callable[[ObjectRef, Any, Context], Built]] = {
    "schema": _drop_schema, "extension": _drop_extension, "collation": _drop_collation,
    "type": _drop_type,
    "sequence": _drop_sequence, "function": _drop_function, "table": _drop_table,
    "column": _drop_column, "default": _drop_default, "constraint": _drop_constraint,
    "index": _drop_index, "view": _drop_view, "trigger": _drop_trigger,
    "policy": _drop_policy,
}


def drop_identity_step(ref: ObjectRef, rec: ColumnRec) -> Step:
    """Early: an identity's hidden sequence must be gone before a sequence of the same name
    (a serial's, say) is created in its place."""
    sql = ddl.alter_table(rec.table.name, f"ALTER COLUMN {ddl.ident(rec.column.name)} "
                                          "DROP IDENTITY")
    return _step("drop-identity", ref, "pre", [sql], f"drop the identity of column {ref}",
                 (LockMode.ACCESS_EXCLUSIVE,))


def disown_step(ref: ObjectRef, seq: Sequence) -> Step:
    """Before the column owning a sequence goes: the sequence must not go with it."""
    return _step("disown-sequence", ref, "pre", [ddl.owned_by(seq.name, None)],
                 f"detach sequence {ref} from its owning column, which is dropped")


def detach_step(ref: ObjectRef, table: Table, parents_gone: set[QName]) -> Step:
    """Before a parent table goes: its partitions and children must not go with it."""
    sqls: list[str | Statement] = []
    if table.partition_of is not None:
        sqls.append(ddl.alter_table(table.partition_of,
                                    f"DETACH PARTITION {ddl.qname(table.name)}"))
    for parent in table.inherits:
        if parent in parents_gone:
            sqls.append(ddl.alter_table(table.name, f"NO INHERIT {ddl.qname(parent)}"))
    return _step("detach-table", ref, "pre", sqls,
                 f"detach table {ref} from its parent, which is recreated or dropped",
                 (LockMode.ACCESS_EXCLUSIVE,))


# --- creates ----------------------------------------------------------------------------

def create_step(ref: ObjectRef, rec: Any, ctx: Context, *, recreated: bool = False) -> Step:
    builder = _CREATES[ref.kind]
    sqls, hazards = builder(ref, rec, ctx)
    verb = {"column": "add", "default": "set"}.get(ref.kind, "create")
    if recreated:
        verb = {"add": "re-add", "set": "set again"}.get(verb, "recreate")
    kind = {"default": "set-default", "column": "add-column"}.get(ref.kind,
                                                                 f"create-{ref.kind}")
    return _step(kind, ref, "main", sqls, f"{verb} {label(ref)}", hazards)


def _create_schema(ref: ObjectRef, rec: SchemaRec, ctx: Context) -> Built:
    out: list[str | Statement] = [f"CREATE SCHEMA {ddl.ident(rec.name)}"]
    if rec.comment is not None:
        out.append(ddl.comment_on(f"SCHEMA {ddl.ident(rec.name)}", rec.comment))
    return out, ()


def _create_extension(ref: ObjectRef, rec: Extension | None, ctx: Context) -> Built:
    sql = f"CREATE EXTENSION {ddl.ident(ref.name)}"
    if rec is not None and rec.schema:
        sql += f" WITH SCHEMA {ddl.ident(rec.schema)}"
    if rec is not None and rec.version:
        sql += f" VERSION {ddl.literal(rec.version)}"
    out: list[str | Statement] = [sql]
    if rec is not None and rec.comment is not None:
        out.append(ddl.comment_on(f"EXTENSION {ddl.ident(ref.name)}", rec.comment))
    return out, ()


def _create_collation(ref: ObjectRef, rec: Collation, ctx: Context) -> Built:
    out: list[str | Statement] = [ddl.create_collation(rec)]
    if rec.comment is not None:
        out.append(ddl.comment_on(f"COLLATION {ddl.qname(rec.name)}", rec.comment))
    return out, ()


def _create_type(ref: ObjectRef, rec: TypeDef, ctx: Context) -> Built:
    out: list[str | Statement] = list(ddl.create_type(rec))
    if rec.comment is not None:
        out.append(_type_comment(rec, rec.comment))
    return out, ()


def _type_comment(typ: TypeDef, text: str | None) -> str:
    return ddl.comment_on(f"{ddl.type_keyword(typ)} {ddl.qname(typ.name)}", text)


def _create_sequence(ref: ObjectRef, rec: Sequence, ctx: Context) -> Built:
    out: list[str | Statement] = [
        f"CREATE SEQUENCE {ddl.qname(rec.name)} {ddl.sequence_options(rec)}"]
    if rec.comment is not None:
        out.append(ddl.comment_on(f"SEQUENCE {ddl.qname(rec.name)}", rec.comment))
    return out, ()


def own_sequence_step(ref: ObjectRef, seq: Sequence) -> Step:
    return _step("own-sequence", ref, "main", [ddl.owned_by(seq.name, seq.owned_by)],
                 f"set the owner of sequence {ref}")


def _create_function(ref: ObjectRef, rec: Function, ctx: Context) -> Built:
    out: list[str | Statement] = [(rec.definition or "").rstrip().rstrip(";")]
    if rec.comment is not None:
        out.append(_function_comment(rec, rec.comment))
    return out, ()


def _function_comment(fn: Function, text: str | None) -> str:
    return ddl.comment_on(f"{ddl.function_keyword(fn)} {ddl.function_signature(fn)}", text)


def create_table_sql(t: Table) -> str:
    head = f"CREATE {'UNLOGGED ' if t.unlogged else ''}TABLE {ddl.qname(t.name)}"
    if t.partition_of is not None:
        sql = f"{head} PARTITION OF {ddl.qname(t.partition_of)} {t.partition_bound}"
    else:
        cols = [ddl.column_definition(c) for c in t.columns if not c.inherited]
        body = "(\n    " + ",\n    ".join(cols) + "\n)" if cols else "()"
        sql = f"{head} {body}"
        if t.inherits:
            sql += " INHERITS (" + ", ".join(ddl.qname(p) for p in t.inherits) + ")"
    if t.partitioned:
        sql += f" PARTITION BY {t.partition_key}"
    if t.options:
        sql += f" WITH ({', '.join(t.options)})"
    return sql


def _create_table(ref: ObjectRef, rec: Table, ctx: Context) -> Built:
    out: list[str | Statement] = [create_table_sql(rec), *_own_settings(rec, ctx)]
    if rec.rls_enabled:
        out.append(ddl.alter_table(rec.name, "ENABLE ROW LEVEL SECURITY"))
    if rec.rls_forced:
        out.append(ddl.alter_table(rec.name, "FORCE ROW LEVEL SECURITY"))
    if rec.comment is not None:
        out.append(ddl.comment_on(f"TABLE {ddl.qname(rec.name)}", rec.comment))
    for col in rec.columns:
        if col.comment is not None:
            out.append(_column_comment(rec.name, col.name, col.comment))
    out += [ddl.grant(rec.name, priv, grantee) for grantee, priv in rec.privileges]
    return out, ()


def _own_settings(t: Table, ctx: Context) -> list[str]:
    """A new child's inherited columns whose default or NOT NULL differ from its parent's
    (which CREATE TABLE … PARTITION OF / INHERITS gives them): set on the child itself."""
    parents = [ctx.objs_b.get(ObjectRef("table", p.schema, p.name))
               for p in (t.partition_of, *t.inherits) if p is not None]
    out: list[str] = []
    for col in t.columns:
        source = next((c for p in parents if isinstance(p, Table) for c in p.columns
                       if c.name == col.name), None)
        if not col.inherited or source is None:
            continue
        name = ddl.ident(col.name)
        default = col.default.sql if col.default else None
        if default != (source.default.sql if source.default else None):
            out.append(ddl.alter_table(t.name, f"ALTER COLUMN {name} SET DEFAULT {default}"
                                       if default is not None else
                                       f"ALTER COLUMN {name} DROP DEFAULT"))
        if col.not_null and not source.not_null:
            out.append(ddl.alter_table(t.name, f"ALTER COLUMN {name} SET NOT NULL"))
    return out


def _column_comment(table: QName, column: str, text: str | None) -> str:
    return ddl.comment_on(f"COLUMN {ddl.qname(table)}.{ddl.ident(column)}", text)


def _add_column(ref: ObjectRef, rec: ColumnRec, ctx: Context) -> Built:
    col = rec.column
    out: list[str | Statement] = [
        ddl.alter_table(rec.table.name, f"ADD COLUMN {ddl.column_definition(col)}")]
    if col.comment is not None:
        out.append(_column_comment(rec.table.name, col.name, col.comment))
    hazards: list[LockMode | Hazard] = [LockMode.ACCESS_EXCLUSIVE]
    default = col.default.sql if col.default is not None else ""
    if col.generated is not None or col.identity_kind or any(
            h in default for h in _VOLATILE_HINTS):
        hazards.append(Hazard.REWRITE)
    if col.not_null and col.default is None and not col.identity_kind and col.generated is None:
        hazards.append(Hazard.FAILS_IF_ROWS)  # NOT NULL without a default: no value for old rows
    return out, tuple(hazards)


def _set_default(ref: ObjectRef, rec: DefaultRec, ctx: Context) -> Built:
    col = ddl.ident(rec.column.name)
    return [ddl.alter_table(rec.table.name, f"ALTER COLUMN {col} SET DEFAULT {rec.sql}")], (
        LockMode.ACCESS_EXCLUSIVE,)


def _create_constraint(ref: ObjectRef, rec: ConstraintRec, ctx: Context) -> Built:
    table, con = rec.table, rec.constraint
    out: list[str | Statement]
    if not con.validated:  # the target has it NOT VALID: keep it so
        out = [ddl.add_constraint(table.name, con, not_valid=True)]
        hazards: tuple[LockMode | Hazard, ...] = (
            LockMode.SHARE_ROW_EXCLUSIVE if con.kind == "foreign"
            else LockMode.ACCESS_EXCLUSIVE,)
    elif not ctx.online or not ctx.existing(table.name):
        out, hazards = [ddl.add_constraint(table.name, con)], (LockMode.ACCESS_EXCLUSIVE,)
        if ctx.existing(table.name):
            hazards += (Hazard.SCAN,)
    else:
        out, hazards = _online_constraint(table, con, ctx)
    if con.comment is not None:
        out.append(_constraint_comment(table.name, con.name, con.comment))
    return out, hazards


def _constraint_comment(table: QName, name: str, text: str | None) -> str:
    return ddl.comment_on(f"CONSTRAINT {ddl.ident(name)} ON {ddl.qname(table)}", text)


def _online_constraint(table: Table, con: Constraint, ctx: Context) -> Built:
    partitioned = table.partitioned
    if con.kind in ("foreign", "check") and not partitioned:
        lock = LockMode.SHARE_ROW_EXCLUSIVE if con.kind == "foreign" else LockMode.ACCESS_EXCLUSIVE
        return [ddl.add_constraint(table.name, con, not_valid=True),
                Statement(ddl.validate_constraint(table.name, con.name), separate=True)], (
            lock, LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.SCAN)
    backing = _backing_index(table, con, ctx)
    if con.kind in ("primary", "unique") and not partitioned and backing is not None:
        name = QName(table.name.schema, con.name)
        build = ddl.create_index(name, table.name, True, backing.spec, backing.definition,
                                 concurrently=True)
        keyword = "PRIMARY KEY" if con.kind == "primary" else "UNIQUE"
        tail = ""
        if con.deferrable:
            tail = " DEFERRABLE INITIALLY DEFERRED" if con.deferred else " DEFERRABLE"
        attach = ddl.alter_table(table.name, f"ADD CONSTRAINT {ddl.ident(con.name)} {keyword} "
                                             f"USING INDEX {ddl.ident(con.name)}{tail}")
        return [Statement(build, transactional=False), attach], (
            LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.NON_TRANSACTIONAL, LockMode.ACCESS_EXCLUSIVE)
    return [ddl.add_constraint(table.name, con)], (LockMode.ACCESS_EXCLUSIVE, Hazard.SCAN)


def _backing_index(table: Table, con: Constraint, ctx: Context) -> Index | None:
    """The target's index behind a PK/unique, when ADD … USING INDEX can take it over: a
    plain btree on columns (no expressions, predicate or INCLUDE)."""
    rec = ctx.backing.get((table.name, con.name))
    if rec is None:
        return None
    spec = rec.spec or ""
    plain = spec.startswith("USING btree (") and not any(
        word in spec for word in (" INCLUDE ", " WHERE ", " NULLS NOT DISTINCT", " WITH ("))
    return rec if plain and rec.name.name == con.name else None


def _create_index(ref: ObjectRef, rec: Index, ctx: Context) -> Built:
    concurrently = (ctx.online and ctx.existing(rec.table)
                    and not ctx.partitioned(rec.table))
    sql = ddl.create_index(rec.name, rec.table, rec.unique, rec.spec, rec.definition,
                           concurrently=concurrently)
    out: list[str | Statement] = [Statement(sql, transactional=not concurrently)]
    if rec.comment is not None:
        out.append(ddl.comment_on(f"INDEX {ddl.qname(rec.name)}", rec.comment))
    if concurrently:
        return out, (LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.NON_TRANSACTIONAL)
    return out, ((LockMode.SHARE,) if ctx.existing(rec.table) else ())


def _create_view(ref: ObjectRef, rec: View, ctx: Context) -> Built:
    out: list[str | Statement] = [
        ddl.create_view(rec.name, rec.materialized, rec.options, rec.definition or "")]
    keyword = ddl.view_keyword(rec.materialized)
    if rec.comment is not None:
        out.append(ddl.comment_on(f"{keyword} {ddl.qname(rec.name)}", rec.comment))
    out += [_column_comment(rec.name, col, text) for col, text in rec.column_comments]
    return out, ((Hazard.SCAN,) if rec.materialized else ())


def _create_trigger(ref: ObjectRef, rec: Trigger, ctx: Context) -> Built:
    out: list[str | Statement] = [rec.definition or ""]
    if rec.enabled != "O":
        out.append(ddl.trigger_enable(rec.table, rec.name, rec.enabled))
    if rec.comment is not None:
        out.append(_trigger_comment(rec, rec.comment))
    return out, (LockMode.SHARE_ROW_EXCLUSIVE,)


def _trigger_comment(trig: Trigger, text: str | None) -> str:
    return ddl.comment_on(f"TRIGGER {ddl.ident(trig.name)} ON {ddl.qname(trig.table)}", text)


def _create_policy(ref: ObjectRef, rec: Policy, ctx: Context) -> Built:
    out: list[str | Statement] = [ddl.create_policy(rec)]
    if rec.comment is not None:
        out.append(_policy_comment(rec, rec.comment))
    return out, (LockMode.ACCESS_EXCLUSIVE,)


def _policy_comment(pol: Policy, text: str | None) -> str:
    return ddl.comment_on(f"POLICY {ddl.ident(pol.name)} ON {ddl.qname(pol.table)}", text)


_CREATES: dict[str, Callable[[ObjectRef, Any, Context], Built]] = {
    "schema": _create_schema, "extension": _create_extension,
    "collation": _create_collation, "type": _create_type,
    "sequence": _create_sequence, "function": _create_function, "table": _create_table,
    "column": _add_column, "default": _set_default, "constraint": _create_constraint,
    "index": _create_index, "view": _create_view, "trigger": _create_trigger,
    "policy": _create_policy,
}


# --- alters -----------------------------------------------------------------------------

def alter_step(delta: Delta, ctx: Context, *, attach: bool = False) -> Step | None:
    """In-place changes; ``attach``: a table detached earlier goes back to its parent."""
    builder = _ALTERS[delta.ref.kind]
    sqls, hazards = builder(delta, ctx, attach)
    if not sqls:
        return None
    aspects = ", ".join(a.replace("_", " ") for a in delta.aspects)
    what = f"alter {label(delta.ref)}" + (f": {aspects}" if aspects else "")
    return _step(f"alter-{delta.ref.kind}", delta.ref, "main", sqls, what, hazards)


AlterBuilt = tuple[list[str | Statement], tuple[LockMode | Hazard, ...]]


def _alter_schema(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    return [ddl.comment_on(f"SCHEMA {ddl.ident(d.new.name)}", d.new.comment)], ()


def _alter_extension(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    name = ddl.ident(d.ref.name)
    out: list[str | Statement] = []
    if "version" in d.aspects and d.new.version:
        out.append(f"ALTER EXTENSION {name} UPDATE TO {ddl.literal(d.new.version)}")
    if "schema" in d.aspects and d.new.schema:
        out.append(f"ALTER EXTENSION {name} SET SCHEMA {ddl.ident(d.new.schema)}")
    if "comment" in d.aspects:
        out.append(ddl.comment_on(f"EXTENSION {name}", d.new.comment))
    return out, ()


def _alter_collation(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    return [ddl.comment_on(f"COLLATION {ddl.qname(d.new.name)}", d.new.comment)], ()


def _alter_type(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    old, new = d.old, d.new
    out: list[str | Statement] = []
    hazards: list[LockMode | Hazard] = []
    if "values" in d.aspects:
        present = list(old.values)
        for i, value in enumerate(new.values):
            if value in present:
                continue
            after = new.values[i - 1] if i > 0 else None
            before = None if after is not None else (present[0] if present else None)
            out.append(Statement(ddl.add_enum_value(new.name, value, before, after),
                                 transactional=False))
            present.insert(present.index(after) + 1 if after is not None else 0, value)
        hazards.append(Hazard.NON_TRANSACTIONAL)
    if new.kind == "domain":
        out += _alter_domain(old, new, ctx.online)
    if "attributes" in d.aspects:
        out += _alter_composite(old, new)
        hazards.append(LockMode.ACCESS_EXCLUSIVE)
    if "comment" in d.aspects:
        out.append(_type_comment(new, new.comment))
    return out, tuple(hazards)


def _alter_domain(old: TypeDef, new: TypeDef, online: bool) -> list[str | Statement]:
    target = f"ALTER DOMAIN {ddl.qname(new.name)}"
    out: list[str | Statement] = []
    if old.default != new.default:
        out.append(f"{target} SET DEFAULT {new.default}" if new.default is not None
                   else f"{target} DROP DEFAULT")
    if old.not_null != new.not_null:
        out.append(f"{target} {'SET' if new.not_null else 'DROP'} NOT NULL")
    old_checks = {n: (d, v) for n, d, v in old.checks}
    new_checks = {n: (d, v) for n, d, v in new.checks}
    for name, (definition, _) in old_checks.items():
        if name not in new_checks or new_checks[name][0] != definition:
            out.append(f"{target} DROP CONSTRAINT {ddl.ident(name)}")
    for name, (definition, valid) in new_checks.items():
        before = old_checks.get(name)
        if before is None or before[0] != definition:
            add = f"{target} ADD CONSTRAINT {ddl.ident(name)} {definition}"
            if valid and not online:
                out.append(add)
                continue
            out.append(add + " NOT VALID")
            if valid:
                out.append(Statement(f"{target} VALIDATE CONSTRAINT {ddl.ident(name)}",
                                     separate=True))
        elif valid and not before[1]:
            out.append(Statement(f"{target} VALIDATE CONSTRAINT {ddl.ident(name)}",
                                 separate=True))
    return out


def _alter_composite(old: TypeDef, new: TypeDef) -> list[str | Statement]:
    before = {a[0]: a for a in old.attributes}
    after = {a[0]: a for a in new.attributes}
    out: list[str | Statement] = []
    for name in before:
        if name not in after:
            out.append(ddl.alter_composite(new.name, f"DROP ATTRIBUTE {ddl.ident(name)}"))
    for name, attr in after.items():
        if name not in before:
            out.append(ddl.alter_composite(new.name, ddl.attribute_action(attr, "ADD")))
        elif before[name] != attr:
            out.append(ddl.alter_composite(new.name, ddl.attribute_action(attr, "ALTER")))
    return out


def _alter_sequence(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    new = d.new
    out: list[str | Statement] = []
    if "parameters" in d.aspects:
        out.append(f"ALTER SEQUENCE {ddl.qname(new.name)} {ddl.sequence_options(new)}")
    if "owned_by" in d.aspects:
        out.append(ddl.owned_by(new.name, new.owned_by))
    if "comment" in d.aspects:
        out.append(ddl.comment_on(f"SEQUENCE {ddl.qname(new.name)}", new.comment))
    return out, ()


def _alter_function(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    out: list[str | Statement] = []
    if "definition" in d.aspects:
        out.append((d.new.definition or "").rstrip().rstrip(";"))
    if "comment" in d.aspects:
        out.append(_function_comment(d.new, d.new.comment))
    return out, ()


def _alter_table(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    old: Table = d.old
    new: Table = d.new
    name = new.name
    out: list[str | Statement] = []
    hazards: list[LockMode | Hazard] = []
    if "partition" in d.aspects or attach:
        if old.partition_of is not None and not attach:
            out.append(ddl.alter_table(old.partition_of,
                                       f"DETACH PARTITION {ddl.qname(name)}"))
            hazards.append(LockMode.ACCESS_EXCLUSIVE)
        if new.partition_of is not None:
            out.append(ddl.alter_table(new.partition_of, f"ATTACH PARTITION "
                                       f"{ddl.qname(name)} {new.partition_bound}"))
            hazards += [LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.SCAN]
    if "inherits" in d.aspects or attach:
        gone = [] if attach else [p for p in old.inherits if p not in new.inherits]
        out += [ddl.alter_table(name, f"NO INHERIT {ddl.qname(p)}") for p in gone]
        keep = [] if attach else old.inherits
        out += [ddl.alter_table(name, f"INHERIT {ddl.qname(p)}")
                for p in new.inherits if p not in keep]
        hazards.append(LockMode.ACCESS_EXCLUSIVE)
    if "unlogged" in d.aspects:
        out.append(ddl.alter_table(name, "SET UNLOGGED" if new.unlogged else "SET LOGGED"))
        hazards += [LockMode.ACCESS_EXCLUSIVE, Hazard.REWRITE]
    if "rls_enabled" in d.aspects:
        verb = "ENABLE" if new.rls_enabled else "DISABLE"
        out.append(ddl.alter_table(name, f"{verb} ROW LEVEL SECURITY"))
    if "rls_forced" in d.aspects:
        out.append(ddl.alter_table(name, ("" if new.rls_forced else "NO ") +
                                   "FORCE ROW LEVEL SECURITY"))
    if "options" in d.aspects:
        keys = {o.split("=", 1)[0] for o in new.options}
        reset = [o.split("=", 1)[0] for o in old.options if o.split("=", 1)[0] not in keys]
        if reset:
            out.append(ddl.alter_table(name, f"RESET ({', '.join(reset)})"))
        if new.options:
            out.append(ddl.alter_table(name, f"SET ({', '.join(new.options)})"))
    if "comment" in d.aspects:
        out.append(ddl.comment_on(f"TABLE {ddl.qname(name)}", new.comment))
    if "privileges" in d.aspects:
        out += [ddl.revoke(name, p, g) for g, p in old.privileges if (g, p) not in
                new.privileges]
        out += [ddl.grant(name, p, g) for g, p in new.privileges if (g, p) not in
                old.privileges]
    if any(a in d.aspects for a in ("rls_enabled", "rls_forced", "options", "privileges")):
        hazards.append(LockMode.ACCESS_EXCLUSIVE)
    return out, tuple(hazards)


def _alter_column(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    a: Column = d.old.column
    b: Column = d.new.column
    table: Table = d.new.table
    col = ddl.ident(b.name)
    out: list[str | Statement] = []
    hazards: list[LockMode | Hazard] = []

    def alter(action: str) -> str:
        return ddl.alter_table(table.name, f"ALTER COLUMN {col} {action}")

    if "identity" in d.aspects and a.identity_kind and not b.identity_kind:
        out.append(alter("DROP IDENTITY"))
    if "drop-expression" in d.aspects:
        out.append(alter("DROP EXPRESSION"))
    if "type" in d.aspects:
        out.append(alter(f"TYPE {ddl.column_type(b)} USING {_cast(a, b)}"))
        change = classify_change(a.type, b.type)
        hazards.append(LockMode.ACCESS_EXCLUSIVE)
        if change.rewrite is not False:
            hazards.append(Hazard.REWRITE if change.rewrite else Hazard.MAY_REWRITE)
    if "not_null" in d.aspects and not b.not_null:
        out.append(alter("DROP NOT NULL"))
    if "not_null" in d.aspects and b.not_null:
        if ctx.online and ctx.existing(table.name) and not table.partitioned \
                and table.partition_of is None:
            check = ddl.short_name(b.name, "not_null")
            con = ddl.ident(check)
            out += [
                ddl.alter_table(table.name, f"ADD CONSTRAINT {con} CHECK ({col} IS NOT NULL) "
                                            "NOT VALID"),
                Statement(ddl.validate_constraint(table.name, check), separate=True),
                alter("SET NOT NULL"),
                ddl.drop_constraint(table.name, check),
            ]
            # and a brief ACCESS EXCLUSIVE
            hazards += [LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.SCAN]
        else:
            out.append(alter("SET NOT NULL"))
            hazards += [LockMode.ACCESS_EXCLUSIVE, Hazard.SCAN]
    if "identity" in d.aspects and b.identity_kind:
        if a.identity_kind:
            out.append(alter(f"SET GENERATED {b.identity_kind}"))
        else:
            out.append(alter(f"ADD GENERATED {b.identity_kind} AS IDENTITY"))
            hazards.append(Hazard.IDENTITY_STARTS_AT_1)
    if "expression" in d.aspects and b.generated is not None:
        out.append(alter(f"SET EXPRESSION AS ({b.generated.sql})"))
        hazards += [LockMode.ACCESS_EXCLUSIVE, Hazard.REWRITE]
    if "comment" in d.aspects:
        out.append(_column_comment(table.name, b.name, b.comment))
    if out and d.aspects != ("comment",):
        hazards.insert(0, LockMode.ACCESS_EXCLUSIVE)
    return out, tuple(hazards)


def _cast(a: Column, b: Column) -> str:
    """USING expression: user-defined types (enums, domains) convert through text."""
    col = ddl.ident(a.name)
    target = b.type_sql or str(b.type)
    if a.type.schema is not None or b.type.schema is not None:
        via = "text[]" if a.type.array_dims else "text"
        return f"{col}::{via}::{target}"
    return f"{col}::{target}"


def _alter_default(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    return _set_default(d.ref, d.new, ctx)


def _alter_constraint(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    table, con = d.new.table, d.new.constraint
    out: list[str | Statement] = []
    hazards: tuple[LockMode | Hazard, ...] = ()
    if "validated" in d.aspects and con.validated:
        out.append(Statement(ddl.validate_constraint(table.name, con.name), separate=True))
        hazards = (LockMode.SHARE_UPDATE_EXCLUSIVE, Hazard.SCAN)
    if "comment" in d.aspects:
        out.append(_constraint_comment(table.name, con.name, con.comment))
    return out, hazards


def _alter_index(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    return [ddl.comment_on(f"INDEX {ddl.qname(d.new.name)}", d.new.comment)], ()


def _alter_view(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    new: View = d.new
    out: list[str | Statement] = []
    if "comment" in d.aspects:
        out.append(ddl.comment_on(f"{ddl.view_keyword(new.materialized)} "
                                  f"{ddl.qname(new.name)}", new.comment))
    if "column_comments" in d.aspects:
        before, after = dict(d.old.column_comments), dict(new.column_comments)
        for column in sorted(set(before) | set(after)):
            if before.get(column) != after.get(column):
                out.append(_column_comment(new.name, column, after.get(column)))
    return out, ()


def _alter_trigger(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    new: Trigger = d.new
    out: list[str | Statement] = []
    if "enabled" in d.aspects:
        out.append(ddl.trigger_enable(new.table, new.name, new.enabled))
    if "comment" in d.aspects:
        out.append(_trigger_comment(new, new.comment))
    return out, ((LockMode.SHARE_ROW_EXCLUSIVE,) if "enabled" in d.aspects else ())


def _alter_policy(d: Delta, ctx: Context, attach: bool) -> AlterBuilt:
    return [_policy_comment(d.new, d.new.comment)], ()


_ALTERS: dict[str, Callable[[Delta, Context, bool], AlterBuilt]] = {
    "schema": _alter_schema, "extension": _alter_extension, "collation": _alter_collation,
    "type": _alter_type,
    "sequence": _alter_sequence, "function": _alter_function, "table": _alter_table,
    "column": _alter_column, "default": _alter_default, "constraint": _alter_constraint,
    "index": _alter_index, "view": _alter_view, "trigger": _alter_trigger,
    "policy": _alter_policy,
}


# --- rebuilt types ----------------------------------------------------------------------

def old_type_name(name: QName) -> QName:
    return QName(name.schema, ddl.short_name(name.name, "old"))


def rebuild_steps(ref: ObjectRef, old: TypeDef, new: TypeDef, ctx: Context) -> tuple[Step,
                                                                                    Step]:
    """Rename the old type away, create the new one, convert the columns, drop the old one
    (in the post phase, once nothing else uses it)."""
    tmp = old_type_name(old.name)
    out: list[str | Statement] = [
        f"ALTER {ddl.type_keyword(old)} {ddl.qname(old.name)} RENAME TO {ddl.ident(tmp.name)}"]
    out += ddl.create_type(new)
    for table, col in ctx.rebuild_columns.get(ref, ()):
        target = col.type_sql or str(col.type)
        via = "text[]" if col.type.array_dims else "text"
        out.append(ddl.alter_table(table.name, f"ALTER COLUMN {ddl.ident(col.name)} TYPE "
                                   f"{target} USING {ddl.ident(col.name)}::{via}::{target}"))
    if new.comment is not None:
        out.append(_type_comment(new, new.comment))
    main = _step("rebuild-type", ref, "main", out,
                 f"rebuild type {ref} (renamed away, created anew, columns converted)",
                 (LockMode.ACCESS_EXCLUSIVE, Hazard.REWRITE))
    post = _step("drop-old-type", ref, "post", [ddl.drop_type(old, tmp)],
                 f"drop the old copy of type {ref}")
    return main, post
