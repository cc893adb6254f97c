"""The HTML impact report: one self-contained page for a DBA.

Self-contained means the file works from an e-mail attachment on a machine with no network:
CSS and the dependency picture (SVG) are inline, there is no script, no web font and no image
from anywhere, and a Content-Security-Policy of `default-src 'none'` makes the browser refuse
any request that might slip in later. Every value comes through jinja2 with autoescaping on:
identifiers are data, and `<script>` as a table name stays text.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import jinja2
import markupsafe

from schemagate.model.text import escape_controls
from schemagate.reports.graphview import STATUS_LABEL
from schemagate.reports.impact import Impact, human_bytes, human_rows, plural


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("schemagate.reports", "templates"),
        autoescape=True,  # every file, whatever its name: escaping is not optional here
        undefined=jinja2.StrictUndefined,  # a misspelt field fails the tests, not the DBA
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
    )
    env.filters["bytes"] = human_bytes
    env.filters["rows"] = human_rows
    env.globals["STATUS_LABEL"] = STATUS_LABEL
    env.globals["plural"] = plural
    return env


def _visible(value: Any) -> Any:
    """Every value the template prints, with control characters shown as escapes: a page
    saved and read with `less`, or a name copied to a terminal, must not carry an ESC.
    Line breaks and tabs stay: statements are shown as written, in <pre> blocks."""
    # isprintable() is false for every character escape_controls escapes (and for line
    # breaks): one C-level scan spares the regex for the plain names that make up most values.
    if not isinstance(value, str) or value.isprintable():
        return value
    escaped = escape_controls(value, keep="\n\r\t")
    return markupsafe.Markup(escaped) if isinstance(value, markupsafe.Markup) else escaped


def render_html(impact: Impact) -> str:
    return "".join(html_pieces(impact))


def html_pieces(impact: Impact) -> Iterator[str]:
    """The page, a piece at a time as the template makes it, to write as it comes: the page
    of a long migration is several times its size, and jinja2's `render` holds every piece
    of it at once before joining them (some 100 MB for a 5 MB migration)."""
    return _environment().get_template("report.html.j2").generate(r=impact)
