"""Start-up: keep the code that `dataclasses` generates for our classes, as Python keeps .pyc.

Making a dataclass writes the source of its `__init__`, `__repr__`, `__eq__`, `__hash__` (and,
frozen, `__setattr__` and `__delattr__`) and compiles each one. schemagate defines over a
hundred dataclasses, and compiling those few hundred small functions was a third of a
one-file `schemagate lint` (about 35 ms of 0.14 s on Python 3.11). The code a text compiles
to never changes, so it is kept beside the bytecode in a file per interpreter, and the
`compile` is skipped on the next run. The class, and every function it gets, is exactly what
`dataclasses` makes on its own: only the text -> code step is remembered.

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
# More entries than schemagate has functions means something else is filling the file.
_MAX_ENTRIES = 4096
_CACHE_FILE = (Path(__file__).resolve().parent / "__pycache__"
               / f"dataclass-code.{sys.implementation.cache_tag}.marshal")


def _read(path: Path) -> dict[str, CodeType]:
    """The kept code, or nothing when the file is missing, torn, or from another Python."""
    try:
        data = path.read_bytes()
        version, table = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if version != sys.version or not isinstance(table, dict):
        return {}
    return {text: code for text, code in table.items()
            if isinstance(text, str) and isinstance(code, CodeType)}


def _write(path: Path, table: Mapping[str, CodeType]) -> None:
    """Replace the file in one step, so a concurrent run reads the old table or the new one."""
    if sys.dont_write_bytecode or len(table) > _MAX_ENTRIES:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        temporary.write_bytes(marshal.dumps((sys.version, dict(table))))
        os.replace(temporary, path)
    except OSError:  # a read-only install: start-up stays as it was
        temporary.unlink(missing_ok=True)


@contextmanager
def kept_dataclass_code(path: Path = _CACHE_FILE) -> Iterator[None]:
    """While inside, dataclasses of schemagate's modules reuse the code kept from earlier
    runs; on leaving, what was compiled anew is kept for the next run."""
    table = _read(path)
    before = len(table)

    def exec_kept(source: Any, globals: Any = None, locals: Any = None) -> None:
        # `dataclasses` calls exec(text, module globals, namespace) for every method it makes.
        if (isinstance(source, str) and isinstance(globals, dict)
                and str(globals.get("__name__", "")).startswith(_OURS)):
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
        if len(table) > before:
            _write(path, table)
