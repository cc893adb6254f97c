"""Rules: what one is, how it is declared, and how the full set is found.

A rule is a function decorated with `@rule(...)`. Its docstring is its documentation, in the
manner of ruff's rule pages: a one-line summary, then sections "What it does", "Why it
matters", "When it does not fire", "Safe alternative", "Example", "References", and "With
Alembic" / "With Django" where the fix needs the tool's own syntax. The same text feeds
`schemagate explain`, SARIF `help`, the HTML report and the pages in docs/rules/.

The decorator only attaches a `Rule` to the function; `all_rules()` collects them from the
rule modules, so there is no mutable registry to keep in order.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from schemagate.model.findings import Severity
from schemagate.model.ops import Operation
from schemagate.model.span import Span

Scope = Literal["operation", "migration", "suppressions", "history"]

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


@dataclass(frozen=True)
class Hit:
    """What a rule reports; the engine adds the rule's id, family, severity and location."""

    message: str
    object: str = ""
    lock: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's default for this one finding
    span: Span | None = None  # a Span when the finding points elsewhere than the operation


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    severity: Severity
    summary: str
    doc: str
    check: Callable[..., Iterable[Hit]]
    ops: tuple[type[Operation], ...] = ()
    scope: Scope = "operation"
    aliases: tuple[str, ...] = ()
    enabled_by_default: bool = True
    fix: str = ""  # one line: the safe alternative, shown under each finding
    # The dialects the rule applies to ("postgres", "mysql", "sqlite"); None: every dialect.
    dialects: tuple[str, ...] | None = None

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


def rule(
    id: str, *, family: str, severity: str, ops: tuple[type[Operation], ...] = (),
    scope: Scope = "operation", aliases: tuple[str, ...] = (), enabled: bool = True,
    fix: str = "", dialects: tuple[str, ...] | None = None,
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Declare a rule. ``ops`` lists the operation types an operation-scope rule looks at."""
    if family not in FAMILIES:
        raise ValueError(f"rule {id}: unknown family {family}")

    def attach(func: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        doc = inspect.cleandoc(func.__doc__ or "")
        summary = doc.splitlines()[0] if doc else id
        body = doc[len(summary):].strip()
        func._rule = Rule(  # type: ignore[attr-defined]
            id, family, Severity.parse(severity), summary, body, func, ops, scope, aliases,
            enabled, fix, dialects,
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
