"""What follows a bounce (退回) on the money path: the two gaps found in session 34.

1. The bank credits a payment the office had recorded as bounced (``paid_after_bounce``): the decision is stopped
   from being paid again until a 复核 records the check (``check_credit_after_bounce``, ``case credit-check``):
   (a) credited — the bounced payment counts as paid, a re-payment already sent is recovered (多退少补) and one not
   yet in a bank file is withdrawn; (b) the bank corrected its line — the bounce stands and the stop is lifted.
2. A 多退少补 top-up that bounces waits for an account change, as an initial payment does, and says why.

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture of conftest.py); the CLI test on a SQLite file.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test
from ledger_helpers import PAYDAY, decision, register_staff, snapshot, to_payable
from sqlalchemy import text
from test_stateful import LedgerMachine
from typer.testing import CliRunner

from conftest import DB, pg_available
from wengang.casework import LedgerError
from wengang.casework.cli import case_app
from wengang.casework.ledger import BankReturnLine, Ledger, payment_reference
from wengang.casework.operators import add_operator
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file

PAYER = "15001234567890123456"
BANK = "102191000019"
NEW_ACCOUNT = "6222888800000000"
A0 = decision(0).amount_fen


@pytest.fixture
def ledger(db):
    led = register_staff(db.open())
    add_operator(led, "dual", roles=["复核", "出纳"], display_name="复核兼出纳", actor="admin")
    yield led
    led.close()


def one(led: Ledger, stmt: str, **kw):
    with led.engine.connect() as c:
        return c.execute(text(stmt), kw).scalar_one()


def pay(led: Ledger, batch: str, actor: str = "cashier"):
    return led.run_payment_batch(batch, "fanhuan", 2025, actor, today=PAYDAY)


def bank_file(led: Ledger, batch: str, out: Path):
    plan = led.bank_file_plan(batch)["payments"]
    if plan:
        led.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    return write_bank_file(led, batch, out, "cashier", payer_account=PAYER, on=PAYDAY)


def bank_return(led: Ledger, sent, results: dict[str, bool], reason: str = "账户已销户"):
    """The bank's answer to file ``sent``: reference -> credited (成功) or not (失败)."""
    lines = [
        BankReturnLine(
            n,
            p.reference,
            results[p.reference],
            p.amount_fen,
            p.account,
            "" if results[p.reference] else reason,
        )
        for n, p in enumerate(read_bank_file(sent.path).payments, 2)
        if p.reference in results
    ]
    return led.apply_bank_return(
        sent.file_key, lines, "cashier", sha256=sent.file_key.ljust(64, "0"), bank_date=PAYDAY
    )


def payment_of(led: Ledger, did: int, kind: str = "initial", seq: int = 0) -> dict:
    return next(p for p in led.decision(did)["payments"] if (p["kind"], p["seq"]) == (kind, seq))


def balance(led: Ledger, did: int) -> dict:
    [b] = led.balances(unit_id=led.decision(did)["unit_id"])
    return b


def sound(led: Ledger) -> None:
    """The checks an auditor runs: the chain and every projection, and the money against its events."""
    rep = led.verify_audit()
    assert rep.ok, rep.problems
    assert led.reconcile()["ok"]


def counted_paid_is_what_the_bank_holds(led: Ledger) -> None:
    """Counted paid (paid − returned) = the payments the bank files sent that the bank did not send back."""
    with led.engine.connect() as c:
        held = c.exec_driver_sql(
            "select coalesce(sum(p.amount_fen), 0) from case_payments p "
            "join case_bank_file_items i on i.payment_id = p.id "
            "where exists (select 1 from case_bank_confirmations k where k.payment_id = p.id) "
            "or not exists (select 1 from case_payment_returns x where x.payment_id = p.id)"
        ).scalar_one()
    assert sum(b["paid_fen"] - b["returned_fen"] for b in led.balances()) == held


def alarmed(
    led: Ledger,
    tmp_path: Path,
    *,
    fix: bool = False,
    repay: bool = False,
    send_repay: bool = False,
    bouncer: str = "cashier",
    large: bool = False,
):
    """Two decisions paid in B1 and sent; the first bounced by hand before the bank answered (optionally its
    account fixed and approved, re-paid in B2, and B2 sent); then the bank's return says both were credited.
    ``large``: the first was taken for 大型 before it was paid (30%: half of its 60%)."""
    ids = to_payable(led, 2)
    if large:
        led.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    pay(led, "B1")
    sent = bank_file(led, "B1", tmp_path / "b1")
    p0 = payment_of(led, ids[0])
    led.record_bounce(p0["id"], bouncer, reason="单位称账户已销户")
    sent2 = None
    if fix or repay:
        led.approve_account(led.fix_account(ids[0], "cashier", account_no=NEW_ACCOUNT), "checker")
    if repay:
        assert pay(led, "B2").paid == 1
        if send_repay:
            sent2 = bank_file(led, "B2", tmp_path / "b2")
    res = bank_return(led, sent, {f"{i}-0": True for i in ids})
    assert [r["code"] for r in res.refused] == ["paid_after_bounce"]
    return ids, sent, p0, sent2


# ------------------------------------------------------------------ 1. credited after a bounce: the check
@pytest.mark.parametrize("fix", [False, True], ids=["bounced", "account_fixed"])
def test_credit_confirmed_counts_the_bounced_payment_as_paid(ledger, tmp_path, fix):
    ids, sent, p0, _ = alarmed(ledger, tmp_path, fix=fix)
    did = ids[0]
    assert ledger.decision(did)["state"] == ("account_fixed" if fix else "bounced")
    assert balance(ledger, did)["returned_fen"] == A0  # as the manual bounce left it: counted as not paid

    res = ledger.check_credit_after_bounce(
        did, "checker", credited=True, reason="银行书面确认：原付款已于当日入账"
    )
    assert (res.payment_id, res.credited, res.state, res.withdrawn, res.recovery_id) == (
        p0["id"],
        True,
        "paid",
        [],
        None,
    )
    d = ledger.decision(did)
    assert d["state"] == "paid" and len(d["payments"]) == 1  # paid by the payment that was credited, once
    assert [h["action"] for h in d["history"]][-1] == "bank_credit_confirmed"
    assert "原付款已于当日入账" in d["history"][-1]["reason"]
    b = balance(ledger, did)
    assert (b["paid_fen"], b["returned_fen"], b["net_fen"]) == (A0, 0, A0)
    assert one(ledger, "select count(*) from case_bank_confirmations where payment_id = :p", p=p0["id"]) == 1
    counted_paid_is_what_the_bank_holds(ledger)
    assert sum(b["paid_fen"] - b["returned_fen"] for b in ledger.balances()) == sent.total_fen
    again = pay(ledger, "B2")
    assert again.paid == 0 and not again.refused  # nothing due, and no longer stopped
    with pytest.raises(LedgerError) as e:  # the bank's word now stands against a bounce by hand
        ledger.record_bounce(p0["id"], "cashier", reason="再次登记退回")
    assert e.value.code == "bank_confirmed"
    # the same return file applied again changes nothing (no second alarm)
    res2 = bank_return(ledger, sent, {f"{i}-0": True for i in ids})
    assert [r["code"] for r in res2.refused] == ["already_recorded", "already_recorded"]
    assert ledger.decision(did)["history"][-1]["action"] != "bank_credited_after_bounce"
    sound(ledger)


@pytest.mark.parametrize("repaid_result", [True, False], ids=["repayment_credited", "repayment_bounced"])
def test_credit_confirmed_after_a_repayment_recovers_it(ledger, tmp_path, repaid_result):
    ids, sent, p0, sent2 = alarmed(ledger, tmp_path, repay=True, send_repay=True)
    did = ids[0]
    p1 = payment_of(ledger, did, seq=1)
    assert "须追回" in ledger.decision(did)["history"][-1]["reason"]
    before = snapshot(ledger)
    # the re-payment is with the bank: its answer decides what to recover
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(did, "checker", credited=True, reason="银行确认已入账")
    assert e.value.code == "awaiting_bank" and f"{did}-1" in e.value.zh
    assert snapshot(ledger) == before

    bank_return(ledger, sent2, {f"{did}-1": repaid_result})
    res = ledger.check_credit_after_bounce(did, "checker", credited=True, reason="银行确认原付款已入账")
    assert res.state == "paid" and res.withdrawn == []
    recoveries = ledger.decision(did)["recoveries"]
    if repaid_result:  # paid twice: the re-payment is an overpayment, recovered by the 多退少补 order
        assert res.recovery_id is not None and res.recovery_fen == p1["amount_fen"]
        [r] = recoveries
        assert (r["id"], r["kind"], r["amount_fen"]) == (res.recovery_id, "overpayment", A0)
        assert "多退少补" in r["reason"]
        b = balance(ledger, did)
        assert (b["paid_fen"], b["returned_fen"], b["recovery_outstanding_fen"]) == (2 * A0, 0, A0)
        ledger.record_recovery_receipt(res.recovery_id, "cashier", amount_fen=A0)
        assert balance(ledger, did)["net_fen"] == A0
    else:  # the re-payment came back: nothing to recover
        assert res.recovery_id is None and recoveries == []
        assert balance(ledger, did)["net_fen"] == A0
    again = pay(ledger, "B3")
    assert (again.paid, again.supplements, again.refused) == (0, 0, [])
    counted_paid_is_what_the_bank_holds(ledger)
    sound(ledger)


def test_credit_confirmed_withdraws_a_repayment_not_yet_sent(ledger, tmp_path):
    ids, _, p0, _ = alarmed(ledger, tmp_path, repay=True)
    did = ids[0]
    p1 = payment_of(ledger, did, seq=1)
    # held back while the credit is unchecked: it could reach the payee twice
    plan = ledger.bank_file_plan("B2")
    assert plan["payments"] == [] and [p["id"] for p in plan["held"]] == [p1["id"]]
    assert bank_file(ledger, "B2", tmp_path / "b2") is None
    res = ledger.check_credit_after_bounce(did, "checker", credited=True, reason="银行确认原付款已入账")
    assert res.withdrawn == [p1["id"]] and res.recovery_id is None
    assert ledger.bank_file_plan("B2") | {"batch": None, "files": None} == {
        "batch": None,
        "files": None,
        "payments": [],
        "held": [],
    }
    assert bank_file(ledger, "B2", tmp_path / "b2") is None  # never goes to the bank
    d = ledger.decision(did)
    assert d["state"] == "paid" and d["recoveries"] == []
    assert balance(ledger, did)["net_fen"] == A0
    assert "撤回" in d["history"][-1]["reason"] and d["history"][-1]["action"] == "bank_credit_confirmed"
    # the letter names what was sent
    assert [p["id"] for p in ledger.letter_view(did)["payments"]] == [p0["id"]]
    with pytest.raises(LedgerError) as e:  # withdrawn: it cannot bounce a second time
        ledger.record_bounce(p1["id"], "cashier", reason="x")
    assert e.value.code == "already_bounced"
    counted_paid_is_what_the_bank_holds(ledger)
    sound(ledger)


@pytest.mark.parametrize("fix", [False, True], ids=["bounced", "account_fixed"])
def test_bank_corrected_keeps_the_bounce_and_lifts_the_stop(ledger, tmp_path, fix):
    ids, sent, p0, _ = alarmed(ledger, tmp_path, fix=fix)
    did = ids[0]
    stopped = pay(ledger, "B2")
    # an account_fixed one is payable, and stopped
    assert stopped.paid == 0 and (did in dict(stopped.refused)) == fix
    res = ledger.check_credit_after_bounce(
        did, "checker", credited=False, reason="银行更正回盘：该笔实际未入账，款项已退回"
    )
    assert (res.credited, res.withdrawn, res.recovery_id) == (False, [], None)
    d = ledger.decision(did)
    assert d["state"] == ("account_fixed" if fix else "bounced")  # the bounce stands
    assert d["history"][-1]["action"] == "bank_credit_corrected" and "银行更正" in d["history"][-1]["reason"]
    assert one(ledger, "select count(*) from case_bank_confirmations where payment_id = :p", p=p0["id"]) == 0
    assert balance(ledger, did)["returned_fen"] == A0
    if not fix:
        assert pay(ledger, "B3").paid == 0  # still waits for its account, as any bounce
        ledger.approve_account(ledger.fix_account(did, "cashier", account_no=NEW_ACCOUNT), "checker")
    res3 = pay(ledger, "B4")
    assert res3.paid == 1 and not res3.refused  # the stop is lifted
    assert payment_of(ledger, did, seq=1)["account_no"] == NEW_ACCOUNT
    # the same return file applied again does not stop the decision a second time
    again = bank_return(ledger, sent, {f"{i}-0": True for i in ids})
    assert [r["code"] for r in again.refused] == ["already_recorded", "already_recorded"]
    sound(ledger)


def test_credit_check_needs_another_reviewer_a_reason_and_is_recorded_once(ledger, tmp_path):
    ids, _, p0, _ = alarmed(ledger, tmp_path, bouncer="dual")
    did = ids[0]
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(did, "cashier", credited=True, reason="已入账")
    assert e.value.code == "role_refused" and "复核" in e.value.zh
    with pytest.raises(LedgerError) as e:  # who recorded the bounce does not check it
        ledger.check_credit_after_bounce(did, "dual", credited=True, reason="已入账")
    assert e.value.code == "same_operator" and "dual" in e.value.zh
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(did, "checker", credited=True, reason="  ")
    assert e.value.code == "no_reason"
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(ids[1], "checker", credited=True, reason="已入账")
    assert e.value.code == "no_alarm"
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(
            did, "checker", credited=True, reason="已入账", payment_id=p0["id"] + 999
        )
    assert e.value.code == "no_alarm"
    assert snapshot(ledger) == before  # every refusal changed nothing
    ledger.check_credit_after_bounce(did, "checker", credited=False, reason="银行更正：未入账")
    after = snapshot(ledger)
    for credited in (True, False):
        with pytest.raises(LedgerError) as e:
            ledger.check_credit_after_bounce(did, "lead", credited=credited, reason="再核一次")
        assert e.value.code == "already_checked"
    assert snapshot(ledger) == after


def test_concurrent_checks_record_one_outcome_and_one_recovery(ledger, tmp_path):
    ids, _, _, sent2 = alarmed(ledger, tmp_path, repay=True, send_repay=True)
    did = ids[0]
    bank_return(ledger, sent2, {f"{did}-1": True})

    def check(i: int):
        try:
            return ledger.check_credit_after_bounce(
                did, ("checker", "lead")[i % 2], credited=i % 3 != 2, reason=f"核实 {i}"
            )
        except LedgerError as e:
            return e.code

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(check, range(6)))
    done = [o for o in outcomes if not isinstance(o, str)]
    assert len(done) == 1 and sorted(o for o in outcomes if isinstance(o, str)) == ["already_checked"] * 5
    n_checks = one(
        ledger,
        "select count(*) from case_audit_events where action in ('bank_credit_confirmed', 'bank_credit_corrected')",
    )
    assert n_checks == 1
    assert len(ledger.decision(did)["recoveries"]) == (1 if done[0].credited else 0)
    sound(ledger)


# --------------------------------------------------------------------- 2. a top-up that bounces
TOP = A0 // 2  # 大型 30% first, then 微型 60%: the other half is due


def topped_up(led: Ledger, tmp_path: Path):
    """Two decisions paid and credited, the first as 大型 (half); then resized to 微型, the top-up (the other half)
    paid in B2 and sent."""
    ids = to_payable(led, 2)
    led.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    pay(led, "B1")
    bank_return(led, bank_file(led, "B1", tmp_path / "b1"), {f"{i}-0": True for i in ids})
    up = led.change_size_class(ids[0], "checker", new_size_class="micro", reason="划型更正为微型")
    assert up.supplement_due_fen == TOP
    assert pay(led, "B2").supplements == 1
    return ids, bank_file(led, "B2", tmp_path / "b2")


def test_bounced_top_up_waits_for_an_account_change(ledger, tmp_path):
    ids, sent2 = topped_up(ledger, tmp_path)
    did = ids[0]
    res = bank_return(ledger, sent2, {f"{did}-S0": False}, reason="账户已冻结")
    assert len(res.bounced) == 1
    [other] = to_payable(ledger, 1, start=10)  # an account change of another decision releases nothing here
    ledger.approve_account(
        ledger.set_account(other, "cashier", account_no="6222777700000001", reason="补录"), "checker"
    )
    again = pay(ledger, "B3")
    assert again.supplements == 0 and again.paid == 1  # not to the account that just sent it back
    assert again.supplement_awaiting_account == 1
    d = ledger.decision(did)
    assert d["state"] == "paid" and [p["seq"] for p in d["payments"] if p["kind"] == "supplement"] == [0]
    shown = [h for h in d["history"] if h["action"] == "bounce_supplement"]
    assert shown and "账户已冻结" in shown[-1]["reason"]

    cid = ledger.set_account(did, "cashier", account_no=NEW_ACCOUNT, reason="单位提供新账户")
    assert pay(ledger, "B4").supplements == 0  # the request still awaits a second person
    ledger.approve_account(cid, "checker")
    res5 = pay(ledger, "B5")
    assert (res5.supplements, res5.supplement_fen, res5.supplement_awaiting_account) == (1, TOP, 0)
    s1 = payment_of(ledger, did, kind="supplement", seq=1)
    assert (s1["amount_fen"], s1["account_no"]) == (TOP, NEW_ACCOUNT)
    sent5 = bank_file(ledger, "B5", tmp_path / "b5")
    [line] = read_bank_file(sent5.path).payments
    assert (line.reference, line.amount_fen) == (f"{did}-S1", TOP)
    bank_return(ledger, sent5, {f"{did}-S1": True})
    assert pay(ledger, "B6").supplements == 0  # paid once
    b = balance(ledger, did)
    assert (b["paid_fen"], b["returned_fen"], b["net_fen"]) == (A0 - TOP + 2 * TOP, TOP, A0)
    sound(ledger)


def test_top_up_bounced_by_hand_waits_for_fix_account(ledger, tmp_path):
    ids, _ = topped_up(ledger, tmp_path)
    did = ids[0]
    s0 = payment_of(ledger, did, kind="supplement")
    ledger.record_bounce(s0["id"], "cashier", reason="户名不符")
    assert pay(ledger, "B3").supplements == 0
    # the other decision's top-up did not bounce: no account change when paid
    with pytest.raises(LedgerError) as e:
        ledger.set_account(ids[1], "cashier", account_no=NEW_ACCOUNT, reason="x")
    assert e.value.code == "transition_refused"
    ledger.approve_account(
        ledger.fix_account(did, "cashier", account_no=NEW_ACCOUNT, reason="更正户名对应账户"), "checker"
    )
    # the decision itself was paid: it does not go back to 待重发
    assert ledger.decision(did)["state"] == "paid"
    res = pay(ledger, "B4")
    # the top-up only, never the whole again
    assert (res.supplements, res.paid, res.amount_fen) == (1, 1, TOP)
    assert payment_of(ledger, did, kind="supplement", seq=1)["account_no"] == NEW_ACCOUNT
    sound(ledger)


# ---------------------------------------------------------------------------------- the CLI
runner = CliRunner()


def test_cli_shows_the_bounced_top_up_and_records_the_check(tmp_path):
    db = DB("sqlite", tmp_path)
    led = register_staff(db.open())
    try:
        ids, sent2 = topped_up(led, tmp_path)
        bank_return(led, sent2, {f"{ids[0]}-S0": False}, reason="账户已冻结")
        more = to_payable(led, 1, start=10)
        pay(led, "B3")
        sent3 = bank_file(led, "B3", tmp_path / "b3")
        led.record_bounce(payment_of(led, more[0])["id"], "cashier", reason="单位称未收到")
        bank_return(led, sent3, {f"{more[0]}-0": True})
    finally:
        led.close()

    def case(user, *args, code=0):
        r = runner.invoke(case_app, [*args, "--db", db.url, "--user", user])
        assert r.exit_code == code, r.output
        return " ".join(r.output.split())

    out = case("clerk", "show", str(ids[0]))
    assert "账户已冻结" in out and "补发退回" in out and "待更正账户" in out
    out = case("cashier", "pay", "B4", "fanhuan", "2025")
    assert "补发退回待更正账户 1" in out
    out = case("clerk", "show", str(more[0]))
    assert "可能重复支付" in out and "credit-check" in out
    assert "没有「复核」角色" in case(
        "cashier", "credit-check", str(more[0]), "--credited", "--reason", "x", code=2
    )
    assert "须写明" in case("checker", "credit-check", str(more[0]), "--credited", "--reason", " ", code=2)
    out = case("checker", "credit-check", str(more[0]), "--credited", "--reason", "银行书面确认已入账")
    assert "已核实" in out and "已发放" in out
    assert "已核实" in case(
        "checker", "credit-check", str(more[0]), "--not-credited", "--reason", "y", code=2
    )


# ---------------------------------------------------------------- random sequences, with the bank in them
PAYERS = st.sampled_from(["cashier", "cashier2", "lead", "clerk"])  # mostly 出纳; others are refused
REVIEWERS = st.sampled_from(["checker", "checker2", "lead", "cashier"])  # mostly 复核


class BankMachine(LedgerMachine):
    """``test_stateful.LedgerMachine`` (its invariants included) plus bank files, the bank's answers (credited or
    not, also for payments bounced by hand) and the credit check, with a stronger "never paid twice": what a
    decision counts as paid, net of overpayment recoveries, never exceeds its entitlement."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list = []
        # decision with an unchecked credit -> its payments when it was stopped
        self.stopped: dict[int, int] = {}
        self.bank_said: set[int] = set()  # payments the bank has answered for
        self.tmp = Path(tempfile.mkdtemp(prefix="wg-bank-"))

    def _step(self, fn, *args, **kw):
        """As the base, but the credit check may also move a decision from 已退回 / 账户已更正 to 已发放: paid by
        the payment the bank credited (the transition bank_credit_confirmed, see docs/casework.md)."""
        if getattr(fn, "__name__", "") != "check_credit_after_bounce":
            return super()._step(fn, *args, **kw)
        before_head, before = self.led.verify_audit().head_hash, self._states()
        try:
            out = fn(*args, **kw)
        except LedgerError:
            assert self.led.verify_audit().head_hash == before_head and self._states() == before
            return None
        after = self._states()
        moved = {i: (before[i], after[i]) for i in self.ids if before[i] != after[i]}
        assert set(moved) <= {args[0]} and set(moved.values()) <= {
            ("bounced", "paid"),
            ("account_fixed", "paid"),
        }, moved
        return out

    def _walk(self, did: int, who: int) -> None:
        """The usual path, with the bank in it: a paid decision's payment goes to the bank in a file; then it is
        bounced by hand first (who 0) or the bank answers (credited unless who is 2), also for a payment bounced by
        hand (so the bank may contradict it); a decision the bank credited after its bounce is checked (credited
        unless who is 0); otherwise as the base machine (fix the account, pay again ...)."""
        with self.led.engine.connect() as c:
            stopped = did in self.led._alarms(c, {did})
            last = c.execute(
                text(
                    "select p.id, p.kind, p.seq, (select f.file_key from case_bank_file_items i join case_bank_files f "
                    "on f.id = i.file_id where i.payment_id = p.id) from case_payments p where p.decision_id = :d "
                    "order by p.id desc limit 1"
                ),
                {"d": did},
            ).first()
        if stopped:
            self._step(
                self.led.check_credit_after_bounce,
                did,
                ("checker", "checker2", "lead")[who],
                credited=who != 0,
                reason="核实",
            )
            return
        state = self.led.decision(did)["state"]
        if last is not None and state in ("paid", "bounced", "account_fixed"):
            pid, kind, seq, file_key = last
            if file_key is None and state == "paid":
                return self.send_to_bank("cashier")
            if file_key is not None and pid not in self.bank_said:
                if state == "paid" and who == 0:
                    return self._step(self.led.record_bounce, pid, "cashier2", reason="单位称账户已销户")
                if state == "paid" or who:
                    sent = next(f for f in self.files if f.file_key == file_key)
                    return self._answer(sent, {payment_reference(did, seq, kind): who != 2}, "cashier")
        super()._walk(did, who)

    def _answer(self, sent, results: dict[str, bool], actor: str) -> None:
        lines = [
            BankReturnLine(
                n,
                p.reference,
                results[p.reference],
                p.amount_fen,
                p.account,
                "" if results[p.reference] else "账户已销户",
            )
            for n, p in enumerate(read_bank_file(sent.path).payments, 2)
            if p.reference in results
        ]
        sha = hashlib.sha256(repr((sent.file_key, sorted(results.items()))).encode()).hexdigest()
        if self._step(self.led.apply_bank_return, sent.file_key, lines, actor, sha256=sha, bank_date=PAYDAY):
            with self.led.engine.connect() as c:
                for ref in results:
                    did, seq = ref.split("-")
                    kind = "supplement" if seq.startswith("S") else "initial"
                    self.bank_said.add(
                        c.execute(
                            text(
                                "select id from case_payments where decision_id = :d and kind = :k and seq = :s"
                            ),
                            {"d": int(did), "k": kind, "s": int(seq.lstrip("S"))},
                        ).scalar_one()
                    )

    @rule(actor=PAYERS)
    def send_to_bank(self, actor):
        with self.led.engine.connect() as c:
            batches = [r[0] for r in c.exec_driver_sql("select batch_key from case_payment_batches")]
        for b in batches:
            plan = self._step(self.led.bank_file_plan, b)
            if plan and plan["payments"]:
                self.led.set_payee_banks(
                    {
                        p["account_no"]: BANK
                        for p in plan["payments"]
                        if p["account_no"] and p["account_no"].isdigit()
                    },
                    "cashier",
                )
                sent = self._step(
                    write_bank_file,
                    self.led,
                    b,
                    self.tmp / f"f{len(self.files)}",
                    actor,
                    payer_account=PAYER,
                    on=PAYDAY,
                )
                if sent is not None:
                    self.files.append(sent)

    @rule(data=st.data(), actor=PAYERS)
    def bounce_before_the_bank_answers(self, data, actor):
        """A bounce recorded by hand for a payment sent and not yet answered (the bank may then say 成功)."""
        with self.led.engine.connect() as c:
            sent = [
                r[0]
                for r in c.exec_driver_sql(
                    "select i.payment_id from case_bank_file_items i where not exists (select 1 from "
                    "case_payment_returns x where x.payment_id = i.payment_id) and not exists (select 1 from "
                    "case_bank_confirmations k where k.payment_id = i.payment_id) order by i.payment_id"
                )
            ]
        if sent:
            self._step(
                self.led.record_bounce, data.draw(st.sampled_from(sent)), actor, reason="单位称账户已销户"
            )

    @rule(data=st.data(), actor=PAYERS)
    def bank_answers(self, data, actor):
        if self.files:
            sent = data.draw(st.sampled_from(self.files))
            pays = read_bank_file(sent.path).payments
            credited = data.draw(st.lists(st.booleans(), min_size=len(pays), max_size=len(pays)))
            self._answer(sent, {p.reference: ok for p, ok in zip(pays, credited, strict=True)}, actor)

    @rule(data=st.data(), actor=REVIEWERS, credited=st.booleans())
    def credit_check(self, data, actor, credited):
        with self.led.engine.connect() as c:
            stopped = sorted(self.led._alarms(c, set(self.ids)))
        did = data.draw(st.sampled_from(stopped or self.ids))  # a decision with nothing to check is refused
        self._step(self.led.check_credit_after_bounce, did, actor, credited=credited, reason="核实")

    # weighted: the bank's steps as often as the rest (the base machine has many rules)
    send_to_bank_again = send_to_bank
    bank_answers_again = bank_answers
    credit_check_again = credit_check

    def _payment_rows(self):
        # a return the bank contradicted and the check confirmed (a confirmation of the same payment) is void
        with self.led.engine.connect() as c:
            rows = c.exec_driver_sql(
                "select p.id, p.decision_id, p.kind, p.amount_fen, "
                "(select count(*) from case_payment_returns x where x.payment_id = p.id "
                " and not exists (select 1 from case_bank_confirmations k where k.payment_id = p.id)) "
                "from case_payments p order by p.id"
            ).all()
        for pid, did, kind, amount, returned in rows:
            yield {"id": pid, "decision_id": did, "kind": kind, "amount_fen": amount}, bool(returned)

    @invariant()
    def never_paid_twice(self):
        """At most one initial payment with the payee per decision, once the checked double payments' recoveries
        are counted (a re-payment the check found paid twice is recovered, one not yet sent is withdrawn)."""
        live: dict[int, int] = {}
        for p in self._payments():
            if p["kind"] == "initial" and not p["returned"]:
                live[p["decision_id"]] = live.get(p["decision_id"], 0) + 1
        with self.led.engine.connect() as c:
            for (after,) in c.exec_driver_sql(
                "select after from case_audit_events where action = 'bank_credit_confirmed'"
            ):
                a = json.loads(after)
                if a.get("recovery_id"):
                    live[a["decision_id"]] -= 1
        assert all(n <= 1 for n in live.values()), live

    @invariant()
    def stopped_while_unchecked(self):
        """A decision the bank credited after its bounce gets no new payment until the check is recorded."""
        counts: dict[int, int] = {}
        for p in self._payments():
            counts[p["decision_id"]] = counts.get(p["decision_id"], 0) + 1
        with self.led.engine.connect() as c:
            open_ = set(self.led._alarms(c, set(self.ids)))
        for did in open_:
            if did in self.stopped:
                assert counts.get(did, 0) == self.stopped[did], (did, counts.get(did, 0), self.stopped[did])
            self.stopped[did] = counts.get(did, 0)
        for did in set(self.stopped) - open_:
            del self.stopped[did]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_random_sequences_with_the_bank_keep_the_invariants(kind):
    if kind == "postgres" and not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    machine = type(f"BankMachine_{kind}", (BankMachine,), {"kind": kind})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8 if kind == "sqlite" else 4,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
