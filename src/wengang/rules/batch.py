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


def _combo_exprs(ruleset: Ruleset, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """status, amount, failed-check codes and flag codes under one combination of readings."""
    checks = active_checks(ruleset, ctx.params)
    conds = [(c.id, c.expr.to_polars(ctx)) for c in checks if c.kind == CONDITION]
    flags = [(c.id, c.expr.to_polars(ctx)) for c in checks if c.kind == FLAG]
    zero = pl.lit(0, dtype=pl.Int32)
    n_false = pl.sum_horizontal([(e == False).fill_null(False).cast(pl.Int32) for _, e in conds]) if conds else zero  # noqa: E712
    n_null = pl.sum_horizontal([e.is_null().cast(pl.Int32) for _, e in conds]) if conds else zero
    amount = ruleset.amount.to_polars(ctx).cast(pl.Int64) if ruleset.amount is not None else pl.lit(None, dtype=pl.Int64)
    amount_missing = amount.is_null() if ruleset.amount is not None else pl.lit(False)
    status = (
        pl.when(n_false > 0)
        .then(pl.lit(INELIGIBLE))
        .when(n_null > 0)
        .then(pl.lit(NOT_DETERMINABLE))
        .when(amount_missing)
        .then(pl.lit(NOT_DETERMINABLE))
        .otherwise(pl.lit(ELIGIBLE))
    )
    amount = pl.when(status == ELIGIBLE).then(amount)

    def codes(items: list[tuple[str, pl.Expr]], prefix_unknown: bool) -> pl.Expr:
        if not items:
            return pl.lit("", dtype=pl.String)
        parts = []
        for cid, e in items:
            parts.append(pl.when(e == False).then(pl.lit(cid)))  # noqa: E712
            if prefix_unknown:
                parts.append(pl.when(e.is_null()).then(pl.lit("?" + cid)))
        return pl.concat_str(parts, separator=";", ignore_nulls=True)

    return status, amount, codes(conds, True), codes(flags, False)


def compile_screen(
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
) -> list[pl.Expr]:
    """Polars expressions adding ``status, amount_fen, reasons, flags, readings, outcomes``."""
    fixed = dict(fixed or {})
    params = resolution.params
    settings = dict(settings or {})
    switches = switches_in(ruleset.active_exprs(params), params)
    combos = reading_combinations(switches, fixed)
    per_combo = [_combo_exprs(ruleset, CompileContext(params, settings, combo)) for combo in combos]

    status0, amount0, reasons0, flags0 = per_combo[0]
    differs: pl.Expr = pl.lit(False)
    outcome_parts: list[pl.Expr] = []
    for combo, (st, am, _, _) in zip(combos, per_combo, strict=True):
        if len(combos) > 1:
            differs = differs | (st != status0) | am.ne_missing(amount0)
            tag = ",".join(f"{k}={v}" for k, v in combo.items())
            outcome_parts.append(pl.concat_str([pl.lit(tag + ":"), st, pl.lit(":"), am.cast(pl.String).fill_null("")]))
    status = pl.when(differs).then(pl.lit(NEEDS_DECISION)).otherwise(status0)
    reasons = pl.when(differs).then(pl.concat_str([reasons0, pl.lit("needs_decision")], separator=";", ignore_nulls=True).str.strip_chars(";")).otherwise(reasons0)
    default_tag = ",".join(f"{k}={v}" for k, v in combos[0].items())
    outcomes = (
        pl.when(differs).then(pl.concat_str(outcome_parts, separator="|")).otherwise(pl.lit(""))
        if outcome_parts
        else pl.lit("")
    )
    return [
        status.cast(STATUS_DTYPE).alias("status"),
        pl.when(differs).then(None).otherwise(amount0).cast(pl.Int64).alias("amount_fen"),
        reasons.alias("reasons"),
        flags0.alias("flags"),
        pl.lit(default_tag).alias("readings"),
        outcomes.alias("outcomes"),
    ]


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
    exprs = compile_screen(ruleset, resolution, settings=settings, fixed=fixed)
    out = lf.with_columns(exprs)
    if keep is not None:
        out = out.select([*keep, "status", "amount_fen", "reasons", "flags", "readings", "outcomes"])
    return out
