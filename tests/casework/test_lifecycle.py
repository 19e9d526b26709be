"""The lifecycle end to end, and each branch of the transition table."""

from __future__ import annotations

import json
from datetime import date

import pytest
from ledger_helpers import (
    DEADLINE,
    PAYDAY,
    RUN,
    RUN_SX,
    TODAY,
    approve_applied_accounts,
    decision,
    decision_sx,
    snapshot,
    to_payable,
)

from wengang.casework import TRANSITIONS, LedgerError
from wengang.casework.operators import add_operator


def test_full_path_screening_to_payment(ledger):
    res = ledger.import_decisions(RUN, [decision(1), decision(2, status="ineligible", amount_fen=None)], "clerk")
    assert (res.offered, res.inserted) == (2, 2)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    assert ledger.decision(did)["state"] == "screened"
    other = ledger.find(program="fanhuan", year=2025, unit_id=decision(2).unit_id)
    assert ledger.decision(other)["state"] == "not_eligible"

    assert ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE) == 1
    # the account the unit gives is a change request until a second person approves it (four eyes)
    cid = ledger.confirm(did, "clerk", amount_fen=120_001, account_no="6222111", today=TODAY)
    assert ledger.decision(did)["account_no"] == decision(1).account_no
    ledger.approve_account(cid, "checker")
    ledger.first_review(did, "clerk", approve=True, reason="材料齐全")
    ledger.second_review(did, "checker", approve=True, reason="同意")
    assert ledger.publicize("gs-2025-1", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7) == 1
    # during 公示 nothing is paid
    assert ledger.run_payment_batch("b0", "fanhuan", 2025, "cashier", today=date(2025, 10, 5)).paid == 0
    res = ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.amount_fen) == (1, 120_001)
    d = ledger.decision(did)
    assert d["state"] == "paid"
    assert d["payments"][0]["account_no"] == "6222111"
    actions = [h["action"] for h in d["history"]]
    # the set-based steps (import, notify, 公示, the payment batch) are chunk events that list or cover it
    assert actions == ["import", "notify", "confirm", "approve_account", "first_review", "second_review", "publicize", "pay"], actions
    assert ledger.reconcile()["ok"]
    assert ledger.verify_audit().ok


def test_offer_notice_carries_explanation_deadline_and_the_texts_own_waiver(ledger):
    # 晋人社厅发〔2024〕28号 六: an offer to confirm; the waiver is the text's (period end), not the deadline's
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 9, 30), channels=("sms", "portal", "letter"))
    with ledger.engine.connect() as c:
        rows = {r.channel: r.body for r in c.exec_driver_sql("select channel, body from case_outbox")}
    assert set(rows) == {"sms", "portal", "letter"}
    assert "2024年9月30日" in rows["sms"] and "1,200.01元" in rows["sms"] and "确认是否接受" in rows["sms"]
    assert "政策执行期限（至2024年12月31日）内未确认且未主动申请的，视为放弃" in rows["sms"]
    assert "逾期未确认视为放弃" not in rows["sms"]
    assert "上年度裁员率 1.2% ≤ 5.5%" in rows["portal"] and "资金用途" in rows["portal"]


def test_notice_under_a_text_without_confirmation_only_informs(ledger):
    # 内人社发〔2025〕18号 四 “以短信等方式告知企业，无需企业申请” (E8)
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", channels=("sms", "portal"))
    with ledger.engine.connect() as c:
        rows = {r.channel: (r.template, r.body) for r in c.exec_driver_sql("select channel, template, body from case_outbox")}
    assert {t for t, _ in rows.values()} == {"inform"}
    assert "无需申请" in rows["sms"][1] and "1,200.01元" in rows["sms"][1] and "对公账户" in rows["sms"][1]
    assert "确认" not in rows["sms"][1] and "放弃" not in rows["sms"][1]


def test_decline_then_apply_within_the_year(ledger):
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.decline(did, "clerk", reason="暂不需要")
    with ledger.engine.connect() as c:
        body = c.exec_driver_sql("select body from case_outbox where template='declined'").scalar_one()
    assert "本年内仍可" in body
    assert ledger.self_apply(decision(1), "clerk", today=date(2025, 8, 1)) == did
    assert ledger.decision(did)["state"] == "applied"


def test_decliner_cannot_apply_next_year(ledger):
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.decline(did, "clerk")
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(decision(1), "clerk", today=date(2026, 1, 5))
    assert e.value.code == "year_over"


def test_unconfirmed_is_waived_only_after_the_policy_period(ledger):
    # 晋人社厅发〔2024〕28号 六 “在政策执行期限内，未确认且未主动申请的，视为企业放弃” (E8, A15)
    ledger.import_decisions(RUN_SX, [decision_sx(1), decision_sx(2)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31))
    a = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(1).unit_id)
    ledger.confirm(a, "clerk", today=date(2024, 10, 1))  # after the operator deadline, within the period
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 8, 1)) == 0  # operator deadline passed
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2024, 12, 31)) == 0  # last day of the period
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2025, 1, 1)) == 1
    b = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(2).unit_id)
    assert ledger.decision(b)["state"] == "waived"
    assert ledger.decision(a)["state"] == "confirmed"


def test_no_waiver_where_the_text_has_none(ledger):
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    assert ledger.waive_unconfirmed("fanhuan", 2025, "clerk", today=date(2026, 6, 1)) == 0
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    assert ledger.decision(did)["state"] == "notified"


def test_self_application_for_unit_screening_missed(ledger):
    did = ledger.self_apply(decision(7), "clerk")
    assert ledger.self_apply(decision(7), "clerk") == did  # the same application again changes nothing
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=5)
    approve_applied_accounts(ledger)  # the account given with the application: a second person approves it
    assert ledger.pay_decision(did, "cashier", amount_fen=120_007, today=PAYDAY)
    assert ledger.decision(did)["origin"] == "self_application"


def test_needs_decision_is_resolved_by_a_caseworker(ledger):
    ledger.import_decisions(RUN, [decision(1, status="needs_decision", amount_fen=None)], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    assert ledger.decision(did)["state"] == "pending_determination"
    ledger.resolve(did, "clerk", eligible=True, amount_fen=90_000, reason="按安徽口径认定")
    d = ledger.decision(did)
    assert d["state"] == "screened" and d["entitlement"]["amount_fen"] == 90_000
    assert d["amount_fen"] is None  # the rule output itself is never rewritten


def test_rejected_at_first_review_is_terminal(ledger):
    did = ledger.self_apply(decision(3), "clerk")
    ledger.first_review(did, "clerk", approve=False, reason="非独立法人")
    assert ledger.decision(did)["state"] == "rejected"
    with pytest.raises(LedgerError):
        ledger.second_review(did, "checker", approve=True, reason="x")


def test_deferred_firm_is_held_until_it_pays_up(ledger):
    ids = to_payable(ledger, 2)
    ledger.hold(ids[0], "clerk")
    res = ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 1
    ledger.release(ids[0], "clerk")
    assert ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    assert ledger.decision(ids[0])["state"] == "paid"


def test_missing_account_is_not_paid_and_reported(ledger):
    ledger.import_decisions(RUN, [decision(1, account_no=None, payment_channel="tax_payment_account")], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    ledger.confirm(did, "clerk", today=TODAY)
    ledger.review_many([did], "clerk", stage=1, approve=True, reason="ok")
    ledger.review_many([did], "checker", stage=2, approve=True, reason="ok")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    res = ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.missing_account) == (0, 1)
    # 无对公账户的小微企业: the 税务 payment account is supplied, then it is paid there
    cid = ledger.set_account(did, "cashier", account_no="150100000000001", reason="税务部门提供的缴费账户")
    res = ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.pending_account) == (0, 1)  # not until a second person approves the account
    with pytest.raises(LedgerError, match="复核"):
        ledger.approve_account(cid, "cashier")  # the requester, and not a 复核
    ledger.approve_account(cid, "checker")
    res = ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 1
    p = ledger.decision(did)["payments"][0]
    assert (p["channel"], p["account_no"]) == ("tax_payment_account", "150100000000001")


def test_bounce_fix_account_and_retry(ledger):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY)
    pid = ledger.decision(ids[0])["payments"][0]["id"]
    ledger.record_bounce(pid, "cashier", reason="户名不符")
    assert ledger.decision(ids[0])["state"] == "bounced"
    with pytest.raises(LedgerError):
        ledger.record_bounce(pid, "cashier", reason="again")
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    cid = ledger.fix_account(ids[0], "cashier", account_no="6222000000000777")
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0  # awaiting approval
    ledger.approve_account(cid, "checker")
    assert ledger.decision(ids[0])["state"] == "account_fixed"
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    pays = ledger.decision(ids[0])["payments"]
    assert [(p["seq"], p["account_no"]) for p in pays] == [(0, "62220000" + "0" * 8), (1, "6222000000000777")]
    [bal] = ledger.balances(unit_id=decision(0).unit_id)
    assert (bal["paid_fen"], bal["returned_fen"], bal["net_fen"]) == (240_000, 120_000, 120_000)
    assert ledger.reconcile()["ok"]


def test_transition_table_is_explicit():
    assert TRANSITIONS["confirm"].sources == {"notified"}
    assert TRANSITIONS["second_review"].targets == ("approved", "rejected")
    for t in TRANSITIONS.values():
        assert t.zh and t.basis


def test_history_has_before_and_after(ledger):
    did = ledger.self_apply(decision(5), "clerk")
    ledger.first_review(did, "clerk", approve=True, reason="核实无误")
    h = ledger.decision(did)["history"][-1]
    assert (h["actor"], h["action"], h["reason"]) == ("clerk", "first_review", "核实无误")
    assert json.loads(h["before"]) == {"state": "applied"}
    assert json.loads(h["after"]) == {"state": "first_reviewed"}
    snapshot(ledger)


def test_account_change_needs_a_second_person_and_can_be_turned_down(ledger):
    [did] = to_payable(ledger, 1)
    old = ledger.decision(did)["account_no"]
    add_operator(ledger, "cashier2", roles=["出纳"], display_name="周出纳", actor="admin")
    cid = ledger.set_account(did, "cashier", account_no="6222000000000888", reason="单位来函更换账户")
    with pytest.raises(LedgerError, match="待复核"):  # one open request per decision
        ledger.set_account(did, "cashier2", account_no="6222000000000999", reason="again")
    assert [c["id"] for c in ledger.account_changes()] == [cid]
    assert ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY).pending_account == 1
    ledger.approve_account(cid, "lead", approve=False, reason="来函无公章")
    assert ledger.decision(did)["account_no"] == old and ledger.account_changes() == []
    with pytest.raises(LedgerError, match="已复核"):
        ledger.approve_account(cid, "checker")
    res = ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 1 and ledger.decision(did)["payments"][0]["account_no"] == old
    with pytest.raises(LedgerError, match="fix_account"):  # paid: only a bounce opens the account again
        ledger.set_account(did, "cashier", account_no="6222000000000555", reason="x")
    snapshot(ledger)


def test_the_requester_may_not_approve_their_own_account_change_even_holding_both_roles(ledger):
    [did] = to_payable(ledger, 1)
    old = ledger.decision(did)["account_no"]
    add_operator(ledger, "paycheck", roles=["出纳", "复核"], display_name="吴兼岗", actor="admin")
    cid = ledger.set_account(did, "paycheck", account_no="6222000000000888", reason="单位来函更换账户")
    with pytest.raises(LedgerError) as e:
        ledger.approve_account(cid, "paycheck")
    assert e.value.code == "same_operator" and "申请人" in e.value.zh
    assert ledger.decision(did)["account_no"] == old and [c["id"] for c in ledger.account_changes()] == [cid]
    ledger.approve_account(cid, "checker")
    assert ledger.decision(did)["account_no"] == "6222000000000888" and ledger.account_changes() == []
    snapshot(ledger)


def test_notices_to_the_unit_leave_out_the_agencys_checks_and_field_names(ledger):
    # a message to a unit carries its reasons as a letter says them: the verification flag (the agency's to do
    # before paying) and the fact's field name in brackets are the caseworker's, not the unit's (人社部发〔2024〕40号 二 告知)
    expl = ("✔ 足额缴纳失业保险费12个月以上\n✔ 上年度参保人数（insured_persons_avg）为 20 人\n"
            "核查：已于审核之日查询严重失信主体名单并存档后再发放")
    ledger.import_decisions(RUN_SX, [decision_sx(1, explanation=expl)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 9, 30), channels=("portal", "letter"))
    with ledger.engine.connect() as c:
        bodies = [r.body for r in c.exec_driver_sql("select body from case_outbox")]
    assert len(bodies) == 2
    for body in bodies:
        assert "足额缴纳失业保险费12个月以上" in body and "上年度参保人数" in body
        assert "insured_persons_avg" not in body and "核查" not in body and "存档后再发放" not in body
