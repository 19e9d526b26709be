"""The office pages issue 15 and 14 left: the policy simulation (and its JSON API), the 稽核's risk-flag queue, the
notices sent and the bank files with their returns — through the TestClient on the real ledger, a real screening
run and the real ``wengang simulate`` in its child process."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from wengang.casework.models import AuditEvent, RiskFlag
from wengang.casework.risk_queue import FLAG_COLUMNS, import_flags
from wengang.web import jobs

from .conftest import UNIT_A

HTML = {"accept": "text/html,application/xhtml+xml"}
POLICY_FILE = Path(__file__).parents[2] / "src/wengang/policies/150000/nrsf-2025-18.yaml"


def _labelled(text: str) -> None:
    """No inline script or style; every visible input has a label (for=)."""
    assert "<script" not in text and " style=" not in text
    ids = set(re.findall(r'<label[^>]* for="([^"]+)"', text))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", text):
        if 'type="hidden"' in tag:
            continue
        m = re.search(r'id="([^"]+)"', tag)
        assert m and m.group(1) in ids, tag


def _events(web: Any, action: str) -> list[dict[str, Any]]:
    EV = AuditEvent.__table__.c
    return web.ledger.read(select(EV.actor, EV.reason, EV.entity_id).where(EV.action == action).order_by(EV.seq))


def _audit_count(web: Any) -> int:
    return len(web.ledger.read(select(AuditEvent.__table__.c.seq)))


# ------------------------------------------------------------------ 政策模拟测算
@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wengang.screening.demo_data import generate_region

    out = tmp_path_factory.mktemp("sim-region")
    generate_region(out, region_code="150500", n_units=120, year=2025, seed=3)
    return out


@pytest.fixture
def screened(web: Any, region: Path) -> int:
    """A done screening run of the service (its readings fixed, as a caseworker would)."""
    cfg = web.app.state.config
    cfg.data_folders = {"通辽": str(region)}
    params = {"folder": "通辽", "date": "2025-08-01", "program": "fanhuan", "year": 2025, "region": "150500",
              "readings": {"fanhuan.size_class_where_silent": "standard_2017"}, "settings": {}}
    jid = jobs.start(web.ledger, cfg, params, "clerk", wait=True)
    assert jobs.job(web.ledger, jid)["state"] == "done"
    return jid


def _wait(client: Any, sid: str) -> dict[str, Any]:
    for _ in range(600):
        got = client.get(f"/api/v1/simulations/{sid}").json()
        if got["state"] != "running":
            return got
        time.sleep(0.1)
    raise AssertionError("the simulation did not finish")


def test_simulation_page_runs_wengang_simulate_and_shows_its_result(web, screened):
    admin = web.client("admin")
    events_before = _audit_count(web)
    link = admin.get(f"/screening/{screened}", headers=HTML).text  # the run's page leads here, the run chosen
    assert f'href="/simulations?job_id={screened}"' in link
    r = admin.get("/simulations", params={"job_id": screened}, headers=HTML)
    assert r.status_code == 200 and f'<option value="{screened}" selected>' in r.text
    _labelled(r.text)
    form = {"csrf_token": admin.headers["X-CSRF-Token"], "job_id": str(screened), "settings": "refund_rate_sme=50%",
            "fund_region": "150500", "fund_year": "2024", "fund_balance": "1200万元", "fund_spending": "1200万元"}
    r = admin.post("/simulations", data=form, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    sid = r.headers["location"].rsplit("/", 1)[1]
    got = _wait(admin, sid)
    assert got["state"] == "done", got
    res = got["result"]
    # the baseline is the screening's own result; a lower rate for SMEs costs less and gives nobody more (a higher one
    # is above the national 不超过 60%: 人社部发〔2024〕40号 二, refused since session 39)
    out = jobs.out_dir(web.ledger, screened)
    results = pl.read_parquet(out / "results.parquet")
    eligible = results.filter(pl.col("status") == "eligible")
    assert res["baseline_total_fen"] == int(eligible["amount_fen"].sum())
    assert res["units"] == results.height
    assert res["delta_fen"] < 0 and res["lost"] > 0 and res["gained"] == 0
    assert sum(g["delta_fen"] for g in res["by_size_class"]) == res["delta_fen"]
    assert "population" not in res  # no server path in the API
    page = admin.get(f"/simulations/{sid}", headers=HTML)
    assert page.status_code == 200
    _labelled(page.text)
    from wengang.money import format_yuan

    for fen in (res["baseline_total_fen"], res["variant_total_fen"]):
        assert format_yuan(fen) in page.text
    assert "−" + format_yuan(-res["delta_fen"]) in page.text  # a decrease, with its minus sign
    assert "按企业划型" in page.text and "按地区" in page.text and page.text.count("<svg") >= 3
    assert "备付期限" in page.text and "现状 1.00年" in page.text  # balance = a year's spending
    assert "refund_rate_sme=50%" in page.text
    xlsx = admin.get(f"/simulations/{sid}/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    report = admin.get(f"/simulations/{sid}/html")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "政策模拟测算报告" in report.text
    # listed, with who ran it; nothing written to the ledger's audit chain by a simulation
    listing = admin.get("/simulations", headers=HTML).text
    assert f"/simulations/{sid}" in listing and "admin" in listing
    assert _audit_count(web) == events_before


def test_simulation_refusals_in_chinese(web, screened):
    auditor = web.client("auditor")
    token = auditor.headers["X-CSRF-Token"]

    def post(**fields: Any) -> Any:
        files = fields.pop("files", None)
        return auditor.post("/simulations", data={"csrf_token": token, "job_id": str(screened), **fields},
                            files=files, headers=HTML, follow_redirects=False)

    r = post(settings="refund_rate_sme=70")
    assert r.status_code == 422 and "百分" in r.text
    r = post(settings="no_such_parameter=1")
    assert r.status_code == 422 and "no_such_parameter" in r.text
    r = post(settings="")
    assert r.status_code == 422 and "请给出方案" in r.text
    r = post(settings="refund_rate_sme=70%", fund_region="150500")
    assert r.status_code == 422 and "基金数据须填全" in r.text
    # a draft the loader refuses: its own message (line and clause), the server path not shown
    bad = POLICY_FILE.read_text(encoding="utf-8").replace("quote: 中小微企业按 60% 返还}", "quote: 中小微企业按 90% 返还}")
    r = post(files={"draft": ("draft-2026.yaml", bad.encode(), "application/x-yaml")})
    assert r.status_code == 422, r.text
    assert "政策文件未通过校验" in r.text and "未出现在条款“一”的原文中" in r.text and "draft-2026.yaml" in r.text
    assert "/simulations/" not in r.text and str(web.app.state.config.work_path) not in r.text
    r = post(files={"draft": ("x.yaml", b"id: x\n  bad: [\n", "application/x-yaml")})
    assert r.status_code == 422 and "YAML 语法错误" in r.text
    # nothing was kept of the refused ones
    assert not list((web.app.state.config.work_path / "simulations").glob("*"))
    # without the form's CSRF token; as a role the table does not name
    r = auditor.post("/simulations", data={"job_id": str(screened), "settings": "refund_rate_sme=70%"},
                     headers={**HTML, "X-CSRF-Token": ""}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    clerk = web.client("clerk")
    r = clerk.post("/simulations", data={"csrf_token": clerk.headers["X-CSRF-Token"], "job_id": str(screened),
                                         "settings": "refund_rate_sme=70%"}, headers=HTML)
    assert r.status_code == 403 and "不能访问此功能" in r.text
    assert clerk.get("/simulations", headers=HTML).status_code == 403
    # a population that is no done run
    r = post(job_id="999", settings="refund_rate_sme=70%")
    assert r.status_code == 404 and "找不到筛查任务" in r.text


def test_a_draft_policy_file_is_the_variant(web, screened, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    web.app.state.config.work_dir = "relative-work"  # a work folder named relative to the server's folder
    auditor = web.client("auditor")
    lower = POLICY_FILE.read_text(encoding="utf-8").replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 50,").replace("中小微企业按 60% 返还", "中小微企业按 50% 返还")
    r = auditor.post("/simulations", data={"csrf_token": auditor.headers["X-CSRF-Token"], "job_id": str(screened)},
                     files={"draft": ("nrsf-2026-draft.yaml", lower.encode(), "application/x-yaml")},
                     headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    got = _wait(auditor, r.headers["location"].rsplit("/", 1)[1])
    assert got["state"] == "done", got
    res = got["result"]
    assert res["delta_fen"] < 0 and res["lost"] > 0 and res["gained"] == 0
    assert "nrsf-2026-draft.yaml" in res["variant"]
    assert (tmp_path / "relative-work" / "simulations" / got["id"] / "simulation.xlsx").is_file()


def test_simulation_api(web, screened):
    admin = web.client("admin")
    r = admin.post("/api/v1/simulations", json={"job_id": screened, "settings": {"min_months_fully_paid": "13"}})
    assert r.status_code == 202, r.text
    got = _wait(admin, r.json()["id"])
    res = got["result"]
    assert got["state"] == "done" and res["status_changed"] > 0 and res["gained"] == 0
    assert res["variant_status"]["eligible"] < res["baseline_status"]["eligible"]
    assert got["files"] == {"xlsx": f"/simulations/{got['id']}/xlsx", "html": f"/simulations/{got['id']}/html"}
    r = admin.post("/api/v1/simulations", json={"job_id": screened, "policy_yaml": "id: x\n  bad: [\n"})
    assert r.status_code == 422 and r.json()["code"] == "policy_refused" and "YAML" in r.json()["message_zh"]
    r = admin.post("/api/v1/simulations", json={"job_id": screened, "settings": {"refund_rate_sme": "70"}})
    assert r.status_code == 422 and "百分" in r.json()["message_zh"]
    assert web.client("cashier").post("/api/v1/simulations", json={"job_id": screened}).status_code == 403
    assert admin.get("/api/v1/simulations/..%2F..%2Fledger").status_code == 404
    assert admin.get("/api/v1/simulations/000000000000").json()["code"] == "not_found"


def test_the_child_gets_the_runs_readings_and_settings_for_both_sides(tmp_path):
    from wengang.web.simulations import _command

    args = _command(Path("rel/features.parquet"), Path("rel/sim"), "fanhuan",
                    {"date": "2025-08-01", "readings": {}, "settings": {"short_term_insured_months": "12"}},
                    {"refund_rate_sme": "70%"}, {"fanhuan.size_class_where_silent": "standard_2017"},
                    date(2025, 9, 1), None, None)
    pairs = list(zip(args, args[1:], strict=False))
    assert ("--set", "refund_rate_sme=70%") in pairs and ("--date", "2025-08-01") in pairs
    assert ("--reading", "fanhuan.size_class_where_silent=standard_2017") in pairs
    assert ("--setting", "short_term_insured_months=12") in pairs and ("--variant-date", "2025-09-01") in pairs
    assert all(Path(a).is_absolute() for a in args if a.startswith("rel") or "/rel/" in a)
    assert "--fund" not in args and "--policy-path" not in args


def test_one_simulation_at_a_time(web, screened):
    from wengang.web import simulations

    cfg = web.app.state.config
    f = simulations.root(cfg) / "aaaaaaaaaaaa"
    f.mkdir(parents=True)
    import os

    simulations._write_meta(f, {"id": f.name, "state": "running", "job_id": screened, "settings": {}, "draft": None,
                                "variant_date": None, "created_by": "admin", "created_at": "2025-01-01T00:00:00",
                                "pid": os.getpid()})
    r = web.client("admin").post("/api/v1/simulations", json={"job_id": screened, "settings": {"refund_rate_sme": "70%"}})
    assert r.status_code == 409 and "已有测算在运行" in r.json()["message_zh"]
    # its process gone without the result: failed, and no longer in the way
    simulations._write_meta(f, {**json.loads((f / "meta.json").read_text()), "pid": 2**22 + 12345})
    assert simulations.get(cfg, f.name)["state"] == "failed"


# ------------------------------------------------------------------ 风险疑点核查
def _flag(key: str, check: str, subject: str, **kw: Any) -> dict[str, Any]:
    row = {"flag_key": key, "check_id": check, "severity": "高", "program": "fanhuan", "year": 2025,
           "subject_id": subject, "subject_name": "测试单位", "claim_key": "", "region_code": "150502",
           "record": key, "amount_fen": 50_000, "label": "疑点：劳务派遣单位分配给用工单位的金额与被派遣劳动者部分不符",
           "citation": "晋人社厅发〔2024〕28号 五", "quote": "由劳务派遣单位按规定将相应资金拨付给用工单位",
           "evidence": json.dumps({"firm_id": subject, "dispatch_share_fen": 100_000, "difference_fen": 50_000})}
    return row | kw


@pytest.fixture
def flags(web: Any) -> dict[str, int]:
    rows = [_flag("k-a", "dispatch_allocation_mismatch", UNIT_A),
            _flag("k-x", "dispatch_allocation_mismatch", "91150502MA0N0000X1"),
            _flag("k-low", "ui_short_term_insured", "152301199001010015", severity="低", program="ui_benefit",
                  label="疑点：短期参保领取失业保险金", citation="内人社发〔2025〕18号 五", quote="短期参保领取失业保险金",
                  evidence=json.dumps({"claim_id": "C1", "paid_months": 3, "threshold": 12}))]
    import_flags(web.ledger, pl.DataFrame(rows).select(FLAG_COLUMNS), "auditor")
    return {r["flag_key"]: r["id"] for r in web.ledger.read(select(RiskFlag.__table__))}


def test_risk_queue_lists_flags_with_evidence_and_filters(web, flags):
    auditor = web.client("auditor")
    r = auditor.get("/risk", headers=HTML)
    assert r.status_code == 200
    _labelled(r.text)
    assert "符合筛选的疑点 3 条" in r.text
    assert UNIT_A not in r.text and "152301199001010015" not in r.text  # identifiers masked, evidence too
    assert "劳务派遣单位" in r.text and "差额（分，正数为少分配）" in r.text  # evidence under the check's labels
    assert "50,000 分（500.00元）" in r.text
    assert 'class="cite"' in r.text  # the citation links to its clause
    assert r.text.count('action="/risk/') == 6  # clear and confirm on each open flag
    low = auditor.get("/risk", params={"severity": "低"}, headers=HTML)
    assert "符合筛选的疑点 1 条" in low.text and "短期参保" in low.text
    only = auditor.get("/risk", params={"check": "dispatch_allocation_mismatch"}, headers=HTML)
    assert "符合筛选的疑点 2 条" in only.text
    assert auditor.get("/risk", params={"severity": "极高"}, headers=HTML).status_code == 422
    # the 复核 reads the queue but has no forms; a 经办 may not open it
    checker = web.client("checker").get("/risk", headers=HTML)
    assert checker.status_code == 200 and 'action="/risk/' not in checker.text and "稽核人员办理" in checker.text
    assert web.client("clerk").get("/risk", headers=HTML).status_code == 403


def test_risk_clear_and_confirm(web, flags):
    auditor = web.client("auditor")
    token = auditor.headers["X-CSRF-Token"]
    # a reason is required, in Chinese
    r = auditor.post(f"/risk/{flags['k-low']}/clear", data={"csrf_token": token, "reason": ""}, headers=HTML)
    assert r.status_code == 422 and "请填写“排除理由”" in r.text
    r = auditor.post(f"/risk/{flags['k-low']}/clear", data={"csrf_token": token, "reason": "已核对缴费记录，系补缴",
                                                             "next": "/risk?severity=%E4%BD%8E"},
                     headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/risk?severity=")
    assert _events(web, "risk_clear")[-1]["actor"] == "auditor"
    # confirm: UNIT_A's decision is in the ledger but unpaid → linked, to be held; the other → referral
    r = auditor.post(f"/risk/{flags['k-a']}/confirm", data={"csrf_token": token, "reason": "核实：少分配"},
                     headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    r = auditor.post(f"/risk/{flags['k-x']}/confirm", data={"csrf_token": token, "reason": "核实，移交",
                                                             "amount_yuan": "100.50"}, headers=HTML)
    assert r.status_code == 200 and "疑点已核实" in r.text  # the redirect's notice
    assert [e["actor"] for e in _events(web, "risk_confirm")] == ["auditor", "auditor"]
    done = auditor.get("/risk", params={"status": "confirmed"}, headers=HTML).text
    assert f"决定 {web.ids[UNIT_A]} 尚无可追回的已发金额" in done and "移交原发放机构" in done
    # what ends that decision (UNIT_A's is notified, not yet approved): refused in review, never "暂缓" (a confirmed
    # flag is never cleared, so a hold would never end)
    assert "在审核中不予通过" in done and "请暂缓" not in done
    assert f'href="/decisions/{web.ids[UNIT_A]}"' in done
    # once only
    r = auditor.post(f"/risk/{flags['k-a']}/clear", data={"csrf_token": token, "reason": "再次"}, headers=HTML)
    assert r.status_code == 409 and "已处理" in r.text
    # a bad amount, no CSRF token, the wrong role
    r = auditor.post(f"/risk/{flags['k-x']}/confirm", data={"csrf_token": token, "reason": "x", "amount_yuan": "1.234"},
                     headers=HTML)
    assert r.status_code == 422 and "追回金额" in r.text
    r = auditor.post(f"/risk/{flags['k-x']}/clear", data={"reason": "x"}, headers={**HTML, "X-CSRF-Token": ""})
    assert r.status_code == 403 and "CSRF" in r.text
    checker = web.client("checker")
    r = checker.post(f"/risk/{flags['k-x']}/clear", data={"csrf_token": checker.headers["X-CSRF-Token"], "reason": "x"},
                     headers=HTML)
    assert r.status_code == 403 and "不能访问此功能" in r.text


# ------------------------------------------------------------------ notices and bank files
def test_notices_page_lists_the_outbox_masked(web):
    clerk = web.client("clerk")
    r = clerk.get("/notices", headers=HTML)
    assert r.status_code == 200
    _labelled(r.text)
    assert "待发送 3 条" in r.text and "13800000000" not in r.text and "138****0000" in r.text
    assert f'href="/decisions/{web.ids[UNIT_A]}"' in r.text
    assert r.text.count("尚未作出决定") == 3 and "/letter" not in r.text  # notified only: no letter yet (the API: 409)
    assert "没有符合条件的消息" in clerk.get("/notices", params={"state": "sent"}, headers=HTML).text
    assert clerk.get("/notices", params={"state": "lost"}, headers=HTML).status_code == 422
    assert web.client("danwei").get("/notices", headers=HTML).status_code == 403
    # once decided (复审通过, 公示), its letter is linked, and the link gives the PDF
    from .test_web_casework_api import _to_publicized

    did = _to_publicized(web)
    r = clerk.get("/notices", headers=HTML)
    assert r.text.count(f'href="/api/v1/decisions/{did}/letter"') >= 1
    assert clerk.get(f"/api/v1/decisions/{did}/letter").content.startswith(b"%PDF")
    cashier = web.client("cashier").get("/notices", headers=HTML)  # reads the list; the letter is the 经办's
    assert cashier.status_code == 200 and "经办人员可下载" in cashier.text and "/letter" not in cashier.text


def test_bank_files_page_lists_files_and_returns(web, tmp_path):
    from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file

    from .test_web_casework_api import BANK, PAYER, _key, _to_publicized

    assert "尚无报盘文件" in web.client("auditor").get("/bank-files", headers=HTML).text
    did = _to_publicized(web)
    cashier = web.client("cashier")
    assert cashier.post("/api/v1/payments/batches", json={"batch_key": "W1", "program": "fanhuan", "year": 2025,
                                                          "today": "2025-11-01"}, headers=_key("p")).status_code == 201
    cashier.post("/api/v1/payee-banks", json={"banks": [{"account_no": "6222000011112222333", "bank_code": BANK}]})
    r = cashier.post("/api/v1/payments/batches/W1/bank-file", json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers=_key("bf"))
    assert r.status_code == 201, r.text
    page = cashier.get("/bank-files", headers=HTML)
    assert page.status_code == 200 and "W1" in page.text and "11,184.30元" in page.text
    assert PAYER not in page.text  # the payer account masked
    assert 'href="/api/v1/bank-files/W1/txt"' in page.text and "未回盘" in page.text
    txt = cashier.get("/api/v1/bank-files/W1/txt")
    (tmp_path / "W1.txt").write_bytes(txt.content)
    p = read_bank_file(tmp_path / "W1.txt").payments[0]
    ret = write_return_file("W1", date(2025, 11, 2), [ReturnRecord(p.reference, True, p.amount_fen, p.account, "")],
                            tmp_path / "ret.txt")
    r = cashier.post("/api/v1/bank-returns", files={"file": ("ret.txt", ret.read_bytes(), "text/plain")},
                     headers=_key("ret"))
    assert r.status_code == 200 and len(r.json()["confirmed"]) == 1, r.text
    seen = web.client("auditor").get("/bank-files", headers=HTML).text
    assert "1 笔 11,184.30元" in seen and "2025-11-02" in seen and "出纳人员可下载" in seen
    assert "没有退回的付款" in seen
    assert web.ledger.decision(did)["state"] == "paid"
    assert web.client("geren").get("/bank-files", headers=HTML).status_code == 403
