"""The HTML impact report: one self-contained page for a DBA.

Self-contained means the file works from an e-mail attachment on a machine with no network:
CSS and the dependency picture (SVG) are inline, there is no script, no web font and no image
from anywhere, and a Content-Security-Policy of `default-src 'none'` makes the browser refuse
any request that might slip in later. Every value comes through jinja2 with autoescaping on:
identifiers are data, and `<script>` as a table name stays text.
"""

from __future__ import annotations

from functools import cache

import jinja2

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
    )
    env.filters["bytes"] = human_bytes
    env.filters["rows"] = human_rows
    env.globals["STATUS_LABEL"] = STATUS_LABEL
    env.globals["plural"] = plural
    return env


def render_html(impact: Impact) -> str:
    return _environment().get_template("report.html.j2").render(r=impact)
