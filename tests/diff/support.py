"""Round trips on a real PostgreSQL: build A and B, plan A→B, apply it to A, compare.

Two independent judges say whether A became B: the introspected catalogs (the re-diff must
be empty, and the objects and their dependencies equal), and `pg_dump --schema-only` of
both databases, normalised only for what a diff tool does not promise to keep (column
order, pg_dump's own comments and session settings) and for the one expression PostgreSQL
prints in a form it reads back differently (an IN-list's array cast: compare.canonical_sql).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest

from schemagate.diff.changes import Plan, PlanOptions
from schemagate.diff.compare import canonical_sql, compare
from schemagate.diff.execute import run_sql
from schemagate.diff.fetch import Rows
from schemagate.diff.introspect import build, fetch, introspect
from schemagate.diff.narrow import narrowed
from schemagate.diff.objects import flatten
from schemagate.diff.plan import plan
from schemagate.diff.render import render_sql
from schemagate.diff.targets import Loader, Target
from schemagate.model.catalog import Catalog, Constraint, Index
from tests.conftest import databases_on

FIXTURES = Path(__file__).parent.parent / "fixtures" / "diff"


@contextlib.contextmanager
def databases(server: str, *scripts: str) -> Iterator[list[str]]:
    """One fresh database per script, built by it; all dropped afterwards."""
    with contextlib.ExitStack() as stack:
        urls = []
        for i, script in enumerate(scripts):
            url = stack.enter_context(databases_on(server).database())
            if script.strip():
                run_sql(url, script, f"<script {i}>")
            urls.append(url)
        yield urls


def fixture(name: str) -> tuple[str, str]:
    """A fixture pair: tests/fixtures/diff/<name>/a.sql and b.sql."""
    folder = FIXTURES / name
    return (folder / "a.sql").read_text(encoding="utf-8"), \
        (folder / "b.sql").read_text(encoding="utf-8")


# --- pg_dump ------------------------------------------------------------------------------

def server_major(url: str) -> int:
    return _server_major(*_server_of(url))


def _server_of(url: str) -> tuple[str, str]:
    """(the server's address, a URL of one of its databases): what a cache keys on."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    return f"{params.get('host')}:{params.get('port')}", url


@functools.cache
def _server_major(address: str, url: str) -> int:
    del address  # the key; `url` is any database there
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
        assert row is not None
        return int(row[0]) // 10000


@functools.cache
def find_pg_dump(major: int) -> str | None:
    """The newest pg_dump here that can dump a server of this major version (asked once
    per session: each `--version` is a process start, and /usr/bin/pg_dump a Perl one)."""
    candidates = {shutil.which("pg_dump"), *glob.glob("/usr/lib/postgresql/*/bin/pg_dump")}
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-untyped]

        candidates.add(str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"))
    best: tuple[int, str] | None = None
    for path in sorted(filter(None, candidates)):
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=20).stdout
        except OSError:
            continue
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        if match and int(match.group(1)) >= major and (best is None or
                                                       int(match.group(1)) > best[0]):
            best = (int(match.group(1)), path)
    return best[1] if best else None


class Dump:
    """`pg_dump --schema-only` of a database, started now (it reads one snapshot, taken at
    its start), its normalised blocks read with `blocks()`; several run side by side."""

    def __init__(self, url: str, *, privileges: bool = False) -> None:
        pg_dump = find_pg_dump(server_major(url))
        if pg_dump is None:
            pytest.skip("no pg_dump for this server version (looked on PATH, in "
                        "/usr/lib/postgresql/*/bin and in pgserver)")
        args = [pg_dump, "--schema-only", "--no-owner", "-d", url]
        if not privileges:
            args.insert(2, "--no-privileges")
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
        self._blocks: list[str] | None = None

    def blocks(self) -> list[str]:
        """The dump's blocks, sorted (one per object); waits for pg_dump to end."""
        if self._blocks is None:
            try:
                out, err = self._proc.communicate(timeout=120)
            finally:
                self.stop()
            assert self._proc.returncode == 0, err
            self._blocks = normalise_dump(out)
        return self._blocks

    def stop(self) -> None:
        """End pg_dump if it still runs (a test that failed before reading it)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


def dump(url: str, *, privileges: bool = False) -> list[str]:
    """pg_dump --schema-only, normalised into a sorted list of blocks (one per object)."""
    return Dump(url, privileges=privileges).blocks()


_SKIP = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)")
# The PostgreSQL server on the development machine is patched to stamp every column with a
# non-standard attribute option, pg_attver=<number>, different in every database. It is not
# schema; it is removed (and only it: other column options stay).
_ATTVER = re.compile(r"pg_attver=\d+(, )?")
_EMPTY_OPTIONS = re.compile(r"^ALTER TABLE ONLY .* ALTER COLUMN .* SET \(\);$")


def normalise_dump(text: str) -> list[str]:
    """pg_dump's blocks, sorted; a CHECK's or index predicate's array cast is written per
    element, the form PostgreSQL reads its own printed IN-list back as (diff.compare)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        line = _ATTVER.sub("", line).replace(", )", ")")
        if not line.strip() or _SKIP.match(line) or _EMPTY_OPTIONS.match(line):
            if current:
                blocks.append(canonical_sql(_normalise_block(current)) or "")
                current = []
            continue
        current.append(line.rstrip())
    return sorted(blocks)


def _normalise_block(lines: list[str]) -> str:
    """Column order is not something a diff reproduces (ADD COLUMN appends): sort a
    CREATE TABLE's column lines."""
    if lines[0].startswith("CREATE TABLE") and lines[0].endswith("(") and len(lines) > 2:
        end = next((i for i in range(len(lines) - 1, 0, -1) if lines[i].startswith(")")),
                   len(lines) - 1)
        body = sorted(x.rstrip(",") for x in lines[1:end])
        lines = [lines[0], *body, *lines[end:]]
    return "\n".join(lines)


# --- catalogs -----------------------------------------------------------------------------

def catalog_view(cat: Catalog) -> dict[object, object]:
    """Objects by reference, as compare sees them (column order left out)."""
    out: dict[object, object] = {}
    for ref, rec in flatten(cat).items():
        content = getattr(rec, "column", None) or getattr(rec, "constraint", None) or rec
        if hasattr(rec, "columns") and hasattr(rec, "constraints"):  # a table
            content = (rec.name, rec.partition_of, rec.partitioned, rec.partition_key,
                       rec.partition_bound, rec.inherits, rec.unlogged, rec.rls_enabled,
                       rec.rls_forced, rec.options, rec.comment, rec.privileges,
                       frozenset(c.name for c in rec.columns),
                       frozenset(c.name for c in rec.constraints))
        if isinstance(content, Constraint):
            content = replace(content, definition=canonical_sql(content.definition))
        elif isinstance(content, Index):
            content = replace(content, spec=canonical_sql(content.spec),
                              definition=canonical_sql(content.definition))
        out[ref] = content
    return out


def assert_same_schema(url_x: str, url_y: str, *, privileges: bool = False,
                       dump_y: Dump | None = None, rows_y: Rows | None = None) -> None:
    """Both judges: the catalogs, and the dumps (`dump_y`: one of `url_y` already started,
    in the state it is in now; `rows_y`: its catalog rows, read since it last changed). The
    dumps run while the catalogs are read and compared."""
    dumps = [Dump(url_x, privileges=privileges), dump_y or Dump(url_y, privileges=privileges)]
    try:
        x = introspect(url_x, privileges=privileges)
        y = build(rows_y) if rows_y is not None else introspect(url_y, privileges=privileges)
        assert compare(x, y) == [], "the re-diff is not empty"
        assert catalog_view(x) == catalog_view(y)
        assert x.dependencies == y.dependencies
        assert dumps[0].blocks() == dumps[1].blocks()
    finally:
        for d in dumps:
            d.stop()


# --- round trips --------------------------------------------------------------------------

@dataclass
class RoundTrip:
    up: Plan
    down: Plan
    up_sql: str
    down_sql: str


def round_trip(server: str, a_sql: str, b_sql: str, *, allow_destructive: bool = True,
               privileges: bool = False, online: bool = True) -> RoundTrip:
    """Plan A→B, apply it to A and prove A = B; then plan B→A, apply it to B, prove B = A."""
    options = PlanOptions(allow_destructive=allow_destructive, online=online)
    with databases(server, a_sql, b_sql, a_sql) as (a, b, a_again), \
            contextlib.ExitStack() as stack:
        # B and the fresh A are the states the two sides are compared with: dumped now,
        # while the plans are made (B changes with the down plan, after its dump is read).
        dump_b = dump_a_again = None
        if find_pg_dump(server_major(server)) is not None:
            dump_b = Dump(b, privileges=privileges)
            stack.callback(dump_b.stop)
            dump_a_again = Dump(a_again, privileges=privileges)
            stack.callback(dump_a_again.stop)
        rows_a, rows_b = fetch(a, privileges=privileges), fetch(b, privileges=privileges)
        cat_a, cat_b = build(rows_a), build(rows_b)
        up = plan(cat_a, cat_b, options)
        down = plan(cat_b, cat_a, options)
        up_sql, down_sql = render_sql(up), render_sql(down)
        # The CLI builds only what differs and what depends on it, and reads the texts of
        # CHECKs and predicates only for that: the same plans.
        with Loader(privileges=privileges) as loader:
            narrow_a, narrow_b = loader.load_pair(Target(a, "url"), Target(b, "url"))
        assert render_sql(plan(narrow_a, narrow_b, options)) == up_sql
        assert render_sql(plan(narrow_b, narrow_a, options)) == down_sql
        narrow_a, narrow_b = narrowed(rows_a, rows_b)  # from rows with every text
        assert render_sql(plan(narrow_a, narrow_b, options)) == up_sql
        run_sql(a, up_sql, "<up plan>")
        assert_same_schema(a, b, privileges=privileges, dump_y=dump_b, rows_y=rows_b)
        run_sql(b, down_sql, "<down plan>")
        assert_same_schema(b, a_again, privileges=privileges, dump_y=dump_a_again)
    return RoundTrip(up, down, up_sql, down_sql)


def kinds(p: Plan) -> list[str]:
    return [s.kind for s in p.steps]


def require_extensions(server: str, *names: str) -> None:
    """Skip the test when the server lacks a contrib extension (pgserver ships none)."""
    with psycopg.connect(server) as conn:
        found = {r[0] for r in conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
            (list(names),)).fetchall()}
    missing = sorted(set(names) - found)
    if missing:
        pytest.skip(f"extension(s) {', '.join(missing)} not available on this server")
