"""Generate src/schemagate/data/volatility.json from a real PostgreSQL's pg_proc.

Whether `ADD COLUMN ... DEFAULT f()` rewrites the table depends on f's volatility, which only
the server knows. This script asks one (built-in functions only: pg_catalog) and writes the
table schemagate ships. Run it again against a newer release to refresh it:

    python scripts/gen_volatility.py postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psycopg

OUT = Path(__file__).parent.parent / "src" / "schemagate" / "data" / "volatility.json"

QUERY = """
SELECT p.proname, string_agg(DISTINCT p.provolatile::text, '' ORDER BY p.provolatile::text)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pg_catalog'
GROUP BY p.proname
ORDER BY p.proname
"""


def main(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.read_only = True
        version = conn.execute("SHOW server_version").fetchone()
        rows = conn.execute(QUERY).fetchall()
    # One letter per name when every overload agrees (i immutable, s stable, v volatile);
    # several letters when overloads differ, so the reader can choose the cautious one.
    table = {name: kinds for name, kinds in rows}
    doc = {"source": f"pg_proc of PostgreSQL {version[0] if version else '?'}",
           "functions": table}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} functions to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres")
