"""Benchmark `schemagate lint` on Django migrations against the same on Alembic revisions.

Two generated histories of the same length and the same five kinds of step
(tests/rules/alembic_history.py, benchmarks/django_project.py), linted side by side,
alternating, each run a child process measured as in bench_lint.py (wall around the child,
CPU and peak RSS from its own rusage, started from `_launcher.py`). Optionally:

- `--real DIR` (repeatable): a real Django project, linted the same way;
- `--dml N`: django-migration-linter's `lintmigrations` on a generated Django project of N
  migrations (it needs Django, django-migration-linter, and a PostgreSQL it can reach,
  `--pg-db`), against `schemagate lint` on the same project.

    python benchmarks/bench_django.py --files 1000 --runs 5
    python benchmarks/bench_django.py --files 1000 --runs 5 --real /tmp/dj/saleor --dml 100 --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from bench_lint import (  # noqa: E402
    Command,
    Launcher,
    Series,
    cpu_model,
    nproc,
    run_alternating,
    table,
)
from django_project import write_project  # noqa: E402
from tests.rules.alembic_history import write_history  # noqa: E402

BENCHMARKS_MD = REPO / "BENCHMARKS.md"
LOAD = os.getloadavg()
BEGIN_MARK = "<!-- bench_django:begin -->"
END_MARK = "<!-- bench_django:end -->"


def schemagate_exe() -> str:
    found = Path(sys.executable).with_name("schemagate")
    return str(found) if found.exists() else (shutil.which("schemagate") or "schemagate")


def size_of(paths: Sequence[Path]) -> tuple[int, int]:
    return len(paths), sum(p.stat().st_size for p in paths)


def lint_command(label: str, exe: str, folder: Path, out: Path) -> Command:
    argv = (exe, "lint", str(folder), "--format", "json", "-o", str(out), "--no-cache")
    return Command(label, argv, f"schemagate lint {folder.name} --format json -o out.json "
                                "--no-cache")


def row(series: Series, files: int) -> list[str]:
    return [series.command.label, f"{series.median:.3f}", f"{series.best:.3f}",
            f"{series.cpu:.3f}", f"{series.rss_mib:.1f}", f"{files / series.median:,.0f}"]


HEADER = ["What", "Median wall (s)", "Min wall (s)", "Median CPU (s)", "Peak RSS (MiB)",
          "Files/s"]


def measure(args: argparse.Namespace, work: Path) -> str:
    exe = schemagate_exe()
    django_dir, alembic_dir = work / "django", work / "alembic"
    django_files = write_project(django_dir, args.files)
    write_history(alembic_dir / "alembic" / "versions", args.files)
    alembic_files = sorted((alembic_dir / "alembic" / "versions").glob("*.py"))
    d_count, d_bytes = size_of(django_files)
    a_count, a_bytes = size_of(alembic_files)
    commands = [lint_command(f"Django, {d_count:,} files", exe, django_dir, work / "d.json"),
                lint_command(f"Alembic, {a_count:,} files", exe, alembic_dir, work / "a.json")]
    counts = [d_count, a_count]
    for real in args.real:
        files = sorted(Path(real).rglob("migrations/0*.py"))
        commands.append(lint_command(f"{Path(real).name} (real), {len(files):,} files", exe,
                                     Path(real), work / f"{Path(real).name}.json"))
        counts.append(len(files))
    with Launcher(work, work) as launcher:
        series = run_alternating(launcher, commands, args.runs, warmup=1)
    d, a = series[0], series[1]
    lines = [
        "## Django against Alembic (`benchmarks/bench_django.py`)", "",
        "> Shared, noisy machine: read the ratio, measured in the same run, alternating.", "",
        "Reproduce:", "", "```sh",
        "python benchmarks/bench_django.py " + " ".join(shlex.quote(a) for a in args.argv),
        "```", "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; nproc {nproc()}; "
        f"CPU {cpu_model()}; Python {sys.version.split()[0]}; load average at the start "
        f"{LOAD[0]:.1f} (above nproc, wall times measure the neighbours: read CPU)",
        f"- {args.runs} runs of each, alternating, after one warm-up; `--no-cache` (cold).",
        f"- Django: {d_count:,} migration files in {len(set(p.parent for p in django_files))} "
        f"apps, {d_bytes / 1024:,.0f} KiB (benchmarks/django_project.py); Alembic: "
        f"{a_count:,} revisions, {a_bytes / 1024:,.0f} KiB (tests/rules/alembic_history.py); "
        "the same five kinds of step in the same rotation.", "",
        *table([row(s, n) for s, n in zip(series, counts, strict=True)], HEADER), "",
        f"Django / Alembic: **{d.median / a.median:.2f}x** wall (median), "
        f"{d.best / a.best:.2f}x (min), {d.cpu / a.cpu:.2f}x CPU, "
        f"{d.rss_mib / a.rss_mib:.2f}x peak RSS; per KiB of source "
        f"{(d.median / d_bytes) / (a.median / a_bytes):.2f}x.",
    ]
    if args.dml:
        lines += ["", *measure_dml(args, work, exe)]
    return "\n".join(lines) + "\n"


def measure_dml(args: argparse.Namespace, work: Path, exe: str) -> list[str]:
    """django-migration-linter and schemagate on one generated project of `--dml` files."""
    root = work / "dml"
    files = write_project(root, args.dml, db=args.pg_db,
                          extra_apps=("django_migration_linter",))
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f'DROP DATABASE IF EXISTS "{args.pg_db}"', "-c",
                    f'CREATE DATABASE "{args.pg_db}"'], check=True)
    try:
        dml = Command("django-migration-linter", (
            sys.executable, str(root / "manage.py"), "lintmigrations", "--no-cache", "-q", "ok"),
            "python manage.py lintmigrations --no-cache -q ok")
        ours = lint_command("schemagate", exe, root, work / "dml.json")
        with Launcher(root, work) as launcher:
            series = run_alternating(launcher, [ours, dml], max(1, args.runs // 2), warmup=0)
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f'DROP DATABASE IF EXISTS "{args.pg_db}"'], check=False)
    s, m = series
    return [
        f"### Against django-migration-linter: {len(files):,} generated Django migrations", "",
        "django-migration-linter runs `sqlmigrate` for every migration, which loads the "
        "project and rebuilds the migration state each time, on a configured project with a "
        "reachable database (an empty PostgreSQL here); schemagate reads the files.", "",
        *table([row(x, len(files)) for x in series], HEADER), "",
        f"django-migration-linter / schemagate: **{m.median / s.median:.1f}x** wall (median), "
        f"{m.cpu / s.cpu:.1f}x CPU.",
    ]


def write_markdown(text: str) -> None:
    block = f"{BEGIN_MARK}\n{text}{END_MARK}\n"
    current = BENCHMARKS_MD.read_text(encoding="utf-8")
    start, end = current.find(BEGIN_MARK), current.find(END_MARK)
    if start == -1 or end == -1:
        new = current.rstrip("\n") + "\n\n" + block
    else:
        new = current[:start] + block + current[end + len(END_MARK):].lstrip("\n")
    BENCHMARKS_MD.write_text(new, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--real", action="append", default=[], metavar="DIR")
    parser.add_argument("--dml", type=int, default=0, metavar="N")
    parser.add_argument("--pg-db", default="schemagate_bench_django")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    args.argv = [a for a in (argv if argv is not None else sys.argv[1:])]
    with tempfile.TemporaryDirectory(prefix="bench_django_") as tmp:
        text = measure(args, Path(tmp))
    print(text)
    if args.write:
        write_markdown(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
