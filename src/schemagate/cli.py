"""The command line: click commands that wire the stages together, and nothing else.

Imports of the stages are inside the commands, so that `schemagate lint one.sql` in a
pre-commit hook pays only for what it uses.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from schemagate import __version__
from schemagate.console import encoded, run_command, write_output
from schemagate.model.errors import SchemagateError
from schemagate.replay import MAX_REPORT_CHARS, Request
from schemagate.startup import kept_dataclass_code

if TYPE_CHECKING:
    from schemagate.model.migration import ParsedMigration

LINT_FORMATS = ("text", "json", "github", "sarif", "markdown", "html", "gitlab")
# The formats made from the findings alone (SARIF and GitLab also ask git for the repository's
# root; Markdown and HTML read the schemas): what a journal entry may replay.
REPLAYED_FORMATS = ("text", "json", "github")


def _fail(message: str) -> NoReturn:
    raise SchemagateError(message)


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


# Where the settings come from, and the template values: every command that reads migrations.
_CONFIG_OPTIONS = (
    click.option("--config", "config_file", type=click.Path(dir_okay=False),
                 help="Settings file (default: nearest pyproject.toml or schemagate.toml)."),
    click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                 help="Fill a template placeholder ({{ .NAME }}, ${NAME}, psql :NAME) before "
                      "parsing."),
)
# The options that build the lint settings, shared by every command that lints.
_SETTINGS_OPTIONS = (
    click.option("--select", help="Comma-separated rule ids or families to enable (only these)."),
    click.option("--ignore", help="Comma-separated rule ids or families to disable."),
    click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
                 help="Lowest severity that makes the exit code 1 (default: error)."),
    click.option("--pg-version", type=click.IntRange(9, 99),
                 help="PostgreSQL major version the migrations will run on (default: 16)."),
    *_CONFIG_OPTIONS,
)
debug_option = click.option("--debug", is_flag=True, help="Show tracebacks.")


def _with(options: tuple[Callable[..., Any], ...]) -> Callable[..., Any]:
    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command
    return add


# Add the settings options (or only --config and --var), in their usual order, to a command.
settings_options = _with(_SETTINGS_OPTIONS)
config_options = _with(_CONFIG_OPTIONS)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemagate")
def main() -> None:
    """schemagate: a quality gate for database schema changes.

    \b
    Exit codes:
      0  ran; nothing at or above --fail-on
      1  ran; findings at or above --fail-on
      2  bad usage or bad input: an unreadable or unparsable file (reported with its path
         and line after the other files are linted), a path with no migrations, an
         unreachable database, a history whose worker process died (lint -j)
      3  internal error: a bug in schemagate (please report it; --debug shows the traceback)
      130  interrupted (Ctrl-C)
      141  standard output was closed before it was all written (`| head`)
    """
    # Every command imports its stages lazily, inside it: their dataclasses reuse the code
    # compiled on an earlier run (see schemagate.startup) until the command ends.
    click.get_current_context().with_resource(kept_dataclass_code())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(LINT_FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@click.option("--dialect", type=click.Choice(["postgres", "mysql", "sqlite"]),
              help="SQL dialect of the migrations (default: postgres).")
@settings_options
@click.option("--db", "db_url", metavar="URL",
              help="A live PostgreSQL to read table sizes from (read-only).")
@click.option("--no-help", "no_help", is_flag=True, help="Text format: omit the help lines.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a tty).")
@debug_option
@click.option("--changed-since", "changed_since", metavar="REV",
              help="Report only migrations changed since this git revision (the whole "
                   "history is still folded).")
@click.option("--sarif-category", "sarif_category", metavar="NAME",
              help="SARIF: the run's category (automationDetails.id), so that several runs "
                   "can be uploaded to code scanning side by side.")
@click.option("--fill-placeholders", "fill_placeholders", is_flag=True, default=None,
              help="Fill every template placeholder no --var names with a harmless "
                   "identifier, so the file still parses (each is named in a notice).")
@click.option("--allow-empty", "allow_empty", is_flag=True, default=None,
              help="A path with no migrations is not an error (exit 0, with a notice).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Parse every file afresh, and read or write no cache entry.")
@click.option("-j", "--jobs", "jobs", type=click.IntRange(min=1), metavar="N",
              help="Lint independent histories in up to N processes at once (default: the "
                   "`jobs` setting, else the CPUs available; 1: in this process only).")
# What to report of a history that already has findings or has already run.
@click.option("--baseline", "baseline", metavar="FILE", type=click.Path(dir_okay=False),
              help="Hide the findings recorded in this baseline file (see --write-baseline); "
                   "default: the `baseline` setting.")
@click.option("--write-baseline", "write_baseline", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Record today's findings in this file, by fingerprint, for --baseline; "
                   "report nothing else.")
@click.option("--pending", "pending", is_flag=True,
              help="With --db: report only the migrations the migration tool's own record "
                   "there does not list as applied (the history before them is still "
                   "folded).")
@click.option("--fix", "fix", is_flag=True,
              help="Apply the safe fixes in place, then report the findings that remain.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the fixes as a unified diff and write nothing (exit 1 if any).")
@click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True,
              help="With --fix or --diff: also apply fixes that change the migration's "
                   "meaning (json to jsonb, serial to identity).")
def lint(paths: tuple[str, ...], fmt: str, output: str | None, dialect: str | None,
         select: str | None, ignore: str | None, fail_on: str | None, pg_version: int | None,
         config_file: str | None, variables: tuple[str, ...], db_url: str | None,
         no_help: bool, color: bool | None, debug: bool,
         changed_since: str | None = None, sarif_category: str | None = None,
         fill_placeholders: bool | None = None, allow_empty: bool | None = None,
         no_cache: bool = False, baseline: str | None = None,
         write_baseline: str | None = None, pending: bool = False,
         fix: bool = False, show_diff: bool = False,
         unsafe_fixes: bool = False, jobs: int | None = None) -> None:
    """Lint migrations (files or folders; default: discovered from the current folder).

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input (a file
    that cannot be read or parsed, a path with no migrations), 3 internal error.
    """

    def body() -> int:
        # A lint run builds many small acyclic objects (parse trees, operations) and exits:
        # the cycle collector would walk that growing heap again and again for nothing
        # (a third of the run time on 2,000 migrations). Reference counting frees the rest.
        gc.disable()
        request = click.get_current_context().find_object(Request)
        if request is not None:  # stat'ed before they are read: see schemagate.replay
            request.watch([*_config_places(config_file), *(paths or ["."])])
        settings_files: list[str] = []
        settings = _settings(config_file, dialect, select, ignore, fail_on, pg_version,
                             variables, read=settings_files)
        if fill_placeholders is not None:
            settings = replace(settings, fill_placeholders=fill_placeholders)
        if allow_empty is not None:
            settings = replace(settings, allow_empty=allow_empty)
        if no_cache:
            settings = replace(settings, cache=False)
        if jobs is not None:
            settings = replace(settings, jobs=jobs)
        settings = _baseline_settings(settings, baseline, write_baseline, changed_since,
                                      pending)
        from schemagate.lint.run import run_lint
        from schemagate.reports.progress import Progress

        bar = Progress("parsing")  # drawn only on a terminal, and only for long runs
        try:
            if fix or show_diff:
                return _fix(paths, settings, show_diff, unsafe_fixes, fmt, no_help, color,
                            output, sarif_category, db=db_url, changed_since=changed_since,
                            progress=bar)
            run = run_lint(paths, settings, db=db_url, changed_since=changed_since,
                           progress=bar, pending=pending)
        finally:
            bar.close()
        result, stats = run.result, run.stats
        if write_baseline:
            return _write_baseline(result, write_baseline, no_help, color)
        report = _report(result, fmt, no_help, color, output, category=sarif_category,
                         migrations=run.migrations, settings=settings, stats=stats)
        journal = _journal(settings, fmt, db_url, changed_since, pending)
        # What the report depended on, as it is now that all is read and nothing written
        # (a report written into a folder it read from must not be part of the picture).
        snapshot = journal.snapshot([*settings_files, *run.reads]) if journal else None
        if journal is None or snapshot is None:
            write_output(report, output)
            return result.exit_code(settings.fail_on)
        kept: list[str] = []
        write_output(_keeping(report, kept), output)
        code = result.exit_code(settings.fail_on)
        written = encoded(kept[0], output) if kept else None
        if written is not None:
            journal.record(snapshot, written, output, code)
        return code

    run_command(debug, body)


def _config_places(config_file: str | None) -> list[str]:
    """Every settings file `_settings` may look for (the file given, else both names in
    every folder up from here)."""
    from schemagate.lint.config import config_candidates

    given = Path(config_file) if config_file else None
    return [str(path) for path in config_candidates(given, Path.cwd(), None)]


def _journal(settings: Any, fmt: str, db: str | None, changed_since: str | None,
             pending: bool) -> Request | None:
    """The journal entry this run may record (`schemagate.replay`): when it was started from
    the command line, and its report depends on nothing but the files it read (no live
    database, git or baseline; a format made from the findings alone)."""
    request = click.get_current_context().find_object(Request)
    if (request is None or not settings.cache or db or changed_since or pending
            or settings.baseline or fmt not in REPLAYED_FORMATS):
        return None
    return request


def _keeping(pieces: Iterable[str], kept: list[str]) -> Iterator[str]:
    """The report's pieces as they are written; once all are, the whole report is appended
    to ``kept``, unless it is too long to keep."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size <= MAX_REPORT_CHARS:
            held.append(piece)
        yield piece
    if size <= MAX_REPORT_CHARS:
        kept.append("".join(held))


def _baseline_settings(settings: Any, baseline: str | None, write_baseline: str | None,
                       changed_since: str | None, pending: bool) -> Any:
    """--baseline replaces the setting; --write-baseline records every finding, so no
    baseline hides any, and refuses to record only part of the history."""
    if write_baseline:
        if changed_since or pending:
            _fail("--write-baseline records the findings of the whole history: it cannot "
                  f"be combined with {'--changed-since' if changed_since else '--pending'}")
        return replace(settings, baseline=None)
    return replace(settings, baseline=baseline) if baseline else settings


def _write_baseline(result: Any, path: str, no_help: bool, color: bool | None) -> int:
    from schemagate.lint.baseline import recorded, render_baseline
    from schemagate.lint.fingerprint import repository_root

    write_output(render_baseline(result.findings, repository_root()), path)
    n = recorded(result.findings)
    click.echo(f"wrote {path}: {n} finding{'s' if n != 1 else ''} recorded", err=True)
    if result.errors:  # their findings are unknown, so not in the baseline: say which
        click.echo(_render(replace(result, findings=[], notices=[]), "text", no_help, color,
                           None), err=True, nl=False)
        return 2
    return 0


def _fix(paths: Sequence[str], settings: Any, show_diff: bool, unsafe: bool, fmt: str,
         no_help: bool, color: bool | None, output: str | None, category: str | None,
         **options: Any) -> int:
    """`lint --fix` (write, then report what remains) or `lint --diff` (print, write
    nothing; exit 1 when there is something to fix, as ruff does)."""
    from schemagate.lint.fix import fix_lint

    done = fix_lint(paths, settings, unsafe=unsafe, write=not show_diff, **options)
    result = done.run.result
    hidden = done.unsafe_left()
    more = (f" ({hidden} more with --unsafe-fixes)" if hidden and not unsafe else "")
    if show_diff:
        from schemagate.reports.fixdiff import render_fix_diff

        write_output(render_fix_diff(done.changed(), done.before, done.after), output)
        click.echo(f"schemagate: would fix {done.fixed} finding(s) in "
                   f"{len(done.changed())} file(s){more}", err=True)
        return 2 if result.errors else (1 if done.changed() else 0)
    write_output(_report(result, fmt, no_help, color, output, category=category,
                         migrations=done.run.migrations, settings=settings,
                         stats=done.run.stats), output)
    click.echo(f"schemagate: {done.fixed} fixed, {len(result.active)} remaining{more}",
               err=True)
    return result.exit_code(settings.fail_on)


def _render(result: Any, fmt: str, no_help: bool, color: bool | None, output: str | None,
            *, category: str | None = None, migrations: Sequence[Any] = (),
            settings: Any = None, stats: Any = None) -> str:
    return "".join(_report(result, fmt, no_help, color, output, category=category,
                           migrations=migrations, settings=settings, stats=stats))


def _report(result: Any, fmt: str, no_help: bool, color: bool | None, output: str | None,
            *, category: str | None = None, migrations: Sequence[Any] = (),
            settings: Any = None, stats: Any = None) -> Iterable[str]:
    """The report in ``fmt``, in pieces where the format allows (each finding's text is made
    as it is written), else whole."""
    if fmt in ("sarif", "gitlab"):
        from schemagate.lint.fingerprint import repository_root

        cwd = Path.cwd()
        if fmt == "gitlab":
            from schemagate.reports.gitlab import iter_gitlab

            return iter_gitlab(result, root=repository_root(cwd), cwd=cwd)
        from schemagate.reports.sarif import iter_sarif

        return iter_sarif(result, root=repository_root(cwd), cwd=cwd, category=category)
    if fmt in ("markdown", "html"):
        from schemagate.reports.impact import BackupView, build_impact

        impact = build_impact(
            result, migrations, fail_on=settings.fail_on if settings else None, stats=stats,
            backup=BackupView(False, "not generated by `lint`: run `schemagate report`"))
        if fmt == "markdown":
            from schemagate.reports.markdown import render_markdown

            return [render_markdown(impact)]
        from schemagate.reports.html import html_pieces

        return html_pieces(impact)
    if fmt == "json":
        from schemagate.reports.json_report import iter_report

        # Indented for a person at a terminal, or for a small file; compact for big runs.
        pretty = (output in (None, "-") and sys.stdout.isatty()) or len(result.findings) < 2000
        return iter_report(result, pretty=pretty)
    if fmt == "github":
        from schemagate.reports.github import iter_github

        return iter_github(result)
    from schemagate.reports.text import iter_text

    tty = output in (None, "-") and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return iter_text(result, colour=tty if color is None else color, show_help=not no_help)


def _settings(config_file: str | None, dialect: str | None, select: str | None,
              ignore: str | None, fail_on: str | None, pg_version: int | None,
              variables: Sequence[str], *, read: list[str] | None = None) -> Any:
    """The settings from the config file and the options; ``read`` gets the paths of the
    files whose presence or content decided them."""
    from schemagate.lint.config import config_candidates, load_config, parse_fail_on

    given, start = Path(config_file) if config_file else None, Path.cwd()
    settings, found = load_config(given, start)
    if read is not None:
        read += [str(path) for path in config_candidates(given, start, found)]
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
                                "enabled": r.enabled_by_default, "fix": r.fixable}
                               for r in rules], indent=2))
        return
    width = max(len(r.id) for r in rules)
    for r in rules:
        off = "" if r.enabled_by_default else " (off by default)"
        fix = f" [{r.fixable} fix]" if r.fixable else ""
        click.echo(f"{r.id:<{width}}  {r.family:<12} {r.severity!s:<8} {r.summary}{off}{fix}")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Show a rule's full documentation (ids and aliases are accepted)."""
    from schemagate.rules.registry import by_id, explanation

    found = by_id(rule)
    if found is None:
        click.echo(f"schemagate: error: unknown rule {rule!r} (see `schemagate rules`)",
                   err=True)
        sys.exit(2)
    click.echo(explanation(found))


@main.command("server")
@click.option("--stdio", is_flag=True,
              help="Talk LSP over standard input and output (the only transport; accepted "
                   "because editor clients pass it).")
@click.option("--db", "db_url", metavar="URL",
              help="A live PostgreSQL to read table sizes from (read-only), once per "
                   "workspace folder, as `lint --db` reads them.")
@debug_option
def server_command(stdio: bool, debug: bool, db_url: str | None = None) -> None:
    """Run the language server over stdio: diagnostics, code actions and hover for migrations
    in your editor (docs/editors.md)."""

    def body() -> int:
        try:
            from schemagate.server.app import serve
        except ModuleNotFoundError as exc:
            if exc.name not in ("pygls", "lsprotocol"):
                raise
            raise SchemagateError(
                f"the language server needs {exc.name}: pip install 'schemagate-cli[server]'"
            ) from None
        serve(db_url)
        return 0

    run_command(debug, body)


# --- backup and verify ------------------------------------------------------------------

@main.command("backup")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write backup.sql and restore.sql into.")
@click.option("--db", metavar="URL",
              help="Live PostgreSQL to read table shapes and statistics from "
              "(read-only): sizes and times in the header, keys the history does not know.")
@click.option("--from", "start", metavar="MIGRATION",
              help="First migration still to run; earlier ones only build the schema "
                   "(default: with --db, the first one the migration tool's record there "
                   "does not list as applied; else every migration given).")
@config_options
@debug_option
def backup_command(paths: tuple[str, ...], output_dir: str, db: str | None, start: str | None,
                   config_file: str | None, variables: tuple[str, ...], debug: bool) -> None:
    """Write backup.sql and restore.sql for the data the migrations destroy."""

    def body() -> int:
        from schemagate.backup import run_backup

        settings = _settings(config_file, None, None, None, None, None, variables)
        made = run_backup(paths, settings, start=start, db=db)
        folder = Path(output_dir)
        write_output(made.scripts.backup, str(folder / "backup.sql"))
        write_output(made.scripts.restore, str(folder / "restore.sql"))
        n = len(made.plan.saves)
        click.echo(f"wrote {folder / 'backup.sql'} and {folder / 'restore.sql'}: "
                   f"{n} save{'s' if n != 1 else ''} into schema {made.scripts.schema}")
        for line in made.saves():
            click.echo(f"  {line}")
        for note in made.notes():
            click.echo(f"  note: {note}")
        return 0

    run_command(debug, body)


@main.command("verify")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--scratch", metavar="URL",
              help="PostgreSQL server to create (and drop) a scratch database on; "
                   "default: an embedded PostgreSQL started for the run.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@click.option("--seed", type=click.IntRange(1, 10_000_000), metavar="N",
              help="Fill every table with N synthetic rows before each migration, and check "
                   "that the rows survive up, down and restore.sql.")
@config_options
@click.option("--setup", "setup", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="SQL to run on the scratch database before the first migration (what the "
                   "history takes for granted, such as a schema); repeatable; replaces the "
                   "verify-setup setting.")
@debug_option
def verify_command(paths: tuple[str, ...], scratch: str | None, fmt: str, output: str | None,
                   seed: int | None, config_file: str | None, variables: tuple[str, ...],
                   setup: tuple[str, ...], debug: bool) -> None:
    """Apply migrations up, down and up again on a scratch PostgreSQL; trace and check them."""

    def body() -> int:
        from schemagate.verify import run_verify
        from schemagate.verify.report import render_json, render_text

        settings = _settings(config_file, None, None, None, None, None, variables)
        if setup:
            settings = replace(settings, verify_setup=setup)
        result = run_verify(paths, settings, scratch=scratch, seed=seed)
        write_output(render_json(result) if fmt == "json" else render_text(result), output)
        if result.setup_error:
            _fail(f"the setup SQL failed: {result.setup_error}")
        if result.unrunnable:
            _fail("verify could not apply " + "; ".join(result.unrunnable))
        return result.gate.exit_code

    run_command(debug, body)


@main.command("diff")
@click.option("--from", "source", required=True, metavar="SRC",
              help="The schema now: a PostgreSQL URL, a .sql file, a migrations folder of "
                   "any layout lint reads (Alembic through Alembic itself), FOLDER@VERSION "
                   "(the schema after that migration), or python:module:metadata.")
@click.option("--to", "target", required=True, metavar="SRC",
              help="The schema wanted (same kinds of source as --from).")
@click.option("--format", "fmt", type=click.Choice(["sql", "json", "text"]), default="sql",
              show_default=True, help="Output format.")
@click.option("--down", is_flag=True,
              help="Also the reverse plan (TO -> FROM). SQL: a second part after a banner, "
                   "or with -o FILE.sql a second file FILE.down.sql.")
@click.option("--allow-destructive", is_flag=True,
              help="Emit drops and lossy changes (otherwise listed as comments).")
@click.option("--check", is_flag=True, help="Exit 1 when the two schemas differ.")
@click.option("--scratch", metavar="URL",
              help="A PostgreSQL server schemagate may create scratch databases on, to apply "
                   "files and folders (default: an embedded one it starts itself).")
@click.option("--privileges", is_flag=True, help="Compare table privileges (GRANT/REVOKE) too.")
@click.option("--online/--offline", default=True, show_default=True,
              help="Online variants: CONCURRENTLY, NOT VALID + VALIDATE, CHECK-based "
                   "SET NOT NULL.")
@click.option("--lock-timeout", default="5s", show_default=True, metavar="DURATION",
              help="SET lock_timeout at the top of the plan ('0' or '' to leave it out).")
@click.option("--guard/--no-guard", default=True, show_default=True,
              help="SQL: open the plan with a check that stops it when the objects it "
                   "touches are no longer as they were when it was made.")
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@debug_option
def diff_command(source: str, target: str, fmt: str, down: bool, allow_destructive: bool,
                 check: bool, scratch: str | None, privileges: bool, online: bool,
                 lock_timeout: str, guard: bool, output: str | None, debug: bool) -> None:
    """SQL that turns the schema FROM into the schema TO (and back, with --down)."""

    def body() -> int:
        # Two catalogs of tens of thousands of small acyclic records, then exit: the cycle
        # collector would only walk them again and again (as in lint).
        gc.disable()
        from schemagate.diff.options import PlanOptions
        from schemagate.diff.run import run_diff

        timeout = lock_timeout if lock_timeout not in ("", "0") else None
        options = PlanOptions(allow_destructive=allow_destructive, online=online,
                              lock_timeout=timeout)
        result = run_diff(source, target, scratch=scratch, privileges=privileges,
                          options=options, down=down, guard=fmt == "sql" and guard,
                          apply_alembic=_upgrade_alembic, stats=fmt == "text")
        up, back = result.up, result.back
        from schemagate.diff.render import DOWN_BANNER, render_json, render_sql, render_text

        labels = {"source": result.source, "target": result.target}
        if fmt == "json":
            write_output(render_json(up, back, **labels), output)
        elif fmt == "text":
            write_output(render_text(up, back, **labels, stats=result.stats), output)
        else:
            text = render_sql(up, **labels)
            if back is not None:
                down_text = render_sql(back, source=result.target, target=result.source)
                if output and output != "-":
                    write_output(down_text, _down_path(output))
                else:
                    text += "\n" + DOWN_BANNER + "\n" + down_text
            write_output(text, output)
        code = 1 if check and up.differs else 0
        _spare_last_collection()
        return code

    run_command(debug, body)


def _spare_last_collection() -> None:
    """Move every object made so far out of the collector's reach: the interpreter's last
    collection at exit would walk the catalogs' tens of thousands of records for nothing
    (the cycle collector is off for the command). The rest of the teardown is cheap now
    that a diff keeps no database's every row: on the 2,000-table benchmark pair it cost
    15 million instructions of 4,450 million (callgrind), where ending the process with
    os._exit was worth it while both databases' rows stayed in memory."""
    gc.freeze()


def _upgrade_alembic(url: str, migrations: Sequence[ParsedMigration],
                     revision: str | None) -> None:
    """diff's side from an Alembic history: run through Alembic, as verify runs it."""
    from schemagate.verify.alembic.run import upgrade_history

    upgrade_history(url, migrations, revision)


def _down_path(output: str) -> str:
    """plan.sql -> plan.down.sql; anything else gets .down.sql appended."""
    path = Path(output)
    stem = path.name[:-4] if path.name.lower().endswith(".sql") else path.name
    return str(path.with_name(f"{stem}.down.sql"))


# --- report -------------------------------------------------------------------------------

@main.command("report")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "json"]),
              default="html", show_default=True, help="Output format.")
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@click.option("--db", "db_url", metavar="URL",
              help="A live PostgreSQL to read table sizes from (read-only); the backup "
                   "scripts then also know the tables' keys and sizes.")
@click.option("--verify-json", "verify_json", type=click.Path(dir_okay=False, exists=True),
              help="The JSON of `schemagate verify --format json`: its quality gate replaces "
                   "the checks lint alone cannot make.")
@click.option("--from", "start", metavar="MIGRATION",
              help="First migration still to run; earlier ones are applied already and only "
                   "build the schema (default: with --db, the first one the migration tool's "
                   "record there does not list as applied; else every migration given).")
@click.option("--drift", is_flag=True,
              help="With --db: compare the live database with the schema the migrations "
                   "build (applied on a scratch database) and show the differences.")
@click.option("--scratch", metavar="URL",
              help="With --drift: a PostgreSQL the tool may create a scratch database on "
                   "(default: an embedded one started for the run).")
@click.option("--title", default="schemagate impact report", show_default=True,
              help="The report's title.")
@settings_options
@debug_option
def report_command(paths: tuple[str, ...], fmt: str, output: str | None, db_url: str | None,
                   verify_json: str | None, start: str | None, drift: bool,
                   scratch: str | None, title: str,
                   select: str | None,
                   ignore: str | None, fail_on: str | None, pg_version: int | None,
                   config_file: str | None, variables: tuple[str, ...], debug: bool) -> None:
    """Impact report for DBAs: one self-contained HTML page (or Markdown, or JSON).

    Per migration and statement: findings, the lock taken, rewrites and scans, and with --db
    the tables' rows and sizes; the objects touched and what depends on them; the backup and
    restore scripts; the quality-gate checklist. The exit code follows --fail-on, as lint's.
    """

    def body() -> int:
        gc.disable()  # as in lint: a large run builds many acyclic objects and exits
        settings = _settings(config_file, None, select, ignore, fail_on, pg_version, variables)
        from schemagate.reports.progress import Progress
        from schemagate.reports.run import run_report

        gate = _verify_gate(verify_json) if verify_json else None
        bar = Progress("parsing")  # drawn only on a terminal, and only for long runs
        try:
            run = run_report(paths, settings, db=db_url, start=start, drift=drift,
                             scratch=scratch, gate=gate, title=title, progress=bar,
                             raise_errors=debug)
        finally:
            bar.close()
        impact = run.impact
        text: str | Iterable[str]
        if fmt == "markdown":
            from schemagate.reports.markdown import render_markdown

            text = render_markdown(impact)
        elif fmt == "json":
            from schemagate.reports.impact_json import impact_json_pieces

            text = impact_json_pieces(impact)
        else:
            from schemagate.reports.html import html_pieces

            text = html_pieces(impact)
        write_output(text, output)
        if output and output != "-":
            click.echo(f"wrote {output}: {impact.summary.verdict}, "
                       f"{impact.summary.migrations} migrations", err=True)
        return run.result.exit_code(settings.fail_on)

    run_command(debug, body)


@main.command("changelog")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", help="Write to this file instead of standard output.")
@click.option("--db", "db_url", metavar="URL",
              help="A live PostgreSQL to read table sizes from (read-only): rows, sizes and "
                   "how long each lock is held.")
@click.option("--from", "start", metavar="MIGRATION",
              help="First migration still to run; earlier ones are applied already (default: "
                   "every migration given is pending).")
@click.option("--version", "release", default="Unreleased", show_default=True,
              metavar="VERSION", help="The entry's version heading.")
@click.option("--date", metavar="YYYY-MM-DD", help="The entry's date (default: none).")
@settings_options
@debug_option
def changelog_command(paths: tuple[str, ...], output: str | None, db_url: str | None,
                      start: str | None, release: str, date: str | None,
                      select: str | None, ignore: str | None, fail_on: str | None,
                      pg_version: int | None, config_file: str | None,
                      variables: tuple[str, ...], debug: bool) -> None:
    """A Keep a Changelog entry (Markdown) for the pending migrations.

    What they add, change and remove in the schema, in words; the data they destroy and the
    backup that saves it; the locks they take on existing tables and, with --db, for about
    how long; how to roll back. Exit 2 when some migrations could not be read.
    """

    def body() -> int:
        gc.disable()  # as in lint: a large run builds many acyclic objects and exits
        settings = _settings(config_file, None, select, ignore, fail_on, pg_version, variables)
        from schemagate.reports.changelog import render_changelog
        from schemagate.reports.run import run_report

        run = run_report(paths, settings, db=db_url, start=start, raise_errors=debug)
        write_output(render_changelog(run.impact, run.pending, version=release, date=date),
                     output)
        return 2 if run.result.errors else 0

    run_command(debug, body)


def _verify_gate(path: str) -> list[dict[str, Any]]:
    """The gate items of a `schemagate verify --format json` file."""
    from schemagate.verify.report import read_gate

    return read_gate(path)
