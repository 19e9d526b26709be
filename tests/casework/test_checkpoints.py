"""Signed checkpoints: keys, what every ``wengang case`` command writes, rotation, the second store, and what
``audit verify`` says when there are none."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict

import polars as pl
import pytest
from ledger_helpers import PAYDAY, decision, register_staff, to_payable
from typer.testing import CliRunner

from wengang.casework import Ledger, LedgerError, audit, checkpoints
from wengang.casework.cli import audit_app, case_app

runner = CliRunner()


def _signer(key, cp, **kw):
    return checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp, **kw))


def _verify(ledger, lines, pub):
    rep = audit.VerifyReport()
    with ledger.engine.connect() as c:
        n = checkpoints.verify(c, lines, rep, trusted=checkpoints.load_public(pub), stored=None, source="cp")
    return rep, n


def test_keygen_private_key_is_0600_and_never_overwritten(tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "k" / "signing.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(LedgerError, match="不覆盖"):
        checkpoints.keygen(key)
    r = runner.invoke(audit_app, ["keygen", "--out", str(tmp_path / "cli.key")])
    assert r.exit_code == 0 and "0600" in r.output
    assert stat.S_IMODE((tmp_path / "cli.key").stat().st_mode) == 0o600


def test_checkpoint_only_when_events_were_appended(db, tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger = db.open()  # not the ``ledger`` fixture: registering its operators appends events
    ledger.checkpointer = _signer(key, cp)
    assert ledger.checkpoint() is None and not cp.exists()  # nothing appended yet
    register_staff(ledger)
    to_payable(ledger, 2)
    rec = ledger.checkpoint()
    assert rec["seq"] == ledger.verify_audit().head_seq and rec["events"] == rec["seq"]
    assert ledger.checkpoint() is None  # nothing new
    ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    ledger.close()  # closing signs the new head
    lines = cp.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["prev"] == checkpoints._line_hash(lines[0])
    rep, n = _verify(ledger, lines, pub)
    assert rep.ok and n == 2, rep.problems


def test_rotation_old_key_names_the_new_one(ledger, tmp_path):
    k1, p1 = checkpoints.keygen(tmp_path / "k1.key")
    k2, p2 = checkpoints.keygen(tmp_path / "k2.key")
    cp = tmp_path / "cp.jsonl"
    to_payable(ledger, 1)
    ledger.checkpointer = _signer(k1, cp)
    ledger.appended = True
    ledger.checkpoint()
    ledger.checkpointer.rotate(checkpoints.load_public(p2), ledger)
    with pytest.raises(LedgerError, match="轮换"):  # the old key may no longer sign checkpoints
        ledger.checkpointer.write(ledger)
    ledger.checkpointer = _signer(k2, cp)
    with pytest.raises(LedgerError, match="WENGANG_ROOT_PUBLIC_KEY"):  # the new key's process must be told the root
        ledger.checkpointer.write(ledger)
    ledger.checkpointer.root = checkpoints.load_public(p1)
    ledger.checkpointer.write(ledger)
    lines = cp.read_text().splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["checkpoint", "rotate", "checkpoint"]
    rep, n = _verify(ledger, lines, p1)  # the auditor holds the first public key
    assert rep.ok and n == 2, rep.problems
    # a line signed by the retired key after the rotation does not verify
    payload = {k: v for k, v in json.loads(lines[2]).items() if k != "sig"}
    forged = checkpoints._sign(checkpoints.load_private(k1), {**payload, "prev": checkpoints._line_hash(lines[2])})
    rep, _ = _verify(ledger, [*lines, forged], p1)
    assert "checkpoint_signature" in rep.kinds


def test_second_store_holds_the_same_lines(ledger, tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "signing.key")
    cp, second = tmp_path / "cp.jsonl", f"sqlite:///{tmp_path}/second.db"
    ledger.checkpointer = _signer(key, cp, db_url=second)
    to_payable(ledger, 1)
    ledger.checkpoint()
    assert checkpoints.read_lines(db_url=second) == checkpoints.read_lines(cp)
    with ledger.engine.begin() as c:  # cut the tail; the file goes too
        c.exec_driver_sql("delete from case_audit_events where seq = (select max(seq) from case_audit_events)")
    cp.unlink()
    rep = ledger.verify_audit()
    with ledger.engine.connect() as c:
        checkpoints.verify_from_options(c, rep, db_url="postgresql://elsewhere", checkpoints=None,
                                        checkpoints_db=second, public_key=str(pub))
    assert "truncated" in rep.kinds


def test_cli_signs_after_each_command_and_warns_without_a_key(tmp_path):
    db = f"sqlite:///{tmp_path}/cli.db"
    pq = tmp_path / "screen.parquet"
    pl.DataFrame([asdict(decision(i)) for i in range(2)]).write_parquet(pq)
    imp = ["import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000", "--db", db, "-u", "clerk"]
    register_staff(Ledger.open(db)).close()  # unsigned events too: the first command below warns about them

    r = runner.invoke(case_app, imp, env={"WENGANG_SIGNING_KEY": ""})
    assert r.exit_code == 0 and "未配置签名密钥" in r.output, r.output
    r = runner.invoke(case_app, ["show", "1", "--db", db, "-u", "auditor"], env={"WENGANG_SIGNING_KEY": ""})
    assert r.exit_code == 0, r.output
    assert "未配置签名密钥" not in r.output  # nothing appended, nothing to sign
    r = runner.invoke(case_app, ["release", "--state", "暂缓发放", "--reason", "已核实原始数据与决定一致", "--yes", "--db", db, "-u",
                                 "checker"], env={"WENGANG_SIGNING_KEY": ""})
    assert r.exit_code == 0, r.output

    key, pub = checkpoints.keygen(tmp_path / "signing.key")
    env = {"WENGANG_SIGNING_KEY": str(key)}
    r = runner.invoke(case_app, ["notify", "fanhuan", "2025", "--db", db, "-u", "clerk"], env=env)
    assert r.exit_code == 0 and "已写入签名检查点" in r.output, r.output
    cp = tmp_path / "cli.db.checkpoints.jsonl"  # default: next to the SQLite file
    assert len(cp.read_text().splitlines()) == 1
    assert checkpoints.stored_public_path(cp).read_bytes() == pub.read_bytes()
    r = runner.invoke(case_app, ["--checkpoints", str(tmp_path / "other.jsonl"), "confirm", "1", "--db", db,
                                 "-u", "clerk"], env=env)
    assert r.exit_code == 0 and (tmp_path / "other.jsonl").exists(), r.output
    r = runner.invoke(case_app, ["show", "1", "--db", db, "-u", "auditor"], env=env)
    assert r.exit_code == 0, r.output
    assert len(cp.read_text().splitlines()) == 1  # a read writes no checkpoint

    r = runner.invoke(audit_app, ["verify", "--db", db, "--public-key", str(pub), "-u", "auditor"])
    assert r.exit_code == 0 and "审计链完整" in r.output and "尚无签名检查点覆盖" in r.output, r.output
    r = runner.invoke(audit_app, ["checkpoint", "--db", db], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(audit_app, ["verify", "--db", db, "--public-key", str(pub), "-u", "auditor"])
    assert r.exit_code == 0 and "尚无签名检查点覆盖" not in r.output, r.output


def test_verify_without_checkpoints_says_evidence_is_limited(tmp_path):
    db = f"sqlite:///{tmp_path}/plain.db"
    register_staff(Ledger.open(db)).close()
    r = runner.invoke(audit_app, ["verify", "--db", db, "-u", "auditor"])
    assert r.exit_code == 0 and "未配置签名检查点" in r.output and "tamper evidence is limited" in r.output


def test_bad_key_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    Ledger.open(f"sqlite:///{tmp_path}/x.db").close()  # a ledger that exists: the key is what is wrong
    r = runner.invoke(case_app, ["show", "1", "--db", f"sqlite:///{tmp_path}/x.db", "-u", "auditor"], env={"WENGANG_SIGNING_KEY": str(bad)})
    assert r.exit_code == 2 and "无法读取签名私钥" in r.output and "Traceback" not in r.output
