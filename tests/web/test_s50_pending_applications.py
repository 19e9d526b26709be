"""A person's 技能提升补贴 application whose result rests on an open reading (待认定) is registered as such from the portal
and the JSON API — not refused as 未通过 — and the office settles it on the decision's page (认定政策理解) before 初审."""

from __future__ import annotations

import html

from .conftest import PERSON
from .test_web_pages import PERSON_FORM

HTML = {"accept": "text/html,application/xhtml+xml"}
SWITCH = "skill_subsidy.insured_period"
# 30 months insured at application, 8 when the certificate was issued: “参加失业保险 1 年以上” counted to which day?
PENDING = {"insured_months_cumulative_at_certificate": "8", "insured_months_continuous_at_certificate": "8"}


def test_the_portal_registers_a_pending_application_and_the_office_settles_it(web):
    c = web.client("geren")
    r = c.post("/person/apply", data={**PERSON_FORM, **PENDING, "csrf_token": c.headers["X-CSRF-Token"]},
               headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/person?done=applied_pending", r.text[:800]
    did = web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5")
    d = web.ledger.decision(did)
    assert (d["state"], d["origin"], d["entitlement"]["status"]) == ("pending_determination", "application",
                                                                     "needs_decision")
    assert d["outcomes"] and SWITCH in d["outcomes"], d["outcomes"]
    page = html.unescape(c.get("/person?done=applied_pending", headers=HTML).text)
    assert "待认定" in page and "经办机构认定后" in page
    # the office sees the results by reading and settles the question on the decision's page
    clerk = web.client("clerk")
    page = html.unescape(clerk.get(f"/decisions/{did}", headers=HTML).text)
    assert 'id="adopt"' in page and f'name="reading:{SWITCH}"' in page, page
    r = clerk.post(f"/decisions/{did}/readings", headers=HTML, follow_redirects=False,
                   data={"csrf_token": clerk.headers["X-CSRF-Token"], f"reading:{SWITCH}": "cumulative_at_application",
                         "reason": "经研究按申请时参保时间计算"})
    assert r.status_code == 303, r.text[:800]
    d = web.ledger.decision(did)
    assert d["state"] == "applied" and d["entitlement"]["status"] == "eligible"
    assert d["entitlement"]["amount_fen"] == 100_000
    web.ledger.first_review(did, "clerk", approve=True, reason="初审通过")
    assert web.ledger.decision(did)["state"] == "first_reviewed"


def test_the_api_registers_a_pending_application(web):
    from .test_web_casework_api import _skill_facts

    facts = _skill_facts(insured_months_cumulative_at_certificate=8, insured_months_continuous_at_certificate=8)
    r = web.client("geren").post("/api/v1/applications/skill-subsidy", json={"facts": facts})
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["state"], out["state_zh"], out["status"], out["amount_fen"]) == (
        "pending_determination", "待认定", "needs_decision", None)
    r = web.client("clerk").post(f"/api/v1/decisions/{out['decision_id']}/readings",
                                 json={"readings": {SWITCH: "cumulative_at_certificate"}, "reason": "按发证时参保时间计算"})
    assert r.status_code == 200 and r.json()["state"] == "not_eligible", r.text
