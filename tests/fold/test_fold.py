"""The fold: replaying a real history gives the schema PostgreSQL would have."""

from __future__ import annotations

from pathlib import Path

from schemagate.fold import apply_all, materialize, track_gone
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, TableIndexKey
from schemagate.model.migration import Script
from schemagate.model.names import QName
from schemagate.parse.postgres.frontend import operations, parse_script
from schemagate.parse.source import SourceText
from schemagate.parse.sqlglot.frontend import parse_dialect_script


def fold(*scripts: str, dialect: str = "postgres") -> Catalog:
    cat = Catalog()
    for i, sql in enumerate(scripts):
        source, script = SourceText.of(f"{i}.sql", sql), Script(f"{i}.sql")
        parsed = (parse_script(source, script) if dialect == "postgres"
                  else parse_dialect_script(source, script, dialect))
        assert not parsed.errors
        apply_all(cat, operations(parsed), f"m{i}")
    return cat


def test_tables_columns_constraints_and_indexes() -> None:
    cat = fold(
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);",
        "CREATE TABLE orders (id bigint, user_id bigint REFERENCES users (id), "
        "total numeric(10,2) DEFAULT 0 CHECK (total >= 0));"
        "CREATE INDEX orders_user_idx ON orders (user_id);",
    )
    users = cat.tables[QName("public", "users")]
    assert [c.name for c in users.columns] == ["id", "email"]
    assert users.column("id").not_null and users.column("id").type.name == "int8"
    assert {c.kind for c in users.constraints} == {"primary", "unique"}
    assert QName("public", "users_id_seq") in cat.sequences
    assert set(cat.indexes) >= {QName("public", "users_pkey"), QName("public", "users_email_key"),
                                QName("public", "orders_user_idx")}
    orders = cat.tables[QName("public", "orders")]
    fk = next(c for c in orders.constraints if c.kind == "foreign")
    assert fk.ref_table == QName("public", "users") and fk.name == "orders_user_id_fkey"
    assert orders.column("total").default.sql == "0"
    assert cat.foreign_keys_to(QName("public", "users"))[0][0].name == QName("public", "orders")


def test_alter_rename_drop() -> None:
    cat = fold(
        "CREATE TABLE a (x int, y varchar(10)); CREATE INDEX a_y ON a (y);",
        "ALTER TABLE a RENAME COLUMN y TO z; ALTER TABLE a ALTER COLUMN z TYPE text;"
        "ALTER TABLE a ALTER COLUMN x SET NOT NULL; ALTER TABLE a RENAME TO b;",
        "ALTER TABLE b DROP COLUMN x;",
    )
    b = cat.tables[QName("public", "b")]
    assert QName("public", "a") not in cat.tables
    assert [(c.name, c.type.name) for c in b.columns] == [("z", "text")]
    assert cat.indexes[QName("public", "a_y")].table == QName("public", "b")
    assert cat.indexes[QName("public", "a_y")].columns == ("z",)


def test_constraint_validity_follows_not_valid_and_validate() -> None:
    cat = fold("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;")
    assert not cat.tables[QName("public", "t")].constraint("c").validated
    assert cat.tables[QName("public", "t")].assumed
    apply_all(cat, operations(parse_script(SourceText.of("v.sql",
              "ALTER TABLE t VALIDATE CONSTRAINT c;"), Script("v.sql"))), "m9")
    assert cat.tables[QName("public", "t")].constraint("c").validated


def test_views_know_the_columns_they_read() -> None:
    cat = fold(
        "CREATE TABLE u (id int, email text, name text); CREATE TABLE o (id int, uid int);",
        "CREATE VIEW v AS SELECT u.email, name, o.id FROM u JOIN o ON o.uid = u.id;",
        "CREATE VIEW w AS SELECT * FROM u;",
    )
    v = cat.views[QName("public", "v")]
    assert set(v.reads) == {(QName("public", "u"), "email"), (QName("public", "u"), "name"),
                            (QName("public", "o"), "id"), (QName("public", "o"), "uid"),
                            (QName("public", "u"), "id")}
    w = cat.views[QName("public", "w")]
    assert {c for _, c in w.reads} == {"id", "email", "name"}


def test_up_then_down_restores_the_catalog() -> None:
    before = fold("CREATE TABLE t (id int PRIMARY KEY, a text);")
    after = before.copy()
    for i, sql in enumerate(["ALTER TABLE t ADD COLUMN b int; CREATE INDEX t_b ON t (b);",
                             "DROP INDEX t_b; ALTER TABLE t DROP COLUMN b;"]):
        apply_all(after, operations(parse_script(SourceText.of("x.sql", sql),
                                                 Script("x.sql"))), f"m{i}")
    assert before.differences(after) == []
    broken = before.copy()
    apply_all(broken, operations(parse_script(SourceText.of("y.sql",
              "ALTER TABLE t ADD COLUMN c int;"), Script("y.sql"))), "m")
    assert before.differences(broken) == ["table public.t"]


def test_schema_drop_removes_its_objects(tmp_path: Path) -> None:
    cat = fold("CREATE SCHEMA s; CREATE TABLE s.t (id int); CREATE INDEX s_i ON s.t (id);",
               "DROP SCHEMA s CASCADE;")
    assert not any(k.schema == "s" for k in cat.tables)
    assert not any(k.schema == "s" for k in cat.indexes)


TWO_EMAILS = ("CREATE TABLE users (id int PRIMARY KEY, email varchar(255) UNIQUE);\n"
              "CREATE TABLE admins (id int PRIMARY KEY, email varchar(255), KEY email (email));")


def test_mysql_indexes_of_one_name_on_two_tables_are_two_indexes() -> None:
    # MySQL names an index within its table: the index `email` of the UNIQUE of `users` and
    # the index `email` of `admins` are two, each dropped by a DROP INDEX on its own table
    # and renamed with it.
    users, admins, staff = QName("", "users"), QName("", "admins"), QName("", "staff")
    cat = fold(TWO_EMAILS, dialect="mysql")
    assert [ix.table for ix in cat.indexes.values() if ix.name == QName("", "email")] == [
        users, admins]
    cat = fold(TWO_EMAILS, "DROP INDEX email ON users;\nALTER TABLE admins RENAME TO staff;",
               dialect="mysql")
    assert [ix.name.name for ix in cat.indexes_on(users)] == ["users_pkey"]
    assert cat.indexes[TableIndexKey(staff, "email")].table == staff
    cat = fold(TWO_EMAILS, "ALTER TABLE admins DROP INDEX email, DROP PRIMARY KEY;",
               dialect="mysql")
    assert cat.indexes_on(admins) == []
    assert [ix.name.name for ix in cat.indexes_on(users)] == ["email", "users_pkey"]


def _columns(cat: Catalog, table: str) -> list[tuple[str, str, bool]]:
    return [(c.name, str(c.type), c.not_null) for c in cat.tables[QName("public", table)].columns]


USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan varchar(20));"


def test_create_table_as_expands_a_star_and_renames_by_the_column_list() -> None:
    cat = fold(USERS, "CREATE TABLE copy (uid, mail) AS SELECT u.*, now() AS at FROM users u;")
    # Names and types only: CREATE TABLE AS copies no NOT NULL, no default, no key.
    assert _columns(cat, "copy") == [("uid", "int8", False), ("mail", "text", False),
                                     ("plan", "varchar(20)", False), ("at", "unknown", False)]


def test_select_into_takes_aliases_casts_and_function_names() -> None:
    cat = fold(USERS, "SELECT id, email::varchar(100) AS contact, count(*) INTO archive "
                      "FROM users GROUP BY 1, 2;")
    assert _columns(cat, "archive") == [("id", "int8", False), ("contact", "varchar(100)", False),
                                        ("count", "unknown", False)]


def test_a_query_whose_columns_cannot_be_told_leaves_the_columns_unknown() -> None:
    cat = fold(USERS, "CREATE TABLE t AS SELECT 1 + 1, * FROM users;",
               "CREATE TABLE v AS VALUES (1, 2);",
               "CREATE TABLE s AS SELECT * FROM (SELECT 1 AS a) sub;")
    assert [_columns(cat, name) for name in ("t", "v", "s")] == [[], [], []]


def _unwritten(cat: Catalog, table: str) -> list[str]:
    return [c.name for c in cat.tables[QName("public", table)].columns if c.unwritten]


def test_a_column_added_to_an_existing_table_holds_no_data_until_a_migration_writes_it() -> None:
    cat = fold("CREATE TABLE users (id bigint PRIMARY KEY, email text);",
               "ALTER TABLE users ADD COLUMN plan text, ADD COLUMN tier text;",
               "UPDATE users SET plan = 'free';")
    assert _unwritten(cat, "users") == ["tier"]


def test_an_insert_writes_every_column_of_its_table() -> None:
    cat = fold("CREATE TABLE plans (name text);",
               "ALTER TABLE plans ADD COLUMN price numeric;",
               "INSERT INTO plans (name) VALUES ('free');")
    assert _unwritten(cat, "plans") == []


def test_renaming_the_index_of_a_unique_constraint_renames_the_constraint() -> None:
    # Shaped like Lemmy's user_ -> person rename (2021) of an `ADD CONSTRAINT ... UNIQUE`.
    cat = fold("CREATE TABLE person (id int, inbox_url text);"
               "ALTER TABLE person ADD CONSTRAINT idx_user_inbox_url UNIQUE (inbox_url);",
               "ALTER INDEX idx_user_inbox_url RENAME TO idx_person_inbox_url;")
    person = cat.tables[QName("public", "person")]
    assert [c.name for c in person.constraints] == ["idx_person_inbox_url"]
    assert QName("public", "idx_person_inbox_url") in cat.indexes
    assert QName("public", "idx_user_inbox_url") not in cat.indexes


def test_a_renamed_type_is_renamed_in_the_columns_that_use_it() -> None:
    # The usual enum swap: rename the old type away, create the new one, convert, drop.
    cat = fold("CREATE TYPE sort AS ENUM ('Hot', 'New');"
               "CREATE TABLE site (sort sort NOT NULL DEFAULT 'Hot', other sort);",
               "ALTER TYPE sort RENAME TO sort__;")
    site = cat.tables[QName("public", "site")]
    assert [(c.name, str(c.type)) for c in site.columns] == [
        ("sort", "public.sort__"), ("other", "public.sort__")]
    assert QName("public", "sort__") in cat.types and QName("public", "sort") not in cat.types


def test_renaming_an_enum_value_renames_the_defaults_that_hold_it() -> None:
    cat = fold("CREATE TYPE mode AS ENUM ('closed', 'require_application');"
               "CREATE TABLE site (a mode DEFAULT 'require_application', "
               "b mode DEFAULT 'closed', c text DEFAULT 'require_application');",
               "ALTER TYPE mode RENAME VALUE 'require_application' TO 'RequireApplication';")
    site = cat.tables[QName("public", "site")]
    assert [c.default.sql for c in site.columns if c.default is not None] == [
        "'RequireApplication'", "'closed'", "'require_application'"]


def test_references_without_columns_means_the_primary_key() -> None:
    cat = fold("CREATE TABLE member (id serial PRIMARY KEY);"
               "CREATE TABLE node (id int PRIMARY KEY, parent int REFERENCES node,"
               " member_id int REFERENCES member);")
    node = cat.tables[QName("public", "node")]
    assert {c.name: c.ref_columns for c in node.constraints if c.kind == "foreign"} == {
        "node_parent_fkey": ("id",), "node_member_id_fkey": ("id",)}


def test_sequences_triggers_and_functions_are_renamed() -> None:
    cat = fold("CREATE TABLE member (id serial PRIMARY KEY);"
               "CREATE FUNCTION touched() RETURNS trigger LANGUAGE plpgsql"
               " AS $$ BEGIN RETURN NEW; END $$;"
               "CREATE TRIGGER t AFTER INSERT ON member FOR EACH ROW EXECUTE FUNCTION touched();",
               "ALTER SEQUENCE member_id_seq RENAME TO person_id_seq;"
               "ALTER TRIGGER t ON member RENAME TO t2;"
               "ALTER FUNCTION touched() RENAME TO person_touched;")
    member = QName("public", "member")
    assert set(cat.sequences) == {QName("public", "person_id_seq")}
    assert list(cat.triggers) == [(member, "t2")]
    assert cat.triggers[(member, "t2")].function == QName("public", "person_touched")
    assert [k[0].name for k in cat.functions] == ["person_touched"]


def test_named_not_null_constraints_of_postgres_18_make_the_column_not_null() -> None:
    cat = fold("CREATE TABLE t (a int, b int, CONSTRAINT t_a_not_null NOT NULL a);",
               "ALTER TABLE t ADD CONSTRAINT t_b_not_null NOT NULL b;")
    t = cat.tables[QName("public", "t")]
    assert [(c.name, c.not_null) for c in t.columns] == [("a", True), ("b", True)]


def test_a_column_copied_from_a_serial_one_is_not_serial() -> None:
    cat = fold("CREATE TABLE reply (id serial PRIMARY KEY, body text);",
               "CREATE TABLE inbox AS SELECT id AS reply_id FROM reply;"
               "CREATE TABLE copy AS SELECT * FROM reply;")
    assert str(cat.tables[QName("public", "inbox")].columns[0].type) == "int4"
    assert not cat.tables[QName("public", "inbox")].columns[0].type.serial
    assert not cat.tables[QName("public", "copy")].columns[0].type.serial


def test_drop_type_cascade_drops_the_columns_of_the_type_and_their_indexes() -> None:
    cat = fold(
        'CREATE TYPE "LimitResource" AS ENUM (\'EVENT\', \'WORKER\');'
        'CREATE TABLE alerts (id bigint PRIMARY KEY, resource "LimitResource" NOT NULL,'
        ' kind text);'
        "CREATE INDEX alerts_resource_idx ON alerts (resource);"
        'CREATE TABLE limits (id bigint PRIMARY KEY, resource "LimitResource");',
        'DROP TYPE "LimitResource" CASCADE;')
    assert [c[0] for c in _columns(cat, "alerts")] == ["id", "kind"]
    assert [c[0] for c in _columns(cat, "limits")] == ["id"]
    assert QName("public", "alerts_resource_idx") not in cat.indexes
    kept = fold("CREATE TYPE mood AS ENUM ('ok');CREATE TABLE t (id bigint, m mood);",
                "DROP TYPE mood;")  # fails in PostgreSQL: the rules say so; the column stays
    assert [c[0] for c in _columns(kept, "t")] == ["id", "m"]


def _ops(sql: str) -> list[o.Operation]:
    script = parse_script(SourceText.of("m.sql", sql), Script("m.sql"))
    return [op for st in script.statements for op in st.ops]


def _assumed(cat: Catalog) -> set[str]:
    return {t.name.name for t in cat.tables.values() if t.assumed}


def test_a_drop_of_a_table_the_history_never_made_assumes_it_existed_unless_if_exists_says_so(
) -> None:
    # An up path may drop a table older than the history; `IF EXISTS` in a down path, or of
    # a table the history dropped or renamed away, drops nothing.
    cat = Catalog()
    materialize(cat, _ops("DROP TABLE IF EXISTS legacy_prefs;\nDROP TABLE old_a;\n"
                          "DROP TABLE IF EXISTS gone_a;\n"),
                down=_ops("DROP TABLE IF EXISTS ghost;\nDROP TABLE old_b;\n"),
                gone={QName("public", "gone_a")})
    assert _assumed(cat) == {"legacy_prefs", "old_a", "old_b"}


def test_the_tables_gone_are_those_dropped_or_renamed_away_and_not_made_again() -> None:
    gone: set[QName] = set()
    track_gone(gone, _ops("DROP TABLE a;\nALTER TABLE b RENAME TO b_old;\n"
                          "ALTER TABLE c RENAME TO c_old;\nCREATE TABLE c (id int);\n"
                          "DROP TABLE d;\nALTER TABLE e RENAME TO d;\n"))
    assert {q.name for q in gone} == {"a", "b", "e"}


_LONG = "custom_attributes_userstorycustomattributesvalues"


def test_unnamed_constraints_and_indexes_get_the_names_postgresql_gives(pg_db: str) -> None:
    """PostgreSQL cuts the table's and the columns' parts of a default name so that it fits
    in 63 bytes, and adds a number to the label while the name is taken (by a relation of
    the schema, or, for a constraint, by a constraint of the schema)."""
    from schemagate.diff.connect import connect

    sql = (
        f"CREATE TABLE {_LONG} (id serial PRIMARY KEY, user_story_id int UNIQUE,"
        " user_story_id_x int UNIQUE);"
        f"CREATE TABLE {_LONG}_two (id serial PRIMARY KEY,"
        " user_story_id int UNIQUE CHECK (user_story_id > 0), CHECK (user_story_id > 1));"
        f"CREATE TABLE {_LONG}_three (user_story_id int CHECK (user_story_id > 0));"
        f"CREATE INDEX ON {_LONG} (user_story_id);"
        f"CREATE INDEX ON {_LONG}_two (user_story_id);"
        "CREATE TABLE user_role (id int PRIMARY KEY);"
        "CREATE TABLE \"user\" (role_id int REFERENCES user_role);"
        "CREATE TABLE user_role_id (x int REFERENCES user_role);"
        "ALTER TABLE user_role ADD FOREIGN KEY (id) REFERENCES user_role;"
        "CREATE TABLE t (a int); CREATE UNIQUE INDEX t_a_key ON t (a);"
        "ALTER TABLE t ADD UNIQUE (a);"
    )
    with connect(pg_db, autocommit=True) as conn:
        conn.execute(sql)
        made = set(conn.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace"))
        indexes = {row[0] for row in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    cat = fold(sql)
    modelled = {(t.name.name.join('""') if t.name.name == "user" else t.name.name, c.name)
                for t in cat.tables.values() for c in t.constraints}
    assert modelled == made
    assert {name.name for name in cat.indexes} == indexes


def test_dropping_a_constraint_leaves_a_unique_index_of_that_name(pg_db: str) -> None:
    """`DROP CONSTRAINT IF EXISTS` finds no constraint in an index made by CREATE UNIQUE
    INDEX (PostgreSQL says so in a NOTICE and drops nothing); a unique constraint's index
    goes with its constraint."""
    from schemagate.diff.connect import connect

    sql = ("CREATE TABLE t (a int, b int UNIQUE); CREATE UNIQUE INDEX t_a_key ON t (a);"
           "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_a_key;"
           "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_b_key;")
    with connect(pg_db, autocommit=True) as conn:
        conn.execute(sql)
        indexes = {row[0] for row in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert indexes == {"t_a_key"}
    assert {name.name for name in fold(sql).indexes} == indexes


def test_sqlite_tables_made_again_beside_the_old_keep_their_constraint_names() -> None:
    # SQLite names no unnamed constraint PostgreSQL's way, and numbers none: a table made
    # again while the old one, renamed aside, still holds its keys has the keys it had.
    cat = fold("CREATE TABLE t (a int UNIQUE);",
               "ALTER TABLE t RENAME TO t_old; CREATE TABLE t (a int UNIQUE); DROP TABLE t_old;",
               dialect="sqlite")
    assert [c.name for c in cat.tables[QName("", "t")].constraints] == ["t_a_key"]


def test_dropping_a_column_drops_the_indexes_whose_predicate_or_expressions_read_it() -> None:
    # PostgreSQL 15 drops every index that depends on the column, wherever it uses it.
    cat = fold("CREATE TABLE rt (id int, e timestamptz, f int);"
               "CREATE INDEX rt_i ON rt (id) WHERE e IS NULL;"
               "CREATE INDEX rt_x ON rt ((f + 1));"
               "CREATE INDEX rt_k ON rt (id);",
               "ALTER TABLE rt DROP COLUMN e;")
    assert {k.name for k in cat.indexes} == {"rt_x", "rt_k"}
    cat = fold("CREATE TABLE rt (id int, f int); CREATE INDEX rt_x ON rt ((f + 1));",
               "ALTER TABLE rt RENAME COLUMN f TO g;", "ALTER TABLE rt DROP COLUMN g;")
    assert not cat.indexes


_PARTITIONED = ("CREATE TABLE w (a int, b int) PARTITION BY HASH (a);"
                "CREATE TABLE w_0 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
                "CREATE TABLE w_1 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
                "CREATE INDEX w_0_i ON w_0 (a); CREATE INDEX w_1_i ON w_1 (a);"
                "CREATE INDEX w_b ON w_1 (b);"
                "CREATE INDEX w_i ON w (a);")


def test_dropping_a_partitioned_tables_index_drops_the_partitions_indexes_attached_to_it(
        ) -> None:
    # PostgreSQL 15 attaches w_0_i and w_1_i to w_i, and drops them with it.
    cat = fold(_PARTITIONED, "DROP INDEX w_i;")
    assert {k.name for k in cat.indexes} == {"w_b"}


def test_dropping_a_partitioned_table_drops_its_partitions() -> None:
    cat = fold(_PARTITIONED, "DROP TABLE w;")
    assert not cat.tables and not cat.indexes


def test_a_cascade_drops_the_functions_that_take_a_dropped_row_type() -> None:
    # PostgreSQL 15: `ALTER TABLE t DROP COLUMN a CASCADE` drops view v, and with it f(v)
    # and g(v[]) (BeeeOn's sqitch revert); h(t) stays, as t does.
    functions = ("CREATE FUNCTION f(r v) RETURNS int LANGUAGE sql AS 'SELECT 1';"
                 "CREATE FUNCTION g(r v[]) RETURNS int LANGUAGE sql AS 'SELECT 1';"
                 "CREATE FUNCTION h(r t) RETURNS int LANGUAGE sql AS 'SELECT 1';")
    base = "CREATE TABLE t (a int, b int); CREATE VIEW v AS SELECT a, b FROM t;"
    cat = fold(base, functions, "ALTER TABLE t DROP COLUMN a CASCADE;")
    assert [key[0].name for key in cat.functions] == ["h"]
    cat = fold(base, functions, "DROP VIEW v CASCADE;")
    assert [key[0].name for key in cat.functions] == ["h"]
    cat = fold(base, functions, "DROP TABLE t CASCADE;")
    assert cat.functions == {}
