"""Migrations as discovery finds them and as the frontends parse them."""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

from schemagate.model.findings import InputError, Suppression
from schemagate.model.pickling import pickle_by_fields
from schemagate.model.span import Span

if TYPE_CHECKING:  # only an annotation: discovery and a cached lint need none of ops
    from schemagate.model.ops import Operation

Layout = Literal[
    "sql", "golang-migrate", "flyway", "dbmate", "goose", "sql-migrate", "sqitch", "liquibase",
    "prisma", "diesel", "alembic", "popx", "django", "drizzle", "sqlx",
]

# How the migration tool sends a script to PostgreSQL:
# - "autocommit": statement by statement, each its own transaction unless the script says BEGIN
#   (psql, plain .sql files);
# - "wrapped": the tool runs the whole script inside BEGIN ... COMMIT (dbmate, Flyway, Alembic);
# - "implicit": the whole file as one multi-statement query, which PostgreSQL runs as one
#   implicit transaction when it holds more than one statement (golang-migrate, Prisma,
#   popx's `.autocommit.` files);
# - "detected": "wrapped", unless a statement must run outside a transaction: then the whole
#   script runs statement by statement, as "autocommit" (Flyway on PostgreSQL decides so for
#   each migration from its statements). The parser resolves it to one of the others.
TransactionMode = Literal["autocommit", "wrapped", "implicit", "detected"]


@dataclass(frozen=True, slots=True)
class Script:
    """One direction of a migration: a file, or a section of one (dbmate, goose,
    sql-migrate)."""

    path: str
    transaction: TransactionMode = "autocommit"
    # dbmate, goose, sql-migrate: which section of the file (`parse.sections`)
    section: Literal["up", "down"] | None = None
    # Liquibase: the changeset (`author:id`) of the file whose section this is.
    part: str | None = None


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """A migration found on disk: its identity, order and up/down scripts."""

    name: str
    layout: Layout
    up: Script | None
    down: Script | None = None
    version: str | None = None
    repeatable: bool = False  # Flyway R__ scripts: applied after versioned ones, on change
    dialect: str = "postgres"
    # Named for a tool the project does not run them with: `N_x.up.sql` files that the
    # project's own Go code names (Shiori's migrator reads them one by one). What that tool
    # alone would refuse (a duplicate version) is not claimed of them.
    own_runner: bool = False
    # Found only as context for the files named: the other revisions of an Alembic history
    # that a named revision needs to be placed and folded. Folded, never reported.
    context_only: bool = False
    # Django: the migrations this one runs after ("app_label.name"), resolved by discovery
    # across apps (`__first__`, `__latest__`, `run_before`, squashes); and the project
    # folder whose apps make one history.
    requires: tuple[str, ...] = ()
    project: str | None = None
    # Django: the migrations a squash replaces ("app_label.name"), which a database migrated
    # before the squash existed has recorded instead of it.
    replaces: tuple[str, ...] = ()
    # The run of migrations whose downs undo their ups together, when a tool's down files
    # do not pair one to one with its ups (popx: the downs of a run of versions, newest
    # first, undo all of the run's ups). Consecutive migrations sharing it are one unit of
    # rollback; None: the migration is undone by its own down.
    rollback_unit: str | None = None
    # What the tool's environment sets on the connection before the migration runs, as
    # (setting, value) in order (Alembic: the `SET`s env.py executes): in force from the
    # migration's first statement until a SET of its own changes it.
    session: tuple[tuple[str, str], ...] = ()
    # Alembic: a constraint the migration leaves unnamed may be named at run time, by a
    # naming convention on env.py's `target_metadata` (or env.py cannot be read), rather
    # than by the database's default.
    run_time_names: bool = False
    # Its place in the list its folder's own manifest gives (Temporal's and Cadence's
    # `manifest.json`), which orders the folder's files instead of their names.
    position: int | None = None

    @property
    def folder(self) -> str:
        """The folder its script is in ("" for a migration with none)."""
        script = self.up or self.down
        return posixpath.dirname(script.path) if script is not None else ""

    @property
    def history(self) -> str:
        """The folder of the history this migration belongs to.

        Each history is folded on its own schema: two projects linted in one run must not
        see each other's tables. Prisma and diesel keep one folder per migration, so their
        history is the folder above.
        """
        if self.project is not None:
            return self.project
        script = self.up or self.down
        if script is None:
            return ""
        per_folder = self.layout in ("prisma", "diesel") or posixpath.basename(
            script.path) in ("up.sql", "down.sql", "migration.sql")
        return posixpath.dirname(self.folder) if per_folder else self.folder


@dataclass(frozen=True, slots=True)
class PyLines:
    """A Python migration's statement as whole lines, where a fix may rewrite it in place:
    a call alone on its lines, directly in `upgrade()`/`downgrade()` or directly in a
    `with op.get_context().autocommit_block():` there. The frontend finds it with libcst,
    so that a fix needs neither the file nor a second parse."""

    line: int  # its first line
    text: str  # its lines as written, from column 1 through the last line's newline
    indent: str  # what stands before it on its first line
    unit: str  # one level of indentation as the module writes it
    newline: str  # the module's newline
    autocommit: bool = False  # inside `autocommit_block()`


@dataclass(frozen=True, slots=True)
class PyInsert:
    """A line of a Python migration before which a fix may put a new statement: the first
    of `upgrade()`'s body after its docstring, or the first element of Django's
    `operations` list."""

    line: int  # the new text goes at column 1 of this line
    indent: str
    newline: str
    name: str  # the name the module binds `alembic.op` (or `django.db.migrations`) to
    # Not a line of its own: the new text goes at `column` of `line`, before an element
    # that shares its line with the list's bracket (`operations = [migrations.X(…)]`).
    column: int = 1
    inline: bool = False


@dataclass(frozen=True, slots=True)
class DjangoSite:
    """What a fix to a Django migration's class needs: where `atomic` is or would go,
    where an import would go, and the operations it holds (by name)."""

    operations: tuple[str, ...]  # the callees' last names; a RunSQL of only SETs as "RunSQL:SET"
    atomic: Span | None  # the value of `atomic = …` in the class, if written
    atomic_value: str | None  # that value as written
    class_insert: PyInsert | None  # before the class body's first statement after a docstring
    import_line: int  # where a new import goes: after the module's last top-level import
    postgres_imports: frozenset[str] = frozenset()  # names imported from
    # django.contrib.postgres.operations already


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One statement with its operations and whether it runs inside a transaction."""

    index: int
    sql: str
    ops: tuple[Operation, ...]
    in_transaction: bool
    # Which transaction block of the script the statement runs in (statements sharing a
    # number share a transaction); None outside any. Frontends that only know
    # `in_transaction` may leave it None: `block` then puts them all in block 0.
    transaction: int | None = None
    # Identifiers over 63 bytes as written: PostgreSQL's scanner truncates them before the
    # parse tree exists, so the frontend records them from the tokens.
    long_identifiers: tuple[str, ...] = ()
    # Where each of them is written in the file (within a Python string, for SQL that a
    # Python migration runs), when the frontend knows.
    long_identifier_spans: tuple[Span, ...] = ()
    # What follows the text in the file up to the end of its line, when that is only the
    # statement's `;` and blanks (the newline included), else up to its `;`: a fix that
    # removes the statement removes this too. Empty when the frontend cannot tell.
    tail: str = ""
    # A Python migration's call as whole lines, where a fix may rewrite it (`PyLines`).
    lines: PyLines | None = None
    # A statement written in a helper function that the migration function calls: that call
    # (the outermost, for a helper called by a helper). A suppression comment on it, or
    # above it, governs the helper's first statement, as if the call were the statement.
    site: Span | None = None
    # Each operation is a statement of its own, sent one after the other: a Django
    # operation's (the schema editor sends one SQL statement per change). Otherwise the
    # operations are one statement's parts (an ALTER TABLE's actions), run as one.
    separate_ops: bool = False

    @property
    def block(self) -> int | None:
        if self.transaction is not None:
            return self.transaction
        return 0 if self.in_transaction else None


class StatementStream(Sequence[ParsedStatement]):
    """A long script's statements, parsed again a piece at a time whenever they are read.

    A parsed statement (its operations, spans and text) takes some 30 times the bytes of its
    SQL, so a generated script of tens of megabytes held parsed whole would take the better
    part of a gigabyte. The frontend parses such a script once to learn how many statements
    each of its pieces holds (and what they need from each other, such as transaction
    blocks), then hands this sequence out: reading it parses the pieces it reaches, and
    keeps only the last few. Every read yields equal statements, and a statement read twice
    in a row is the same object, but a consumer that keeps statements keeps their memory.
    """

    # The pieces kept parsed: a rule looking a little ahead of the statement being linted
    # (the end of its transaction), and the engine's own place, are each served by one.
    KEPT = 2

    __slots__ = ("_count", "_firsts", "_kept", "_load")

    def __init__(self, load: Callable[[int], list[ParsedStatement]], counts: Sequence[int]
                 ) -> None:
        self._load = load  # piece number -> its statements
        firsts, total = [], 0
        for count in counts:
            firsts.append(total)
            total += count
        self._firsts = firsts
        self._count = total
        self._kept: dict[int, list[ParsedStatement]] = {}

    def piece(self, k: int) -> list[ParsedStatement]:
        kept = self._kept.get(k)
        if kept is None:
            kept = self._load(k)
            if len(self._kept) >= self.KEPT:
                del self._kept[next(iter(self._kept))]
        else:
            del self._kept[k]  # the most recently used is kept longest
        self._kept[k] = kept
        return kept

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ParsedStatement]:
        for k in range(len(self._firsts)):
            yield from self.piece(k)

    def iter_from(self, start: int, stop: int) -> Iterator[ParsedStatement]:
        """Statements start..stop-1, parsing only the pieces that hold them."""
        if start >= stop:
            return
        k = bisect.bisect_right(self._firsts, start) - 1
        while k < len(self._firsts) and self._firsts[k] < stop:
            first = self._firsts[k]
            yield from self.piece(k)[max(start - first, 0):stop - first]
            k += 1

    @overload
    def __getitem__(self, index: int) -> ParsedStatement: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ParsedStatement]: ...

    def __getitem__(self, index: int | slice) -> ParsedStatement | Sequence[ParsedStatement]:
        return _StreamSlice(self, 0, self._count)[index]

    def at(self, index: int) -> ParsedStatement:
        """Statement ``index`` (0 <= index < len), parsing the piece that holds it."""
        k = bisect.bisect_right(self._firsts, index) - 1
        return self.piece(k)[index - self._firsts[k]]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the list it reads as (the parse cache admits no script this long).
        return list, (list(self),)

    def __repr__(self) -> str:
        return f"<StatementStream of {self._count} statements>"


class _StreamSlice(Sequence[ParsedStatement]):
    """Statements start..stop-1 of a `StatementStream`, read through it: a rule that looks
    at the statements after its own stops early, and never has the rest of the script
    parsed, let alone held."""

    __slots__ = ("_start", "_stop", "_stream")

    def __init__(self, stream: StatementStream, start: int, stop: int) -> None:
        self._stream, self._start, self._stop = stream, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __iter__(self) -> Iterator[ParsedStatement]:
        return self._stream.iter_from(self._start, self._stop)

    @overload
    def __getitem__(self, index: int) -> ParsedStatement: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ParsedStatement]: ...

    def __getitem__(self, index: int | slice) -> ParsedStatement | Sequence[ParsedStatement]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return _StreamSlice(self._stream, self._start + start,
                                self._start + max(start, stop))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._stream.at(self._start + index)


@dataclass
class ParsedScript:
    """One script of a migration (its up or its down), parsed: its statements, the
    suppressions its comments hold and what could not be read."""

    script: Script
    # A list, or for a long script a `StatementStream`, parsed again as it is read.
    statements: Sequence[ParsedStatement] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    # The file-level suppressions of a file that holds more than this script (both
    # directions, Liquibase's changesets) written outside this script's part of it: above
    # the first marker, in the other direction. They cover this script as well; whether one
    # matched anything is judged where it is written, if anywhere.
    file_suppressions: list[Suppression] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    empty: bool = False
    # The script says it cannot be reversed: an Alembic downgrade() that raises, a down
    # section that only says so in a comment. `missing-down` reads it.
    declared_irreversible: bool = False
    # Where the script starts when it is part of a file: Alembic's `def downgrade():` line.
    span: Span | None = None
    # What the script's function holds (Alembic: the `pass` of an empty downgrade()), for
    # findings about what it does not do.
    body_span: Span | None = None
    # A down script that holds only what is written out (Django's `reverse_sql` and
    # `reverse_code`): the tool reverses every other operation itself, so an empty or
    # partial script is no missing way back, and the schema it leaves is not the tool's.
    derived: bool = False
    # Of a derived down script declared irreversible: only an operation nested in another
    # (Django's SeparateDatabaseAndState) has no way back, so the tool finds out only when
    # it runs that one backwards, not before it starts.
    nested_irreversible: bool = False
    # Python migrations: where a fix puts a new first statement, and (Django) what a fix to
    # the class needs; libcst found them while parsing.
    insert: PyInsert | None = None
    django: DjangoSite | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """An Alembic revision header: the revision's id and the revisions it follows."""

    id: str
    down: tuple[str, ...] = ()  # down_revision: () for a base, two or more for a merge
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    span: Span | None = None  # the `revision = ...` line
    down_span: Span | None = None  # the `down_revision = ...` line


@dataclass
class ParsedMigration:
    """A migration with its up and down scripts parsed, as the fold and the rules see it."""

    source: MigrationSource
    up: ParsedScript | None
    down: ParsedScript | None
    revision: Revision | None = None  # Alembic: the header, for the revision graph
    # Objects an operation uses that do not exist at that point of a complete history:
    # (direction, statement index, operation index) to what is missing. The engine's history
    # pass fills it (a fold of its own, from an empty schema); `unknown-object` reports it.
    unknown_refs: dict[tuple[str, int, int], str] = field(default_factory=dict)
    # The bare name of the first of those objects, as the statement writes it.
    unknown_names: dict[tuple[str, int, int], str] = field(default_factory=dict)
    # The operations among those whose own table or column is missing (not only a foreign
    # key's target): any other rule's verdict on them would rest on a guessed object. Also
    # the `IF EXISTS` drops of what the history made and dropped since: they do nothing.
    unknown_subjects: set[tuple[str, int, int]] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.source.name


class _Sourced(Protocol):
    @property
    def source(self) -> MigrationSource: ...


SourcedT = TypeVar("SourcedT", bound=_Sourced)


def rollback_units(migrations: Sequence[SourcedT]) -> list[list[SourcedT]]:
    """The migrations in runs that one rollback undoes together: consecutive migrations
    sharing a `rollback_unit`, every other migration alone, in the order given (parsed or
    not: the unit is the source's)."""
    units: list[list[SourcedT]] = []
    for mig in migrations:
        unit = mig.source.rollback_unit
        if unit is not None and units and units[-1][-1].source.rollback_unit == unit:
            units[-1].append(mig)
        else:
            units.append([mig])
    return units


def joined_migration(unit: Sequence[ParsedMigration]) -> ParsedMigration:
    """A unit of rollback as one migration: its ups in order, then its downs newest first
    (statements keep their own files' spans), named after its first member."""
    first = unit[0]
    up = _joined([m.up for m in unit if m.up is not None])
    down = _joined([m.down for m in reversed(unit) if m.down is not None])
    return ParsedMigration(replace(first.source, up=up.script if up else None,
                                   down=down.script if down else None), up, down)


def _joined(scripts: Sequence[ParsedScript]) -> ParsedScript | None:
    if not scripts:
        return None
    return ParsedScript(
        scripts[0].script,
        statements=[st for s in scripts for st in s.statements],
        suppressions=[sup for s in scripts for sup in s.suppressions],
        errors=[e for s in scripts for e in s.errors],
        empty=all(s.empty for s in scripts),
        declared_irreversible=any(s.declared_irreversible for s in scripts),
        span=scripts[0].span,
        body_span=scripts[0].body_span,
        derived=all(s.derived for s in scripts),
    )


@dataclass(eq=False)
class DeferredMigration:
    """A discovered migration that is parsed only when the engine reaches it, so that a long
    history is never held parsed all at once: the engine parses it, lints it, keeps what the
    lint found and lets the parse go. Only for layouts whose order needs no parse (every
    layout but Alembic's and Django's, which order by revision headers)."""

    source: MigrationSource
    parse: Callable[[], ParsedMigration]
    # Whether its down path holds statements (parsing the down script only): a history that
    # writes down migrations is judged on each missing one, before any is linted.
    down_has_statements: Callable[[], bool]
    revision: Revision | None = None  # never known before the parse; kept None

    @property
    def name(self) -> str:
        return self.source.name


pickle_by_fields(globals())
