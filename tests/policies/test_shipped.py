"""The shipped policy files: they load, and every clause is the law's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from wengang.policies import REQUIRED_PARAMS, load_policy_set
from wengang.policies.loader import normalize
from wengang.regions import REGIONS

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [Path("/work/shared"), REPO.parent / "shared"]
SHARED = next((p for p in CANDIDATES if (p / "policy-texts").is_dir()), None)

EXPECTED_IDS = {
    "national-1999-tiaoli",
    "national-2024-40",
    "shanxi-2024-28",
    "yangquan-2024-121",
    "bingtuan-2024-draft",
    "im-2019-4",
    "im-2022-86",
    "tongliao-2022-139",
    "im-2025-18",
}


def test_every_shipped_file_loads():
    ps = load_policy_set()
    assert {d.id for d in ps.documents} == EXPECTED_IDS
    assert load_policy_set() is ps  # cached


def test_documents_can_be_found_by_id_or_number():
    ps = load_policy_set()
    assert ps.get("内人社发〔2025〕18号").id == "im-2025-18"
    assert ps.get("national-2024-40").number == "人社部发〔2024〕40号"
    with pytest.raises(KeyError):
        ps.get("人社部发〔2099〕1号")


def test_metadata():
    ps = load_policy_set()
    assert ps.get("bingtuan-2024-draft").status == "draft"
    assert ps.get("bingtuan-2024-draft").implements == ("national-2024-40",)
    assert ps.get("im-2019-4").status == "historical"
    assert ps.get("im-2022-86").implements_external == ("人社部发〔2022〕23号", "人社部发〔2022〕31号")
    assert ps.get("im-2025-18").implements_external == ("人社部发〔2025〕18号",)
    assert ps.get("yangquan-2024-121").forwards == "shanxi-2024-28"
    assert ps.get("tongliao-2022-139").forwards == "im-2022-86"
    assert ps.get("national-1999-tiaoli").source_kind == "secondary"
    for d in ps.documents:
        assert d.jurisdiction in REGIONS


def _source_text(doc) -> str:
    assert SHARED is not None
    if doc.source_kind == "secondary":
        return (SHARED / "domain" / "facts.md").read_text(encoding="utf-8")
    return (SHARED / "policy-texts" / doc.source).read_text(encoding="utf-8")


@pytest.mark.skipif(SHARED is None, reason="policy texts not available")
@pytest.mark.parametrize("doc_id", sorted(EXPECTED_IDS))
def test_every_clause_is_verbatim_in_its_source(doc_id):
    doc = load_policy_set().get(doc_id)
    source = normalize(_source_text(doc))
    for key, text in doc.clauses.items():
        assert normalize(text) in source, f"{doc.file} clause {key} is not verbatim in {doc.source}"


@pytest.mark.skipif(SHARED is None, reason="policy texts not available")
def test_every_parameter_quote_is_verbatim_in_the_source():
    ps = load_policy_set()
    for doc in ps.documents:
        source = normalize(_source_text(doc))
        for block in doc.programs.values():
            for p in block.params.values():
                assert normalize(p.quote) in source, (doc.id, p.name)
            for s in block.region_settings.values():
                assert normalize(s.quote) in source, (doc.id, s.name)


def test_every_block_uses_a_registered_ruleset():
    for doc in load_policy_set().documents:
        for pid, block in doc.programs.items():
            assert (pid, block.ruleset) in REQUIRED_PARAMS


def test_typed_values():
    from fractions import Fraction

    ps = load_policy_set()
    fh = ps.get("im-2025-18").programs["fanhuan"].params
    assert fh["max_layoff_rate"].value == Fraction(11, 200)
    assert fh["refund_rate_sme"].value == Fraction(3, 5)
    assert fh["min_months_fully_paid"].value == 12
    assert fh["excluded_units"].value == ["serious_dishonesty", "zombie_clearance", "env_noncompliant"]
    sk = ps.get("im-2025-18").programs["skill_subsidy"].params
    assert sk["amount_level3"].value == 200000  # fen
    loan = ps.get("im-2022-86").programs["startup_loan"].params
    assert loan["max_amount_individual"].value == 20 * 10000 * 100
    assert loan["max_amount_small_firm"].value == 300 * 10000 * 100
    sx = ps.get("shanxi-2024-28").programs["fee_rate"].params
    assert (sx["unit_rate"].value, sx["individual_rate"].value) == (Fraction(7, 1000), Fraction(3, 1000))


def test_texts_silent_on_a_figure_declare_a_region_setting():
    ps = load_policy_set()
    assert "urgent_occupations" in ps.get("im-2025-18").programs["skill_subsidy"].region_settings
    assert "max_layoff_rate" in ps.get("national-2024-40").programs["fanhuan"].region_settings
    assert "class1_minimum_wage" in ps.get("im-2019-4").programs["internship"].region_settings
    assert "local_avg_monthly_benefit" in ps.get("im-2019-4").programs["fanhuan"].region_settings
