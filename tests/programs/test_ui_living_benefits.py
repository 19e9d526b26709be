"""The benefits around 失业保险金 and the 2019 measures: batch ≡ one case on every combination of their facts,
and the 兵团 due date through the working-day calendar."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import polars as pl
import pytest

from wengang.evaluate import evaluate, parse_settings
from wengang.policies import load_policy_set
from wengang.programs import load_all
from wengang.rules.batch import screen_frame
from wengang.rules.engine import RULESETS

load_all()  # registers the rulesets

ID = "152301199001010015"
B = [True, False, None]

# (program, region, date, settings, {fact: values}) — every combination of the values is one row
GRIDS: list[tuple[str, str, date, dict[str, str], dict[str, list[Any]]]] = [
    ("ui_medical_premium", "150502", date(2025, 9, 1), {"medical_premium_monthly": "215.5元"}, {"receiving_ui_benefit": B, "benefit_months": [None, 0, 12]}),
    ("ui_medical_premium", "150502", date(2025, 9, 1), {}, {"receiving_ui_benefit": B}),
    ("ui_price_subsidy", "140300", date(2024, 9, 1), {"price_subsidy_monthly": "35元"}, {"receiving_ui_benefit": B}),
    ("ui_price_subsidy", "140300", date(2024, 9, 1), {"price_subsidy_monthly": "0元"}, {"receiving_ui_benefit": B}),
    ("ui_price_subsidy", "140300", date(2024, 9, 1), {}, {"receiving_ui_benefit": B}),
    (
        "training_living_allowance", "150500", date(2019, 6, 1), {"living_allowance_standard": "600元"},
        {"unemployed": B, "training_start": [None, date(2018, 12, 31), date(2019, 1, 1), date(2020, 12, 31)],
         "employment_difficulty": [True, False], "zero_employment_family": [True, False],
         "living_allowance_times_this_year": [0, 1], "receiving_ui_benefit": B},
    ),
    ("vocational_training_subsidy", "150500", date(2019, 8, 1), {"training_subsidy_amount": "1200元"}, {"unemployed": B, "training_passed": B}),
    (
        "unemployment_registration", "150500", date(2025, 9, 1), {},
        {"within_working_age": B, "able_to_work": [True, False], "seeking_work": B, "not_employed": [True, False],
         "hukou_elsewhere": [True, False], "no_personnel_archive": [True, False]},
    ),
    ("hardship_living_allowance", "150500", date(2019, 6, 1), {"hardship_allowance_amount": "800元"}, {"laid_off_or_unemployed": B, "in_living_hardship": B, "meets_local_conditions": B}),
]  # fmt: skip


@pytest.mark.parametrize("grid", GRIDS, ids=[f"{g[0]}-{i}" for i, g in enumerate(GRIDS)])
def test_batch_equals_one_case(grid):
    program, region, on, settings, values = grid
    rows = [dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())]
    resolution = load_policy_set().resolve(region=region, on=on, program=program)
    ruleset = RULESETS[(program, resolution.ruleset)]
    frame = pl.DataFrame([{**r, "id_number": ID} for r in rows])
    out = screen_frame(frame, ruleset, resolution, settings=parse_settings(settings)).collect()
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        d = evaluate(program, region, on, {**row, "id_number": ID}, settings=settings)
        assert (got["status"], got["amount_fen"]) == (d.status, d.amount_fen), (row, d.reasons)


BINGTUAN_CLAIM = {
    "id_number": ID,
    "application_date": "2024-09-27",
    "paid_months": 36,
    "involuntary_separation": True,
    "registered_unemployed": True,
    "seeking_work": True,
}


def _outputs(facts):
    d = evaluate("ui_benefit", "bingtuan", date(2024, 10, 10), facts, include_drafts=True)
    return {i: v for i, _, v in d.outputs}


def test_processing_due_date_counts_working_days():
    workdays = pytest.importorskip("wengang.workdays")
    due = workdays.add_working_days(date(2024, 9, 27), 10)
    assert _outputs(BINGTUAN_CLAIM)["processing_due"] == due.isoformat()


def test_without_the_calendar_the_limit_is_stated_and_no_due_date_guessed():
    try:
        import wengang.workdays  # noqa: F401
    except ImportError:
        out = _outputs(BINGTUAN_CLAIM)
        assert out["processing_limit"] == "10" and "processing_due" not in out
    else:
        pytest.skip("wengang.workdays is installed: the due date is tested above")
