"""The fix that moves a migration's slow steps into new migrations right after it.

Where the tool runs a file as one transaction (golang-migrate's multi-statement files,
dbmate, Flyway, popx), a VALIDATE written after `ADD … NOT VALID` scans under the lock the
ADD took until the commit, and CONCURRENTLY cannot run at all. So the steps that must run
in a later transaction, or in none, go to new migrations placed right after this one
(`parse.layouts.following` names them), and what can stay stays:

- `ADD CONSTRAINT name FOREIGN KEY | CHECK …` gets `NOT VALID` in place, and its
  `VALIDATE CONSTRAINT` goes to the follow-up migration;
- `ALTER COLUMN c SET NOT NULL` becomes `ADD CONSTRAINT t_c_not_null CHECK (c IS NOT NULL)
  NOT VALID` in place; the follow-up validates it, sets NOT NULL and drops the check. The
  three may share the follow-up's transaction: SET NOT NULL reads the check's validity
  from the catalog as it stands in the transaction (PostgreSQL 12+ prints "existing
  constraints on column … are sufficient to prove that it does not contain nulls" at
  DEBUG1 after a VALIDATE in the same transaction), and only VALIDATE scans, under SHARE
  UPDATE EXCLUSIVE; the ACCESS EXCLUSIVE of SET NOT NULL then lasts no scan;
- `CREATE INDEX` on an existing table leaves the file, and each becomes a migration of its
  own holding only `CREATE INDEX CONCURRENTLY`, which the tool runs outside a transaction
  (golang-migrate: a file of one statement; dbmate: `transaction:false`; popx:
  `.autocommit`; Flyway: a migration of only that statement).

Every step of one migration goes into one fix, the same for each finding it answers (so
`--fix` applies it once): the VALIDATEs share one follow-up, each index has its own. Where
the tool keeps down scripts, the new migrations get theirs, each the exact inverse: a
validated constraint dropped and added back NOT VALID (it cannot be made NOT VALID
otherwise; that takes no scan); NOT NULL dropped and the check put back (the migration's
own down then drops the check it now adds); the index dropped CONCURRENTLY, its DROP
taken out of the migration's own down.

A unique index that a later statement of the migration may rest on (one naming its table:
a foreign key, an ON CONFLICT), or any index a later statement names, stays: then nothing
is split.

Offered only for the up script, for statements whose text is the file's, and only where
every step found can be moved: a partial split would leave the rest to a later pass that
has no place left for its migration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemagate.model import ops as o
from schemagate.model.fixes import Edit, Fix
from schemagate.model.migration import DeferredMigration, ParsedMigration, ParsedStatement
from schemagate.parse.layouts.following import NewMigration, place
from schemagate.rules.context import RuleContext
from schemagate.rules.rewrite import (
    StatementText,
    indent,
    not_null_check,
    statement_text,
)

_WORD = re.compile(r"[a-z_][a-z0-9_$]*")
TITLE = "Move the slow steps into new migrations right after this one"


@dataclass(frozen=True, slots=True)
class Split:
    """The fix, and the operations (statement index, operation index) it answers."""

    fix: Fix
    covers: frozenset[tuple[int, int]]


@dataclass
class _Plan:
    """The edits that split a migration, and what the new migrations run and undo."""

    edits: list[Edit] = field(default_factory=list)
    covers: set[tuple[int, int]] = field(default_factory=set)
    validate_up: list[str] = field(default_factory=list)
    validate_down: list[list[str]] = field(default_factory=list)  # per step, in order
    down_first: list[str] = field(default_factory=list)  # into the migration's own down
    indexes: list[tuple[str, str, str]] = field(default_factory=list)  # name, up, down


def split_fix(ctx: RuleContext, op: o.Operation) -> Fix | None:
    """The split fix of the script at hand, if it answers `op`."""
    key = (split_fix, id(ctx.script))
    if key not in ctx.state.script_facts:
        ctx.state.script_facts[key] = _build(ctx)
    split: Split | None = ctx.state.script_facts[key]
    at = next((i for i, x in enumerate(ctx.statement.ops) if x is op), None)
    if split is None or at is None or (ctx.statement.index, at) not in split.covers:
        return None
    return split.fix


def _build(ctx: RuleContext) -> Split | None:
    if ctx.direction != "up" or ctx.script.script.transaction == "autocommit" or (
            ctx.migration.up is not ctx.script):
        return None
    plan = _Plan()
    created: set[object] = set()
    later = _last_changes(ctx.script.statements)
    for st in ctx.script.statements:
        for i, op in enumerate(st.ops):
            if isinstance(op, o.CreateTable):
                created.add(op.table)
                continue
            step = _step_of(op, created)
            if step is None:
                continue
            # Every step must move, and nothing later may lean on what moves: else no split.
            if not step(ctx, st, op, plan) or _undercut(op, st.index, later):
                return None
            plan.covers.add((st.index, i))
    if not plan.covers:
        return None
    return _finish(ctx, plan)


def _step_of(op: o.Operation, created: set[object]
             ) -> Callable[[RuleContext, ParsedStatement, Any, _Plan], bool] | None:
    """What moves the operation's slow part out, for a slow step on a table the migration
    did not create; None for any other operation."""
    if getattr(op, "table", None) in created:
        return None
    match op:
        case o.CreateIndex(concurrently=False):
            return _index
        case o.AddConstraint(constraint=con) if con.kind in ("foreign", "check") and (
                not con.not_valid):
            return _not_valid
        case o.SetNotNull():
            return _not_null
    return None


def _last_changes(statements: Sequence[ParsedStatement]) -> dict[tuple[object, ...], int]:
    """Where each name is last changed in the migration, by the index of the statement:
    ("table", T) dropped or renamed; ("column", T, c) dropped or renamed; ("drop column",
    T) any column dropped; ("constraint", T, name) dropped or renamed; ("word", w) any
    identifier-like word of the text. One pass, so that asking for each step costs a
    look-up, not a rescan of the statements after it."""
    last: dict[tuple[object, ...], int] = {}
    for st in statements:
        for word in set(_WORD.findall(st.sql.lower())):
            last[("word", word)] = st.index
        for op in st.ops:
            if isinstance(op, o.DropTable):
                for table in op.tables:
                    last[("table", table)] = st.index
            elif isinstance(op, o.RenameTable):
                last[("table", op.table)] = st.index
            elif isinstance(op, o.RenameColumn | o.DropColumn):
                last[("column", op.table, op.column)] = st.index
                if isinstance(op, o.DropColumn):
                    last[("drop column", op.table)] = st.index
            elif isinstance(op, o.DropConstraint | o.RenameConstraint):
                last[("constraint", op.table, op.name)] = st.index
    return last


def _undercut(step: o.Operation, at: int, last: dict[tuple[object, ...], int]) -> bool:
    """Whether a later statement of the migration changes what a moved step names, so
    that the step, run after it, would name what is no longer there: the table dropped or
    renamed; for a SET NOT NULL, its column; for a constraint, the constraint (or a column,
    whose drop may take it along); for an index, its name anywhere in the text, or, for a
    unique index, its table's (a foreign key or an ON CONFLICT may rest on it)."""
    table = getattr(step, "table", None)
    keys: list[tuple[object, ...]] = [("table", table)]
    if isinstance(step, o.SetNotNull):
        keys.append(("column", table, step.column))
    elif isinstance(step, o.AddConstraint):
        keys += [("drop column", table), ("constraint", table, step.constraint.name)]
    elif isinstance(step, o.CreateIndex) and step.name is not None:
        keys.append(("word", step.name.name.lower()))
        if step.unique:
            keys.append(("word", step.table.name.lower()))
    return any(last.get(key, -1) > at for key in keys)


def _index(ctx: RuleContext, st: ParsedStatement, op: o.CreateIndex, plan: _Plan) -> bool:
    table = ctx.table(op.table)
    text = statement_text(ctx, st)
    if text is None or len(st.ops) != 1 or op.name is None or (
            table is not None and table.partitioned):
        return False
    at = text.find("INDEX")
    if at is None:
        return False
    i = at + 1
    if [t.name for t in text.tokens[i:i + 3]] == ["IF_P", "NOT", "EXISTS"]:
        i += 3
    found = text.name_at(i)
    if found is None:
        return False
    name = found[0]
    cut = text.tokens[at].end
    concurrent = f"{text.sql[:cut]} CONCURRENTLY{text.sql[cut:]}"
    whole = StatementText(text.sql + st.tail, text.path, text.line, text.column)
    plan.edits.append(whole.replace(0, len(whole.sql), ""))
    plan.indexes.append((name, concurrent, f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
    # The migration's own down dropped the index it no longer makes: that drop moves to
    # the new migration's down.
    own = _own_drop(ctx, op.name)
    if own is not None:
        plan.edits.append(own)
    return True


def _not_valid(ctx: RuleContext, st: ParsedStatement, op: o.AddConstraint,
               plan: _Plan) -> bool:
    text = statement_text(ctx, st)
    head = text.altered_table() if text is not None else None
    where = text.span_offsets(op.clause) if text is not None and op.clause else None
    if text is None or head is None or where is None:
        return False
    toks = text.tokens
    at = next((k for k, t in enumerate(toks) if t.start == where[0]), None)
    if at is None or at + 2 >= len(toks) or [t.name for t in toks[at:at + 2]] != [
            "ADD_P", "CONSTRAINT"]:
        return False
    name = toks[at + 2].text
    plan.edits.append(text.insert(where[1], " NOT VALID"))
    plan.validate_up.append(f"{head[0]} VALIDATE CONSTRAINT {name}")
    # A validated constraint cannot be made NOT VALID again: the down puts it back as the
    # migration before left it, dropped and added NOT VALID (no scan, a brief lock).
    plan.validate_down.append([f"{head[0]} DROP CONSTRAINT {name}",
                               f"{head[0]} {text.sql[where[0]:where[1]]} NOT VALID"])
    return True


def _not_null(ctx: RuleContext, st: ParsedStatement, op: o.SetNotNull, plan: _Plan) -> bool:
    found = not_null_check(ctx, op, st) if len(st.ops) == 1 else None
    if found is None:
        return False
    text, written, column, check = found.text, found.written, found.column, found.check
    plan.edits.append(text.replace(
        0, len(text.sql),
        f"{written} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"))
    plan.validate_up += [f"{written} VALIDATE CONSTRAINT {check}", text.sql,
                         f"{written} DROP CONSTRAINT {check}"]
    plan.validate_down.append([
        f"{text.sql[:text.tokens[found.set_at].start]}DROP NOT NULL",
        f"{written} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"])
    plan.down_first.append(f"{written} DROP CONSTRAINT IF EXISTS {check}")
    return True


def _finish(ctx: RuleContext, plan: _Plan) -> Split | None:
    source = ctx.migration.source
    following = ctx.following()
    suffixes: list[tuple[str, bool]] = []
    if plan.validate_up:
        suffixes.append(("validate", False))
    suffixes += [(f"{_word(name)}_concurrently", True) for name, _, _ in plan.indexes]
    # Both the same for every migration of the history: made once for it.
    known = ctx.per_history(_versions, lambda: _versions(ctx.history))
    places = place(source, following.source if following is not None else None, known,
                   suffixes, ctx.per_history(place, dict))
    if places is None:
        return None
    edits = list(plan.edits)
    if plan.down_first:
        first = _own_down_edit(ctx, ctx.migration, plan.down_first)
        if first is None and _has_down_statements(ctx.migration):
            return None
        if first is not None:
            edits.append(first)
    made = iter(places)
    if plan.validate_up:
        down = [line for step in reversed(plan.validate_down) for line in step]
        edits += _files(next(made), plan.validate_up, down, outside=False)
    for _, up, down_sql in plan.indexes:
        edits += _files(next(made), [up], [down_sql], outside=True)
    return Split(Fix(TITLE, tuple(edits)), frozenset(plan.covers))


def _versions(history: Sequence[ParsedMigration | DeferredMigration]) -> frozenset[str]:
    """The versions of the history's migrations, as the lint saw them."""
    return frozenset(m.source.version for m in history if m.source.version is not None)


def _files(new: NewMigration, up: list[str], down: list[str], *, outside: bool
           ) -> list[Edit]:
    """The new migration's files, written as its tool wants them."""
    up_sql = "".join(f"{s};\n" for s in up)
    down_sql = "".join(f"{s};\n" for s in down)
    if new.layout == "dbmate":
        option = " transaction:false" if outside else ""
        text = f"-- migrate:up{option}\n{up_sql}\n-- migrate:down{option}\n{down_sql}"
        return [_create(new.up, text)]
    if new.layout == "goose":
        head = "-- +goose NO TRANSACTION\n" if outside else ""
        return [_create(new.up, f"{head}-- +goose Up\n{up_sql}\n-- +goose Down\n{down_sql}")]
    out = [_create(new.up, up_sql)]
    if new.down is not None:
        out.append(_create(new.down, down_sql))
    return out


def _create(path: str, content: str) -> Edit:
    return Edit(path, 1, 1, 1, 1, content, new_file=True)


def _own_down_edit(ctx: RuleContext, mig: ParsedMigration, lines: list[str]) -> Edit | None:
    """The statements put before the first one of the migration's own down script that
    is not a SET (a lock_timeout set first stays first)."""
    down = mig.down
    first = next((st for st in (down.statements if down is not None else ())
                  if not all(isinstance(x, o.SetSetting) for x in st.ops)), None)
    if first is None:
        return None
    text = statement_text(ctx, first)
    if text is None:
        return None
    pad = indent(text)
    return text.insert(0, "".join(f"{line};\n{pad}" for line in lines))


def _own_drop(ctx: RuleContext, index: object) -> Edit | None:
    """An edit removing the statement of the migration's own down that drops `index`
    alone, if there is one."""
    down = ctx.migration.down
    for st in down.statements if down is not None else ():
        if len(st.ops) == 1 and isinstance(st.ops[0], o.DropIndex) and (
                st.ops[0].names == (index,)):
            text = statement_text(ctx, st)
            if text is None:
                return None
            whole = StatementText(text.sql + st.tail, text.path, text.line, text.column)
            return whole.replace(0, len(whole.sql), "")
    return None


def _has_down_statements(mig: ParsedMigration) -> bool:
    return mig.down is not None and bool(mig.down.statements)


def _word(name: str) -> str:
    """An index name as a part of a file name."""
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "index"
