"""The functions through which every name reaches generated SQL, against a real PostgreSQL."""

from __future__ import annotations

import unicodedata

from schemagate.diff.connect import connect
from schemagate.model.names import (
    default_name,
    name_addition,
    quote_ident,
    quote_literal,
    sql_comment,
    truncated,
)
from schemagate.model.text import escape_controls
from tests.conftest import HOSTILE_NAMES


def test_a_literal_reads_back_exactly_whatever_standard_conforming_strings_says(
        pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        for setting in ("on", "off"):
            conn.execute(f"SET standard_conforming_strings = {setting}")
            for name in (*HOSTILE_NAMES, "a\\", "\\\\'", "it's \\x41"):
                row = conn.execute(f"SELECT {quote_literal(name)}").fetchone()
                assert row is not None and row[0] == name, (setting, name)


def test_an_identifier_names_exactly_the_table_given(pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        for name in HOSTILE_NAMES:
            conn.execute(f"CREATE TABLE {quote_ident(name)} ()")
        names = {r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' "
                                            "AND relnamespace = 'public'::regnamespace")}
    assert names == set(HOSTILE_NAMES)


def test_a_comment_line_ends_where_it_is_written(pg_db: str) -> None:
    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE keep ()")
        for name in HOSTILE_NAMES:
            conn.execute(f"SELECT 1 {sql_comment(name)}\n")
        assert conn.execute("SELECT to_regclass('keep') IS NOT NULL").fetchone() == (True,)


def test_no_character_leaves_a_comment_line_or_reaches_the_terminal_raw() -> None:
    for code in range(0x3000):
        ch = chr(code)
        if unicodedata.category(ch) == "Cs":
            continue
        line = sql_comment(f"a{ch}b")
        assert len(line.splitlines()) == 1, hex(code)
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in line), hex(code)
    assert sql_comment("\u202eevil") == "-- \\u202eevil"  # a right-to-left override, shown


def test_escapes_name_the_character_and_keep_what_is_asked() -> None:
    assert escape_controls("a\nb\r\t\x1b[2J\x07") == "a\\nb\\r\\t\\x1b[2J\\x07"
    assert escape_controls("line\none\x1b", keep="\n") == "line\none\\x1b"
    assert escape_controls(escape_controls("x\ny")) == "x\\ny"



LONG_TABLE = "tilbakekreving_foreldelsesperiode_med_lang_navn"
LONG_COLUMN = "foreldelsesvurdering_referanse_til_periode"
WIDE_TABLE = "ærøå_ærøå_ærøå_ærøå_ærøå_ærøå_ærøå_ærøå"  # 2 bytes a letter
WIDE_COLUMN = "åøæ_åøæ_åøæ_åøæ_åøæ_åøæ"


def test_default_names_are_the_ones_postgresql_gives(pg_db: str) -> None:
    """Cut to 63 bytes as PostgreSQL cuts them (the longer part first, never inside a
    character), and a CHECK of several columns named after its table alone."""
    expected = {
        default_name(LONG_TABLE, None, "pkey"),
        default_name(LONG_TABLE, name_addition([LONG_COLUMN]), "fkey"),
        default_name(WIDE_TABLE, WIDE_COLUMN, "check"),
        default_name(WIDE_TABLE, None, "check"),
        default_name(WIDE_TABLE, name_addition(["b", "c"]), "key"),
        default_name(WIDE_TABLE, name_addition([WIDE_COLUMN, "b"]), "idx"),
    }
    wide, column = quote_ident(WIDE_TABLE), quote_ident(WIDE_COLUMN)
    with connect(pg_db, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {LONG_TABLE} (id bigint PRIMARY KEY, "
                     f"{LONG_COLUMN} bigint REFERENCES {LONG_TABLE})")
        conn.execute(f"CREATE TABLE {wide} ({column} int CHECK ({column} > 0), b int, c int, "
                     "CHECK (b > c), UNIQUE (b, c))")
        conn.execute(f"CREATE INDEX ON {wide} ({column}, b)")
        made = {row[0] for row in conn.execute(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert made == expected
    # Whole, the key's name would be 95 bytes: it was cut.
    assert f"{LONG_TABLE}_{LONG_COLUMN}_fkey" not in made
    assert all(len(name.encode()) <= 63 for name in made)


def test_a_long_identifier_is_cut_where_postgresql_cuts_it(pg_db: str) -> None:
    names = ["t" * 70, "é" * 40, "a" + "é" * 40, "short", "x" * 63, "y" * 64]
    with connect(pg_db, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE TABLE {quote_ident(name)} ()")
        kept = {r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' "
                                           "AND relnamespace = 'public'::regnamespace")}
    assert kept == {truncated(name) for name in names}
    assert truncated("a" + "é" * 40) == "a" + "é" * 31  # 63 bytes, not half a character
