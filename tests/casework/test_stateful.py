"""Random sequences of ledger steps, by operators of every role, on SQLite and PostgreSQL (issue 12 item 6).

Hypothesis drives a state machine over the ledger's service methods — notify, 初审, 复审, 公示, payment batches,
bounces, account requests and approvals, holds, size-class changes, recovery receipts — with any operator, in any
order, including steps that must be refused. After every step the invariants an auditor checks must hold:

* a refused step changes nothing (the audit chain's head stays where it was);
* every state a decision reaches is reached by an allowed transition (``states.TRANSITIONS``);
* no decision is paid twice: at most one initial payment not returned by the bank;
* nothing is paid without a 复审 approval by someone other than the 初审, and the payer reviewed neither;
* paid − returned − recovered is each unit's balance, the money tables agree with their events, and the audit
  chain (with every projection rebuilt from the events) verifies.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from ledger_helpers import PAYDAY, RUN, STAFF, decision, register_staff

from conftest import DB, pg_available
from wengang.casework import LedgerError
from wengang.casework.states import TRANSITIONS

N = 4
STAFF_ALL = STAFF | {"clerk2": (["经办"], "经办乙"), "checker2": (["复核"], "复核乙"), "cashier2": (["出纳"], "出纳乙")}
ACTORS = st.sampled_from(sorted(STAFF_ALL) + ["nobody"])
ALLOWED = {(s, t) for tr in TRANSITIONS.values() for s in tr.sources | tr.without_confirmation for t in tr.targets}
_keys = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    kind = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.db = DB(self.kind, tempfile.mkdtemp(prefix="wg-stateful-"))
        self.led = register_staff(self.db.open(), STAFF_ALL)
        self.led.import_decisions(RUN, [decision(i) for i in range(N)], "clerk")
        self.ids = [self.led.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(N)]
        self.requests: list[int] = []
        self.recoveries: list[tuple[int, int]] = []

    def teardown(self) -> None:
        self.led.close()
        self.db.drop()

    # ------------------------------------------------------------------ helpers
    def _states(self) -> dict[int, str]:
        return {i: self.led.decision(i)["state"] for i in self.ids}

    def _step(self, fn, *args, **kw):
        """Run one step; a refusal must leave the ledger exactly as it was, a success only allowed moves."""
        before_head = self.led.verify_audit().head_hash
        before = self._states()
        try:
            out = fn(*args, **kw)
        except LedgerError:
            assert self.led.verify_audit().head_hash == before_head, f"{fn.__name__} was refused but wrote"
            assert self._states() == before
            return None
        after = self._states()
        for i in self.ids:
            if before[i] != after[i]:
                assert (before[i], after[i]) in ALLOWED, (fn.__name__, i, before[i], after[i])
        return out

    def _payments(self) -> list[dict]:
        return [p | {"returned": r} for p, r in self._payment_rows()]

    def _payment_rows(self):
        with self.led.engine.connect() as c:
            rows = c.exec_driver_sql(
                "select p.id, p.decision_id, p.kind, p.amount_fen, "
                "(select count(*) from case_payment_returns x where x.payment_id = p.id) "
                "from case_payments p order by p.id").all()
        for pid, did, kind, amount, returned in rows:
            yield {"id": pid, "decision_id": did, "kind": kind, "amount_fen": amount}, bool(returned)

    # -------------------------------------------------------------------- rules
    @initialize()
    def start(self) -> None:
        pass

    @rule(actor=ACTORS)
    def notify(self, actor):
        self._step(self.led.notify, "fanhuan", 2025, actor)

    @rule(i=st.integers(0, N - 1), actor=ACTORS, approve=st.booleans())
    def first_review(self, i, actor, approve):
        self._step(self.led.first_review, self.ids[i], actor, approve=approve, reason="初审")

    @rule(i=st.integers(0, N - 1), actor=ACTORS, approve=st.booleans())
    def second_review(self, i, actor, approve):
        self._step(self.led.second_review, self.ids[i], actor, approve=approve, reason="复审")

    @rule(actor=ACTORS)
    def publicize(self, actor):
        self._step(self.led.publicize, f"gs-{next(_keys)}", "fanhuan", 2025, actor, starts_on=date(2025, 10, 1),
                   days=7)

    @rule(actor=ACTORS, after_publicity=st.booleans())
    def pay(self, actor, after_publicity):
        day = PAYDAY if after_publicity else date(2025, 10, 3)
        self._step(self.led.run_payment_batch, f"b-{next(_keys)}", "fanhuan", 2025, actor, today=day)

    @rule(i=st.integers(0, N - 1), actor=ACTORS)
    def pay_one(self, i, actor):
        self._step(self.led.pay_decision, self.ids[i], actor, today=PAYDAY)

    @rule(data=st.data(), actor=ACTORS)
    def bounce(self, data, actor):
        pays = self._payments()
        if pays:
            p = data.draw(st.sampled_from(pays))
            self._step(self.led.record_bounce, p["id"], actor, reason="账户已销户")

    @rule(i=st.integers(0, N - 1), actor=ACTORS, fix=st.booleans())
    def request_account(self, i, actor, fix):
        fn = self.led.fix_account if fix else self.led.set_account
        cid = self._step(fn, self.ids[i], actor, account_no=f"6222{next(_keys):012d}", reason="更正账户")
        if cid is not None:
            self.requests.append(cid)

    @rule(data=st.data(), actor=ACTORS, approve=st.booleans())
    def approve_account(self, data, actor, approve):
        if self.requests:
            cid = data.draw(st.sampled_from(self.requests))
            self._step(self.led.approve_account, cid, actor, approve=approve)

    @rule(i=st.integers(0, N - 1), actor=ACTORS)
    def hold(self, i, actor):
        self._step(self.led.hold, self.ids[i], actor, reason="缓缴未补足")

    @rule(i=st.integers(0, N - 1), actor=ACTORS)
    def release(self, i, actor):
        self._step(self.led.release, self.ids[i], actor, reason="已补足")

    @rule(i=st.integers(0, N - 1), actor=ACTORS, amount=st.integers(0, 400_000))
    def resize(self, i, actor, amount):
        res = self._step(self.led.change_size_class, self.ids[i], actor, new_size_class="micro", new_amount_fen=amount,
                         reason="划型变更")
        if res is not None and res.recovery_id is not None:
            self.recoveries.append((res.recovery_id, -res.diff_fen))

    @rule(data=st.data(), actor=ACTORS)
    def recovery_received(self, data, actor):
        if self.recoveries:
            rid, amount = data.draw(st.sampled_from(self.recoveries))
            self._step(self.led.record_recovery_receipt, rid, actor, amount_fen=amount)

    @rule(who=st.lists(st.integers(0, 2), min_size=N, max_size=N))
    def walk(self, who):
        """Every decision takes the next step of the usual path, by one of the operators whose role fits (the
        lead holds 经办 and 复核: whether a step by the lead is allowed depends on what the lead did before).
        Without it random steps seldom get a decision as far as payment."""
        for i, w in enumerate(who):
            self._walk(self.ids[i], w)

    walk_again = walk  # weighted: the path forward is taken as often as the noise around it
    walk_once_more = walk

    def _walk(self, did: int, who: int) -> None:
        state = self.led.decision(did)["state"]
        clerk, checker, cashier = (("clerk", "clerk2", "lead")[who], ("checker", "checker2", "lead")[who],
                                   ("cashier", "cashier2", "lead")[who])
        if state == "screened":
            self._step(self.led.notify, "fanhuan", 2025, clerk)
        elif state == "notified":
            self._step(self.led.first_review, did, clerk, approve=True, reason="初审")
        elif state == "first_reviewed":
            self._step(self.led.second_review, did, checker, approve=True, reason="复审")
        elif state == "approved":
            self.publicize(clerk)
        elif state in ("publicized", "account_fixed"):
            self._step(self.led.run_payment_batch, f"b-{next(_keys)}", "fanhuan", 2025, cashier, today=PAYDAY)
        elif state == "paid":
            pid = max(p["id"] for p in self._payments() if p["decision_id"] == did)
            self._step(self.led.record_bounce, pid, cashier, reason="账户已销户")
        elif state == "bounced":
            cid = self._step(self.led.fix_account, did, cashier, account_no=f"6222{next(_keys):012d}", reason="更正")
            if cid is not None:
                self.requests.append(cid)
                self._step(self.led.approve_account, cid, checker)

    # --------------------------------------------------------------- invariants
    @invariant()
    def never_paid_twice(self):
        live: dict[int, int] = {}
        for p in self._payments():
            if p["kind"] == "initial" and not p["returned"]:
                live[p["decision_id"]] = live.get(p["decision_id"], 0) + 1
        assert all(n <= 1 for n in live.values()), live

    @invariant()
    def paid_only_after_two_reviews_by_others(self):
        with self.led.engine.connect() as c:
            reviews = c.exec_driver_sql("select decision_id, stage, reviewer, approve from case_reviews").all()
            payers = dict(c.exec_driver_sql(
                "select e.ref, e.actor from case_audit_events e where e.entity = 'case_payments'").all())
            refs = c.exec_driver_sql("select decision_id, audit_ref from case_payments where kind = 'initial'").all()
        for did, ref in refs:
            first = {r for d, s, r, a in reviews if d == did and s == 1 and a}
            second = {r for d, s, r, a in reviews if d == did and s == 2 and a}
            assert second and not second & first, (did, first, second)
            payer = payers.get(ref)
            if payer is not None:
                assert payer not in first | second, (did, payer)

    @invariant()
    def money_reconciles_and_the_chain_verifies(self):
        for r in self.led.balances():
            assert r["net_fen"] == r["paid_fen"] - r["returned_fen"] - r["recovered_fen"]
        assert self.led.reconcile()["ok"]
        rep = self.led.verify_audit()
        assert rep.ok, rep.problems


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_random_sequences_keep_the_invariants(kind):
    if kind == "postgres" and not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    machine = type(f"LedgerMachine_{kind}", (LedgerMachine,), {"kind": kind})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=10 if kind == "sqlite" else 5, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
