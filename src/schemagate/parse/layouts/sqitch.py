"""Sqitch: a folder holding `sqitch.plan`, whose changes are applied in the plan's order.

Names: each change of the plan is `deploy/<change>.sql`, reverted by `revert/<change>.sql`
(a change's name may hold `/`, a sub-folder: `beeeon.gateways/create`); `verify/` holds
checks, not migrations. A change planned again after a tag ("reworked") keeps its earlier
scripts under `<change>@<tag>.sql`, the first tag after the earlier one.
Up and down: the deploy and the revert script.
Transactions: Sqitch hands each script to psql as it is, statement by statement: the
scripts open and commit their own transactions ("autocommit", as a plain script).
The plan's pragmas (`%project=…`), tags (`@v1.0 …`) and comments are not changes; a change
written `-name` is planned to be reverted, and is left out with a notice.

A `sqitch.conf` beside the plan may move the project: its `[core]` `top_dir` (the plan and
the script folders under it), `plan_file`, `deploy_dir` and `revert_dir` are followed, each
relative to the folder of the conf.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from schemagate.parse.layouts.signs import SQITCH_PLAN

PLAN = SQITCH_PLAN
CONF = "sqitch.conf"
DEPLOY = "deploy"
REVERT = "revert"
# The folders of a Sqitch project that hold no migration to walk as a history of its own.
OWN_FOLDERS = frozenset({DEPLOY, REVERT, "verify"})

# A change or tag line: its name (after an optional + or -), then its dependencies in
# brackets, its time, its planner and note; only the name matters here.
_ENTRY = re.compile(r"^\s*([+-]?)([^\s\[#]+)")


class Change(NamedTuple):
    """One change of the plan, in order: its name and the name its scripts have."""

    name: str
    script: str  # the name, or `name@tag` for the earlier plannings of a reworked change
    reverted: bool = False  # written `-name`: the plan reverts it


def changes(plan: str) -> list[Change]:
    """The changes of a plan's text, in order, with each script's name."""
    entries: list[tuple[str, str, bool]] = []  # (kind, name, reverted); kind "change"/"tag"
    for line in plan.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "%")):
            continue
        match = _ENTRY.match(line)
        if match is None:
            continue
        sign, name = match.groups()
        if name.startswith("@"):
            entries.append(("tag", name, False))
        else:
            entries.append(("change", name, sign == "-"))
    last = {name: i for i, (kind, name, _) in enumerate(entries) if kind == "change"}
    next_tag: list[str | None] = [None] * len(entries)
    tag: str | None = None
    for i in range(len(entries) - 1, -1, -1):  # the first tag after each entry
        next_tag[i] = tag
        if entries[i][0] == "tag":
            tag = entries[i][1]
    out: list[Change] = []
    for i, (kind, name, reverted) in enumerate(entries):
        if kind != "change":
            continue
        reworked = next_tag[i] if i < last[name] else None
        out.append(Change(name, f"{name}{reworked}" if reworked else name, reverted))
    return out


class Places(NamedTuple):
    """Where a project's plan and scripts are, relative to the folder of its conf."""

    plan: str = PLAN
    deploy: str = DEPLOY
    revert: str = REVERT


def places(conf: str | None) -> Places:
    """The places a `sqitch.conf` (git-config syntax) gives in its `[core]` section."""
    core: dict[str, str] = {}
    section = ""
    for raw in (conf or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
            continue
        key, sep, value = line.partition("=")
        if section == "core" and sep:
            core[key.strip().lower()] = value.split("#", 1)[0].strip().strip('"')
    top = core.get("top_dir", ".")

    def under(name: str) -> str:
        return _normal(f"{top}/{name}")

    return Places(plan=_normal(core["plan_file"]) if "plan_file" in core else under(PLAN),
                  deploy=_normal(core["deploy_dir"]) if "deploy_dir" in core else under(DEPLOY),
                  revert=_normal(core["revert_dir"]) if "revert_dir" in core else under(REVERT))


def _normal(path: str) -> str:
    """A relative path with `.` parts and repeated slashes dropped (`./sql//deploy`)."""
    return "/".join(part for part in path.replace("\\", "/").split("/") if part not in ("", "."))
