"""Generate the two schemas of the diff benchmark: A (the database now) and B (the target).

2,000 tables of 12 columns, each with a primary key, 3 more indexes (one partial), a foreign
key to the table before it and a CHECK; a view on every 10th table. B differs from A the way
a few weeks of migrations do: every 40th table gets one change from a rotating list (a
column added, dropped or retyped, an index added, dropped or changed, a CHECK or default
changed, NOT NULL added, a view redefined), and a few tables are added and dropped.
Deterministic: the same arguments give the same SQL.

    python benchmarks/gen_diff_schema.py --tables 2000 --out /tmp/diffbench   # a.sql, b.sql
"""

from __future__ import annotations

import argparse
from pathlib import Path

SCHEMA = "bench"
CHANGE_EVERY = 40
DROPPED = 3  # the last tables of A are not in B
ADDED = 5


def table_name(i: int) -> str:
    return f"t{i:05d}"


def table_sql(i: int, variant: str) -> list[str]:
    """The CREATE statements of table i in schema A or B."""
    name = table_name(i)
    change = (i // CHANGE_EVERY) % 10 if i % CHANGE_EVERY == 7 and variant == "b" else None
    parent = table_name(i - 1) if i > 0 else name
    qty = "bigint" if change == 2 else "integer"
    email = "varchar(200) NOT NULL" if change == 7 else "varchar(200)"
    status_default = "'active'" if change == 6 else "'new'"
    check = "amount >= 0 AND amount < 1000000" if change == 5 else "amount >= 0"
    columns = [
        "id bigserial PRIMARY KEY",
        "parent_id bigint",
        "name text NOT NULL",
        f"email {email}",
        f"status text DEFAULT {status_default}",
        "amount numeric(12,2) DEFAULT 0",
        f"qty {qty}",
        "created_at timestamptz DEFAULT now()",
        "updated_at timestamptz",
        "flags boolean DEFAULT false",
        "payload jsonb",
    ]
    if change != 1:  # change 1 drops the twelfth column
        columns.append("ref_code uuid")
    if change == 0:
        columns.append("note text")
    columns += [f"CONSTRAINT {name}_amount_check CHECK ({check})",
                f"CONSTRAINT {name}_parent_fk FOREIGN KEY (parent_id) "
                f"REFERENCES {SCHEMA}.{parent} (id)"]
    out = [f"CREATE TABLE {SCHEMA}.{name} (\n    " + ",\n    ".join(columns) + "\n);"]
    if change != 4:  # change 4 drops an index
        out.append(f"CREATE INDEX {name}_name_idx ON {SCHEMA}.{name} (name);")
    created = "created_at, id" if change == 8 else "created_at"
    out.append(f"CREATE INDEX {name}_created_idx ON {SCHEMA}.{name} ({created});")
    out.append(f"CREATE INDEX {name}_status_idx ON {SCHEMA}.{name} (status) "
               "WHERE status <> 'new';")
    if change == 3:
        out.append(f"CREATE INDEX {name}_email_idx ON {SCHEMA}.{name} (lower(email));")
    if i % 10 == 0:
        where = "flags AND amount > 0" if change == 9 or (variant == "b" and i % 400 == 0) \
            else "flags"
        out.append(f"CREATE VIEW {SCHEMA}.v_{name} AS SELECT id, name, status, amount "
                   f"FROM {SCHEMA}.{name} WHERE {where};")
    return out


def schema_sql(tables: int, variant: str) -> str:
    count = tables - DROPPED if variant == "b" else tables
    out = [f"CREATE SCHEMA {SCHEMA};"]
    for i in range(count):
        out += table_sql(i, variant)
    if variant == "b":
        for j in range(ADDED):
            name = f"new_{j}"
            out.append(f"CREATE TABLE {SCHEMA}.{name} (id bigint GENERATED ALWAYS AS IDENTITY "
                       f"PRIMARY KEY, t_id bigint REFERENCES {SCHEMA}.{table_name(j)} (id), "
                       "body text);")
            out.append(f"CREATE INDEX {name}_t_idx ON {SCHEMA}.{name} (t_id);")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True, help="folder for a.sql and b.sql")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for variant in ("a", "b"):
        (args.out / f"{variant}.sql").write_text(schema_sql(args.tables, variant),
                                                 encoding="utf-8")
    print(f"wrote {args.out / 'a.sql'} and {args.out / 'b.sql'} ({args.tables} tables)")


if __name__ == "__main__":
    main()
