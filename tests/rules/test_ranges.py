"""Compiling for the bounds of narrow integer columns (``ranges``) changes no result, only the plan.

``screen_facts`` given an in-memory table reads the minimum and maximum of the narrow integer columns (Int8/16/32,
UInt8/16) its plan multiplies by a constant or divides by, and compiles the comparison ``layoffs × 200 ≤ 11 ×
headcount`` in the column's own type when no product can overflow it, and a ratio over a denominator that is at
least 1 on every row without its zero guard. The same table given lazily (same non-null columns, no bounds)
compiles the general plan; every result column must be the same row for row, near the overflow edges too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import wengang.programs  # noqa: F401  (registers the rulesets)
from tests.programs import test_fanhuan_properties as FH
from wengang.evaluate import ruleset_for
from wengang.policies import load_policy_set
from wengang.rules import interpretations
from wengang.rules.batch import compile_stages, given_ranges, known_non_null, known_ranges
from wengang.screening.evaluate import screen_facts

PROPS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXED = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}
# the peer benchmark's rule: the ratio layoffs / avg_insured_last_year, compared with two rates
PEER = {
    **FIXED,
    "fanhuan.layoff_rate_formula": "average",
    "fanhuan.small_unit_rule": "average",
    "fanhuan.normal_attrition": "excluded",
    "fanhuan.months_fully_paid": "cumulative",
    # open since session 42 (待认定 by default); the peer reads the lists as they stand and last year's premiums paid
    "fanhuan.exclusion_status_date": "review",
    "fanhuan.base_payment_date": "paid_in_year",
}
I32 = 2**31 - 1
# values at the edges: a product by 200, 11 or 5 that just fits Int32 or just does not
EDGES = [0, 1, 2, 30, 31, 10_737_418, 10_737_419, 195_225_786, 195_225_787, 429_496_729, 429_496_730, I32]
NARROW = ["Int8", "Int16", "Int32", "UInt8", "UInt16"]
COUNTS = ["avg_insured_last_year", "layoffs_last_year", "insured_headcount", "months_fully_paid_total",
          "normal_attrition_last_year", "avg_contributors_12m"]  # fmt: skip


def _int(name: str) -> pl.DataType:
    dtype: pl.DataType = getattr(pl, name)()
    return dtype


@st.composite
def _count(draw: st.DrawFn) -> int | None:
    v = draw(st.one_of(st.none(), st.integers(0, 400), st.sampled_from(EDGES), st.sampled_from(EDGES), st.integers(-I32 - 1, I32)))
    return None if v is None else int(v)


@st.composite
def _table(draw: st.DrawFn) -> pl.DataFrame:
    rows = draw(st.lists(FH.units(), min_size=1, max_size=12))
    for row in rows:
        for c in COUNTS:
            if c in ("avg_insured_last_year", "layoffs_last_year") or draw(st.booleans()):
                row[c] = draw(_count())
    frame = pl.DataFrame(rows, schema=FH.SCHEMA).with_columns(pl.lit("150000").alias("region_code"))
    casts = []
    for c in COUNTS:
        name = draw(st.sampled_from(["Int32", "Int32", "Int64", *NARROW]))
        lo, hi = (0, 2 ** int(name[4:]) - 1) if name.startswith("U") else (-(2 ** (int(name[3:]) - 1)), 2 ** (int(name[3:]) - 1) - 1)
        if frame[c].drop_nulls().is_between(lo, hi).all():
            casts.append(pl.col(c).cast(_int(name)))
    return frame.with_columns(casts)


def _run(f: pl.DataFrame | pl.LazyFrame, readings: dict[str, str] | None, non_null: Any = None) -> pl.DataFrame:
    return screen_facts(f, "fanhuan", date(2025, 8, 1), readings=readings, non_null=non_null)[0].collect()


@PROPS
@given(frame=_table(), readings=st.sampled_from([PEER, FIXED, None]))
def test_bounds_change_no_result(frame: pl.DataFrame, readings: dict[str, str] | None) -> None:
    """The table in memory (bounds read) against the same table lazily, told the same non-null columns."""
    assert_frame_equal(_run(frame, readings), _run(frame.lazy(), readings, known_non_null(frame)))


_EDGE_CASES = [
    (dtype, layoffs, insured)
    for dtype, top in (("Int16", 2**15 - 1), ("Int32", I32))
    for layoffs in (0, 5, 163, 164, 6553, 6554, 10_737_418, 10_737_419, I32)
    for insured in (0, 1, 20, 31, 2978, 2979, 195_225_786, 195_225_787, I32)
    if layoffs <= top and insured <= top
]


@pytest.mark.parametrize(("dtype", "layoffs", "insured"), _EDGE_CASES)
def test_overflow_edges(dtype: str, layoffs: int, insured: int) -> None:
    """Either side of the largest values whose products fit Int16 or Int32, a zero denominator among them or not."""
    base = {**dict.fromkeys(FH.SCHEMA), "org_type": "enterprise", "size_class": "small", "months_fully_paid_total": 30,
            "paid_premium_last_year_fen": 100_000, "serious_dishonesty": False, "zombie_clearance": False}  # fmt: skip
    rows = [dict(base, layoffs_last_year=layoffs, avg_insured_last_year=insured),
            dict(base, layoffs_last_year=1, avg_insured_last_year=20), dict(base, layoffs_last_year=0, avg_insured_last_year=1)]  # fmt: skip
    frame = pl.DataFrame(rows, schema=FH.SCHEMA).with_columns(
        pl.lit("150000").alias("region_code"),
        pl.col("layoffs_last_year", "avg_insured_last_year").cast(_int(dtype)),
    )
    assert_frame_equal(_run(frame, PEER), _run(frame.lazy(), PEER, known_non_null(frame)))


def _plan(ranges: dict[str, tuple[int, int, str]] | None) -> Any:
    resolution = load_policy_set().resolve(region="150000", on=date(2025, 8, 1), program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    columns = ["org_type", "size_class", "avg_insured_last_year", "months_fully_paid_total", "layoffs_last_year",
               "paid_premium_last_year_fen", "serious_dishonesty", "zombie_clearance", "env_noncompliant"]  # fmt: skip
    return compile_stages(ruleset, resolution, fixed=PEER, columns=columns, non_null=columns, ranges=ranges)


def _layoff_check(plan: Any) -> str:
    """The compiled layoff-rate check (readings fixed to the peer's), serialised with its literals' types."""
    (check,) = [e for e in plan.variants if e.meta.output_name().startswith("__c3__")]
    return check.meta.serialize(format="json")


def test_bounds_make_the_layoff_check_narrow_and_unguarded() -> None:
    general = _plan(None)
    # the headcount is a denominator (is it at least 1?) and a factor, the layoffs only a factor
    assert dict(general.range_wants) == {"layoffs_last_year": False, "avg_insured_last_year": True}
    text = _layoff_check(general)
    assert '{"Int64":200}' in text and '"NotEq"' in text  # widened to Int64, guarded against a zero headcount
    narrow = _plan({"layoffs_last_year": (0, 65535, "Int32"), "avg_insured_last_year": (1, 65535, "Int32")})
    text = _layoff_check(narrow)
    assert '{"Int32":200}' in text and '{"Int32":11}' in text and '{"Int32":5}' in text
    assert "Int64" not in text and '"NotEq"' not in text
    # a denominator that may be 0 keeps its guard; products that could overflow Int32 are widened
    wide = _layoff_check(_plan({"layoffs_last_year": (0, 2**24 - 1, "Int32"), "avg_insured_last_year": (0, 2**24 - 1, "Int32")}))
    assert '{"Int64":200}' in wide and '"NotEq"' in wide
    # an Int16 column whose products fit Int16 stays Int16; 200 × 2**8 does not, so Int32
    text = _layoff_check(_plan({"layoffs_last_year": (0, 255, "Int16"), "avg_insured_last_year": (1, 255, "Int16")}))
    assert '{"Int32":200}' in text and '{"Int16":11}' in text and '{"Int16":5}' in text


def test_known_ranges_widen_to_powers_of_two() -> None:
    frame = pl.DataFrame(
        {"a": [3, 200], "b": [-5, 7], "c": [0, 1], "d": [1, 2], "e": [None, None], "f": ["x", "y"]},
        schema={"a": pl.Int32, "b": pl.Int16, "c": pl.UInt8, "d": pl.Int64, "e": pl.Int32, "f": pl.String},
    )
    assert known_ranges(frame, ["a", "b", "c", "d", "e", "f", "g"]) == (
        ("a", 1, 255, "Int32"), ("b", -7, 7, "Int16"), ("c", 0, 1, "UInt8"),
    )  # fmt: skip
    # the minimum only where it matters: a column with no negative value is read in one pass (its bitwise or)
    assert known_ranges(frame, {"a": False, "b": False, "c": True}) == (
        ("a", 0, 255, "Int32"), ("b", -7, 7, "Int16"), ("c", 0, 1, "UInt8"),
    )  # fmt: skip
    assert known_ranges(pl.DataFrame({"x": [4, 9, 1]}, schema={"x": pl.Int16}), {"x": True}) == (("x", 1, 15, "Int16"),)


def _bounds(frame: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """Each integer column's (minimum, maximum), as a caller (a Parquet file's statistics) would give them."""
    return {
        c: (int(frame[c].min()), int(frame[c].max()))  # type: ignore[arg-type]
        for c, t in frame.schema.items()
        if t.is_integer() and frame[c].null_count() < frame.height
    }


@PROPS
@given(frame=_table(), readings=st.sampled_from([PEER, FIXED, None]))
def test_given_bounds_are_the_bounds_read(frame: pl.DataFrame, readings: dict[str, str] | None) -> None:
    """Bounds the caller gives (``ranges=``) give the plan and the results that reading them from the table gives,
    for the table in memory and for the same table lazily."""
    wants = dict.fromkeys(COUNTS, True) | {"layoffs_last_year": False}
    assert given_ranges(frame.schema, _bounds(frame), wants) == known_ranges(frame, wants)
    expected = _run(frame, readings)
    kw = {"readings": readings, "ranges": _bounds(frame)}
    assert_frame_equal(screen_facts(frame, "fanhuan", date(2025, 8, 1), **kw)[0].collect(), expected)
    lazy = screen_facts(frame.lazy(), "fanhuan", date(2025, 8, 1), non_null=known_non_null(frame), **kw)[0]
    assert_frame_equal(lazy.collect(), expected)


def test_given_bounds_are_used_without_reading_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given bounds reach the compiler, for a lazy table too; a table in memory is then not read for them."""
    import wengang.screening.evaluate as E

    frame = pl.DataFrame(
        [{**dict.fromkeys(FH.SCHEMA), "org_type": "enterprise", "size_class": "small", "months_fully_paid_total": 30,
          "paid_premium_last_year_fen": 100_000, "serious_dishonesty": False, "zombie_clearance": False,
          "env_noncompliant": False, "layoffs_last_year": 3, "avg_insured_last_year": 40}],
        schema=FH.SCHEMA,
    ).with_columns(pl.lit("150000").alias("region_code"), pl.col("layoffs_last_year", "avg_insured_last_year").cast(pl.Int32))  # fmt: skip
    seen: list[Any] = []
    plans_for = E._plans_for
    monkeypatch.setattr(E, "_plans_for", lambda *a: seen.append(a[9]) or plans_for(*a))

    def no_read(*_: Any) -> Any:
        raise AssertionError("the bounds were given: the table is not read for them")

    monkeypatch.setattr(E, "known_ranges", no_read)
    bounds = {"layoffs_last_year": (0, 3), "avg_insured_last_year": (1, 40), "paid_premium_last_year_fen": (5, 9)}
    for table in (frame, frame.lazy()):
        seen.clear()
        screen_facts(table, "fanhuan", date(2025, 8, 1), readings=PEER, non_null=known_non_null(frame), ranges=bounds)
        assert seen[-1] == (("avg_insured_last_year", 1, 63, "Int32"), ("layoffs_last_year", 0, 3, "Int32"))
    seen.clear()
    screen_facts(frame.lazy(), "fanhuan", date(2025, 8, 1), readings=PEER, non_null=known_non_null(frame))
    assert seen == [()]  # a lazy table without given bounds: the general plan


def test_parquet_facts_stats(tmp_path: Any) -> None:
    """The footer's statistics: columns with no null in any row group, integer bounds over all row groups; dates,
    text and booleans have no integer bounds; a column null in one row group is not "no null"."""
    frame = pl.DataFrame(
        {
            "a": pl.Series([5, -3, 7, 2, 9, 1], dtype=pl.Int32),
            "b": pl.Series([1, 2, None, 4, 5, 6], dtype=pl.Int16),
            "c": pl.Series([None, None, None, 10, 20, 30], dtype=pl.Int64),
            "d": [date(2020, 1, 1)] * 6,
            "e": ["x", "y", "z", "x", "y", "z"],
            "f": [True, False] * 3,
            "g": pl.Series([3, 4, 5, 6, 7, 8], dtype=pl.UInt16),
        }
    )
    path = tmp_path / "facts.parquet"
    frame.write_parquet(path, row_group_size=3, statistics=True)
    from wengang.screening.evaluate import parquet_facts_stats

    no_null, bounds = parquet_facts_stats(path)
    assert no_null == {"a", "d", "e", "f", "g"}
    assert bounds == {"a": (-3, 9), "b": (1, 6), "c": (10, 30), "g": (3, 8)}
    frame.write_parquet(path, statistics=False)
    assert parquet_facts_stats(path) == (frozenset(), {})
