"""From discovered migrations to parsed ones: read each script, pick its frontend, parse.

One bad file never stops the others: its error is collected and the rest are parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import (
    MigrationSource,
    ParsedMigration,
    ParsedScript,
    Script,
    TransactionMode,
)
from schemagate.parse.frontend import FileFrontend, script_frontend
from schemagate.parse.source import SourceText, read_source


@dataclass
class Loaded:
    migrations: list[ParsedMigration] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: int = 0


def load_migrations(
    sources: Iterable[MigrationSource],
    *,
    variables: Mapping[str, str] | None = None,
    transactions: Mapping[str, TransactionMode] | None = None,
    root: Path | None = None,
) -> Loaded:
    """Parse every migration; ``transactions`` overrides a layout's transaction mode."""
    loaded = Loaded()
    texts: dict[str, SourceText | InputError] = {}
    django_states: dict[str, object] = {}  # per project: its models, file after file
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
            loaded.migrations.append(_parse_alembic(source, texts, variables, root, loaded))
            continue
        up = _parse(source, source.up, texts, variables, transactions, root, loaded)
        down = _parse(source, source.down, texts, variables, transactions, root, loaded)
        loaded.migrations.append(ParsedMigration(source, up, down))
    loaded.files = len(texts)
    return loaded


def _django_frontend(source: MigrationSource, states: dict[str, object]) -> FileFrontend:
    from functools import partial

    from schemagate.parse.django.frontend import parse_django
    from schemagate.parse.django.state import ProjectState

    state = states.setdefault(source.history, ProjectState())
    assert isinstance(state, ProjectState)
    return partial(parse_django, state=state)


def _parse_alembic(
    source: MigrationSource, texts: dict[str, SourceText | InputError],
    variables: Mapping[str, str] | None, root: Path | None, loaded: Loaded,
) -> ParsedMigration:
    from schemagate.parse.alembic.frontend import parse_alembic

    return _parse_file(parse_alembic, source, texts, variables, root, loaded)


def _parse_file(
    frontend: FileFrontend, source: MigrationSource,
    texts: dict[str, SourceText | InputError], variables: Mapping[str, str] | None,
    root: Path | None, loaded: Loaded,
) -> ParsedMigration:
    script = source.up or source.down
    assert script is not None
    file = (root / script.path) if root else Path(script.path)
    text = texts[script.path] = read_source(file, script.path, variables)
    if isinstance(text, InputError):
        loaded.errors.append(text)
        return ParsedMigration(source, ParsedScript(script, errors=[text]), None)
    parsed = frontend(text, source)
    for part in (parsed.up, parsed.down):
        if part is not None:
            loaded.errors.extend(part.errors)
    return parsed


def _parse(
    source: MigrationSource, script: Script | None, texts: dict[str, SourceText | InputError],
    variables: Mapping[str, str] | None, transactions: Mapping[str, TransactionMode] | None,
    root: Path | None, loaded: Loaded,
) -> ParsedScript | None:
    if script is None:
        return None
    if transactions and source.layout in transactions:
        script = replace(script, transaction=transactions[source.layout])
    if script.path not in texts:
        file = (root / script.path) if root else Path(script.path)
        texts[script.path] = read_source(file, script.path, variables)
        text = texts[script.path]
        if isinstance(text, InputError):
            loaded.errors.append(text)
    text = texts[script.path]
    if isinstance(text, InputError):
        return ParsedScript(script, errors=[text])
    parsed = script_frontend(source.dialect)(text, script, source.dialect)
    loaded.errors.extend(parsed.errors)
    # Discovery already notes files of zero bytes; this catches files of comments only.
    if parsed.empty and script.section is None and text.text.strip():
        loaded.notices.append(Notice(script.path, "migration has no statements, only comments",
                                     1))
    return parsed
