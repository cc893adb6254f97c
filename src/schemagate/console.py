"""A command's way out: its report written (to standard output, or to a file never left half
written), and its outcome turned into an exit code and at most one line on standard error.

The click commands use these, and so can code that runs before the command line is built
(click and its imports are a third of a warm lint's start-up): so this module imports
nothing of click until there is an error to print, nothing of the stages, and neither
pathlib nor tempfile.
"""

from __future__ import annotations

import os
import sys

from schemagate.model.errors import SchemagateError

# typing and collections.abc cost a start-up more than this module: for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, NoReturn

# A bug in schemagate, never the input's fault: a CI job can tell it from findings (1) and
# from bad input or usage (2).
EXIT_INTERNAL_ERROR = 3
# Standard output's reader went away: the shells' code for a program stopped by SIGPIPE.
EXIT_OUTPUT_CLOSED = 141


def write_output(text: str | bytes | Iterable[str], output: str | None) -> None:
    """Write to standard output, or to the file without ever leaving half a report.

    ``text`` is the report, or its pieces, written as they are made (a long run's report
    is never one string); or the report already encoded, as standard output's encoding or
    the file's UTF-8 makes it (see `encoded`). A regular file (or a new one) is
    replaced atomically, keeping its permissions. Anything else at the path (a symlink, a
    FIFO, /dev/null, /dev/stdout) is opened and written like any program would, never
    replaced.
    """
    binary = isinstance(text, bytes)
    pieces: Iterable[Any] = [text] if isinstance(text, str | bytes) else _batched(text)
    if not output or output == "-":
        stream: Any = sys.stdout
        if binary:
            stream.flush()
            stream = stream.buffer
        for piece in pieces:
            stream.write(piece)
        stream.flush()
        return
    target = pathlike(output)
    how: dict[str, Any] = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8"}
    try:
        if os.path.islink(target) or (os.path.exists(target) and not os.path.isfile(target)):
            with open(target, **how) as fh:
                fh.writelines(pieces)
            return
        folder = os.path.dirname(target) or "."
        os.makedirs(folder, exist_ok=True)
        mode = (os.stat(target).st_mode & 0o7777 if os.path.exists(target)
                else 0o666 & ~_umask())
        fd, tmp = _temporary(folder, os.path.basename(target))
        try:
            with os.fdopen(fd, **how) as fh:
                fh.writelines(pieces)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            try:  # noqa: SIM105 (contextlib is one more import at start-up)
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    except OSError as exc:
        raise SchemagateError(f"cannot write {output}: {exc.strerror or exc}") from None


def encoded(text: str, output: str | None) -> bytes | None:
    """The bytes `write_output` writes for ``text`` to ``output``: UTF-8 for a file, and
    standard output's own encoding (when it is UTF-8, whose encoder adds no mark at the start
    of a stream, and no newline is translated); None when they cannot be told in advance."""
    if output and output != "-":
        return text.encode("utf-8")
    stream = sys.stdout
    if (os.linesep != "\n" or (stream.encoding or "").lower().replace("-", "") != "utf8"
            or not hasattr(stream, "buffer")):
        return None
    return text.encode("utf-8", stream.errors or "strict")


def pathlike(path: str) -> str:
    """``path`` as `pathlib` spells it (``str(Path(path))``), without importing pathlib (a
    tenth of a warm start-up): repeated slashes and ``.`` parts dropped, a trailing slash too, so
    that ``-o out.json/`` still names the file ``out.json``. ``..`` is kept, as pathlib
    keeps it (the folder before it may be a link)."""
    if os.sep != "/" or os.altsep:  # another flavour of path: pathlib itself
        from pathlib import Path

        return str(Path(path))
    stripped = path.lstrip("/")
    # POSIX gives exactly two leading slashes a meaning of their own; pathlib keeps them.
    root = "//" if len(path) - len(stripped) == 2 else "/" if path != stripped else ""
    parts = [part for part in stripped.split("/") if part and part != "."]
    return root + "/".join(parts) if root or parts else "."


def _temporary(folder: str, name: str) -> tuple[int, str]:
    """A new file ``.NAME.XXXXXXXX`` in ``folder``, open for writing and readable by the
    user only (as `tempfile.mkstemp` makes it, without importing tempfile: its random,
    shutil, bz2 and lzma cost more than writing a warm run's report)."""
    for _ in range(100):
        path = os.path.join(folder, f".{name}.{os.urandom(6).hex()}")
        try:
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {folder}")


def _batched(pieces: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """The pieces joined into runs of about ``size`` characters: one write per run, not per
    finding."""
    run: list[str] = []
    held = 0
    for piece in pieces:
        run.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(run)
            run.clear()
            held = 0
    if run:
        yield "".join(run)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def run_command(debug: bool, body: Callable[[], int]) -> NoReturn:
    """Run a command's body and exit with its code: a `SchemagateError` is one line on
    standard error and exit 2, an interrupt exit 130, standard output closed by its reader
    a silent exit 141, anything else an internal error (exit 3, the traceback only with
    ``debug``)."""
    try:
        code = body()
    except SchemagateError as exc:
        _echo_error(f"schemagate: error: {exc}")
        code = 2
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError as exc:
        code = _output_closed() if _reader_gone() else _internal_error(exc, debug)
    except Exception as exc:  # the promise: no traceback unless --debug
        code = 130 if _interrupted(exc) else _internal_error(exc, debug)
    sys.exit(code)


def leave(status: str | int | None) -> NoReturn:
    """End the process with what the command gave `sys.exit` (its exit code).

    Python's own way out tears the interpreter down, freeing every module and object one by
    one: a sixth of a one-file lint (18 ms of 110 measured). When nothing is left to finish
    (no other thread running, no exit handler registered: no worker pool, embedded server
    or temporary folder to clean up), the process ends as soon as standard output and
    error are flushed, as mypy's does. Otherwise, or when a flush fails or the status is
    not a number, Python exits as usual and reports what it would have reported."""
    code = 0 if status is None else status
    if isinstance(code, int) and _nothing_to_finish():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        else:
            os._exit(code)
    sys.exit(status)


def _nothing_to_finish() -> bool:
    """No exit handler (`atexit`) is registered and no other thread is running. CPython
    counts the handlers in `atexit._ncallbacks`; elsewhere the answer is no."""
    import atexit

    handlers = getattr(atexit, "_ncallbacks", None)
    threading = sys.modules.get("threading")
    return (callable(handlers) and handlers() == 0
            and (threading is None or threading.active_count() == 1))


def _reader_gone() -> bool:
    """Whether what reads standard output has stopped reading (`schemagate lint | head`),
    rather than some other pipe breaking: the write end of a pipe whose reader has closed
    it polls as an error."""
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll(), or no file behind stdout
        return True


def _output_closed() -> int:
    """Stop quietly, as a program stopped by SIGPIPE: what was asked for is read no more.
    Standard output goes to /dev/null, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_OUTPUT_CLOSED


def _echo_error(message: str) -> None:
    import click  # only when there is something to say

    click.echo(message, err=True)


def _internal_error(exc: Exception, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    _echo_error(f"schemagate: internal error: {type(exc).__name__}: {exc} "
                + ("(please report it with the traceback above)" if debug else
                   "(run again with --debug for the traceback, and please report it)"))
    return EXIT_INTERNAL_ERROR


def _interrupted(exc: BaseException) -> bool:
    """Whether a signal's KeyboardInterrupt is behind the exception: Python wraps one raised
    while a class is being made (in `__set_name__`, during an import) in a RuntimeError."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False
