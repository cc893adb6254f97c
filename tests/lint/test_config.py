"""Settings: config files, selection, severities, and settings that change verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagate.lint.config import ConfigError, find_config, load_config
from schemagate.lint.engine import UnknownRuleError, enabled_rules
from schemagate.model.findings import Severity
from schemagate.model.settings import Settings
from tests.conftest import lint_sql, rules_of, with_settings


def test_pyproject_section_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemagate]\nignore = ["rename-column"]\nfail-on = "warning"\npg-version = 11\n'
        '[tool.schemagate.severity]\ndrop-table = "warning"\n'
        '[tool.schemagate.transactions]\nsql = "wrapped"\n')
    sub = tmp_path / "db" / "migrations"
    sub.mkdir(parents=True)
    settings, path = load_config(None, sub)
    assert path == tmp_path / "pyproject.toml"
    assert settings.ignore == ("rename-column",)
    assert settings.fail_on == Severity.WARNING and settings.pg_version == 11
    assert settings.severity == {"drop-table": Severity.WARNING}
    assert settings.transactions == {"sql": "wrapped"}


def test_schemagate_toml_wins_over_an_unrelated_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "schemagate.toml").write_text('select = "destructive"\n')
    assert find_config(tmp_path) == tmp_path / "schemagate.toml"
    settings, _ = load_config(None, tmp_path)
    assert settings.select == ("destructive",)


def test_a_pyproject_that_never_names_schemagate_is_not_read(tmp_path: Path) -> None:
    # Not even parsed: its TOML may be broken, it is another tool's business.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.ruff\n")
    assert find_config(tmp_path) is None
    assert load_config(None, tmp_path) == (Settings(), None)


def test_a_broken_pyproject_that_names_schemagate_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.schemagate\nselect = 'x'\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        find_config(tmp_path)


def test_a_section_spelled_with_an_escape_is_still_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool."\\u0073chemagate"]\nignore = ["rename-column"]\n')
    settings, path = load_config(None, tmp_path)
    assert path == tmp_path / "pyproject.toml"
    assert settings.ignore == ("rename-column",)


def test_typos_in_config_are_errors(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text('selct = ["drop-table"]\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(None, tmp_path)
    (tmp_path / "schemagate.toml").write_text('[transactions]\nflyway = "sometimes"\n')
    with pytest.raises(ConfigError, match="unknown mode"):
        load_config(None, tmp_path)


def test_select_ignore_by_id_alias_and_family() -> None:
    ids = {r.id for r in enabled_rules(with_settings(select=("destructive", "E6")))}
    assert "drop-table" in ids and "create-index-non-concurrently" in ids
    assert "rename-column" not in ids
    ids = {r.id for r in enabled_rules(with_settings(ignore=("ban-drop-column",)))}
    assert "drop-column" not in ids and "drop-table" in ids
    with pytest.raises(UnknownRuleError):
        enabled_rules(with_settings(select=("drop-tabel",)))


def test_severity_override_changes_findings(tmp_path: Path) -> None:
    settings = with_settings(severity={"drop-table": Severity.INFO})
    result = lint_sql(tmp_path, "DROP TABLE t;", settings=settings)
    assert [f.severity for f in result.active] == [Severity.INFO]
    assert result.exit_code(Severity.ERROR) == 0


def test_set_not_null_check_exemption_needs_pg12(tmp_path: Path) -> None:
    setup = ("ALTER TABLE u ADD CONSTRAINT nn CHECK (c IS NOT NULL) NOT VALID;\n"
             "ALTER TABLE u VALIDATE CONSTRAINT nn;\n")
    change = "ALTER TABLE u ALTER COLUMN c SET NOT NULL;\n"
    assert rules_of(lint_sql(tmp_path, setup, change)) == []
    old = lint_sql(tmp_path, setup, change, settings=with_settings(pg_version=11))
    assert rules_of(old) == [(1, "set-not-null")]


def test_not_valid_check_does_not_exempt_set_not_null(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "ALTER TABLE u ADD CONSTRAINT nn CHECK (c IS NOT NULL) NOT VALID;",
                      "ALTER TABLE u ALTER COLUMN c SET NOT NULL;")
    assert rules_of(result) == [(1, "set-not-null")]


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    result = lint_sql(tmp_path, "CREATE INDEX i ON t (a);")
    assert result.exit_code(Severity.ERROR) == 0
    assert result.exit_code(Severity.WARNING) == 1
    assert result.exit_code(None) == 0


@pytest.mark.parametrize(("sql", "rule", "old", "new"), [
    # A constant default rewrites the table only before PostgreSQL 11.
    ("ALTER TABLE u ADD COLUMN plan text DEFAULT 'free';", "add-column-rewrite", 10, 11),
    # DETACH ... CONCURRENTLY exists from 14: before, there is nothing better to suggest.
    ("ALTER TABLE m DETACH PARTITION m_2020;", "detach-partition-non-concurrently", 14, 13),
])
def test_pg_version_changes_verdicts(tmp_path: Path, sql: str, rule: str, old: int, new: int
                                     ) -> None:
    fires = rules_of(lint_sql(tmp_path, sql, settings=with_settings(pg_version=old)))
    silent = rules_of(lint_sql(tmp_path, sql, settings=with_settings(pg_version=new)))
    assert (1, rule) in fires and (1, rule) not in silent


def test_reindex_advice_depends_on_pg_version(tmp_path: Path) -> None:
    sql = "REINDEX TABLE users;"
    new = lint_sql(tmp_path, sql, settings=with_settings(pg_version=12)).active
    old = lint_sql(tmp_path, sql, settings=with_settings(pg_version=11)).active
    assert "CONCURRENTLY" in new[0].message and "< 12" in old[0].message


def test_volatility_comes_from_pg_proc() -> None:
    from schemagate.rules.volatility import builtin_volatility, function_volatility

    table = builtin_volatility()
    assert len(table) > 2000
    assert function_volatility("now") == "s" and function_volatility("CURRENT_TIMESTAMP") == "s"
    assert function_volatility("gen_random_uuid") == "v"
    assert function_volatility("clock_timestamp") == "v"
    assert function_volatility("lower") == "i"
    assert function_volatility("some_extension_function") == "v"


def test_fill_placeholders_and_allow_empty_are_read_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text("fill-placeholders = true\nallow-empty = true\n")
    settings, _ = load_config(None, tmp_path)
    assert settings.fill_placeholders and settings.allow_empty


def test_a_flag_setting_that_is_not_a_boolean_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text('allow-empty = "yes"\n')
    with pytest.raises(ConfigError, match="allow-empty must be true or false"):
        load_config(None, tmp_path)


def test_a_relative_cache_dir_is_relative_to_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text('cache-dir = ".schemagate_cache"\n')
    sub = tmp_path / "db"
    sub.mkdir()
    settings, _ = load_config(None, sub)
    assert settings.cache_dir == str(tmp_path / ".schemagate_cache")


def test_cache_must_be_true_or_false(tmp_path: Path) -> None:
    (tmp_path / "schemagate.toml").write_text('cache = "no"\n')
    with pytest.raises(ConfigError, match="cache must be true or false"):
        load_config(None, tmp_path)
