"""Rules: what one is, how it is declared, and how the full set is found.

A rule is a function decorated with `@rule(...)`. Its docstring is its documentation, in the
manner of ruff's rule pages: a one-line summary, then sections "What it does", "Why it
matters", "When it does not fire", "Safe alternative", "Example", "References", and "With
Alembic" / "With Django" where the fix needs the tool's own syntax. The same text feeds
`schemagate explain`, SARIF `help`, the HTML report and the pages in docs/rules/.

The decorator only attaches a `Rule` to the function; `all_rules()` collects them from the
rule modules, so there is no mutable registry to keep in order.

What the engine and the reports need to know about a rule beyond its findings is a property
it declares (or its family's default, from `FAMILY_DEFAULTS`): the engine and the reports
never test a rule's id or family. Each scope has its own signature, checked by mypy through
the decorator's overloads.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal, TypeVar, overload

from schemagate.model.catalog import Catalog
from schemagate.model.findings import Severity
from schemagate.model.fixes import Fix
from schemagate.model.locks import LockMode
from schemagate.model.migration import ParsedMigration
from schemagate.model.ops import Operation
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.rules.context import MigrationContext, RuleContext, ScriptSuppressions

# "history" rules judge a history before it is folded (its revision graph); "folded" rules
# judge it after, with the schema its last migration leaves.
Scope = Literal["operation", "migration", "suppressions", "history", "folded"]
# How often a finding of the rule is a true problem (SARIF's `precision`).
Precision = Literal["very-high", "high", "medium", "low"]
# Whether the rule's findings can carry a rewrite, and whether it keeps the migration's
# meaning ("safe": `lint --fix`) or changes it ("unsafe": only with `--unsafe-fixes`).
Fixable = Literal["safe", "unsafe"]

# The rule modules, in catalog order (RULES.md). A new module is added here.
RULE_MODULES = (
    "schemagate.rules.destructive",
    "schemagate.rules.locking",
    "schemagate.rules.transaction",
    "schemagate.rules.compat",
    "schemagate.rules.reversibility",
    "schemagate.rules.design",
    "schemagate.rules.history",
    "schemagate.rules.meta",
)

FAMILIES = ("destructive", "locking", "transaction", "compat", "reversibility", "design",
            "history", "meta")


@dataclass(frozen=True, slots=True)
class FamilyDefaults:
    """What a rule of the family declares unless it says otherwise."""

    destroys_data: bool = False
    grows_with_table: bool = False
    # Statements are parsed by PostgreSQL's own grammar, so "this statement drops a column"
    # is certain; whether a lock hurts depends on table sizes the tool may not know, and
    # design advice is a matter of taste.
    precision: Precision = "high"


FAMILY_DEFAULTS: dict[str, FamilyDefaults] = {
    "destructive": FamilyDefaults(destroys_data=True, precision="very-high"),
    "locking": FamilyDefaults(grows_with_table=True),
    "transaction": FamilyDefaults(precision="very-high"),
    "compat": FamilyDefaults(),
    "reversibility": FamilyDefaults(),
    "design": FamilyDefaults(precision="medium"),
    "history": FamilyDefaults(precision="very-high"),
    "meta": FamilyDefaults(precision="very-high"),
}


@dataclass(frozen=True)
class Hit:
    """What a rule reports; the engine adds the rule's id, family, severity and location."""

    message: str
    object: str = ""
    lock: LockMode | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's default for this one finding
    span: Span | None = None  # a Span when the finding points elsewhere than the operation
    # The severity when the live database (--db) shows the table holds rows: the evidence
    # that the harm is certain (a NOT NULL column with no default then fails to add).
    severity_with_rows: Severity | None = None
    # The rewrite that removes this finding, where the rule knows one that applies here.
    fix: Fix | None = None


@dataclass(frozen=True)
class Rule:
    """A rule as registered: its id, family, severity and documentation, and the check."""

    id: str
    family: str
    severity: Severity
    check: Callable[..., Iterable[Hit]]  # its docstring is the rule's documentation
    ops: tuple[type[Operation], ...] = ()
    scope: Scope = "operation"
    aliases: tuple[str, ...] = ()
    enabled_by_default: bool = True
    fix: str = ""  # one line: the safe alternative, shown under each finding
    # The dialects the rule applies to ("postgres", "mysql", "sqlite"); None: every dialect.
    dialects: tuple[str, ...] | None = None
    # Its findings say data is lost: the report lists them as destructive, and a reviewed
    # (suppressed) one acknowledges the loss for the reversibility rules.
    destroys_data: bool = False
    # Its harm grows with the table: with live statistics, a finding on a table smaller
    # than `small_table_rows` drops to info.
    grows_with_table: bool = False
    # Its findings say a migration cannot be undone: the report lists them so.
    irreversible: bool = False
    precision: Precision = "high"
    # Whether the rule still runs on an operation whose own table or column the history says
    # does not exist; every other rule is silent there, its verdict resting on a guess.
    sees_unknown: bool = False
    # Whether its findings can carry a `Fix` (`lint --fix`), and of which kind; a rule that
    # declares one still leaves it off a finding where it cannot apply (the layout wraps
    # the statement in a transaction, the PostgreSQL version lacks the form).
    fixable: Fixable | None = None
    # A folded rule's digest of one migration, taken while the migration's parse is at hand:
    # the engine drops each migration once it is linted, and hands the folded check these
    # digests by migration name instead. Each hit of the check points into the migration
    # whose digest it comes from: a run that reports only some migrations (`--changed-since`)
    # hands it only theirs.
    collect: Callable[[ParsedMigration], Any] | None = None

    # The documentation is read from the docstring when it is first asked for (`explain`,
    # SARIF, the HTML report), not when the rule is declared: a lint that prints findings
    # never needs it, and cleaning sixty docstrings was a millisecond of every start-up.
    @cached_property
    def summary(self) -> str:
        """The docstring's first line: the harm, in one sentence."""
        return self._docstring[0]

    @cached_property
    def doc(self) -> str:
        """The docstring after its first line: the sections, in Markdown."""
        return self._docstring[1]

    @property
    def _docstring(self) -> tuple[str, str]:
        doc = inspect.cleandoc(self.check.__doc__ or "")
        summary = doc.splitlines()[0] if doc else self.id
        return summary, doc[len(summary):].strip()

    @property
    def sections(self) -> dict[str, str]:
        """The docstring's sections by title ("What it does" → text)."""
        out: dict[str, str] = {}
        title = ""
        for line in self.doc.splitlines():
            if line.startswith("## "):
                title = line[3:].strip()
                out[title] = ""
            elif title:
                out[title] += line + "\n"
        return {k: v.strip() for k, v in out.items()}


OpT = TypeVar("OpT", bound=Operation)
OpU = TypeVar("OpU", bound=Operation)
# The signature of a rule's function, per scope.
OperationCheck = Callable[[OpT, RuleContext], Iterable[Hit]]
MigrationCheck = Callable[[MigrationContext], Iterable[Hit]]
SuppressionsCheck = Callable[[ScriptSuppressions, set[str], Settings], Iterable[Hit]]
HistoryCheck = Callable[[Sequence[ParsedMigration], Settings], Iterable[Hit]]
FoldedCheck = Callable[[Mapping[str, Any], Catalog, Settings], Iterable[Hit]]
Check = TypeVar("Check", bound=Callable[..., Iterable[Hit]])


@overload
def rule(
    id: str, *, family: str, severity: str, ops: tuple[type[OpT], type[OpU]],
    scope: Literal["operation"] = ..., aliases: tuple[str, ...] = ..., enabled: bool = ...,
    fix: str = ..., dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
) -> Callable[[OperationCheck[OpT | OpU]], OperationCheck[OpT | OpU]]: ...


@overload
def rule(
    id: str, *, family: str, severity: str, ops: tuple[type[OpT], ...],
    scope: Literal["operation"] = ..., aliases: tuple[str, ...] = ..., enabled: bool = ...,
    fix: str = ..., dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
) -> Callable[[OperationCheck[OpT]], OperationCheck[OpT]]: ...


@overload
def rule(
    id: str, *, family: str, severity: str, scope: Literal["migration"],
    aliases: tuple[str, ...] = ..., enabled: bool = ..., fix: str = ...,
    dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
) -> Callable[[MigrationCheck], MigrationCheck]: ...


@overload
def rule(
    id: str, *, family: str, severity: str, scope: Literal["suppressions"],
    aliases: tuple[str, ...] = ..., enabled: bool = ..., fix: str = ...,
    dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
) -> Callable[[SuppressionsCheck], SuppressionsCheck]: ...


@overload
def rule(
    id: str, *, family: str, severity: str, scope: Literal["history"],
    aliases: tuple[str, ...] = ..., enabled: bool = ..., fix: str = ...,
    dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
) -> Callable[[HistoryCheck], HistoryCheck]: ...


@overload
def rule(
    id: str, *, family: str, severity: str, scope: Literal["folded"],
    aliases: tuple[str, ...] = ..., enabled: bool = ..., fix: str = ...,
    dialects: tuple[str, ...] | None = ..., destroys_data: bool | None = ...,
    grows_with_table: bool | None = ..., irreversible: bool = ...,
    precision: Precision | None = ...,
    sees_unknown: bool = ..., fixable: Fixable | None = ...,
    collect: Callable[[ParsedMigration], Any],
) -> Callable[[FoldedCheck], FoldedCheck]: ...


def rule(
    id: str, *, family: str, severity: str, ops: tuple[type[Operation], ...] = (),
    scope: Scope = "operation", aliases: tuple[str, ...] = (), enabled: bool = True,
    fix: str = "", dialects: tuple[str, ...] | None = None, destroys_data: bool | None = None,
    grows_with_table: bool | None = None, irreversible: bool = False,
    precision: Precision | None = None,
    sees_unknown: bool = False, fixable: Fixable | None = None,
    collect: Callable[[ParsedMigration], Any] | None = None,
) -> Callable[[Check], Check]:
    """Declare a rule. ``ops`` lists the operation types an operation-scope rule looks at;
    properties left None take the family's default."""
    if family not in FAMILIES:
        raise ValueError(f"rule {id}: unknown family {family}")
    defaults = FAMILY_DEFAULTS[family]

    def attach(func: Check) -> Check:
        func._rule = Rule(  # type: ignore[attr-defined]
            id, family, Severity.parse(severity), func, ops, scope, aliases, enabled, fix,
            dialects,
            destroys_data=defaults.destroys_data if destroys_data is None else destroys_data,
            grows_with_table=(defaults.grows_with_table if grows_with_table is None
                              else grows_with_table),
            irreversible=irreversible,
            precision=defaults.precision if precision is None else precision,
            sees_unknown=sees_unknown, fixable=fixable, collect=collect,
        )
        return func

    return attach


@cache
def all_rules() -> tuple[Rule, ...]:
    found: list[Rule] = []
    for name in RULE_MODULES:
        module = importlib.import_module(name)
        found.extend(obj._rule for obj in vars(module).values() if hasattr(obj, "_rule"))
    ids = [r.id for r in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"rule ids declared twice: {sorted(duplicates)}")
    return tuple(found)


@cache
def names() -> dict[str, tuple[str, ...]]:
    """Every name a user may write (id, alias, family, ALL) to the rule ids it means."""
    out: dict[str, list[str]] = {"all": []}
    for r in all_rules():
        out["all"].append(r.id)
        for name in (r.id, r.family, *r.aliases):
            out.setdefault(name.lower(), []).append(r.id)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def resolve(tokens: Iterable[str]) -> tuple[set[str], list[str]]:
    """Rule ids for user-written names, and the names that matched no rule."""
    table = names()
    ids: set[str] = set()
    unknown: list[str] = []
    for token in tokens:
        token = token.strip().lower()
        if not token:
            continue
        if token in table:
            ids.update(table[token])
        else:
            unknown.append(token)
    return ids, unknown


def by_id(rule_id: str) -> Rule | None:
    ids, _ = resolve([rule_id])
    rules = [r for r in all_rules() if r.id in ids]
    return rules[0] if len(rules) == 1 else next((r for r in rules if r.id == rule_id), None)


# Each rule's page in docs/rules/, generated from its docstring (reports/rule_pages.py).
DOCS_URL = "https://github.com/schemagate/schemagate/blob/main/docs/rules/{id}.md"


def docs_url(r: Rule) -> str:
    """Where the rule's documentation is published."""
    return DOCS_URL.format(id=r.id)


def explanation(r: Rule) -> str:
    """The rule's full documentation as `schemagate explain` prints it (Markdown)."""
    header = f"# {r.id} ({r.family}, {r.severity})"
    aliases = f"\nAlso known as: {', '.join(r.aliases)}\n" if r.aliases else ""
    note = autofix_note(r)
    fix = f"\nAutofix: {note}\n" if note else ""
    return f"{header}\n\n{r.summary}\n{aliases}{fix}\n{r.doc}"


def autofix_note(r: Rule) -> str:
    """Whether `lint --fix` can rewrite the rule's findings, as `rules`, `explain` and the
    rule pages say it; empty when it cannot."""
    if r.fixable == "safe":
        from schemagate.rules.pyfix import PYTHON_FIXES

        return _SQL_FIX_NOTE + (f". Alembic: {PYTHON_FIXES[r.id]}" if r.id in PYTHON_FIXES else
                                ". Alembic and Django migrations: none yet") + (
            "; SQL inside `op.execute(…)` or `RunSQL(…)` never gets one")
    if r.fixable == "unsafe":
        return ("unsafe, it changes what the migration makes: applied only with "
                "`lint --fix --unsafe-fixes`, on tables created in the same migration")
    return ""


_SQL_FIX_NOTE = ("safe: `lint --fix` rewrites the statement where the rewrite runs as "
                "intended: CONCURRENTLY where the statement then runs outside any "
                "transaction (a plain SQL script, a golang-migrate or popx `.autocommit.` "
                "file holding only it, a dbmate `transaction:false` section, a Flyway "
                "migration of only such statements); new statements after it (VALIDATE, "
                "the CHECK-based SET NOT NULL, USING INDEX) only where each commits on its "
                "own (a plain SQL script, a dbmate `transaction:false` section). Where the "
                "tool runs the file as one transaction, the finding carries no fix: move "
                "the statement into a migration of its own")
