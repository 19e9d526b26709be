"""The 稽核's risk-flag queue on SQLite and PostgreSQL: idempotent import, clear with a reason, confirm → recovery on
the flag's decision (or referral), the role, the audit chain; and the CLI end to end on SQLite."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from ledger_helpers import PAYDAY, approve_applied_accounts, decision, snapshot, staffed
from typer.testing import CliRunner

from wengang.casework import AllocationIn
from wengang.casework.errors import LedgerError
from wengang.casework.risk_queue import clear_flag, confirm_flag, import_flags, list_flags
from wengang.risk import batch, demo


@pytest.fixture(scope="module")
def flags() -> pl.DataFrame:
    run = batch.screen(demo.generate(2000, planted=2), on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS)
    assert run.counts == demo.expected_counts(2)
    return run.flags


def _paid_training(ledger, person: str) -> int:
    dec = decision(0, unit_id=person, unit_name="人员200", program="training_subsidy", claim_key="4-07-05-02:4",
                   amount_fen=90_000, payment_channel="personal_account", size_class=None, clause="二", year=2024)  # fmt: skip
    did = ledger.self_apply(dec, "clerk")
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    approve_applied_accounts(ledger)
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    return did


def _paid_dispatch(ledger, firm: str) -> int:
    dec = decision(80, unit_id=firm, unit_name="截留测试派遣公司0", amount_fen=800_000, year=2024)
    did = ledger.apply_dispatch(dec, [AllocationIn("91150100USER0001", "用工单位甲", 10, 500_000)], "clerk")
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    ledger.publicize("gs-d", "fanhuan", 2024, "clerk", starts_on=date(2025, 10, 1), days=7)
    approve_applied_accounts(ledger)
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    return did


def test_review_queue(ledger, flags):
    # paid before the flags come in: an open flag holds payment (ledger._risk_flagged)
    by_check = {r["check_id"]: r for r in flags.iter_rows(named=True)}
    did = _paid_training(ledger, by_check["skill_training_same_certificate"]["subject_id"])
    px0 = next(r["subject_id"] for r in flags.iter_rows(named=True)
               if r["check_id"] == "dispatch_allocation_mismatch" and r["subject_id"][8:17] == "PX0000000")
    did2 = _paid_dispatch(ledger, px0)
    res = import_flags(ledger, flags, "auditor")
    assert (res.given, res.new) == (flags.height, flags.height)
    before = snapshot(ledger)
    again = import_flags(ledger, pl.concat([flags, flags]), "auditor")  # the same flags twice: stored once
    assert (again.new, again.existing) == (0, 2 * flags.height)
    assert snapshot(ledger) == before  # nothing written, no event
    rows = list_flags(ledger)
    assert len(rows) == flags.height and {r["status"] for r in rows} == {"open"}

    by = {r["check_id"]: r for r in rows}
    # (c) the later training subsidy, paid in the ledger: recovery of what it paid
    dup = by["skill_training_same_certificate"]
    out = confirm_flag(ledger, dup["id"], "auditor", reason="同一证书重复享受，核实无误")
    assert (out.decision_id, out.amount_fen, out.referral) == (did, 90_000, False) and out.recovery_id
    rec = ledger.decision(did)
    assert [(r["kind"], r["amount_fen"]) for r in rec["recoveries"]] == [("duplicate_subsidy", 90_000)]
    # (h) the dispatch firm keeps 50,000 fen of its dispatched share: recovered on its refund decision
    mis = next(
        r for r in rows if r["check_id"] == "dispatch_allocation_mismatch" and r["subject_id"] == px0
    )
    out2 = confirm_flag(ledger, mis["id"], "auditor", reason="派遣单位未全额拨付用工单位")
    assert (out2.decision_id, out2.amount_fen) == (did2, 50_000)
    assert [(r["kind"], r["amount_fen"]) for r in ledger.decision(did2)["recoveries"]] == [
        ("dispatch_misuse", 50_000)
    ]
    # no decision in the ledger: recorded for referral
    short = by["ui_short_term_insured"]
    out3 = confirm_flag(ledger, short["id"], "auditor", reason="短期参保，移交原发放地核查")
    assert out3.referral and out3.recovery_id is None
    # clear needs a reason, once
    cross = by["ui_cross_region"]
    with pytest.raises(LedgerError) as e:
        clear_flag(ledger, cross["id"], "auditor", reason="  ")
    assert e.value.code == "no_reason"
    clear_flag(ledger, cross["id"], "auditor", reason="另一地的记录系转移接续前的同一笔待遇")
    with pytest.raises(LedgerError) as e:
        confirm_flag(ledger, cross["id"], "auditor", reason="x")
    assert e.value.code == "already_reviewed" and "已排除" in e.value.zh
    # only the 稽核
    other = by["ui_status_anomaly"]
    for actor in ("clerk", "checker", "cashier", "admin"):
        with pytest.raises(LedgerError) as e:
            clear_flag(ledger, other["id"], actor, reason="x")
        assert e.value.code == "role_refused"
    with pytest.raises(LedgerError):
        import_flags(ledger, flags, "clerk")
    done = list_flags(ledger, status=["confirmed", "cleared"])
    assert sorted((r["check_id"], r["status"]) for r in done) == sorted([
        ("skill_training_same_certificate", "confirmed"), ("dispatch_allocation_mismatch", "confirmed"),
        ("ui_short_term_insured", "confirmed"), ("ui_cross_region", "cleared")])  # fmt: skip
    high_here = [r for r in rows if r["severity"] == "高" and r["region_code"].startswith("1505")]
    assert len(list_flags(ledger, status=["open"], severity=["高"], region="150500")) == len(high_here) - 3
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems
    with ledger.engine.connect() as c:
        actions = [a for (a,) in c.exec_driver_sql("select action from case_audit_events order by seq")]
    assert (
        actions.count("risk_import") == 1
        and actions.count("risk_confirm") == 3
        and actions.count("risk_clear") == 1
    )
    assert "recover_duplicate_subsidy" in actions


def test_recovery_is_capped_by_what_was_paid(ledger, flags):
    chosen = flags.filter(pl.col("check_id") == "skill_training_same_certificate")
    did = _paid_training(ledger, chosen["subject_id"][0])
    import_flags(ledger, chosen, "auditor")
    flag = list_flags(ledger)[0]
    out = confirm_flag(ledger, flag["id"], "auditor", reason="核实", amount_fen=5_000_000)
    assert out.amount_fen == 90_000 and out.decision_id == did
    assert ledger.verify_audit().ok


def test_cli_screen_import_list_clear_confirm(tmp_path, flags):
    from wengang.cli import app

    class _DB:
        url, schema = f"sqlite:///{tmp_path}/cli.db", None

    staffed(_DB)
    runner = CliRunner()
    data = tmp_path / "demo"
    r = runner.invoke(app, ["risk", "demo-data", "--out", str(data), "--planted", "2"])
    assert r.exit_code == 0, r.output
    expected = json.loads((data / "expected.json").read_text("utf-8"))
    args = ["risk", "screen", "--out", str(tmp_path / "out"), "--date", expected["date"], "--partitions", "3"]
    for k, v in expected["settings"].items():
        args += ["--setting", f"{k}={v}"]
    for opt, name in (("--people", "persons"), ("--certificates", "certificates"), ("--subsidies", "subsidies"),
                      ("--ui-claims", "ui_claims"), ("--registry", "registry"),
                      ("--flexible-subsidies", "flexible_subsidies"), ("--dispatch-refunds", "dispatch_refunds"),
                      ("--dispatch-allocations", "dispatch_allocations")):  # fmt: skip
        args += [opt, str(data / f"{name}.parquet")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert {k: v["flags"] for k, v in summary["by_check"].items()} == expected["flags"]
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "out" / "flags.xlsx", read_only=True).active
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    ids = set(pl.read_parquet(tmp_path / "out" / "flags.parquet")["subject_id"])
    assert not any(
        i in c for i in ids if len(i) == 18 for c in cells
    )  # no full ID number anywhere in the XLSX
    assert any("**********" in c for c in cells)

    db = ["--db", _DB.url, "-u", "auditor"]
    r = runner.invoke(app, ["risk", "import", str(tmp_path / "out"), *db])
    n = sum(expected["flags"].values())
    assert r.exit_code == 0 and f"导入 {n} 条新疑点" in r.output, r.output
    r = runner.invoke(app, ["risk", "import", str(tmp_path / "out" / "flags.parquet"), *db])
    assert f"导入 0 条新疑点，{n} 条已在队列中" in r.output
    r = runner.invoke(app, ["risk", "list", "--check", "ui_short_term_insured", "--format", "json", *db])
    listed = json.loads(r.output)
    assert [x["状态"] for x in listed] == ["待核查", "待核查"] and all("*" in x["对象"] for x in listed)
    r = runner.invoke(app, ["risk", "confirm", "--check", "ui_short_term_insured", "--reason", "核实", *db])
    assert r.exit_code == 2 and "--yes" in r.output  # a bulk step is confirmed first
    r = runner.invoke(
        app, ["risk", "confirm", "--check", "ui_short_term_insured", "--reason", "核实", "--yes", *db]
    )
    assert r.exit_code == 0 and r.output.count("已核实") == 2, r.output
    r = runner.invoke(app, ["risk", "clear", str(listed[0]["编号"]), "--reason", "x", *db])
    assert r.exit_code == 2 and "已处理（已核实）" in r.output
    r = runner.invoke(
        app, ["risk", "clear", "1", "--reason", "核实为本地证书", "--db", _DB.url, "-u", "clerk"]
    )
    assert r.exit_code == 2 and "稽核" in r.output
    r = runner.invoke(app, ["audit", "verify", *db])
    assert r.exit_code == 0, r.output


def test_a_flags_file_with_unreadable_evidence_is_refused_whole(ledger, flags):
    # the queue reads each flag's evidence back as a JSON object: one it cannot read broke `risk list` for every flag
    broken = flags.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("{not json")).otherwise(pl.col("evidence")).alias("evidence")
    )
    with pytest.raises(LedgerError) as e:
        import_flags(ledger, broken, "auditor")
    assert e.value.code == "bad_input" and "第 2 行" in e.value.zh and "evidence" in e.value.zh
    assert list_flags(ledger) == []  # nothing imported
    assert import_flags(ledger, flags, "auditor").new == flags.height
    assert len(list_flags(ledger)) == flags.height
