"""What the paying process trusts in a checkpoint file (outside tamper audit, session 38).

F1: someone who can write the database and the checkpoint file but holds no signing key re-sealed every event and
re-signed a new checkpoint file with a key of their own — with a rotation line naming the operators' real key, so the
file's current key was ours — and `case pay` paid a forged account. The paying process now checks the file from the
root it holds itself (``WENGANG_ROOT_PUBLIC_KEY``, ``<key>.root.pub``, else its own key), not the copy beside the file.
F2: a command whose checkpoint could not be signed exits 1. F4: a second store attached to a ledger that already had
a checkpoint file verifies."""

from __future__ import annotations

import json
from dataclasses import asdict

import polars as pl
import pytest
from ledger_helpers import PAYDAY, decision, register_staff, to_payable
from sqlalchemy import select, update
from typer.testing import CliRunner

from wengang.casework import Ledger, LedgerError, audit, checkpoints
from wengang.casework.cli import audit_app, case_app
from wengang.casework.models import AuditEvent

runner = CliRunner()
EV = AuditEvent.__table__


def _forge_file(ledger, cp, *, name_our_key: bool) -> None:
    """The forger's file: every event re-sealed by their key, a new checkpoint file and public key beside it, and
    (``name_our_key``) a rotation line, signed by their key, naming the operators' key."""
    evil = checkpoints.Ed25519PrivateKey.generate()
    ours = ledger.checkpointer.key.public_key()
    with ledger.engine.begin() as c:
        for seq, h in c.execute(select(EV.c.seq, EV.c.hash)).all():
            c.execute(update(EV).where(EV.c.seq == seq).values(seal=checkpoints.Signer(evil, None).seal(h)))
    cp.unlink()
    checkpoints.stored_public_path(cp).unlink()
    forger = checkpoints.Signer(evil, checkpoints.Store(cp))
    ledger_appended, ledger.appended = ledger.appended, True
    saved, ledger.checkpointer = ledger.checkpointer, forger
    forger._publish_key()
    forger.store.append(lambda last: forger._line(
        {"type": "checkpoint", "ledger": _lid(ledger), "seq": _head(ledger)[0], "hash": _head(ledger)[1],
         "events": _head(ledger)[2], "at": audit.now_iso(), "key": checkpoints.key_id(evil.public_key())}, last))
    if name_our_key:
        forger.rotate(ours, ledger)
    ledger.checkpointer, ledger.appended = saved, ledger_appended


def _lid(ledger):
    with ledger.engine.connect() as c:
        return checkpoints.ledger_id(c)


def _head(ledger):
    with ledger.engine.connect() as c:
        return checkpoints.head(c)


@pytest.mark.parametrize("name_our_key", [True, False])
def test_a_checkpoint_file_re_signed_by_another_key_stops_the_payment(ledger, tmp_path, name_our_key):
    key, pub = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    _forge_file(ledger, cp, name_our_key=name_our_key)
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch" and "不是本程序信任的首个公钥" in e.value.zh
    assert all(ledger.decision(i)["state"] == "publicized" for i in ids)
    with pytest.raises(LedgerError):  # nor is a checkpoint signed on top of the forger's file
        ledger.checkpointer.write(ledger)


def _cli_ledger(tmp_path):
    db = f"sqlite:///{tmp_path}/cli.db"
    pq = tmp_path / "screen.parquet"
    pl.DataFrame([asdict(decision(i)) for i in range(2)]).write_parquet(pq)
    register_staff(Ledger.open(db)).close()
    return db, pq


def test_rotate_key_leaves_the_root_beside_the_new_key_and_the_new_key_then_signs(tmp_path):
    db, pq = _cli_ledger(tmp_path)
    k1, p1 = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    k2, p2 = checkpoints.keygen(tmp_path / "keys2" / "signing-2027.key")
    r = runner.invoke(case_app, ["import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000",
                                 "--db", db, "-u", "clerk"], env={"WENGANG_SIGNING_KEY": str(k1)})
    assert r.exit_code == 0, r.output
    r = runner.invoke(case_app, ["release", "--state", "暂缓发放", "--reason", "已核实原始数据与决定一致", "--yes", "--db", db, "-u",
                                 "checker"], env={"WENGANG_SIGNING_KEY": str(k1)})
    assert r.exit_code == 0, r.output
    r = runner.invoke(audit_app, ["rotate-key", "--new-public-key", str(p2), "--db", db],
                      env={"WENGANG_SIGNING_KEY": str(k1)})
    assert r.exit_code == 0 and "首个公钥已写入" in r.output, r.output
    assert checkpoints.root_path(k2).read_bytes() == p1.read_bytes()
    r = runner.invoke(case_app, ["notify", "fanhuan", "2025", "--db", db, "-u", "clerk"],
                      env={"WENGANG_SIGNING_KEY": str(k2)})
    assert r.exit_code == 0 and "已写入签名检查点" in r.output, r.output
    # without the root beside it, the rotated key's process cannot tell the file from a forger's: it says what to do
    checkpoints.root_path(k2).unlink()
    r = runner.invoke(case_app, ["confirm", "1", "--db", db, "-u", "clerk"], env={"WENGANG_SIGNING_KEY": str(k2)})
    assert r.exit_code == 1 and "WENGANG_ROOT_PUBLIC_KEY" in " ".join(r.output.split()), r.output
    r = runner.invoke(case_app, ["confirm", "2", "--db", db, "-u", "clerk"],
                      env={"WENGANG_SIGNING_KEY": str(k2), "WENGANG_ROOT_PUBLIC_KEY": str(p1)})
    assert r.exit_code == 0 and "已写入签名检查点" in r.output, r.output
    r = runner.invoke(audit_app, ["verify", "--db", db, "--public-key", str(p1), "-u", "auditor"])
    assert r.exit_code == 0, r.output


def test_a_command_whose_checkpoint_cannot_be_signed_exits_1(tmp_path):
    db, pq = _cli_ledger(tmp_path)
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    env = {"WENGANG_SIGNING_KEY": str(key)}
    r = runner.invoke(case_app, ["import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000",
                                 "--db", db, "-u", "clerk"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(case_app, ["release", "--state", "暂缓发放", "--reason", "已核实原始数据与决定一致", "--yes", "--db", db, "-u",
                                 "checker"], env=env)
    assert r.exit_code == 0, r.output
    (tmp_path / "cli.db.checkpoints.jsonl").unlink()  # the file is gone while its public key is still there
    r = runner.invoke(case_app, ["notify", "fanhuan", "2025", "--db", db, "-u", "clerk"], env=env)
    assert r.exit_code == 1 and "未能写入签名检查点" in r.output, r.output


def test_a_second_store_attached_later_verifies_from_the_file_line_it_follows(ledger, tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "signing.key")
    cp, second = tmp_path / "cp.jsonl", f"sqlite:///{tmp_path}/second.db"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    to_payable(ledger, 1)
    ledger.checkpoint()
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp, second))
    to_payable(ledger, 1, start=3)
    ledger.checkpoint()
    assert len(checkpoints.read_lines(db_url=second)) == 1 and len(checkpoints.read_lines(cp)) == 2

    def verify():
        rep = ledger.verify_audit()
        with ledger.engine.connect() as c:
            checkpoints.verify_from_options(c, rep, db_url="sqlite:///x.db", checkpoints=str(cp),
                                            checkpoints_db=second, public_key=str(pub))
        return rep

    rep = verify()
    assert rep.ok, rep.problems
    assert any("检查点数据库自检查点文件第 1 行之后启用" in w for w in rep.warnings)
    # a store line that is altered still shows
    from sqlalchemy import create_engine, text

    line = json.loads(checkpoints.read_lines(db_url=second)[0]) | {"events": 1}
    with create_engine(second).begin() as c:
        c.execute(text("update wengang_checkpoints set line = :l"), {"l": json.dumps(line)})
    assert "checkpoint_signature" in verify().kinds


def test_a_deleted_checkpoint_file_stops_the_payment_when_a_second_store_holds_its_lines(ledger, tmp_path):
    # second outside look (session 38): the file and its public key deleted, the chain rewritten and unsealed — the
    # payment went on from a new file although the second store held the old lines
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp, second = tmp_path / "cp.jsonl", f"sqlite:///{tmp_path}/second.db"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp, second))
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    cp.unlink()
    checkpoints.stored_public_path(cp).unlink()
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "checkpoint_mismatch" and "第二存储中有 1 行检查点" in e.value.zh
    with pytest.raises(LedgerError):  # nor is a new file started over it
        ledger.checkpointer.write(ledger)
    assert all(ledger.decision(i)["state"] == "publicized" for i in ids)


def test_the_refusal_never_takes_a_rotation_line_of_the_file_for_proof(ledger, tmp_path):
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    to_payable(ledger, 1)
    ledger.checkpoint()
    _forge_file(ledger, cp, name_our_key=True)
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert "如本签名私钥确是经轮换启用的" in e.value.zh and "不能用检查点文件旁的副本" in e.value.zh
