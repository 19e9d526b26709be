"""The 40号 fund-reserve precondition reads a province's implementing notice by the reading the notice fixes
(``fund_reserve_province_notice`` → switch ``fund_reserve.province_notice``), in 稳岗返还 as in 技能提升补贴
(``wengang.programs.fund_reserve``, decisions §141). Before, 稳岗返还 read the parameter by its presence: a notice that set
``figure_required`` was taken there as the province's confirmation, and the unit paid without the figure."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from wengang.evaluate import evaluate, parse_settings
from wengang.rules import interpretations
from wengang.screening.evaluate import screen_facts

ON = date(2024, 9, 1)
UNIT = {"credit_code": "91140300MA0K1234XK", "name": "阳泉测试有限公司", "org_type": "enterprise", "size_class": "small",
        "months_fully_paid": 24, "months_fully_paid_total": 24, "paid_premium_last_year_fen": 1_000_000,
        "insured_headcount": 50, "avg_insured_last_year": 50, "layoffs_last_year": 0, "has_corporate_account": True}
PERSON = {"id_number": "140302199001010018", "name": "张三", "insured_region": "140302", "certificate_region": "140300",
          "person_status": "employed_worker", "application_date": "2024-08-01", "certificate_issue_date": "2024-06-01",
          "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 28,
          "insured_months_continuous_at_certificate": 28, "occupation_code": "6-31-01-03", "level": 4,
          "certificate_type": "skill_level", "past_subsidies": [], "held_certificates": [], "training_subsidies": []}
CASES = [("fanhuan", UNIT, {"max_layoff_rate": "5.5%"}, 600_000), ("skill_subsidy", PERSON, {}, 150_000)]
FIGURE_REQUIRED = {"fund_reserve_province_notice": "figure_required"}  # a notice that does not confirm the reserve


def _reserve(d):
    return next(c for c in d.checks if c.id == "fund_reserve")


def test_the_switch_is_one_and_names_both_programs():
    sw = interpretations.get("fund_reserve.province_notice")
    assert set(sw.programs) == {"fanhuan", "skill_subsidy"} and sw.default == "notice_confirms"


@pytest.mark.parametrize(("program", "facts", "settings", "amount"), CASES)
def test_the_notice_confirms_by_default_and_a_figure_is_still_compared(program, facts, settings, amount):
    d = evaluate(program, "140302", ON, facts, settings=settings)
    assert (d.status, d.amount_fen) == ("eligible", amount)
    check = _reserve(d)
    assert check.passed is True and "本省已印发实施文件" in check.detail and "晋人社厅发〔2024〕28号" in check.detail
    assert any("fund_reserve_province_notice" in c or "28号" in c for c in check.citations), check.citations
    short = evaluate(program, "140302", ON, facts, settings={**settings, "fund_reserve_years": "0.5"})
    assert short.status == "needs_decision"  # under a year: the fund_reserve switch, as before


@pytest.mark.parametrize(("program", "facts", "settings", "amount"), CASES)
def test_a_notice_that_requires_the_figure_asks_for_it_in_both_programs(program, facts, settings, amount):
    d = evaluate(program, "140302", ON, facts, settings={**settings, **FIGURE_REQUIRED})
    assert d.status == "not_determinable" and d.amount_fen is None, (d.status, d.reasons)
    assert _reserve(d).passed is None and "fund_reserve_years" in " ".join(d.reasons)
    given = evaluate(program, "140302", ON, facts, settings={**settings, **FIGURE_REQUIRED, "fund_reserve_years": "2"})
    assert (given.status, given.amount_fen) == ("eligible", amount)
    assert "本省已印发实施文件" not in _reserve(given).detail


def test_the_screening_reads_the_notice_as_one_case_does():
    table = pl.DataFrame([{**UNIT, "region_code": "140302"}])
    for settings, status in (({"max_layoff_rate": "5.5%"}, "eligible"),
                             ({"max_layoff_rate": "5.5%", **FIGURE_REQUIRED}, "not_determinable")):
        results, _ = screen_facts(table, "fanhuan", ON, settings=parse_settings(settings))
        row = results.select("status", "amount_fen").collect().row(0)
        assert (str(row[0]), row[1]) == (status, 600_000 if status == "eligible" else None)


# a notice that sets a choosing parameter to a value no rule knows is refused when checked (--policy-path), at its line


def test_a_choosing_parameter_outside_its_values_is_refused_at_its_line(tmp_path):
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_with_files, packaged_root
    from wengang.policies.names import choices_read

    assert choices_read("fanhuan")["fund_reserve_province_notice"] == {"notice_confirms", "figure_required"}
    assert choices_read("skill_subsidy")["fund_reserve_province_notice"] == {"notice_confirms", "figure_required"}
    text = packaged_root().joinpath("140000", "jrstf-2024-28.yaml").read_text(encoding="utf-8")
    assert text.count("fund_reserve_province_notice: {value: notice_confirms,") == 2
    ok = tmp_path / "ok" / "sx.yaml"
    ok.parent.mkdir()
    ok.write_text(text.replace("fund_reserve_province_notice: {value: notice_confirms,",
                               "fund_reserve_province_notice: {value: figure_required,"), encoding="utf-8")
    load_with_files([ok])  # the other reading is a value the rules know
    bad = tmp_path / "bad" / "sx.yaml"
    bad.parent.mkdir()
    bad.write_text(text.replace("fund_reserve_province_notice: {value: notice_confirms,",
                                "fund_reserve_province_notice: {value: confirmed,", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_with_files([bad])
    e = info.value.all_errors[0]
    line = next(i for i, s in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "value: confirmed," in s)
    assert e.file == str(bad) and e.line == line, (e.line, line, e.message_zh)
    assert "“confirmed”" in e.message_zh and "figure_required" in e.message_zh and "notice_confirms" in e.message_zh


def test_every_installed_document_sets_choosing_parameters_to_known_values():
    from wengang.policies import load_policy_set
    from wengang.policies.names import choices_read

    checked = 0
    for doc in load_policy_set().documents:
        for pid, block in doc.programs.items():
            for name, options in choices_read(pid).items():
                if name in block.params:
                    checked += 1
                    assert str(block.params[name].value) in options, (doc.id, pid, name, block.params[name].value)
    assert checked >= 6
