"""``wengang doc …``: the documents from JSON files (mounted by the main CLI as ``app.add_typer(doc_app, name="doc")``).

Exit code 2 with a Chinese (then English) message when a document must not be built or a file is refused.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from wengang.inputs import YEAR_MAX, YEAR_MIN, InputError, expect_shape, parse_date, read_json
from wengang.money import MoneyError, yuan_to_fen

from .errors import DocumentError

doc_app = typer.Typer(help="公示名单、决定书/告知书、银行文件 / documents that leave the office", no_args_is_help=True)
console = Console()


def _run(fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except (DocumentError, MoneyError, InputError) as e:
        console.print(f"[red]✘ {e}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _json(path: Path, what_zh: str, what_en: str, shape: type | tuple[type, ...]) -> Any:
    return _run(read_json, path, what_zh, what_en, shape)


def _day(text: str | None, what: str) -> date | None:
    return _run(parse_date, text, what, what) if text is not None else None


@doc_app.command("rmb")
def rmb(amount: str = typer.Argument(..., help="金额（元），如 12345.67 / amount in yuan")) -> None:
    """人民币大写 / amount in Chinese capital numerals."""
    from .amounts import rmb_upper

    console.print(_run(lambda: rmb_upper(yuan_to_fen(amount))))


@doc_app.command("publicity")
def publicity(
    records: Path = typer.Argument(..., help="JSON 列表：unit_name, credit_code, amount_fen, review_passed"),
    agency: str = typer.Option(..., help="经办机构 / agency"),
    program: str = typer.Option(..., help="项目名称，如 失业保险稳岗返还"),
    year: int = typer.Option(..., min=YEAR_MIN, max=YEAR_MAX),
    start: str = typer.Option(..., help="公示开始日期 YYYY-MM-DD"),
    days: int = typer.Option(5, min=1, max=365, help="公示期天数"),
    calendar_days: bool = typer.Option(False, "--calendar-days", help="按自然日（默认工作日）"),
    end: str | None = typer.Option(None, help="公示截止日期 YYYY-MM-DD"),
    channel: str = typer.Option(..., help="异议渠道"),
    phone: str = typer.Option(..., help="联系电话"),
    basis: str = typer.Option(..., help="依据（文号）"),
    issued: str | None = typer.Option(None, help="落款日期（默认开始日期）"),
    xlsx: Path | None = typer.Option(None, help="输出 XLSX"),
    pdf: Path | None = typer.Option(None, help="输出 PDF"),
) -> None:
    """公示名单（XLSX、PDF）；未标记复审通过的记录不予列入 / the 公示 list; refuses records not marked 复审通过."""
    from .publicity import build_publicity, write_publicity_pdf, write_publicity_xlsx

    p = _run(
        build_publicity, _json(records, "公示记录文件", "records file", list), agency=agency, program=program,
        year=year, start=_day(start, "--start"), days=days, working_days=not calendar_days, end=_day(end, "--end"),
        objection_channel=channel, objection_phone=phone, basis=basis, issued_on=_day(issued or start, "--issued"),
    )
    for path, write in ((xlsx, write_publicity_xlsx), (pdf, write_publicity_pdf)):
        if path:
            console.print(f"✔ {write(p, path)}")
    console.print(f"{p.count}条，合计{p.total_fen}分；{p.period_text}")


@doc_app.command("letters")
def letters(
    decisions: Path = typer.Argument(..., help="JSON：一个决定（Decision.to_dict()）或其列表"),
    agency: Path = typer.Option(..., help="JSON：name, review_body, court, phone …"),
    out: Path = typer.Option(..., help="输出 PDF（全部文书，分页）"),
    per_case: Path | None = typer.Option(None, help="另按件输出到此目录"),
    issued: str | None = typer.Option(None, help="落款日期 YYYY-MM-DD"),
) -> None:
    """决定书、告知书（PDF）/ decision letters as PDF."""
    from .letters import write_letters_pdf

    data = _json(decisions, "决定文件", "decisions file", (dict, list))
    items = data if isinstance(data, list) else [data]
    paths = _run(write_letters_pdf, items, _json(agency, "经办机构信息文件", "agency file", dict), out,
                 per_case_dir=per_case, issued_on=_day(issued, "--issued"))
    for path in paths:
        console.print(f"✔ {path}")


@doc_app.command("bank")
def bank(
    batch: Path = typer.Argument(..., help="JSON：batch_id, date, payer_account, payments[…]"),
    out: Path = typer.Option(..., help="银行报盘文件 / disbursement file"),
    xlsx: Path | None = typer.Option(None, help="XLSX 对照表（账号脱敏）"),
) -> None:
    """银行报盘文件（竖线分隔、GB18030、CRLF，格式见 docs/bank-file.md）/ the bank disbursement file."""
    from .bank import Payment, make_batch, write_bank_file, write_bank_xlsx

    raw = _json(batch, "批次文件", "batch file", dict)
    try:
        payments = [Payment(**expect_shape(p, dict, "每笔付款", "each payment"))
                    for p in expect_shape(raw.get("payments"), list, "payments", "payments")]
    except (InputError, TypeError) as exc:
        console.print(f"[red]✘ 批次文件 {batch} 格式不符（{exc}） / malformed batch JSON[/red]", highlight=False)
        raise typer.Exit(2) from None
    b = _run(make_batch, raw.get("batch_id", ""), _day(str(raw.get("date", "")), "批次日期 date"),
             raw.get("payer_account", ""), payments)
    console.print(f"✔ {write_bank_file(b, out)}  {b.count}笔，控制总额{b.total_fen}分")
    if xlsx:
        console.print(f"✔ {write_bank_xlsx(b, xlsx)}")


@doc_app.command("bank-return")
def bank_return(
    path: Path = typer.Argument(..., help="银行回盘文件 / return file"),
    batch: Path | None = typer.Option(None, help="对应的报盘文件（核对笔数、金额、参考号）"),
) -> None:
    """读取银行回盘文件：成功与退回记录输出为 JSON（笔数或金额对不上的整份拒收）/ read the bank's return file."""
    from .bank import read_bank_file, read_return_file

    sent = _run(read_bank_file, batch) if batch else None
    result = _run(read_return_file, path, sent)
    print(json.dumps({"batch_id": result.batch_id, "date": result.on.isoformat(),
                      "paid": [asdict(p) for p in result.paid], "bounced": [asdict(b) for b in result.bounced]},
                     ensure_ascii=False, indent=1))
