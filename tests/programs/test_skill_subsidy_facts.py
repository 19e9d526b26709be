"""技能提升补贴 facts as an agency holds them: incomplete history entries, and given facts against derived ones."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from wengang.evaluate import InvalidFacts, evaluate
from wengang.programs.skill_subsidy import APP_SCHEMA, derive_skill_features_frame, prepare

BASE = {
    "id_number": "152301199001010015",
    "application_date": "2025-08-01",
    "person_status": "employed_worker",
    "insured_months_cumulative": 30,
    "insured_region": "150502",
    "occupation_code": "6-31-01-03",
    "level": 4,
    "certificate_type": "skill_level",
    "certificate_issue_date": "2025-06-01",
    "certificate_region": "150500",
    "urgent_occupation": False,
}


@pytest.mark.parametrize(
    ("history", "entry", "where"),
    [
        (
            "past_subsidies",
            {"occupation_code": "4-10-01-03", "level": 5},
            "past_subsidies.0.application_date",
        ),
        (
            "past_subsidies",
            {"occupation_code": "4-10-01-03", "application_date": "2025-03-01"},
            "past_subsidies.0.level",
        ),
        ("training_subsidies", {"occupation_code": "4-10-01-03"}, "training_subsidies.0.received_date"),
        ("training_subsidies", {"received_date": "2025-03-01"}, "training_subsidies.0.occupation_code"),
    ],
)
def test_a_history_entry_without_a_needed_field_is_an_input_error_naming_list_index_and_field(
    history, entry, where
):
    with pytest.raises(InvalidFacts) as exc:
        evaluate("skill_subsidy", "150502", date(2025, 9, 1), {**BASE, history: [entry]})
    text = exc.value.text()
    assert text.startswith(f"字段 {where}：缺少必填字段"), text  # Chinese first, then English
    assert f"field {where}" in text


def test_prepare_keeps_a_given_fact_and_fills_only_gaps():
    facts = {
        **BASE,
        "application_date": date(2025, 8, 1),
        "certificate_issue_date": date(2025, 6, 1),
        "certificate_outside_place": True,  # the agency's own finding; the region codes say otherwise
        "subsidies_this_year_by_application": 2,
        "past_subsidies": [],
        "held_certificates": [],
        "training_subsidies": [],
    }
    out = prepare(facts, None)
    assert out["certificate_outside_place"] is True
    assert out["subsidies_this_year_by_application"] == 2
    assert out["subsidies_this_year_by_certificate"] == 0  # a gap: derived
    assert out["certificate_age_months"] == 2


def test_the_frame_derivation_keeps_a_given_fact_too():
    row = {
        "application_id": "A1",
        "id_number": BASE["id_number"],
        "application_date": date(2025, 8, 1),
        "occupation_code": "6-31-01-03",
        "work_type": "",
        "level": 4,
        "certificate_issue_date": date(2025, 6, 1),
        "urgent_occupation": False,
        "certificate_region": "150500",
        "insured_region": "150502",
        "benefit_region": None,
        "evaluation_body": "",
    }
    apps = pl.LazyFrame(
        [
            {**row, "certificate_outside_place": True},
            {**row, "application_id": "A2", "certificate_outside_place": None},
        ],
        schema={**APP_SCHEMA, "certificate_outside_place": pl.Boolean},
    )
    out = derive_skill_features_frame(apps).sort("application_id").collect()
    assert out["certificate_outside_place"].to_list() == [True, False]  # given kept; the gap derived
    assert out["certificate_age_months"].to_list() == [2, 2]


def _grant_in_order(urgent_flags, order, slots):
    """Apply for one year's certificates in ``order`` (each granted one becomes a past subsidy); granted flags."""
    occupations = ["6-31-01-03", "4-10-01-03", "6-18-02-04", "2-02-07-04"]
    readings = {
        "skill_subsidy.urgent_extra_slots": slots,
        "skill_subsidy.urgent_uplift_scope": "all_urgent",
        "skill_subsidy.certificate_window": "any_date",
        "skill_subsidy.insured_period": "cumulative_at_application",
        "skill_subsidy.year_basis": "application",
        "skill_subsidy.status_date": "at_application",
        # applied February–May 2025, before 内人社发〔2025〕18号 was issued: its terms apply (session 42 switch)
        "skill_subsidy.terms_2025_from": "year_start",
    }
    granted: dict[int, bool] = {}
    past: list[dict] = []
    for month, i in enumerate(order, start=2):
        applied = date(2025, month, 1)
        facts = {
            **BASE,
            "occupation_code": occupations[i],
            "urgent_occupation": urgent_flags[i],
            "application_date": applied,
            "certificate_issue_date": date(2025, 1, 1),
            "past_subsidies": list(past),
            "held_certificates": [],
            "training_subsidies": [],
        }
        d = evaluate("skill_subsidy", "150500", date(2025, 12, 1), facts, readings=readings)
        assert d.status in ("eligible", "ineligible"), d.reasons
        granted[i] = d.status == "eligible"
        if granted[i]:
            past.append(
                {"occupation_code": occupations[i], "level": 4, "application_date": applied,
                 "certificate_issue_date": date(2025, 1, 1), "urgent": urgent_flags[i]}
            )  # fmt: skip
    return granted


@pytest.mark.parametrize(
    "urgent_flags",
    [(True, False), (True, True, False), (False, True, True), (True, True, True, False), (False, False)],
)
def test_urgent_fill_extra_does_not_depend_on_the_order(urgent_flags):
    """内人社发〔2025〕18号 二 under ``urgent_extra_slots = urgent_fill_extra``: a year's certificates that fit
    (at most 1 ordinary, at most 3 in all) are all granted in every order; otherwise every order grants as many."""
    from itertools import permutations

    ordinary = urgent_flags.count(False)
    fits = ordinary <= 1 and len(urgent_flags) <= 3
    counts = set()
    for order in permutations(range(len(urgent_flags))):
        granted = _grant_in_order(urgent_flags, order, "urgent_fill_extra")
        counts.add(sum(granted.values()))
        if fits:
            assert all(granted.values()), (order, granted)
    assert counts == {min(3, len(urgent_flags) - max(0, ordinary - 1))}


def test_first_uses_ordinary_depends_on_the_order():
    """The other reading: an ordinary certificate after an urgent one is refused, before it granted (s01/s02)."""
    assert _grant_in_order((True, False), (1, 0), "first_uses_ordinary") == {1: True, 0: True}
    assert _grant_in_order((True, False), (0, 1), "first_uses_ordinary") == {0: True, 1: False}
