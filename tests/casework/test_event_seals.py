"""Events written by the application carry a seal by the signing key; one appended by someone with database access
alone does not, and stops payment (outside tamper audit, session 36): an account change and its "approval" appended
by SQL with correct hashes kept the chain and the workflow, the next batch paid the forger's account, and the next
checkpoint signed the forged events — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from ledger_helpers import PAYDAY, cli_url, to_payable
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from wengang.casework import LedgerError, audit, checkpoints
from wengang.casework.cli import audit_app
from wengang.casework.models import AccountApproval, AccountChange, AuditEvent, Decision

runner = CliRunner()
EV = AuditEvent.__table__
EVIL = "6217999900001234"


@pytest.fixture
def keys(tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    return key, pub, tmp_path / "ledger.checkpoints.jsonl"


def _sign(ledger, keys) -> None:
    key, _, cp = keys
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))


def _verify(db, keys) -> tuple[int, str]:
    _, pub, cp = keys
    r = runner.invoke(audit_app, ["verify", "--db", cli_url(db), "--checkpoints", str(cp), "--public-key", str(pub),
                                  "-u", "auditor"])
    return r.exit_code, " ".join(r.output.split())


def _forge_account(ledger, did: int) -> None:
    """What the tamper audit did with sqlite3 and hashlib, here with the ledger's own functions on a connection that
    holds no key: an account change, its approval by a 复核, and the decision pointed at the new account."""
    with ledger.engine.connect() as conn, conn.begin():
        conn.info[audit.SEALER] = None
        conn.info[audit.SEAL_REQUIRED] = False
        r1, r2 = uuid.uuid4().hex, uuid.uuid4().hex
        conn.execute(AccountChange.__table__.insert().values(decision_id=did, seq=9, kind="set", account_no=EVIL,
                                                             requested_by="cashier", reason="单位变更账户", audit_ref=r1))
        audit.append(conn, actor="cashier", action="request_account", entity="case_account_changes", ref=r1,
                     reason="单位变更账户", after={"decision_id": did, "kind": "set"})
        cid = conn.execute(select(AccountChange.__table__.c.id).where(AccountChange.__table__.c.audit_ref == r1)).scalar()
        conn.execute(AccountApproval.__table__.insert().values(change_id=cid, approver="checker", approve=True,
                                                               reason="复核通过", audit_ref=r2))
        audit.append(conn, actor="checker", action="approve_account", entity="case_account_approvals", ref=r2,
                     reason="复核通过", after={"change_id": cid})
        old = conn.execute(select(Decision.__table__.c.account_no).where(Decision.__table__.c.id == did)).scalar()
        audit.append(conn, actor="checker", action="approve_account", entity="case_decisions", entity_id=did,
                     reason="复核通过", before={"account_no": old}, after={"account_no": EVIL, "change_id": cid})
        conn.execute(update(Decision.__table__).where(Decision.__table__.c.id == did)
                     .values(account_no=EVIL, version=Decision.__table__.c.version + 1))


def test_the_applications_events_are_sealed_and_the_checkpoint_says_from_where(db, ledger, keys):
    _sign(ledger, keys)
    to_payable(ledger, 2)
    ledger.checkpoint()
    with ledger.engine.connect() as c:
        first = c.execute(select(EV.c.seq).where(EV.c.seal.is_not(None)).order_by(EV.c.seq).limit(1)).scalar()
        unsealed_after = c.execute(select(EV.c.seq).where(EV.c.seq >= first, EV.c.seal.is_(None))).all()
    assert first is not None and unsealed_after == []
    [line] = keys[2].read_text("utf-8").splitlines()
    assert json.loads(line)["sealed_from"] == first
    code, out = _verify(db, keys)
    assert code == 0, out


def test_forged_events_appended_by_sql_stop_the_payment_and_fail_verify(db, ledger, keys):
    _sign(ledger, keys)
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    _forge_account(ledger, ids[0])
    assert ledger.verify_audit().ok  # the chain and the workflow alone cannot tell (docs/audit-keys.md)
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch" and "封印" in e.value.zh
    with pytest.raises(LedgerError):  # and no checkpoint is signed over them
        ledger.checkpointer.write(ledger)
    code, out = _verify(db, keys)
    assert code == 1 and "事件未经签名密钥加封" in out
    with ledger.engine.connect() as c:
        assert c.execute(text("select count(*) from case_payments")).scalar() == 0


def test_clearing_every_seal_does_not_hide_the_forgery(db, ledger, keys):
    _sign(ledger, keys)
    to_payable(ledger, 1)
    ledger.checkpoint()
    with ledger.engine.begin() as c:
        c.execute(update(EV).values(seal=None))
    code, out = _verify(db, keys)
    assert code == 1 and "事件未经签名密钥加封" in out


def test_once_sealed_a_write_without_the_key_is_refused(ledger, keys):
    _sign(ledger, keys)
    ids = to_payable(ledger, 1)
    ledger.checkpointer = None  # a command run without WENGANG_SIGNING_KEY
    with pytest.raises(LedgerError) as e:
        ledger.hold(ids[0], "clerk", reason="缓缴的失业保险费尚未补足")
    assert e.value.code == "signing_key_required" and "WENGANG_SIGNING_KEY" in e.value.zh
    assert ledger.decision(ids[0])["state"] == "publicized"


def test_a_ledger_never_sealed_works_as_before(ledger):
    to_payable(ledger, 1)
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    assert ledger.verify_audit().ok


def test_seals_by_a_rotated_key_verify_and_the_anchor_survives_the_rotation(db, ledger, keys, tmp_path):
    _sign(ledger, keys)
    to_payable(ledger, 1)
    ledger.checkpoint()
    new_key, _ = checkpoints.keygen(tmp_path / "keys" / "signing-2027.key")
    new = checkpoints.load_private(new_key)
    root = ledger.checkpointer.trusted_root
    ledger.checkpointer.rotate(new.public_key(), ledger)
    ledger.checkpointer = checkpoints.Signer(new, checkpoints.Store(keys[2]), root)
    to_payable(ledger, 1, start=5)
    ledger.checkpoint()
    lines = [json.loads(x) for x in keys[2].read_text("utf-8").splitlines()]
    assert [x["type"] for x in lines] == ["checkpoint", "rotate", "checkpoint"]
    assert len({x.get("sealed_from") for x in lines}) == 1
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    code, out = _verify(db, keys)
    assert code == 0, out


# ------------------------------------------------------------------ the attacks on the seals (session-36 audit)
def test_seals_are_checked_before_any_checkpoint_names_them(ledger, keys):
    # the web service, `wengang user` or a first `case pay` seal events before a checkpoint names `sealed_from`: the
    # ledger's own record of its first seal is the anchor until then
    _sign(ledger, keys)
    ids = to_payable(ledger, 2)
    assert not keys[2].exists()
    _forge_account(ledger, ids[0])
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch"
    with pytest.raises(LedgerError):  # nor is a checkpoint signed over them
        ledger.checkpoint()
    ledger.appended = False


def test_a_forged_unsealed_tail_does_not_open_the_ledger_to_a_keyless_payment(ledger, keys):
    _sign(ledger, keys)
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    _forge_account(ledger, ids[0])  # the last event is no longer sealed
    ledger.checkpointer = None
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "signing_key_required"


def test_a_retired_key_seals_nothing_after_its_rotation(ledger, keys, tmp_path):
    _sign(ledger, keys)
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    old = ledger.checkpointer
    new_key, _ = checkpoints.keygen(tmp_path / "keys" / "signing-2027.key")
    new = checkpoints.load_private(new_key)
    old.rotate(new.public_key(), ledger)
    ledger.checkpointer = checkpoints.Signer(new, checkpoints.Store(keys[2]), old.trusted_root)
    _forge_account(ledger, ids[0])
    with ledger.engine.begin() as c:  # the forger holds the old (leaked) key and seals with it
        for seq, h in c.execute(select(EV.c.seq, EV.c.hash).where(EV.c.seal.is_(None))).all():
            c.execute(update(EV).where(EV.c.seq == seq).values(seal=old.seal(h)))
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch"
