"""Benchmark `schemagate lint` against squawk on real public migration histories.

The histories are pinned below (repository, commit, migration folder, layout). They are
materialised into a git-ignored cache folder (``benchmarks/real/``): from a local bare
mirror when ``--mirrors DIR`` (or ``SCHEMAGATE_MIRRORS``) holds ``<owner>+<name>/repo``,
else by a shallow fetch of the pinned commit from GitHub. Then, for every history, both
tools lint the same SQL files, alternating, ``--runs`` times each, through the launcher of
bench_lint.py (wall from the parent, CPU and peak RSS from each child's own rusage):

    schemagate lint <folder> --format json -o <tmp>/out.json     (from the checkout's root)
    squawk --reporter json <the folder's SQL files>               (same files; none for Alembic)
    python benchmarks/parse_floor.py <the same SQL files>         (libpg_query's parse alone)

    python benchmarks/bench_real.py --mirrors /work/.mirror --runs 5
    python benchmarks/bench_real.py --mirrors /work/.mirror --runs 5 --write

``--together`` lints every history in one invocation instead, once with ``-j 1`` and once
with ``-j 2`` (``lint/parallel.py`` shares histories between processes), against squawk on
all their SQL files at once (Alembic's history, which has none, is left out of all three).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bench_lint
from bench_lint import (
    BENCHMARKS_MD,
    Command,
    Launcher,
    Series,
    ensure_squawk,
    executable,
    precompile,
    run_alternating,
    version_of,
)

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / "real"
FLOOR = REPO / "benchmarks" / "parse_floor.py"
BEGIN_MARK = "<!-- bench_real:begin -->"
END_MARK = "<!-- bench_real:end -->"
# schemagate exits 2 when a file of the history cannot be parsed: still a complete run.
bench_lint.NORMAL_EXIT = (0, 1, 2)


@dataclass(frozen=True)
class History:
    repo: str  # owner/name on GitHub
    commit: str
    folder: str  # the migration folder inside the repository
    layout: str
    # SQL files squawk is not given: other dialects the layout keeps beside PostgreSQL's.
    skip: str | None = None

    @property
    def key(self) -> str:
        return self.repo.replace("/", "+")


HISTORIES = (
    History("openmeterio/openmeter", "7e57a394a0283fb210a644685ad1d257f6d5c85c",
            "tools/migrate/migrations", "golang-migrate"),
    History("devtron-labs/devtron", "c6520431f41237566bec9402281ea79c895a2488",
            "scripts/sql", "golang-migrate"),
    History("navikt/familie-ba-sak", "5978c920ff59d98e80b8ab8454635ed020e8fd2e",
            "src/main/resources/db/migration", "flyway"),
    History("supabase/postgres", "7db7e1a9e34b9ffb9b0e3372ccf08eb4fa772f4b",
            "migrations/db/migrations", "dbmate"),
    History("triggerdotdev/trigger.dev", "b082e44389337dc6505d590737a6df70867cc8f4",
            "internal-packages/database/prisma/migrations", "prisma"),
    History("documenso/documenso", "75330166cc00b29c14399bc2e391e4b4d8080c00",
            "packages/prisma/migrations", "prisma"),
    History("LemmyNet/lemmy", "439734dd638a2c06a2f907beab7dcf4646e88f86",
            "migrations", "diesel"),
    History("rust-lang/crates.io", "57fa000662f511321daa61e6769f190ea0e80771",
            "migrations", "diesel"),
    History("pypi/warehouse", "6b62157124ab7865029afeeadf282bce27d601d9",
            "warehouse/migrations", "alembic"),
    History("ory/kratos", "b86338da04a040247a07f46100a86dcfb3875909",
            "persistence/sql/migrations/sql", "popx",
            skip=r"\.(cockroach|mysql|sqlite3?)\.(up|down)\.sql$"),
    History("hatchet-dev/hatchet", "89d130f303c9561442804c9c32b8748e699d5139",
            "cmd/hatchet-migrate/migrate/migrations", "goose"),
    History("frain-dev/convoy", "2b60cc652e1d4babc1857280d5911817960e83e7",
            "sql", "sql-migrate"),
    History("PandaYaY/ExTrack", "e0e882a61c4b15a19971bd3c6f2e116956e8a22a",
            "db/Migrations", "liquibase"),
)


def materialise(history: History, mirrors: Path | None) -> Path:
    """The history's checkout root in the cache, extracting it on first use."""
    root = CACHE / history.key / history.commit[:12]
    done = root / ".complete"
    if done.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    mirror = mirrors / history.key / "repo" if mirrors is not None else None
    if mirror is not None and mirror.is_dir():
        archive = subprocess.run(["git", f"--git-dir={mirror}", "archive", history.commit,
                                  history.folder], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    else:
        clone = root / ".clone"
        subprocess.run(["git", "init", "-q", str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--depth", "1",
                        f"https://github.com/{history.repo}.git", history.commit], check=True)
        archive = subprocess.run(["git", "-C", str(clone), "archive", "FETCH_HEAD",
                                  history.folder], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        subprocess.run(["rm", "-rf", str(clone)], check=True)
    done.touch()
    return root


def sql_files(root: Path, history: History) -> list[str]:
    skip = re.compile(history.skip) if history.skip else None
    return sorted(str(p.relative_to(root)) for p in (root / history.folder).rglob("*.sql")
                  if skip is None or not skip.search(p.name))


@dataclass
class Row:
    history: History
    files: int
    sg: Series
    squawk: Series | None
    floor: Series | None  # parse_floor.py on the same files: libpg_query's parse, no analysis


def measure(histories: tuple[History, ...], mirrors: Path | None, runs: int,
            cold: bool = True) -> list[Row]:
    schemagate = executable("schemagate")
    if schemagate is None:
        raise SystemExit("schemagate is not on PATH (pip install -e .)")
    squawk = ensure_squawk()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sg-real-") as tmp:
        scratch = Path(tmp)
        for history in histories:
            fresh = not (CACHE / history.key / history.commit[:12] / ".complete").exists()
            root = materialise(history, mirrors)
            if fresh and not cold:
                # A lint records nothing for replay while a file it reads is younger than the
                # replay's margin: wait it out, or the warm-up could not fill the replay.
                time.sleep(3.5)
            files = sql_files(root, history)
            no_cache = ("--no-cache",) if cold else ()
            commands = [Command("schemagate", (schemagate, "lint", history.folder, "--format",
                                               "json", "-o", str(scratch / "sg.json"),
                                               *no_cache),
                                f"schemagate lint {history.folder} --format json "
                                + " ".join(no_cache))]
            if files:
                commands.append(Command("squawk", (squawk, "--reporter", "json", *files),
                                        f"squawk --reporter json <{len(files)} files>"))
                commands.append(Command("floor", (sys.executable, str(FLOOR), *files),
                                        f"python benchmarks/parse_floor.py <{len(files)} files>"))
            with Launcher(root, scratch) as launcher:
                series = run_alternating(launcher, commands, runs, warmup=1)
            rows.append(Row(history, len(files), series[0],
                            series[1] if len(series) > 1 else None,
                            series[2] if len(series) > 2 else None))
            print(f"{history.repo}: {len(files)} SQL files, schemagate "
                  f"{series[0].median:.3f} s" + (f", squawk {series[1].median:.3f} s"
                                                 if len(series) > 1 else ""), file=sys.stderr)
    return rows


def measure_together(histories: tuple[History, ...], mirrors: Path | None, runs: int,
                     cold: bool = True, jobs: tuple[int, ...] = (1, 2)
                     ) -> tuple[list[Series], int]:
    """Every history with SQL files in one run: schemagate at each of ``jobs``, and squawk
    (the series, and how many histories)."""
    schemagate = executable("schemagate")
    if schemagate is None:
        raise SystemExit("schemagate is not on PATH (pip install -e .)")
    squawk = ensure_squawk()
    folders: list[str] = []
    files: list[str] = []
    for history in histories:
        root = materialise(history, mirrors)
        mine = sql_files(root, history)
        if mine:  # the same histories for both tools
            base = root.relative_to(CACHE)
            folders.append(str(base / history.folder))
            files += [str(base / f) for f in mine]
    no_cache = ("--no-cache",) if cold else ()
    with tempfile.TemporaryDirectory(prefix="sg-real-") as tmp:
        scratch = Path(tmp)
        commands = [Command(f"schemagate -j {n}",
                            (schemagate, "lint", *folders, "--format", "json", "-o",
                             str(scratch / "sg.json"), "-j", str(n), *no_cache),
                            f"schemagate lint <{len(folders)} histories> --format json -j {n} "
                            + " ".join(no_cache)) for n in jobs]
        commands.append(Command("squawk", (squawk, "--reporter", "json", *files),
                                f"squawk --reporter json <{len(files)} files>"))
        with Launcher(CACHE, scratch) as launcher:
            return run_alternating(launcher, commands, runs, warmup=1), len(folders)


def markdown_together(series: list[Series], runs: int, command: str, histories: int,
                      cold: bool = True) -> str:
    begin, end = BEGIN_MARK.replace("bench_real", "bench_real_together"), \
        END_MARK.replace("bench_real", "bench_real_together")
    squawk = series[-1]
    out = [begin, "## Real histories in one invocation (`benchmarks/bench_real.py --together`)",
           "",
           f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, "
           f"load average {os.getloadavg()[0]:.1f}: the {histories} histories with SQL files "
           f"linted by one command; {runs} runs each, alternating, after one warm-up run; "
           + ("cold (`--no-cache`). " if cold else "warm (parse and fold caches filled). ")
           + "Medians; CPU counts the workers; RSS is the peak of any one process.", "",
           "```sh", command, "```", "",
           "| command | wall (s) | CPU (s) | peak RSS (MiB) | wall vs squawk | wall vs -j 1 |",
           "|---|---|---|---|---|---|"]
    for s in series:
        out.append(f"| `{s.command.shown}` | {s.median:.3f} | {s.cpu:.3f} | {s.rss_mib:.1f} | "
                   f"{s.median / squawk.median:.2f}x | {s.median / series[0].median:.2f}x |")
    out += ["", end]
    return "\n".join(out)


def markdown(rows: list[Row], runs: int, command: str, cold: bool = True) -> str:
    begin, end = marks(cold)
    out = [begin, "## Real histories (`benchmarks/bench_real.py`)"
           + ("" if cold else ", warm cache"), "",
           f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}: "
           f"{runs} runs per tool and history, alternating, after one warm-up run each; "
           + ("cold (`--no-cache`: every file parsed). " if cold else
              "warm (the warm-up run filled the caches: parse, fold and result, and "
              "recorded the run for replay; nothing changed since). ")
           + "Medians; RSS is the peak. "
           f"{version_of([executable('schemagate') or 'schemagate'])}, "
           f"{version_of([ensure_squawk()])}.", "",
           "```sh", command, "```", "",
           "| history | layout | SQL files | schemagate wall (s) | squawk wall (s) | wall ratio "
           "| schemagate CPU (s) | squawk CPU (s) | schemagate RSS (MiB) | squawk RSS (MiB) "
           "| parse floor wall (s) | floor ratio |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    totals = [0.0, 0.0, 0.0, 0.0, 0.0]
    rss = [0.0, 0.0]
    for r in rows:
        sq = r.squawk
        ratio = f"{r.sg.median / sq.median:.2f}x" if sq else "n/a"
        out.append(f"| {r.history.repo}@{r.history.commit[:10]} `{r.history.folder}` | "
                   f"{r.history.layout} | {r.files} | {r.sg.median:.3f} | "
                   f"{sq.median if sq else float('nan'):.3f} | {ratio} | {r.sg.cpu:.3f} | "
                   f"{sq.cpu if sq else float('nan'):.3f} | {r.sg.rss_mib:.1f} | "
                   f"{sq.rss_mib if sq else float('nan'):.1f} | "
                   + (f"{r.floor.median:.3f} | {r.floor.median / sq.median:.2f}x |"
                      if r.floor and sq else "n/a | n/a |"))
        if sq is not None and r.floor is not None:
            totals = [totals[0] + r.sg.median, totals[1] + sq.median,
                      totals[2] + r.sg.cpu, totals[3] + sq.cpu, totals[4] + r.floor.median]
            rss = [max(rss[0], r.sg.rss_mib), max(rss[1], sq.rss_mib)]
    files = sum(r.files for r in rows if r.squawk is not None)
    out += ["", f"Histories with SQL files ({files:,} files): schemagate {totals[0]:.2f} s, "
            f"squawk {totals[1]:.2f} s: **{totals[0] / totals[1]:.2f}x** wall; CPU "
            f"{totals[2] / totals[3]:.2f}x; peak RSS {rss[0]:.1f} MiB vs {rss[1]:.1f} MiB.",
            "", f"The parse floor (`benchmarks/parse_floor.py`: Python's start, libpg_query's "
            f"parse of the same files to JSON, decoded, nothing else) took {totals[4]:.2f} s: "
            f"**{totals[4] / totals[1]:.2f}x** squawk, before any statement is read.",
            "", end]
    return "\n".join(out)


def marks(cold: bool) -> tuple[str, str]:
    """The comments around the cold or the warm table in BENCHMARKS.md."""
    if cold:
        return BEGIN_MARK, END_MARK
    return BEGIN_MARK.replace("bench_real", "bench_real_warm"), \
        END_MARK.replace("bench_real", "bench_real_warm")


def write(text: str, cold: bool = True) -> None:
    begin, end = text.splitlines()[0], text.splitlines()[-1]
    current = BENCHMARKS_MD.read_text(encoding="utf-8")
    if begin in current:
        head, _, rest = current.partition(begin)
        _, _, tail = rest.partition(end)
        current = head + text + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS_MD.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=os.environ.get("SCHEMAGATE_MIRRORS"),
                    help="folder of bare mirrors <owner>+<name>/repo (else fetch from GitHub)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default=None, help="regex: the histories to run")
    ap.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    ap.add_argument("--warm", action="store_true",
                    help="schemagate with its parse cache (default: --no-cache, cold)")
    ap.add_argument("--together", action="store_true",
                    help="every history in one invocation, -j 1 and -j 2, against squawk")
    args = ap.parse_args(argv)
    chosen = tuple(h for h in HISTORIES if args.only is None or re.search(args.only, h.repo))
    cold = not args.warm
    precompile()
    if args.together:
        series, count = measure_together(chosen, args.mirrors, args.runs, cold)
        shown = ("python benchmarks/bench_real.py --mirrors /work/.mirror --together --runs "
                 + str(args.runs) + ("" if cold else " --warm"))
        text = markdown_together(series, args.runs, shown, count, cold)
        print(text)
        if args.write:
            write(text, cold)
        return 0
    rows = measure(chosen, args.mirrors, args.runs, cold)
    shown = ("python benchmarks/bench_real.py --mirrors /work/.mirror --runs " + str(args.runs)
             + ("" if cold else " --warm"))
    text = markdown(rows, args.runs, shown, cold)
    print(text)
    if args.write:
        write(text, cold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
