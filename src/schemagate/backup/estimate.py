"""How big a backup will be and how long it takes, from the live table statistics.

Estimates only: `reltuples` is what the last ANALYZE or VACUUM saw, `avg_width` is per
column from pg_stats. The copy rate is a conservative figure for `CREATE TABLE … AS SELECT`
on ordinary hardware (measured at about 160 MB/s on a development machine's PostgreSQL 15;
production disks under load are slower), so the time is an order of magnitude, not a promise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from schemagate.backup.live import TableStats
from schemagate.backup.plan import Save
from schemagate.model.names import QName

COPY_BYTES_PER_SECOND = 50 * 1024 * 1024
ROW_OVERHEAD = 28  # tuple header and line pointer of each saved row


@dataclass(frozen=True, slots=True)
class Estimate:
    rows: int | None
    bytes: int
    seconds: float


def estimate_save(save: Save, stats: Mapping[QName, TableStats]) -> Estimate | None:
    found = stats.get(save.table.name)
    if found is None:
        return None
    if save.kind == "table" or not save.table.key:
        size = found.table_bytes
    else:
        size = _columns_bytes(save, found)
    return Estimate(found.rows, size, size / COPY_BYTES_PER_SECOND)


def _columns_bytes(save: Save, stats: TableStats) -> int:
    """Key and saved columns only: from their average widths when ANALYZE measured them,
    else the table's size in proportion to the number of columns saved."""
    wanted = list(dict.fromkeys(save.table.key + save.columns))
    if stats.rows is not None and all(c in stats.widths for c in wanted):
        return stats.rows * (sum(stats.widths[c] for c in wanted) + ROW_OVERHEAD)
    total = len(save.table.columns or ()) or len(wanted)
    return stats.table_bytes * len(wanted) // max(total, len(wanted))


def total(estimates: list[Estimate | None]) -> Estimate | None:
    known = [e for e in estimates if e is not None]
    if not known:
        return None
    rows = None if any(e.rows is None for e in known) else sum(e.rows or 0 for e in known)
    return Estimate(rows, sum(e.bytes for e in known), sum(e.seconds for e in known))


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


def human_seconds(s: float) -> str:
    if s < 1:
        return "under a second"
    if s < 120:
        return f"about {s:.0f} s"
    if s < 7200:
        return f"about {s / 60:.0f} min"
    return f"about {s / 3600:.1f} h"
