"""Django: every app's `migrations/` folder, one history per project, ordered by its graph.

Names: a `.py` file in a folder named `migrations` whose name does not start with `_` or
`~` (Django's loader skips those) and whose text defines `class Migration(...)` with a base
ending in `Migration`. The app is the folder holding `migrations/`; its label is the folder
name unless the app's `apps.py` sets `label = "..."` in its AppConfig.
Versions: names do not compare. Django applies migrations in its plan over their graph:
`dependencies` (tuples of app label and migration name, `__first__` and `__latest__`
standing for the app's first and last migration), `run_before` (the reverse edge), and
squashes (`replaces`). On a fresh database, which is what a linter reasons about, Django
uses a squash in place of the migrations it replaces, and a dependency on a replaced
migration becomes one on the squash (`MigrationLoader.build_graph`). Every app found in
one discovery run belongs to one project, so one history; a dependency on an app outside
it (`auth`, `contenttypes`, `swappable_dependency(...)`) is on a migration the project
does not hold and is left out of the graph.
Up and down: both from the one file; the frontend reads each operation's reverse.
Transactions: each migration runs in one transaction unless it says `atomic = False`; the
frontend reads that line.

Discovery reads each migration with Python's own `ast` (stdlib): the graph needs the
`dependencies`, `run_before` and `replaces` lists, which are not in a fixed place.
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from schemagate.model.findings import Notice
from schemagate.model.migration import MigrationSource, Script
from schemagate.parse.layouts.listing import Found, Key

_MIGRATION_CLASS = re.compile(rb"^class\s+Migration\s*\(\s*[\w.]*Migration\s*\)\s*:",
                              re.MULTILINE)
_LABEL = re.compile(r"^\s+label\s*=\s*['\"](?P<label>[^'\"]+)['\"]", re.MULTILINE)
_SPECIAL = ("__first__", "__latest__")
# Where an app may give the label Django knows it by (`app_label`).
APPS_FILE = "apps.py"


@dataclass
class Entry:
    """One migration file as discovery reads it."""

    key: Key
    app: str
    name: str
    path: str  # as displayed
    app_folder: str  # absolute
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    run_before: list[tuple[str, str]] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)
    context_only: bool = False

    @property
    def id(self) -> str:
        return f"{self.app}.{self.name}"


def is_migration_name(name: str) -> bool:
    return name.endswith(".py") and name[0] not in "_~"


def read_entry(path: str, display: str, key: Key, app: str) -> Entry | None:
    """The migration in file `path`, or None when the file defines no Migration class."""
    with open(path, "rb") as file:
        data = file.read()
    if _MIGRATION_CLASS.search(data) is None:
        return None
    entry = Entry(key, app, os.path.basename(path)[: -len(".py")], display,
                  os.path.dirname(os.path.dirname(path)))
    try:
        tree = ast.parse(data, filename=display)
    except (SyntaxError, ValueError):
        # The frontend reports the syntax error with its position; the graph goes without.
        return entry
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            _read_class(node, entry)
    return entry


def _read_class(node: ast.ClassDef, entry: Entry) -> None:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if target.id in ("dependencies", "run_before", "replaces"):
            setattr(entry, target.id, _keys(value))


def _keys(value: ast.expr) -> list[tuple[str, str]]:
    """The literal (app, name) pairs of a list; calls (`swappable_dependency`) are left out."""
    if not isinstance(value, (ast.List, ast.Tuple)):
        return []
    out = []
    for item in value.elts:
        if isinstance(item, (ast.Tuple, ast.List)) and len(item.elts) == 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in item.elts):
            app, name = (e.value for e in item.elts if isinstance(e, ast.Constant))
            out.append((str(app), str(name)))
    return out


def app_label(app_folder: str) -> str:
    """The label Django knows the app by: `label` in its `apps.py`, else the folder name."""
    try:
        with open(os.path.join(app_folder, APPS_FILE), "rb") as file:
            text = file.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError:
        text = ""
    match = _LABEL.search(text)
    return match["label"] if match else os.path.basename(app_folder)


def project_folder(app_folders: list[str]) -> str:
    """The folder the apps share: the one holding them all."""
    parents = [os.path.dirname(folder) for folder in app_folders]
    return os.path.commonpath(parents) if parents else ""


@dataclass
class Graph:
    """One project's migrations, ordered as Django applies them on a fresh database."""

    found: list[Found]
    notices: list[Notice]


def history(entries: list[Entry], project: str) -> Graph:
    """Resolve each app's graph, swap squashes in, and order the project's migrations."""
    notices: list[Notice] = []
    by_id = {e.id: e for e in entries}
    apps: dict[str, list[Entry]] = {}
    for e in entries:
        apps.setdefault(e.app, []).append(e)
    # A fresh database: every squash replaces its members, whichever of them are on disk.
    replaced: dict[str, str] = {}
    for e in entries:
        if e.replaces:
            for app, name in e.replaces:
                replaced[f"{app}.{name}"] = e.id
    for squash in {s for s in replaced.values()}:
        members = [r for r, s in replaced.items() if s == squash and r in by_id]
        if members:
            notices.append(Notice(by_id[squash].path, f"squashed migration replaces "
                                  f"{len(members)} migration(s) on disk; Django runs the "
                                  "squash on a fresh database, so they are not linted"))
    live = [e for e in entries if e.id not in replaced]
    live_ids = {e.id for e in live}

    def target(app: str, name: str) -> str | None:
        """The live id a dependency means; None for an app outside the project."""
        if app not in apps:
            return None
        if name in _SPECIAL:
            # Django takes the first of the app's root or leaf nodes by name; makemigrations
            # numbers them, so the first and last names are those nodes.
            own = sorted(e for e in live_ids if e.startswith(app + "."))
            if not own:
                return None
            return own[0] if name == "__first__" else own[-1]
        ident = f"{app}.{name}"
        seen = set()
        while ident in replaced and ident not in seen:  # a squash of squashes
            seen.add(ident)
            ident = replaced[ident]
        return ident

    requires: dict[str, list[str]] = {e.id: [] for e in live}
    for e in live:
        for app, name in e.dependencies:
            dep = target(app, name)
            if dep is not None and dep != e.id and dep not in requires[e.id]:
                requires[e.id].append(dep)
    for e in live:
        for app, name in e.run_before:
            later = target(app, name)
            if later in requires and e.id not in requires[later]:
                requires[later].append(e.id)
    order = _order(live, requires)
    found = []
    for e in order:
        script = Script(e.path, "wrapped", "up")
        source = MigrationSource(
            e.name, "django", script, Script(e.path, "wrapped", "down"), version=e.id,
            context_only=e.context_only, requires=tuple(requires[e.id]), project=project,
            replaces=tuple(f"{app}.{name}" for app, name in e.replaces))
        found.append(Found(e.key, source))
    return Graph(found, notices)


def _order(live: list[Entry], requires: dict[str, list[str]]) -> list[Entry]:
    """The order `manage.py migrate` applies them in on a fresh database.

    Django's plan (`MigrationExecutor.migration_plan` for the leaf nodes) takes each app's
    leaf migrations sorted by (app label, name) and, for each, its ancestors depth first,
    parents in sorted order (`MigrationGraph.iterative_dfs`), skipping those already
    planned. So an app's migrations do not always run together, and a migration of an app
    sorted early can run before one of another app it does not depend on. A cycle, which
    Django refuses, leaves its members in file order (the history rules report it).
    """
    by_id = {e.id: e for e in live}
    key = {e.id: (e.app, e.name) for e in live}
    parents = {i: sorted((d for d in deps if d in by_id), key=key.__getitem__)
               for i, deps in requires.items()}
    has_child_in_app: set[str] = set()
    for ident, deps in parents.items():
        for dep in deps:
            if by_id[dep].app == by_id[ident].app:
                has_child_in_app.add(dep)
    leaves = sorted((i for i in by_id if i not in has_child_in_app), key=key.__getitem__)
    planned: list[str] = []
    done: set[str] = set()
    for leaf in leaves:
        expanded: set[str] = set()
        stack: list[tuple[str, bool]] = [(leaf, False)]
        while stack:
            node, processed = stack.pop()
            if node in done:
                continue
            if processed:
                done.add(node)
                planned.append(node)
            elif node not in expanded:  # seen again before it is planned: a cycle
                expanded.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in parents[node])
    return [by_id[i] for i in planned] + [e for e in live if e.id not in done]
