"""Per-run sums of the monthly rows (``features.sum_runs``) equal Polars' group-by, nulls included."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.screening.features import sum_runs

values = st.one_of(st.none(), st.integers(-(2**40), 2**40))


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(st.lists(st.tuples(values, values), min_size=1, max_size=6), max_size=30),
    gaps=st.lists(st.integers(1, 3), min_size=30, max_size=30),
)
def test_sum_runs_equals_the_group_by(runs, gaps):
    keys, a, b = [], [], []
    key = 0
    for run, gap in zip(runs, gaps, strict=False):
        key += gap  # sorted keys with gaps, each key one run
        for x, y in run:
            keys.append(key)
            a.append(x)
            b.append(y)
    frame = pl.DataFrame(
        {"k": pl.Series(keys, dtype=pl.UInt32), "a": pl.Series(a, dtype=pl.Int64), "b": pl.Series(b, dtype=pl.Int64)}
    )
    want = frame.group_by("k", maintain_order=True).agg(pl.col("a").sum(), pl.col("b").max())
    assert_frame_equal(sum_runs(frame, "k", ("a",), ("b",)), want)


def test_sum_runs_bits_and_all_null_runs():
    """Unsigned month bits add like the group-by; a run whose values are all null sums to 0 and has no maximum."""
    frame = pl.DataFrame(
        {
            "k": pl.Series([3, 3, 5, 9, 9, 9], dtype=pl.UInt32),
            "bits": pl.Series([1, 2**62, 4, None, 8, 16], dtype=pl.UInt64),
            "n": pl.Series([None, None, 7, 1, None, 2], dtype=pl.Int64),
        }
    )
    got = sum_runs(frame, "k", ("bits",), ("n",))
    assert got.to_dicts() == [
        {"k": 3, "bits": 1 + 2**62, "n": None},
        {"k": 5, "bits": 4, "n": 7},
        {"k": 9, "bits": 24, "n": 2},
    ]
    assert sum_runs(frame.clear(), "k", ("bits",), ("n",)).height == 0
