"""Helpers for the lint tests: how much memory a piece of work holds at most, and the long
script it is measured on."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
