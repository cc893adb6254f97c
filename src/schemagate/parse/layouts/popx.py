"""ory/popx (Ory Kratos, Keto, Hydra): `<version>_<name>[.<dialect>][.autocommit].(up|down).sql`.

Names: a version of digits (Ory uses 20: a timestamp and a sequence number), `_`, a name
without dots, an optional dialect (`postgres`, `mysql`, `sqlite3`, `cockroach` and pop's
aliases for them: `pg`, `postgresql`, `mariadb`, `sqlite`, `crdb`, `cockroachdb`), an
optional `.autocommit`, and `.up.sql` or `.down.sql`. golang-migrate's names are a subset
of these, so a folder is popx's only when one of its names carries a dialect or
`.autocommit`; a folder without either is left to golang-migrate.
Versions compare as strings (popx sorts them so); Ory's are all 20 digits long, for which
that is numeric order.
Dialects: popx runs, for each version and direction, the file written for the database's
dialect if there is one, else the generic file (no dialect). So one folder holds one
history per dialect. schemagate lints the history of the dialect it is asked for
(PostgreSQL unless `--dialect` says otherwise): a `.postgres.` file replaces the generic
file of its version and direction, and the files of the other dialects are not part of
that history. They are left out with one notice per folder: folding them into the same
schema would mix the MySQL and SQLite histories into the PostgreSQL one, and CockroachDB is
not a dialect schemagate lints at all. `--dialect mysql` or `--dialect sqlite` lints that
history instead, through the same choice.
Up and down: popx does not pair them. Rolling back runs the down files of the applied
versions newest first (its `Down` sorts them by version and reverses the list), whatever
their names. Ory writes a migration as a run of versions sharing its 14-digit timestamp
(popx's "legacy version", the fizz migration they were split from) with a 6-digit sequence,
and numbers the downs independently of the ups: the up `…000011` may be undone by the down
`…000039`; a migration spread over several timestamps under one name keeps all its downs
under the first. So the versions of one timestamp, and consecutive versions of one name,
are one unit of rollback (`rollback_unit`): all their downs, newest first, undo all their
ups. Within a version, the up and the down are one migration for everything else. An empty
down file is how popx writes "nothing to undo here" (it requires a down file for every up,
and skips an empty one), so an empty down is read as no down at all.
Transactions: popx runs each file in a transaction of its own ("wrapped"); a file named
`.autocommit.` is sent as it is, one multi-statement query that PostgreSQL runs as an
implicit transaction when it holds more than one statement ("implicit").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import Plan

_NAME = re.compile(
    r"(?P<version>[0-9]+)_(?P<desc>[^.]+)(?P<tags>(?:\.[a-z0-9]+){0,2})\.(?P<direction>up|down)\.sql"
)
_DIRECTIONS = (".up.sql", ".down.sql")  # how every name `_NAME` takes ends

# pop's canonical dialect names, and the schemagate dialect each one is linted as.
_CANONICAL = {
    "postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
    "mysql": "mysql", "mariadb": "mysql",
    "sqlite3": "sqlite3", "sqlite": "sqlite3",
    "cockroach": "cockroach", "cockroachdb": "cockroach", "crdb": "cockroach",
}
_SCHEMAGATE = {"postgres": "postgres", "mysql": "mysql", "sqlite3": "sqlite"}


class _File(NamedTuple):
    name: str
    version: str
    desc: str
    dialect: str | None  # pop's canonical name; None for the generic file
    autocommit: bool
    direction: str


class Claim(NamedTuple):
    """What popx took from a folder: the plans of one history and the files of the others."""

    plans: list[Plan]
    rest: list[str]
    left_out: list[str]  # popx's, but not in this history: replaced, or another dialect's
    other_dialects: dict[str, int]  # pop dialect -> its files among `left_out`


def is_popx(names: Iterable[str]) -> bool:
    """Whether a folder's names are popx's: one of them names a dialect or `.autocommit`."""
    for name in names:
        parsed = _parse(name)
        if parsed is not None and (parsed.dialect is not None or parsed.autocommit):
            return True
    return False


def claim(names: list[str], dialect: str) -> Claim:
    """The history of `dialect` (a schemagate dialect) among a popx folder's `.sql` names."""
    chosen: dict[tuple[str, str], list[_File]] = {}
    generic: dict[tuple[str, str], list[_File]] = {}
    others: dict[str, int] = {}
    rest: list[str] = []
    left_out: list[str] = []
    for name in names:
        file = _parse(name)
        if file is None:
            rest.append(name)
            continue
        key = (file.version, file.direction)
        if file.dialect is None:
            generic.setdefault(key, []).append(file)
        elif _SCHEMAGATE.get(file.dialect) == dialect:
            chosen.setdefault(key, []).append(file)
        else:
            others[file.dialect] = others.get(file.dialect, 0) + 1
            left_out.append(name)
    for key, files in generic.items():
        if key in chosen:  # a dialect's own file replaces the generic one
            left_out.extend(file.name for file in files)
        else:
            chosen[key] = files
    versions = sorted({version for version, _ in chosen})
    plans: list[Plan] = []
    for version in versions:
        ups = chosen.get((version, "up"), [])
        downs = chosen.get((version, "down"), [])
        plans.extend(_pair(version, ups, downs, dialect))
    return Claim(_in_units(plans), rest, left_out, others)


def _in_units(plans: list[Plan]) -> list[Plan]:
    """The plans (in version order) with their unit of rollback: a run of versions that
    share a timestamp or, one after the other, a name. A unit of one is left without."""
    runs: list[list[Plan]] = []
    for plan in plans:
        if runs and _same_unit(runs[-1][-1], plan):
            runs[-1].append(plan)
        else:
            runs.append([plan])
    return [plan._replace(rollback_unit=run[0].name) if len(run) > 1 else plan
            for run in runs for plan in run]


def _same_unit(a: Plan, b: Plan) -> bool:
    assert a.version is not None and b.version is not None
    if len(a.version) > _TIMESTAMP and a.version[:_TIMESTAMP] == b.version[:_TIMESTAMP]:
        return True
    return a.name.partition("_")[2] == b.name.partition("_")[2]


# The digits of a version that name the migration it was split from (popx's legacy version).
_TIMESTAMP = 14


def pairing_key(name: str) -> str | None:
    """What an up file shares with its down and its other dialects' files; None otherwise."""
    parsed = _parse(name)
    return None if parsed is None else str(int(parsed.version))


def _parse(name: str) -> _File | None:
    # The suffix first: most `.sql` names are no migration tool's, and a pattern fails
    # them only after many steps.
    if (not ("0" <= name[:1] <= "9") or not name.endswith(_DIRECTIONS)
            or (match := _NAME.fullmatch(name)) is None):
        return None
    tags = match["tags"].split(".")[1:]
    autocommit = tags[-1:] == ["autocommit"]
    if autocommit:
        tags.pop()
    if len(tags) > 1:
        return None
    dialect = None
    if tags:
        dialect = _CANONICAL.get(tags[0])
        if dialect is None:  # popx skips a file whose dialect pop does not know
            return None
    return _File(name, match["version"], match["desc"], dialect, autocommit,
                 match["direction"])


def _pair(version: str, ups: list[_File], downs: list[_File], dialect: str) -> list[Plan]:
    """One plan per up (its down by name, or the version's only down); orphans on their own."""
    plans: list[Plan] = []
    downs = sorted(downs)
    for up in sorted(ups):
        down = next((d for d in downs if d.desc == up.desc), None)
        if down is None and len(ups) == 1 and len(downs) == 1:
            down = downs[0]
        if down is not None:
            downs.remove(down)
        plans.append(_plan(up, down, dialect))
    plans.extend(_plan(None, down, dialect) for down in downs)
    return plans


def _plan(up: _File | None, down: _File | None, dialect: str) -> Plan:
    main = up or down
    assert main is not None
    # A file's own name decides how popx sends it; up and down may differ.
    return Plan(
        f"{main.version}_{main.desc}",
        "popx",
        up.name if up else None,
        down.name if down else None,
        _mode(main),
        version=main.version,
        dialect=dialect,
        down_transaction=None if down is None else _mode(down),
    )


def _mode(file: _File) -> TransactionMode:
    return "implicit" if file.autocommit else "wrapped"
