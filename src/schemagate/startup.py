"""Start-up: keep the code that `dataclasses` generates for our classes, as Python keeps .pyc.

Making a dataclass writes the source of its `__init__`, `__repr__`, `__eq__`, `__hash__` (and,
frozen, `__setattr__` and `__delattr__`) and compiles each one. schemagate defines over a
hundred dataclasses, and compiling those few hundred small functions was a third of a
one-file `schemagate lint` (about 35 ms of 0.14 s on Python 3.11). The code a text compiles
to never changes, so it is kept beside the bytecode, in files per interpreter, and the
`compile` is skipped on the next run. The class, and every function it gets, is exactly what
`dataclasses` makes on its own: only the text -> code step is remembered.

The code is kept per module, in a file named after it (`__pycache__/dataclass-code.<tag>/
schemagate.model.ops.marshal`), read when that module makes its first dataclass: a run
reads the code of the modules it imports and no other (one table for every command's
classes, read by every run, had grown to 1.3 MB and 5 ms of a one-file lint). A file also
records its module's source size and modification time, as a .pyc does, so that the code
of an edited or upgraded module is made again rather than kept beside the new.

Like Python's own bytecode cache it is written only where Python would write bytecode
(not under PYTHONDONTWRITEBYTECODE, nor where the folder is read-only: then nothing is
kept), it is read as trusted as a .pyc in the same folder is, and it has nothing to do with
the parse cache (`--no-cache`): it depends on schemagate's code, never on the input.
"""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

# Only our own classes: a user's dataclasses (made while `diff` imports their models) are
# theirs to compile.
_OURS = "schemagate."
# More entries than a module has functions means something else is filling the file.
_MAX_ENTRIES = 1024
_CACHE_DIR = (Path(__file__).resolve().parent / "__pycache__"
              / f"dataclass-code.{sys.implementation.cache_tag}")

# What a module's source was when its code was kept: (size, mtime in ns), None if unknown.
Stamp = tuple[int, int] | None


def _stamp(source_file: object) -> Stamp:
    if not isinstance(source_file, str):
        return None
    try:
        info = os.stat(source_file)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _read(path: Path, stamp: Stamp) -> dict[str, CodeType]:
    """The kept code, or nothing when the file is missing, torn, from another Python or
    from another version of the module's source."""
    try:
        data = path.read_bytes()
        version, kept_stamp, table = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if version != sys.version or kept_stamp != stamp or not isinstance(table, dict):
        return {}
    return {text: code for text, code in table.items()
            if isinstance(text, str) and isinstance(code, CodeType)}


def _write(path: Path, stamp: Stamp, table: Mapping[str, CodeType]) -> None:
    """Replace the file in one step, so a concurrent run reads the old table or the new one."""
    if sys.dont_write_bytecode or len(table) > _MAX_ENTRIES:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(marshal.dumps((sys.version, stamp, dict(table))))
        os.replace(temporary, path)
    except OSError:  # a read-only install: start-up stays as it was
        temporary.unlink(missing_ok=True)


class _Kept:
    """One module's kept code: as read, and what this run compiled anew."""

    __slots__ = ("read", "stamp", "table")

    def __init__(self, stamp: Stamp, table: dict[str, CodeType]) -> None:
        self.stamp, self.table, self.read = stamp, table, len(table)


@contextmanager
def kept_dataclass_code(folder: Path = _CACHE_DIR) -> Iterator[None]:
    """While inside, dataclasses of schemagate's modules reuse the code kept from earlier
    runs; on leaving, what was compiled anew is kept for the next run."""
    modules: dict[str, _Kept] = {}

    def kept_of(name: str, globals: dict[str, Any]) -> _Kept:
        kept = modules.get(name)
        if kept is None:
            stamp = _stamp(globals.get("__file__"))
            kept = modules[name] = _Kept(stamp, _read(folder / f"{name}.marshal", stamp))
        return kept

    def exec_kept(source: Any, globals: Any = None, locals: Any = None) -> None:
        # `dataclasses` calls exec(text, module globals, namespace) for every method it makes.
        if isinstance(source, str) and isinstance(globals, dict):
            name = str(globals.get("__name__", ""))
            if name.startswith(_OURS):
                table = kept_of(name, globals).table
                code = table.get(source)
                if code is None:
                    code = table[source] = compile(source, "<string>", "exec")
                source = code
        builtins.exec(source, globals, locals)

    # A global of the module shadows the builtin for the functions of `dataclasses` alone.
    namespace = vars(dataclasses)
    shadowed = namespace.get("exec")
    namespace["exec"] = exec_kept
    try:
        yield
    finally:
        if shadowed is None:
            namespace.pop("exec", None)
        else:
            namespace["exec"] = shadowed
        for name, kept in modules.items():
            if len(kept.table) > kept.read:
                _write(folder / f"{name}.marshal", kept.stamp, kept.table)
