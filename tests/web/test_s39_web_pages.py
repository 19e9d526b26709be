"""Session 39 outside web audit (aud6): the person's refused application, uploading a bank return on /bank-files,
upload size limits, error pages without server paths or bare codes, the payer account label, and the level name
in 我的申请."""

from __future__ import annotations

import re

from sqlalchemy import select

from wengang.casework.models import PaymentReturn

from .conftest import PERSON
from .test_web_pages import PERSON_FORM

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_a_refused_application_says_it_was_not_registered_and_what_to_change(web):
    c = web.client("geren")
    data = {**PERSON_FORM, "urgent_occupation": "", "csrf_token": c.headers["X-CSRF-Token"]}
    r = c.post("/person/apply", data=data, headers=HTML, follow_redirects=False)
    assert r.status_code == 422, r.text[:800]
    assert "申请未登记" in r.text
    assert "不清楚" in r.text and "请修改" in r.text
    assert "自测结果" not in r.text  # it was an application, not a self-check
    assert web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5") is None
    # the self-check with the same facts is still a self-check
    r = c.post("/person/check", data=data, headers=HTML)
    assert "自测结果" in r.text and "申请未登记" not in r.text


def _sent_w1(web, tmp_path):
    """UNIT_A's decision paid in batch W1 and written to bank file W1 (through the API); its one payment."""
    from wengang.documents.bank import read_bank_file

    from .test_web_casework_api import BANK, PAYER, _key, _to_publicized

    did = _to_publicized(web)
    cashier = web.client("cashier")
    batch = {"batch_key": "W1", "program": "fanhuan", "year": 2025, "today": "2025-11-01"}
    assert cashier.post("/api/v1/payments/batches", json=batch, headers=_key("pay-W1")).status_code == 201
    cashier.post("/api/v1/payee-banks", json={"banks": [{"account_no": "6222000011112222333", "bank_code": BANK}]})
    r = cashier.post("/api/v1/payments/batches/W1/bank-file", json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers=_key("bf-1"))
    assert r.status_code == 201, r.text
    (tmp_path / "W1.txt").write_bytes(cashier.get(r.json()["files"]["txt"]).content)
    return did, read_bank_file(tmp_path / "W1.txt").payments[0]


def test_the_bank_return_is_uploaded_on_the_bank_files_page(web, tmp_path):
    from datetime import date

    from wengang.documents.bank import ReturnRecord, write_return_file

    did, p = _sent_w1(web, tmp_path)
    cashier = web.client("cashier")
    page = cashier.get("/bank-files", headers=HTML).text
    assert 'action="/bank-files/returns"' in page and 'enctype="multipart/form-data"' in page
    # a 经办 does not record the bank's answer (POST /api/v1/bank-returns: the same role)
    assert 'action="/bank-files/returns"' not in web.client("clerk").get("/bank-files", headers=HTML).text
    ret = write_return_file("W1", date(2025, 11, 2), [ReturnRecord(p.reference, False, p.amount_fen, p.account,
                                                                   "账户已销户")], tmp_path / "ret.txt")
    lf = ret.read_bytes().replace(b"\r\n", b"\n")  # saved by an editor with bare LF: still taken
    form = {"csrf_token": cashier.headers["X-CSRF-Token"]}
    files = {"file": ("ret.txt", lf, "text/plain")}
    del cashier.headers["X-CSRF-Token"]  # the page's form carries it as a field, like a browser
    r = cashier.post("/bank-files/returns", data=form, files=files, headers=HTML)
    assert r.status_code == 200, r.text[:1500]
    assert "回盘已处理" in r.text and "登记退回 1 笔" in r.text and "账户已销户" in r.text
    assert web.ledger.decision(did)["state"] == "bounced"
    # the same file again: the stored result, nothing recorded twice
    r = cashier.post("/bank-files/returns", data=form, files=files, headers=HTML)
    assert r.status_code == 200 and "本次未重复登记" in r.text
    assert len(web.ledger.read(select(PaymentReturn.__table__.c.id))) == 1
    # a file that is not a return file: refused whole, in Chinese
    r = cashier.post("/bank-files/returns", data=form, files={"file": ("x.txt", b"not a return", "text/plain")},
                     headers=HTML)
    assert r.status_code == 422 and "银行文件" in r.text
    # a 经办 may not post it
    clerk = web.client("clerk")
    r = clerk.post("/bank-files/returns", files=files, headers=HTML)
    assert r.status_code == 403


def test_an_error_page_shows_no_server_path_and_the_code_only_for_support(web):
    cashier = web.client("cashier")
    form = {"csrf_token": cashier.headers.pop("X-CSRF-Token")}
    r = cashier.post("/bank-files/returns", data=form, files={"file": ("x.txt", b"not a return", "text/plain")},
                     headers=HTML)
    assert r.status_code == 422
    assert "CRLF" in r.text and "return.txt" in r.text
    assert "/tmp/" not in r.text and "wengang-return-" not in r.text  # the server's temporary copy
    assert "错误代码" not in r.text and re.search(r"<small>（代码 <code>document_refused</code>）</small>", r.text)
    # a role refused: the Chinese reason first, the code small after it
    r = web.client("clerk").get("/queues/payment", headers=HTML)
    assert r.status_code == 403 and r.text.index("不能访问此功能") < r.text.index("（代码 <code>role_refused")


def test_a_message_naming_a_file_in_the_work_dir_says_it_relative_to_it(web):
    from types import SimpleNamespace

    from wengang.web.errors import without_server_paths

    work = web.app.state.config.work_path
    req = SimpleNamespace(app=web.app)
    msg = f"无法读取 {work}/runs/ab12/results.parquet：文件已损坏；见 /api/v1/screening/runs"
    assert without_server_paths(req, msg) == "无法读取 runs/ab12/results.parquet：文件已损坏；见 /api/v1/screening/runs"


def test_an_upload_over_the_limit_is_refused_with_413_and_keeps_nothing(template, tmp_path):
    import shutil

    from wengang.casework import Ledger

    from .conftest import serve

    src, ids = template
    shutil.copy(src, tmp_path / "ledger.db")
    led = Ledger.open(f"sqlite:///{tmp_path}/ledger.db")
    try:
        small = serve(led, ids, tmp_path, max_upload_bytes=4096)
        clerk = small.client("clerk")
        big = b"credit_code,name\n" + b"91150502MA0N1234XN,x\n" * 1000
        r = clerk.post("/api/v1/screening/uploads", files={"units": ("units.csv", big, "text/csv")})
        assert r.status_code == 413 and r.json()["code"] == "too_large", r.text
        assert r.json()["message_zh"].startswith("上传内容超过上限 4 KB")
        uploads = tmp_path / "web" / "uploads"
        assert not uploads.exists() or not any(uploads.iterdir())
        # chunked (no Content-Length): counted as it arrives
        r = clerk.post("/api/v1/screening/uploads", content=iter([big[:3000], big[3000:]]),
                       headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code == 413
        # a page says it in Chinese
        cashier = small.client("cashier")
        form = {"csrf_token": cashier.headers.pop("X-CSRF-Token")}  # read from the form: the body is read there
        r = cashier.post("/bank-files/returns", data=form, files={"file": ("ret.txt", big, "text/plain")},
                         headers=HTML)
        assert r.status_code == 413 and "上传内容超过上限 4 KB，未保存" in r.text
        # a JSON body too (FastAPI parses it itself: it had answered 400 “There was an error parsing the body”)
        r = clerk.post("/api/v1/publicity/lists", json={"list_key": "x" * 5000, "program": "fanhuan", "year": 2025})
        assert r.status_code == 413 and r.json()["code"] == "too_large", r.text
        # under the limit: kept, copied whole
        r = clerk.post("/api/v1/screening/uploads", files={"units": ("units.csv", big[:2000], "text/csv")})
        assert r.status_code == 201, r.text
        folder = r.json()["folder"].removeprefix("upload-")
        assert (uploads / folder / "units.csv").read_bytes() == big[:2000]
    finally:
        led.close()


def test_a_refused_upload_leaves_no_folder(web):
    clerk = web.client("clerk")
    r = clerk.post("/api/v1/screening/uploads", files={"units": ("units.exe", b"MZ....", "application/octet-stream")})
    assert r.status_code == 422 and "parquet、csv 或 xlsx" in r.json()["message_zh"]
    uploads = web.app.state.config.work_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not [f for f in clerk.get("/api/v1/screening/folders").json() if f["name"].startswith("upload-")]


def test_the_upload_limit_is_a_documented_setting(monkeypatch):
    from pathlib import Path

    from wengang.web.config import WebConfig

    assert WebConfig().max_upload_bytes == 2 * 1024**3
    monkeypatch.setenv("WENGANG_MAX_UPLOAD_MB", "100")
    assert WebConfig.from_env(secret_key="k").max_upload_bytes == 100 * 1024**2
    docs = (Path(__file__).parents[2] / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "WENGANG_MAX_UPLOAD_MB" in docs and "2 GiB" in docs


def test_the_payer_account_is_not_called_optional_when_the_region_has_none(web):
    from .test_web_casework_api import BANK, _key, _to_publicized

    _to_publicized(web)
    cashier = web.client("cashier")
    batch = {"batch_key": "W1", "program": "fanhuan", "year": 2025, "today": "2025-11-01"}
    assert cashier.post("/api/v1/payments/batches", json=batch, headers=_key("pay-W1")).status_code == 201
    cashier.post("/api/v1/payee-banks", json={"banks": [{"account_no": "6222000011112222333", "bank_code": BANK}]})
    page = cashier.get("/bank-files", headers=HTML).text
    assert "可空" not in page and "本地区未配置，必填" in page and "地区未配置付款账号，须填写" in page
    assert re.search(r'<input id="bf-payer"[^>]* required', page)
    r = cashier.post("/bank-files", data={"batch_key": "W1", "payer_account": "", "value_date": "2025-11-01"},
                     headers=HTML)
    assert r.status_code == 422
    assert "本地区未配置付款账号" in r.text and "region_data" not in r.text and "agency:" not in r.text


def test_my_applications_show_the_occupation_code_and_the_level_name(web):
    page = web.client("geren").get("/person", headers=HTML).text
    mine = page[page.index("我的申请"):page.index("</table>")]
    assert "6-31-01-03 中级（四级）" in mine and "6-31-01-03:4" not in mine


def test_a_failed_runs_message_names_files_relative_to_the_work_dir(tmp_path, monkeypatch):
    from wengang.web.errors import scrub_paths

    monkeypatch.chdir(tmp_path)
    (tmp_path / "wengang-web" / "uploads" / "ab12").mkdir(parents=True)
    msg = f"读取 {tmp_path}/wengang-web/uploads/ab12/units.csv 失败；临时文件 /tmp/wengang-x1/return.txt"
    assert scrub_paths(msg, "wengang-web") == "读取 uploads/ab12/units.csv 失败；临时文件 return.txt"
