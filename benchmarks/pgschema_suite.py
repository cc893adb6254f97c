"""Round-trip pgschema's own diff test cases through `schemagate diff`, up and down.

pgschema (github.com/pgplex/pgschema) keeps its diff tests as folders of `old.sql` and
`new.sql` (and sometimes `setup.sql`), a couple of hundred cases across object kinds. None of
their files is copied here: point this script at a checkout of that folder. For each case:

1. build A (setup.sql + old.sql), B (setup.sql + new.sql) and A' (a second A), each in a
   fresh database on the server given;
2. plan A → B and B → A with `schemagate diff`'s own library call (guarded, destructive
   changes allowed, online forms), as the CLI does for two URLs;
3. apply the up plan to A and the down plan to B;
4. the case converges in a direction when the re-diff is empty *and* the normalised
   `pg_dump --schema-only --no-owner --no-privileges` of both databases is the same
   (tests/diff/support.py normalises: column order and pg_dump's own comments only).

A case that cannot be built on this server (a PostgreSQL 16+ feature, an extension the server
lacks) is *not loadable* and counted apart, with PostgreSQL's error. Roles a case grants to
are created (NOLOGIN) before it runs and dropped after all cases when the run created them;
`--no-roles` counts such cases as not loadable instead.

A case whose two sides differ only in what schemagate does not compare by design (default
privileges, grants on functions, sequences and schemas; see docs/diff-coverage.md) is counted
apart as *not compared*: its empty plan is right for schemagate and proves nothing.

    git --git-dir=<pgschema mirror> archive HEAD testdata/diff | tar -x -C /tmp/pgschema
    python benchmarks/pgschema_suite.py /tmp/pgschema/testdata/diff \\
        --server postgresql://postgres@127.0.0.1:5432/postgres --json /tmp/pgschema.json
    python benchmarks/pgschema_suite.py ... --only create_table/   # cases under a folder
    python benchmarks/pgschema_suite.py ... --write                # update the docs' tables
    python benchmarks/pgschema_suite.py ... --rerun-failed /tmp/pgschema.json --json … # after a fix
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from tests.diff.support import find_pg_dump, normalise_dump, server_major  # noqa: E402

from schemagate.diff.changes import PlanOptions  # noqa: E402
from schemagate.diff.connect import connect, with_database  # noqa: E402
from schemagate.diff.execute import ScriptError, run_sql  # noqa: E402
from schemagate.diff.render import render_sql  # noqa: E402
from schemagate.diff.run import run_diff  # noqa: E402

DB_PREFIX = "schemagate_pgschema_"
DOCS = REPO / "docs" / "diff-coverage.md"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"
BEGIN_MARK = "<!-- pgschema_suite:begin -->"
END_MARK = "<!-- pgschema_suite:end -->"
_MISSING_ROLE = re.compile(r'role "([^"]+)" does not exist')


@dataclass
class Direction:
    converged: bool = False
    error: str | None = None  # the first failure: planning, applying, the re-diff, the dump
    plan_sql: str = ""


@dataclass
class CaseResult:
    name: str  # category/case
    status: str  # "converged", "failed", "not loadable", "not compared"
    reason: str = ""
    up: Direction = field(default_factory=Direction)
    down: Direction = field(default_factory=Direction)
    seconds: float = 0.0

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]


class NotLoadable(Exception):
    """A case's SQL does not build on this server."""


class Server:
    """Fresh databases on one server, dropped at the end; roles made for the cases."""

    def __init__(self, url: str, make_roles: bool) -> None:
        self.url, self.make_roles = url, make_roles
        self.roles: list[str] = []
        self.databases: list[str] = []
        self.roles_before = self._roles()
        self.words: set[str] = set()  # identifiers in the cases run: whose roles they are

    def _roles(self) -> set[str]:
        with connect(self.url, autocommit=True) as admin:
            return {r[0] for r in admin.execute("SELECT rolname FROM pg_catalog.pg_roles")}

    def saw(self, text: str) -> None:
        self.words |= set(re.findall(r"\w+", text.lower()))

    def database(self) -> str:
        name = DB_PREFIX + uuid.uuid4().hex[:12]
        with connect(self.url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.databases.append(name)
        return with_database(self.url, name)

    def build(self, setup: str, script: str) -> str:
        """A database built by setup + script; NotLoadable when PostgreSQL refuses them."""
        for _ in range(20):  # each missing role found costs one attempt
            url = self.database()
            try:
                for text, path in ((setup, "setup.sql"), (script, "schema")):
                    if text.strip():
                        run_sql(url, text, path)
                return url
            except ScriptError as exc:
                self.drop(url)
                role = _MISSING_ROLE.search(exc.message)
                if role is None or not self.make_roles:
                    raise NotLoadable(f"{exc.path}: {exc.message}") from None
                self.create_role(role.group(1))
        raise NotLoadable("too many missing roles")

    def create_role(self, role: str) -> None:
        with connect(self.url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        self.roles.append(role)

    def drop(self, url: str) -> None:
        name = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
        with connect(self.url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        self.databases.remove(name)

    def close(self) -> None:
        with connect(self.url, autocommit=True) as admin:
            for name in list(self.databases):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
            self.databases.clear()
            # The roles made here, and those the cases' own SQL made (a DO block's CREATE
            # ROLE): new since the start and named in a case, so never another session's.
            made = [r for r in self._roles() - self.roles_before
                    if r.lower() in self.words and r not in self.roles]
            for role in [*reversed(self.roles), *sorted(made)]:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            self.roles.clear()


def cases(root: Path, only: str | None) -> list[Path]:
    found = sorted(p.parent for p in root.glob("*/*/old.sql"))
    return [p for p in found if only is None or _name(root, p).startswith(only)]


def _name(root: Path, case: Path) -> str:
    return case.relative_to(root).as_posix()


def run_case(server: Server, root: Path, case: Path, pg_dump: str) -> CaseResult:
    started = time.monotonic()
    result = CaseResult(_name(root, case), "failed")
    setup = _read(case / "setup.sql")
    old, new = _read(case / "old.sql"), _read(case / "new.sql")
    server.saw(setup + old + new)
    built: list[str] = []
    try:
        try:
            a = server.build(setup, old)
            built.append(a)
            b = server.build(setup, new)
            built.append(b)
            a_again = server.build(setup, old)
            built.append(a_again)
        except NotLoadable as exc:
            result.status, result.reason = "not loadable", str(exc)
            return result
        _round_trip(result, a, b, a_again, pg_dump)
    finally:
        for url in built:
            server.drop(url)
        result.seconds = round(time.monotonic() - started, 2)
    return result


def _round_trip(result: CaseResult, a: str, b: str, a_again: str, pg_dump: str) -> None:
    options = PlanOptions(allow_destructive=True)
    try:
        run = run_diff(a, b, options=options, down=True, guard=True, privileges=True)
    except Exception as exc:  # a planner crash is one case's failure, not the run's
        result.reason = f"plan: {type(exc).__name__}: {exc}"
        return
    assert run.back is not None
    if not run.up.differs and not run.back.differs and \
            _dump(pg_dump, a, privileges=False) == _dump(pg_dump, b, privileges=False) and \
            _dump(pg_dump, a, privileges=True) != _dump(pg_dump, b, privileges=True):
        result.status = "not compared"
        result.reason = "the sides differ only in privileges diff does not compare"
        result.up.converged = result.down.converged = True
        return
    for direction, plan, target, goal in ((result.up, run.up, a, b),
                                          (result.down, run.back, b, a_again)):
        direction.plan_sql = render_sql(plan)
        direction.error = _apply_and_check(direction.plan_sql, target, goal, pg_dump)
        direction.converged = direction.error is None
    if result.up.converged and result.down.converged:
        result.status = "converged"
    else:
        result.reason = "; ".join(f"{label}: {d.error}" for label, d in
                                  (("up", result.up), ("down", result.down)) if d.error)


def _apply_and_check(plan_sql: str, target: str, goal: str, pg_dump: str) -> str | None:
    """Why the plan did not turn target into goal; None when it did."""
    try:
        run_sql(target, plan_sql, "<plan>")
    except ScriptError as exc:
        return f"apply: line {exc.line}: {exc.message}"
    try:
        again = run_diff(target, goal, options=PlanOptions(allow_destructive=True),
                         privileges=True)
    except Exception as exc:
        return f"re-diff: {type(exc).__name__}: {exc}"
    if again.up.differs:
        steps = [f"{s.kind} {s.ref}" for s in again.up.steps + again.up.skipped]
        return "re-diff not empty: " + ", ".join(steps[:5])
    x, y = _dump(pg_dump, target, privileges=False), _dump(pg_dump, goal, privileges=False)
    if x != y:
        only = sorted(set(x) ^ set(y))
        return "pg_dump differs: " + " | ".join(b.replace("\n", " ")[:160] for b in only[:3])
    return None


def _dump(pg_dump: str, url: str, *, privileges: bool) -> list[str]:
    args = [pg_dump, "--schema-only", "--no-owner", "-d", url]
    if not privileges:
        args.insert(2, "--no-privileges")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return normalise_dump(proc.stdout)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


# --- the tables ---------------------------------------------------------------------------

def summary(results: list[CaseResult]) -> dict[str, int]:
    counts = Counter(r.status for r in results)
    loadable = [r for r in results if r.status in ("converged", "failed")]
    return {"cases": len(results), "loadable": len(loadable),
            "converged": counts["converged"], "failed": counts["failed"],
            "not loadable": counts["not loadable"], "not compared": counts["not compared"],
            "up converged": sum(r.up.converged for r in loadable),
            "down converged": sum(r.down.converged for r in loadable)}


def table(results: list[CaseResult], command: str, server_version: str,
          commit: str = "") -> str:
    by_category: dict[str, list[CaseResult]] = {}
    for r in results:
        by_category.setdefault(r.category, []).append(r)
    s = summary(results)
    rate = 100.0 * s["converged"] / s["loadable"] if s["loadable"] else 0.0
    lines = [
        "## pgschema's diff suite, round-tripped (`benchmarks/pgschema_suite.py`)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d} on {server_version}, pgschema's "
        f"`testdata/diff`{f' at commit {commit}' if commit else ''}. A case **converges** "
        "when both "
        "the up plan (old → new) and the down plan (new → old), applied, leave an empty "
        "re-diff and the same normalised `pg_dump --schema-only`.",
        "",
        f"**{s['converged']} of {s['loadable']} loadable cases converge in both directions "
        f"({rate:.1f}%)**; up {s['up converged']}/{s['loadable']}, down "
        f"{s['down converged']}/{s['loadable']}. Not loadable on this server: "
        f"{s['not loadable']}; not compared by design: {s['not compared']}; "
        f"{s['cases']} cases in all.",
        "",
        "*Not loadable*: PostgreSQL refused the case's own SQL on this server (syntax of "
        "PostgreSQL 18, an extension it does not have). *Not compared*: both plans are "
        "empty and the sides' `pg_dump --no-privileges` is the same; they differ only in "
        "privileges `diff` leaves alone by design (default privileges, grants on "
        "functions, sequences and types, grant options). Roles the cases grant to were "
        "created for the run (NOLOGIN) and dropped after it.",
        "",
        "| category | cases | converged | failed | not loadable | not compared |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for category, rs in sorted(by_category.items()):
        c = Counter(r.status for r in rs)
        lines.append(f"| {category} | {len(rs)} | {c['converged']} | {c['failed']} | "
                     f"{c['not loadable']} | {c['not compared']} |")
    lines += ["", "Not loadable, and why:", ""]
    lines += [f"- `{r.name}`: {_short(r.reason)}" for r in results
              if r.status == "not loadable"]
    lines += ["", "Not compared by design:", ""]
    lines += [f"- `{r.name}`" for r in results if r.status == "not compared"]
    failed = [r for r in results if r.status == "failed"]
    if failed:
        lines += ["", "Failing, and why:", ""]
        lines += [f"- `{r.name}`: {_short(r.reason)}" for r in failed]
    lines += ["", "Command:", "", "```sh", command, "```"]
    return "\n".join(lines)


def _short(text: str, limit: int = 220) -> str:
    text = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def write_between_marks(path: Path, text: str) -> None:
    body = path.read_text(encoding="utf-8")
    block = f"{BEGIN_MARK}\n{text}\n{END_MARK}"
    if BEGIN_MARK in body:
        head, _, rest = body.partition(BEGIN_MARK)
        _, _, tail = rest.partition(END_MARK)
        body = head + block + tail
    else:
        body = body.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(body, encoding="utf-8")


@contextlib.contextmanager
def serving(url: str, make_roles: bool) -> Iterator[Server]:
    """A Server whose databases and roles are dropped however the run ends (SIGTERM too)."""
    server = Server(url, make_roles)
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


COMMAND = ("python benchmarks/pgschema_suite.py <pgschema>/testdata/diff --server "
           "postgresql://postgres@127.0.0.1:5432/postgres --json results.json --write")


def _server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0].split()[0] if row else '?'}"


def _loaded(data: dict[str, object]) -> CaseResult:
    up, down = data.pop("up"), data.pop("down")
    assert isinstance(up, dict) and isinstance(down, dict)
    return CaseResult(**data, up=Direction(**up), down=Direction(**down))  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="pgschema's testdata/diff folder")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", help="run only the cases whose name starts with this")
    parser.add_argument("--json", type=Path, help="write every case's result here")
    parser.add_argument("--no-roles", action="store_true",
                        help="do not create the roles cases grant to")
    parser.add_argument("--write", action="store_true",
                        help="put the table into docs/diff-coverage.md and BENCHMARKS.md")
    parser.add_argument("--commit", default="", help="pgschema's commit, for the tables")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="write the tables from an earlier run's --json instead of running")
    parser.add_argument("--rerun-failed", type=Path, metavar="FILE",
                        help="take an earlier run's --json and run again only its failed cases")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.from_json:
        results = [_loaded(r) for r in json.loads(args.from_json.read_text())]
        text = table(results, COMMAND, _server_version(args.server), args.commit)
        print(text)
        if args.write:
            write_between_marks(DOCS, text)
            write_between_marks(BENCHMARKS_MD, text)
        return 0
    pg_dump = find_pg_dump(server_major(args.server))
    if pg_dump is None:
        parser.error("no pg_dump for this server's version")
    version = _server_version(args.server)
    results: list[CaseResult] = []
    earlier: dict[str, CaseResult] = {}
    if args.rerun_failed:
        earlier = {r.name: r for r in (_loaded(d) for d in
                                       json.loads(args.rerun_failed.read_text()))}
    with serving(args.server, not args.no_roles) as server:
        for case in cases(args.root, args.only):
            known = earlier.get(_name(args.root, case))
            if known is not None and known.status != "failed":
                results.append(known)
                continue
            r = run_case(server, args.root, case, pg_dump)
            results.append(r)
            mark = {"converged": ".", "failed": "F", "not loadable": "s",
                    "not compared": "n"}[r.status]
            if args.verbose or r.status == "failed":
                print(f"{mark} {r.name} ({r.seconds}s) {_short(r.reason, 400)}", flush=True)
            else:
                print(mark, end="", flush=True)
    print()
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(json.dumps(summary(results)))
    text = table(results, COMMAND, version, args.commit)
    if args.write and args.only is None:
        write_between_marks(DOCS, text)
        write_between_marks(BENCHMARKS_MD, text)
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
