from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.facts.identifiers import make_credit_code
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import ValidationFailed, _duplicates_in_runs, validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
BAD = A[:17] + ("0" if A[17] != "0" else "1")


def _write(tmp_path: Path, rows) -> Path:
    p = tmp_path / "c.csv"
    head = "credit_code,month,due_fen,paid_fen,paid_date,late_fee_fen,insured_persons"
    p.write_text("\n".join([head, *[",".join(r) for r in rows]]) + "\n", encoding="utf-8")
    return p


ROWS = [
    [A, "2023-01", "100", "100", "2023-01-15", "0", "3"],  # good
    [A, "2023-13", "100", "100", "2023-01-15", "0", "3"],  # month 13
    [BAD, "2023-02", "-5", "x", "2023-02-30", "", "3"],  # several faults, one row
    [B, "2023-03", "100", "100", "2023-03-15", "", "3"],  # duplicate key (both copies)
    [B, "2023-03", "100", "100", "2023-03-15", "", "3"],
    [B, "2023-04", "100", "100", "2019-01-01", "", "3"],  # paid > 1 year before the month
    ["", "2023-05", "100", "100", "2023-05-15", "", "3"],  # missing required
    [B, "2023-06", "100", "100", "2023-06-15", "", "3"],  # good
]


def test_reconciles_and_quarantines_once(tmp_path: Path):
    p = _write(tmp_path, ROWS)
    res = validate_table(read_table(p, "contributions"))
    r = res.report
    assert (r.rows_in, r.accepted, r.quarantined) == (8, 2, 6) and r.reconciles
    q = res.quarantine
    assert q.columns == ["source_file", "source_row", "field", "value", "reason_zh", "reason_en"]
    assert q["source_row"].to_list() == [2, 3, 4, 5, 6, 7]
    assert q["source_file"].unique().to_list() == [str(p)]
    multi = q.filter(pl.col("source_row") == 3).row(0, named=True)
    for f in ("due_fen", "paid_fen", "paid_date", "credit_code"):
        assert f in multi["field"]
    assert "校验码错误：应为" in multi["reason_zh"] and "金额为负" in multi["reason_zh"]
    assert f"expected {A[17]}, got {BAD[17]}" in multi["reason_en"]
    assert "duplicate key" in q.filter(pl.col("source_row") == 4)["reason_en"][0]
    assert "more than 1 year" in q.filter(pl.col("source_row") == 6)["reason_en"][0]
    assert "required" in q.filter(pl.col("source_row") == 7)["reason_en"][0]
    assert sum(r.by_reason.values()) >= r.quarantined


def test_strict_raises(tmp_path: Path):
    p = _write(tmp_path, ROWS)
    with pytest.raises(ValidationFailed) as e:
        validate_table(read_table(p, "contributions"), strict=True)
    assert "第2行" in str(e.value) and "row 2" in str(e.value)
    ok = _write(tmp_path, [ROWS[0]])
    assert validate_table(read_table(ok, "contributions"), strict=True).report.accepted == 1


def test_unknown_region(tmp_path: Path):
    p = tmp_path / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": [A, B],
            "name": ["a", "b"],
            "region_code": ["150502", "110101"],
            "org_type": ["enterprise", "bogus"],
        }
    ).write_parquet(p)
    res = validate_table(read_table(p, "units"), allowed_regions={"150502"})
    assert res.report.accepted == 1
    reasons = res.quarantine["reason_en"][0]
    assert "region code is not in the allowed set" in reasons and "org_type" in reasons


# duplicates among rows that come in runs are found between neighbours; it must agree with hashing
_run_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 4)),  # identifier (null: missing)
        st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=6),  # its months
    ),
    max_size=6,
)


@given(_run_rows)
def test_duplicates_between_neighbours_agree_with_hashing(units):
    ids, months = [], []
    for ident, ms in units:
        present = sorted(m for m in ms if m is not None)
        it = iter(present)
        ms_sorted = [None if m is None else next(it) for m in ms]  # ascending, nulls where they were
        ids += [ident] * len(ms)
        months += ms_sorted
    i = pl.Series("i", ids, dtype=pl.UInt32)
    m = pl.Series("m", months, dtype=pl.Int32)
    got = _duplicates_in_runs(i, m)
    if got is None:  # not in runs (an identifier twice) or nothing to compare: the caller hashes
        return
    frame = pl.DataFrame([i, m])
    expected = frame.select(
        pl.struct("i", "m").is_duplicated() & pl.col("i").is_not_null() & pl.col("m").is_not_null()
    ).to_series()
    assert got.to_list() == expected.to_list()
