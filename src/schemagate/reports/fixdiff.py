"""The unified diff `lint --diff` prints: what `--fix` would change, file by file.

Read by a person before running `--fix`, or by `git apply`/`patch -p1` (paths carry the
`a/` and `b/` prefixes git uses; a file a fix would create comes from `/dev/null`). Files are
in path order, deterministic.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence


def render_fix_diff(paths: Sequence[str], before: Mapping[str, str | None],
                    after: Mapping[str, str]) -> str:
    """The unified diff from each path's text `before` (None: no such file) to `after`."""
    out: list[str] = []
    for path in paths:
        old = before.get(path)
        new = after[path]
        out.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{path}", tofile=f"b/{path}"))
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)
