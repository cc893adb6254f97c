"""Replay operations over a Catalog: the schema before and after every migration."""

from schemagate.fold.apply import (
    apply,
    apply_all,
    constraint_name,
    index_of,
    materialize,
    needs_placeholders,
    track_gone,
    with_effects,
)

__all__ = ["apply", "apply_all", "constraint_name", "index_of", "materialize",
           "needs_placeholders", "track_gone", "with_effects"]
