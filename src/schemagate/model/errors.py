"""The root of every usage and environment error: what the command line prints as one line.

Bad options, an unknown rule, an unreachable database, a tool that cannot start: each stage
raises a subclass of `SchemagateError` whose message names the thing and the cause, and the
command wrapper catches the root once, prints the message and exits with code 2. Input
errors (a file that cannot be read or parsed) are not exceptions but data
(`model.findings.InputError`), reported with the findings; any other exception is a bug.
"""

from __future__ import annotations


class SchemagateError(Exception):
    """A problem the user can fix: printed as one line, exit code 2, no traceback."""
