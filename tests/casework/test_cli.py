"""The ``wengang case`` / ``wengang audit`` sub-apps, end to end on a SQLite file."""

from __future__ import annotations

import json
from dataclasses import asdict

import polars as pl
from ledger_helpers import decision
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from wengang.casework.cli import audit_app, case_app

runner = CliRunner()


def test_cli_lifecycle_and_verify(tmp_path):
    db = f"sqlite:///{tmp_path}/cli.db"
    rows = [asdict(decision(i)) for i in range(3)]
    pq = tmp_path / "screen.parquet"
    pl.DataFrame(rows).write_parquet(pq)

    def case(*args):
        r = runner.invoke(case_app, [*args, "--db", db])
        assert r.exit_code == 0, r.output
        return r.output

    def case_user(*args):
        return case(*args, "--user", "cw")

    assert "新入库 3" in case_user("import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000")
    assert "新入库 0" in case_user("import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000")
    case_user("notify", "fanhuan", "2025", "--deadline", "2099-12-31")
    case_user("confirm", "1")
    r = runner.invoke(case_app, ["review", "1", "--stage", "1", "--approve", "--reason", "ok", "--db", db, "-u", "a"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(case_app, ["review", "1", "--stage", "2", "--approve", "--reason", "ok", "--db", db, "-u", "a"])
    assert r.exit_code == 2 and "复审须由初审人" in r.output
    r = runner.invoke(case_app, ["review", "1", "--stage", "2", "--approve", "--reason", "ok", "--db", db, "-u", "b"])
    assert r.exit_code == 0, r.output
    case_user("publicize", "gs1", "fanhuan", "2025", "--starts", "2025-01-01", "--days", "7")
    assert "本次发放 1" in case_user("pay", "b1", "fanhuan", "2025")
    assert "本次发放 0" in case_user("pay", "b1", "fanhuan", "2025")
    case_user("bounce", "1", "--reason", "账号错误")
    assert "须由另一人复核" in case_user("fix-account", "1", "6222-fixed")
    assert "本次发放 0" in case_user("pay", "b2", "fanhuan", "2025")  # not before a second person approves
    r = runner.invoke(case_app, ["approve-account", "1", "--db", db, "-u", "cw"])
    assert r.exit_code == 2 and "申请人" in r.output, r.output
    r = runner.invoke(case_app, ["approve-account", "1", "--db", db, "-u", "b"])
    assert r.exit_code == 0 and "复核通过" in r.output, r.output
    assert "本次发放 1" in case_user("pay", "b2", "fanhuan", "2025")
    assert "已发放" in case("show", "1")
    r = runner.invoke(case_app, ["transitions"])
    assert r.exit_code == 0 and "初审" in r.output
    out = case_user("send", "--out", str(tmp_path / "sms.jsonl"))
    assert "发送" in out
    body = json.loads((tmp_path / "sms.jsonl").read_text("utf-8").splitlines()[0])
    assert "稳岗返还" in body["body"]

    r = runner.invoke(audit_app, ["verify", "--db", db])
    assert r.exit_code == 0 and "审计链完整" in r.output, r.output
    with create_engine(db).begin() as c:
        c.execute(text("update case_audit_events set reason='改过' where seq=2"))
    r = runner.invoke(audit_app, ["verify", "--db", db])
    assert r.exit_code == 1 and "被篡改" in r.output
