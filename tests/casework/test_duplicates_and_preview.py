"""Two fixes: who "enjoyed first" a duplicate training subsidy, and what `case pay --ids` shows before paying.

1. 兵团征求意见稿 一（三）: “技能提升补贴和职业培训补贴不得重复享受，对重复享受的，按照后享受的单位或个人退回资金的原则，
   追回重复享受的补贴资金”. ``recover_duplicate_subsidies`` decided "first" by the smallest payment row id — when a
   payment row was created, not when the money left. 享受 is now the moment the money was sent (the bank file it went
   out in, or paid on the spot; docs/casework.md "Money sent") of a payment not bounced or withdrawn; a decision none
   of whose payments was sent has enjoyed nothing and never keeps against one that has.
2. `case pay --ids` showed a paid decision owed a 多退少补 top-up with its full entitlement (the payment itself was
   right: only the top-up is paid). The preview now shows what the step pays (``Ledger.amounts_due``).
SQLite and PostgreSQL (the ``ledger`` fixture), the CLI on SQLite.
"""

from __future__ import annotations

import pytest
from ledger_helpers import (
    MORE_STAFF,
    PAYDAY,
    STAFF,
    approve_applied_accounts,
    bank_file,
    bank_return,
    register_staff,
    to_payable,
)
from test_s34recover_sent import PERSON, person, recoveries, refs, sound
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import case_app
from wengang.casework.ledger import payment_reference
from wengang.money import format_yuan

TRAIN, SKILL = 80_000, 150_000
CLAIM = "6-07-06-05:4"


def approved(led: Ledger, program: str) -> int:
    """A 职业培训补贴 (80,000 fen) or a 技能提升补贴 (150,000 fen) of the same occupation, through both reviews."""
    if program == "training_subsidy":
        did = led.self_apply(person(program, CLAIM, TRAIN), "clerk")
    else:
        did = led.apply_skill_subsidy(person(program, CLAIM, SKILL), "clerk")
    led.first_review(did, "clerk", approve=True, reason="ok")
    led.second_review(did, "checker", approve=True, reason="ok")
    approve_applied_accounts(led)  # the applicant's account: a second person approves it
    return did


def pay_batch(led: Ledger, batch: str, program: str) -> None:
    assert led.run_payment_batch(batch, program, 2025, "cashier", today=PAYDAY).paid == 1


def payment_ids(led: Ledger, did: int) -> list[int]:
    return [p["id"] for p in led.decision(did)["payments"]]


def entitlement(led: Ledger, did: int) -> int:
    return led.decision(did)["entitlement"]["amount_fen"]


# ------------------------------------------------------------------ 1. 后享受的退回: by when the money left
@pytest.mark.parametrize("answered", [True, False])
def test_the_one_sent_first_keeps_although_its_payment_was_created_later(ledger, tmp_path, answered):
    train = approved(ledger, "training_subsidy")
    pay_batch(ledger, "T1", "training_subsidy")  # the training subsidy's payment row is created first ...
    skill = approved(ledger, "skill_subsidy")
    pay_batch(ledger, "S1", "skill_subsidy")
    assert payment_ids(ledger, train)[0] < payment_ids(ledger, skill)[0]
    s_sent = bank_file(ledger, "S1", tmp_path / "s1")  # ... but the skill subsidy's money leaves first
    t_sent = bank_file(ledger, "T1", tmp_path / "t1")
    t_ref, s_ref = payment_reference(train, 0), payment_reference(skill, 0)
    assert refs(s_sent) == [s_ref] and refs(t_sent) == [t_ref]
    if answered:
        bank_return(ledger, s_sent, {s_ref: True})
        bank_return(ledger, t_sent, {t_ref: True})
    rec = ledger.recover_duplicate_subsidies(PERSON, "clerk")
    assert recoveries(ledger, skill) == [] and not ledger.decision(skill).get("recovery_pending")
    if answered:  # the training subsidy enjoyed later: it returns all of it
        assert len(rec) == 1 and recoveries(ledger, train) == [("duplicate_subsidy", TRAIN)]
        [r] = ledger.decision(train)["recoveries"]
        assert "兵团征求意见稿 一（三）" in r["reason"] and f"付款 {s_ref} 先发出" in r["reason"]
    else:  # its money is with the bank: the recovery waits for the answer, the skill subsidy is not touched
        assert rec == [] and recoveries(ledger, train) == []
        assert [w["kind"] for w in ledger.decision(train)["recovery_pending"]] == ["duplicate_subsidy"]
        back = bank_return(ledger, t_sent, {t_ref: True})
        assert [(r["decision_id"], r["amount_fen"]) for r in back.recoveries] == [(train, TRAIN)]
        bank_return(ledger, s_sent, {s_ref: True})
        assert recoveries(ledger, train) == [("duplicate_subsidy", TRAIN)]
    assert entitlement(ledger, skill) == SKILL and recoveries(ledger, skill) == []
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == [ledger.decision(train)["recoveries"][0]["id"]]
    sound(ledger)


def test_the_one_found_later_stays_so_when_the_keepers_payment_bounces_afterwards(ledger, tmp_path):
    """Sent first but still with the bank, the skill subsidy keeps; its payment then bounces and the training
    subsidy's recovery has been ordered. Run again, the order is not turned round (a recovery is not undone): the
    skill subsidy stays the one to be paid — after its account is fixed — and the person keeps exactly one."""
    train = approved(ledger, "training_subsidy")
    pay_batch(ledger, "T1", "training_subsidy")
    skill = approved(ledger, "skill_subsidy")
    pay_batch(ledger, "S1", "skill_subsidy")
    s_sent = bank_file(ledger, "S1", tmp_path / "s1")
    t_sent = bank_file(ledger, "T1", tmp_path / "t1")
    t_ref, s_ref = payment_reference(train, 0), payment_reference(skill, 0)
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []  # the training subsidy waits for the bank
    assert entitlement(ledger, train) == 0 and entitlement(ledger, skill) == SKILL
    bank_return(ledger, s_sent, {s_ref: False})  # the keeper's money comes back ...
    bank_return(ledger, t_sent, {t_ref: True})  # ... the later one's reached the person: recovered
    assert recoveries(ledger, train) == [("duplicate_subsidy", TRAIN)]
    rec = ledger.recover_duplicate_subsidies(PERSON, "clerk")
    assert rec == [ledger.decision(train)["recoveries"][0]["id"]]
    assert entitlement(ledger, skill) == SKILL and recoveries(ledger, skill) == []
    change = ledger.fix_account(skill, "cashier", account_no="6222000099990002")
    ledger.approve_account(change, "checker")
    b2 = ledger.run_payment_batch("S2", "skill_subsidy", 2025, "cashier", today=PAYDAY)
    assert (b2.paid, b2.amount_fen) == (1, SKILL)
    sound(ledger)


def test_a_payment_not_sent_never_keeps_against_one_paid_on_the_spot(ledger, tmp_path):
    train = approved(ledger, "training_subsidy")
    pay_batch(ledger, "T1", "training_subsidy")  # created first, in no bank file yet
    [t_pay] = payment_ids(ledger, train)
    skill = approved(ledger, "skill_subsidy")
    ledger.pay_decision(skill, "cashier", today=PAYDAY)  # paid on the spot: enjoyed now
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    # the skill subsidy keeps what it was paid; the training subsidy's payment never goes to the bank
    assert recoveries(ledger, skill) == [] and entitlement(ledger, skill) == SKILL
    assert recoveries(ledger, train) == []  # nothing of it was actually paid
    d = ledger.decision(train)
    assert d["state"] == "approved" and d["entitlement"]["amount_fen"] == 0
    assert [p["fate"] for p in d["payments"]] == ["withdrawn"]
    assert ledger.bank_file_plan("T1")["payments"] == [] and bank_file(ledger, "T1", tmp_path / "t1") is None
    assert ledger.run_payment_batch("T2", "training_subsidy", 2025, "cashier", today=PAYDAY).paid == 0
    assert payment_ids(ledger, train) == [t_pay]
    sound(ledger)


def test_a_bounced_first_payment_was_not_enjoyed(ledger, tmp_path):
    train = approved(ledger, "training_subsidy")
    pay_batch(ledger, "T1", "training_subsidy")
    t_sent = bank_file(ledger, "T1", tmp_path / "t1")  # sent first ...
    bank_return(ledger, t_sent, {payment_reference(train, 0): False})  # ... and sent back: not enjoyed
    skill = approved(ledger, "skill_subsidy")
    pay_batch(ledger, "S1", "skill_subsidy")
    s_sent = bank_file(ledger, "S1", tmp_path / "s1")
    bank_return(ledger, s_sent, {payment_reference(skill, 0): True})
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    # the skill subsidy is the one enjoyed: it keeps; the bounced training subsidy recovers nothing (nothing reached
    # the person) and is never paid again, even with its account fixed
    assert recoveries(ledger, skill) == [] and entitlement(ledger, skill) == SKILL
    assert recoveries(ledger, train) == [] and entitlement(ledger, train) == 0
    assert ledger.decision(train)["state"] == "bounced"
    change = ledger.fix_account(train, "cashier", account_no="6222000099990000")
    ledger.approve_account(change, "checker")
    assert ledger.decision(train)["state"] == "account_fixed"
    assert ledger.run_payment_batch("T2", "training_subsidy", 2025, "cashier", today=PAYDAY).paid == 0
    assert len(payment_ids(ledger, train)) == 1
    [b] = [b for b in ledger.balances(unit_id=PERSON) if b["program"] == "training_subsidy"]
    assert b["net_sent_fen"] == 0
    sound(ledger)


def test_a_later_one_whose_payment_bounced_is_not_paid_again(ledger, tmp_path):
    train = approved(ledger, "training_subsidy")
    ledger.pay_decision(train, "cashier", today=PAYDAY)  # enjoyed first
    skill = approved(ledger, "skill_subsidy")
    pay_batch(ledger, "S1", "skill_subsidy")
    s_sent = bank_file(ledger, "S1", tmp_path / "s1")
    bank_return(ledger, s_sent, {payment_reference(skill, 0): False})
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    assert recoveries(ledger, train) == [] and recoveries(ledger, skill) == []
    assert entitlement(ledger, skill) == 0 and entitlement(ledger, train) == TRAIN
    change = ledger.fix_account(skill, "cashier", account_no="6222000099990001")
    ledger.approve_account(change, "checker")
    assert ledger.run_payment_batch("S2", "skill_subsidy", 2025, "cashier", today=PAYDAY).paid == 0
    assert len(payment_ids(ledger, skill)) == 1
    sound(ledger)


def test_nothing_sent_nothing_recovered_and_only_the_one_arranged_first_is_paid(ledger, tmp_path):
    """The reading chosen when neither has been sent (docs/casework.md, Duplicate 技能提升补贴 / 职业培训补贴): nobody
    enjoyed anything, so nothing is recovered; the decision whose payment was created first stays payable, the
    other's unsent payment is withdrawn and its entitlement set to 0, so the person is never paid twice. (This
    reading is also what the code did before the fix; the test keeps it.)"""
    train = approved(ledger, "training_subsidy")
    pay_batch(ledger, "T1", "training_subsidy")
    skill = approved(ledger, "skill_subsidy")
    pay_batch(ledger, "S1", "skill_subsidy")
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    assert recoveries(ledger, train) == [] and recoveries(ledger, skill) == []
    assert entitlement(ledger, skill) == 0 and ledger.decision(skill)["state"] == "approved"
    assert ledger.bank_file_plan("S1")["payments"] == []
    assert [p["id"] for p in ledger.bank_file_plan("T1")["payments"]] == payment_ids(ledger, train)
    t_sent = bank_file(ledger, "T1", tmp_path / "t1")
    bank_return(ledger, t_sent, {payment_reference(train, 0): True})
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []  # again: the training subsidy keeps
    assert entitlement(ledger, train) == TRAIN and recoveries(ledger, train) == []
    sound(ledger)


# ------------------------------------------------------------------ 2. `case pay --ids`: the preview shows what is paid
runner = CliRunner()


def _yuan(fen: int) -> str:
    return format_yuan(fen).removesuffix("元")


def test_pay_preview_shows_the_top_up_not_the_entitlement(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    a, b = to_payable(led, 2)
    led.change_size_class(a, "checker", new_size_class="large", reason="暂按大型")  # 30%: half of the 60%
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[a])
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(a, 0): True})
    new = led.change_size_class(a, "checker", new_size_class="micro", reason="划型更正").new_amount_fen
    ent_b = led.decision(b)["entitlement"]["amount_fen"]
    assert led.amounts_due([a, b]) == {a: 60_000, b: ent_b}
    led.close()
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n{b}\n")
    r = runner.invoke(case_app, ["pay", "B2", "fanhuan", "2025", "--ids", str(ids), "--today", "2025-11-02", "--yes",
                                 "--db", url, "--user", "cashier"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    # the preview: a's top-up (600.00), b's first payment (its entitlement); a's full new entitlement nowhere
    assert f"本次应付合计（已发放的为应补发金额） {_yuan(60_000 + ent_b)} 元" in out
    preview = out.split("成功")[0]
    rows = {c.strip() for c in preview.split("│")}
    assert _yuan(60_000) in rows and _yuan(ent_b) in rows and _yuan(new) not in rows
    # and the step pays exactly that
    led = Ledger.open(url)
    assert [p["amount_fen"] for p in led.decision(a)["payments"] if p["kind"] == "supplement"] == [60_000]
    assert [p["amount_fen"] for p in led.decision(b)["payments"]] == [ent_b]
    assert led.amounts_due([a, b]) == {a: 0, b: 0}
    led.close()
