"""A plain SQL lint imports only what it needs, and makes its classes from kept code:
start-up is most of a pre-commit run."""

from __future__ import annotations

import dataclasses
import json
import marshal
import subprocess
import sys
import types
from pathlib import Path

import pytest

from schemagate.startup import kept_dataclass_code

# Libraries and stages a one-file SQL lint has no use for.
UNNEEDED = ("libcst", "networkx", "jinja2", "psycopg", "sqlglot", "schemagate.diff",
            "schemagate.verify", "schemagate.backup", "schemagate.graph.schema",
            "schemagate.reports.html", "schemagate.reports.sarif", "schemagate.reports.markdown",
            "schemagate.reports.impact", "schemagate.parse.alembic",
            # git runs only for --changed-since; tracebacks only for --debug
            "subprocess", "traceback",
            # pglast's Python AST and enums: the frontend reads its JSON (decimal comes with
            # pglast.ast)
            "pglast.enums.nodes", "pglast.enums.parsenodes", "decimal",
            # read only when a default calls a function
            "importlib.resources",
            # a pool is started only for several histories (lint/parallel.py)
            "multiprocessing", "concurrent.futures", "schemagate.lint.parallel",
            # the project's pyproject.toml does not configure schemagate: not parsed
            "tomllib",
            # layouts whose sign (parse/layouts/signs.py) a folder of plain SQL lacks
            "schemagate.parse.layouts.alembic", "schemagate.parse.layouts.django",
            "schemagate.parse.layouts.liquibase", "schemagate.parse.layouts.sqitch",
            "schemagate.parse.layouts.goose", "schemagate.parse.layouts.sql_migrate")
# ... and, with the parse cache off, nothing of the cache either.
UNNEEDED_UNCACHED = ("schemagate.parse.cache", "platformdirs", "pickle", "hmac", "tempfile",
                     "shutil")

PROBE = """
import json, sys
from schemagate.cli import main
try:
    main(["lint", *sys.argv[1:]])
except SystemExit as exc:
    code = exc.code
lazy = [name for name, module in sys.modules.items() if type(module).__name__ == "_LazyModule"]
print(json.dumps({"code": code, "modules": sorted(sys.modules), "lazy": sorted(lazy)}))
"""


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_linting_one_sql_file_imports_no_library_it_does_not_use(tmp_path: Path,
                                                                  cache: bool) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n", encoding="utf-8")
    sql = tmp_path / "0001_add_plan.sql"
    sql.write_text("ALTER TABLE users ADD COLUMN plan text;\n"
                   "CREATE INDEX users_plan ON users (plan);\n", encoding="utf-8")
    args = [str(sql)] if cache else [str(sql), "--no-cache"]
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True,
                          env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": ""})
    report = json.loads(done.stdout.splitlines()[-1])
    assert "create-index-non-concurrently" in done.stdout  # it did lint the file
    unneeded = UNNEEDED if cache else UNNEEDED + UNNEEDED_UNCACHED
    loaded = [m for m in report["modules"]
              if any(m == name or m.startswith(name + ".") for name in unneeded)]
    assert loaded == []
    # pglast's parser imported its AST modules, which stayed unrun
    assert set(report["lazy"]) == {"pglast.ast", "pglast.enums"}


# A class of a module of ours: the kept code is for schemagate's classes only.
CLASS_SOURCE = """
from dataclasses import dataclass, field

@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    label: str = field(default="", compare=False)
"""


def _make_point(module_name: str) -> type:
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module  # dataclasses reads the module's globals from here
    try:
        exec(compile(CLASS_SOURCE, f"<{module_name}>", "exec"), module.__dict__)
    finally:
        del sys.modules[module_name]
    point: type = module.Point
    return point


def _kept(folder: Path, module: str = "schemagate._probe") -> dict[str, types.CodeType]:
    version, stamp, table = marshal.loads((folder / f"{module}.marshal").read_bytes())
    assert version == sys.version and stamp is None  # the probe module has no source file
    assert isinstance(table, dict)
    return table


def test_dataclass_code_is_kept_and_the_classes_behave_as_dataclasses_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    kept = tmp_path / "__pycache__" / "dataclass-code"
    plain = _make_point("schemagate._probe_plain")
    with kept_dataclass_code(kept):
        first = _make_point("schemagate._probe")
    table = _kept(kept)
    # __init__, __repr__, __eq__, __hash__, __setattr__, __delattr__ (one text each before
    # Python 3.13, one for all after)
    assert table and all(any(name in text for text in table)
                         for name in ("__init__", "__repr__", "__eq__", "__setattr__"))
    with kept_dataclass_code(kept):
        second = _make_point("schemagate._probe")
    assert "exec" not in vars(dataclasses)  # the builtin is back
    for made in (first, second):
        a, b = made(1, 2, "a"), made(1, 2, "b")
        assert a == b and hash(a) == hash(b)  # label takes no part in equality
        assert repr(a) == "Point(x=1, y=2, label='a')" == repr(plain(1, 2, "a"))
        assert made(1) == made(1, 0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.x = 3  # type: ignore[attr-defined]
        assert dataclasses.replace(a, y=5) == made(1, 5)
        assert [f.name for f in dataclasses.fields(made)] == ["x", "y", "label"]


def test_the_kept_code_is_what_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run compiles nothing: the code it uses is the one read from the file (here a
    planted __repr__ that says so)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    kept = tmp_path / "dataclass-code"
    with kept_dataclass_code(kept):
        _make_point("schemagate._probe")
    table = _kept(kept)
    [repr_text] = [text for text in table if "__repr__" in text]
    planted = repr_text.replace("self.__class__.__qualname__", "'kept'")
    assert planted != repr_text
    table[repr_text] = compile(planted, "<string>", "exec")
    (kept / "schemagate._probe.marshal").write_bytes(marshal.dumps((sys.version, None, table)))
    with kept_dataclass_code(kept):
        point = _make_point("schemagate._probe")
    assert repr(point(1)) == "kept(x=1, y=0, label='')"


def test_only_our_classes_are_kept_and_nothing_under_dont_write_bytecode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "dataclass-code"
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    with kept_dataclass_code(kept):
        theirs = _make_point("users_models")
    assert theirs(1) == theirs(1, 0)
    assert not kept.exists()  # nothing of ours was made: nothing to keep
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    with kept_dataclass_code(kept):
        _make_point("schemagate._probe")
    assert not kept.exists()


@pytest.mark.parametrize("content", [b"", b"\x00garbage", marshal.dumps(("2.7", None, {})),
                                     marshal.dumps((sys.version, None, ["not", "a", "table"])),
                                     marshal.dumps((sys.version, (1, 2), {"x": None}))],
                         ids=["empty", "torn", "other-python", "wrong-shape", "other-source"])
def test_a_bad_kept_file_is_ignored_and_replaced(tmp_path: Path, content: bytes,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    kept = tmp_path / "dataclass-code"
    kept.mkdir()
    (kept / "schemagate._probe.marshal").write_bytes(content)
    with kept_dataclass_code(kept):
        point = _make_point("schemagate._probe")
    assert point(1, 2) == point(1, 2) and repr(point(1)) == "Point(x=1, y=0, label='')"
    assert _kept(kept)  # rewritten whole


def test_the_code_of_an_edited_module_is_made_again_and_each_module_keeps_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tmp_path / "probe.py"
    source.write_text(CLASS_SOURCE, encoding="utf-8")
    kept = tmp_path / "dataclass-code"

    def make(name: str) -> type:
        module = types.ModuleType(name)
        module.__file__ = str(source)
        sys.modules[name] = module
        try:
            exec(compile(source.read_text(encoding="utf-8"), str(source), "exec"),
                 module.__dict__)
        finally:
            del sys.modules[name]
        point: type = module.Point
        return point

    with kept_dataclass_code(kept):
        make("schemagate._probe_a")
        _make_point("schemagate._probe")
    assert sorted(p.name for p in kept.iterdir()) == [
        "schemagate._probe.marshal", "schemagate._probe_a.marshal"]
    path = kept / "schemagate._probe_a.marshal"
    version, stamp, table = marshal.loads(path.read_bytes())
    assert stamp == (source.stat().st_size, source.stat().st_mtime_ns)
    # Plant a __repr__ in the kept code, then edit the module: the planted code is not used.
    [repr_text] = [text for text in table if "__repr__" in text]
    table[repr_text] = compile(repr_text.replace("self.__class__.__qualname__", "'kept'"),
                               "<string>", "exec")
    path.write_bytes(marshal.dumps((version, stamp, table)))
    with kept_dataclass_code(kept):
        assert repr(make("schemagate._probe_a")(1)) == "kept(x=1, y=0, label='')"
    source.write_text(CLASS_SOURCE + "\n# edited\n", encoding="utf-8")
    with kept_dataclass_code(kept):
        assert repr(make("schemagate._probe_a")(1)) == "Point(x=1, y=0, label='')"
    assert marshal.loads(path.read_bytes())[1] == (source.stat().st_size,
                                                   source.stat().st_mtime_ns)
