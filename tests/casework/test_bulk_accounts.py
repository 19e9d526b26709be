"""Payee accounts registered from a file (免申即享: the 税务's data) and approved in bulk by a second person, through the
CLI, on SQLite and PostgreSQL: bad rows refused with their row number, good rows kept, counts that reconcile, never
approved by the requester, and the approved accounts paid."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from ledger_helpers import DEADLINE, RUN, STAFF, TODAY, decision, register_staff
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.casework.models import AuditEvent

runner = CliRunner()


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | {"dual": (["出纳", "复核"], "双岗")})  # may request and approve
    yield led
    led.close()


def _url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def case(db, *args: str, code: int = 0) -> str:
    r = runner.invoke(case_app, [*args, "--db", _url(db)])
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return re.sub(r"\s+", " ", r.output)


def without_accounts(ledger, n: int) -> list[int]:
    """n decisions imported with no account, carried to 公示 (payable once an account is approved)."""
    from datetime import date

    ledger.import_decisions(RUN, [decision(i, account_no=None) for i in range(n)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(n)]
    ledger.confirm_many(ids, "clerk", today=TODAY)
    ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过")
    ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    return ids


def test_a_file_of_accounts_requested_then_approved_in_bulk_then_paid(ledger, db, tmp_path):
    ids = without_accounts(ledger, 4)
    units = [ledger.decision(i)["unit_id"] for i in ids]
    names = [ledger.decision(i)["unit_name"] for i in ids]
    f = tmp_path / "税务账户.csv"
    # GBK, as agencies export it; full-width header brackets and a required marker are read as elsewhere
    f.write_bytes(
        "\n".join(
            [
                "统一社会信用代码,＊账号,户名,开户行行号",
                f"{units[0]},6222 0200 0000 0001,{names[0]},102191000019",
                f"{units[1]},6222020000000002,{names[1]},",
                f"{units[2]},12AB,{names[2]},",  # not an account number: refused, row 3
                f"{units[3]},6222020000000004,另一家公司,",  # the holder is not the unit: refused, row 4
                "91150100MA99999999,6222020000000005,,",  # no such decision: refused, row 5
                f"{units[0]},6222020000000001,,102191000019",  # row 1 again: refused as a repeat, row 6
            ]
        ).encode("gbk") + b"\n"  # every line ends (a last line without an end may be a cut file: its row refused)
    )
    out = case(
        db,
        "set-account",
        "--file",
        str(f),
        "--program",
        "fanhuan",
        "--year",
        "2025",
        "--reason",
        "免申即享：税务部门提供的缴费账户",
        "-u",
        "dual",
        code=1,
    )
    assert "共 6 行，已申请 2 个、拒绝 4 个" in out and "6 rows: 2 requested, 4 refused" in out
    assert "第 3 行：账号“12AB”应为6至32位数字" in out and "第 4 行：户名“另一家公司”" in out
    assert "第 5 行：fanhuan 2025 年度没有统一社会信用代码为 91150100MA99999999 的决定" in out
    assert f"第 6 行：与第 1 行重复（同一决定 {ids[0]}、同一账号）" in out  # conflicting rows: test_money_controls.py
    batch = re.search(r"申请批次 ([0-9a-f]{32})", out).group(1)
    assert len(ledger.account_changes()) == 2 and ledger.decision(ids[0])["account_no"] is None
    # the requester cannot approve it; an unknown batch is named
    out = case(db, "approve-account", "--file-of", batch, "-u", "dual", code=2)
    assert "申请人（dual）以外" in out
    out = case(db, "approve-account", "--file-of", "0" * 32, "-u", "checker", code=2)
    assert "找不到账户变更申请批次" in out and "account request batch" in out
    # a second file (XLSX) by decision id, pending for ids[0] already: refused; ids[2] requested
    x = tmp_path / "more.xlsx"
    wb = Workbook()
    wb.active.append(["决定号", "账号"])
    wb.active.append([ids[0], "6222020000000009"])
    wb.active.append([ids[2], "6222020000000003"])
    wb.save(x)
    out = case(db, "set-account", "--file", str(x), "--reason", "补录", "-u", "cashier", code=1)
    assert "共 2 行，已申请 1 个、拒绝 1 个" in out and "第 1 行" in out and "已有待复核的账户变更" in out
    # the second person approves the first file in bulk: one event per approval
    out = case(db, "approve-account", "--file-of", batch, "-u", "checker")
    assert "复核通过并生效 2 个，未复核 0 个" in out
    assert [ledger.decision(i)["account_no"] for i in ids[:2]] == ["6222020000000001", "6222020000000002"]
    with ledger.engine.connect() as c:
        ev = c.execute(select(AuditEvent.__table__.c.action)).scalars().all()
    assert ev.count("approve_account") == 4  # each of the two: the approval row and the account change
    assert case(db, "approve-account", "--file-of", batch, "-u", "checker").count("此前已复核 2 个") == 1
    # paid: the approved two, not the one still awaiting approval nor those refused
    out = case(db, "pay", "B1", "fanhuan", "2025", "--today", "2025-11-01", "-u", "cashier")
    assert "本次发放 2 个单位" in out and "账户变更待复核、暂不发放 1 个" in out
    assert [ledger.decision(i)["state"] for i in ids] == ["paid", "paid", "publicized", "publicized"]
    assert ledger.bank_file_plan("B1")["payments"][0]["bank_code"] == "102191000019"
    assert ledger.verify_audit().ok


def test_a_file_without_an_account_column_is_refused_whole(ledger, db, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("决定号,户名\n1,x\n", "utf-8")
    out = case(db, "set-account", "--file", str(f), "--reason", "r", "-u", "cashier", code=2)
    assert "缺少必填列“账号”" in out
    assert ledger.account_changes() == []


def test_program_and_year_as_agencies_write_them(ledger, db, tmp_path):
    """Outside bad-input audit F5 (session 37): 项目 as `case list` exports it (失业保险稳岗返还) or as messages name it
    (稳岗返还) was refused as “没有…的决定”, and 年度 2025年 / 2025.0 (an Excel number) as “须有项目和年度”. What one
    command writes, the next accepts; a program or year that is none of these is refused saying so."""
    ids = without_accounts(ledger, 5)
    units = [ledger.decision(i)["unit_id"] for i in ids]
    f = tmp_path / "accounts.csv"
    f.write_text(
        "\n".join(
            [
                "统一社会信用代码,项目,年度,账号",
                f"{units[0]},稳岗返还,2025,6222000011110030",
                f"{units[1]},fanhuan,2025年,6222000011110031",
                f"{units[2]},失业保险稳岗返还,2025,6222000011110032",
                f"{units[3]},fanhuan,2025.0,6222000011110033",
                f"{units[4]},稳岗补贴,２０２５,6222000011110034",  # not a program: refused, row 5
            ]
        ) + "\n",
        encoding="utf-8",
    )
    out = case(db, "set-account", "--file", str(f), "--reason", "税务提供", "-u", "cashier", code=1)
    assert "共 5 行，已申请 4 个、拒绝 1 个" in out
    assert "第 5 行：项目“稳岗补贴”不是已知的项目" in out
