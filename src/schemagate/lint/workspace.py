"""A workspace kept warm for an editor: its history parsed once, one file re-linted as typed.

`Workspace.open` discovers and parses the migrations under a folder exactly as
`schemagate lint` run there would (same discovery, same frontends, same parse cache), and
keeps the parsed IR. `update` puts an unsaved buffer in the place of its file and re-parses
only the migration that holds it (a Django migration re-parses its project: each file is
read with the models of the files before it). `lint_file` then runs the engine over the
whole history, reporting only the migrations that hold the file, so a statement is judged
with the schema the history before it built, as the command line judges it.

It renders nothing and knows nothing of editors; the language server (server/) speaks
the protocol around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from schemagate.lint.engine import enabled_rules, lint
from schemagate.model.findings import Finding, InputError
from schemagate.model.migration import MigrationSource, ParsedMigration
from schemagate.model.settings import Settings


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

    @classmethod
    def open(cls, root: Path, settings: Settings) -> Workspace:
        """Discover and parse the migrations under ``root``. Raises `UnknownRuleError` for a
        selection that names no rule, before any file is read."""
        enabled_rules(settings)
        workspace = cls(root.resolve(), settings)
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
        missing = [s for s in sources if s not in self.parsed]
        self._parse(self._with_projects(missing), cache=True)
        for source, mig in self.parsed.items():
            if source not in missing:
                for error in _errors_of(mig):
                    self.errors.setdefault(error.path, []).append(error)

    @property
    def migrations(self) -> list[ParsedMigration]:
        """The parsed migrations in discovery's order."""
        return [self.parsed[s] for s in self.sources if s in self.parsed]

    def path_of(self, file: Path) -> str | None:
        """The path discovery gives ``file`` (absolute), or None when it lies outside."""
        try:
            return file.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def holding(self, path: str) -> list[MigrationSource]:
        """The migrations a script at ``path`` belongs to."""
        return [s for s in self.sources
                if any(script is not None and script.path == path for script in (s.up, s.down))]

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
        holding = self.holding(path)
        if not holding:
            return FileLint()
        result = lint(self.migrations, self.settings, report={s.name for s in holding})
        return FileLint([f for f in result.active if f.span.path == path],
                        list(self.errors.get(path, [])))

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
        for error in loaded.errors:
            self.errors.setdefault(error.path, []).append(error)


def _errors_of(mig: ParsedMigration) -> list[InputError]:
    return [e for part in (mig.up, mig.down) if part is not None for e in part.errors]

