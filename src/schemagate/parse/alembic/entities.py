"""alembic_utils' `op.create_entity` / `op.replace_entity` / `op.drop_entity`, as SQL.

alembic_utils keeps functions, views, triggers, policies and extensions as Python objects
(`PGFunction(schema=…, signature=…, definition=…)`) and emits their DDL when a migration
passes one to `op.create_entity(…)`. The entity is usually a module-level constant, or built
in place; its arguments are read statically, like any other value here, and the DDL
alembic_utils would send is written out and parsed as PostgreSQL (findings point at the
call). Replacing a view or a function is `CREATE OR REPLACE`; replacing a materialized view,
a trigger or a policy is a drop and a create, as alembic_utils does it. An entity whose
class or arguments cannot be read gives None, and the caller reports the call as unmodelled.
"""

from __future__ import annotations

import libcst as cst

from schemagate.parse.alembic.eval import Env, dotted
from schemagate.parse.alembic.types import args_of

METHODS = frozenset({"create_entity", "replace_entity", "drop_entity"})

# Each class's constructor arguments, in order.
_PARAMETERS = {
    "PGFunction": ("schema", "signature", "definition"),
    "PGProcedure": ("schema", "signature", "definition"),
    "PGView": ("schema", "signature", "definition"),
    "PGMaterializedView": ("schema", "signature", "definition", "with_data"),
    "PGTrigger": ("schema", "signature", "on_entity", "definition"),
    "PGPolicy": ("schema", "signature", "on_entity", "definition"),
    "PGExtension": ("schema", "signature"),
}


def entity_sql(method: str, node: cst.Call, env: Env) -> str | None:
    """The SQL alembic_utils sends for `op.<method>(entity)`, or None when it is not known."""
    positional, keywords = args_of(node)
    arg = keywords.get("entity", positional[0] if positional else None)
    if arg is None:
        return None
    target = env.resolve_node(arg)
    if not isinstance(target, cst.Call):
        return None
    kind = dotted(target.func).rpartition(".")[2]
    names = _PARAMETERS.get(kind)
    if names is None:
        return None
    given, named = args_of(target)
    values: dict[str, str] = {}
    for name, value in [*zip(names, given, strict=False), *named.items()]:
        if name not in names or name == "with_data":  # is_constraint, with_data: no DDL text
            continue
        text = env.string(value)
        if text is None:
            return None
        values[name] = text.strip().rstrip(";")
    if not all(n in values for n in names if n != "with_data"):
        return None
    return _sql(kind, method, values)


def _sql(kind: str, method: str, v: dict[str, str]) -> str:
    name = f"{v['schema']}.{v['signature']}"
    if kind in ("PGFunction", "PGProcedure"):
        word = "FUNCTION" if kind == "PGFunction" else "PROCEDURE"
        if method == "drop_entity":
            return f"DROP {word} {name};"
        replace = " OR REPLACE" if method == "replace_entity" else ""
        return f"CREATE{replace} {word} {name} {v['definition']};"
    if kind == "PGView":
        if method == "drop_entity":
            return f"DROP VIEW {name};"
        replace = " OR REPLACE" if method == "replace_entity" else ""
        return f"CREATE{replace} VIEW {name} AS {v['definition']};"
    if kind == "PGExtension":
        if method == "drop_entity":
            return f'DROP EXTENSION "{v["signature"]}";'
        return f'CREATE EXTENSION IF NOT EXISTS "{v["signature"]}" WITH SCHEMA {v["schema"]};'
    if kind == "PGMaterializedView":
        drop = f"DROP MATERIALIZED VIEW {name};"
        create = f"CREATE MATERIALIZED VIEW {name} AS {v['definition']};"
    elif kind == "PGTrigger":
        drop = f"DROP TRIGGER {v['signature']} ON {v['on_entity']};"
        create = f"CREATE TRIGGER {v['signature']} {v['definition']};"
    else:  # PGPolicy
        drop = f"DROP POLICY {v['signature']} ON {v['on_entity']};"
        create = f"CREATE POLICY {v['signature']} ON {v['on_entity']} {v['definition']};"
    return {"create_entity": create, "drop_entity": drop}.get(method, f"{drop}\n{create}")
