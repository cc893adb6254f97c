"""What a rule sees: the operation's statement, the schema just before it, and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from schemagate.model.catalog import Catalog, Table
from schemagate.model.migration import ParsedMigration, ParsedScript, ParsedStatement
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.types import TypeRef

T = TypeVar("T")


@dataclass
class MigrationState:
    """What the current migration has done so far; new objects carry no locking risk."""

    new_tables: set[QName] = field(default_factory=set)
    new_columns: set[tuple[QName, str]] = field(default_factory=set)
    # Names the up path gave by renaming: a down path renaming them back restores, not breaks.
    renamed_tables: set[QName] = field(default_factory=set)
    renamed_columns: set[tuple[QName, str]] = field(default_factory=set)
    # Rules that report once per script record it here: (rule id, path, section).
    reported: set[tuple[str, str, str | None]] = field(default_factory=set)
    # Statements (path, line) whose destructive finding a suppression acknowledged: the
    # data loss there was reviewed, so the reversibility summary does not repeat it.
    acknowledged_loss: set[tuple[str, int]] = field(default_factory=set)
    # Indexes and (table, constraint) pairs the up path created: on a table the history never
    # showed whole, these are the ones known not to have existed before.
    up_indexes: set[QName] = field(default_factory=set)
    up_constraints: set[tuple[QName, str]] = field(default_factory=set)
    # The type a column had before this migration first changed it.
    old_types: dict[tuple[QName, str], TypeRef] = field(default_factory=dict)
    # What `RuleContext.per_script` computed, by (function, id of the script).
    script_facts: dict[tuple[Callable[..., Any], int], Any] = field(default_factory=dict)


@dataclass
class RuleContext:
    catalog: Catalog  # the schema just before the operation
    settings: Settings
    migration: ParsedMigration
    script: ParsedScript
    statement: ParsedStatement
    state: MigrationState
    direction: str = "up"

    def is_new(self, table: QName) -> bool:
        """True when the table was created earlier in this migration: it holds no data yet."""
        return table in self.state.new_tables

    def is_new_column(self, table: QName, column: str) -> bool:
        return table in self.state.new_tables or (table, column) in self.state.new_columns

    def undoes_rename(self, table: QName, column: str | None = None) -> bool:
        """True on a down path renaming back a table or column that the up path renamed."""
        if self.direction != "down":
            return False
        if column is None:
            return table in self.state.renamed_tables
        return (table, column) in self.state.renamed_columns

    def table(self, name: QName) -> Table | None:
        return self.catalog.tables.get(name)

    def per_script(self, build: Callable[[ParsedScript], T]) -> T:
        """What ``build`` makes of the whole script, made once per script.

        A rule that looks at the statements before or after its own indexes them this way;
        scanning the script again for every statement made a long script quadratic.
        """
        key = (build, id(self.script))
        if key not in self.state.script_facts:
            self.state.script_facts[key] = build(self.script)
        return cast(T, self.state.script_facts[key])


@dataclass
class MigrationContext:
    """For migration-scope rules: the schema after the migration's up path; with a down
    path, also the schema before the migration and after up then down."""

    before: Catalog | None
    after: Catalog
    settings: Settings
    migration: ParsedMigration
    state: MigrationState = field(default_factory=MigrationState)
    after_down: Catalog | None = None
    # Whether this history has down migrations at all: a project that never writes them is
    # not told about each missing one.
    history_uses_down: bool = False
