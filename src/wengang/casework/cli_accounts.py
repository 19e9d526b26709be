"""``wengang case set-account|fix-account|approve-account|account-requests``: a payee account changes only when a
second person approves the request (four eyes); until then the decision is paid to no account."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from wengang.inputs import YEAR_MAX, YEAR_MIN

from .cli import DB, USER, _known_program, _open, _reader, _refuse, _run, case_app, console


def _requested(cid: int, decision_id: int) -> None:
    console.print(f"✔ 决定 {decision_id} 的账户变更申请 {cid} 已登记，须由另一人复核后生效"
                  f"（wengang case approve-account {cid}）/ change request {cid} recorded; "
                  "another operator must approve it")


@case_app.command("set-account")
def set_account(decision_id: int = typer.Argument(None, min=1, help="决定号（或用 --file）"),
                account: str = typer.Argument(None, help="收款账号"), reason: str = typer.Option(...),
                file: Path = typer.Option(None, "--file", help="CSV/XLSX：决定号或统一社会信用代码（+项目、年度），账号，"
                                                               "户名、开户行行号可选（见 docs/casework.md）"),
                program: str = typer.Option(None, "--program", callback=_known_program,
                                            help="文件无“项目”列时的项目 / program for rows without one"),
                year: int = typer.Option(None, "--year", min=YEAR_MIN, max=YEAR_MAX,
                                         help="文件无“年度”列时的年度 / year for rows without one"),
                db: str = DB, user: str = USER) -> None:
    """申请补录或更改收款账户（如税务提供的缴费账户），须另一人复核；--file 批量申请 / request a payee account before
    payment (one, or a file of them)."""
    if file is None:
        if decision_id is None or not account:
            _run(_refuse, "bad_input", "请给出“决定号 账号”或 --file", "give DECISION_ID ACCOUNT or --file")
        cid = _run(_open(db).set_account, decision_id, user, account_no=account, reason=reason)
        _requested(cid, decision_id)
        return
    if decision_id is not None or account:
        _run(_refuse, "bad_input", "决定号、账号与 --file 只能给出一种", "give DECISION_ID ACCOUNT or --file, not both")
    from .bulk import read_account_file

    rows = _run(read_account_file, file)
    res = _run(_open(db).request_accounts, rows, user, reason=reason, program=program, year=year)
    for row, zh, en in res.refused:
        console.print(f"[red]✘ 第 {row} 行：{escape(zh)}[/red] / row {row}: {escape(en)}", soft_wrap=True)
    console.print(f"{'✔' if not res.refused else '!'} {file.name}：共 {res.rows} 行，已申请 {len(res.requested)} 个、"
                  f"拒绝 {len(res.refused)} 个 / {res.rows} rows: {len(res.requested)} requested, "
                  f"{len(res.refused)} refused", soft_wrap=True)
    if res.batch is not None:
        console.print(f"  申请批次 {res.batch}：须由另一人复核（wengang case approve-account --file-of {res.batch}）"
                      + (f"；开户行行号登记 {res.banks_changed} 个" if res.banks_changed else "")
                      + f" / request batch {res.batch}: another operator approves it", soft_wrap=True)
    if res.refused:
        raise typer.Exit(1)


@case_app.command("fix-account")
def fix_account(decision_id: int, account: str, reason: str = typer.Option("更正收款账户"), db: str = DB,
                user: str = USER) -> None:
    """退回后申请更正账户，须另一人复核 / request the corrected account after a bounce."""
    cid = _run(_open(db).fix_account, decision_id, user, account_no=account, reason=reason)
    _requested(cid, decision_id)


@case_app.command("approve-account")
def approve_account(change_id: int = typer.Argument(None, min=1, help="账户变更编号（或用 --file-of）"),
                    approve: bool = typer.Option(True, "--approve/--reject"),
                    reason: str = typer.Option("", help="复核意见 / note"),
                    file_of: str = typer.Option(None, "--file-of", help="set-account --file 给出的申请批次：复核其全部"
                                                                        "待复核的变更 / a request batch"),
                    db: str = DB, user: str = USER) -> None:
    """复核账户变更（须申请人以外的人员）；--file-of 复核一个文件的全部申请 / approve or reject an account change (not
    by its requester), or all of a file's."""
    if (change_id is None) == (file_of is None):
        _run(_refuse, "bad_input", "请给出账户变更编号或 --file-of 申请批次（二选一）", "give CHANGE_ID or --file-of BATCH")
    if file_of is not None:
        res = _run(_open(db).approve_accounts, file_of.strip(), user, approve=approve, reason=reason)
        for cid, did, zh, en in res.refused:
            console.print(f"[red]✘ 账户变更 {cid}（决定 {did}）未复核：{escape(zh)}[/red] / change {cid}: {escape(en)}",
                          soft_wrap=True)
        verb = "复核通过并生效" if approve else "驳回"
        console.print(f"{'✔' if not res.refused else '!'} 申请批次 {file_of}：{verb} {len(res.decided)} 个，未复核 "
                      f"{len(res.refused)} 个，此前已复核 {res.already} 个 / {len(res.decided)} "
                      f"{'approved' if approve else 'rejected'}, {len(res.refused)} refused, {res.already} decided "
                      "before", soft_wrap=True)
        if res.refused:
            raise typer.Exit(1)
        return
    _run(_open(db).approve_account, change_id, user, approve=approve, reason=reason)
    console.print(f"✔ 账户变更 {change_id} 已{'复核通过并生效' if approve else '驳回'} / "
                  f"change {change_id} {'approved' if approve else 'rejected'}")


@case_app.command("account-requests")
def account_requests(all_: bool = typer.Option(False, "--all", help="含已复核的 / include decided ones"),
                     db: str = DB, user: str = USER) -> None:
    """待复核的账户变更 / account changes awaiting approval."""
    from .cli import _mask_account
    from .errors import LedgerError
    from .operators import require

    led = _reader(db, user)
    # the full number only for those who approve account changes (they compare it with the unit's papers)
    try:
        require(led, user, "approve_account")
        shown = str
    except LedgerError:
        shown = _mask_account
    t = Table("id", "决定 decision", "类型 kind", "账户 account", "申请人 by", "理由 reason", "复核 approver")
    for c in led.account_changes(pending=not all_):
        t.add_row(str(c["id"]), str(c["decision_id"]), c["kind"], shown(c["account_no"]), c["requested_by"], c["reason"],
                  "" if c["approver"] is None else f"{c['approver']}（{'通过' if c['approve'] else '驳回'}）")
    console.print(t)
