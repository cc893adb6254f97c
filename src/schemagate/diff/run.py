"""One diff, end to end: read both sides, plan up (and down), guard the plans.

What `schemagate diff` does between its options and its output, as one library call that a
test, another command or a future API can make: the two sources parsed, both read at once
(diff/targets.py), the plans made, and, when asked, each plan guarded by a fingerprint taken
on the database it was made from while that database is still there (diff/guard.py).
Rendering is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemagate.diff.options import PlanOptions
from schemagate.diff.targets import ApplyAlembic, Loader, parse_target

if TYPE_CHECKING:  # the model and the planner are imported while the databases are read
    from schemagate.diff.changes import Plan
    from schemagate.model.names import QName
    from schemagate.model.stats import TableStats


@dataclass
class DiffRun:
    up: Plan  # FROM → TO
    back: Plan | None  # TO → FROM, when asked for
    source: str  # FROM and TO as labels for people (a URL without its password)
    target: str
    # Table sizes and row estimates of the live side (FROM when it is live, else TO).
    stats: dict[QName, TableStats] | None = None


def run_diff(source: str, target: str, *, scratch: str | None = None,
             privileges: bool = False, options: PlanOptions | None = None,
             down: bool = False, guard: bool = False,
             apply_alembic: ApplyAlembic | None = None, stats: bool = False) -> DiffRun:
    """Plan FROM → TO (and TO → FROM with ``down``). ``guard``: open each plan with the
    check that stops it on a changed schema. ``apply_alembic``: how Alembic histories are
    run (diff cannot run them itself: the CLI passes verify's runner). ``stats``: read
    table statistics from the side that is a live database, if one is."""
    options = options or PlanOptions()
    src, dst = parse_target(source), parse_target(target)
    with Loader(scratch, privileges=privileges, apply_alembic=apply_alembic,
                hold=guard) as loader:
        # The planner is imported while both databases are being read.
        before, after = loader.load_pair(src, dst, _import_planner)
        from schemagate.diff.plan import plan

        up = plan(before, after, options)
        back = plan(after, before, options) if down else None
        if guard:  # fingerprinted in the snapshot each plan was made from, still open
            from schemagate.diff.guard import add_guard_read

            with loader.held(src) as cur:
                add_guard_read(up, cur, src.label)
            if back is not None:
                with loader.held(dst) as cur:
                    add_guard_read(back, cur, dst.label)
    live = next((t for t in (src, dst) if t.kind == "url"), None)
    table_sizes = None
    if stats and live is not None:
        from schemagate.diff.stats import table_stats

        table_sizes = table_stats(live.spec)
    return DiffRun(up, back, src.label, dst.label, table_sizes)


def _import_planner() -> None:
    """The model, the planner and the renderers, imported while the databases are being
    read (nothing before the reading needs them)."""
    import schemagate.diff.plan
    import schemagate.diff.render  # noqa: F401
