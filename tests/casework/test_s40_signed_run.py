"""A screening run's record (run.json) is signed with the ledger's key, and a signing ledger takes a run's rows in
unheld only from a record it can verify (decisions §113). Until session 40 one who edited the results, the facts and
run.json together was caught only where the rules' answer differed; a facts file changed after the run was decided
again as changed."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest
from ledger_helpers import record_results, screened_run
from typer.testing import CliRunner

from wengang.casework.checkpoints import keygen, load_public
from wengang.casework.intake import read_screening_output
from wengang.cli import app
from wengang.screening.manifest import RUN_MANIFEST, read_run_manifest


@pytest.fixture()
def key(tmp_path):
    return keygen(tmp_path / "keys" / "ledger.key")


def _trusted(key):
    return [load_public(key[1])]


def test_a_run_signed_by_the_ledgers_key_is_taken_unheld(tmp_path, key):
    out = screened_run(tmp_path / "out", signing_key=key[0])
    manifest = read_run_manifest(out)
    assert manifest is not None and manifest.signed_by and manifest.facts_sha256
    si = read_screening_output(out, trusted_keys=_trusted(key))
    assert si.unconfirmed == 0 and not si.recheck_note


def test_an_unsigned_run_is_held_by_a_signing_ledger_and_taken_by_one_without_a_key(tmp_path, key):
    out = screened_run(tmp_path / "out")
    assert read_screening_output(out).unconfirmed == 0  # no key at the ledger: checked by deciding again only
    si = read_screening_output(out, trusted_keys=_trusted(key))
    assert si.unconfirmed == 3
    assert "运行记录 run.json 没有签名" in si.recheck_note


def test_a_run_signed_by_another_key_is_held(tmp_path, key):
    other = keygen(tmp_path / "other" / "x.key")
    out = screened_run(tmp_path / "out", signing_key=other[0])
    si = read_screening_output(out, trusted_keys=_trusted(key))
    assert si.unconfirmed == 3 and "不是本台账信任的签名密钥所签" in si.recheck_note


def test_results_facts_and_record_edited_together_are_held(tmp_path, key):
    """The forgery the session-39 note left open: an amount and the facts that give it, the record re-hashed."""
    out = screened_run(tmp_path / "out", signing_key=key[0])
    res = pl.read_parquet(out / "results.parquet")
    code = res["credit_code"][0]
    feats = pl.read_parquet(out / "features.parquet")
    # a larger premium in the facts gives a larger amount when decided again: consistent with the edited result
    feats = feats.with_columns(pl.when(pl.col("credit_code") == code).then(pl.col("paid_premium_last_year_fen") * 10)
                               .otherwise(pl.col("paid_premium_last_year_fen")).alias("paid_premium_last_year_fen"))
    feats.write_parquet(out / "features.parquet")
    res.with_columns(pl.when(pl.col("credit_code") == code).then(pl.col("amount_fen") * 10)
                     .otherwise(pl.col("amount_fen")).alias("amount_fen")).write_parquet(out / "results.parquet")
    # without the record changed: the facts' digest differs
    si = read_screening_output(record_results(out))
    assert si.unconfirmed == 3 and "features.parquet 与 run.json 记录的 SHA-256 不符" in si.recheck_note
    # with it re-hashed: a ledger without a key is fooled where the rules agree; a signing ledger is not
    record = json.loads((out / RUN_MANIFEST).read_text(encoding="utf-8"))
    record["facts_sha256"] = hashlib.sha256((out / "features.parquet").read_bytes()).hexdigest()
    (out / RUN_MANIFEST).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert read_screening_output(out).unconfirmed == 0
    si = read_screening_output(out, trusted_keys=_trusted(key))
    assert si.unconfirmed == 3 and "或记录已被改动" in si.recheck_note


def test_cli_screen_signs_with_the_env_key_and_case_import_takes_it_unheld(tmp_path, key, monkeypatch):
    base = screened_run(tmp_path / "seed")  # its facts table, screened again by the CLI
    monkeypatch.setenv("WENGANG_SIGNING_KEY", str(key[0]))
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(app, ["screen", "--date", "2025-08-01", "--facts", str(base / "features.parquet"),
                            "--out", str(out), "--no-excel"])
    assert r.exit_code == 0, r.output
    assert read_run_manifest(out).signed_by is not None
    db = f"sqlite:///{tmp_path / 'l.db'}"
    r = runner.invoke(app, ["user", "add", "admin", "--role", "管理员", "--bootstrap", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "add", "clerk", "--role", "经办", "-u", "admin", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["case", "import", str(out), "-u", "clerk", "--db", db])
    assert r.exit_code == 0, r.output
    assert "未能按本次筛查的事实数据重新判定" not in r.output
    # the same run signed by nobody: held, and said so
    monkeypatch.delenv("WENGANG_SIGNING_KEY")
    out2 = tmp_path / "cli2"
    r = runner.invoke(app, ["screen", "--date", "2025-08-01", "--facts", str(base / "features.parquet"),
                            "--out", str(out2), "--no-excel"])
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("WENGANG_SIGNING_KEY", str(key[0]))
    # into the ledger that holds the signed run it is the same batch: nothing new stored, nothing held, nothing said
    # of rows it did not insert (outside casework audit, session 42)
    r = runner.invoke(app, ["case", "import", str(out2), "-u", "clerk", "--db", db])
    assert r.exit_code == 0, r.output
    assert "已于此前导入" in r.output and "新入库 0 条" in r.output and "没有签名" not in r.output
    # into a ledger of its own: its rows are held, and it says why
    db2 = f"sqlite:///{tmp_path / 'l2.db'}"
    for args in (["admin", "--role", "管理员", "--bootstrap"], ["clerk", "--role", "经办", "-u", "admin"]):
        r = runner.invoke(app, ["user", "add", *args, "--db", db2])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["case", "import", str(out2), "-u", "clerk", "--db", db2])
    assert r.exit_code == 0, r.output
    assert "没有签名" in r.output and "暂缓发放" in r.output


def test_cli_screen_refuses_an_unreadable_key_before_the_run(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key", encoding="utf-8")
    r = CliRunner().invoke(app, ["screen", "--date", "2025-08-01", "--facts", str(tmp_path / "none.parquet"),
                                 "--out", str(tmp_path / "o"), "--signing-key", str(bad)])
    assert r.exit_code != 0
    assert "无法读取签名私钥" in r.output
    assert not (tmp_path / "o").exists()


def test_a_row_held_as_not_decided_again_is_released_by_a_reviewer_not_by_the_importer(ledger, tmp_path, key):
    """Story walk, session 40: the importing 经办 had released a row of an edited results file and it was paid; the
    hold is now of the quarantine's kind (states.hold_kinds), released only by a 复核."""
    from sqlalchemy import text

    from wengang.casework.errors import LedgerError

    out = screened_run(tmp_path / "out")
    si = read_screening_output(out, trusted_keys=_trusted(key))  # unsigned: every row held
    ledger.import_decisions(si.run, si.frame, "clerk")
    with ledger.engine.connect() as c:
        did = c.execute(text("select id from case_decisions where state = 'held' order by id")).scalars().first()
    with pytest.raises(LedgerError):
        ledger.release(did, "clerk", reason="已核对")
    ledger.release(did, "checker", reason="已核实原始数据与运行记录一致")
