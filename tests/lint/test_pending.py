"""`lint --pending --db URL`: each migration tool's own record, in the shape the tool writes it
on a real PostgreSQL, decides what is reported; the history before is still folded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from schemagate.cli import main

CREATE = "CREATE TABLE users (id bigint PRIMARY KEY, a text, b text, c text);\n"
DROPS = [f"ALTER TABLE users DROP COLUMN {c};\n" for c in "abc"]
BODIES = [CREATE, *DROPS]  # four migrations; every drop is a drop-column finding

# Each tool's table, created as the tool creates it on PostgreSQL.
TABLES = {
    "golang-migrate": "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
                      "dirty boolean NOT NULL)",
    "dbmate": "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)",
    "goose": "CREATE TABLE goose_db_version (id serial NOT NULL PRIMARY KEY, "
             "version_id bigint NOT NULL, is_applied boolean NOT NULL, "
             "tstamp timestamp NULL DEFAULT now())",
    "sqitch": "CREATE SCHEMA sqitch; CREATE TABLE sqitch.changes (change_id text PRIMARY KEY, "
              "script_hash text, change text NOT NULL, project text NOT NULL, "
              "committed_at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "liquibase": "CREATE TABLE databasechangelog (id varchar(255) NOT NULL, author "
                 "varchar(255) NOT NULL, filename varchar(255) NOT NULL, dateexecuted timestamp "
                 "NOT NULL, orderexecuted integer NOT NULL, exectype varchar(10) NOT NULL)",
    "sql-migrate": "CREATE TABLE gorp_migrations (id varchar(255) NOT NULL PRIMARY KEY, "
                   "applied_at timestamp with time zone)",
    "flyway": 'CREATE TABLE flyway_schema_history ("installed_rank" INT NOT NULL, '
              '"version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, '
              '"type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, '
              '"checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, '
              '"installed_on" TIMESTAMP NOT NULL DEFAULT now(), '
              '"execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL, '
              'CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank"))',
    "alembic": "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
               "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
    "prisma": 'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, '
              '"checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, '
              '"migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, '
              '"rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), '
              '"applied_steps_count" INTEGER NOT NULL DEFAULT 0)',
    "diesel": "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY "
              "NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "popx": "CREATE TABLE schema_migration (version VARCHAR(48) NOT NULL, "
            "version_self INT NOT NULL DEFAULT 0); "
            "CREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version)",
    "django": 'CREATE TABLE "django_migrations" ("id" bigint NOT NULL PRIMARY KEY GENERATED '
              'BY DEFAULT AS IDENTITY, "app" varchar(255) NOT NULL, "name" varchar(255) '
              'NOT NULL, "applied" timestamp with time zone NOT NULL)',
}


def _alembic(folder: Path, i: int, body: str) -> str:
    revs = ["aaaa00000001", "bbbb00000002", "cccc00000003", "dddd00000004"]
    down = repr(revs[i - 1]) if i else "None"
    sql = body.strip().rstrip(";")
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    (folder / "versions" / f"{revs[i]}_step{i}.py").write_text(
        f'"""step {i}"""\nfrom alembic import op\n\nrevision = "{revs[i]}"\n'
        f"down_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f'def upgrade():\n    op.execute("{sql}")\n\n\ndef downgrade():\n    pass\n')
    return f"{revs[i]}_step{i}"


def _django(folder: Path, i: int, body: str) -> str:
    app = folder / "shop"
    (app / "migrations").mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    name = f"000{i + 1}_step"
    deps = f'[("shop", "000{i}_step")]' if i else "[]"
    if i == 0:
        op = ('migrations.CreateModel(name="User", fields=[("id", models.BigAutoField('
              'primary_key=True)), ("a", models.TextField()), ("b", models.TextField()), '
              '("c", models.TextField())])')
    else:
        op = f'migrations.RemoveField(model_name="user", name="{"abc"[i - 1]}")'
    (app / "migrations" / f"{name}.py").write_text(
        "from django.db import migrations, models\n\n\n"
        f"class Migration(migrations.Migration):\n    dependencies = {deps}\n"
        f"    operations = [{op}]\n")
    return name


# layout -> (write migration i with this body and return its name, that migration's key in
# the tool's record)
WRITERS: dict[str, Callable[[Path, int, str], str]] = {
    "golang-migrate": lambda d, i, b: _write(d / f"{i + 1}_step{i}.up.sql", b),
    "dbmate": lambda d, i, b: _write(d / f"2024010100000{i}_step{i}.sql",
                                     f"-- migrate:up\n{b}\n-- migrate:down\n"),
    "goose": lambda d, i, b: _write(d / f"0000{i + 1}_step{i}.sql",
                                    f"-- +goose Up\n{b}\n-- +goose Down\n"),
    "sqitch": lambda d, i, b: _sqitch(d, i, b),
    "liquibase": lambda d, i, b: _write(d / f"00{i}-step{i}.sql",  # one changeset per file
                                        f"--liquibase formatted sql\n--changeset ada:{i}\n{b}\n"
                                        ) + f"::ada:{i}",
    "sql-migrate": lambda d, i, b: _write(d / f"16770784{i}0.sql",
                                          f"-- +migrate Up\n{b}\n-- +migrate Down\n"),
    "flyway": lambda d, i, b: _write(d / f"V1.{i}__step{i}.sql", b),
    "prisma": lambda d, i, b: _write(d / f"2024010100000{i}_step{i}" / "migration.sql", b),
    "diesel": lambda d, i, b: _write(d / f"2024-01-01-00000{i}_step{i}" / "up.sql", b),
    "popx": lambda d, i, b: _write(d / f"2024010100000000000{i}_step{i}.postgres.up.sql", b),
    "alembic": _alembic,
    "django": _django,
}


def _sqitch(folder: Path, i: int, body: str) -> str:
    """A Sqitch change: a line of the plan, and its deploy script."""
    plan = folder / "sqitch.plan"
    if not plan.exists():
        _write(plan, "%syntax-version=1.0.0\n%project=shop\n\n")
    with plan.open("a", encoding="utf-8") as file:
        file.write(f"step{i} 2024-01-0{i + 1}T00:00:00Z Ada <ada@example.com> # step {i}\n")
    _write(folder / "deploy" / f"step{i}.sql", body)
    return f"step{i}"


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if path.name in ("migration.sql", "up.sql"):
        if path.name == "up.sql":
            (path.parent / "down.sql").write_text("SELECT 1;\n")
        return path.parent.name
    return path.name.split(".")[0] if "__" not in path.name else path.name[:-4]


def _record(layout: str, names: list[str], applied: int) -> list[tuple[str, tuple[Any, ...]]]:
    """The rows the tool writes once the first ``applied`` migrations have run."""
    done = names[:applied]
    if layout == "golang-migrate":
        return [("INSERT INTO schema_migrations VALUES (%s, false)", (applied,))] if applied \
            else []
    if layout == "flyway":
        return [("INSERT INTO flyway_schema_history VALUES (%s, %s, %s, 'SQL', %s, 12345, "
                 "'postgres', now(), 7, true)", (i + 1, f"1.{i}", f"step{i}", f"{n}.sql"))
                for i, n in enumerate(done)]
    if layout == "prisma":
        return [("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, "
                 "started_at, applied_steps_count) VALUES (%s, 'c0ffee', now(), %s, now(), 1)",
                 (f"id-{n}", n)) for n in done]
    if layout == "alembic":
        return [("INSERT INTO alembic_version VALUES (%s)", (done[-1].split("_")[0],))] \
            if done else []
    if layout == "goose":
        # goose writes version 0 when it makes its table, and a row per apply or roll-back;
        # here the last migration went up and back down again.
        rows = [(0, True)] + [(int(n.split("_")[0]), True) for n in done]
        if applied < len(names):
            last = int(names[-1].split("_")[0])
            rows += [(last, True), (last, False)]
        return [("INSERT INTO goose_db_version (version_id, is_applied) VALUES (%s, %s)", row)
                for row in rows]
    if layout == "sqitch":  # its registry: a row per change deployed
        return [("INSERT INTO sqitch.changes (change_id, change, project) VALUES (%s, %s, "
                 "'shop')", (f"id-{n}", n)) for n in done]
    if layout == "liquibase":  # a row per changeset run
        return [("INSERT INTO databasechangelog VALUES (%s, 'ada', %s, now(), %s, 'EXECUTED')",
                 (str(i), f"db/changelog/{n.split('::')[0]}.sql", i + 1))
                for i, n in enumerate(done)]
    if layout == "sql-migrate":  # its id is the file's name
        return [("INSERT INTO gorp_migrations VALUES (%s, now())", (f"{n}.sql",))
                for n in done]
    if layout == "django":
        return [("INSERT INTO django_migrations (app, name, applied) VALUES ('shop', %s, "
                 "now())", (n,)) for n in done]
    table = {"dbmate": "schema_migrations", "diesel": "__diesel_schema_migrations",
             "popx": "schema_migration"}[layout]
    key = {"dbmate": lambda n: n.split("_")[0],
           "diesel": lambda n: n.split("_")[0].replace("-", ""),
           "popx": lambda n: n.split("_")[0]}[layout]
    return [(f"INSERT INTO {table} (version) VALUES (%s)", (key(n),)) for n in done]


def _execute(url: str, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for sql, params in statements:
            conn.execute(sql, params or None)  # type: ignore[arg-type]


def _lint(*args: str) -> Result:
    return CliRunner().invoke(main, ["lint", "--format", "json", "--select", "drop-column",
                                     *args])


def _project(tmp_path: Path, layout: str) -> tuple[Path, list[str]]:
    folder = tmp_path / layout
    names = [WRITERS[layout](folder, i, body) for i, body in enumerate(BODIES)]
    return folder, names


@pytest.mark.parametrize("layout", sorted(TABLES))
@pytest.mark.parametrize("applied", [0, 2, 4])
def test_pending_reports_exactly_the_migrations_the_record_does_not_list(
        tmp_path: Path, pg_db: str, layout: str, applied: int) -> None:
    folder, names = _project(tmp_path, layout)
    _execute(pg_db, [(TABLES[layout], ()), *_record(layout, names, applied)])
    everything = json.loads(_lint(str(folder)).stdout)
    migrations = {f["migration"] for f in everything["findings"]}
    assert migrations == set(names[1:]), everything  # each drop is found without --pending
    result = _lint(str(folder), "--db", pg_db, "--pending")
    assert result.exit_code == (1 if applied < 4 else 0), result.output
    doc = json.loads(result.stdout)
    assert doc["findings"] == [f for f in everything["findings"]
                               if f["migration"] in names[applied:]]
    notes = [n["message"] for n in doc["notices"]]
    if applied < 4:
        assert f"{4 - applied} of 4 migrations still to run, from {names[applied]}" in notes
    else:
        assert "nothing to run: all 4 migrations are applied" in notes
    # The history before is still folded: the table the first migration made is known.
    assert all("unknown" not in f["message"] for f in doc["findings"])


def test_a_dirty_golang_migrate_version_is_reported_and_still_to_run(
        tmp_path: Path, pg_db: str) -> None:
    folder, names = _project(tmp_path, "golang-migrate")
    _execute(pg_db, [(TABLES["golang-migrate"], ()),
                     ("INSERT INTO schema_migrations VALUES (3, true)", ())])
    result = _lint(str(folder), "--db", pg_db, "--pending")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert [f["migration"] for f in doc["findings"]] == names[2:]
    (error,) = doc["errors"]
    assert "dirty at version 3" in error["message"] and names[2] in error["message"]


def test_a_failed_prisma_migration_is_reported_and_still_to_run(
        tmp_path: Path, pg_db: str) -> None:
    folder, names = _project(tmp_path, "prisma")
    rows = [*_record("prisma", names, 2),
        ("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, "
         "rolled_back_at, started_at) VALUES ('x1', 'c', NULL, %s, now(), now())", (names[2],)),
        ("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, "
         "started_at) VALUES ('x2', 'c', NULL, %s, now())", (names[3],))]
    _execute(pg_db, [(TABLES["prisma"], ()), *rows])
    result = _lint(str(folder), "--db", pg_db, "--pending")
    doc = json.loads(result.stdout)
    # A rolled-back attempt is no application: still to run, and no error.
    assert [f["migration"] for f in doc["findings"]] == names[2:]
    (error,) = doc["errors"]
    assert names[3] in error["message"] and "never finished" in error["message"]
    assert result.exit_code == 2


def test_flyway_counts_a_baseline_and_reports_a_failed_migration(
        tmp_path: Path, pg_db: str) -> None:
    folder, names = _project(tmp_path, "flyway")
    rows = [("INSERT INTO flyway_schema_history VALUES (1, '1.1', '<< Flyway Baseline >>', "
             "'BASELINE', '<< Flyway Baseline >>', NULL, 'postgres', now(), 0, true)", ()),
            ("INSERT INTO flyway_schema_history VALUES (2, '1.2', 'step2', 'SQL', "
             "'V1.2__step2.sql', 1, 'postgres', now(), 3, false)", ())]
    _execute(pg_db, [(TABLES["flyway"], ()), *rows])
    result = _lint(str(folder), "--db", pg_db, "--pending")
    doc = json.loads(result.stdout)
    assert [f["migration"] for f in doc["findings"]] == names[2:]
    (error,) = doc["errors"]
    assert names[2] in error["message"] and "failed" in error["message"]


def test_alembic_heads_count_every_revision_before_them_in_the_graph(
        tmp_path: Path, pg_db: str) -> None:
    folder = tmp_path / "alembic"
    base = _alembic(folder, 0, CREATE)
    # Two branches from the base, then a merge: the record names one branch's head.
    for rev, column in (("b1b1b1b1b1b1", "a"), ("b2b2b2b2b2b2", "b")):
        (folder / "versions" / f"{rev}_drop_{column}.py").write_text(
            f'from alembic import op\n\nrevision = "{rev}"\ndown_revision = '
            f'"{base.split("_")[0]}"\n\n\ndef upgrade():\n    op.drop_column("users", '
            f'"{column}")\n')
    (folder / "versions" / "m0m0m0m0m0m0_merge.py").write_text(
        'from alembic import op\n\nrevision = "m0m0m0m0m0m0"\n'
        'down_revision = ("b1b1b1b1b1b1", "b2b2b2b2b2b2")\n\n\ndef upgrade():\n'
        '    op.drop_column("users", "c")\n')
    _execute(pg_db, [(TABLES["alembic"], ()),
                     ("INSERT INTO alembic_version VALUES ('b1b1b1b1b1b1')", ())])
    doc = json.loads(_lint(str(folder), "--db", pg_db, "--pending").stdout)
    assert sorted(f["migration"] for f in doc["findings"]) == [
        "b2b2b2b2b2b2_drop_b", "m0m0m0m0m0m0_merge"]
    # Two heads recorded (both branches applied): only the merge is left.
    _execute(pg_db, [("INSERT INTO alembic_version VALUES ('b2b2b2b2b2b2')", ())])
    doc = json.loads(_lint(str(folder), "--db", pg_db, "--pending").stdout)
    assert [f["migration"] for f in doc["findings"]] == ["m0m0m0m0m0m0_merge"]
    # A head no file defines: the database is not this history's.
    _execute(pg_db, [("UPDATE alembic_version SET version_num = 'ffffffffffff' "
                      "WHERE version_num = 'b2b2b2b2b2b2'", ())])
    result = _lint(str(folder), "--db", pg_db, "--pending")
    assert result.exit_code == 2 and "ffffffffffff" in result.stderr


def test_a_django_squash_counts_as_applied_when_everything_it_replaces_is(
        tmp_path: Path, pg_db: str) -> None:
    folder, names = _project(tmp_path, "django")
    migrations = folder / "shop" / "migrations"
    (migrations / "0001_squashed_0002_step.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    replaces = [("shop", "0001_step"), ("shop", "0002_step")]\n'
        "    dependencies = []\n"
        '    operations = [migrations.CreateModel(name="User", fields=[("id", '
        'models.BigAutoField(primary_key=True)), ("b", models.TextField()), '
        '("c", models.TextField())])]\n')
    for name in ("0001_step", "0002_step"):
        (migrations / f"{name}.py").unlink()
    (migrations / "0003_step.py").write_text((migrations / "0003_step.py").read_text().replace(
        '("shop", "0002_step")', '("shop", "0001_squashed_0002_step")'))
    _execute(pg_db, [(TABLES["django"], ()), *_record("django", names, 1)])
    doc = json.loads(_lint(str(folder), "--db", pg_db, "--pending").stdout)
    notes = [n["message"] for n in doc["notices"]]
    assert "3 of 3 migrations still to run, from 0001_squashed_0002_step" in notes
    assert any("1 of the 2 migrations this squash replaces are applied" in n for n in notes)
    _execute(pg_db, _record("django", names, 2)[1:])
    doc = json.loads(_lint(str(folder), "--db", pg_db, "--pending").stdout)
    assert [f["migration"] for f in doc["findings"]] == names[2:]
    assert "2 of 3 migrations still to run, from 0003_step" in [
        n["message"] for n in doc["notices"]]


def test_no_record_table_is_an_error_naming_the_tables_looked_for(
        tmp_path: Path, pg_db: str) -> None:
    folder, _ = _project(tmp_path, "dbmate")
    result = _lint(str(folder), "--db", pg_db, "--pending")
    assert result.exit_code == 2
    assert "looked for schema_migrations (dbmate)" in result.stderr
    assert "Traceback" not in result.output


def test_golang_migrates_table_is_not_taken_for_dbmates(tmp_path: Path, pg_db: str) -> None:
    folder, _ = _project(tmp_path, "dbmate")
    _execute(pg_db, [(TABLES["golang-migrate"], ())])
    result = _lint(str(folder), "--db", pg_db, "--pending")
    assert result.exit_code == 2 and "golang-migrate's `dirty` column" in result.stderr


def test_pending_without_a_database_is_a_usage_error(tmp_path: Path) -> None:
    folder, _ = _project(tmp_path, "golang-migrate")
    result = _lint(str(folder), "--pending")
    assert result.exit_code == 2 and "--db" in result.stderr
