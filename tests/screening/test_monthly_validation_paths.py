"""The monthly rows' validation shortcuts (session 24) give exactly what the general paths give."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import wengang.screening.quarantine as Q
from wengang.facts.identifiers import make_credit_code
from wengang.ingest.columns import MAX_AMOUNT_FEN, MAX_COUNT
from wengang.ingest.values import ValueProblem, parse_month
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import _rle_id, _rows_with, _runs, _value_numbers, validate_table
from wengang.screening.views import _held, text_views


def _chunked(values: list, cuts: list[int], dtype=pl.String) -> pl.Series:
    """``values`` as one series in several chunks, cut at ``cuts``."""
    edges = sorted({0, len(values), *(c % (len(values) + 1) for c in cuts)})
    parts = [pl.Series("x", values[a:b], dtype=dtype) for a, b in zip(edges, edges[1:], strict=False)]
    return pl.concat(parts, rechunk=False) if parts else pl.Series("x", [], dtype=dtype)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["A", "B", "C", None]), max_size=30),
    st.lists(st.integers(0, 40), max_size=5),
)
def test_run_numbers_by_chunk_are_rle_id(values, cuts):
    col = _chunked(values, cuts)
    got, want = _rle_id(col), col.rechunk().rle_id()
    assert got.to_list() == want.to_list() and got.dtype == want.dtype and got.name == col.name
    assert got.to_list() == sorted(got.to_list())  # flagged sorted: it must be


_LONG = "91150502MA0A1B2C3X"  # a credit code: longer than the 12 bytes a view holds


def _texts(values: list, cuts: list[int], shape: int) -> pl.Series:
    """``values`` laid out in the ways Polars holds texts: 0 — several chunks as built; 1 — one chunk rechunked from
    them (the same text at two places, in several data buffers); 2 — the rechunked column sliced (views at an
    offset); 3 — many copies of the texts (a chunk with several data buffers), then sliced back to them."""
    col = _chunked(values, cuts)
    if shape == 0:
        return col
    if shape == 3:
        n = len(values)
        return pl.concat([col] * 200).rechunk().slice(n * 150, n) if n else col
    one = pl.concat([col, col]).rechunk()
    return one.slice(0, len(values)) if shape == 1 else one.slice(len(values), len(values))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["A", "B", "", "123456789012", "1234567890123", _LONG, _LONG[:-1] + "Y", _LONG * 3, None]
        ),
        max_size=40,
    ),
    st.lists(st.integers(0, 40), max_size=5),
    st.integers(0, 3),
)
@example(["x" * 20, "x" * 20], [1], 1)  # one text at two places of one chunk: views differ, texts do not
def test_runs_by_views_are_rle_id(values, cuts, shape):
    col = _texts(values, cuts, shape)
    got, firsts = _runs(col)
    want = col.rechunk().rle_id()
    assert got.to_list() == want.to_list() and got.dtype == want.dtype and got.name == col.name
    assert got.to_list() == sorted(got.to_list())
    # each run's first value, in order
    starts = [i for i in range(col.len()) if i == 0 or want[i] != want[i - 1]]
    assert firsts.to_list() == [col[i] for i in starts]
    assert not _held  # every exported chunk released once its views were dropped


def test_text_views_are_the_views():
    col = pl.Series(["a", _LONG, None, "a", _LONG]).slice(1)
    views = text_views(col.rechunk())
    assert views is not None and views.dtype == pl.Int128 and views.len() == 4
    assert views.is_null().to_list() == [False, True, False, False]
    assert views[2] == 1 | (ord("a") << 32)  # a short text: its length, then its bytes
    assert (views[0] & 0xFFFFFFFF) == len(_LONG)
    del views
    assert not _held
    assert text_views(pl.Series([1, 2])) is None


def test_runs_without_views_are_rle_id(monkeypatch):
    # a Polars that does not hand the views over (or fails to): the texts are compared as they were
    col = _texts(["a", "a", _LONG, _LONG, None, None, "a"], [3], 0)
    for failure in (lambda ch: None, lambda ch: 1 // 0):
        monkeypatch.setattr(Q, "text_views", failure)
        got, firsts = _runs(col)
        assert got.to_list() == col.rle_id().to_list() and firsts.to_list() == ["a", _LONG, None, "a"]


_month = st.sampled_from(["2024-01", "2024-02", "2024-12", "2024-13", "2024/3", "", " ", "x", "2025-01"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), _month), max_size=60), st.lists(st.integers(0, 60), max_size=3), st.integers(1, 8))
def test_value_numbers_give_each_row_its_value(rows, cuts, sample):
    # a small sample: values it misses are numbered after it (the path a rare misspelt month takes)
    saved = Q._SAMPLE_ROWS
    Q._SAMPLE_ROWS = sample
    try:
        col = _chunked(rows, cuts)
        values, idx = _value_numbers(col)
    finally:
        Q._SAMPLE_ROWS = saved
    assert values.null_count() == 0 and values.n_unique() == values.len()
    assert set(values.to_list()) == set(col.drop_nulls().to_list())
    assert idx.dtype == pl.UInt32 and idx.null_count() == 0
    with_missing = pl.concat([values, pl.Series([None], dtype=pl.String)])
    assert with_missing.gather(idx).to_list() == col.to_list()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 9), max_size=30),
    st.booleans(),
    st.lists(st.one_of(st.none(), st.integers(0, 12)), max_size=5),
    st.lists(st.integers(0, 40), max_size=3),
)
def test_rows_with_is_is_in(ids, ascending, numbers, cuts):
    col = _chunked(sorted(ids) if ascending else ids, cuts, pl.UInt32)
    nums = pl.Series(numbers, dtype=pl.UInt32)
    got = _rows_with(col, nums)
    assert got.to_list() == col.is_in(nums.implode()).to_list() and got.name == col.name


A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
_amount = st.one_of(
    st.none(),
    st.integers(0, 10**6),
    st.integers(-(10**6), -1),
    st.sampled_from([MAX_AMOUNT_FEN, MAX_AMOUNT_FEN + 1, -MAX_AMOUNT_FEN - 1, 2**62]),
)
_count = st.one_of(st.none(), st.integers(0, 50), st.sampled_from([-1, MAX_COUNT, MAX_COUNT + 1]))


def _same_as_without(run, shortcut: str, replacement):
    """``run()`` (accepted rows, quarantine, report) equals itself with quarantine's ``shortcut`` replaced (the path
    taken without it); returns the run without it."""
    fast = run()
    saved = getattr(Q, shortcut)
    setattr(Q, shortcut, replacement)
    try:
        full = run()
    finally:
        setattr(Q, shortcut, saved)
    assert_frame_equal(fast[0], full[0])
    assert_frame_equal(fast[1], full[1])
    assert fast[2] == full[2]
    return full


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_amount, _amount, _amount, _count), min_size=1, max_size=12))
def test_integer_columns_read_within_their_range_as_checked_row_by_row(tmp_path_factory, rows):
    """Int64 money and count columns whose values are all in range are taken as they are and checked only
    for what can happen (negative, too many): the same accepted rows, quarantine and report as every check."""
    p = tmp_path_factory.mktemp("ints") / "c.parquet"
    n = len(rows)
    pl.DataFrame(
        {
            "credit_code": [A if i % 2 else B for i in range(n)],
            "month": [f"{2000 + i:04d}-01" for i in range(n)],
            "due_fen": [r[0] for r in rows],
            "paid_fen": [r[1] for r in rows],
            "paid_date": [None] * n,
            "late_fee_fen": [r[2] for r in rows],
            "insured_persons": [r[3] for r in rows],
        },
        schema_overrides={c: pl.Int64 for c in ("due_fen", "paid_fen", "late_fee_fen", "insured_persons")}
        | {"paid_date": pl.Date},
    ).write_parquet(p)

    def run():
        res = validate_table(read_table(p, "contributions"), key_out="__k", month_index_out="__mi")
        return res.accepted, res.quarantine, res.report

    _same_as_without(run, "_integers_within", lambda col, raw, lo, hi, v, faults: (v, faults))


def _month_ok(text: str | None) -> bool:
    try:
        return text is not None and bool(parse_month(text))
    except ValueProblem:
        return False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), _month), min_size=1, max_size=30), st.integers(1, 5))
def test_month_faults_are_the_rows_of_faulty_months(tmp_path_factory, months, sample):
    """A month's per-row fault is read from its index's nulls when the per-month table says they agree: the
    rows quarantined for their month are exactly those whose month does not read, whatever the sample."""
    p = tmp_path_factory.mktemp("months") / "c.parquet"
    n = len(months)
    pl.DataFrame(
        {
            "credit_code": [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(n)],
            "month": months,
            "due_fen": [1] * n,
            "paid_fen": [0] * n,  # nothing paid: no payment date needed
            "paid_date": [None] * n,
            "late_fee_fen": [0] * n,
            "insured_persons": [1] * n,
        },
        schema_overrides={"month": pl.String, "paid_date": pl.Date},
    ).write_parquet(p)
    saved = Q._SAMPLE_ROWS
    Q._SAMPLE_ROWS = sample
    try:
        res = validate_table(read_table(p, "contributions"), key_out="__k", month_index_out="__mi")
    finally:
        Q._SAMPLE_ROWS = saved
    bad = res.quarantine.filter(pl.col("field").str.contains("month"))["source_row"].to_list()
    assert bad == [i + 1 for i, m in enumerate(months) if not _month_ok(m)]
    want_mi = [int(m[:4]) * 12 + int(m[5:7]) - 1 for m in (parse_month(m) for m in months if _month_ok(m))]
    assert res.accepted["__mi"].to_list() == want_mi


@pytest.mark.parametrize("in_registry_order", [True, False])
def test_rows_of_a_quarantined_registry_unit(tmp_path: Path, in_registry_order: bool):
    """A monthly row of a unit whose registry row is quarantined is quarantined with that reason, whether the
    rows list the registry's units in its order (their rows found as ranges) or not (a set lookup)."""
    codes = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(6)]
    units = tmp_path / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": codes,
            "name": [f"单位{i}" for i in range(6)],
            "region_code": ["150502"] * 6,
            "org_type": ["enterprise", "enterprise", "bogus", "enterprise", "bogus", "enterprise"],
        }
    ).write_parquet(units)
    order = list(range(6)) if in_registry_order else [3, 0, 5, 2, 4, 1]
    rows = [(codes[i], f"2024-{m:02d}") for i in order for m in (1, 2, 3)]
    monthly = tmp_path / "c.parquet"
    pl.DataFrame(
        {
            "credit_code": [r[0] for r in rows],
            "month": [r[1] for r in rows],
            "due_fen": [1] * len(rows),
            "paid_fen": [0] * len(rows),
            "paid_date": [None] * len(rows),
            "late_fee_fen": [0] * len(rows),
            "insured_persons": [1] * len(rows),
        },
        schema_overrides={"paid_date": pl.Date},
    ).write_parquet(monthly)
    shared: dict = {}
    validate_table(read_table(units, "units"), key_out="__k", shared=shared, registry=True)
    res = validate_table(
        read_table(monthly, "contributions"), key_out="__k", shared=shared, month_index_out="__mi",
        registered_only=True, lazy=True,
    )
    q = res.quarantine
    expect = [j + 1 for j, r in enumerate(rows) if r[0] in (codes[2], codes[4])]
    assert q["source_row"].to_list() == expect
    assert q["reason_en"].str.contains("registry row is quarantined").all()
    assert sorted(res.accepted.collect()["__k"].unique().to_list()) == [0, 1, 3, 5]


_paid_month = st.sampled_from(["2024-01", "2024-02", "2024-03", "2024-13", None])
_paid_day = st.one_of(st.none(), st.dates(min_value=date(2022, 12, 28), max_value=date(2023, 3, 3)))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(_paid_month, _paid_day), min_size=1, max_size=12),
    st.sampled_from([1, 2]),
    st.booleans(),
)
# every date on or after the earliest start, one before its own row's start
@example([("2024-01", date(2023, 1, 5)), ("2024-03", date(2023, 2, 15))], 1, False)
@example([("2024-02", date(2023, 2, 1)), ("2024-03", date(2023, 3, 1))], 1, False)  # on the starts: no fault
def test_early_payments_without_per_row_month_starts(tmp_path_factory, rows, years, as_text):
    """The check "paid more than N years before the month covered" made without each row's month start
    (``_paid_before_start`` says no date can be that early) quarantines what the check on every row does:
    payment dates on either side of the month starts less N years, missing ones, bad months, dates as text."""
    p = tmp_path_factory.mktemp("early") / "c.parquet"
    n = len(rows)
    paid = [r[1] for r in rows]
    pl.DataFrame(
        {
            "credit_code": [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(n)],
            "month": [r[0] for r in rows],
            "due_fen": [1] * n,
            "paid_fen": [0] * n,
            "paid_date": [None if d is None else d.isoformat() for d in paid] if as_text else paid,
            "late_fee_fen": [0] * n,
            "insured_persons": [1] * n,
        },
        schema_overrides={"month": pl.String, "paid_date": pl.String if as_text else pl.Date},
    ).write_parquet(p)

    def run():
        res = validate_table(
            read_table(p, "contributions"), key_out="__k", month_index_out="__mi", max_prepay_years=years,
        )
        return res.accepted, res.quarantine, res.report

    full = _same_as_without(run, "_paid_before_start", lambda *a: True)  # every row's month start made and compared
    early = [
        i + 1
        for i, (m, d) in enumerate(rows)
        if m not in (None, "2024-13") and d is not None and d < date(2024 - years, int(m[5:]), 1)
    ]
    got = full[1].filter(pl.col("reason_en").str.contains("before the month covered"))["source_row"].to_list()
    assert got == early
