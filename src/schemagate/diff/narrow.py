"""Which relations a diff of two databases must build records for.

A large schema is mostly tables that are the same on both sides, and building records for
them (a few microseconds per column, index and constraint) was most of a diff's time. So
the rows of both sides (introspect.fetch) are compared first, relation by relation, through
fingerprints made of the very rows `build` reads, with every user oid replaced by a name
(oids differ between databases, names do not; built-in oids are the same everywhere). A
relation is kept when its fingerprint differs, or when it depends on something that
differs: a walk over each side's pg_depend rows, from the relations and the other objects
(types, functions, sequences, extensions) that differ, reaches the views, foreign keys,
defaults, triggers and policies a plan may have to drop and create again. The names found
on either side are kept on both.

Every other relation is left out of both catalogs. It would compare equal, and nothing the
planner touches depends on it; the planner needs only that everything it might reach is
there, which is what the walk guarantees. A fingerprint may differ where the records would
not (a dropped column shifts the numbers other rows use): that costs only a record built
for nothing. Tests compare plans from narrowed and full catalogs on every round trip.

A `Side` takes the rows query by query, as `fetch` reads them, so that its work is done
while the server runs the next query.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING

from schemagate.diff.fetch import Row, Rows
from schemagate.diff.queries import FIRST_USER_OID
from schemagate.model.names import QName

if TYPE_CHECKING:  # the model is imported when catalogs are built, not before reading
    from schemagate.model.catalog import Catalog, ObjectRef

Obj = tuple[str, int]  # (system catalog, oid)


def narrowed(a: Rows, b: Rows) -> tuple[Catalog, Catalog]:
    """Both catalogs, with only the relations a diff of them needs."""
    return narrowed_sides(Side.of(a), Side.of(b))


def narrowed_sides(a: Side, b: Side) -> tuple[Catalog, Catalog]:
    keep = relations_to_keep(a, b)
    return a.catalog(keep), b.catalog(keep)


def relations_to_keep(a: Side, b: Side) -> set[QName]:
    from schemagate.diff.compare import compare

    fa, fb = a.fingerprints(), b.fingerprints()
    changed = {name for name in fa.keys() | fb.keys() if fa.get(name) != fb.get(name)}
    # Objects that are not relations are built in full on both sides; the ones that
    # differ are found the usual way, on catalogs without any relation (cheap).
    others = [d.ref for d in compare(a.bare(), b.bare())]
    keep = set(changed)
    for side in (a, b):
        keep |= side.walk(side.seeds(changed, others))
    # A kept child's parents too: whether a child's inherited column keeps its parent's
    # default and NOT NULL is read from the parent's record.
    stack = list(keep)
    while stack:
        name = stack.pop()
        for side in (a, b):
            for parent in side.parents.get(name, ()):
                if parent not in keep:
                    keep.add(parent)
                    stack.append(parent)
    return keep


class Side:
    """One database's rows, indexed for fingerprints and for the dependency walk."""

    def __init__(self) -> None:
        self.rows: Rows | None = None
        self.catalogs: dict[int, str] = {}
        self.collations: dict[int, tuple[str, str]] = {}
        self.collation_oids: dict[QName, int] = {}
        self.am: dict[int, str] = {}
        self.opclasses: dict[int, tuple[str, str]] = {}
        self.relations: dict[int, QName] = {}
        self.by_name: dict[QName, int] = {}
        self.parents: dict[QName, list[QName]] = defaultdict(list)  # a table's parents
        self.relkind: dict[int, str] = {}
        self.rowtype: dict[int, int] = {}
        self.columns: dict[int, list[Hashable]] = defaultdict(list)
        self.parts: dict[int, list[Hashable]] = defaultdict(list)
        self.owner: dict[Obj, int] = {}  # a sub-object → the relation it belongs to
        self.subobjects: dict[int, list[Obj]] = defaultdict(list)
        self.sub_names: dict[Obj, str] = {}
        self.types: dict[int, int] = {}  # type → its array type
        self.type_oids: dict[QName, int] = {}
        self.function_oids: dict[QName, list[int]] = defaultdict(list)
        self.members: dict[str, list[Obj]] = defaultdict(list)
        self.sequence_owner: dict[int, int] = {}
        self.users: dict[Obj, list[Obj]] = defaultdict(list)
        self.non_relation: set[int] = set()
        self.member_of: dict[Obj, str] = {}
        self.function_names: dict[int, tuple[str, str, str]] = {}
        self.type_names: dict[int, QName] = {}
        # Deferred texts (fetch_cursor(deferred=True)): node trees, by relation.
        self.deferred_constraints: dict[int, list[int]] = defaultdict(list)
        self.deferred_predicates: dict[int, list[int]] = defaultdict(list)
        self.raw_objects: dict[Obj, int] = {}
        self.opaque: set[int] = set()  # relations whose node trees name what we cannot
        self._bare: Catalog | None = None
        self._fingerprints: dict[QName, Hashable] = {}

    @classmethod
    def of(cls, rows: Rows) -> Side:
        side = cls()
        for name, result in rows.results.items():
            side.add(name, result)
        side.finish(rows)
        return side

    def add(self, name: str, rows: list[Row]) -> None:
        """Take one query's rows (in `fetch` order: later queries use earlier maps)."""
        handler = getattr(self, "_" + name, None)
        if handler is not None:
            handler(rows)

    def finish(self, rows: Rows) -> None:
        """All rows are in: what depends on one side only is computed now (on the thread
        that read them, while the other side may still be reading)."""
        from schemagate.diff.introspect import build

        self.rows = rows
        self._bare = build(self.only(set()), keep=(), all_sequences=False)
        self._fingerprints = self._fingerprint()

    def catalog(self, keep: set[QName]) -> Catalog:
        """The bare catalog with the kept relations built over it, and the sequences they
        own. (A sequence left out is the same on both sides, its owner included: that is in
        its fingerprint.)"""
        from schemagate.diff.introspect import build

        owned = {self.relations[seq] for seq, owner in self.sequence_owner.items()
                 if self.relations[owner] in keep}
        over = build(self.only(keep), keep | owned, all_sequences=False)
        bare = self.bare()
        cat = over.copy()
        cat.schemas, cat.extensions = set(bare.schemas), set(bare.extensions)
        cat.extension_info, cat.schema_comments = dict(bare.extension_info), dict(
            bare.schema_comments)
        cat.types, cat.functions = dict(bare.types), dict(bare.functions)
        cat.collations = dict(bare.collations)
        return cat

    def bare(self) -> Catalog:
        """The catalog without any relation (a sequence is one): schemas, extensions, types
        and functions."""
        assert self._bare is not None
        return self._bare

    # --- rows, query by query -----------------------------------------------------------

    def _members(self, rows: list[Row]) -> None:
        for catalog, oid, ext in rows:
            self.members[ext].append((catalog, oid))
            self.member_of[(catalog, oid)] = ext
            self.non_relation.add(oid)

    def _extensions(self, rows: list[Row]) -> None:
        self.non_relation |= {row[0] for row in rows}

    def _collations(self, rows: list[Row]) -> None:
        self.collations = {oid: (schema, name) for oid, schema, name in rows}

    def _user_collations(self, rows: list[Row]) -> None:
        # Objects of their own: their dependency rows (a column's COLLATE) are kept.
        self.non_relation |= {row[0] for row in rows}
        self.collation_oids = {QName(row[1], row[2]): row[0] for row in rows}

    def _types(self, rows: list[Row]) -> None:
        for row in rows:
            self.types[row[0]] = row[4]
            self.type_oids[QName(row[1], row[2])] = row[0]
            self.type_names[row[0]] = self.type_names[row[4]] = QName(row[1], row[2])
            self.non_relation |= {row[0], row[4]}

    def _relations(self, rows: list[Row]) -> None:
        for row in rows:
            oid, schema, name, kind, reltype = row[:5]
            qn = QName(schema, name)
            self.relations[oid] = qn
            self.by_name[qn] = oid
            self.relkind[oid] = kind
            self.rowtype[reltype] = oid
            # (its options are the one array; arrays come as lists)
            self.parts[oid].append((kind, *row[5:8], tuple(row[8]), *row[9:]))

    def _sequences(self, rows: list[Row]) -> None:
        for row in rows:
            self.parts[row[0]].append(row[1:])

    def _inherits(self, rows: list[Row]) -> None:
        for child, parent, seq in rows:
            self.parts[child].append(("inherits", seq, self.relations.get(parent, parent)))
            if self.relkind.get(child) in ("r", "p") and self.relkind.get(parent) in ("r", "p"):
                self.parents[self.relations[child]].append(self.relations[parent])

    def _columns(self, rows: list[Row]) -> None:
        # Column numbers are kept: other rows name columns by number, not by name (a
        # dropped column leaves a gap, and the same name may then have another number).
        collations, columns = self.collations, self.columns
        for row in rows:  # (relid, num, name, type, not null, identity, generated, typid,
            coll = row[8]  # collation, local); the type's oid is in its name already
            columns[row[0]].append(
                (*row[1:7], collations.get(coll) if coll >= FIRST_USER_OID else coll, row[9]))

    def _defaults(self, rows: list[Row]) -> None:
        for relid, num, expr, oid in rows:
            self.parts[relid].append(("default", num, expr))
            self._sub("pg_attrdef", oid, relid, "")

    def _sub(self, kind: str, oid: int, relid: int, name: str) -> None:
        self.owner[(kind, oid)] = relid
        self.subobjects[relid].append((kind, oid))
        self.sub_names[(kind, oid)] = name

    def _constraints(self, rows: list[Row]) -> None:
        for row in rows:  # (oid, relid, typid, name, contype, definition …, confrelid …, raw)
            if row[1]:
                self._sub("pg_constraint", row[0], row[1], row[3])
                self.parts[row[1]].append(
                    ("con", *row[3:9], self.relations.get(row[10], row[10]), _raw(row[15])))
                if row[15] is not None:  # a CHECK fetched as a node tree
                    self.deferred_constraints[row[1]].append(row[0])
                    self.raw_objects[("pg_constraint", row[0])] = row[1]

    def _access_methods(self, rows: list[Row]) -> None:
        self.am = dict(rows)

    def _operator_classes(self, rows: list[Row]) -> None:
        self.opclasses = {oid: (schema, name) for oid, schema, name, _ in rows}

    def _indexes(self, rows: list[Row]) -> None:
        for (oid, relid, name, definition, predicate, unique, keys, partial, am, _,
             key_count, options, collations, classes, reloptions, nulls, raw) in rows:
            self._sub("pg_class", oid, relid, name)
            if raw is not None:  # a predicate fetched as a node tree
                self.deferred_predicates[relid].append(oid)
                self.raw_objects[("pg_class", oid)] = relid
            # Built-in oids are the same in every database; a user's are named instead.
            if collations and max(collations) >= FIRST_USER_OID:
                collations = [self.collations.get(c, c) for c in collations]
            if classes and max(classes) >= FIRST_USER_OID:
                classes = [self.opclasses.get(c, c) for c in classes]
            self.parts[relid].append((
                "index", name, definition, predicate, unique, partial, self.am.get(am),
                key_count, tuple(keys), tuple(options), tuple(collations), tuple(classes),
                tuple(reloptions or ()), nulls, _raw(raw)))

    def _triggers(self, rows: list[Row]) -> None:
        for row in rows:
            self._sub("pg_trigger", row[0], row[1], row[2])
            self.parts[row[1]].append(("trigger", *row[2:]))

    def _policies(self, rows: list[Row]) -> None:
        for row in rows:
            self._sub("pg_policy", row[0], row[1], row[2])
            self.parts[row[1]].append(("policy", row[2], row[3], row[4], tuple(row[5]),
                                       row[6], row[7]))

    def _functions(self, rows: list[Row]) -> None:
        for row in rows:
            self.function_oids[QName(row[1], row[2])].append(row[0])
            self.function_names[row[0]] = (row[1], row[2], row[6])
            self.non_relation.add(row[0])

    def _rewrites(self, rows: list[Row]) -> None:
        for oid, relid in rows:
            self._sub("pg_rewrite", oid, relid, "")

    def _catalog_oids(self, rows: list[Row]) -> None:
        self.catalogs = dict(rows)

    def _dependencies(self, rows: list[Row]) -> None:
        names = self.catalogs
        pg_class = next((oid for oid, n in names.items() if n == "pg_class"), -1)
        users = self.users
        for cls, oid, _, refcls, refoid, refsub, deptype in rows:
            users[(names.get(refcls, ""), refoid)].append((names.get(cls, ""), oid))
            relid = self.raw_objects.get((names.get(cls, ""), oid))
            if relid is not None:  # what a raw node tree names by oid, by its name
                named = self._name_of(names.get(refcls, ""), refoid, refsub)
                if named is None:
                    self.opaque.add(relid)
                else:
                    self.parts[relid].append(
                        ("uses", self.sub_names.get((names.get(cls, ""), oid)), named))
            if cls == refcls == pg_class and deptype == "a" and refsub > 0 and \
                    self.relkind.get(oid) == "S":  # a sequence's owning column
                self.parts[oid].append(("owned", self.relations.get(refoid), refsub))
                self.sequence_owner[oid] = refoid

    def _name_of(self, catalog: str, oid: int, sub: int) -> Hashable | None:
        """A user object a node tree refers to, by name (None: one this module cannot name,
        and then the relation counts as changed)."""
        if (catalog, oid) in self.member_of:
            return ("extension", self.member_of[(catalog, oid)], catalog, oid)
        if catalog == "pg_proc" and oid in self.function_names:
            return ("function", *self.function_names[oid])
        if catalog == "pg_type" and oid in self.type_names:
            return ("type", self.type_names[oid])
        if catalog == "pg_class" and oid in self.relations:
            return ("relation", self.relations[oid], sub)
        if catalog == "pg_collation" and oid in self.collations:
            return ("collation", self.collations[oid])
        return None

    def _comments(self, rows: list[Row]) -> None:
        for catalog, oid, sub, text in rows:
            if catalog == "pg_class" and oid in self.relations:
                self.parts[oid].append(("comment", sub, text))  # sub: a column's number
            elif (catalog, oid) in self.owner:
                self.parts[self.owner[(catalog, oid)]].append(
                    ("comment", catalog, self.sub_names.get((catalog, oid)), text))

    def _privileges(self, rows: list[Row]) -> None:
        for oid, grantee, privilege in rows:
            self.parts[oid].append(("grant", grantee, privilege))

    # --- fingerprints -------------------------------------------------------------------

    def fingerprints(self) -> dict[QName, Hashable]:
        return self._fingerprints

    def _fingerprint(self) -> dict[QName, Hashable]:
        """Per relation, its rows with user oids replaced by names: equal fingerprints give
        equal records (they are made of what `build` reads). Columns are in attnum order
        (their order is part of a table); the rest is a set."""
        return {name: (tuple(self.columns.get(oid, ())), frozenset(self.parts.get(oid, ())),
                       object() if oid in self.opaque else None)  # (never equal)
                for oid, name in self.relations.items()}

    def deferred(self, keep: set[QName]) -> tuple[list[int], list[int]]:
        """The CHECK constraints and index predicates whose texts the kept relations need."""
        rels = [oid for oid, name in self.relations.items() if name in keep]
        return ([c for r in rels for c in self.deferred_constraints.get(r, ())],
                [i for r in rels for i in self.deferred_predicates.get(r, ())])

    def only(self, keep: set[QName]) -> Rows:
        """The rows without those of the relations left out, so that `build` need not
        even look at them (it would skip them all the same)."""
        assert self.rows is not None
        rows = self.rows
        rels = {oid for oid, name in self.relations.items() if name in keep}
        rels |= {row[5] for row in rows["types"] if row[3] == "c"}  # composites' rows
        known = rels | {oid for rel in rels for _, oid in self.subobjects.get(rel, ())}
        known |= self.non_relation
        # A kept relation's row type stands for it (a domain over it, a function taking it).
        known |= {t for t, r in self.rowtype.items() if r in rels}
        # A domain's CHECK stands for its type in the dependencies (the function it calls).
        known |= {r[0] for r in rows["constraints"] if r[2]}
        results = dict(rows.results)
        for name, column in (("defaults", 0), ("indexes", 1), ("triggers", 1),
                             ("policies", 1), ("privileges", 0)):
            results[name] = [r for r in rows[name] if r[column] in rels]
        # The columns of the tables kept foreign keys reference name those keys' columns.
        referenced = {r[10] for r in rows["constraints"] if r[1] in rels and r[10]}
        results["columns"] = [r for r in rows["columns"] if r[0] in rels or r[0] in referenced]
        # (a partition's index attached to its parent's index is an inherits row too)
        results["inherits"] = [r for r in rows["inherits"] if r[0] in known]
        results["constraints"] = [r for r in rows["constraints"] if r[1] in rels or r[2]]
        results["dependencies"] = [r for r in rows["dependencies"]
                                   if r[1] in known and r[4] in known]
        return Rows(rows.version, results)

    # --- the walk -----------------------------------------------------------------------

    def seeds(self, changed: set[QName], others: Iterable[ObjectRef]) -> list[Obj]:
        out: list[Obj] = []
        for name in changed:
            oid = self.by_name.get(name)
            if oid is not None:
                out += [("pg_class", oid), *self.subobjects.get(oid, ())]
                out += [("pg_type", t) for t, r in self.rowtype.items() if r == oid]
                if oid in self.sequence_owner:  # its owner must be there to say so
                    out.append(("pg_class", self.sequence_owner[oid]))
        for ref in others:
            qn = QName(ref.schema, ref.name)
            if ref.kind == "type" and qn in self.type_oids:
                oid = self.type_oids[qn]
                out += [("pg_type", oid), ("pg_type", self.types.get(oid, 0))]
            elif ref.kind == "function":
                out += [("pg_proc", oid) for oid in self.function_oids.get(qn, ())]
            elif ref.kind == "sequence" and qn in self.by_name:
                out.append(("pg_class", self.by_name[qn]))
            elif ref.kind == "extension":
                out += self.members.get(ref.name, [])
            elif ref.kind == "collation" and qn in self.collation_oids:
                out.append(("pg_collation", self.collation_oids[qn]))
        return out

    def walk(self, seeds: list[Obj]) -> set[QName]:
        """The relations of everything that depends, directly or not, on the seeds."""
        keep: set[QName] = set()
        seen: set[Obj] = set()
        stack = list(seeds)
        while stack:
            obj = stack.pop()
            if obj in seen:
                continue
            seen.add(obj)
            relation = self._relation_of(obj)
            if relation is not None:
                keep.add(self.relations[relation])
                # A view's rule or a column's default stands for its relation: what uses
                # the view, or the column, is reached from the relation.
                if obj[0] in ("pg_rewrite", "pg_attrdef"):
                    stack.append(("pg_class", relation))
            stack += self.users.get(obj, ())
        return keep

    def _relation_of(self, obj: Obj) -> int | None:
        catalog, oid = obj
        if catalog == "pg_class" and oid in self.relations:
            return oid
        if catalog == "pg_type" and oid in self.rowtype:
            return self.rowtype[oid]
        return self.owner.get(obj)


_LOCATION = re.compile(r" :location -?\d+")


def _raw(tree: str | None) -> str | None:
    """A node tree without its source positions (they depend on how the SQL was typed)."""
    return _LOCATION.sub("", tree) if tree is not None else None
