"""The cheaper compiled forms (s22-h2) give exactly what the rule means, row for row, nulls and boundaries included.

* ``RateOf`` over a rate with an even fixed denominator ``d`` compiles to ``(b·n + d/2) // d`` instead of
  ``(2·b·n + d) // 2d``: checked against exact ``Fraction`` arithmetic rounded half-up, and against the old form
  in Python integers, over random and boundary integers.
* A choice between two fixed rates compiles to when/then of literals (not ``b + (a − b)·cond``), null where the
  condition is unknown.
* A ratio's zero-denominator guard is applied to the comparison (or RateOf) that reads it, not to the
  numerator: the same null where the denominator is zero or unknown.
(The batch compiler reading a refused check ``~x`` as ``x`` is covered by the batch-vs-one-case properties,
tests/programs/test_fanhuan_properties.py and tests/rules/test_non_null.py: 稳岗返还's exclusions are such checks.)

Each property compiles once and evaluates a whole table (one row per drawn case), with and without the columns
known non-null, and compares with the one-case evaluator (``Expr.eval``), which is exact.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.fakes import resolution
from wengang.money import times_rate_half_up
from wengang.rules.expr import CompileContext, EvalContext, Fact, Lit, Param, RateOf, Ratio, when

PROPS = settings(max_examples=150, deadline=None)
BOUNDARY = [0, 1, 2, 4, 5, 9, 10, 99, 100, 10**9, 10**12, 2**40 - 1, 2**40]
money = st.one_of(st.sampled_from(BOUNDARY), st.integers(0, 2**40))


def _rows(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, min_size=1, max_size=40)


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def _both(expr: Any, params: dict[str, Any], frame: pl.DataFrame) -> tuple[list[Any], list[Any], list[Any]]:
    """(one case per row, compiled not knowing the non-null columns, compiled knowing them)."""
    res = resolution(**params)
    cases = [
        expr.eval(EvalContext(facts=r, params=res.params, settings={}, readings={})) for r in frame.to_dicts()
    ]
    general = frame.select(expr.to_polars(CompileContext(res.params, {}, {})).alias("x"))["x"].to_list()
    known = frozenset(c for c in frame.columns if frame[c].null_count() == 0)
    simplified = frame.select(expr.to_polars(CompileContext(res.params, {}, {}, non_null=known)).alias("x"))[
        "x"
    ].to_list()
    return cases, general, simplified


def _half_up(base: int, rate: Fraction) -> int:
    """Exact: the multiple of 1 fen nearest to base × rate, a half going up."""
    exact = Fraction(base) * rate
    floor = exact.numerator // exact.denominator
    return floor + (1 if exact - floor >= Fraction(1, 2) else 0)


@PROPS
@given(
    bases=_rows(money),
    num=st.integers(0, 1000),
    den=st.sampled_from([2, 4, 10, 20, 100, 200, 10000, 3, 5, 7, 25, 9999]),
)
def test_rate_of_matches_fraction_arithmetic(bases, num, den):
    """Even denominators take the new form, odd ones the old: both exactly half-up (Fraction arithmetic)."""
    rate = Fraction(num, den)
    frame = _frame([{"base": b} for b in bases], {"base": pl.Int64})
    cases, general, simplified = _both(
        RateOf(Fact("base"), Param("rate", fraction=True)), {"rate": rate}, frame
    )
    want = [_half_up(b, rate) for b in bases]
    assert cases == want
    assert general == want
    assert simplified == want
    # the old compiled form, in Python integers, agrees (it is the same floor of the same rational)
    n, d = rate.numerator, rate.denominator
    assert [(2 * b * n + d) // (2 * d) for b in bases] == want


@PROPS
@given(
    bases=_rows(money),
    num=st.integers(0, 1000),
    den=st.sampled_from([2, 4, 10, 20, 100, 200, 10000, 3, 5, 7, 25, 9999]),
)
def test_a_ceiling_is_the_largest_whole_fen_not_above_the_rate(bases, num, den):
    """"不超过 rate of base" in whole fen (``RateOf(..., ceiling=True)``): never above base × rate, and one fen more
    would be — in one case and compiled alike."""
    rate = Fraction(num, den)
    frame = _frame([{"base": b} for b in bases], {"base": pl.Int64})
    cases, general, simplified = _both(
        RateOf(Fact("base"), Param("rate", fraction=True), ceiling=True), {"rate": rate}, frame
    )
    assert cases == general == simplified
    for b, cap in zip(bases, cases, strict=True):
        assert cap <= Fraction(b) * rate < cap + 1


@PROPS
@given(
    rows=_rows(st.tuples(money, st.one_of(st.none(), st.booleans()))),
    a=st.integers(0, 100),
    b=st.integers(0, 100),
    den=st.sampled_from([10, 5, 4, 3, 20]),
)
def test_rate_between_two_fixed_rates(rows, a, b, den):
    """RateOf(base, cond ? a/den : b/10): when/then of the two numerators over their common denominator, null
    where the condition is unknown; every row as Fraction arithmetic says."""
    ra, rb = Fraction(a, den), Fraction(b, 10)
    expr = RateOf(Fact("base"), when(Fact("c"), ra, rb))
    frame = _frame([{"base": x, "c": c} for x, c in rows], {"base": pl.Int64, "c": pl.Boolean})
    cases, general, simplified = _both(expr, {}, frame)
    want = [None if c is None else _half_up(x, ra if c else rb) for x, c in rows]
    assert cases == want
    assert general == want
    assert simplified == want


counts = st.one_of(st.none(), st.sampled_from([0, 1, 5, 11, 30, 31, 200, 2**31 - 1]), st.integers(0, 10**6))


@PROPS
@given(
    rows=_rows(st.tuples(counts, counts, counts, counts)), op=st.sampled_from(["<=", "<", ">=", ">", "=="])
)
def test_guarded_ratio_comparisons(rows, op):
    """A ratio over a column that may be 0 (or null), compared with a constant, with another such ratio, and as
    the layoff rule combines them: unknown exactly where Python says, in Kleene logic."""
    x, y, u, v = Fact("x"), Fact("y"), Fact("u"), Fact("v")
    cmp = {"<=": lambda p, q: p <= q, "<": lambda p, q: p < q, ">=": lambda p, q: p >= q, ">": lambda p, q: p > q,
           "==": lambda p, q: p.eq(q)}[op]  # fmt: skip
    exprs = [
        cmp(Ratio(x, y), Fraction(11, 200)),
        cmp(Ratio(x, y), Ratio(u, v)),
        cmp(Lit(Fraction(1, 5)), Ratio(u, x + y)),
        x.eq(0) | (Ratio(x, y) <= Fraction(11, 200)) | ((y <= 30) & (Ratio(x, y) <= Fraction(1, 5))),
        (Ratio(x, y) <= Fraction(11, 200)) & ~(Ratio(u, v) > Fraction(1, 2)),
    ]
    facts = [dict(zip("xyuv", r, strict=True)) for r in rows]
    # Int32 as the peer's table (a ratio against a constant multiplies by an Int64 literal); column × column
    # products in Int64 (Int32 × Int32 would wrap, with or without the guard)
    for dtype, which in ((pl.Int32, [0, 3]), (pl.Int64, range(len(exprs)))):
        frame = _frame(facts, {k: dtype for k in "xyuv"})
        for i in which:
            cases, general, simplified = _both(exprs[i], {}, frame)
            assert general == cases, (dtype, i)
            assert simplified == cases, (dtype, i)


@PROPS
@given(
    rows=_rows(
        st.tuples(
            st.integers(0, 10**12),
            st.one_of(st.none(), st.sampled_from([0, 1, 7]), st.integers(0, 10**6)),
            counts,
        )
    )
)
def test_rate_of_a_guarded_ratio(rows):
    """RateOf(base, x / y): unknown where y is 0 or null, else base × x/y half-up (base·x within Int64, as
    amounts are: both forms wrap beyond it)."""
    expr = RateOf(Fact("base"), Ratio(Fact("x"), Fact("y")))
    frame = _frame(
        [{"base": b, "x": x, "y": y} for b, x, y in rows], {"base": pl.Int64, "x": pl.Int64, "y": pl.Int64}
    )
    cases, general, simplified = _both(expr, {}, frame)
    want = [None if x is None or not y else times_rate_half_up(b, Fraction(x, y)) for b, x, y in rows]
    assert cases == want
    assert general == want
    assert simplified == want


def test_the_negation_of_a_fact_the_table_lacks_is_unknown_not_a_crash():
    """A fact column a table lacks, with no default, compiles to a known null; its negation once reached Polars as
    ``~lit(None)`` ("dtype Null not supported in 'not'") — the person-programs audit met it inside a reading."""
    from wengang.rules.expr import Not, known_literal

    frame = pl.DataFrame({"y": [1, 2]})
    ctx = CompileContext({}, {}, {}, absent={"x": known_literal(pl.lit(None), None)})
    got = frame.with_columns(Not(Fact("x")).to_polars(ctx).alias("v"))
    assert got.get_column("v").to_list() == [None, None] and got.schema["v"] == pl.Boolean
    assert Not(Fact("x")).eval(EvalContext(facts={}, params={}, settings={}, readings={})) is None
