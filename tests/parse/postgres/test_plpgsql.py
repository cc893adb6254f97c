"""What a DO block certainly does: its effects reach the fold, and nothing uncertain does."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.model import ops as o
from schemagate.model.migration import Script
from schemagate.model.settings import Settings
from schemagate.parse.postgres.frontend import parse_script
from schemagate.parse.source import SourceText, read_source
from tests.conftest import lint_sql, rules_of


def _effects(tmp_path: Path, sql: str) -> list[str]:
    path = tmp_path / "block.sql"
    path.write_text(sql, encoding="utf-8")
    src = read_source(path, "block.sql", None)
    assert isinstance(src, SourceText), src
    script = parse_script(src, Script("block.sql", "autocommit"))
    (block,) = [op for st in script.statements for op in st.ops]  # type: ignore[union-attr]
    assert isinstance(block, o.RawSQL) and block.statement_kind == "DoStmt"
    return [type(effect).__name__ for effect in block.effects]


def test_the_plain_statements_of_the_block_are_its_effects(tmp_path: Path) -> None:
    assert _effects(tmp_path, """DO $$
DECLARE r record;
BEGIN
   ALTER TABLE discount DROP CONSTRAINT IF EXISTS "discount_sale_fk";
   RAISE NOTICE 'dropped';
   BEGIN
      DROP INDEX discount_sale_idx;
   END;
   FOR r IN SELECT 1 LOOP
      EXECUTE 'DROP TABLE ' || 'x';
   END LOOP;
   ALTER TABLE discount ADD COLUMN note text;
END;
$$;""") == ["DropConstraint", "DropIndex", "AddColumn"]


@pytest.mark.parametrize("body", [
    # Under a branch, in a loop or built at run time: not certain.
    "IF 1 = 1 THEN ALTER TABLE t DROP COLUMN c; END IF;",
    "FOR i IN 1..2 LOOP ALTER TABLE t DROP COLUMN c; END LOOP;",
    "EXECUTE 'ALTER TABLE t DROP COLUMN c';",
    # An exception handler may roll the statement back.
    "ALTER TABLE t DROP COLUMN c; EXCEPTION WHEN undefined_column THEN NULL;",
    # After a way out of the block, which may or may not be taken.
    "IF NOT EXISTS (SELECT 1) THEN RETURN; END IF; ALTER TABLE t DROP COLUMN c;",
    "RAISE EXCEPTION 'stop'; ALTER TABLE t DROP COLUMN c;",
])
def test_what_may_not_run_is_no_effect(tmp_path: Path, body: str) -> None:
    assert _effects(tmp_path, f"DO $$ BEGIN {body} END $$;") == []


def test_a_block_in_another_language_or_unreadable_has_no_effects(tmp_path: Path) -> None:
    assert _effects(tmp_path, "DO LANGUAGE plperl $$ ALTER TABLE t DROP COLUMN c $$;") == []
    assert _effects(tmp_path, "DO $$ BEGIN ALTER TABLE t DROP COLUMN c END $$;") == []


# saleor's discount tables: a foreign key and the index that serves it.
SALEOR_DISCOUNT = """
CREATE TABLE sale (id bigint PRIMARY KEY);
CREATE TABLE orderdiscount (id bigint PRIMARY KEY, sale_id bigint);
ALTER TABLE orderdiscount ADD CONSTRAINT od_sale_fk FOREIGN KEY (sale_id) REFERENCES sale (id);
CREATE INDEX od_sale_idx ON orderdiscount (sale_id);
"""


def test_the_fold_sees_a_foreign_key_dropped_in_a_block(tmp_path: Path) -> None:
    # saleor discount/0052 drops its foreign keys in a DO block, 0053 their indexes, and
    # 0055 the referenced table: neither the foreign key without its index nor the drop
    # of a referenced table is true.
    result = lint_sql(tmp_path, SALEOR_DISCOUNT, """DO $$
BEGIN
   ALTER TABLE orderdiscount DROP CONSTRAINT IF EXISTS od_sale_fk;
END;
$$;""", "DROP INDEX CONCURRENTLY od_sale_idx;", "DROP TABLE sale;")
    rules = {rule for _, rule in rules_of(result)}
    assert "fk-without-index" not in rules and "drop-referenced-object" not in rules
    assert "drop-table" in rules  # the history is read to its end


def test_the_same_drop_under_a_branch_leaves_the_foreign_key(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, SALEOR_DISCOUNT, """DO $$
BEGIN
   IF current_setting('app.cleanup', true) = 'on' THEN
      ALTER TABLE orderdiscount DROP CONSTRAINT IF EXISTS od_sale_fk;
   END IF;
END;
$$;""", "DROP INDEX CONCURRENTLY od_sale_idx;")
    assert (4, "fk-without-index") in rules_of(result)


def test_rules_see_the_block_not_its_statements(tmp_path: Path) -> None:
    # The effects have no place of their own in the file: findings about them would point
    # at the whole block, so the rules judge the block as before.
    result = lint_sql(tmp_path, "CREATE TABLE t (id int);",
                      "DO $$ BEGIN ALTER TABLE t ADD COLUMN c int NOT NULL; END $$;")
    assert "add-required-column" not in {rule for _, rule in rules_of(result)}


def _branches(tmp_path: Path, body: str) -> list[str] | None:
    path = tmp_path / "block.sql"
    path.write_text(f"DO $$ {body} $$;", encoding="utf-8")
    src = read_source(path, "block.sql", None)
    assert isinstance(src, SourceText), src
    script = parse_script(src, Script("block.sql", "autocommit"))
    (block,) = [op for st in script.statements for op in st.ops]  # type: ignore[union-attr]
    assert isinstance(block, o.RawSQL) and block.statement_kind == "DoStmt"
    return None if block.branches is None else [type(x).__name__ for x in block.branches]


@pytest.mark.parametrize(("body", "branches"), [
    # GoTrue's guards: a rename under a check of the catalog, a type made unless it exists.
    ("BEGIN IF NOT EXISTS (SELECT * FROM information_schema.columns WHERE table_name = "
     "'users' AND column_name = 'email_confirmed_at') THEN ALTER TABLE users RENAME COLUMN "
     "confirmed_at TO email_confirmed_at; END IF; END",
     ["RenameColumn"]),
    # (With `THEN null` the block is the statement itself: see the drizzle-kit test.)
    ("BEGIN CREATE TYPE kind AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN "
     "RAISE NOTICE 'kind exists'; END",
     ["CreateType"]),
    # Every arm counts, and an EXECUTE of one constant string is that string.
    ("BEGIN IF (SELECT count(*) = 2 FROM pg_indexes WHERE indexname = 'a') THEN "
     "EXECUTE 'DROP INDEX a'; ELSIF to_regclass('b') IS NULL THEN CREATE INDEX b ON t (x); "
     "ELSE RAISE NOTICE 'nothing'; END IF; END",
     ["DropIndex", "CreateIndex"]),
    # What cannot be read: a condition reading a table of the application, a function of
    # its own, a loop, SQL built at run time.
    ("BEGIN IF (SELECT count(*) FROM users) > 0 THEN ALTER TABLE users RENAME a TO b; "
     "END IF; END", None),
    ("BEGIN PERFORM refresh_everything(); END", None),
    ("BEGIN FOR i IN 1..2 LOOP ALTER TABLE t RENAME a TO b; END LOOP; END", None),
    ("BEGIN EXECUTE 'ALTER TABLE ' || 't' || ' RENAME a TO b'; END", None),
])
def test_a_block_all_of_which_can_be_read_says_what_it_may_run(
        tmp_path: Path, body: str, branches: list[str] | None) -> None:
    assert _branches(tmp_path, body) == branches


def test_a_block_that_only_renames_under_a_guard_is_no_slow_work(tmp_path: Path) -> None:
    # GoTrue 20210710: the lock ADD COLUMN takes is held while the block runs, but the block
    # only renames a column, whichever way its condition goes.
    from schemagate.model.settings import Settings

    guarded = ("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
               "table_name = 't' AND column_name = 'c') THEN ALTER TABLE t RENAME COLUMN a "
               "TO c; END IF; END $$;\n")
    result = lint_sql(
        tmp_path,
        "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
        "ALTER TABLE t ADD COLUMN b int;\n" + guarded,
        "ALTER TABLE t ADD COLUMN d int;\n" + guarded.replace("RENAME COLUMN a TO c",
                                                              "ADD CHECK (d > 0)"),
        settings=Settings(select=("lock-held-too-long",)), transaction="wrapped")
    assert [(f.span.path.rsplit("/", 1)[-1], f.span.line) for f in result.active] == [
        ("0003_m.sql", 1)]


DRIZZLE = '''DO $$ BEGIN
 CREATE TYPE "public"."kind" AS ENUM('x', 'y');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "a" ADD CONSTRAINT "a_b_b_id_fk" FOREIGN KEY ("b") REFERENCES "public"."b"("id");
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
'''


def test_a_block_that_only_ignores_already_there_is_its_one_statement(tmp_path: Path) -> None:
    """drizzle-kit wraps each CREATE TYPE and foreign key in `DO $$ BEGIN …; EXCEPTION WHEN
    duplicate_object THEN null; END $$` (Dokploy: 71 keys, 29 on tables with rows, and 17
    types): whether it ran now or before, the object is there after it, so the block is
    the statement, and the rules see it where it is written. A block that ignores other
    errors, or does more, stays opaque."""
    result = lint_sql(
        tmp_path, 'CREATE TABLE "a" (id int PRIMARY KEY, b int);\n'
                  'CREATE TABLE "b" (id int PRIMARY KEY);\n',
        DRIZZLE,
        "ALTER TYPE kind ADD VALUE 'z';\n"
        "DO $$ BEGIN\n ALTER TABLE a ADD CONSTRAINT a_b2 FOREIGN KEY (b) REFERENCES b (id);\n"
        "EXCEPTION\n WHEN others THEN null;\nEND $$;\n",
        settings=Settings(select=("add-foreign-key-validated", "unknown-object")))
    assert [(f.rule, f.span.path[-10:], f.span.line, f.span.column, f.fix)
            for f in result.active] == [
        ("add-foreign-key-validated", "0002_m.sql", 8, 18, None)]
    script = parse_script(SourceText.of("m.sql", DRIZZLE), Script("m.sql"))
    assert [[type(op).__name__ for op in st.ops] for st in script.statements] == [
        ["CreateType"], ["AddConstraint"]]
