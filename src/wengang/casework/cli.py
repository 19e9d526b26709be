"""``wengang case ...`` (one command per transition) and ``wengang audit verify``.

Mounted by the main CLI as ``app.add_typer(case_app, name="case")`` and ``app.add_typer(audit_app, name="audit")``.
The database comes from ``--db`` or ``WENGANG_DB`` (default ``sqlite:///wengang.db``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .errors import LedgerError
from .ledger import DEFAULT_URL, Ledger
from .models import AllocationIn, DecisionIn, RunIn
from .notices import FileSender, HttpSender
from .states import STATE_ZH, TRANSITIONS

case_app = typer.Typer(help="稳岗返还等经办台账 / casework ledger", no_args_is_help=True)
audit_app = typer.Typer(help="审计链 / audit chain", no_args_is_help=True)
console = Console()

DB = typer.Option(DEFAULT_URL, "--db", envvar="WENGANG_DB", help="数据库 URL / database URL")
USER = typer.Option(..., "--user", "-u", help="经办人 / acting user")


def _run(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except LedgerError as e:
        console.print(f"[red]✘ {e.zh}[/red]\n  {e.en}")
        raise typer.Exit(2) from None


def _day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _open(db: str) -> Ledger:
    return Ledger.open(db)


@case_app.command("transitions")
def transitions() -> None:
    """列出允许的状态转换 / print the transition table."""
    t = Table("action", "操作", "from", "to", "依据 / basis")
    for tr in TRANSITIONS.values():
        t.add_row(tr.action, tr.zh, ", ".join(sorted(tr.sources)) or "—", ", ".join(tr.targets), tr.basis)
    console.print(t)


@case_app.command("import")
def import_(path: Path, program: str = typer.Option(...), year: int = typer.Option(...),
            region: str = typer.Option(...), policy: list[str] = typer.Option([], help="文号=版本"),
            db: str = DB, user: str = USER) -> None:
    """导入筛查结果（Parquet）/ import screening decisions from Parquet."""
    import hashlib

    import polars as pl

    fp = hashlib.sha256(path.read_bytes()).hexdigest()
    run = RunIn(program, year, region, {path.name: fp}, dict(p.split("=", 1) for p in policy))
    res = _run(_open(db).import_decisions, run, pl.read_parquet(path), user)
    console.print(f"✔ 筛查批次 {res.run_id}：收到 {res.offered} 条，新入库 {res.inserted} 条，已存在 {res.existing} 条 / "
                  f"run {res.run_id}: {res.offered} offered, {res.inserted} new, {res.existing} already stored")


@case_app.command("notify")
def notify(program: str, year: int, deadline: str = typer.Option(..., help="确认截止日 YYYY-MM-DD"),
           channel: list[str] = typer.Option(["sms", "portal"]), db: str = DB, user: str = USER) -> None:
    """推送确认告知 / queue offer notices."""
    n = _run(_open(db).notify, program, year, user, deadline=date.fromisoformat(deadline), channels=channel)
    console.print(f"✔ 已告知 {n} 个单位 / {n} notified")


@case_app.command("send")
def send(gateway: str = typer.Option(None, help="短信网关 URL；缺省写入文件"),
         out: Path = typer.Option(Path("outbox.jsonl")), db: str = DB, user: str = USER) -> None:
    """发送待发消息 / deliver the outbox."""
    sender = HttpSender(gateway) if gateway else FileSender(out)
    stats = _open(db).deliver_outbox(sender, actor=user)
    console.print(f"✔ 发送 {stats['sent']}，失败重试 {stats['failed_attempts']}，放弃 {stats['gave_up']} / {stats}")


@case_app.command("confirm")
def confirm(decision_id: int, amount_fen: int = typer.Option(None), account: str = typer.Option(None),
            db: str = DB, user: str = USER) -> None:
    """单位确认接受 / the unit confirms."""
    _run(_open(db).confirm, decision_id, user, amount_fen=amount_fen, account_no=account)
    console.print(f"✔ 决定 {decision_id} 已确认 / confirmed")


@case_app.command("decline")
def decline(decision_id: int, reason: str = "单位选择放弃", db: str = DB, user: str = USER) -> None:
    """单位放弃（本年内可申领）/ the unit declines."""
    _run(_open(db).decline, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 已放弃 / declined")


@case_app.command("waive")
def waive(program: str, year: int, today: str = typer.Option(None), db: str = DB, user: str = USER) -> None:
    """逾期未确认视为放弃 / waive unconfirmed decisions past their deadline."""
    n = _run(_open(db).waive_unconfirmed, program, year, user, today=_day(today))
    console.print(f"✔ {n} 个视为放弃 / {n} waived")


@case_app.command("self-apply")
def self_apply(path: Path = typer.Argument(..., help="DecisionIn JSON"), db: str = DB, user: str = USER) -> None:
    """自主申请 / self-application (JSON of a DecisionIn)."""
    did = _run(_open(db).self_apply, DecisionIn(**json.loads(path.read_text("utf-8"))), user)
    console.print(f"✔ 申请已登记，决定 {did} / decision {did}")


@case_app.command("dispatch-apply")
def dispatch_apply(path: Path = typer.Argument(..., help='{"decision": {...}, "allocations": [...]}'),
                   db: str = DB, user: str = USER) -> None:
    """劳务派遣单位申请（含用工单位分配）/ dispatch-firm application with user-unit allocations."""
    body = json.loads(path.read_text("utf-8"))
    did = _run(_open(db).apply_dispatch, DecisionIn(**body["decision"]),
               [AllocationIn(**a) for a in body["allocations"]], user)
    console.print(f"✔ 派遣单位申请已登记，决定 {did} / decision {did}")


@case_app.command("skill-apply")
def skill_apply(path: Path = typer.Argument(..., help="DecisionIn JSON"), db: str = DB, user: str = USER) -> None:
    """技能提升补贴申请 / skill-subsidy application."""
    did = _run(_open(db).apply_skill_subsidy, DecisionIn(**json.loads(path.read_text("utf-8"))), user)
    console.print(f"✔ 申请已登记，决定 {did} / decision {did}")


@case_app.command("resolve")
def resolve(decision_id: int, eligible: bool = typer.Option(..., "--eligible/--ineligible"),
            amount_fen: int = typer.Option(None), reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """待认定 → 人工认定 / resolve a needs-decision case."""
    _run(_open(db).resolve, decision_id, user, eligible=eligible, amount_fen=amount_fen, reason=reason)
    console.print(f"✔ 决定 {decision_id} 已认定 / resolved")


@case_app.command("review")
def review(decision_id: int, stage: int = typer.Option(..., help="1 初审 / 2 复审"),
           approve: bool = typer.Option(..., "--approve/--reject"), reason: str = typer.Option(...),
           db: str = DB, user: str = USER) -> None:
    """初审 / 复审（复审须另一人）/ first or second review."""
    led = _open(db)
    _run(led.first_review if stage == 1 else led.second_review, decision_id, user, approve=approve, reason=reason)
    console.print(f"✔ 决定 {decision_id} 第 {stage} 次审核完成 / reviewed")


@case_app.command("hold")
def hold(decision_id: int, reason: str = "缓缴企业待补足失业保险费", db: str = DB, user: str = USER) -> None:
    """暂缓发放 / hold payment."""
    _run(_open(db).hold, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 暂缓发放 / held")


@case_app.command("release")
def release(decision_id: int, reason: str = "已补足缓缴的失业保险费", db: str = DB, user: str = USER) -> None:
    """解除暂缓 / release a hold."""
    _run(_open(db).release, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 解除暂缓 / released")


@case_app.command("publicize")
def publicize(list_key: str, program: str, year: int, starts: str = typer.Option(...), days: int = typer.Option(7),
              db: str = DB, user: str = USER) -> None:
    """公示复审通过的名单 / put approved decisions on a 公示 list."""
    n = _run(_open(db).publicize, list_key, program, year, user, starts_on=date.fromisoformat(starts), days=days)
    console.print(f"✔ 公示 {n} 个单位 / {n} publicized")


@case_app.command("pay")
def pay(batch_key: str, program: str, year: int, today: str = typer.Option(None), db: str = DB, user: str = USER) -> None:
    """发放一个批次（可重复执行，中断后续跑）/ run a payment batch (idempotent, resumable)."""
    res = _run(_open(db).run_payment_batch, batch_key, program, year, user, today=_day(today))
    console.print(f"✔ 本次发放 {res.paid} 个单位，共 {res.amount_fen / 100:,.2f} 元；缺少账户 {res.missing_account} 个 / "
                  f"paid {res.paid}, {res.amount_fen} fen; {res.missing_account} missing an account")


@case_app.command("bounce")
def bounce(payment_id: int, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """登记银行退回 / record a bounced payment."""
    _run(_open(db).record_bounce, payment_id, user, reason=reason)
    console.print(f"✔ 支付 {payment_id} 已登记退回 / bounced")


@case_app.command("fix-account")
def fix_account(decision_id: int, account: str, db: str = DB, user: str = USER) -> None:
    """退回后更正账户 / correct the account after a bounce."""
    _run(_open(db).fix_account, decision_id, user, account_no=account)
    console.print(f"✔ 决定 {decision_id} 账户已更正 / account fixed")


@case_app.command("set-account")
def set_account(decision_id: int, account: str, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """发放前补录收款账户（如税务提供的缴费账户）/ give the payee account before payment."""
    _run(_open(db).set_account, decision_id, user, account_no=account, reason=reason)
    console.print(f"✔ 决定 {decision_id} 账户已登记 / account set")


@case_app.command("resize")
def resize(decision_id: int, size_class: str, amount_fen: int, reason: str = typer.Option(...),
           db: str = DB, user: str = USER) -> None:
    """划型变更，多退少补 / size-class change and settlement."""
    res = _run(_open(db).change_size_class, decision_id, user, new_size_class=size_class,
               new_amount_fen=amount_fen, reason=reason)
    console.print(f"✔ 差额 {res.diff_fen} 分；补发 {res.supplement_payment_id}；追回 {res.recovery_id} / {res}")


@case_app.command("recovery-received")
def recovery_received(recovery_id: int, amount_fen: int, db: str = DB, user: str = USER) -> None:
    """登记追回到账 / record a recovery received."""
    _run(_open(db).record_recovery_receipt, recovery_id, user, amount_fen=amount_fen)
    console.print(f"✔ 追回单 {recovery_id} 已到账 / received")


@case_app.command("dispatch-transfer")
def dispatch_transfer(allocation_id: int, amount_fen: int, voucher: str = typer.Option(...),
                      db: str = DB, user: str = USER) -> None:
    """登记派遣单位向用工单位拨付 / record a transfer to a user unit."""
    tid = _run(_open(db).record_transfer, allocation_id, user, amount_fen=amount_fen, voucher=voucher)
    console.print(f"✔ 拨付 {tid} 已登记 / transfer {tid}")


@case_app.command("dispatch-misuse")
def dispatch_misuse(decision_id: int, reason: str = typer.Option(...), amount_fen: int = typer.Option(None),
                    db: str = DB, user: str = USER) -> None:
    """派遣单位违规：追回并取消下一年度申领资格 / misuse: recover and disqualify next year."""
    rid = _run(_open(db).report_dispatch_misuse, decision_id, user, reason=reason, amount_fen=amount_fen)
    console.print(f"✔ 追回单 {rid}，已取消下一年度申领资格 / recovery {rid}, disqualified next year")


@case_app.command("duplicates")
def duplicates(person_id: str, scope: str = typer.Option(
        "same_occupation", help="同一职业 same_occupation / 同一职业同一等级 same_occupation_level / 任何 any"),
        db: str = DB, user: str = USER) -> None:
    """技能提升补贴与职业培训补贴重复：由后享受的退回 / recover duplicate subsidies."""
    ids = _run(_open(db).recover_duplicate_subsidies, person_id, user, scope=scope)
    console.print(f"✔ 追回单 {ids} / recoveries {ids}")


@case_app.command("show")
def show(decision_id: int, db: str = DB) -> None:
    """查看一个决定及其历史 / show one decision and its history."""
    d = _run(_open(db).decision, decision_id)
    console.print(f"[bold]{d['unit_name']}[/bold] {d['unit_id']}  {d['program']} {d['year']}  "
                  f"状态 {STATE_ZH.get(d['state'], d['state'])}  应发 {d['entitlement']['amount_fen']} 分")
    console.print(d["explanation"])
    for h in d["history"]:
        console.print(f"  {h['seq']:>6} {h['at'][:19]} {h['actor']:<12} {h['action']:<14} {h['reason']}")


@case_app.command("balance")
def balance(unit_id: str = typer.Option(None), program: str = typer.Option(None), db: str = DB) -> None:
    """单位余额（已发 − 退回 − 追回）/ balances per unit and program."""
    t = Table("unit", "program", "paid", "returned", "recovered", "net", "recovery due")
    for r in _open(db).balances(unit_id=unit_id, program=program):
        t.add_row(r["unit_id"], r["program"], *(str(r[k]) for k in ("paid_fen", "returned_fen", "recovered_fen",
                                                                   "net_fen", "recovery_outstanding_fen")))
    console.print(t)


@audit_app.command("verify")
def verify(db: str = DB, expect_head: str = typer.Option(None, help="外部留存的链头哈希 / anchored head hash")) -> None:
    """校验审计链（篡改、删除、重排）及金额对账 / verify the audit chain and reconcile money."""
    led = _open(db)
    rep = led.verify_audit()
    rec = led.reconcile()
    ok = rep.ok and rec["ok"] and (expect_head is None or expect_head == rep.head_hash)
    for p in rep.problems:
        console.print(f"[red]✘ {p}[/red]")
    if not rec["ok"]:
        console.print(f"[red]✘ 金额对账不平 / money does not reconcile: {rec}[/red]")
    if expect_head and expect_head != rep.head_hash:
        console.print("[red]✘ 链头与外部留存不符（可能被截断）/ head differs from the anchored one (truncated?)[/red]")
    status = "[green]✔ 审计链完整[/green]" if ok else "[red]✘ 审计链校验失败[/red]"
    console.print(f"{status} 事件 {rep.events} 条，链头 {rep.head_seq}:{rep.head_hash} / "
                  f"{'OK' if ok else 'FAILED'}: {rep.events} events, head {rep.head_seq}:{rep.head_hash}")
    raise typer.Exit(0 if ok else 1)


@audit_app.callback()
def _audit_group() -> None:
    """审计链 / audit chain (a group, so ``wengang audit verify`` keeps its name)."""
