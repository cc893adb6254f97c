"""meta: findings about the lint itself (default: info)."""

from __future__ import annotations

from collections.abc import Iterator

from schemagate.model import ops as o
from schemagate.model.settings import Settings
from schemagate.rules.context import RuleContext, ScriptSuppressions
from schemagate.rules.registry import Hit, rule

# Statement kinds that read data, grant rights or describe objects: they change no schema
# object a rule reasons about, so not modelling them loses nothing worth a finding.
_HARMLESS = frozenset({
    "SelectStmt", "CommentStmt", "GrantStmt", "GrantRoleStmt", "ExplainStmt",
    "VariableShowStmt", "NotifyStmt", "ListenStmt", "UnlistenStmt", "CheckPointStmt",
    "VacuumStmt", "DoStmt", "CopyStmt", "LockStmt", "AlterDefaultPrivilegesStmt",
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
    o.DROP_COLLATION,
})


# ALTER TABLE sub-commands that change no column, constraint or index.
_HARMLESS_ALTER = frozenset({
    "AT_EnableTrig", "AT_DisableTrig", "AT_EnableTrigAll", "AT_DisableTrigAll",
    "AT_EnableTrigUser", "AT_DisableTrigUser", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig",
    "AT_EnableRowSecurity", "AT_DisableRowSecurity", "AT_ForceRowSecurity",
    "AT_NoForceRowSecurity", "AT_ChangeOwner", "AT_SetStatistics", "AT_SetStorage",
    "AT_SetCompression", "AT_SetRelOptions", "AT_ResetRelOptions", "AT_SetOptions",
    "AT_ResetOptions", "AT_ReplicaIdentity", "AT_ClusterOn", "AT_DropCluster",
    "AT_GenericOptions", "AT_EnableRule", "AT_DisableRule",
})


def is_harmless_raw(op: o.RawSQL) -> bool:
    """An unmodelled statement that changes no schema object the rules reason about."""
    if op.reason:
        return False
    kind, _, sub = op.statement_kind.partition("/")
    return sub in _HARMLESS_ALTER if sub else kind in _HARMLESS


# Why a kind of statement cannot be judged, where its name alone does not say.
_REASONS = {
    # A procedure may drop keys and indexes (Authelia's MySQL PROC_DROP_FOREIGN_KEY): its
    # body is not read, so what it does is not known.
    "CallStmt": "CALL runs a procedure whose statements are not read",
}


@rule("unmodelled-statement", family="meta", severity="info", ops=(o.RawSQL,),
      precision="low")
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
    GRANT, DO blocks, COPY, role and privilege statements, …). A `CALL` is reported: the
    procedure it runs may change anything. A call that runs several times (in a loop over
    a list the migration spells out) is reported once where it is written, when every pass
    would say the same.

    ## Safe alternative
    None needed; review the statement. Suppress with `-- schemagate: ignore
    unmodelled-statement` once reviewed.

    ## Example
    ```sql
    ALTER TABLE users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
    ```

    ## References
    - SQL Commands: every statement PostgreSQL accepts, including those schemagate does not model.
      https://www.postgresql.org/docs/current/sql-commands.html
    """
    if is_harmless_raw(op) or op.statement_kind == o.UNNAMED_DROP_CONSTRAINT:
        return  # drop-unnamed-constraint says what is wrong with it
    reason = op.reason or _REASONS.get(op.statement_kind)
    detail = f" ({reason})" if reason else ""
    message = f"statement not modelled: {op.statement_kind}{detail}; review it by hand"
    # A call in a loop the parser unrolled is one statement per pass, all at the call: the
    # same finding there once says all there is to review. Keyed by where the finding points
    # (the clause, else the statement): each clause of one ALTER TABLE is its own finding.
    site = op.site.resolved()
    where = (site.line, site.column, site.end_line, site.end_column)
    mark = (f"unmodelled-statement:{where}:{message}", ctx.script.script)
    if mark in ctx.state.reported:
        return
    ctx.state.reported.add(mark)
    yield Hit(message)


@rule("unused-suppression", family="meta", severity="info", scope="suppressions")
def unused_suppression(sups: ScriptSuppressions, enabled: set[str], settings: Settings
                       ) -> Iterator[Hit]:
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

    ## References
    - schemagate, Suppressing a finding: the comment's syntax and where it applies.
      https://github.com/schemagate/schemagate#suppressing-a-finding
    """
    for suppression, name in sups.unused(enabled):
        yield Hit(f"suppression of `{name}` matched no finding", span=suppression.span)


@rule("suppression-without-reason", family="meta", severity="warning", scope="suppressions")
def suppression_without_reason(sups: ScriptSuppressions, enabled: set[str],
                               settings: Settings) -> Iterator[Hit]:
    """A suppression comment that does not say why, when the settings require a reason.

    ## What it does
    With `require-reason = true` in the configuration, reports every `-- schemagate: ignore`
    comment that has no ` -- reason` after its rule names.

    ## Why it matters
    A suppression is a decision someone reviewed; the reason is what the next reader (and
    the SARIF upload) sees. Without it, nobody can tell a considered exception from a way to
    make CI green.

    ## When it does not fire
    When `require-reason` is off (the default), or the comment has a reason.

    ## Safe alternative
    ```sql
    -- schemagate: ignore drop-column -- legacy_id unused since v2.3, backed up in S3
    ```

    ## Example
    ```sql
    -- schemagate: ignore drop-column
    ALTER TABLE users DROP COLUMN legacy_id;
    ```

    ## References
    - schemagate, Suppressing a finding: how to give a reason, and the setting that requires one.
      https://github.com/schemagate/schemagate#suppressing-a-finding
    """
    if not settings.require_reason:
        return
    for suppression in sups.all():
        if not suppression.reason and suppression.tool == "schemagate":
            yield Hit(f"suppression of {', '.join(suppression.rules)} gives no reason "
                      "(add ` -- why`)", span=suppression.span)
