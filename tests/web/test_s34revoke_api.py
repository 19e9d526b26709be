"""POST /api/v1/decisions/{id}/revocation: the JSON API's `wengang case revoke` (outside audit s34, D3). A money-
stopping write: it needs an Idempotency-Key, the 复核 role, a reason, and a confirmed risk flag confirmed by someone else."""

from __future__ import annotations

import json

import polars as pl

from wengang.casework.risk_queue import FLAG_COLUMNS, confirm_flag, import_flags, list_flags

from .test_web_casework_api import _events, _key, _to_publicized


def _confirmed_flag(web, did: int) -> int:
    unit = web.ledger.decision(did)["unit_id"]
    row = {
        "flag_key": "dispatch_allocation_mismatch:web", "check_id": "dispatch_allocation_mismatch", "severity": "高",
        "program": "fanhuan", "year": 2025, "subject_id": unit, "subject_name": "测试企业", "claim_key": "",
        "region_code": "150502", "record": "web", "amount_fen": 50_000, "label": "派遣单位未全额拨付用工单位",
        "citation": "人社部发〔2024〕40号 三", "quote": "全额拨付", "evidence": json.dumps({"kept_fen": 50_000}),
    }  # fmt: skip
    import_flags(web.ledger, pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS),
                 "auditor")
    fid = max(r["id"] for r in list_flags(web.ledger))
    confirm_flag(web.ledger, fid, "auditor", reason="核实")
    return fid


def test_revocation_needs_a_key_a_reviewer_a_reason_and_a_confirmed_flag(web):
    did = _to_publicized(web)
    checker = web.client("checker")
    url = f"/api/v1/decisions/{did}/revocation"
    body = {"reason": "经核实，未按规定向用工单位拨付"}
    assert checker.post(url, json=body).status_code == 428  # no Idempotency-Key
    assert web.client("clerk").post(url, json=body, headers=_key("rv-0")).status_code == 403
    assert web.client("auditor").post(url, json=body, headers=_key("rv-0b")).status_code == 403
    r = checker.post(url, json={"reason": "  "}, headers=_key("rv-1"))
    assert r.status_code == 422, r.text
    r = checker.post(url, json=body, headers=_key("rv-2"))  # no confirmed flag yet
    assert r.status_code == 409 and r.json()["code"] == "no_confirmed_flag", r.text
    fid = _confirmed_flag(web, did)
    r = checker.post(url, json=body, headers=_key("rv-3"))
    assert r.status_code == 201, r.text
    assert r.json() == {"decision_id": did, "state": "revoked", "state_zh": "已撤销核准（不予发放）", "flag_ids": [fid],
                        "withdrawn_payment_ids": []}
    # the same key again: the same answer, nothing done twice
    again = checker.post(url, json=body, headers=_key("rv-3"))
    assert again.status_code == 201 and again.json() == r.json()
    assert [e["actor"] for e in _events(web, "revoke")] == ["checker"]
    assert web.ledger.decision(did)["state"] == "revoked" and web.ledger.verify_audit().ok
    # a new key: refused on the state
    r = checker.post(url, json=body, headers=_key("rv-4"))
    assert r.status_code == 409 and r.json()["code"] == "transition_refused"


def test_the_route_is_in_the_spec_with_the_key_required(web):
    spec = web.client().get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/decisions/{decision_id}/revocation"]["post"]
    [key] = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
    assert key["required"] is True
