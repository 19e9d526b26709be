"""The caseworker's whole story on the demo region, as one run (``wengang demo story --out DIR``).

demo region → 免申即享 screening → import into the ledger → 告知 (the notice's outbox) → 初审 / 复审 by two
people → 公示 (XLSX + PDF) → payee accounts (requested by the 出纳, approved by a 复核) → payment batch →
bank disbursement file → the bank's return file with some bounces → corrected accounts → re-payment → letters →
多退少补 after a size-class change (the top-up paid in a third batch and bank file) → recovery received → balances reconciled to the fen, the audit chain and
its signed checkpoints verified. Every artefact stays in ``out`` for a person to open; ``story.json`` sums it up.

The bank does not exist here: its return file is written the way the bank would (``documents.bank``), with a
fixed share of accounts refused. Account numbers and bank codes come from a made-up account register
(``data/accounts.csv``) — screening data carry no account numbers, so an agency keeps them apart.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PROGRAM, YEAR, REGION = "fanhuan", 2025, "150500"
REVIEW_DAY = date(2025, 8, 1)
PUBLICITY_START, PUBLICITY_DAYS = date(2025, 9, 1), 7
PAYDAY = date(2025, 9, 15)
PAYER_ACCOUNT = "15050100000000000001"  # the fund's 支出户 (made up for the demo)
BANK_CODE = "105191000011"  # one 12-digit 支付系统行号 for every made-up payee account
BOUNCE_EVERY = 25  # the bank refuses one account in 25 (账户已销户)

# The demo office: one operator per role (登录名, 角色, 显示名).
STAFF = (
    ("admin", "管理员", "王管理"),
    ("zhang", "经办", "张经办"),
    ("li", "复核", "李复核"),
    ("zhao", "出纳", "赵出纳"),
    ("qian", "稽核", "钱稽核"),
)
CLERK, CHECKER, CASHIER, AUDITOR = "zhang", "li", "zhao", "qian"


@dataclass
class StoryReport:
    """What the run did, step by step, and whether the money reconciles."""

    out: str
    db_url: str
    units: int = 0
    screened: dict[str, int] = field(default_factory=dict)
    imported: int = 0
    adopted: int = 0  # 待认定 decisions settled by the readings the agency adopted
    notified: int = 0
    messages_sent: int = 0
    first_reviewed: int = 0
    approved: int = 0
    publicized: int = 0
    accounts_approved: int = 0
    without_account: int = 0
    paid_first: int = 0
    bank_files: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    bounced: int = 0
    repaid: int = 0
    letters: int = 0
    resize: dict[str, Any] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    reconciled: bool = False
    audit_ok: bool = False
    checkpoints: int = 0
    artefacts: dict[str, str] = field(default_factory=dict)


def _account(unit_id: str, salt: str = "") -> str:
    """A made-up 19-digit account number for a unit (stable: the same unit, the same account)."""
    digits = str(int(hashlib.sha256((unit_id + salt).encode()).hexdigest(), 16))[:15]
    return "6222" + digits


def run_story(out: Path, *, db_url: str | None = None, units: int = 2000, schema: str | None = None,
              say: Callable[[str], None] = print) -> StoryReport:
    """Walk the whole path on the demo region; every artefact goes to ``out``. Raises on any step that fails."""
    import polars as pl

    from wengang.casework import Ledger, LedgerError
    from wengang.casework.checkpoints import (
        Signer,
        Store,
        keygen,
        load_private,
        stored_public_path,
        verify_from_options,
    )
    from wengang.casework.intake import read_screening_output, trusted_keys_of
    from wengang.casework.notices import FileSender
    from wengang.casework.operators import add_operator
    from wengang.casework.outputs import apply_return_file, write_bank_file, write_letters, write_publicity
    from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.demo_readings import DEMO_ADOPTED, DEMO_READINGS
    from wengang.screening.pipeline import run_screening

    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{out / 'ledger.db'}"
    rep = StoryReport(out=str(out), db_url=db_url, units=units)

    say(f"1 生成通辽市（{REGION}）模拟数据：{units:,} 个参保单位 / demo region")
    paths = generate_region(out / "data", region_code=REGION, n_units=units, year=YEAR, seed=0)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals",
                                    "dispatch")}
    say("2 免申即享筛查：稳岗返还，内人社发〔2025〕18号 / screening")
    # the ledger's key signs the run's record too, so that the ledger takes its rows in unheld (casework.intake)
    key, _pub = keygen(out / "keys" / "checkpoint.key")
    screen = run_screening(out / "results", program=PROGRAM, evaluation_date=REVIEW_DAY, policy_year=YEAR, tables=tables,
                           allowed_regions=allowed_regions_for(REGION, YEAR) | {REGION}, readings=dict(DEMO_READINGS),
                           signing_key=key)
    rep.screened = {status: units for status, units, _ in screen.summary.by_status}

    say("3 建立台账与操作人员（管理员、经办、复核、出纳、稽核），签名检查点密钥 / ledger, operators, signing key")
    led = Ledger.open(db_url, schema=schema)
    led.checkpointer = Signer(load_private(key), Store(out / "checkpoints.jsonl", None))
    announce = say

    def say(text: str) -> None:  # each step starts by signing where the previous one left the chain
        led.checkpoint()
        announce(text)

    try:
        add_operator(led, STAFF[0][0], roles=[STAFF[0][1]], display_name=STAFF[0][2], bootstrap=True)
        for login, role, display in STAFF[1:]:
            add_operator(led, login, roles=[role], display_name=display, actor="admin")

        say("4 导入筛查结果（原样，无需手工修改）/ import the screening run as written")
        si = read_screening_output(out / "results", trusted_keys=trusted_keys_of(led))
        res = led.import_decisions(si.run, si.frame, CLERK)
        rep.imported = res.inserted
        again = led.import_decisions(si.run, si.frame, CLERK)
        assert again.inserted == 0, "the same run was imported twice"
        announce("  认定政策理解：待认定的单位按规则在认定的理解下的结果办理（case adopt）/ adopt readings")
        for did in led.select_ids(program=PROGRAM, year=YEAR, states=["pending_determination"]):
            try:
                led.adopt_readings(did, CLERK, readings=DEMO_ADOPTED, reason="局务会议认定")
            except LedgerError as e:
                if e.code not in ("bad_readings", "no_outcomes"):  # one that still waits for data stays 待认定
                    raise
            else:
                rep.adopted += 1

        say("5 告知（内人社发〔2025〕18号 四：短信告知，无需企业申请）/ notify, send")
        rep.notified = led.notify(PROGRAM, YEAR, CLERK, channels=("sms",))
        rep.messages_sent = led.deliver_outbox(FileSender(out / "outbox.jsonl"), actor=CLERK)["sent"]

        say("6 初审（经办）与复审（复核，另一人）/ first and second review by two people")
        todo = led.select_ids(program=PROGRAM, year=YEAR, states=["notified", "screened"])
        rep.first_reviewed = led.review_many(todo, CLERK, stage=1, approve=True, reason="数据比对符合条件，初审通过")
        todo = led.select_ids(program=PROGRAM, year=YEAR, states=["first_reviewed"])
        rep.approved = led.review_many(todo, CHECKER, stage=2, approve=True, reason="复审通过")

        say("7 公示：复审通过的名单，XLSX 与 PDF / 公示 list")
        rep.publicized = led.publicize("GS-2025-01", PROGRAM, YEAR, CLERK, starts_on=PUBLICITY_START,
                                       days=PUBLICITY_DAYS)
        xlsx, pdf, _ = write_publicity(led, "GS-2025-01", out / "publicity", issued_on=PUBLICITY_START)
        rep.artefacts.update({"公示 XLSX": str(xlsx), "公示 PDF": str(pdf)})

        say("8 收款账户：出纳按账户登记表申请，复核人员复核后生效 / payee accounts, four eyes")
        features = pl.read_parquet(out / "results" / "features.parquet",
                                   columns=["credit_code", "has_corporate_account", "has_tax_payment_account"])
        known = {r["credit_code"]: r for r in features.iter_rows(named=True)}
        register = out / "data" / "accounts.csv"
        rows = []
        for did in led.select_ids(program=PROGRAM, year=YEAR, states=["publicized"]):
            d = led.decision(did)
            f = known.get(d["unit_id"], {})
            if f.get("has_corporate_account"):
                rows.append((did, d["unit_id"], _account(d["unit_id"]), "对公账户"))
            elif f.get("has_tax_payment_account"):
                rows.append((did, d["unit_id"], _account(d["unit_id"], "tax"), "税务部门协助提供的缴费账户"))
        with register.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["统一社会信用代码", "收款账号", "账户类型", "开户行行号"])
            w.writerows([(u, acc, kind, BANK_CODE) for _, u, acc, kind in rows])
        led.set_payee_banks({acc: BANK_CODE for _, _, acc, _ in rows}, CASHIER)
        for did, _, acc, kind in rows:
            cid = led.set_account(did, CASHIER, account_no=acc, reason=f"账户登记表：{kind}")
            led.approve_account(cid, CHECKER, reason="与登记表核对一致")
        rep.accounts_approved = len(rows)

        say("9 发放：公示期满后按批次发放，写出银行报盘文件 / pay, bank file")
        # 兵团征求意见稿 二(一): one unit not yet classified by the statistics office is paid by the 社保 system's class
        # (大型, 30%) and settled (多退少补) once classified (step 12)
        provisional = next(i for i in led.select_ids(program=PROGRAM, year=YEAR, states=["publicized"])
                           if (d := led.decision(i))["account_no"] and d["size_class"] in ("medium", "small", "micro")
                           and d["unit_id"].startswith("91"))
        official = led.decision(provisional)["size_class"]
        led.change_size_class(provisional, CHECKER, new_size_class="large",
                              reason="暂按社保信息系统企业划型（大型）审核发放，待正式划型后多退少补")
        batch = led.run_payment_batch("P2025-01", PROGRAM, YEAR, CASHIER, today=PAYDAY)
        rep.paid_first, rep.without_account = batch.paid, batch.missing_account
        sent = write_bank_file(led, "P2025-01", out / "bank", CASHIER, payer_account=PAYER_ACCOUNT, on=PAYDAY)
        assert sent is not None, "no payment to send"
        rep.bank_files.append({"file": str(sent.path), "count": sent.count, "total_fen": sent.total_fen})

        say("10 银行回盘：部分账户退回（账户已销户）/ the bank's return with bounces")
        back_on = PAYDAY + timedelta(days=2)
        bank = read_bank_file(sent.path)
        records = [ReturnRecord(p.reference, i % BOUNCE_EVERY != 0, p.amount_fen, p.account,
                                "" if i % BOUNCE_EVERY else "账户已销户")
                   for i, p in enumerate(bank.payments)]
        ret = write_return_file(sent.file_key, back_on, records, out / "bank" / f"{sent.file_key}-回盘.txt")
        applied = apply_return_file(led, ret, CASHIER).result
        assert applied.reconciles and not applied.refused, applied.refused
        rep.bounced = len(applied.bounced)
        rep.returns.append({"file": str(ret), "lines": applied.lines, "confirmed": len(applied.confirmed),
                            "bounced": len(applied.bounced), "refused": len(applied.refused)})

        say("11 更正账户（复核）后重新发放，第二个报盘与回盘 / fix accounts, re-pay")
        for b in applied.bounced:
            d = led.decision(b["decision_id"])
            new = _account(d["unit_id"], "new")
            led.set_payee_banks({new: BANK_CODE}, CASHIER)
            cid = led.fix_account(b["decision_id"], CASHIER, account_no=new, reason="单位提供新开立账户")
            led.approve_account(cid, CHECKER, reason="已核实新账户")
        again_batch = led.run_payment_batch("P2025-02", PROGRAM, YEAR, CASHIER, today=back_on + timedelta(days=5))
        rep.repaid = again_batch.paid
        if again_batch.paid:
            sent2 = write_bank_file(led, "P2025-02", out / "bank", CASHIER, payer_account=PAYER_ACCOUNT,
                                    on=back_on + timedelta(days=5))
            assert sent2 is not None
            rep.bank_files.append({"file": str(sent2.path), "count": sent2.count, "total_fen": sent2.total_fen})
            bank2 = read_bank_file(sent2.path)
            ret2 = write_return_file(sent2.file_key, back_on + timedelta(days=7),
                                     [ReturnRecord(p.reference, True, p.amount_fen, p.account) for p in bank2.payments],
                                     out / "bank" / f"{sent2.file_key}-回盘.txt")
            r2 = apply_return_file(led, ret2, CASHIER).result
            assert r2.reconciles and not r2.refused and not r2.bounced
            rep.returns.append({"file": str(ret2), "lines": r2.lines, "confirmed": len(r2.confirmed), "bounced": 0,
                                "refused": 0})

        say("12 多退少补：一家企业划型变更后少发的补发、另一家多发的追回 / size-class change, settle")
        paid = led.select_ids(program=PROGRAM, year=YEAR, states=["paid"])
        up = led.decision(provisional)
        down = next(led.decision(i) for i in paid if i != provisional and led.decision(i)["size_class"] in (
            "medium", "small", "micro") and led.decision(i)["unit_id"].startswith("91"))
        assert up["state"] == "paid", "the provisionally classified unit was not paid"
        # the rules' amount for the official class (兵团 二(一) “按最新企业划型数据进行多退少补”): 60% instead of 30%
        more = led.change_size_class(up["id"], CHECKER, new_size_class=official,
                                     reason="统计部门正式划型：中小微企业，按60%补发差额")
        less = led.change_size_class(down["id"], CHECKER, new_size_class="large",
                                     reason="统计部门更正划型：大型企业，按30%追回多发部分")
        assert more.supplement_due_fen > 0 and less.recovery_id is not None
        # received on the story's own calendar (not the real today): the monthly report dates a receipt by it
        led.record_recovery_receipt(less.recovery_id, CASHIER, amount_fen=-less.diff_fen,
                                    received_on=back_on + timedelta(days=7))
        # the top-up is paid by the 出纳 in the next batch and goes to the bank in its file, like any payment
        top_on = back_on + timedelta(days=9)
        top = led.run_payment_batch("P2025-03", PROGRAM, YEAR, CASHIER, today=top_on)
        assert top.supplements == 1 and top.supplement_fen == more.diff_fen
        sent3 = write_bank_file(led, "P2025-03", out / "bank", CASHIER, payer_account=PAYER_ACCOUNT, on=top_on)
        assert sent3 is not None
        rep.bank_files.append({"file": str(sent3.path), "count": sent3.count, "total_fen": sent3.total_fen})
        ret3 = write_return_file(sent3.file_key, top_on + timedelta(days=2),
                                 [ReturnRecord(p.reference, True, p.amount_fen, p.account)
                                  for p in read_bank_file(sent3.path).payments],
                                 out / "bank" / f"{sent3.file_key}-回盘.txt")
        r3 = apply_return_file(led, ret3, CASHIER).result
        assert r3.reconciles and not r3.refused and not r3.bounced
        rep.returns.append({"file": str(ret3), "lines": r3.lines, "confirmed": len(r3.confirmed), "bounced": 0,
                            "refused": 0})
        rep.resize = {"supplement_decision": up["id"], "supplement_fen": more.diff_fen,
                      "recovery_decision": down["id"], "recovered_fen": -less.diff_fen}

        say("13 决定书：已发放的与不符合条件的，各合为一个 PDF（含救济途径）/ decision letters")
        letters = write_letters(led, paid, out / "letters" / "发放", batch=True, issued_on=back_on)
        refused_ids = led.select_ids(program=PROGRAM, year=YEAR, states=["not_eligible"])
        refusals = write_letters(led, refused_ids, out / "letters" / "不予发放", batch=True, issued_on=back_on)
        rep.letters = letters.letters + refusals.letters
        rep.artefacts["决定书 PDF"] = "、".join(str(p) for p in (*letters.paths, *refusals.paths))

        say("14 对账与审计：余额到分、审计链、签名检查点 / reconcile and verify")
        rec = led.reconcile()
        bal = led.balances(program=PROGRAM)
        rep.balances = {k: sum(r[k] for r in bal) for k in ("paid_fen", "returned_fen", "recovered_fen", "net_fen")}
        sent_total = sum(f["total_fen"] for f in rep.bank_files)  # the top-up is in the third file
        rep.reconciled = bool(rec["ok"]) and rep.balances["paid_fen"] == sent_total and rep.balances["net_fen"] == (
            rep.balances["paid_fen"] - rep.balances["returned_fen"] - rep.balances["recovered_fen"])
        led.checkpoint()
        audit_rep = led.verify_audit()
        with led.engine.connect() as conn:  # the chain against every signed checkpoint, with the auditor's key
            verify_from_options(conn, audit_rep, db_url=db_url, checkpoints=str(out / "checkpoints.jsonl"),
                                checkpoints_db=None, public_key=str(_pub))
        rep.audit_ok = audit_rep.ok
        rep.checkpoints = sum(1 for _ in (out / "checkpoints.jsonl").open(encoding="utf-8"))
    finally:
        led.close()

    rep.artefacts.update({
        "筛查结果": str(out / "results" / "results.parquet"), "筛查结果 XLSX": str(out / "results" / "results.xlsx"),
        "隔离记录": str(out / "results" / "quarantine.xlsx"), "短信与门户消息": str(out / "outbox.jsonl"),
        "账户登记表": str(register), "签名检查点": str(out / "checkpoints.jsonl"),
        "检查点公钥（交审计）": str(_pub), "检查点旁的公钥": str(stored_public_path(out / "checkpoints.jsonl")),
    })
    (out / "story.json").write_text(json.dumps(asdict(rep), ensure_ascii=False, indent=2), encoding="utf-8")
    return rep
