"""The import contracts in pyproject.toml hold: stages import only the stages below them,
and no package's modules import each other in a circle."""

from __future__ import annotations

from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@pytest.mark.parametrize("contract", ["stages", "no-circles"])
def test_the_import_contract_is_kept(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter.cli import lint_imports

    code = lint_imports(str(PYPROJECT), limit_to_contracts=(contract,), no_cache=True,
                        no_logo=True)
    assert code == 0, capsys.readouterr().out
