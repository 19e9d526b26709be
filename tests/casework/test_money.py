"""多退少补, dispatch firms, skill subsidies, duplicate subsidies, and derived balances."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import PAYDAY, approve_applied_accounts, decision, to_payable

from wengang.casework import AllocationIn, LedgerError


def test_size_class_change_supplement_and_recovery(ledger):
    ids = to_payable(ledger, 2)
    # taken for 大型 first (30%: 600.00 of the 1,200.00 at 60%), paid; then 微型: 600.00 more is due
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[0]])
    ledger.pay_decision(ids[1], "cashier", today=PAYDAY)  # sent at once: a reduction recovers money actually paid
    up = ledger.change_size_class(ids[0], "checker", new_size_class="micro", reason="划型更正")
    # the top-up is due, not paid by the 复核: the next batch pays it, by the 出纳 (test_money_integrity.py)
    assert up.diff_fen == up.supplement_due_fen == 60_000 and not up.supplement_payment_id and up.recovery_id is None
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).supplement_fen == 60_000
    down = ledger.change_size_class(ids[1], "checker", new_size_class="large", new_amount_fen=60_000, reason="统计部门认定为大型")
    assert down.diff_fen == -60_001 and down.recovery_id
    ledger.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=60_001)
    with pytest.raises(LedgerError):
        ledger.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=60_001)
    b = {r["unit_id"]: r for r in ledger.balances()}
    assert b[decision(0).unit_id]["net_fen"] == 120_000
    assert b[decision(1).unit_id]["net_fen"] == 60_000 and b[decision(1).unit_id]["recovery_outstanding_fen"] == 0
    # the same size class again: nothing more to settle
    again = ledger.change_size_class(ids[0], "checker", new_size_class="micro", new_amount_fen=120_000, reason="复核")
    assert again.diff_fen == 0 and not again.supplement_due_fen and not again.recovery_id
    assert ledger.reconcile()["ok"] and ledger.verify_audit().ok


def test_size_class_change_before_payment_pays_the_new_amount(ledger):
    ids = to_payable(ledger, 1)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", new_amount_fen=60_000, reason="划型")
    assert ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY).amount_fen == 60_000


def _paid_dispatch(ledger):
    dec = decision(80, unit_name="某劳务派遣有限公司", amount_fen=300_000)
    allocs = [AllocationIn("91150100USER0001", "用工单位甲", 10, 150_000),
              AllocationIn("91150100USER0002", "用工单位乙", 4, 60_000)]
    did = ledger.apply_dispatch(dec, allocs, "clerk")
    ledger.first_review(did, "clerk", approve=True, reason="名单备案")
    ledger.second_review(did, "checker", approve=True, reason="同意")
    ledger.publicize("gs-d", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    approve_applied_accounts(ledger)
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    return did


def test_dispatch_transfers_and_misuse(ledger):
    did = _paid_dispatch(ledger)
    with ledger.engine.connect() as c:
        alloc = dict(c.exec_driver_sql("select user_unit_id, id from case_allocations").all())
    ledger.record_transfer(alloc["91150100USER0001"], "clerk", amount_fen=150_000, voucher="拨付凭证001")
    with pytest.raises(LedgerError) as e:
        ledger.record_transfer(alloc["91150100USER0002"], "clerk", amount_fen=60_001, voucher="x")
    assert e.value.code == "transfer_exceeds"
    rid = ledger.report_dispatch_misuse(did, "clerk", reason="未按规定拨付用工单位乙")
    assert ledger.report_dispatch_misuse(did, "clerk", reason="again") == rid  # idempotent
    d = ledger.decision(did)
    assert [(r["kind"], r["amount_fen"]) for r in d["recoveries"]] == [("dispatch_misuse", 60_000)]
    # 取消下一年度申领资格
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(decision(80, year=2026), "clerk")
    assert e.value.code == "disqualified"


def test_disqualified_unit_screened_next_year_is_marked(ledger):
    did = _paid_dispatch(ledger)
    ledger.report_dispatch_misuse(did, "clerk", reason="截留")
    from wengang.casework import RunIn
    run26 = RunIn("fanhuan", 2026, "150000", {"f": "c" * 64}, {"内人社发〔2025〕18号": "x"})
    ledger.import_decisions(run26, [decision(80, year=2026), decision(81, year=2026)], "clerk")
    assert ledger.decision(ledger.find(program="fanhuan", year=2026, unit_id=decision(80).unit_id))["state"] == "disqualified"
    assert ledger.decision(ledger.find(program="fanhuan", year=2026, unit_id=decision(81).unit_id))["state"] == "screened"


def _person(program: str, claim: str, year: int = 2025, amount: int = 150_000):
    return decision(0, unit_id="150102199001011234", unit_name="张三", program=program, claim_key=claim,
                    amount_fen=amount, payment_channel="personal_account", size_class=None, year=year,
                    policy_doc="内人社发〔2025〕18号", clause="二")


def _approve_pay(ledger, did):
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    approve_applied_accounts(ledger)
    return ledger.pay_decision(did, "cashier", today=PAYDAY)  # no 公示 wait for personal subsidies


def test_skill_subsidy_application_approval_payment(ledger):
    did = ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:4"), "clerk")
    _approve_pay(ledger, did)
    assert ledger.decision(did)["state"] == "paid"
    with pytest.raises(LedgerError) as e:  # same occupation and level only once, also across years
        ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:4", year=2026), "clerk")
    assert e.value.code == "already_claimed"


def test_duplicate_training_and_skill_subsidy_recovered_from_later(ledger):
    train = ledger.self_apply(_person("training_subsidy", "6-07-06-05:4", amount=80_000), "clerk")
    _approve_pay(ledger, train)
    skill = ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:4"), "clerk")
    _approve_pay(ledger, skill)
    rec = ledger.recover_duplicate_subsidies("150102199001011234", "clerk")
    assert len(rec) == 1
    assert ledger.recover_duplicate_subsidies("150102199001011234", "clerk") == rec  # idempotent
    assert [(r["kind"], r["amount_fen"]) for r in ledger.decision(skill)["recoveries"]] == [("duplicate_subsidy", 150_000)]
    assert ledger.decision(train)["recoveries"] == []
    assert ledger.reconcile()["ok"]


@pytest.mark.parametrize(("scope", "training_claim", "recovered"), [
    ("same_occupation", "6-07-06-05:4", True),  # same occupation, another level
    ("same_occupation", "4-03-02-01:4", False),  # another occupation (s08)
    ("same_occupation_level", "6-07-06-05:4", False),
    ("same_occupation_level", "6-07-06-05:3", True),
    ("any", "4-03-02-01:4", True),
])
def test_duplicate_scope_is_the_rules_reading(ledger, scope, training_claim, recovered):
    # A7: the ledger matches with the same readings as the rules' switch (default: same occupation)
    train = ledger.self_apply(_person("training_subsidy", training_claim, amount=80_000), "clerk")
    _approve_pay(ledger, train)
    skill = ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:3"), "clerk")
    _approve_pay(ledger, skill)
    rec = ledger.recover_duplicate_subsidies("150102199001011234", "clerk", scope=scope)
    assert bool(rec) is recovered
    assert ledger.decision(train)["recoveries"] == []


def test_duplicate_scope_default_is_same_occupation_and_a_bad_scope_is_refused(ledger):
    import inspect

    from wengang.casework.ledger import Ledger
    assert inspect.signature(Ledger.recover_duplicate_subsidies).parameters["scope"].default == "same_occupation"
    with pytest.raises(LedgerError) as e:
        ledger.recover_duplicate_subsidies("150102199001011234", "clerk", scope="occupation")
    assert e.value.code == "bad_scope"


def test_the_subsidy_paid_first_keeps_and_every_later_one_of_the_other_kind_yields(ledger):
    skill4 = ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:4"), "clerk")
    _approve_pay(ledger, skill4)
    train = ledger.self_apply(_person("training_subsidy", "6-07-06-05:3", amount=80_000), "clerk")
    _approve_pay(ledger, train)
    skill3 = ledger.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:3", year=2026), "clerk")
    _approve_pay(ledger, skill3)
    ledger.recover_duplicate_subsidies("150102199001011234", "clerk")
    assert [r["amount_fen"] for r in ledger.decision(train)["recoveries"]] == [80_000]
    assert ledger.decision(skill4)["recoveries"] == [] and ledger.decision(skill3)["recoveries"] == []
