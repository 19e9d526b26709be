"""Session 39 web audit, finding 1: a screening started from ``/screening`` can be given the region settings
(``wengang screen --setting 名称=取值``) the region lacks; the page names the lacking ones; a text two reason codes
share (``?layoff`` and ``?fund_reserve``: the same missing region figures) is shown once per row and once in the
原因 filter list."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import pytest

from wengang.web import jobs

HTML = {"accept": "text/html,application/xhtml+xml"}
WAIT = "需经办机构提供地区数据"
SETTINGS = "max_layoff_rate=5.5%\nfund_reserve_years=1.5"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wengang.screening.demo_data import generate_region

    out = tmp_path_factory.mktemp("s39-region")
    generate_region(out, region_code="150500", n_units=60, year=2024, seed=3)
    return out


@pytest.fixture
def folder(web: Any, region: Path) -> str:
    web.app.state.config.data_folders = {"通辽": str(region)}
    return "通辽"


def _start(web: Any, folder: str, settings: dict[str, str]) -> int:
    params = {"folder": folder, "date": "2024-09-30", "program": "fanhuan", "year": None, "region": "150500",
              "readings": {"fanhuan.size_class_where_silent": "standard_2017"}, "settings": settings}
    jid = jobs.start(web.ledger, web.app.state.config, params, "clerk", wait=True)
    assert jobs.job(web.ledger, jid)["state"] == "done", jobs.job(web.ledger, jid)
    return jid


def _post(client: Any, folder: str, settings: str) -> Any:
    return client.post("/screening", headers=HTML, follow_redirects=False, data={
        "csrf_token": client.headers["X-CSRF-Token"], "folder": folder, "date": "2024-09-30", "region": "150500",
        "readings": "fanhuan.size_class_where_silent=standard_2017", "settings": settings})


def _done(web: Any, jid: int) -> dict[str, Any]:
    for _ in range(600):
        job = jobs.job(web.ledger, jid)
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"screening run {jid} did not finish")


def test_form_has_a_labelled_region_settings_field(web, folder):
    text = web.client("clerk").get("/screening", headers=HTML).text
    assert re.search(r'<label for="settings">地区设置', text) and '<textarea id="settings" name="settings"' in text
    assert "max_layoff_rate=5.5%" in text and "--setting" in text  # how to write one, as the CLI takes it


@pytest.mark.parametrize(("settings", "says"), [
    ("max_layoff_rate=5.5", "第 1 行（max_layoff_rate=5.5）不予采用"),  # a percent needs its %
    ("fund_reserve_years=1.5\nmax_layoff_rat=5.5%", "第 2 行（max_layoff_rat=5.5%）不予采用：未知的"),
    ("max_layoff_rate 5.5%", "第 1 行应写成“名称=取值”"),
])
def test_a_bad_setting_is_refused_naming_its_line_and_no_run_starts(web, folder, settings, says):
    before = len(jobs.jobs(web.ledger))
    r = _post(web.client("clerk"), folder, settings)
    assert r.status_code == 422 and says in html.unescape(r.text), r.text[-1500:]
    assert len(jobs.jobs(web.ledger)) == before


def test_the_api_refuses_a_bad_setting_before_a_run_starts(web, folder):
    before = len(jobs.jobs(web.ledger))
    r = web.client("clerk").post("/api/v1/screening/runs", json={
        "folder": folder, "date": "2024-09-30", "settings": {"max_layoff_rate": "5.5"}})
    assert r.status_code == 422 and "地区设置有误" in r.text and "max_layoff_rate" in r.text, r.text
    assert len(jobs.jobs(web.ledger)) == before


def test_settings_given_on_the_form_reach_the_screening(web, folder):
    r = _post(web.client("clerk"), folder, SETTINGS)
    assert r.status_code == 303, r.text
    jid = int(r.headers["location"].split("/")[-1].split("?")[0])
    job = _done(web, jid)
    assert job["state"] == "done", job
    assert job["params"]["settings"] == {"max_layoff_rate": "5.5%", "fund_reserve_years": "1.5"}
    assert not any(WAIT in r["text"] for r in job["summary"]["summary"]["by_reason"])
    page = web.client("clerk").get(f"/screening/{jid}", headers=HTML).text
    assert "地区设置：max_layoff_rate=5.5%；fund_reserve_years=1.5" in page and "缺少以下地区设置" not in page


def test_run_page_names_the_lacking_settings_and_shows_a_shared_reason_once(web, folder):
    jid = _start(web, folder, {})
    by_reason = jobs.job(web.ledger, jid)["summary"]["summary"]["by_reason"]
    codes = {r["code"] for r in by_reason if r["text"].startswith(WAIT)}
    assert codes == {"?layoff", "?fund_reserve"}  # the audit's case: two codes, one text
    clerk = web.client("clerk")
    text = html.unescape(clerk.get(f"/screening/{jid}", headers=HTML).text)
    assert "所选地区缺少以下地区设置" in text
    assert "（max_layoff_rate）</li>" in text and "（fund_reserve_years）</li>" in text
    assert f'href="/screening?from={jid}"' in text
    # the 原因 list: the shared text once
    select = text.split('<select id="f-reason"', 1)[1].split("</select>", 1)[0]
    assert select.count(WAIT) == 1
    # each row: the text once, though the row has both codes
    rows = text.split("<tbody>")[-1].split("</tbody>")[0].split("<tr>")[1:]
    assert rows and all(r.count(WAIT) <= 1 for r in rows)
    assert any(WAIT in r for r in rows)
    # the one choice selects every unit waiting for the figures, by either code
    code = re.search(r'<option value="([^"]+)">' + WAIT, select).group(1)
    both = clerk.get(f"/screening/{jid}", params={"reason": code}, headers=HTML).text
    n = int(re.search(r"符合筛选的 (\d+) 个单位", both).group(1))
    assert n == sum(1 for r in jobs.results(web.ledger, jid, status=None, reason=list(codes), size_class=None,
                                             region=None, page=1, page_size=1000)["items"])
    assert n == 60


def test_form_from_a_run_prefills_it_and_lists_what_the_region_lacks(web, folder):
    jid = _start(web, folder, {"max_layoff_rate": "5.5%"})
    text = html.unescape(web.client("clerk").get("/screening", params={"from": jid}, headers=HTML).text)
    missing = text.split('id="settings-missing"', 1)[1].split("</div>", 1)[0]
    assert "fund_reserve_years=1.5" in missing and "（fund_reserve_years）" in missing
    assert "max_layoff_rate" not in missing  # given on that run
    assert 'value="2024-09-30"' in text and 'value="150500"' in text
    assert re.search(r'<textarea id="settings"[^>]*>max_layoff_rate=5.5%</textarea>', text)
    assert '<option value="通辽" selected>' in text


# ------------------------------------------------------------------ finding 2: 公示 only where the document has one
def _approve_skill_subsidy(web: Any) -> int:
    from tests.casework.ledger_helpers import approve_applied_accounts

    from .conftest import PERSON

    led, did = web.ledger, web.ids[PERSON]
    approve_applied_accounts(led)
    assert led.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert led.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    return did


def test_publicity_page_does_not_offer_a_program_without_a_publicity_step(web):
    _approve_skill_subsidy(web)
    text = html.unescape(web.client("clerk").get("/publicity", headers=HTML).text)
    assert "复审通过、待公示" not in text and "没有复审通过待公示的决定" in text
    assert "该项目无公示环节，复审通过后即可发放：技能提升补贴 2025 年度 1 个" in text
    assert '<select id="pub-program"' not in text  # no form the ledger would refuse (no_publicity_step)


# ------------------------------------------------------------------ finding 3: display names, not logins
def test_pages_name_operators_by_their_display_names(web, folder):
    did = _approve_skill_subsidy(web)
    clerk = web.client("clerk")
    text = clerk.get(f"/decisions/{did}", headers=HTML).text
    reviews = text.split("<h2>审核记录</h2>", 1)[1].split("</table>", 1)[0]
    assert '<td><span title="登录名 clerk">张经办</span></td>' in reviews and ">李复核</span></td>" in reviews and "<td>clerk</td>" not in reviews
    history = text.split("办理记录（审计事件）", 1)[1].split("</table>", 1)[0]
    assert '<td><span title="登录名 clerk">张经办</span></td>' in history and "<td>clerk</td>" not in history
    jid = _start(web, folder, {})
    assert '<td><span title="登录名 clerk">张经办</span></td>' in clerk.get("/screening", headers=HTML).text
    assert '发起人 <span title="登录名 clerk">张经办</span>' in clerk.get(f"/screening/{jid}", headers=HTML).text
    # a unit is told only that the office reviewed (unchanged)
    from .conftest import UNIT_A

    unit = web.client("danwei").get(f"/decisions/{web.ids[UNIT_A]}", headers=HTML).text
    assert "张经办" not in unit and "clerk" not in unit
