"""Signs that a script PostgreSQL's grammar refused was written for another database.

A MySQL migration linted as PostgreSQL fails on its first backtick; the error alone sends
the user looking for a typo. These are the constructs only MySQL/MariaDB write (backquoted
names, table options, `AUTO_INCREMENT`, `UNSIGNED`, inline `INDEX`/`KEY` clauses in CREATE
TABLE), and those only SQLite writes (`AUTOINCREMENT`, `WITHOUT ROWID`, `PRAGMA`); one of
them in the failing statement turns the error into a hint to pass `--dialect`. Only the
statement that failed is looked at: a script that quotes a backtick in a string and fails
for another reason is rare, and the hint says "looks like".
"""

from __future__ import annotations

import re

_MYSQL = re.compile(
    r"`[^`\n]+`|\bENGINE\s*=|\bAUTO_INCREMENT\b|\bUNSIGNED\b|\bDEFAULT\s+CHARSET\b"
    r"|\bCHARACTER\s+SET\s*=|\bCOLLATE\s*=|\bON\s+UPDATE\s+CURRENT_TIMESTAMP\b"
    r"|^\s*(?:UNIQUE\s+)?KEY\s+\S+\s*\(",
    re.IGNORECASE | re.MULTILINE)
# SQLite's own: AUTOINCREMENT (MySQL spells it AUTO_INCREMENT), WITHOUT ROWID, PRAGMA.
_SQLITE = re.compile(r"\bAUTOINCREMENT\b|\bWITHOUT\s+ROWID\b|^\s*PRAGMA\b",
                     re.IGNORECASE | re.MULTILINE)
_STRING = re.compile(r"'(?:[^']|'')*'")

MYSQL_HINT = " (this looks like MySQL: lint it with --dialect mysql)"
SQLITE_HINT = " (this looks like SQLite: lint it with --dialect sqlite)"


def other_dialect_hint(statement: str) -> str:
    """A hint to append to PostgreSQL's syntax error, or "" when the SQL looks like its own."""
    code = _STRING.sub("''", statement)
    if _MYSQL.search(code):
        return MYSQL_HINT
    return SQLITE_HINT if _SQLITE.search(code) else ""
