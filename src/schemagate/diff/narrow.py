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

import hashlib
import marshal
import pickle
import re
from array import array
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from schemagate.diff.fetch import PER_RELATION, Row, Rows
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
        # What each relation's fingerprint is made of: its columns, in order, as one digest
        # (they come relation by relation); its other rows, serialized, each beginning with
        # what kind of row it is, as a set (`_fingerprint`). (A digest per row cost more time
        # than the row's other work; a digest per relation and query, 15,000 of them on
        # 2,000 tables, a quarter of it.)
        self.columns: dict[int, bytes] = {}
        self._columns_of: tuple[int, list[Row]] | None = None  # (relation, rows so far)
        self.parts: dict[int, list[bytes]] = defaultdict(list)
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
        self.raw_objects: dict[Obj, int] = {}
        # The dependency rows a lean read did not keep (they name a relation's object): a
        # diff needs those of the relations it keeps (`take`), and filtering them here costs
        # less than the server's reading them again. Seven integers each (the kind of
        # dependency by its character's code): as tuples, a row took five times the memory.
        self.relational_dependencies = array("q")
        self._kept: list[Row] = []  # the last chunk's others (`kept`)
        self.opaque: set[int] = set()  # relations whose node trees name what we cannot
        self._bare: Catalog | None = None
        self._fingerprints: dict[QName, object] = {}

    @classmethod
    def of(cls, rows: Rows) -> Side:
        side = cls()
        for name, result in rows.results.items():
            side.add(name, result)
        side.finish(rows)
        return side

    def add(self, name: str, rows: list[Row]) -> None:
        """Take one query's rows (in `fetch` order: later queries use earlier maps), in one
        call or in chunks."""
        handler = getattr(self, "_" + name, None)
        if handler is not None:
            handler(rows)

    def _part(self, relation: int, row: tuple[Any, ...]) -> None:
        """One of a relation's rows, for its fingerprint (its first field says what kind
        of row it is)."""
        self.parts[relation].append(_serial(row))

    def finish(self, rows: Rows) -> None:
        """All rows are in: what depends on one side only is computed now (on the thread
        that read them, while the other side may still be reading)."""
        from schemagate.diff.introspect import build

        self.rows = rows
        self._end_columns()
        self._bare = build(self.only(set()), keep=(), all_sequences=False)
        self._fingerprints = self._fingerprint()
        # (what the fingerprints were made of is not needed again: a large schema's worth)
        self.parts.clear()
        self.columns.clear()

    def kept(self, name: str, rows: list[Row]) -> list[Row]:
        """The rows of a chunk that `keeps` keeps (one call for the chunk)."""
        column = PER_RELATION.get(name)
        if name == "dependencies":  # (sorted out by `_dependencies`, which saw them first)
            kept, self._kept = self._kept, []
            return kept
        if column is None:
            return [row for row in rows if self.keeps(name, row)]
        relations = self.relations
        if name == "constraints":
            return [row for row in rows if row[2] or row[column] not in relations]
        return [row for row in rows if row[column] not in relations]

    def keeps(self, name: str, row: Row) -> bool:
        """Whether a read that lets rows go (fetch.fetch_lean) must keep this one: every row
        but the per-relation rows of the relations and what belongs to them, which are read
        again for the relations a diff keeps (`relations_needed`). So the rows `only` takes
        for the bare catalog are all kept: composite types' columns, domains' constraints,
        dependencies between objects that are not relations."""
        column = PER_RELATION.get(name)
        if column is not None:
            return bool(name == "constraints" and row[2]) or row[column] not in self.relations
        if name == "dependencies":
            names = self.catalogs
            return not (self._relational((names.get(row[0], ""), row[1]))
                        or self._relational((names.get(row[3], ""), row[4])))
        return True

    def _relational(self, obj: Obj) -> bool:
        """A relation, its row type, or a part of one (not an extension's)."""
        return self._relation_of(obj) is not None and obj[1] not in self.non_relation

    def forget_walk(self) -> None:
        """Let go of what only the fingerprints and the walk needed (the relations to keep
        are known): the dependency graph and the names of the objects that are not kept."""
        for table in (self.users, self._fingerprints, self.sub_names, self.member_of,
                      self.function_names, self.type_names, self.raw_objects, self.by_name):
            table.clear()

    def drop(self) -> None:
        """Let go of everything (the catalog is built)."""
        self.__dict__.clear()

    def relations_needed(self, keep: set[QName]) -> tuple[list[int], list[int]]:
        """The oids of the kept relations, and of everything of theirs a dependency may name
        (themselves, their row types, their indexes, constraints, defaults, rules …): what
        fetch.fetch_relations reads again. A dependency between objects none of which is a
        relation's was kept when it was read; one naming a relation left out is never needed
        (`only` keeps none of those), so a catalog built from these rows is the one built from
        every row, whatever else `only` counts as known."""
        rels = {oid for oid, name in self.relations.items() if name in keep}
        objects = rels | {t for t, r in self.rowtype.items() if r in rels}
        objects |= {oid for rel in rels for _, oid in self.subobjects.get(rel, ())}
        return sorted(rels), sorted(objects)

    def take(self, extra: dict[str, list[Row]], objects: Iterable[int]) -> None:
        """Add the rows read again for the kept relations (none of them was kept before);
        ``objects``: the second list `relations_needed` gave."""
        assert self.rows is not None
        names, ours = self.catalogs, set(objects)
        for name, rows in extra.items():
            if name == "dependencies":  # those that name only kept relations' objects (the
                # ones that name no relation's at all were kept when first read), of those
                # set aside then, and those read again
                aside = self.relational_dependencies
                rows = [*((*aside[i:i + 6], chr(aside[i + 6]))
                          for i in range(0, len(aside), 7)
                          if aside[i + 1] in ours or aside[i + 4] in ours),
                        *(row for row in rows if row[1] in ours or row[4] in ours)]
                rows = [row for row in rows if not self.keeps(name, row) and all(
                    oid in ours or not self._relational((names.get(cls, ""), oid))
                    for cls, oid in ((row[0], row[1]), (row[3], row[4])))]
            self.rows.results[name] = [*self.rows[name], *rows]

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
            self._part(oid, ("relation", kind, *row[5:8], tuple(row[8]), *row[9:]))

    def _sequences(self, rows: list[Row]) -> None:
        for row in rows:
            self._part(row[0], ("sequence", row[1:]))

    def _inherits(self, rows: list[Row]) -> None:
        for child, parent, seq in rows:
            named = self.relations.get(parent)  # (as a plain tuple: marshal writes it)
            self._part(child, ("inherits", seq, parent if named is None else (*named,)))
            if self.relkind.get(child) in ("r", "p") and self.relkind.get(parent) in ("r", "p"):
                self.parents[self.relations[child]].append(self.relations[parent])

    def _columns(self, rows: list[Row]) -> None:
        # Column numbers are kept: other rows name columns by number, not by name (a
        # dropped column leaves a gap, and the same name may then have another number).
        collations = self.collations
        current = self._columns_of
        for row in rows:  # (relid, num, name, type, not null, identity, generated, local,
            if current is None or current[0] != row[0]:  # collation, typid); the type's
                self._end_columns()  # oid is in its name already (the query sorts them
                current = self._columns_of = (row[0], [])  # by relation, then number)
            coll = row[8]
            current[1].append(row[1:9] if coll < FIRST_USER_OID else
                              (*row[1:8], collations.get(coll)))

    def _end_columns(self) -> None:
        if self._columns_of is not None:
            relation, rows = self._columns_of
            self.columns[relation] = _digest(_serial(rows))
            self._columns_of = None

    def _defaults(self, rows: list[Row]) -> None:
        parts, owner, subobjects = self.parts, self.owner, self.subobjects
        for relid, num, expr, oid in rows:  # (marshal writes them: `_serial`, written out)
            parts[relid].append(marshal.dumps(("default", num, expr), 0))
            obj = ("pg_attrdef", oid)  # (`_sub`, without a name)
            owner[obj] = relid
            subobjects[relid].append(obj)

    def _sub(self, kind: str, oid: int, relid: int, name: str) -> None:
        obj = (kind, oid)  # one tuple for the three maps: there is one per index, default …
        self.owner[obj] = relid
        self.subobjects[relid].append(obj)
        if name:  # (a default or a rule has none: `sub_name` says "")
            self.sub_names[obj] = name

    def sub_name(self, obj: Obj) -> str:
        return self.sub_names.get(obj, "")

    def _constraints(self, rows: list[Row]) -> None:
        relations, parts, raw_objects = self.relations, self.parts, self.raw_objects
        owner, subobjects, sub_names = self.owner, self.subobjects, self.sub_names
        for row in rows:  # (oid, relid, typid, name, contype, definition …, confrelid …, raw)
            relid = row[1]
            if not relid:
                continue
            obj = ("pg_constraint", row[0])  # (`_sub`, written out: a constraint has a name)
            owner[obj] = relid
            subobjects[relid].append(obj)
            sub_names[obj] = row[3]
            referenced, raw = row[10], row[15]
            if referenced:  # (as a plain tuple: marshal writes it)
                named = relations.get(referenced)
                referenced = referenced if named is None else (*named,)
            if raw is not None:  # a CHECK fetched as a node tree
                raw_objects[obj] = relid
                raw = _raw(raw)
            parts[relid].append(marshal.dumps(("con", *row[3:9], referenced, raw), 0))

    def _access_methods(self, rows: list[Row]) -> None:
        self.am = dict(rows)

    def _operator_classes(self, rows: list[Row]) -> None:
        self.opclasses = {oid: (schema, name) for oid, schema, name, _ in rows}

    def _indexes(self, rows: list[Row]) -> None:
        # (as queries.indexes reads them deferred: vectors as text, and whether a collation
        # or operator class in them is the user's)
        parts, access_methods, raw_objects = self.parts, self.am, self.raw_objects
        owner, subobjects, sub_names = self.owner, self.subobjects, self.sub_names
        for row in rows:  # (oid, relid, name, definition, predicate, unique, keys, partial,
            oid, relid, am, users, raw = row[0], row[1], row[8], row[9], row[16]  # am,
            obj = ("pg_class", oid)  # users, key count, options, collations, classes,
            owner[obj] = relid  # reloptions, nulls, raw); (`_sub`, written out)
            subobjects[relid].append(obj)
            sub_names[obj] = row[2]
            collations, classes = row[12], row[13]
            if not isinstance(collations, str):  # read in full (fetch): arrays, quoted name
                users = max(collations, default=0) >= FIRST_USER_OID or max(
                    classes, default=0) >= FIRST_USER_OID
            # Built-in oids are the same in every database; a user's are named instead.
            if raw is None and am < FIRST_USER_OID and not users:
                parts[relid].append(_serial(("index", row[2:])))
                continue
            if raw is not None:  # a predicate fetched as a node tree
                raw_objects[obj] = relid
            if users:
                collations = tuple(self.collations.get(c, c) for c in _oids(collations))
                classes = tuple(self.opclasses.get(c, c) for c in _oids(classes))
            parts[relid].append(_serial(("index", *row[2:8], access_methods.get(am, am),
                                         users, *row[10:12], collations, classes,
                                         *row[14:16], _raw(raw))))

    def _triggers(self, rows: list[Row]) -> None:
        for row in rows:
            self._sub("pg_trigger", row[0], row[1], row[2])
            self._part(row[1], ("trigger", *row[2:]))

    def _policies(self, rows: list[Row]) -> None:
        for row in rows:
            self._sub("pg_policy", row[0], row[1], row[2])
            self._part(row[1], ("policy", row[2], row[3], row[4], tuple(row[5]), row[6],
                               row[7]))

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
        """The graph the walk follows; what raw node trees name, by name; sequences'
        owners. And which rows a lean read keeps (`kept`): those between objects none of
        which is relational (`_relational`, written out: this runs for every row); the
        others are set aside (`take`)."""
        names = self.catalogs
        pg_class = next((oid for oid, n in names.items() if n == "pg_class"), -1)
        users, raw_objects, relkind = self.users, self.raw_objects, self.relkind
        relations, rowtype, owner, others = (self.relations, self.rowtype, self.owner,
                                             self.non_relation)
        kept, aside = self._kept, self.relational_dependencies

        def relational(obj: Obj) -> bool:
            catalog, oid = obj
            return ((catalog == "pg_class" and oid in relations)
                    or (catalog == "pg_type" and oid in rowtype)
                    or obj in owner) and oid not in others

        for row in rows:
            cls, oid, sub, refcls, refoid, refsub, deptype = row
            obj, ref = (names.get(cls, ""), oid), (names.get(refcls, ""), refoid)
            users[ref].append(obj)
            if relational(obj) or relational(ref):
                aside.extend((cls, oid, sub, refcls, refoid, refsub, ord(deptype)))
            else:
                kept.append(row)
            relid = raw_objects.get(obj)
            if relid is not None:  # what a raw node tree names by oid, by its name
                named = self._name_of(ref[0], refoid, refsub)
                if named is None:
                    self.opaque.add(relid)
                else:
                    self._part(relid, ("uses", self.sub_name(obj), named))
            if deptype == "a" and cls == refcls == pg_class and refsub > 0 and \
                    relkind.get(oid) == "S":  # a sequence's owning column
                owning = relations.get(refoid)  # (as a plain tuple: marshal writes it)
                self._part(oid, ("owned", None if owning is None else (*owning,), refsub))
                self.sequence_owner[oid] = refoid

    def _name_of(self, catalog: str, oid: int, sub: int) -> Hashable | None:
        """A user object a node tree refers to, by name (None: one this module cannot name,
        and then the relation counts as changed). Names as plain tuples: marshal writes
        those (`_serial`), where a QName would send it the slow way, through pickle."""
        if (catalog, oid) in self.member_of:
            return ("extension", self.member_of[(catalog, oid)], catalog, oid)
        if catalog == "pg_proc" and oid in self.function_names:
            return ("function", *self.function_names[oid])
        if catalog == "pg_type" and oid in self.type_names:
            return ("type", (*self.type_names[oid],))
        if catalog == "pg_class" and oid in self.relations:
            return ("relation", (*self.relations[oid],), sub)
        if catalog == "pg_collation" and oid in self.collations:
            return ("collation", self.collations[oid])
        return None

    def _comments(self, rows: list[Row]) -> None:
        for catalog, oid, sub, text in rows:
            if catalog == "pg_class" and oid in self.relations:
                self._part(oid, ("comment", sub, text))  # sub: a column's number
            elif (catalog, oid) in self.owner:
                self._part(self.owner[(catalog, oid)],
                           ("comment", catalog, self.sub_name((catalog, oid)), text))

    def _privileges(self, rows: list[Row]) -> None:
        for oid, grantee, privilege in rows:
            self._part(oid, ("grant", grantee, privilege))

    # --- fingerprints -------------------------------------------------------------------

    def fingerprints(self) -> dict[QName, object]:
        return self._fingerprints

    def _fingerprint(self) -> dict[QName, object]:
        """Per relation, its rows with user oids replaced by names, as one digest: equal
        fingerprints give equal records (they are made of what `build` reads). Columns are
        in attnum order (their order is part of a table); the rest is a set."""
        columns, parts, opaque = self.columns, self.parts, self.opaque
        out: dict[QName, object] = {}
        for oid, name in self.relations.items():
            if oid in opaque:
                out[name] = object()  # (never equal)
                continue
            own = columns.get(oid)
            out[name] = _digest(b"".join((b"c" + own if own is not None else b"-",
                                          *sorted(set(parts.get(oid, ()))))))
        return out

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
        # Each relation's row types, found once: a scan of every row type per changed
        # relation grew with the square of the schema (changes grow with it too).
        rowtypes: dict[int, list[int]] = defaultdict(list)
        for type_oid, relation in self.rowtype.items():
            rowtypes[relation].append(type_oid)
        for name in changed:
            oid = self.by_name.get(name)
            if oid is not None:
                out += [("pg_class", oid), *self.subobjects.get(oid, ())]
                out += [("pg_type", t) for t in rowtypes.get(oid, ())]
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


def _serial(value: Any) -> bytes:
    """A row's bytes for its digest: equal rows give equal bytes, and a row's bytes end
    where they end (marshal's, and pickle's for what marshal cannot write, such as a QName).
    Version 0 of marshal writes every value in full, whatever objects it shares with
    others; pickle may tell apart two equal rows (its memo follows object identity): that
    only keeps a relation for nothing, which narrowing allows."""
    try:
        return marshal.dumps(value, 0)
    except ValueError:
        return pickle.dumps(value, 5)


def _oids(vector: str | list[int]) -> list[int]:
    """An oidvector's text, read (or its array, as it is)."""
    return [int(oid) for oid in vector.split()] if isinstance(vector, str) else vector


def _digest(data: bytes) -> bytes:
    """16 bytes of BLAKE2b: rows that differ give the same only by a collision."""
    return hashlib.blake2b(data, digest_size=16).digest()


def _raw(tree: str | None) -> bytes | None:
    """A node tree without its source positions (they depend on how the SQL was typed), as
    a digest: trees are long, and only whether two are the same counts."""
    return _digest(_LOCATION.sub("", tree).encode()) if tree is not None else None
