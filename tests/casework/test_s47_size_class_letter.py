"""A unit the rules class otherwise than the features' neutral class is recorded, and written to, as the rules class it
(decisions §132): 晋人社厅发〔2024〕28号 二 makes a unit with no statistics and no 2017-standard class 大型 by its 320
average contributors, paid 30 %. The screen's results had carried the neutral class (none), so the ledger recorded
none and the 决定书 could not state the class or the rate the amount rests on; a 兵团 unit classed by its 社保信息系统
would have been written to as its statistics class, with that class's rate. The agency's whole path: ``wengang screen
--facts`` → ``case import`` → notice, confirmation, 初审, 复审 → the 决定书. SQLite and PostgreSQL (the ``ledger`` fixture)."""

from __future__ import annotations

from datetime import date

import polars as pl

from wengang.casework.intake import read_screening_output
from wengang.casework.outputs import letter_input
from wengang.documents.letters import compose_letter
from wengang.facts.identifiers import make_credit_code
from wengang.screening.pipeline import run_screening

ON = date(2024, 9, 1)
AGENCY = {"name": "阳泉市人力资源和社会保障局", "review_body": "阳泉市人民政府", "court": "有管辖权的人民法院"}
UNIT = {
    "name": "阳泉测试有限公司",
    "region_code": "140300",
    "org_type": "enterprise",
    "months_fully_paid": 36,
    "paid_premium_last_year_fen": 1_000_000,
    "backpay_other_years_fen": 0,
    "insured_headcount": 330,
    "avg_insured_last_year": 330,
    "avg_contributors_12m": 320,
    "layoffs_last_year": 0,
    "normal_attrition_last_year": 2,
    "has_corporate_account": True,
}


def test_a_unit_paid_as_large_is_recorded_and_written_to_as_large(ledger, tmp_path):
    code = make_credit_code("91", "140300", "MA0000047")
    facts = tmp_path / "facts.parquet"
    pl.DataFrame([{**UNIT, "credit_code": code}]).write_parquet(facts)
    out = tmp_path / "out"
    run_screening(out, program="fanhuan", evaluation_date=ON, facts=facts, excel=False,
                  settings={"fund_reserve_years": 1})  # fmt: skip
    results = pl.read_parquet(out / "results.parquet")
    assert results.select(pl.col("status").cast(pl.String), "amount_fen", "size_class").row(0) == (
        "eligible", 300_000, "large"
    )
    si = read_screening_output(out, year=2024)
    assert si.unconfirmed == 0
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 1
    did = ledger.find(program="fanhuan", year=2024, unit_id=code)
    assert ledger.decision(did)["size_class"] == "large"
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 10, 31), channels=("sms",))
    assert ledger.confirm_many([did], "clerk", today=date(2024, 9, 10)) == 1
    assert ledger.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert ledger.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    item = letter_input(ledger.letter_view(did))
    assert item is not None
    letter = "\n".join(compose_letter(item, AGENCY, issued_on=date(2024, 10, 1)).paragraphs)
    assert "企业划型：大型企业" in letter, letter
    assert "30%" in letter and "3,000.00元" in letter, letter


def test_a_class_edited_in_the_results_is_held_naming_both(ledger, tmp_path):
    """The class is decided again with the status and the amount (intake._recheck): an edited class would be stated in
    the 决定书 and rescaled from by a 划型变更, so a row whose class differs is held, the reason naming both."""
    from ledger_helpers import record_results
    from sqlalchemy import text

    codes = [make_credit_code("91", "140300", f"MA00000{i}1") for i in range(2)]
    facts = tmp_path / "facts.parquet"
    pl.DataFrame([{**UNIT, "credit_code": c} for c in codes]).write_parquet(facts)
    out = tmp_path / "out"
    run_screening(out, program="fanhuan", evaluation_date=ON, facts=facts, excel=False, settings={"fund_reserve_years": 1})
    res = pl.read_parquet(out / "results.parquet")
    assert res["size_class"].to_list() == ["large", "large"]
    # 中型 would take the SME rate in a letter or a resize: the amount alone left as the rules gave it
    res.with_columns(
        pl.when(pl.col("credit_code") == codes[0]).then(pl.lit("medium")).otherwise(pl.col("size_class")).alias("size_class")
    ).write_parquet(out / "results.parquet")
    si = read_screening_output(record_results(out), year=2024)
    assert si.unconfirmed == 1
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 2
    with ledger.engine.connect() as c:
        held = dict(c.execute(text("select unit_id, hold_reason from case_decisions where state = 'held'")).all())
    assert set(held) == {codes[0]}
    assert "企业划型：结果文件中型，重新判定大型" in held[codes[0]], held
