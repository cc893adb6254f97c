"""Run in a child process with the project's settings: Django's migrations, one step at a time.

The parent writes one JSON request a line on standard input and reads one JSON answer a line
on standard output, for the whole verify run, so that Django and the project load once:

- `{"action": "prepare", "keys": [[app, name], …]}` (the verified migrations): make Django's
  `django_migrations` table and apply, with their own dependencies, the migrations outside
  them that they depend on (`auth`, `contenttypes`, …, as Django's graph resolves swappable
  and `__first__` dependencies), so that the first migration's way back does not leave them
  behind. One that itself depends on a verified migration is left for later.
- `{"action": "up" | "down", "keys": [[app, name]]}`: apply or unapply exactly that one
  migration, as `MigrationExecutor` does for `manage.py migrate`, and nothing else: verify
  goes through the history in order, so whatever it needs is applied already.

Each answer is `{"ok": bool, "error": str, "environment": bool, "sent": [[sql, ms], …]}`,
`sent` being what Django's connection executed for the step. Stdlib and Django only: this
file runs under the project's settings, not schemagate's.
"""

import json
import sys
import time
import traceback


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the project prints stays off the answers' line
    try:
        import django

        django.setup()
    except Exception as exc:  # the project's settings or apps could not load
        answer = {"ok": False, "environment": True,
                  "error": f"Django could not start: {type(exc).__name__}: {exc}"}
        for _ in sys.stdin:
            out.write(json.dumps(answer) + "\n")
            out.flush()
        return 0
    for line in sys.stdin:
        request = json.loads(line)
        out.write(json.dumps(step(request["action"], [tuple(k) for k in request["keys"]]))
                  + "\n")
        out.flush()
    return 0


def step(action: str, keys: list[tuple[str, str]]) -> dict[str, object]:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.recorder import MigrationRecorder

    sent: list[list[object]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sent.append([str(sql), (time.perf_counter() - start) * 1000])

    try:
        if action == "prepare":
            MigrationRecorder(connection).ensure_schema()
            graph = MigrationExecutor(connection).loader.graph
            ours = {key for key in keys if key in graph.nodes}
            outside = [parent.key for key in keys if key in graph.node_map
                       for parent in sorted(graph.node_map[key].parents)
                       if parent.key not in ours]
            for key in dict.fromkeys(outside):
                if not ours & set(graph.forwards_plan(key)):
                    call_command("migrate", key[0], key[1], verbosity=0, interactive=False)
        else:
            executor = MigrationExecutor(connection)
            (key,) = keys
            migration = executor.loader.graph.nodes[key]
            with connection.execute_wrapper(record):
                executor.migrate(None, plan=[(migration, action == "down")])
    except Exception as exc:  # the migration failed: its error is the result
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}{where}", "sent": sent}
    return {"ok": True, "error": "", "sent": sent}


if __name__ == "__main__":
    raise SystemExit(main())
