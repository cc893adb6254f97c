"""The rule reference in docs/rules/: one Markdown page per rule and an index, from the code.

Each page is the rule's docstring under a table of what its decorator declares (family,
default severity, whether it is on by default, dialects, aliases, the one-line fix), so the
reference says exactly what `schemagate explain` says. The output depends only on the rules:
no dates, no paths, rules in catalog order, so a test can compare it with the checked-in
pages byte for byte. `scripts/gen_rule_docs.py` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemagate.rules.registry import FAMILIES, Rule, all_rules, autofix_note

REGENERATE = "python scripts/gen_rule_docs.py"
_NOTICE = (f"<!-- Generated from the rule's docstring and decorator by `{REGENERATE}`; "
           "edit the code, not this file. -->")
_DIALECTS = {"postgres": "PostgreSQL", "mysql": "MySQL", "sqlite": "SQLite"}
# One line per family for the index, in the words of each family module's docstring.
_FAMILY_TITLES = {
    "destructive": "Operations after which data is gone",
    "locking": "Statements that block reads or writes on an existing table",
    "transaction": "Statements that cannot run, or run wrongly, where they are",
    "compat": "Changes that break the application version still running",
    "reversibility": "The down path cannot undo the up path",
    "design": "Schema choices that cost later",
    "history": "The migration sequence itself",
    "meta": "Findings about the lint itself",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _dialects(r: Rule) -> str:
    if r.dialects is None:
        return "all"
    return ", ".join(_DIALECTS.get(d, d) for d in r.dialects)


def page(r: Rule) -> str:
    """The Markdown page for one rule."""
    rows = [
        ("Family", f"[{r.family}](README.md#{r.family})"),
        ("Default severity", str(r.severity)),
        ("Enabled by default", "yes" if r.enabled_by_default else
         f"no (it runs when selected: `--select {r.id}` or `select` in the settings)"),
        ("Dialects", _dialects(r)),
    ]
    if r.aliases:
        rows.append(("Aliases", ", ".join(f"`{a}`" for a in r.aliases)))
    if r.fix:
        rows.append(("Fix", _cell(r.fix)))
    if r.fixable:
        rows.append(("Autofix", _cell(autofix_note(r))))
    table = ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join([_NOTICE, "", f"# {r.id}", "", r.summary, "", *table, "", r.doc, ""])


def index(rules: Iterable[Rule]) -> str:
    """The index page: every rule by family, with its default severity, summary and aliases."""
    by_family: dict[str, list[Rule]] = {f: [] for f in FAMILIES}
    for r in rules:
        by_family.setdefault(r.family, []).append(r)
    out = [_NOTICE, "", "# Rules", "",
           "Every rule schemagate checks, by family. Each page is the rule's docstring, which",
           "`schemagate explain <rule>` prints too. A rule marked *off* runs only when selected",
           "by name (`--select <rule>`, or `select` in the settings).", ""]
    for family, members in by_family.items():
        if not members:
            continue
        out += [f"## {family}", "", _FAMILY_TITLES.get(family, family) + ".", "",
                "| Rule | Default severity | Summary | Aliases |", "| --- | --- | --- | --- |"]
        for r in members:
            severity = str(r.severity) + ("" if r.enabled_by_default else " (off)")
            aliases = ", ".join(f"`{a}`" for a in r.aliases)
            out.append(f"| [{r.id}]({r.id}.md) | {severity} | {_cell(r.summary)} | {aliases} |")
        out.append("")
    return "\n".join(out)


def pages(rules: Iterable[Rule] | None = None) -> dict[str, str]:
    """Every file of docs/rules/ by name: `<id>.md` for each rule, and `README.md`."""
    found = tuple(all_rules() if rules is None else rules)
    out = {f"{r.id}.md": page(r) for r in found}
    out["README.md"] = index(found)
    return out
