"""``wengang case set-account|fix-account|approve-account|account-requests``: a payee account changes only when a
second person approves the request (four eyes); until then the decision is paid to no account."""

from __future__ import annotations

import typer
from rich.table import Table

from .cli import DB, USER, _open, _reader, _run, case_app, console


def _requested(cid: int, decision_id: int) -> None:
    console.print(f"✔ 决定 {decision_id} 的账户变更申请 {cid} 已登记，须由另一人复核后生效"
                  f"（wengang case approve-account {cid}）/ change request {cid} recorded; "
                  "another operator must approve it")


@case_app.command("set-account")
def set_account(decision_id: int, account: str, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """申请补录或更改收款账户（如税务提供的缴费账户），须另一人复核 / request a payee account before payment."""
    cid = _run(_open(db).set_account, decision_id, user, account_no=account, reason=reason)
    _requested(cid, decision_id)


@case_app.command("fix-account")
def fix_account(decision_id: int, account: str, reason: str = typer.Option("更正收款账户"), db: str = DB,
                user: str = USER) -> None:
    """退回后申请更正账户，须另一人复核 / request the corrected account after a bounce."""
    cid = _run(_open(db).fix_account, decision_id, user, account_no=account, reason=reason)
    _requested(cid, decision_id)


@case_app.command("approve-account")
def approve_account(change_id: int, approve: bool = typer.Option(True, "--approve/--reject"),
                    reason: str = typer.Option("", help="复核意见 / note"), db: str = DB, user: str = USER) -> None:
    """复核账户变更（须申请人以外的人员）/ approve or reject an account change (not by its requester)."""
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
