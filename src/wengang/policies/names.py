"""Which parameter names a program's rule sets read: derived from the rule code, never a hand list.

A policy file may set only names its program reads. A misspelt optional name (``excluded_unitz``) would otherwise
load and silently turn its rule off (audit 7, finding 1: a 严重违法失信企业 paid 9,320.25元 under a 2026 draft). The
names read are those the rule sets' expressions read (``Param``, ``OptionalParam``, ``HasParam``, ``ByParam``, a
reading fixed by a parameter, a note citing one), the parameters their checks cite, and the names
:data:`~wengang.policies.required.REQUIRED_PARAMS` lists. Provisions recorded but read by no rule (``auto_payment``,
``notify_channels`` …) are the names the shipped documents set for the program (see ``names_set_by``).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Any

from wengang.policies.required import REQUIRED_PARAMS

# the provisions the casework reads of any program's block (``casework.procedure.procedure``), not its rules: who must
# confirm, what an unconfirmed offer becomes, reminders, the 税务 account, a 公示 before payment
PROCEDURE_PARAMS = frozenset({
    "confirmation_required", "unconfirmed_waived", "unconfirmed_reminded",
    "pay_to_premium_account_if_no_corporate_account", "publicity_before_payment", "notify_channels",
})


def rule_roots(rs: Any) -> list[Any]:
    """Every expression a rule set decides by: its checks, its outputs, its amount and the expressions that choose its
    subject and mark its amount a ceiling."""
    roots = [c.expr for c in rs.checks] + [o.expr for o in rs.outputs]
    return roots + [e for e in (rs.amount, rs.subject_when, rs.amount_cap_when) if e is not None]


@functools.cache
def names_read(program: str) -> frozenset[str]:
    """The parameter names the rule sets of ``program`` read or cite (empty for a program with no rule set)."""
    from wengang import programs
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import ByParam, HasParam, Note, Param, Reading

    programs.load(program)
    out: set[str] = set(PROCEDURE_PARAMS)
    for (p, _name), required in REQUIRED_PARAMS.items():
        if p == program:
            out |= required
    for (p, _name), rs in RULESETS.items():
        if p != program:
            continue
        for check in rs.checks:
            out.update(check.cite)
        for root in rule_roots(rs):
            for node in root.walk():
                if isinstance(node, (Param, HasParam, ByParam)):
                    out.add(node.name)
                elif isinstance(node, Reading) and node.fixed_by:
                    out.add(node.fixed_by)
                elif isinstance(node, Note) and node.cite:
                    out.add(node.cite)
    return frozenset(out)


def nearest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to a misspelt one (for the message), best first."""
    return difflib.get_close_matches(name, sorted(set(candidates)), n=n, cutoff=0.6)


@functools.cache
def choices_read(program: str) -> dict[str, frozenset[str]]:
    """The parameters whose value chooses a path in ``program``'s rules — a ``ByParam`` (what the document prescribes)
    or a reading a parameter fixes (``Reading.fixed_by``) — each with the values every rule that reads it knows. A
    value outside them cannot be decided on (``RuleDefinitionError`` at the first case): a notice setting it is refused
    when checked (``fund_reserve_province_notice: figure_required`` had been such a value for 技能提升补贴)."""
    from wengang import programs
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import ByParam, Reading

    programs.load(program)
    out: dict[str, frozenset[str]] = {}
    for (p, _name), rs in RULESETS.items():
        if p != program:
            continue
        for root in rule_roots(rs):
            for node in root.walk():
                if isinstance(node, ByParam):
                    name, keys = node.name, frozenset(node.options)
                elif isinstance(node, Reading) and node.fixed_by:
                    name, keys = node.fixed_by, frozenset(node.options)
                else:
                    continue
                out[name] = out[name] & keys if name in out else keys
    return out
