"""Shared builders for the casework tests."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from wengang.casework import DecisionIn, Ledger, RunIn
from wengang.casework.operators import add_operator

RUN = RunIn("fanhuan", 2025, "150000", {"contrib.parquet": "a" * 64}, {"内人社发〔2025〕18号": "2025-05-27"},
            {"layoff_rate": "anhui_2022"})
# 晋人社厅发〔2024〕28号 (2024, period to 2024-12-31): asks for confirmation and waives at the period's end
RUN_SX = RunIn("fanhuan", 2024, "140000", {"contrib.parquet": "b" * 64}, {"晋人社厅发〔2024〕28号": "2024-05-24"})
TODAY = date(2025, 7, 1)
DEADLINE = date(2025, 9, 30)
PAYDAY = date(2025, 11, 1)


# The standard operators (issue 12): login -> (roles, display name). ``lead`` holds 经办 and 复核, so a test
# can reach the rule that one person does not do both reviews of a decision.
STAFF = {
    "admin": (["管理员"], "王管理"),
    "clerk": (["经办"], "张经办"),
    "checker": (["复核"], "李复核"),
    "cashier": (["出纳"], "赵出纳"),
    "auditor": (["稽核"], "钱稽核"),
    "lead": (["经办", "复核"], "孙科长"),
}

# The names the list/bulk and bank-file tests were written with, registered with the roles their steps need
# (two reviewers who may do either stage; payers never review).
MORE_STAFF = {
    "screener": (["经办"], "筛查导入"), "cw": (["经办"], "经办甲"), "caseworker": (["经办"], "经办乙"),
    "portal": (["经办"], "网厅登记"), "unit": (["经办"], "单位代登"), "reviewer1": (["经办"], "初审员"),
    "reviewer2": (["复核"], "复审员"), "alice": (["经办", "复核"], "艾丽"), "bob": (["经办", "复核"], "鲍勃"),
}


def register_staff(ledger: Ledger, staff: dict[str, tuple[list[str], str]] = STAFF) -> Ledger:
    """Register the standard operators (the first admin by bootstrap, the rest by that admin)."""
    add_operator(ledger, "admin", roles=staff["admin"][0], display_name=staff["admin"][1], bootstrap=True)
    for login, (roles, display) in staff.items():
        if login != "admin":
            add_operator(ledger, login, roles=roles, display_name=display, actor="admin")
    return ledger


def staffed(db) -> None:
    """Register the standard operators in a test database given by ``url`` and ``schema`` (for CLI tests)."""
    led = Ledger.open(db.url, schema=db.schema)
    try:
        register_staff(led)
    finally:
        led.close()


def decision(i: int, **kw) -> DecisionIn:
    base = dict(
        unit_id=f"91150100MA{i:08d}", unit_name=f"呼和浩特测试企业{i}有限公司", region_code="150100",
        program="fanhuan", policy_doc="内人社发〔2025〕18号", clause="一", status="eligible",
        amount_fen=120_000 + i, reasons=["✔ 足额缴纳失业保险费12个月以上", "✔ 上年度裁员率不高于5.5%"],
        explanation="✔ 足额缴纳失业保险费12个月以上\n✔ 上年度裁员率 1.2% ≤ 5.5%\n中小微企业按60%返还",
        readings={"layoff_rate": "anhui_2022"}, payment_channel="corporate_account", size_class="small",
        year=2025, account_no=f"62220000{i:08d}", contact="13800000000",
    )
    base.update(kw)
    return DecisionIn(**base)


def decision_sx(i: int, **kw) -> DecisionIn:
    """A Shanxi (阳泉) 2024 decision under 晋人社厅发〔2024〕28号."""
    base = dict(unit_id=f"91140300MA{i:08d}", unit_name=f"阳泉测试企业{i}有限公司", region_code="140300",
                policy_doc="晋人社厅发〔2024〕28号", clause="二", year=2024, readings={})
    base.update(kw)
    return decision(i, **base)


def snapshot(ledger: Ledger) -> tuple[dict[str, int], str]:
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems
    return ledger.counts(), rep.head_hash


def approve_applied_accounts(ledger: Ledger, approver: str = "checker") -> None:
    """Approve every account given with an application: since session 35 (outside audit D4) it is a change request
    (kind ``apply``) that a second person approves before the decision is paid."""
    for c in ledger.account_changes():
        if c["kind"] == "apply":
            ledger.approve_account(c["id"], approver, reason="核对申请人提供的账户")


def to_payable(ledger: Ledger, n: int, *, start: int = 0) -> list[int]:
    """Import n decisions and carry them through notice, confirmation, both reviews (clerk, checker) and 公示;
    ``cashier`` may pay them."""
    ledger.import_decisions(RUN, [decision(i) for i in range(start, start + n)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(start, start + n)]
    assert ledger.confirm_many(ids, "clerk", today=TODAY) == n
    assert ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == n
    assert ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过") == n
    ledger.publicize(f"gs-{start}", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    return ids


def rewrite_chain(ledger: Ledger) -> None:
    """What a database administrator can do: recompute every content hash and event hash from the start."""
    from sqlalchemy import select, update

    from wengang.casework import audit
    from wengang.casework.models import AuditEvent

    ev = AuditEvent.__table__
    with ledger.engine.begin() as c:
        prev = audit.GENESIS
        for e in [dict(r) for r in c.execute(select(ev).order_by(ev.c.seq)).mappings()]:
            vals = {"prev_hash": prev}
            if e["content_hash"] is not None:
                n, h, _ = audit.rows_hash(c, e["entity"], e["ref"], audit.hashed_columns(e["entity"], e["after"]))
                vals.update(row_count=n, content_hash=h)
            e.update(vals)
            vals["hash"] = prev = audit.event_hash(e)
            c.execute(update(ev).where(ev.c.seq == e["seq"]).values(prev_hash=f"tmp{e['seq']}"))
            c.execute(update(ev).where(ev.c.seq == e["seq"]).values(**vals))


# ------------------------------------------------------------------ bank files, returns and risk flags (session 34)
BANK = "102191000019"  # a payee bank's 行号
PAYER = "15001234567890123456"  # the agency's paying account


def bank_file(led: Ledger, batch: str, out):
    """Write the batch's bank file as the 出纳 does (payee banks registered first); None when nothing is to send."""
    from wengang.casework.outputs import write_bank_file

    plan = led.bank_file_plan(batch)["payments"]
    if plan:
        led.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    return write_bank_file(led, batch, out, "cashier", payer_account=PAYER, on=PAYDAY)


def bank_return(led: Ledger, sent, results: dict[str, bool]):
    """The bank's answer to ``sent`` (a written bank file): reference → credited (True) or bounced; others unanswered."""
    from wengang.casework.ledger import BankReturnLine
    from wengang.documents.bank import read_bank_file

    lines = [
        BankReturnLine(n, p.reference, results[p.reference], p.amount_fen, p.account,
                       "" if results[p.reference] else "账户已销户")
        for n, p in enumerate(read_bank_file(sent.path).payments, 2)
        if p.reference in results
    ]  # fmt: skip
    return led.apply_bank_return(sent.file_key, lines, "cashier", sha256=sent.file_key.ljust(64, "0"), bank_date=PAYDAY)


def flag(unit_id: str, *, key: str = "k1", amount_fen: int | None = 50_000):
    """One risk flag (a dispatch firm that kept part of the refund) on ``unit_id``, as `risk check` writes it."""
    import json

    import polars as pl

    from wengang.casework.risk_queue import FLAG_COLUMNS

    row = {
        "flag_key": f"dispatch_allocation_mismatch:{key}", "check_id": "dispatch_allocation_mismatch", "severity": "高",
        "program": "fanhuan", "year": 2025, "subject_id": unit_id, "subject_name": "测试企业", "claim_key": "",
        "region_code": "150100", "record": key, "amount_fen": amount_fen, "label": "派遣单位未全额拨付用工单位",
        "citation": "人社部发〔2024〕40号 三", "quote": "全额拨付", "evidence": json.dumps({"kept_fen": 50_000}),
    }  # fmt: skip
    return pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS)


def raise_flag(led: Ledger, did: int, **kw) -> int:
    """Import ``flag`` on decision ``did``'s unit as the 稽核; the new flag's id."""
    from wengang.casework.risk_queue import import_flags, list_flags

    import_flags(led, flag(led.decision(did)["unit_id"], **kw), "auditor")
    return max(r["id"] for r in list_flags(led))


def cli_url(db) -> str:
    """The ``--db`` a CLI command gets for the test database (PostgreSQL: its schema as the search path)."""
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def case_cli(db, *args: str, code: int = 0) -> str:
    """``wengang case ARGS --db …``: asserts the exit code and no traceback; the output with whitespace collapsed."""
    from typer.testing import CliRunner

    from wengang.casework.cli import case_app

    r = CliRunner().invoke(case_app, [*args, "--db", cli_url(db)])
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return " ".join(r.output.split())


def screened_run(folder, units: int = 3, **kw):
    """A real 稳岗返还 screening run (``wengang screen --facts``, screened 2025-08-01) of ``units`` small firms, each
    eligible: results, features and run.json that case import can decide again (intake._recheck). ``kw`` goes to
    run_screening (settings, readings)."""
    import json
    from pathlib import Path

    import polars as pl

    from wengang.facts.identifiers import make_credit_code
    from wengang.screening.pipeline import run_screening

    folder = Path(folder)
    base = json.loads((Path(__file__).resolve().parents[2] / "examples" / "fanhuan" / "eligible_sme.json")
                      .read_text(encoding="utf-8"))
    for k in ("_case", "paid_premium_last_year_yuan"):
        base.pop(k)
    facts = folder.parent / f"{folder.name}-facts.parquet"
    pl.DataFrame([{**base, "credit_code": make_credit_code("91", "150502", f"MA{i:07d}"), "name": f"测试企业{i}",
                   "paid_premium_last_year_fen": 200_000 + 100 * i} for i in range(units)]).write_parquet(facts)
    run_screening(folder, program="fanhuan", evaluation_date=date(2025, 8, 1), facts=facts, excel=False, **kw)
    return folder


PEOPLE_READINGS = {
    "skill_subsidy.urgent_uplift_scope": "all_urgent", "skill_subsidy.urgent_extra_slots": "urgent_fill_extra",
    "skill_subsidy.year_basis": "application", "skill_subsidy.certificate_window": "any_date",
    "skill_subsidy.insured_period": "cumulative_at_application",
}  # fmt: skip
PEOPLE = ("150102198501010010", "150102198501010029")  # valid check characters


def screened_people_run(tmp_path):
    """A real 技能提升补贴 people run (two employed persons, one certificate each, screened 2025-08-01 with its readings
    settled): both eligible, 1,500元; its folder, with the facts and run.json case import decides its rows again on."""
    from pathlib import Path

    import polars as pl

    from wengang.facts.identifiers import make_credit_code
    from wengang.screening.people import run_people_screening

    tmp_path = Path(tmp_path)
    a, b = PEOPLE
    employer = make_credit_code("91", "150102", "MA0000011")
    pl.DataFrame([{"id_number": who, "name": n, "region_code": "150502", "employer_credit_code": employer,
                   "insured_months": 36, "insured_months_continuous": 36} for who, n in ((a, "张三"), (b, "李四"))]
                 ).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame([{"id_number": who, "certificate_no": c, "occupation_code": "6-31-01-03", "level": 4,
                   "issue_date": date(2025, 3, 1), "issuer": "评价机构1", "issuing_region": "150500",
                   "application_date": date(2025, 3, 10)} for who, c in ((a, "A1"), (b, "B1"))]
                 ).write_parquet(tmp_path / "c.parquet")
    pl.DataFrame([{"id_number": a, "kind": "skill", "occupation_code": "4-10-01-03", "level": 4,
                   "paid_date": date(2023, 5, 1), "amount_fen": 150_000}]).write_parquet(tmp_path / "s.parquet")
    return run_people_screening(
        tmp_path / "skill", program="skill_subsidy", evaluation_date=date(2025, 8, 1), readings=PEOPLE_READINGS,
        tables={t: tmp_path / f"{t[0]}.parquet" for t in ("persons", "certificates", "subsidies")},
        urgent_occupations=["4-07-03-03"], excel=False,
    ).out_dir  # fmt: skip


def record_results(out):
    """run.json rewritten to the results file as it now is: a file another writer produced (Spark without --holds) or
    one edited together with its record — what is left to check is deciding each row again (intake._recheck)."""
    import hashlib
    import json
    from pathlib import Path

    out = Path(out)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    record["results_sha256"] = hashlib.sha256((out / "results.parquet").read_bytes()).hexdigest()
    (out / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return out
