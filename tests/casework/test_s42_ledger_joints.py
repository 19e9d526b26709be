"""Session 42 outside casework audit (docs/decisions.md §127): the ledger's joints, on SQLite and PostgreSQL.

D1: ``case bounce`` (and the account change that follows it) read payment and confirmation rows: what they read is
checked against the events as ``case pay`` and ``bank-file`` check it — a confirmation deleted by SQL, or a payment's
amount edited, refuses the bounce naming the payment and the column, and nothing is written.
D2: no checkpoint is signed over a chain or tables that fail verification, whatever the batch touched.
"""

from __future__ import annotations

import pytest
from ledger_helpers import PAYDAY, bank_file, to_payable
from sqlalchemy import text

from wengang.casework import LedgerError, checkpoints
from wengang.casework.ledger import BankReturnLine
from wengang.documents.bank import read_bank_file


def _sql(ledger, stmt, **kw):
    with ledger.engine.begin() as c:
        c.execute(text(stmt), kw)


def _count(ledger, table):
    with ledger.engine.connect() as c:
        return c.execute(text(f"select count(*) from {table}")).scalar_one()


@pytest.fixture
def confirmed(ledger, tmp_path):
    """Two decisions paid, the bank's return confirmed both credited: (decision ids, payment ids)."""
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    pays = read_bank_file(sent.path).payments
    lines = [BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "") for n, p in enumerate(pays, 2)]
    res = ledger.apply_bank_return(sent.file_key, lines, "cashier", sha256="a" * 64, bank_date=PAYDAY)
    assert len(res.confirmed) == 2
    with ledger.engine.connect() as c:
        pids = [r[0] for r in c.execute(text("select id from case_payments order by id"))]
    ledger.s42_return = (sent.file_key, lines)  # the return as applied (D8 applies it again)
    return ids, pids


def _events(ledger):
    return _count(ledger, "case_audit_events")


# ---------------------------------------------------------------- D1 bounce on a tampered ledger
def test_bounce_refused_when_the_bank_confirmation_was_deleted(confirmed, ledger):
    ids, pids = confirmed
    _sql(ledger, "delete from case_bank_confirmations where payment_id = :p", p=pids[0])
    n = _events(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.record_bounce(pids[0], "cashier", reason="账户已销户")
    assert e.value.code in ("audit_broken", "tampered"), e.value
    assert "case_bank_confirmations" in e.value.zh and "登记退回" in e.value.zh, e.value.zh
    assert "bounce" in e.value.en
    assert _events(ledger) == n and _count(ledger, "case_payment_returns") == 0
    assert ledger.decision(ids[0])["state"] == "paid"


def test_bounce_refused_when_the_payment_amount_was_edited(ledger):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    with ledger.engine.connect() as c:
        pid = c.execute(text("select id from case_payments where decision_id = :d"), {"d": ids[1]}).scalar_one()
    _sql(ledger, "update case_payments set amount_fen = 1 where id = :p", p=pid)
    n = _events(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.record_bounce(pid, "cashier", reason="账户已销户")
    assert e.value.code in ("audit_broken", "tampered"), e.value
    assert "登记退回" in e.value.zh and "amount_fen" in e.value.zh, e.value.zh
    assert _count(ledger, "case_payment_returns") == 0 and _events(ledger) == n
    assert ledger.decision(ids[1])["state"] == "paid"


def test_fix_account_and_its_approval_refused_on_an_edited_payment(ledger):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    with ledger.engine.connect() as c:
        pid = c.execute(text("select id from case_payments where decision_id = :d"), {"d": ids[0]}).scalar_one()
    ledger.record_bounce(pid, "cashier", reason="账户已销户")
    change = ledger.fix_account(ids[0], "cashier", account_no="6222020200112233445")
    _sql(ledger, "update case_payments set amount_fen = amount_fen + 100 where id = :p", p=pid)
    with pytest.raises(LedgerError) as e:
        ledger.approve_account(change, "checker")
    assert e.value.code in ("audit_broken", "tampered") and "复核账户变更" in e.value.zh, e.value.zh
    assert ledger.decision(ids[0])["state"] == "bounced"
    _sql(ledger, "update case_payments set amount_fen = amount_fen - 100 where id = :p", p=pid)
    ledger.approve_account(change, "checker", reason="复核通过")
    assert ledger.decision(ids[0])["state"] == "account_fixed"


# ---------------------------------------------------------------- D2 no checkpoint over a ledger that fails verify
@pytest.fixture
def signed(ledger, tmp_path):
    """Three payable decisions, the first paid in batch B0 (bank coded) and a checkpoint signed; the others wait."""
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    ids = to_payable(ledger, 3)
    ledger.run_payment_batch("B0", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[0]])
    bank_file(ledger, "B0", tmp_path / "bank")
    assert ledger.checkpoint() is not None and ledger.verify_audit().ok
    return ids, cp


TAMPERS = {
    "pay_amount": "update case_payments set amount_fen = amount_fen + 1",
    "op_roles": "update case_operators set roles = 'reviewer,payer' where login = 'checker'",
    "run_region": "update case_runs set region_code = '150100'",
    "outbox_deleted": "delete from case_outbox where id = (select max(id) from case_outbox)",
    "payee_bank": "update case_payee_banks set bank_code = '102100099996'",
    "seal_strip": ("update case_audit_events set seal = null where seq = "
                   "(select min(seq) + 1 from case_audit_events where seal is not null)"),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_no_checkpoint_signed_over_a_ledger_that_fails_verification(signed, ledger, case):
    ids, cp = signed
    lines = cp.read_text().splitlines()
    _sql(ledger, TAMPERS[case])
    assert not ledger.verify_audit().ok or case == "seal_strip"  # seals: audit verify with the key (cli) sees it
    try:  # the batch of another decision may pay or refuse; either way no checkpoint is signed
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[1]])
    except LedgerError:
        pass
    ledger.appended = True  # as after any write: a checkpoint is due
    with pytest.raises(LedgerError) as e:
        ledger.checkpoint()
    assert e.value.code == "ledger_unverified", e.value
    assert "不在其上签署新的检查点" in e.value.zh and "wengang audit verify" in e.value.zh, e.value.zh
    assert "no new checkpoint is signed" in e.value.en
    assert cp.read_text().splitlines() == lines


# ---------------------------------------------------------------- Q an objection's hold: four eyes to release
OBJECTION = "公示期间收到异议：举报该单位上年度裁员未如实申报"


def test_an_objection_hold_is_released_by_a_reviewer_other_than_the_one_who_held_it(ledger):
    a, b = to_payable(ledger, 2)
    ledger.hold(a, "clerk", reason=OBJECTION)
    with pytest.raises(LedgerError) as e:  # the 经办 who took the objection cannot clear it alone
        ledger.release(a, "clerk", reason="异议核实不成立")
    assert e.value.code == "role_refused" and "公示期间有异议" in e.value.zh, e.value.zh
    with pytest.raises(LedgerError) as e:
        ledger.release(a, "checker")  # a stated reason is needed
    assert e.value.code == "reason_required"
    ledger.hold(b, "lead", reason=OBJECTION)
    with pytest.raises(LedgerError) as e:  # a 经办+复核 who held it cannot release it either
        ledger.release(b, "lead", reason="异议核实不成立")
    assert e.value.code == "same_operator" and "办理该暂缓的人员（lead）" in e.value.zh, e.value.zh
    assert ledger.decision(a)["state"] == ledger.decision(b)["state"] == "held"
    ledger.release(a, "checker", reason="经实地核查，异议所称裁员系合同期满终止，异议不成立")
    ledger.release(b, "checker", reason="经核查异议不成立")
    assert ledger.decision(a)["state"] == ledger.decision(b)["state"] == "approved"


def test_a_hold_by_hand_after_approval_is_released_by_another_reviewer_whatever_its_words(ledger):
    # a complaint during 公示 that does not say 异议 is still released by a second person (outside second look, s42)
    a, b = to_payable(ledger, 2)
    ledger.hold(a, "clerk", reason="公示期间群众反映该单位已停产")
    with pytest.raises(LedgerError) as e:
        ledger.release(a, "clerk", reason="经核实仍在生产")
    assert e.value.code == "role_refused" and "复审通过后被暂缓" in e.value.zh, e.value.zh
    ledger.hold(b, "lead", reason="公示期间群众反映该单位已停产")
    with pytest.raises(LedgerError) as e:
        ledger.release(b, "lead", reason="经核实仍在生产")
    assert e.value.code == "same_operator", e.value.zh
    ledger.release(a, "checker", reason="经实地核查仍在正常生产")
    assert ledger.decision(a)["state"] == "approved"


def test_the_screenings_dispatch_and_account_holds_are_released_by_a_reviewer_not_the_first():
    from wengang.casework.states import hold_kinds
    from wengang.programs.fanhuan import ACCOUNT_HOLD_REASON, DISPATCH_HOLD_REASON

    assert hold_kinds(DISPATCH_HOLD_REASON) == ("dispatch",)  # one hold, not split at an inner “；”
    assert hold_kinds(ACCOUNT_HOLD_REASON) == ("account",)
    assert hold_kinds(f"{DISPATCH_HOLD_REASON}；{ACCOUNT_HOLD_REASON}") == ("dispatch", "account")


def test_a_dispatch_hold_is_not_released_by_a_caseworker(ledger):
    from wengang.programs.fanhuan import DISPATCH_HOLD_REASON

    (a,) = to_payable(ledger, 1)
    ledger.hold(a, "clerk", reason=DISPATCH_HOLD_REASON)
    with pytest.raises(LedgerError) as e:
        ledger.release(a, "clerk", reason="已申请")
    assert e.value.code == "role_refused" and "劳务派遣单位尚未主动申请" in e.value.zh, e.value.zh
    ledger.release(a, "checker", reason="已受理其申请，用工单位名单和被派遣劳动者数量已留存备案")
    assert ledger.decision(a)["state"] == "approved"


# ---------------------------------------------------------------- D8 a bank return applied again appends nothing
def test_a_bank_return_applied_again_appends_no_event(confirmed, ledger, tmp_path):
    n = _events(ledger)
    fk, lines = ledger.s42_return
    again = ledger.apply_bank_return(fk, lines, "cashier", sha256="a" * 64, bank_date=PAYDAY)
    assert {r["code"] for r in again.refused} == {"already_recorded"} and not again.confirmed
    assert _events(ledger) == n


# ---------------------------------------------------------------- D4 an edited amount located; the rest pay
def test_an_edited_decision_amount_is_located_and_the_rest_of_its_import_pays(ledger):
    from datetime import date

    from ledger_helpers import DEADLINE, RUN, TODAY, decision

    from wengang.money import format_yuan

    decs = [decision(i, explanation=f"筛查结论：符合条件，金额 {format_yuan(120_000 + i)}\n中小微企业按60%返还")
            for i in range(3)]
    ledger.import_decisions(RUN, decs, "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=d.unit_id) for d in decs]
    ledger.confirm_many(ids, "clerk", today=TODAY)
    ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过")
    ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    _sql(ledger, "update case_decisions set amount_fen = amount_fen + 100000 where id = :i", i=ids[1])
    rep = ledger.verify_audit()
    assert not rep.ok
    said = " ".join(i.zh for i in rep.issues)
    assert f"决定 {ids[1]} 列 amount_fen：存储值 2,200.01元" in said and "应为 1,200.01元" in said, said
    assert "其余记录与导入时一致" in said and f"记录 id {ids[0]}–" not in said, said
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=ids)
    assert res.paid == 2 and [d for d, _ in res.refused] == [ids[1]], res
    assert ledger.decision(ids[1])["state"] == "publicized"
