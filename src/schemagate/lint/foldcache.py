"""A cache of linted history prefixes, so that a run over an unchanged history does almost
no work, and a run after one changed file starts from the migration before it.

After some migrations of a history the engine's `HistoryState` (the folded catalog, the
findings so far, the digests the history-wide rules keep) is stored under a key that names
everything the state depends on: the code of every stage it runs, the settings, whether
every migration is reported, whether the history has down migrations (a rule over each
migration reads it), and, in a chain, each migration of the prefix — its discovery record
(layout, version, transaction mode, paths), the bytes of its files, and whether it is
reported (`--changed-since`: the state holds only reported migrations' findings, and does
not depend on which later ones are reported, so the run on a new file resumes from a state
the run on the file before it kept). A change anywhere changes
the key of every state after it and of none before it, so a later run resumes from the
last state saved before its first changed migration; nothing is ever invalidated, old
entries are pruned when the folder outgrows its limit.

States are kept after the last migration and the two before it (a new migration, or the
newest one edited: the pre-commit case) and every `STRIDE` migrations (an older one
edited). Entries use the parse cache's signed, atomically written store, in a folder of
their own; with `--no-cache`, or a live database (whose table sizes change the findings),
there is no fold cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING

from schemagate.lint.engine import HistoryState
from schemagate.lint.resultcache import source_digest
from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import (
    DeferredMigration,
    MigrationSource,
    ParsedMigration,
    rollback_units,
)
from schemagate.model.settings import Settings
from schemagate.parse.cache import ParseCache, open_store
from schemagate.parse.load import Deferring

if TYPE_CHECKING:
    from schemagate.model.catalog import Catalog

# Bump when HistoryState or what it holds changes shape without a code change elsewhere.
FORMAT = 1
STRIDE = 512
# Everything a history state depends on, and every stage that makes one.
_PACKAGES = ("model", "parse", "fold", "graph", "rules", "lint")


@dataclass
class _Saved:
    """One entry: the engine's state, and what parsing its migrations reported."""

    state: HistoryState
    # Per deferred migration of the prefix, in order: errors, notices, files read.
    reports: list[tuple[list[InputError], list[Notice], dict[str, InputError | None]]]


@dataclass
class FoldCache:
    """The engine's `Checkpoints`, kept in a signed store; see the module docstring."""

    store: ParseCache
    loaded: Deferring
    base: bytes  # the key of everything but the migrations
    # Texts read in place of files (`lint --fix`'s passes): a migration is keyed by them.
    overrides: Mapping[str, str] = field(default_factory=dict)
    chains: dict[str, list[str]] = field(default_factory=dict)  # folder → key per position
    items: dict[str, Sequence[ParsedMigration | DeferredMigration]] = field(
        default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)  # folder → position resumed at
    # Migrations' digests the result cache already read (lint/resultcache.py), by source.
    digests: Mapping[MigrationSource, bytes] = field(default_factory=dict)
    report: set[str] | None = None  # the migrations to report; None: all

    def resume(self, folder: str, history: Sequence[ParsedMigration | DeferredMigration],
               uses_down: bool) -> HistoryState | None:
        h = hashlib.blake2b(self.base, digest_size=20)
        h.update(f"{folder}\0{uses_down}\0".encode())
        chain = [h.hexdigest()]
        for mig in history:
            digest = self.digests.get(mig.source)
            h.update(digest if digest is not None else source_digest(mig.source,
                                                                     self.overrides))
            # Whether the migration is reported is part of the state after it (its
            # findings); the migrations reported after a state are not (only reported ones
            # are judged), so a pre-commit run on a new file resumes from a state the run
            # on the file before it saved.
            h.update(b"R" if self.report is not None and mig.name in self.report else b"-")
            chain.append(h.hexdigest())
        self.chains[folder], self.items[folder] = chain, history
        # A state is resumed from only where a unit of rollback starts: one saved at the end
        # of a history whose next, new migration joins the last unit would split it.
        starts = set(accumulate((len(unit) for unit in rollback_units(history)), initial=0))
        for position in sorted(_positions(len(history)) & starts, reverse=True):
            saved = self.store.get(chain[position])
            if not isinstance(saved, _Saved) or saved.state.position != position:
                continue
            deferred = [m for m in history[:position] if isinstance(m, DeferredMigration)]
            if len(deferred) != len(saved.reports):
                continue
            for mig, report in zip(deferred, saved.reports, strict=True):
                self.loaded.restore(mig, *report)
            self.resumed[folder] = position
            return saved.state
        return None

    def wanted(self, folder: str, position: int, total: int) -> bool:
        resumed = self.resumed.get(folder)
        if resumed is not None and position == total and resumed >= total - 2:
            # Resumed just before the end (the newest migration edited, or one added): the
            # end state would serve only a run with nothing changed, which the result cache
            # answers, and pickling a large schema costs more than linting the migrations
            # after the state resumed from. The next run resumes from that state again.
            return False
        return (position in _positions(total) and position > (resumed or 0)
                and not _generated(self.items[folder][position - 1].source))

    def ends(self) -> dict[str, str]:
        """Per history, the key its state after the last migration is (or would be) kept
        under: what the result cache reads the schemas back from."""
        return {folder: chain[-1] for folder, chain in self.chains.items()}

    def save(self, folder: str, state: HistoryState) -> None:
        history = self.items[folder]
        reports = [self.loaded.reports_of(m) for m in history[:state.position]
                   if isinstance(m, DeferredMigration)]
        self.store.put(self.chains[folder][state.position], _Saved(state, reports))


def open_fold_cache(settings: Settings, loaded: Deferring, report: set[str] | None,
                    overrides: Mapping[str, str] | None = None, *,
                    digests: Mapping[MigrationSource, bytes] | None = None
                    ) -> FoldCache | None:
    """The fold cache for one lint run; None when the settings turn caching off.
    ``digests``: migrations' digests already read (`resultcache.source_digest`)."""
    store = _store(settings)
    if store is None:
        return None
    # The store's salt is the code of the stages: a state saved by other code (other rules,
    # another fold) must not be resumed from. Which migrations are reported is keyed per
    # migration, in the chain (`FoldCache.resume`).
    base = hashlib.blake2b(store.salt + f"\0{settings!r}\0{report is None}".encode()).digest()
    return FoldCache(store, loaded, base, overrides or {}, digests=digests or {},
                     report=set(report) if report is not None else None)


def end_catalogs(settings: Settings, ends: Mapping[str, str]) -> dict[str, Catalog] | None:
    """The schemas the histories end with, from the states kept under ``ends`` (`ends`);
    None when any of them is not kept."""
    store = _store(settings)
    if store is None:
        return None
    out = {}
    for folder, key in ends.items():
        saved = store.get(key)
        if not isinstance(saved, _Saved):
            return None
        out[folder] = saved.state.catalog
    return out


def _store(settings: Settings) -> ParseCache | None:
    from schemagate.parse.cache import DEFAULT_LIMIT_BYTES

    store = open_store(settings, f"fold-{FORMAT}", _PACKAGES)
    if store is not None:
        store.limit_bytes = DEFAULT_LIMIT_BYTES
    return store


def _generated(source: MigrationSource) -> bool:
    """Whether a migration has a file too large for the parse cache (`ParseCache.admits`):
    the state after it is not kept either. Pickling the schema a 20 MB generated migration
    leaves took half a gigabyte on top of the lint; a run that changes nothing is answered by
    the result cache, and one that changes something after it folds it again, in linear
    time."""
    from schemagate.parse import cache

    for script in (source.up, source.down):
        if script is None:
            continue
        try:
            if os.path.getsize(script.path) > cache.MAX_ENTRY_SOURCE_BYTES:
                return True
        except OSError:
            pass
    return False


def _positions(total: int) -> set[int]:
    """The positions whose state is kept: the end, the two before, every STRIDE."""
    return {p for p in (total, total - 1, total - 2) if p > 0} | set(
        range(STRIDE, total, STRIDE))
