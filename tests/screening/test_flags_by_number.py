"""The exclusion flags joined by registry number as True written at the listed units' rows
(``features._flags_by_number``): what the join by number gives, with no flag read as False (``finalise``'s default)."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.screening.features import CODE_KEY, _flags_by_number, _join_by_number
from wengang.screening.schemas import EXCLUSION_LIST_TYPES


@st.composite
def tables(draw):
    numbers = sorted(draw(st.sets(st.integers(0, 60), max_size=30)))  # the registry's numbers, gaps where quarantined
    left = pl.DataFrame({"credit_code": [f"C{k}" for k in numbers], CODE_KEY: pl.Series(numbers, dtype=pl.UInt32)})
    # flags of listed numbers: units in the registry, quarantined ones, a number past every unit's, none
    listed = draw(st.lists(st.one_of(st.none(), st.integers(0, 70)), unique=True, max_size=12))
    flags = {t: draw(st.lists(st.booleans(), min_size=len(listed), max_size=len(listed))) for t in EXCLUSION_LIST_TYPES}
    right = pl.DataFrame(
        {CODE_KEY: pl.Series(listed, dtype=pl.UInt32), **flags},
        schema={CODE_KEY: pl.UInt32, **dict.fromkeys(EXCLUSION_LIST_TYPES, pl.Boolean)},
    )
    return left, right


@settings(max_examples=300, deadline=None)
@given(t=tables())
def test_flags_written_at_the_listed_rows_are_the_join(t):
    left, right = t
    got = _flags_by_number(left, right.lazy()).collect()
    want = _join_by_number(left, right, CODE_KEY).with_columns(
        pl.col(c).fill_null(False) for c in EXCLUSION_LIST_TYPES
    )
    assert_frame_equal(got, want)


@settings(max_examples=300, deadline=None)
@given(
    numbers=st.sets(st.integers(0, 80), max_size=40),
    listed=st.lists(st.lists(st.one_of(st.none(), st.integers(0, 90)), unique=True, max_size=12), min_size=1, max_size=3),
    data=st.data(),
)
def test_small_tables_written_at_their_rows_are_the_join(numbers, listed, data):
    """``_join_by_number`` with a memo of the left rows (a small table's rows written at their units' rows, the lookup
    kept for the next table; a table of more rows looked up row by row): what a left join gives, for tables of units
    in the registry, quarantined ones (gaps), numbers past every unit's and none, one table after another."""
    numbers = sorted(numbers)
    left = pl.DataFrame({"credit_code": [f"C{k}" for k in numbers], CODE_KEY: pl.Series(numbers, dtype=pl.UInt32)})
    memo: dict = {}
    for j, keys in enumerate(listed):
        n = len(keys)
        right = pl.DataFrame(
            {
                CODE_KEY: pl.Series(keys, dtype=pl.UInt32),
                f"n{j}": data.draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=n, max_size=n)),
                f"t{j}": data.draw(st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=n, max_size=n)),
                f"b{j}": [True] * n,
            },
            schema_overrides={f"n{j}": pl.Int64, f"t{j}": pl.String},
        )
        want = left.join(right, on=CODE_KEY, how="left", maintain_order="left")
        left = _join_by_number(left, right, CODE_KEY, memo)
        assert_frame_equal(left, want)
