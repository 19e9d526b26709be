"""Money controls the outside audits found missing (session 35: audit D4, D5; stories B, 9, 13, 14 and nits).

D4: a 经办 chose the payee account of an application (``--account`` / the API's ``account_no``) and passed it at 初审;
    an edited evaluation (999,999元) was registered as it stood.
D5: one 复核 set any amount by ``case resize`` (same size class, no rule check); the next batch paid the top-up.
B:  a hold for an unreadable 严重失信 row read “暂缓发放（缓缴待补足）” and ``case release`` recorded the deferral's reason.
9:  an account file's two conflicting rows for one decision: the first was kept.
13: ``case pay`` named 222 of 223 candidates; 14: a unit name with ``|`` was paid and no bank file could be written.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from ledger_helpers import (
    DEADLINE,
    MORE_STAFF,
    PAYDAY,
    RUN,
    STAFF,
    TODAY,
    bank_file,
    decision,
    register_staff,
    to_payable,
)
from sqlalchemy import select
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.bulk import AccountRow
from wengang.casework.cli import case_app
from wengang.casework.errors import LedgerError
from wengang.casework.models import AuditEvent
from wengang.casework.operators import add_operator
from wengang.casework.states import STATE_ZH, hold_kinds, state_zh
from wengang.cli import app as main_app

runner = CliRunner()
ACCOUNT = "6217000012345678901"
QUARANTINE = "排除名单第 3 行格式有误，待核实后发放"
DEFERRAL = "缓缴的失业保险费尚未补足"
EXAMPLE = "examples/people/skill_urgent_second.json"


def refused(code: str, fn, *args, **kw) -> LedgerError:
    with pytest.raises(LedgerError) as e:
        fn(*args, **kw)
    assert e.value.code == code, (e.value.code, e.value.zh)
    return e.value


def person(claim: str = "6-07-06-05:4", amount: int = 150_000, **kw):
    return decision(0, unit_id="150102199001011234", unit_name="张三", program="skill_subsidy", claim_key=claim,
                    amount_fen=amount, payment_channel="personal_account", size_class=None, clause="二", **kw)


def _cli(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    return url, register_staff(Ledger.open(url), STAFF | MORE_STAFF)


def _case(url: str, user: str, *args: str, code: int = 0) -> str:
    r = runner.invoke(case_app, [*args, "--db", url, "--user", user])
    assert r.exit_code == code, r.output
    return " ".join(r.output.split())


# ---------------------------------------------------------------- D4: the account and the amount of an application
def test_an_account_given_with_an_application_waits_for_a_second_person(ledger):
    # "lead" holds 经办 and 复核: registers the application with an account, and does its 初审
    did = ledger.apply_skill_subsidy(person(account_no=ACCOUNT), "lead")
    d = ledger.decision(did)
    assert d["account_no"] is None  # not the decision's yet
    [change] = ledger.account_changes(decision_id=did)
    assert (change["account_no"], change["kind"], change["requested_by"]) == (ACCOUNT, "apply", "lead")
    ledger.first_review(did, "lead", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    e = refused("not_payable", ledger.pay_decision, did, "cashier", today=PAYDAY)
    assert "收款账户变更待复核" in e.zh
    refused("same_operator", ledger.approve_account, change["id"], "lead")  # who registered it cannot approve it
    ledger.approve_account(change["id"], "checker", reason="核对身份证与银行卡")
    assert ledger.decision(did)["account_no"] == ACCOUNT
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    assert ledger.decision(did)["payments"][0]["account_no"] == ACCOUNT
    # a unit's own application (self_apply) and the same application again: one request, nothing set
    uid = ledger.self_apply(decision(7, account_no="6222000000000007"), "clerk")
    assert ledger.self_apply(decision(7, account_no="6222000000000007"), "clerk") == uid
    assert ledger.decision(uid)["account_no"] is None and len(ledger.account_changes(decision_id=uid)) == 1
    assert ledger.verify_audit().ok


def test_an_application_amount_above_the_rules_is_refused(ledger):
    # 内人社发〔2025〕18号 二: 中级（四级）1500元, urgently-needed occupations 上浮 10% → at most 1,650.00元
    e = refused("not_rules_amount", ledger.apply_skill_subsidy, person(amount=99_999_900), "clerk")
    assert "1,650.00" in e.zh and "内人社发〔2025〕18号 二" in e.zh
    refused("not_rules_amount", ledger.apply_skill_subsidy, person(claim="6-07-06-05:5", amount=150_000), "clerk")
    assert ledger.apply_skill_subsidy(person(amount=165_000), "clerk")


def test_skill_apply_evaluates_the_facts_again_and_requests_the_account(tmp_path):
    url, led = _cli(tmp_path)
    led.close()
    r = runner.invoke(main_app, ["evaluate", EXAMPLE, "--json"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**ev, "amount_fen": 99_999_900}, ensure_ascii=False), "utf-8")
    out = _case(url, "clerk", "skill-apply", str(edited), "--facts", EXAMPLE, "--account", ACCOUNT, code=2)
    assert "999,999.00" in out and "1,650.00" in out and "不符" in out
    good = tmp_path / "ev.json"
    good.write_text(r.stdout, "utf-8")
    out = _case(url, "clerk", "skill-apply", str(good), "--facts", EXAMPLE, "--account", ACCOUNT)
    assert "申请已登记" in out and "变更申请" in out and ACCOUNT not in out and "8901" in out
    # a 稳岗返还 evaluation without its facts cannot be evaluated again: refused
    fh = tmp_path / "fh.json"
    fh.write_text(json.dumps({"_case": {"program": "fanhuan", "region": "150502", "date": "2025-08-01"},
                              "credit_code": "91150502MA0N1234XN", "name": "通辽测试有限公司", "org_type": "enterprise",
                              "size_class": "small", "months_fully_paid": 24, "months_fully_paid_total": 24,
                              "paid_premium_last_year_fen": 1000000, "insured_headcount": 50,
                              "avg_insured_last_year": 50, "layoffs_last_year": 0}, ensure_ascii=False), "utf-8")
    r = runner.invoke(main_app, ["evaluate", str(fh), "--json"])
    fev = tmp_path / "fev.json"
    fev.write_text(r.stdout, "utf-8")
    assert "--facts" in _case(url, "clerk", "self-apply", str(fev), code=2)
    assert "申请已登记" in _case(url, "clerk", "self-apply", str(fev), "--facts", str(fh))


# ---------------------------------------------------------------- D5: a resize's amount is the rules'
def test_a_resize_takes_the_rules_amount_for_the_new_class(ledger):
    a, b = to_payable(ledger, 2)  # small, 120,000 and 120,001 fen (内人社发〔2025〕18号: 中小微 60%, 大型 30%)
    e = refused("not_rules_amount", ledger.change_size_class, a, "checker", new_size_class="micro",
                new_amount_fen=50_000_000, reason="划型变更")
    assert "1,200.00" in e.zh and "500,000.00" in e.zh
    same = ledger.change_size_class(a, "checker", new_size_class="micro", reason="划型变更：微型")
    assert same.new_amount_fen == 120_000 and "60%" in same.rules_basis
    assert "小型与微型企业返还比例同为" in same.rules_basis
    # back to the class it was decided at: said so, not "小型与小型" (outside simulation audit, session 38)
    back = ledger.change_size_class(a, "checker", new_size_class="small", reason="划型复核：仍为小型")
    assert back.new_amount_fen == 120_000
    assert "按小型企业比例 60%，与审定时的划型（小型企业）相同（由微型企业改回）" in back.rules_basis
    down = ledger.change_size_class(a, "checker", new_size_class="large", reason="统计部门认定为大型")
    assert down.new_amount_fen == 60_000 and ledger.decision(a)["entitlement"]["amount_fen"] == 60_000
    refused("not_rules_amount", ledger.change_size_class, a, "checker", new_size_class="large",
            new_amount_fen=60_002, reason="x")
    # the base behind 120,001 fen at 60% gives 60,000 or 60,001 at 30%: either may be given, nothing else
    assert ledger.change_size_class(b, "checker", new_size_class="large", new_amount_fen=60_001,
                                    reason="缴费基数 200,002 分").new_amount_fen == 60_001
    refused("not_rules_amount", ledger.change_size_class, b, "checker", new_size_class="large",
            new_amount_fen=59_999, reason="x")
    # back to small: the decided amount again, from the original (not compounded)
    assert ledger.change_size_class(a, "checker", new_size_class="small", reason="复核更正").new_amount_fen == 120_000
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.amount_fen == 120_000 + 60_001
    # a subsidy has no size class; a misuse- or duplicate-lowered amount is not resized
    did = ledger.apply_skill_subsidy(person(), "clerk")
    refused("not_rules_amount", ledger.change_size_class, did, "checker", new_size_class="micro", reason="x")
    refused("bad_size_class", ledger.change_size_class, a, "checker", new_size_class="huge", reason="x")
    assert ledger.verify_audit().ok


def test_case_resize_refuses_a_free_amount_and_says_an_unchanged_amount_plainly(tmp_path):
    url, led = _cli(tmp_path)
    [a] = to_payable(led, 1)
    led.close()
    out = _case(url, "checker", "resize", str(a), "micro", "50000000", "--reason", "划型变更", code=2)
    assert "规则金额" in out and "500,000.00" in out
    out = _case(url, "checker", "resize", str(a), "微型", "--reason", "划型变更")
    assert "应享受金额未变，仍为 1,200.00 元" in out and "entitlement unchanged: 1,200.00 yuan" in out
    out = _case(url, "checker", "resize", str(a), "大型", "--reason", "统计部门认定为大型")
    assert "核减 600.00 元，为 600.00 元" in out and "30%" in out and "fen" not in out


# ---------------------------------------------------------------- story B: what a hold says and what its release needs
def test_a_hold_is_named_by_its_reason_and_released_as_it_requires(ledger):
    ledger.import_decisions(RUN, [decision(1, payment_hold=True, payment_hold_reason=QUARANTINE),
                                  decision(2, payment_hold=True, payment_hold_reason=DEFERRAL)], "clerk")
    q, dfr = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2))
    assert STATE_ZH["held"] == "暂缓发放"
    assert state_zh("held", QUARANTINE) == "暂缓发放（输入数据有误待核实）"
    assert state_zh("held", DEFERRAL) == "暂缓发放（缓缴待补足）"
    assert state_zh("held", "缓缴记录第 2 行格式有误，待核实后发放") == "暂缓发放（输入数据有误待核实）"
    # a quarantined row: no default reason, and a 复核 releases it, not a 经办
    e = refused("reason_required", ledger.release, q, "clerk")
    assert QUARANTINE in e.zh
    refused("role_refused", ledger.release, q, "clerk", reason="排除名单第 3 行已核实：不涉及本单位")
    ledger.release(q, "checker", reason="排除名单第 3 行已核实：不涉及本单位")
    assert ledger.decision(q)["state"] == "screened"
    EV = AuditEvent.__table__.c
    ev = ledger.read(select(EV.actor, EV.reason, EV.after).where(EV.action == "release").order_by(EV.seq))[-1]
    assert (ev["actor"], ev["reason"]) == ("checker", "排除名单第 3 行已核实：不涉及本单位")
    assert json.loads(ev["after"])["released"] == {"hold_reason": QUARANTINE, "kinds": ["quarantine"]}
    # a deferral only: a 经办 may release it; without a reason it records that the firm paid up
    ledger.release(dfr, "clerk")
    ev = ledger.read(select(EV.reason).where(EV.action == "release").order_by(EV.seq))[-1]
    assert ev["reason"] == "已补足缓缴的失业保险费"
    # held by hand after approval for a quarantined row: not released by the one who did its 初审
    [x] = to_payable(ledger, 1, start=10)
    ledger.hold(x, "clerk", reason=QUARANTINE)
    refused("reason_required", ledger.release, x, "checker")
    add_operator(ledger, "boss", roles=["经办", "复核"], display_name="周科长", actor="admin")
    y = ledger.self_apply(decision(20, account_no=None), "clerk")
    ledger.first_review(y, "boss", approve=True, reason="ok")
    ledger.second_review(y, "checker", approve=True, reason="ok")
    ledger.hold(y, "clerk", reason=QUARANTINE)
    refused("same_operator", ledger.release, y, "boss", reason="已核实")
    assert ledger.verify_audit().ok


def test_case_release_of_a_quarantine_hold_needs_a_reason(tmp_path):
    url, led = _cli(tmp_path)
    led.import_decisions(RUN, [decision(1, payment_hold=True, payment_hold_reason=QUARANTINE)], "clerk")
    did = led.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    led.close()
    out = _case(url, "clerk", "release", str(did), code=2)
    assert "须写明理由" in out and "已补足缓缴的失业保险费" not in out
    assert "解除暂缓" in _case(url, "checker", "release", str(did), "--reason", "核实：排除名单第 3 行为另一单位")


# ---------------------------------------------------------------- story 9: conflicting rows of an account file
def test_conflicting_rows_for_one_decision_are_all_refused(ledger):
    ledger.import_decisions(RUN, [decision(i, account_no=None) for i in range(3)], "clerk")
    a, b, c = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(3))
    rows = [AccountRow(1, decision_id=str(a), account_no="6222020000000001"),
            AccountRow(2, decision_id=str(b), account_no="6222020000000002"),
            AccountRow(3, decision_id=str(c), account_no="6222020000000003"),
            AccountRow(4, decision_id=str(a), account_no="6222020000000009"),
            AccountRow(5, decision_id=str(c), account_no="6222020000000003")]
    res = ledger.request_accounts(rows, "cashier", reason="税务部门提供")
    assert [r for r, _, _ in res.requested] == [2, 3]
    why = {row: zh for row, zh, _ in res.refused}
    assert sorted(why) == [1, 4, 5]
    assert f"与第 4 行是同一决定 {a}" in why[1] and f"与第 1 行是同一决定 {a}" in why[4] and "均不登记" in why[1]
    assert "重复" in why[5]  # the same account again: one request, the repeat said as such
    assert [ch["decision_id"] for ch in ledger.account_changes()] == [b, c]


# ---------------------------------------------------------------- stories 13, 14: every candidate of a batch accounted for
def _through_review(ledger, ids, checker="checker"):
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",), decision_ids=ids)
    assert ledger.confirm_many(ids, "clerk", today=TODAY) == len(ids)
    ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过")
    ledger.review_many(ids, checker, stage=2, approve=True, reason="复审通过")


def test_a_batch_accounts_for_every_candidate_and_skips_a_name_the_bank_file_cannot_hold(ledger, tmp_path):
    paid = to_payable(ledger, 2)
    ledger.import_decisions(RUN, [decision(5, account_no=None), decision(6), decision(7, unit_name="通辽|甲有限公司")],
                            "clerk")
    no_acc, late, piped = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (5, 6, 7))
    _through_review(ledger, [no_acc, late, piped])
    ledger.publicize("gs-a", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7, decision_ids=[no_acc, piped])
    ledger.publicize("gs-b", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 28), days=7, decision_ids=[late])
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 2 and {d for d in paid if ledger.decision(d)["state"] == "paid"} == set(paid)
    assert res.unpaid == {"no_account": 1, "bad_name": 1, "publicity_running": 1}
    assert ledger.decision(piped)["state"] == "publicized"
    assert bank_file(ledger, "B1", tmp_path / "bank") is not None  # the others go to the bank
    reasons = ledger.unpaid_reasons([late, piped, no_acc], "fanhuan", 2025, "cashier", today=PAYDAY)
    assert reasons[late][0] == "公示期未满" and "不能写入银行报盘文件" in reasons[piped][0]
    assert reasons[no_acc][0] == "缺少收款账户"


def test_case_pay_names_every_candidate_in_yuan_and_the_payer_who_reviewed(tmp_path):
    url, led = _cli(tmp_path)
    add_operator(led, "dual", roles=["复核", "出纳"], display_name="复核兼出纳", actor="admin")
    to_payable(led, 1)
    led.import_decisions(RUN, [decision(5), decision(6)], "clerk")
    mine, late = (led.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (5, 6))
    _through_review(led, [mine], checker="dual")
    _through_review(led, [late])
    led.publicize("gs-a", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7, decision_ids=[mine])
    led.publicize("gs-b", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 28), days=7, decision_ids=[late])
    led.close()
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{mine}\n", "utf-8")
    out = _case(url, "dual", "pay", "B0", "fanhuan", "2025", "--ids", str(ids), "--today", "2025-11-01", "-y")
    assert "由本人初审或复审" in out and "未公示或公示期未满" not in out
    out = _case(url, "dual", "pay", "B1", "fanhuan", "2025", "--today", "2025-11-01")
    assert "本次发放 1 个单位，共 1,200.00 元 / paid 1, 1,200.00 yuan" in out
    assert "未发放 2 个：公示期未满 1 个，由本人初审或复审，须由另一名出纳发放 1 个" in out
    assert not re.search(r"\d fen", out)


# ---------------------------------------------------------------- nits
def test_fen_options_refuse_yuan_and_payee_bank_errors_mask_the_account(tmp_path):
    url, led = _cli(tmp_path)
    e = refused("bad_bank_code", led.set_payee_banks, {ACCOUNT: "10519"}, "cashier")
    assert ACCOUNT not in e.zh and ACCOUNT not in e.en and "8901" in e.zh
    led.close()
    for args in (["confirm", "1", "--amount-fen", "148450.00"], ["recovery-received", "1", "1,484.50"],
                 ["resize", "1", "micro", "148450.00", "--reason", "x"]):
        r = runner.invoke(main_app, ["case", *args, "--db", url, "-u", "checker"])
        assert r.exit_code == 2 and "以元计" in r.output, r.output


def test_a_return_file_applied_twice_is_said_to_be_applied(tmp_path):
    from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file

    url, led = _cli(tmp_path)
    to_payable(led, 2)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "bank")
    led.close()
    ret = write_return_file(sent.file_key, PAYDAY, [ReturnRecord(p.reference, True, p.amount_fen, p.account)
                                                    for p in read_bank_file(sent.path).payments], tmp_path / "ret.txt")
    assert "到账 2" in _case(url, "cashier", "bank-return", str(ret))
    out = _case(url, "cashier", "bank-return", str(ret))
    assert "本回盘文件已处理" in out and "file already applied" in out and "隔离" not in out


def test_a_ceiling_hold_is_released_by_a_reviewer_who_states_the_standard(ledger):
    """A 不超过 ceiling imported held (rules.batch.CAP_HOLD_REASON) had been released by one 经办 with any reason and the
    ceiling paid (outside review, session 41): its release needs a 复核 other than the 初审 and a stated reason."""
    from wengang.rules.batch import CAP_HOLD_REASON, LOAN_CAP_HOLD_REASON

    assert hold_kinds(CAP_HOLD_REASON) == ("cap",) and hold_kinds(LOAN_CAP_HOLD_REASON) == ("cap",)
    assert state_zh("held", CAP_HOLD_REASON) == "暂缓发放（上限金额待确定标准）"
    ledger.import_decisions(RUN, [decision(30, payment_hold=True, payment_hold_reason=CAP_HOLD_REASON)], "clerk")
    c = ledger.find(program="fanhuan", year=2025, unit_id=decision(30).unit_id)
    refused("reason_required", ledger.release, c, "clerk")
    e = refused("role_refused", ledger.release, c, "clerk", reason="已核实")
    assert "不超过" in e.zh
    ledger.release(c, "checker", reason="统筹地区确定的标准即为上限 60%（通人社发〔2025〕X号）")
    assert ledger.decision(c)["state"] == "screened"
    assert ledger.verify_audit().ok
