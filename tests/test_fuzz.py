"""Mutated real migrations through the real command line: never a crash, a hang or bad JSON.

Each run lints a folder of known-good migrations with mutated ones (truncations, byte flips,
splices, unclosed tokens, deep nesting, other encodings) between them. The run must end in
time with valid JSON, no internal error, every file PostgreSQL's parser rejects named in
`errors` with a line and column, and the good files' findings present.

The suite runs a few seeded rounds (seconds). A bigger fuzz, over any migration histories:

    python -m tests.test_fuzz --count 3000 --per-run 30 /tmp/robust/kratos tests/fixtures
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pglast import parser as pg

from tests.conftest import FIXTURES

ROOT = Path(__file__).parent.parent
RUN_SECONDS = 60

FIRST = ("-- The table the last migration drops a column of.\n"
         "CREATE TABLE fuzz_canary (id bigint, legacy text);\n")
LAST = "ALTER TABLE fuzz_canary DROP COLUMN legacy;\n"
# Tokens that open something the lexer must see closed, and bytes that are not SQL.
OPENERS = [b'"', b"'", b"$$", b"$body$", b"/*", b"E'\\", b'U&"', b"--", b"\\", b"\xff",
           b"\xc3", b"\x01", b"{{ .Schema }}", b"${schema}", b":'name'", b";", b"(", b")"]


def corpus(roots: Sequence[Path]) -> list[bytes]:
    """The .sql files under the roots, each at most 200 kB, in a stable order."""
    files = sorted(p for root in roots for p in root.rglob("*.sql") if p.is_file())
    return [data for p in files if 0 < len(data := p.read_bytes()) <= 200_000]


def deep(rng: random.Random) -> bytes:
    """A statement nested deep: operator chains, calls, parentheses, subqueries."""
    n = rng.choice([400, 1000, 3000, 12_000])
    shape = rng.randrange(4)
    if shape == 0:
        body = " || ".join(["legacy"] * n)
    elif shape == 1:
        body = "abs(" * n + "1" + ")" * n
    elif shape == 2:
        body = "(" * n + "1" + ")" * n
    else:
        body = "(SELECT " * n + "1" + ")" * n
    return f"ALTER TABLE t ADD COLUMN c text DEFAULT {body};\n".encode()


def mutate(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """One mutation of a migration's bytes."""
    kind = rng.randrange(8)
    at = rng.randrange(len(data) + 1)
    if kind == 0:  # truncated anywhere, even inside a multi-byte character
        return data[:at]
    if kind == 1:  # bytes flipped
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            if out:
                out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 2:  # the head of one file on the tail of another
        return data[:at] + other[rng.randrange(len(other) + 1):]
    if kind == 3:  # an opener dropped in
        return data[:at] + rng.choice(OPENERS) + data[at:]
    if kind == 4:
        return data[:at] + b"\n" + deep(rng) + data[at:]
    if kind == 5:  # BOM and CRLF
        return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    if kind == 6:
        return data.decode("utf-8", errors="replace").encode("utf-16")
    return data * rng.randint(2, 40)


def rejected(data: bytes) -> bool:
    """Whether PostgreSQL's parser (or UTF-8) rejects the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    if "\x00" in text:
        return True
    try:
        pg.parse_sql_json(text)
    except pg.ParseError:
        return True
    except RecursionError:
        return False
    return False


@dataclass
class Outcome:
    files: int = 0
    bad_files: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fuzz_run(folder: Path, mutated: list[bytes], outcome: Outcome) -> None:
    """Lint one folder of good and mutated files; record what broke the contract."""
    (folder / "000_first.sql").write_text(FIRST)
    names = []
    for i, data in enumerate(mutated, 1):
        name = f"{i:03d}_mutated.sql"
        (folder / name).write_bytes(data)
        names.append(name)
    (folder / "999_last.sql").write_text(LAST)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "schemagate", "lint", str(folder), "--format", "json"],
            capture_output=True, text=True, timeout=RUN_SECONDS,
            env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        outcome.failures.append(f"{folder}: hung for {RUN_SECONDS} s")
        return
    finally:
        outcome.seconds += time.monotonic() - start
        outcome.runs += 1
        outcome.files += len(mutated)
    where = f"{folder} (exit {proc.returncode})"
    if proc.returncode not in (0, 1, 2) or "internal error" in proc.stderr:
        outcome.failures.append(f"{where}: {proc.stderr.strip()[-300:]}")
        return
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        outcome.failures.append(f"{where}: output is not JSON")
        return
    errors = {Path(e["path"]).name: e for e in doc["errors"]}
    for name, data in zip(names, mutated, strict=True):
        if not rejected(data):
            continue
        outcome.bad_files += 1
        error = errors.get(name)
        if error is None:
            outcome.failures.append(f"{where}: {name} is rejected by PostgreSQL but not "
                                    "named in errors")
        elif not (error["line"] and error["column"]):
            outcome.failures.append(f"{where}: {name}'s error has no line and column: "
                                    f"{error}")
    if not any(Path(f["path"]).name == "999_last.sql" and f["rule"] == "drop-column"
               for f in doc["findings"]):
        outcome.failures.append(f"{where}: the last good file's drop-column is missing")


def rounds(rng: random.Random, files: list[bytes], count: int, per_run: int
           ) -> Iterator[list[bytes]]:
    made = 0
    while made < count:
        n = min(per_run, count - made)
        yield [mutate(rng, rng.choice(files), rng.choice(files)) for _ in range(n)]
        made += n


def fuzz(roots: Sequence[Path], count: int, per_run: int, seed: int) -> Outcome:
    rng = random.Random(seed)
    files = corpus(roots)
    outcome = Outcome()
    with tempfile.TemporaryDirectory(prefix="schemagate-fuzz-") as tmp:
        for i, mutated in enumerate(rounds(rng, files, count, per_run)):
            folder = Path(tmp) / f"run{i:04d}"
            folder.mkdir()
            fuzz_run(folder, mutated, outcome)
    return outcome


def test_mutated_migrations_never_crash_hang_or_break_the_json() -> None:
    outcome = fuzz([FIXTURES], count=60, per_run=20, seed=12)
    assert outcome.failures == []
    assert outcome.bad_files > 10  # the mutations do reach the error paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--per-run", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    outcome = fuzz(args.roots, args.count, args.per_run, args.seed)
    for failure in outcome.failures:
        print(failure)
    print(f"{outcome.files} mutated files in {outcome.runs} runs ({outcome.bad_files} rejected "
          f"by PostgreSQL), {outcome.seconds:.1f} s: {len(outcome.failures)} failures")


if __name__ == "__main__":
    main()
