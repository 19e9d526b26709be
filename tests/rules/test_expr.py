"""The expression language: Python and Polars evaluate every node alike, nulls and boundaries included."""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.fakes import resolution
from wengang.rules.expr import (
    CompileContext,
    EvalContext,
    Fact,
    Param,
    RateOf,
    Ratio,
    Reading,
    RuleDefinitionError,
    when,
)

RES = resolution(target=Fraction(11, 200), limit=30, rate=Fraction(3, 5), months=12)


def py(expr, facts, readings=None):
    return expr.eval(EvalContext(facts=facts, params=RES.params, settings={}, readings=readings or {}))


def pol(expr, facts, readings=None):
    schema = {k: (pl.Int64 if not isinstance(v, bool) else pl.Boolean) for k, v in facts.items()}
    df = pl.DataFrame([facts], schema=schema)
    return df.select(expr.to_polars(CompileContext(RES.params, {}, readings or {})).alias("x"))["x"][0]


layoffs, headcount = Fact("layoffs"), Fact("headcount")
rate_ok = Ratio(layoffs, layoffs + headcount) <= Param("target")


@pytest.mark.parametrize(
    ("n_laid_off", "h", "expected"),
    [
        (11, 189, True),  # exactly 5.5%: 不高于 includes the number
        (12, 188, False),  # 6% is above
        (0, 0, None),  # no staff at all: the rate is unknown, not zero
        (None, 10, None),  # missing fact stays unknown
    ],
)
def test_ratio_boundary_is_exact_in_both_evaluators(n_laid_off, h, expected):
    facts = {"layoffs": n_laid_off, "headcount": h}
    assert py(rate_ok, facts) is expected
    if n_laid_off is not None:
        assert pol(rate_ok, facts) is expected


def test_kleene_logic_matches():
    a, b = Fact("a"), Fact("b")
    for x in (True, False, None):
        for y in (True, False, None):
            facts = {"a": x, "b": y}
            df = pl.DataFrame({"a": [x], "b": [y]}, schema={"a": pl.Boolean, "b": pl.Boolean})
            ctx = CompileContext(RES.params, {}, {})
            assert py(a & b, facts) == df.select((a & b).to_polars(ctx))["a"][0]
            assert py(a | b, facts) == df.select((a | b).to_polars(ctx))["a"][0]


def test_if_else_with_unknown_condition_is_unknown():
    e = when(Fact("c"), 1, 2)
    assert py(e, {"c": None}) is None
    df = pl.DataFrame({"c": [None, True, False]}, schema={"c": pl.Boolean})
    out = df.select(e.to_polars(CompileContext(RES.params, {}, {})).alias("x"))["x"].to_list()
    assert out == [None, 1, 2]


@settings(max_examples=200, deadline=None)
@given(base=st.integers(min_value=0, max_value=10**12))
def test_rate_of_rounds_half_up_identically(base):
    e = RateOf(Fact("base"), Param("rate"))
    exact = Fraction(base) * Fraction(3, 5)
    assert py(e, {"base": base}) == pol(e, {"base": base})
    assert abs(py(e, {"base": base}) - exact) <= Fraction(1, 2)


def test_rate_of_half_fen_goes_up():
    e = RateOf(Fact("base"), Param("rate"))
    # 1 fen × 60% = 0.6 fen → 1 fen; 5 × 30% = 1.5 → 2
    assert py(e, {"base": 1}) == 1
    e30 = RateOf(Fact("base"), when(Fact("large"), Fraction(3, 10), Fraction(3, 5)))
    assert py(e30, {"base": 5, "large": True}) == 2
    assert pol(e30, {"base": 5, "large": True}) == 2


@settings(max_examples=300, deadline=None)
@given(
    n_laid_off=st.one_of(st.none(), st.integers(0, 500)),
    h=st.one_of(st.none(), st.integers(0, 500)),
    big=st.booleans(),
)
def test_compound_rule_agrees(n_laid_off, h, big):
    rule = (Fact("layoffs").eq(0)) | rate_ok | ((Fact("headcount") <= Param("limit")) & (Ratio(layoffs, headcount) <= Fraction(1, 5)))
    facts = {"layoffs": n_laid_off, "headcount": h}
    df = pl.DataFrame([facts], schema={"layoffs": pl.Int64, "headcount": pl.Int64})
    got = df.select(rule.to_polars(CompileContext(RES.params, {}, {})).alias("x"))["x"][0]
    assert py(rule, facts) == got


def test_reading_switches_value():
    e = Reading("x.base", {"exclude": Fact("a"), "include": Fact("a") + Fact("b")})
    assert py(e, {"a": 1, "b": 2}, {"x.base": "exclude"}) == 1
    assert py(e, {"a": 1, "b": 2}, {"x.base": "include"}) == 3
    assert pol(e, {"a": 1, "b": 2}, {"x.base": "include"}) == 3


def test_ratio_as_plain_column_is_a_definition_error():
    with pytest.raises(RuleDefinitionError):
        pol(Ratio(layoffs, headcount), {"layoffs": 1, "headcount": 2})


def test_missing_parameter_is_a_definition_error():
    with pytest.raises(RuleDefinitionError):
        py(Param("nope"), {})
