"""Session 40 outside tamper audit (fix-trust), on SQLite and PostgreSQL.

Every table whose rows decide whether money leaves (``projection.GATES``: reviews, risk flags and the 稽核's verdicts,
公示 lists and entries, account changes and approvals, recomputations) is checked against its events before a payment
and a bank file, the whole table: a row edited, deleted or written behind the ledger stops every payment and bank
file (``audit_broken``), since the decisions it concerned cannot be told (F2, F3). ``case pay --ids`` exits 1 when
the ledger refused decisions as tampered (F4). A checkpoint file deleted with its public key, or begun anew, stops
payments once the ledger recorded where its file starts (``case_ledger_meta.checkpoint_from``, F5). A payment's edited
amount is not blamed on the decision's later payments; payment ids given again after payments were deleted are not
taken as already sent (F6).
"""

from __future__ import annotations

import pytest
from ledger_helpers import PAYDAY, bank_file, cli_url, raise_flag, to_payable
from sqlalchemy import text
from typer.testing import CliRunner

from wengang.casework import LedgerError, checkpoints
from wengang.casework.cli import case_app

runner = CliRunner()


def _sql(ledger, stmt, **kw):
    with ledger.engine.begin() as c:
        c.execute(text(stmt), kw)


def _force(ledger, stmt):
    """What a database administrator can do: a statement with the foreign keys not enforced."""
    if ledger.dialect == "sqlite":
        import sqlite3

        c = sqlite3.connect(ledger.engine.url.database)  # the sqlite3 shell's default: foreign keys not enforced
        c.execute(stmt)
        c.commit()
        c.close()
    else:
        with ledger.engine.begin() as c:
            c.exec_driver_sql("SET LOCAL session_replication_role = replica")
            c.exec_driver_sql(stmt)


def _count(ledger, table):
    with ledger.engine.connect() as c:
        return c.execute(text(f"select count(*) from {table}")).scalar_one()


def _refused(ledger, batch="B1", *needles):
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch(batch, "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "audit_broken", e.value
    assert "暂停全部发放与报盘" in e.value.zh, e.value.zh
    for n in needles:
        assert n in e.value.zh, e.value.zh
    assert _count(ledger, "case_payments") == 0
    return e.value


@pytest.fixture
def flagged(ledger):
    ids = to_payable(ledger, 3)
    fid = raise_flag(ledger, ids[0])
    res = ledger.run_payment_batch("B0", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[0]])
    assert res.paid == 0 and res.risk_open == 1  # the flag holds it
    return ids, fid


# ---------------------------------------------------------------- F2 risk flags edited by SQL release no payment
def test_risk_flags_deleted_by_sql_stop_the_payment(flagged, ledger):
    _sql(ledger, "delete from case_risk_flags")
    _refused(ledger, "B1", "case_risk_flags", "风险疑点")
    assert not ledger.verify_audit().ok


def test_a_forged_cleared_verdict_stops_the_payment(flagged, ledger):
    ids, fid = flagged
    _sql(ledger, "insert into case_risk_reviews (flag_id, outcome, reason, reviewer, referral, audit_ref) "
                 "values (:f, 'cleared', '排除', 'auditor', false, 'forged')", f=fid)
    _refused(ledger, "B1", "case_risk_reviews", "没有创建它们的审计事件")


def test_a_flag_moved_to_another_unit_stops_the_payment(flagged, ledger):
    _sql(ledger, "update case_risk_flags set subject_id = 'X'")
    _refused(ledger, "B1", "case_risk_flags")


def test_pay_decision_refuses_a_deleted_flag_too(flagged, ledger):
    ids, _ = flagged
    _sql(ledger, "delete from case_risk_flags")
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    assert e.value.code == "audit_broken" and "case_risk_flags" in e.value.zh
    assert _count(ledger, "case_payments") == 0


def test_a_flag_deleted_after_payment_stops_the_bank_file(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    raise_flag(ledger, ids[0])  # paid, not sent: the flag keeps its payment out of the bank file
    _sql(ledger, "delete from case_risk_flags")
    with pytest.raises(LedgerError) as e:
        bank_file(ledger, "B1", tmp_path / "bank")
    assert e.value.code == "audit_broken" and "case_risk_flags" in e.value.zh
    assert _count(ledger, "case_bank_files") == 0


# ---------------------------------------------------------------- F3 four eyes: reviews edited by SQL
@pytest.mark.parametrize("stmt", ["update case_reviews set reviewer = 'cashier'", "delete from case_reviews"])
def test_reviews_edited_by_sql_do_not_let_the_reviewer_pay(ledger, stmt):
    to_payable(ledger, 2)
    _sql(ledger, stmt)
    _refused(ledger, "B1", "case_reviews", "初审、复审人")


# ---------------------------------------------------------------- the class: every gate table
@pytest.mark.parametrize("stmt", [
    "delete from case_publicity_entries",
    "update case_publicity_lists set ends_on = '2025-09-01'",
    "delete from case_account_changes where id not in (select change_id from case_account_approvals)",
    "insert into case_account_approvals (change_id, approver, approve, reason, audit_ref) "
    "select id, 'checker', 0, 'x', 'forged' from case_account_changes "
    "where id not in (select change_id from case_account_approvals)",
])
def test_every_table_that_decides_a_payment_is_checked(ledger, stmt):
    ids = to_payable(ledger, 2)
    cid = ledger.set_account(ids[1], "cashier", account_no="6222000000000999", reason="更换账户")  # pending
    assert cid
    _sql(ledger, stmt)
    _refused(ledger, "B1")


def test_an_untouched_ledger_still_pays(ledger):
    ids = to_payable(ledger, 2)
    raise_flag(ledger, ids[0])
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 1 and res.risk_open == 1 and res.tampered == []


# ---------------------------------------------------------------- F4 case pay --ids exits 1 when all are refused
def test_cli_pay_of_a_selection_all_refused_exits_1(ledger, db, tmp_path):
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    for did in ids:
        _sql(ledger, "update case_decisions set account_no = '6217000066660000' where id = :i", i=did)
    sel = tmp_path / "ids"
    sel.write_text("".join(f"{i}\n" for i in ids))
    lines = cp.read_text().splitlines()
    r = runner.invoke(case_app, ["--signing-key", str(key), "--checkpoints", str(cp), "pay", "B1", "fanhuan", "2025",
                                 "--ids", str(sel), "--today", PAYDAY.isoformat(), "-y", "--db", cli_url(db),
                                 "-u", "cashier"])
    out = " ".join(r.output.split())
    assert r.exit_code == 1, out
    assert "个决定因记录与审计事件不符被拒付" in out and "成功 0" in out
    assert cp.read_text().splitlines() == lines


# ---------------------------------------------------------------- F5 a sealed ledger whose checkpoint file was deleted
def _signer(ledger, tmp_path):
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    return cp


def test_a_sealed_ledger_not_yet_checkpointed_still_pays(ledger, tmp_path):
    cp = _signer(ledger, tmp_path)
    to_payable(ledger, 2)  # sealed, no checkpoint yet (a web service, or this process before its first checkpoint)
    assert not cp.exists()
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2


def test_a_deleted_checkpoint_file_and_key_stop_the_payment(ledger, tmp_path):
    cp = _signer(ledger, tmp_path)
    to_payable(ledger, 2)
    ledger.checkpoint()
    cp.unlink()
    checkpoints.stored_public_path(cp).unlink()
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch", e.value
    assert "本台账已签署过检查点" in e.value.zh and "checkpoint_from" in e.value.zh and "被删除" in e.value.zh
    assert _count(ledger, "case_payments") == 0 and not cp.exists()  # no new file started at the head


def test_a_checkpoint_file_begun_anew_stops_the_payment(ledger, tmp_path):
    import json

    cp = _signer(ledger, tmp_path)
    to_payable(ledger, 2)
    ledger.checkpoint()
    first = json.loads(cp.read_text().splitlines()[0])["seq"]
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    cp.unlink()
    checkpoints.stored_public_path(cp).unlink()
    signer = ledger.checkpointer
    with ledger.engine.connect() as c:  # a new file at the head, as a version before this check wrote it
        seq, h, n = checkpoints.head(c)
        payload = {"type": "checkpoint", "ledger": checkpoints.ledger_id(c), "seq": seq, "hash": h, "events": n,
                   "at": "2025-11-10T00:00:00+00:00", "key": checkpoints.key_id(signer.key.public_key())}
    signer.store.append(lambda last: signer._line(payload, last))
    signer._publish_key()
    assert seq != first
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch" and f"自事件 {first} 起" in e.value.zh and "另起了新文件" in e.value.zh
    ledger.appended = False  # nor is a checkpoint signed at close (refused the same way)


# ---------------------------------------------------------------- F6 payments edited or deleted
def test_an_edited_payment_amount_is_not_blamed_on_later_payments(ledger):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    pid = ledger.decision(ids[0])["payments"][0]["id"]
    ledger.record_bounce(pid, "cashier", reason="户名不符")
    ledger.approve_account(ledger.fix_account(ids[0], "cashier", account_no="6222000000000777"), "checker")
    ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    again = [p["id"] for p in ledger.decision(ids[0])["payments"] if p["id"] != pid]
    assert len(again) == 1
    _sql(ledger, "update case_payments set amount_fen = amount_fen + 38491 where id = :i", i=pid)
    problems = " ".join(ledger.verify_audit().problems)
    assert f"case_payments id {pid}（" in problems
    assert f"case_payments id {again[0]}（" not in problems, problems  # the re-payment was right


def test_deleted_payments_whose_ids_are_reused_are_not_taken_as_sent(ledger, tmp_path, monkeypatch):
    from wengang.casework import projection

    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=ids[:1])
    assert bank_file(ledger, "B1", tmp_path / "bank1") is not None
    _force(ledger, "delete from case_payments")
    e = _refused(ledger, "B2", "case_bank_file_items", "可能已被新付款重用")
    assert "id 1" in e.zh or "id " in e.zh
    assert "case_bank_file_items" in " ".join(ledger.verify_audit().problems)
    # a payment made (as before this check) with a reused id: its bank file is refused, not said to be written
    with monkeypatch.context() as m:
        m.setattr(projection.Projection, "reused_payment_ids", lambda self, conn, rep=None: None)
        res = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=ids[1:])
    assert res.paid == 1
    with pytest.raises(LedgerError) as e2:
        bank_file(ledger, "B2", tmp_path / "bank2")
    assert e2.value.code == "audit_broken" and "case_bank_file_items" in e2.value.zh
