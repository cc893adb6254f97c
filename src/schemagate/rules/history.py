"""history: the migration sequence itself (default: error).

Three rules judge a history as a whole, once, before it is folded (`scope="history"`): the
Alembic revision graph must have one head per branch, no cycle, and no `down_revision`
naming a revision that does not exist (for versioned SQL layouts, a version used twice is
the same mistake as two heads). Two look at single operations against the schema the
history builds: dropping an object that others still use, and using one that does not exist.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from schemagate.fold import apply
from schemagate.model import ops as o
from schemagate.model.catalog import (
    Catalog,
    Constraint,
    Index,
    IndexKey,
    Table,
    TableIndexKey,
    View,
    index_key,
)
from schemagate.model.migration import (
    ParsedMigration,
    ParsedScript,
    ParsedStatement,
    rollback_units,
)
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.span import Span, char_offset, find_identifier, span_within
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule

# -- the revision graph ----------------------------------------------------------------------


def _script_path(mig: ParsedMigration) -> str:
    script = mig.source.up or mig.source.down
    return script.path if script is not None else mig.name


def _rev_span(mig: ParsedMigration, down: bool = False) -> Span:
    rev = mig.revision
    if rev is not None:
        span = (rev.down_span or rev.span) if down else rev.span
        if span is not None:
            return span
    return Span.point(_script_path(mig))


@rule("multiple-heads", family="history", severity="error", scope="history",
      fix="merge the heads (`alembic merge heads`), or renumber the duplicate version")
def multiple_heads(migrations: Sequence[ParsedMigration], settings: Settings
                   ) -> Iterator[Hit]:
    """The history forks and never joins again: two heads, or one version used twice.

    ## What it does
    Flags an Alembic revision graph with more than one head on the same branch: two
    revisions that both name the same `down_revision` (or two bases), with no merge revision
    after them. Heads on different named branches (`branch_labels`), as projects with
    expand/contract branches have, are intended and not flagged. For Flyway and
    golang-migrate, flags two migrations that use the same version. Gaps between versions
    are normal and never flagged.

    ## Why it matters
    It happens when two branches each add a migration and both are merged: `alembic upgrade
    head` stops with "Multiple head revisions are present", Flyway refuses to migrate ("Found
    more than one migration with version 2"), golang-migrate fails on the duplicate file.
    The deployment stops, or, with `upgrade heads`, the two branches run in an order nobody
    reviewed.

    ## When it does not fire
    On heads of different named branches; on a history seen only in part (a folder below
    the versions root). On Prisma folders that share a timestamp: Prisma applies its
    folders in string order of the whole name and records each by that name, so they are
    two migrations in a known order, not a fork. On popx versions used twice: popx runs
    both. On golang-migrate-named files that the project's own Go code names (its own
    migrator runs them, one by one, as Shiori's does).

    ## Safe alternative
    Merge the heads into one, and review that the two branches do not conflict:
    ```sh
    alembic merge -m "merge heads" heads
    ```
    For versioned SQL files, give the newer migration the next free version.

    ## Example
    ```python
    # versions/b1_add_plan.py
    revision = "b1"
    down_revision = "a0"
    # versions/c1_add_locale.py
    revision = "c1"
    down_revision = "a0"   # second child of a0: heads b1 and c1
    ```

    ## References
    - Alembic, Working with Branches: several heads, and merging them with `alembic merge`.
      https://alembic.sqlalchemy.org/en/latest/branches.html

    ## With Django
    Django stops with "Conflicting migrations detected"; merge them with
    `python manage.py makemigrations --merge`.
    """
    from schemagate.graph.revisions import has_revisions, revision_graph

    if has_revisions(migrations):
        graph = revision_graph(migrations)
        branches: dict[frozenset[str], list[int]] = {}
        for head in graph.heads():
            branches.setdefault(graph.labels(head), []).append(head)
        for heads in branches.values():
            if len(heads) < 2:
                continue
            ids = [graph.revision(h).id for h in sorted(heads)]
            for head in sorted(heads):
                rev = graph.revision(head)
                if graph.migrations[head].source.layout == "django":
                    yield Hit(f"migration `{rev.id}` is one of {len(ids)} leaf nodes of app "
                              f"`{rev.branch_labels[0]}` "
                              f"({', '.join(f'`{i}`' for i in ids)}): `manage.py migrate` "
                              "stops with \"Conflicting migrations detected\"",
                              object=rev.id, span=_rev_span(graph.migrations[head]))
                    continue
                yield Hit(f"revision `{rev.id}` is one of {len(ids)} heads "
                          f"({', '.join(f'`{i}`' for i in ids)}): `alembic upgrade head` "
                          "fails until they are merged", object=rev.id,
                          span=_rev_span(graph.migrations[head]))
    yield from _duplicate_versions(migrations)


_DUPLICATE_EFFECT = {
    "flyway": "Flyway refuses to migrate",
    "golang-migrate": "golang-migrate fails on the duplicate version",
}


def _duplicate_versions(migrations: Sequence[ParsedMigration]) -> Iterator[Hit]:
    groups: dict[tuple[str, tuple[int, ...] | str], list[ParsedMigration]] = {}
    for mig in migrations:
        source = mig.source
        if source.layout not in _DUPLICATE_EFFECT or source.version is None or \
                source.repeatable or source.up is None or source.own_runner:
            continue
        groups.setdefault((source.layout, _version_key(source.layout, source.version)),
                          []).append(mig)
    for (layout, _), group in groups.items():
        if len(group) < 2:
            continue
        names = ", ".join(f"`{m.name}`" for m in group)
        for mig in group:
            yield Hit(f"version {mig.source.version} is used by {len(group)} migrations "
                      f"({names}): {_DUPLICATE_EFFECT[layout]}", object=mig.name,
                      span=Span.point(_script_path(mig)))


def _version_key(layout: str, version: str) -> tuple[int, ...] | str:
    """Versions as the tool compares them: Flyway's 1.0 is 1, golang-migrate's 01 is 1."""
    if layout in ("flyway", "golang-migrate") and re.fullmatch(r"[0-9]+([._][0-9]+)*", version):
        parts = [int(p) for p in re.split(r"[._]", version)]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return tuple(parts)
    return version


@rule("revision-cycle", family="history", severity="error", scope="history",
      fix="point the `down_revision` of one revision of the cycle at its real parent")
def revision_cycle(migrations: Sequence[ParsedMigration], settings: Settings
                   ) -> Iterator[Hit]:
    """Revisions whose `down_revision`s form a cycle: there is no order to apply them in.

    ## What it does
    Flags a cycle in the Alembic revision graph (`down_revision` and `depends_on`): a
    revision that, following its parents, reaches itself again.

    ## Why it matters
    Alembic cannot build its revision map: every command fails with "Cycle is detected in
    revisions". It usually comes from a hand-edited `down_revision` after a rebase.

    ## When it does not fire
    On merge revisions (several parents are not a cycle) and on histories without cycles.

    ## Safe alternative
    Set each `down_revision` to the revision the migration was really written after, so
    that the graph leads back to the base; `alembic history` shows the result.

    ## Example
    ```python
    # versions/a1.py
    revision = "a1"
    down_revision = "b2"
    # versions/b2.py
    revision = "b2"
    down_revision = "a1"
    ```

    ## References
    - Alembic tutorial: each revision names its parent in `down_revision`; the chain leads back to a
      revision whose `down_revision` is None.
      https://alembic.sqlalchemy.org/en/latest/tutorial.html
    """
    from schemagate.graph.revisions import has_revisions, revision_graph

    if not has_revisions(migrations):
        return
    graph = revision_graph(migrations)
    for members in graph.cycles():
        ids = [graph.revision(n).id for n in members]
        path = " → ".join(f"`{i}`" for i in [*ids, ids[0]])
        first = graph.migrations[members[0]]
        tool = "Django" if first.source.layout == "django" else "Alembic"
        yield Hit(f"revisions {path} form a cycle: {tool} cannot order them",
                  object=ids[0], span=_rev_span(first, down=True))


@rule("missing-revision", family="history", severity="error", scope="history",
      fix="restore the missing revision file, or point `down_revision` at an existing one")
def missing_revision(migrations: Sequence[ParsedMigration], settings: Settings
                     ) -> Iterator[Hit]:
    """A `down_revision` (or `depends_on`) names a revision that does not exist.

    ## What it does
    Flags an Alembic revision whose `down_revision` or `depends_on` names a revision id
    that no file of the history declares (neither whole, nor as a unique prefix, nor as a
    branch label).

    ## Why it matters
    Alembic cannot place the revision: `alembic upgrade` fails with "Revision x referenced
    from x -> y is not present". It comes from a deleted or renamed revision file, or from
    a branch rebased onto a revision that was squashed away.

    ## When it does not fire
    When the history is seen only in part: none of its revisions is a base (a folder below
    the versions root was linted alone) and no cycle explains why none is — a cycle that
    swallowed the base does not hide a missing revision. A named revision brings its whole
    versions folder along, so a pre-commit hook on one file sees the whole graph.

    ## Safe alternative
    Restore the missing file, or set `down_revision` to the revision this one really
    follows (`alembic heads` lists candidates).

    ## Example
    ```python
    revision = "c3"
    down_revision = "b2"   # no revision "b2" in versions/
    ```

    ## References
    - Alembic tutorial: `down_revision` names the revision a migration follows.
      https://alembic.sqlalchemy.org/en/latest/tutorial.html
    - Alembic, Working with Branches: `depends_on`.
      https://alembic.sqlalchemy.org/en/latest/branches.html
    """
    from schemagate.graph.revisions import has_revisions, revision_graph

    if not has_revisions(migrations):
        return
    graph = revision_graph(migrations)
    if not graph.bases() and not graph.cycles():
        return  # a part of a history: its bases are in a folder not linted
    for node, name, kind in graph.missing:
        mig = graph.migrations[node]
        folder = posixpath.dirname(_script_path(mig)) or "."
        if mig.source.layout == "django":
            yield Hit(f"`dependencies` of `{graph.revision(node).id}` names `{name}`, which "
                      f"no migration in {folder} declares: `manage.py migrate` stops with "
                      "NodeNotFoundError", object=name, span=_rev_span(mig, down=True))
            continue
        yield Hit(f"`{kind}` of `{graph.revision(node).id}` names `{name}`, which no revision "
                  f"in {folder} declares", object=name,
                  span=_rev_span(mig, down=kind == "down_revision"))


# -- dropping what others use ----------------------------------------------------------------


def _referenced(op: o.Operation, cat: Catalog) -> bool:
    """Cheap check, without networkx: could anything stand in the way of this drop?"""
    match op:
        case o.DropTable(tables=tables):
            return bool(getattr(cat, "dependencies", None)) or any(
                cat.views_reading(t) or _foreign_keys_to(cat, t) for t in tables)
        case o.DropColumn(table=table, column=column):
            return bool(cat.views_reading(table, column)) or any(
                column in c.ref_columns for _, c in _foreign_keys_to(cat, table)) or any(
                p.table == table for p in getattr(cat, "policies", {}).values()) or bool(
                getattr(cat, "dependencies", None))
        case o.DropView(names=names):
            return any(cat.views_reading(n) for n in names)
        case o.DropFunction(names=names):
            wanted = {n.name.lower() for n, _ in names}
            return any(t.function.name.lower() in wanted for t in cat.triggers.values()) or any(
                wanted & e.functions for t in cat.tables.values() for c in t.columns
                for e in (c.default, c.generated) if e is not None)
    return False


def _foreign_keys_to(cat: Catalog, table: QName) -> list[tuple[Table, Constraint]]:
    """FKs referencing the table, including a table's own (a self-reference)."""
    own = cat.tables.get(table)
    pairs = [(own, c) for c in own.constraints
             if c.kind == "foreign" and c.ref_table == table] if own is not None else []
    return pairs + cat.foreign_keys_to(table)


def _drop_targets(op: o.Operation, cat: Catalog) -> list[tuple[str, str]]:
    """(graph node, how to name it) of each object the operation drops."""
    from schemagate.graph.schema import column_id, function_id, table_id, view_id

    match op:
        case o.DropTable(tables=tables):
            return [(table_id(t), f"table `{t}`") for t in tables]
        case o.DropColumn(table=table, column=column):
            return [(column_id(table, column), f"column `{table}.{column}`")]
        case o.DropView(names=names):
            return [(view_id(n), f"view `{n}`") for n in names]
        case o.DropFunction(names=names):
            out = []
            for name, args in names:
                for qname, fargs in cat.functions:
                    if qname == name and (args is None or fargs == args):
                        out.append((function_id(qname, fargs),
                                    f"function `{qname}({', '.join(fargs)})`"))
            return out
    return []


def _unmatched_constraint_drops(ctx: RuleContext) -> set[str]:
    """Tables on which this script already dropped a constraint the fold did not know by
    that name: a name a SQLAlchemy naming convention gave at run time. Their constraints
    as the fold has them are not to be trusted."""
    out: set[str] = set()
    for st in ctx.script.statements:
        if st.index >= ctx.statement.index:
            break
        for op in st.ops:
            if isinstance(op, o.DropConstraint):
                table = ctx.catalog.tables.get(op.table)
                if table is not None and table.constraint(op.name) is None:
                    out.add(str(op.table))
    return out


def _cascades(op: o.Operation) -> bool:
    return bool(getattr(op, "cascade", False))


def _describe(dependent: object) -> str:
    from schemagate.graph.schema import Dependent

    assert isinstance(dependent, Dependent)
    how = {"reads": "reads it", "references": "references it", "calls": "calls it",
           "default calls": "its default calls it", "default uses": "its default uses it",
           "of type": "has its type"}.get(dependent.how, dependent.how)
    kind = "foreign key" if dependent.how == "references" else dependent.kind
    return f"{kind} {dependent.label} ({how})" if dependent.direct else \
        f"{kind} {dependent.label}"


@rule("drop-referenced-object", family="history", severity="error",
      ops=(o.DropTable, o.DropColumn, o.DropView, o.DropFunction, o.DropIndex),
      fix="drop or change the objects that use it first, in the same migration")
def drop_referenced_object(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """Dropping a table, column, view or function that other objects still use.

    ## What it does
    Flags `DROP TABLE`, `DROP COLUMN`, `DROP VIEW` and `DROP FUNCTION` (and `op.drop_table`,
    `op.drop_column`) without `CASCADE` when, in the schema the history has built, a view
    reads the object, a foreign key of another table references it, a trigger calls the
    function, a column default calls it, a row-level security policy reads the column, or
    (with `--db`) the live database's own dependency records name it. It names them, with
    the objects that depend on them in turn (a view built on that view). On PostgreSQL,
    also a `DROP INDEX` of the index a primary key, unique or exclusion constraint owns:
    it goes only with its constraint, `CASCADE` or not.

    ## Why it matters
    PostgreSQL refuses the statement ("cannot drop column email of table users because
    other objects depend on it"): the migration fails half-way in production. With
    `CASCADE` the dependents silently go too. MySQL and SQLite drop the object and leave the
    views that read it broken until they are next queried.

    ## When it does not fire
    With `CASCADE` (`drop-cascade` reports that); when the only things that go with the
    object are its own indexes, constraints, triggers and owned sequences, which the
    database drops along with it; when the dependents were dropped earlier in the history,
    or go in the same statement (`DROP TABLE a, b` where `b` references `a`).

    ## Safe alternative
    Drop or redefine the dependents first, in the same migration:
    ```sql
    DROP VIEW active_users;
    ALTER TABLE users DROP COLUMN last_login;
    CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;
    ```

    ## Example
    ```sql
    CREATE VIEW active_users AS SELECT id, email, last_login FROM users WHERE active;
    ALTER TABLE users DROP COLUMN last_login;
    ```

    ## References
    - Dependency Tracking: PostgreSQL refuses to drop an object that others depend on, unless
      `CASCADE` drops those too.
      https://www.postgresql.org/docs/current/ddl-depend.html
    """
    if isinstance(op, o.DropIndex):
        yield from _constraint_indexes(op, ctx)
        return
    if _cascades(op) or not _referenced(op, ctx.catalog):
        return
    from schemagate.graph.schema import blocking_dependents, dependency_index

    dialect = ctx.migration.source.dialect
    # SQLite lets a table be dropped under the foreign keys that reference it.
    graph = dependency_index(ctx.catalog, foreign_keys=dialect != "sqlite")
    unsure = _unmatched_constraint_drops(ctx)
    targets = list(_drop_targets(op, ctx.catalog))
    together = [node for node, _ in targets]
    for node, what in targets:
        dependents = [d for d in blocking_dependents(graph, node, together)
                      if not (d.kind == "constraint" and d.table in unsure)]
        if not dependents:
            continue
        names = ", ".join(_describe(d) for d in dependents if d.direct)
        indirect = [d for d in dependents if not d.direct]
        if indirect:
            names += "; and through them " + ", ".join(_describe(d) for d in indirect)
        effect = ("PostgreSQL refuses the drop without CASCADE" if dialect == "postgres"
                  else "they break once it is gone")
        yield Hit(f"{what} is still used by {names}: {effect}", object=node.split(":", 1)[1])


def _constraint_indexes(op: o.DropIndex, ctx: RuleContext) -> Iterator[Hit]:
    """The indexes a `DROP INDEX` names that a constraint owns (Ente's 7 down: "cannot drop
    index … because constraint … requires it"). PostgreSQL only: MySQL's unique constraints
    are their indexes, and SQLite's cannot be dropped by name at all."""
    if ctx.migration.source.dialect != "postgres":
        return
    for name in op.names:
        index = ctx.catalog.indexes.get(name)
        table = ctx.catalog.tables.get(index.table) if index is not None else None
        # A key's index has the key's name (as the fold makes it, and as live databases
        # record it in `Index.constraint`).
        owner = index.constraint if index is not None and index.constraint else name.name
        key = table.constraint(owner) if table is not None else None
        if table is not None and key is not None and key.kind in (
                "primary", "unique", "exclusion"):
            yield Hit(f"index `{name}` belongs to constraint `{owner}` of `{table.name}`: "
                      "PostgreSQL refuses to drop it, with CASCADE too; drop the "
                      "constraint instead", object=str(name))


# -- using what does not exist ---------------------------------------------------------------

# Unmodelled statements that cannot create, rename or drop a table or a column: the schema
# the history builds stays known across them. Any other unmodelled statement (a DO block,
# SQL built at run time, a helper defined elsewhere) ends what can be known.
_TRANSPARENT = frozenset({
    "CommentStmt", "GrantStmt", "GrantRoleStmt", "VariableShowStmt", "VariableSetStmt",
    "NotifyStmt", "ListenStmt", "UnlistenStmt", "CheckPointStmt", "VacuumStmt",
    "ExplainStmt", "LockStmt", "AlterDefaultPrivilegesStmt", "CreateRoleStmt",
    "AlterRoleStmt", "DropRoleStmt", "AlterOwnerStmt", "SecLabelStmt", "DiscardStmt",
    "ConstraintsSetStmt", "CreatePolicyStmt", "AlterPolicyStmt", "CreateStatsStmt",
    "AlterSeqStmt", "AlterFunctionStmt", "AlterExtensionStmt", "CreateCastStmt",
    "CreateOpClassStmt", "AlterEventTrigStmt", "CreateEventTrigStmt", "DefineStmt",
    "AlterTSConfigurationStmt", "AlterTSDictionaryStmt", "CreateConversionStmt",
    "CreatePLangStmt", "ReassignOwnedStmt", "CreateTableSpaceStmt", "AlterDatabaseStmt",
    "AlterDatabaseSetStmt", "AlterRoleSetStmt", "AlterCollationStmt", "AlterOperatorStmt",
    "AlterTypeStmt", "AlterStatsStmt", "PrepareStmt", "DeallocateStmt", "CallStmt",
    "CreatePublicationStmt", "AlterPublicationStmt", "CreateSubscriptionStmt",
    "AlterSubscriptionStmt", "DropSubscriptionStmt", "DropStmt", "AlterEnumStmt",
    "CreateDomainStmt", "CompositeTypeStmt", "CreateEnumStmt", "CreateRangeStmt",
    "op.sync_enum_values",
})
_SCHEMA_CHANGE = re.compile(r"\b(CREATE|ALTER|DROP|RENAME|EXECUTE|TRUNCATE)\b", re.IGNORECASE)
_INHERITING = re.compile(r"\(\s*LIKE\b|\bINHERITS\s*\(", re.IGNORECASE)
# What a first migration may do before it creates its first table.
_PREAMBLE = (o.CreateSchema, o.CreateExtension, o.CreateType, o.CreateSequence,
             o.CreateFunction, o.SetSetting, o.TransactionControl)


def _opaque(op: o.Operation, sql: str) -> bool:
    """Whether an operation may change tables or columns in a way the fold does not see."""
    if isinstance(op, o.RawSQL):
        kind = op.statement_kind
        if kind.startswith("AlterTableStmt/"):  # an unmodelled sub-command of ALTER TABLE
            return kind.endswith(("AT_AddInherit", "AT_AddOf"))
        if kind == "SelectStmt":
            return bool(re.search(r"\binto\b", op.sql or sql, re.IGNORECASE))
        if kind == "DoStmt":  # a block that changes no schema object leaves the schema known
            return bool(_SCHEMA_CHANGE.search(op.sql or sql))
        return kind not in _TRANSPARENT
    return isinstance(op, o.CreateTable) and bool(_INHERITING.search(sql))


# The layouts whose migrations carry a number that orders them (a version, a sequence
# number, a timestamp), where a history's first says whether migrations came before it.
_NUMBERED = frozenset({"sql", "flyway", "golang-migrate", "goose", "sql-migrate", "dbmate",
                       "popx", "drizzle", "sqlx"})
_DIGITS = re.compile(r"[0-9]+")


def _numbered_first(first: ParsedMigration) -> bool:
    """Whether the first migration's number allows that no migration came before it: 1 (or
    0, 0.1, 001, 1.0), a timestamp (any moment may be a first), or no number at all.

    A history whose first migration is numbered 17 or 0.17 has lost the ones before it
    (squashed into a schema file, or deleted once every database had run them): its first
    migration may create a table and still not be where its schema began.
    """
    source = first.source
    if source.layout not in _NUMBERED:
        return True
    if source.version is not None:
        number = source.version
    elif source.project is not None and source.layout == "sql":
        number = posixpath.basename(source.folder)  # a version-named folder's
    else:
        leading = _DIGITS.match(source.name)
        number = leading.group() if leading else ""
    parts = _DIGITS.findall(number)
    if any(len(part) >= 8 for part in parts):
        return True  # a date or a timestamp
    values = [int(part) for part in parts]
    while values and values[-1] == 0:
        values.pop()
    while values and values[0] == 0:
        values.pop(0)
    return values in ([], [1])


def _starts_from_empty(first: ParsedMigration) -> bool:
    """The history's first migration is numbered as a first (`_numbered_first`) and creates
    its tables before it uses any."""
    if not _numbered_first(first):
        return False
    for st in first.up.statements if first.up is not None else ():
        for op in st.ops:
            if isinstance(op, _PREAMBLE) or (isinstance(op, o.RawSQL)
                                             and not _opaque(op, st.sql)):
                continue
            return isinstance(op, o.CreateTable)
    return False


def find_unknown_objects(migrations: Sequence[ParsedMigration],
                         start: Catalog | None = None) -> None:
    """Record, on each migration, the objects its operations use that do not exist yet.

    Only for a complete history: it starts from an empty schema (no live database with
    tables, a first migration that creates its tables) and stops at the first statement
    whose effect on tables and columns the tool cannot know. The fold here is its own, so
    that `unknown-object` does not depend on what the engine's fold assumed for others.
    """
    tracker = UnknownObjects.starting(start)
    for unit in rollback_units(migrations):
        tracker.check(unit)


@dataclass
class Gone:
    """Tables, indexes and columns the history made and has dropped (or, for a table,
    renamed away) since, and indexes an `IF EXISTS` drop made sure of (`UnknownObjects`):
    the names only, by lower case."""

    relations: set[tuple[str, str]] = field(default_factory=set)
    columns: set[tuple[str, str, str]] = field(default_factory=set)
    # Indexes whose names are their table's own (MySQL: `TableIndexKey`), with the table.
    table_indexes: set[tuple[str, str, str]] = field(default_factory=set)

    def copy(self) -> Gone:
        return Gone(set(self.relations), set(self.columns), set(self.table_indexes))

    def record(self, op: o.Operation, cat: Catalog) -> None:
        """What ``op`` is about to drop of ``cat`` (the schema just before it)."""
        match op:
            case o.DropTable(tables=tables):
                for t in tables:
                    if t in cat.tables:
                        self.relations.add(_key(t))
                        for k in cat.indexes.keys_on(t):
                            self.record_index(k, cat.indexes[k])
            case o.RenameTable(table=t) if t in cat.tables:
                self.relations.add(_key(t))  # its indexes go with it, under their names
            case o.DropColumn(table=t, column=c):
                self.columns.add((*_key(t), c.lower()))
                for k in cat.indexes.keys_on(t):
                    ix = cat.indexes[k]
                    if c.lower() in (x.lower() for x in ix.columns):
                        self.record_index(k, ix)
            case o.DropIndex(names=names, table=table, if_exists=if_exists):
                for n in names:
                    k = index_key(n, table)
                    if k in cat.indexes:
                        self.record_index(k, cat.indexes[k])
                    elif if_exists:
                        # Made outside the history or not at all: gone now, whichever.
                        self.record_name(n, table)

    def record_index(self, key: IndexKey, ix: Index) -> None:
        """An index about to go, by its table where its name is the table's own."""
        if isinstance(key, TableIndexKey):
            self.table_indexes.add((*_key(key.table), key.name.lower()))
        else:
            self.relations.add(_key(ix.name))

    def record_name(self, name: QName, table: QName | None) -> None:
        """An index known only by the name a drop gives it."""
        if table is None:
            self.relations.add(_key(name))
        else:
            self.table_indexes.add((*_key(table), name.name.lower()))

    def has_index(self, name: QName, table: QName | None) -> bool:
        """Whether the index went: ``table`` is the one whose own index it is, where index
        names are per table (`o.DropIndex.table`)."""
        if table is None:
            return _key(name) in self.relations
        return (*_key(table), name.name.lower()) in self.table_indexes


def _key(name: QName) -> tuple[str, str]:
    return name.schema.lower(), name.name.lower()


@dataclass
class UnknownObjects:
    """`find_unknown_objects` one unit of rollback at a time, in history order: what it
    records on a migration depends only on the migrations before it, so the engine can drop
    each migration once it is linted. Plain data (a catalog and flags), so it can be cached."""

    catalog: Catalog = field(default_factory=Catalog)
    active: bool = True
    position: int = 0  # how many units were checked
    # The schema checked on is the engine's, as it folds each operation (`step`): while
    # the two folds agree (no placeholder was made), folding every migration a second time
    # here would give the very same schema. `catalog` is then left empty.
    shared: bool = False
    # What the history made and has since dropped (with its table or column, for an index):
    # an `IF EXISTS` drop of one of them does nothing. A table never made, or a column never
    # made on a table the history did not make, may still exist in a database that grew
    # outside the history, and its drop is judged as any other; an index never made does
    # not, nor a column never made on a table the history made (`_drops_nothing`), as
    # `unknown-object` holds for a plain `DROP INDEX` or `DROP COLUMN`.
    gone: Gone = field(default_factory=Gone)

    @classmethod
    def starting(cls, start: Catalog | None) -> UnknownObjects:
        return cls(active=start is None or not (start.tables or start.views))

    def share(self) -> None:
        """From the next unit on, check on the engine's schema, which is now this one."""
        self.shared, self.catalog = True, Catalog()

    def unshare(self, catalog: Catalog) -> None:
        """Fold on our own again, from the engine's schema as it is now (the same as ours)."""
        self.shared, self.catalog = False, catalog.copy()

    def begin(self, unit: Sequence[ParsedMigration]) -> None:
        """`check` of a unit whose operations are then checked one by one by `step`."""
        _clear(unit)
        self.position += 1

    def checks(self, script: ParsedScript, direction: str) -> bool:
        """Whether `step` is to check the operations of a script of the unit begun."""
        if not self.active:
            return False
        if script.errors:  # as `check`: an unreadable up ends the checks, a down only itself
            if direction == "up":
                self.stop()
            return False
        return True

    def step(self, mig: ParsedMigration, direction: str, st: ParsedStatement, i: int,
             op: o.Operation, catalog: Catalog) -> bool:
        """Check one operation on ``catalog``, the schema just before it; False when it ends
        the checks of its script (and, in an up script, of the history), as in `check`."""
        if _check_op(mig, direction, st, i, op, catalog, mig.source.layout != "alembic",
                     self.gone):
            return True
        if direction == "up":
            self.stop()
        return False

    def stop(self) -> None:
        """Check no further unit: the schema it folded is never read again, and a schema is
        as large as the history that built it."""
        self.active = False
        self.release()

    def release(self) -> None:
        """Let go of the schema folded so far, when no unit will be checked after the last:
        kept, it would double what the lint of a long history holds at its end."""
        self.catalog = Catalog()

    def check(self, unit: Sequence[ParsedMigration]) -> None:
        """One unit of rollback (most often one migration): its ups in order, then its
        downs, newest first, over what all of its ups made."""
        _clear(unit)
        first, self.position = self.position == 0, self.position + 1
        if not self.active:
            return
        if first and not _starts_from_empty(unit[0]):
            self.stop()
            return
        for mig in unit:
            if not _check_script(mig, mig.up, "up", self.catalog, self.gone):
                self.stop()
                return
            if first and mig is unit[0] and mig.unknown_refs:
                # The first migration uses what it does not create: the history starts from
                # a schema built elsewhere (a baseline, `create_all()`), not from an empty one.
                mig.unknown_refs.clear()
                mig.unknown_subjects.clear()
                self.stop()
                return
        if all(mig.down is None for mig in unit):
            return  # no down path to check: the copy of the schema would go unread
        after_up = self.catalog.copy()
        for mig in reversed(unit):
            if mig.down is not None and not _check_script(mig, mig.down, "down", after_up,
                                                          self.gone.copy()):
                break


def _check_script(mig: ParsedMigration, script: ParsedScript | None, direction: str,
                  catalog: Catalog, gone: Gone) -> bool:
    if script is None:
        return True
    if script.errors:
        return False
    indexes = mig.source.layout != "alembic"  # SQLAlchemy naming conventions hide index names
    for st in script.statements:
        for i, op in enumerate(st.ops):
            if not _check_op(mig, direction, st, i, op, catalog, indexes, gone):
                return False
            apply(catalog, op, mig.name)
    return True


def _check_op(mig: ParsedMigration, direction: str, st: ParsedStatement, i: int,
              op: o.Operation, catalog: Catalog, indexes: bool, gone: Gone) -> bool:
    """Record what the operation uses that ``catalog`` lacks; False when it is opaque."""
    if _opaque(op, st.sql):
        return False
    missing, subject, name = _missing(op, catalog, indexes)
    if missing:
        mig.unknown_refs[(direction, st.index, i)] = missing
        mig.unknown_names[(direction, st.index, i)] = name
        if subject:
            mig.unknown_subjects.add((direction, st.index, i))
    elif _drops_nothing(op, catalog, indexes, gone) or _rerun_guard(
            op, catalog, mig.up if direction == "up" else mig.down, st.index):
        # The object went earlier (an index with its table, as Atlas's downs drop the table
        # first and then its indexes, IF EXISTS): the drop does nothing, and no rule has
        # anything to say of it.
        mig.unknown_subjects.add((direction, st.index, i))
    gone.record(op, catalog)
    return True


def _drops_nothing(op: o.Operation, cat: Catalog, indexes: bool, gone: Gone) -> bool:
    """An `IF EXISTS` drop of objects that the history made, dropped since, and did not make
    again (in any schema or case); for indexes, also of one it never made at all; for
    columns, also of one never made on a table whose columns the history knows all of. And
    an `ALTER TABLE IF EXISTS … RENAME` of a relation the history does not hold: PostgreSQL
    renames nothing, and locks nothing."""
    match op:
        case o.DropTable(tables=tables, if_exists=True):
            return all(_relation(cat, t) is None and _key(t) in gone.relations
                       for t in tables)
        case o.DropIndex(names=names, table=table, if_exists=True) if indexes:
            return all(not _index_exists(cat, n, table) and (
                gone.has_index(n, table) or (table is None and not _index_unseen(cat, n)))
                for n in names)
        case o.RenameTable(table=table, if_exists=True):
            # Netbox's `ALTER TABLE IF EXISTS <a sequence's older name> RENAME TO …`.
            return _relation(cat, table) is None and not any(
                key.name.lower() == table.name.lower() for key in cat.sequences)
        case o.DropColumn(table=table, column=column, if_exists=True):
            found = _relation(cat, table)
            return isinstance(found, Table) and _columns_known(found) \
                and column.lower() not in {c.name.lower() for c in found.columns}
    return False


def _rerun_guard(op: o.Operation, cat: Catalog, script: ParsedScript | None,
                 index: int) -> bool:
    """`DROP TABLE IF EXISTS x` of tables the history never made, each made again later
    in the same script (`DROP TABLE IF EXISTS archives; CREATE TABLE archives (…)`): what
    it can find is a half-run earlier attempt of this very script (MySQL commits each DDL
    statement), not data. Likewise `DROP INDEX IF EXISTS x` of indexes the history never
    made, each made again later in the script (gotrue's `DROP INDEX IF EXISTS
    confirmation_token_idx; … CREATE UNIQUE INDEX IF NOT EXISTS confirmation_token_idx`). A
    never-made table dropped and not made again is still judged (`_drops_nothing`): a
    library may make it at run time (casbin's `casbin_rule`)."""
    if script is None:
        return False
    waiting: set[object]
    match op:
        case o.DropTable(tables=tables, if_exists=True):
            if any(_relation(cat, t) is not None for t in tables):
                return False
            waiting = {_key(t) for t in tables}

            def made(x: o.Operation) -> object:
                return _key(x.table) if isinstance(x, o.CreateTable) else None
        case o.DropIndex(names=names, table=table, if_exists=True):
            if any(_index_exists(cat, n, table) for n in names):
                return False
            # By bare name: an unqualified drop finds the index its script makes in the
            # table's schema through the search_path.
            waiting = {n.name.lower() for n in names}

            def made(x: o.Operation) -> object:
                return x.name.name.lower() if isinstance(x, o.CreateIndex) and x.name \
                    else None
        case _:
            return False
    # Read on only until each is made again (the next statement, in a dump's `DROP TABLE
    # IF EXISTS x; CREATE TABLE x` pairs), not the rest of the script at every drop.
    for later in range(index + 1, len(script.statements)):
        waiting.difference_update(made(x) for x in script.statements[later].ops)
        if not waiting:
            return True
    return False


def _columns_known(table: Table) -> bool:
    """Whether the history knows every column of the table: it made the table with its
    columns, and (this tracker being active) every later statement's effect on them. A
    partition's columns are its parent's, which the fold does not copy."""
    return not table.assumed and bool(table.columns) and table.partition_of is None


def _clear(unit: Sequence[ParsedMigration]) -> None:
    for mig in unit:  # a second lint of the same migrations starts afresh
        mig.unknown_refs.clear()
        mig.unknown_names.clear()
        mig.unknown_subjects.clear()


def _relation(cat: Catalog, name: QName) -> Table | View | None:
    """A table or view by name; another schema or case holding it counts (search_path,
    quoting): precision over recall."""
    found = cat.tables.get(name) or cat.views.get(name)
    if found is not None:
        return found
    lowered = name.name.lower()
    for store in (cat.tables, cat.views):
        for key, value in store.items():
            if key.name.lower() == lowered:
                return value
    return None


def _missing(op: o.Operation, cat: Catalog, indexes: bool) -> tuple[str, bool, str]:
    """What the operation uses that does not exist, as words ("" when all exists), whether
    that includes the object the operation acts on (not only a key's target), and the bare
    name of the first missing object."""
    refs: list[tuple[QName, tuple[str, ...]]] = []  # (relation, columns it must have)
    targets: list[tuple[QName, tuple[str, ...]]] = []  # foreign keys' and parents' targets
    match op:
        case o.CreateTable(table=table, constraints=constraints, partition_of=parent):
            targets += [r for r in _fk_refs(constraints) if r[0] != table]
            if parent is not None:
                targets.append((parent, ()))
        case o.AddColumn(table=table, constraints=constraints):
            refs.append((table, ()))
            targets += [r for r in _fk_refs(constraints) if r[0] != table]
        case o.DropColumn(table=table, column=column, if_exists=False):
            refs.append((table, (column,)))
        case o.RenameColumn(table=table, column=column) | o.AlterColumnType(
                table=table, column=column) | o.SetNotNull(table=table, column=column) | \
                o.DropNotNull(table=table, column=column) | o.SetDefault(
                table=table, column=column):
            refs.append((table, (column,)))
        case o.AddConstraint(table=table, constraint=con):
            local = con.columns if con.kind in ("primary", "unique", "foreign") else ()
            refs.append((table, local))
            targets += _fk_refs((con,))
        case o.RenameTable(table=table) if table in cat.sequences:
            pass  # ALTER TABLE renames a sequence too
        case o.ValidateConstraint(table=table) | o.RenameTable(table=table) | o.CreateTrigger(
                table=table) | o.InsertRows(table=table) | o.DeleteRows(table=table):
            refs.append((table, ()))
        case o.DropTable(tables=tables, if_exists=False) | o.Truncate(tables=tables):
            refs += [(t, ()) for t in tables]
        case o.CreateIndex(table=table, columns=columns):
            refs.append((table, columns))
        case o.UpdateRows(table=table, columns=columns):
            refs.append((table, columns))
        case o.DropIndex(names=names, table=table, if_exists=False) if indexes:
            gone = [n for n in names if not _index_exists(cat, n, table)]
            on = f" on `{table}`" if table is not None else ""
            return (", ".join(f"index `{n}`{on}" for n in gone), bool(gone),
                    gone[0].name if gone else "")
    subject = _absent(refs, cat)
    absent = subject + _absent(targets, cat)
    words = ", ".join(dict.fromkeys(words for words, _ in absent))
    return words, bool(subject), absent[0][1] if absent else ""


def _absent(refs: list[tuple[QName, tuple[str, ...]]], cat: Catalog) -> list[tuple[str, str]]:
    """The missing tables and columns: (words, bare name) each."""
    out: list[tuple[str, str]] = []
    for table, columns in refs:
        found = _relation(cat, table)
        if found is None:
            out.append((f"table `{table}`", table.name))
            continue
        if not columns or not isinstance(found, Table) or found.assumed or \
                not found.columns or found.partition_of is not None:
            continue  # (most uses name no column: the table's are not gathered for them)
        have = {c.name.lower() for c in found.columns}
        out += [(f"column `{found.name}.{c}`", c) for c in columns if c.lower() not in have]
    return out


def _index_exists(cat: Catalog, name: QName, table: QName | None) -> bool:
    """Whether the index exists. Where index names are the schema's (``table`` None), an
    index of that name in another schema or case counts, as for `_relation`. Where they are
    the table's own (MySQL: `DROP INDEX x ON t`), only the table's indexes count, in any
    case: another table's index `x` is not the one the statement drops."""
    if table is None:
        return name in cat.indexes or _any_schema(cat, name)
    found = _relation(cat, table)
    if isinstance(found, Table) and found.assumed:
        return True  # a table the history never showed whole may have any index
    lowered = name.name.lower()
    return found is not None and any(ix.name.name.lower() == lowered
                                     for ix in cat.indexes_on(found.name))


def _index_unseen(cat: Catalog, name: QName) -> bool:
    """Whether an index of that name may exist though the schema holds no `Index` of it: the
    index of a key, which bears the key's name; one PostgreSQL numbered because its name
    was taken (`t_a_idx1` beside `t_a_idx`, `ChooseRelationName`); or a partition's, which
    PostgreSQL names itself when an index is made on the partitioned table."""
    lowered = name.name.lower()
    unnumbered = lowered.rstrip("0123456789")
    if unnumbered != lowered and (_any_schema(cat, QName(name.schema, unnumbered)) or any(
            con.name.lower() == unnumbered for t in cat.tables.values()
            for con in t.constraints)):
        return True
    return any(t.partitioned or t.partition_of is not None or t.assumed
               or any(con.name.lower() == lowered and con.kind in _INDEXED_KEYS
                      for con in t.constraints)
               for t in cat.tables.values())


_INDEXED_KEYS = ("primary", "unique", "exclusion")


def _any_schema(cat: Catalog, name: QName) -> bool:
    return any(k.name.lower() == name.name.lower() for k in cat.indexes)


def _fk_refs(constraints: Sequence[o.ConstraintDef]) -> list[tuple[QName, tuple[str, ...]]]:
    """The foreign keys' targets, but those that migrations outside the history make (a
    Django contrib app's tables): they exist though the history never made them."""
    return [(c.ref_table, c.ref_columns) for c in constraints
            if c.kind == "foreign" and c.ref_table is not None and c.ref_outside is None]


@rule("unknown-object", family="history", severity="error",
      ops=(o.CreateTable, o.AddColumn, o.DropColumn, o.RenameColumn, o.AlterColumnType,
           o.SetNotNull, o.DropNotNull, o.SetDefault, o.AddConstraint, o.ValidateConstraint,
           o.RenameTable, o.CreateTrigger, o.InsertRows, o.DeleteRows, o.UpdateRows,
           o.DropTable, o.Truncate, o.CreateIndex, o.DropIndex), sees_unknown=True,
      fix="fix the name, or add the migration that creates the object before this one")
def unknown_object(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """A statement uses a table, column or index that does not exist at that point.

    ## What it does
    Folds the history from an empty schema and flags an operation that uses a table, a
    column or (in SQL histories) an index that no earlier migration created, or that an
    earlier migration dropped or renamed: `ALTER TABLE`, `DROP COLUMN`, `CREATE INDEX`, a
    foreign key's target, `UPDATE`/`DELETE`/`INSERT`, … Each missing object is reported
    where it is first used, and when it is the table or column the operation acts on, this
    is the only finding on that operation: what other rules would say about an object that
    does not exist rests on a guess. MySQL and MariaDB name an index within its table, so
    `DROP INDEX x ON t` needs an index `x` on `t`: another table's `x` is not it.

    ## Why it matters
    The migration fails when it runs on a database built by this history (a fresh
    environment, CI, a new developer's machine), usually because of a typo, migrations in
    the wrong order, or an object created by hand in production and never in a migration.

    ## When it does not fire
    Unless the history is complete: its first migration creates its tables and is numbered
    as a first (1, 0.1, 001, or a timestamp; a history whose first is numbered 17 lost the
    ones before it, squashed or deleted), no live database (`--db`) holds tables the
    history did not create, and nothing before the statement changed the schema in a way
    the tool cannot follow (a DO block, SQL built at run time, a helper imported from
    elsewhere). Never for objects in another schema or
    spelled in another case, for `IF EXISTS` drops, for columns of tables created as
    partitions or from a query whose columns cannot be told from its text (a star over a
    sub-select, an unnamed expression; a star over known tables, aliases and named columns
    are followed), nor for index and constraint names in Alembic histories (a
    SQLAlchemy naming convention names them at run time), nor for a foreign key's target
    that migrations outside the history make (a Django contrib app's table, such as
    `auth_user` or `django_content_type`).

    ## Safe alternative
    Correct the name, or reorder the migrations so that the object is created first.

    ## Example
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text);
    -- a later migration:
    ALTER TABLE user ADD COLUMN nickname text;   -- no table "user"
    ```

    ## References
    - PostgreSQL Error Codes: the failures this predicts, `undefined_table` (42P01),
      `undefined_column` (42703) and `undefined_object` (42704).
      https://www.postgresql.org/docs/current/errcodes-appendix.html
    """
    index = next((i for i, x in enumerate(ctx.statement.ops) if x is op), -1)
    key = (ctx.direction, ctx.statement.index, index)
    missing = ctx.migration.unknown_refs.get(key)
    if missing:
        # In a SQL file the statement's text is what the file holds where it starts; in a
        # Python migration it is rebuilt from the call, and the operation's span stands.
        name = ctx.migration.unknown_names.get(key)
        sql_file = ctx.script.script.path.endswith(".sql")
        yield Hit(f"{missing} does not exist at this point of the history", object=missing,
                  span=_name_site(op, ctx.statement.sql, name) if sql_file else None)


def _name_site(op: o.Operation, sql: str, name: str | None) -> Span | None:
    """Where the statement writes the missing object's name: in the operation's own clause
    (a column, a key's target), else anywhere in the statement (the table it alters)."""
    if not name:
        return None
    place = None
    if op.clause is not None:
        clause = op.clause.resolved()
        first = char_offset(op.span, sql, clause.line, clause.column)
        last = char_offset(op.span, sql, clause.end_line, clause.end_column)
        place = find_identifier(sql, name, first, last + 1)
    place = place or find_identifier(sql, name)
    return span_within(op.span, sql, *place) if place else None
