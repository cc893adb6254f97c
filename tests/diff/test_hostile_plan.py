"""Diff plans (up and down, with destructive changes emitted or held back as comments)
stay inside their comments, identifiers and literals whatever the names in the live
databases: run through psql next to a canary table that must survive untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schemagate.diff.connect import connect
from schemagate.model.names import quote_ident, quote_literal
from tests.backup.helpers import checksums, need_psql, psql
from tests.conftest import CANARY, HOSTILE_NAMES
from tests.diff.support import databases


def _schema(new: bool) -> str:
    """A: a table per hostile name, with a hostile column and comment. B: those tables
    gone, new ones under the names reversed, and the survivor's hostile columns changed."""
    names = [n[::-1] if new else n for n in HOSTILE_NAMES]
    out = CANARY + "\n"
    for name in names:
        out += (f"CREATE TABLE {quote_ident(name)} (id int PRIMARY KEY, "
                f"{quote_ident(name)} text);\n"
                f"COMMENT ON TABLE {quote_ident(name)} IS {quote_literal(name)};\n"
                f"CREATE INDEX {quote_ident('i' + name)} ON {quote_ident(name)} "
                f"({quote_ident(name)});\n")
    out += "CREATE TABLE survivor (id int PRIMARY KEY" + "".join(
        f", {quote_ident(n)} {'bigint' if new else 'int'}" for n in names) + ");\n"
    return out


def _diff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "schemagate", "diff", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})


def _tables(url: str) -> set[str]:
    with connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace")}


def test_plans_held_back_as_comments_run_without_touching_anything(
        pg_server: str, tmp_path: Path) -> None:
    need_psql()
    with databases(pg_server, _schema(False), _schema(True)) as (a, b):
        out = tmp_path / "plan.sql"
        made = _diff("--from", a, "--to", b, "--down", "-o", str(out))
        assert made.returncode == 0, made.stderr
        text = out.read_text(encoding="utf-8")
        assert "not emitted" in text.lower()  # the drops are there, as comments
        comments = [line for line in text.split("\n") if line.startswith("--")]
        assert any("DROP TABLE keep" in line for line in comments)
        for line in comments:  # escaped, so a reader's terminal or editor shows them as is
            assert not any(c in line for c in "\r\x1b\x07\x85\u2028\u202e"), repr(line)
        before = _tables(a)
        ran = psql(a, out)
        assert ran.returncode == 0, ran.stderr
        assert before <= _tables(a)  # nothing dropped: the held-back drops stayed comments
        assert checksums(a)["keep"][0] == 1
        # The reverse plan, on B: B's tables are the ones its held-back drops name.
        before = _tables(b)
        ran = psql(b, tmp_path / "plan.down.sql")
        assert ran.returncode == 0, ran.stderr
        assert before <= _tables(b) and checksums(b)["keep"][0] == 1


def test_destructive_plans_up_and_down_change_only_what_differs(
        pg_server: str, tmp_path: Path) -> None:
    need_psql()
    with databases(pg_server, _schema(False), _schema(True)) as (a, b):
        keep = checksums(a)["keep"]
        out = tmp_path / "plan.sql"
        made = _diff("--from", a, "--to", b, "--down", "--allow-destructive", "-o", str(out))
        assert made.returncode == 0, made.stderr
        ran = psql(a, out)
        assert ran.returncode == 0, ran.stderr
        assert checksums(a)["keep"] == keep
        assert _diff("--from", a, "--to", b, "--check").returncode == 0  # A is now B
        ran = psql(a, tmp_path / "plan.down.sql")
        assert ran.returncode == 0, ran.stderr
        assert checksums(a)["keep"] == keep
        assert _tables(a) == {"keep", "survivor", *HOSTILE_NAMES}
