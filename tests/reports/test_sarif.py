"""SARIF 2.1.0: valid against the official schema, and what GitHub code scanning needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from schemagate.cli import main
from schemagate.rules.registry import all_rules
from tests.reports.helpers import MIXED, ROOT

SCHEMA_FILE = Path("/work/shared/sarif-schema-2.1.0.json")
# The schema is kept next to the tests too, so CI needs nothing outside the repository.
LOCAL_SCHEMA = ROOT / "tests" / "fixtures" / "reports" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(LOCAL_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _sarif(*args: str, code: int = 1) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["lint", "--format", "sarif", *args])
    assert result.exit_code == code, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _valid(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_schema_copy_is_the_official_one() -> None:
    if not SCHEMA_FILE.exists():
        pytest.skip(f"{SCHEMA_FILE} is not on this machine")
    assert json.loads(LOCAL_SCHEMA.read_text()) == json.loads(SCHEMA_FILE.read_text())


def test_mixed_run_is_valid_and_complete(validator: jsonschema.protocols.Validator,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = _sarif(*MIXED)
    _valid(validator, doc)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "schemagate" and driver["version"]
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules][:len(all_rules())] == [r.id for r in all_rules()]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"] and r["helpUri"].startswith("https")
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        props = r["properties"]
        assert props["tags"][0] in ("destructive", "locking", "transaction", "compat",
                                    "reversibility", "design", "history", "meta")
        assert props["precision"] in ("very-high", "high", "medium", "low")
        if "security" in props["tags"]:
            assert 0 <= float(props["security-severity"]) <= 10
    drop = next(r for r in rules if r["id"] == "drop-column")
    assert "## Why it matters" in drop["help"]["markdown"]  # the rule's own documentation
    assert "security" in drop["properties"]["tags"]
    assert "correctness" in next(r for r in rules if r["id"] == "concurrently-in-transaction"
                                 )["properties"]["tags"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"][0]["executionSuccessful"] is True
    results = run["results"]
    assert len(results) > 30
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        (loc,) = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "%SRCROOT%" and not art["uri"].startswith("/")
        assert (ROOT / art["uri"]).is_file()
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["endLine"] >= region["startLine"]
        assert len(res["partialFingerprints"]["schemagate/v1"]) == 64
    fingerprints = [r["partialFingerprints"]["schemagate/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_region_end_column_is_one_past_the_last_character(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    results = _sarif("examples/golang-migrate")["runs"][0]["results"]
    index = next(r for r in results if r["ruleId"] == "create-index-non-concurrently")
    region = index["locations"][0]["physicalLocation"]["region"]
    line = (ROOT / "examples/golang-migrate/000003_orders_reporting.up.sql").read_text(
        ).splitlines()[region["startLine"] - 1]
    # CREATE INDEX orders_status_idx ON orders (status); : the span ends on ")".
    assert line[region["startColumn"] - 1:region["endColumn"] - 1].endswith("(status)")


def test_suppressed_findings_are_kept_with_their_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    results = _sarif("examples/golang-migrate")["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["drop-column"]
    (sup,) = suppressed[0]["suppressions"]
    assert sup["kind"] == "inSource"
    assert sup["justification"] == "legacy_ref unused since v2.3, archived in S3"
    assert sup["location"]["physicalLocation"]["region"]["startLine"] == 1


def test_input_errors_are_notifications_and_the_run_unsuccessful(
        validator: jsonschema.protocols.Validator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = _sarif("tests/fixtures/bad_input", code=2)
    _valid(validator, doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    where = {(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit(
        "/", 1)[-1], n["locations"][0]["physicalLocation"].get("region", {}).get("startLine"))
        for n in errors}
    assert ("002_syntax_error.sql", 2) in where
    assert any(name == "003_binary.sql" for name, _ in where)
    # The files that did parse are still linted.
    assert any(r["ruleId"] == "drop-table" for r in doc["runs"][0]["results"])


def test_category_sets_automation_details(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    run = _sarif("examples/flyway", "--sarif-category", "migrations/flyway")["runs"][0]
    assert run["automationDetails"]["id"] == "migrations/flyway/"
    assert "automationDetails" not in _sarif("examples/flyway")["runs"][0]


def test_uris_are_relative_to_the_repository_root_from_a_subfolder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "001_drop.sql").write_text("DROP TABLE users;\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "db")
    res = _sarif("migrations")["runs"][0]["results"][0]
    art = res["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "db/migrations/001_drop.sql", "uriBaseId": "%SRCROOT%"}
    # Outside any git repository: relative to the current folder.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "001 drop#1.sql").write_text("DROP TABLE users;\n")
    monkeypatch.chdir(plain)
    res = _sarif(".")["runs"][0]["results"][0]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "001%20drop%231.sql"


def _fingerprints(doc: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for r in doc["runs"][0]["results"]:
        out.setdefault((r["ruleId"], r["message"]["text"]), []).append(
            r["partialFingerprints"]["schemagate/v1"])
    return out


def test_fingerprints_survive_unrelated_edits(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_users.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY, legacy text, note text);\n"
        "CREATE TABLE t (a int);\nCREATE TABLE u (a int);\n")
    body = ("ALTER TABLE users DROP COLUMN legacy;\n"
            "ALTER TABLE users DROP COLUMN note;\n"
            "DROP TABLE t;\n")
    (folder / "002_drop.sql").write_text(body)
    before = _fingerprints(_sarif("migrations", "--select", "destructive"))
    # Comments and blank lines above, a statement reflowed, a new migration before it.
    (folder / "002_drop.sql").write_text(
        "-- a comment\n\n-- another\n"
        + body.replace("ALTER TABLE users DROP COLUMN legacy;",
                       "ALTER TABLE users\n    DROP COLUMN legacy;"))
    (folder / "000_first.sql").write_text("CREATE TABLE other (id int);\n")
    after = _fingerprints(_sarif("migrations", "--select", "destructive"))
    assert len(before) == 3 and before == after
    # The same statement twice in a file is two problems, with a fingerprint each.
    (folder / "003_again.sql").write_text("DELETE FROM u;\nDELETE FROM u;\n")
    again = _fingerprints(_sarif("migrations", "--select", "destructive"))
    (twice,) = [fps for (rule, _), fps in again.items() if rule == "delete-all-rows"]
    assert len(twice) == len(set(twice)) == 2


def _regions(doc: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["startColumn"])
            for r in doc["runs"][0]["results"]]


def test_clause_findings_keep_their_fingerprints_while_their_regions_move(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_users.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY, legacy text, name text);\n")
    create = ("CREATE TABLE events (\n    id bigint PRIMARY KEY,\n    body json,\n"
              "    at timestamp\n);\n")
    alter = "ALTER TABLE users\n  DROP COLUMN legacy,\n  ALTER COLUMN name SET NOT NULL;\n"
    (folder / "002_change.sql").write_text("SELECT 1;\n" + create + alter)
    args = ("--select", "prefer-jsonb,prefer-timestamptz,drop-column,set-not-null")
    before_doc = _sarif("migrations", *args)
    # Blank lines and comments above, and an unrelated statement changed.
    (folder / "002_change.sql").write_text(
        "-- moved down\n\n\nSELECT 2 + 2;\n" + create + "\n-- note\n" + alter)
    after_doc = _sarif("migrations", *args)
    before, after = _fingerprints(before_doc), _fingerprints(after_doc)
    assert len(before) == 4 and before == after
    assert [(r, line) for r, line, _ in _regions(before_doc)] == [
        ("prefer-jsonb", 4), ("prefer-timestamptz", 5), ("drop-column", 8),
        ("set-not-null", 9)]
    assert [(r, line) for r, line, _ in _regions(after_doc)] == [
        ("prefer-jsonb", 7), ("prefer-timestamptz", 8), ("drop-column", 13),
        ("set-not-null", 14)]


def test_fixes_are_artifact_changes_that_replay_to_the_fixed_file(
        validator: jsonschema.protocols.Validator, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_init.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n", encoding="utf-8")
    change = folder / "002_check.sql"
    change.write_text("SET lock_timeout = '1s';\n"
                      "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);\n",
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    doc = _sarif("migrations", code=0)
    _valid(validator, doc)
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "add-check-validated"]
    (fix,) = result["fixes"]
    assert fix["properties"]["safe"] is True
    (change_,) = fix["artifactChanges"]
    assert change_["artifactLocation"]["uri"].endswith("migrations/002_check.sql")
    lines = change.read_text(encoding="utf-8").splitlines(keepends=True)
    # Replayed from the end, as a viewer applies them: regions end one past their last
    # character, an insertion is an empty region.
    for rep in sorted(change_["replacements"], key=lambda r: (
            r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]), reverse=True):
        region = rep["deletedRegion"]
        assert region["startLine"] == region["endLine"]
        line = lines[region["startLine"] - 1]
        lines[region["startLine"] - 1] = (line[:region["startColumn"] - 1]
                                          + rep["insertedContent"]["text"]
                                          + line[region["endColumn"] - 1:])
    assert "".join(lines) == (
        "SET lock_timeout = '1s';\n"
        "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;\n")
