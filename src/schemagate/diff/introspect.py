"""Read a live PostgreSQL schema into the model's `Catalog`, in a read-only transaction.

A fixed set of batched queries (diff/queries.py), one per kind of object, sent together in
one pipeline (diff/fetch.py), their rows joined here by oid. What PostgreSQL makes by
itself is left out, because creating its source makes it again: system schemas, objects
that belong to an extension, partitions' clones of their parent's indexes, constraints and
triggers, identity sequences, a range type's constructors. Constraint-backed indexes are
kept, marked with their constraint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from schemagate.diff.fetch import QUERIES, Row, Rows, fetch, fetch_cursor
from schemagate.diff.typenames import parse_type
from schemagate.model.catalog import (
    Catalog,
    Collation,
    Column,
    Constraint,
    Dependency,
    Extension,
    Function,
    Index,
    ObjectRef,
    Policy,
    Table,
    Trigger,
    TypeDef,
    View,
)
from schemagate.model.catalog import (
    Sequence as SequenceDef,
)
from schemagate.model.names import QName, quote_ident, quote_qname
from schemagate.model.ops import FK_ACTION_CODES, ConstraintKind, Expr

_TYPE_KINDS = {"e": "enum", "d": "domain", "c": "composite", "r": "range"}
_CONSTRAINT_KINDS: dict[str, ConstraintKind] = {
    "p": "primary", "u": "unique", "f": "foreign", "c": "check", "x": "exclusion"}
_POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_RELATION_KINDS = {"r": "table", "p": "table", "S": "sequence", "v": "view", "m": "view"}

def introspect(url: str, *, privileges: bool = False) -> Catalog:
    """The schema of the database at `url`, read in one READ ONLY transaction."""
    return build(fetch(url, privileges=privileges))


def introspect_cursor(cur: Any, *, privileges: bool = False) -> Catalog:
    """Introspect through an open cursor (its transaction should be read-only)."""
    return build(fetch_cursor(cur, privileges=privileges))


def build(rows: Rows, keep: Collection[QName] | None = None, *,
          all_sequences: bool = True) -> Catalog:
    """The Catalog of fetched rows. ``keep``: only these relations (tables, views) get
    records, with their columns, constraints, indexes, triggers, policies and comments;
    every schema, extension, type, function and sequence does (every sequence only if
    ``all_sequences``; else sequences too must be in ``keep``). A diff of two databases
    passes the relations that differ and all that depends on them (diff/narrow.py): the
    rest would compare equal anyway, and a large schema is mostly the rest."""
    reader = _Reader(keep, all_sequences)
    reader.cat.server_version = rows.version
    for name, _ in [*QUERIES, ("privileges", "")]:
        if name in rows.results:
            getattr(reader, "read_" + name)(rows.results[name])
    return reader.finish()


@dataclass
class _Rel:
    oid: int
    name: QName
    kind: str  # r p v m S
    row: Row
    columns: list[Column] = field(default_factory=list)
    attnames: dict[int, str] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    collations: dict[int, int] = field(default_factory=dict)  # attnum → attcollation


class _Reader:
    """Builds the catalog from the query rows; holds the oid maps that join them."""

    def __init__(self, keep: Collection[QName] | None = None,
                 all_sequences: bool = True) -> None:
        self.keep = None if keep is None else set(keep)
        self.all_sequences = all_sequences
        self.cat = Catalog(schemas=set())
        self.namespaces: dict[int, str] = {}
        self.members: dict[tuple[str, int], str] = {}  # (catalog, oid) → extension
        self.collations: dict[int, QName] = {}
        self.collation_keys: dict[int, QName] = {}  # user collations
        self.rels: dict[int, _Rel] = {}
        # Every relation's name, and column names, built or not: a partition's parent, or
        # the table a foreign key references, may be left out of a narrowed catalog.
        self.names: dict[int, QName] = {}
        self.all_attnames: dict[tuple[int, int], str] = {}
        self.sequence_rows: dict[int, Row] = {}
        self.type_refs: dict[int, ObjectRef] = {}
        self.types_by_oid: dict[int, TypeDef] = {}
        self.composite_of: dict[int, int] = {}  # typrelid → type oid
        self.refs: dict[tuple[str, int], ObjectRef] = {}  # (catalog, oid) → object
        self.index_keys: dict[int, QName] = {}
        self.attached_indexes: set[int] = set()
        self.backing: dict[int, str] = {}  # index oid → the constraint it backs
        self.con_keys: dict[int, tuple[QName, str]] = {}
        self.domain_checks: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
        self.function_keys: dict[int, tuple[QName, tuple[str, ...]]] = {}
        self.trigger_keys: dict[int, tuple[QName, str]] = {}
        self.policy_keys: dict[int, tuple[QName, str]] = {}
        self.owned: dict[int, tuple[QName, str]] = {}  # sequence oid → owning column
        self.reads: dict[int, dict[tuple[QName, str], None]] = defaultdict(dict)
        self.read_tables: dict[int, dict[QName, None]] = defaultdict(dict)
        self.generated: set[tuple[int, int]] = set()  # (relid, attnum) of generated columns
        self.type_collation: dict[int, int] = {}
        self.defaults: dict[tuple[int, int], str] = {}
        self.access_methods: dict[int, str] = {}
        self.rewrites: dict[int, int] = {}
        self.attrdefs: dict[int, tuple[int, int]] = {}
        self.comment_rows: list[Row] = []
        self.grants: dict[int, tuple[tuple[str, str], ...]] = {}
        self._ref_cache: dict[tuple[str, int, int], ObjectRef | None] = {}

    def _member(self, catalog: str, oid: int) -> bool:
        return (catalog, oid) in self.members

    # --- schemas, extensions, types ---------------------------------------------------


    def read_schemas(self, rows: Iterable[Row]) -> None:
        self.schema_rows = list(rows)

    def read_members(self, rows: Iterable[Row]) -> None:
        for catalog, oid, ext in rows:
            self.members[(catalog, oid)] = ext
        for oid, name in self.schema_rows:
            if not self._member("pg_namespace", oid):
                self.namespaces[oid] = name
                self.cat.schemas.add(name)
                self.refs[("pg_namespace", oid)] = ObjectRef("schema", "", name)

    def read_extensions(self, rows: Iterable[Row]) -> None:
        for oid, name, version, schema, targets in rows:
            self.cat.extensions.add(name)
            self.cat.extension_info[name] = Extension(name, version, schema,
                                                      update_targets=tuple(targets))
            self.refs[("pg_extension", oid)] = ObjectRef("extension", "", name)

    def read_collations(self, rows: Iterable[Row]) -> None:
        self.collations = {oid: QName(schema, name) for oid, schema, name in rows}

    def read_user_collations(self, rows: Iterable[Row]) -> None:
        for (oid, schema, name, provider, deterministic, locale, lc_collate, lc_ctype,
             rules) in rows:
            if self._member("pg_collation", oid):
                continue
            qn = QName(schema, name)
            libc = provider == "c"
            self.cat.collations[qn] = Collation(
                qn, provider, bool(deterministic), None if libc else locale,
                lc_collate if libc else None, lc_ctype if libc else None, rules)
            self.collation_keys[oid] = qn
            self.refs[("pg_collation", oid)] = ObjectRef("collation", schema, name)

    def read_types(self, rows: Iterable[Row]) -> None:
        for (oid, schema, name, typtype, array_oid, relid, labels, base, not_null, default,
             collation) in rows:
            if self._member("pg_type", oid):
                continue
            qn = QName(schema, name)
            typ = TypeDef(qn, _TYPE_KINDS[typtype], tuple(labels or ()),
                          base_type=parse_type(base)[1] if base else None, default=default,
                          not_null=bool(not_null),
                          collation=self.collations.get(collation) if collation else None)
            self.types_by_oid[oid] = typ
            ref = ObjectRef("type", schema, name)
            self.type_refs[oid] = self.type_refs[array_oid] = ref
            self.refs[("pg_type", oid)] = self.refs[("pg_type", array_oid)] = ref
            if typtype == "c":
                self.composite_of[relid] = oid
                # What its attributes use (an enum, a domain) is recorded on its pg_class row.
                self.refs[("pg_class", relid)] = ref

    # --- relations and columns --------------------------------------------------------

    def read_relations(self, rows: Iterable[Row]) -> None:
        keep = self.keep
        for row in rows:
            oid, schema, name, kind, reltype = row[:5]
            if self._member("pg_class", oid):
                continue
            self.names[oid] = QName(schema, name)
            if keep is not None and (schema, name) not in keep and (
                    kind != "S" or not self.all_sequences):
                continue
            self.rels[oid] = _Rel(oid, QName(schema, name), kind, row)
            ref = ObjectRef(_RELATION_KINDS[kind], schema, name)
            self.refs[("pg_class", oid)] = ref
            self.refs[("pg_type", reltype)] = ref

    def read_sequences(self, rows: Iterable[Row]) -> None:
        for row in rows:
            rel = self.rels.get(row[0])
            if rel is None:
                continue
            if row[-1]:  # an identity sequence: its column makes it
                del self.rels[row[0]]
                self.refs.pop(("pg_class", row[0]), None)
                continue
            self.sequence_rows[row[0]] = row

    def read_inherits(self, rows: Iterable[Row]) -> None:
        for child, parent, _ in rows:
            rel = self.rels.get(child)
            if rel is not None:
                rel.parents.append(parent)
            else:
                self.attached_indexes.add(child)  # an index attached to a parent index

    def read_type_collations(self, rows: Iterable[Row]) -> None:
        self.type_collation = dict(rows)

    def read_columns(self, rows: Iterable[Row]) -> None:
        self.column_rows = rows  # in (relid, attnum) order

    def read_defaults(self, rows: Iterable[Row]) -> None:
        self.defaults = {}
        for relid, num, expr, oid in rows:
            self.defaults[(relid, num)] = expr
            self.attrdefs[oid] = (relid, num)
        self._build_columns()

    def _build_columns(self) -> None:
        attributes: dict[int, list[tuple[str, str, QName | None]]] = defaultdict(list)
        made: dict[tuple[Any, ...], Column] = {}
        for (relid, num, name, type_text, not_null, identity, generated, local, collation,
             typid) in self.column_rows:
            coll = None
            if collation and collation != self.type_collation.get(typid):
                coll = self.collations.get(collation)
            type_ref, type_sql = parse_type(type_text)
            if relid in self.composite_of:
                attributes[self.composite_of[relid]].append((name, type_sql, coll))
                continue
            rel = self.rels.get(relid)
            if rel is None:
                self.all_attnames[(relid, num)] = name
                continue
            rel.attnames[num] = name
            rel.collations[num] = collation
            expr = self.defaults.get((relid, num))
            is_generated = generated == "s"
            if is_generated:
                self.generated.add((relid, num))
            # Records are immutable, and schemas repeat columns (id, created_at …) table
            # after table: one record serves them all.
            key = (name, type_text, not_null, expr, identity, generated, coll, local)
            column = made.get(key)
            if column is None:
                column = made[key] = Column(
                    name, type_ref, bool(not_null),
                    Expr(expr) if expr is not None and not is_generated else None,
                    bool(identity), Expr(expr) if is_generated and expr is not None else None,
                    type_sql=type_sql, collation=coll,
                    identity_kind=_IDENTITY.get(identity), inherited=not local)
            rel.columns.append(column)
        for type_oid, attrs in attributes.items():
            typ = self.types_by_oid[type_oid]
            self.types_by_oid[type_oid] = replace(typ, attributes=tuple(attrs))

    def _colname(self, relid: int, num: int) -> str | None:
        rel = self.rels.get(relid)
        return rel.attnames.get(num) if rel is not None else None

    def _any_colname(self, relid: int, num: int) -> str | None:
        return self._colname(relid, num) or self.all_attnames.get((relid, num))

    def _colnames(self, relid: int, nums: Sequence[int] | None) -> tuple[str, ...]:
        return tuple(n for n in (self._colname(relid, x) for x in nums or ()) if n)

    # --- constraints, indexes, triggers, policies, functions --------------------------

    def read_constraints(self, rows: Iterable[Row]) -> None:
        for (oid, relid, typid, name, contype, definition, validated, deferrable, deferred,
             conkey, frelid, fkey, on_delete, on_update, index, _) in rows:
            definition = _strip_not_valid(definition or "")  # (a deferred fetch's table
            # constraints have no text: read again in full by fetch.fetch_relations for every
            # table that is built)
            if typid:
                typ = self.types_by_oid.get(typid)
                if typ is not None and contype == "c":
                    self.domain_checks[typid].append((name, definition, bool(validated)))
                    self.refs[("pg_constraint", oid)] = self.type_refs[typid]
                continue
            rel = self.rels.get(relid)
            if rel is None:
                continue
            ref_table = self.names.get(frelid) if frelid else None
            ref_columns = tuple(n for n in (self._any_colname(frelid, k) for k in fkey or ())
                                if n) if frelid else ()
            rel.constraints.append(Constraint(
                name, _CONSTRAINT_KINDS[contype], self._colnames(relid, conkey), ref_table,
                ref_columns, None, bool(validated),
                definition=definition, deferrable=bool(deferrable), deferred=bool(deferred),
                on_delete=FK_ACTION_CODES.get(on_delete) if contype == "f" else None,
                on_update=FK_ACTION_CODES.get(on_update) if contype == "f" else None))
            self.con_keys[oid] = (rel.name, name)
            ref = ObjectRef("constraint", rel.name.schema, rel.name.name, name)
            self.refs[("pg_constraint", oid)] = ref
            if contype in ("p", "u", "x") and index:
                self.backing[index] = name
                self.refs[("pg_class", index)] = ref

    def read_access_methods(self, rows: Iterable[Row]) -> None:
        self.access_methods = dict(rows)

    def read_operator_classes(self, rows: Iterable[Row]) -> None:
        self.opclasses: dict[int, tuple[QName, bool]] = {
            oid: (QName(schema, name), default) for oid, schema, name, default in rows}

    def read_indexes(self, rows: Iterable[Row]) -> None:
        for (oid, relid, name, definition, predicate, unique, keys, partial, am, quoted_name,
             key_count, options, collations, classes, reloptions, nulls_distinct, _) in rows:
            rel = self.rels.get(relid)
            if rel is None or oid in self.attached_indexes or self._member("pg_class", oid):
                continue
            qn = QName(rel.name.schema, name)
            constraint = self.backing.get(oid)
            method = self.access_methods.get(am, "btree")
            expressions = definition is not None
            if expressions:  # on expressions: PostgreSQL's own text
                spec = _index_spec(definition, unique, quoted_name, rel.row[-1])
            else:
                spec = self._index_spec(rel, method, keys, key_count, options, collations,
                                        classes, reloptions, nulls_distinct, predicate)
                definition = (f"CREATE {'UNIQUE ' if unique else ''}INDEX "
                              f"{quote_ident(name)} ON {quote_qname(rel.name)} {spec}")
            self.cat.indexes[qn] = Index(
                qn, rel.name, self._colnames(relid, [k for k in keys if k]), bool(unique),
                bool(partial), definition=definition, spec=spec, method=method,
                constraint=constraint, expressions=expressions)
            self.index_keys[oid] = qn
            if constraint is None:
                self.refs[("pg_class", oid)] = ObjectRef("index", rel.name.schema, name)

    def _index_spec(self, rel: _Rel, method: str, keys: Sequence[int], key_count: int,
                    options: Sequence[int], collations: Sequence[int], classes: Sequence[int],
                    reloptions: Sequence[str] | None, nulls_not_distinct: bool,
                    predicate: str | None) -> str:
        """What pg_get_indexdef prints after "ON <table> ", rebuilt from pg_index for an
        index on plain columns: a column's COLLATE and operator class only when not its
        default, its order (indoption: 1 DESC, 2 NULLS FIRST) only when not the default."""
        columns = []
        for i, num in enumerate(keys[:key_count]):
            part = quote_ident(rel.attnames.get(num, "?"))
            coll = collations[i] if i < len(collations) else 0
            if coll and coll != rel.collations.get(num, 0):
                qcoll = self.collations.get(coll)
                part += f" COLLATE {quote_qname(qcoll)}" if qcoll else ""
            opclass = self.opclasses.get(classes[i]) if i < len(classes) else None
            if opclass is not None and not opclass[1]:
                part += f" {quote_qname(opclass[0])}"
            flags = options[i] if i < len(options) else 0
            if flags & 1:
                part += " DESC" if flags & 2 else " DESC NULLS LAST"
            elif flags & 2:
                part += " NULLS FIRST"
            columns.append(part)
        spec = f"USING {method} ({', '.join(columns)})"
        included = [quote_ident(rel.attnames.get(n, "?")) for n in keys[key_count:]]
        if included:
            spec += f" INCLUDE ({', '.join(included)})"
        if nulls_not_distinct:
            spec += " NULLS NOT DISTINCT"
        if reloptions:
            spec += f" WITH ({', '.join(reloptions)})"
        if predicate is not None:
            spec += f" WHERE {predicate}"
        return spec

    def read_triggers(self, rows: Iterable[Row]) -> None:
        for oid, relid, name, definition, enabled, fschema, fname in rows:
            rel = self.rels.get(relid)
            if rel is None:
                continue
            self.cat.triggers[(rel.name, name)] = Trigger(
                name, rel.name, QName(fschema, fname), definition=definition, enabled=enabled)
            self.trigger_keys[oid] = (rel.name, name)
            self.refs[("pg_trigger", oid)] = ObjectRef(
                "trigger", rel.name.schema, rel.name.name, name)

    def read_policies(self, rows: Iterable[Row]) -> None:
        for oid, relid, name, cmd, permissive, roles, using, check in rows:
            rel = self.rels.get(relid)
            if rel is None:
                continue
            self.cat.policies[(rel.name, name)] = Policy(
                name, rel.name, _POLICY_COMMANDS[cmd], bool(permissive), tuple(roles), using,
                check)
            self.policy_keys[oid] = (rel.name, name)
            self.refs[("pg_policy", oid)] = ObjectRef(
                "policy", rel.name.schema, rel.name.name, name)

    def read_functions(self, rows: Iterable[Row]) -> None:
        for (oid, schema, name, kind, volatility, definition, identity_args, arguments,
             result, arg_types) in rows:
            if self._member("pg_proc", oid):
                continue
            qn = QName(schema, name)
            args = tuple(str(parse_type(t)[0]) for t in arg_types)
            self.cat.functions[(qn, args)] = Function(
                qn, args, volatility, procedure=kind == "p", definition=definition,
                identity_args=identity_args, arguments=arguments, result=result,
                aggregate=kind == "a")
            self.function_keys[oid] = (qn, args)
            self.refs[("pg_proc", oid)] = ObjectRef("function", schema, name, None, args)

    # --- dependencies and comments ----------------------------------------------------

    def read_rewrites(self, rows: Iterable[Row]) -> None:
        self.rewrites = dict(rows)

    def _object(self, catalog: str, oid: int, sub: int) -> ObjectRef | None:
        """The object a pg_depend end stands for (memoised: objects recur a lot)."""
        key = (catalog, oid, sub)
        if key in self._ref_cache:
            return self._ref_cache[key]
        ref: ObjectRef | None
        if catalog == "pg_rewrite":
            ev_class = self.rewrites.get(oid)
            ref = self.refs.get(("pg_class", ev_class)) if ev_class else None
        elif catalog == "pg_attrdef":
            relid, num = self.attrdefs.get(oid, (0, 0))
            rel, col = self.rels.get(relid), self._colname(relid, num)
            # A generated column's expression is part of the column, not a default.
            kind = "column" if (relid, num) in self.generated else "default"
            ref = ObjectRef(kind, rel.name.schema, rel.name.name, col) if rel and col else None
        elif (catalog, oid) in self.members:
            ref = ObjectRef("extension", "", self.members[(catalog, oid)])
        else:
            ref = self.refs.get((catalog, oid))
            if ref is not None and catalog == "pg_class" and sub > 0 and ref.kind == "table":
                col = self._colname(oid, sub)
                ref = ObjectRef("column", ref.schema, ref.name, col) if col else ref
        self._ref_cache[key] = ref
        return ref

    def read_catalog_oids(self, rows: Iterable[Row]) -> None:
        self.catalog_names: dict[int, str] = dict(rows)

    def read_dependencies(self, rows: Iterable[Row]) -> None:
        deps = self.cat.dependencies
        names = self.catalog_names
        for cls_oid, oid, sub, refcls_oid, refoid, refsub, deptype in rows:
            cls, refcls = names.get(cls_oid, ""), names.get(refcls_oid, "")
            dependent = self._object(cls, oid, sub)
            referenced = self._object(refcls, refoid, refsub)
            if dependent is None or referenced is None or dependent == referenced:
                continue
            deps.add(Dependency(dependent, referenced, deptype == "a"))
            if dependent.kind == "sequence" and referenced.kind == "column" and deptype == "a":
                self.owned[oid] = (QName(referenced.schema, referenced.name),
                                   referenced.sub or "")
            elif dependent.kind == "view" and referenced.kind in ("table", "column", "view"):
                view_oid = (self.rewrites.get(oid) or oid) if cls == "pg_rewrite" else oid
                table = QName(referenced.schema, referenced.name)
                self.read_tables[view_oid][table] = None
                if referenced.kind == "column" and referenced.sub:
                    self.reads[view_oid][(table, referenced.sub)] = None

    def read_comments(self, rows: Iterable[Row]) -> None:
        self.comment_rows = list(rows)

    def read_privileges(self, rows: Iterable[Row]) -> None:
        grants: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for oid, grantee, privilege in rows:
            grants[oid].append((grantee, privilege))
        self.grants = {oid: tuple(sorted(g)) for oid, g in grants.items()}

    # --- assembly ---------------------------------------------------------------------

    def finish(self) -> Catalog:
        cat = self.cat
        comments = {(cls, oid, sub): text for cls, oid, sub, text in self.comment_rows}
        for oid, name in self.namespaces.items():
            if ("pg_namespace", oid, 0) in comments:
                cat.schema_comments[name] = comments[("pg_namespace", oid, 0)]
        for key, ref in self.refs.items():
            if key[0] == "pg_extension" and (key[0], key[1], 0) in comments:
                ext = cat.extension_info[ref.name]
                cat.extension_info[ref.name] = replace(ext, comment=comments[(*key, 0)])
        for oid, typ in self.types_by_oid.items():
            cat.types[typ.name] = replace(
                typ, checks=tuple(sorted(self.domain_checks.get(oid, ()))),
                comment=comments.get(("pg_type", oid, 0)))
        for rel in self.rels.values():
            self._finish_relation(rel, comments, self.grants.get(rel.oid, ()))
        for oid, qn in self.index_keys.items():
            if ("pg_class", oid, 0) in comments:
                cat.indexes[qn] = replace(cat.indexes[qn], comment=comments[("pg_class", oid, 0)])
        for oid, (table, name) in self.con_keys.items():
            text = comments.get(("pg_constraint", oid, 0))
            if text is not None:
                t = cat.tables[table]
                cat.tables[table] = replace(t, constraints=tuple(
                    replace(c, comment=text) if c.name == name else c for c in t.constraints))
        _comment(cat.functions, self.function_keys, comments, "pg_proc")
        _comment(cat.collations, self.collation_keys, comments, "pg_collation")
        _comment(cat.triggers, self.trigger_keys, comments, "pg_trigger")
        _comment(cat.policies, self.policy_keys, comments, "pg_policy")
        return cat

    def _finish_relation(self, rel: _Rel, comments: dict[tuple[str, int, int], str],
                         grants: tuple[tuple[str, str], ...]) -> None:
        (_, _, _, kind, _, unlogged, rls, rls_forced, options, bound, partkey, viewdef,
         is_partition, _) = rel.row
        comment = comments.get(("pg_class", rel.oid, 0))
        col_comments = {name: comments[("pg_class", rel.oid, num)]
                        for num, name in rel.attnames.items()
                        if ("pg_class", rel.oid, num) in comments}
        if kind == "S":
            row = self.sequence_rows.get(rel.oid)
            if row is not None:
                _, seq_type, start, increment, min_value, max_value, cache, cycle, _ = row
                self.cat.sequences[rel.name] = SequenceDef(
                    rel.name, self.owned.get(rel.oid), data_type=seq_type, start=start,
                    increment=increment, min_value=min_value, max_value=max_value,
                    cache=cache, cycle=bool(cycle), comment=comment)
            return
        if kind in ("v", "m"):
            self.cat.views[rel.name] = View(
                rel.name, kind == "m", tuple(sorted(self.reads.get(rel.oid, ()))),
                tuple(sorted(self.read_tables.get(rel.oid, ()))), definition=viewdef,
                columns=tuple(c.name for c in rel.columns), options=tuple(sorted(options)),
                comment=comment, column_comments=tuple(sorted(col_comments.items())))
            return
        parent_names = tuple(self.names[p] for p in rel.parents if p in self.names)
        columns = rel.columns
        if col_comments:
            columns = [replace(c, comment=col_comments[c.name]) if c.name in col_comments
                       else c for c in columns]
        self.cat.tables[rel.name] = Table(
            rel.name, tuple(columns), tuple(sorted(rel.constraints, key=lambda c: c.name)),
            parent_names[0] if is_partition and parent_names else None,
            partitioned=kind == "p", partition_key=partkey, partition_bound=bound,
            inherits=() if is_partition else parent_names, unlogged=bool(unlogged),
            rls_enabled=bool(rls), rls_forced=bool(rls_forced), options=tuple(sorted(options)),
            comment=comment, privileges=grants)


def _comment(store: dict[Any, Any], keys: dict[int, Any],
             comments: dict[tuple[str, int, int], str], catalog: str) -> None:
    for oid, key in keys.items():
        if (catalog, oid, 0) in comments:
            store[key] = replace(store[key], comment=comments[(catalog, oid, 0)])


def _strip_not_valid(definition: str) -> str:
    return definition[:-len(" NOT VALID")] if definition.endswith(" NOT VALID") else definition


def _index_spec(definition: str, unique: bool, quoted_name: str, quoted_table: str) -> str:
    """The part of pg_get_indexdef after "ON <table> ", found from the names as PostgreSQL
    quoted them (a name may contain " USING ", so searching for it would not be safe)."""
    head = f"CREATE {'UNIQUE ' if unique else ''}INDEX {quoted_name} ON "
    for only in ("ONLY ", ""):
        prefix = f"{head}{only}{quoted_table} "
        if definition.startswith(prefix):
            return definition[len(prefix):]
    return definition  # not expected; the plan falls back to the whole definition
