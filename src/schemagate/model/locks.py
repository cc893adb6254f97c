"""PostgreSQL's table lock modes and the hazards of a change: the words every stage uses.

The eight modes, their order and their conflict table are those of the manual's "Explicit
Locking" page (13.3.1, Table 13.2). A mode prints as PostgreSQL writes it in `LOCK TABLE … IN
<mode> MODE` ("ACCESS EXCLUSIVE"); `pg_locks` spells it in CamelCase ("AccessExclusiveLock"),
which `LockMode.from_pg_locks` reads. Which statement takes which mode is in
`model.statement_locks`.
"""

from __future__ import annotations

from enum import StrEnum


class LockMode(StrEnum):
    """A table-level lock mode, weakest first."""

    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def rank(self) -> int:
        """0 for the weakest (ACCESS SHARE) to 7 for the strongest (ACCESS EXCLUSIVE)."""
        return _ORDER.index(self)

    def conflicts_with(self, other: LockMode) -> bool:
        """Whether a transaction holding one mode makes another asking for the other wait."""
        return other in _CONFLICTS[self]

    @property
    def blocks_reads(self) -> bool:
        """Plain SELECT (ACCESS SHARE) waits while this mode is held."""
        return self.conflicts_with(LockMode.ACCESS_SHARE)

    @property
    def blocks_writes(self) -> bool:
        """INSERT, UPDATE and DELETE (ROW EXCLUSIVE) wait while this mode is held."""
        return self.conflicts_with(LockMode.ROW_EXCLUSIVE)

    @property
    def effect(self) -> str:
        """What the application notices while the mode is held, in a few words."""
        return _EFFECTS.get(self, "")

    @property
    def pg_locks_name(self) -> str:
        """The mode as `pg_locks.mode` spells it: "AccessExclusiveLock"."""
        return "".join(word.capitalize() for word in self.value.split()) + "Lock"

    @classmethod
    def from_pg_locks(cls, name: str) -> LockMode | None:
        """The mode for a `pg_locks.mode` value; None for a non-table mode (SIReadLock)."""
        return _BY_PG_NAME.get(name)


_ORDER = tuple(LockMode)
_A = LockMode
# Table 13.2 "Conflicting Lock Modes": each mode and the modes it conflicts with.
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _A.ACCESS_SHARE: frozenset({_A.ACCESS_EXCLUSIVE}),
    _A.ROW_SHARE: frozenset({_A.EXCLUSIVE, _A.ACCESS_EXCLUSIVE}),
    _A.ROW_EXCLUSIVE: frozenset({_A.SHARE, _A.SHARE_ROW_EXCLUSIVE, _A.EXCLUSIVE,
                                 _A.ACCESS_EXCLUSIVE}),
    _A.SHARE_UPDATE_EXCLUSIVE: frozenset({_A.SHARE_UPDATE_EXCLUSIVE, _A.SHARE,
                                          _A.SHARE_ROW_EXCLUSIVE, _A.EXCLUSIVE,
                                          _A.ACCESS_EXCLUSIVE}),
    _A.SHARE: frozenset({_A.ROW_EXCLUSIVE, _A.SHARE_UPDATE_EXCLUSIVE, _A.SHARE_ROW_EXCLUSIVE,
                         _A.EXCLUSIVE, _A.ACCESS_EXCLUSIVE}),
    _A.SHARE_ROW_EXCLUSIVE: frozenset({_A.ROW_EXCLUSIVE, _A.SHARE_UPDATE_EXCLUSIVE, _A.SHARE,
                                       _A.SHARE_ROW_EXCLUSIVE, _A.EXCLUSIVE,
                                       _A.ACCESS_EXCLUSIVE}),
    _A.EXCLUSIVE: frozenset({_A.ROW_SHARE, _A.ROW_EXCLUSIVE, _A.SHARE_UPDATE_EXCLUSIVE,
                             _A.SHARE, _A.SHARE_ROW_EXCLUSIVE, _A.EXCLUSIVE,
                             _A.ACCESS_EXCLUSIVE}),
    _A.ACCESS_EXCLUSIVE: frozenset(LockMode),
}
_EFFECTS = {
    _A.ACCESS_EXCLUSIVE: "blocks reads and writes",
    _A.EXCLUSIVE: "blocks writes; reads go on",
    _A.SHARE_ROW_EXCLUSIVE: "blocks writes",
    _A.SHARE: "blocks writes",
    _A.SHARE_UPDATE_EXCLUSIVE: "blocks schema changes and VACUUM; reads and writes go on",
    _A.ROW_EXCLUSIVE: "row locks only; reads and writes go on",
}
_BY_PG_NAME = {mode.pg_locks_name: mode for mode in LockMode}


class Hazard(StrEnum):
    """What a change risks besides its lock, as `schemagate diff` labels its steps."""

    REWRITE = "rewrite"  # every row is copied to a new file, indexes rebuilt
    MAY_REWRITE = "may-rewrite"  # a rewrite unless PostgreSQL proves the types compatible
    SCAN = "scan"  # every row is read to check a constraint
    DELETES_DATA = "deletes-data"
    NON_TRANSACTIONAL = "non-transactional"  # cannot run inside a transaction block
    FAILS_IF_ROWS = "fails-if-rows"  # NOT NULL without a default: no value for old rows
    IDENTITY_STARTS_AT_1 = "identity-starts-at-1"
