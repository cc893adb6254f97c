"""meta: findings about the lint itself (default: info)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from schemagate.model import ops as o
from schemagate.model.findings import Suppression
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule

# Statement kinds that read data, grant rights or describe objects: they change no schema
# object a rule reasons about, so not modelling them loses nothing worth a finding.
_HARMLESS = frozenset({
    "SelectStmt", "CommentStmt", "GrantStmt", "GrantRoleStmt", "ExplainStmt",
    "VariableShowStmt", "NotifyStmt", "ListenStmt", "UnlistenStmt", "CheckPointStmt",
    "VacuumStmt", "CallStmt", "DoStmt", "CopyStmt", "LockStmt", "AlterDefaultPrivilegesStmt",
    "CreateRoleStmt", "AlterRoleStmt", "DropRoleStmt", "AlterOwnerStmt", "SecLabelStmt",
    "PrepareStmt", "ExecuteStmt", "DeallocateStmt", "DiscardStmt", "ConstraintsSetStmt",
    "CreatePolicyStmt", "AlterPolicyStmt", "CreateStatsStmt", "AlterSeqStmt",
    "AlterFunctionStmt", "CreateCastStmt", "CreateOpClassStmt", "AlterObjectSchemaStmt",
    "AlterExtensionStmt", "CreatePublicationStmt", "AlterPublicationStmt",
    "CreateSubscriptionStmt", "AlterSubscriptionStmt", "DropSubscriptionStmt", "RuleStmt",
    "AlterDomainStmt", "CreateForeignServerStmt", "CreateFdwStmt", "CreateUserMappingStmt",
    "ImportForeignSchemaStmt", "CreateForeignTableStmt", "AlterEventTrigStmt",
    "CreateEventTrigStmt", "CreateConversionStmt", "DefineStmt", "AlterTSConfigurationStmt",
    "AlterTSDictionaryStmt", "CreateTransformStmt", "CreatePLangStmt", "AlterSystemStmt",
    "ReassignOwnedStmt", "DropOwnedStmt", "CreateTableSpaceStmt", "CreatedbStmt",
    "AlterDatabaseStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt", "AlterCollationStmt",
    "CreateAmStmt", "AlterOperatorStmt", "AlterTypeStmt", "AlterStatsStmt",
})


@rule("unmodelled-statement", family="meta", severity="info", ops=(o.RawSQL,))
def unmodelled_statement(op: o.RawSQL, ctx: RuleContext) -> Iterator[Hit]:
    """A statement the tool parsed but does not model: rules cannot reason about it.

    ## What it does
    Reports a statement that PostgreSQL's parser accepted but that schemagate's IR does not
    represent, naming its kind, so that nothing is skipped in silence.

    ## Why it matters
    A rule can only flag what it understands. An unmodelled statement may lock or destroy
    things no rule sees; review it by hand.

    ## When it does not fire
    On statements that change no schema object the rules reason about (SELECT, COMMENT,
    GRANT, DO blocks, COPY, role and privilege statements, …).

    ## Safe alternative
    None needed; review the statement. Suppress with `-- schemagate: ignore
    unmodelled-statement` once reviewed.

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
    ```
    """
    base = op.statement_kind.split("/", 1)[0]
    if base in _HARMLESS and "/" not in op.statement_kind:
        return
    detail = f" ({op.reason})" if op.reason else ""
    yield Hit(f"statement not modelled: {op.statement_kind}{detail}; review it by hand")


@rule("unused-suppression", family="meta", severity="info", scope="migration")
def unused_suppression(unused: Iterable[tuple[Suppression, str]]) -> Iterator[Hit]:
    """A suppression comment that matched no finding.

    ## What it does
    Reports a `-- schemagate: ignore RULE` (or `squawk-ignore`) comment that suppressed
    nothing: the rule did not fire on the statement it precedes.

    ## Why it matters
    Stale suppressions hide the next real finding on that line, and make a reader believe
    a risk was reviewed when there is none.

    ## When it does not fire
    When the suppression matched at least one finding, or names a rule that is not enabled.

    ## Safe alternative
    Delete the comment.

    ## Example
    ```sql
    -- schemagate: ignore drop-column
    ALTER TABLE users ADD COLUMN nickname text;
    ```
    """
    for suppression, name in unused:
        yield Hit(f"suppression of `{name}` matched no finding", span=suppression.span)
