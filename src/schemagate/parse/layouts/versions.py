"""Up and down files paired by version, for the layouts that number their files.

Flyway and golang-migrate name each direction in its own file and tie them by version.
A version used twice is kept twice for a rule to report; downs go to the ups whose
description they share, and none is guessed when that is ambiguous.
"""

from __future__ import annotations

from typing import NamedTuple

from schemagate.model.migration import Layout, TransactionMode
from schemagate.parse.layouts.listing import Plan


class Half(NamedTuple):
    """One direction of a versioned migration, waiting for its pair."""

    file: str
    stem: str
    group: tuple[int, ...]  # the version as compared: files of one version pair up
    label: str  # the description: when a version repeats, up and down pair by it
    version: str


def versioned_plans(
    ups: list[Half], downs: list[Half], layout: Layout, transaction: TransactionMode
) -> list[Plan]:
    """Pair ups with downs by version, in version order (equal versions by name)."""
    ordered: list[tuple[tuple[tuple[int, ...], str], Plan]] = []
    for up, down in pair(ups, downs):
        main = up or down
        assert main is not None
        plan = Plan(
            main.stem,
            layout,
            up.file if up else None,
            down.file if down else None,
            transaction,
            version=main.version,
        )
        ordered.append(((main.group, main.stem), plan))
    ordered.sort(key=lambda item: item[0])
    return [plan for _, plan in ordered]


def pair(ups: list[Half], downs: list[Half]) -> list[tuple[Half | None, Half | None]]:
    """Match downs to ups of the same version: same description first, else a lone pair.

    A version used twice (two `3_*.up.sql`) is kept twice for a later rule to report; its
    downs go to the ups they name, and none is guessed when that is ambiguous.
    """
    groups: dict[tuple[int, ...], tuple[list[Half], list[Half]]] = {}
    for up in ups:
        groups.setdefault(up.group, ([], []))[0].append(up)
    for down in downs:
        groups.setdefault(down.group, ([], []))[1].append(down)
    pairs: list[tuple[Half | None, Half | None]] = []
    for group_ups, group_downs in groups.values():
        unmatched: list[Half] = []
        for up in group_ups:
            match = next((down for down in group_downs if down.label == up.label), None)
            if match is None:
                unmatched.append(up)
            else:
                group_downs.remove(match)
                pairs.append((up, match))
        if len(unmatched) == 1 and len(group_downs) == 1:
            pairs.append((unmatched[0], group_downs[0]))
            continue
        pairs.extend((up, None) for up in unmatched)
        pairs.extend((None, down) for down in group_downs)
    return pairs
