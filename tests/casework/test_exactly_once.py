"""Re-running a step changes nothing; a killed run resumes; concurrent attempts pay once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from ledger_helpers import DEADLINE, PAYDAY, RUN, TODAY, decision, register_staff, snapshot, to_payable
from sqlalchemy import text

from wengang.casework import LedgerError


def _frame(n: int, start: int = 0) -> pl.DataFrame:
    rows = [decision(i) for i in range(start, start + n)]
    return pl.DataFrame({
        "unit_id": [d.unit_id for d in rows], "unit_name": [d.unit_name for d in rows],
        "region_code": [d.region_code for d in rows], "program": [d.program for d in rows],
        "policy_doc": [d.policy_doc for d in rows], "clause": [d.clause for d in rows],
        "status": [d.status for d in rows], "amount_fen": [d.amount_fen for d in rows],
        "reasons": [d.reasons for d in rows], "explanation": [d.explanation for d in rows],
        "readings": [d.readings for d in rows], "payment_channel": [d.payment_channel for d in rows],
        "size_class": [d.size_class for d in rows], "year": [d.year for d in rows],
        "account_no": [d.account_no for d in rows], "contact": [d.contact for d in rows],
    })


def test_reimport_writes_nothing(ledger):
    first = ledger.import_decisions(RUN, [decision(i) for i in range(50)], "clerk")
    assert first.inserted == 50
    before = snapshot(ledger)
    again = ledger.import_decisions(RUN, [decision(i) for i in range(50)], "clerk")
    assert (again.run_id, again.inserted, again.existing) == (first.run_id, 0, 50)
    assert snapshot(ledger) == before


def test_table_import_matches_list_import(ledger, db):
    """Arrow/Polars input stores byte-identical rows to the list-of-DecisionIn path."""
    ledger.import_decisions(RUN, _frame(20).to_arrow(), "clerk", chunk_size=7)
    before = snapshot(ledger)
    assert ledger.import_decisions(RUN, [decision(i) for i in range(20)], "clerk").inserted == 0
    assert ledger.import_decisions(RUN, _frame(20), "clerk").inserted == 0
    assert snapshot(ledger) == before
    d = ledger.decision(ledger.find(program="fanhuan", year=2025, unit_id=decision(3).unit_id))
    assert d["reasons"] == decision(3).reasons and d["readings"] == decision(3).readings
    assert d["explanation"] == decision(3).explanation


def test_second_run_same_year_keeps_first_decisions(ledger):
    ledger.import_decisions(RUN, [decision(i) for i in range(10)], "clerk")
    rerun = type(RUN)(RUN.program, RUN.year, RUN.region_code, {"contrib.parquet": "b" * 64}, RUN.policy_versions)
    res = ledger.import_decisions(rerun, [decision(i) for i in range(5, 15)], "clerk")
    assert (res.inserted, res.existing) == (5, 5)
    assert ledger.counts()["case_decisions"] == 15 and ledger.counts()["case_runs"] == 2


def test_payment_rerun_pays_nobody_twice(ledger):
    to_payable(ledger, 30)
    assert ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY, chunk_size=7).paid == 30
    before = snapshot(ledger)
    assert ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    assert snapshot(ledger) == before


def test_interrupted_batch_resumes(ledger):
    to_payable(ledger, 30)
    part = ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY, chunk_size=4, max_chunks=2)
    assert part.paid == 8
    rest = ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY, chunk_size=4)
    assert rest.paid == 22
    assert ledger.counts()["case_payments"] == 30


def test_sigkill_mid_batch_then_resume(db):
    """A real kill: a child process pays 3 000 units in chunks of 25; SIGKILL it mid-way and resume."""
    n = 3000
    ledger = register_staff(db.open())
    ids = to_payable(ledger, n)
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("payer_proc.py")), db.url,
                              db.schema or "", "big-batch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    paid_at_kill = 0
    with ledger.engine.connect() as c:
        while time.monotonic() < deadline:
            paid_at_kill = c.execute(text("select count(*) from case_payments")).scalar_one()
            c.rollback()
            if paid_at_kill >= 200 or child.poll() is not None:
                break
            time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
    ledger.close()
    ledger = db.open()
    mid = ledger.counts()["case_payments"]
    assert 0 < mid < n, f"kill landed at {mid} of {n}"
    assert ledger.verify_audit().ok  # the half-done chunk left no trace
    res = ledger.run_payment_batch("big-batch", "fanhuan", 2025, "cashier", today=PAYDAY, chunk_size=500)
    assert res.paid == n - mid
    with ledger.engine.connect() as c:
        per = dict(c.execute(text("select decision_id, count(*) from case_payments group by decision_id")).all())
    assert sorted(per) == sorted(ids) and set(per.values()) == {1}
    states = {ledger.decision(i)["state"] for i in ids[:: n // 10]}
    assert states == {"paid"}
    assert ledger.reconcile()["ok"] and ledger.verify_audit().ok
    ledger.close()


@pytest.mark.postgres
def test_fifty_concurrent_confirmations_and_payments(pg_db):
    ledger = register_staff(pg_db.open(pool_size=50, max_overflow=0))
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)

    def race(fn):
        barrier = threading.Barrier(50)

        def attempt(_):
            barrier.wait()
            try:
                fn()
                return "ok"
            except LedgerError as e:
                return e.code

        with ThreadPoolExecutor(50) as pool:
            return list(pool.map(attempt, range(50)))

    out = race(lambda: ledger.confirm(did, "clerk", today=TODAY))
    assert out.count("ok") == 1 and set(out) == {"ok", "transition_refused"}
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=TODAY, days=7)
    out = race(lambda: ledger.pay_decision(did, "cashier", today=PAYDAY))
    assert out.count("ok") == 1
    out = race(lambda: ledger.run_payment_batch("same", "fanhuan", 2025, "cashier", today=PAYDAY))
    assert ledger.counts()["case_payments"] == 1
    with ledger.engine.connect() as c:
        assert c.execute(text("select count(*) from case_audit_events where action='confirm'")).scalar_one() == 1
    assert ledger.verify_audit().ok and ledger.reconcile()["ok"]
    ledger.close()


@pytest.mark.postgres
def test_concurrent_processes_pay_once(pg_db):
    """Four processes run the same batch at once: each unit is paid exactly once."""
    ledger = register_staff(pg_db.open())
    ids = to_payable(ledger, 400)
    script = str(Path(__file__).with_name("payer_proc.py"))
    procs = [subprocess.Popen([sys.executable, script, pg_db.url, pg_db.schema, "shared"], stdout=subprocess.PIPE)
             for _ in range(4)]
    total = sum(int(p.communicate()[0]) for p in procs)
    assert total == 400
    with ledger.engine.connect() as c:
        assert c.execute(text("select count(distinct decision_id), count(*) from case_payments")).one() == (400, 400)
    assert len(ids) == 400 and ledger.verify_audit().ok
    ledger.close()


def test_unique_constraint_backs_payment_once(ledger):
    """Even a raw duplicate insert is refused by the database itself."""
    ids = to_payable(ledger, 1)
    pid = ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError), ledger.engine.begin() as c:
        c.execute(text("insert into case_payments (batch_id, decision_id, kind, seq, amount_fen, channel, account_no, "
                       "audit_ref) select batch_id, decision_id, kind, seq, amount_fen, channel, account_no, 'x' "
                       "from case_payments where id = :i"), {"i": pid})
    assert pa is not None


def test_import_key_stored_after_the_key_read(ledger, monkeypatch):
    """Keys stored by someone else after the import read the stored keys: the unique constraint skips them
    (PostgreSQL: the direct COPY fails, the chunk goes through the temp table) and the event hashes what
    was really written."""
    ledger.import_decisions(RUN, [decision(i) for i in range(5)], "clerk")
    empty = pl.DataFrame(schema={"unit_id": pl.String, "claim_key": pl.String})
    monkeypatch.setattr(type(ledger), "_stored_keys", lambda self, conn, program, year: empty)
    res = ledger.import_decisions(RUN, [decision(i) for i in range(10)], "clerk", chunk_size=4)
    assert (res.inserted, res.existing) == (5, 5)
    assert ledger.counts()["case_decisions"] == 10
    assert ledger.verify_audit().ok


def test_import_text_that_reads_like_null(ledger):
    r"""A text field reading ``\N`` (COPY's NULL marker) is stored as text, not NULL."""
    ledger.import_decisions(RUN, _frame(3).with_columns(contact=pl.lit("\\N"), unit_name=pl.lit('a,"b"\nc')), "clerk")
    d = ledger.decision(ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id))
    assert d["contact"] == "\\N" and d["unit_name"] == 'a,"b"\nc'
    assert ledger.verify_audit().ok
