"""Generate a deterministic corpus of PostgreSQL migrations for the lint benchmark.

The corpus imitates a long-lived project: numbered plain ``.sql`` files that create tables,
add columns, indexes and constraints, change column types, fix data, define functions,
triggers, views and enums, and now and then rename or drop things. The generator keeps a
catalog of what earlier migrations created, so later migrations mostly refer to real tables
and columns (the lint fold has real work to do); a few refer to tables that exist before the
first migration.

    python benchmarks/gen_corpus.py                    # 2,000 files in benchmarks/corpus
    python benchmarks/gen_corpus.py --check            # ... and parse all of it with pglast
    python benchmarks/gen_corpus.py --out DIR --migrations 500 --seed 7
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent / "corpus"
MAX_IDENT = 63

# --------------------------------------------------------------------------- vocabulary

NOUNS = (
    "account", "user", "organization", "team", "member", "project", "task", "milestone",
    "order", "invoice", "payment", "product", "customer", "subscription", "plan", "coupon",
    "shipment", "address", "session", "event", "notification", "message", "comment", "tag",
    "category", "review", "warehouse", "supplier", "refund", "ledger_entry", "api_key",
    "webhook", "attachment", "report", "metric", "feature_flag", "device", "location",
    "schedule", "booking", "ticket", "article", "page", "document", "contract", "employee",
    "department", "vendor", "campaign", "lead", "opportunity", "store", "cart", "price_list",
    "discount", "transfer", "wallet", "card", "job", "build", "deployment", "environment",
    "alert", "incident", "policy", "role", "permission", "workspace", "channel", "thread",
    "reaction", "upload", "batch", "survey", "course", "lesson", "enrollment", "vehicle",
)
CHILD_NOUNS = (
    "item", "line", "note", "event", "setting", "version", "snapshot", "link", "attempt",
    "log", "stat", "member", "assignment", "share", "label", "rule", "token", "quota",
    "request", "approval", "period", "credit", "export", "import", "contact", "preference",
    "grant", "report", "tag", "comment", "reminder", "target", "mapping", "change",
)
PLURAL_EXCEPTIONS = {"y": "ies", "s": "ses", "h": "hes", "x": "xes"}

# Tables that exist before the corpus starts (created by an older tool, or another schema).
PREEXISTING: tuple[tuple[str, str, str], ...] = (
    ("auth_users", "auth_user", "bigint"),
    ("legacy_customers", "legacy_customer", "integer"),
    ("billing_accounts", "billing_account", "bigint"),
    ("crm_contacts", "crm_contact", "bigint"),
    ("countries", "country", "integer"),
    ("regions", "region", "integer"),
    ("tenants", "tenant", "uuid"),
    ("audit_log", "audit_log_entry", "bigint"),
)

ENUM_VALUE_SETS: tuple[tuple[str, ...], ...] = (
    ("pending", "active", "suspended", "closed"),
    ("draft", "published", "archived"),
    ("low", "medium", "high", "critical"),
    ("queued", "running", "succeeded", "failed"),
    ("open", "in_progress", "resolved"),
    ("new", "confirmed", "shipped", "delivered", "cancelled"),
)
EXTRA_ENUM_VALUES = (
    "on_hold", "expired", "refunded", "blocked", "retrying", "deleted", "escalated",
    "partially_paid", "under_review", "scheduled", "timed_out", "merged", "rejected",
)
ENUM_SUFFIXES = ("status", "state", "kind", "priority", "stage", "level")

COLUMN_PREFIXES = ("billing", "shipping", "primary", "legacy", "secondary", "display", "last")


@dataclass(frozen=True)
class ColumnSpec:
    """A column as a project would declare it: type, typical defaults, how often NOT NULL."""

    name: str
    sql_type: str
    kind: str
    defaults: tuple[str, ...] = ()
    not_null: float = 0.3
    comment: str = ""


COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "text", "text", (), 0.8),
    ColumnSpec("title", "varchar(200)", "varchar", (), 0.7),
    ColumnSpec("description", "text", "text"),
    ColumnSpec("email", "varchar(255)", "varchar", (), 0.6),
    ColumnSpec("slug", "varchar(120)", "varchar", (), 0.7),
    ColumnSpec("code", "varchar(32)", "varchar", (), 0.7),
    ColumnSpec("external_ref", "text", "text"),
    ColumnSpec("notes", "text", "text"),
    ColumnSpec("locale", "varchar(10)", "varchar", ("'en'",), 0.6),
    ColumnSpec("currency", "char(3)", "char", ("'EUR'", "'USD'"), 0.8, "ISO 4217"),
    ColumnSpec("country_code", "char(2)", "char", (), 0.3, "ISO 3166-1 alpha-2"),
    ColumnSpec("url", "text", "text"),
    ColumnSpec("phone", "varchar(32)", "varchar"),
    ColumnSpec("quantity", "integer", "int", ("0", "1"), 0.8),
    ColumnSpec("sort_order", "integer", "int", ("0",), 0.7),
    ColumnSpec("priority", "smallint", "smallint", ("0",), 0.5),
    ColumnSpec("version", "integer", "int", ("1",), 0.9),
    ColumnSpec("retry_count", "integer", "int", ("0",), 0.9),
    ColumnSpec("size_bytes", "bigint", "bigint"),
    ColumnSpec("amount", "numeric(12,2)", "numeric", ("0",), 0.7),
    ColumnSpec("price", "numeric(10,2)", "numeric"),
    ColumnSpec("tax_rate", "numeric(5,4)", "numeric", ("0",), 0.4),
    ColumnSpec("balance", "numeric(18,2)", "numeric", ("0",), 0.8),
    ColumnSpec("weight_kg", "numeric(8,3)", "numeric"),
    ColumnSpec("score", "double precision", "float"),
    ColumnSpec("is_active", "boolean", "bool", ("true",), 0.9),
    ColumnSpec("archived", "boolean", "bool", ("false",), 0.9),
    ColumnSpec("verified", "boolean", "bool", ("false",), 0.8),
    ColumnSpec("enabled", "boolean", "bool", ("true", "false"), 0.8),
    ColumnSpec("updated_at", "timestamptz", "timestamptz", ("now()",), 0.8),
    ColumnSpec("deleted_at", "timestamptz", "timestamptz"),
    ColumnSpec("expires_at", "timestamptz", "timestamptz"),
    ColumnSpec("published_at", "timestamptz", "timestamptz"),
    ColumnSpec("starts_at", "timestamptz", "timestamptz", (), 0.5),
    ColumnSpec("ends_at", "timestamptz", "timestamptz"),
    ColumnSpec("last_seen_at", "timestamp", "timestamp"),
    ColumnSpec("due_date", "date", "date"),
    ColumnSpec("birth_date", "date", "date"),
    ColumnSpec("metadata", "jsonb", "jsonb", ("'{}'::jsonb",), 0.8),
    ColumnSpec("settings", "jsonb", "jsonb", ("'{}'",), 0.6),
    ColumnSpec("payload", "jsonb", "jsonb"),
    ColumnSpec("public_id", "uuid", "uuid", ("gen_random_uuid()",), 0.9),
    ColumnSpec("external_id", "uuid", "uuid"),
    ColumnSpec("tags", "text[]", "array", ("'{}'",), 0.7),
    ColumnSpec("ip_address", "inet", "inet"),
    ColumnSpec("checksum", "bytea", "bytea"),
)

TEXT_KINDS = frozenset({"text", "varchar", "char"})
TIME_KINDS = frozenset({"timestamptz", "timestamp", "date"})
NUMBER_KINDS = frozenset({"int", "smallint", "bigint", "numeric", "float"})

# --------------------------------------------------------------------------- catalog


@dataclass
class Column:
    name: str
    sql_type: str
    kind: str
    nullable: bool = True
    enum: str | None = None


@dataclass
class ForeignKey:
    name: str
    column: str
    ref: str


@dataclass
class Table:
    name: str
    singular: str
    pk_type: str | None = "bigint"  # None: composite key, not referable
    columns: dict[str, Column] = field(default_factory=dict)
    fks: list[ForeignKey] = field(default_factory=list)
    preexisting: bool = False
    trigger: bool = False

    def pick(self, rng: random.Random, kinds: frozenset[str] | None = None,
             skip_pk: bool = True) -> Column | None:
        cols = [c for c in self.columns.values()
                if (kinds is None or c.kind in kinds) and not (skip_pk and c.name == "id")]
        return rng.choice(cols) if cols else None


@dataclass
class Index:
    table: str
    columns: list[str]


@dataclass
class View:
    tables: list[str]
    columns: list[tuple[str, str]]
    materialized: bool = False


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # creation order, corpus tables only
    indexes: dict[str, Index] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    relnames: set[str] = field(default_factory=set)  # membership only, never iterated

    def claim(self, base: str) -> str:
        """A schema-unique relation name from ``base`` (tables, views, indexes, keys)."""
        name = base[:MAX_IDENT]
        n = 2
        while name in self.relnames:
            suffix = f"_{n}"
            name = base[:MAX_IDENT - len(suffix)] + suffix
            n += 1
        self.relnames.add(name)
        return name

    def add_table(self, table: Table) -> None:
        self.tables[table.name] = table
        self.relnames.add(table.name)
        if not table.preexisting:
            self.created.append(table.name)

    def referable(self) -> list[Table]:
        return [t for t in self.tables.values() if t.pk_type and not t.preexisting]


def plural(noun: str) -> str:
    last = noun[-1]
    if last == "y" and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if last in PLURAL_EXCEPTIONS and last != "y":
        return noun + "es"
    return noun + "s"


def preexisting_tables() -> list[Table]:
    out = []
    for name, singular, pk_type in PREEXISTING:
        table = Table(name, singular, pk_type, preexisting=True)
        table.columns["id"] = Column("id", pk_type, "bigint", nullable=False)
        table.columns["name"] = Column("name", "text", "text")
        table.columns["created_at"] = Column("created_at", "timestamptz", "timestamptz", False)
        out.append(table)
    return out


# --------------------------------------------------------------------------- output


class Script:
    """One migration file being written: statements, comments, and what they require."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.statements = 0
        self.concurrent = False
        self.slug = ""

    def comment(self, text: str) -> None:
        self.parts.append(f"-- {text}")

    def block_comment(self, lines: Sequence[str]) -> None:
        body = "\n".join(f" * {line}".rstrip() for line in lines)
        self.parts.append(f"/*\n{body}\n */")

    def add(self, sql: str) -> None:
        self.parts.append(sql.rstrip() + ";")
        self.statements += 1

    def name(self, slug: str) -> None:
        if not self.slug:
            self.slug = re.sub(r"[^a-z0-9_]+", "_", slug.lower())[:48].strip("_")

    def render(self) -> str:
        return "\n\n".join(self.parts) + "\n"


# --------------------------------------------------------------------------- generator

Kind = Callable[[Script], None]


class Generator:
    """Writes migrations one after the other, each consistent with the ones before it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cat = Catalog()
        for table in preexisting_tables():
            self.cat.add_table(table)
        self.kinds: list[tuple[Kind, int]] = [
            (self.create_tables, 19), (self.add_columns, 17), (self.indexes, 12),
            (self.foreign_keys, 8), (self.checks, 5), (self.alter_columns, 9),
            (self.data_fix, 9), (self.functions, 5), (self.views, 4), (self.enums, 5),
            (self.renames, 2), (self.drops, 4),
        ]

    # ----- helpers

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def ref(self, name: str) -> str:
        """How a migration spells a table name: mostly bare, sometimes qualified or quoted."""
        roll = self.rng.random()
        if roll < 0.08:
            return f"public.{name}"
        if roll < 0.11:
            return f'"{name}"'
        return name

    def table(self, recent: float = 0.55, preexisting: float = 0.06) -> Table:
        """A table to work on: recently created ones are touched most."""
        if self.chance(preexisting) or not self.cat.created:
            pre = [t for t in self.cat.tables.values() if t.preexisting]
            return self.rng.choice(pre)
        pool = self.cat.created[-25:] if self.chance(recent) else self.cat.created
        return self.cat.tables[self.rng.choice(pool)]

    def ref_target(self, exclude: str = "") -> Table:
        """A table to reference: mostly created earlier in the corpus, some pre-existing."""
        candidates = [t for t in self.cat.referable() if t.name != exclude]
        if self.chance(0.12) or not candidates:
            return self.rng.choice([t for t in self.cat.tables.values() if t.preexisting])
        if self.chance(0.5):
            recent = candidates[-30:]
            return self.rng.choice(recent)
        return self.rng.choice(candidates)

    def new_table_name(self) -> tuple[str, str]:
        for _ in range(50):
            noun = self.rng.choice(NOUNS)
            if self.chance(0.45):
                noun = f"{noun}_{self.rng.choice(CHILD_NOUNS)}"
            name = plural(noun)
            if name not in self.cat.relnames:
                return self.cat.claim(name), noun
        noun = f"{self.rng.choice(NOUNS)}_{self.rng.choice(CHILD_NOUNS)}"
        return self.cat.claim(plural(noun) + "_v2"), noun

    def literal(self, col: Column) -> str:
        kind, rng = col.kind, self.rng
        if col.enum:
            return f"'{rng.choice(self.cat.enums.get(col.enum, ['pending']))}'"
        if kind == "char":
            return rng.choice(("'EUR'", "'USD'", "'GBP'")) if "3" in col.sql_type else "'DE'"
        if kind in TEXT_KINDS:
            return rng.choice(("'unknown'", "''", "'n/a'", "'O''Brien & Co'", "'a; b'",
                               "'migrated'", "'default'"))
        return self.non_text_literal(kind)

    def non_text_literal(self, kind: str) -> str:
        rng = self.rng
        table = {
            "int": str(rng.randint(0, 100)), "smallint": str(rng.randint(0, 9)),
            "bigint": str(rng.randint(0, 10**6)),
            "numeric": f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}",
            "float": f"{rng.random():.3f}", "bool": rng.choice(("true", "false")),
            "timestamptz": rng.choice(("now()", "'2024-01-01 00:00:00+00'")),
            "timestamp": "'2023-06-30 12:00:00'", "date": "'2024-03-01'",
            "jsonb": "'{\"source\": \"migration\"}'::jsonb", "uuid": "gen_random_uuid()",
            "array": "ARRAY['imported']", "inet": "'10.0.0.1'", "bytea": "decode('00ff', 'hex')",
        }
        return table.get(kind, "NULL")

    # ----- column definitions

    def column_from_spec(self, spec: ColumnSpec, name: str | None = None) -> tuple[Column, str]:
        col = Column(name or spec.name, spec.sql_type, spec.kind)
        parts = [col.name, spec.sql_type]
        if spec.defaults and self.chance(0.75):
            if self.chance(spec.not_null):
                parts.append("NOT NULL")
                col.nullable = False
            parts.append(f"DEFAULT {self.rng.choice(spec.defaults)}")
        elif self.chance(spec.not_null * 0.6):
            parts.append("NOT NULL")
            col.nullable = False
        return col, " ".join(parts)

    def enum_column(self, enum: str) -> tuple[Column, str]:
        word = re.sub(r"_[0-9]+$", "", enum).rsplit("_", 1)[-1]
        name = "status" if self.chance(0.6) else word
        col = Column(name, enum, "enum", nullable=False, enum=enum)
        default = self.cat.enums[enum][0]
        return col, f"{name} {enum} NOT NULL DEFAULT '{default}'"

    def fk_column(self, target: Table, name: str | None = None,
                  inline: bool = True) -> tuple[Column, str]:
        name = name or f"{target.singular}_id"
        not_null = self.chance(0.6)
        col = Column(name, target.pk_type or "bigint", "fk", nullable=not not_null)
        parts = [name, target.pk_type or "bigint"]
        if not_null:
            parts.append("NOT NULL")
        if inline:
            parts.append(f"REFERENCES {self.ref(target.name)} (id)")
            actions = ["", " ON DELETE CASCADE", " ON DELETE RESTRICT"]
            if not not_null:
                actions.append(" ON DELETE SET NULL")
            parts[-1] += self.rng.choice(actions)
        return col, " ".join(parts)

    def pk_definition(self) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.45:
            return "bigint", "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        if roll < 0.60:
            return "bigint", "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        if roll < 0.82:
            return "bigint", "id bigserial PRIMARY KEY"
        if roll < 0.95:
            return "uuid", "id uuid PRIMARY KEY DEFAULT gen_random_uuid()"
        return "integer", "id serial PRIMARY KEY"

    # ----- CREATE TABLE

    def create_table(self, s: Script, with_extras: bool = True) -> Table:
        name, singular = self.new_table_name()
        if self.chance(0.04) and len(self.cat.referable()) > 2:
            return self.create_link_table(s, name, singular)
        pk_type, pk_sql = self.pk_definition()
        table = Table(name, singular, pk_type)
        table.columns["id"] = Column("id", pk_type, "bigint" if pk_type != "uuid" else "uuid",
                                     nullable=False)
        lines = [pk_sql]
        self.table_columns(s, table, lines)
        lines += self.table_constraints(table)
        self.cat.add_table(table)
        exists = " IF NOT EXISTS" if self.chance(0.1) else ""
        s.add(f"CREATE TABLE{exists} {self.ref(name)} (\n" + self.join_lines(lines) + "\n)")
        s.name(f"create_{name}")
        if with_extras:
            self.table_extras(s, table)
        return table

    def join_lines(self, lines: list[str]) -> str:
        out = []
        for i, line in enumerate(lines):
            sep = "," if i < len(lines) - 1 else ""
            body, _, note = line.partition("\x00")
            out.append(f"    {body}{sep}" + (f" -- {note}" if note else ""))
        return "\n".join(out)

    def table_columns(self, s: Script, table: Table, lines: list[str]) -> None:
        for _ in range(self.rng.choice((0, 0, 1, 1, 1, 2, 3))):
            target = self.ref_target()
            if f"{target.singular}_id" not in table.columns:
                col, sql = self.fk_column(target)
                table.columns[col.name] = col
                table.fks.append(ForeignKey(f"{table.name}_{col.name}_fkey", col.name,
                                            target.name))
                lines.append(sql)
        if self.cat.enums and self.chance(0.3):
            col, sql = self.enum_column(self.rng.choice(list(self.cat.enums)))
            if col.name not in table.columns:
                table.columns[col.name] = col
                lines.append(sql)
        specs = self.rng.sample(COLUMN_SPECS, self.rng.randint(3, 11))
        for spec in specs:
            if spec.name in table.columns:
                continue
            col, sql = self.column_from_spec(spec)
            table.columns[col.name] = col
            note = spec.comment if spec.comment and self.chance(0.5) else ""
            lines.append(sql + (f"\x00{note}" if note else ""))
        if self.chance(0.9):
            table.columns["created_at"] = Column("created_at", "timestamptz", "timestamptz", False)
            lines.append("created_at timestamptz NOT NULL DEFAULT now()")

    def table_constraints(self, table: Table) -> list[str]:
        out = []
        uniq = [c for c in table.columns.values() if c.name in ("email", "slug", "code")]
        if uniq and self.chance(0.5):
            col = self.rng.choice(uniq)
            name = self.cat.claim(f"{table.name}_{col.name}_key")
            out.append(f"CONSTRAINT {name} UNIQUE ({col.name})")
        check = self.check_expression(table)
        if check and self.chance(0.35):
            out.append(f"CONSTRAINT {table.name[:40]}_{check[0]}_check CHECK ({check[1]})")
        return out

    def check_expression(self, table: Table) -> tuple[str, str] | None:
        cols = table.columns
        if "starts_at" in cols and "ends_at" in cols and self.chance(0.5):
            return "period", "ends_at IS NULL OR ends_at > starts_at"
        col = table.pick(self.rng, NUMBER_KINDS | TEXT_KINDS)
        if col is None:
            return None
        if col.kind in NUMBER_KINDS:
            return col.name, f"{col.name} >= 0"
        if col.kind == "char":
            return col.name, f"{col.name} ~ '^[A-Z]+$'"
        return col.name, f"char_length({col.name}) <= {self.rng.choice((64, 255, 1000))}"

    def create_link_table(self, s: Script, name: str, singular: str) -> Table:
        a, b = self.rng.sample(self.cat.referable(), 2)
        table = Table(name, singular, None)
        lines = []
        for target in (a, b):
            col_name = f"{target.singular}_id"
            if col_name in table.columns:
                col_name = f"other_{col_name}"
            col = Column(col_name, target.pk_type or "bigint", "fk", nullable=False)
            table.columns[col_name] = col
            table.fks.append(ForeignKey(f"{name}_{col_name}_fkey", col_name, target.name))
            lines.append(f"{col_name} {col.sql_type} NOT NULL REFERENCES {target.name} (id) "
                         "ON DELETE CASCADE")
        table.columns["created_at"] = Column("created_at", "timestamptz", "timestamptz", False)
        lines.append("created_at timestamptz NOT NULL DEFAULT now()")
        lines.append(f"PRIMARY KEY ({', '.join(list(table.columns)[:2])})")
        self.cat.add_table(table)
        s.add(f"CREATE TABLE {name} (\n" + self.join_lines(lines) + "\n)")
        s.name(f"create_{name}")
        return table

    def table_extras(self, s: Script, table: Table) -> None:
        for fk in table.fks:
            if self.chance(0.6):
                self.create_index(s, table, [fk.column], style="plain")
        for _ in range(self.rng.choice((0, 0, 1, 1, 2))):
            self.create_index(s, table, style="plain")
        if self.chance(0.25):
            s.add(f"COMMENT ON TABLE {table.name} IS "
                  f"'{table.singular.replace('_', ' ').capitalize()} records'")
        if "updated_at" in table.columns and self.chance(0.4):
            self.updated_at_trigger(s, table)

    # ----- indexes

    def index_name(self, table: Table, cols: Sequence[str], unique: bool) -> str:
        suffix = "key" if unique else "idx"
        base = f"{table.name}_{'_'.join(cols)}_{suffix}"
        if self.chance(0.4):
            base = f"idx_{table.name}_{'_'.join(cols)}"
        return self.cat.claim(re.sub(r"[^a-z0-9_]", "", base))

    def index_columns(self, table: Table) -> tuple[list[str], str, str]:
        """(catalog columns, SQL key list, USING clause) for a new index on ``table``."""
        rng = self.rng
        roll = rng.random()
        text_col = table.pick(rng, TEXT_KINDS)
        json_col = table.pick(rng, frozenset({"jsonb", "array"}))
        if roll < 0.08 and text_col:
            return [text_col.name], f"(lower({text_col.name}))", ""
        if roll < 0.12 and json_col and json_col.kind == "jsonb":
            return [json_col.name], f"(({json_col.name} ->> 'source'))", ""
        if roll < 0.17 and json_col:
            return [json_col.name], f"({json_col.name})", " USING gin"
        first = table.pick(rng) or table.columns["id"]
        cols = [first.name]
        second = table.pick(rng)
        if second and second.name != first.name and rng.random() < 0.3:
            cols.append(second.name)
        keys = ", ".join(cols)
        if "created_at" in table.columns and rng.random() < 0.1:
            cols, keys = [*cols, "created_at"], f"{keys}, created_at DESC"
        return cols, f"({keys})", ""

    def partial_clause(self, table: Table) -> str:
        cols = table.columns
        options = []
        if "deleted_at" in cols:
            options.append("deleted_at IS NULL")
        if "archived" in cols:
            options.append("NOT archived")
        if "is_active" in cols:
            options.append("is_active = true")
        status = next((c for c in cols.values() if c.enum), None)
        if status and status.enum in self.cat.enums:
            options.append(f"{status.name} = '{self.cat.enums[status.enum][0]}'")
        return f" WHERE {self.rng.choice(options)}" if options else ""

    def create_index(self, s: Script, table: Table, cols: list[str] | None = None,
                     style: str = "") -> None:
        rng = self.rng
        if cols:
            keys, using = f"({', '.join(cols)})", ""
        else:
            cols, keys, using = self.index_columns(table)
        unique = "email" in cols or "slug" in cols or rng.random() < 0.08
        unique = unique and using == "" and rng.random() < 0.5
        concurrent = style != "plain" and rng.random() < 0.35
        where = self.partial_clause(table) if rng.random() < 0.15 else ""
        parts = ["CREATE", "UNIQUE INDEX" if unique else "INDEX"]
        if concurrent:
            parts.append("CONCURRENTLY")
            s.concurrent = True
        anonymous = rng.random() < 0.04
        if not anonymous:
            if concurrent and rng.random() < 0.4:
                parts.append("IF NOT EXISTS")
            name = self.index_name(table, cols, unique)
            parts.append(name)
            self.cat.indexes[name] = Index(table.name, list(cols))
        parts.append(f"ON {self.ref(table.name)}{using} {keys}{where}")
        s.add(" ".join(parts))
        s.name(f"index_{table.name}")

    # ----- functions and triggers

    def ensure_updated_at_function(self, s: Script) -> None:
        if "set_updated_at" in self.cat.functions:
            return
        s.add("CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger\n"
              "LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\n"
              "END;\n$$")
        self.cat.functions["set_updated_at"] = ""

    def updated_at_trigger(self, s: Script, table: Table) -> None:
        if table.trigger:
            return
        self.ensure_updated_at_function(s)
        trigger = f"{table.name[:40]}_set_updated_at"
        if self.chance(0.3):
            s.add(f"DROP TRIGGER IF EXISTS {trigger} ON {table.name}")
        s.add(f"CREATE TRIGGER {trigger}\n    BEFORE UPDATE ON {self.ref(table.name)}\n"
              "    FOR EACH ROW EXECUTE FUNCTION set_updated_at()")
        table.trigger = True

    def audit_trigger(self, s: Script, table: Table) -> None:
        func = self.cat.claim(f"audit_{table.name}"[:50])
        s.add(f"CREATE OR REPLACE FUNCTION {func}() RETURNS trigger\nLANGUAGE plpgsql\n"
              "SECURITY DEFINER\nAS $fn$\nBEGIN\n"
              "    -- one row per change; the payload keeps the whole row\n"
              "    IF TG_OP = 'DELETE' THEN\n"
              "        INSERT INTO audit_log (name, created_at)\n"
              "        VALUES (TG_TABLE_NAME || ':' || TG_OP || ';' || OLD.id::text, now());\n"
              "        RETURN OLD;\n    END IF;\n"
              "    INSERT INTO audit_log (name, created_at)\n"
              "    VALUES (TG_TABLE_NAME || ':' || TG_OP || ';' || NEW.id::text, now());\n"
              "    RETURN NEW;\nEND;\n$fn$")
        self.cat.functions[func] = table.name
        s.add(f"CREATE TRIGGER {func}_trg\n    AFTER INSERT OR UPDATE OR DELETE ON {table.name}\n"
              f"    FOR EACH ROW EXECUTE PROCEDURE {func}()")

    def counter_function(self, s: Script, table: Table) -> None:
        func = self.cat.claim(f"{table.name[:40]}_active_count")
        where = self.partial_clause(table).replace(" WHERE ", "WHERE ", 1)
        body = f"SELECT count(*) FROM {table.name} {where}".rstrip()
        s.add(f"CREATE OR REPLACE FUNCTION {func}() RETURNS bigint\nLANGUAGE sql STABLE\n"
              f"AS $$\n    {body};\n$$")
        self.cat.functions[func] = table.name

    def batch_function(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng, TIME_KINDS)
        if col is None or "id" not in table.columns:
            self.counter_function(s, table)
            return
        func = self.cat.claim(f"purge_old_{table.name}"[:60])
        s.add(f"CREATE OR REPLACE FUNCTION {func}(batch_size integer DEFAULT 1000)\n"
              "RETURNS integer\nLANGUAGE plpgsql\nAS $body$\nDECLARE\n"
              "    removed integer := 0;\n    n integer;\nBEGIN\n    LOOP\n"
              f"        DELETE FROM {table.name}\n        WHERE id IN (\n"
              f"            SELECT id FROM {table.name}\n"
              f"            WHERE {col.name} < now() - interval '90 days'\n"
              "            LIMIT batch_size\n        );\n"
              "        GET DIAGNOSTICS n = ROW_COUNT;\n        removed := removed + n;\n"
              "        EXIT WHEN n = 0;\n    END LOOP;\n"
              "    RAISE NOTICE 'purged % rows; done', removed;\n    RETURN removed;\n"
              "END;\n$body$")
        self.cat.functions[func] = table.name

    # ----- migration kinds

    def create_tables(self, s: Script) -> None:
        if self.chance(0.1 if self.cat.enums else 0.3):
            self.create_enum(s)
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3))):
            table = self.create_table(s)
            if self.chance(0.05):
                self.audit_trigger(s, table)

    def add_column(self, table: Table) -> tuple[Column, str]:
        spec = self.rng.choice(COLUMN_SPECS)
        name = spec.name
        if name in table.columns:
            name = f"{self.rng.choice(COLUMN_PREFIXES)}_{spec.name}"
        if name in table.columns:
            name = f"{name}_{len(table.columns)}"
        col, sql = self.column_from_spec(spec, name)
        if not spec.defaults and self.chance(0.08):  # the classic: NOT NULL, no default
            sql += " NOT NULL"
            col.nullable = False
        return col, sql

    def add_columns(self, s: Script) -> None:
        table = self.table()
        count = self.rng.choice((1, 1, 1, 2, 2, 3, 4))
        cols = [self.add_column(table) for _ in range(count)]
        cols = list({c.name: (c, sql) for c, sql in cols}.values())
        if_exists = " IF NOT EXISTS" if self.chance(0.15) else ""
        if len(cols) > 1 and self.chance(0.5):
            actions = ",\n    ".join(f"ADD COLUMN{if_exists} {sql}" for _, sql in cols)
            s.add(f"ALTER TABLE {self.ref(table.name)}\n    {actions}")
        else:
            for _, sql in cols:
                s.add(f"ALTER TABLE {self.ref(table.name)} ADD COLUMN{if_exists} {sql}")
        for col, _ in cols:
            table.columns[col.name] = col
        s.name(f"add_{cols[0][0].name}_to_{table.name}")
        if self.chance(0.3):
            self.backfill(s, table, cols[0][0])

    def backfill(self, s: Script, table: Table, col: Column) -> None:
        value = self.literal(col)
        s.comment(f"backfill {col.name} for existing rows")
        if self.chance(0.4) and "id" in table.columns:
            s.add(f"WITH batch AS (\n    SELECT id FROM {table.name}\n"
                  f"    WHERE {col.name} IS NULL\n    LIMIT 10000\n)\n"
                  f"UPDATE {table.name} AS t SET {col.name} = {value}\n"
                  "FROM batch WHERE t.id = batch.id")
        else:
            s.add(f"UPDATE {table.name} SET {col.name} = {value} WHERE {col.name} IS NULL")
        if col.nullable and self.chance(0.5):
            s.add(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} SET NOT NULL")
            col.nullable = False

    def indexes(self, s: Script) -> None:
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4))):
            self.create_index(s, self.table())

    def foreign_keys(self, s: Script) -> None:
        for _ in range(self.rng.choice((1, 1, 2))):
            self.add_foreign_key(s, self.table(preexisting=0.03))

    def add_foreign_key(self, s: Script, table: Table) -> None:
        target = self.ref_target()
        col_name = f"{target.singular}_id"
        if col_name not in table.columns:
            col, sql = self.fk_column(target, inline=False)
            col.nullable = True
            s.add(f"ALTER TABLE {self.ref(table.name)} ADD COLUMN {sql.replace(' NOT NULL', '')}")
            table.columns[col.name] = col
        name = self.cat.claim(f"{table.name}_{col_name}_fkey"[:MAX_IDENT])
        action = self.rng.choice(("", "", " ON DELETE CASCADE", " ON DELETE SET NULL"))
        not_valid = self.chance(0.45)
        s.add(f"ALTER TABLE {self.ref(table.name)}\n    ADD CONSTRAINT {name} FOREIGN KEY "
              f"({col_name}) REFERENCES {self.ref(target.name)} (id){action}"
              + (" NOT VALID" if not_valid else ""))
        if not_valid and self.chance(0.85):
            s.add(f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {name}")
        table.fks.append(ForeignKey(name, col_name, target.name))
        if self.chance(0.5):
            self.create_index(s, table, [col_name])
        s.name(f"add_{name}")

    def checks(self, s: Script) -> None:
        table = self.table()
        check = self.check_expression(table)
        if check is None:
            self.add_columns(s)
            return
        name = self.cat.claim(f"{table.name[:40]}_{check[0]}_check")
        not_valid = self.chance(0.4)
        s.add(f"ALTER TABLE {self.ref(table.name)} ADD CONSTRAINT {name} CHECK ({check[1]})"
              + (" NOT VALID" if not_valid else ""))
        if not_valid:
            s.add(f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {name}")
        s.name(f"check_{name}")

    def alter_columns(self, s: Script) -> None:
        table = self.table(preexisting=0.02)
        actions = (self.alter_type, self.set_not_null, self.drop_not_null, self.set_default,
                   self.safe_not_null)
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            self.rng.choice(actions)(s, table)
        s.name(f"alter_{table.name}_columns")

    def alter_type(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng, frozenset({"int", "smallint", "varchar", "text", "numeric",
                                              "timestamp", "char"}))
        if col is None:
            return
        new_type, using = self.wider_type(col)
        s.add(f"ALTER TABLE {self.ref(table.name)} ALTER COLUMN {col.name} TYPE {new_type}"
              + (f" USING {using}" if using else ""))
        col.sql_type = new_type
        col.kind = {"bigint": "bigint", "integer": "int", "text": "text",
                    "timestamptz": "timestamptz"}.get(new_type, col.kind)
        if new_type.startswith("varchar"):
            col.kind = "varchar"

    def wider_type(self, col: Column) -> tuple[str, str]:
        size = re.search(r"\((\d+)(?:,(\d+))?\)", col.sql_type)
        if col.kind in ("int", "smallint"):
            return ("bigint" if col.kind == "int" else "integer"), ""
        if col.kind == "timestamp":
            return "timestamptz", f"{col.name} AT TIME ZONE 'UTC'"
        if col.kind == "numeric" and size:
            return f"numeric({int(size.group(1)) + 4},{size.group(2) or 0})", ""
        if col.kind == "text":
            return "varchar(500)", f"left({col.name}, 500)" if self.chance(0.5) else ""
        if col.kind == "char":
            return "text", ""
        if size and self.chance(0.6):
            return f"varchar({int(size.group(1)) * 2})", ""
        return "text", ""

    def set_not_null(self, s: Script, table: Table) -> None:
        col = next((c for c in table.columns.values() if c.nullable), None)
        if col is None:
            return
        if self.chance(0.6):
            s.add(f"UPDATE {table.name} SET {col.name} = {self.literal(col)} "
                  f"WHERE {col.name} IS NULL")
        s.add(f"ALTER TABLE {self.ref(table.name)} ALTER COLUMN {col.name} SET NOT NULL")
        col.nullable = False

    def drop_not_null(self, s: Script, table: Table) -> None:
        col = next((c for c in table.columns.values() if not c.nullable and c.name != "id"),
                   None)
        if col is None or table.pk_type is None:
            return
        s.add(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} DROP NOT NULL")
        col.nullable = True

    def set_default(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng)
        if col is None or col.kind == "fk":
            return
        if self.chance(0.3):
            s.add(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} DROP DEFAULT")
        else:
            s.add(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} "
                  f"SET DEFAULT {self.literal(col)}")

    def safe_not_null(self, s: Script, table: Table) -> None:
        """The lock-friendly way: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK."""
        col = next((c for c in reversed(table.columns.values()) if c.nullable), None)
        if col is None:
            return
        name = self.cat.claim(f"{table.name[:40]}_{col.name[:16]}_not_null")
        s.add(f"ALTER TABLE {table.name} ADD CONSTRAINT {name} "
              f"CHECK ({col.name} IS NOT NULL) NOT VALID")
        s.add(f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {name}")
        s.add(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} SET NOT NULL")
        s.add(f"ALTER TABLE {table.name} DROP CONSTRAINT {name}")
        col.nullable = False

    def data_fix(self, s: Script) -> None:
        table = self.table(preexisting=0.03)
        s.name(f"fix_{table.name}_data")
        fixes = (self.update_where, self.update_all, self.insert_rows, self.delete_rows,
                 self.update_from)
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            self.rng.choice(fixes)(s, table)

    def update_where(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng)
        if col is None:
            return
        cond = self.condition(table)
        s.add(f"UPDATE {self.ref(table.name)}\nSET {col.name} = {self.literal(col)}\n"
              f"WHERE {cond}")

    def update_all(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng, frozenset({"bool", "int", "jsonb", "text", "timestamptz"}))
        if col is None:
            return
        s.comment("applies to every row on purpose")
        s.add(f"UPDATE {table.name} SET {col.name} = {self.literal(col)}")

    def update_from(self, s: Script, table: Table) -> None:
        fk = next((f for f in table.fks if f.ref in self.cat.tables), None)
        col = table.pick(self.rng, NUMBER_KINDS | TEXT_KINDS | frozenset({"bool"}))
        if fk is None or col is None:
            self.update_where(s, table)
            return
        ref = self.cat.tables[fk.ref]
        s.add(f"UPDATE {table.name} AS t\nSET {col.name} = {self.literal(col)}\n"
              f"FROM {ref.name} AS r\nWHERE t.{fk.column} = r.id\n"
              "  AND r.created_at < '2022-01-01'")

    def condition(self, table: Table) -> str:
        col = table.pick(self.rng)
        if col is None:
            return "id IS NOT NULL"
        if col.kind in TIME_KINDS:
            return f"{col.name} < '2021-01-01'"
        if col.kind in NUMBER_KINDS:
            return f"{col.name} < 0"
        if col.kind == "fk" or col.nullable:
            return f"{col.name} IS NULL"
        return f"{col.name} = {self.literal(col)}"

    def insert_rows(self, s: Script, table: Table) -> None:
        cols = [c for c in table.columns.values()
                if c.name != "id" and c.kind != "fk"][: self.rng.randint(1, 4)]
        if not cols:
            return
        rows = [", ".join(self.literal(c) for c in cols)
                for _ in range(self.rng.randint(1, 5))]
        values = ",\n    ".join(f"({r})" for r in rows)
        conflict = "\nON CONFLICT DO NOTHING" if self.chance(0.4) else ""
        s.add(f"INSERT INTO {self.ref(table.name)} ({', '.join(c.name for c in cols)})\n"
              f"VALUES\n    {values}{conflict}")

    def delete_rows(self, s: Script, table: Table) -> None:
        s.add(f"DELETE FROM {table.name} WHERE {self.condition(table)}")

    def functions(self, s: Script) -> None:
        table = self.table()
        roll = self.rng.random()
        if roll < 0.35 and "updated_at" in table.columns and not table.trigger:
            self.updated_at_trigger(s, table)
        elif roll < 0.6 and "id" in table.columns:
            self.audit_trigger(s, table)
        elif roll < 0.8:
            self.batch_function(s, table)
        else:
            self.counter_function(s, table)
        s.name(f"functions_{table.name}")

    def views(self, s: Script) -> None:
        table = self.table(preexisting=0.0)
        fk = next((f for f in table.fks if f.ref in self.cat.tables
                   and not self.cat.tables[f.ref].preexisting), None)
        if fk and self.chance(0.5):
            self.join_view(s, table, fk)
        else:
            self.simple_view(s, table)

    def simple_view(self, s: Script, table: Table) -> None:
        cols = [c for c in table.columns if c != "id"][:self.rng.randint(2, 5)]
        if "id" in table.columns:
            cols.insert(0, "id")
        where = self.partial_clause(table)
        name = self.cat.claim(f"{table.name[:50]}_active" if where else f"v_{table.name[:50]}")
        materialized = self.chance(0.1) and "id" in table.columns
        kind = "MATERIALIZED VIEW" if materialized else self.rng.choice(
            ("VIEW", "OR REPLACE VIEW"))
        s.add(f"CREATE {kind} {name} AS\nSELECT {', '.join(cols)}\n"
              f"FROM {self.ref(table.name)}{where.replace(' WHERE', chr(10) + 'WHERE')}")
        self.cat.views[name] = View([table.name], [(table.name, c) for c in cols], materialized)
        if materialized:
            index = self.cat.claim(f"{name}_id_idx")
            s.add(f"CREATE UNIQUE INDEX {index} ON {name} (id)")
            s.add(f"REFRESH MATERIALIZED VIEW {name}")
        s.name(f"create_view_{name}")

    def join_view(self, s: Script, table: Table, fk: ForeignKey) -> None:
        ref = self.cat.tables[fk.ref]
        name = self.cat.claim(f"{table.name[:28]}_with_{ref.singular[:28]}")
        t_cols = [c for c in table.columns if c != "id"][:3]
        r_col = next((c for c in ref.columns if c not in ("id",) and c not in t_cols), "id")
        select = ", ".join([f"t.{c}" for c in ["id", *t_cols] if c in table.columns]
                           + [f"r.{r_col} AS {ref.singular[:40]}_{r_col}"])
        s.add(f"CREATE OR REPLACE VIEW {name} AS\nSELECT {select}\nFROM {table.name} AS t\n"
              f"JOIN {ref.name} AS r ON r.id = t.{fk.column}")
        deps = [(table.name, c) for c in ["id", *t_cols, fk.column] if c in table.columns]
        self.cat.views[name] = View([table.name, ref.name], [*deps, (ref.name, r_col)])
        s.name(f"create_view_{name}")

    def create_enum(self, s: Script) -> str:
        base = f"{self.rng.choice(NOUNS)}_{self.rng.choice(ENUM_SUFFIXES)}"
        name = self.cat.claim(base)
        values = list(self.rng.choice(ENUM_VALUE_SETS))
        quoted = ", ".join(f"'{v}'" for v in values)
        s.add(f"CREATE TYPE {name} AS ENUM ({quoted})")
        self.cat.enums[name] = values
        s.name(f"create_type_{name}")
        return name

    def enums(self, s: Script) -> None:
        if not self.cat.enums or self.chance(0.35):
            enum = self.create_enum(s)
            self.add_enum_column(s, enum)
            return
        enum = self.rng.choice(list(self.cat.enums))
        values = self.cat.enums[enum]
        new = [v for v in EXTRA_ENUM_VALUES if v not in values]
        for value in self.rng.sample(new, min(len(new), self.rng.choice((1, 1, 2)))):
            where = ""
            if self.chance(0.3):
                where = f" {self.rng.choice(('BEFORE', 'AFTER'))} '{self.rng.choice(values)}'"
            guard = " IF NOT EXISTS" if self.chance(0.5) else ""
            s.add(f"ALTER TYPE {enum} ADD VALUE{guard} '{value}'{where}")
            values.append(value)
        s.name(f"extend_{enum}")

    def add_enum_column(self, s: Script, enum: str) -> None:
        table = self.table(preexisting=0.0)
        col, sql = self.enum_column(enum)
        if col.name in table.columns:
            return
        s.add(f"ALTER TABLE {self.ref(table.name)} ADD COLUMN {sql}")
        table.columns[col.name] = col

    def renames(self, s: Script) -> None:
        table = self.table(preexisting=0.0)
        if self.chance(0.3) and not table.preexisting:
            self.rename_table(s, table)
        else:
            self.rename_column(s, table)

    def rename_column(self, s: Script, table: Table) -> None:
        col = table.pick(self.rng)
        if col is None or col.kind == "fk":
            return
        new = self.rng.choice((f"{col.name}_old", f"legacy_{col.name}", f"{col.name}_v2"))
        if new in table.columns:
            return
        s.add(f"ALTER TABLE {self.ref(table.name)} RENAME COLUMN {col.name} TO {new}")
        table.columns = {(new if k == col.name else k): v for k, v in table.columns.items()}
        col.name = new
        for index in self.cat.indexes.values():
            if index.table == table.name:
                index.columns = [new if c == col.name else c for c in index.columns]
        for view in self.cat.views.values():
            view.columns = [(t, new if (t, c) == (table.name, col.name) else c)
                            for t, c in view.columns]
        s.name(f"rename_{table.name}_{new}")

    def rename_table(self, s: Script, table: Table) -> None:
        new = self.cat.claim(f"{table.name[:55]}_old" if self.chance(0.5)
                             else f"legacy_{table.name[:55]}")
        s.add(f"ALTER TABLE {self.ref(table.name)} RENAME TO {new}")
        old = table.name
        self.cat.tables = {(new if k == old else k): v for k, v in self.cat.tables.items()}
        self.cat.created = [new if n == old else n for n in self.cat.created]
        self.cat.relnames.discard(old)
        table.name = new
        for other in self.cat.tables.values():
            for fk in other.fks:
                fk.ref = new if fk.ref == old else fk.ref
        for index in self.cat.indexes.values():
            index.table = new if index.table == old else index.table
        for view in self.cat.views.values():
            view.tables = [new if t == old else t for t in view.tables]
            view.columns = [(new if t == old else t, c) for t, c in view.columns]
        s.name(f"rename_{old}")

    def drops(self, s: Script) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            self.drop_column(s, self.table(preexisting=0.0))
        elif roll < 0.75 and self.cat.indexes:
            self.drop_index(s)
        elif roll < 0.85 and self.cat.views:
            self.drop_view(s)
        elif len(self.cat.created) > 20:
            self.drop_table(s)
        else:
            self.drop_column(s, self.table(preexisting=0.0))

    def drop_column(self, s: Script, table: Table) -> None:
        in_views = {c for v in self.cat.views.values() for t, c in v.columns if t == table.name}
        cols = [c for c in table.columns.values()
                if c.name != "id" and c.name not in in_views and c.kind != "fk"]
        if len(cols) < 3:
            return
        col = self.rng.choice(cols)
        guard = " IF EXISTS" if self.chance(0.4) else ""
        s.add(f"ALTER TABLE {self.ref(table.name)} DROP COLUMN{guard} {col.name}")
        del table.columns[col.name]
        for name, index in list(self.cat.indexes.items()):
            if index.table == table.name and col.name in index.columns:
                del self.cat.indexes[name]
        s.name(f"drop_{table.name}_{col.name}")

    def drop_index(self, s: Script) -> None:
        name = self.rng.choice(list(self.cat.indexes)[-200:])
        concurrently = " CONCURRENTLY" if self.chance(0.5) else ""
        s.concurrent = s.concurrent or bool(concurrently)
        guard = " IF EXISTS" if self.chance(0.6) else ""
        s.add(f"DROP INDEX{concurrently}{guard} {name}")
        del self.cat.indexes[name]
        s.name(f"drop_{name}")

    def drop_view(self, s: Script) -> None:
        name = self.rng.choice(list(self.cat.views))
        kind = "MATERIALIZED VIEW" if self.cat.views[name].materialized else "VIEW"
        s.add(f"DROP {kind} IF EXISTS {name}")
        del self.cat.views[name]
        s.name(f"drop_{name}")

    def drop_table(self, s: Script) -> None:
        name = self.rng.choice(self.cat.created[:-20])
        dependents = [v for v, view in self.cat.views.items() if name in view.tables]
        referenced = any(fk.ref == name for t in self.cat.tables.values() for fk in t.fks)
        cascade = " CASCADE" if dependents or referenced else ""
        guard = " IF EXISTS" if self.chance(0.5) else ""
        s.add(f"DROP TABLE{guard} {self.ref(name)}{cascade}")
        for view in dependents:
            del self.cat.views[view]
        for table in self.cat.tables.values():
            table.fks = [fk for fk in table.fks if fk.ref != name]
        self.cat.indexes = {k: v for k, v in self.cat.indexes.items() if v.table != name}
        del self.cat.tables[name]
        self.cat.created.remove(name)
        s.name(f"drop_{name}")

    # ----- whole migrations

    def initial_schema(self, s: Script, tables: int) -> None:
        s.name("initial_schema")
        s.block_comment(["Initial schema.", "",
                         "Extensions, shared trigger functions; then the core tables."])
        s.add("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        self.ensure_updated_at_function(s)
        self.create_enum(s)
        for _ in range(tables):
            self.create_table(s)

    def migration(self, number: int) -> Script:
        s = Script()
        if number == 1:
            self.initial_schema(s, 12)
        elif number % 61 == 0:
            s.comment("feature release: several new tables at once")
            for _ in range(self.rng.randint(4, 8)):
                self.create_table(s)
        else:
            self.body(s)
        if not s.statements:  # a kind found nothing to do: fall back to adding a column
            self.add_columns(s)
        return self.frame(s, number)

    def body(self, s: Script) -> None:
        kinds, weights = zip(*self.kinds, strict=True)
        count = self.rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(13, 19, 20, 17, 13, 10, 8))[0]
        for kind in self.rng.choices(kinds, weights=weights, k=count):
            if len(self.cat.created) < 5:
                kind = self.create_tables
            kind(s)

    def frame(self, s: Script, number: int) -> Script:
        """Header comments, lock timeout and, sometimes, an explicit transaction."""
        head: list[str] = []
        if self.chance(0.7):
            head.append(f"-- {number:05d}: {s.slug.replace('_', ' ')}")
        if self.chance(0.1):
            head.append(f"/* Ticket: OPS-{self.rng.randint(100, 9999)}\n"
                        " * Reviewed by the platform team; safe to run online. */")
        wrap = not s.concurrent and self.chance(0.15)
        pre: list[str] = []
        if self.chance(0.3):
            timeout = self.rng.choice(("'3s'", "'5s'", "'10s'", "'2000ms'"))
            pre.append(f"SET {'LOCAL ' if wrap else ''}lock_timeout = {timeout};")
        if self.chance(0.05):
            pre.append("SET statement_timeout = '15min';")
        if wrap:
            pre.insert(0, "BEGIN;")
            s.parts.append("COMMIT;")
            s.statements += 1
        s.statements += len(pre)
        s.parts = head + pre + s.parts
        return s


# --------------------------------------------------------------------------- driver


def generate(out: Path, migrations: int, seed: int) -> tuple[int, int]:
    """Write the corpus; returns (files, statements as generated)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.sql"):
        old.unlink()
    gen = Generator(seed)
    statements = 0
    for number in range(1, migrations + 1):
        script = gen.migration(number)
        statements += script.statements
        path = out / f"{number:05d}_{script.slug or 'migration'}.sql"
        path.write_text(script.render(), encoding="utf-8")
    return migrations, statements


def corpus_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.sql"))


def plpgsql_sources(text: str, stmts: Sequence[Any]) -> Iterator[str]:
    """The text of each ``CREATE FUNCTION ... LANGUAGE plpgsql`` among parsed statements."""
    from pglast import ast

    data = text.encode("utf-8")  # libpg_query locations are byte offsets
    for raw in stmts:
        node = raw.stmt
        if not isinstance(node, ast.CreateFunctionStmt):
            continue
        options = {o.defname: o.arg for o in node.options or ()}
        if getattr(options.get("language"), "sval", "") == "plpgsql":
            end = raw.stmt_location + raw.stmt_len if raw.stmt_len else len(data)
            yield data[raw.stmt_location:end].decode("utf-8")


def check(folder: Path) -> int:
    """Parse every file with pglast (and plpgsql bodies with its plpgsql parser)."""
    import pglast
    from pglast import parser

    files = corpus_files(folder)
    statements = functions = 0
    failures: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            stmts = parser.parse_sql(text)
        except parser.ParseError as exc:
            failures.append(f"{path.name}: {exc}")
            continue
        statements += len(stmts)
        for sql in plpgsql_sources(text, stmts):
            try:
                pglast.parse_plpgsql(sql)
                functions += 1
            except parser.ParseError as exc:
                failures.append(f"{path.name}: plpgsql: {exc}")
    print(f"checked {len(files)} files: {statements} statements, "
          f"{functions} plpgsql bodies, {len(failures)} failures")
    for failure in failures[:50]:
        print(f"  {failure}", file=sys.stderr)
    return 1 if failures or not files else 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    ap.add_argument("--migrations", type=int, default=2000, help="number of files")
    ap.add_argument("--seed", type=int, default=20240601, help="random seed")
    ap.add_argument("--check", action="store_true",
                    help="after generating, parse the whole corpus with pglast")
    args = ap.parse_args(argv)
    files, statements = generate(args.out, args.migrations, args.seed)
    print(f"wrote {files} files, {statements} statements to {args.out}")
    return check(args.out) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
