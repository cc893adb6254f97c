"""Where findings live, for the formats that CI systems read (SARIF, GitLab Code Quality).

The paths and fingerprints themselves are made in `lint.fingerprint`, where the baseline
(`lint --baseline`) shares them: one finding has one fingerprint in every format.
"""

from __future__ import annotations

from schemagate.lint.fingerprint import (
    FINGERPRINT_KEY,
    artifact_uri,
    file_uri,
    fingerprints,
    normalise_statement,
    relative_to_root,
    repository_root,
    uri_reference,
)

__all__ = ["FINGERPRINT_KEY", "artifact_uri", "file_uri", "fingerprints",
           "normalise_statement", "relative_to_root", "repository_root", "uri_reference"]
