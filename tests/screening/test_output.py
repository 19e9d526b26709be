"""Result files written frame by frame: what is read back is exactly what was written, in order."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.rules.batch import STATUS_DTYPE
from wengang.screening.output import ParquetAppender


def _frame(start: int, n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "credit_code": [f"CODE{i:014d}" for i in range(start, start + n)],  # > 12 bytes: not inline views
            "status": pl.Series(["eligible", "ineligible"] * (n // 2) + ["eligible"] * (n % 2), dtype=STATUS_DTYPE),
            "amount_fen": [i * 100 if i % 3 else None for i in range(start, start + n)],
            "note": [None] * n,
        },
        schema={"credit_code": pl.String, "status": STATUS_DTYPE, "amount_fen": pl.Int64, "note": pl.String},
    )


def test_one_frame(tmp_path):
    df = _frame(0, 5)
    with ParquetAppender(tmp_path / "r.parquet") as out:
        out.write(df)
    assert out.rows == 5
    assert_frame_equal(pl.read_parquet(tmp_path / "r.parquet"), df)


def test_several_frames_keep_their_order_and_types(tmp_path):
    frames = [_frame(0, 0), _frame(0, 7), _frame(7, 0), _frame(7, 4), _frame(11, 1)]
    with ParquetAppender(tmp_path / "r.parquet") as out:
        for f in frames:
            out.write(f)
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert out.rows == 12
    assert back.schema == frames[1].schema  # the status stays the categorical it was
    assert_frame_equal(back, pl.concat(frames))


def test_a_column_of_another_arrow_type_is_cast_to_the_first(tmp_path):
    first = _frame(0, 2)
    later = _frame(2, 2).with_columns(pl.col("amount_fen").cast(pl.Int32))
    with ParquetAppender(tmp_path / "r.parquet") as out:
        out.write(first)
        out.write(later)
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert back.schema["amount_fen"] == pl.Int64
    assert back["amount_fen"].to_list() == first["amount_fen"].to_list() + later["amount_fen"].cast(pl.Int64).to_list()


@pytest.mark.parametrize("frames_before", [1, 3])
def test_a_failed_run_leaves_no_file(tmp_path, frames_before):
    path = tmp_path / "r.parquet"
    with pytest.raises(RuntimeError):
        with ParquetAppender(path) as out:
            for i in range(frames_before):
                out.write(_frame(i * 2, 2))
            raise RuntimeError("partition failed")
    assert not path.exists()


def test_a_frame_with_other_columns_is_refused(tmp_path):
    path = tmp_path / "r.parquet"
    with pytest.raises(ValueError):
        with ParquetAppender(path) as out:
            out.write(_frame(0, 2))
            out.write(_frame(2, 2))
            out.write(_frame(4, 2).drop("note"))
    assert not path.exists()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "a;b", "b;a", "a;a", "c;", ";c", "b;c;a"])), max_size=60))
def test_summary_counts_each_reason_of_each_unit(reasons):
    from collections import Counter

    from wengang.screening.output import summarise

    n = len(reasons)
    results = pl.DataFrame(
        {
            "credit_code": [str(i) for i in range(n)], "region_code": ["150502"] * n, "status": ["ineligible"] * n,
            "amount_fen": [None] * n, "reasons": reasons,
        },
        schema={"credit_code": pl.String, "region_code": pl.String, "status": pl.String, "amount_fen": pl.Int64,
                "reasons": pl.String},
    )  # fmt: skip
    counts = Counter(c for r in reasons if r for c in r.split(";") if c)
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    got = summarise(results.lazy(), {"a": "甲"}).by_reason
    assert got == [(c, {"a": "甲"}.get(c, c), k) for c, k in want]
