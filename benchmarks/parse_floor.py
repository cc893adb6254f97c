"""The floor under any linter built on pglast: start Python, load libpg_query, parse each file.

    python benchmarks/parse_floor.py FILE.sql ...

It does what schemagate's PostgreSQL frontend must do before any analysis, and nothing more:
read each file, have libpg_query parse it to JSON (`parse_sql_json`, the call the frontend
makes), decode the JSON, and count the statements. No statement is translated, folded or
checked. bench_real.py times it beside squawk on the same files: the ratio it shows is the
least any pglast-based tool can reach on them, whatever it does after parsing.
"""

from __future__ import annotations

import contextlib
import json
import sys

from schemagate.parse.postgres.libpg import pg


def main(files: list[str]) -> int:
    statements = 0
    for name in files:
        with open(name, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        # A file that does not parse: schemagate reports it; the floor only has to have tried.
        with contextlib.suppress(pg.ParseError):
            statements += len(json.loads(pg.parse_sql_json(text)).get("stmts", ()))
    print(statements)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
