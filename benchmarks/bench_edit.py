"""The pre-commit case: one changed file in a long history, linted warm (the fold cache).

A corpus of ``--migrations`` files (gen_corpus.py) is committed to a git repository in a
scratch folder. Before each run the newest migration is rewritten as committed plus one new
``ALTER TABLE … ADD COLUMN`` line (new bytes every run, as when a developer edits the file
between two commits), and ``schemagate lint . --changed-since HEAD --format text -o out.txt``
runs as a hook runs it. ``--unchanged`` runs it again with nothing changed since the run
before (the result cache answers). Each ``--src`` tree (default: this checkout's) runs with
its own cache folder, alternating with the others; the first round fills the caches and is
not counted. CPU time and peak RSS are each run's own (``_launcher.py``); on a shared
machine compare the trees' ratio, or use ``--callgrind`` (one run per tree under valgrind:
instruction counts, repeatable under load). ``--check`` compares each tree's last report
with a ``--no-cache`` run of the same history.

    python benchmarks/bench_edit.py --migrations 2000 --runs 5 --check
    git archive main src | tar -x -C /tmp/main
    python benchmarks/bench_edit.py --src /tmp/main/src --src src --runs 7
    python benchmarks/bench_edit.py --src /tmp/main/src --src src --callgrind
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_lint import Command, Launcher

REPO = Path(__file__).resolve().parent.parent


def make_repo(folder: Path, migrations: int) -> Path:
    """The corpus, committed; returns its newest migration."""
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_corpus.py"), "--out",
                    str(folder), "--migrations", str(migrations)], check=True,
                   stdout=subprocess.DEVNULL)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
           "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "corpus"], cwd=folder, check=True)
    return sorted(folder.glob("*.sql"))[-1]


def command(src: Path, cache: Path, *extra: str) -> Command:
    """The hook's command run with the schemagate of ``src`` and its own cache folder."""
    env = shutil.which("env") or "/usr/bin/env"
    argv = (env, f"PYTHONPATH={src}", f"XDG_CACHE_HOME={cache}", sys.executable, "-m",
            "schemagate", "lint", ".", "--changed-since", "HEAD", "--format", "text", "-o",
            "out.txt", *extra)
    return Command(str(src), argv, "schemagate lint . --changed-since HEAD --format text "
                   "-o out.txt " + " ".join(extra))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migrations", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5, help="counted runs per tree (default 5)")
    ap.add_argument("--src", action="append", type=Path,
                    help="a source tree holding the schemagate package (repeatable; "
                         "default: this checkout's src)")
    ap.add_argument("--unchanged", action="store_true",
                    help="run with nothing changed since the run before")
    ap.add_argument("--callgrind", action="store_true",
                    help="one run per tree under valgrind: instruction counts")
    ap.add_argument("--check", action="store_true",
                    help="compare each tree's report with a --no-cache run")
    args = ap.parse_args()
    trees = [src.resolve() for src in (args.src or [REPO / "src"])]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode kept between runs
    os.environ.clear()
    os.environ.update(env)
    with tempfile.TemporaryDirectory(prefix="sg-edit-") as tmp:
        scratch = Path(tmp)
        history = scratch / "history"
        newest = make_repo(history, args.migrations)
        committed = newest.read_text(encoding="utf-8")
        edits = 0

        def edit() -> None:
            nonlocal edits
            if not args.unchanged or edits == 0:
                edits += 1
                newest.write_text(committed + f"\nALTER TABLE account_snapshots ADD COLUMN "
                                  f"bench_{edits} integer;\n", encoding="utf-8")

        commands = [command(src, scratch / f"cache-{i}") for i, src in enumerate(trees)]
        samples: dict[str, list[tuple[float, float, int]]] = {c.label: [] for c in commands}
        loads = []
        with Launcher(history, scratch) as launcher:
            for round_no in range(args.runs + 1):  # round 0 fills the caches
                for c in commands:
                    edit()
                    sample = launcher.run(c)
                    if round_no:
                        samples[c.label].append((sample.cpu, sample.wall, sample.rss_kib))
                loads.append(os.getloadavg()[0])
            if args.callgrind:
                for c in commands:
                    edit()
                    out = scratch / "callgrind.out"
                    settings, program = c.argv[1:3], c.argv[3:]  # after `env`
                    subprocess.run(["valgrind", "--tool=callgrind",
                                    f"--callgrind-out-file={out}", *program], cwd=history,
                                   env={**os.environ, **dict(v.split("=", 1) for v in settings)},
                                   check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                    totals = [line for line in out.read_text().splitlines()
                              if line.startswith(("summary:", "totals:"))]
                    print(f"{c.label}: {int(totals[0].split()[1]):,} instructions")
        print(f"{commands[0].shown}  ({args.migrations} migrations, "
              f"{'nothing changed' if args.unchanged else 'newest file edited'}, "
              f"{args.runs} runs each, load average {min(loads):.1f}-{max(loads):.1f})")
        for label, rows in samples.items():
            cpu = sorted(r[0] for r in rows)
            print(f"{label}: CPU {cpu[0]:.3f}-{cpu[-1]:.3f} s (median "
                  f"{statistics.median(cpu):.3f}), wall median "
                  f"{statistics.median(r[1] for r in rows):.3f} s, peak RSS "
                  f"{max(r[2] for r in rows) / 1024:.0f} MiB")
        if args.check:
            for c in commands:
                edit()
                subprocess.run(c.argv, cwd=history, check=False, stdout=subprocess.DEVNULL)
                warm = (history / "out.txt").read_text(encoding="utf-8")
                subprocess.run([*c.argv, "--no-cache"], cwd=history, check=False,
                               stdout=subprocess.DEVNULL)
                cold = (history / "out.txt").read_text(encoding="utf-8")
                print(f"{c.label}: report {'identical to' if warm == cold else 'DIFFERS from'}"
                      " the --no-cache run's")


if __name__ == "__main__":
    main()
