"""Locking rules (`rules/locking.py`), message by message, where a fixture folder's
line-level expectations cannot tell two findings of one rule on one statement apart."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schemagate.lint.engine import LintResult
from schemagate.model.findings import Severity
from schemagate.model.settings import Settings
from tests.conftest import lint_sql


def test_a_unique_column_whose_default_is_one_value_for_every_row_fails(
        tmp_path: Path) -> None:
    # PostgreSQL 15, on a table of two rows: DEFAULT 'x' UNIQUE and DEFAULT now() UNIQUE
    # fail ("Key (c)=(x) is duplicated"); DEFAULT gen_random_uuid() UNIQUE does not.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
        "ALTER TABLE users ADD COLUMN code text NOT NULL DEFAULT 'none' UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now() UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid() UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN nick text DEFAULT NULL UNIQUE;\n"
        "ALTER TABLE users ADD COLUMN handle text UNIQUE;\n",
    )
    errors = [(f.span.line, f.message) for f in result.active
              if f.rule == "add-unique-constraint" and f.severity is Severity.ERROR]
    assert errors == [
        (1, "every existing row of `public.users` gets the same `code` (its default "
            "`'none'`): with two rows or more the unique index fails on a duplicate key, "
            "and the migration with it"),
        (2, "every existing row of `public.users` gets the same `seen` (its default "
            "`now()`): with two rows or more the unique index fails on a duplicate key, "
            "and the migration with it")]
    warnings = [f.span.line for f in result.active
                if f.rule == "add-unique-constraint" and f.severity is Severity.WARNING]
    assert warnings == [1, 2, 3, 4, 5]


def test_a_key_column_whose_default_is_one_value_for_every_row_fails(tmp_path: Path) -> None:
    # PostgreSQL 15, on a table of two rows: ADD COLUMN id int DEFAULT 7 PRIMARY KEY fails
    # ("could not create unique index ... Key (id)=(7) is duplicated"); DEFAULT
    # gen_random_uuid() PRIMARY KEY does not.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE a (x int);\nCREATE TABLE b (x int);\n",
        "ALTER TABLE a ADD COLUMN id int DEFAULT 7 PRIMARY KEY;\n"
        "ALTER TABLE b ADD COLUMN id uuid DEFAULT gen_random_uuid() PRIMARY KEY;\n",
    )
    found = [(f.span.line, f.severity, f.message) for f in result.active
             if f.rule == "add-primary-key"]
    assert found == [
        (1, Severity.WARNING, "adding `id` as the primary key of `public.a` builds its index "
                              "under an ACCESS EXCLUSIVE lock"),
        (1, Severity.ERROR, "every existing row of `public.a` gets the same `id` (its default "
                            "`7`): with two rows or more the primary key's index fails on a "
                            "duplicate key, and the migration with it"),
        (2, Severity.WARNING, "adding `id` as the primary key of `public.b` builds its index "
                              "under an ACCESS EXCLUSIVE lock")]


_LOCKING = {"create-index-non-concurrently", "drop-index-non-concurrently",
            "missing-lock-timeout", "lock-held-too-long"}


def _locking(result: LintResult) -> list[tuple[str, int, str]]:
    """(file, line, rule) of the findings of the locking rules these tests are about."""
    return sorted((Path(f.span.path).name, f.span.line, f.rule) for f in result.active
                  if f.rule in _LOCKING)


def test_create_index_if_not_exists_of_an_existing_name_builds_nothing_but_locks(
        tmp_path: Path) -> None:
    # PostgreSQL 15: the skipped statement still takes SHARE on the table (pg_locks) and
    # scans nothing (pg_stat_xact_user_tables.seq_scan stays 0). Another schema's index of
    # that name is no obstacle: the new index would live in its table's schema.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a_idx ON t (a);\n"
        "CREATE SCHEMA other;\nCREATE TABLE other.t (id int PRIMARY KEY, a int);\n"
        "CREATE INDEX u_idx ON other.t (a);\n",
        "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\n",
        "BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\n"
        "COMMIT;\n",
        "CREATE INDEX IF NOT EXISTS t_a_idx ON other.t (a);\n",
        # The drop finds `other.u_idx` where the search_path starts with `other`: the
        # index is rebuilt.
        "DROP INDEX IF EXISTS u_idx;\nCREATE INDEX IF NOT EXISTS u_idx ON other.t (a);\n",
        # Dropped under the lock it then holds: the index is rebuilt while the lock is held.
        "BEGIN;\nSET LOCAL lock_timeout = '1s';\nDROP INDEX t_a_idx;\n"
        "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\nCOMMIT;\n",
        settings=Settings(select=("all",)))
    assert _locking(result) == [
        ("0002_m.sql", 1, "missing-lock-timeout"),
        ("0003_m.sql", 2, "missing-lock-timeout"),
        ("0004_m.sql", 1, "create-index-non-concurrently"),
        ("0004_m.sql", 1, "missing-lock-timeout"),
        ("0005_m.sql", 1, "drop-index-non-concurrently"),
        ("0005_m.sql", 2, "create-index-non-concurrently"),
        ("0005_m.sql", 2, "missing-lock-timeout"),
        ("0006_m.sql", 3, "drop-index-non-concurrently"),
        ("0006_m.sql", 3, "lock-held-too-long"),
        ("0006_m.sql", 4, "create-index-non-concurrently")]


def test_drop_index_if_exists_of_no_index_of_a_complete_history_takes_no_lock(
        tmp_path: Path) -> None:
    # PostgreSQL 15: `DROP INDEX IF EXISTS` of no index prints a notice and takes no lock
    # (pg_locks). The history starts from an empty schema, so the database it built has none.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id int PRIMARY KEY, token text);\n",
        "DROP INDEX IF EXISTS token_idx;\nDROP INDEX IF EXISTS public.other_idx;\n"
        "CREATE INDEX token_idx ON users (token);\n",
        settings=Settings(select=("all",)))
    assert _locking(result) == [("0002_m.sql", 3, "create-index-non-concurrently"),
                                ("0002_m.sql", 3, "missing-lock-timeout")]


def test_drop_index_if_exists_of_an_index_the_history_may_not_show_is_judged(
        tmp_path: Path) -> None:
    # A key's index bears its constraint's name; PostgreSQL numbers an unnamed index whose
    # name is taken (`users_token_idx1`); and it names a partition's index itself.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id int PRIMARY KEY, token text UNIQUE);\n"
        "CREATE INDEX ON users (token);\nCREATE INDEX ON users (token);\n",
        "DROP INDEX IF EXISTS users_token_key;\n",
        "DROP INDEX IF EXISTS users_token_idx1;\n",
        "CREATE TABLE events (at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
        "('2025-01-01');\nCREATE INDEX events_at_idx ON events (at);\n",
        "DROP INDEX IF EXISTS events_2024_at_idx;\n",
        settings=Settings(select=("all",)))
    drops = [(name, line) for name, line, rule in _locking(result)
             if rule == "drop-index-non-concurrently"]
    assert drops == [("0002_m.sql", 1), ("0003_m.sql", 1), ("0005_m.sql", 1)]


def test_drop_index_if_exists_after_what_the_history_cannot_follow_is_judged(
        tmp_path: Path) -> None:
    """A history that does not start from an empty schema, or a DO block that may have made
    the index: a database may hold it."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    incomplete = lint_sql(
        tmp_path / "a",
        "ALTER TABLE users ADD COLUMN token text;\n",
        "DROP INDEX IF EXISTS token_idx;\n",
        settings=Settings(select=("all",)))
    opaque = lint_sql(
        tmp_path / "b",
        "CREATE TABLE users (id int PRIMARY KEY, token text);\n",
        "DO $$ BEGIN EXECUTE 'CREATE INDEX token_idx ON users (token)'; END $$;\n",
        "DROP INDEX IF EXISTS token_idx;\n",
        settings=Settings(select=("all",)))
    for result, last in ((incomplete, "0002_m.sql"), (opaque, "0003_m.sql")):
        assert (last, 1, "drop-index-non-concurrently") in _locking(result)


def test_set_not_null_of_a_not_null_column_is_no_slow_work_under_a_lock(
        tmp_path: Path) -> None:
    # PostgreSQL 15: SET NOT NULL on a column already NOT NULL takes ACCESS EXCLUSIVE and
    # reads no row (pg_stat_xact_user_tables.seq_scan stays 0); on a nullable one it scans.
    result = lint_sql(
        tmp_path,
        "CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int);\n"
        "CREATE TABLE u (id int PRIMARY KEY);\n",
        "BEGIN;\nALTER TABLE u ADD COLUMN c int;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        "COMMIT;\n",
        "BEGIN;\nALTER TABLE u ADD COLUMN d int;\nALTER TABLE t ALTER COLUMN b SET NOT NULL;\n"
        "COMMIT;\n",
        "BEGIN;\nALTER TABLE u ADD COLUMN e int;\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nCOMMIT;\n")
    assert [(name, line) for name, line, rule in _locking(result)
            if rule == "lock-held-too-long"] == [("0003_m.sql", 2), ("0004_m.sql", 2)]


def test_a_table_dropped_since_its_lock_is_not_held_over_later_slow_work(
        tmp_path: Path) -> None:
    """Prefect's 2a88656f4a23: the old table's indexes dropped, then the table, then work
    on another table. The dropped table's lock keeps only doomed readers waiting."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE old_q (id int PRIMARY KEY, name text);\n"
        "CREATE INDEX old_q_name ON old_q (name);\n"
        "CREATE TABLE q (id int PRIMARY KEY, pool int);\n",
        "BEGIN;\nDROP INDEX old_q_name;\nDROP TABLE old_q;\n"
        "ALTER TABLE q ALTER COLUMN pool SET NOT NULL;\nCOMMIT;\n",
        "BEGIN;\nDROP INDEX IF EXISTS q_pool;\nCREATE INDEX q_pool ON q (pool);\n"
        "ALTER TABLE q ADD COLUMN x int;\nUPDATE q SET x = 1;\nCOMMIT;\n")
    assert [(name, line) for name, line, rule in _locking(result)
            if rule == "lock-held-too-long"] == [("0003_m.sql", 4)]


def test_dropping_a_child_table_keeps_its_parent_locked(tmp_path: Path) -> None:
    # DROP TABLE sessions takes ACCESS EXCLUSIVE on users too (the foreign key's triggers
    # go), and holds it while the index on events builds: users is unreadable meanwhile.
    from schemagate.model.settings import Settings

    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id bigint PRIMARY KEY);\n"
        "CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n"
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text);\n",
        "DROP TABLE sessions;\nCREATE INDEX events_kind ON events (kind);\n",
        settings=Settings(select=("lock-held-too-long", "missing-lock-timeout")),
        transaction="wrapped",
    )
    assert [(f.rule, f.span.line, f.message) for f in result.active] == [
        ("lock-held-too-long", 1, "ACCESS EXCLUSIVE on `public.users` stays held while line 2 "
                                  "(`CREATE INDEX events_kind ON events (kind)`) runs in the "
                                  "same transaction"),
        ("missing-lock-timeout", 1, "ACCESS EXCLUSIVE lock on `public.sessions` and "
                                    "`public.users` with no lock_timeout set: if it waits, "
                                    "every query on each of them queues behind it")]


_PARTITIONS = ("CREATE TABLE w (a int, b int) PARTITION BY HASH (a);\n"
               "CREATE TABLE w_0 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 0);\n"
               "CREATE TABLE w_1 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 1);\n"
               "CREATE INDEX CONCURRENTLY w_0_i ON w_0 (a);\n")


def _index_builds(tmp_path: Path, *scripts: str) -> list[int]:
    result = lint_sql(tmp_path, *scripts,
                      settings=Settings(select=("create-index-non-concurrently",)))
    return [f.span.line for f in result.active if f.span.path.endswith("0002_m.sql")]


def test_an_index_on_a_partitioned_table_whose_partitions_all_have_it_builds_nothing(
        tmp_path: Path) -> None:
    # PostgreSQL 15 attaches w_0_i and w_1_i to w_i and builds no index.
    assert _index_builds(tmp_path, _PARTITIONS + "CREATE INDEX CONCURRENTLY w_1_i ON w_1 (a);\n",
                         "CREATE INDEX IF NOT EXISTS w_i ON w (a);\n") == []


def test_an_index_on_a_partitioned_table_builds_on_a_partition_without_it(
        tmp_path: Path) -> None:
    assert _index_builds(tmp_path, _PARTITIONS + "CREATE INDEX CONCURRENTLY w_1_b ON w_1 (b);\n",
                         "CREATE INDEX w_i ON w (a);\n") == [1]


def test_a_drop_of_several_indexes_of_one_table_names_the_table_once(tmp_path: Path) -> None:
    # lemmy 2023-07-19: DROP INDEX idx_comment_aggregates_hot, idx_comment_aggregates_score.
    from schemagate.model.settings import Settings

    result = lint_sql(
        tmp_path,
        "CREATE TABLE c (id bigint PRIMARY KEY, hot int, score int);\n"
        "CREATE INDEX c_hot ON c (hot);\nCREATE INDEX c_score ON c (score);\n",
        "DROP INDEX c_hot, c_score;\n",
        settings=Settings(select=("missing-lock-timeout",)))
    assert [f.message for f in result.active] == [
        "ACCESS EXCLUSIVE lock on `public.c` with no lock_timeout set: if it waits, every "
        "query on the table queues behind it"]


def test_a_statement_locking_many_tables_names_five_and_counts_the_rest(
        tmp_path: Path) -> None:
    # lemmy's down path drops one table whose foreign keys reach 17 others.
    from schemagate.model.settings import Settings

    parents = [f"p{i}" for i in range(7)]
    result = lint_sql(
        tmp_path,
        "".join(f"CREATE TABLE {p} (id bigint PRIMARY KEY);\n" for p in parents)
        + "CREATE TABLE child (id bigint PRIMARY KEY, "
        + ", ".join(f"{p}_id bigint REFERENCES {p}" for p in parents) + ");\n",
        "DROP TABLE child;\n",
        settings=Settings(select=("missing-lock-timeout",)))
    assert [f.message for f in result.active] == [
        "ACCESS EXCLUSIVE lock on `public.child`, `public.p0`, `public.p1`, `public.p2`, "
        "`public.p3` and 3 more tables with no lock_timeout set: if it waits, every query "
        "on each of them queues behind it"]


def test_an_index_of_a_partitioned_table_is_given_the_way_postgresql_allows(
        tmp_path: Path) -> None:
    # PostgreSQL 15 refuses both "CREATE INDEX CONCURRENTLY" on a partitioned table and
    # "DROP INDEX CONCURRENTLY" of its index: no fix may offer them (hatchet v1_0_94).
    from schemagate.model.settings import Settings

    result = lint_sql(
        tmp_path,
        "CREATE TABLE w (a int, b int) PARTITION BY HASH (a);\n"
        "CREATE TABLE w_0 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 0);\n"
        "CREATE TABLE w_1 PARTITION OF w FOR VALUES WITH (MODULUS 2, REMAINDER 1);\n"
        "CREATE INDEX w_a ON w (a);\n",
        "CREATE INDEX w_b ON w (b);\nDROP INDEX w_a;\n",
        settings=Settings(select=("create-index-non-concurrently",
                                  "drop-index-non-concurrently")))
    assert [(f.rule, f.message, f.fix) for f in result.active] == [
        ("create-index-non-concurrently",
         "creating index `w_b` on `public.w` without CONCURRENTLY blocks writes to the table "
         "while it builds: PostgreSQL refuses CONCURRENTLY on a partitioned table; build "
         "each partition's index CONCURRENTLY, then CREATE INDEX ON ONLY the parent and "
         "ALTER INDEX … ATTACH PARTITION each", None),
        ("drop-index-non-concurrently",
         "dropping index `public.w_a` on `public.w` without CONCURRENTLY takes an ACCESS "
         "EXCLUSIVE lock: PostgreSQL cannot drop a partitioned table's index CONCURRENTLY, "
         "so keep the wait short with lock_timeout", None)]


def test_a_django_operation_holds_its_own_lock_while_its_later_statements_work(
        tmp_path: Path) -> None:
    """healthchecks' accounts 0022: AlterField of a foreign key sends DROP CONSTRAINT (ACCESS
    EXCLUSIVE on the table), SET NOT NULL, then ADD CONSTRAINT … FOREIGN KEY, which reads
    every row while that lock still keeps reads out. One SQL ALTER TABLE's actions are one
    statement, and are not reported so."""
    from schemagate.lint.engine import lint
    from tests.parse.django.helpers import project

    initial = '''
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Project",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="Member",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("project", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.CASCADE,
                    to="shop.project")),
            ],
        ),
    ]
'''
    later = '''
    operations = [
        migrations.AlterField(
            model_name="member",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, to="shop.project"),
        ),
    ]
'''
    result = lint(project(tmp_path, initial, later), Settings(select=("lock-held-too-long",)))
    assert [(Path(f.span.path).name, f.span.line, f.message) for f in result.active] == [
        ("0002_step.py", 13,
         "ACCESS EXCLUSIVE on `public.shop_member`, `public.shop_project` stays held while "
         "the rest of line 13 (`migrations.AlterField( model_name=\"member\", name=\"project\","
         "…`) runs in the same transaction")]
    (tmp_path / "sql").mkdir()
    sql = lint_sql(tmp_path / "sql", "CREATE TABLE p (id int PRIMARY KEY);\n"
                   "CREATE TABLE m (id int PRIMARY KEY, p int);\n",
                   "ALTER TABLE m ALTER COLUMN p SET NOT NULL, "
                   "ADD CONSTRAINT m_p_fkey FOREIGN KEY (p) REFERENCES p (id);\n",
                   settings=Settings(select=("lock-held-too-long",)))
    assert sql.active == []


def test_a_default_calling_an_inlined_sql_function_is_as_volatile_as_its_body(
        tmp_path: Path, pg_db: str) -> None:
    """Ente's `now_utc_micro_seconds()`, `LANGUAGE sql` over `now()` and VOLATILE by
    default: PostgreSQL inlines it when it plans the default, stores one value for every row
    and rewrites nothing (relfilenode unchanged, checked here); a plpgsql function, or an
    SQL one over random(), is not inlined or is volatile, and rewrites the table."""
    functions = (
        "CREATE FUNCTION now_us() RETURNS bigint LANGUAGE sql AS\n"
        "  $$ SELECT CAST(extract(EPOCH FROM now()) * 1000000 AS bigint) $$;\n"
        "CREATE FUNCTION rnd() RETURNS float8 LANGUAGE sql AS $$ SELECT random() $$;\n"
        "CREATE FUNCTION now_pl() RETURNS bigint LANGUAGE plpgsql AS\n"
        "  $$ BEGIN RETURN extract(EPOCH FROM now())::bigint; END $$;\n"
        "CREATE FUNCTION now_strict() RETURNS bigint LANGUAGE sql STRICT AS\n"
        "  $$ SELECT extract(EPOCH FROM now())::bigint $$;\n"
        "CREATE TABLE q (id int);\n")
    columns = {"a": "now_us()", "b": "rnd()", "c": "now_pl()", "d": "now_strict()"}
    result = lint_sql(tmp_path, functions, "".join(
        f"ALTER TABLE q ADD COLUMN {c} float8 DEFAULT {d};\n" for c, d in columns.items()),
        settings=Settings(select=("add-column-rewrite",)))
    flagged = {f.message.split("`")[1] for f in result.active}
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(functions)
        conn.execute("INSERT INTO q SELECT generate_series(1, 100)")
        rewritten = set()
        for column, default in columns.items():
            before = conn.execute("SELECT relfilenode FROM pg_class WHERE relname = 'q'"
                                  ).fetchone()
            conn.execute(f"ALTER TABLE q ADD COLUMN {column} float8 DEFAULT {default}")
            after = conn.execute("SELECT relfilenode FROM pg_class WHERE relname = 'q'"
                                 ).fetchone()
            if before != after:
                rewritten.add(column)
    assert rewritten == {"b", "c"}
    # A STRICT one is inlined as well when its body calls only strict functions, which the
    # tool does not know of the built-ins: it is still said to rewrite (on the safe side).
    assert flagged == rewritten | {"d"}


def test_lock_held_too_long_names_the_locks_each_slow_statement_runs_under(
        tmp_path: Path) -> None:
    """Mealie's d7c6efd2de42: the first lock (a DROP INDEX on the table the migration then
    drops) is not what the later index build waits behind; tables locked on the way are
    named as such, not as held from the start."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id int PRIMARY KEY);\n"
        "CREATE TABLE fav (id int, u int REFERENCES users);\n"
        "CREATE INDEX fav_u ON fav (u);\n"
        "CREATE TABLE recipes (id int, rating int);\n"
        "CREATE TABLE tags (id int, name text);\n",
        "BEGIN;\n"
        "DROP INDEX fav_u;\n"
        "ALTER TABLE recipes ALTER COLUMN rating TYPE float8;\n"
        "DROP TABLE fav;\n"
        "CREATE INDEX recipes_rating ON recipes (rating);\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "ALTER TABLE tags ADD COLUMN x int;\n"
        "CREATE INDEX tags_name ON tags (name);\n"
        "ALTER TABLE recipes ADD COLUMN y int;\n"
        "CREATE INDEX recipes_y ON recipes (y);\n"
        "COMMIT;\n",
        settings=Settings(select=("lock-held-too-long",)))
    assert [(f.span.line, f.message) for f in result.active
            if f.span.path.endswith("0002_m.sql")] == [
        (2, "ACCESS EXCLUSIVE stays held on `public.fav` while line 3 (`ALTER TABLE recipes "
            "ALTER COLUMN rating TYPE float8`) runs; on `public.recipes`, `public.users` "
            "while line 5 (`CREATE INDEX recipes_rating ON recipes (rating)`) runs in the "
            "same transaction"),
        (8, "ACCESS EXCLUSIVE on `public.tags` stays held while line 9 (`CREATE INDEX "
            "tags_name ON tags (name)`), line 11 (`CREATE INDEX recipes_y ON recipes (y)`) "
            "run in the same transaction; `public.recipes` is locked on the way and held "
            "too")]
