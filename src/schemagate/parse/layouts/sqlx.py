"""sqlx (Rust): `<version>_<description>.sql`, or `.up.sql` and `.down.sql`, beside the
crate whose `Cargo.toml` depends on sqlx (`sqlx::migrate!("./migrations")`).

Names: a version of digits, `_`, a description, and `.sql` (a simple migration) or
`.up.sql` / `.down.sql` (a reversible one). sqlx's file names alone are plain scripts' and
golang-migrate's too: a folder is sqlx's when the `Cargo.toml` of the crate above it (the
folder's parent, or the one above, for `migrations/postgres`) names sqlx (`signs`).
Versions compare as integers (sqlx parses them as `i64`).
Up and down: the `.down.sql` of the same version.
Transactions: sqlx runs each migration inside its own transaction ("wrapped"), unless the
file's text starts with `-- no-transaction` ("autocommit"): so `CREATE INDEX CONCURRENTLY`
needs that line, and a lock taken in a migration is held until the migration ends.
Record: `_sqlx_migrations` (by version, with a checksum); not read (`diff --applied`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import Plan
from schemagate.parse.layouts.versions import Half, versioned_plans

_NAME = re.compile(r"(?P<version>[0-9]+)_(?P<desc>.+?)(?:\.(?P<direction>up|down))?\.sql")
# sqlx: `sql.starts_with("-- no-transaction")`, on the file's text as it is.
NO_TRANSACTION = b"-- no-transaction"


def claim(names: list[str], start: Callable[[str], bytes]) -> tuple[list[Plan], list[str]]:
    """sqlx's migrations among the `.sql` `names`, in version order; the rest. `start`
    gives a file's first bytes, which say whether sqlx wraps it in a transaction."""
    ups: list[Half] = []
    downs: list[Half] = []
    rest: list[str] = []
    modes: dict[str, TransactionMode] = {}
    for name in names:
        match = _NAME.fullmatch(name) if "0" <= name[:1] <= "9" else None
        if match is None:
            rest.append(name)
            continue
        stem = name[: -len(".sql")]
        if match["direction"]:
            stem = stem[: -len(match["direction"]) - 1]
        half = Half(name, stem, (int(match["version"]),), match["desc"], match["version"])
        (downs if match["direction"] == "down" else ups).append(half)
        modes[name] = "autocommit" if start(name).startswith(NO_TRANSACTION) else "wrapped"
    plans = versioned_plans(ups, downs, "sqlx", "wrapped")
    return [plan._replace(
        transaction=modes[plan.up] if plan.up else "wrapped",
        down_transaction=modes[plan.down] if plan.down else None) for plan in plans], rest
