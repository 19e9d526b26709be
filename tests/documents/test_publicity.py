"""公示 list: refuses unreviewed records; XLSX and PDF carry title, masked codes, totals, period, 依据, 落款."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from wengang.documents.errors import DocumentError
from wengang.documents.publicity import (
    PublicityRecord,
    build_publicity,
    write_publicity_pdf,
    write_publicity_xlsx,
)

from .pdfread import pdf_metadata, pdf_text

CODE_A = "91150502MA0N1234XN"
CODE_B = "92150502MA0N5678Y1"
RECORDS = [
    {"unit_name": "通辽市某某有限公司", "credit_code": CODE_A, "amount_fen": 1234567, "review_passed": True},
    PublicityRecord("=科尔沁区某某商贸有限公司", CODE_B, 88800, True),
]
TITLE = "通辽市社会保险事业服务中心 2025年度失业保险稳岗返还拟发放名单公示"


def _build(records=RECORDS, **kw):
    args = dict(
        agency="通辽市社会保险事业服务中心", program="失业保险稳岗返还", year=2025, start=date(2025, 6, 3),
        days=5, end=date(2025, 6, 9), objection_channel="书面或电话方式向市社保中心失业保险科", objection_phone="0475-8123456",
        basis="内人社发〔2025〕18号", issued_on=date(2025, 6, 3),
    )
    args.update(kw)
    return build_publicity(records, **args)


def test_built() -> None:
    p = _build()
    assert p.title == TITLE and p.count == 2 and p.total_fen == 1234567 + 88800
    assert p.period_text == "公示期为5个工作日，自2025年6月3日至2025年6月9日。"


@pytest.mark.parametrize("flag", [False, None, "是", 1])
def test_refuses_records_not_marked_reviewed(flag) -> None:
    bad = {**RECORDS[0], "review_passed": flag}
    with pytest.raises(DocumentError, match="第2条记录（通辽市某某有限公司）未标记为复审通过"):
        _build([RECORDS[1], bad])


def test_refuses_missing_flag_and_empty_and_bad_amounts() -> None:
    rec = {k: v for k, v in RECORDS[0].items() if k != "review_passed"}
    with pytest.raises(DocumentError, match="未标记为复审通过"):
        _build([rec])
    with pytest.raises(DocumentError, match="没有可公示的记录"):
        _build([])
    with pytest.raises(DocumentError, match="金额应为正整数分"):
        _build([{**RECORDS[0], "amount_fen": 12.5}])
    with pytest.raises(DocumentError, match="统一社会信用代码"):
        _build([{**RECORDS[0], "credit_code": "9115"}])


def test_period() -> None:
    # N calendar days counting the first day, as the ledger's lists (session 41): 5 days from 6-03 end on 6-07
    assert _build(working_days=False, end=None).end == date(2025, 6, 7)
    with pytest.raises(DocumentError, match="早于开始日期"):
        _build(end=date(2025, 6, 1))


def test_working_days_without_calendar_needs_an_end(monkeypatch) -> None:
    import wengang.documents.publicity as mod

    monkeypatch.setattr(mod, "_add_working_days", lambda: None)
    with pytest.raises(DocumentError, match="请直接给出公示截止日期"):
        _build(end=None)
    monkeypatch.setattr(mod, "_add_working_days", lambda: lambda d, n: date(2025, 6, 10))
    assert _build(end=None).end == date(2025, 6, 10)


def test_xlsx(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_publicity_xlsx(_build(), tmp_path / "p.xlsx"))["公示名单"]
    assert ws["A1"].value == TITLE
    assert [c.value for c in ws[2]] == ["序号", "单位名称", "统一社会信用代码", "拟发放金额（元）"]
    assert ws["C3"].value == "911505**********XN" and ws["D3"].value == 12345.67
    assert ws["B4"].value == "=科尔沁区某某商贸有限公司" and ws["B4"].quotePrefix and ws["B4"].data_type == "s"
    assert ws["D6"].value == 1234567 + 88800  # control row in fen
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(CODE_A in str(v) or CODE_B in str(v) for v in values)
    text = "\n".join(str(v) for v in values)
    for needle in ("公示期为5个工作日", "0475-8123456", "依据：内人社发〔2025〕18号", "2025年6月3日", "壹万叁仟贰佰叁拾叁元陆角柒分"):
        assert needle in text


def test_pdf(tmp_path: Path) -> None:
    path = write_publicity_pdf(_build(), tmp_path / "p.pdf")
    text = pdf_text(path).replace("\n", "")
    assert "2025年度失业保险稳岗返还拟发放名单公示" in text and "通辽市社会保险事业服务中心" in text
    assert "911505**********XN" in text and CODE_A not in text and CODE_B not in text
    assert "12,345.67" in text and "13,233.67" in text and "壹万叁仟贰佰叁拾叁元陆角柒分" in text
    assert "自2025年6月3日至2025年6月9日" in text and "0475-8123456" in text
    assert "cjk-font=" in pdf_metadata(path)["/Keywords"]
