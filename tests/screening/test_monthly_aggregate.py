"""The monthly rows' per-unit aggregate (``features.contribution_features``) against a plain computation, row by row.

The flat columns the group-by sums are written to spare passes over 10^7 rows (a row that adds nothing adds a null,
not a 0; a fully paid month null where the date is missing; a missing late fee left null; the count summed as a
Boolean; the years told by month ranges): the aggregates must be those of the definitions below — a unit none of whose
rows adds anything sums to 0 — with missing values, months around the year and the latest month, repeated months (the
mask's bits then carry) and units of many rows."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.screening.features import CODE_KEY, MAX_STREAK, MONTH_INDEX, FeatureParams, contribution_features

Y1 = 2024  # the year before the policy year
P = FeatureParams(policy_year=Y1 + 1, evaluation_date=date(2025, 8, 1), latest_month="2025-07")
LATEST = 2025 * 12 + 6
FIRST_OF_Y1 = Y1 * 12


def _reference(rows: list[dict]) -> dict[int, dict]:
    """Each unit's aggregates, as defined (a missing value makes a condition fail; sums skip missing values)."""
    out: dict[int, dict] = {}
    for r in rows:
        a = out.setdefault(
            r["key"],
            {"_mask": 0, "_full_months": 0, "paid_premium_last_year_fen": 0, "backpay_other_years_fen": 0,
             "late_fee_fen": 0, "_persons_sum": 0, "_dec_persons": None},
        )  # fmt: skip
        mi, paid, due, pd = r["mi"], r["paid"], r["due"], r["pd"]
        k = None if mi is None else LATEST - mi
        full = paid is not None and due is not None and pd is not None and paid >= due and pd <= P.evaluation_date
        if full and k is not None and 0 <= k < MAX_STREAK:
            a["_mask"] = (a["_mask"] + (1 << k)) % (1 << 64)
        if full and k is not None and k >= 0:
            a["_full_months"] += 1
        year = None if mi is None else mi // 12
        paid_in_y1 = pd is not None and date(Y1, 1, 1) <= pd <= date(Y1, 12, 31)
        if year == Y1 and pd is not None and pd <= P.paid_by and paid is not None:
            a["paid_premium_last_year_fen"] += paid
        if year is not None and year < Y1 and paid_in_y1 and paid is not None:
            a["backpay_other_years_fen"] += paid
        if paid_in_y1 and r["fee"] is not None:
            a["late_fee_fen"] += r["fee"]
        if year == Y1 and r["persons"] is not None:
            a["_persons_sum"] += r["persons"]
        if mi == FIRST_OF_Y1 + 11 and r["persons"] is not None:
            a["_dec_persons"] = max(a["_dec_persons"] or 0, r["persons"]) if a["_dec_persons"] is not None else r["persons"]
    return out


_day = st.one_of(
    st.none(),
    st.sampled_from([date(Y1, 1, 1), date(Y1, 12, 31), date(Y1 - 1, 12, 31), date(Y1 + 1, 1, 1), P.paid_by,
                     P.evaluation_date, P.evaluation_date + timedelta(days=1)]),  # fmt: skip
    st.dates(date(Y1 - 2, 1, 1), date(Y1 + 2, 12, 31)),
)
_row = st.fixed_dictionaries(
    {
        "key": st.integers(0, 5),
        # around the year, the latest month, the streak's 63 months and past them
        "mi": st.one_of(
            st.none(),
            st.sampled_from([LATEST, LATEST + 1, LATEST - MAX_STREAK + 1, LATEST - MAX_STREAK, FIRST_OF_Y1 - 1,
                             FIRST_OF_Y1, FIRST_OF_Y1 + 11, FIRST_OF_Y1 + 12]),  # fmt: skip
            st.integers(LATEST - 70, LATEST + 3),
            st.integers(FIRST_OF_Y1 - 2, FIRST_OF_Y1 + 13),
        ),
        "paid": st.one_of(st.none(), st.integers(0, 10**6)),
        "due": st.one_of(st.none(), st.integers(-10, 10**6), st.just(0)),
        "pd": _day,
        "fee": st.one_of(st.none(), st.integers(0, 10**4)),
        "persons": st.one_of(st.none(), st.integers(0, 10**4)),
    }
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_row, min_size=1, max_size=60), by_key_only=st.booleans())
def test_aggregates_are_the_plain_definitions(rows: list[dict], by_key_only: bool) -> None:
    frame = pl.DataFrame(
        {
            CODE_KEY: [r["key"] for r in rows],
            "credit_code": [f"C{r['key']}" for r in rows],
            MONTH_INDEX: [r["mi"] for r in rows],
            "due_fen": [r["due"] for r in rows],
            "paid_fen": [r["paid"] for r in rows],
            "paid_date": [r["pd"] for r in rows],
            "late_fee_fen": [r["fee"] for r in rows],
            "insured_persons": [r["persons"] for r in rows],
        },
        schema={CODE_KEY: pl.UInt32, "credit_code": pl.String, MONTH_INDEX: pl.Int32, "due_fen": pl.Int64,
                "paid_fen": pl.Int64, "paid_date": pl.Date, "late_fee_fen": pl.Int64, "insured_persons": pl.Int64},
    )  # fmt: skip
    got = contribution_features(frame.lazy(), P, by_key_only=by_key_only).collect(engine="streaming")
    assert got.schema["_full_months"].is_integer()  # read as Int64 by add_contributions
    if not by_key_only:  # grouped by the key, the code carried: the code stands for the key here
        got = got.with_columns(pl.col("credit_code").str.slice(1).cast(pl.UInt32).alias(CODE_KEY))
    want = _reference(rows)
    assert got.height == len(want)
    for row in got.iter_rows(named=True):
        expected = want[row[CODE_KEY]]
        assert {c: row[c] for c in expected} == expected, (row, expected)
