"""Find migrations and turn each kind of source into operations of the IR.

`layouts/` finds migrations on disk, one module per migration tool (stdlib-only: it runs on
every commit). `load` reads each script and hands it to its frontend, one package per kind
of source: `postgres/` (pglast), `sqlglot/` (MySQL/MariaDB, SQLite) and `alembic/` (Python
revisions, read with libcst), each meeting the contract in `frontend`. What frontends share
sits beside them: `source` (reading a file), `suppressions`, `transactions`, and `changes`
(which migrations a run reports).
"""
