"""Money sums in screening are exact (issue 12 item 5): nothing wraps around in Int64.

Rows carry at most 10^13 fen (1000 亿元) — larger values are quarantined with a reason, before any
multiplication (yuan → fen) could wrap — so a unit's sums over its monthly rows stay far inside Int64;
sums across units (the run summary) are taken in Int128 and come out as Python ints.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.facts.identifiers import make_credit_code
from wengang.screening.features import derive_features
from wengang.screening.ingest import RawTable
from wengang.screening.output import summarise
from wengang.screening.quarantine import MAX_AMOUNT_FEN, validate_table
from wengang.screening.schemas import CONTRIBUTIONS, UNITS

A = make_credit_code("91", "150502", "MA0000001")
NEAR = 2**63 - 1


def _monthly(rows: list[tuple], yuan: bool = False) -> RawTable:
    cols = ["credit_code", "month", "due_fen", "paid_fen", "paid_date", "late_fee_fen", "insured_persons"]
    df = pl.DataFrame(rows, schema=cols, orient="row").with_row_index("source_row", offset=1)
    return RawTable(CONTRIBUTIONS, "monthly.csv", df.lazy(), dict.fromkeys(("due_fen", "paid_fen"), "yuan") if yuan else {})


def test_amounts_near_2_63_are_quarantined_with_a_reason_not_wrapped():
    texts = ["9223372036854775807", "9223372036854775808", "92233720368547758070", str(MAX_AMOUNT_FEN + 1)]
    rows = [(A, f"2024-{i + 1:02d}", "1", v, "2024-01-15", "0", "3") for i, v in enumerate(texts)]
    # the largest accepted (for enough persons that it is not above the plausible premium per person, schemas)
    rows.append((A, "2024-10", "1", str(MAX_AMOUNT_FEN), "2024-01-15", "0", "1000000000"))
    res = validate_table(_monthly(rows))
    q = res.quarantine
    assert q.get_column("source_row").to_list() == [1, 2, 3, 4]
    assert q.get_column("reason_zh").str.contains("金额超出范围").all()
    assert res.accepted.get_column("paid_fen").to_list() == [MAX_AMOUNT_FEN]
    # yuan → fen: 92233720368547758 元 × 100 wraps in Int64; it is refused before the multiplication
    yuan = [(A, "2024-01", "1", "92233720368547758.07", "2024-01-15", "0", "3"),
            (A, "2024-02", "1", "100000000000.00", "2024-01-15", "0", "1000000000")]  # fmt: skip
    res = validate_table(_monthly(yuan, yuan=True))
    assert res.quarantine.get_column("source_row").to_list() == [1]
    assert res.accepted.get_column("paid_fen").to_list() == [10**13]
    # integer columns (Parquet) too: compared in their own type before × 100
    df = pl.DataFrame({"source_row": [1, 2], "credit_code": [A, A], "month": ["2024-01", "2024-02"],
                       "due_fen": [1, 1], "paid_fen": [NEAR // 100 + 1, 5], "insured_persons": [3, 2**40]})  # fmt: skip
    res = validate_table(RawTable(CONTRIBUTIONS, "m.parquet", df.lazy(), {"paid_fen": "yuan"}))
    assert res.quarantine.get_column("source_row").to_list() == [1, 2]
    assert "金额超出范围" in res.quarantine.item(0, "reason_zh") and "数值超出范围" in res.quarantine.item(1, "reason_zh")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, MAX_AMOUNT_FEN), min_size=12, max_size=12))
def test_a_units_sums_over_its_months_are_exact(amounts):
    units = pl.DataFrame(
        {"credit_code": [A], "name": ["u"], "region_code": ["150502"], "org_type": ["enterprise"]}
    ).with_columns([pl.lit(None, dtype=c.dtype).alias(c.name) for c in UNITS.columns if c.name not in
                    ("credit_code", "name", "region_code", "org_type")]).select(UNITS.names)  # fmt: skip
    rows = [(A, f"2023-{m + 1:02d}", a, a, date(2023, m + 1, 15), a, 10**9) for m, a in enumerate(amounts)]
    monthly = pl.DataFrame(rows, schema=CONTRIBUTIONS.polars_schema(), orient="row")
    out = derive_features(units, monthly, policy_year=2024, evaluation_date=date(2024, 1, 15)).collect()
    assert out.item(0, "paid_premium_last_year_fen") == sum(amounts)
    assert out.item(0, "late_fee_fen") == sum(amounts)
    assert out.item(0, "avg_contributors_12m") == 10**9  # 12 × 10^9 persons summed, then ÷ 12


def test_run_summary_totals_past_int64_are_exact():
    big = 2**62 + 7
    results = pl.DataFrame({
        "credit_code": ["a", "b", "c", "d"], "region_code": ["150502"] * 4,
        "status": ["eligible", "eligible", "eligible", "ineligible"], "amount_fen": [big, big, big, None],
        "reasons": ["", "", "", "x"], "size_class": ["small"] * 4,
        "payment_hold": [True, True, False, False],
    })  # fmt: skip
    s = summarise(results.lazy(), {})
    assert s.total_amount_fen == 3 * big > 2**63
    assert dict((st_, a) for st_, _, a in s.by_status)["eligible"] == 3 * big
    assert s.by_region[0][3] == 3 * big and s.by_size[0][2] == 3 * big
    assert (s.held, s.held_amount_fen) == (2, 2 * big)
    assert s.to_dict()["total_amount_fen"] == 3 * big
