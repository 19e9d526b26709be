"""培训期间生活费补贴 is placed in a policy period by the training, not by the claim or its review (内政发〔2019〕4号 七
“2019年1月1日至2020年12月31日，对其中就业困难人员和零就业家庭成员在培训期间再给予生活费补贴”; outside fidelity audit,
session 38: a 2020 training claimed in 2021 got 无法判定 “no policy”). One case and a batch screen agree."""

from __future__ import annotations

from datetime import date

import polars as pl

from wengang.evaluate import evaluate, parse_settings
from wengang.screening.evaluate import screen_facts

BASE = {"id_number": "152301199001010015", "name": "周八", "unemployed": True, "training_passed": True,
        "employment_difficulty": True, "zero_employment_family": False, "living_allowance_times_this_year": 0,
        "receiving_ui_benefit": False}
STARTS = [date(2019, 1, 1), date(2020, 11, 1), date(2020, 12, 31), date(2021, 1, 1), date(2018, 12, 31)]
ON = date(2021, 1, 20)
SETTINGS = {"living_allowance_standard": "800元"}


def test_one_case_and_the_batch_place_the_allowance_by_the_training():
    cases = [{**BASE, "training_start": s} for s in STARTS]
    one = [evaluate("training_living_allowance", "150502", ON, c, settings=SETTINGS) for c in cases]
    assert [(d.status, d.amount_fen) for d in one] == [
        ("eligible", 80000), ("eligible", 80000), ("eligible", 80000), ("ineligible", None), ("ineligible", None)]
    assert all("按培训开始日期" in d.period_basis for d in one)
    assert "不在文件规定的期间内" in one[3].reasons[0]
    table = pl.DataFrame(cases).with_columns(pl.lit("150502").alias("region_code"))
    out, _ = screen_facts(table, "training_living_allowance", ON, settings=parse_settings(SETTINGS))
    got = out.collect().sort("training_start")
    want = sorted(zip(STARTS, one, strict=True))
    assert [(r["status"], r["amount_fen"]) for r in got.iter_rows(named=True)] == [
        (d.status, d.amount_fen) for _, d in want]
