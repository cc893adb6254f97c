"""Replay operations over a Catalog: the schema before and after every migration."""

from schemagate.fold.apply import (
    apply,
    apply_all,
    constraint_name,
    materialize,
    needs_placeholders,
    track_gone,
)

__all__ = ["apply", "apply_all", "constraint_name", "materialize", "needs_placeholders",
           "track_gone"]
