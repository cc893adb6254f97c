"""Parse-only cost of the PostgreSQL frontend, two source trees side by side.

Every ``.sql`` file of each directory is read and parsed (`parse_script`: pglast, the
operations, the statements' clause spans as the frontend makes them), with no rules and no
fold: what the parse step of a lint costs. Each tree runs in a process of its own
(``PYTHONPATH=<tree>/src``), alternating, and reports the CPU time of the parse loop alone
(imports and reading the files excluded); the table gives medians and the ratio.

    python benchmarks/bench_parse.py --tree old=/tmp/old --tree new=. --runs 7 \\
        /tmp/hist/openmeter /tmp/hist/lemmy /tmp/hist/kratos benchmarks/corpus

ory/popx histories keep other dialects' files beside PostgreSQL's (``.mysql.``,
``.sqlite3.``, ``.cockroach.``): those are skipped, as a lint of the PostgreSQL history does.
``--worker`` is the child's entry point; ``--callgrind`` runs each tree once under valgrind's
callgrind instead and reports instruction counts (repeatable on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_OTHER_DIALECT = re.compile(r"\.(mysql|sqlite3?|cockroach)\.", re.IGNORECASE)


def files_of(directory: str) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*.sql")
                  if not _OTHER_DIALECT.search(p.name))


def worker(directories: list[str], repeat: int) -> None:
    """Parse each directory `repeat` times and print its fastest loop; ``repeat`` 0 reads
    the files and imports everything, parsing nothing (callgrind's baseline)."""
    from schemagate.model.migration import Script
    from schemagate.parse.postgres.frontend import parse_script
    from schemagate.parse.source import SourceText

    for directory in directories:
        sources = [SourceText.of(str(p), p.read_text(encoding="utf-8", errors="replace"))
                   for p in files_of(directory)]
        best: list[float] = []
        statements = 0
        for _ in range(repeat):
            start = time.process_time()
            statements = 0
            for source in sources:
                parsed = parse_script(source, Script(source.path))
                statements += len(parsed.statements)
            best.append(time.process_time() - start)
        seconds = min(best, default=0.0)
        print(f"{directory}\t{len(sources)}\t{statements}\t{seconds:.6f}", flush=True)


def run_tree(src: str, directories: list[str], repeat: int, callgrind: str | None = None
             ) -> dict[str, tuple[int, int, float]]:
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve() / "src"))
    argv = [sys.executable, __file__, "--worker", "--repeat", str(repeat), *directories]
    if callgrind:
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={callgrind}", *argv]
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        directory, files, statements, seconds = line.split("\t")
        result[directory] = (int(files), int(statements), float(seconds))
    return result


def instructions(path: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directories", nargs="+")
    ap.add_argument("--tree", action="append", default=[],
                    help="NAME=PATH of a source tree (its src/ is imported); give two")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1,
                    help="parse loops per process (its fastest is kept)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--callgrind", action="store_true",
                    help="instruction counts under valgrind, one directory per run")
    args = ap.parse_args()
    if args.worker:
        worker(args.directories, args.repeat)
        return
    trees = [t.split("=", 1) for t in args.tree]
    if args.callgrind:
        with tempfile.TemporaryDirectory() as tmp:
            print("| directory | " + " | ".join(f"{n} (Ir)" for n, _ in trees)
                  + " | ratio |\n|---|" + "---|" * (len(trees) + 1))
            for directory in args.directories:
                counts = []
                for name, src in trees:
                    # The same process with no directory: imports and start-up, subtracted.
                    base, full = f"{tmp}/{name}.base", f"{tmp}/{name}.full"
                    run_tree(src, [directory], 0, base)
                    run_tree(src, [directory], 1, full)
                    counts.append(instructions(full) - instructions(base))
                ratio = counts[-1] / counts[0]
                print(f"| {directory} | " + " | ".join(f"{c:,}" for c in counts)
                      + f" | {ratio:.3f} |", flush=True)
        return
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for run in range(args.runs):
        order = trees if run % 2 == 0 else trees[::-1]
        for name, src in order:
            for directory, (files, statements, seconds) in run_tree(
                    src, args.directories, args.repeat).items():
                times.setdefault((name, directory), []).append(seconds)
                sizes[directory] = (files, statements)
    names = [n for n, _ in trees]
    print(f"{args.runs} runs per tree, alternating; median parse CPU (s)\n")
    print("| directory | files | statements | " + " | ".join(names)
          + f" | {names[-1]} / {names[0]} |")
    print("|---|---|---|" + "---|" * (len(names) + 1))
    for directory in args.directories:
        medians = [statistics.median(times[(n, directory)]) for n in names]
        files, statements = sizes[directory]
        print(f"| {directory} | {files} | {statements} | "
              + " | ".join(f"{m:.3f}" for m in medians)
              + f" | {medians[-1] / medians[0]:.3f} |")


if __name__ == "__main__":
    main()
