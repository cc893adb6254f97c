"""A progress bar on standard error, for long runs at a terminal, and silence otherwise.

The stages know nothing of it: the CLI wraps the iterable it hands to parsing and passes a
callback to the lint engine. It draws only when the stream is a terminal (a CI log or a
pre-commit hook must not fill with carriage returns) and only once a run has lasted long
enough to be worth watching, so a one-file lint never flickers a bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")

DELAY = 0.5  # seconds before the bar first appears
INTERVAL = 0.08  # seconds between redraws at most


class Progress:
    """``progress(done, total)`` redraws the bar for ``label``; ``close()`` wipes it."""

    def __init__(self, label: str, *, stream: TextIO | None = None,
                 enabled: bool | None = None, width: int = 28) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _is_terminal(self.stream) and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self.label = label
        self.width = width
        # Block characters where the terminal speaks UTF-8, plain ASCII elsewhere.
        encoding = (getattr(self.stream, "encoding", None) or "").lower().replace("-", "")
        self.full, self.empty = ("█", "░") if encoding == "utf8" else ("#", "-")
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        now = time.monotonic()
        if now - self.started < DELAY or (now - self.last_draw < INTERVAL and done < total):
            return
        self.last_draw = now
        filled = int(self.width * min(done, total) / total)
        bar = self.full * filled + self.empty * (self.width - filled)
        self.stream.write(f"\r{self.label} {bar} {done}/{total}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def track(self, items: Iterable[T], total: int) -> Iterator[T]:
        """Yield ``items``, counting them on the bar."""
        for done, item in enumerate(items, start=1):
            yield item
            self(done, total)

    def relabel(self, label: str) -> None:
        self.label = label

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
