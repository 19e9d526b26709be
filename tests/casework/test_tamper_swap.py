"""Two tamper-evidence gaps an outside audit found, closed (both on SQLite and PostgreSQL):

- D1: decision rows were hashed without their id, so swapping every hashed column of two decisions of one import
  chunk kept the chunk's hash while payments, account changes and reviews (which name a decision by its id) went
  with the other content: unit 50's amount paid to the account approved for unit 122. Since hash version 3 the id
  is hashed with the row; ledgers hashed before (version 2, version 1) keep verifying with what they hashed.
- D8: ``case_outbox.state`` set to ``sent`` by raw SQL passed ``audit verify`` and ``case send`` then skipped the
  message. The state is a cache of the ``notice_sent`` events and is now compared with them.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from ledger_helpers import DEADLINE, PAYDAY, RUN, TODAY, bank_file, decision, to_payable
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from wengang.casework import FileSender, LedgerError, audit, checkpoints
from wengang.casework.cli import audit_app
from wengang.casework.models import HASHED, HASHED_V1, HASHED_V2, AuditEvent, Decision

runner = CliRunner()
D = Decision.__table__
V2 = HASHED_V2["case_decisions"]  # the columns hashed before version 3: all but the id
# what the audit's reproduction exchanged: the rule output (unit, name, amount, reasons ...), not the starting
# workflow values (init_*), which the projection would compare with the events that followed
SWAPPED = HASHED_V1["case_decisions"]


def _cli_url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options=-csearch_path%3D{db.schema}"


@pytest.fixture
def signed(db, ledger, tmp_path):
    """The ledger signs checkpoints; ``verify()`` runs ``wengang audit verify`` as the auditor, with them."""
    key, pub = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "ledger.checkpoints.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))

    def verify():
        r = runner.invoke(audit_app, ["verify", "--db", _cli_url(db), "--checkpoints", str(cp),
                                      "--public-key", str(pub), "-u", "auditor"])
        return r.exit_code, " ".join(r.output.split())

    return verify


def swap(ledger, a: int, b: int, cols: tuple[str, ...] = SWAPPED) -> None:
    """What the audit's reproduction did by raw SQL: exchange the rule output of decisions a and b (unit, name,
    amount, reasons ...) and leave the ids, so the workflow columns (state, the approved account) stay put."""
    with ledger.engine.begin() as c:
        rows = {r["id"]: r for r in c.execute(select(D.c.id, *[D.c[k] for k in cols])
                                              .where(D.c.id.in_([a, b]))).mappings()}
        c.execute(update(D).where(D.c.id == a).values(unit_id="TMP"))  # the natural key is UNIQUE
        c.execute(update(D).where(D.c.id == b).values(**{k: rows[a][k] for k in cols}))
        c.execute(update(D).where(D.c.id == a).values(**{k: rows[b][k] for k in cols}))


def payments(ledger, did: int) -> int:
    with ledger.engine.connect() as c:
        return c.execute(text("select count(*) from case_payments where decision_id = :d"), {"d": did}).scalar_one()


def import_events(ledger) -> list[dict]:
    E = AuditEvent.__table__.c
    with ledger.engine.connect() as c:
        return [dict(r) for r in c.execute(select(AuditEvent.__table__).where(
            E.entity == "case_decisions", E.ref.is_not(None)).order_by(E.seq)).mappings()]


# ------------------------------------------------------------------ D1: decisions swapped within one chunk
def payable(ledger, units: list, accounts: list[str]) -> list[int]:
    """Import ``units`` in one chunk without accounts (as the screening hands them over: the starting workflow
    values of all are alike), carry them to payable (two reviews, 公示), then give each its account: requested by
    the 出纳, approved by another person."""
    ledger.import_decisions(RUN, units, "clerk")
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=u.unit_id) for u in units]
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    assert ledger.confirm_many(ids, "clerk", today=TODAY) == len(ids)
    assert ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == len(ids)
    assert ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过") == len(ids)
    ledger.publicize("gs-swap", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    for did, acc in zip(ids, accounts, strict=True):
        ledger.approve_account(ledger.set_account(did, "cashier", account_no=acc, reason="账户登记表"), "lead")
    return ids


ACCOUNTS = ["6222000011115151", "6222000011116161", "6222000011112323", "6222000011117171"]


def test_swapped_decisions_with_approved_accounts_detected_and_not_paid(ledger, signed):
    ids = payable(ledger, [decision(i, account_no=None) for i in range(4)], ACCOUNTS)
    a, b = ids[0], ids[2]
    ledger.checkpoint()
    assert signed()[0] == 0
    unit = {did: ledger.decision(did)["unit_id"] for did in (a, b)}
    amount = {did: ledger.decision(did)["amount_fen"] for did in (a, b)}
    assert amount[a] != amount[b]

    swap(ledger, a, b)
    # what the swap did: a's row holds b's unit and amount, while the account approved for a stays with the id
    d = ledger.decision(a)
    assert (d["unit_id"], d["amount_fen"], d["account_no"]) == (unit[b], amount[b], ACCOUNTS[0])

    code, out = signed()
    assert code == 1 and "[记录被改动 / rows changed]" in out and "case_decisions 记录 id" in out, out
    with pytest.raises(LedgerError, match=f"决定 {a} .*不予发放"):
        ledger.pay_decision(a, "cashier", today=PAYDAY)
    res = ledger.run_payment_batch("b-swap", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert {a, b} <= set(dict(res.refused)), res.refused
    assert payments(ledger, a) == payments(ledger, b) == 0


def test_swapped_paid_decisions_of_equal_amount_detected(ledger, signed, tmp_path):
    """Equal amounts, swapped after payment: every payment still matches its decision's amount, account and
    channel; only the hash binding each row to its id shows that the paid units were exchanged."""
    ids = payable(ledger, [decision(i, account_no=None, amount_fen=150_000) for i in range(3)], ACCOUNTS[:3])
    assert ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 3
    ledger.checkpoint()
    assert signed()[0] == 0
    a, b = ids[0], ids[2]

    swap(ledger, a, b)
    rep = ledger.verify_audit()
    assert not rep.ok and rep.kinds == {"rows_changed"}, rep.problems  # nothing else tells
    code, out = signed()
    assert code == 1 and "[记录被改动 / rows changed]" in out, out
    with pytest.raises(LedgerError, match="不符"):  # nor does the bank get a file naming the exchanged units
        bank_file(ledger, "b1", tmp_path / "bank")
    assert not (tmp_path / "bank").exists() or not any((tmp_path / "bank").iterdir())


def test_import_hash_binds_ids_the_database_gave(db, ledger):
    """The import hashes the frame it wrote with the ids read back (COPY on PostgreSQL, executemany on SQLite):
    the same bytes ``verify`` reads back, whatever order the ids and the natural keys run in, over several chunks,
    NULLs included."""
    rows = [decision(i, contact=None if i % 2 else "13800000000", size_class=None if i % 3 == 0 else "small",
                     account_no=None if i % 2 else f"62220000{i:08d}") for i in range(7)]
    ledger.import_decisions(RUN, rows[4:][::-1], "clerk", chunk_size=2)  # ids ascend while unit ids descend
    ledger.import_decisions(RUN, rows[::-1], "clerk", chunk_size=3)  # partly stored: the rest only
    evs = import_events(ledger)
    assert len(evs) == 2 + 2 and sum(e["row_count"] for e in evs) == 7
    with ledger.engine.connect() as c:
        for e in evs:
            assert json.loads(e["after"])["hv"] == audit.HASH_VERSION == 4
            assert audit.hashed_columns("case_decisions", e["after"])[0] == "id"
            n, h, _ = audit.rows_hash(c, "case_decisions", e["ref"])
            assert (n, h) == (e["row_count"], e["content_hash"])
    assert ledger.verify_audit().ok
    with ledger.engine.begin() as c:  # the ids of one chunk exchanged: the contents stay, the ids do not
        x, y = c.execute(select(D.c.id).where(D.c.audit_ref == evs[0]["ref"]).order_by(D.c.id)).scalars().all()
        c.execute(update(D).where(D.c.id == x).values(id=-1))
        c.execute(update(D).where(D.c.id == y).values(id=x))
        c.execute(update(D).where(D.c.id == -1).values(id=y))
    assert "rows_changed" in ledger.verify_audit().kinds


# ------------------------------------------------------------------ ledgers hashed before version 3
def test_ledger_hashed_at_version_2_still_verifies(ledger, monkeypatch):
    """Decisions the code before version 3 wrote (hv 2: no id, (unit_id, claim_key) order) verify with what they
    hashed, and ``verify`` warns of the swap it cannot find there; decisions imported since are bound to their id."""
    with monkeypatch.context() as m:  # the code before version 3
        m.setattr(audit, "HASH_VERSION", 2)
        m.setitem(HASHED, "case_decisions", V2)
        m.setattr(audit, "inserted_hash", lambda *a: None)  # hash the rows as stored, without the id
        old = to_payable(ledger, 3)
        ledger.run_payment_batch("b-old", "fanhuan", 2025, "cashier", today=PAYDAY)
    [ev] = import_events(ledger)
    assert json.loads(ev["after"])["hv"] == 2 and audit.hashed_columns("case_decisions", ev["after"]) == V2
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems
    assert any("3 个决定在哈希版本 3 之前创建" in w for w in rep.warnings), rep.warnings

    new = to_payable(ledger, 3, start=10)  # the upgraded code: a new chunk, hashed with ids
    assert [json.loads(e["after"])["hv"] for e in import_events(ledger)] == [2, audit.HASH_VERSION]
    rep = ledger.verify_audit()
    assert rep.ok and any("3 个决定" in w for w in rep.warnings), (rep.problems, rep.warnings)

    swap(ledger, new[0], new[2])
    assert "rows_changed" in ledger.verify_audit().kinds
    swap(ledger, new[0], new[2])  # back
    assert ledger.verify_audit().ok
    # the limit the warning names: every column a version-2 chunk hashed exchanged, its hash cannot show it ...
    swap(ledger, old[0], old[2], V2)
    rep = ledger.verify_audit()
    assert "rows_changed" not in rep.kinds and "payment" in rep.kinds, rep.problems  # ... their unequal payments do


# ------------------------------------------------------------------ D8: the outbox state
class Refusing:
    def send(self, **_):
        raise RuntimeError("网关不可用")


def test_outbox_marked_sent_by_sql_detected(ledger, signed, tmp_path):
    ids = to_payable(ledger, 3)
    # some messages really sent, one given up after a failure (no event either way for a failure): all fine
    ledger.queue_notice(ids[0], "paid", "clerk")
    ledger.deliver_outbox(FileSender(tmp_path / "sms.jsonl"), actor="clerk")
    ledger.queue_notice(ids[1], "paid", "clerk")
    ledger.deliver_outbox(Refusing(), actor="clerk", max_attempts=1, rounds=1)
    ledger.queue_notice(ids[2], "paid", "clerk")  # pending
    ledger.checkpoint()
    assert signed()[0] == 0

    with ledger.engine.begin() as c:
        states = dict(c.execute(text("select id, state from case_outbox")).all())
        pending = [i for i, s in states.items() if s == "pending"]
        sent = [i for i, s in states.items() if s == "sent"]
        assert "failed" in states.values() and pending and sent
        c.execute(text("update case_outbox set state = 'sent', sent_at = '2025-09-18T00:00:00+00:00' "
                       "where id = :i"), {"i": pending[0]})
    code, out = signed()
    assert code == 1, out
    assert (f"[记录与事件不符 / row differs from the events] case_outbox id {pending[0]}：列 state：存储值 'sent'，"
            "但没有发送它的审计事件（notice_sent）") in out, out
    assert ledger.deliver_outbox(FileSender(tmp_path / "sms.jsonl"), actor="clerk")["sent"] == 0  # what it harms

    # the other way: a message sent put back to pending (it would go out again)
    with ledger.engine.begin() as c:
        c.execute(text("update case_outbox set state = 'pending', sent_at = null where id = :i"), {"i": sent[0]})
    rep = ledger.verify_audit()
    assert f"case_outbox id {sent[0]} 列 state：存储值 'pending'，按审计事件应为 'sent'" in " ".join(rep.problems)
    assert f"case_outbox id {pending[0]}" in " ".join(rep.problems)


def test_outbox_check_needs_all_decisions(ledger):
    """At payment time (some decisions followed) the outbox is not compared: it is ``audit verify``'s."""
    from wengang.casework.projection import Projection

    ids = to_payable(ledger, 1)
    with ledger.engine.begin() as c:
        c.execute(text("update case_outbox set state = 'sent'"))
        p = Projection.build(c, ids)
        assert p.differences(c) == [] and p.refused(c, ids) == {}
        assert [d.table for d in Projection.build(c).differences(c)] == ["case_outbox"]

