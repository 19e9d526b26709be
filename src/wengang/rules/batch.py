"""The same rulesets over a table: compile to Polars and screen millions of rows in one pass.

``screen_frame`` returns, per row, exactly what ``engine.build_decision`` decides for that row as one
case (status, amount in fen, failed checks, readings, outcomes per reading when they differ). The
equivalence is tested property-by-property in ``tests/rules/test_batch_equivalence.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from pydantic_core import PydanticUndefined

from wengang.rules.engine import (
    CONDITION,
    ELIGIBLE,
    FLAG,
    INELIGIBLE,
    NEEDS_DECISION,
    NOT_DETERMINABLE,
    Ruleset,
    active_checks,
    reading_combinations,
)
from wengang.rules.expr import CompileContext, switches_in

STATUS_DTYPE = pl.Enum([ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE])


def _tag(combo: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in combo.items())


def _codes(items: list[tuple[str, pl.Expr]], prefix_unknown: bool) -> pl.Expr:
    if not items:
        return pl.lit("", dtype=pl.String)
    parts = []
    for cid, e in items:
        parts.append(pl.when(e == False).then(pl.lit(cid)))  # noqa: E712
        if prefix_unknown:
            parts.append(pl.when(e.is_null()).then(pl.lit("?" + cid)))
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


def compile_stages(
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
) -> tuple[list[list[pl.Expr]], list[str]]:
    """Polars stages adding ``status, amount_fen, reasons, flags, readings, outcomes``.

    Stage 1 computes each check (and the amount) once per combination of the readings *it* depends
    on; stage 2 combines those columns into a status and amount per combination of all readings;
    stage 3 compares the combinations (待认定 when they differ). Referring to columns between stages
    keeps the plan small: 4 switches would otherwise copy every rule 16 times into one tree.
    Returns the stages and the temporary column names to drop afterwards.
    """
    fixed = dict(fixed or {})
    params = resolution.params
    settings = dict(settings or {})
    checks = active_checks(ruleset, params)
    switches = switches_in(ruleset.active_exprs(params), params)
    combos = reading_combinations(switches, fixed)
    temps: list[str] = []
    stage1: list[pl.Expr] = []

    def variants(key: str, expr: Any) -> dict[str, str]:
        """Compile ``expr`` once per combination of its own switches; map full-combo tag -> column."""
        own = switches_in([expr], params)
        by_own: dict[str, str] = {}
        for combo in reading_combinations(own, fixed):
            name = f"__{key}__{_tag(combo)}"
            by_own[_tag(combo)] = name
            temps.append(name)
            stage1.append(expr.to_polars(CompileContext(params, settings, combo)).alias(name))
        return {_tag(c): by_own[_tag({k: c[k] for k in own})] for c in combos}

    check_cols = [(c, variants(f"c{i}", c.expr)) for i, c in enumerate(checks)]
    amount_cols = variants("amount", ruleset.amount) if ruleset.amount is not None else None

    stage2: list[pl.Expr] = []
    for k, combo in enumerate(combos):
        tag = _tag(combo)
        conds = [(c.id, pl.col(cols[tag])) for c, cols in check_cols if c.kind == CONDITION]
        flags = [(c.id, pl.col(cols[tag])) for c, cols in check_cols if c.kind == FLAG]
        zero = pl.lit(0, dtype=pl.Int32)
        n_false = pl.sum_horizontal([(e == False).fill_null(False).cast(pl.Int32) for _, e in conds]) if conds else zero  # noqa: E712
        n_null = pl.sum_horizontal([e.is_null().cast(pl.Int32) for _, e in conds]) if conds else zero
        amount = pl.col(amount_cols[tag]).cast(pl.Int64) if amount_cols else pl.lit(None, dtype=pl.Int64)
        amount_missing = amount.is_null() if amount_cols else pl.lit(False)
        status = (
            pl.when(n_false > 0)
            .then(pl.lit(INELIGIBLE))
            .when(n_null > 0)
            .then(pl.lit(NOT_DETERMINABLE))
            .when(amount_missing)
            .then(pl.lit(NOT_DETERMINABLE))
            .otherwise(pl.lit(ELIGIBLE))
        )
        names = [f"__status{k}", f"__amount{k}"]
        temps.extend(names)
        stage2 += [status.alias(names[0]), pl.when(status == ELIGIBLE).then(amount).alias(names[1])]
        if k == 0:
            temps.extend(["__reasons0", "__flags0"])
            stage2 += [_codes(conds, True).alias("__reasons0"), _codes(flags, False).alias("__flags0")]

    status0, amount0 = pl.col("__status0"), pl.col("__amount0")
    differs: pl.Expr = pl.lit(False)
    outcome_parts: list[pl.Expr] = []
    if len(combos) > 1:
        for k, combo in enumerate(combos):
            st, am = pl.col(f"__status{k}"), pl.col(f"__amount{k}")
            differs = differs | (st != status0) | am.ne_missing(amount0)
            outcome_parts.append(pl.concat_str([pl.lit(_tag(combo) + ":"), st, pl.lit(":"), am.cast(pl.String).fill_null("")]))
    reasons0 = pl.col("__reasons0")
    stage3 = [
        pl.when(differs).then(pl.lit(NEEDS_DECISION)).otherwise(status0).cast(STATUS_DTYPE).alias("status"),
        pl.when(differs).then(None).otherwise(amount0).cast(pl.Int64).alias("amount_fen"),
        pl.when(differs)
        .then(pl.concat_str([reasons0, pl.lit("needs_decision")], separator=";").str.strip_chars(";"))
        .otherwise(reasons0)
        .alias("reasons"),
        pl.col("__flags0").alias("flags"),
        pl.lit(_tag(combos[0])).alias("readings"),
        (pl.when(differs).then(pl.concat_str(outcome_parts, separator="|")).otherwise(pl.lit("")) if outcome_parts else pl.lit("")).alias("outcomes"),
    ]
    return [stage1, stage2, stage3], temps


def apply_stages(lf: pl.LazyFrame, stages: list[list[pl.Expr]], temps: list[str]) -> pl.LazyFrame:
    for stage in stages:
        lf = lf.with_columns(stage)
    return lf.drop(temps)


def _default_literal(ruleset: Ruleset, name: str) -> pl.Expr:
    default = ruleset.facts.model_fields[name].get_default(call_default_factory=True)
    if default is PydanticUndefined or default is None:
        return pl.lit(None)
    return pl.lit(getattr(default, "value", default))


def screen_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    keep: list[str] | None = None,
) -> pl.LazyFrame:
    """Screen a table of facts (columns = the ruleset's fact model fields) under one resolved policy."""
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    missing = [name for name in ruleset.facts.model_fields if name not in lf.collect_schema().names()]
    if missing:
        # an absent column takes the model's default, exactly as an absent field in one case
        lf = lf.with_columns([_default_literal(ruleset, m).alias(m) for m in missing])
    stages, temps = compile_stages(ruleset, resolution, settings=settings, fixed=fixed)
    out = apply_stages(lf, stages, temps)
    if keep is not None:
        out = out.select([*keep, "status", "amount_fen", "reasons", "flags", "readings", "outcomes"])
    return out
