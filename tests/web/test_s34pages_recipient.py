"""A unit's, a person's and the public's pages say a decision's reasons as their letter does
(``documents.recipient.recipient_text``, the ``recipient`` filter): no command line (``--setting …``), no field name in
brackets, no English code; the caseworker's page for the same decision keeps the office's hints (the template
variable ``audience``). The case: a 2024 审核 in 通辽 whose region lacks the 基金备付期限 (人社部发〔2024〕40号 二), so
the result is 无法判定 until the agency supplies it — the engine's reason tells the caseworker how (``--setting
fund_reserve_years=…``), the recipient only what the agency still needs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from wengang.casework import RunIn
from wengang.casework.intake import decision_from_obj
from wengang.web.pages.portal import _evaluate
from wengang.web.pages.public import _unit_facts

from .conftest import UNIT_A
from .test_web_pages import CHECK, PERSON_FORM, _check_token

HTML = {"accept": "text/html,application/xhtml+xml"}
UNIT_2024 = {**CHECK, "date": "2024-08-01", "layoffs_last_year": "3"}  # two region figures missing
PERSON_2024 = {**PERSON_FORM, "application_date": "2024-08-01", "certificate_issue_date": "2024-01-01"}
RESERVE = "本省上年度失业保险基金滚存结余备付期限"
TARGET = "上年度全国城镇调查失业率控制目标"
LATIN_WORD = re.compile(r"[A-Za-z_]{3,}")


def _block(html: str, opening: str) -> str:
    """The text (tags stripped) of the first ``<ul …>`` whose opening tag is ``opening``; '' if none."""
    at = html.find(opening)
    if at < 0:
        return ""
    return re.sub(r"<[^>]+>", "", html[at : html.index("</ul>", at)])


def _for_recipient(html: str, *labels: str) -> None:
    assert "--setting" not in html and "region-data" not in html
    assert "fund_reserve_years" not in html and "max_layoff_rate" not in html
    reasons = _block(html, '<ul class="reasons">')
    assert reasons, "the reasons are shown"
    assert not LATIN_WORD.search(reasons), reasons
    trace = _block(html, '<ul class="trace">')
    assert not LATIN_WORD.search(trace), trace
    for label in labels:
        assert label in reasons, (label, reasons)


def test_the_persons_self_check_says_what_the_agency_still_needs_without_its_commands(web):
    c = web.client("geren")
    r = c.post("/person/check", data={**PERSON_2024, "csrf_token": c.headers["X-CSRF-Token"]}, headers=HTML)
    assert r.status_code == 200, r.text[:800]
    assert re.search(r"自测结果：<span[^>]*>无法判定</span>", r.text)
    _for_recipient(r.text, "需经办机构提供地区数据", RESERVE)


@pytest.mark.parametrize("signed_in", [None, "clerk"])
def test_the_public_checker_is_a_recipients_page_even_for_a_caseworker(web, signed_in):
    c = web.client(signed_in)
    r = c.post("/check", data={**UNIT_2024, "csrf_token": _check_token(c)}, headers=HTML)
    assert r.status_code == 200, r.text[:800]
    assert re.search(r"自测结果：<span[^>]*>无法判定</span>", r.text)
    _for_recipient(r.text, RESERVE, TARGET)
    # a check's label with a region figure not supplied: its Chinese name, not its placeholder
    assert f"裁员率不高于{TARGET}（文件未给出数值，须由经办机构提供）" in r.text


def _import_undeterminable(web: Any) -> int:
    """UNIT_A's 2024 稳岗返还 as the engine decided it (``wengang evaluate`` → ``case import``): 无法判定."""
    region, on, facts = _unit_facts(UNIT_2024)
    d = _evaluate("fanhuan", region, on, facts)
    assert d.status == "not_determinable" and any("--setting" in x for x in d.reasons)
    dec = decision_from_obj(json.loads(json.dumps(d.to_dict(), default=str)), facts=facts)
    assert dec.unit_id == UNIT_A and dec.year == 2024
    run = RunIn("fanhuan", 2024, "150500", {"s34pages": "d" * 64}, {"人社部发〔2024〕40号": "2024-01-01"})
    web.ledger.import_decisions(run, [dec], "clerk")
    did = web.ledger.find(program="fanhuan", year=2024, unit_id=UNIT_A)
    assert did is not None
    return did


def test_the_decision_page_keeps_the_hints_for_the_caseworker_and_not_for_the_unit(web):
    did = _import_undeterminable(web)
    office = web.client("clerk").get(f"/decisions/{did}", headers=HTML)
    assert office.status_code == 200
    reasons = _block(office.text, '<ul class="reasons">')
    assert "--setting fund_reserve_years=" in reasons and "（fund_reserve_years）" in reasons
    assert "max_layoff_rate" in office.text  # the explanation's placeholder, as the rules wrote it
    unit = web.client("danwei").get(f"/decisions/{did}", headers=HTML)
    assert unit.status_code == 200 and "无法判定" in unit.text
    _for_recipient(unit.text, RESERVE, TARGET)
