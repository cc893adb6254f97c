"""From discovered migrations to parsed ones: read each script, pick its frontend, parse.

One bad file never stops the others: its error is collected and the rest are parsed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from schemagate.model.errors import SchemagateError
from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import (
    DeferredMigration,
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    Script,
    TransactionMode,
)
from schemagate.model.settings import Settings
from schemagate.parse.frontend import FileFrontend, script_frontend
from schemagate.parse.placeholders import without_meta_commands
from schemagate.parse.sections import marker_span
from schemagate.parse.source import SourceText, read_source, with_placeholders
from schemagate.parse.transactions import resolved_mode

T = TypeVar("T")
# A statement nested as deep as PostgreSQL's parser allows (it stops near 10,000 levels)
# becomes a tree some 60,000 levels deep: Python's JSON decoder and the translators recurse
# once a level. Such a file is parsed again on a thread with room for that.
_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 400_000
_TOO_DEEP = ("a statement is nested too deeply to analyse (an expression or subquery "
             "thousands of levels deep)")

if TYPE_CHECKING:  # a run with --no-cache never imports the cache (pickle, hashlib)
    from schemagate.parse.cache import ParseCache


@dataclass
class Loaded:
    """The migrations discovered and parsed, with the errors and notices met on the way."""

    migrations: list[ParsedMigration] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: int = 0
    fill_all: bool = False
    # Texts that stand for files' contents, by the path discovery gave (an editor's buffers).
    overrides: Mapping[str, str] = field(default_factory=dict)


def load_migrations(
    sources: Iterable[MigrationSource],
    *,
    variables: Mapping[str, str] | None = None,
    transactions: Mapping[str, TransactionMode] | None = None,
    root: Path | None = None,
    fill_placeholders: bool = False,
    cache: ParseCache | None = None,
    overrides: Mapping[str, str] | None = None,
    django_states: dict[str, object] | None = None,
    into: Loaded | None = None,
    texts: dict[str, SourceText | InputError] | None = None,
) -> Loaded:
    """Parse every migration; ``transactions`` overrides a layout's transaction mode, and
    ``fill_placeholders`` fills the placeholders no variable names (each in a notice).
    ``overrides`` gives the text of some scripts by path, read instead of the file (an
    editor's unsaved buffer).

    With a ``cache``, a script whose frontend inputs were seen before is read back from it
    instead of parsed, and new results are stored in it. (``django_states``, ``into`` and
    ``texts`` let `defer_migrations` load one source at a time.)
    """
    loaded = into if into is not None else Loaded(fill_all=fill_placeholders,
                                                  overrides=overrides or {})
    texts = texts if texts is not None else {}
    # Per Django project: its models, file after file.
    django_states = django_states if django_states is not None else {}
    for source in sources:
        if source.layout == "django":  # in graph order: each file sees the models before it
            frontend = _django_frontend(source, django_states)
            loaded.migrations.append(_parse_file(frontend, source, texts, variables, root,
                                                 loaded))
            continue
        if source.layout == "alembic":  # one .py file: the header, upgrade() and downgrade()
            if transactions and "alembic" in transactions:
                mode = transactions["alembic"]
                source = replace(source, up=source.up and replace(source.up, transaction=mode),
                                 down=source.down and replace(source.down, transaction=mode))
            loaded.migrations.append(_parse_alembic(source, texts, variables, root, loaded,
                                                    cache))
            continue
        up = _parse(source, source.up, texts, variables, transactions, root, loaded, cache)
        down = _parse(source, source.down, texts, variables, transactions, root, loaded, cache)
        loaded.migrations.append(ParsedMigration(source, up, down))
    loaded.files = len(texts)
    if cache is not None and into is None:
        cache.prune()
    return loaded


@dataclass
class Deferring:
    """Migrations for the engine to parse one at a time (`DeferredMigration`), and what
    their parsing reports, gathered in the order of the sources whatever order the engine
    parses them in, so that it reads as `load_migrations` would have said it."""

    migrations: list[ParsedMigration | DeferredMigration] = field(default_factory=list)
    buckets: list[Loaded] = field(default_factory=list)  # per source, its errors and notices
    paths: dict[str, bool] = field(default_factory=dict)  # script paths read → unreadable
    unreadable: dict[str, InputError] = field(default_factory=dict)
    django_states: dict[str, object] = field(default_factory=dict)
    # Each deferred migration's bucket: a run that starts from a cached state puts back what
    # the migrations before it reported (`restore`).
    bucket_of: dict[DeferredMigration, Loaded] = field(default_factory=dict)

    def reports_of(self, mig: DeferredMigration) -> tuple[list[InputError], list[Notice],
                                                          dict[str, InputError | None]]:
        """What parsing the migration reported, and the files it read (None: readable)."""
        bucket = self.bucket_of[mig]
        paths = {s.path: self.unreadable.get(s.path) for s in (mig.source.up, mig.source.down)
                 if s is not None and s.path in self.paths}
        return list(bucket.errors), list(bucket.notices), paths

    def restore(self, mig: DeferredMigration, errors: list[InputError], notices: list[Notice],
                paths: dict[str, InputError | None]) -> None:
        """Put back what `reports_of` said, for a migration this run will not parse."""
        bucket = self.bucket_of[mig]
        bucket.errors[:], bucket.notices[:] = errors, notices
        for path, error in paths.items():
            self.paths[path] = error is not None
            if error is not None:
                self.unreadable[path] = error

    @property
    def errors(self) -> list[InputError]:
        return [e for b in self.buckets for e in b.errors]

    @property
    def notices(self) -> list[Notice]:
        return [n for b in self.buckets for n in b.notices]

    @property
    def files(self) -> int:
        return len(self.paths)


def defer_migrations(
    sources: Iterable[MigrationSource],
    *,
    variables: Mapping[str, str] | None = None,
    transactions: Mapping[str, TransactionMode] | None = None,
    fill_placeholders: bool = False,
    cache: ParseCache | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Deferring:
    """`load_migrations`, deferred: each migration is parsed when the engine asks for it,
    except Alembic's and Django's, parsed here because their order is in their headers
    (Django's also because each file is read against the models of the ones before it)."""
    out = Deferring()
    for source in sources:
        bucket = Loaded(fill_all=fill_placeholders, overrides=overrides or {})
        out.buckets.append(bucket)
        if source.layout in ("alembic", "django"):
            texts: dict[str, SourceText | InputError] = {}
            loaded = load_migrations([source], variables=variables, transactions=transactions,
                                     fill_placeholders=fill_placeholders, cache=cache,
                                     django_states=out.django_states,
                                     into=bucket, texts=texts)
            _note_paths(out, texts)
            out.migrations.append(loaded.migrations.pop())
            continue
        later = _Later(out, source, bucket, variables, transactions, cache)
        deferred = DeferredMigration(source, later.parse, later.has_down)
        out.bucket_of[deferred] = bucket
        out.migrations.append(deferred)
    return out


def _note_paths(out: Deferring, texts: Mapping[str, SourceText | InputError]) -> None:
    for path, text in texts.items():
        out.paths[path] = isinstance(text, InputError)
        if isinstance(text, InputError):
            out.unreadable[path] = text


@dataclass
class _Later:
    """One deferred migration's parse."""

    out: Deferring
    source: MigrationSource
    bucket: Loaded
    variables: Mapping[str, str] | None
    transactions: Mapping[str, TransactionMode] | None
    cache: ParseCache | None

    def _texts(self) -> dict[str, SourceText | InputError]:
        # A file another migration could not read is reported once, as `load_migrations` does.
        return {s.path: self.out.unreadable[s.path] for s in (self.source.up, self.source.down)
                if s is not None and s.path in self.out.unreadable}

    def parse(self) -> ParsedMigration:
        texts = self._texts()
        up = _parse(self.source, self.source.up, texts, self.variables, self.transactions,
                    None, self.bucket, self.cache)
        down = _parse(self.source, self.source.down, texts, self.variables, self.transactions,
                      None, self.bucket, self.cache)
        _note_paths(self.out, texts)
        return ParsedMigration(self.source, up, down)

    def has_down(self) -> bool:
        """Whether the down script holds statements; what parsing it reports is not kept
        here (the whole parse reports it)."""
        down = _parse(self.source, self.source.down, self._texts(), self.variables,
                      self.transactions, None, Loaded(fill_all=self.bucket.fill_all,
                                                      overrides=self.bucket.overrides),
                      self.cache)
        return down is not None and bool(down.statements or down.derived)


def _django_frontend(source: MigrationSource, states: dict[str, object]) -> FileFrontend:
    from functools import partial

    from schemagate.parse.django.frontend import parse_django
    from schemagate.parse.django.state import ProjectState

    state = states.setdefault(source.history, ProjectState())
    assert isinstance(state, ProjectState)
    return partial(parse_django, state=state)


def _read(file: Path, display: str, variables: Mapping[str, str] | None, loaded: Loaded,
          psql: bool = False) -> SourceText | InputError:
    """The file's text with its placeholders filled. ``psql``: a script psql runs as it is
    (Sqitch's), whose meta-command lines are not SQL and whose `\\set` variables are filled
    like the others (with a made-up value when no `--var` gives one)."""
    if psql:
        raw = (SourceText.of(display, loaded.overrides[display])
               if display in loaded.overrides else read_source(file, display))
        if isinstance(raw, InputError):
            return raw
        blanked, defined = without_meta_commands(raw.text)
        text: SourceText | InputError = raw if not defined and blanked == raw.text else (
            SourceText.of(display, blanked))
        assert isinstance(text, SourceText)
        # The variables the script `\set`s get their own name, unless `--var` gives one.
        given = {**{name: name for name in defined}, **(variables or {})}
        if given or loaded.fill_all:
            text = with_placeholders(text, given, loaded.fill_all)
    elif display in loaded.overrides:
        text = with_placeholders(
            SourceText.of(display, loaded.overrides[display]), variables or {}, loaded.fill_all)
    else:
        text = read_source(file, display, variables, fill_all=loaded.fill_all)
    if isinstance(text, SourceText):
        for placeholder, value in text.defaulted:
            line, _ = text.char_position_in_file(placeholder.start)
            loaded.notices.append(Notice(
                display, f"placeholder {placeholder.text} filled with `{value}` "
                f"(--var {placeholder.name}=VALUE gives the real value)", line))
    return text


def _parse_alembic(
    source: MigrationSource, texts: dict[str, SourceText | InputError],
    variables: Mapping[str, str] | None, root: Path | None, loaded: Loaded,
    cache: ParseCache | None,
) -> ParsedMigration:
    from schemagate.parse.alembic.frontend import parse_alembic

    return _parse_file(parse_alembic, source, texts, variables, root, loaded, cache)


def _parse_file(
    frontend: FileFrontend, source: MigrationSource,
    texts: dict[str, SourceText | InputError], variables: Mapping[str, str] | None,
    root: Path | None, loaded: Loaded, cache: ParseCache | None = None,
) -> ParsedMigration:
    """One file holding a whole migration. Only a frontend whose result depends on the file
    alone may pass a ``cache``: Django's depends on the models of the files before it."""
    script = source.up or source.down
    assert script is not None
    file = (root / script.path) if root else Path(script.path)
    text = texts[script.path] = _read(file, script.path, variables, loaded)
    if isinstance(text, InputError):
        loaded.errors.append(text)
        return ParsedMigration(source, ParsedScript(script, errors=[text]), None)
    if cache is not None and not cache.admits(text):
        cache = None
    key = cache.key(source.layout, text, source) if cache is not None else ""
    parsed = cache.get(key) if cache is not None else None
    if not isinstance(parsed, ParsedMigration):
        try:
            parsed = parse_deeply(frontend, text, source)
        except RecursionError:
            error = InputError(script.path, _TOO_DEEP)
            loaded.errors.append(error)
            return ParsedMigration(source, ParsedScript(script, errors=[error]), None)
        if cache is not None:
            cache.put(key, parsed)
    for part in (parsed.up, parsed.down):
        if part is not None:
            loaded.errors.extend(part.errors)
    return parsed


def _parse(
    source: MigrationSource, script: Script | None, texts: dict[str, SourceText | InputError],
    variables: Mapping[str, str] | None, transactions: Mapping[str, TransactionMode] | None,
    root: Path | None, loaded: Loaded, cache: ParseCache | None,
) -> ParsedScript | None:
    if script is None:
        return None
    if transactions and source.layout in transactions:
        script = replace(script, transaction=transactions[source.layout])
    if script.path not in texts:
        file = (root / script.path) if root else Path(script.path)
        texts[script.path] = _read(file, script.path, variables, loaded,
                                   psql=source.layout == "sqitch")
        text = texts[script.path]
        if isinstance(text, InputError):
            loaded.errors.append(text)
    text = texts[script.path]
    if isinstance(text, InputError):
        return ParsedScript(script, errors=[text])
    if cache is not None and not cache.admits(text):
        cache = None
    key = cache.key("script", text, (script, source.dialect)) if cache is not None else ""
    parsed = cache.get(key) if cache is not None else None
    if not isinstance(parsed, ParsedScript):
        try:
            parsed = parse_deeply(script_frontend(source.dialect), text, script, source.dialect)
        except RecursionError:
            parsed = ParsedScript(script, errors=[InputError(script.path, _TOO_DEEP)])
        if script.section is not None and parsed.span is None:
            parsed.span = marker_span(text.text, script.path, script.section, script.part)
        if cache is not None:
            cache.put(key, parsed)
    if parsed.script.transaction == "detected":  # the rules and verify see how it was decided
        mode = resolved_mode([st.ops for st in parsed.statements], script.transaction)
        parsed.script = replace(script, transaction=mode)
    loaded.errors.extend(parsed.errors)
    # Discovery already notes files of zero bytes; this catches files of comments only.
    if parsed.empty and script.section is None and text.text.strip():
        loaded.notices.append(Notice(script.path, "migration has no statements, only comments",
                                     1))
    return parsed


def parse_deeply(parse: Callable[..., T], *args: object) -> T:
    """``parse(*args)``, run again with a deep stack if the input nests past Python's limit.

    Almost every file parses on the first try, for free. Raises RecursionError when even
    the deep stack is not enough.
    """
    try:
        return parse(*args)
    except RecursionError:
        pass
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(parse(*args))
        except BaseException as exc:  # handed back to the calling thread below
            failure.append(exc)

    limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(_DEEP_STACK_BYTES)
    sys.setrecursionlimit(_DEEP_RECURSION_LIMIT)
    try:
        thread = threading.Thread(target=run, name="schemagate-deep-parse")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return outcome[0]


def load_strictly(paths: Sequence[str], settings: Settings,
                  error: type[SchemagateError] = SchemagateError) -> list[ParsedMigration]:
    """Every migration under ``paths`` (default: the current folder), parsed, for a command
    that acts on them (backup writes SQL for them, verify runs them): an unparsable file is
    not a finding to report after the others but a reason not to act, so ``error`` is raised
    listing every input error with file and line, or saying that there is no migration."""
    from schemagate.parse.layouts.discover import discover

    found = discover(list(paths) or ["."], dialect=settings.dialect)
    loaded = load_migrations(found.migrations, variables=settings.variables,
                             transactions=settings.transactions)
    errors = found.errors + loaded.errors
    if errors:
        lines = [":".join(str(p) for p in (e.path, e.line, e.column) if p is not None)
                 + f": {e.message}" for e in errors]
        raise error("cannot use these migrations:\n  " + "\n  ".join(lines))
    if not loaded.migrations:
        raise error(f"no migrations found in {', '.join(paths) or '.'}")
    return loaded.migrations
