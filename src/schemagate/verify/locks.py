"""What a statement did, read from PostgreSQL's catalogs around it.

Before and after each statement, verify takes a `Snapshot` of the user relations (with their
relfilenodes) and constraints; the difference says what the statement created, dropped,
rewrote (a new relfilenode: the table or index was written anew) or validated. The locks are
read from `pg_locks` for one backend; inside a transaction they accumulate, so a statement
is given the locks that appeared after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemagate.model.locks import LockMode
from schemagate.verify.results import LockTaken, Rewrite

# Catalog and TOAST relations are locked by every statement (and by these queries): noise.
_USER_RELATIONS = """
SELECT c.oid, n.nspname || '.' || c.relname, c.relkind, c.relfilenode
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
"""

_CONSTRAINTS = """
SELECT con.oid, n.nspname || '.' || c.relname || '.' || con.conname, con.convalidated
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
"""

_LOCKS = """
SELECT l.relation, l.mode FROM pg_locks l
WHERE l.pid = %s AND l.locktype = 'relation' AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
"""

_KINDS = {"r": "table", "p": "table", "i": "index", "I": "index", "m": "materialized view",
          "S": "sequence", "v": "view", "c": "type", "f": "foreign table", "t": "toast"}

@dataclass
class Snapshot:
    # oid → (name, relkind, relfilenode); oid → (name, validated)
    relations: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    constraints: dict[int, tuple[str, bool]] = field(default_factory=dict)


def snapshot(cur: Any) -> Snapshot:
    snap = Snapshot()
    for oid, name, kind, node in cur.execute(_USER_RELATIONS).fetchall():
        snap.relations[int(oid)] = (name, kind, int(node))
    for oid, name, valid in cur.execute(_CONSTRAINTS).fetchall():
        snap.constraints[int(oid)] = (name, bool(valid))
    return snap


def held_locks(cur: Any, pid: int) -> set[tuple[int, str]]:
    """(relation oid, mode) of every relation lock the backend holds or waits for."""
    return {(int(oid), str(mode)) for oid, mode in cur.execute(_LOCKS, (pid,)).fetchall()}


def name_locks(locks: set[tuple[int, str]], *snaps: Snapshot) -> list[LockTaken]:
    """Locks on user relations, named from the snapshots (a dropped relation is only in the
    one taken before the statement); catalog relations are left out."""
    names: dict[int, str] = {}
    for snap in snaps:
        names.update({oid: rel[0] for oid, rel in snap.relations.items()})
    out = {LockTaken(names[oid], mode) for oid, mode in locks if oid in names}
    return sorted(out, key=lambda lock: (lock.relation, _strength(lock.mode)))


def _strength(mode: str) -> int:
    """Weakest first, for a stable order in reports; modes that are not table modes last."""
    known = LockMode.from_pg_locks(mode)
    return known.rank if known is not None else len(LockMode)


@dataclass
class Changes:
    rewrites: list[Rewrite] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)


def changes(before: Snapshot, after: Snapshot) -> Changes:
    out = Changes()
    # A relation dropped and created again under its name was rebuilt (an index on a column
    # whose type changed): a rewrite, not news.
    gone = {rel[0]: rel for oid, rel in before.relations.items() if oid not in after.relations}
    for oid, (name, kind, node) in sorted(after.relations.items(), key=lambda kv: kv[1][0]):
        old = before.relations.get(oid)
        label = _KINDS.get(kind, kind)
        if old is None and gone.get(name, ("", ""))[1] == kind:
            del gone[name]
            out.rewrites.append(Rewrite(name, label))
        elif old is None:
            out.created.append(f"{label} {name}")
        elif old[2] != node and node != 0 and kind in ("r", "i", "m", "t"):
            out.rewrites.append(Rewrite(name, label))
    out.dropped = [f"{_KINDS.get(kind, kind)} {name}" for name, kind, _ in sorted(gone.values())]
    for oid, (name, valid) in sorted(after.constraints.items(), key=lambda kv: kv[1][0]):
        old_con = before.constraints.get(oid)
        if old_con is None:
            out.created.append(f"constraint {name}" + ("" if valid else " (NOT VALID)"))
        elif valid and not old_con[1]:
            out.validated.append(f"constraint {name}")
    return out
