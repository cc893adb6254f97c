"""What irreversible-data-loss says is lost (`rules/reversibility.py`), message by message,
on histories linted as the command line lints them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import lint_dialect_history

BASE = {
    "000001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, "
                              "code varchar(255));\n",
    "000001_accounts.down.sql": "DROP TABLE accounts;\n",
}


def lost(tmp_path: Path, up: str, down: str) -> list[str]:
    result = lint_dialect_history(tmp_path, {
        **BASE, "000002_change.up.sql": up, "000002_change.down.sql": down}, "postgres")
    return [f.message for f in result.active if f.rule == "irreversible-data-loss"]


def test_a_scratch_column_the_up_path_adds_and_drops_holds_nothing_of_the_database(
        tmp_path: Path) -> None:
    # redash's 640888ce445d: copy aside, drop, add again, fill, drop the copy.
    up = ("ALTER TABLE accounts ADD COLUMN old_code varchar(255);\n"
          "UPDATE accounts SET old_code = code;\n"
          "ALTER TABLE accounts DROP COLUMN code;\n"
          "ALTER TABLE accounts ADD COLUMN code text;\n"
          "UPDATE accounts SET code = upper(old_code);\n"
          "ALTER TABLE accounts ALTER COLUMN old_code TYPE varchar(10);\n"
          "ALTER TABLE accounts DROP COLUMN old_code;\n")
    assert lost(tmp_path, up, "ALTER TABLE accounts ALTER COLUMN code TYPE varchar(255);\n"
                ) == ["the down path cannot bring back column public.accounts.code: take a "
                      "backup first (`schemagate backup`)"]


def test_a_column_that_was_there_before_if_not_exists_is_still_lost(tmp_path: Path) -> None:
    up = ("ALTER TABLE accounts ADD COLUMN IF NOT EXISTS code varchar(255);\n"
          "ALTER TABLE accounts DROP COLUMN code;\n")
    assert lost(tmp_path, up, "ALTER TABLE accounts ADD COLUMN code varchar(255);\n") == [
        "the down path cannot bring back column public.accounts.code: take a backup first "
        "(`schemagate backup`)"]
