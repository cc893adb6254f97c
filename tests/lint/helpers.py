"""Helpers for the lint tests: how much memory a piece of work holds at most, and the long
script it is measured on."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def peak(work: Callable[[], object]) -> tuple[int, object]:
    """The most memory ``work`` held at once beyond what was allocated before it (traced
    allocations, the same on every run), and what it returned."""
    gc.collect()  # young objects only: the caller froze the rest (`frozen_heap`)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = work()
        return tracemalloc.get_traced_memory()[1] - before, out
    finally:
        tracemalloc.stop()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """What the process holds now is left out of every later collection: in a test worker
    that has run hundreds of tests a full collection takes a tenth of a second or more, and
    `peak` collects before each measurement."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def generated_script(n: int) -> str:
    """n statements as `benchmarks/bench_scaling.py` writes them: tables created, columns
    added, indexes built, rows inserted (no finding: what is measured is the lint)."""
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


def held_per_byte(folder: Path, work: Callable[[Path], object]) -> tuple[float, object]:
    """How much more ``work`` holds at most per byte more of a generated script: its peak
    on scripts of 1,500 and 6,000 statements, as the growth between the two, so that what
    every run holds (the interpreter, the pieces kept parsed) does not count. With the
    measurements, to show when it fails.

    Runs on 100 and 1,500 statements first pay for the imports and the first-use caches of
    both paths (a script of 1,500 is long enough to be read a piece at a time). Each size
    is measured twice and the smaller peak kept: tracemalloc counts every thread, and in a
    test worker another thread (a database a finished test left to drop) may allocate
    while the work runs; it can only add."""
    paths = []
    for n in (100, 1500, 6000):
        path = folder / str(n) / "V1__generated.sql"
        path.parent.mkdir(parents=True)
        path.write_text(generated_script(n), encoding="utf-8")
        paths.append(path)
    work(paths[0])
    work(paths[1])
    with frozen_heap():
        peaks = [min(peak(lambda p=p: work(p))[0] for _ in range(2)) for p in paths[1:]]
    sizes = [p.stat().st_size for p in paths[1:]]
    return (peaks[1] - peaks[0]) / (sizes[1] - sizes[0]), (peaks, sizes)
