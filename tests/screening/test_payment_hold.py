"""兵团征求意见稿 二（一）: a unit with deferred premiums not yet paid up is entitled, its payment held (review E5).

Screening writes ``payment_hold`` / ``payment_hold_reason`` beside the status, as the one-case decision
carries the output ``payment_hold``: the casework import holds such a decision instead of refusing it.
"""

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.programs.test_fanhuan_properties import IDS, SCENARIOS, SCHEMA, units

from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code
from wengang.screening.evaluate import RESULT_COLUMNS, screen_facts

S06 = {
    "credit_code": "91140300MA0K1234XK",
    "name": "兵团测试有限公司",
    "org_type": "enterprise",
    "size_class": "small",
    "months_fully_paid": 24,
    "paid_premium_last_year_fen": 10000000,
    "insured_headcount": 50,
    "avg_insured_last_year": 50,
    "layoffs_last_year": 0,
    "has_corporate_account": True,
    "outstanding_deferral": True,
}
ON = date(2024, 8, 1)
SETTINGS = {"fund_reserve_years": 2}
# the hold reading, given: no document fixes fanhuan.deferral_unpaid since session 42 (docs/decisions.md §123)
HOLD = {"fanhuan.deferral_unpaid": "hold"}


def test_one_case_and_screening_agree_on_the_hold():
    assert evaluate("fanhuan", "bingtuan", ON, S06, settings=SETTINGS, include_drafts=True).status == "needs_decision"
    one = evaluate("fanhuan", "bingtuan", ON, S06, settings=SETTINGS, include_drafts=True, readings=HOLD)
    assert (one.status, one.amount_fen) == ("eligible", 6000000)
    assert [o for o in one.outputs if o[0] == "payment_hold"]
    rows = [{**S06, "region_code": "bingtuan"}, {**S06, "credit_code": make_credit_code("91", "659001", "MA0K12355"), "region_code": "bingtuan", "outstanding_deferral": False}]
    res, _ = screen_facts(pl.DataFrame(rows).lazy(), "fanhuan", ON, settings=SETTINGS, include_drafts=True, readings=HOLD)
    out = res.collect()
    assert {"payment_hold", "payment_hold_reason"} <= set(RESULT_COLUMNS)
    assert out["status"].cast(pl.String).to_list() == ["eligible", "eligible"]
    assert out["amount_fen"].to_list() == [6000000, 6000000]
    assert out["payment_hold"].to_list() == [True, False]
    assert "补足失业保险费后" in out["payment_hold_reason"][0] and out["payment_hold_reason"][1] is None


def test_no_hold_where_the_document_has_no_such_rule():
    rows = [{**S06, "credit_code": "91150502MA0N1234XN", "region_code": "150502"}]
    res, _ = screen_facts(pl.DataFrame(rows).lazy(), "fanhuan", date(2025, 8, 1))
    assert res.collect()["payment_hold"].to_list() == [False]


# the hold is compiled in the rules' first stage, from the columns the checks share (the effective size class under
# the account hold, above all): whatever the facts, each row's reason is the one case's output, word for word
ACCOUNT_FIELDS = ("has_corporate_account", "has_tax_payment_account", "applied")
ACCOUNT_ROWS = st.fixed_dictionaries(
    {
        "has_corporate_account": st.booleans(),
        "has_tax_payment_account": st.booleans(),
        "applied": st.booleans(),
    }
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(units(), ACCOUNT_ROWS), min_size=1, max_size=10))
def test_the_hold_of_every_row_is_the_one_case_output(scenario, rows):
    _, region, on, drafts, region_settings = scenario
    facts = [{**unit, **account} for unit, account in rows]
    table = [{**f, "credit_code": f"u{i}", "region_code": region} for i, f in enumerate(facts)]
    res, _ = screen_facts(
        pl.DataFrame(table, schema_overrides={**SCHEMA, **dict.fromkeys(ACCOUNT_FIELDS, pl.Boolean)}).lazy(), "fanhuan", on, settings=region_settings,
        include_drafts=drafts,
    )
    out = res.collect()
    for f, got in zip(facts, out.iter_rows(named=True), strict=True):
        one = evaluate("fanhuan", region, on, f, settings=region_settings, include_drafts=drafts)
        said = next((v for i, _, v in one.outputs if i == "payment_hold"), None)
        assert (str(got["status"]), got["payment_hold_reason"], got["payment_hold"]) == (
            one.status, said, said is not None
        ), f
