"""verify gives LOCK TABLE a transaction block of its own, as PostgreSQL requires."""

from __future__ import annotations

from schemagate.model.migration import Script
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText
from schemagate.verify.scripts import NEEDS_OWN_BLOCK, from_statement


def test_lock_table_is_run_in_a_transaction_block_of_its_own() -> None:
    script = parse_script(SourceText.of("x.sql", "LOCK TABLE t IN SHARE MODE;"), Script("x.sql"))
    assert from_statement(script.statements[0]).kind in NEEDS_OWN_BLOCK
