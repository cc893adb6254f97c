"""reversibility: the down path cannot undo the up path (default: warning)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import NamedTuple

from schemagate.fold import with_effects
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, Column, Index, Table, changed_keys
from schemagate.model.findings import Severity
from schemagate.model.migration import ParsedScript
from schemagate.model.names import QName
from schemagate.model.span import Span
from schemagate.model.types import boolean_default, classify_change
from schemagate.rules.context import MigrationContext
from schemagate.rules.meta import is_harmless_raw
from schemagate.rules.rebuilds import harmless_drops, kept_columns, left_out, rebuild_columns
from schemagate.rules.registry import Hit, rule
from schemagate.rules.volatility import function_volatility


def _down_is_empty(ctx: MigrationContext) -> bool:
    down = ctx.migration.down
    return down is not None and not down.statements and not down.errors


@rule("missing-down", family="reversibility", severity="warning", scope="migration",
      irreversible=True,
      fix="write the down migration, or mark it deliberately irreversible and suppress")
def missing_down(ctx: MigrationContext) -> Iterator[Hit]:
    """A migration with no way back.

    ## What it does
    Flags a migration without a down path: no `.down.sql` (golang-migrate), no `U` file
    (Flyway), no or an empty `-- migrate:down` section (dbmate), an empty `down.sql`
    (diesel), or a `downgrade()` that is missing, empty, `pass`, or raises (Alembic).

    ## Why it matters
    When a deployment goes wrong, rolling the schema back is the fastest way out; without a
    down path it has to be written under pressure, during the incident.

    ## When it does not fire
    In histories that have no down migration anywhere (Prisma has none by design, and many
    teams roll forward only, leaving every down empty): the rule reports the gaps of a team
    that writes down migrations, not a policy it does not follow. Never for Flyway
    repeatable migrations, nor for migrations whose up path does nothing (Alembic merge
    revisions) or only inserts and updates rows (a backfill, whose down path rightly does
    nothing: the schema it leaves is the one it found) or keeps the tables up (`ANALYZE`,
    `VACUUM`), or only adds enum values besides (`ALTER TYPE … ADD VALUE`: PostgreSQL has
    no statement that removes one), unless that down path stops the
    rollback: Django refuses to migrate back past a `RunSQL` without `reverse_sql`,
    whatever its SQL (`IrreversibleError`; inside `SeparateDatabaseAndState`, it fails when
    it runs that one backwards: `NotImplementedError`). A `SELECT` among them changes
    nothing either (`SELECT id, name FROM dashboards`, read to compute the updates) when
    every function it calls is immutable or stable by PostgreSQL's catalog (or by its
    `CREATE FUNCTION` in the history) and no `WITH` in it writes rows; a `SELECT` that calls
    a volatile or unknown function (`setval`, an extension's `create_hypertable`) may change
    anything, and counts as a change.

    ## Safe alternative
    Write the inverse, e.g. for golang-migrate `000042_add_plan.down.sql`:
    ```sql
    ALTER TABLE users DROP COLUMN plan;
    ```

    ## Example
    A golang-migrate `000042_add_plan.up.sql` with no `000042_add_plan.down.sql`.

    ## References
    - Modifying Tables: each change a migration makes has an inverse statement (add and drop a
      column, a constraint, a default), which is what a down migration is made of.
      https://www.postgresql.org/docs/current/ddl-alter.html

    ## With Alembic
    Write `downgrade()` as the inverse of `upgrade()`, in reverse order:
    ```python
    def downgrade() -> None:
        op.drop_column("users", "plan")
    ```

    ## With Django
    Operations are reversible by themselves, except `RunSQL` and `RunPython` without a
    reverse: give them one (`reverse_sql=`, `reverse_code=`), or `migrations.RunSQL.noop`
    where nothing needs undoing.
    """
    source = ctx.migration.source
    up = ctx.migration.up
    if not ctx.history_uses_down or source.repeatable or up is None:
        return
    if not up.statements and not up.errors:
        return  # nothing to undo: a merge revision, or a migration that does nothing
    down = ctx.migration.down
    # Django checks every operation for a reverse before it undoes any (`Migration.unapply`):
    # one without stops the rollback there, even a backfill's.
    stops = down is not None and down.declared_irreversible and down.derived
    if not up.errors and not stops and all(
            _data_only(op, ctx) for st in up.statements for op in st.ops):
        return  # a backfill changes no schema: a down path that does nothing is its inverse
    if not up.errors and not stops and all(
            isinstance(op, o.AlterEnumAddValue) or _data_only(op, ctx)
            for st in up.statements for op in st.ops):
        return  # PostgreSQL cannot remove an enum value: no down path undoes the up (Ente 46)
    if down is not None and down.declared_irreversible and down.derived:
        how = ("fails there with NotImplementedError (inside SeparateDatabaseAndState)"
               if down.nested_irreversible else "stops with IrreversibleError")
        yield Hit(f"an operation of `{source.name}` has no reverse (RunPython without "
                  f"reverse_code, RunSQL without reverse_sql): migrating back {how}",
                  span=down.span)
    elif down is not None and down.declared_irreversible:
        yield Hit("the down migration declares itself irreversible", span=down.body_span)
    elif down is None:
        yield Hit(f"migration `{source.name}` has no down migration")
    elif _down_is_empty(ctx) and not down.derived:
        yield Hit(f"the down migration of `{source.name}` is empty", span=_down_span(ctx))


# Operations that change rows (without deleting any) or session state, never the schema.
_DATA_ONLY = (o.UpdateRows, o.InsertRows, o.SetSetting, o.TransactionControl, o.LockTable)
# Statements that leave the schema as they found it: statistics and space (ANALYZE,
# VACUUM), a checkpoint, a notification.
_MAINTENANCE = frozenset({"VacuumStmt", "CheckPointStmt", "NotifyStmt"})


def _data_only(op: o.Operation, ctx: MigrationContext) -> bool:
    """Whether the operation changes rows or session state at most: one of `_DATA_ONLY`,
    upkeep (`_MAINTENANCE`), or a SELECT that writes no rows and calls no volatile function
    (`function_volatility`: an unknown function is volatile)."""
    if isinstance(op, _DATA_ONLY):
        return True
    if isinstance(op, o.RawSQL) and op.statement_kind in _MAINTENANCE and not op.reason:
        return True
    return (isinstance(op, o.RawSQL) and op.statement_kind == "SelectStmt" and not op.reason
            and op.calls is not None
            and all(function_volatility(f, ctx.after) != "v" for f in op.calls))


def _down_span(ctx: MigrationContext) -> Span | None:
    """Where a finding about the down path points: its first statement, or its file."""
    down = ctx.migration.down
    if down is None:
        return None
    for st in down.statements:
        if st.ops:
            return st.ops[0].span
    return down.body_span or down.span or Span.point(down.script.path)


def _column_restored(before: Column, after: Column) -> bool:
    """Equal, where a column that predates the history (a placeholder of unknown type)
    matches any column, a column of a type the tool cannot know on either side (a project's
    own SQLAlchemy type) matches in all but its type, `DEFAULT 'x'` matches `DEFAULT
    'x'::varchar` (PostgreSQL casts a literal default to the column's type, whichever way it
    was written), and, on a boolean column, `DEFAULT '0'` matches `DEFAULT false` (both are
    stored as `false`)."""
    if (before.assumed and before.type.name == "unknown") or before == after:
        return True
    if "unknown" in (before.type.name, after.type.name):
        after = replace(after, type=before.type)
        if before == after:
            return True
    if before.default is None or after.default is None:
        return False
    if replace(before, default=None) != replace(after, default=None):
        return False
    if before.type.name == "bool":
        value = boolean_default(before.default.sql)
        if value is not None and value is boolean_default(after.default.sql):
            return True
    return _bare_literal(before.default.sql) == _bare_literal(after.default.sql)


# A string literal followed by casts: `'darkly'::character varying`, `'{}'::text[]`.
_CAST_LITERAL = re.compile(
    r"""('(?:[^']|'')*')"""  # the literal
    r"""(?:\s*::\s*[\w."]+(?:\s+[\w"]+)*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*)+""")  # its casts


def _bare_literal(sql: str) -> str:
    found = _CAST_LITERAL.fullmatch(sql.strip())
    return found.group(1) if found else sql


def _describe(col: Column) -> str:
    text = str(col.type) + (" NOT NULL" if col.not_null else "")
    return text + (f" DEFAULT {col.default.sql}" if col.default is not None else "")


class _Difference(NamedTuple):
    """One object the down path does not give back as it was, and, for one it makes again
    differently, what names it: ("column", table, column), ("constraint", table, name),
    ("index", name) or ("table", table)."""

    text: str
    remade: tuple[str, ...] | None = None
    # For one the down path may drop, which it is, named the same way.
    dropped: tuple[str, ...] | None = None


def _table_differences(key: QName, before: Table, after: Table, renamed: dict[str, str],
                       ctx: MigrationContext) -> list[_Difference]:
    """Column and constraint differences; ``renamed``: the unnamed keys `_unnamed_alike`
    pairs. On a table the history never showed whole, only what this migration itself
    created can be known to be left behind."""
    out = []
    after_cols = {c.name: c for c in after.columns}
    for col in before.columns:
        if col.name not in after_cols:
            out.append(_Difference(f"column {key}.{col.name} is not restored",
                                   dropped=("column", str(key), col.name)))
        elif not _column_restored(col, after_cols[col.name]):
            out.append(_Difference(f"column {key}.{col.name} comes back as "
                                   f"{_describe(after_cols[col.name])}, was {_describe(col)}",
                                   ("column", str(key), col.name)))
    before_cols = {c.name for c in before.columns}
    out += [_Difference(f"column {key}.{c.name} is left behind") for c in after.columns
            if c.name not in before_cols and (
                not before.assumed or (key, c.name) in ctx.state.new_columns)]
    before_cons = {c.name: c for c in before.constraints}
    after_cons = {c.name: c for c in after.constraints if c.name not in renamed}
    after_cons.update((renamed[c.name], replace(c, name=renamed[c.name]))
                      for c in after.constraints if c.name in renamed)
    for name in sorted(set(before_cons) | set(after_cons)):
        # A name only run time knows is not printed: the constraint is named by its columns.
        shown = (before_cons.get(name) or after_cons[name]).described(key)
        if name not in after_cons:
            out.append(_Difference(f"constraint {shown} is not restored",
                                   dropped=("constraint", str(key), name)))
        elif name not in before_cons:
            if not before.assumed or (key, name) in ctx.state.up_constraints:
                # Made by the down path itself, that statement is the one to change
                # (Authelia's SQLite V0007 down remakes a table with a renamed key).
                out.append(_Difference(f"constraint {shown} is left behind",
                                       ("constraint", str(key), name)))
        elif before_cons[name] != after_cons[name]:
            out.append(_Difference(f"constraint {shown} differs",
                                   ("constraint", str(key), name)))
    return out


def _unnamed_alike(before: Table, after: Table) -> dict[str, str]:
    """Constraints the migration gave no name, which are alike but for the name the model
    gave them: after's name -> before's. The default name is the table's at its making, and
    a table rebuilt under a scratch name and renamed (`new_ciphers` -> `ciphers`, SQLite's
    way to alter one) keeps the scratch table's; but an unnamed constraint is known by what
    it is (SQLite's have no name at all; a naming convention's is made at run time)."""
    after_names = {c.name for c in after.constraints}
    before_names = {c.name for c in before.constraints}
    left = [c for c in before.constraints if not c.name_known and c.name not in after_names]
    renamed: dict[str, str] = {}
    for con in after.constraints:
        if con.name_known or con.name in before_names:
            continue
        alike = next((c for c in left if replace(c, name=con.name) == con), None)
        if alike is not None:
            renamed[con.name] = alike.name
            left.remove(alike)
    return renamed


def _unnamed_indexes_alike(before: Catalog, after: Catalog,
                           renames: dict[QName, dict[str, str]]) -> set[object]:
    """The index keys, on both sides, of the indexes of the keys `_unnamed_alike` pairs
    (``renames``, by table): the same index, under the key's two names."""
    alike: set[object] = set()
    for key, renamed in renames.items():
        # A key's index bears the key's name.
        backing = {before.indexes[k].name.name: k for k in before.indexes.keys_on(key)}
        for k in after.indexes.keys_on(key):
            ix = after.indexes[k]
            old = backing.get(renamed.get(ix.name.name, ""))
            if old is not None and replace(before.indexes[old], name=ix.name,
                                           constraint=ix.constraint) == ix:
                alike.update((old, k))
    return alike


def _differences(ctx: MigrationContext) -> list[_Difference]:
    before, after = ctx.before, ctx.after_down
    if before is None or after is None:
        return []
    out: list[_Difference] = []
    temporary = _temporary_tables(ctx)
    renames: dict[QName, dict[str, str]] = {}  # `_unnamed_alike`'s pairs, of tables with any
    for key in changed_keys(before.tables, after.tables):
        a, b = before.tables.get(key), after.tables.get(key)
        if a is None and b is not None:
            if not b.assumed and key not in temporary:
                out.append(_Difference(f"table {key} is left behind"))
        elif b is None and a is not None:
            if not _phantom(key, a, ctx):
                out.append(_Difference(f"table {key} is not restored",
                                       dropped=("table", str(key))))
        elif a is not None and b is not None:
            renamed = _unnamed_alike(a, b)
            if renamed:
                renames[key] = renamed
            out += _table_differences(key, a, b, renamed, ctx)
    dropped_by_up = _dropped_index_names(ctx)
    alike = _unnamed_indexes_alike(before, after, renames)
    for ix_key in changed_keys(before.indexes, after.indexes):
        a_ix, b_ix = before.indexes.get(ix_key), after.indexes.get(ix_key)
        if a_ix == b_ix or ix_key in alike:
            continue
        if a_ix is None and b_ix is not None and b_ix.table in temporary:
            continue
        if a_ix is None and b_ix is not None and ix_key not in ctx.state.up_indexes:
            table = before.tables.get(b_ix.table)
            if table is not None and table.assumed:
                continue  # re-created by the down path; it may well have existed before
            if ix_key.name in dropped_by_up:
                continue  # the up path dropped it: it existed, made where the history is blind
        if a_ix is not None and b_ix is not None:
            out.append(_Difference(f"index {ix_key} {_index_change(a_ix, b_ix)}",
                                   ("index", ix_key.name)))
        elif a_ix is None:
            out.append(_Difference(f"index {ix_key} is left behind"))
        else:
            out.append(_Difference(f"index {ix_key} is not restored",
                                   dropped=("index", ix_key.name)))
    out += [_Difference(line + (" is not restored" if not after.holds(line) else
                                " is left behind" if not before.holds(line) else " differs"))
            for line in before.differences(after, tables=False)
            if not _of_temporary(line, after, temporary)
            and not _enum_values_added(line, before, after)]
    return out


def _enum_values_added(line: str, before: Catalog, after: Catalog) -> bool:
    """Whether a line of `Catalog.differences` names an enum that only has more values than
    before: PostgreSQL has no statement that removes one, so no down path could restore it
    (Ente's 57, 81 and 94; `missing-down` says the same)."""
    kind, _, key = line.partition(" ")
    if kind != "type":
        return False
    was = next((t for name, t in before.types.items() if str(name) == key), None)
    now = next((t for name, t in after.types.items() if str(name) == key), None)
    return was is not None and now is not None and was.kind == now.kind == "enum" \
        and set(was.values) < set(now.values) and replace(now, values=was.values) == was


def _temporary_tables(ctx: MigrationContext) -> set[QName]:
    """The tables the migration makes with CREATE TEMP TABLE, a DO block's too: PostgreSQL
    drops them when the session ends, so no down path has them to undo."""
    scripts = (ctx.migration.up, ctx.migration.down)
    return {op.table for script in scripts if script is not None
            for st in script.statements for op in with_effects(st.ops)
            if isinstance(op, o.CreateTable) and op.temporary}


def _of_temporary(line: str, after: Catalog, temporary: set[QName]) -> bool:
    """Whether a line of `Catalog.differences` names a sequence a temporary table owns
    (a serial column's), which goes with it."""
    kind, _, key = line.partition(" ")
    if kind != "sequence" or not temporary:
        return False
    return any(str(name) == key and seq.owned_by is not None and seq.owned_by[0] in temporary
               for name, seq in after.sequences.items())


def _index_change(before: Index, after: Index) -> str:
    """How an index the down path makes again differs from the one before up."""
    was, now = _describe_index(before), _describe_index(after)
    return f"comes back as {now}, was {was}" if was != now else "differs"


def _describe_index(index: Index) -> str:
    keys = "(expressions)" if index.expressions and not index.columns else \
        f"({', '.join(index.columns)})"
    return " ".join(part for part in (
        "UNIQUE" if index.unique else "",
        f"USING {index.method}" if index.method != "btree" else "", keys,
        "partial" if index.partial else "") if part)


def _last_acting(down: ParsedScript, acts: Callable[[o.Operation, tuple[str, ...]], bool],
                 on: tuple[str, ...]) -> Span | None:
    """The last statement of the down path that ``acts`` on the object ``on`` names
    (`_Difference`): makes or changes it (`_makes`), or drops it (`_drops`)."""
    found: Span | None = None
    for st in down.statements:
        for op in st.ops:
            if acts(op, on):
                found = op.span
    return found


def _drops(op: o.Operation, dropped: tuple[str, ...]) -> bool:
    match dropped, op:
        case ("column", table, column), o.DropColumn() if str(op.table) == table:
            return op.column == column
        case ("constraint", table, name), o.DropConstraint() if str(op.table) == table:
            return op.name == name
        case ("table", table), o.DropTable():
            return any(str(t) == table for t in op.tables)
        case ("index", name), o.DropIndex():
            return any(n.name == name for n in op.names)
    return False


def _makes(op: o.Operation, remade: tuple[str, ...]) -> bool:
    match remade, op:
        case ("column", table, column), o.AddColumn() if str(op.table) == table:
            return op.column.name == column
        case ("column", table, column), o.CreateTable() if str(op.table) == table:
            return any(c.name == column for c in op.columns)
        case ("column", table, column), o.RenameColumn() if str(op.table) == table:
            return op.new_name == column
        case ("column", table, column), o.AlterColumnType() | o.SetNotNull() | \
                o.DropNotNull() | o.SetDefault() if str(op.table) == table:
            return op.column == column
        case ("constraint", table, name), o.AddConstraint() if str(op.table) == table:
            return op.constraint.name == name
        case ("constraint", table, name), o.CreateTable() if str(op.table) == table:
            return any(c.name == name for c in op.constraints)
        case ("index", name), o.CreateIndex():
            return op.name is not None and op.name.name == name
        case ("index", name), o.AddConstraint():
            return op.constraint.name == name
        case ("index", name), o.RenameIndex():
            return op.new_name == name
    return False


@rule("down-does-not-restore", family="reversibility", severity="warning",
      scope="migration", irreversible=True, precision="medium",
      fix="make the down path the exact inverse of the up path")
def down_does_not_restore(ctx: MigrationContext) -> Iterator[Hit]:
    """The down path, applied after the up path, does not give back the schema before up.

    ## What it does
    Folds the up path, then the down path, over the schema the history had before the
    migration, compares the result with that schema, and names the objects that differ:
    tables, columns (type, nullability, default), constraints, indexes, views, sequences,
    types, triggers, functions. The finding points at the statement of the down path that
    makes an object again differently (an index made again without UNIQUE); else at the one
    that drops an object that was there before up; else, where it only leaves out or leaves
    behind, at the start of the down path.

    ## Why it matters
    A rollback that leaves an index behind, forgets a constraint or brings a column back
    with another type gives a schema no release was tested against; the next up migration
    may fail on it.

    ## When it does not fire
    When there is no down path (see `missing-down`); for an enum the up path only added
    values to (PostgreSQL has no statement that removes one); for objects that predate the known
    history where the tool does not know the original definition (a column of unknown type
    matches any type, an index the up path drops and the down path makes again is restored,
    and a table the history never made nor used that the up path drops with `DROP TABLE IF
    EXISTS` is not missed); for the type of a column either path gives a type the tool
    cannot know (a project's own SQLAlchemy type, such as a TypeDecorator); for a default
    written another way that PostgreSQL stores alike (`'x'` and `'x'::varchar`; on a boolean
    column `'0'`, `'off'` and `false`, `'1'`, `'yes'` and `true`); and when the down path
    holds a statement the tool does not model (a DO block, an Alembic helper such as
    `op.sync_enum_values`): what it restores cannot be known, and `unmodelled-statement`
    asks for a review of it by hand.

    ## Safe alternative
    Write the down path as the exact inverse, in reverse order:
    ```sql
    -- up:   ALTER TABLE users ADD COLUMN plan text; CREATE INDEX users_plan ON users (plan);
    -- down:
    DROP INDEX users_plan;
    ALTER TABLE users DROP COLUMN plan;
    ```

    ## Example
    An up path that adds a column and an index, and a down path that only drops the column.

    ## References
    - Modifying Tables: the statements that undo each change (dropping what was added, restoring a
      default or a type).
      https://www.postgresql.org/docs/current/ddl-alter.html
    """
    if ctx.before is None or ctx.after_down is None or _down_is_empty(ctx):
        return
    down = ctx.migration.down
    if down is None or down.declared_irreversible or down.errors or down.derived or \
            _opaque(down):
        return
    differences = _differences(ctx)
    if differences:
        diffs = [d.text for d in differences]
        listed = "; ".join(diffs[:8]) + (f"; and {len(diffs) - 8} more" if len(diffs) > 8
                                        else "")
        # Where the down path makes an object again differently, that statement is the
        # one to change; an object it never makes again has no statement of its own.
        remade = (_last_acting(down, _makes, d.remade) for d in differences
                  if d.remade is not None)
        span = next((found for found in remade if found is not None), None)
        if span is None:  # else the statement that drops what was there before up
            dropping = (_last_acting(down, _drops, d.dropped) for d in differences
                        if d.dropped is not None)
            span = next((found for found in dropping if found is not None), None)
        yield Hit(f"up then down does not restore the schema: {listed}",
                  span=span or _down_span(ctx))


def _phantom(key: QName, table: Table, ctx: MigrationContext) -> bool:
    """Whether a table is known only from the up path's `DROP TABLE IF EXISTS`: the history
    never made it nor used a column of it, and the drop itself does not say it exists, so
    its definition, and whether there is one, is unknown."""
    up = ctx.migration.up
    return table.assumed and not table.columns and any(
        isinstance(op, o.DropTable) and op.if_exists and key in op.tables
        for st in (up.statements if up else ()) for op in st.ops)


def _dropped_index_names(ctx: MigrationContext) -> set[str]:
    """The names of the indexes the up path drops."""
    up = ctx.migration.up
    return {name.name for st in (up.statements if up else ()) for op in st.ops
            if isinstance(op, o.DropIndex) for name in op.names}


def _opaque(script: ParsedScript) -> list[o.RawSQL]:
    """The script's statements whose effect on the schema is not modelled."""
    return [op for st in script.statements for op in st.ops
            if isinstance(op, o.RawSQL) and op.statement_kind != o.DATA_MIGRATION
            and _unmodelled(op)]


def _unmodelled(op: o.RawSQL) -> bool:
    """SQL whose effect the tool does not model: a DO block, or a statement that changes
    what no rule reasons about (`is_harmless_raw`)."""
    return op.statement_kind == "DoStmt" or not is_harmless_raw(op)


@dataclass
class _Refill:
    """What the down path writes into a column or table it makes again."""

    reads: set[str] = field(default_factory=set)  # the columns an UPDATE of every row copies
    read_at: Span | None = None  # the first such UPDATE
    unchecked: Span | None = None  # the first write from a source the tool does not follow


@dataclass
class _Stash:
    """Where the up path copied a column's values before dropping it: ``holders`` hold all of
    them still; ``spoiled`` held some (a copy with a WHERE) or were overwritten since."""

    holders: set[str] = field(default_factory=set)
    spoiled: set[str] = field(default_factory=set)


@dataclass
class _WayBack:
    """What the down path puts back into what it makes again, read in the order it runs:
    the columns it adds and the tables it creates (still there at its end), the tables it
    inserts rows into from sources the tool does not follow, and the first statement of code
    the tool does not read, which may write any table."""

    columns: dict[tuple[QName, str], _Refill] = field(default_factory=dict)
    tables: dict[QName, _Refill] = field(default_factory=dict)
    rows: dict[QName, Span] = field(default_factory=dict)
    code: Span | None = None

    def column(self, table: QName, column: str, stash: _Stash) -> Span | None:
        """Where the down path may fill the column again with values the tool cannot check:
        from a source it does not follow, or by copying a column that is not known to lack
        them (``stash.spoiled``)."""
        refill = self.columns.get((table, column))
        if refill is None:
            return None
        if refill.unchecked is not None:
            return refill.unchecked
        return refill.read_at if refill.reads - stash.spoiled else None

    def table(self, table: QName) -> Span | None:
        refill = self.tables.get(table)
        return refill.unchecked if refill is not None else None

    def table_rows(self, table: QName) -> Span | None:
        return self.rows.get(table) or self.code


def _way_back(down: ParsedScript | None) -> _WayBack:
    """Read the down path for what it writes into the columns and tables it makes again."""
    back = _WayBack()
    if down is None:
        return back
    gone: set[tuple[QName, str]] = set()  # the columns the down path dropped so far
    for st in down.statements:
        for op in st.ops:
            _follow(op, back, gone)
    return back


def _follow(op: o.Operation, back: _WayBack, gone: set[tuple[QName, str]]) -> None:
    match op:
        case o.AddColumn(table=table, column=definition):
            back.columns[(table, definition.name)] = _Refill()
            gone.discard((table, definition.name))
        case o.DropColumn(table=table, column=name):
            back.columns.pop((table, name), None)
            gone.add((table, name))
        case o.RenameColumn(table=table, column=name, new_name=new_name) if (
                table, name) in back.columns:
            back.columns[(table, new_name)] = back.columns.pop((table, name))
        case o.CreateTable(table=table):
            back.tables[table] = _Refill()
        case o.DropTable(tables=tables):
            for table in tables:
                back.tables.pop(table, None)
        case o.UpdateRows():
            _follow_update(op, back, gone)
        case o.InsertRows(table=table, constant=False):
            back.rows.setdefault(table, op.span)
            refill = back.tables.get(table)
            if refill is not None and refill.unchecked is None:
                refill.unchecked = op.span
        case o.RawSQL() if _unread(op):
            back.code = back.code or op.span
            for refill in (*back.columns.values(), *back.tables.values()):
                refill.unchecked = refill.unchecked or op.span


def _follow_update(op: o.UpdateRows, back: _WayBack, gone: set[tuple[QName, str]]) -> None:
    """An UPDATE of a column the down path added: a copy of other columns of every row (what
    a stash is read back by), a constant (which brings nothing back), or anything else."""
    copied = dict(op.copies)
    for column in op.columns:
        refill = back.columns.get((op.table, column))
        if refill is None or column in op.constants:
            continue
        reads = copied.get(column)
        if reads and not op.has_where:
            refill.reads.update(read for read in reads if (op.table, read) not in gone)
            refill.read_at = refill.read_at or op.span
        elif refill.unchecked is None:
            refill.unchecked = op.span


def _unread(op: o.RawSQL) -> bool:
    """Whether a statement runs code the tool does not read, which may write any row: Python,
    SQL built at run time, a DO block, an unmodelled statement that changes something."""
    return op.statement_kind == o.DATA_MIGRATION or _unmodelled(op)


def _destroyed(ctx: MigrationContext) -> list[tuple[str, Span, Span | None]]:
    """Objects with data that the up path destroys, with the statement that does it and the
    statement of the down path that may bring the data back (None: nothing can)."""
    up = ctx.migration.up
    if up is None or ctx.state.fresh:  # a squash runs on a new database: no data to lose
        return []
    created: set[QName] = set()
    added: set[tuple[QName, str]] = set()  # the columns the up path added
    renamed: set[QName] = set()  # the names the up path gave by renaming
    rebuilt: dict[int, set[QName]] = {}
    for index, table in harmless_drops(up):
        rebuilt.setdefault(index, set()).add(table)
    left_out = rebuild_columns(up) if rebuilt else {}
    back = _way_back(ctx.migration.down)
    stashes = _stashes(up)
    swapped = kept_columns(up) | _restored_columns(stashes, back)
    reverse_code: Span | None = None  # Django runs it back after undoing what follows it
    out: list[tuple[str, Span, Span | None]] = []
    for st in up.statements:
        for i, op in enumerate(st.ops):
            if ("up", st.index, i) in ctx.migration.unknown_subjects:
                continue  # acts on nothing that exists (`UnknownObjects`): destroys nothing
            if isinstance(op, o.RawSQL) and op.reverse_code:
                reverse_code = reverse_code or op.span
            if isinstance(op, o.RenameTable):
                renamed.add(QName(op.table.schema, op.new_name))
            if isinstance(op, o.DropColumn) and (st.index, op.table, op.column) in swapped:
                continue  # a column swap keeps the values; a stash the down path reads back
            if isinstance(op, o.AddColumn) and not (op.if_not_exists
                                                    and _had_column(ctx, op.table,
                                                                    op.column.name)):
                added.add((op.table, op.column.name))
            if isinstance(op, o.DropColumn | o.AlterColumnType) and (
                    op.table, op.column) in added:
                continue  # values the up path itself put there, not the database's
            stash = stashes.get((st.index, op.table, op.column), _Stash()) \
                if isinstance(op, o.DropColumn) else _Stash()
            lost = _destroys(op, ctx, created, rebuilt.get(st.index, set()), renamed, back,
                             stash)
            if isinstance(op, o.DropTable) and st.index in rebuilt:
                lost += _left_out_of_rebuild(op, st.index, ctx, left_out, added, back)
            if (op.span.path, op.span.line) not in ctx.state.acknowledged_loss:
                out += [(what, op.site, maybe or reverse_code) for what, maybe in lost]
    first: dict[str, tuple[Span, Span | None]] = {}
    for what, span, maybe in out:
        first.setdefault(what, (span, maybe))
    return [(what, span, maybe) for what, (span, maybe) in first.items()]


def _destroys(op: o.Operation, ctx: MigrationContext, created: set[QName],
              rebuilt: set[QName], renamed: set[QName], back: _WayBack, stash: _Stash
              ) -> list[tuple[str, Span | None]]:
    """What of the data ``op`` destroys, each with the statement of the down path that may
    bring it back (`_WayBack`); ``rebuilt``: the tables whose rows the script keeps if ``op``
    drops them (`harmless_drops`); ``renamed``: the names the up path gave so far;
    ``stash``: where the up path copied the column ``op`` drops."""
    match op:
        case o.CreateTable(table=t):
            created.add(t)
        case o.DropTable(tables=tables):
            return [(f"table {t}", back.table(t)) for t in tables
                    if t not in created and t not in rebuilt
                    and not (op.if_exists and _absent(t, ctx, created | renamed))]
        case o.DropColumn(table=t, column=c) if t not in created:
            return [(f"column {t}.{c}", back.column(t, c, stash))]
        case o.Truncate(tables=tables):
            return [(f"rows of {t}", back.table_rows(t)) for t in tables if t not in created]
        case o.DeleteRows(table=t, has_where=False) if t not in created:
            return [(f"rows of {t}", back.table_rows(t))]
        case o.AlterColumnType(table=t, column=c) if t not in created:
            old = op.old_type or ctx.state.old_types.get((t, c))
            change = classify_change(old, op.new_type, op.using is not None) if old else None
            # A narrowing that fails on a value that does not fit changes none: widened back,
            # the column holds what it held.
            if change is not None and change.lossy and not change.rejects_only:
                return [(f"values of {t}.{c} ({old} to {op.new_type})", None)]
    return []


def _left_out_of_rebuild(
        op: o.DropTable, index: int, ctx: MigrationContext,
        rebuilt: dict[tuple[int, QName], tuple[frozenset[QName], frozenset[str]]],
        added: set[tuple[QName, str]], back: _WayBack) -> list[tuple[str, Span | None]]:
    """The columns a table rebuild drops with the old table (`rebuild_columns`): those the
    table had before the migration that the table holding its rows at the end lacks."""
    if ctx.before is None:
        return []
    out: list[tuple[str, Span | None]] = []
    for table in op.tables:
        origins, kept = rebuilt.get((index, table), ((), frozenset()))
        for origin in origins:
            found = ctx.before.tables.get(origin)
            if found is None:
                continue

            def added_here(name: str, origin: QName = origin) -> bool:
                return (origin, name) in added

            out += [(f"column {origin}.{name}", back.column(origin, name, _Stash()))
                    for name in left_out(found, kept, added_here)]
    return out


def _stashes(up: ParsedScript) -> dict[tuple[int, QName, str], _Stash]:
    """The `DROP COLUMN`s of the up path, by (statement index, table, column), whose values
    the up path copied into other columns of the table before (see
    `irreversible_data_loss`'s *When it does not fire*)."""
    stashed: dict[tuple[QName, str], _Stash] = {}  # (table, column) -> columns holding it
    drops: dict[tuple[int, QName, str], _Stash] = {}
    for st in up.statements:
        for op in st.ops:
            for table, column in _overwritten(op):
                for (held, _), stash in stashed.items():
                    if held == table and column in stash.holders:
                        stash.holders.discard(column)
                        stash.spoiled.add(column)
            match op:
                case o.UpdateRows(table=table, has_where=has_where, copies=copies):
                    for target, reads in copies:
                        for read in reads:
                            if read != target:
                                stash = stashed.setdefault((table, read), _Stash())
                                (stash.spoiled if has_where else stash.holders).add(target)
                case o.DropColumn(table=table, column=column):
                    if (table, column) in stashed:
                        drops[(st.index, table, column)] = stashed.pop((table, column))
    return drops


def _restored_columns(stashes: dict[tuple[int, QName, str], _Stash], back: _WayBack
                      ) -> frozenset[tuple[int, QName, str]]:
    """The dropped columns, as (statement index, table, column), that the down path adds
    back and fills by copying every row's value from a column holding the stash."""
    out = set()
    for (index, table, column), stash in stashes.items():
        refill = back.columns.get((table, column))
        if refill is not None and refill.reads & stash.holders:
            out.add((index, table, column))
    return frozenset(out)


def _overwritten(op: o.Operation) -> list[tuple[QName, str]]:
    """The columns whose values ``op`` replaces, retypes, renames or drops: what they held
    before may be gone. An `UPDATE` that sets a column from an expression reading the column
    itself (`details = details || …`, a second stash into it) keeps what it held."""
    match op:
        case o.DropColumn(table=table, column=column) | o.AlterColumnType(
                table=table, column=column) | o.RenameColumn(table=table, column=column):
            return [(table, column)]
        case o.UpdateRows(table=table, columns=columns, copies=copies):
            keeps = {target for target, reads in copies if target in reads}
            return [(table, column) for column in columns if column not in keeps]
    return []


def _had_column(ctx: MigrationContext, table: QName, column: str) -> bool:
    """Whether the schema before the migration has the column (an `ADD COLUMN IF NOT
    EXISTS` of it adds nothing)."""
    known = ctx.before.tables.get(table) if ctx.before is not None else None
    return known is not None and known.column(column) is not None


def _absent(table: QName, ctx: MigrationContext, made: set[QName]) -> bool:
    """Whether the table is known not to exist when the up path drops it: neither in the
    schema before the migration (which holds a placeholder for a table older than the
    history) nor ``made`` by the up path."""
    return ctx.before is not None and table not in ctx.before.tables and table not in made


@rule("irreversible-data-loss", family="reversibility", severity="warning",
      scope="migration", irreversible=True,
      fix="run `schemagate backup` before the migration")
def irreversible_data_loss(ctx: MigrationContext) -> Iterator[Hit]:
    """The up path destroys data that no down path can bring back.

    ## What it does
    Flags a migration whose up path drops a table or column, truncates or deletes all rows,
    or changes a column's type in a way that changes values (rounds them, drops part of
    them, or converts them through USING), on objects that exist before the migration.

    ## Why it matters
    A down migration restores structure, never data: after a rollback the column is back
    but empty. Only a backup taken before the migration brings the data back.

    ## When it does not fire
    In histories without down migrations (there the destructive findings already say that
    data is lost, and no down path is promised), on objects created earlier in the same
    migration, on a table rebuild's drops (the rows are copied into the table that ends the
    script under their name, as `drop-table` explains; but not on the columns the new table
    lacks, which go with the old one), on a column swap's drop (its values
    copied into a column that takes its name, as `drop-column` explains), on a narrowing that
    fails rather than change a value (int4 to int2, varchar(255) to varchar(50): when it
    succeeds, every value fits and the down path's wider type holds it again; the failure is
    `lossy-type-change`'s), on a column whose values the up path stashed in another column
    of the same table and the down path puts back (below), on a drop a complete history
    shows acts on nothing (`DROP COLUMN IF EXISTS` of a column never made on a table the
    history made, or of one dropped before; `unknown-object` speaks for a plain one), and on
    statements whose destructive finding (`drop-column`, `drop-table`, …) a suppression
    comment already acknowledged.

    A stash is an `UPDATE` of every row (no `WHERE`, or one that is always true) that sets
    another column of the table from an expression reading the dropped column, before the
    drop, with nothing in the up path writing, retyping or dropping that column afterwards;
    the down path adds the column back and then fills it by an `UPDATE` of every row whose
    value reads the column that holds the stash:
    ```sql
    -- up
    UPDATE users SET details = details || jsonb_build_object('image_url', image_url);
    ALTER TABLE users DROP COLUMN image_url;
    -- down
    ALTER TABLE users ADD COLUMN image_url varchar(320);
    UPDATE users SET image_url = details->>'image_url';
    ```
    As with a column swap, the expressions are trusted: that the down path's expression
    reads back what the up path wrote is not checked. A copy with a `WHERE`, a stash
    overwritten before the drop, and a down path that adds the column back without filling
    it, or fills it with constants only (in rows no other table picks), are still reported.

    Where the down path, after making the column or table again, fills it from what the tool
    does not follow, the finding drops to info and says the values may come back: an
    `UPDATE` that sets the column from another table, a parameter or any expression that is
    not a constant, an `INSERT … SELECT` or an `INSERT` of values passed at run time, code
    it does not read (a Python call, SQL built at run time, a DO block), and, with Django, a
    `RunPython` written above the drop whose `reverse_code` is a function (not
    `RunPython.noop`): reversed, Django adds the column back and then runs it. Rows deleted
    or truncated may come back the same way, by any such statement of the down path.

    ## Safe alternative
    Generate and run the backup first; `schemagate backup` writes `backup.sql` (run before
    the migration) and `restore.sql` (run after the rollback):
    ```sh
    schemagate backup migrations/ -o backup/
    psql -v ON_ERROR_STOP=1 -f backup/backup.sql
    ```

    ## Example
    ```sql
    ALTER TABLE users DROP COLUMN legacy_id;
    ```

    ## References
    - SQL Dump: `pg_dump` saves the data, and only such a copy restores it once the rows are gone.
      https://www.postgresql.org/docs/current/backup-dump.html
    """
    if not ctx.history_uses_down:
        return  # roll-forward projects: the destructive findings say it already
    destroyed = _destroyed(ctx)
    lost = [(what, span) for what, span, maybe in destroyed if maybe is None]
    if lost:
        names = ", ".join(what for what, _ in lost[:10])
        yield Hit(f"the down path cannot bring back {names}: take a backup first "
                  "(`schemagate backup`)", object=names, span=lost[0][1])
    for what, span, maybe in destroyed:
        if maybe is not None:
            where = f"line {maybe.line}" if maybe.path == span.path else \
                f"line {maybe.line} of {PurePath(maybe.path).name}"
            yield Hit(f"the down path may bring back {what} ({where} writes from "
                      "code or data the tool does not check): whether the values come back is "
                      "not verified", object=what, span=span, severity=Severity.INFO)


@rule("unverifiable-raw-sql", family="reversibility", severity="info", scope="migration",
      precision="low",
      fix="review the inverse of these statements by hand")
def unverifiable_raw_sql(ctx: MigrationContext) -> Iterator[Hit]:
    """Raw SQL whose inverse the tool cannot check.

    ## What it does
    Reports, once per migration that has a down path, the statements of the up path that
    schemagate does not model (DO blocks, SQL built at run time in Python migrations,
    statements it parses but does not represent), so that `down-does-not-restore` could not
    verify them.

    ## Why it matters
    The check that the down path undoes the up path is blind to these statements: a human
    has to check them.

    ## When it does not fire
    Without a down path: none written, or one that declares itself irreversible (a Django
    migration with a `RunSQL` or `RunPython` without a reverse, an Alembic `downgrade()`
    that raises or does nothing while `upgrade()` does something), which `missing-down`
    reports; and for statements that change no schema (SELECT, COMMENT, GRANT).
    Not on Django's `RunPython`: it holds Python code that changes rows, not SQL, and
    `unmodelled-statement` already asks for it to be read by hand.

    ## Safe alternative
    Prefer modelled DDL; otherwise review the down path by hand and suppress this finding
    with the reason.

    ## Example
    ```sql
    DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 'users' || ' ADD COLUMN x int'; END $$;
    ```

    ## References
    - SQL Commands: every statement PostgreSQL accepts; schemagate models the schema-changing ones,
      and reports the others as raw SQL.
      https://www.postgresql.org/docs/current/sql-commands.html
    """
    down = ctx.migration.down
    if down is None or down.declared_irreversible or ctx.migration.up is None:
        return
    raw = _opaque(ctx.migration.up)
    if raw:
        # One statement can hold several unmodelled actions (ALTER TABLE … ALTER CONSTRAINT,
        # seventeen times), and the statements of one Python helper call share its line:
        # count statements, and name each line once.
        count = len({op.statement for op in raw})
        lines = list(dict.fromkeys(op.span.line for op in raw))
        where = ", ".join(map(str, lines[:10])) + (", …" if len(lines) > 10 else "")
        yield Hit(f"{count} statement(s) the tool cannot verify the down path for "
                  f"(line{'s' if len(lines) > 1 else ''} {where})", span=raw[0].span)
