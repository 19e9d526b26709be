"""An application whose result rests on a reading the agency has not settled (待认定) is registered as such, with its
result under each reading kept, and settled as a screened 待认定 is (``case adopt`` / ``case resolve``) before 初审.

Before, ``Ledger._apply`` refused it as “申请未通过规则审核（needs_decision）” — a refusal of an application that had
failed nothing, and nothing of it kept for the agency to settle. SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from ledger_helpers import approve_applied_accounts, case_cli, staffed

from wengang.casework import LedgerError
from wengang.casework.intake import decision_from_obj, packed_outcomes
from wengang.documents.letters import outcome_list, reading_results
from wengang.evaluate import evaluate
from wengang.web.demo import APPLICANT_FACTS

ON = date(2025, 8, 1)
# 11 months in a row, 23 in all: “足额缴纳失业保险费12个月以上” read as cumulative pays, as consecutive refuses
PENDING_FACTS = {**APPLICANT_FACTS, "months_fully_paid": 11, "months_fully_paid_total": 23}
AMOUNT = 1_118_430  # 18,640.50元 × 60 %, the cumulative reading's amount
SWITCH = "fanhuan.months_fully_paid"


def _files(tmp_path, facts=PENDING_FACTS, **edit):
    ev = json.loads(json.dumps(evaluate("fanhuan", "150502", ON, facts).to_dict(), default=str))
    ev.update(edit)
    app, fx = tmp_path / "app.json", tmp_path / "facts.json"
    app.write_text(json.dumps(ev, ensure_ascii=False), "utf-8")
    fx.write_text(json.dumps(facts, ensure_ascii=False), "utf-8")
    return ev, str(app), str(fx)


def test_the_outcomes_are_packed_as_a_screening_packs_them():
    import polars as pl

    from wengang.evaluate import normalise_facts, program_model
    from wengang.screening.evaluate import screen_facts

    ev = json.loads(json.dumps(evaluate("fanhuan", "150502", ON, PENDING_FACTS).to_dict(), default=str))
    assert ev["status"] == "needs_decision" and ev["amount_fen"] is None
    packed = packed_outcomes(ev)
    # the same case screened packs its results by reading the same way: only the reading the result depends on
    # (the evaluation's outcomes vary over two more that change no result: 以下解释不影响结论)
    row, _ = normalise_facts(program_model("fanhuan"), PENDING_FACTS)
    screened, _ = screen_facts(pl.DataFrame([row]), "fanhuan", ON)
    assert packed == screened.collect().get_column("outcomes").cast(pl.String)[0]
    assert packed == f"默认:eligible:{AMOUNT}|{SWITCH}=consecutive:ineligible:"
    assert len({k for o in ev["outcomes"] for k in o["readings"]}) > 1
    # read back by the letters' reader: each understanding with its result
    back = outcome_list({"outcomes": packed, "readings": ev["readings"]})
    assert [(o["readings"][SWITCH], o["status"], o["amount_fen"]) for o in back] == [
        ("cumulative", "eligible", AMOUNT), ("consecutive", "ineligible", None)]
    # any other status carries none
    eligible = json.loads(json.dumps(evaluate("fanhuan", "150502", ON, APPLICANT_FACTS).to_dict(), default=str))
    assert eligible["status"] == "eligible" and packed_outcomes(eligible) is None
    # an outcome that cannot be read is refused, naming it
    with pytest.raises(LedgerError) as e:
        decision_from_obj({**ev, "outcomes": [*ev["outcomes"][:1], {"readings": {}, "status": "paid"}]})
    assert "outcomes 第 2 项" in e.value.zh


def test_a_pending_application_is_registered_settled_reviewed_and_paid(db, tmp_path):
    """The caseworker's whole path: evaluate → self-apply (registered 待认定, its results by reading kept) → 初审 refused
    until settled → case adopt (the rules' result under the adopted reading) → 初审 → 复审 → 公示 → pay; the audit
    trail verifies."""
    staffed(db)
    ev, app, fx = _files(tmp_path)
    out = case_cli(db, "self-apply", app, "--facts", fx, "--account", "6222000011112222", "--user", "clerk")
    assert "待认定" in out and "case adopt" in out, out
    led = db.open()
    try:
        did = led.find(program="fanhuan", year=2025, unit_id=APPLICANT_FACTS["credit_code"])
        d = led.decision(did)
        assert (d["state"], d["origin"], d["entitlement"]["status"]) == ("pending_determination", "self_application",
                                                                         "needs_decision")
        assert d["outcomes"] == packed_outcomes(ev)
        lines = reading_results(d)
        assert any("符合条件" in x and "11,184.30" in x for x in lines) and any("不符合条件" in x for x in lines), lines
        # not reviewed while the reading is open: 初审 takes applied (or confirmed) decisions only
        with pytest.raises(LedgerError) as e:
            led.first_review(did, "clerk", approve=True, reason="初审")
        assert e.value.code == "transition_refused"
        # the same application again changes nothing
        assert "未重复登记" in case_cli(db, "self-apply", app, "--facts", fx, "--user", "clerk")
    finally:
        led.close()
    out = case_cli(db, "adopt", str(did), "--reading", f"{SWITCH}=cumulative", "--reason", "厅务会纪要：累计计算",
                   "--user", "clerk")
    assert "符合条件" in out and "11,184.30" in out, out
    led = db.open()
    try:
        d = led.decision(did)
        assert d["state"] == "applied" and d["entitlement"]["status"] == "eligible"
        assert d["entitlement"]["amount_fen"] == AMOUNT
        led.first_review(did, "clerk", approve=True, reason="初审通过")
        led.second_review(did, "checker", approve=True, reason="复审通过")
        approve_applied_accounts(led)
        led.publicize("gs-pending", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
        paid = led.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=date(2025, 10, 20))
        assert (paid.paid, paid.amount_fen, paid.refused) == (1, AMOUNT, [])
        assert led.decision(did)["state"] == "paid"
        assert led.verify_audit().ok
        # its 决定书 says how the agency decided, not that the question is open or what the other reading gives
        from wengang.casework.outputs import letter_input
        from wengang.documents.letters import compose_letter

        letter = "\n".join(compose_letter(letter_input(led.letter_view(did)), {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府",
                                                                              "court": "有管辖权的人民法院"},
                                           issued_on=date(2025, 10, 21)).paragraphs)
        assert "11,184.30元" in letter and "经办机构认定：认定政策理解（规则结果：符合条件，11,184.30元）" in letter, letter
        assert "尚未认定" not in letter and "若" not in letter and "？" not in letter, letter
    finally:
        led.close()


def test_a_pending_application_settled_the_other_way_is_not_eligible_and_by_hand_goes_to_review(db, tmp_path):
    staffed(db)
    _, app, fx = _files(tmp_path)
    case_cli(db, "self-apply", app, "--facts", fx, "--user", "clerk")
    led = db.open()
    try:
        did = led.find(program="fanhuan", year=2025, unit_id=APPLICANT_FACTS["credit_code"])
        assert led.adopt_readings(did, "clerk", readings={SWITCH: "consecutive"}, reason="须连续") == ("ineligible", None)
        assert led.decision(did)["state"] == "not_eligible"
    finally:
        led.close()
    # another unit's, settled by a 人工认定: an application goes on to 初审 (a screened one to 告知)
    other = {**PENDING_FACTS, "credit_code": "91150502MA0N5679XE", "name": "通辽市科尔沁区另一建材有限公司"}
    (tmp_path / "b").mkdir()
    _, app, fx = _files(tmp_path / "b", facts=other)
    case_cli(db, "self-apply", app, "--facts", fx, "--user", "clerk")
    led = db.open()
    try:
        did = led.find(program="fanhuan", year=2025, unit_id=other["credit_code"])
        led.resolve(did, "clerk", eligible=True, amount_fen=AMOUNT, reason="按累计理解人工核定")
        assert led.decision(did)["state"] == "applied"
        led.first_review(did, "clerk", approve=True, reason="初审通过")
        assert led.decision(did)["state"] == "first_reviewed"
    finally:
        led.close()


def test_an_application_is_registered_only_with_the_rules_results_by_reading(db, tmp_path):
    """The results by reading an application carries are the rules' (its facts evaluated again, as its amount is): one
    edited so the other reading pays is refused; one without them, and one that lacks data, are not registered."""
    staffed(db)
    ev, _, fx = _files(tmp_path)
    swapped = [{**o, "status": "eligible", "amount_fen": AMOUNT} for o in ev["outcomes"]]
    (tmp_path / "edited.json").write_text(json.dumps({**ev, "outcomes": swapped}, ensure_ascii=False), "utf-8")
    out = case_cli(db, "self-apply", str(tmp_path / "edited.json"), "--facts", fx, "--user", "clerk", code=2)
    assert "outcomes" in out and "不予登记" in out, out
    led = db.open()
    try:
        assert led.find(program="fanhuan", year=2025, unit_id=APPLICANT_FACTS["credit_code"]) is None
        dec = decision_from_obj(ev, facts=PENDING_FACTS)
        with pytest.raises(LedgerError) as e:
            led.self_apply(decision_from_obj({**ev, "outcomes": []}, facts=PENDING_FACTS), "clerk")
        assert e.value.code == "needs_outcomes" and "待认定" in e.value.zh
        # lacking a fact: not registered, and told what to do (not “未通过规则审核”)
        lacking = {k: v for k, v in APPLICANT_FACTS.items() if k != "layoffs_last_year"}
        ev2 = json.loads(json.dumps(evaluate("fanhuan", "150502", ON, lacking).to_dict(), default=str))
        assert ev2["status"] == "not_determinable"
        with pytest.raises(LedgerError) as e:
            led.self_apply(decision_from_obj(ev2, facts=lacking), "clerk")
        assert e.value.code == "not_determinable" and "补充" in e.value.zh and "未通过" not in e.value.zh
        assert led.find(program="fanhuan", year=2025, unit_id=APPLICANT_FACTS["credit_code"]) is None
        # a dispatch firm's shares are of a decided amount: a 待认定 one is refused, saying why
        with pytest.raises(LedgerError) as e:
            led.apply_dispatch(dec, [], "clerk")
        assert e.value.code == "not_eligible" and "待认定" in e.value.zh
    finally:
        led.close()


def test_an_application_of_a_unit_whose_screened_decision_waits_for_a_reading_names_that_state(ledger):
    """A unit screened 待认定 that applies as well: its decision is the screened one, still to be settled; the refusal
    names its state in Chinese (it had shown the code ``pending_determination``)."""
    import dataclasses

    from ledger_helpers import RUN, decision

    screened = decision(1, status="needs_decision", amount_fen=None, readings={SWITCH: "cumulative"},
                        outcomes=f"默认:eligible:120001|{SWITCH}=consecutive:ineligible:")
    ledger.import_decisions(RUN, [screened], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=screened.unit_id)
    assert ledger.decision(did)["state"] == "pending_determination"
    applied = dataclasses.replace(screened, status="eligible", amount_fen=120_001, outcomes=None)
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(applied, "clerk")
    assert e.value.code == "already_decided" and "（状态：待认定）" in e.value.zh, e.value.zh
