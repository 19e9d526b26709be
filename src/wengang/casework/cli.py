"""``wengang case ...`` (one command per transition) and ``wengang audit verify``.

Mounted by the main CLI as ``app.add_typer(case_app, name="case")`` and ``app.add_typer(audit_app, name="audit")``.
The database comes from ``--db`` or ``WENGANG_DB`` (default ``sqlite:///wengang.db``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from wengang.inputs import YEAR_MAX, YEAR_MIN, InputError, check_program, known_name, parse_date

from . import DEFAULT_URL
from .errors import LedgerError
from .states import STATE_ZH, TRANSITIONS

if TYPE_CHECKING:  # the ledger (SQLAlchemy) is imported inside the commands that use it: start-up time
    from .ledger import Ledger
    from .models import DecisionIn

case_app = typer.Typer(help="稳岗返还等经办台账 / casework ledger", no_args_is_help=True)
audit_app = typer.Typer(help="审计链 / audit chain", no_args_is_help=True)
console = Console()

DB = typer.Option(DEFAULT_URL, "--db", envvar="WENGANG_DB", help="数据库 URL / database URL")
USER = typer.Option(..., "--user", "-u", help="经办人 / acting user")
MAX_ID = 2**63 - 1  # the databases' BIGINT


def _known_program(value: str | None) -> str | None:
    return check_program(value) if value is not None else None


def _fits_bigint(value: int | None) -> int | None:
    if value is not None and value > MAX_ID:
        raise InputError(f"编号 {value} 过大（数据库中的编号不超过 {MAX_ID}）", f"id {value} exceeds {MAX_ID}")
    return value


# the same argument in every command: checked while the command line is parsed (bad → exit 2, nearest names)
Program = Annotated[str, typer.Argument(callback=_known_program, help="项目，如 fanhuan / program")]
Year = Annotated[int, typer.Argument(min=YEAR_MIN, max=YEAR_MAX, help="政策年度 / policy year")]
DecisionId = Annotated[int, typer.Argument(min=1, callback=_fits_bigint, help="决定编号 / decision id")]
RecordId = Annotated[int, typer.Argument(min=1, callback=_fits_bigint, help="编号 / id")]
AmountFen = Annotated[int, typer.Argument(min=0, callback=_fits_bigint, help="金额（分）/ amount in fen")]
AMOUNT = typer.Option(None, "--amount-fen", min=0, callback=_fits_bigint, help="金额（分）/ amount in fen")


def _run(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (LedgerError, InputError) as e:
        console.print(f"[red]✘ {e.zh}[/red]\n  {e.en}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _day(s: str | None, what: str = "日期") -> date | None:
    return _run(parse_date, s, what) if s is not None else None


def _open(db: str, *, existing: bool = False) -> Ledger:
    """The ledger at ``db``, or a refusal naming it. ``existing``: a command that only reads must not create
    an empty ledger where a mistyped SQLite path points."""
    return _run(_open_ledger, db, existing)


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


def _open_ledger(db: str, existing: bool) -> Ledger:
    from sqlalchemy.engine import make_url

    from .ledger import Ledger

    try:
        url = make_url(db)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy's ArgumentError and ValueError
        raise LedgerError("db_unavailable", f"无法解析数据库 URL（{type(exc).__name__}），应如 sqlite:///wengang.db",
                          "cannot parse the database URL; e.g. sqlite:///wengang.db") from None
    shown = url.render_as_string(hide_password=True)
    if existing and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not _is_file(url.database):
        raise LedgerError("db_not_found", f"台账数据库文件 {url.database} 不存在",
                          f"ledger database file {url.database} does not exist")
    try:
        return Ledger.open(db)
    except Exception as exc:  # noqa: BLE001 - an unknown driver, a server down, a file that is not a database …
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LedgerError("db_unavailable", f"无法打开台账数据库 {shown}（{type(exc).__name__}：{first}）",
                          f"cannot open the ledger database {shown}: {first}") from None


@case_app.command("transitions")
def transitions() -> None:
    """列出允许的状态转换 / print the transition table."""
    t = Table("action", "操作", "from", "to", "依据 / basis")
    for tr in TRANSITIONS.values():
        src = ", ".join(sorted(tr.sources)) or "—"
        if tr.without_confirmation:
            src += f"（文件无需确认时另有 {', '.join(sorted(tr.without_confirmation))}）"
        t.add_row(tr.action, tr.zh, src, ", ".join(tr.targets), tr.basis)
    console.print(t)


@case_app.command("import")
def import_(path: Path = typer.Argument(..., help="wengang screen 的输出目录或其 results.parquet / a screening output folder"),
            program: str = typer.Option(None, callback=_known_program, help="项目（默认按结果文件判断：稳岗返还 fanhuan）"),
            year: int = typer.Option(None, min=YEAR_MIN, max=YEAR_MAX, help="政策年度（默认取筛查的审核日期所在年度）"),
            region: str = typer.Option(None, help="地区代码（默认为结果中各地区的共同上级）"),
            policy: list[str] = typer.Option([], help="文号=版本（仅台账格式 Parquet）"),
            db: str = DB, user: str = USER) -> None:
    """导入筛查结果：wengang screen 的输出目录（原样），或台账格式（DecisionIn 列）的 Parquet / import a screening run."""
    import hashlib

    import polars as pl

    from .intake import is_screening_output, read_screening_output

    if _run(is_screening_output, path):
        si = _run(read_screening_output, path, program=program, year=year, region=region)
        run, frame = si.run, si.frame
    else:  # a table already in the ledger's input contract (DecisionIn columns)
        if not (program and year and region):
            _run(_refuse, "need_options", "台账格式的 Parquet 须给出 --program、--year 和 --region",
                 "a DecisionIn Parquet needs --program, --year and --region")
        from .models import RunIn

        if any("=" not in p for p in policy):
            _run(_refuse, "bad_input", "--policy 应写作 文号=版本", "--policy must be number=version")
        fp = hashlib.sha256(path.read_bytes()).hexdigest()
        run = RunIn(program, year, region, {path.name: fp}, dict(p.split("=", 1) for p in policy))
        frame, si = pl.read_parquet(path), None
    led = _open(db)
    prior = led.find_run(run)
    res = _run(led.import_decisions, run, frame, user)
    held = int(frame["payment_hold"].fill_null(False).sum()) if "payment_hold" in frame.columns else 0
    counts = (f"收到 {res.offered} 条，新入库 {res.inserted} 条，已存在 {res.existing} 条"
              + (f"，其中暂缓发放 {held} 条" if held else ""))
    en = f"{res.offered} offered, {res.inserted} new, {res.existing} already stored"
    if si is not None and si.left_out:
        counts += f"；其他申请年度 {si.left_out} 条未导入"
    if prior is not None:
        console.print(f"✔ 该筛查批次已于此前导入（批次 {prior}），不重复入库：{counts} / "
                      f"this run was imported before (run {prior}); nothing duplicated: {en}")
    else:
        console.print(f"✔ 筛查批次 {res.run_id}（{run.program} {run.year} 年度）：{counts} / run {res.run_id}: {en}")


def _refuse(code: str, zh: str, en: str) -> None:
    raise LedgerError(code, zh, en)


def _known_channels(values: list[str]) -> list[str]:
    from .notices import CHANNELS

    return [known_name(v, CHANNELS, "告知渠道", "notice channel") for v in values]


@case_app.command("notify")
def notify(program: Program, year: Year,
           deadline: str = typer.Option(None, help="确认期限 YYYY-MM-DD（仅需确认的文件；过期只提醒，不视为放弃）"),
           channel: list[str] = typer.Option(["sms", "portal"], callback=_known_channels), db: str = DB,
           user: str = USER) -> None:
    """推送告知：需确认的文件推送确认信息，其余告知无需申请 / queue notices (an offer or information)."""
    n = _run(_open(db).notify, program, year, user, deadline=_day(deadline), channels=channel)
    console.print(f"✔ 已告知 {n} 个单位 / {n} notified")


@case_app.command("remind")
def remind(program: Program, year: Year, today: str = typer.Option(None),
           channel: list[str] = typer.Option(["sms"], callback=_known_channels),
           db: str = DB, user: str = USER) -> None:
    """确认期限已过仍未确认的，提醒确认（不视为放弃）/ remind units past the confirmation deadline."""
    n = _run(_open(db).remind_unconfirmed, program, year, user, today=_day(today), channels=channel)
    console.print(f"✔ 已提醒 {n} 个单位 / {n} reminded")


@case_app.command("send")
def send(gateway: str = typer.Option(None, help="短信网关 URL；缺省写入文件"),
         out: Path = typer.Option(Path("outbox.jsonl")), db: str = DB, user: str = USER) -> None:
    """发送待发消息 / deliver the outbox."""
    from .notices import FileSender, HttpSender

    if gateway and not gateway.startswith(("http://", "https://")):
        _run(_refuse, "bad_input", f"短信网关应为 http:// 或 https:// 开头的 URL，而不是“{gateway}”",
             f"the gateway must be an http(s) URL, not {gateway!r}")
    if not gateway:
        try:  # the outbox file is appended to: can it be?
            out.open("a").close()
        except OSError as exc:
            from wengang.inputs import os_error

            raise os_error(exc, out, "待发消息文件 --out", "outbox file --out") from None
    sender = HttpSender(gateway) if gateway else _run(FileSender, out)
    stats = _open(db).deliver_outbox(sender, actor=user)
    console.print(f"✔ 发送 {stats['sent']}，失败重试 {stats['failed_attempts']}，放弃 {stats['gave_up']} / {stats}")


@case_app.command("confirm")
def confirm(decision_id: DecisionId, amount_fen: int = AMOUNT, account: str = typer.Option(None),
            db: str = DB, user: str = USER) -> None:
    """单位确认接受 / the unit confirms."""
    _run(_open(db).confirm, decision_id, user, amount_fen=amount_fen, account_no=account)
    console.print(f"✔ 决定 {decision_id} 已确认 / confirmed")


@case_app.command("decline")
def decline(decision_id: DecisionId, reason: str = "单位选择放弃", db: str = DB, user: str = USER) -> None:
    """单位放弃（本年内可申领）/ the unit declines."""
    _run(_open(db).decline, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 已放弃 / declined")


@case_app.command("waive")
def waive(program: Program, year: Year, today: str = typer.Option(None), db: str = DB, user: str = USER) -> None:
    """政策执行期限届满、期限内未确认且未主动申请的视为放弃（仅文件有此规定的）/ waive after the policy period."""
    n = _run(_open(db).waive_unconfirmed, program, year, user, today=_day(today))
    console.print(f"✔ {n} 个视为放弃 / {n} waived")


APP = typer.Argument(..., help="wengang evaluate --json 的输出，或台账决定（DecisionIn）JSON")
FACTS = typer.Option(None, "--facts", help="判定时读取的事实文件（补充职业、等级、申请日期、名称）")
CLAIM = typer.Option(None, "--claim-key", help="职业代码:等级（技能提升补贴）")
YEAR = typer.Option(None, "--year", min=YEAR_MIN, max=YEAR_MAX, help="年度（默认取申请日期或审核日期所在年度）")
NAME = typer.Option(None, "--name", help="单位或个人名称")
ACCOUNT = typer.Option(None, "--account", help="收款账户")
CONTACT = typer.Option(None, "--contact", help="联系电话或网上经办平台账号")


def _decision(path: Path, facts: Path | None, claim_key: str | None, year: int | None, name: str | None,
              account: str | None, contact: str | None) -> DecisionIn:
    from .intake import decision_from_json

    return _run(decision_from_json, path, facts=facts, claim_key=claim_key, year=year, unit_name=name,
                account_no=account, contact=contact)


@case_app.command("self-apply")
def self_apply(path: Path = APP, facts: Path = FACTS, claim_key: str = CLAIM, year: int = YEAR, name: str = NAME,
               account: str = ACCOUNT, contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """自主申请 / self-application (wengang evaluate --json output or a DecisionIn JSON)."""
    did = _run(_open(db).self_apply, _decision(path, facts, claim_key, year, name, account, contact), user)
    console.print(f"✔ 申请已登记，决定 {did} / decision {did}")


@case_app.command("dispatch-apply")
def dispatch_apply(path: Path = typer.Argument(..., help='{"decision": {...}, "allocations": [...]}'),
                   facts: Path = FACTS, year: int = YEAR, name: str = NAME, account: str = ACCOUNT,
                   contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """劳务派遣单位申请（含用工单位分配）/ dispatch-firm application with user-unit allocations.

    ``decision`` is wengang evaluate --json output or a DecisionIn."""
    from .intake import decision_from_obj, read_json
    from .models import AllocationIn

    body = _run(read_json, path, "申请文件")
    if not isinstance(body, dict) or "decision" not in body or "allocations" not in body:
        _run(_refuse, "bad_input", '派遣单位申请文件应为 {"decision": …, "allocations": […]}',
             'the dispatch application must be {"decision": ..., "allocations": [...]}')
    fx = _run(read_json, facts, "事实文件") if facts else None
    dec = _run(decision_from_obj, body["decision"], facts=fx, year=year, unit_name=name, account_no=account,
               contact=contact)
    try:
        allocations = [AllocationIn(**a) for a in body["allocations"]]
    except TypeError as exc:
        _run(_refuse, "bad_input", f"用工单位分配格式有误（{exc}）", f"bad allocation: {exc}")
    did = _run(_open(db).apply_dispatch, dec, allocations, user)
    console.print(f"✔ 派遣单位申请已登记，决定 {did} / decision {did}")


@case_app.command("skill-apply")
def skill_apply(path: Path = APP, facts: Path = FACTS, claim_key: str = CLAIM, year: int = YEAR, name: str = NAME,
                account: str = ACCOUNT, contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """技能提升补贴申请 / skill-subsidy application (wengang evaluate --json output, with --facts or --claim-key)."""
    did = _run(_open(db).apply_skill_subsidy, _decision(path, facts, claim_key, year, name, account, contact), user)
    console.print(f"✔ 申请已登记，决定 {did} / decision {did}")


@case_app.command("resolve")
def resolve(decision_id: DecisionId, eligible: bool = typer.Option(..., "--eligible/--ineligible"),
            amount_fen: int = AMOUNT, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """待认定 → 人工认定 / resolve a needs-decision case."""
    _run(_open(db).resolve, decision_id, user, eligible=eligible, amount_fen=amount_fen, reason=reason)
    console.print(f"✔ 决定 {decision_id} 已认定 / resolved")


@case_app.command("review")
def review(decision_id: DecisionId, stage: int = typer.Option(..., min=1, max=2, help="1 初审 / 2 复审"),
           approve: bool = typer.Option(..., "--approve/--reject"), reason: str = typer.Option(...),
           db: str = DB, user: str = USER) -> None:
    """初审 / 复审（复审须另一人）/ first or second review."""
    led = _open(db)
    _run(led.first_review if stage == 1 else led.second_review, decision_id, user, approve=approve, reason=reason)
    console.print(f"✔ 决定 {decision_id} 第 {stage} 次审核完成 / reviewed")


@case_app.command("hold")
def hold(decision_id: DecisionId, reason: str = "缓缴企业待补足失业保险费", db: str = DB, user: str = USER) -> None:
    """暂缓发放 / hold payment."""
    _run(_open(db).hold, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 暂缓发放 / held")


@case_app.command("release")
def release(decision_id: DecisionId, reason: str = "已补足缓缴的失业保险费", db: str = DB, user: str = USER) -> None:
    """解除暂缓 / release a hold."""
    _run(_open(db).release, decision_id, user, reason=reason)
    console.print(f"✔ 决定 {decision_id} 解除暂缓 / released")


@case_app.command("publicize")
def publicize(list_key: str, program: Program, year: Year, starts: str = typer.Option(...),
              days: int = typer.Option(7, min=1, max=365),
              db: str = DB, user: str = USER) -> None:
    """公示复审通过的名单 / put approved decisions on a 公示 list."""
    n = _run(_open(db).publicize, list_key, program, year, user, starts_on=_day(starts, "公示开始日期 --starts"), days=days)
    console.print(f"✔ 公示 {n} 个单位 / {n} publicized")


@case_app.command("pay")
def pay(batch_key: str, program: Program, year: Year, today: str = typer.Option(None), db: str = DB, user: str = USER) -> None:
    """发放一个批次（可重复执行，中断后续跑）/ run a payment batch (idempotent, resumable)."""
    res = _run(_open(db).run_payment_batch, batch_key, program, year, user, today=_day(today))
    console.print(f"✔ 本次发放 {res.paid} 个单位，共 {res.amount_fen / 100:,.2f} 元；缺少账户 {res.missing_account} 个 / "
                  f"paid {res.paid}, {res.amount_fen} fen; {res.missing_account} missing an account")


@case_app.command("bounce")
def bounce(payment_id: RecordId, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """登记银行退回 / record a bounced payment."""
    _run(_open(db).record_bounce, payment_id, user, reason=reason)
    console.print(f"✔ 支付 {payment_id} 已登记退回 / bounced")


@case_app.command("fix-account")
def fix_account(decision_id: DecisionId, account: str, db: str = DB, user: str = USER) -> None:
    """退回后更正账户 / correct the account after a bounce."""
    _run(_open(db).fix_account, decision_id, user, account_no=account)
    console.print(f"✔ 决定 {decision_id} 账户已更正 / account fixed")


@case_app.command("set-account")
def set_account(decision_id: DecisionId, account: str, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """发放前补录收款账户（如税务提供的缴费账户）/ give the payee account before payment."""
    _run(_open(db).set_account, decision_id, user, account_no=account, reason=reason)
    console.print(f"✔ 决定 {decision_id} 账户已登记 / account set")


@case_app.command("resize")
def resize(decision_id: DecisionId, size_class: str, amount_fen: AmountFen, reason: str = typer.Option(...),
           db: str = DB, user: str = USER) -> None:
    """划型变更，多退少补 / size-class change and settlement."""
    res = _run(_open(db).change_size_class, decision_id, user, new_size_class=size_class,
               new_amount_fen=amount_fen, reason=reason)
    console.print(f"✔ 差额 {res.diff_fen} 分；补发 {res.supplement_payment_id}；追回 {res.recovery_id} / {res}")


@case_app.command("recovery-received")
def recovery_received(recovery_id: RecordId, amount_fen: AmountFen, db: str = DB, user: str = USER) -> None:
    """登记追回到账 / record a recovery received."""
    _run(_open(db).record_recovery_receipt, recovery_id, user, amount_fen=amount_fen)
    console.print(f"✔ 追回单 {recovery_id} 已到账 / received")


@case_app.command("dispatch-transfer")
def dispatch_transfer(allocation_id: RecordId, amount_fen: AmountFen, voucher: str = typer.Option(...),
                      db: str = DB, user: str = USER) -> None:
    """登记派遣单位向用工单位拨付 / record a transfer to a user unit."""
    tid = _run(_open(db).record_transfer, allocation_id, user, amount_fen=amount_fen, voucher=voucher)
    console.print(f"✔ 拨付 {tid} 已登记 / transfer {tid}")


@case_app.command("dispatch-misuse")
def dispatch_misuse(decision_id: DecisionId, reason: str = typer.Option(...), amount_fen: int = AMOUNT,
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
def show(decision_id: DecisionId, db: str = DB) -> None:
    """查看一个决定及其历史 / show one decision and its history."""
    d = _run(_open(db, existing=True).decision, decision_id)
    console.print(f"[bold]{d['unit_name']}[/bold] {d['unit_id']}  {d['program']} {d['year']}  "
                  f"状态 {STATE_ZH.get(d['state'], d['state'])}  应发 {d['entitlement']['amount_fen']} 分")
    console.print(d["explanation"])
    for h in d["history"]:
        console.print(f"  {h['seq']:>6} {h['at'][:19]} {h['actor']:<12} {h['action']:<14} {h['reason']}")


@case_app.command("balance")
def balance(unit_id: str = typer.Option(None), program: str = typer.Option(None, callback=_known_program),
            db: str = DB) -> None:
    """单位余额（已发 − 退回 − 追回）/ balances per unit and program."""
    t = Table("unit", "program", "paid", "returned", "recovered", "net", "recovery due")
    for r in _open(db, existing=True).balances(unit_id=unit_id, program=program):
        t.add_row(r["unit_id"], r["program"], *(str(r[k]) for k in ("paid_fen", "returned_fen", "recovered_fen",
                                                                   "net_fen", "recovery_outstanding_fen")))
    console.print(t)


@audit_app.command("verify")
def verify(db: str = DB, expect_head: str = typer.Option(None, help="外部留存的链头哈希 / anchored head hash")) -> None:
    """校验审计链（篡改、删除、重排）及金额对账 / verify the audit chain and reconcile money."""
    led = _open(db, existing=True)
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
