"""Session 42: an outside audit of the web service's edges, fixed as classes (docs/decisions.md §121).

1. a name registered over the web (``POST /api/v1/applications/skill-subsidy``, the person's page) is masked on the
   way in (``mask_text``, §28): a phone or ID number typed into it is never stored or shown in full;
2. the access log masks identifiers after URL-decoding (``%31%35…``, ``%2D``);
3. an error never echoes a full 统一社会信用代码 (§22: “error messages never echo them”);
4. results.xlsx: formula-looking text gets the quote-prefix style, its own text kept (§22);
5. HEAD works wherever GET does;
6. the Host header is not reflected into the pages' asset addresses;
7. a body that is not UTF-8 JSON, or nested too deep, is said in Chinese and English; /check names its own labels;
8. a run summary's missing size class is null; axe-core is not served; JSON bodies are capped; a unit or person gets
   the same 404 for another's decision as for a missing one.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text

from .conftest import PERSON, UNIT_A, UNIT_B

HTML = {"accept": "text/html,application/xhtml+xml"}
PHONE, OTHER_ID = "13812345678", "152301198505050024"


def _skill_facts(**kw):
    from wengang.web.demo import PERSON_FACTS

    return {**PERSON_FACTS, "occupation_code": "4-04-05-03", "occupation_name": "计算机网络管理员", **kw}


# ------------------------------------------------------------------ 1. names masked on the way in
def test_a_phone_or_id_typed_into_an_applications_name_is_stored_masked(web):
    clerk = web.client("clerk")
    r = clerk.post("/api/v1/applications/skill-subsidy",
                   json={"facts": _skill_facts(id_number=OTHER_ID, name=f"李四{PHONE} 身份证{OTHER_ID}")})
    assert r.status_code == 201, r.text
    did = r.json()["decision_id"]
    stored = web.ledger.decision(did)["unit_name"]
    assert PHONE not in stored and OTHER_ID not in stored and stored.startswith("李四138****5678")
    for body in (clerk.get(f"/api/v1/decisions/{did}").text, clerk.get("/api/v1/decisions").text,
                 clerk.get(f"/decisions/{did}", headers=HTML).text):
        assert PHONE not in body and f"身份证{OTHER_ID}" not in body


def test_a_nameless_application_does_not_store_the_id_number_as_its_name(web):
    facts = _skill_facts(id_number=OTHER_ID)
    facts.pop("name")
    r = web.client("clerk").post("/api/v1/applications/skill-subsidy", json={"facts": facts})
    assert r.status_code == 201, r.text
    assert web.ledger.decision(r.json()["decision_id"])["unit_name"] == "1523**********0024"


def test_the_persons_page_masks_the_name_it_registers(web):
    from .test_web_pages import PERSON_FORM

    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_credentials set display_name = :n where login = 'geren'"), {"n": f"张三{PHONE}"})
    c = web.client("geren")
    r = c.post("/person/apply", data={**PERSON_FORM, "csrf_token": c.headers["X-CSRF-Token"]}, headers=HTML,
               follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    did = web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5")
    assert web.ledger.decision(did)["unit_name"] == "张三138****5678"


# ------------------------------------------------------------------ 2. the access log masks after decoding
def _logged(address: str) -> str:
    import logging

    from wengang.web.errors import MaskedAccessLog

    rec = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                            ("127.0.0.1:1", "GET", address, "1.1", 200), None)
    MaskedAccessLog().filter(rec)
    return rec.getMessage()


def test_the_access_log_masks_percent_encoded_identifiers():
    encoded = "".join(f"%{ord(c):02X}" for c in PERSON)
    for address in (f"/api/v1/decisions?unit={encoded}", "/api/v1/decisions?unit=152301%2D199001010015",
                    "/api/v1/decisions?unit=152301%20199001010015", f"/api/v1/decisions?unit=%25{ord('1'):02X}52301199001010015",
                    "/decisions?unit=9115%2D0502MA0N1234XN", f"/x?phone=138%2D1234%2D5678&u={UNIT_A[:4]}%2d{UNIT_A[4:]}"):
        line = _logged(address)
        assert "1523**********0015" in line or "911505**********XN" in line, line
        assert "199001010015" not in line and "0502MA0N1234" not in line and "1234-5678" not in line, line
    # the decoded form is what is logged; a line break decoded is written escaped, not as a new line
    assert _logged("/api/v1/policies?q=%E7%A8%B3%0A").endswith('"GET /api/v1/policies?q=稳\\x0a HTTP/1.1" 200')
    # dates, ids and routes stay as they are
    assert "/api/v1/decisions/12?date=2025-08-01" in _logged("/api/v1/decisions/12?date=2025-08-01")


# ------------------------------------------------------------------ 3. no full credit code in an error
BAD_CODE = "91150502MA0N1235XX"  # a wrong check character


def test_an_error_never_echoes_a_full_credit_code(web):
    import json

    from .test_web_api import EXAMPLE

    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for code in (BAD_CODE, "9115 0502 MA0N 1235 XX", "91150502-MA0N1235XX"):
        r = web.client("clerk").post("/api/v1/evaluate", json={"facts": {**facts, "credit_code": code}})
        assert r.status_code == 422, r.text
        body = r.json()
        assert "校验码错误" in body["message_zh"] and "911505**********XX" in body["message_zh"], body
        assert "0502MA0N1235" not in r.text.replace(" ", "").replace("-", ""), r.text


def test_the_public_checker_masks_the_credit_code_in_its_error(web):
    from .test_web_pages import CHECK, _check_token

    c = web.client()
    r = c.post("/check", data={**CHECK, "credit_code": BAD_CODE, "csrf_token": _check_token(c)}, headers=HTML)
    assert r.status_code == 422
    error = r.text.split('<form', 1)[0]  # the refusal, above the form (which keeps what was typed)
    assert "911505**********XX" in error and BAD_CODE not in error


# ------------------------------------------------------------------ 4 and 8(a). a web screening run's files
HOSTILE = ['=HYPERLINK("http://evil.example/","点击")有限公司', "+1+1", "-2+3", "@SUM(A1)"]


def test_a_web_runs_results_xlsx_quotes_formula_text_and_its_summary_says_null_for_no_size_class(web, tmp_path):
    import openpyxl
    import polars as pl

    from wengang.screening.demo_data import generate_region

    region = tmp_path / "region"
    generate_region(region, region_code="150500", n_units=30, year=2024, seed=3)
    table = next((region / "units").rglob("*.parquet"))
    units = pl.read_parquet(table)
    names = HOSTILE + units["name"].to_list()[len(HOSTILE):]
    units.with_columns(pl.Series("name", names)).write_parquet(table)
    web.app.state.config.data_folders = {"通辽": str(region)}
    clerk = web.client("clerk")
    r = clerk.post("/api/v1/screening/runs", json={"folder": "通辽", "date": "2024-09-30", "region": "150500"})
    assert r.status_code == 202, r.text
    jid = r.json()["id"] if "id" in r.json() else r.json()["job_id"]
    for _ in range(600):
        job = clerk.get(f"/api/v1/screening/runs/{jid}").json()
        if job["state"] in ("done", "failed"):
            break
        __import__("time").sleep(0.1)
    assert job["state"] == "done", job
    sizes = [s["size_class"] for s in job["summary"]["summary"]["by_size_class"]]
    assert None in sizes and "None" not in sizes, sizes
    xlsx = clerk.get(f"/api/v1/screening/runs/{jid}/files/results.xlsx")
    assert xlsx.status_code == 200
    (tmp_path / "results.xlsx").write_bytes(xlsx.content)
    ws = openpyxl.load_workbook(tmp_path / "results.xlsx").active
    header = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(header) if "名称" in str(h) or h == "name")
    cells = {str(row[col].value): row[col] for row in ws.iter_rows(min_row=2)}
    for name in HOSTILE:
        cell = cells.get(name)
        assert cell is not None and cell.quotePrefix and cell.data_type == "s", (name, sorted(cells)[:8])
    plain = next(c for v, c in cells.items() if v.startswith("通辽示范"))
    assert not plain.quotePrefix


# ------------------------------------------------------------------ 5. HEAD wherever GET is served
def test_head_works_wherever_get_does(web):
    anonymous, clerk = web.client(), web.client("clerk")
    for c, path in ((anonymous, "/healthz"), (anonymous, "/"), (anonymous, "/login"), (anonymous, "/check"),
                    (anonymous, "/api/v1/docs"), (anonymous, "/policies"), (anonymous, "/static/wengang.css"),
                    (clerk, "/dashboard"), (clerk, "/api/v1/decisions"), (clerk, f"/decisions/{web.ids[UNIT_A]}")):
        head, get = c.head(path, follow_redirects=False), c.get(path, follow_redirects=False)
        assert head.status_code == get.status_code == 200, (path, head.status_code, head.text)
        assert head.content == b"" and head.headers["content-length"] == get.headers["content-length"], path
        assert head.headers["content-type"] == get.headers["content-type"], path
    # the role check is the GET's: anonymous is sent to sign in, a unit refused the office's page
    assert anonymous.head("/api/v1/decisions").status_code == 401
    assert web.client("danwei").head("/dashboard").status_code == 403
    assert anonymous.head("/logout").status_code == 405  # POST only


# ------------------------------------------------------------------ 6. no Host header reflected
def test_the_host_header_is_not_reflected_into_pages(web):
    c = web.client()
    for path in ("/login", "/check", "/", "/policies", "/api/v1/docs"):
        r = c.get(path, headers={"host": "evil.example"})
        assert r.status_code == 200 and "evil.example" not in r.text, path
        assert 'href="/static/wengang.css"' in r.text, path
    # nor into a redirect (a trailing slash was redirected to http://evil.example/policies)
    r = c.get("/policies/", headers={"host": "evil.example"}, follow_redirects=False)
    assert "evil.example" not in r.headers.get("location", "") and r.status_code == 404


# ------------------------------------------------------------------ 7. bodies that cannot be read; the form's labels
def test_a_body_that_is_not_utf8_json_is_said_in_chinese_and_english(web):
    c = web.client("clerk")
    for content in (b'{"facts": {"name": "\xff\xfe"}}', b"\xef\xbb\xbf" + b'{"facts": {}}'.replace(b"{}", b'{"a": "\xc3"}')):
        r = c.post("/api/v1/evaluate", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["code"] == "invalid_json", r.text
        assert r.json()["message_zh"].startswith("请求体不是有效的 UTF-8 JSON") and "UTF-8" in r.json()["message_en"]
    deep = b'{"facts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = c.post("/api/v1/evaluate", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_json", r.text
    assert "嵌套层数过多" in r.json()["message_zh"] and "nested too deeply" in r.json()["message_en"]
    assert "There was an error" not in r.text


@pytest.mark.parametrize(("field", "value", "label"), [
    ("paid_premium_last_year_yuan", "1e5", "上年度实际缴纳失业保险费（元）"),
    ("paid_premium_last_year_yuan", "-5", "上年度实际缴纳失业保险费（元）"),
    ("credit_code", "123", "统一社会信用代码"),
])
def test_the_public_checker_names_its_own_fields(web, field, value, label):
    from .test_web_pages import CHECK, _check_token

    c = web.client()
    r = c.post("/check", data={**CHECK, field: value, "csrf_token": _check_token(c)}, headers=HTML)
    assert r.status_code == 422
    error = html.unescape(r.text.split("<form", 1)[0])
    assert f"“{label}”" in error, error[-800:]
    assert "_fen" not in error and "表头" not in error and f"字段 {field}" not in error


@pytest.mark.parametrize(("field", "value", "label"), [
    ("certificate_issue_date", "2025-13-01", "发证日期"), ("occupation_code", "", "职业（工种）编码"),
])
def test_the_persons_page_names_its_own_fields(web, field, value, label):
    from .test_web_pages import PERSON_FORM

    c = web.client("geren")
    r = c.post("/person/check", data={**PERSON_FORM, field: value, "csrf_token": c.headers["X-CSRF-Token"]},
               headers=HTML)
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert f"“{label}”：" in text and f"字段 {field}" not in text


# ------------------------------------------------------------------ 8(c). axe-core is not served
def test_axe_core_is_not_served(web):
    assert web.client().get("/static/vendor/axe-core/axe.min.js").status_code == 404
    assert web.client("admin").get("/static/vendor/axe-core/axe.min.js").status_code == 404


# ------------------------------------------------------------------ 8(d). JSON bodies are capped
def test_a_json_body_over_its_cap_is_refused_while_uploads_keep_theirs(web):
    from wengang.web.config import WebConfig

    assert WebConfig().max_json_bytes == 10 * 1024**2 and WebConfig().max_upload_bytes == 2 * 1024**3
    c = web.client("clerk")
    big = b'{"facts": {"name": "' + b"x" * (10 * 1024**2) + b'"}}'
    for headers in ({"content-type": "application/json"}, {}):  # FastAPI reads a body without a type as JSON too
        r = c.post("/api/v1/evaluate", content=big, headers=headers)
        assert r.status_code == 413 and r.json()["code"] == "too_large", r.text[:300]
        assert r.json()["message_zh"].startswith("请求体超过上限 10 MB") and "10 MB" in r.json()["message_en"]
    r = c.post("/api/v1/evaluate", content=iter([big[:6 * 1024**2], big[6 * 1024**2:]]),
               headers={"content-type": "application/json"})  # chunked: counted as it arrives
    assert r.status_code == 413
    # a multipart body to a route that takes no file is held to the JSON cap (not the upload limit)
    r = c.post("/api/v1/evaluate", files={"facts": ("f.json", big, "application/json")})
    assert r.status_code == 413 and r.json()["code"] == "too_large", r.text[:300]
    # an upload over 10 MB is still taken (its own limit)
    csv = b"credit_code,name\n" + b"91150502MA0N1234XN,x\n" * 600_000
    assert len(csv) > 10 * 1024**2
    r = c.post("/api/v1/screening/uploads", files={"units": ("units.csv", csv, "text/csv")})
    assert r.status_code == 201, r.text[:300]


# ------------------------------------------------------------------ 8(b). another's decision: as a missing one
def _page(text: str, did: int) -> str:
    """A page with its decision id and its form tokens left out."""
    text = re.sub(r'(name="csrf_token" value=)"[^"]*"', r"\1", text)
    return re.sub(rf"(?<![\w-]){did}(?![\w-])", "N", text)


@pytest.mark.parametrize(("login", "own_id"), [("danwei", UNIT_A), ("geren", PERSON)])
def test_a_unit_or_person_gets_the_same_404_for_anothers_decision_as_for_a_missing_one(web, login, own_id):
    c = web.client(login)
    other = web.ids[UNIT_B]
    missing = max(web.ids.values()) + 1000
    for method, path, kw in (("GET", "/api/v1/decisions/{}", {}), ("GET", "/api/v1/decisions/{}/explanation", {}),
                             ("POST", "/api/v1/decisions/{}/confirm", {"json": {}}),
                             ("POST", "/api/v1/decisions/{}/decline", {"json": {}})):
        a = c.request(method, path.format(other), **kw)
        b = c.request(method, path.format(missing), **kw)
        assert a.status_code == b.status_code == 404, (path, a.text, b.text)
        assert a.json() == {**b.json(), "message_zh": b.json()["message_zh"].replace(str(missing), str(other)),
                            "message_en": b.json()["message_en"].replace(str(missing), str(other))}
    token = c.headers["X-CSRF-Token"]
    for method, path, kw in (("GET", "/decisions/{}", {}),
                             ("POST", "/decisions/{}/confirm", {"data": {"csrf_token": token, "agree": "yes"}}),
                             ("POST", "/decisions/{}/decline", {"data": {"csrf_token": token}})):
        a = c.request(method, path.format(other), headers=HTML, follow_redirects=False, **kw)
        b = c.request(method, path.format(missing), headers=HTML, follow_redirects=False, **kw)
        assert a.status_code == b.status_code == 404, (path, a.status_code, b.status_code)
        assert _page(a.text, other) == _page(b.text, missing), path
    assert web.ledger.decision(other)["state"] == "notified"  # nothing changed
    assert c.get(f"/api/v1/decisions/{web.ids[own_id]}").status_code == 200  # its own is read
    assert web.client("clerk").get(f"/api/v1/decisions/{other}").status_code == 200  # operators read every one
