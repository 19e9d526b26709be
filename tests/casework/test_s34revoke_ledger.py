"""A decision a confirmed risk flag stops ends: 撤销核准，不予发放 (``Ledger.revoke``; outside audit s34, D3 and D7).

Before session 34 a confirmed flag (已核实, never cleared) left its decision with no command that ends it: ``case pay``
skipped it, ``case hold`` / ``resolve`` / ``risk clear`` were refused, so it stayed 账户已更正待重发 or 公示 for good and
``case letters`` still issued a 决定书 granting the full amount. Now a 复核 other than the 稽核 who confirmed the flag
revokes the approval with a reason (人社部发〔2024〕40号 六 “在待遇审核和发放环节加强数据比对，严防冒领、骗取基金和多发待遇
风险”); the decision is 已撤销核准（不予发放）, never paid, and its letter is a 决定书 不予发放. SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from ledger_helpers import PAYDAY, STAFF, bank_file, bank_return, raise_flag, register_staff, to_payable
from sqlalchemy import text

from wengang.casework import LedgerError, audit
from wengang.casework.ledger import payment_reference
from wengang.casework.outputs import letter_input
from wengang.casework.risk_queue import confirm_flag
from wengang.casework.states import STATE_ZH, TERMINAL, TRANSITIONS
from wengang.documents.letters import compose_letter

AGENCY = {"name": "呼和浩特市就业服务局", "review_body": "呼和浩特市人民政府", "court": "呼和浩特市新城区人民法院"}
# ``dual`` holds both 稽核 and 复核: the four-eyes rule, not the role, refuses them revoking a flag they confirmed
DUAL = {"dual": (["稽核", "复核"], "周双岗")}


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | DUAL)
    yield led
    led.close()


def sound(led) -> None:
    rep = led.verify_audit()
    assert rep.ok, rep.problems
    assert led.reconcile()["ok"]


def refused(code: str, fn, *a, **kw) -> LedgerError:
    with pytest.raises(LedgerError) as e:
        fn(*a, **kw)
    assert e.value.code == code, (e.value.code, e.value.zh)
    return e.value


def test_the_transition_is_in_the_table():
    t = TRANSITIONS["revoke"]
    assert t.sources == {"approved", "publicized", "held", "bounced", "account_fixed"} and t.targets == ("revoked",)
    assert "paid" not in t.sources and "revoked" in TERMINAL and STATE_ZH["revoked"] == "已撤销核准（不予发放）"
    assert "人社部发〔2024〕40号 六" in t.basis


def test_audit_s2_confirmed_bounced_fixed_ends_revoked_and_is_never_paid(ledger, tmp_path):
    """The audit's s2: paid and sent, flag confirmed, the bank bounces it, the account is fixed and approved — then
    nothing ended it. Now a 复核 revokes it; no batch, no single payment, no bank file pays it."""
    ids = to_payable(ledger, 3)
    ledger.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "P1", tmp_path)
    fids = {did: raise_flag(ledger, did, key=f"k{did}") for did in ids}
    for fid in fids.values():
        confirm_flag(ledger, fid, "auditor", reason="核实：未全额拨付")
    did = ids[1]
    bank_return(ledger, sent, {payment_reference(ids[0], 0): True, payment_reference(did, 0): False,
                               payment_reference(ids[2], 0): True})
    assert ledger.decision(did)["state"] == "bounced"
    ledger.approve_account(ledger.fix_account(did, "cashier", account_no="6222000077770002"), "checker")
    assert ledger.decision(did)["state"] == "account_fixed"
    # what the audit found: pay skips it, hold is refused
    assert ledger.run_payment_batch("P2", "fanhuan", 2025, "cashier", today=PAYDAY).risk_confirmed == 1
    refused("transition_refused", ledger.hold, did, "clerk", reason="x")
    hold = ledger.risk_holds([did])[did]
    assert "case revoke" in hold.zh and "排除前暂停发放（稽核" not in hold.zh  # D7: no clearing a confirmed flag

    res = ledger.revoke(did, "checker", reason="经核实，派遣单位未按规定向用工单位拨付")
    assert (res.state, res.flag_ids, res.withdrawn) == ("revoked", [fids[did]], [])
    d = ledger.decision(did)
    assert d["state"] == "revoked" and d["history"][-1]["action"] == "revoke"
    assert d["history"][-1]["actor"] == "checker"
    # ended: nothing pays it, nothing moves it
    assert ledger.run_payment_batch("P3", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    refused("transition_refused", ledger.pay_decision, did, "cashier", today=PAYDAY)
    refused("transition_refused", ledger.revoke, did, "checker", reason="again")
    refused("transition_refused", ledger.hold, did, "clerk", reason="x")
    refused("transition_refused", ledger.change_size_class, did, "checker", new_size_class="small",
            new_amount_fen=10_000, reason="x")
    assert [p["fate"] for p in ledger.decision(did)["payments"]] == ["returned"]
    sound(ledger)


def test_publicized_confirmed_flag_revoked_gets_a_letter_refusing_payment(ledger):
    [did, other] = to_payable(ledger, 2)
    fid = raise_flag(ledger, did)
    out = confirm_flag(ledger, fid, "auditor", reason="核实")
    # D7: the note names the step that ends it, not ``case hold``
    assert "case hold" not in out.note_zh and f"case revoke {did}" in out.note_zh and "case hold" not in out.note_en
    assert ledger.decision(did)["state"] == "publicized"
    ledger.revoke(did, "checker", reason="经核实，你单位未按规定向用工单位拨付稳岗返还资金")
    item = letter_input(ledger.letter_view(did))
    assert item["status"] == "ineligible" and item["amount_fen"] is None
    letter = compose_letter(item, AGENCY)
    body = "\n".join(letter.paragraphs)
    assert "撤销原复审通过的核准决定，不予发放" in body and "未按规定向用工单位拨付稳岗返还资金" in body
    assert "人社部发〔2024〕40号 六" in body and "申请行政复议" in body and "提起行政诉讼" in body  # 救济途径
    assert "核定" not in body and "派遣单位未全额拨付用工单位" not in body  # never the grant; the flag is the agency's
    assert letter.kind == "决定书"
    # the other decision still gets its grant letter
    assert letter_input(ledger.letter_view(other))["status"] == "eligible"
    sound(ledger)


def test_paid_decision_is_not_revoked_and_its_note_does_not_advise_hold(ledger, tmp_path):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "P1", tmp_path)
    bank_return(ledger, sent, {payment_reference(did, 0): True})
    paid = ledger.decision(did)["payments"][0]["amount_fen"]
    f1 = raise_flag(ledger, did, key="a", amount_fen=None)
    assert confirm_flag(ledger, f1, "auditor", reason="核实").amount_fen == paid  # everything recovered
    f2 = raise_flag(ledger, did, key="b")
    out = confirm_flag(ledger, f2, "auditor", reason="核实")  # the audit's s10 flag 2: nothing left to recover
    assert out.amount_fen is None and "case hold" not in out.note_zh and "case hold" not in out.note_en
    assert "追回" in out.note_zh
    e = refused("transition_refused", ledger.revoke, did, "checker", reason="x")
    assert "已发放" in e.zh
    sound(ledger)


def test_revoke_needs_a_confirmed_flag_a_reviewer_another_person_and_a_reason(ledger):
    [did] = to_payable(ledger, 1)
    refused("no_confirmed_flag", ledger.revoke, did, "checker", reason="无疑点")
    fid = raise_flag(ledger, did)
    refused("no_confirmed_flag", ledger.revoke, did, "checker", reason="疑点待核查")  # open: not yet
    confirm_flag(ledger, fid, "dual", reason="核实")
    for who in ("auditor", "clerk", "cashier", "admin"):
        refused("role_refused", ledger.revoke, did, who, reason="x")
    refused("same_operator", ledger.revoke, did, "dual", reason="我核实的")  # four eyes
    for empty in ("", "   "):
        refused("no_reason", ledger.revoke, did, "checker", reason=empty)
    assert ledger.decision(did)["state"] == "publicized"
    ledger.revoke(did, "lead", reason="经核实不予发放")
    assert ledger.decision(did)["state"] == "revoked"
    sound(ledger)


def test_a_cleared_flag_is_no_ground(ledger):
    from wengang.casework.risk_queue import clear_flag

    [did] = to_payable(ledger, 1)
    clear_flag(ledger, raise_flag(ledger, did), "auditor", reason="系补缴")
    refused("no_confirmed_flag", ledger.revoke, did, "checker", reason="x")


def test_held_after_approval_is_revoked_held_on_arrival_is_not(ledger):
    from ledger_helpers import RUN, decision

    [did] = to_payable(ledger, 1)
    ledger.hold(did, "clerk", reason="缓缴企业待补足失业保险费")
    confirm_flag(ledger, raise_flag(ledger, did), "auditor", reason="核实")
    ledger.revoke(did, "checker", reason="经核实不予发放")
    d = ledger.decision(did)
    assert d["state"] == "revoked" and d["hold_reason"] is None
    ledger.import_decisions(RUN, [decision(50, payment_hold=True)], "clerk")
    early = ledger.find(program="fanhuan", year=2025, unit_id=decision(50).unit_id)
    assert ledger.decision(early)["state"] == "held"
    confirm_flag(ledger, raise_flag(ledger, early, key="e"), "auditor", reason="核实")
    e = refused("transition_refused", ledger.revoke, early, "checker", reason="x")
    assert "尚未复审通过" in e.zh
    sound(ledger)


def test_revoke_waits_for_the_bank_on_a_payment_sent_and_unanswered(ledger, tmp_path):
    """A top-up with the bank, the first payment bounced: the confirmed flag's recovery waits for the bank's answer;
    so does the revocation (a bounce recorded then must find the decision as it was)."""
    [did] = to_payable(ledger, 1)
    ledger.change_size_class(did, "checker", new_size_class="large", reason="暂按大型")  # 30%: half
    ledger.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent1 = bank_file(ledger, "P1", tmp_path / "1")
    ledger.change_size_class(did, "checker", new_size_class="small", reason="重新核定")  # the other half due
    ledger.run_payment_batch("P2", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent2 = bank_file(ledger, "P2", tmp_path / "2")
    bank_return(ledger, sent1, {payment_reference(did, 0): False})
    assert ledger.decision(did)["state"] == "bounced"
    confirm_flag(ledger, raise_flag(ledger, did, amount_fen=100_000), "auditor", reason="核实")
    e = refused("bank_unanswered", ledger.revoke, did, "checker", reason="x")
    assert "回盘后再撤销" in e.zh
    [top] = [p for p in ledger.decision(did)["payments"] if p["kind"] == "supplement"]
    bank_return(ledger, sent2, {payment_reference(did, top["seq"], "supplement"): True})
    ledger.revoke(did, "checker", reason="经核实不予发放")
    d = ledger.decision(did)
    assert d["state"] == "revoked" and [r["amount_fen"] for r in d["recoveries"]] == [60_000]  # the top-up credited
    item = letter_input(ledger.letter_view(did))
    assert item["status"] == "ineligible" and any("应予退回" in n for n in item["notes"])
    sound(ledger)


# --------------------------------------------------------------------- forged events
def _forge(ledger, did: int, action: str, before: str, after: str) -> None:
    with ledger._tx() as conn:
        conn.execute(text("update case_decisions set state = :s, version = version + 1 where id = :i"),
                     {"s": after, "i": did})
        audit.append(conn, actor="checker", action=action, entity="case_decisions", entity_id=did,
                     before={"state": before}, after={"state": after})


def _found(ledger, did: int, action: str) -> None:
    rep = ledger.verify_audit()
    assert not rep.ok and any(action in i.zh and f"决定 {did}" in i.zh for i in rep.issues), rep.problems


def test_a_forged_revoke_of_a_paid_decision_is_found(ledger):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=PAYDAY)
    _forge(ledger, did, "revoke", "paid", "revoked")
    _found(ledger, did, "revoke")


@pytest.mark.parametrize("action", ["hold", "release"])
def test_a_move_to_revoked_by_another_action_is_found(ledger, action):
    [did] = to_payable(ledger, 1)
    _forge(ledger, did, action, "publicized", "revoked")
    _found(ledger, did, action)


def test_a_revoked_decision_forged_back_to_payable_is_found(ledger):
    [did] = to_payable(ledger, 1)
    confirm_flag(ledger, raise_flag(ledger, did), "auditor", reason="核实")
    ledger.revoke(did, "checker", reason="经核实不予发放")
    sound(ledger)
    _forge(ledger, did, "risk_confirm", "revoked", "publicized")  # an action outside the table
    _found(ledger, did, "risk_confirm")
    assert ledger.run_payment_batch("P1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
