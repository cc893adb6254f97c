"""The command line: click commands that wire the stages together, and nothing else.

Imports of the stages are inside the commands, so that `schemagate lint one.sql` in a
pre-commit hook pays only for what it uses.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from schemagate import __version__

LINT_FORMATS = ("text", "json", "github")


class Failure(Exception):
    """A problem the user can fix: printed as one line, exit code 2, no traceback."""


def _fail(message: str) -> NoReturn:
    raise Failure(message)


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _variables(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            _fail(f"--var expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def write_output(text: str, output: str | None) -> None:
    """Write to the file atomically (never a half-written report), or to standard output."""
    if not output or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


def _run(debug: bool, body: Callable[[], int]) -> NoReturn:
    try:
        code = body()
    except Failure as exc:
        click.echo(f"schemagate: error: {exc}", err=True)
        code = 2
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # the promise: no traceback unless --debug
        if debug:
            raise
        click.echo(f"schemagate: internal error: {type(exc).__name__}: {exc} "
                   "(run again with --debug for the traceback, and please report it)", err=True)
        code = 2
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemagate")
def main() -> None:
    """schemagate: a quality gate for database schema changes."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(LINT_FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@click.option("--dialect", type=click.Choice(["postgres", "mysql", "sqlite"]),
              help="SQL dialect of the migrations (default: postgres).")
@click.option("--select", help="Comma-separated rule ids or families to enable (only these).")
@click.option("--ignore", help="Comma-separated rule ids or families to disable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              help="Lowest severity that makes the exit code 1 (default: error).")
@click.option("--pg-version", type=click.IntRange(9, 99),
              help="PostgreSQL major version the migrations will run on (default: 16).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file (default: nearest pyproject.toml or schemagate.toml).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill a template placeholder ({{ NAME }}, ${NAME}) before parsing.")
@click.option("--db", "db_url", metavar="URL",
              help="A live PostgreSQL to read table sizes from (read-only).")
@click.option("--no-help", "no_help", is_flag=True, help="Text format: omit the help lines.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a tty).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def lint(paths: tuple[str, ...], fmt: str, output: str | None, dialect: str | None,
         select: str | None, ignore: str | None, fail_on: str | None, pg_version: int | None,
         config_file: str | None, variables: tuple[str, ...], db_url: str | None,
         no_help: bool, color: bool | None, debug: bool) -> None:
    """Lint migrations (files or folders; default: discovered from the current folder)."""

    def body() -> int:
        # A lint run builds many small acyclic objects (parse trees, operations) and exits:
        # the cycle collector would walk that growing heap again and again for nothing
        # (a third of the run time on 2,000 migrations). Reference counting frees the rest.
        gc.disable()
        settings = _settings(config_file, dialect, select, ignore, fail_on, pg_version,
                             variables)
        from schemagate.lint.engine import UnknownRuleError
        from schemagate.lint.engine import lint as run_lint
        from schemagate.parse.discover import discover
        from schemagate.parse.load import load_migrations

        found = discover(list(paths) or ["."])
        sources = found.migrations
        if settings.dialect != "postgres":
            sources = [replace(s, dialect=settings.dialect) if s.dialect == "postgres" else s
                       for s in sources]
        loaded = load_migrations(sources, variables=settings.variables,
                                 transactions=settings.transactions)
        stats = _live_stats(db_url) if db_url else None
        try:
            result = run_lint(loaded.migrations, settings, stats=stats)
        except UnknownRuleError as exc:
            _fail(str(exc))
        result.errors = found.errors + loaded.errors
        result.notices = found.notices + loaded.notices
        result.files = loaded.files
        if not found.migrations and not found.errors:
            result.notices.append(_no_migrations(paths))
        write_output(_render(result, fmt, no_help, color, output), output)
        return result.exit_code(settings.fail_on)

    _run(debug, body)


def _live_stats(url: str) -> Any:
    from schemagate.diff.connect import DatabaseError
    from schemagate.diff.stats import table_stats

    try:
        return table_stats(url)
    except DatabaseError as exc:
        _fail(str(exc))


def _no_migrations(paths: Sequence[str]) -> Any:
    from schemagate.model.findings import Notice

    return Notice(", ".join(paths) or ".", "no migrations found")


def _render(result: Any, fmt: str, no_help: bool, color: bool | None, output: str | None) -> str:
    if fmt == "json":
        from schemagate.reports.json_report import render_json

        # Indented for a person at a terminal, or for a small file; compact for big runs.
        pretty = (output in (None, "-") and sys.stdout.isatty()) or len(result.findings) < 2000
        return render_json(result, pretty=pretty)
    if fmt == "github":
        from schemagate.reports.github import render_github

        return render_github(result)
    from schemagate.reports.text import render_text

    tty = output in (None, "-") and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render_text(result, colour=tty if color is None else color, show_help=not no_help)


def _settings(config_file: str | None, dialect: str | None, select: str | None,
              ignore: str | None, fail_on: str | None, pg_version: int | None,
              variables: Sequence[str]) -> Any:
    from schemagate.lint.config import ConfigError, load_config, parse_fail_on

    try:
        settings, _ = load_config(Path(config_file) if config_file else None, Path.cwd())
    except ConfigError as exc:
        _fail(str(exc))
    if config_file and not Path(config_file).is_file():
        _fail(f"config file not found: {config_file}")
    changes: dict[str, Any] = {}
    if dialect:
        changes["dialect"] = dialect
    if select is not None:
        changes["select"] = _csv(select)
    if ignore is not None:
        changes["ignore"] = settings.ignore + _csv(ignore)
    if fail_on:
        changes["fail_on"] = parse_fail_on(fail_on)
    if pg_version:
        changes["pg_version"] = pg_version
    if variables:
        changes["variables"] = {**settings.variables, **_variables(variables)}
    return replace(settings, **changes)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(fmt: str) -> None:
    """List every rule: id, family, default severity, one-line summary."""
    from schemagate.rules.registry import all_rules

    rules = all_rules()
    if fmt == "json":
        import json

        click.echo(json.dumps([{"id": r.id, "family": r.family, "severity": str(r.severity),
                                "summary": r.summary, "aliases": list(r.aliases),
                                "enabled": r.enabled_by_default} for r in rules], indent=2))
        return
    width = max(len(r.id) for r in rules)
    for r in rules:
        off = "" if r.enabled_by_default else " (off by default)"
        click.echo(f"{r.id:<{width}}  {r.family:<12} {r.severity!s:<8} {r.summary}{off}")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Show a rule's full documentation (ids and aliases are accepted)."""
    from schemagate.rules.registry import by_id

    found = by_id(rule)
    if found is None:
        click.echo(f"schemagate: error: unknown rule {rule!r} (see `schemagate rules`)",
                   err=True)
        sys.exit(2)
    header = f"# {found.id} ({found.family}, {found.severity})"
    aliases = f"\nAlso known as: {', '.join(found.aliases)}\n" if found.aliases else ""
    click.echo(f"{header}\n\n{found.summary}\n{aliases}\n{found.doc}")


# --- backup and verify ------------------------------------------------------------------

def _load_strictly(paths: Sequence[str], config_file: str | None,
                   variables: Sequence[str]) -> Any:
    """The parsed migrations, or a Failure listing every input error with file and line.

    backup and verify act on the migrations (they write SQL, or run it): an unparsable file
    is not a finding to report after the others but a reason not to act at all.
    """
    from schemagate.parse.discover import discover
    from schemagate.parse.load import load_migrations

    settings = _settings(config_file, None, None, None, None, None, variables)
    found = discover(list(paths) or ["."])
    loaded = load_migrations(found.migrations, variables=settings.variables,
                             transactions=settings.transactions)
    errors = found.errors + loaded.errors
    if errors:
        lines = [":".join(str(p) for p in (e.path, e.line, e.column) if p is not None)
                 + f": {e.message}" for e in errors]
        _fail("cannot use these migrations:\n  " + "\n  ".join(lines))
    if not loaded.migrations:
        _fail(f"no migrations found in {', '.join(paths) or '.'}")
    return loaded.migrations


def _start_index(migrations: Sequence[Any], start: str | None) -> int:
    """Position of the migration named by --from (its name, version or file name)."""
    if start is None:
        return 0
    for i, mig in enumerate(migrations):
        script = mig.source.up or mig.source.down
        names = {mig.name, mig.source.version, Path(script.path).name if script else None}
        if start in names:
            return i
    _fail(f"--from {start}: no such migration (known: "
          f"{', '.join(m.name for m in migrations[:10])}{' …' if len(migrations) > 10 else ''})")


@main.command("backup")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write backup.sql and restore.sql into.")
@click.option("--db", help="Live PostgreSQL to read table shapes and statistics from "
              "(read-only): sizes and times in the header, keys the history does not know.")
@click.option("--from", "start", metavar="MIGRATION",
              help="First migration still to run; earlier ones only build the schema "
                   "(default: every migration given is still to run).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file (default: nearest pyproject.toml or schemagate.toml).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill a template placeholder ({{ NAME }}, ${NAME}) before parsing.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def backup_command(paths: tuple[str, ...], output_dir: str, db: str | None, start: str | None,
                   config_file: str | None, variables: tuple[str, ...], debug: bool) -> None:
    """Write backup.sql and restore.sql for the data the migrations destroy."""

    def body() -> int:
        from schemagate.backup import (
            plan_backup,
            read_facts,
            render_scripts,
            tables_to_read,
            with_facts,
        )
        from schemagate.diff.connect import DatabaseError

        migrations = _load_strictly(paths, config_file, variables)
        plan = plan_backup(migrations, _start_index(migrations, start))
        stats = None
        if db:
            try:
                facts = read_facts(db, *tables_to_read(plan))
            except DatabaseError as exc:
                _fail(str(exc))
            plan, stats = with_facts(plan, facts), facts.stats
        scripts = render_scripts(plan, stats=stats)
        folder = Path(output_dir)
        write_output(scripts.backup, str(folder / "backup.sql"))
        write_output(scripts.restore, str(folder / "restore.sql"))
        click.echo(f"wrote {folder / 'backup.sql'} and {folder / 'restore.sql'}: "
                   f"{len(plan.saves)} save{'s' if len(plan.saves) != 1 else ''} into schema "
                   f"{scripts.schema}")
        for save in plan.saves:
            what = "every row" if save.kind == "table" else ", ".join(save.columns)
            click.echo(f"  [{save.number}] {save.table.name}: {what}")
        for note in plan.notes:
            click.echo(f"  note: {note.message}")
        return 0

    _run(debug, body)
