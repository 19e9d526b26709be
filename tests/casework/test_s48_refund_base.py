"""The ledger keeps the 返还基数 the rules computed a 稳岗返还 from (``case_decisions.base_fen``, hashed from hash version 4):
the 决定书 of a screened unit states it beside the class and the rate, as one case's letter does, and a 划型变更 rescales
it exactly — base × the new rate, the one rounding rule — where the amount alone fixed the new one only to within a fen or
two (``ledger._rescaled``). The agency's whole path: ``wengang screen --facts`` → ``case import`` (each row decided again,
the base taken from there) → notice, confirmation, 初审, 复审 → the 决定书 → 划型变更. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import text

from wengang.casework.intake import decision_from_obj, read_screening_output
from wengang.casework.outputs import letter_input
from wengang.documents.letters import compose_letter
from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code
from wengang.screening.pipeline import run_screening

ON = date(2024, 9, 1)
AGENCY = {"name": "阳泉市人力资源和社会保障局", "review_body": "阳泉市人民政府", "court": "有管辖权的人民法院"}
# 晋人社厅发〔2024〕28号 二: 320 average contributors, 大型, 30 %; a base whose 30 % and 60 % both round
BASE_FEN = 1_000_001
UNIT = {
    "name": "阳泉测试有限公司", "region_code": "140300", "org_type": "enterprise", "months_fully_paid": 36,
    "paid_premium_last_year_fen": BASE_FEN, "backpay_other_years_fen": 0, "insured_headcount": 330,
    "avg_insured_last_year": 330, "avg_contributors_12m": 320, "layoffs_last_year": 0, "normal_attrition_last_year": 2,
    "has_corporate_account": True,
}  # fmt: skip


def _screened(ledger, tmp_path, n: int = 1) -> list[str]:
    codes = [make_credit_code("91", "140300", f"MA00048{i}1") for i in range(n)]
    facts = tmp_path / "facts.parquet"
    pl.DataFrame([{**UNIT, "credit_code": c} for c in codes]).write_parquet(facts)
    out = tmp_path / "out"
    run_screening(out, program="fanhuan", evaluation_date=ON, facts=facts, excel=False, settings={"fund_reserve_years": 1})
    assert "base_fen" not in pl.read_parquet(out / "results.parquet").columns  # the import decides it again
    si = read_screening_output(out, year=2024)
    assert si.unconfirmed == 0
    assert si.frame["base_fen"].to_list() == [BASE_FEN] * n
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == n
    return codes


def _reviewed(ledger, did: int) -> None:
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 10, 31), channels=("sms",))
    assert ledger.confirm_many([did], "clerk", today=date(2024, 9, 10)) == 1
    assert ledger.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert ledger.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1


def _letter(ledger, did: int) -> str:
    item = letter_input(ledger.letter_view(did))
    assert item is not None
    return "\n".join(compose_letter(item, AGENCY, issued_on=date(2024, 10, 1)).paragraphs)


def test_the_decision_letter_of_a_screened_unit_states_its_base(ledger, tmp_path):
    (code,) = _screened(ledger, tmp_path)
    did = ledger.find(program="fanhuan", year=2024, unit_id=code)
    d = ledger.decision(did)
    assert (d["amount_fen"], d["size_class"], d["base_fen"]) == (300_000, "large", BASE_FEN)
    _reviewed(ledger, did)
    letter = _letter(ledger, did)
    assert "返还基数（企业及其职工上年度实际缴纳失业保险费）：10,000.01元" in letter, letter
    assert "企业划型：大型企业" in letter and "适用返还比例：30%" in letter and "3,000.00元" in letter, letter
    assert letter.index("返还基数") < letter.index("核定稳岗返还"), letter
    assert ledger.verify_audit().ok


def test_a_size_change_rescales_the_base_exactly(ledger, tmp_path):
    """30 % of 10,000.01元 is 3,000.00元 (3,000.003); at 60 % the base gives 6,000.01元 (6,000.006, half up). The amount
    alone gave 6,000.00元, any of 5,999.99–6,000.01元 allowed: a fen short of the rules' amount."""
    (code,) = _screened(ledger, tmp_path)
    did = ledger.find(program="fanhuan", year=2024, unit_id=code)
    _reviewed(ledger, did)
    ledger.change_size_class(did, "checker", new_size_class="medium", reason="统计部门正式划型为中型企业")
    ent = ledger.decision(did)["entitlement"]
    assert (ent["amount_fen"], ent["size_class"], ent["kinds"]) == (600_001, "medium", ["size_class"])
    letter = _letter(ledger, did)
    assert "企业划型：中型企业" in letter and "适用返还比例：60%" in letter, letter
    assert "返还基数（企业及其职工上年度实际缴纳失业保险费）：10,000.01元" in letter, letter
    assert "6,000.01元" in letter and "审定的返还基数" in letter, letter


def test_an_edited_base_breaks_the_chain(ledger, tmp_path):
    """The base is hashed with the row (hash version 4): written over in the database, the ledger no longer verifies."""
    codes = _screened(ledger, tmp_path, n=2)
    assert ledger.verify_audit().ok
    with ledger.engine.begin() as c:
        c.execute(text("update case_decisions set base_fen = base_fen * 2 where unit_id = :u"), {"u": codes[0]})
    report = ledger.verify_audit()
    assert not report.ok


def test_a_one_case_import_keeps_the_base_the_decision_states(tmp_path):
    facts = {**UNIT, "credit_code": make_credit_code("91", "140300", "MA0000481"), "fund_reserve_years": None}
    facts.pop("fund_reserve_years")
    one = evaluate("fanhuan", "140300", ON, facts, settings={"fund_reserve_years": "1"})
    assert one.status == "eligible"
    dec = decision_from_obj(json.loads(json.dumps(one.to_dict(), default=str)), facts=facts)
    assert dec.base_fen == BASE_FEN


def test_a_ledger_hashed_at_version_3_verifies_and_its_base_is_not_stated(ledger, tmp_path, monkeypatch):
    """Decisions imported before the ledger kept the base (hash version 3: no base_fen) verify with what they hashed; a
    base found in such a row is covered by no hash, so the ledger does not state it or rescale by it."""
    from wengang.casework import audit
    from wengang.casework.models import HASHED, HASHED_V3

    with monkeypatch.context() as m:  # the code before hash version 4
        m.setattr(audit, "HASH_VERSION", 3)
        m.setitem(HASHED, "case_decisions", HASHED_V3["case_decisions"])
        m.setattr(audit, "inserted_hash", lambda *a: None)  # hash the rows as stored
        (code,) = _screened(ledger, tmp_path)
    assert ledger.verify_audit().ok
    did = ledger.find(program="fanhuan", year=2024, unit_id=code)
    with ledger.engine.connect() as c:
        assert c.execute(text("select base_fen from case_decisions where id = :i"), {"i": did}).scalar() == BASE_FEN
    assert ledger.decision(did)["base_fen"] is None
    _reviewed(ledger, did)
    letter = _letter(ledger, did)
    assert "核定依据：企业划型：大型企业；适用返还比例：30%" in letter and "10,000.01元" not in letter, letter
    ledger.change_size_class(did, "checker", new_size_class="medium", reason="统计部门正式划型为中型企业")
    assert ledger.decision(did)["entitlement"]["amount_fen"] == 600_000  # rescaled from the amount, as before


def test_an_application_whose_base_was_edited_is_refused(tmp_path):
    """``case self-apply`` registers an evaluation only as the rules decide its facts again: the base it states is now part
    of what must agree (an edited base, the amount left alone, would be stated in the 决定书 and rescaled by a 划型变更)."""
    from ledger_helpers import MORE_STAFF, STAFF, register_staff
    from typer.testing import CliRunner

    from wengang.casework import Ledger
    from wengang.casework.cli import case_app
    from wengang.cli import app as main_app

    runner = CliRunner()
    url = f"sqlite:///{tmp_path}/ledger.db"
    register_staff(Ledger.open(url), STAFF | MORE_STAFF).close()
    facts = Path(__file__).resolve().parents[2] / "examples" / "fanhuan" / "eligible_sme.json"  # 通辽, 18号
    r = runner.invoke(main_app, ["evaluate", str(facts), "--json"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)
    stated = next(o["value"] for o in ev["outputs"] if o["id"] == "base")
    assert ev["status"] == "eligible" and stated == "18,640.50元"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**ev, "outputs": [
        {**o, "value": "18,640.51元"} if o["id"] == "base" else o for o in ev["outputs"]]}, ensure_ascii=False), "utf-8")
    r = runner.invoke(case_app, ["self-apply", str(edited), "--facts", str(facts), "--db", url, "--user", "clerk"])
    assert r.exit_code == 2 and "返还基数" in r.output and "18,640.51" in r.output and "18,640.50" in r.output, r.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(ev, ensure_ascii=False), "utf-8")
    r = runner.invoke(case_app, ["self-apply", str(good), "--facts", str(facts), "--db", url, "--user", "clerk"])
    assert r.exit_code == 0 and "申请已登记" in r.output, r.output
    led = Ledger.open(url)
    try:
        did = led.find(program="fanhuan", year=2025, unit_id=ev["subject_id"])
        assert led.decision(did)["base_fen"] == 1_864_050
    finally:
        led.close()
