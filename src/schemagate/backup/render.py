"""backup.sql and restore.sql from a plan: plain SQL that `psql -v ON_ERROR_STOP=1 -f` runs.

Every identifier goes through `model.names` (one quoting function for the whole tool),
every message through `quote_literal`, and every comment line through `sql_comment`, so a
name holding a newline stays inside its comment. Checks and messages live in `DO` blocks, because
plain SQL has no `IF`; a refusal is a `RAISE EXCEPTION`, which stops psql and rolls the
script's transaction back, so a script either does all of its work or none of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from schemagate import __version__
from schemagate.backup.estimate import Estimate, estimate_save, human_bytes, human_seconds, total
from schemagate.backup.live import TableStats
from schemagate.backup.plan import BackupPlan, Save
from schemagate.model.names import QName, quote_ident, quote_literal, quote_qname, sql_comment
from schemagate.model.text import escape_controls

MAX_IDENT_BYTES = 63
MANIFEST = "manifest"


@dataclass(frozen=True, slots=True)
class Scripts:
    schema: str  # the backup schema both scripts name
    backup: str
    restore: str


def render_scripts(plan: BackupPlan, *, now: datetime | None = None,
                   stats: Mapping[QName, TableStats] | None = None) -> Scripts:
    """Both scripts for a plan; ``stats`` (from --db) add size and time estimates."""
    now = now or datetime.now(UTC)
    schema = backup_schema_name(plan, now)
    return Scripts(schema, render_backup(plan, schema, now, stats or {}),
                   render_restore(plan, schema, now))


def backup_schema_name(plan: BackupPlan, now: datetime) -> str:
    """`schemagate_backup_<first migration>_<UTC timestamp>`, within PostgreSQL's 63 bytes."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    prefix = "schemagate_backup_"
    room = MAX_IDENT_BYTES - len(prefix) - len(stamp) - 1
    slug = re.sub(r"[^a-z0-9]+", "_", (plan.first or "none").lower()).strip("_")[:room]
    return f"{prefix}{slug or 'migration'}_{stamp}"


def backup_table(save: Save) -> str:
    """`t01_orders` for a whole table, `c02_users` for columns saved by key."""
    return _truncate(f"{'t' if save.kind == 'table' else 'c'}{save.number:02d}_"
                     f"{save.table.name.name}")


def _truncate(name: str) -> str:
    data = name.encode("utf-8")[:MAX_IDENT_BYTES]
    return data.decode("utf-8", errors="ignore")


# --- SQL pieces -------------------------------------------------------------------------

def _do(body: str, declare: str = "") -> str:
    """A DO block, dollar-quoted with a tag that the body cannot contain."""
    tag, n = "$sg$", 0
    while tag in body or tag in declare:
        n += 1
        tag = f"$sg{n}$"
    head = f"DECLARE\n{declare}" if declare else ""
    return f"DO {tag}\n{head}BEGIN\n{body}END\n{tag};\n"


def _raise(message: str, level: str = "EXCEPTION") -> str:
    # The message goes in as an argument, so a % in a name is never read as a placeholder;
    # psql prints it to the DBA's terminal, so no name in it may hold an escape sequence.
    return f"RAISE {level} '%', {_message(message)};"


def _message(text: str) -> str:
    """A message for RAISE, as a literal: on one line, with no terminal control in it."""
    return quote_literal(escape_controls(text))


def _regclass(name: QName | str) -> str:
    text = quote_qname(name) if isinstance(name, QName) else name
    return f"to_regclass({quote_literal(text)})"


def _check_table(table: QName, columns: Sequence[str], advice: str) -> str:
    """PL/pgSQL that refuses unless the table and all the columns exist (`absent` declared)."""
    out = f"IF {_regclass(table)} IS NULL THEN\n  " + _raise(
        f"table {table} does not exist: {advice}") + "\nEND IF;\n"
    if columns:
        head, tail = _message(f"{table} has no column "), _message(": " + advice)
        out += (f"SELECT string_agg(c, ', ') INTO absent FROM unnest({_text_array(columns)}) "
                "AS c\n WHERE NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = "
                f"{_regclass(table)}\n                   AND attname = c AND attnum > 0 AND "
                "NOT attisdropped);\n"
                f"IF absent IS NOT NULL THEN\n  RAISE EXCEPTION '%', {head} || absent || {tail};\n"
                "END IF;\n")
    return out


def _comment(lines: Sequence[str]) -> str:
    return "\n".join(sql_comment(line) for line in lines)


def _one_line(sql: str, limit: int = 100) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _saved_columns(save: Save) -> list[str] | None:
    """Columns the backup table holds, in order; None: every column (`SELECT *`)."""
    shape = save.table
    if save.kind == "columns" and shape.key:
        return list(dict.fromkeys(shape.key + save.columns))
    if shape.columns is None:
        return None
    return [c.name for c in shape.columns]


def _select_item(save: Save, column: str) -> str:
    col = save.table.column(column)
    if col is not None and col.user_type is not None:
        return f"{quote_ident(column)}::text AS {quote_ident(column)}"
    return quote_ident(column)


def _saved_value(save: Save, column: str, alias: str = "b") -> str:
    """A value of the backup table as the target column's type (user types were saved as
    text and are cast back)."""
    col = save.table.column(column)
    value = f"{alias}.{quote_ident(column)}"
    if col is not None and col.user_type is not None:
        return f"{value}::{col.user_type}"
    return value


def _describe(save: Save) -> str:
    shape = save.table
    if save.kind == "table":
        what = f"{shape.name}: every row"
    else:
        what = f"{shape.name}: column{'s' if len(save.columns) > 1 else ''} " \
               f"{', '.join(save.columns)}"
        what += f" by key ({', '.join(shape.key)})" if shape.key else " (no key: whole rows)"
    return what


# --- backup.sql -------------------------------------------------------------------------

def render_backup(plan: BackupPlan, schema: str, now: datetime,
                  stats: Mapping[QName, TableStats]) -> str:
    bk = quote_ident(schema)
    estimates = [estimate_save(s, stats) for s in plan.saves]
    out = [_backup_header(plan, schema, now, estimates, bool(stats))]
    if not plan.saves:
        out.append(sql_comment("Nothing to save: no statement of these migrations destroys "
                               "data.") + "\n")
        return "\n".join(out)
    out.append("BEGIN ISOLATION LEVEL REPEATABLE READ;  -- one snapshot for every save\n")
    checks = [f"IF to_regnamespace({quote_literal(bk)}) IS NOT NULL THEN\n  " + _raise(
        f"backup schema {schema} already exists: this backup was already taken, and "
        "restore.sql reads it; to take another, generate new scripts with schemagate backup")
        + "\nEND IF;\n"]
    first = plan.first or "the first migration"
    for save in plan.saves:
        checks.append(_check_table(save.table.name, _saved_columns(save) or (),
                                   f"run backup.sql right before {first}"))
    out.append(_do("".join(checks), "  absent text;\n"))
    out.append(f"CREATE SCHEMA {bk};\n")
    out.append(f"COMMENT ON SCHEMA {bk} IS {quote_literal(_schema_comment(plan, now))};\n")
    out.append(
        f"CREATE TABLE {bk}.{quote_ident(MANIFEST)} (\n"
        "    save         integer PRIMARY KEY,\n"
        "    kind         text NOT NULL,          -- 'table': every row; 'columns': by key\n"
        "    source       text NOT NULL,          -- the saved table, schema-qualified\n"
        "    backup_table text NOT NULL,\n"
        "    columns      text[],\n"
        "    key          text[],\n"
        "    reasons      text NOT NULL,\n"
        "    rows         bigint NOT NULL,\n"
        "    saved_at     timestamptz NOT NULL DEFAULT now(),\n"
        "    restored_at  timestamptz\n"
        ");\n")
    for save, est in zip(plan.saves, estimates, strict=True):
        out.append(_backup_save(save, bk, est))
    out.append("COMMIT;\n")
    out.append(f"SELECT save, kind, source, backup_table, rows\n"
               f"  FROM {bk}.{quote_ident(MANIFEST)} ORDER BY save;\n")
    return "\n".join(out)


def _backup_save(save: Save, bk: str, est: Estimate | None) -> str:
    target = f"{bk}.{quote_ident(backup_table(save))}"
    cols = _saved_columns(save)
    items = "*" if cols is None else ", ".join(_select_item(save, c) for c in cols)
    notes = [f"[{save.number}] {_describe(save)}"]
    notes += [f"    {r.migration} line {r.span.line}: {_one_line(r.statement)}"
              for r in save.reasons]
    if est is not None:
        rows = "unknown" if est.rows is None else f"~{est.rows:,}"
        notes.append(f"    estimate: {rows} rows, ~{human_bytes(est.bytes)}, "
                     f"{human_seconds(est.seconds)}")
    lines = [sql_comment(note) for note in notes]
    lines.append(f"CREATE TABLE {target} AS\n    SELECT {items}\n    FROM "
                 f"{quote_qname(save.table.name)};")
    reasons = "; ".join(f"{r.migration} line {r.span.line}: {r.what}" for r in save.reasons)
    lines.append(
        f"INSERT INTO {bk}.{quote_ident(MANIFEST)} "
        "(save, kind, source, backup_table, columns, key, reasons, rows)\n"
        f"    SELECT {save.number}, {quote_literal(save.kind)}, "
        f"{quote_literal(quote_qname(save.table.name))}, "
        f"{quote_literal(backup_table(save))}, {_text_array(save.columns)}, "
        f"{_text_array(save.table.key)},\n"
        f"           {quote_literal(reasons)}, count(*) FROM {target};")
    return "\n".join(lines) + "\n"


def _text_array(items: Sequence[str]) -> str:
    if not items:
        return "NULL"
    return "ARRAY[" + ", ".join(quote_literal(i) for i in items) + "]::text[]"


def _schema_comment(plan: BackupPlan, now: datetime) -> str:
    span = plan.first if len(plan.migrations) < 2 else \
        f"{plan.migrations[0]} .. {plan.migrations[-1]}"
    return f"schemagate backup taken before {span}; scripts generated {now:%Y-%m-%d %H:%M} UTC"


def _backup_header(plan: BackupPlan, schema: str, now: datetime,
                   estimates: list[Estimate | None], live: bool) -> str:
    first = plan.first or "(no migration)"
    lines = [
        f"schemagate {__version__} backup: saves the data that the migrations destroy,",
        f"generated {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC for "
        f"{_migration_span(plan)}.",
        "",
        f"Run it right before {first}, on the database the migrations will change:",
        "    psql -v ON_ERROR_STOP=1 -d DATABASE -f backup.sql",
        "It creates one schema, holding a table per save and a manifest (what was saved,",
        "from which table, how many rows, when), which restore.sql reads:",
        f"    {schema}",
        "It changes nothing else, and refuses to run twice.",
    ]
    lines += _estimate_lines(estimates, live)
    lines += _save_lines(plan)
    return _comment(lines) + "\n"


def _migration_span(plan: BackupPlan) -> str:
    if not plan.migrations:
        return "no migrations"
    if len(plan.migrations) == 1:
        return plan.migrations[0]
    return f"{len(plan.migrations)} migrations, {plan.migrations[0]} to {plan.migrations[-1]}"


def _estimate_lines(estimates: list[Estimate | None], live: bool) -> list[str]:
    if not live:
        return ["", "Size and time: unknown (pass --db to estimate them from table statistics)."]
    whole = total(estimates)
    if whole is None:
        return ["", "Size and time: unknown (no statistics for these tables in the database)."]
    rows = "an unknown number of" if whole.rows is None else f"~{whole.rows:,}"
    return ["", "Estimate from table statistics (pg_class.reltuples, pg_total_relation_size, "
            "pg_stats):", f"    {rows} rows, ~{human_bytes(whole.bytes)}, "
            f"{human_seconds(whole.seconds)} to copy."]


def _save_lines(plan: BackupPlan) -> list[str]:
    lines = ["", "Saves:" if plan.saves else "Saves: none."]
    for save in plan.saves:
        lines.append(f"  [{save.number}] {_describe(save)}")
        for r in save.reasons:
            lines.append(f"      {r.migration} line {r.span.line}: {r.what}")
    if plan.notes:
        lines += ["", "Not covered, or to know:"]
        for note in plan.notes:
            where = f"{note.span.path}:{note.span.line}: " if note.span else ""
            lines.append(f"  - {where}{note.message}")
    return lines


# --- restore.sql ------------------------------------------------------------------------

def render_restore(plan: BackupPlan, schema: str, now: datetime) -> str:
    bk = quote_ident(schema)
    manifest = f"{bk}.{quote_ident(MANIFEST)}"
    out = [_restore_header(plan, schema, now)]
    if not plan.saves:
        out.append(sql_comment("Nothing to restore: no statement of these migrations "
                               "destroys data.") + "\n")
        return "\n".join(out)
    out.append("BEGIN;\nSET CONSTRAINTS ALL DEFERRED;  -- deferrable foreign keys: checked at "
               "COMMIT\n")
    out.append(_do(_restore_checks(plan, schema, manifest), "  absent text;\n"))
    for save in order_for_restore(plan.saves):
        out.append(_restore_save(save, bk, manifest))
    out.append(f"UPDATE {manifest} SET restored_at = now() WHERE restored_at IS NULL;\n")
    out.append("COMMIT;\n")
    return "\n".join(out)


def _restore_checks(plan: BackupPlan, schema: str, manifest: str) -> str:
    first = plan.first or "the first migration"
    checks = [f"IF {_regclass(manifest)} IS NULL THEN\n  " + _raise(
        f"the backup is missing: schema {schema} (or its manifest) does not exist; "
        f"backup.sql must run before {first}, and restore.sql only puts back what it saved")
        + "\nEND IF;\n"]
    for save in plan.saves:
        name = f"{quote_ident(schema)}.{quote_ident(backup_table(save))}"
        checks.append(f"IF {_regclass(name)} IS NULL THEN\n  " + _raise(
            f"the backup is missing: table {schema}.{backup_table(save)} (save "
            f"{save.number}, {save.table.name}) does not exist; was backup.sql run to the "
            "end?") + "\nEND IF;\n")
        why = save.restorable
        if why is not None:
            checks.append(_raise(f"cannot restore {_describe(save)}: {why}; the saved rows "
                                 f"are in {schema}.{backup_table(save)}, to restore by hand")
                          + "\n")
            continue
        checks.append(_check_table(save.table.name, _target_columns(save),
                                   "run the down migrations first, then restore.sql"))
    return "".join(checks)


def _target_columns(save: Save) -> list[str]:
    """Columns restore writes (and matches on), which the target table must have."""
    shape = save.table
    if save.kind == "columns":
        return list(dict.fromkeys(shape.key + _restored(save)))
    return [c.name for c in shape.columns or () if not c.generated]


def _restored(save: Save) -> tuple[str, ...]:
    """Saved columns that restore writes back: generated columns compute themselves."""
    return tuple(c for c in save.columns
                 if (col := save.table.column(c)) is None or not col.generated)


def order_for_restore(saves: Sequence[Save]) -> list[Save]:
    """Whole tables first, parents before the tables whose foreign keys reference them; then
    the columns, which may reference the rows just put back."""
    tables = [s for s in saves if s.kind == "table"]
    ordered: list[Save] = []
    placed: set[QName] = set()
    pending = list(tables)
    while pending:
        names = {s.table.name for s in pending}
        ready = [s for s in pending if not any(r in names and r != s.table.name
                                               for r in s.table.references)]
        if not ready:  # a cycle of foreign keys: keep the plan's order (deferrable FKs cope)
            ready = pending[:1]
        for s in ready:
            ordered.append(s)
            placed.add(s.table.name)
        pending = [s for s in pending if s not in ready]
    return ordered + [s for s in saves if s.kind == "columns"]


def _restore_save(save: Save, bk: str, manifest: str) -> str:
    source = f"{bk}.{quote_ident(backup_table(save))}"
    head = sql_comment(f"[{save.number}] {_describe(save)}") + "\n"
    if save.restorable is not None:
        return head + sql_comment("(refused above)") + "\n"
    if save.kind == "columns":
        return head + _restore_columns(save, source)
    return head + _restore_table(save, source, manifest)


def _restore_columns(save: Save, source: str) -> str:
    target = quote_qname(save.table.name)
    cols = _restored(save)
    sets = ",\n         ".join(f"{quote_ident(c)} = {_saved_value(save, c)}" for c in cols)
    match = " AND ".join(f"t.{quote_ident(k)} = {_saved_value(save, k)}"
                         for k in save.table.key)
    differs = " OR ".join(f"t.{quote_ident(c)}::text IS DISTINCT FROM b.{quote_ident(c)}::text"
                          for c in cols)
    absent = " AND ".join(f"x.{quote_ident(k)} = {_saved_value(save, k)}"
                          for k in save.table.key)
    body = (
        f"UPDATE {target} AS t\n     SET {sets}\n    FROM {source} AS b\n"
        f"   WHERE {match}\n     AND ({differs});\n"
        "GET DIAGNOSTICS changed = ROW_COUNT;\n"
        f"SELECT count(*) INTO missing FROM {source} AS b\n"
        f" WHERE NOT EXISTS (SELECT FROM {target} AS x WHERE {absent});\n"
        f"RAISE NOTICE '%: % rows set back from the backup', "
        f"{_message(_describe(save))}, changed;\n"
        "IF missing > 0 THEN\n  RAISE WARNING '%: % saved rows have no row to go back to "
        f"(deleted since the backup?)', {_message(str(save.table.name))}, missing;\n"
        "END IF;\n")
    return _do(body, "  changed bigint;\n  missing bigint;\n")


def _restore_table(save: Save, source: str, manifest: str) -> str:
    target = quote_qname(save.table.name)
    cols = _target_columns(save)
    names = ", ".join(quote_ident(c) for c in cols)
    values = ", ".join(_saved_value(save, c) for c in cols)
    insert = (f"INSERT INTO {target} ({names}) OVERRIDING SYSTEM VALUE\n"
              f"SELECT {values}\n  FROM {source} AS b")
    if save.table.key:
        match = " AND ".join(f"t.{quote_ident(k)} = {_saved_value(save, k)}"
                             for k in save.table.key)
        body = (f"{insert}\n WHERE NOT EXISTS (SELECT FROM {target} AS t WHERE {match});\n"
                "GET DIAGNOSTICS changed = ROW_COUNT;\n")
    else:
        # No key: which saved rows are already back cannot be told, so the rows go back
        # only into an empty table, once.
        body = (f"IF EXISTS (SELECT FROM {target}) THEN\n"
                f"  IF EXISTS (SELECT FROM {manifest} WHERE save = {save.number} "
                "AND restored_at IS NOT NULL) THEN\n"
                "    changed := 0;\n  ELSE\n    " + _raise(
                    f"{save.table.name} has no key and already holds rows: which saved rows "
                    "are missing cannot be told; restore it by hand") + "\n  END IF;\n"
                f"ELSE\n{insert};\n  GET DIAGNOSTICS changed = ROW_COUNT;\nEND IF;\n")
    body += f"RAISE NOTICE '%: % rows put back', {_message(_describe(save))}, changed;\n"
    for col in save.table.sequence_columns:
        if col in cols:
            body += _catch_up_sequence(save.table.name, col)
    return _do(body, "  changed bigint;\n")


def _catch_up_sequence(table: QName, column: str) -> str:
    """Identity and serial sequences must not hand out the ids of the rows put back."""
    return (f"PERFORM setval(q.seq, q.top) FROM (SELECT pg_get_serial_sequence("
            f"{quote_literal(quote_qname(table))}, {quote_literal(column)}) AS seq,\n"
            f"    (SELECT max({quote_ident(column)}) FROM {quote_qname(table)}) AS top) AS q\n"
            " WHERE q.seq IS NOT NULL AND q.top IS NOT NULL;\n")


def _restore_header(plan: BackupPlan, schema: str, now: datetime) -> str:
    first = plan.first or "(no migration)"
    lines = [
        f"schemagate {__version__} restore: puts back the data that backup.sql saved,",
        f"generated {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC for "
        f"{_migration_span(plan)}.",
        "",
        f"Run it after the down migrations have brought the schema back to before {first}:",
        "    psql -v ON_ERROR_STOP=1 -d DATABASE -f restore.sql",
        "One transaction: all of it or nothing. Whole tables first (parents before the",
        "tables that reference them), then columns by key. Running it again changes",
        "nothing. It refuses, and changes nothing, when the backup is missing or a table",
        "has no key to match rows by. The backup stays in its schema; drop it when done:",
        f"    DROP SCHEMA {quote_ident(schema)} CASCADE;",
    ]
    lines += _save_lines(plan)
    return _comment(lines) + "\n"
