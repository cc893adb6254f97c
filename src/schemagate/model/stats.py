"""Live table statistics: how big a table is, for findings and reports."""

from __future__ import annotations

from dataclasses import dataclass

from schemagate.model.names import QName


@dataclass(frozen=True, slots=True)
class TableStats:
    """How big a live table is: its estimated rows and its bytes on disk."""

    name: QName
    rows: int  # pg_class.reltuples: the planner's estimate (-1 → never analyzed, as 0)
    bytes: int | None  # pg_total_relation_size: heap, indexes and TOAST; None: unknown
    unknown: str | None = None  # why the size is unknown (a lock held too long, …)

    @property
    def size(self) -> str:
        if self.bytes is None:
            return "unknown"
        size = float(self.bytes)
        for unit in ("B", "kB", "MB", "GB", "TB"):
            if size < 1024 or unit == "TB":
                return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
        return f"{self.bytes} B"
