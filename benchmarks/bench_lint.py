"""Benchmark `schemagate lint` against squawk on the generated corpus.

Each tool runs as a child process, alternating with the others in the same session, so the
shared machine's noise hits all of them alike. Wall time comes from ``perf_counter`` around
the child's life, CPU time and peak RSS from that child's own ``rusage`` (``os.wait4``), never
from the cumulative ``RUSAGE_CHILDREN`` maximum. Children are started by a small helper
(``_launcher.py``) so that their peak RSS does not include the benchmark's own.

    python benchmarks/gen_corpus.py --check        # once: the corpus (git-ignored)
    python benchmarks/bench_lint.py                # print the Markdown tables
    python benchmarks/bench_lint.py --write        # ... and update BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "benchmarks" / "corpus"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"
LAUNCHER = Path(__file__).resolve().parent / "_launcher.py"
BEGIN_MARK = "<!-- bench_lint:begin -->"
END_MARK = "<!-- bench_lint:end -->"
NORMAL_EXIT = (0, 1)  # 1 = findings, for both tools

MAX_CORPUS_RATIO = 2.0
MAX_RSS_MIB = 200.0
MAX_SINGLE_WALL = 0.3


class BenchError(Exception):
    """A child exited abnormally: the benchmark cannot be trusted."""


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    shown: str  # how a person would type it (for BENCHMARKS.md)


@dataclass(frozen=True)
class Sample:
    wall: float
    rss_kib: int
    cpu: float
    code: int


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
    """Runs children through ``_launcher.py``, so their peak RSS is their own (see there)."""

    def __init__(self, workdir: Path, scratch: Path) -> None:
        self.scratch = scratch
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", str(LAUNCHER)], cwd=workdir,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def run(self, command: Command) -> Sample:
        """One run, stdout and stderr to scratch files; abnormal exit codes stop everything."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = self.scratch / "stdout", self.scratch / "stderr"
        fields: tuple[str, ...] = (str(out), str(err), *command.argv)
        job = b"\0".join(os.fsencode(f) for f in fields)
        self.proc.stdin.write(job + b"\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().decode().split()
        if len(answer) != 5 or answer[0] == "error":
            raise BenchError(f"cannot run {command.shown!r}: {' '.join(answer)}")
        wall, rss, user, system, code = answer
        if int(code) not in NORMAL_EXIT:
            detail = err.read_text(encoding="utf-8", errors="replace").strip()
            raise BenchError(f"{command.shown!r} exited with {code}:\n{detail}")
        return Sample(float(wall), int(rss), float(user) + float(system), int(code))

    def floor_kib(self) -> int:
        """The smallest ru_maxrss this launcher can report: that of ``true``."""
        true = shutil.which("true") or "/bin/true"
        return max(self.run(Command("true", (true,), "true")).rss_kib for _ in range(3))


def run_alternating(launcher: Launcher, commands: Sequence[Command], runs: int,
                    warmup: int) -> list[Series]:
    """``runs`` samples of each command, interleaved; the order rotates every round."""
    series = [Series(c) for c in commands]
    for _ in range(warmup):
        for command in commands:
            launcher.run(command)
    for round_no in range(runs):
        shift = round_no % len(series)
        for item in series[shift:] + series[:shift]:
            item.samples.append(launcher.run(item.command))
    return series


# --------------------------------------------------------------------------- setup


def executable(name: str) -> str | None:
    """The tool in this interpreter's scripts folder (not a pyenv shim), else on PATH."""
    local = Path(sysconfig.get_path("scripts")) / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def ensure_squawk() -> str:
    found = executable("squawk")
    if found:
        return found
    print("squawk not found: pip install squawk-cli", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "squawk-cli"], check=True)
    found = executable("squawk")
    if not found:
        raise BenchError("squawk still not found after pip install squawk-cli")
    return found


def version_of(argv: Sequence[str]) -> str:
    done = subprocess.run([*argv, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Corpus:
    folder: Path
    files: tuple[Path, ...]
    statements: dict[Path, int]

    @property
    def total(self) -> int:
        return sum(self.statements.values())


def count_statements(path: Path) -> int:
    from pglast import parser

    try:
        return len(parser.parse_sql(path.read_text(encoding="utf-8")))
    except parser.ParseError as exc:
        raise BenchError(f"{path}: not valid PostgreSQL: {exc}") from exc


def load_corpus(folder: Path) -> Corpus:
    """The corpus files and, counted once with pglast, their statements."""
    files = tuple(sorted(folder.glob("*.sql")))
    if not files:
        raise BenchError(f"no .sql files in {folder}: run benchmarks/gen_corpus.py first")
    return Corpus(folder, files, {f: count_statements(f) for f in files})


def typical_file(corpus: Corpus) -> Path:
    """A file with the median statement count, and of those the one nearest the median size."""
    median_count = statistics.median_low(corpus.statements.values())
    same = [f for f in corpus.files if corpus.statements[f] == median_count]
    median_size = statistics.median_low(f.stat().st_size for f in same)
    return min(same, key=lambda f: (abs(f.stat().st_size - median_size), f.name))


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- commands


def corpus_commands(schemagate: str, squawk: str, corpus: Path, json_out: Path) -> list[Command]:
    folder = relative(corpus)
    pattern = f"{folder}/*.sql"  # squawk expands the pattern itself: no argv length limit
    return [
        # --no-cache: every file read and parsed, as squawk does; a second run would be
        # answered from the cache (the warm numbers are bench_real.py --warm's).
        Command("schemagate", (schemagate, "lint", folder, "--format", "json", "-o",
                               str(json_out), "--no-cache"),
                f"schemagate lint {folder} --format json -o <tmp>/{json_out.name} --no-cache"),
        Command("squawk", (squawk, pattern), f"squawk {shlex.quote(pattern)} > out.txt"),
        Command("squawk --reporter json", (squawk, "--reporter", "json", pattern),
                f"squawk --reporter json {shlex.quote(pattern)} > out.json"),
    ]


def single_commands(schemagate: str, squawk: str, one: Path) -> list[Command]:
    path = relative(one)
    return [
        Command("schemagate", (schemagate, "lint", path, "--no-cache"),
                f"schemagate lint {path} --no-cache"),
        Command("squawk", (squawk, path), f"squawk {path}"),
    ]


# --------------------------------------------------------------------------- report


@dataclass
class Target:
    name: str
    measured: str
    limit: str
    ok: bool


@dataclass
class Results:
    corpus: Corpus
    single: Path
    bulk: list[Series]
    one: list[Series]
    runs: int
    single_runs: int
    warmup: int
    env: dict[str, str]
    schemagate_summary: dict[str, object]
    schemagate_errors: list[str]
    floor_mib: float

    def series(self, group: list[Series], label: str) -> Series:
        return next(s for s in group if s.command.label == label)

    def targets(self) -> list[Target]:
        sg = self.series(self.bulk, "schemagate")
        out = []
        for label in ("squawk", "squawk --reporter json"):
            ratio = sg.median / self.series(self.bulk, label).median
            out.append(Target(f"corpus lint time vs `{label}`", f"{ratio:.2f}x",
                              f"<= {MAX_CORPUS_RATIO:g}x", ratio <= MAX_CORPUS_RATIO))
        rss = max(sg.rss_mib, self.series(self.one, "schemagate").rss_mib)
        out.append(Target("schemagate peak RSS", f"{rss:.1f} MiB", f"<= {MAX_RSS_MIB:g} MiB",
                          rss <= MAX_RSS_MIB))
        single = self.series(self.one, "schemagate").median
        out.append(Target("single-file lint wall (median)", f"{single:.3f} s",
                          f"<= {MAX_SINGLE_WALL:g} s", single <= MAX_SINGLE_WALL))
        return out


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def bulk_section(res: Results) -> list[str]:
    files, stmts = len(res.corpus.files), res.corpus.total
    rows = []
    for s in res.bulk:
        rows.append([s.command.label, f"{s.median:.3f}", f"{s.best:.3f}", f"{s.cpu:.3f}",
                     f"{s.rss_mib:.1f}", f"{files / s.median:,.0f}",
                     f"{stmts / s.median:,.0f}"])
    sg = res.series(res.bulk, "schemagate")
    ratios = [f"- schemagate / {s.command.label}: **{sg.median / s.median:.2f}x** wall "
              f"(median), {sg.best / s.best:.2f}x (min), {sg.cpu / s.cpu:.2f}x CPU, "
              f"{sg.rss_mib / s.rss_mib:.2f}x peak RSS"
              for s in res.bulk if s is not sg]
    return [
        f"### Corpus lint: {files:,} files, {stmts:,} statements", "",
        f"Measured {res.env['date']}, nproc {res.env['nproc']}: {res.runs} runs per tool, "
        f"alternating (order rotated every round), after {res.warmup} warm-up run(s) each.",
        "",
        *table(rows, ["Tool", "Median wall (s)", "Min wall (s)", "Median CPU (s)",
                      "Peak RSS (MiB)", "Files/s", "Statements/s"]),
        "", *ratios, "",
        "squawk's default reporter prints every finding with its source excerpt, which is "
        "most of its time here; `--reporter json` is the like-for-like comparison with "
        "schemagate's `--format json`. squawk uses several threads (CPU above wall); "
        "schemagate one.", "", "Commands (from the repository root):", "", "```sh",
        *[s.command.shown for s in res.bulk], "```", "",
        f"schemagate summary: `{json.dumps(res.schemagate_summary)}`",
    ]


def single_section(res: Results) -> list[str]:
    rows = [[s.command.label, f"{s.median:.3f}", f"{s.best:.3f}", f"{s.cpu:.3f}",
             f"{s.rss_mib:.1f}"] for s in res.one]
    sg, sq = res.series(res.one, "schemagate"), res.series(res.one, "squawk")
    count = res.corpus.statements[res.single]
    return [
        f"### Pre-commit: one file ({relative(res.single)}, {count} statements)", "",
        f"Measured {res.env['date']}, nproc {res.env['nproc']}: {res.single_runs} runs per "
        "tool, alternating; the file has the corpus's median statement count.", "",
        *table(rows, ["Tool", "Median wall (s)", "Min wall (s)", "Median CPU (s)",
                      "Peak RSS (MiB)"]),
        "", f"- schemagate / squawk: **{sg.median / sq.median:.2f}x** wall (median), "
        f"{sg.rss_mib / sq.rss_mib:.2f}x peak RSS"
        + (" (squawk's is at the RSS floor)" if sq.rss_mib < res.floor_mib + 1 else ""), "",
        "```sh", *[s.command.shown for s in res.one], "```",
    ]


def targets_section(res: Results) -> list[str]:
    rows = [[t.name, t.measured, t.limit, "PASS" if t.ok else "FAIL"] for t in res.targets()]
    return ["### Targets", "", *table(rows, ["Target", "Measured", "Limit", "Result"])]


def environment_section(res: Results) -> list[str]:
    return ["### Machine and versions", "", *[f"- {k}: {v}" for k, v in res.env.items()]]


def markdown(res: Results) -> str:
    parts = [
        "## Lint benchmark (`benchmarks/bench_lint.py`)", "",
        "> The machine is shared and noisy: absolute times move from run to run, so read the "
        "**ratios** (measured side by side, alternating, in the same run) rather than the "
        "seconds.", "",
        "Reproduce:", "", "```sh",
        "python benchmarks/gen_corpus.py --check",
        f"python benchmarks/bench_lint.py --runs {res.runs} --single-runs {res.single_runs} "
        "--write", "```", "",
        *environment_section(res), "", *bulk_section(res), "", *single_section(res), "",
        *targets_section(res),
    ]
    if res.schemagate_errors:
        parts += ["", "schemagate input errors on the corpus (pglast parses these files):", "",
                  *[f"- {e}" for e in res.schemagate_errors[:20]]]
    return "\n".join(parts) + "\n"


def write_markdown(text: str, target: Path = BENCHMARKS_MD) -> None:
    """Replace this benchmark's marked region in BENCHMARKS.md, keeping everything else."""
    block = f"{BEGIN_MARK}\n{text}{END_MARK}\n"
    if not target.exists():
        target.write_text("# Benchmarks\n\n" + block, encoding="utf-8")
        return
    current = target.read_text(encoding="utf-8")
    start, end = current.find(BEGIN_MARK), current.find(END_MARK)
    if start == -1 or end == -1:
        new = current.rstrip("\n") + "\n\n" + block
    else:
        new = current[:start] + block + current[end + len(END_MARK):].lstrip("\n")
    target.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------- main


def read_report(path: Path) -> tuple[dict[str, object], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = [f"{e.get('path')}:{e.get('line')}: {e.get('message')}"
              for e in data.get("errors", [])]
    return data.get("summary", {}), errors


def environment(schemagate: str, squawk: str) -> dict[str, str]:
    import pglast

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(nproc()),
        "CPU": cpu_model(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "schemagate": version_of([schemagate]),
        "squawk": version_of([squawk]),
        "pglast": getattr(pglast, "__version__", "?"),
        "executables": f"`{schemagate}`, `{squawk}` (the interpreter's own scripts, not "
                       "pyenv shims, which add ~60 ms per call)",
    }


def measure(args: argparse.Namespace) -> Results:
    schemagate = executable("schemagate")
    if not schemagate:
        raise BenchError("schemagate not found: pip install -e . first")
    squawk = ensure_squawk()
    corpus = load_corpus(args.corpus)
    one = args.single or typical_file(corpus)
    if one not in corpus.statements:
        corpus.statements[one] = count_statements(one)
    with tempfile.TemporaryDirectory(prefix="bench_lint.") as tmp, \
            Launcher(REPO, Path(tmp)) as launcher:
        floor = launcher.floor_kib()
        json_out = Path(tmp) / "schemagate.json"
        print(f"corpus: {len(corpus.files)} files, {corpus.total} statements; "
              f"runs: {args.runs}", file=sys.stderr)
        bulk = run_alternating(launcher,
                               corpus_commands(schemagate, squawk, corpus.folder, json_out),
                               args.runs, args.warmup)
        summary, errors = read_report(json_out)
        print(f"single file: {relative(one)}; runs: {args.single_runs}", file=sys.stderr)
        single = run_alternating(launcher, single_commands(schemagate, squawk, one),
                                 args.single_runs, args.warmup)
    env = environment(schemagate, squawk)
    env["RSS floor"] = (f"{floor / 1024:.1f} MiB: the launcher's own peak, which Linux "
                        "counts in every child's ru_maxrss; smaller peaks read as this")
    return Results(corpus, one, bulk, single, args.runs, args.single_runs, args.warmup,
                   env, summary, errors, floor / 1024)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder")
    ap.add_argument("--runs", type=int, default=5, help="corpus runs per tool (default 5)")
    ap.add_argument("--single-runs", type=int, default=10,
                    help="single-file runs per tool (default 10)")
    ap.add_argument("--warmup", type=int, default=1, help="uncounted runs per tool first")
    ap.add_argument("--single", type=Path, help="the one file (default: a typical one)")
    ap.add_argument("--write", action="store_true", help=f"update {BENCHMARKS_MD.name}")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.single_runs < 1 or args.warmup < 0:
        ap.error("--runs and --single-runs must be >= 1, --warmup >= 0")
    args.corpus = args.corpus.resolve()
    args.single = args.single.resolve() if args.single else None
    return args


def precompile() -> None:
    """Write schemagate's bytecode first, as `pip install` does for every user.

    An editable install under PYTHONDONTWRITEBYTECODE (set on these machines) would otherwise
    recompile every module on every run, and the single-file figure would measure the
    compiler instead of the tool.
    """
    import compileall

    import schemagate

    compileall.compile_dir(Path(schemagate.__file__).parent, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    precompile()
    try:
        results = measure(args)
    except BenchError as exc:
        print(f"bench_lint: {exc}", file=sys.stderr)
        return 2
    text = markdown(results)
    print(text)
    if args.write:
        write_markdown(text)
        print(f"updated {relative(BENCHMARKS_MD)}", file=sys.stderr)
    return 0 if all(t.ok for t in results.targets()) else 1


if __name__ == "__main__":
    sys.exit(main())
