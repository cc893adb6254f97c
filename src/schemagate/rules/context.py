"""What a rule sees: the operation's statement, the schema just before it, and the settings."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, IndexKey, Table
from schemagate.model.findings import Suppression
from schemagate.model.migration import (
    DeferredMigration,
    ParsedMigration,
    ParsedScript,
    ParsedStatement,
    Script,
)
from schemagate.model.names import QName
from schemagate.model.settings import Settings
from schemagate.model.types import TypeRef

T = TypeVar("T")


@dataclass
class MigrationState:
    """What the current migration has done so far; new objects carry no locking risk."""

    # Every table is new to it: a Django squash of its app's first migrations, which Django
    # runs only where none of the migrations it replaces ran (the app never migrated: a new
    # database, whose tables hold no rows), and which a database that ran them never runs.
    fresh: bool = False
    new_tables: set[QName] = field(default_factory=set)
    new_columns: set[tuple[QName, str]] = field(default_factory=set)
    # Names the up path gave by renaming: a down path renaming them back restores, not breaks.
    renamed_tables: set[QName] = field(default_factory=set)
    renamed_columns: set[tuple[QName, str]] = field(default_factory=set)
    renamed_enum_values: set[tuple[QName, str]] = field(default_factory=set)
    # Columns the up path made NOT NULL, under every name the up path gave them (a down path
    # may undo the renames first and drop NOT NULL under the old name).
    up_not_null: set[tuple[QName, str]] = field(default_factory=set)
    # Columns the up path dropped: a down path adding them back restores what older code uses.
    up_dropped_columns: set[tuple[QName, str]] = field(default_factory=set)
    # The names a column had before the up path renamed it, by its current (table, name).
    former_names: dict[tuple[QName, str], set[str]] = field(default_factory=dict)
    # Rules that report once per script record it here: (rule id, the script), a script
    # being a file, or a section of one (a Liquibase changeset's).
    reported: set[tuple[str, Script]] = field(default_factory=set)
    # Statements (path, line) whose destructive finding a suppression acknowledged: the
    # data loss there was reviewed, so the reversibility summary does not repeat it.
    acknowledged_loss: set[tuple[str, int]] = field(default_factory=set)
    # Indexes and (table, constraint) pairs the up path created: on a table the history never
    # showed whole, these are the ones known not to have existed before.
    up_indexes: set[IndexKey] = field(default_factory=set)
    up_constraints: set[tuple[QName, str]] = field(default_factory=set)
    # The type a column had before this migration first changed it.
    old_types: dict[tuple[QName, str], TypeRef] = field(default_factory=dict)
    # What `RuleContext.per_script` computed, by (function, id of the script).
    script_facts: dict[tuple[Callable[..., Any], int], Any] = field(default_factory=dict)
    # The SETs of each script, per (script, setting): read once per script, so that asking
    # at every statement costs a binary search, not a rescan of what came before.
    setting_logs: dict[tuple[Script, str], SettingLog] = field(default_factory=dict)


def setting_is_on(value: str) -> bool:
    """Whether a timeout's value turns it on (anything but 0 or empty)."""
    return value.strip("'") not in ("0", "")


@dataclass
class SettingLog:
    """The `SET [LOCAL] name = …` statements of one script for one setting, in order."""

    indexes: list[int] = field(default_factory=list)  # statement indexes, ascending
    # For each: whether it was SET LOCAL, its transaction block, and whether the value is on
    # (anything but 0, empty or RESET).
    changes: list[tuple[bool, int | None, bool]] = field(default_factory=list)

    @classmethod
    def of(cls, script: ParsedScript, setting: str) -> SettingLog:
        log = cls()
        for st in script.statements:
            for op in st.ops:
                if isinstance(op, o.SetSetting) and op.name.lower() == setting:
                    on = op.value is not None and setting_is_on(op.value)
                    if log.indexes and log.indexes[-1] == st.index:
                        log.changes[-1] = (op.local, st.block, on)  # the statement's last SET
                    else:
                        log.indexes.append(st.index)
                        log.changes.append((op.local, st.block, on))
        return log

    def on_before(self, statement: ParsedStatement) -> bool | None:
        """Whether the SETs before the statement leave the setting on for it: the last one
        that still applies (SET lasts for the session, SET LOCAL for its transaction block);
        None when none does, and the session's own value stands."""
        for local, block, on in reversed(self.changes[:bisect_left(self.indexes,
                                                                   statement.index)]):
            if not local or (block is not None and block == statement.block):
                return on
        return None


@dataclass
class RuleContext:
    """What a rule knows about the operation it checks: the schema, the migration and the
    statement around it."""

    catalog: Catalog  # the schema just before the operation
    settings: Settings
    migration: ParsedMigration
    script: ParsedScript
    statement: ParsedStatement
    state: MigrationState
    direction: str = "up"
    # The migrations of this history, in the order they run (this one among them).
    history: Sequence[ParsedMigration | DeferredMigration] = ()
    # What `per_history` computed for this history, by key.
    history_facts: dict[object, Any] = field(default_factory=dict)

    def is_new(self, table: QName) -> bool:
        """True when the table was created earlier in this migration, or the migration runs
        only on a new database (`MigrationState.fresh`): it holds no data yet."""
        return self.state.fresh or table in self.state.new_tables

    def is_new_column(self, table: QName, column: str) -> bool:
        return self.state.fresh or table in self.state.new_tables or (
            table, column) in self.state.new_columns

    def undoes_rename(self, table: QName, column: str | None = None) -> bool:
        """True on a down path renaming back a table or column that the up path renamed."""
        if self.direction != "down":
            return False
        if column is None:
            return table in self.state.renamed_tables
        return (table, column) in self.state.renamed_columns

    def undoes_enum_rename(self, type_name: QName, value: str) -> bool:
        """True on a down path renaming back an enum value that the up path renamed."""
        return self.direction == "down" and (type_name, value) in self.state.renamed_enum_values

    def undoes_drop_column(self, table: QName, column: str) -> bool:
        """True on a down path adding back a column that the up path dropped."""
        return self.direction == "down" and (table, column) in self.state.up_dropped_columns

    def undoes_set_not_null(self, table: QName, column: str) -> bool:
        """True on a down path dropping a NOT NULL that the up path set."""
        return self.direction == "down" and (table, column) in self.state.up_not_null

    def table(self, name: QName) -> Table | None:
        return self.catalog.tables.get(name)

    def type_before(self, op: o.AlterColumnType) -> TypeRef | None:
        """The column's type before ``op`` changes it: as the source states it (Alembic's
        `existing_type`), else as the history left it; None when neither knows."""
        if op.old_type is not None:
            return op.old_type
        table = self.table(op.table)
        column = table.column(op.column) if table else None
        return column.type if column and column.type.name != "unknown" else None

    def following(self) -> ParsedMigration | DeferredMigration | None:
        """The migration that runs right after this one in its history, if any (not parsed
        yet, when the history streams: what discovery says of it is all there is)."""
        positions = self.per_history(RuleContext.following, self._positions)
        i = positions.get(id(self.migration.source))
        if i is None:
            return None
        return self.history[i + 1] if i + 1 < len(self.history) else None

    def _positions(self) -> dict[int, int]:
        """Where each migration stands in the history, by the identity of its source."""
        positions: dict[int, int] = {}
        for i, mig in enumerate(self.history):
            positions.setdefault(id(mig.source), i)
        return positions

    def per_history(self, key: object, build: Callable[[], T]) -> T:
        """What ``build`` makes of the history, made once per history (``key`` tells one
        fact from another): a rule asking at each migration would otherwise walk the whole
        history every time, which grew with the square of its length."""
        facts = self.history_facts
        if key not in facts:
            facts[key] = build()
        return cast(T, facts[key])

    def per_script(self, build: Callable[[ParsedScript], T]) -> T:
        """What ``build`` makes of the whole script, made once per script.

        A rule that looks at the statements before or after its own indexes them this way;
        scanning the script again for every statement made a long script quadratic.
        """
        key = (build, id(self.script))
        if key not in self.state.script_facts:
            self.state.script_facts[key] = build(self.script)
        return cast(T, self.state.script_facts[key])

    def dropped_later(self, table: QName) -> bool:
        """Whether a later statement of the script drops the table."""
        return self.per_script(_last_drops).get(table, -1) > self.statement.index

    def setting_on(self, setting: str) -> bool:
        """Whether `SET [LOCAL] setting` to a non-zero value ran earlier in this script and
        still applies to this statement."""
        key = (self.script.script, setting)
        log = self.state.setting_logs.get(key)
        if log is None:
            log = self.state.setting_logs[key] = SettingLog.of(self.script, setting)
        on = log.on_before(self.statement)
        if on is None:  # what the tool set on the connection before the migration
            values = [v for name, v in self.migration.source.session if name == setting]
            on = bool(values) and setting_is_on(values[-1])
        return on


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


class ScriptSuppressions(Protocol):
    """The suppressions of one script, as the engine matched them to findings."""

    def all(self) -> list[Suppression]: ...

    def unused(self, enabled: set[str]) -> list[tuple[Suppression, str]]: ...


def _last_drops(script: ParsedScript) -> dict[QName, int]:
    """For each table the script drops, the index of the last statement that drops it."""
    return {table: st.index for st in script.statements for x in st.ops
            if isinstance(x, o.DropTable) for table in x.tables}
