"""golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql`.

Names: a version of digits, `_`, a title, and `.up.sql` or `.down.sql`
(`000001_create_users.up.sql`). Any other name is not golang-migrate's.
Versions compare as integers: `01` and `1` are one version, `10` comes after `9`.
Up and down: the `.down.sql` of the same version (by title when a version repeats).
Transactions: golang-migrate sends each file as one multi-statement query, which PostgreSQL
runs as one implicit transaction when it holds more than one statement ("implicit").
"""

from __future__ import annotations

import re

from schemagate.parse.layouts.listing import Plan
from schemagate.parse.layouts.versions import Half, versioned_plans

_NAME = re.compile(r"(?P<version>[0-9]+)_(?P<desc>.*)\.(?P<direction>up|down)\.sql")
# How every name `_NAME` takes ends: tested first, as a plain name fails the pattern only
# after trying it at every character.
_DIRECTIONS = (".up.sql", ".down.sql")


def claim(names: list[str]) -> tuple[list[Plan], list[str]]:
    """golang-migrate's migrations among the `.sql` `names`, in version order; the rest."""
    ups: list[Half] = []
    downs: list[Half] = []
    rest: list[str] = []
    for name in names:
        if ("0" <= name[0] <= "9" and name.endswith(_DIRECTIONS)
                and (match := _NAME.fullmatch(name))):
            (ups if match["direction"] == "up" else downs).append(_half(name, match))
        else:
            rest.append(name)
    return versioned_plans(ups, downs, "golang-migrate", "implicit"), rest


def pairing_key(name: str) -> str | None:
    """What an up file shares with its down; None for other names."""
    if match := _NAME.fullmatch(name):
        return str(int(match["version"]))
    return None


def _half(name: str, match: re.Match[str]) -> Half:
    stem = name[: -len(f".{match['direction']}.sql")]
    version = match["version"]
    # golang-migrate reads the version as an integer: 01 and 1 are one version.
    return Half(name, stem, (int(version),), match["desc"], version)
