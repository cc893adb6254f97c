"""How `schemagate lint` grows with its input: one long script, and a long history.

For sizes n, 2n, 4n and 8n the benchmark generates the input, lints it (`--format json`)
``--runs`` times through the same launcher as bench_lint.py, and prints the median wall
time, CPU time and peak RSS of each size with its ratio to size n. Linear cost doubles with
each step (ratios 2, 4, 8); a quadratic term shows as ratios growing towards 4, 16, 64.

    python benchmarks/bench_scaling.py                       # script: 4k..32k statements
    python benchmarks/bench_scaling.py --kind history --n 1000 --cold   # --no-cache
    python benchmarks/bench_scaling.py --kind script --n 40000 --steps 3   # up to ~20 MB
    python benchmarks/bench_scaling.py --write               # ... and update BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_lint import BENCHMARKS_MD, Command, Launcher, Series, executable, run_alternating

REPO = Path(__file__).resolve().parent.parent
BEGIN_MARK = "<!-- bench_scaling:begin -->"
END_MARK = "<!-- bench_scaling:end -->"


def script_text(n: int) -> str:
    """n statements: tables created, columns added, indexes built, rows inserted."""
    out = []
    for i in range(n):
        base = i - i % 4
        out.append((
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, "
            "created_at timestamptz DEFAULT now());\n",
            f"ALTER TABLE t{base} ADD COLUMN c{i} integer;\n",
            f"CREATE INDEX t{base}_name_idx{i} ON t{base} (name);\n",
            f"INSERT INTO t{base} (id, name) VALUES ({i}, 'row {i}');\n",
        )[i % 4])
    return "".join(out)


def make_input(kind: str, n: int, folder: Path) -> Path:
    if kind == "script":
        path = folder / f"script_{n}.sql"
        path.write_text(script_text(n), encoding="utf-8")
        return path
    path = folder / f"history_{n}"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_corpus.py"), "--out",
                    str(path), "--migrations", str(n)], check=True, stdout=subprocess.DEVNULL)
    return path


def measure(kind: str, n: int, steps: int, runs: int, cold: bool = False,
            report: bool = False) -> list[tuple[int, int, Series]]:
    schemagate = executable("schemagate")
    if schemagate is None:
        raise SystemExit("schemagate is not on PATH (pip install -e .)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sg-scaling-") as tmp:
        scratch = Path(tmp)
        with Launcher(REPO, scratch) as launcher:
            for k in range(steps + 1):
                size = n * 2 ** k
                target = make_input(kind, size, scratch)
                nbytes = (target.stat().st_size if target.is_file() else
                          sum(p.stat().st_size for p in target.rglob("*.sql")))
                no_cache = ("--no-cache",) if cold else ()
                if report:  # the impact page of the same input, written to a file
                    command = Command(str(size), (schemagate, "report", str(target), "-o",
                                                  str(scratch / "report.html")),
                                      f"schemagate report {target.name} -o report.html")
                else:
                    command = Command(str(size), (schemagate, "lint", str(target), "--format",
                                                  "json", "-o", str(scratch / "out.json"),
                                                  *no_cache),
                                      f"schemagate lint {target.name} --format json "
                                      + " ".join(no_cache))
                series = run_alternating(launcher, [command], runs, warmup=0)[0]
                rows.append((size, nbytes, series))
                print(f"{size:>8} {nbytes / 1e6:8.2f} MB  {series.median:8.2f} s  "
                      f"{series.cpu:8.2f} s CPU  {series.rss_mib:8.1f} MiB", file=sys.stderr)
    return rows


def markdown(kind: str, rows: list[tuple[int, int, Series]]) -> str:
    unit = "statements" if kind == "script" else "migrations"
    base = rows[0][2]
    lines = [f"| {unit} | size (MB) | median wall (s) | wall / n | median CPU (s) "
             "| CPU / n | peak RSS (MiB) |", "|---|---|---|---|---|---|---|"]
    for size, nbytes, s in rows:
        lines.append(f"| {size:,} | {nbytes / 1e6:.2f} | {s.median:.2f} | "
                     f"{s.median / base.median:.2f}x | {s.cpu:.2f} | {s.cpu / base.cpu:.2f}x | "
                     f"{s.rss_mib:.1f} |")
    return "\n".join(lines)


def write(kind: str, table: str, command: str) -> None:
    text = BENCHMARKS_MD.read_text(encoding="utf-8")
    marker = f"<!-- bench_scaling:{kind} -->"
    section = f"{marker}\n```sh\n{command}\n```\n\n{table}\n{marker}"
    if BEGIN_MARK not in text:
        text += (f"\n{BEGIN_MARK}\n## Scaling (`benchmarks/bench_scaling.py`)\n\n"
                 "Each size doubles the one before: linear cost doubles the time and CPU "
                 f"with it.\n\n{END_MARK}\n")
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + section + tail
    else:
        text = text.replace(END_MARK, section + "\n\n" + END_MARK)
    BENCHMARKS_MD.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("script", "history"), default="script")
    ap.add_argument("--n", type=int, default=None,
                    help="smallest size (default: 4000 statements or 1000 migrations)")
    ap.add_argument("--steps", type=int, default=3, help="doublings after n (default 3)")
    ap.add_argument("--runs", type=int, default=3, help="runs per size (default 3)")
    ap.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    ap.add_argument("--cold", action="store_true",
                    help="lint with --no-cache (every run parses and folds everything)")
    ap.add_argument("--report", action="store_true",
                    help="time `schemagate report` (the HTML impact page) instead of lint")
    args = ap.parse_args(argv)
    n = args.n or (4000 if args.kind == "script" else 1000)
    rows = measure(args.kind, n, args.steps, args.runs, args.cold, args.report)
    table = markdown(args.kind, rows)
    print(table)
    if args.write:
        shown = " ".join(["python benchmarks/bench_scaling.py", "--kind", args.kind, "--n",
                          str(n), "--steps", str(args.steps), "--runs", str(args.runs)]
                         + (["--cold"] if args.cold else [])
                         + (["--report"] if args.report else []))
        write(f"report-{args.kind}" if args.report else args.kind, table, shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
