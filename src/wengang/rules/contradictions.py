"""Facts that contradict each other: a rate taken of a negative base (or a negative rate).

A base less a deduction larger than it (晋人社厅发〔2024〕28号 五 "返还基数减去派遣到机关事业单位的劳动者对应的上年度失业保险费"
with the deduction above the base, or more workers dispatched to 机关事业单位 than insured) gives no amount: the
facts are contradictory. One case (``RateOf._eval``) and a table (``RateOf._polars``) both leave such an amount
unknown, the case is 无法判定, and the reason names the facts (the same text, keyed by :func:`code`, in both paths:
docs/decisions.md §125). Before, one case stopped with "计算基数不能为负" and no decision, and the batch paid a
negative 稳岗返还 as 符合 (outside differential audit, session 42).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from wengang.rules import expr as X
from wengang.rules.expr import Arith, ByParam, EvalContext, Expr, Fact, IfElse, RateOf, Reading, path_step

# the code of the last-resort guard of the batch (``rules.batch.apply_stages``): an amount below zero written nowhere
NEGATIVE_AMOUNT = "negative_amount"
NEGATIVE_AMOUNT_TEXT = "事实相互矛盾：按所填事实计算的金额为负数，无法判定，请核实后重新提交"


def rate_nodes(amount: Expr | None) -> list[RateOf]:
    """The rates of bases under ``amount`` (every reading), in walk order: their order gives their codes."""
    if amount is None:
        return []
    cached = amount.__dict__.get("_rate_nodes")
    if cached is None:
        seen: dict[int, RateOf] = {}
        for n in amount.walk():
            if isinstance(n, RateOf) and id(n) not in seen:
                seen[id(n)] = n
        cached = amount.__dict__["_rate_nodes"] = list(seen.values())
    return cached


def code(amount: Expr, node: RateOf) -> str:
    return f"negative_base:{[id(n) for n in rate_nodes(amount)].index(id(node))}"


def facts_of(node: RateOf) -> dict[str, str]:
    """The facts whose difference can make ``node``'s base or rate negative (those under a subtraction), or
    else every fact its base and rate read: name → short Chinese label."""
    under: dict[str, str] = {}
    every: dict[str, str] = {}
    for part in (node.base, node.rate):
        for n in part.walk():
            if isinstance(n, Fact):
                every.setdefault(n.name, n.label or n.name)
            if isinstance(n, Arith) and n.op == "-":
                for m in n.walk():
                    if isinstance(m, Fact):
                        under.setdefault(m.name, m.label or m.name)
    return under or every


def text(ruleset: Any, node: RateOf) -> str:
    """The reason: the same in one case and in the results of a table."""
    named = "、".join(f"{label}（{name}）" for name, label in facts_of(node).items())
    return (
        f"事实相互矛盾：按所填事实，{ruleset.amount_label}的计算基数（或比例）为负数（扣除的部分大于基数），无法计算；"
        f"请核实：{named}"
    )


def texts(ruleset: Any) -> dict[str, str]:
    """Code → reason, for every rate under the ruleset's amount (for the results of a table)."""
    return {code(ruleset.amount, n): text(ruleset, n) for n in rate_nodes(ruleset.amount)}


def negative_rates(expr: Expr, ctx: EvalContext) -> list[RateOf]:
    """The rates left unknown in the evaluation ``ctx`` because their base or rate is negative, followed down from
    ``expr`` through the unknown nodes only (as ``engine.unknown_inputs``: an if-else's condition when it is unknown,
    else the branch taken; a reading's chosen option)."""
    out: list[RateOf] = []
    stack: list[Expr] = [expr]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.eval(ctx) is not None:
            continue
        if isinstance(node, RateOf):
            b, r = node.base.eval(ctx), node.rate.eval(ctx)
            if b is not None and r is not None and (b < 0 or r < 0):
                out.append(node)
                continue
        stack.extend(path_step(node, ctx))
    return out


def negative_flags(expr: Expr, ctx: Any) -> list[tuple[RateOf, pl.Expr]]:
    """Compiled (``ctx``: a ``CompileContext``): per rate under ``expr`` on the row's path, is its base or rate
    negative on the row (never null). The batch's form of :func:`negative_rates` (read where the amount is null)."""
    out: list[tuple[RateOf, pl.Expr]] = []
    has: dict[int, bool] = {}

    def has_rate(node: Expr) -> bool:
        found = has.get(id(node))
        if found is None:
            found = has[id(node)] = (isinstance(node, RateOf) and node._may_be_negative()) or any(
                has_rate(c) for c in node.children()
            )
        return found

    def walk(node: Expr, on: pl.Expr | None) -> None:
        if not has_rate(node):
            return
        if isinstance(node, Reading):
            walk(node.choose(ctx.params, ctx.readings), on)
            return
        if isinstance(node, ByParam):
            walk(node.choose(ctx.params), on)
            return
        if isinstance(node, IfElse):
            cond = node.cond.to_polars(ctx)
            yes = cond.fill_null(False)
            no = (~cond).fill_null(False)
            walk(node.cond, on)
            walk(node.then, yes if on is None else on & yes)
            walk(node.otherwise, no if on is None else on & no)
            return
        if isinstance(node, RateOf) and node._may_be_negative():  # (no subtraction below: never negative)
            base = node.base.to_polars(ctx).cast(pl.Int64)
            n, d = node.rate.frac(ctx)
            rate_neg = (n != 0) & ((n < 0) != (d < 0))
            neg = ((base < 0) | rate_neg).fill_null(False)
            out.append((node, neg if on is None else on & neg))
        for child in node.children():
            walk(child, on)

    walk(expr, None)
    return out


def merged(flags: list[tuple[RateOf, pl.Expr]]) -> dict[int, tuple[RateOf, pl.Expr]]:
    """One flag per rate (a rate met on several paths: any of them)."""
    out: dict[int, tuple[RateOf, pl.Expr]] = {}
    for node, flag in flags:
        if id(node) in out:
            out[id(node)] = (node, out[id(node)][1] | flag)
        else:
            out[id(node)] = (node, flag)
    return out


# what a value of each kind can be, for ``never_negative_given``: these are true or false (0 or 1), never below zero
_BOOLEAN = (X.Cmp, X._Logic, X.Not, X.IsIn, X.IsMissing, X.HasParam)


def never_negative_given(expr: Expr, ctx: X.CompileContext) -> frozenset[str] | None:
    """The facts whose values, when none is below zero, keep ``expr`` compiled in ``ctx`` from ever being negative;
    None when no such facts do (a subtraction outside a rate, a negative figure, a node of a kind not known here).

    A rate of a base that can be negative is compiled unknown where it is (``RateOf._polars``), so it is never
    negative whatever its facts; sums, products, ratios, minima, maxima, choices and rates of non-negative values are
    not either. With these facts known non-negative (a validated table, a Parquet file's statistics), the batch's
    last guard against a negative amount (``rules.batch.apply_stages``) has nothing to catch and is left out."""
    facts: set[str] = set()

    def figure(value: Any) -> bool:  # a literal, parameter or setting: unknown, true/false, or a number not below 0
        if value is None or isinstance(value, bool):
            return True
        if isinstance(value, (int, Fraction, Decimal)):
            return value >= 0
        return False

    def walk(node: Expr) -> bool:
        if isinstance(node, Fact):
            if node.name in ctx.absent:  # compiled as the model's default (or a literal the caller fixed)
                return figure(X._known_value(ctx.absent[node.name]))
            facts.add(node.name)
            return True
        if isinstance(node, X.Lit):
            return figure(node.value)
        if isinstance(node, X.Param):
            p = ctx.params.get(node.name)
            return figure(None if p is None else p.value)
        if isinstance(node, X.Setting):
            return figure(ctx.settings.get(node.name))
        if isinstance(node, _BOOLEAN):
            return True
        if isinstance(node, RateOf) and node._may_be_negative():
            return True  # unknown where its base or rate is negative
        if isinstance(node, Reading):
            return walk(node.choose(ctx.params, ctx.readings))
        if isinstance(node, ByParam):
            return walk(node.choose(ctx.params))
        if isinstance(node, IfElse):  # whichever branch a row takes (the condition is no part of the value)
            return walk(node.then) and walk(node.otherwise)
        if isinstance(node, Arith) and node.op == "-":
            return False
        if isinstance(node, (Arith, X.Ratio, RateOf, X.Min, X.Coalesce, X.Note)):  # (Max is a Min)
            return all(walk(c) for c in node.children())
        if isinstance(node, X.MonthSpan):
            return True  # 0 when the end falls before the start
        return False

    return frozenset(facts) if walk(expr) else None
