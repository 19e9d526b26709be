"""The caseworker's first joint (issue 11 item 1): a real ``wengang screen`` output imported unedited, and
``wengang evaluate --json`` output taken by the application commands — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from urllib.parse import quote

import polars as pl
import pytest
from ledger_helpers import record_results, staffed
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.cli import app as main_app
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

runner = CliRunner()
TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    """A small generated 通辽 region screened for 稳岗返还 under 内人社发〔2025〕18号 (the real pipeline)."""
    root = tmp_path_factory.mktemp("screen")
    paths = generate_region(root / "data", region_code="150500", n_units=200, year=2025, seed=11)
    run_screening(root / "out", program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
                  tables={k: paths[k] for k in TABLES}, excel=False,
                  allowed_regions=allowed_regions_for("150500", 2025) | {"150500"})
    return root


def _url(db) -> str:
    # the CLI takes one URL: PostgreSQL's schema goes in as the connection's search_path
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def _case(db, *args, code: int = 0) -> str:
    r = runner.invoke(case_app, [*args, "--db", _url(db)])
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    return " ".join(r.output.split())  # rich wraps long lines


def test_screen_output_is_imported_unedited_and_only_once(db, screened):
    staffed(db)
    results = pl.read_parquet(screened / "out" / "results.parquet")
    out = _case(db, "import", str(screened / "out"), "-u", "clerk")
    assert f"收到 {results.height} 条，新入库 {results.height} 条" in out and "fanhuan 2025" in out
    led = db.open()
    try:
        counts = led.counts()
        assert counts["case_decisions"] == results.height
        by_state = {s: 0 for s in ("screened", "not_eligible", "pending_determination")}
        with led.engine.connect() as c:
            for state, n in c.exec_driver_sql("select state, count(*) from case_decisions group by state"):
                by_state[state] = n
            run = c.exec_driver_sql("select program, year, region_code, inputs from case_runs").one()
        expect = results["status"].cast(pl.String).value_counts()
        expect = dict(zip(expect["status"], expect["count"], strict=True))
        assert by_state["screened"] == expect.get("eligible", 0) > 0
        # a refusal that rests on a quarantined row (payment_hold set: screening.holds) is stored 待认定, not final
        refused = results.filter(pl.col("status") == "ineligible")
        to_verify = refused.filter(pl.col("payment_hold").fill_null(False)).height
        assert by_state["not_eligible"] == expect.get("ineligible", 0) - to_verify > 0
        assert by_state["pending_determination"] == results.height - by_state["screened"] - by_state["not_eligible"] - (
            results.filter((pl.col("status") == "eligible") & pl.col("payment_hold").fill_null(False)).height
        )
        sha = hashlib.sha256((screened / "out" / "results.parquet").read_bytes()).hexdigest()
        assert run[:3] == ("fanhuan", 2025, "150500")
        assert json.loads(run[3]) == {"results.parquet": sha, "evaluation_date": "2025-08-01"}

        # the same run again, by folder or by file: recognised, nothing duplicated, nothing written
        for again in (screened / "out", screened / "out" / "results.parquet"):
            out = _case(db, "import", str(again), "-u", "clerk")
            assert "该筛查批次已于此前导入" in out and "新入库 0 条" in out and f"已存在 {results.height} 条" in out
        assert led.counts() == counts
        assert led.verify_audit().ok

        # what came in is a decision the ledger can carry on: 内人社发〔2025〕18号 needs no confirmation (E8)
        row = results.filter(pl.col("status") == "eligible").row(0, named=True)
        did = led.find(program="fanhuan", year=2025, unit_id=row["credit_code"])
        d = led.decision(did)
        assert (d["unit_name"], d["amount_fen"], d["policy_doc"]) == (row["name"], row["amount_fen"], "内人社发〔2025〕18号")
        assert "符合条件" in d["explanation"] and "元" in d["explanation"]
        led.first_review(did, "clerk", approve=True, reason="初审通过")
        bad = results.filter(pl.col("status") == "ineligible").row(0, named=True)
        d = led.decision(led.find(program="fanhuan", year=2025, unit_id=bad["credit_code"]))
        assert d["reasons"] and not any(r.isascii() for r in d["reasons"])  # the texts, not the codes
        assert "✘ " + d["reasons"][0] in d["explanation"]
    finally:
        led.close()


def test_payment_hold_columns_are_honoured_when_present(db, screened, tmp_path):
    staffed(db)
    # helper H2's output shape (E5): entitled but held; imported into 'held' with the reason
    out = tmp_path / "run"
    shutil.copytree(screened / "out", out)
    res = pl.read_parquet(out / "results.parquet")
    held_id = res.filter(pl.col("status") == "eligible")["credit_code"][0]
    res.with_columns(payment_hold=pl.col("credit_code") == held_id,
                     payment_hold_reason=pl.when(pl.col("credit_code") == held_id)
                     .then(pl.lit("缓缴的失业保险费尚未补足")).otherwise(None)).write_parquet(out / "results.parquet")
    record_results(out)  # as the run would have recorded the file it wrote (intake._recheck checks the digest)
    text = _case(db, "import", str(out), "-u", "clerk")
    assert "其中暂缓发放 1 条" in text
    led = db.open()
    try:
        d = led.decision(led.find(program="fanhuan", year=2025, unit_id=held_id))
        assert (d["state"], d["hold_reason"]) == ("held", "缓缴的失业保险费尚未补足")
        led.release(d["id"], "clerk")
        assert led.decision(d["id"])["state"] == "screened"
    finally:
        led.close()


def test_wrong_folder_missing_column_and_another_programs_results(screened, tmp_path):
    db = type("DB", (), {"url": f"sqlite:///{tmp_path}/x.db", "schema": None})()
    staffed(db)
    out = _case(db, "import", str(tmp_path), "-u", "clerk", code=2)
    assert out.startswith("✘ 目录") and "不是 wengang screen 的输出目录" in out and "not a wengang screen" in out
    out = _case(db, "import", str(tmp_path / "nope"), "-u", "clerk", code=2)
    assert "找不到" in out
    (tmp_path / "cut").mkdir()
    pl.read_parquet(screened / "out" / "results.parquet").drop("policy_number", "status") \
        .write_parquet(tmp_path / "cut" / "results.parquet")
    out = _case(db, "import", str(tmp_path / "cut"), "-u", "clerk", code=2)
    assert "缺少列：status、policy_number" in out and "lacks columns" in out
    (tmp_path / "notparquet.parquet").write_text("x")
    out = _case(db, "import", str(tmp_path / "notparquet.parquet"), "-u", "clerk", code=2)
    assert "不是可读取的 Parquet 文件" in out
    # fanhuan results offered as another program's
    out = _case(db, "import", str(screened / "out"), "--program", "size_class", "-u", "clerk", code=2)
    assert "是稳岗返还（fanhuan）的筛查结果" in out and "不是企业划型（size_class）的" in out
    out = _case(db, "import", str(screened / "out"), "--program", "skill_subsidy", "-u", "clerk", code=2)
    assert "是单位项目" in out
    # a skill-subsidy run's results offered as 稳岗返还
    skill = tmp_path / "skill"
    skill.mkdir()
    pl.DataFrame({"id_number": ["152301199001010015"], "name": ["张三"], "region_code": ["150502"],
                  "occupation_code": ["6-31-01-03"], "level": [4], "application_date": [date(2025, 8, 1)],
                  "status": ["eligible"], "amount_fen": [150_000], "reasons": [""], "flags": [""], "readings": [""],
                  "policy_id": ["im-2025-18"], "policy_number": ["内人社发〔2025〕18号"], "policy_clause": ["二"],
                  "ruleset": ["v2025"]}).write_parquet(skill / "results.parquet")
    out = _case(db, "import", str(skill), "--program", "fanhuan", "-u", "clerk", code=2)
    assert "是人员项目" in out and "不是稳岗返还（fanhuan）的" in out
    assert "skill_subsidy 2025" in _case(db, "import", str(skill), "-u", "clerk")  # told by its columns
    from wengang.casework import Ledger
    led = Ledger.open(db.url)
    assert led.find(program="skill_subsidy", year=2025, unit_id="152301199001010015", claim_key="6-31-01-03:4")
    led.close()


S08 = {"_case": {"program": "skill_subsidy", "region": "150502", "date": "2025-09-01"},
       "id_number": "152301199001010015", "application_date": "2025-08-01", "person_status": "employed_worker",
       "insured_months_cumulative": 30, "insured_months_continuous": 30,
       "insured_months_cumulative_at_certificate": 28, "insured_months_continuous_at_certificate": 28,
       "insured_region": "150502", "occupation_code": "6-31-01-03", "level": 4, "certificate_type": "skill_level",
       "certificate_issue_date": "2025-06-01", "certificate_region": "150500", "urgent_occupation": False,
       "evaluation_body_batch_count": 1, "past_subsidies": [], "held_certificates": [],
       "training_subsidies": [{"received_date": "2025-05-20", "occupation_code": "4-03-02-01"}]}


def test_evaluate_json_is_taken_by_skill_apply(db, tmp_path):
    staffed(db)
    facts = tmp_path / "s08.json"
    facts.write_text(json.dumps(S08, ensure_ascii=False), "utf-8")
    r = runner.invoke(main_app, ["evaluate", str(facts), "--reading",
                                 "skill_subsidy.insured_period=cumulative_at_application",
                                 "--reading", "skill_subsidy.training_overlap_scope=same_occupation", "--json"])
    assert r.exit_code == 0, r.output
    ev = tmp_path / "decision.json"
    ev.write_text(r.stdout, "utf-8")
    # without the facts the claim's occupation and level are unknown: a clear refusal, not a TypeError
    out = _case(db, "skill-apply", str(ev), "-u", "clerk", code=2)
    assert "须注明职业（工种）与等级" in out and "--facts" in out
    out = _case(db, "skill-apply", str(ev), "--facts", str(facts), "--name", "张三", "-u", "clerk")
    assert "申请已登记" in out
    led = db.open()
    try:
        did = led.find(program="skill_subsidy", year=2025, unit_id="152301199001010015", claim_key="6-31-01-03:4")
        d = led.decision(did)
        assert (d["state"], d["amount_fen"], d["payment_channel"], d["unit_name"]) == (
            "applied", 150_000, "personal_account", "张三")
        assert d["policy_doc"] == "内人社发〔2025〕18号" and "✔" in d["explanation"]
    finally:
        led.close()
    # the same application again changes nothing, and says so (outside audit F7, session 37); --claim-key works too
    again = _case(db, "skill-apply", str(ev), "--claim-key", "6-31-01-03:4", "--name", "张三", "-u", "clerk")
    assert f"该申请此前已登记（决定 {did}，已申请待初审），未重复登记" in again


def test_a_bad_application_file_is_a_clear_error(tmp_path):
    db = type("DB", (), {"url": f"sqlite:///{tmp_path}/x.db", "schema": None})()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"unit_id": "1", "colour": "red"}), "utf-8")
    out = _case(db, "self-apply", str(bad), "-u", "clerk", code=2)
    assert "多余字段 colour" in out and "缺少字段" in out
    bad.write_text("{not json", "utf-8")
    assert "不是有效的 JSON（第 1 行" in _case(db, "skill-apply", str(bad), "-u", "clerk", code=2)


FANHUAN = {"_case": {"program": "fanhuan", "region": "150502", "date": "2025-08-01"},
           "credit_code": "91150502MA0N1234XN", "name": "通辽测试有限公司", "org_type": "enterprise",
           "size_class": "small", "months_fully_paid": 24, "months_fully_paid_total": 24,
           "paid_premium_last_year_fen": 1000000, "insured_headcount": 50, "avg_insured_last_year": 50,
           "layoffs_last_year": 0, "has_corporate_account": False, "has_tax_payment_account": True}


def test_evaluate_json_is_taken_by_self_apply(db, tmp_path):
    staffed(db)
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(FANHUAN, ensure_ascii=False), "utf-8")
    r = runner.invoke(main_app, ["evaluate", str(facts), "--json"])
    assert r.exit_code == 0, r.output
    ev = tmp_path / "decision.json"
    ev.write_text(r.stdout, "utf-8")
    assert "申请已登记" in _case(db, "self-apply", str(ev), "--facts", str(facts), "-u", "clerk")
    led = db.open()
    try:
        d = led.decision(led.find(program="fanhuan", year=2025, unit_id="91150502MA0N1234XN"))
        # 无对公账户的小微企业 → the 税务 payment account (内人社发〔2025〕18号 四)
        assert (d["state"], d["amount_fen"], d["payment_channel"], d["size_class"]) == (
            "applied", 600_000, "tax_payment_account", "small")
        assert d["unit_name"] == "通辽测试有限公司" and "6,000.00元" in d["explanation"]
    finally:
        led.close()


def test_an_evaluation_held_for_payment_is_applied_into_held(db, tmp_path):
    staffed(db)
    # helper H2's one-case shape (E5): entitled, with an output ``payment_hold``; the ledger holds it
    from wengang.casework.intake import decision_from_obj

    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(FANHUAN, ensure_ascii=False), "utf-8")
    r = runner.invoke(main_app, ["evaluate", str(facts), "--json"])
    ev = json.loads(r.stdout)
    ev["outputs"].append({"id": "payment_hold", "label": "暂缓发放", "value": "缓缴的失业保险费尚未补足"})
    dec = decision_from_obj(ev, facts=FANHUAN)
    assert (dec.payment_hold, dec.payment_hold_reason) == (True, "缓缴的失业保险费尚未补足")
    ev["outputs"][-1]["value"] = "否"
    assert decision_from_obj(ev, facts=FANHUAN).payment_hold is False
    led = db.open()
    try:
        did = led.self_apply(dec, "clerk")
        d = led.decision(did)
        assert (d["state"], d["hold_reason"]) == ("held", "缓缴的失业保险费尚未补足")
        led.release(did, "clerk")
        assert led.decision(did)["state"] == "applied"
        assert led.verify_audit().ok
    finally:
        led.close()
