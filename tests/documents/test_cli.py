"""``wengang doc …`` through the main CLI."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from wengang.cli import app

from .pdfread import pdf_text

runner = CliRunner()


def test_rmb() -> None:
    result = runner.invoke(app, ["doc", "rmb", "12345.67"])
    assert result.exit_code == 0 and "壹万贰仟叁佰肆拾伍元陆角柒分" in result.output
    assert runner.invoke(app, ["doc", "rmb", "1.234"]).exit_code == 2


def _publicity(tmp_path: Path, passed) -> list[str]:
    records = tmp_path / "r.json"
    records.write_text(json.dumps([{"unit_name": "通辽市某某有限公司", "credit_code": "91150502MA0N1234XN",
                                    "amount_fen": 600000, "review_passed": passed}], ensure_ascii=False), "utf-8")
    return ["doc", "publicity", str(records), "--agency", "通辽市社会保险事业服务中心", "--program", "失业保险稳岗返还",
            "--year", "2025", "--start", "2025-06-03", "--end", "2025-06-09", "--channel", "书面", "--phone",
            "0475-8123456", "--basis", "内人社发〔2025〕18号", "--xlsx", str(tmp_path / "p.xlsx"), "--pdf",
            str(tmp_path / "p.pdf")]


def test_publicity(tmp_path: Path) -> None:
    result = runner.invoke(app, _publicity(tmp_path, True))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "p.xlsx")["公示名单"]["C3"].value == "911505**********XN"
    assert "拟发放名单公示" in pdf_text(tmp_path / "p.pdf")


def test_publicity_refuses_unreviewed(tmp_path: Path) -> None:
    result = runner.invoke(app, _publicity(tmp_path, False))
    assert result.exit_code == 2 and "未标记为复审通过" in result.output
    assert not (tmp_path / "p.xlsx").exists()


def test_bank_and_return(tmp_path: Path) -> None:
    batch = tmp_path / "b.json"
    batch.write_text(json.dumps({"batch_id": "B1", "date": "2025-09-01", "payer_account": "15001234567890123456",
                                 "payments": [{"payee_name": "张三", "account": "6217001234567890",
                                               "bank_code": "105191000011", "amount_fen": 198000,
                                               "reference": "UI-1"}]}, ensure_ascii=False), "utf-8")
    out = tmp_path / "pay.txt"
    result = runner.invoke(app, ["doc", "bank", str(batch), "--out", str(out), "--xlsx", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "p.xlsx").exists()
    ret = tmp_path / "ret.txt"
    ret.write_bytes("H|WGRET|1|B1|20250903|1|198000\r\nD|1|UI-1|失败|户名不符|6217001234567890|198000\r\nT|1|198000\r\n"
                    .encode("gb18030"))
    result = runner.invoke(app, ["doc", "bank-return", str(ret), "--batch", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bounced"][0]["reason"] == "户名不符"
    ret.write_bytes(ret.read_bytes().replace(b"T|1|198000", b"T|1|198001"))
    result = runner.invoke(app, ["doc", "bank-return", str(ret), "--batch", str(out)])
    assert result.exit_code == 2 and "控制总额" in result.output
