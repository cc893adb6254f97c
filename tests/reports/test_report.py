"""`schemagate report`: the impact report command, in its three formats, with a live
database, with verify's checklist, and with the drift hook."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.lint.engine import lint
from schemagate.model.settings import Settings
from schemagate.parse.layouts.discover import discover
from schemagate.parse.load import load_migrations
from schemagate.reports.depgraph import dependency_picture
from schemagate.reports.html import render_html
from schemagate.reports.impact import DriftChange, build_impact, drift_from_deltas
from schemagate.reports.markdown import render_markdown
from tests.conftest import table_locked
from tests.reports.helpers import MIXED, ROOT, SCRIPT_TABLE

HAS_BACKUP = importlib.util.find_spec("schemagate.backup") is not None


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["report", *args])


def test_html_report_has_every_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _invoke(*MIXED)
    assert result.exit_code == 1, result.output  # errors found, as lint's --fail-on
    page = result.stdout
    for section in ('id="summary"', 'id="checklist"', 'id="graph"', 'id="migrations"',
                    'id="drift"', 'id="backup"', 'id="rules"'):
        assert section in page
    assert "<svg" in page and 'class="node dropped"' in page
    assert "Worst lock" in page and "ACCESS EXCLUSIVE" in page
    assert "Drift between the live database and the target" in page
    assert "not compared" in page
    for check in ("Migration runs", "Rollback tested", "No data loss", "Backup ready"):
        assert check in page
    assert "not checked" in page  # what only verify can say is not guessed


@pytest.mark.skipif(not HAS_BACKUP, reason="schemagate.backup is not installed")
def test_report_from_a_migration_shows_its_backup_scripts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = tmp_path / "report.html"
    result = _invoke("examples/golang-migrate", "--from", "000003_orders_reporting",
                     "-o", str(out))
    assert result.exit_code == 1, result.output
    assert f"wrote {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert "generated 2023-11-14 22:13 UTC" in page
    assert "backup.sql: run before the migrations" in page
    assert "[1] public.users: name" in page and "[2] public.orders: legacy_ref" in page
    assert "000001_create_users</a>" not in page  # applied already: not in the report
    assert "000003_orders_reporting</a>" in page


def test_json_report_matches_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = json.loads(_invoke(*MIXED, "--format", "json").stdout)
    assert doc["version"] == 1 and doc["summary"]["verdict"] == "fail"
    assert doc["summary"]["worst_lock"] == "ACCESS EXCLUSIVE"
    names = [m["name"] for m in doc["migrations"]]
    assert "002_change_hostile" in names
    hostile = doc["migrations"][names.index("002_change_hostile")]
    drop = next(st for st in hostile["statements"] if st["sql"].startswith("DROP TABLE"))
    assert drop["lock"] == "ACCESS EXCLUSIVE" and drop["tables"] == [f"public.{SCRIPT_TABLE}"]
    assert {f["rule"] for f in drop["findings"]} == {"drop-table", "drop-cascade"}
    rewrite = next(st for st in hostile["statements"] if "TYPE varchar(5)" in st["sql"])
    assert rewrite["rewrite"] == "yes"
    statuses = {(n["name"], n["status"]) for n in doc["graph"]["nodes"]}
    assert (f"public.{SCRIPT_TABLE}", "dropped") in statuses
    assert ("public.v<img src=x onerror=alert(2)>", "created") in statuses
    assert any(e["dependency"] == f"public.{SCRIPT_TABLE}" and e["breaks"]
               for e in doc["graph"]["edges"])
    assert [c["name"] for c in doc["checklist"]] == [
        "Migration runs", "Rollback tested", "No data loss", "Backup ready"]
    assert doc["drift"] is None
    markdown = _invoke(*MIXED, "--format", "markdown").stdout
    assert markdown.startswith("### schemagate: ❌ blocked")


def test_input_errors_make_the_report_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _invoke("tests/fixtures/bad_input", "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["summary"]["verdict"] == "incomplete"
    assert any(e["path"].endswith("002_syntax_error.sql") for e in doc["summary"]["errors"])
    assert doc["backup"]["generated"] is False
    assert "input error" in doc["backup"]["reason"] or "not installed" in doc["backup"]["reason"]


def test_verify_results_replace_the_checks_lint_cannot_make(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"gate": {"passed": False, "items": [
        {"key": "runs", "title": "Migration runs", "status": "pass",
         "detail": "5 migrations applied in 0.4 s"},
        {"key": "rollback", "title": "Rollback tested", "status": "fail",
         "detail": "000004 down: column <legacy_ref> missing"},
        {"key": "no-data-loss", "title": "No data loss", "status": "skip",
         "detail": "no --seed"},
        {"key": "backup", "title": "Backup ready", "status": "pass", "detail": "restored"},
    ]}}))
    doc = json.loads(_invoke("examples/golang-migrate", "--format", "json",
                             "--verify-json", str(verify)).stdout)
    assert [(c["name"], c["status"]) for c in doc["checklist"]] == [
        ("Migration runs", "pass"), ("Rollback tested", "fail"),
        ("No data loss", "not checked"), ("Backup ready", "pass")]
    page = _invoke("examples/golang-migrate", "--verify-json", str(verify)).stdout
    assert "column &lt;legacy_ref&gt; missing" in page
    verify.write_text("{}")
    bad = _invoke("examples/golang-migrate", "--verify-json", str(verify))
    assert bad.exit_code == 2 and "not the JSON of `schemagate verify`" in bad.output


def _mixed() -> tuple[Any, Any]:
    loaded = load_migrations(discover(MIXED).migrations)
    return lint(loaded.migrations, Settings()), loaded.migrations


def test_drift_hook_renders_the_changes_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result, migrations = _mixed()

    class Ref:
        kind = "table"

        def __str__(self) -> str:
            return f"public.{SCRIPT_TABLE}"

    class Delta:  # the shape of schemagate.diff.compare.Delta
        ref = Ref()
        action = "drop"
        aspects = ("exists only in the live database",)

    drift = [*drift_from_deltas([Delta()]),
             DriftChange("alter", "column", "public.a.b", "type integer → bigint")]
    impact = build_impact(result, migrations, drift=drift)
    page = render_html(impact)
    assert "<td>drop</td><td>table <code>public.&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "type integer → bigint" in page and "not compared" not in page
    markdown = render_markdown(impact)
    assert "#### Drift between the live database and the target" in markdown
    assert "- drop table `public.<script>alert(1)</script>`: exists only in the live " \
           "database" in markdown
    assert "No drift" in render_html(build_impact(result, migrations, drift=[]))


def test_the_graph_is_the_same_without_the_graph_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result, migrations = _mixed()
    with_stage = dependency_picture(migrations, result.catalogs)
    monkeypatch.setitem(sys.modules, "schemagate.graph.schema", None)  # import fails
    without = dependency_picture(migrations, result.catalogs)
    assert without.source == "catalog"
    if importlib.util.find_spec("schemagate.graph") is not None:
        assert with_stage.source == "schema graph"
    nodes = {(n.title, n.status) for n in with_stage.nodes}
    assert nodes == {(n.title, n.status) for n in without.nodes}
    assert {(e.dependent, e.dependency) for e in with_stage.edges} == {
        (e.dependent, e.dependency) for e in without.edges}
    # The picture: dependents below their dependencies, nothing overlapping.
    placed = {n.key: n for n in with_stage.nodes}
    for a in with_stage.nodes:
        for b in with_stage.nodes:
            if a is not b:
                assert (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y
                        or b.y + b.h <= a.y), (a.title, b.title)
    assert sum(1 for e in with_stage.edges
               if placed[e.dependent].y > placed[e.dependency].y) >= len(with_stage.edges) - 1


@pytest.mark.slow
def test_a_500_migration_report_renders_every_migration(tmp_path: Path) -> None:
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_corpus.py"), "--out",
                    str(tmp_path), "--migrations", "500"], check=True, capture_output=True)
    loaded = load_migrations(discover([str(tmp_path)]).migrations)
    result = lint(loaded.migrations, Settings())
    # Not timed here: a busy machine would fail it (benchmarks/ measures speed).
    impact = build_impact(result, loaded.migrations)
    page = render_html(impact)
    markdown = render_markdown(impact)
    assert len(impact.migrations) == 500 and page.count('class="migration"') == 500
    assert len(markdown) < 65_000


def test_with_db_the_report_shows_table_sizes(pg_db: str, tmp_path: Path) -> None:
    from schemagate.diff.connect import connect

    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)")
        conn.execute("INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 20000) g")
        conn.execute("CREATE TABLE tiny (id bigint)")
        conn.execute("ANALYZE orders, tiny")  # not the catalogs too, as a bare ANALYZE does
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_index.sql").write_text("SET lock_timeout = '2s';\n"
                                          "CREATE INDEX orders_status ON orders (status);\n"
                                          "ALTER TABLE tiny ADD COLUMN note text;\n")
    doc = json.loads(_invoke(str(folder), "--db", pg_db, "--format", "json").stdout)
    largest = doc["summary"]["largest_table"]
    assert largest["name"] == "public.orders" and largest["rows"] == 20000
    assert largest["bytes"] > 500_000
    statements = doc["migrations"][0]["statements"]
    index = next(st for st in statements if st["sql"].startswith("CREATE INDEX"))
    assert index["rows"] == 20000 and index["lock"] == "SHARE"
    tiny = next(st for st in statements if "tiny" in st["sql"])
    assert tiny["rows"] == 0 and tiny["lock"] == "ACCESS EXCLUSIVE"
    page = _invoke(str(folder), "--db", pg_db).stdout
    assert "20,000 rows" in page and "table sizes from the live database" in page


def test_with_db_a_locked_tables_size_is_unknown_and_the_report_goes_on(
        pg_db: str, tmp_path: Path, short_lock_wait: None) -> None:
    from schemagate.diff.connect import connect

    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)")
        conn.execute("INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 2000) g")
        conn.execute("ANALYZE orders")  # its tables only: a bare ANALYZE reads the catalogs too
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_drop.sql").write_text("ALTER TABLE orders DROP COLUMN status;\n")
    started = time.monotonic()
    with table_locked(pg_db, "orders"):
        result = _invoke(str(folder), "--db", pg_db, "--format", "json")
    assert time.monotonic() - started < 15
    doc = json.loads(result.stdout)
    notices = [n for n in doc["summary"]["notices"] if n["path"] == "public.orders"]
    assert notices and "size unknown" in notices[0]["message"]
    statement = doc["migrations"][0]["statements"][0]
    assert statement["rows"] == 2000 and statement["bytes"] is None
    # The backup section still has the table's key, read from the catalogs without a lock.
    assert doc["backup"]["generated"] and "orders" in doc["backup"]["backup"]


def test_a_mysql_statement_is_given_no_postgresql_lock(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("mysql", "postgres"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "V0001.Initial.up.sql").write_text(
            "CREATE TABLE totp_configurations (id BIGINT PRIMARY KEY, secret TEXT);\n")
        (tmp_path / folder / "V0002.Drop_TOTP.up.sql").write_text(
            "DROP TABLE totp_configurations;\n")
    monkeypatch.chdir(tmp_path)
    doc = json.loads(_invoke(".", "--format", "json").stdout)
    locks = {m["paths"][0].split("/")[0]: st["lock"] for m in doc["migrations"]
             for st in m["statements"] if st["sql"].startswith("DROP TABLE")}
    assert locks == {"mysql": None, "postgres": "ACCESS EXCLUSIVE"}
