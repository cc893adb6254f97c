"""diesel: `<version>_<name>/up.sql` and `down.sql`, one folder per migration.

Names: a folder named `<version>_<name>` holding `up.sql` (and usually `down.sql`), the
version being digits and dashes (`2017-08-31-230457_create_users`, `00000000000000_init`).
Loose `.sql` files beside the migration folders are not diesel's.
Versions compare as the text of the digits before the first `_` with the dashes removed,
so `2017-08-31-230457` sorts among `20170820180453`, and a short `20240313` after
`20240306170000` (text, not numbers).
Up and down: the folder's `up.sql` and `down.sql`.
Transactions: diesel runs each migration inside BEGIN … COMMIT ("wrapped") unless the
folder's `metadata.toml` says `run_in_transaction = false` ("autocommit").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from schemagate.model.migration import TransactionMode
from schemagate.parse.layouts.listing import Folder, Plan, Problems, read_toml

_DIR = re.compile(r"[0-9][0-9-]*_.+")
_NOT_DIGITS = re.compile(r"[^0-9]")


def plan(folder: Folder, names: Collection[str], problems: Problems) -> Plan | None:
    """The folder's migration if it is diesel's."""
    if "up.sql" not in names or not _DIR.fullmatch(folder.name):
        return None
    down = "down.sql" if "down.sql" in names else None
    version = folder.name.split("_", 1)[0]
    return Plan(folder.name, "diesel", "up.sql", down, _mode(folder, problems), version=version)


def version_key(version: str) -> tuple[int, ...]:
    """The version as diesel compares it: its digits, dashes removed, as a string (diesel's
    `MigrationVersion` orders its text), so `20240313` sorts after `20240306170000`. Each
    digit is one part: tuples compare as their strings do."""
    return tuple(int(digit) for digit in _NOT_DIGITS.sub("", version))


def _mode(folder: Folder, problems: Problems) -> TransactionMode:
    # The metadata.toml opt-out exists for CREATE INDEX CONCURRENTLY and friends.
    if "metadata.toml" not in folder.files:
        return "wrapped"
    path = folder.files["metadata.toml"].path
    document = read_toml(path, folder.show("metadata.toml"), problems)
    if document is not None and document.get("run_in_transaction") is False:
        return "autocommit"
    return "wrapped"
