"""Shared builders for the casework tests."""

from __future__ import annotations

from datetime import date

from wengang.casework import DecisionIn, Ledger, RunIn

RUN = RunIn("fanhuan", 2025, "150000", {"contrib.parquet": "a" * 64}, {"内人社发〔2025〕18号": "2025-05-27"},
            {"layoff_rate": "anhui_2022"})
# 晋人社厅发〔2024〕28号 (2024, period to 2024-12-31): asks for confirmation and waives at the period's end
RUN_SX = RunIn("fanhuan", 2024, "140000", {"contrib.parquet": "b" * 64}, {"晋人社厅发〔2024〕28号": "2024-05-24"})
TODAY = date(2025, 7, 1)
DEADLINE = date(2025, 9, 30)
PAYDAY = date(2025, 11, 1)


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


def to_payable(ledger: Ledger, n: int, *, start: int = 0) -> list[int]:
    """Import n decisions and carry them through notice, confirmation, both reviews and 公示."""
    ledger.import_decisions(RUN, [decision(i) for i in range(start, start + n)], "screener")
    ledger.notify("fanhuan", 2025, "caseworker", deadline=DEADLINE, channels=("sms",))
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(start, start + n)]
    assert ledger.confirm_many(ids, "portal", today=TODAY) == n
    assert ledger.review_many(ids, "reviewer1", stage=1, approve=True, reason="初审通过") == n
    assert ledger.review_many(ids, "reviewer2", stage=2, approve=True, reason="复审通过") == n
    ledger.publicize(f"gs-{start}", "fanhuan", 2025, "caseworker", starts_on=date(2025, 10, 1), days=7)
    return ids
