"""``wengang case bank-file / payee-bank / bank-return / reroute / publicity / letters``: documents from the ledger.

Registered on ``case_app`` (imported at the bottom of casework/cli.py); the work is in casework/outputs.py.
Exit codes: 0 done; 2 refused (nothing written or changed), with the reason in Chinese then English;
``bank-return`` exits 1 when it applied the file but set some lines aside.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from wengang.money import format_yuan

from .cli import DB, USER, _open, case_app, console
from .errors import LedgerError
from .states import STATE_ZH

OUT = typer.Option(..., "--out", "-o", help="输出目录 / output folder")
ISSUED = typer.Option(None, "--issued", help="落款日期 YYYY-MM-DD（默认：公示开始日期 / 今天）")


def _say(message: str) -> None:
    """Print without wrapping long lines (a command to copy, a file path) and without colouring numbers."""
    console.print(message, highlight=False, soft_wrap=True)


def _go(fn: Any, *args: Any, **kw: Any) -> Any:
    from wengang.documents.errors import DocumentError

    try:
        return fn(*args, **kw)
    except LedgerError as e:
        _say(f"[red]✘ {e.zh}[/red]\n  {e.en}")
    except DocumentError as e:
        _say(f"[red]✘ {e}[/red]")
    except OSError as e:
        _say(f"[red]✘ 无法读写文件 {e.filename or ''}（{e.strerror or e}） / cannot read or write a file[/red]")
    raise typer.Exit(2)


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    from wengang.inputs import InputError, parse_date

    try:
        return parse_date(value, what, what)  # the one date reader: 2025-08-01, 2025/8/1, 2025年8月1日 …
    except InputError as exc:
        _say(f"[red]✘ {exc.zh} / {exc.en}[/red]")
        raise typer.Exit(2) from None


@case_app.command("bank-file")
def bank_file(batch_key: str = typer.Argument(..., help="发放批次号（case pay 所用）"), out: Path = OUT,
              payer_account: str = typer.Option(None, help="付款账号：失业保险基金支出户（默认取地区配置 agency.payer_account）"),
              value_date: str = typer.Option(None, "--date", help="付款日期 YYYY-MM-DD（默认今天）"),
              db: str = DB, user: str = USER) -> None:
    """银行报盘文件及 XLSX 对照表（含笔数、控制总额）；登记入审计链 / the bank disbursement file of a payment batch."""
    from rich.markup import escape

    from .outputs import counts_line, held_notice, write_bank_file

    on = _day(value_date, "付款日期")
    led = _go(_open, db)
    res = _go(write_bank_file, led, batch_key, out, user, payer_account=payer_account, on=on)
    # fail closed, and say why: every payment held back is named with every reason that holds it
    plan = _go(led.bank_file_plan, batch_key, counts=True)
    held = held_notice(plan["held"])
    if res is None:
        _say(f"批次 {batch_key} 没有可报盘的付款 / nothing to send in batch {batch_key}" if held else
             f"批次 {batch_key} 没有待报盘的付款（均已写入报盘文件） / nothing left to send in batch {batch_key}")
    else:
        _say(f"✔ {res.path}\n✔ {res.xlsx}\n报盘批次号 {res.file_key}：{res.count} 笔，控制总额 {res.total_fen} 分"
             f"（{format_yuan(res.total_fen)}），sha256 {res.sha256} / {res.count} payments, {res.total_fen} fen")
    if held:
        _say(f"[yellow]⚠ {escape(held)}[/yellow]")  # the reasons quote what was recorded: printed as written
    counts = escape(counts_line(batch_key, plan["counts"]))
    _say(counts if plan["counts"]["reconciles"] else f"[red]✘ {counts}[/red]")


@case_app.command("payee-bank")
def payee_bank(account: str = typer.Argument(None, help="收款账号"), bank_code: str = typer.Argument(None, help="12位开户行行号"),
               file: Path = typer.Option(None, "--file", help="CSV：账号,行号（每行一个，可有表头）"),
               db: str = DB, user: str = USER) -> None:
    """登记收款账户的开户行行号（报盘文件需要）/ record the payee bank (CNAPS code) of accounts."""
    import csv

    banks: dict[str, str] = {}
    if file is not None:
        text = _go(file.read_text, "utf-8-sig")
        for n, row in enumerate(csv.reader(text.splitlines()), start=1):
            if not row or (n == 1 and not row[0].strip().replace(" ", "").isdigit()):
                continue  # empty line or header
            if len(row) != 2:
                _say(f"[red]✘ {file} 第{n}行应为“账号,行号”两列 / line {n}: expected account,bank_code[/red]")
                raise typer.Exit(2)
            banks[row[0]] = row[1]
    if account or bank_code:
        if not (account and bank_code):
            _say("[red]✘ 请同时给出账号和行号 / give both the account and the bank code[/red]")
            raise typer.Exit(2)
        banks[account] = bank_code
    if not banks:
        _say("[red]✘ 请给出“账号 行号”或 --file / give ACCOUNT BANK_CODE or --file[/red]")
        raise typer.Exit(2)
    n = _go(_go(_open, db).set_payee_banks, banks, user)
    _say(f"✔ 登记 {len(banks)} 个账户，其中变更 {n} 个 / {len(banks)} accounts, {n} changed")


@case_app.command("bank-return")
def bank_return(path: Path = typer.Argument(..., help="银行回盘文件（格式见 docs/bank-file.md）"),
                db: str = DB, user: str = USER) -> None:
    """读取银行回盘：成功的登记到账，失败的登记退回；对不上的行隔离并列出 / apply the bank's return file."""
    from .outputs import apply_return_file

    rep = _go(apply_return_file, _go(_open, db), path, user)
    res = rep.result
    if res.lines and not res.confirmed and not res.bounced and all(r["code"] == "already_recorded" for r in res.refused):
        # the same file again: every line already has its result (nothing applied); said once, not as 隔离 lines
        _say(f"本回盘文件已处理：回盘 {res.file_key}（批次 {res.batch_key}）的 {res.lines} 行此前均已登记，本次未作任何改动 / "
             f"file already applied: all {res.lines} lines of {res.file_key} were recorded before; nothing changed")
        return
    _say(f"回盘 {res.file_key}（批次 {res.batch_key}）：{res.lines} 行 = 到账 {len(res.confirmed)} + 退回 "
         f"{len(res.bounced)} + 隔离 {len(res.refused)}；尚未回盘 {res.outstanding} 笔 / {res.lines} lines = "
         f"{len(res.confirmed)} confirmed + {len(res.bounced)} bounced + {len(res.refused)} refused")
    for b in res.bounced:
        _say(f"退回 第{b['line']}行 决定 {b['decision_id']}：{format_yuan(b['amount_fen'])}，{b['reason']} / bounced")
        basis = rep.reroutable.get(b["decision_id"])
        if basis:
            _say(f"  无对公账户的小微企业可改付税务缴费账户（{basis}）：wengang case reroute {b['decision_id']} "
                 "--tax-account <账号>")
    if res.bounced:
        how = "case fix-account 或 case reroute" if rep.reroutable else "case fix-account"  # reroute only where named above
        _say(f"更正账户（{how}）后，以新的批次号再次 case pay 即重新发放 / "
             "fix the account, then pay again with a new batch key")
    for w in res.risk_recoveries:  # confirmed risk flags whose recovery waited for this answer
        if w["recovery_id"] is not None:
            _say(f"风险疑点 {w['flag_id']}（决定 {w['decision_id']}）：银行已回盘，按实际发放金额下达追回 "
                 f"{format_yuan(w['amount_fen'])}（追回单 {w['recovery_id']}） / risk flag {w['flag_id']} (decision "
                 f"{w['decision_id']}): answered by the bank, recovery {w['recovery_id']} of {w['amount_fen']} fen "
                 "ordered")
        else:
            zh, en = _why_nothing(res, w["decision_id"], flag_id=w["flag_id"])
            _say(f"风险疑点 {w['flag_id']}（决定 {w['decision_id']}）：银行已回盘，无须追回（{zh}） / "
                 f"risk flag {w['flag_id']} (decision {w['decision_id']}): answered by the bank, nothing to recover ({en})")
    for w in res.recoveries:  # a resize's, a misuse's or a duplicate's recovery that waited for this answer
        if w["recovery_id"] is not None:
            _say(f"决定 {w['decision_id']}：银行已回盘，按实际入账金额下达追回 {format_yuan(w['amount_fen'])}（追回单 "
                 f"{w['recovery_id']}） / decision {w['decision_id']}: answered, recovery {w['recovery_id']} of "
                 f"{w['amount_fen']} fen ordered")
        else:
            zh, en = _why_nothing(res, w["decision_id"], kind=w["kind"])
            _say(f"决定 {w['decision_id']}：银行已回盘，无须追回（{zh}） / decision {w['decision_id']}: answered, nothing "
                 f"to recover ({en})")
    for r in res.refused:
        _say(f"[red]隔离 第{r['line']}行 {r['reference']}：{r['zh']} / {r['en']}[/red]")
    if res.refused:
        raise typer.Exit(1)


@case_app.command("reroute")
def reroute(decision_id: int, tax_account: str = typer.Option(..., "--tax-account", help="税务部门协助提供的缴纳社会保险费账户"),
            db: str = DB, user: str = USER) -> None:
    """无对公账户的小微企业：改为返还至税务部门提供的缴费账户（引用条款）/ pay a small firm to its tax premium account."""
    basis, cid = _go(_go(_open, db).reroute_to_tax_account, decision_id, user, account_no=tax_account)
    _say(f"✔ 决定 {decision_id} 申请改为返还至税务缴费账户，依据 {basis}；变更申请 {cid} 须另一人复核后生效"
         f"（wengang case approve-account {cid}）/ reroute to the tax account requested ({cid}); another operator "
         "must approve it")


@case_app.command("publicity")
def publicity(list_key: str = typer.Argument(..., help="公示名单编号（case publicize 所用）"), out: Path = OUT,
              agency: str = typer.Option(None, help="经办机构名称（默认取地区配置）"),
              phone: str = typer.Option(None, help="异议联系电话（默认取地区配置）"),
              address: str = typer.Option(None, help="地址（可选）"),
              channel: str = typer.Option(None, help="异议渠道（默认取地区配置，或“书面或当面向经办机构”）"),
              issued: str = ISSUED, db: str = DB, user: str = USER) -> None:
    """公示名单 XLSX 与 PDF（仅复审通过的决定；否则整份拒绝）/ the 公示 list of a ledger publicity list."""
    from .outputs import write_publicity

    led = _go(_open, db)
    from .operators import require

    _go(require, led, user, "publicity_doc")
    xlsx, pdf, p = _go(write_publicity, led, list_key, out, agency=agency, phone=phone, address=address,
                       channel=channel, issued_on=_day(issued, "落款日期"))
    _say(f"✔ {xlsx}\n✔ {pdf}\n{p.title}：{p.count_text}，合计 {format_yuan(p.total_fen)}；{p.period_text}")


@case_app.command("letters")
def letters(decision_id: int = typer.Argument(None, help="决定编号（不给则按 --program/--year/--state 选取）"),
            out: Path = OUT,
            program: str = typer.Option(None, help="项目，如 fanhuan"), year: int = typer.Option(None, help="年度"),
            state: list[str] = typer.Option([], help="状态（可多次），如 paid、rejected"),
            batch: bool = typer.Option(False, "--batch", help="全部文书合为一个 PDF（letters.pdf）"),
            agency: str = typer.Option(None, help="经办机构名称（默认取地区配置）"),
            review_body: str = typer.Option(None, help="行政复议机关（默认取地区配置）"),
            court: str = typer.Option(None, help="行政诉讼的人民法院（默认取地区配置）"),
            phone: str = typer.Option(None, help="联系电话"), address: str = typer.Option(None, help="地址"),
            issued: str = ISSUED, db: str = DB, user: str = USER) -> None:
    """决定书、告知书（PDF）：理由、条款、金额（含大写）、救济途径 / decision letters from the ledger."""
    from .outputs import write_letters

    unknown = [s for s in state if s not in STATE_ZH]
    if unknown:
        _say(f"[red]✘ 未知状态 {'、'.join(unknown)}（可用：{'、'.join(STATE_ZH)}） / unknown state[/red]")
        raise typer.Exit(2)
    led = _go(_open, db)
    from .operators import require

    _go(require, led, user, "letter")
    if decision_id is not None:
        ids = [decision_id]
    elif program or year or state:
        ids = _go(led.select_ids, program=program, year=year, states=state or None)
    else:
        _say("[red]✘ 请给出决定编号，或用 --program/--year/--state 选取 / give a decision id or a selector[/red]")
        raise typer.Exit(2)
    res = _go(write_letters, led, ids, out, batch=batch, issued_on=_day(issued, "落款日期"), name=agency,
              review_body=review_body, court=court, phone=phone, address=address)
    if decision_id is not None and res.skipped:
        _say(f"[red]✘ 决定 {decision_id} 尚未作出决定（状态：{STATE_ZH.get(res.skipped[0][1], res.skipped[0][1])}），不能出具文书 / "
             f"decision {decision_id} is not decided yet[/red]")
        raise typer.Exit(2)
    for p in res.paths:
        _say(f"✔ {p}")
    _say(f"文书 {res.letters} 份；尚未作出决定而跳过 {len(res.skipped)} 个 / {res.letters} letters, "
         f"{len(res.skipped)} skipped (not decided yet)")


def _why_nothing(res: object, decision_id: int, **key: object) -> tuple[str, str]:
    """Why a recovery that waited for the bank's answer ordered nothing (``BankReturnResult.nothing_why``, worked out
    by the ledger): the money came back, was recovered already, or the entitlement is not below what was paid."""
    for w in getattr(res, "nothing_why", []):
        if w["decision_id"] == decision_id and all(w.get(k) == v for k, v in key.items()):
            return w["zh"], w["en"]
    return "款项已退回，或已另行追回", "the money came back, or was recovered already"
