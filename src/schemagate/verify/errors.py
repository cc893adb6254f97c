"""Why verify cannot do what it was asked: raised to the caller, printed as one line."""

from __future__ import annotations

from schemagate.model.errors import SchemagateError


class VerifyError(SchemagateError):
    """The input or the request cannot be verified (unparsable migrations, none found, an
    unreadable verify report); the message names the thing and the cause."""
