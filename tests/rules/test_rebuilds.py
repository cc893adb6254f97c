"""Table rebuilds (`rules/rebuilds.py`): the drops whose rows a script keeps, on SQLite
histories shaped like Authelia's, linted the way the command line lints them."""

from __future__ import annotations

from pathlib import Path

from schemagate.lint.engine import LintResult
from schemagate.model.migration import Script
from schemagate.parse.source import SourceText
from schemagate.parse.sqlglot.frontend import parse_dialect_script
from schemagate.rules.rebuilds import harmless_drops
from tests.conftest import lint_dialect_history, lint_sql


def kept(sql: str) -> set[tuple[int, str]]:
    script = parse_dialect_script(SourceText.of("m.sql", sql), Script("m.sql"), "sqlite")
    return {(index, table.name) for index, table in harmless_drops(script)}


def found(result: LintResult) -> list[tuple[str, int, str]]:
    return [(Path(f.span.path).name, f.span.line, f.rule) for f in result.active]


RENAME_ASIDE = """\
ALTER TABLE t RENAME TO _bkp_t;
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NULL);
INSERT INTO t (id, v) SELECT id, v FROM _bkp_t;
DROP TABLE _bkp_t;
"""
COPY_ASIDE = """\
CREATE TABLE _bkp_u (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO _bkp_u SELECT id, v FROM u;
DROP TABLE u;
CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO u SELECT id, v FROM _bkp_u;
DROP TABLE _bkp_u;
"""
CREATE_NEW = """\
CREATE TABLE w_new (id INTEGER PRIMARY KEY, v TEXT NULL);
INSERT INTO w_new (id, v) SELECT id, v FROM w;
DROP TABLE w;
ALTER TABLE w_new RENAME TO w;
"""


def test_every_drop_of_the_three_rebuild_shapes_keeps_the_rows() -> None:
    assert kept(RENAME_ASIDE) == {(3, "_bkp_t")}
    assert kept(COPY_ASIDE) == {(2, "u"), (5, "_bkp_u")}
    assert kept(CREATE_NEW) == {(2, "w")}


def test_an_if_exists_drop_of_a_name_the_script_uses_in_passing_keeps_the_rows() -> None:
    # memos's SQLite migrations: clear what an earlier, failed run left, then rebuild.
    assert kept("DROP TABLE IF EXISTS _bkp_t;\n" + RENAME_ASIDE) == {(0, "_bkp_t"),
                                                                    (4, "_bkp_t")}
    assert kept("DROP TABLE IF EXISTS _bkp_u;\n" + COPY_ASIDE) == {(0, "_bkp_u"), (3, "u"),
                                                                  (6, "_bkp_u")}
    assert kept("DROP TABLE IF EXISTS w_new;\n" + CREATE_NEW) == {(0, "w_new"), (3, "w")}
    # A scratch table outside any rebuild.
    assert kept("DROP TABLE IF EXISTS tmp;\nCREATE TABLE tmp AS SELECT id FROM t;\n"
                "UPDATE u SET n = 1 WHERE id IN (SELECT id FROM tmp);\nDROP TABLE tmp;\n"
                ) == {(0, "tmp"), (3, "tmp")}
    # A name that holds a table at the script's end is not used in passing: a legacy
    # table's rows go.
    assert kept("DROP TABLE IF EXISTS _bkp_t;\nALTER TABLE t RENAME TO _bkp_t;\n"
                "CREATE TABLE t (id INTEGER);\n") == set()
    assert kept("DROP TABLE IF EXISTS t;\nCREATE TABLE t (id INTEGER);\n") == set()
    assert kept("DROP TABLE IF EXISTS legacy;\n" + RENAME_ASIDE) == {(4, "_bkp_t")}
    # Nor is a plain drop (no IF EXISTS) ahead of the rebuild: the script expects a table.
    assert kept("DROP TABLE _bkp_t;\n" + RENAME_ASIDE) == {(4, "_bkp_t")}


def test_a_drop_followed_by_a_bare_create_of_the_same_name_keeps_nothing() -> None:
    assert kept("DROP TABLE u;\nCREATE TABLE u (id INTEGER PRIMARY KEY);\n") == set()
    assert kept("ALTER TABLE t RENAME TO _bkp_t;\nCREATE TABLE t (id INTEGER);\n"
                "DROP TABLE _bkp_t;\n") == set()


def test_rows_copied_only_under_another_name_or_emptied_again_are_not_kept() -> None:
    assert kept("CREATE TABLE archive (id INTEGER);\nINSERT INTO archive SELECT id FROM t;\n"
                "DROP TABLE t;\n") == set()
    assert kept(CREATE_NEW + "DELETE FROM w;\n") == set()
    # A table a condition reads gives no rows.
    assert kept("CREATE TABLE w_new (id INTEGER);\n"
                "INSERT INTO w_new SELECT 1 WHERE 1 IN (SELECT id FROM w);\n"
                "DROP TABLE w;\nALTER TABLE w_new RENAME TO w;\n") == set()


def test_a_sqlite_history_of_rebuilds_reports_no_rename_drop_or_data_loss(
        tmp_path: Path) -> None:
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n"
                             "CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n"
                             "CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n",
        "V0001.Init.down.sql": "DROP TABLE w; DROP TABLE u; DROP TABLE t;\n",
        "V0002.Rebuild.up.sql": RENAME_ASIDE + COPY_ASIDE + CREATE_NEW,
        "V0002.Rebuild.down.sql": RENAME_ASIDE.replace("NULL", "NOT NULL")
        + COPY_ASIDE.replace("v TEXT)", "v TEXT NOT NULL)")
        + CREATE_NEW.replace("NULL", "NOT NULL"),
    }, "sqlite")
    assert [f for f in found(result) if f[2] in (
        "rename-table", "drop-table", "irreversible-data-loss")] == []


def test_a_rebuild_that_copies_nothing_back_is_still_data_loss(tmp_path: Path) -> None:
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n",
        "V0001.Init.down.sql": "DROP TABLE t;\n",
        "V0002.Rebuild.up.sql": "ALTER TABLE t RENAME TO _bkp_t;\n"
                                "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NULL);\n"
                                "DROP TABLE _bkp_t;\n",
        "V0002.Rebuild.down.sql": "SELECT 1;\n",
    }, "sqlite")
    assert [f for f in found(result) if f[2] != "down-does-not-restore"] == [
        ("V0002.Rebuild.up.sql", 3, "drop-table"),
        ("V0002.Rebuild.up.sql", 3, "irreversible-data-loss")]


def test_a_column_the_rebuilt_table_leaves_out_is_dropped_with_the_old_one(
        tmp_path: Path) -> None:
    # Vaultwarden's SQLite add_favorites_table: ciphers rebuilt without `favorite`, in each
    # of the three shapes; the columns the new table keeps (or the migration made) are not
    # reported, nor are those of a table made as a query the tool cannot read.
    init = "".join(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT NOT NULL, fav BOOLEAN);\n"
                   for t in ("t", "u", "w", "z"))
    up = (RENAME_ASIDE + COPY_ASIDE + CREATE_NEW).replace("v TEXT NULL", "v TEXT")
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": init,
        "V0001.Init.down.sql": "DROP TABLE z; DROP TABLE w; DROP TABLE u; DROP TABLE t;\n",
        "V0002.Rebuild.up.sql": up
        + "CREATE TABLE z_new AS SELECT * FROM z;\nDROP TABLE z;\n"
          "ALTER TABLE z_new RENAME TO z;\n",
        "V0002.Rebuild.down.sql": "SELECT 1;\n",
    }, "sqlite")
    drops = [(f.span.line, f.span.column, f.message) for f in result.active
             if f.rule == "drop-column"]
    assert drops == [
        (line, 1, f"dropping column `fav` of `{table}` deletes its data: the table rebuild "
                   "leaves it out of the new table")
        for line, table in ((4, "_bkp_t"), (7, "u"), (13, "w"))]
    assert [f for f in found(result) if f[2] == "drop-table"] == []  # the rows are kept
    assert [(f.span.line, f.message) for f in result.active
            if f.rule == "irreversible-data-loss"] == [
        (4, "the down path cannot bring back column t.fav, column u.fav, column w.fav: take "
            "a backup first (`schemagate backup`)")]


def test_a_column_a_rebuild_copies_under_another_name_or_into_another_table_lives_on(
        tmp_path: Path) -> None:
    # Memos's sqlite 0.8 renames `name` to `nickname` by a rebuild (`INSERT INTO user (…,
    # nickname) SELECT …, name`); Vaultwarden's 2018-04-27 copies `folder_uuid` into
    # folders_ciphers first. Neither value is lost; a column no copy reads is, and a copy
    # the tool cannot read (`SELECT *`) says nothing either way.
    init = ("CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT, fav TEXT);\n"
            "CREATE TABLE item (id INTEGER PRIMARY KEY, folder TEXT, fav TEXT);\n"
            "CREATE TABLE w (id INTEGER PRIMARY KEY, fav TEXT);\n")
    up = ("ALTER TABLE user RENAME TO _user_old;\n"
          "CREATE TABLE user (id INTEGER PRIMARY KEY, nickname TEXT);\n"
          "INSERT INTO user (id, nickname) SELECT id, name FROM _user_old;\n"
          "DROP TABLE _user_old;\n"
          "CREATE TABLE item_folders (item_id INTEGER, folder TEXT);\n"
          "INSERT INTO item_folders SELECT id, folder FROM item WHERE folder IS NOT NULL;\n"
          "CREATE TABLE item_new (id INTEGER PRIMARY KEY);\n"
          "INSERT INTO item_new (id) SELECT id FROM item;\n"
          "DROP TABLE item;\nALTER TABLE item_new RENAME TO item;\n"
          "CREATE TABLE w_new (id INTEGER PRIMARY KEY);\n"
          "INSERT INTO w_new SELECT * FROM w;\n"
          "DROP TABLE w;\nALTER TABLE w_new RENAME TO w;\n")
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": init,
        "V0001.Init.down.sql": "DROP TABLE w; DROP TABLE item; DROP TABLE user;\n",
        "V0002.Rebuild.up.sql": up,
        "V0002.Rebuild.down.sql": "SELECT 1;\n"}, "sqlite")
    assert [(f.span.line, f.message.split(":")[0]) for f in result.active
            if f.rule == "drop-column"] == [
        (4, "dropping column `fav` of `_user_old` deletes its data"),
        (9, "dropping column `fav` of `item` deletes its data")]


REBUILD_PARENT = """\
PRAGMA foreign_keys=OFF;
CREATE TABLE __new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO __new_parent (id, name) SELECT id, name FROM parent;
DROP TABLE parent;
ALTER TABLE __new_parent RENAME TO parent;
PRAGMA foreign_keys=ON;
"""


def test_a_rebuild_in_a_transaction_deletes_the_rows_that_cascade_from_the_old_table(
        tmp_path: Path) -> None:
    # openstatus's Drizzle rebuilds (drizzle-orm#5782): its migrator runs them in one
    # transaction, where SQLite ignores `PRAGMA foreign_keys=OFF`: with foreign keys on,
    # the old table's DROP fires its referencing keys' ON DELETE actions. Checked below on
    # SQLite itself.
    import sqlite3
    init = ("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n"
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
            "REFERENCES parent (id) ON DELETE CASCADE);\n"
            "CREATE TABLE note (id INTEGER PRIMARY KEY, parent_id INTEGER "
            "REFERENCES parent (id) ON DELETE SET NULL);\n"
            "CREATE TABLE tag (id INTEGER PRIMARY KEY, parent_id INTEGER "
            "REFERENCES parent (id));\n")
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(init + "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES "
                     "(1, 1); INSERT INTO note VALUES (1, 1);")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript("BEGIN;\n" + REBUILD_PARENT.replace("name TEXT NOT NULL", "name TEXT")
                     + "COMMIT;\n")
    assert db.execute("SELECT count(*) FROM child").fetchone() == (0,)
    assert db.execute("SELECT parent_id FROM note").fetchone() == (None,)
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": init,
        "V0001.Init.down.sql": "DROP TABLE tag; DROP TABLE note; DROP TABLE child;\n"
                               "DROP TABLE parent;\n",
        "V0002.Rebuild.up.sql": "BEGIN;\n" + REBUILD_PARENT + "COMMIT;\n",
        "V0003.Again.up.sql": REBUILD_PARENT,  # statement by statement: the pragma holds
    }, "sqlite")
    assert [(Path(f.span.path).name, f.span.line, f.message) for f in result.active
            if f.rule == "delete-all-rows"] == [
        ("V0002.Rebuild.up.sql", 5,
         "rebuilding `parent` inside a transaction: `DROP TABLE parent` deletes its rows "
         "first, and with foreign keys on, the rows of `child` (ON DELETE CASCADE), `note` "
         "(ON DELETE SET NULL) that reference them go with them; `PRAGMA foreign_keys=OFF` "
         "does nothing inside a transaction")]


def test_a_column_swap_keeps_its_values(tmp_path: Path) -> None:
    swap = ("ALTER TABLE entity_data ADD COLUMN id_text text;\n"
            "UPDATE entity_data SET id_text = id::text;\n"
            "ALTER TABLE entity_data DROP COLUMN id;\n"
            "ALTER TABLE entity_data RENAME COLUMN id_text TO id;\n")
    lost = ("ALTER TABLE entity_data ADD COLUMN id_text text;\n"
            "UPDATE entity_data SET id_text = id::text || name;\n"  # not from id alone
            "ALTER TABLE entity_data DROP COLUMN id;\n"
            "ALTER TABLE entity_data RENAME COLUMN id_text TO id;\n")
    for script, expected in ((swap, set()), (lost, {"drop-column"})):
        folder = tmp_path / str(len(expected))
        folder.mkdir()
        result = lint_sql(folder,
                          "CREATE TABLE entity_data (id uuid PRIMARY KEY, name text);", script)
        found = {f.rule for f in result.active} & {"drop-column"}
        assert found == expected, script
