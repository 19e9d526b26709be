"""The JSON API's happy paths, each checked against the service the command line uses."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from wengang.casework.models import AuditEvent

from .conftest import PERSON, UNIT_A, UNIT_B

EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"


def _events(web, **where):
    EV = AuditEvent.__table__.c
    q = select(EV.actor, EV.action, EV.reason, EV.entity_id).order_by(EV.seq)
    for k, v in where.items():
        q = q.where(EV[k] == v)
    return web.ledger.read(q)


def test_evaluate_gives_what_wengang_evaluate_json_gives(web):
    from wengang.cli import app

    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    cli = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--json"])
    assert cli.exit_code == 0, cli.output
    r = web.client("clerk").post("/api/v1/evaluate", json={"facts": facts})
    assert r.status_code == 200, r.text
    assert r.json() == json.loads(cli.stdout)
    assert r.json()["status"] == "eligible" and r.json()["amount_fen"] == 1_118_430


def test_evaluate_amounts_in_yuan_are_exact(web):
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    body = json.dumps({"facts": {**facts, "paid_premium_last_year_yuan": 18640.5}})  # a JSON number, not a string
    r = web.client("clerk").post("/api/v1/evaluate", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["amount_fen"] == 1_118_430


def test_evaluate_errors_are_structured_chinese_first(web):
    c = web.client("clerk")
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    r = c.post("/api/v1/evaluate", json={"facts": {**facts, "months_fully_paid": "很多"}})
    assert r.status_code == 422
    assert set(r.json()) >= {"code", "message_zh", "message_en", "field"}
    assert r.json()["field"] == "facts.months_fully_paid" and "整数" in r.json()["message_zh"]
    r = c.post("/api/v1/evaluate", json={"fact": {}})  # pydantic: missing + extra field
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    assert r.json()["message_zh"].startswith("字段 facts：缺少必填字段")
    assert {e["field"] for e in r.json()["errors"]} == {"facts", "fact"}


def test_policies_and_timeline(web):
    c = web.client("danwei")
    docs = c.get("/api/v1/policies").json()
    assert any(d["id"] == "im-2025-18" and d["number"] == "内人社发〔2025〕18号" for d in docs)
    one = c.get("/api/v1/policies/im-2025-18").json()
    params = {p["name"]: p for b in one["program_blocks"] for p in b["parameters"]}
    assert params["refund_rate_sme"]["citation"].startswith("内人社发〔2025〕18号")
    tl = c.get("/api/v1/parameters/refund_rate_sme/timeline", params={"region": "150500"}).json()
    assert tl and all("valid_from" in e and e["citation"] for e in tl)
    assert c.get("/api/v1/policies/nope").status_code == 404


def test_decisions_list_filters_pages_and_masks(web):
    c = web.client("auditor")
    r = c.get("/api/v1/decisions", params={"program": "fanhuan", "page_size": 2}).json()
    assert r["total"] == 3 and len(r["items"]) == 2 and r["total_fen"] == 1_118_430 + 500_000 + 300_000
    assert [i["unit_id"] for i in r["items"]] == ["911505**********XN", "911505**********XE"]
    assert all(UNIT_A not in json.dumps(i) for i in r["items"])
    page2 = c.get("/api/v1/decisions", params={"program": "fanhuan", "page_size": 2, "page": 2}).json()
    assert [i["id"] for i in page2["items"]] == [web.ids["91150502MA0N5678XD"]]
    micro = c.get("/api/v1/decisions", params={"size_class": "微型"}).json()
    assert micro["total"] == 1
    assert c.get("/api/v1/decisions", params={"state": "已告知待确认"}).json()["total"] == 3
    r = c.get("/api/v1/decisions", params={"state": "胡写"})
    assert r.status_code == 422 and "状态" in r.json()["message_zh"]


def test_unit_sees_and_confirms_its_own_decision_recorded_through_the_portal(web):
    c = web.client("danwei")
    mine = c.get("/api/v1/decisions").json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == web.ids[UNIT_A]
    d = c.get(f"/api/v1/decisions/{web.ids[UNIT_A]}").json()
    assert d["unit_id"] == UNIT_A and d["state"] == "notified"
    assert c.get(f"/api/v1/decisions/{web.ids[UNIT_A]}/explanation").json()["explanation"].startswith("✔")
    r = c.post(f"/api/v1/decisions/{web.ids[UNIT_A]}/confirm", json={"amount_fen": 1_118_430})
    assert r.status_code == 200, r.text
    assert web.ledger.decision(web.ids[UNIT_A])["state"] == "confirmed"
    ev = _events(web, action="confirm", entity_id=str(web.ids[UNIT_A]))
    assert ev[-1]["actor"] == "portal" and "单位账户 danwei" in ev[-1]["reason"]


def test_caseworker_confirms_reviewer_reviews_and_writes_carry_the_operator(web):
    clerk, checker = web.client("clerk"), web.client("checker")
    did = web.ids[UNIT_B]
    assert clerk.post(f"/api/v1/decisions/{did}/confirm", json={}).status_code == 200
    r = clerk.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 1, "approve": True, "reason": "初审通过"})
    assert r.status_code == 201 and r.json()["state"] == "first_reviewed"
    # 复审 by the 经办 is refused by the ledger's own check
    r = clerk.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 2, "approve": True, "reason": "复审"})
    assert r.status_code == 403 and r.json()["code"] == "role_refused"
    r = checker.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 2, "approve": True, "reason": "复审通过"})
    assert r.status_code == 201 and r.json()["state"] == "approved"
    reviews = checker.get(f"/api/v1/decisions/{did}/reviews").json()
    assert [(v["stage"], v["reviewer"]) for v in reviews] == [(1, "clerk"), (2, "checker")]
    acts = {(e["action"], e["actor"]) for e in _events(web, entity_id=str(did))}
    assert {("confirm", "clerk"), ("first_review", "clerk"), ("second_review", "checker")} <= acts, acts
    assert web.ledger.verify_audit().ok


def test_person_sees_only_their_application(web):
    c = web.client("geren")
    r = c.get("/api/v1/decisions").json()
    assert r["total"] == 1 and r["items"][0]["program"] == "skill_subsidy"
    assert c.get(f"/api/v1/decisions/{web.ids[PERSON]}").json()["unit_id"] == PERSON
    assert c.get("/api/v1/balances").status_code == 200


def test_payments_and_recoveries_lists_mask_accounts(web):
    c = web.client("cashier")
    assert c.get("/api/v1/payments").json() == []
    assert c.get("/api/v1/recoveries").json() == []
    r = c.post("/api/v1/payments/batches", json={"batch_key": "P1", "program": "fanhuan", "year": 2025},
               headers={"Idempotency-Key": "batch-P1"})
    assert r.status_code == 201 and r.json()["paid"] == 0  # nothing approved and publicized yet
    assert c.get("/api/v1/audit/verify").json()["ok"] is True


def test_healthz_and_docs(web):
    c = web.client()
    assert c.get("/healthz").json() == {"status": "ok", "database": "sqlite"}
    spec = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/evaluate" in spec["paths"] and "/api/v1/decisions/{decision_id}/confirm" in spec["paths"]
    page = c.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/decisions" in page.text and "<script" not in page.text
    assert "cdn" not in page.text.lower()


def test_a_unit_reads_its_explanation_as_its_letter_says_it_an_operator_reads_the_caseworkers(web):
    # the explanation endpoint is open to the unit itself: the agency's verification check (核查：… before paying) and
    # the fact's field name in brackets are the caseworker's (the same filter as letters: casework.outputs.recipient_trace)
    from wengang.web import accounts

    from .conftest import RUN, decision, pw

    unit = "91150502MA0N5555XP"
    expl = "✔ 足额缴纳失业保险费12个月以上\n✔ 上年度参保人数（insured_persons_avg）为 20 人\n核查：已查询严重失信主体名单并存档后再发放"
    web.ledger.import_decisions(RUN, [decision(unit, "通辽市测试核查有限公司", explanation=expl,
                                               reasons=["✔ 上年度参保人数（insured_persons_avg）为 20 人"])], "clerk")
    accounts.add_portal_account(web.ledger, "danwei2", pw("danwei2"), kind="unit", subject=unit, actor="admin",
                                display_name="测试核查")
    did = web.ledger.find(program="fanhuan", year=2025, unit_id=unit)
    mine = web.client("danwei2").get(f"/api/v1/decisions/{did}/explanation").json()
    assert "上年度参保人数" in mine["explanation"] and "足额缴纳" in mine["explanation"]
    assert "insured_persons_avg" not in json.dumps(mine, ensure_ascii=False)
    assert "核查" not in mine["explanation"] and "存档后再发放" not in mine["explanation"]
    office = web.client("clerk").get(f"/api/v1/decisions/{did}/explanation").json()
    assert office["explanation"] == expl and "insured_persons_avg" in office["reasons"][0]
