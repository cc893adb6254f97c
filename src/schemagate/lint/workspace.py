"""A workspace kept warm for an editor: its history parsed once, one file re-linted as typed.

`Workspace.open` discovers and parses the migrations under a folder exactly as
`schemagate lint` run there would (same discovery, same frontends, same parse cache), and
keeps the parsed IR. `update` puts an unsaved buffer in the place of its file and re-parses
only the migration that holds it (a Django migration re-parses its project: each file is
read with the models of the files before it). `lint_files` then runs the engine over the
whole history, reporting only the migrations that hold the files asked for, so a statement
is judged with the schema the history before it built, as the command line judges it.

A run need not fold the history from its start: the engine's state (`HistoryState`) is kept
in memory where each migration holding a buffer starts, and at each history's end, with the
migrations it was folded from. The next run resumes from the latest kept state whose
migrations are still the very same parsed objects (a re-parse makes new ones), so an edit
folds only from the edited migration on: the state is all the engine keeps of a prefix,
as the fold cache (lint/foldcache.py) relies on, and the findings equal a run from scratch.

It renders nothing and knows nothing of editors; the language server (server/) speaks
the protocol around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path

from schemagate.lint.engine import HistoryState, enabled_rules, lint
from schemagate.model.findings import Finding, InputError
from schemagate.model.migration import (
    DeferredMigration,
    MigrationSource,
    ParsedMigration,
    rollback_units,
)
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.stats import TableStats

History = Sequence[ParsedMigration | DeferredMigration]


@dataclass
class FileLint:
    """What the workspace says about one file: findings not suppressed, and input errors."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


@dataclass
class Workspace:
    """The migrations under ``root``, parsed, with the editor's buffers standing in for
    their files. Paths are as discovery gives them: relative to ``root``, with ``/``."""

    root: Path
    settings: Settings
    sources: list[MigrationSource] = field(default_factory=list)
    parsed: dict[MigrationSource, ParsedMigration] = field(default_factory=dict)
    # Input errors of discovery and parsing, by the path they name.
    errors: dict[str, list[InputError]] = field(default_factory=dict)
    buffers: dict[str, str] = field(default_factory=dict)
    # Live tables' sizes (`--db`), read once by the caller; they change severities.
    stats: Mapping[QName, TableStats] | None = None
    # The engine's states kept between runs: history folder → position → state.
    kept: dict[str, dict[int, _Kept]] = field(default_factory=dict)
    # `holding`'s index, for the list of sources it was made from.
    _held: tuple[list[MigrationSource], dict[str, list[MigrationSource]]] | None = field(
        default=None, repr=False)
    _ordered: list[ParsedMigration] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, root: Path, settings: Settings,
             stats: Mapping[QName, TableStats] | None = None) -> Workspace:
        """Discover and parse the migrations under ``root``. Raises `UnknownRuleError` for a
        selection that names no rule, before any file is read."""
        enabled_rules(settings)
        workspace = cls(root.resolve(), settings, stats=stats)
        workspace.refresh()
        return workspace

    def refresh(self) -> None:
        """Discover again (a file was created, renamed or deleted); parse what is new."""
        from schemagate.parse.layouts.discover import discover

        found = discover(["."], cwd=self.root, dialect=self.settings.dialect)
        sources = found.migrations
        if self.settings.dialect != "postgres":
            sources = [replace(s, dialect=self.settings.dialect) if s.dialect == "postgres"
                       else s for s in sources]
        self.sources = sources
        self.errors = {}
        for error in found.errors:
            self.errors.setdefault(error.path, []).append(error)
        known = set(sources)
        self.parsed = {s: m for s, m in self.parsed.items() if s in known}
        self._ordered = None
        missing = [s for s in sources if s not in self.parsed]
        self._parse(self._with_projects(missing), cache=True)
        for source, mig in self.parsed.items():
            if source not in missing:
                for error in _errors_of(mig):
                    self.errors.setdefault(error.path, []).append(error)

    @property
    def migrations(self) -> list[ParsedMigration]:
        """The parsed migrations in discovery's order."""
        if self._ordered is None:  # made again after a parse (looking sources up hashes them)
            self._ordered = [self.parsed[s] for s in self.sources if s in self.parsed]
        return list(self._ordered)

    def path_of(self, file: Path) -> str | None:
        """The path discovery gives ``file`` (absolute), or None when it lies outside."""
        try:
            return file.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def holding(self, path: str) -> list[MigrationSource]:
        """The migrations a script at ``path`` belongs to."""
        if self._held is None or self._held[0] is not self.sources:
            held: dict[str, list[MigrationSource]] = {}
            for s in self.sources:
                for p in dict.fromkeys(x.path for x in (s.up, s.down) if x is not None):
                    held.setdefault(p, []).append(s)
            self._held = (self.sources, held)
        return list(self._held[1].get(path, ()))

    def update(self, path: str, text: str | None) -> bool:
        """Let ``text`` stand for the file at ``path`` (None: the file on disk again) and
        re-parse the migrations that hold it. False when no migration does."""
        if text is None:
            self.buffers.pop(path, None)
        else:
            self.buffers[path] = text.removeprefix("\ufeff")
        holding = self.holding(path)
        if holding:
            self._parse(self._with_projects(holding), cache=False)
        return bool(holding)

    def lint_file(self, path: str) -> FileLint:
        """The findings and input errors of the file at ``path``, the whole history folded."""
        return self.lint_files([path])[path]

    def lint_files(self, paths: Iterable[str]) -> dict[str, FileLint]:
        """The findings and input errors of each file, from one run of the engine over the
        whole history. The files of every buffer are reported too (and not returned): what a
        migration is told does not depend on which others are reported, and one set of
        reported migrations from edit to edit lets the kept states serve every run."""
        wanted = list(dict.fromkeys(paths))
        reported = {s for p in [*wanted, *self.buffers] for s in self.holding(p)}
        out = {p: FileLint([], list(self.errors.get(p, []))) for p in wanted}
        if not any(self.holding(p) for p in wanted):
            return out
        edited = {s.name for p in self.buffers for s in self.holding(p)}
        report = frozenset(s.name for s in reported)
        result = lint(self.migrations, self.settings, report=report, stats=self.stats,
                      checkpoints=_Snapshots(self.kept, report, edited))
        for finding in result.active:
            if finding.span.path in out:
                out[finding.span.path].findings.append(finding)
        return out

    def _with_projects(self, sources: Iterable[MigrationSource]) -> list[MigrationSource]:
        """The sources, and for a Django one every migration of its project, in order."""
        wanted = set(sources)
        projects = {s.project for s in wanted if s.layout == "django"}
        return [s for s in self.sources
                if s in wanted or (s.layout == "django" and s.project in projects)]

    def _parse(self, sources: list[MigrationSource], *, cache: bool) -> None:
        """Parse the sources with the buffers standing for their files; a buffer's text is
        not stored in the parse cache (it changes with every keystroke)."""
        from schemagate.parse.load import load_migrations

        if not sources:
            return
        parse_cache = None
        if cache and self.settings.cache:
            from schemagate.parse.cache import open_cache

            parse_cache = open_cache(self.settings)
        paths = {script.path for s in sources for script in (s.up, s.down) if script}
        overrides = {p: t for p, t in self.buffers.items() if p in paths}
        loaded = load_migrations(sources, variables=self.settings.variables,
                                 transactions=self.settings.transactions,
                                 fill_placeholders=self.settings.fill_placeholders,
                                 root=self.root, cache=None if overrides else parse_cache,
                                 overrides=overrides)
        for path in paths:
            self.errors.pop(path, None)
        for source, mig in zip(sources, loaded.migrations, strict=True):
            self.parsed[source] = mig
        self._ordered = None
        for error in loaded.errors:
            self.errors.setdefault(error.path, []).append(error)


@dataclass
class _Kept:
    """The engine's state after the first `state.position` migrations of a history, with
    what it depends on besides the settings: those migrations (the very objects), the
    migrations reported (whose findings it holds), and whether the history has down paths."""

    prefix: tuple[ParsedMigration | DeferredMigration, ...]
    report: frozenset[str]
    uses_down: bool
    state: HistoryState


@dataclass
class _Snapshots:
    """The engine's `Checkpoints` for one run, over the workspace's kept states: states are
    kept where a unit of rollback holding a buffer starts and at each history's end."""

    kept: dict[str, dict[int, _Kept]]
    report: frozenset[str]
    edited: set[str]  # the names of the migrations holding a buffer
    wanted_at: dict[str, set[int]] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)

    def resume(self, folder: str, history: History, uses_down: bool) -> HistoryState | None:
        units = rollback_units(history)
        starts = list(accumulate((len(unit) for unit in units), initial=0))
        wanted = {len(history)} | {start for start, unit in zip(starts, units, strict=False)
                                   if any(m.name in self.edited for m in unit)}
        self.wanted_at[folder], self.histories[folder] = wanted, history
        kept = self.kept.setdefault(folder, {})
        boundaries = set(starts)
        for position in sorted(kept, reverse=True):
            saved = kept[position]
            if (position in wanted and position in boundaries and saved.report == self.report
                    and saved.uses_down == uses_down and len(history) >= position
                    and all(a is b for a, b in zip(saved.prefix, history, strict=False))):
                return _copied(saved.state)
            del kept[position]  # its migrations were parsed again, or it is wanted no more
        return None

    def wanted(self, folder: str, position: int, total: int) -> bool:
        return position in self.wanted_at.get(folder, ())

    def save(self, folder: str, state: HistoryState) -> None:
        prefix = tuple(self.histories[folder][:state.position])
        self.kept.setdefault(folder, {})[state.position] = _Kept(
            prefix, self.report, state.uses_down, _copied(state))


def _copied(state: HistoryState) -> HistoryState:
    """A copy of a state that the engine's fold, which changes its catalogs and digests in
    place, leaves alone (the catalogs' records are immutable and shared)."""
    unknown = state.unknown
    return HistoryState(
        state.catalog.copy(), state.uses_down,
        replace(unknown, catalog=unknown.catalog.copy()) if unknown is not None else None,
        state.position, state.statements, list(state.findings),
        {rule: digests.copy() for rule, digests in state.collected.items()},
        state.around.copy(), set(state.gone))


def _errors_of(mig: ParsedMigration) -> list[InputError]:
    return [e for part in (mig.up, mig.down) if part is not None for e in part.errors]

