"""Running SQL the way a DBA does (psql) or through psycopg, and checksums of table data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from schemagate.diff.connect import connect
from schemagate.model.names import QName, quote_ident, quote_qname

ROOT = Path(__file__).parent.parent.parent
PSQL = shutil.which("psql") or ("/usr/bin/psql" if Path("/usr/bin/psql").exists() else None)


def need_psql() -> str:
    if PSQL is None:
        pytest.skip("psql is not installed: the scripts are checked through psycopg only")
    return PSQL


def psql(url: str, file: Path) -> subprocess.CompletedProcess[str]:
    """`psql -v ON_ERROR_STOP=1 -f FILE`, exactly as the scripts' headers tell a DBA."""
    return subprocess.run([need_psql(), "-X", "-v", "ON_ERROR_STOP=1", "-d", url, "-f",
                           str(file)], capture_output=True, text=True, timeout=300)


def run_sql(url: str, text: str) -> None:
    """A whole script through psycopg, as one simple query (BEGIN/COMMIT inside it work)."""
    with connect(url, autocommit=True) as conn:
        conn.execute(text.encode("utf-8"))


def schemagate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "schemagate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})


def checksums(url: str, schema: str = "public") -> dict[str, tuple[int, str]]:
    """Row count and md5 of every table's rows, columns in name order (a column dropped and
    added back comes last in the table but must not change the checksum)."""
    out: dict[str, tuple[int, str]] = {}
    with connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'", (schema,)).fetchall()]
        for table in tables:
            out[table] = table_checksum(conn, QName(schema, table))
    return out


def table_checksum(conn: Any, table: QName) -> tuple[int, str]:
    cols = [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attname", (quote_qname(table),)).fetchall()]
    row = "ROW(" + ", ".join(quote_ident(c) for c in cols) + ")::text"
    count, digest = conn.execute(
        f"SELECT count(*), md5(coalesce(string_agg({row}, ',' ORDER BY {row}), '')) "
        f"FROM {quote_qname(table)}").fetchone()
    return int(count), str(digest)
