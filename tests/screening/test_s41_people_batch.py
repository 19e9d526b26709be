"""Outside audits of the person programs in batch (session 41): one case (``evaluate``) and the batch
(``run_people_screening``) agree to the fen and in status, and say the same of an amount that is only a ceiling.

1. A “不超过” ceiling (内政发〔2019〕4号 八 “分别给予不超过1000元、1500元、2000元”; 人社部发〔2024〕40号 三) was paid
   and published as the amount in batch: the results now carry ``amount_is_cap`` as one case does, the eligible row
   is held from payment (the 统筹地区 sets the standard), and the lists and the summary say 不超过.
2. The certificate's policy period was taken from the run date, not from the period each row is placed in
   (``policy.period_date``): a 2024 application reviewed in 2025 was tested against the 2025 document's period.
3. ``ui_claims`` carries the 兵团 二（四） recount after a transfer (months transferred in, months already drawn).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from people_helpers import pid

from wengang.evaluate import evaluate
from wengang.rules.batch import CAP_HOLD_REASON
from wengang.screening.people import run_people_screening
from wengang.settings import parse_settings

CERT_HEADER = (
    "id_number,certificate_no,occupation_code,level,issue_date,issuer,issuing_region,application_date,"
    "certificate_type,urgent_occupation"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _skill_tables(tmp_path: Path, rows: list[tuple[str, int, int, str, str, int]]) -> dict[str, Path]:
    """rows: (id, insured months, level, issue date, application date, sequence)."""
    persons = ["id_number,name,region_code,insured_months,insured_months_continuous,person_status"]
    certs = [CERT_HEADER]
    for n, (ident, months, level, issued, applied, seq) in enumerate(rows):
        persons.append(f"{ident},P{n},150500,{months},{months},employed_worker")
        certs.append(f"{ident},C{seq},6-31-01-03,{level},{issued},某评价机构,150500,{applied},skill_level,false")
    return {
        "persons": _write(tmp_path / "persons.csv", "\n".join(persons) + "\n"),
        "certificates": _write(tmp_path / "certificates.csv", "\n".join(certs) + "\n"),
    }


def _one_case(ident: str, months: int, level: int, issued: str, applied: str, at_certificate: int | None) -> dict:
    return {
        "id_number": ident, "name": "P", "application_id": "C", "application_date": applied,
        "person_status": "employed_worker", "insured_months_cumulative": months, "insured_months_continuous": months,
        "insured_months_cumulative_at_certificate": at_certificate,
        "insured_months_continuous_at_certificate": at_certificate, "insured_region": "150500",
        "occupation_code": "6-31-01-03", "level": level, "certificate_type": "skill_level",
        "certificate_issue_date": issued, "certificate_region": "150500", "evaluation_body": "某评价机构",
        "urgent_occupation": False, "past_subsidies": [], "held_certificates": [], "training_subsidies": [],
    }  # fmt: skip


# --- 1. a ceiling is not a fixed amount ------------------------------------------------------------------------


def test_ceiling_carried_held_and_said_as_in_one_case(tmp_path: Path) -> None:
    on = date(2019, 9, 1)
    a, b = pid(801), pid(802)
    tables = _skill_tables(tmp_path, [(a, 12, 4, "2019-08-01", "2019-08-01", 1), (b, 11, 4, "2019-08-01", "2019-08-01", 2)])
    report = run_people_screening(tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables)
    res = pl.read_parquet(report.out_dir / "results.parquet").sort("id_number")
    one = evaluate("skill_subsidy", "150500", on, _one_case(a, 12, 4, "2019-08-01", "2019-08-01", 12))
    row = res.filter(pl.col("id_number") == a).row(0, named=True)
    # one case and the batch: same status, same fen, both say the figure is a ceiling (内政发〔2019〕4号 八)
    assert (one.status, one.amount_fen, one.amount_is_cap) == ("eligible", 150000, True)
    assert (row["status"], row["amount_fen"], row["amount_is_cap"]) == (one.status, one.amount_fen, True)
    # held: the 统筹地区 must set the standard before anything is paid
    assert row["payment_hold"] is True and row["payment_hold_reason"] == CAP_HOLD_REASON
    assert "统筹地区" in CAP_HOLD_REASON
    refused = res.filter(pl.col("id_number") == b).row(0, named=True)
    assert refused["status"] == "ineligible" and refused["amount_is_cap"] is False and refused["payment_hold"] is False
    # the summary does not total a ceiling as a fixed amount
    s = report.summary
    assert (s.capped, s.capped_amount_fen, s.held, s.held_capped_fen) == (1, 150000, 1, 150000)
    assert s.to_dict()["amount_is_cap"]["units"] == 1
    from io import StringIO

    from rich.console import Console

    from wengang.screening.output import print_summary

    buf = StringIO()
    print_summary(s, "筛查结果", Console(file=buf, width=300))
    text = buf.getvalue()
    assert "拟发放 不超过1,500.00元" in text and "具体标准由统筹地区确定" in text
    # the row is held, so the 拟公示 list does not publish it (session 41); the results sheet says 不超过
    pub = pl.read_excel(report.out_dir / "publicity.xlsx")
    assert pub.height == 0 and "技能提升补贴金额（元）" in pub.columns
    sheet = pl.read_excel(report.out_dir / "results.xlsx")
    assert "不超过1500.00" in sheet["金额（元）"].to_list()


def test_standard_set_by_operator_setting_is_not_held(tmp_path: Path) -> None:
    """A setting that fixes the capped standard (the 统筹地区's figure) releases the hold; the figure is still what
    one case calls a ceiling (its amount_is_cap is the document's)."""
    on = date(2019, 9, 1)
    a = pid(803)
    tables = _skill_tables(tmp_path, [(a, 12, 4, "2019-08-01", "2019-08-01", 3)])
    settings = {"amount_level4": 120000}
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables, settings=settings, excel=False
    )
    row = pl.read_parquet(report.out_dir / "results.parquet").row(0, named=True)
    one = evaluate("skill_subsidy", "150500", on, _one_case(a, 12, 4, "2019-08-01", "2019-08-01", 12), settings=settings)
    assert (row["status"], row["amount_fen"], row["amount_is_cap"]) == (one.status, one.amount_fen, one.amount_is_cap)
    assert row["amount_fen"] == 120000 and row["payment_hold"] is False


def test_standard_set_by_region_document_is_no_ceiling(tmp_path: Path) -> None:
    """内人社发〔2025〕18号 sets its own standards under 40号's ceilings: a fixed amount, not held (as one case)."""
    on = date(2025, 9, 1)
    a = pid(804)
    tables = _skill_tables(tmp_path, [(a, 30, 4, "2025-07-01", "2025-07-01", 4)])
    report = run_people_screening(tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables, excel=False)
    row = pl.read_parquet(report.out_dir / "results.parquet").row(0, named=True)
    one = evaluate("skill_subsidy", "150500", on, _one_case(a, 30, 4, "2025-07-01", "2025-07-01", 30))
    assert (row["status"], row["amount_fen"], row["amount_is_cap"]) == (one.status, one.amount_fen, one.amount_is_cap)
    assert row["amount_is_cap"] is False and row["payment_hold"] is False
    assert report.summary.capped == 0


# --- 2. the policy period of each row ------------------------------------------------------------------------------


READINGS = {
    "skill_subsidy.certificate_window": "policy_period",
    "skill_subsidy.insured_period": "cumulative_at_application",
}


@pytest.mark.parametrize(
    ("on", "issued", "applied", "level"),
    [
        # 40号 (to 2024-12-31) applied in its period, reviewed under 内人社发〔2025〕18号 (audit repro /tmp/auditor_skill/x)
        (date(2025, 1, 10), "2024-06-01", "2024-12-31", 4),
        # 内人社发〔2025〕18号 applied 2025-12-31, reviewed 2026 when nothing is in force (S25-16)
        (date(2026, 1, 10), "2025-12-01", "2025-12-31", 4),
        # 内政发〔2019〕4号 applied 2020-12-31, reviewed 2021 (H19-04)
        (date(2021, 1, 10), "2020-12-01", "2020-12-31", 3),
    ],
)
def test_certificate_period_of_the_placed_document(tmp_path: Path, on: date, issued: str, applied: str, level: int) -> None:
    a = pid(805)
    tables = _skill_tables(tmp_path, [(a, 20, level, issued, applied, 5)])
    settings = parse_settings({"fund_reserve_years": "1.5"})
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables, readings=READINGS,
        settings=settings, excel=False,
    )  # fmt: skip
    row = pl.read_parquet(report.out_dir / "results.parquet").row(0, named=True)
    one = evaluate(
        "skill_subsidy", "150500", on, _one_case(a, 20, level, issued, applied, None), readings=READINGS, settings=settings
    )
    assert one.status == "eligible"
    assert row["certificate_in_policy_period"] is True
    assert (row["status"], row["amount_fen"], row["policy_number"]) == (one.status, one.amount_fen, one.policy_number)
    assert row["amount_is_cap"] is one.amount_is_cap


def test_certificate_outside_the_placed_period_refused_as_one_case(tmp_path: Path) -> None:
    """A certificate issued before the placed document's period is outside it in both (not only in one)."""
    on = date(2025, 1, 10)
    a = pid(806)
    tables = _skill_tables(tmp_path, [(a, 20, 4, "2023-06-01", "2024-12-31", 6)])
    settings = parse_settings({"fund_reserve_years": "1.5"})
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables, readings=READINGS,
        settings=settings, excel=False,
    )  # fmt: skip
    row = pl.read_parquet(report.out_dir / "results.parquet").row(0, named=True)
    one = evaluate("skill_subsidy", "150500", on, _one_case(a, 20, 4, "2023-06-01", "2024-12-31", None), readings=READINGS, settings=settings)
    assert row["certificate_in_policy_period"] is False
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen) == ("ineligible", None)


# --- 3. 兵团 二（四）: the recount after a transfer ------------------------------------------------------------------


def test_ui_claims_transfer_recount_as_one_case(tmp_path: Path) -> None:
    on = date(2024, 10, 20)
    a, b = pid(807, 1990), pid(808, 1990)
    persons = _write(
        tmp_path / "persons.csv", f"id_number,name,region_code,insured_months\n{a},甲,659001,60\n{b},乙,659001,60\n"
    )
    claims = _write(
        tmp_path / "claims.csv",
        "公民身份号码,领取地行政区划代码,起始月份,领取月数,月领取金额（分）,本次失业前累计缴费月数,非因本人意愿中断就业,"
        "转移接续转入的其他统筹地区缴费月数,本次失业已领取失业保险金月数\n"
        f"{a},659001,2024-09,18,178200,50,true,10,4\n{b},659001,2024-09,18,178200,60,true,,\n",
    )
    report = run_people_screening(
        tmp_path / "out", program="ui_benefit", evaluation_date=on, include_drafts=True,
        tables={"persons": persons, "ui_claims": claims}, excel=False,
    )  # fmt: skip
    res = pl.read_parquet(report.out_dir / "results.parquet")
    got = {r["id_number"]: r for r in res.iter_rows(named=True)}
    assert (got[a]["paid_months_transferred_in"], got[a]["months_already_drawn"]) == (10, 4)
    base = {"name": "甲", "application_date": "2024-09-01", "insured_region": "659001", "involuntary_separation": True,
            "registered_unemployed": True, "seeking_work": True}  # fmt: skip
    one = evaluate(
        "ui_benefit", "659001", on,
        {**base, "id_number": a, "paid_months": 50, "paid_months_transferred_in": 10, "months_already_drawn": 4},
        include_drafts=True,
    )  # fmt: skip
    remaining = dict((o[0], o[2]) for o in one.outputs)["remaining_months"]
    assert remaining == "14个月" and got[a]["out_remaining_months"] == 14
    assert (got[a]["status"], got[a]["amount_fen"]) == (one.status, one.amount_fen)
    # empty cells: nothing transferred, nothing drawn (the full recomputed entitlement)
    assert got[b]["out_remaining_months"] == got[b]["out_entitled_months"] == 18


def test_publicity_refuses_a_ceiling_as_the_amount() -> None:
    from wengang.documents.errors import DocumentError
    from wengang.documents.publicity import build_publicity

    record = {"unit_name": "甲", "credit_code": pid(809), "amount_fen": 150000, "review_passed": True}
    kw = dict(
        agency="通辽市人力资源和社会保障局", program="技能提升补贴", year=2019, start=date(2019, 9, 2), days=5,
        objection_channel="书面", objection_phone="0475-0000000", basis="内政发〔2019〕4号", issued_on=date(2019, 9, 2),
        working_days=False,
    )  # fmt: skip
    assert build_publicity([record], **kw).total_fen == 150000
    with pytest.raises(DocumentError, match="不超过"):
        build_publicity([{**record, "amount_is_cap": True}], **kw)
