"""Other SQL dialects (MySQL/MariaDB, SQLite) through sqlglot.

Until that frontend lands, a script in another dialect is reported as such, with its path,
rather than parsed with PostgreSQL's grammar and drowned in false syntax errors.
"""

from __future__ import annotations

from schemagate.model.findings import InputError
from schemagate.model.migration import ParsedScript, Script
from schemagate.parse.source import SourceText


def parse_dialect_script(source: SourceText, script: Script, dialect: str) -> ParsedScript:
    return ParsedScript(script, errors=[InputError(
        source.path, f"the {dialect} dialect is not supported yet; only PostgreSQL is linted")])
