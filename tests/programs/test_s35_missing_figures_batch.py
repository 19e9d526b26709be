"""A table decides what one case decides when region figures are missing (session 35, C1): a reading's outcome waits
for a figure only where that reading's path reads it on the row (``batch.region_null``, ``engine.unknown_inputs``).

Scenarios with figures not given: 内政发〔2019〕4号 with neither the fund's reserve nor the hardship standard chosen
(a hardship firm's path reads them, another firm's does not), and 人社部发〔2024〕40号 in 内蒙古 2024 without the
reserve years. The unit's share of the premiums may be missing (the ``unit_only`` reading of the 2019 base needs it).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.programs.test_fanhuan_properties import SCHEMA, units
from wengang.evaluate import evaluate, ruleset_for
from wengang.policies import load_policy_set
from wengang.rules import interpretations
from wengang.rules.batch import screen_frame

PAYER = "fanhuan.base_2019_payer"

SCENARIOS = [
    ("v2019-no-figures", "150502", date(2019, 8, 1), {"max_layoff_rate": Fraction(4, 100)}),
    ("v2019-choice-only", "150502", date(2019, 8, 1), {"max_layoff_rate": Fraction(4, 100), "hardship_standard_choice": "benefit", "local_avg_monthly_benefit": 150000}),
    ("v2024-im-no-reserve", "150502", date(2024, 8, 1), {"max_layoff_rate": Fraction(11, 200)}),
]  # fmt: skip


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    unit = draw(units())
    if draw(st.booleans()):
        unit["paid_premium_unit_share_last_year_fen"] = None
    return unit


# /tmp/audit-fidelity/cases/C1.json as a full row: a medium firm, no layoffs, nothing excluded, the unit's share not given
C1_ROW: dict[str, Any] = {
    "credit_code": "91150502MA0N1234XN", "org_type": "enterprise", "size_class": "medium", "size_class_step": None,
    "stats_size_class": None, "stats_data_shared": False, "size_class_2017": None, "avg_contributors_12m": None,
    "months_fully_paid": 24, "months_fully_paid_total": 24, "paid_premium_last_year_fen": 1000000,
    "paid_premium_unit_share_last_year_fen": None, "backpay_other_years_fen": 0, "insured_headcount": 100,
    "avg_insured_last_year": 100, "layoffs_last_year": 0, "normal_attrition_last_year": 0, "serious_dishonesty": False,
    "zombie_clearance": False, "deregistered": False, "outstanding_deferral": False, "is_dispatch_firm": False,
    "dispatched_workers": 0, "dispatched_to_public_institutions": 0, "refunded_at_topup_from_rate": False,
    "hardship_approved": False, "premium_due_6m_fen": None,
}  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s[0] for s in SCENARIOS])
@example(table=[C1_ROW, dict(C1_ROW, hardship_approved=True), dict(C1_ROW, paid_premium_unit_share_last_year_fen=500000)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.lists(rows(), min_size=1, max_size=12))
def test_batch_equals_one_case_with_figures_missing(scenario, table):
    _, region, on, figures = scenario
    resolution = load_policy_set().resolve(region=region, on=on, program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    out = screen_frame(pl.DataFrame(table, schema=SCHEMA), ruleset, resolution, settings=figures).collect()
    for row, got in zip(table, out.iter_rows(named=True), strict=True):
        d = evaluate("fanhuan", region, on, row, settings=figures)
        assert (got["status"], got["amount_fen"]) == (d.status, d.amount_fen), row
        if on.year == 2019 and row["paid_premium_unit_share_last_year_fen"] is None:
            # the unit-only reading of the base lacks its data: never called immaterial, never a grant
            assert interpretations.get(PAYER).title not in d.immaterial_readings, row
            assert d.status != "eligible" or d.readings.get(PAYER) is None, row
