"""Usage and environment errors: one root, SchemagateError, printed by the CLI as one line."""

from __future__ import annotations

import pytest

from schemagate.diff.connect import DatabaseError
from schemagate.diff.execute import ScriptError
from schemagate.diff.targets import TargetError
from schemagate.lint.config import ConfigError
from schemagate.lint.engine import UnknownRuleError
from schemagate.model.errors import SchemagateError
from schemagate.parse.changes import ChangesError


@pytest.mark.parametrize("error", [ConfigError, UnknownRuleError, ChangesError, DatabaseError,
                                   ScriptError, TargetError])
def test_each_stage_error_is_a_schemagate_error(error: type[Exception]) -> None:
    assert issubclass(error, SchemagateError)


def test_an_unreachable_database_is_one_line_and_exit_code_2() -> None:
    from click.testing import CliRunner

    from schemagate.cli import main

    result = CliRunner().invoke(main, ["diff", "--from", "postgresql://nobody@127.0.0.1:9/x",
                                       "--to", "postgresql://nobody@127.0.0.1:9/y"])
    assert result.exit_code == 2
    assert result.stderr.startswith("schemagate: error: ") and result.stderr.count("\n") == 1
