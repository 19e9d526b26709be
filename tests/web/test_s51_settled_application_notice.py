"""A 待认定 application settled on its page is told it goes on to 初审, not “可继续告知、审核” (告知 is a screened unit's
step; an application's next step is 初审). A screened decision settled the same way still reads as before
(tests/web/test_s49_adopt_readings.py)."""

from __future__ import annotations

import html

import pytest

from .conftest import PERSON
from .test_s50_pending_applications import HTML, PENDING, SWITCH
from .test_web_pages import PERSON_FORM


def _pending_application(web) -> int:
    c = web.client("geren")
    r = c.post("/person/apply", data={**PERSON_FORM, **PENDING, "csrf_token": c.headers["X-CSRF-Token"]},
               headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/person?done=applied_pending", r.text[:800]
    return web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5")


@pytest.mark.parametrize(
    ("path", "form", "done"),
    [
        ("readings", {f"reading:{SWITCH}": "cumulative_at_application", "reason": "经研究按申请时参保时间计算"}, "adopted_applied"),
        ("resolution", {"verdict": "eligible", "amount_yuan": "1000", "reason": "经研究认定符合条件"}, "resolved_applied"),
    ],
)
def test_a_settled_application_is_told_it_goes_to_the_first_review(web, path, form, done):
    did = _pending_application(web)
    clerk = web.client("clerk")
    r = clerk.post(f"/decisions/{did}/{path}", headers=HTML, follow_redirects=False,
                   data={"csrf_token": clerk.headers["X-CSRF-Token"], **form})
    assert r.status_code == 303 and r.headers["location"] == f"/decisions/{did}?done={done}", r.text[:800]
    assert web.ledger.decision(did)["state"] == "applied"
    page = html.unescape(clerk.get(r.headers["location"], headers=HTML).text)
    assert "转入初审" in page and "可继续告知" not in page
