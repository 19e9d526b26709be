"""Run a program's rules over a table of derived facts, region by region.

Each region in the table is resolved to the document in force on the evaluation date; regions that
resolve to the same document and ruleset are screened in one pass. A region with no policy in force
gets ``not_determinable`` with the reason, never last year's rules.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from wengang.rules.batch import STATUS_DTYPE, Plan, apply_stages, compile_stages
from wengang.rules.engine import (
    NOT_DETERMINABLE,
    PROGRAM_LABELS,
    Ruleset,
    active_checks,
    policy_clause,
    render_label,
)

RESULT_COLUMNS = [
    "status",
    "amount_fen",
    "reasons",
    "flags",
    "readings",
    "outcomes",
    "policy_id",
    "policy_number",
    "policy_clause",
    "ruleset",
    "payment_hold",
    "payment_hold_reason",
]
HOLD_OUTPUT = "payment_hold"  # an entitled unit whose payment must wait (casework holds it): the output's text


@dataclass
class RegionPlan:
    """What applies to a group of regions: one resolution (or the reason there is none)."""

    regions: list[str]
    resolution: Any | None
    ruleset: Ruleset | None
    no_policy_reason: str | None = None
    no_policy_code: str = "no_policy"
    reason_labels: dict[str, str] = field(default_factory=dict)  # check id -> Chinese refusal text


def plan_regions(
    program: str, regions: list[str], on: date, *, include_drafts: bool = False
) -> list[RegionPlan]:
    import wengang.programs  # noqa: F401
    from wengang.evaluate import ruleset_for
    from wengang.policies import NoPolicyInForce, load_policy_set
    from wengang.regions import resolve_region

    policy_set = load_policy_set()
    groups: dict[tuple[str, str] | str, RegionPlan] = {}
    for code in sorted(regions):
        try:
            reg = resolve_region(code)
        except LookupError:
            # a code the registry does not know has no policy here: say so for its rows, keep the others
            key = f"unknown:{code}"
            groups[key] = RegionPlan(
                [code], None, None, f"地区代码 {code} 不在本系统收录的地区中，无法确定适用政策", "unknown_region"
            )
            continue
        try:
            res = policy_set.resolve(region=reg.key, on=on, program=program, include_drafts=include_drafts)
        except NoPolicyInForce as exc:
            key = "none:" + exc.message_zh.split("在", 1)[-1]
            plan = groups.setdefault(key, RegionPlan([], None, None, exc.message_zh))
            plan.regions.append(code)
            continue
        key2 = (res.document.id, res.ruleset)
        if key2 not in groups:
            ruleset = ruleset_for(program, res.ruleset)
            labels = {
                c.id: (render_label(c.reason, res.params) if c.reason else f"不符合“{render_label(c.label, res.params)}”")
                for c in active_checks(ruleset, res.params)
            }
            groups[key2] = RegionPlan([], res, ruleset, reason_labels=labels)
        groups[key2].regions.append(code)
    return list(groups.values())


def screen_facts(
    facts: pl.LazyFrame,
    program: str,
    on: date,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_column: str = "region_code",
    regions: list[str] | None = None,
) -> tuple[pl.LazyFrame, list[RegionPlan]]:
    """Decide every row of ``facts`` (one row per unit or person); returns results and the plans used."""
    if regions is None:
        regions = facts.select(pl.col(region_column).unique()).collect()[region_column].drop_nulls().to_list()
    key = (
        program,
        tuple(sorted(str(r) for r in regions)),
        on,
        include_drafts,
        _frozen(settings),
        _frozen(readings),
        tuple(facts.collect_schema().names()),
    )
    try:
        hash(key)
    except TypeError:  # a setting whose value cannot be a cache key: compile afresh
        plans, compiled = _compiled_plans.__wrapped__(*key)
    else:
        plans, compiled = _compiled_plans(*key)
    plans = list(plans)
    parts: list[pl.LazyFrame] = []
    for plan, stages in zip(plans, compiled, strict=True):
        part = facts.filter(pl.col(region_column).is_in(plan.regions)) if len(plans) > 1 else facts
        if plan.resolution is None or plan.ruleset is None:
            parts.append(
                part.with_columns(
                    pl.lit(NOT_DETERMINABLE).cast(STATUS_DTYPE).alias("status"),
                    pl.lit(None, dtype=pl.Int64).alias("amount_fen"),
                    pl.lit(plan.no_policy_code).alias("reasons"),
                    pl.lit("").alias("flags"),
                    pl.lit("").alias("readings"),
                    pl.lit("").alias("outcomes"),
                    pl.lit(None, dtype=pl.String).alias("policy_id"),
                    pl.lit(None, dtype=pl.String).alias("policy_number"),
                    pl.lit(None, dtype=pl.String).alias("policy_clause"),
                    pl.lit(None, dtype=pl.String).alias("ruleset"),
                    pl.lit(False).alias("payment_hold"),
                    pl.lit(None, dtype=pl.String).alias("payment_hold_reason"),
                )
            )
            continue
        res = plan.resolution
        assert stages is not None
        hold = _hold_reason(plan, settings, readings, facts.collect_schema().names())
        decided = apply_stages(part, stages).with_columns(
            pl.lit(res.document.id).alias("policy_id"),
            pl.lit(res.document.display_number).alias("policy_number"),
            pl.lit(policy_clause(res)).alias("policy_clause"),
            pl.lit(res.ruleset).alias("ruleset"),
        )
        # like the one-case outputs: shown only for a decision that entitles (or may)
        entitled = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])
        reason = pl.when(entitled).then(hold)
        parts.append(
            decided.with_columns(reason.alias("payment_hold_reason")).with_columns(
                pl.col("payment_hold_reason").is_not_null().alias("payment_hold")
            )
        )
    out = pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]
    return out, plans


def _hold_reason(
    plan: RegionPlan, settings: Mapping[str, Any] | None, readings: Mapping[str, str] | None, columns: list[str]
) -> pl.Expr:
    """The ruleset's ``payment_hold`` output compiled for the table (under the reading the decision reports)."""
    from wengang.rules.batch import _default_literal
    from wengang.rules.engine import reading_combinations
    from wengang.rules.expr import CompileContext, switches_in

    assert plan.ruleset is not None and plan.resolution is not None
    output = next((o for o in plan.ruleset.outputs if o.id == HOLD_OUTPUT), None)
    if output is None:
        return pl.lit(None, dtype=pl.String)
    params = plan.resolution.params
    absent = {m: _default_literal(plan.ruleset, m) for m in plan.ruleset.facts.model_fields if m not in columns}
    combo = reading_combinations(switches_in([output.expr], params), dict(readings or {}))[0]
    return output.expr.to_polars(CompileContext(params, dict(settings or {}), combo, absent)).cast(pl.String)


def _frozen(mapping: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((mapping or {}).items(), key=lambda kv: kv[0]))


@functools.lru_cache(maxsize=64)
def _compiled_plans(
    program: str,
    regions: tuple[str, ...],
    on: date,
    include_drafts: bool,
    settings: tuple[tuple[str, Any], ...],
    readings: tuple[tuple[str, Any], ...],
    columns: tuple[str, ...],
) -> tuple[list[RegionPlan], list[Plan | None]]:
    """The region plans and each one's compiled stages. Pure (the policy set is loaded once per process),
    so a service screening batch after batch compiles a ruleset once, not per batch."""
    plans = plan_regions(program, list(regions), on, include_drafts=include_drafts)
    compiled: list[Plan | None] = []
    for plan in plans:
        if plan.resolution is None or plan.ruleset is None:
            compiled.append(None)
            continue
        compiled.append(
            compile_stages(plan.ruleset, plan.resolution, settings=dict(settings), fixed=dict(readings), columns=list(columns))
        )
    return plans, compiled


def reason_text(plans: list[RegionPlan]) -> dict[str, str]:
    """Reason code → Chinese text, for summaries and the results file."""
    text: dict[str, str] = {"no_policy": "无有效政策", "needs_decision": "结果取决于尚未认定的政策解释"}
    for plan in plans:
        for code, label in plan.reason_labels.items():
            text.setdefault(code, label)
            text.setdefault("?" + code, "缺少数据：" + label.removeprefix("不符合"))
        if plan.no_policy_reason:
            text[plan.no_policy_code] = plan.no_policy_reason
    return text


def program_label(program: str) -> str:
    import wengang.programs  # noqa: F401

    return PROGRAM_LABELS.get(program, program)
