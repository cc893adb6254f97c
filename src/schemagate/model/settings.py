"""Settings every stage may read, resolved from defaults, config file and command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemagate.model.findings import Severity
from schemagate.model.migration import TransactionMode

DEFAULT_PG_VERSION = 16


@dataclass(frozen=True)
class Settings:
    """What a run checks and how: from the command line, the config file and the defaults."""

    pg_version: int = DEFAULT_PG_VERSION
    dialect: str = "postgres"
    select: tuple[str, ...] = ()  # empty: every rule enabled by default
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = Severity.ERROR  # None: never fail
    severity: dict[str, Severity] = field(default_factory=dict)
    small_table_rows: int = 10_000
    require_reason: bool = False
    # Layout name ("golang-migrate", "sql", …) to the transaction mode that overrides discovery's.
    transactions: dict[str, TransactionMode] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    # Fill every template placeholder no variable names with a harmless identifier.
    fill_placeholders: bool = False
    # A path with no migrations is a notice, not an error (exit 2).
    allow_empty: bool = False
    cache: bool = True  # reuse parse results of unchanged files (parse/cache.py)
    cache_dir: str | None = None  # None: the user's cache folder
    baseline: str | None = None  # a baseline file (lint/baseline.py) whose findings lint hides
    # What `lint --fix` sets lock_timeout to where a migration sets none.
    lock_timeout: str = "2s"
    # How many processes may lint at once (lint/parallel.py); None: the CPUs available.
    # Not part of the settings' repr (the caches key on it): it never changes a finding.
    jobs: int | None = field(default=None, repr=False, compare=False)
    # SQL files `verify` runs on its scratch database before the first migration: what the
    # history takes for granted (a schema an installer creates). Never changes a finding.
    verify_setup: tuple[str, ...] = field(default=(), repr=False, compare=False)
