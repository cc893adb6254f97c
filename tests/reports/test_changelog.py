"""`schemagate changelog`: a Keep a Changelog entry a reviewer can read without the SQL."""

from __future__ import annotations

import re

from click.testing import CliRunner

from schemagate.cli import main
from schemagate.diff.execute import run_sql
from schemagate.model.settings import Settings
from schemagate.reports.changelog import render_changelog
from schemagate.reports.run import run_report
from tests.conftest import FIXTURES, databases_on

PROJECT = FIXTURES / "backup" / "roundtrip"


def _entry(*paths: str, start: str | None = None, db: str | None = None) -> str:
    run = run_report(list(paths), Settings(), start=start, db=db)
    return render_changelog(run.impact, run.pending, version="1.4.0", date="2025-01-31")


def _section(entry: str, title: str) -> str:
    body = entry.split(f"### {title}\n", 1)[1]
    return body.split("\n### ", 1)[0]


def test_the_schema_changes_are_sorted_into_added_changed_and_removed() -> None:
    entry = _entry(str(PROJECT))
    assert entry.startswith("## [1.4.0] - 2025-01-31\n")
    added = _section(entry, "Added")
    assert "- Table `public.customers` with columns `id`, `name`, `country` " \
        "(`000001_init`)" in added
    assert "- Type `public.mood` (enum) (`000001_init`)" in added
    assert "Column `public.Everything.num` now of type `numeric(9,1)` (`000002_destroy`)" \
        in _section(entry, "Changed")
    removed = _section(entry, "Removed")
    assert "- Table `public.invoices` **and every row in it** (`000002_destroy`)" in removed
    assert "- Every row of `public.audit_log` (`000002_destroy`)" in removed


def test_only_the_pending_migrations_are_described_with_their_backup_and_rollback() -> None:
    entry = _entry(str(PROJECT), start="000002_destroy")
    assert "### Added" not in entry  # 000001 is applied already
    assert "Database: migration `000002_destroy`." in entry
    deploying = _section(entry, "Deploying")
    assert "- **Data destroyed** by 7 statement(s):" in deploying
    assert "  - `[2] public.audit_log: every row`" in deploying
    # without --db the entry says sizes are unknown instead of guessing
    assert "Table sizes are unknown: run with `--db URL`" in deploying
    assert "`ACCESS EXCLUSIVE` on `public.Everything` (blocks reads and writes); it " \
        "rewrites the table" in deploying
    rolling = _section(entry, "Rolling back")
    assert "- `000002_destroy`: its down migration, `" in rolling
    assert "000002_destroy.down.sql`." in rolling
    assert "does not undo everything" in rolling
    assert "- Data: then `restore.sql` from the backup puts the destroyed data back." in rolling


def test_rolling_back_lists_migrations_newest_first_and_says_when_there_is_no_down(
        ) -> None:
    entry = _entry(str(FIXTURES / "layouts" / "prisma"))
    rolling = _section(entry, "Rolling back")
    lines = [x for x in rolling.splitlines() if x.startswith("- `")]
    assert lines and all("**by hand**: its tool has no down migrations" in x for x in lines)
    names = [x.split("`")[1] for x in lines]
    assert names == sorted(names, reverse=True)


def test_names_from_migrations_cannot_inject_markdown(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "001_x.up.sql").write_text(
        'CREATE TABLE "a`b](http://evil)" (id int);\nALTER TABLE "a`b](http://evil)" '
        'ADD COLUMN "<script>" int;\n', encoding="utf-8")
    entry = _entry(str(folder))
    assert "- Table ``public.a`b](http://evil)`` with columns `id`" in entry
    assert "- Column ``public.a`b](http://evil).<script>`` of type `int4`" in entry
    outside_code = re.sub(r"``.*?``|`[^`]*`", "", entry)
    assert "](http" not in outside_code and "<script>" not in outside_code


def test_the_command_writes_the_entry_and_exits_0() -> None:
    result = CliRunner().invoke(main, ["changelog", str(PROJECT), "--from", "000002_destroy",
                                       "--version", "1.4.0", "--date", "2025-01-31"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## [1.4.0] - 2025-01-31\n\nDatabase: migration ")


def test_unreadable_migrations_make_exit_2_and_are_said() -> None:
    result = CliRunner().invoke(main, ["changelog", str(FIXTURES / "bad_input")])
    assert result.exit_code == 2
    assert "could not be read; this entry does not cover them" in result.output


def test_with_live_statistics_each_lock_says_rows_size_and_how_long(pg_server: str) -> None:
    with databases_on(pg_server).database() as url:
        run_sql(url, """
            CREATE TABLE "Everything" (id bigint PRIMARY KEY, legacy text, m text,
                                       "Note" varchar(200), num numeric(12,4));
            INSERT INTO "Everything" SELECT g, repeat('x', 200), 'ok', 'n', g
              FROM generate_series(1, 20000) g;
            ANALYZE "Everything";""")
        entry = _entry(str(PROJECT), start="000002_destroy", db=url)
    deploying = _section(entry, "Deploying")
    assert "Table sizes are unknown" not in deploying
    rewrite = next(x for x in deploying.splitlines() if "it rewrites the table" in x)
    assert "20,000 rows, " in rewrite and "; held about under a second" in rewrite
    drop = next(x for x in deploying.splitlines() if ".up.sql:3`" in x)
    assert "held about a moment (no rewrite or scan)" in drop
