"""The server-rendered pages through the TestClient: roles, CSRF, masking, the public checker storing nothing,
citations that lead to clauses, the person's own-ID check and application, a unit's confirmation.

(The whole story in a real browser, with axe and screenshots: ``tests/web_browser/test_web_pages_story.py``.)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from wengang.casework.models import Base
from wengang.web import access
from wengang.web.app import endpoints

from .conftest import PERSON, ROLE_LOGIN, UNIT_A, UNIT_B

HTML = {"accept": "text/html,application/xhtml+xml"}


def page_routes(app: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in endpoints(app) if not p.startswith("/api/") and p != "/healthz"]


def concrete(path: str, web: Any, role: str) -> str:
    values = {
        "decision_id": str(web.ids[PERSON if role == "person" else UNIT_A]),
        "doc_id": "im-2025-18",
        "name": "refund_rate_sme",
        "job_id": "999",
        "list_key": "GS-NONE",
        "sim_id": "000000000000",
        "flag_id": "999",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_every_page_route_is_declared_and_refuses_the_wrong_role(web):
    routes = page_routes(web.app)
    assert len(routes) >= 30
    assert all(r in access.ROUTES for r in routes)
    clients = {role: web.client(login) for role, login in ROLE_LOGIN.items()}
    anonymous = web.client()
    refused = 0
    for method, path in routes:
        allowed = access.ROUTES[(method, path)]
        if "public" in allowed or path in ("/logout",):
            continue
        for role, c in clients.items():
            if role in allowed:
                continue
            r = (
                c.request(
                    method,
                    concrete(path, web, role),
                    data={"csrf_token": c.headers["X-CSRF-Token"]},
                    headers=HTML,
                )
                if method == "POST"
                else c.get(concrete(path, web, role), headers=HTML)
            )
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert "text/html" in r.headers["content-type"]  # a browser gets a page saying why
            assert "不能访问此功能" in r.text and "需要" in r.text
            refused += 1
        # not signed in: a page asks for the sign-in (and comes back); a form post is refused
        r = anonymous.request(method, concrete(path, web, "anon"), headers=HTML, follow_redirects=False)
        if method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/"), (
                path,
                r.status_code,
            )
        else:
            assert r.status_code == 401, (path, r.status_code)
    assert refused > 100


def test_pages_have_no_inline_script_or_style_and_are_chinese(web):
    c = web.client("clerk")
    for path in (
        "/",
        "/dashboard",
        "/screening",
        "/decisions",
        f"/decisions/{web.ids[UNIT_A]}",
        "/queues/review",
        "/publicity",
        "/policies",
        "/policies/im-2025-18",
        "/parameters/refund_rate_sme",
        "/ceilings",
        "/check",
    ):
        r = c.get(path, headers=HTML)
        assert r.status_code == 200, (path, r.text[:500])
        assert '<html lang="zh-CN">' in r.text
        assert "<script" not in r.text and " style=" not in r.text, path
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
        # every input has a label (by for=) or is hidden
        ids = set(re.findall(r'<label[^>]* for="([^"]+)"', r.text))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", r.text):
            if 'type="hidden"' in tag:
                continue
            m = re.search(r'id="([^"]+)"', tag)
            assert m and m.group(1) in ids, (path, tag)


def test_lists_mask_identifiers(web):
    r = web.client("clerk").get("/decisions", headers=HTML)
    assert UNIT_A not in r.text and UNIT_B not in r.text
    assert "911505**********XN" in r.text
    r = web.client("cashier").get("/queues/payment", headers=HTML)
    assert UNIT_A not in r.text


def test_decision_page_cites_clauses_that_the_policy_browser_shows(web):
    r = web.client("clerk").get(f"/decisions/{web.ids[UNIT_A]}", headers=HTML)
    links = set(re.findall(r'<a class="cite" href="(/policies/[^"#]+)#(c-[^"]+)"', r.text))
    assert ("/policies/im-2025-18", "c-%E4%B8%80") in links
    for doc, anchor in links:
        body = web.client().get(doc, headers=HTML).text
        from urllib.parse import unquote

        assert f'id="{unquote(anchor)}"' in body
    doc = web.client().get("/policies/im-2025-18", headers=HTML).text
    clause = doc[doc.index('id="c-一"') :]
    assert "参保企业足额缴纳失业保险费 12 个月以上" in clause[:2000]


def test_a_unit_sees_only_its_own_and_confirms(web):
    unit = web.client("danwei")
    mine, other = web.ids[UNIT_A], web.ids[UNIT_B]
    r = unit.get("/unit", headers=HTML)
    assert f"/decisions/{mine}" in r.text and f"/decisions/{other}" not in r.text
    r = unit.get(f"/decisions/{other}", headers=HTML)
    assert r.status_code == 404 and f"找不到决定 {other}" in r.text  # as a missing one (session 42)
    token = unit.headers["X-CSRF-Token"]
    # without the CSRF token of the session: refused, nothing changes
    bare = web.client("danwei")
    del bare.headers["X-CSRF-Token"]
    r = bare.post(f"/decisions/{mine}/confirm", data={"agree": "yes"}, headers=HTML)
    assert r.status_code == 403 and "CSRF" in r.text
    assert web.ledger.decision(mine)["state"] == "notified"
    # not ticked: refused
    r = unit.post(f"/decisions/{mine}/confirm", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 422 and "确认接受" in r.text
    r = unit.post(f"/decisions/{other}/confirm", data={"csrf_token": token, "agree": "yes"}, headers=HTML)
    assert r.status_code == 404
    r = unit.post(
        f"/decisions/{mine}/confirm",
        data={"csrf_token": token, "agree": "yes", "account_no": "6222000099998888777"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/unit?done=confirmed"
    d = web.ledger.decision(mine)
    assert d["state"] == "confirmed"
    change = web.ledger.account_changes(decision_id=mine)
    assert [c["account_no"] for c in change] == ["6222000099998888777"]
    assert change[0]["requested_by"] == "portal"
    assert any("单位账户 danwei" in (h["reason"] or "") for h in d["history"])
    assert web.ledger.decision(other)["state"] == "notified"


def test_two_people_review_and_the_same_person_cannot_do_both(web):
    did = web.ids[UNIT_B]
    clerk, checker = web.client("clerk"), web.client("checker")
    form = {"stage": "1", "verdict": "approve", "reason": "初审通过"}
    r = clerk.post(
        f"/decisions/{did}/review",
        data={**form, "csrf_token": clerk.headers["X-CSRF-Token"]},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert web.ledger.decision(did)["state"] == "first_reviewed"
    # the reviewer's queue lists it; the clerk cannot make the second review (role)
    assert f"/decisions/{did}" in checker.get("/queues/review", headers=HTML).text
    r = clerk.post(
        f"/decisions/{did}/review",
        data={**form, "stage": "2", "csrf_token": clerk.headers["X-CSRF-Token"]},
        headers=HTML,
    )
    assert r.status_code == 403
    r = checker.post(
        "/queues/review",
        data={
            "ids": [str(did)],
            "stage": "2",
            "verdict": "approve",
            "reason": "复审通过",
            "csrf_token": checker.headers["X-CSRF-Token"],
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert web.ledger.decision(did)["state"] == "approved"


def _snapshot(web: Any) -> dict[str, str]:
    """Every table's rows, hashed: what the database holds."""
    out = {}
    with web.ledger.engine.connect() as conn:
        for name, t in Base.metadata.tables.items():
            rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        out["sqlite_master"] = hashlib.sha256(
            repr(conn.execute(text("select * from sqlite_master")).all()).encode()
        ).hexdigest()
    return out


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


CHECK = {
    "credit_code": "91150502MA0N1234XN",
    "name": "某商贸有限公司",
    "region_code": "150502",
    "date": "2025-08-01",
    "org_type": "enterprise",
    "size_class": "small",
    "months_fully_paid": "36",
    "months_fully_paid_total": "36",
    "paid_premium_last_year_yuan": "18640.50",
    "insured_headcount": "42",
    "avg_insured_last_year": "43",
    "layoffs_last_year": "0",
    "normal_attrition_last_year": "2",
    "has_corporate_account": "yes",
}


def _check_token(c: Any) -> str:
    r = c.get("/check", headers=HTML)
    form = r.text[r.text.index('action="/check"') :]
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_public_checker_answers_with_citations_and_stores_nothing(web, tmp_path, signed_in):
    c = web.client("clerk") if signed_in else web.client()
    token = _check_token(c)
    before, files = _snapshot(web), _files(tmp_path)
    r = c.post("/check", data={**CHECK, "csrf_token": token}, headers=HTML)
    assert r.status_code == 200, r.text[:1000]
    assert re.search(r"自测结果：<span[^>]*>符合条件</span>，11,184.30元", r.text)
    assert '<a class="cite" href="/policies/im-2025-18#c-' in r.text
    refused = c.post(
        "/check",
        data={**CHECK, "months_fully_paid": "8", "months_fully_paid_total": "8", "csrf_token": token},
        headers=HTML,
    )
    assert re.search(r"自测结果：<span[^>]*>不符合条件</span>", refused.text)
    assert "足额缴纳失业保险费12个月以上" in refused.text
    bad = c.post("/check", data={**CHECK, "credit_code": "123", "csrf_token": token}, headers=HTML)
    assert bad.status_code == 422 and "credit_code" in bad.text
    assert _snapshot(web) == before  # not a row, not an audit event, not a session
    assert _files(tmp_path) == files  # not a file


def test_the_public_checker_needs_its_csrf_token(web):
    c = web.client()
    _check_token(c)
    r = c.post("/check", data={**CHECK, "csrf_token": "forged"}, headers=HTML)
    assert r.status_code == 400 and "CSRF" in r.text and "自测结果" not in r.text
    fresh = web.client()  # no cookie at all
    r = fresh.post("/check", data={**CHECK, "csrf_token": _check_token(web.client())}, headers=HTML)
    assert r.status_code == 400


PERSON_FORM = {
    "application_date": "2025-09-01",
    "person_status": "employed_worker",
    "insured_months_cumulative": "30",
    "insured_months_continuous": "30",
    "insured_months_cumulative_at_certificate": "28",
    "insured_months_continuous_at_certificate": "28",
    "insured_region": "150502",
    "occupation_code": "4-01-02-01",
    "occupation_name": "营业员",
    "level": "5",
    "certificate_type": "skill_level",
    "certificate_issue_date": "2025-06-01",
    "certificate_region": "150502",
    "evaluation_body": "通辽市某评价机构",
    "urgent_occupation": "no",
    "none_before": "yes",
}


def test_a_person_checks_with_their_own_id_and_applies(web):
    c = web.client("geren")
    token = c.headers["X-CSRF-Token"]
    before = _snapshot(web)
    # an ID number in the form is not read: the check is on the account's own
    r = c.post(
        "/person/check",
        data={**PERSON_FORM, "id_number": "15230119850505002X", "csrf_token": token},
        headers=HTML,
    )
    assert r.status_code == 200, r.text[:800]
    assert re.search(r"自测结果：<span[^>]*>符合条件</span>，1,000.00元", r.text)
    assert "15230119850505002X" not in r.text
    assert _snapshot(web) == before  # checking stores nothing
    r = c.post(
        "/person/apply", data={**PERSON_FORM, "csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/person?done=applied"
    did = web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5")
    assert did is not None
    d = web.ledger.decision(did)
    assert (
        d["state"] == "applied" and d["origin"] == "application" and d["entitlement"]["amount_fen"] == 100_000
    )
    assert d["history"][0]["actor"] == "portal"
    page = c.get("/person?done=applied", headers=HTML).text
    assert "技能提升补贴申请已提交" in page and "4-01-02-01 初级（五级）" in page
    # an ineligible application is shown with its reasons, not stored
    r = c.post(
        "/person/apply",
        data={
            **PERSON_FORM,
            "occupation_code": "4-01-02-02",
            "insured_months_cumulative": "6",
            "insured_months_continuous": "6",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert r.status_code == 422 and "不符合条件" in r.text
    assert (
        web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-02:5") is None
    )


def test_policy_browser_timeline_and_ceilings(web):
    c = web.client()
    r = c.get("/parameters/refund_rate_sme", headers=HTML)
    assert r.status_code == 200 and "内人社发〔2025〕18号 一" in r.text and "60%" in r.text
    r = c.get("/ceilings", headers=HTML)
    assert r.status_code == 200 and "超过上限 0 项" in r.text and "✔ 不超过上限" in r.text
    assert c.get("/policies/no-such-doc", headers=HTML).status_code == 404
    assert c.get("/parameters/no_such_param", headers=HTML).status_code == 404
