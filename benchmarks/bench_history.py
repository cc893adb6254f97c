"""Time discovering, parsing and linting a long generated Alembic history.

The history comes from tests/rules/alembic_history.py (tables with foreign keys, batch blocks,
SQL strings, branches and merges). Each run is timed with ``perf_counter`` in this process,
after one untimed warm-up run so that imports and caches are not counted; the best of the
runs is reported, since on a shared machine the slower ones measure the neighbours.

    python benchmarks/bench_history.py                       # 500 revisions, best of 3
    python benchmarks/bench_history.py --revisions 2000 --budget 12

With ``--budget SECONDS`` the exit code is 1 when the best run is slower: a check to run by
hand on a quiet machine, never from the test suite (tests/rules/test_history_scaling.py
checks the same path for linear growth by counting work, not time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.rules.alembic_history import write_history  # noqa: E402

from schemagate.lint.engine import lint  # noqa: E402
from schemagate.model.settings import Settings  # noqa: E402
from schemagate.parse.layouts.discover import discover  # noqa: E402
from schemagate.parse.load import load_migrations  # noqa: E402


def run_once(root: Path, revisions: int) -> float:
    """Seconds for one discover → load → lint of the history under `root`."""
    start = time.perf_counter()
    found = discover(["."], cwd=root)
    loaded = load_migrations(found.migrations, root=root)
    result = lint(loaded.migrations, Settings())
    seconds = time.perf_counter() - start
    if len(found.migrations) != revisions or loaded.errors:
        raise SystemExit(f"expected {revisions} clean revisions, found "
                         f"{len(found.migrations)} with {len(loaded.errors)} errors")
    if any(f.family == "history" for f in result.active):
        raise SystemExit("the generated history has history findings: the generator is wrong")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=None,
                        help="exit 1 when the best run takes longer (seconds)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="schemagate-bench-history-") as tmp:
        root = Path(tmp)
        write_history(root / "alembic" / "versions", args.revisions)
        run_once(root, args.revisions)  # warm-up: imports, the volatility table, caches
        timings = [run_once(root, args.revisions) for _ in range(args.runs)]
    best = min(timings)
    print(f"{args.revisions} Alembic revisions: best {best:.2f} s of "
          f"{', '.join(f'{t:.2f}' for t in timings)} s")
    if args.budget is not None and best > args.budget:
        print(f"slower than the budget of {args.budget:.2f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
