"""A plain SQL lint imports only what it needs: start-up is most of a pre-commit run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Libraries and stages a one-file SQL lint has no use for.
UNNEEDED = ("libcst", "networkx", "jinja2", "psycopg", "sqlglot", "schemagate.diff",
            "schemagate.verify", "schemagate.backup", "schemagate.graph.schema",
            "schemagate.reports.html", "schemagate.reports.sarif", "schemagate.reports.markdown",
            "schemagate.reports.impact", "schemagate.parse.alembic")

PROBE = """
import json, sys
from schemagate.cli import main
try:
    main(["lint", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_linting_one_sql_file_imports_no_library_it_does_not_use(tmp_path: Path) -> None:
    sql = tmp_path / "0001_add_plan.sql"
    sql.write_text("ALTER TABLE users ADD COLUMN plan text;\n"
                   "CREATE INDEX users_plan ON users (plan);\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE, str(sql)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    assert "create-index-non-concurrently" in done.stdout  # it did lint the file
    loaded = [m for m in report["modules"]
              if any(m == name or m.startswith(name + ".") for name in UNNEEDED)]
    assert loaded == []
