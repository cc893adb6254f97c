"""Flyway: `V<version>__<description>.sql`, its undo `U<version>__…`, repeatable `R__…`.

Names: `V1__init.sql` (versioned), `U1__init.sql` (its undo, Flyway Teams' down script),
`R__views.sql` (repeatable: re-applied whenever its checksum changes); the version is digits
separated by `.` or `_` (`V1_1__x.sql` is version 1.1).
Versions compare part by part, numerically, and trailing zero parts do not count: `1.0` is
version `1`, `1.10` comes after `1.9`. Repeatable migrations run after all versioned ones,
by description.
Up and down: `V<v>` pairs with `U<v>` of the same version (by description when a version
repeats).
Transactions: Flyway runs each migration inside BEGIN … COMMIT on PostgreSQL, which has
transactional DDL, unless a statement of it cannot run in a transaction (a CREATE INDEX
CONCURRENTLY): then it runs the whole migration with none ("detected"; the statements
are in `parse.transactions`). It refuses a migration that mixes both kinds unless its
`mixed` setting is on.
"""

from __future__ import annotations

import re

from schemagate.parse.layouts.listing import Plan
from schemagate.parse.layouts.versions import Half, versioned_plans

_VERSIONED = re.compile(r"(?P<kind>[VU])(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.*)\.sql")
_REPEATABLE = re.compile(r"R__(?P<desc>.+)\.sql")


def claim(names: list[str]) -> tuple[list[Plan], list[str]]:
    """Flyway's migrations among the `.sql` `names`, in Flyway's order; the names left over."""
    versioned: list[Half] = []
    undos: list[Half] = []
    repeatable: list[tuple[str, str]] = []
    rest: list[str] = []
    for name in names:
        first = name[0]  # only V, U and R names can be Flyway's: test the pattern on those
        if first in "VU" and (match := _VERSIONED.fullmatch(name)):
            (versioned if first == "V" else undos).append(_half(name, match))
        elif first == "R" and (match := _REPEATABLE.fullmatch(name)):
            repeatable.append((match["desc"], name))
        else:
            rest.append(name)
    plans = versioned_plans(versioned, undos, "flyway", "detected")
    plans.extend(
        Plan(name[: -len(".sql")], "flyway", name, None, "detected", repeatable=True)
        for _, name in sorted(repeatable)
    )
    return plans, rest


def pairing_key(name: str) -> str | None:
    """What a versioned file shares with its undo; None for other names."""
    if match := _VERSIONED.fullmatch(name):
        return repr(version_key(match["version"]))
    return None


def version_key(version: str) -> tuple[int, ...]:
    """Flyway compares versions part by part, numerically; 1.0 is the same version as 1."""
    parts = [int(part) for part in re.split(r"[._]", version)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _half(name: str, match: re.Match[str]) -> Half:
    version = match["version"]
    # Flyway shows 1_1 as 1.1: `_` is only a file-name-friendly dot.
    return Half(
        name,
        name[: -len(".sql")],
        version_key(version),
        match["desc"],
        version.replace("_", "."),
    )
