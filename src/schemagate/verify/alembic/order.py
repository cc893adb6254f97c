"""The order Alembic applies revisions in: by the revision graph, not by file name."""

from __future__ import annotations

from collections.abc import Sequence

from schemagate.model.migration import ParsedMigration


def in_tool_order(migrations: Sequence[ParsedMigration]) -> list[ParsedMigration]:
    """The migrations in the order their tools apply them: each Alembic history (its folders
    joined as lint joins them) by its revision graph, where its first file was; the others as
    given."""
    alembic = [m for m in migrations if m.source.layout == "alembic"]
    if not alembic:
        return list(migrations)
    from schemagate.graph.revisions import merge_histories, order_history

    by_folder: dict[str, list[ParsedMigration]] = {}
    for mig in alembic:
        by_folder.setdefault(mig.source.history, []).append(mig)
    histories = {folder: order_history(h) for folder, h in merge_histories(by_folder).items()}
    history_of = {id(m): folder for folder, h in histories.items() for m in h}
    out: list[ParsedMigration] = []
    for mig in migrations:
        if mig.source.layout != "alembic":
            out.append(mig)
        elif (folder := history_of.pop(id(mig), None)) is not None and folder in histories:
            out.extend(histories.pop(folder))
    return out
