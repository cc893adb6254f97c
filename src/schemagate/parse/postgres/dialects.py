"""Signs that a script PostgreSQL's grammar refused was written for another database.

A MySQL migration linted as PostgreSQL fails on its first backtick; the error alone sends
the user looking for a typo. These are the constructs only MySQL/MariaDB write (table
options, `AUTO_INCREMENT`, `UNSIGNED`, inline `INDEX`/`KEY` clauses in CREATE TABLE), and
those only SQLite writes (`AUTOINCREMENT`, `WITHOUT ROWID`, `PRAGMA`, its date functions
`strftime`, `unixepoch`, `julianday`, `datetime('now')`); one of them in the failing
statement turns the error into a hint to pass `--dialect`. Backquoted names alone are both
databases' (Drizzle writes them for SQLite too), and the hint then names both. Only the
statement that failed is looked at: a script that quotes a backtick in a string and fails
for another reason is rare, and the hint says "looks like".
"""

from __future__ import annotations

import re

_MYSQL = re.compile(
    r"\bENGINE\s*=|\bAUTO_INCREMENT\b|\bUNSIGNED\b|\bDEFAULT\s+CHARSET\b"
    r"|\bCHARACTER\s+SET\s*=|\bCOLLATE\s*=|\bON\s+UPDATE\s+CURRENT_TIMESTAMP\b"
    r"|^\s*(?:UNIQUE\s+)?KEY\s+\S+\s*\(",
    re.IGNORECASE | re.MULTILINE)
# SQLite's own: AUTOINCREMENT (MySQL spells it AUTO_INCREMENT), WITHOUT ROWID, PRAGMA, and
# its date functions. Looked for before the strings are blanked: datetime('now') is one.
_SQLITE = re.compile(r"\bAUTOINCREMENT\b|\bWITHOUT\s+ROWID\b|^\s*PRAGMA\b"
                     r"|\b(?:strftime|unixepoch|julianday)\s*\(|\bdatetime\s*\(\s*'now'",
                     re.IGNORECASE | re.MULTILINE)
_BACKQUOTED = re.compile(r"`[^`\n]+`")
_STRING = re.compile(r"'(?:[^']|'')*'")

MYSQL_HINT = " (this looks like MySQL: lint it with --dialect mysql)"
SQLITE_HINT = " (this looks like SQLite: lint it with --dialect sqlite)"
BACKQUOTED_HINT = (" (backquoted names are MySQL's or SQLite's: lint it with --dialect mysql "
                   "or --dialect sqlite)")


def other_dialect_hint(statement: str) -> str:
    """A hint to append to PostgreSQL's syntax error, or "" when the SQL looks like its own."""
    code = _STRING.sub("''", statement)
    if _MYSQL.search(code):
        return MYSQL_HINT
    if _SQLITE.search(_STRING.sub(_kept_now, statement)):
        return SQLITE_HINT
    return BACKQUOTED_HINT if _BACKQUOTED.search(code) else ""


def _kept_now(string: re.Match[str]) -> str:
    """A string blanked, but for 'now', which SQLite's datetime('now') is known by."""
    return string[0] if string[0].lower() == "'now'" else "''"
