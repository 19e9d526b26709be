"""Confirmation, waiver and reminders as each document provides them (legal review E8, A14, A15, L1/L2),
and decisions held at import (E5)."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import PAYDAY, RUN, RUN_SX, decision, decision_sx, snapshot

from wengang.casework import LedgerError
from wengang.casework.procedure import procedure


def test_procedure_is_read_from_the_policy_data():
    im = procedure("内人社发〔2025〕18号", "fanhuan")
    assert (im.known, im.confirmation_required, im.unconfirmed_waived) == (True, False, False)
    assert not procedure("人社部发〔2024〕40号", "fanhuan").confirmation_required
    assert not procedure("内人社办发〔2022〕86号", "fanhuan").confirmation_required
    sx = procedure("晋人社厅发〔2024〕28号", "fanhuan")
    assert (sx.confirmation_required, sx.unconfirmed_waived, sx.period_end) == (True, True, date(2024, 12, 31))
    assert procedure("阳人社函〔2024〕121号", "fanhuan") == sx.__class__(**{**sx.__dict__, "policy_doc": "阳人社函〔2024〕121号"})
    bt = procedure("bingtuan-2024-draft", "fanhuan")
    assert (bt.confirmation_required, bt.unconfirmed_waived, bt.reminders) == (True, False, True)
    unknown = procedure("某发〔2030〕1号", "fanhuan")
    assert (unknown.known, unknown.confirmation_required, unknown.unconfirmed_waived) == (False, True, False)


def test_L1_operator_deadline_never_waives_and_a_later_self_application_is_taken(ledger):
    # the review's script, under 内人社发〔2025〕18号: right = no waiver, the application is accepted
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=date(2025, 7, 31), channels=("sms",))
    assert ledger.waive_unconfirmed("fanhuan", 2025, "clerk", today=date(2025, 8, 1)) == 0
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    assert ledger.self_apply(decision(1), "clerk", today=date(2025, 9, 1)) == did
    assert ledger.decision(did)["state"] == "applied"


def test_L1_shanxi_waiver_only_after_the_period_and_only_without_an_application(ledger):
    ledger.import_decisions(RUN_SX, [decision_sx(1), decision_sx(2)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31), channels=("sms",))
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 8, 1)) == 0
    a = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(1).unit_id)
    b = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(2).unit_id)
    assert ledger.self_apply(decision_sx(1), "clerk", today=date(2024, 9, 1)) == a  # 主动申请 within the period
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2025, 1, 1)) == 1
    assert (ledger.decision(a)["state"], ledger.decision(b)["state"]) == ("applied", "waived")
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(decision_sx(2), "clerk", today=date(2025, 1, 5))
    assert e.value.code == "period_over"  # after the period every application is refused (晋28号 六), waived or not
    assert snapshot(ledger) == before


def test_shanxi_application_after_the_period_is_refused_even_before_the_waiver_ran(ledger):
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31))
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(decision_sx(1), "clerk", today=date(2025, 1, 1))
    assert e.value.code == "period_over" and "视为放弃" in e.value.zh
    assert snapshot(ledger) == before


def test_L2_no_confirmation_needed_where_the_text_asks_for_none(ledger):
    # 内人社发〔2025〕18号 四 “无需企业申请”: a screened decision goes to 初审 (the review's L2: right = allowed)
    ledger.import_decisions(RUN, [decision(2), decision(3)], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(2).unit_id)
    ledger.first_review(did, "clerk", approve=True, reason="初审通过")
    assert ledger.decision(did)["state"] == "first_reviewed"
    # after the (informing) notice, too, and collectively
    ledger.notify("fanhuan", 2025, "clerk", channels=("sms",))
    other = ledger.find(program="fanhuan", year=2025, unit_id=decision(3).unit_id)
    assert ledger.review_many([other], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert ledger.decision(other)["state"] == "first_reviewed"


def test_L2_shanxi_still_needs_the_units_confirmation(ledger):
    ledger.import_decisions(RUN_SX, [decision_sx(2)], "clerk")
    did = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(2).unit_id)
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 9, 30))
    before = snapshot(ledger)
    with pytest.raises(LedgerError, match="仅允许于：已申请待初审、已确认"):
        ledger.first_review(did, "clerk", approve=True, reason="初审通过")
    assert ledger.review_many([did], "clerk", stage=1, approve=True, reason="x") == 0
    assert snapshot(ledger) == before
    ledger.confirm(did, "clerk", today=date(2024, 10, 15))  # after the operator deadline: still taken
    ledger.first_review(did, "clerk", approve=True, reason="初审通过")
    assert ledger.decision(did)["state"] == "first_reviewed"


def test_reminders_after_the_operator_deadline_record_and_queue_but_never_waive(ledger):
    # 兵团征求意见稿 二(一) “对未及时确认的企业，主动联系提醒确认”
    run = RUN_SX.__class__("fanhuan", 2024, "bingtuan", {"x": "c" * 64}, {})
    bt = [decision_sx(i, policy_doc="bingtuan-2024-draft", clause="二（一）", region_code="660000") for i in (1, 2)]
    ledger.import_decisions(run, bt, "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31), channels=("sms",))
    a = ledger.find(program="fanhuan", year=2024, unit_id=bt[0].unit_id)
    ledger.confirm(a, "clerk", today=date(2024, 7, 1))
    assert ledger.remind_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 7, 31)) == 0  # deadline day
    assert ledger.remind_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 8, 1)) == 1
    assert ledger.remind_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 8, 1)) == 0  # once a day
    assert ledger.remind_unconfirmed("fanhuan", 2024, "clerk", today=date(2025, 1, 1)) == 0  # period over
    b = ledger.find(program="fanhuan", year=2024, unit_id=bt[1].unit_id)
    d = ledger.decision(b)
    assert d["state"] == "notified"
    # the chunk events that list it: imported, notified, reminded once (state unchanged, nothing waived)
    assert [h["action"] for h in d["history"]] == ["import", "notify", "remind"]
    with ledger.engine.connect() as c:
        bodies = [r.body for r in c.exec_driver_sql("select body from case_outbox where template='reminder'")]
        events = c.exec_driver_sql("select count(*) from case_audit_events where action='remind'").scalar_one()
    assert len(bodies) == 1 and "尚未确认" in bodies[0] and "视为放弃" not in bodies[0]
    assert events == 1
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2025, 6, 1)) == 0  # the draft has no waiver
    assert ledger.verify_audit().ok


def test_entitled_but_deferred_is_imported_held_and_released_when_paid_up(ledger):
    # E5: 兵团 二(一) “在及时补足失业保险费后，再按规定条件和比例发放”
    ledger.import_decisions(RUN, [decision(1, payment_hold=True, payment_hold_reason="缓缴的失业保险费尚未补足"),
                                  decision(2, payment_hold=True), decision(3)], "clerk")
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2, 3)]
    d1, d2, d3 = (ledger.decision(i) for i in ids)
    assert (d1["state"], d1["hold_reason"]) == ("held", "缓缴的失业保险费尚未补足")
    assert d2["state"] == "held" and "补足" in d2["hold_reason"]
    assert d3["state"] == "screened" and d3["hold_reason"] is None
    assert ledger.notify("fanhuan", 2025, "clerk") == 1  # the held ones wait
    with pytest.raises(LedgerError):
        ledger.first_review(ids[0], "clerk", approve=True, reason="x")
    ledger.release(ids[0], "clerk", reason="已补足缓缴的失业保险费")
    d1 = ledger.decision(ids[0])
    assert (d1["state"], d1["hold_reason"]) == ("screened", None)
    ledger.first_review(ids[0], "clerk", approve=True, reason="ok")
    ledger.second_review(ids[0], "checker", approve=True, reason="ok")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    assert ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    assert ledger.decision(ids[1])["state"] == "held"
    assert ledger.verify_audit().ok


def test_a_hold_flag_on_an_ineligible_row_makes_it_pending_not_final(ledger):
    """Screening marks a refusal that rests on a quarantined row (screening.holds): it is stored 待认定 with its
    reason, not as a final 不符合条件 (decisions §91); an unmarked refusal is final as before."""
    reason = "不予发放的结论所依据的数据有误，待核实后认定：月度缴费记录第 5 行格式有误，待核实后发放"
    ledger.import_decisions(RUN, [decision(1, status="ineligible", amount_fen=None, payment_hold=True,
                                           payment_hold_reason=reason),
                                  decision(2, status="ineligible", amount_fen=None)], "clerk")  # fmt: skip
    marked = ledger.decision(ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id))
    assert (marked["state"], marked["hold_reason"]) == ("pending_determination", reason)
    final = ledger.decision(ledger.find(program="fanhuan", year=2025, unit_id=decision(2).unit_id))
    assert final["state"] == "not_eligible"


def test_collective_first_review_asks_each_decision_its_own_document(ledger):
    # the same 文号 for two programs: 晋28号 asks for confirmation of 稳岗返还 only
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    skill_run = RUN_SX.__class__("skill_subsidy", 2024, "140000", {"x": "d" * 64}, {})
    ledger.import_decisions(skill_run, [decision_sx(2, program="skill_subsidy", claim_key="6-31-01-03:4",
                                                    payment_channel="personal_account")], "clerk")
    fh = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(1).unit_id)
    sk = ledger.find(program="skill_subsidy", year=2024, unit_id=decision_sx(2).unit_id, claim_key="6-31-01-03:4")
    assert ledger.review_many([fh, sk], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert (ledger.decision(fh)["state"], ledger.decision(sk)["state"]) == ("screened", "first_reviewed")
