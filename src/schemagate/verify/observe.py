"""Locks of a statement that cannot run inside a transaction, seen from a second session.

`CREATE INDEX CONCURRENTLY` and its kin commit on their own, so their session cannot read
its locks after the fact. They run in a worker thread while this module polls `pg_locks` for
their backend from an observer session. A concurrent build finishes in milliseconds on a
small table, too fast to be caught reliably, so a third session first opens a transaction
holding ROW EXCLUSIVE on the tables the statement names, as a writing application would:
the statement takes its own lock, then waits for that transaction (a concurrent build waits
for every writer), and the observer sees the lock while it waits. The blocker lets go as
soon as the wait is seen, or after a short while when there is no wait; the statement's time
is measured from then on to leave out the wait the observer caused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from schemagate.diff.connect import connect
from schemagate.model.names import QName, quote_qname
from schemagate.verify.locks import held_locks

POLL_SECONDS = 0.002
# The longest the blocker waits for the statement to queue behind it. It is released as soon
# as the statement is seen waiting, so this only bounds a statement that never waits; a
# short bound made the observation flaky on a loaded machine.
HOLD_SECONDS = 5.0

# The table behind each named relation: an index names its table.
_TABLE_OF = """
SELECT n.nspname, t.relname
FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_class t ON t.oid = coalesce(i.indrelid, c.oid)
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE c.oid = to_regclass(%s)
"""


@dataclass
class Observed:
    ms: float = 0.0
    locks: set[tuple[int, str]] = field(default_factory=set)
    error: psycopg.Error | None = None
    seen: bool = False  # whether the observer saw the statement running at all


def run_observed(conn: psycopg.Connection[Any], sql: str, url: str,
                 relations: Iterable[QName]) -> Observed:
    """Run ``sql`` on ``conn`` (autocommit) while watching its locks from other sessions."""
    result = Observed()
    pid = conn.info.backend_pid
    with connect(url, autocommit=True) as observer, connect(url) as blocker:
        block(blocker, relations)
        started = threading.Event()
        done = threading.Event()
        timing: dict[str, float] = {}

        def work() -> None:
            started.set()
            timing["start"] = time.perf_counter()
            try:
                conn.execute(sql.encode("utf-8"))
            except psycopg.Error as exc:
                result.error = exc
            finally:
                timing["end"] = time.perf_counter()
                done.set()

        worker = threading.Thread(target=work, name="schemagate-verify-statement")
        worker.start()
        started.wait()
        released_at: float | None = None
        deadline = time.perf_counter() + HOLD_SECONDS

        def look() -> None:
            locks = held_locks(observer, pid)
            if locks:
                result.seen = True
                result.locks |= locks

        while not done.is_set():
            look()
            if released_at is None and (waiting(observer, pid) or
                                        time.perf_counter() > deadline):
                # It may have started, taken its locks and queued since the last look: look
                # again while it still waits, or a statement that is fast once released
                # goes unseen.
                look()
                blocker.rollback()
                released_at = time.perf_counter()
            time.sleep(POLL_SECONDS)
        worker.join()
        if released_at is None:
            blocker.rollback()
        # Its time is from its release (it waited behind the blocker until then), unless it
        # did not wait: it ended before the release, which a look between two polls misses.
        start = timing["start"]
        if released_at is not None and released_at < timing["end"]:
            start = max(start, released_at)
        result.ms = (timing["end"] - start) * 1000
    return result


def block(blocker: psycopg.Connection[Any], relations: Iterable[QName]) -> None:
    """Hold ROW EXCLUSIVE on the tables behind the relations, in an open transaction."""
    for rel in relations:
        row = blocker.execute(_TABLE_OF, (quote_qname(rel),)).fetchone()
        if row is None:
            continue
        try:
            blocker.execute("SAVEPOINT sg_block")
            blocker.execute(f"LOCK TABLE {quote_qname(QName(*row))} IN ROW EXCLUSIVE MODE NOWAIT")
            blocker.execute("RELEASE SAVEPOINT sg_block")
        except psycopg.Error:
            blocker.execute("ROLLBACK TO SAVEPOINT sg_block")


def waiting(observer: psycopg.Connection[Any], pid: int) -> bool:
    """Whether the backend is queued behind a lock right now."""
    row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                           (pid,)).fetchone()
    return row is not None and row[0] == "Lock"
