"""Plain `.sql` files (layout "sql"): every `.sql` file no migration tool claims.

Names: any `.sql` file; `x.down.sql` (or `x_down.sql` beside an `x_up.sql` / `x.sql`) is the
down of `x`; `up.sql` and `down.sql` take their folder's name.
Versions: none; files and sub-folders are ordered together by natural name (digit runs
compare as numbers, so `2_x.sql` comes before `10_x.sql`), and a name starting with digits
is ordered by that number among versioned migrations of the same history.
Up and down: by base name, `x.up.sql` / `x_up.sql` / `x.sql` with `x.down.sql` / `x_down.sql`.
Transactions: such files are run statement by statement, as psql runs them: each statement
its own transaction unless the script says BEGIN ("autocommit").
"""

from __future__ import annotations

from schemagate.parse.layouts.listing import Plan


def plans(names: list[str], folder: str) -> list[Plan]:
    """Plain scripts, each down joined to the up of the same base name."""
    bases: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        base, rank = _role(name)
        bases.setdefault(base, []).append((rank, name))
    found: list[Plan] = []
    for base, files in bases.items():
        files.sort()
        ups = [name for rank, name in files if rank <= 2]
        downs = [name for rank, name in files if rank == 3]
        # `x_down.sql` is a down only next to its up; alone it is an ordinary script.
        maybe_downs = [name for rank, name in files if rank == 4]
        if ups and not downs and maybe_downs:
            downs.append(maybe_downs.pop(0))
        label = base or folder  # up.sql/down.sql take their folder's name
        for index, up in enumerate(ups):
            down = downs.pop(0) if index == 0 and downs else None
            found.append(Plan(label, "sql", up, down, "autocommit"))
        found.extend(Plan(label, "sql", None, down, "autocommit") for down in downs)
        found.extend(
            Plan(name[: -len(".sql")], "sql", name, None, "autocommit") for name in maybe_downs
        )
    return found


def pairing_key(name: str) -> str:
    """What a `.sql` file shares with the files it may pair with: its base name."""
    return _role(name)[0]


def _role(name: str) -> tuple[str, int]:
    """(base, rank): ranks 0-2 are ups, best first; 3 a down; 4 a down only beside its up."""
    if name == "up.sql":
        return "", 0
    if name == "down.sql":
        return "", 3
    for suffix, rank in ((".up.sql", 0), ("_up.sql", 1), (".down.sql", 3), ("_down.sql", 4)):
        if name.endswith(suffix):
            return name[: -len(suffix)], rank
    return name[: -len(".sql")], 2
