"""PostgreSQL DDL text, one small function per statement.

Every identifier schemagate writes goes through `quote_ident` / `quote_qname`, every string
through `quote_literal`. Expressions and definitions (view queries, index specs, CHECK
bodies, function definitions) are PostgreSQL's own deparsed text, read from the catalogs:
PostgreSQL quoted the names inside them.
"""

from __future__ import annotations

import hashlib

from schemagate.model.catalog import (
    Collation,
    Column,
    Constraint,
    Function,
    Policy,
    Sequence,
    TypeDef,
)
from schemagate.model.names import QName, quote_ident, quote_literal, quote_qname

MAX_IDENT_BYTES = 63


def ident(name: str) -> str:
    return quote_ident(name)


def qname(name: QName) -> str:
    return quote_qname(name)


def literal(value: str | None) -> str:
    return "NULL" if value is None else quote_literal(value)


def comment_on(target: str, text: str | None) -> str:
    """``target`` is e.g. ``TABLE "public"."t"``."""
    return f"COMMENT ON {target} IS {literal(text)}"


def column_type(col: Column) -> str:
    sql = col.type_sql or str(col.type)
    if col.collation is not None:
        sql += f" COLLATE {qname(col.collation)}"
    return sql


def column_definition(col: Column, *, with_default: bool = True) -> str:
    parts = [ident(col.name), column_type(col)]
    if col.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({col.generated.sql}) STORED")
    elif with_default and col.default is not None:
        parts.append(f"DEFAULT {col.default.sql}")
    if col.identity_kind:
        parts.append(f"GENERATED {col.identity_kind} AS IDENTITY")
    if col.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def short_name(*parts: str) -> str:
    """A generated identifier within PostgreSQL's 63 bytes, unique by a hash of its parts."""
    digest = hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()[:8]
    base = "_".join(parts)
    encoded = base.encode("utf-8")
    room = MAX_IDENT_BYTES - len(digest) - 1
    if len(encoded) > room:
        base = encoded[:room].decode("utf-8", errors="ignore")
    return f"{base}_{digest}"


# --- tables ---------------------------------------------------------------------------

def alter_table(table: QName, action: str, *, only: bool = False) -> str:
    return f"ALTER TABLE {'ONLY ' if only else ''}{qname(table)} {action}"


def add_constraint(table: QName, con: Constraint, *, not_valid: bool = False) -> str:
    suffix = " NOT VALID" if not_valid else ""
    return alter_table(table, f"ADD CONSTRAINT {ident(con.name)} {con.definition}{suffix}")


def drop_constraint(table: QName, name: str) -> str:
    return alter_table(table, f"DROP CONSTRAINT {ident(name)}")


def validate_constraint(table: QName, name: str) -> str:
    return alter_table(table, f"VALIDATE CONSTRAINT {ident(name)}")


def grant(table: QName, privilege: str, grantee: str) -> str:
    return f"GRANT {privilege} ON TABLE {qname(table)} TO {role(grantee)}"


def revoke(table: QName, privilege: str, grantee: str) -> str:
    return f"REVOKE {privilege} ON TABLE {qname(table)} FROM {role(grantee)}"


def role(name: str) -> str:
    return "PUBLIC" if name == "public" else ident(name)


# --- indexes --------------------------------------------------------------------------

def create_index(name: QName, table: QName, unique: bool, spec: str | None,
                 definition: str | None, *, concurrently: bool = False) -> str:
    if spec is None or spec == definition:  # no spec found: PostgreSQL's text as it is
        text = definition or ""
        if concurrently:
            text = text.replace(" INDEX ", " INDEX CONCURRENTLY ", 1)
        return text
    head = "CREATE UNIQUE INDEX" if unique else "CREATE INDEX"
    conc = " CONCURRENTLY" if concurrently else ""
    return f"{head}{conc} {ident(name.name)} ON {qname(table)} {spec}"


def drop_index(name: QName, *, concurrently: bool = False) -> str:
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}{qname(name)}"


# --- types, sequences, functions ------------------------------------------------------

def create_type(typ: TypeDef, name: QName | None = None) -> list[str]:
    target = qname(name or typ.name)
    if typ.kind == "enum":
        values = ", ".join(literal(v) for v in typ.values)
        return [f"CREATE TYPE {target} AS ENUM ({values})"]
    if typ.kind == "composite":
        attrs = ", ".join(_attribute(a) for a in typ.attributes)
        return [f"CREATE TYPE {target} AS ({attrs})"]
    if typ.kind == "range":
        return [f"CREATE TYPE {target} AS RANGE (SUBTYPE = {typ.base_type})"]
    parts = [f"CREATE DOMAIN {target} AS {typ.base_type}"]
    if typ.collation is not None:
        parts.append(f"COLLATE {qname(typ.collation)}")
    if typ.default is not None:
        parts.append(f"DEFAULT {typ.default}")
    if typ.not_null:
        parts.append("NOT NULL")
    parts += [f"CONSTRAINT {ident(n)} {d}" for n, d, valid in typ.checks if valid]
    out = [" ".join(parts)]
    out += [f"ALTER DOMAIN {target} ADD CONSTRAINT {ident(n)} {d} NOT VALID"
            for n, d, valid in typ.checks if not valid]
    return out


def _attribute(attr: tuple[str, str, QName | None]) -> str:
    name, type_sql, collation = attr
    coll = f" COLLATE {qname(collation)}" if collation is not None else ""
    return f"{ident(name)} {type_sql}{coll}"


def type_keyword(typ: TypeDef) -> str:
    return "DOMAIN" if typ.kind == "domain" else "TYPE"


def drop_type(typ: TypeDef, name: QName | None = None) -> str:
    return f"DROP {type_keyword(typ)} {qname(name or typ.name)}"


def add_enum_value(name: QName, value: str, before: str | None, after: str | None) -> str:
    where = ""
    if before is not None:
        where = f" BEFORE {literal(before)}"
    elif after is not None:
        where = f" AFTER {literal(after)}"
    return f"ALTER TYPE {qname(name)} ADD VALUE {literal(value)}{where}"


def alter_composite(name: QName, action: str) -> str:
    return f"ALTER TYPE {qname(name)} {action}"


def attribute_action(attr: tuple[str, str, QName | None], verb: str) -> str:
    name, type_sql, collation = attr
    coll = f" COLLATE {qname(collation)}" if collation is not None else ""
    if verb == "ADD":
        return f"ADD ATTRIBUTE {ident(name)} {type_sql}{coll}"
    return f"ALTER ATTRIBUTE {ident(name)} TYPE {type_sql}{coll}"


def sequence_options(seq: Sequence) -> str:
    parts = []
    if seq.data_type:
        parts.append(f"AS {seq.data_type}")
    for keyword, value in (("INCREMENT BY", seq.increment), ("MINVALUE", seq.min_value),
                           ("MAXVALUE", seq.max_value), ("START WITH", seq.start),
                           ("CACHE", seq.cache)):
        if value is not None:
            parts.append(f"{keyword} {value}")
    parts.append("CYCLE" if seq.cycle else "NO CYCLE")
    return " ".join(parts)


def owned_by(seq: QName, owner: tuple[QName, str] | None) -> str:
    target = "NONE" if owner is None else f"{qname(owner[0])}.{ident(owner[1])}"
    return f"ALTER SEQUENCE {qname(seq)} OWNED BY {target}"


def function_signature(fn: Function) -> str:
    return f"{qname(fn.name)}({fn.identity_args or ''})"


def function_keyword(fn: Function) -> str:
    return "PROCEDURE" if fn.procedure else "AGGREGATE" if fn.aggregate else "FUNCTION"


def drop_function(fn: Function) -> str:
    return f"DROP {function_keyword(fn)} {function_signature(fn)}"


# --- views, triggers, policies --------------------------------------------------------

def view_keyword(materialized: bool) -> str:
    return "MATERIALIZED VIEW" if materialized else "VIEW"


def create_view(name: QName, materialized: bool, options: tuple[str, ...],
                definition: str) -> str:
    body = definition.strip().rstrip(";").rstrip()
    with_ = f" WITH ({', '.join(options)})" if options else ""
    tail = " WITH DATA" if materialized else ""
    return f"CREATE {view_keyword(materialized)} {qname(name)}{with_} AS\n{body}{tail}"


def trigger_enable(table: QName, name: str, enabled: str) -> str:
    action = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}
    return alter_table(table, f"{action.get(enabled, 'ENABLE')} TRIGGER {ident(name)}")


def create_policy(pol: Policy) -> str:
    parts = [f"CREATE POLICY {ident(pol.name)} ON {qname(pol.table)}",
             f"AS {'PERMISSIVE' if pol.permissive else 'RESTRICTIVE'}",
             f"FOR {pol.command}",
             "TO " + ", ".join(role(r) for r in pol.roles)]
    if pol.using is not None:
        parts.append(f"USING ({pol.using})")
    if pol.check is not None:
        parts.append(f"WITH CHECK ({pol.check})")
    return " ".join(parts)


_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin"}


def create_collation(coll: Collation) -> str:
    """CREATE COLLATION with every option spelled out, as pg_collation holds it."""
    options = [f"provider = {_PROVIDERS.get(coll.provider, 'libc')}"]
    if coll.provider == "c":
        options += [f"lc_collate = {literal(coll.lc_collate)}",
                    f"lc_ctype = {literal(coll.lc_ctype)}"]
    else:
        options.append(f"locale = {literal(coll.locale)}")
    if coll.rules is not None:
        options.append(f"rules = {literal(coll.rules)}")
    if not coll.deterministic:
        options.append("deterministic = false")
    return f"CREATE COLLATION {qname(coll.name)} ({', '.join(options)})"
