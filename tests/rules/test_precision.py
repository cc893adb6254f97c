"""Findings a team can trust: what the rules keep quiet about on real-shaped histories, and
what they no longer miss."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from schemagate.lint.engine import LintResult, lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from tests.conftest import lint_dialect_history, lint_sql

ALL = Settings(select=("all",))


def rules_in(result: LintResult, file: str) -> list[str]:
    """The rules that fired in one migration file, in order."""
    return [f.rule for f in result.active if Path(f.span.path).name == file]


def lines_and_rules(result: LintResult, file: str,
                    rules: tuple[str, ...] | None = None) -> list[tuple[int, str]]:
    """The (line, rule) pairs that fired in one migration file, sorted, each once; only
    those of ``rules`` when given."""
    return sorted({(f.span.line, f.rule) for f in result.active
                   if Path(f.span.path).name == file and (rules is None or f.rule in rules)})


def test_an_operation_on_a_table_that_does_not_exist_gets_only_unknown_object(
        tmp_path: Path) -> None:
    result = lint_sql(
        tmp_path,
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        "ALTER TABLE user_accounts ALTER COLUMN email TYPE varchar(40);\n",
        settings=ALL)
    assert rules_in(result, "0002_m.sql") == ["unknown-object"]


def test_drop_cascade_with_no_dependent_in_the_history_is_a_warning_that_says_so(
        tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "CREATE SEQUENCE invoice_numbers;\n",
                      "DROP SEQUENCE invoice_numbers CASCADE;\n", settings=ALL)
    [finding] = [f for f in result.active if f.rule == "drop-cascade"]
    assert (str(finding.severity), "nothing in the history depends on it" in finding.message) \
        == ("warning", True)


def test_drop_cascade_names_the_dependents_and_is_an_error(tmp_path: Path) -> None:
    result = lint_sql(
        tmp_path,
        "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY,"
        " customer_id bigint REFERENCES customers (id));\n",
        "ALTER TABLE customers DROP CONSTRAINT customers_pkey CASCADE;\n", settings=ALL)
    [finding] = [f for f in result.active if f.rule == "drop-cascade"]
    assert (str(finding.severity), finding.message.endswith(
        "foreign key orders_customer_id_fkey on public.orders")) == ("error", True)


def test_a_key_column_matching_a_key_older_than_the_history_is_one_info_to_widen_the_key(
        tmp_path: Path) -> None:
    result = lint_sql(
        tmp_path,
        "ALTER TABLE orders ADD COLUMN shop_id int REFERENCES shops (id);\n"
        "ALTER TABLE orders ADD COLUMN outlet_id int REFERENCES shops (id);\n", settings=ALL)
    found = [(str(f.severity), "widen the key first" in f.message) for f in result.active
             if f.rule == "prefer-bigint"]
    assert found == [("info", True)]


def test_a_composite_keys_member_that_no_sequence_feeds_is_no_key_that_runs_out(
        tmp_path: Path) -> None:
    """hatchet's `PRIMARY KEY (task_id, task_inserted_at, retry_count)`: the retry count is
    the application's, and does not grow with the table (8 such findings there were noise)."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE task_runtime (task_id bigint NOT NULL, retry_count integer NOT NULL, "
        "PRIMARY KEY (task_id, retry_count));\n"
        "CREATE TABLE events (id serial, shard smallint, PRIMARY KEY (shard, id));\n"
        "CREATE TABLE pages (id integer PRIMARY KEY);\n", settings=ALL)
    found = sorted(f.object for f in result.active if f.rule == "prefer-bigint")
    assert found == ["public.events.id", "public.pages.id"]


def test_a_down_path_dropping_the_schema_its_up_made_once_emptied_is_no_loss(
        tmp_path: Path) -> None:
    """convoy's first migration: the up creates the schema and a table in it; the down
    drops the table, then the schema, by then empty."""
    (tmp_path / "000001_init.up.sql").write_text(
        "CREATE SCHEMA convoy;\nCREATE TABLE convoy.users (id bigint PRIMARY KEY);\n",
        encoding="utf-8")
    (tmp_path / "000001_init.down.sql").write_text(
        "DROP TABLE convoy.users;\nDROP SCHEMA convoy;\n", encoding="utf-8")
    (tmp_path / "000002_drop.up.sql").write_text("DROP SCHEMA convoy CASCADE;\n",
                                                 encoding="utf-8")
    result = lint(load_migrations(discover([str(tmp_path)]).migrations).migrations, ALL)
    found = [(f.rule, f.migration) for f in result.active if f.rule == "drop-schema"]
    assert found == [("drop-schema", "000002_drop")]  # a schema of before still is


def test_drop_index_concurrently_of_several_indexes_is_refused_anywhere(
        tmp_path: Path) -> None:
    """convoy's downs: `DROP INDEX CONCURRENTLY IF EXISTS a, b` fails with "does not support
    dropping multiple objects", in a transaction or not."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE t (a int, b int);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX t_b ON t (b);\n",
        "DROP INDEX CONCURRENTLY IF EXISTS t_a, t_b;\nDROP INDEX CONCURRENTLY t_a;\n",
        settings=ALL)
    found = [(f.span.line, f.message) for f in result.active
             if f.rule == "concurrently-in-transaction"]
    assert found == [(1, "DROP INDEX CONCURRENTLY drops one index at a time: PostgreSQL "
                         "refuses this list of 2 (write one statement per index)")]


def _revision(folder: Path, rev: str, down: str | None) -> None:
    (folder / f"{rev}_step.py").write_text(
        f'"""{rev}"""\nfrom alembic import op\n\nrevision = "{rev}"\n'
        f"down_revision = {down!r}\n\n\ndef upgrade() -> None:\n"
        f'    op.execute("SELECT 1")\n\n\ndef downgrade() -> None:\n'
        f'    op.execute("SELECT 1")\n', encoding="utf-8")


def test_a_missing_revision_is_reported_when_a_cycle_swallowed_the_base(
        tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for rev, down in (("a0", "b1"), ("b1", "a0"), ("c2", "gone")):
        _revision(versions, rev, down)
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    result = lint(loaded.migrations, Settings(select=("history",)))
    assert sorted({f.rule for f in result.active}) == ["missing-revision", "revision-cycle"]


def test_a_self_referencing_foreign_key_names_its_table_once(tmp_path: Path) -> None:
    result = lint_sql(
        tmp_path, "CREATE TABLE orders (id bigint PRIMARY KEY, original_id bigint);\n",
        "ALTER TABLE orders ADD CONSTRAINT orders_original_fk FOREIGN KEY (original_id) "
        "REFERENCES orders (id);\n", settings=ALL)
    [finding] = [f for f in result.active if f.rule == "add-foreign-key-validated"]
    assert finding.message.endswith("blocking writes to `public.orders`")


def test_statements_of_a_helper_called_twice_name_their_lines_once(tmp_path: Path) -> None:
    """A helper's statements point at where the helper writes them (mealie's
    populate_normalized_fields()): called twice, the message names each line once."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_fill.py").write_text(
        '"""fill\n\nRevision ID: 0001\nRevises:\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        "from app.sql import statement_for\n\n"
        'revision = "0001"\ndown_revision = None\n\n\n'
        "def fill() -> None:\n"
        '    op.execute(statement_for("recipes"))\n'
        '    op.execute(statement_for("foods"))\n\n\n'
        "def upgrade() -> None:\n"
        '    op.create_table("recipes", sa.Column("id", sa.BigInteger(), primary_key=True))\n'
        "    fill()\n"
        "    fill()\n"
        '    op.execute(statement_for("units"))\n\n\n'
        "def downgrade() -> None:\n"
        '    op.drop_table("recipes")\n')
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    result = lint(loaded.migrations, Settings(select=("unverifiable-raw-sql",)))
    [finding] = result.active
    assert (finding.span.line, finding.message) == (
        16, "5 statement(s) the tool cannot verify the down path for (lines 16, 17, 24)")


def test_unmodelled_actions_of_one_statement_count_as_one_statement(tmp_path: Path) -> None:
    """lemmy's modlog_combined: one ALTER TABLE of seventeen ALTER CONSTRAINT actions."""
    actions = ",\n".join(f"    ALTER CONSTRAINT log_fk{i} NOT DEFERRABLE" for i in range(3))
    for name, text in (("000001_log.up.sql", "CREATE TABLE log (id bigint PRIMARY KEY);\n"),
                       ("000001_log.down.sql", "DROP TABLE log;\n"),
                       ("000002_strict.up.sql", f"ALTER TABLE log\n{actions};\n"),
                       ("000002_strict.down.sql", "SELECT 1;\n")):
        (tmp_path / name).write_text(text)
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    result = lint(loaded.migrations, Settings(select=("unverifiable-raw-sql",)))
    [finding] = result.active
    assert finding.message == \
        "1 statement(s) the tool cannot verify the down path for (line 1)"


def test_an_if_exists_drop_of_what_went_earlier_is_judged_by_no_rule(tmp_path: Path) -> None:
    """openmeter's Atlas downs drop the table, then `DROP INDEX IF EXISTS` its index; devtron's
    drop a column, then the index on it: those drops do nothing. One of a table the
    history never made is still judged: a database grown outside the history may hold it."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE meters (id bigint PRIMARY KEY, slug text, kind text);\n"
        "CREATE UNIQUE INDEX meter_id ON meters (id);\n"
        "CREATE TABLE roles (id bigint PRIMARY KEY, role text, access_type text);\n"
        "CREATE UNIQUE INDEX role_unique ON roles (role, access_type);\n",
        "DROP TABLE meters;\n"
        "DROP INDEX IF EXISTS meter_id;\n"
        "ALTER TABLE roles DROP COLUMN access_type;\n"
        "DROP INDEX IF EXISTS role_unique;\n"
        "ALTER TABLE roles DROP COLUMN IF EXISTS access_type;\n"
        "DROP TABLE IF EXISTS casbin_role CASCADE;\n",
        settings=ALL)
    assert lines_and_rules(result, "0002_m.sql") == [
        (1, "drop-table"), (1, "missing-lock-timeout"), (1, "missing-statement-timeout"),
        (3, "drop-column"), (6, "drop-cascade"), (6, "drop-table")]


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_a_never_made_table_dropped_if_exists_and_made_again_is_a_rerun_guard(
        tmp_path: Path, dialect: str) -> None:
    """Vaultwarden's add_archives: `DROP TABLE IF EXISTS archives;` before it creates the
    table, in a history that starts from an empty schema and never made one: a guard for a
    half-run earlier attempt, which drops no data and takes no lock worth a finding. Made
    earlier in the history, or not made again, the drop is judged as before."""
    result = lint_dialect_history(tmp_path, {
        "000001_init.up.sql": "CREATE TABLE users (id int PRIMARY KEY);\n",
        "000001_init.down.sql": "DROP TABLE users;\n",
        "000002_archives.up.sql": "DROP TABLE IF EXISTS archives;\n"
                                  "CREATE TABLE archives (id int PRIMARY KEY);\n"
                                  "DROP TABLE IF EXISTS users;\n"
                                  "CREATE TABLE users (id int PRIMARY KEY);\n"
                                  "DROP TABLE IF EXISTS casbin_rule;\n",
        "000002_archives.down.sql": "DROP TABLE archives;\n"}, dialect)
    assert lines_and_rules(result, "000002_archives.up.sql", (
        "drop-table", "irreversible-data-loss", "missing-lock-timeout")) == sorted([
        (3, "drop-table"), (3, "irreversible-data-loss"), (5, "drop-table")] + (
        [(3, "missing-lock-timeout")] if dialect == "postgres" else []))


def test_a_rename_if_exists_of_what_the_history_never_made_renames_and_locks_nothing(
        tmp_path: Path) -> None:
    """Netbox's extras 0111: `ALTER TABLE IF EXISTS <a sequence's pre-v2.10 name> RENAME TO
    …` after the sequence was renamed under its other name: PostgreSQL does nothing."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE fields (id int PRIMARY KEY, label text);\n",
        "BEGIN;\nALTER TABLE fields ADD COLUMN kind text;\n"
        "ALTER TABLE IF EXISTS fields_obj_type_id_seq RENAME TO fields_object_types_id_seq;\n"
        "ALTER TABLE IF EXISTS fields RENAME TO custom_fields;\n"
        "UPDATE custom_fields SET kind = label;\nCOMMIT;\n",
        settings=ALL)
    assert lines_and_rules(result, "0002_m.sql", ("rename-table", "lock-held-too-long")) == [
        (2, "lock-held-too-long"), (4, "rename-table")]
    held = next(f for f in result.active if f.rule == "lock-held-too-long")
    assert "fields_obj_type_id_seq" not in held.message


def test_a_mysql_down_dropping_its_table_leaves_another_tables_index_of_that_name_alone(
        tmp_path: Path) -> None:
    """kratos's MySQL history: InnoDB names the index of each unnamed foreign key on
    identity_id `identity_id`, in each table; a down that drops the table its up made gives
    the schema back, with the other table's `identity_id` as it was."""
    key = "identity_id char(36) NOT NULL, FOREIGN KEY (identity_id) REFERENCES identities (id)"
    for name, text in (
            ("000001_identities.up.sql",
             "CREATE TABLE identities (id char(36) NOT NULL, PRIMARY KEY (id));\n"
             f"CREATE TABLE credentials (id char(36) NOT NULL, PRIMARY KEY (id), {key});\n"),
            ("000001_identities.down.sql", "DROP TABLE credentials;\nDROP TABLE identities;\n"),
            ("000002_sessions.up.sql",
             f"CREATE TABLE sessions (id char(36) NOT NULL, PRIMARY KEY (id), {key});\n"),
            ("000002_sessions.down.sql", "DROP TABLE sessions;\n")):
        (tmp_path / name).write_text(text)
    found = discover(["."], cwd=tmp_path, dialect="mysql")
    sources = [replace(m, dialect="mysql") for m in found.migrations]  # as `--dialect mysql`
    loaded = load_migrations(sources, root=tmp_path)
    assert loaded.errors == []
    result = lint(loaded.migrations, Settings(select=("down-does-not-restore",)))
    assert result.active == []


def test_a_table_emptied_in_the_same_transaction_does_not_fail_the_add(tmp_path: Path) -> None:
    add = "ALTER TABLE casting ADD COLUMN ip text NOT NULL;\n"
    cases = {
        "BEGIN;\nDELETE FROM casting;\n" + add + "COMMIT;\n": "has no rows for it to fail on",
        "BEGIN;\nTRUNCATE casting;\nINSERT INTO casting VALUES (1);\n" + add + "COMMIT;\n":
            "fails if the table has rows",  # rows were put back
        "DELETE FROM casting;\n" + add: "fails if the table has rows",  # two transactions
    }
    for i, (script, expected) in enumerate(cases.items()):
        folder = tmp_path / str(i)
        folder.mkdir()
        result = lint_sql(folder, script)
        [message] = [f.message for f in result.active if f.rule == "add-required-column"]
        assert expected in message, script


def test_a_long_alembic_name_is_an_error_only_where_sqlalchemy_refuses_it() -> None:
    # The Alembic history of identifier-too-long's fixtures: op.f() names pass (SQLAlchemy
    # shortens them); a long table name and a 40-character, 80-byte index name PostgreSQL
    # truncates; a plain 68-character constraint name SQLAlchemy refuses; and a long index
    # name in `op.execute` SQL, which SQLAlchemy sends unchecked and PostgreSQL truncates.
    from tests.conftest import FIXTURES

    root = FIXTURES / "rules" / "identifier-too-long" / "alembic"
    found = discover([root], cwd=root)
    loaded = load_migrations(found.migrations, root=root)
    result = lint(loaded.migrations, Settings(select=("identifier-too-long",)))
    assert [(Path(f.span.path).name, f.span.line, str(f.severity), f.message)
            for f in result.active] == [
        ("c2_plain_names.py", 18, "warning",
         "identifier `oauth2_authorization_code_organization_scopes_granted_by_the_user_x` "
         "is 67 bytes: PostgreSQL truncates it to 63"),
        ("c2_plain_names.py", 25, "warning",
         f"identifier `{'é' * 40}` is 80 bytes: PostgreSQL truncates it to 63"),
        ("c2_plain_names.py", 32, "error",
         "index or constraint name "
         "`oauth2_token_organizations_oauth2_authorization_code_id_fkey_by_hand` is 68 "
         "characters: SQLAlchemy raises IdentifierError (over 63) and the migration stops "
         "here"),
        ("c2_plain_names.py", 42, "warning",
         "identifier `ix_oauth2_token_organizations__code_id_for_the_scheduler_lookups_x` "
         "is 66 bytes: PostgreSQL truncates it to 63"),
    ]


def test_an_if_exists_drop_of_a_column_never_made_on_a_known_table_is_judged_by_no_rule(
        tmp_path: Path) -> None:
    """hatchet's v1_0_97 drops `readable_summary IF EXISTS` from a table the history made
    without it: PostgreSQL drops nothing (a NOTICE). On a table the history never made, a
    database grown outside it may hold the column: that drop is still judged."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE entries (id bigint PRIMARY KEY, kind text);\n",
        "ALTER TABLE entries DROP COLUMN IF EXISTS summary;\n"
        "ALTER TABLE legacy DROP COLUMN IF EXISTS summary;\n",
        settings=ALL)
    assert lines_and_rules(result, "0002_m.sql", ("drop-column", "irreversible-data-loss")
                           ) == [(2, "drop-column")]


def test_an_if_exists_drop_of_a_column_never_made_loses_no_data(tmp_path: Path) -> None:
    """convoy's 1710685343 drops `function IF EXISTS` from `sources`, which the history
    made without it: the down path has nothing to bring back."""
    (tmp_path / "000001_m.up.sql").write_text("CREATE TABLE entries (id bigint PRIMARY KEY);\n")
    (tmp_path / "000001_m.down.sql").write_text("DROP TABLE entries;\n")
    (tmp_path / "000002_m.up.sql").write_text(
        "ALTER TABLE entries DROP COLUMN IF EXISTS summary;\n")
    (tmp_path / "000002_m.down.sql").write_text("SELECT 1;\n")
    found = discover(["."], cwd=tmp_path)
    loaded = load_migrations(found.migrations, root=tmp_path)
    result = lint(loaded.migrations, Settings())
    assert not [f for f in result.active if f.rule in ("irreversible-data-loss", "drop-column")]


def test_a_collation_dropped_without_cascade_is_no_statement_to_review(tmp_path: Path) -> None:
    """PostgreSQL refuses `DROP COLLATION` while a column or index uses it; with CASCADE it
    drops them, which is not modelled."""
    result = lint_sql(
        tmp_path, "CREATE TABLE t (id int PRIMARY KEY);\n",
        "CREATE COLLATION natural_sort (provider = icu, locale = 'und-u-kn-true');\n"
        "DROP COLLATION natural_sort;\n"
        "DROP COLLATION IF EXISTS other_sort CASCADE;\n", settings=ALL)
    assert [(f.span.line, f.rule) for f in result.active
            if Path(f.span.path).name == "0002_m.sql" and f.rule == "unmodelled-statement"
            ] == [(3, "unmodelled-statement")]


def test_a_function_made_with_typed_arguments_is_dropped_by_their_bare_types(
        tmp_path: Path) -> None:
    """BeeeOn's sqitch revert: PostgreSQL keeps no type modifiers in a function's signature,
    so `to_device_id(numeric)` drops `to_device_id(num numeric(20, 0))`."""
    result = lint_dialect_history(tmp_path, {
        "000001_init.up.sql": "CREATE TABLE t (id int PRIMARY KEY);\n",
        "000001_init.down.sql": "DROP TABLE t;\n",
        "000002_functions.up.sql":
            "CREATE FUNCTION to_device_id(num numeric(20, 0)) RETURNS bigint\n"
            "  LANGUAGE sql IMMUTABLE AS 'SELECT num::bigint';\n"
            "CREATE FUNCTION to_device_id(num varchar(20)) RETURNS bigint\n"
            "  LANGUAGE sql IMMUTABLE AS 'SELECT num::bigint';\n",
        "000002_functions.down.sql": "DROP FUNCTION to_device_id(varchar);\n"
                                     "DROP FUNCTION to_device_id(numeric);\n"}, "postgres")
    assert [f.message for f in result.active if f.rule == "down-does-not-restore"] == []


def test_a_serial_foreign_key_is_told_to_drop_its_sequence_not_to_become_identity(
        tmp_path: Path) -> None:
    """OpenFn's `"mapping" serial REFERENCES "1"."mappings"("id")`, atuin's `user_id
    bigserial` referencing users: an identity column would be as wrong as the serial."""
    result = lint_sql(tmp_path, "CREATE TABLE m (id serial PRIMARY KEY);\n",
                      "CREATE TABLE t (id serial PRIMARY KEY, m_id serial REFERENCES m (id));\n",
                      settings=Settings(select=("prefer-identity",)))
    messages = sorted(f.message for f in result.active if f.span.path.endswith("0002_m.sql"))
    assert messages == [
        "`public.t.id` is serial: prefer an identity column",
        "`public.t.m_id` is serial but is a foreign key: its values come from the rows it "
        "references, not a sequence; declare it with the referenced key's plain type"]
    assert [f.fix for f in result.active if "m_id" in f.message] == [None]


def test_a_column_copied_into_another_table_first_is_moved_not_lost(tmp_path: Path) -> None:
    """Vaultwarden's 2018-04-27 on PostgreSQL terms: `folder_uuid` copied into
    folders_ciphers (from every row that holds one) before it is dropped. A copy of only
    some rows, or one that reads the column only in its WHERE, moves nothing."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE ciphers (uuid text PRIMARY KEY, folder_uuid text, kind text, "
        "note text, favorite boolean);\n"
        "CREATE TABLE folders_ciphers (cipher_uuid text, folder_uuid text);\n"
        "CREATE TABLE notes (cipher_uuid text, note text);\n"
        "CREATE TABLE favorites (cipher_uuid text);\n",
        "INSERT INTO folders_ciphers SELECT uuid, folder_uuid FROM ciphers "
        "WHERE folder_uuid IS NOT NULL;\n"
        "INSERT INTO notes SELECT uuid, note FROM ciphers WHERE kind = 'x';\n"
        "INSERT INTO favorites SELECT uuid FROM ciphers WHERE favorite;\n"
        "ALTER TABLE ciphers DROP COLUMN folder_uuid;\n"
        "ALTER TABLE ciphers DROP COLUMN note;\n"
        "ALTER TABLE ciphers DROP COLUMN favorite;\n",
        settings=Settings(select=("drop-column",)))
    assert [f.span.line for f in result.active if f.span.path.endswith("0002_m.sql")] == [5, 6]


def test_a_column_swap_written_as_a_row_assignment_keeps_its_values(tmp_path: Path) -> None:
    """lemmy's 2025-08-01-000053 down path: `UPDATE local_site SET (users_new, …) = (users,
    …)`, then the old columns dropped and the new ones renamed to their names."""
    result = lint_sql(
        tmp_path, "CREATE TABLE local_site (id int PRIMARY KEY, users int, posts int);\n",
        "ALTER TABLE local_site ADD COLUMN users_new int, ADD COLUMN posts_new int;\n"
        "UPDATE local_site SET (users_new, posts_new) = (users, posts);\n"
        "ALTER TABLE local_site DROP COLUMN users, DROP COLUMN posts;\n"
        "ALTER TABLE local_site RENAME COLUMN users_new TO users;\n"
        "ALTER TABLE local_site RENAME COLUMN posts_new TO posts;\n",
        settings=Settings(select=("drop-column",)))
    assert [f for f in result.active if f.span.path.endswith("0002_m.sql")] == []


def test_a_column_pulled_through_a_unique_not_null_foreign_key_is_moved_not_lost(
        tmp_path: Path) -> None:
    """lemmy's 2021-03-20 move_matrix_id_to_person: `UPDATE person p SET admin = lu.admin
    FROM local_user lu WHERE p.id = lu.person_id`, each local_user pointing at a person of
    its own (NOT NULL, UNIQUE, REFERENCES person). Where several rows may point at one
    target, where some may point at none, where the match runs the other way round
    (documenso's customerId, read off the users a subscription names) or is more than one
    equality, values can be left behind: still flagged."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE person (id int PRIMARY KEY, admin boolean, theme text, lang text,\n"
        "  bio text, nick text);\n"
        "CREATE TABLE local_user (id int PRIMARY KEY,\n"
        "  person_id int NOT NULL UNIQUE REFERENCES person,\n"
        "  other_id int NOT NULL REFERENCES person, maybe_id int UNIQUE REFERENCES person,\n"
        "  admin boolean, theme text, lang text, bio text, nick text);\n",
        "UPDATE person p SET admin = lu.admin FROM local_user lu WHERE p.id = lu.person_id;\n"
        "UPDATE person p SET theme = lu.theme FROM local_user lu WHERE p.id = lu.other_id;\n"
        "UPDATE person p SET lang = lu.lang FROM local_user lu WHERE p.id = lu.maybe_id;\n"
        "UPDATE local_user lu SET bio = p.bio FROM person p WHERE p.id = lu.person_id;\n"
        "UPDATE person p SET nick = lu.nick FROM local_user lu\n"
        "  WHERE p.id = lu.person_id AND lu.admin;\n"
        "ALTER TABLE local_user DROP COLUMN admin;\n"
        "ALTER TABLE local_user DROP COLUMN theme;\n"
        "ALTER TABLE local_user DROP COLUMN lang;\n"
        "ALTER TABLE person DROP COLUMN bio;\n"
        "ALTER TABLE local_user DROP COLUMN nick;\n",
        settings=Settings(select=("drop-column",)))
    assert [f.message for f in result.active if f.span.path.endswith("0002_m.sql")] == [
        "dropping column `theme` of `public.local_user` deletes its data",
        "dropping column `lang` of `public.local_user` deletes its data",
        "dropping column `bio` of `public.person` deletes its data",
        "dropping column `nick` of `public.local_user` deletes its data"]


def test_a_foreign_key_on_a_table_older_than_the_history_says_its_indexes_are_unseen(
        tmp_path: Path) -> None:
    """Dispatch's tenant history starts on an existing database: of the foreign keys it
    re-makes on tables it never made, 17 were covered by primary keys older than the history
    (`assoc_incident_tags (incident_id, tag_id)`), 103 by nothing. The finding stays, and
    says what the tool could not see."""
    result = lint_sql(
        tmp_path, "CREATE TABLE incident (id int PRIMARY KEY);\n",
        "ALTER TABLE assoc_incident_tags ADD CONSTRAINT assoc_incident_tags_incident_id_fkey\n"
        "  FOREIGN KEY (incident_id) REFERENCES incident (id);\n"
        "CREATE TABLE notes (id int PRIMARY KEY, incident_id int REFERENCES incident);\n",
        settings=Settings(select=("fk-without-index",)))
    assert [f.message for f in result.active] == [
        "foreign key `assoc_incident_tags_incident_id_fkey` on `public.assoc_incident_tags` "
        "(incident_id) has no index on its columns: the table predates the history, check "
        "the indexes it had before",
        "foreign key `notes_incident_id_fkey` on `public.notes` (incident_id) has no index on "
        "its columns"]


def test_a_rule_finds_the_same_whether_or_not_unknown_object_is_selected(
        tmp_path: Path) -> None:
    """Authelia's V0003 down drops `IF EXISTS` a backup table its up dropped already: the
    drop does nothing, and no rule speaks of it. That verdict came from the unknown-object
    checks, which ran only when unknown-object was selected: `--select
    missing-lock-timeout` found a lock on a table that is not there."""
    files = {"V0001.Init.up.sql": "CREATE TABLE t (id int);\n",
             "V0001.Init.down.sql": "DROP TABLE t;\n",
             "V0002.Rebuild.up.sql": "ALTER TABLE t RENAME TO t_bkp;\n"
                                     "CREATE TABLE t (id int, v text);\n"
                                     "INSERT INTO t (id) SELECT id FROM t_bkp;\n"
                                     "DROP TABLE IF EXISTS t_bkp;\n",
             "V0002.Rebuild.down.sql": "DROP TABLE IF EXISTS t_bkp;\n"
                                       "ALTER TABLE t DROP COLUMN v;\n"}
    alone = lint_dialect_history(tmp_path / "alone", files, "postgres",
                                 Settings(select=("missing-lock-timeout",)))
    every = lint_dialect_history(tmp_path / "every", files, "postgres")
    where = [(Path(f.span.path).name, f.span.line) for f in alone.active]
    assert where == [("V0002.Rebuild.up.sql", 1)]
    assert where == [(Path(f.span.path).name, f.span.line) for f in every.active
                     if f.rule == "missing-lock-timeout"]


def test_an_index_an_if_exists_drop_made_sure_of_is_gone_for_the_down_path(
        tmp_path: Path) -> None:
    """Authelia's V0007 up drops `IF EXISTS` the `…_key1` indexes PostgreSQL may have made
    beside a key (flagged: they may exist); its down drops them again, after the up made
    sure they do not. And gotrue's `DROP INDEX IF EXISTS x` just before its `CREATE UNIQUE
    INDEX IF NOT EXISTS x`, of an index the history never made, guards a re-run."""
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE t (id int, k text UNIQUE, tok text);\n",
        "V0001.Init.down.sql": "DROP TABLE t;\n",
        "V0002.Fix.up.sql": "DROP INDEX IF EXISTS t_k_key1;\n"
                            "DROP INDEX IF EXISTS tok_idx;\n"
                            "CREATE UNIQUE INDEX IF NOT EXISTS tok_idx ON t (tok);\n",
        "V0002.Fix.down.sql": "DROP INDEX IF EXISTS t_k_key1;\n"
                              "DROP INDEX IF EXISTS tok_idx;\n"}, "postgres",
        Settings(select=("drop-index-non-concurrently",)))
    assert [(Path(f.span.path).name, f.span.line) for f in result.active] == [
        ("V0002.Fix.up.sql", 1)]


def test_a_mysql_modify_of_a_primary_key_column_keeps_it_not_null(tmp_path: Path) -> None:
    """Temporal's mysql v1.8 `MODIFY COLUMN signal_id VARCHAR(255)` on a column of the
    primary key: MariaDB keeps it NOT NULL (`SHOW CREATE TABLE`); a column outside the key
    restated without NOT NULL does become nullable."""
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE t (a INT NOT NULL, s VARCHAR(64) NOT NULL,\n"
                             "  d BLOB NOT NULL, PRIMARY KEY (a, s));\n",
        "V0002.Widen.up.sql": "ALTER TABLE t MODIFY COLUMN s VARCHAR(255);\n"
                              "ALTER TABLE t MODIFY COLUMN d MEDIUMBLOB;\n"
                              "ALTER TABLE t MODIFY COLUMN s VARCHAR(300);\n"}, "mysql",
        Settings(select=("drop-not-null",)))
    assert [(Path(f.span.path).name, f.span.line) for f in result.active] == [
        ("V0002.Widen.up.sql", 2)]


def test_comments_around_alter_table_actions_are_no_part_of_their_spans(
        tmp_path: Path) -> None:
    """Temporal's postgresql v1.13 combined_v1.10_v1.13.sql names in a comment the version
    each action came from: `missing-lock-timeout` pointed at `-- v1.10`, not at the ADD."""
    result = lint_sql(
        tmp_path, "CREATE TABLE t (id int);\n",
        "ALTER TABLE t\n"
        "  -- v1.10\n"
        "  ADD COLUMN IF NOT EXISTS build_ids jsonb, /* v1.11 */\n"
        "  /* v1.12 */ ADD COLUMN IF NOT EXISTS root_id varchar(255) -- v1.12 too\n"
        "  ,\n"
        "  ADD COLUMN IF NOT EXISTS parent_id varchar(255) -- last\n"
        ";\n",
        settings=Settings(select=("missing-lock-timeout", "prefer-text")))
    assert [(f.rule, f.span.line, f.span.column, f.span.end_line, f.span.end_column)
            for f in result.active] == [
        ("missing-lock-timeout", 3, 3, 3, 42), ("prefer-text", 4, 40, 4, 59),
        ("prefer-text", 6, 28, 6, 49)]


def test_a_column_of_a_table_the_script_drops_later_is_said_lost_once_at_the_drop(
        tmp_path: Path) -> None:
    """Django's autodetector removes each relation field before it deletes the model
    (Plane's 0081: five `drop-column` errors, then `drop-table`, for one table)."""
    result = lint_sql(
        tmp_path, "CREATE TABLE notes (id int PRIMARY KEY, user_id int, body text);\n"
                  "CREATE TABLE pages (id int PRIMARY KEY, owner_id int);\n",
        "ALTER TABLE notes DROP COLUMN user_id;\n"
        "ALTER TABLE pages DROP COLUMN owner_id;\n"
        "DROP TABLE notes;\n",
        settings=Settings(select=("drop-column", "drop-table")))
    assert [(f.rule, f.span.line) for f in result.active
            if f.span.path.endswith("0002_m.sql")] == [("drop-column", 2), ("drop-table", 3)]


def test_a_key_the_down_path_remakes_under_another_name_is_pointed_at_where_it_is_made(
        tmp_path: Path) -> None:
    """Authelia's SQLite V0007: the up renames a misspelt key by rebuilding the table; the
    down rebuilds it again with the new name, not the old one. The finding pointed at the
    down's first line (a PRAGMA), not at the CREATE TABLE to change."""
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TABLE p (id int PRIMARY KEY);\n"
                             "CREATE TABLE c (id int, pid int,\n"
                             "  CONSTRAINT c_pid_fkey_typo FOREIGN KEY (pid) REFERENCES p (id));\n",
        "V0001.Init.down.sql": "DROP TABLE c;\nDROP TABLE p;\n",
        "V0002.Fix.up.sql": "ALTER TABLE c RENAME CONSTRAINT c_pid_fkey_typo TO c_pid_fkey;\n",
        "V0002.Fix.down.sql": "SET lock_timeout = '2s';\n"
                              "DROP TABLE c;\n"
                              "CREATE TABLE c (id int, pid int,\n"
                              "  CONSTRAINT c_pid_fkey FOREIGN KEY (pid) REFERENCES p (id));\n"},
        "postgres", Settings(select=("down-does-not-restore",)))
    assert [(Path(f.span.path).name, f.span.line) for f in result.active] == [
        ("V0002.Fix.down.sql", 3)]


def test_a_key_a_check_holds_to_one_value_is_no_key_that_runs_out(tmp_path: Path) -> None:
    """Temporal's `nexus_endpoints_partition_status (id INT NOT NULL PRIMARY KEY DEFAULT 0,
    …, CONSTRAINT only_one_row CHECK (id = 0))`: one row, ever."""
    result = lint_sql(
        tmp_path,
        "CREATE TABLE status (id int NOT NULL PRIMARY KEY DEFAULT 0, version bigint,\n"
        "  CONSTRAINT only_one_row CHECK (id = 0));\n"
        "CREATE TABLE events (id int PRIMARY KEY, CHECK (id > 0));\n",
        settings=Settings(select=("prefer-bigint",)))
    assert [(f.span.line, f.message) for f in result.active] == [
        (3, "key column `public.events.id` is int4: use bigint")]


def test_one_alter_table_that_rewrites_for_several_columns_is_one_finding(
        tmp_path: Path) -> None:
    """Temporal's v1.2 adds 28 stored generated columns in one ALTER TABLE: PostgreSQL
    rewrites the table once, and the finding says so once, at the first."""
    result = lint_sql(
        tmp_path, "CREATE TABLE v (id int, attrs jsonb);\n",
        "ALTER TABLE v\n"
        "  ADD COLUMN a jsonb GENERATED ALWAYS AS (attrs->'a') STORED,\n"
        "  ADD COLUMN plain int,\n"
        "  ADD COLUMN b jsonb GENERATED ALWAYS AS (attrs->'b') STORED,\n"
        "  ADD COLUMN c uuid DEFAULT gen_random_uuid();\n"
        "ALTER TABLE v ADD COLUMN d jsonb GENERATED ALWAYS AS (attrs->'d') STORED;\n",
        settings=Settings(select=("add-column-rewrite",)))
    assert [(f.span.line, f.message) for f in result.active] == [
        (2, "adding `a` (and 2 more columns) to `public.v` rewrites the table under an "
            "ACCESS EXCLUSIVE lock: a stored generated column is computed for every row"),
        (6, "adding `d` to `public.v` rewrites the table under an ACCESS EXCLUSIVE lock: a "
            "stored generated column is computed for every row")]


def test_a_function_used_by_more_triggers_than_are_named_says_how_many_more(
        tmp_path: Path) -> None:
    """Ente's 93 down drops a function 14 triggers call: the message named 10 and stopped."""
    triggers = "".join(f"CREATE TABLE t{i} (id int);\n"
                       f"CREATE TRIGGER g{i} BEFORE UPDATE ON t{i} FOR EACH ROW "
                       "EXECUTE FUNCTION touch();\n" for i in range(12))
    result = lint_sql(
        tmp_path, "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS\n"
                  "  $$ BEGIN RETURN NEW; END $$;\n" + triggers,
        "DROP FUNCTION touch();\n", settings=Settings(select=("drop-type-in-use",)))
    (finding,) = result.active
    assert finding.message.endswith("t9 and 2 more: the statement fails"), finding.message


def test_an_up_that_only_adds_enum_values_needs_no_down(tmp_path: Path) -> None:
    """Ente's 46, 47, 74 and 88: `ALTER TYPE s3region ADD VALUE …` with a down that says
    in a comment it cannot remove it: PostgreSQL has no statement that does."""
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TYPE region AS ENUM ('a');\nCREATE TABLE t (r region);\n",
        "V0001.Init.down.sql": "DROP TABLE t;\nDROP TYPE region;\n",
        "V0002.Value.up.sql": "ALTER TYPE region ADD VALUE 'b';\n",
        "V0002.Value.down.sql": "-- an enum value cannot be removed\n",
        "V0003.Col.up.sql": "ALTER TYPE region ADD VALUE 'c';\nALTER TABLE t ADD COLUMN x int;\n",
        "V0003.Col.down.sql": "-- nothing\n"}, "postgres", Settings(select=("missing-down",)))
    assert [Path(f.span.path).name for f in result.active] == ["V0003.Col.down.sql"]


def test_an_enum_with_values_the_down_cannot_remove_is_no_difference(tmp_path: Path) -> None:
    """Ente's 57, 81 and 94: the up adds enum values beside other changes, the down undoes
    the rest; the values stay, as they must."""
    result = lint_dialect_history(tmp_path, {
        "V0001.Init.up.sql": "CREATE TYPE region AS ENUM ('a');\nCREATE TABLE t (r region);\n",
        "V0001.Init.down.sql": "DROP TABLE t;\nDROP TYPE region;\n",
        "V0002.Col.up.sql": "ALTER TYPE region ADD VALUE 'b';\nALTER TABLE t ADD COLUMN x int;\n",
        "V0002.Col.down.sql": "ALTER TABLE t DROP COLUMN x;\n",
        "V0003.Left.up.sql": "ALTER TYPE region ADD VALUE 'c';\nALTER TABLE t ADD COLUMN y int;\n",
        "V0003.Left.down.sql": "SELECT 1;\n"}, "postgres",
        Settings(select=("down-does-not-restore",)))
    assert [(Path(f.span.path).name, f.message) for f in result.active] == [
        ("V0003.Left.down.sql", "up then down does not restore the schema: column "
                                "public.t.y is left behind")]
