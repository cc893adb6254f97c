"""The `schemagate` command and `python -m schemagate`.

A lint that nothing changed since it last ran is answered from its journal entry before
anything else is imported (`schemagate.replay`); every other command line goes to the click
commands in `schemagate.cli`, which record such an entry for the next run. Either way the
process ends through `console.leave`, which skips the interpreter's teardown when nothing
is left to finish.
"""

from __future__ import annotations

import sys
import time


def main(started_ns: int | None = None) -> None:
    """Run the command line in ``sys.argv``; ``started_ns``: when the run started, by the
    clock file times are set from (default: now, before anything is read; see replay's racy
    rule)."""
    started = time.time_ns() if started_ns is None else started_ns
    try:
        from schemagate.replay import replay

        request = replay(sys.argv[1:], started)  # exits when it answered
        from schemagate.cli import main as cli

        cli(obj=request)
    except SystemExit as done:
        from schemagate.console import leave

        leave(done.code)  # without tearing the interpreter down, when that is safe


if __name__ == "__main__":
    main()
