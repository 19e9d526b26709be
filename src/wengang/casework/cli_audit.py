"""``wengang audit verify|keygen|checkpoint|rotate-key`` and the signed checkpoints every ``wengang case`` command
writes when it appended audit events.

Settings (options of ``wengang case`` before the command, or environment):
``--signing-key`` / ``WENGANG_SIGNING_KEY`` (private key file, made by ``wengang audit keygen``),
``--checkpoints`` / ``WENGANG_CHECKPOINTS`` (JSONL file; default next to a SQLite database),
``--checkpoints-db`` / ``WENGANG_CHECKPOINTS_DB`` (optional second store). See docs/audit-keys.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .cli import DB, _run, audit_app, case_app, console

if TYPE_CHECKING:
    from .ledger import Ledger

CONFIG: dict[str, str | None] = {}
_OPEN: list[Ledger] = []  # ledgers the running ``case`` command opened: checkpointed when it ends

KEY_OPT = typer.Option(None, "--signing-key", envvar="WENGANG_SIGNING_KEY",
                       help="检查点签名私钥文件（wengang audit keygen 生成）/ Ed25519 private key file")
CP_OPT = typer.Option(None, "--checkpoints", envvar="WENGANG_CHECKPOINTS",
                      help="签名检查点文件（默认在 SQLite 数据库旁）/ checkpoint JSONL file")
CPDB_OPT = typer.Option(None, "--checkpoints-db", envvar="WENGANG_CHECKPOINTS_DB",
                        help="另存检查点的第二个数据库 URL（可选）/ optional second store")


@case_app.callback()
def _case_group(ctx: typer.Context, signing_key: str = KEY_OPT, checkpoints: str = CP_OPT,
                checkpoints_db: str = CPDB_OPT) -> None:
    """稳岗返还等经办台账 / casework ledger."""
    CONFIG.update(signing_key=signing_key, checkpoints=checkpoints, checkpoints_db=checkpoints_db)
    # closed last-in first-out: sign the new heads with these settings, then forget them, so that a later
    # command in the same process (another group, such as `risk import`) does not sign with this command's key
    ctx.call_on_close(CONFIG.clear)
    ctx.call_on_close(_finish_all)


def _setting(name: str, env: str) -> str | None:
    return CONFIG.get(name) or os.environ.get(env) or None


def attach(led: Ledger, db: str) -> Ledger:
    """Give a CLI command's ledger its checkpoint signer; when the command ends, sign the new head (or warn
    that nothing is being signed)."""
    from .checkpoints import signer_from

    led.checkpointer = _run(signer_from, _setting("signing_key", "WENGANG_SIGNING_KEY"),
                            _setting("checkpoints", "WENGANG_CHECKPOINTS"), db,
                            _setting("checkpoints_db", "WENGANG_CHECKPOINTS_DB"))
    _OPEN.append(led)
    return led


def _finish_all() -> None:
    failed = False
    while _OPEN:
        failed = not _finish(_OPEN.pop()) or failed
    if failed:  # docs/audit-keys.md: the command fails — a scheduled job must not read it as done
        raise SystemExit(1)


def _finish(led: Ledger) -> bool:
    """Sign a checkpoint over what the command appended, and say so on stderr: stdout stays the command's own output
    (``case list --format json`` is read by programs)."""
    from rich.console import Console

    from .errors import LedgerError

    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

    ok = True
    try:
        rec = led.checkpoint()
    except LedgerError as e:
        console.print(f"[red]✘ 未能写入签名检查点：{e.zh}[/red]\n  checkpoint not written: {e.en}")
        rec, ok = None, False
    if rec is not None:
        console.print(f"✔ 已写入签名检查点：事件 {rec['seq']} / signed checkpoint at event {rec['seq']}")
    elif led.appended and led.checkpointer is None:
        console.print("[yellow]⚠ 未配置签名密钥（WENGANG_SIGNING_KEY），本次新增的审计事件没有写入签名检查点："
                      "整链重算或尾部截断将无法发现（见 docs/audit-keys.md）[/yellow]\n"
                      "  no signing key: checkpoints are not being signed")
    led.engine.dispose()
    return ok


@audit_app.command("verify")
def verify(db: str = DB, expect_head: str = typer.Option(None, help="外部留存的链头哈希 / anchored head hash"),
           checkpoints: str = typer.Option(None, "--checkpoints", envvar="WENGANG_CHECKPOINTS",
                                           help="签名检查点文件 / checkpoint file"),
           checkpoints_db: str = typer.Option(None, "--checkpoints-db", envvar="WENGANG_CHECKPOINTS_DB",
                                              help="第二份检查点所在数据库 / second checkpoint store"),
           public_key: Path = typer.Option(None, "--public-key",
                                           help="审计员持有的检查点公钥 / the auditor's copy of the public key"),
           user: str = typer.Option(None, "--user", "-u",
                                    help="操作人登录名（可省略：外部审计员校验台账副本无须是台账的操作人员）/ operator, optional")) -> None:
    """校验审计链（篡改、删除、重排、整链重算、截断）、按事件重建的状态与账户，及金额对账 / verify the ledger.

    不需要登记为操作人员：审计员拿台账副本、检查点文件和自己保存的公钥即可校验（台账里的操作人员表本身可能被改动）。
    Needs no operator: an auditor verifies a copy with the checkpoint file and their own public key (the operator
    table may itself have been tampered with)."""
    from .checkpoints import verify_from_options
    from .cli import _open_ledger
    from .operators import require

    led = _run(_open_ledger, db, True)  # only reads: a mistyped SQLite path is refused, not created
    if user is not None:
        _run(require, led, user, "read")
    rep = led.verify_audit()
    with led.engine.connect() as conn:
        _run(verify_from_options, conn, rep, db_url=db, checkpoints=checkpoints, checkpoints_db=checkpoints_db,
             public_key=str(public_key) if public_key else None)
    rec = led.reconcile()
    led.close()
    ok = rep.ok and rec["ok"] and (expect_head is None or expect_head == rep.head_hash)
    for p in rep.problems:
        console.print(f"[red]✘ {p}[/red]")
    if not rec["ok"]:
        for zh, en in reconcile_lines(rec):
            console.print(f"[red]✘ 金额对账不平：{zh} / money does not reconcile: {en}[/red]")
    if expect_head and expect_head != rep.head_hash:
        console.print("[red]✘ 链头与外部留存不符（可能被截断）/ head differs from the anchored one (truncated?)[/red]")
    for w in rep.warnings:
        console.print(f"[yellow]⚠ {w}[/yellow]")
    status = "[green]✔ 审计链完整[/green]" if ok else "[red]✘ 审计链校验失败[/red]"
    console.print(f"{status} 事件 {rep.events} 条，链头 {rep.head_seq}:{rep.head_hash} / "
                  f"{'OK' if ok else 'FAILED'}: {rep.events} events, head {rep.head_seq}:{rep.head_hash}")
    raise typer.Exit(0 if ok else 1)


_TABLE_ZH = {"case_payments": "支付表", "case_payment_returns": "退回表", "case_recoveries": "追回单表",
             "case_recovery_receipts": "追回到账表"}
_FATE_ZH = {"withdrawn_fen": ("撤回（未报盘即撤回）", "withdrawn before sending"),
            "not_sent_fen": ("已付款未报盘", "paid, not yet in a bank file"),
            "with_bank_fen": ("已报盘待银行回盘", "with the bank, unanswered")}


def reconcile_lines(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """``Ledger.reconcile``'s differences as sentences, each naming the table and the difference (outside casework
    audit D5, session 42: it printed the report as a Python dict)."""
    from wengang.money import format_yuan

    def diff(a: int, b: int) -> str:
        return format_yuan(abs(a - b)) + ("（多）" if a > b else "（少）")

    out: list[tuple[str, str]] = []
    for table, zh in _TABLE_ZH.items():
        r = rec.get(table) or {}
        t, e = int(r.get("table_fen", 0)), int(r.get("events_fen", 0))
        if t != e:
            out.append((f"{table}（{zh}）金额合计 {format_yuan(t)}，审计事件记载的是 {format_yuan(e)}，相差 {diff(t, e)}",
                        f"{table}: rows total {t} fen, the audit events record {e} fen ({t - e:+d} fen)"))
    for r in rec.get("recovered_above_paid") or ():
        out.append((f"case_recoveries（追回单表）：{r['zh']}", f"case_recoveries: {r['en']}"))
    for r in rec.get("receipts_above_order") or ():
        out.append((f"case_recovery_receipts（追回到账表）：{r['zh']}", f"case_recovery_receipts: {r['en']}"))
    net, expect = rec.get("net_fen"), rec.get("expect_net_fen")
    if net is not None and expect is not None and net != expect:
        out.append((f"各单位余额的净发放合计 {format_yuan(net)}，按支付表、退回表与追回到账表应为 {format_yuan(expect)}，"
                    f"相差 {diff(net, expect)}",
                    f"the units' balances net {net} fen; case_payments, case_payment_returns and case_recovery_receipts "
                    f"give {expect} fen ({net - expect:+d} fen)"))
    for k, v in (rec.get("fates") or {}).items():
        b = (rec.get("balance_fates") or {}).get(k)
        if b is not None and b != v:
            zh, en = _FATE_ZH.get(k, (k, k))
            out.append((f"各单位余额中“{zh}”合计 {format_yuan(b)}，按 case_payments / case_payment_returns 逐笔认定为 "
                        f"{format_yuan(v)}，相差 {diff(b, v)}",
                        f"the units' balances count {b} fen as {en}; the payment rows give {v} fen ({b - v:+d} fen)"))
    if not out:
        out.append(("净发放与已发出金额不一致（各单位余额与支付、退回、追回记录不符）",
                    "net sent differs from the payment, return and recovery rows"))
    return out


@audit_app.command("keygen")
def keygen(out: Path = typer.Option(..., "--out", help="私钥文件（权限 0600），公钥写入 <out>.pub / private key file")) -> None:
    """生成检查点签名密钥（Ed25519）/ make a checkpoint signing key."""
    from .checkpoints import keygen as make

    key, pub = _run(make, out)
    console.print(f"✔ 私钥 {key}（仅签名人持有，权限 0600）；公钥 {pub}（交审计员）/ private key {key}, public key {pub}\n"
                  f"  设置 WENGANG_SIGNING_KEY={key} 后，每个追加审计事件的命令都会写入签名检查点")


def _signer(db: str) -> Any:
    from .checkpoints import signer_from
    from .errors import LedgerError

    key = _setting("signing_key", "WENGANG_SIGNING_KEY")
    if not key:
        _run(_raise, LedgerError("no_key", "未配置签名私钥（--signing-key 或 WENGANG_SIGNING_KEY）",
                                 "no signing key (--signing-key or WENGANG_SIGNING_KEY)"))
    return _run(signer_from, key, _setting("checkpoints", "WENGANG_CHECKPOINTS"), db,
                _setting("checkpoints_db", "WENGANG_CHECKPOINTS_DB"))


def _raise(e: Exception) -> None:
    raise e


@audit_app.command("checkpoint")
def checkpoint(db: str = DB, signing_key: str = KEY_OPT, checkpoints: str = CP_OPT, checkpoints_db: str = CPDB_OPT) -> None:
    """立即写入一个签名检查点 / sign the current chain head now."""
    from .ledger import Ledger

    CONFIG.update(signing_key=signing_key, checkpoints=checkpoints, checkpoints_db=checkpoints_db)
    signer = _signer(db)
    led = Ledger.open(db)
    rec = _run(signer.write, led)
    led.close()
    console.print(f"✔ 签名检查点：事件 {rec['seq']}，{rec['events']} 个事件 / checkpoint at event {rec['seq']}")


@audit_app.command("rotate-key")
def rotate_key(new_public_key: Path = typer.Option(..., "--new-public-key", help="新密钥的公钥文件 / the new public key"),
               db: str = DB, signing_key: str = KEY_OPT, checkpoints: str = CP_OPT,
               checkpoints_db: str = CPDB_OPT) -> None:
    """轮换签名密钥：用旧密钥签署一行，指明新公钥 / rotate: the old key signs a line naming the new key."""
    from .checkpoints import load_public
    from .ledger import Ledger

    CONFIG.update(signing_key=signing_key, checkpoints=checkpoints, checkpoints_db=checkpoints_db)
    signer = _signer(db)
    new = _run(load_public, new_public_key)
    led = Ledger.open(db)
    rec = _run(signer.rotate, new, led)
    led.close()
    console.print(f"✔ 已轮换：{rec['key']} → {rec['new_key_id']}；今后请用新私钥签名 / rotated; sign with the new key from now on")
    # the new key's process trusts the file's first key, not the copy beside the file (docs/audit-keys.md "轮换")
    from .checkpoints import public_pem, root_path

    root = root_path(Path(str(new_public_key).removesuffix(".pub")))
    if not root.exists():
        root.write_bytes(public_pem(signer.trusted_root))
        console.print(f"  首个公钥已写入 {root}（与新私钥放在一起，付款前据此核对检查点文件）/ first public key written to {root}")
