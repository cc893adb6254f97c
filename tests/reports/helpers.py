"""Shared inputs of the report tests: the mixed run (the examples plus the hostile fixture)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "reports"
HOSTILE = FIXTURES / "hostile"
# Three layouts of real migrations, and identifiers built to break every output format.
MIXED = ["examples/golang-migrate", "examples/dbmate", "examples/flyway",
         "tests/fixtures/reports/hostile"]
# The names in tests/fixtures/reports/hostile, as PostgreSQL reads them.
SCRIPT_TABLE = "<script>alert(1)</script>"
NEWLINE_TABLE = "line\nbreak"
IMG_VIEW = "v<img src=x onerror=alert(2)>"
STYLE_INDEX = "idx_</style><script>x</script>"
LINK_COLUMN = "](https://evil.example/x)"
WEIRD_COLUMN = 'we"ird`col|x'
REASON = 'kept in <b>archive</b> & "cold" storage @here'
