"""Benchmark `schemagate diff` against migra on two live databases of 2,000 tables.

The schemas come from gen_diff_schema.py (A, and B with a few weeks' worth of changes), built
in two fresh databases on one server. Both tools then diff A -> B, alternating run by run
(the order rotates every round) so a shared machine's noise hits both alike. Each run is a
child process started by `_launcher.py`, which reports that child's own wall time, CPU time
and peak RSS (`os.wait4`), not the benchmark's.

migra runs from its own virtualenv (it needs psycopg2 and an older SQLAlchemy API; its
`postgresql+psycopg2://` URLs are the same databases). Create it with:

    python -m venv /tmp/migra-venv && /tmp/migra-venv/bin/pip install migra psycopg2-binary

    python benchmarks/bench_diff.py --server postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/bench_diff.py ... --write      # ... and append/update BENCHMARKS.md

After timing, the plan schemagate printed is applied to a copy of A, and the copy is diffed
against B again: the benchmark fails unless that re-diff is empty.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from gen_diff_schema import schema_sql  # noqa: E402

BENCHMARKS_MD = REPO / "BENCHMARKS.md"
LAUNCHER = Path(__file__).resolve().parent / "_launcher.py"
BEGIN_MARK = "<!-- bench_diff:begin -->"
END_MARK = "<!-- bench_diff:end -->"


def marks(tables: int) -> tuple[str, str]:
    """The section of BENCHMARKS.md for this size (2,000 tables: the original one)."""
    if tables == 2000:
        return BEGIN_MARK, END_MARK
    return f"<!-- bench_diff_{tables}:begin -->", f"<!-- bench_diff_{tables}:end -->"
MIN_RATIO = 5.0
NOTES = """### Notes

- Where the time goes: schemagate reads both databases at once (two threads, each sending its
  twenty-odd catalog queries one ahead of the rows it is handling, in one READ ONLY
  REPEATABLE READ transaction: one snapshot). Each side indexes the rows as they come and
  keeps one 16-byte digest per relation of its rows (its fingerprint); the first read spares
  the server's deparser what only tells whether a relation changed (CHECKs and predicates as
  node trees, keys and foreign keys as their fields). Once the fingerprints are compared and
  the dependency walk is done (`src/schemagate/diff/narrow.py`), each side reads the rows of
  the few relations it keeps again, texts and all, in the same transaction
  (`fetch.fetch_relations`, one pipeline), builds its catalog on its own thread, and keeps
  the transaction open for the plan's guard, fingerprinted in the same snapshot. So memory
  grows with the fingerprints, not with the rows.
- It is CPU-bound, and so is the server it reads. Of schemagate's own CPU, imports are about
  a third (psycopg about 0.1 s; networkx is not imported unless a plan has a dependency
  cycle; the model and the planner are imported while the databases are read), indexing the
  rows as they come about a third. migra mostly waits for its catalog queries. So schemagate
  suffers more than migra when other jobs share the machine: the ratio measured under load
  moves with the load.
"""
MAX_RSS_MIB = 300.0
MAX_WALL_10K = 10.0  # seconds, for the 10,000-table pair


class BenchError(Exception):
    """A child failed or a check did not hold: the numbers cannot be trusted."""


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    shown: str
    ok_codes: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Sample:
    wall: float
    rss_kib: int
    cpu: float


@dataclass
class Series:
    command: Command
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        return min(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss_mib(self) -> float:
        return max(s.rss_kib for s in self.samples) / 1024


class Launcher:
    """Children through `_launcher.py`: their peak RSS is their own, not ours."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", str(LAUNCHER)], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def run(self, command: Command) -> Sample:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = self.scratch / f"{command.label}.out", self.scratch / f"{command.label}.err"
        job = b"\0".join(os.fsencode(f) for f in (str(out), str(err), *command.argv))
        self.proc.stdin.write(job + b"\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().decode().split()
        if len(answer) != 5 or answer[0] == "error":
            raise BenchError(f"cannot run {command.shown!r}: {' '.join(answer)}")
        wall, rss, user, system, code = answer
        if int(code) not in command.ok_codes:
            detail = err.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
            raise BenchError(f"{command.shown!r} exited with {code}:\n{detail}")
        return Sample(float(wall), int(rss), float(user) + float(system))


def run_alternating(launcher: Launcher, commands: Sequence[Command], runs: int,
                    warmup: int) -> list[Series]:
    series = [Series(c) for c in commands]
    for _ in range(warmup):
        for command in commands:
            launcher.run(command)
    for round_no in range(runs):
        shift = round_no % len(series)
        for item in series[shift:] + series[:shift]:
            item.samples.append(launcher.run(item.command))
    return series


# --------------------------------------------------------------------------- databases


def _conninfo(url: str, dbname: str) -> str:
    from psycopg import conninfo

    params = conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


def _url(url: str, dbname: str, driver: str = "postgresql") -> str:
    """A URL (migra wants one); the benchmark server uses trust or a password in the URL."""
    from psycopg import conninfo

    p = conninfo.conninfo_to_dict(url)
    auth = p.get("user", "postgres") + (f":{p['password']}" if p.get("password") else "")
    return f"{driver}://{auth}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{dbname}"


def create_database(server: str, name: str, sql: str | None) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    if sql:
        from schemagate.diff.execute import split_sql

        statements = [s.sql for s in split_sql(sql)]
        with psycopg.connect(_conninfo(server, name), autocommit=True) as conn:
            # In batches: one transaction for 16,000 statements runs out of lock slots.
            for i in range(0, len(statements), 200):
                conn.execute(";\n".join(statements[i:i + 200]).encode("utf-8"))
            # Fresh catalogs have no statistics; real databases do (autovacuum may be off).
            conn.execute("ANALYZE")


def database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (name,)).fetchone() is not None


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- report


def executable(name: str, venv: Path | None = None) -> str | None:
    if venv is not None:
        found = venv / "bin" / name
        return str(found) if found.is_file() else None
    local = Path(sysconfig.get_path("scripts")) / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def version_of(argv: Sequence[str]) -> str:
    done = subprocess.run([*argv], capture_output=True, text=True, check=False)
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def server_version(server: str) -> str:
    import psycopg

    with psycopg.connect(server) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def markdown(series: list[Series], env: dict[str, str], args: argparse.Namespace,
             summary: str) -> str:
    sg, mg = series
    ratio = mg.median / sg.median
    ratio_best = mg.best / sg.best
    begin, end = marks(args.tables)
    lines = [
        begin,
        "## diff" if args.tables == 2000 else f"## diff, {args.tables:,} tables",
        "",
        "`schemagate diff --from URL_A --to URL_B` against migra on the same two live "
        "databases (`benchmarks/bench_diff.py`). The machine is shared and noisy: read the "
        "ratio, measured side by side and alternating in one session, more than the seconds.",
        "",
        "Reproduce (the server must accept `CREATE DATABASE`; migra in its own virtualenv):",
        "",
        "```sh",
        "python -m venv /tmp/migra-venv && /tmp/migra-venv/bin/pip install migra "
        "psycopg2-binary",
        f"python benchmarks/bench_diff.py --server {args.server_shown} --tables {args.tables} "
        f"--runs {args.runs} --write" + (f" --prefix {args.prefix}" if args.prefix != "sg_bench"
                                         else ""),
        "```",
        "",
        "### Schema pair",
        "",
        f"- A: {args.tables:,} tables in schema `bench`, 12 columns each, a primary key and "
        "3 more indexes (one partial), a foreign key to the previous table, a CHECK; a view "
        f"on every 10th table ({args.tables // 10} views); generated by "
        "`benchmarks/gen_diff_schema.py`",
        "- B: A with every 40th table changed (a column added, dropped or retyped, an index "
        "added, dropped or changed, a CHECK or default changed, NOT NULL added, a view "
        "redefined), 3 tables dropped and 5 added",
        f"- schemagate's plan: {summary}; applied to a copy of A, the re-diff against B is "
        "empty (checked by the benchmark)",
        "- both databases are ANALYZEd after they are built, as autovacuum would have done "
        "(this server runs with autovacuum off)",
        "",
        "### Machine and versions",
        "",
        *[f"- {k}: {v}" for k, v in env.items()],
        "",
        "### Results",
        "",
        f"Measured {env['date']}: {args.runs} runs per tool, alternating (order rotated every "
        f"round), after {args.warmup} warm-up run(s) each.",
        "",
        "| Tool | Median wall (s) | Min wall (s) | Median CPU (s) | Peak RSS (MiB) |",
        "|---|---|---|---|---|",
        *[f"| {s.command.label} | {s.median:.3f} | {s.best:.3f} | {s.cpu:.3f} | "
          f"{s.rss_mib:.1f} |" for s in series],
        "",
        f"- migra / schemagate: **{ratio:.2f}x** wall (median), {ratio_best:.2f}x (min), "
        f"{mg.cpu / sg.cpu:.2f}x CPU",
        "",
        "Commands (from the repository root; `A`, `B` are the benchmark's two databases):",
        "",
        "```sh",
        *[s.command.shown for s in series],
        "```",
        "",
        *NOTES.splitlines(),
        "",
        "### Targets",
        "",
        "| Target | Measured | Limit | Result |",
        "|---|---|---|---|",
        f"| migra / schemagate wall (median) | {ratio:.2f}x | >= {MIN_RATIO:.0f}x | "
        f"{'PASS' if ratio >= MIN_RATIO else 'FAIL'} |",
        f"| schemagate peak RSS | {sg.rss_mib:.1f} MiB | <= {MAX_RSS_MIB:.0f} MiB | "
        f"{'PASS' if sg.rss_mib <= MAX_RSS_MIB else 'FAIL'} |",
        *([f"| schemagate median wall | {sg.median:.2f} s | <= {MAX_WALL_10K:.0f} s | "
           f"{'PASS' if sg.median <= MAX_WALL_10K else 'FAIL'} |"] if args.tables >= 10000
          else []),
        end,
    ]
    return "\n".join(lines) + "\n"


def write_markdown(text: str, target: Path = BENCHMARKS_MD, tables: int = 2000) -> None:
    """Replace our own section if there is one, else append it: other sections stay."""
    current = target.read_text(encoding="utf-8") if target.exists() else "# Benchmarks\n"
    begin, end = marks(tables)
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        updated = head + text.rstrip("\n") + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    target.write_text(updated, encoding="utf-8")


# --------------------------------------------------------------------------- main


def verify_plan(server: str, a_name: str, plan_sql: str, b_url: str) -> None:
    """Apply schemagate's plan to a fresh copy of A and diff it against B again."""
    import psycopg

    from schemagate.diff.execute import run_sql
    from schemagate.diff.introspect import introspect
    from schemagate.diff.plan import plan

    name = f"sg_bench_check_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server, autocommit=True) as admin:  # a copy, not a rebuild
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{a_name}"')
    try:
        url = _conninfo(server, name)
        run_sql(url, plan_sql, "<plan>")
        left = plan(introspect(url), introspect(b_url))
        if left.differs:
            raise BenchError(f"the plan did not converge: {len(left.steps)} change(s) left")
    finally:
        drop_database(server, name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server the benchmark may create databases on")
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--migra-venv", type=Path, default=Path("/tmp/migra-venv"))
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    parser.add_argument("--prefix", default="sg_bench",
                        help="the two databases are PREFIX_a and PREFIX_b")
    parser.add_argument("--reuse", action="store_true",
                        help="use PREFIX_a and PREFIX_b as they are when both exist (built "
                             "by an earlier run with --keep)")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.server_shown = args.server

    # This checkout's schemagate, whatever an editable install elsewhere points to.
    os.environ["PYTHONPATH"] = str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    schemagate = [sys.executable, "-m", "schemagate"]
    migra = executable("migra", args.migra_venv)
    if migra is None:
        raise BenchError(f"migra not found in {args.migra_venv}: python -m venv "
                         f"{args.migra_venv} && {args.migra_venv}/bin/pip install migra "
                         "psycopg2-binary")
    a_sql, b_sql = schema_sql(args.tables, "a"), schema_sql(args.tables, "b")
    names = (f"{args.prefix}_a", f"{args.prefix}_b")
    if args.reuse and all(database_exists(args.server, n) for n in names):
        print(f"using {names[0]} and {names[1]} as they are", flush=True)
    else:
        print(f"building {names[0]} and {names[1]} ({args.tables} tables each) ...", flush=True)
        create_database(args.server, names[0], a_sql)
        create_database(args.server, names[1], b_sql)
    a_url, b_url = (_url(args.server, n) for n in names)
    mg_a, mg_b = (_url(args.server, n, "postgresql+psycopg2") for n in names)
    scratch = Path(tempfile.mkdtemp(prefix="bench-diff-"))
    out = scratch / "plan.sql"
    commands = [
        Command("schemagate", (*schemagate, "diff", "--from", a_url, "--to", b_url,
                               "--allow-destructive", "-o", str(out)),
                f"python -m schemagate diff --from {a_url} --to {b_url} "
                "--allow-destructive -o plan.sql"),
        Command("migra", (migra, "--unsafe", mg_a, mg_b),
                f"migra --unsafe {mg_a} {mg_b} > migra.sql", ok_codes=(0, 2)),
    ]
    launcher = Launcher(scratch)
    try:
        series = run_alternating(launcher, commands, args.runs, args.warmup)
    finally:
        launcher.close()
    plan_sql = out.read_text(encoding="utf-8")
    print("checking that schemagate's plan turns A into B ...", flush=True)
    verify_plan(args.server, names[0], plan_sql, _conninfo(args.server, names[1]))
    changes = next((ln for ln in plan_sql.splitlines() if "change(s)" in ln), "")
    migra_lines = (scratch / "migra.out").read_text(encoding="utf-8").count(";")
    summary = f"{changes.removeprefix('-- ')}; migra printed {migra_lines} statements"
    env = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count()),
        "CPU": cpu_model(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL server": server_version(args.server),
        "schemagate": version_of([*schemagate, "--version"]) + f" (this checkout, "
                      f"`python -m schemagate` with `PYTHONPATH={REPO / 'src'}`)",
        "migra": f"migra {_pip_version(args.migra_venv, 'migra')}, schemainspect "
                 f"{_pip_version(args.migra_venv, 'schemainspect')}, SQLAlchemy "
                 f"{_pip_version(args.migra_venv, 'sqlalchemy')}",
        "executables": f"`{sys.executable}`, `{migra}`",
    }
    text = markdown(series, env, args, summary)
    print(text)
    if args.write:
        write_markdown(text, tables=args.tables)
        print(f"updated {BENCHMARKS_MD}")
    if not args.keep:
        for name in names:
            drop_database(args.server, name)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _pip_version(venv: Path, package: str) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           f"import importlib.metadata as m; print(m.version({package!r}))"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_diff: {exc}", file=sys.stderr)
        sys.exit(1)

