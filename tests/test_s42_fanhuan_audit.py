"""稳岗返还: the outside held-out audit of session 42 (docs/decisions.md §122) — branches whose legal entity's class is
unknown, dispatch firms that never applied, workers dispatched to 机关事业单位 with a blank flag, the 兵团 SI-system
class in the raw registry, the tax-account channel, the abnormal-operations removal day, the 2019 layoff-rate label.

Each is tested on one case (``evaluate``) and on a raw screen (``run_screening``), and the two agree to the fen: the
features row of a unit, decided as one case, gives the screen's status and amount."""

from __future__ import annotations

import csv
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code
from wengang.screening.pipeline import run_screening

SX, SX_DAY, SX_YEAR = "140302", date(2024, 8, 1), 2024  # 阳泉: 晋人社厅发〔2024〕28号
IM, IM_DAY, IM_YEAR = "150502", date(2025, 8, 1), 2025  # 科尔沁区: 内人社发〔2025〕18号
BT, BT_DAY, BT_YEAR = "659001", date(2024, 8, 1), 2024  # 兵团 (draft)
IM_READ = {"fanhuan.size_class_where_silent": "standard_2017"}  # the reading in force, fixed (not open)
DUE = 100_000  # fen a month: a base of 1,200,000 fen, 60 % = 720,000, 30 % = 360,000


def code(region: str, n: int, prefix: str = "91") -> str:
    return make_credit_code(prefix, region, f"MA{n:07d}")


UNIT_COLS = ("credit_code", "name", "region_code", "org_type", "legal_entity_credit_code", "industry_code", "employees",
             "revenue_10k_yuan", "assets_10k_yuan", "has_corporate_account", "has_tax_payment_account", "is_dispatch_firm",
             "si_system_size_class")


def _write(path: Path, header: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(c) is None else str(r[c]).lower() if isinstance(r.get(c), bool) else r[c] for c in header])
    return str(path)


def screen(tmp: Path, region: str, day: date, year: int, units: list[dict[str, Any]], *, persons: dict[str, int] | None = None,
           dispatch: list[dict[str, Any]] | None = None, exclusions: list[dict[str, Any]] | None = None,
           partitions: int | None = None, **kw: Any) -> tuple[pl.DataFrame, pl.DataFrame, Path]:
    """A raw screen of ``units`` (every one paid in full for the 12 months of the year before, no layoffs)."""
    out = tmp / f"out{partitions or 1}"
    last = year - 1
    rows = []
    for u in units:
        u.setdefault("region_code", region)
        u.setdefault("org_type", "enterprise")
        u.setdefault("has_corporate_account", True)
        n = (persons or {}).get(u["credit_code"], 10)
        rows += [{"credit_code": u["credit_code"], "month": f"{last}-{m:02d}", "due_fen": DUE, "paid_fen": DUE,
                  "paid_date": f"{last}-{m:02d}-15", "late_fee_fen": 0, "insured_persons": n} for m in range(1, 13)]
    tables = {
        "units": _write(tmp / "units.csv", UNIT_COLS, units),
        "contributions": _write(tmp / "contrib.csv", ("credit_code", "month", "due_fen", "paid_fen", "paid_date",
                                                      "late_fee_fen", "insured_persons"), rows),
        "headcount": _write(tmp / "headcount.csv", ("credit_code", "year", "insured_headcount", "layoffs", "normal_attrition"),
                            [{"credit_code": u["credit_code"], "year": last, "insured_headcount": (persons or {}).get(
                                u["credit_code"], 10), "layoffs": 0, "normal_attrition": 0} for u in units]),
    }
    if dispatch is not None:
        tables["dispatch"] = _write(tmp / "dispatch.csv", ("dispatch_credit_code", "user_credit_code", "workers",
                                                           "user_is_public_institution"), dispatch)
    if exclusions is not None:
        tables["exclusions"] = _write(tmp / "exclusions.csv", ("credit_code", "list_type", "date_from", "date_to"), exclusions)
    run_screening(out, evaluation_date=day, policy_year=year, tables=tables, excel=False, partitions=partitions, **kw)
    return pl.read_parquet(out / "results.parquet"), pl.read_parquet(out / "features.parquet"), out


def row(df: pl.DataFrame, cc: str) -> dict[str, Any]:
    return df.filter(pl.col("credit_code") == cc).row(0, named=True)


def one_case(features: pl.DataFrame, cc: str, region: str, day: date, **kw: Any):
    facts = row(features, cc)  # nulls too: unknown in the table is unknown in one case
    return evaluate("fanhuan", region, day, facts, **kw)


def agree(results: pl.DataFrame, features: pl.DataFrame, cc: str, region: str, day: date, **kw: Any):
    """The screen's decision of ``cc`` and its features row decided as one case: the same status and amount."""
    r, d = row(results, cc), one_case(features, cc, region, day, **kw)
    assert (str(r["status"]), r["amount_fen"]) == (d.status, d.amount_fen), (r, d.reasons, d.flags)
    return r, d


def out(d: Any, oid: str) -> Any:
    return next((v for i, _, v in d.outputs if i == oid), None)


# -- 1. a branch takes its legal entity's class, never its own ------------------------------------------------------

BRANCH_FACTS = {
    "credit_code": code(IM, 1), "name": "分支", "region_code": IM, "org_type": "enterprise", "months_fully_paid": 12,
    "months_fully_paid_total": 12, "paid_premium_last_year_fen": 1_200_000, "insured_headcount": 10, "layoffs_last_year": 0,
    "normal_attrition_last_year": 0, "insured_person_months_last_year": 120, "avg_contributors_12m": 10,
    "industry_code": "F5211", "employees": 20, "revenue_10k_yuan": 500, "has_corporate_account": True,
    "legal_entity_credit_code": code(IM, 2),
}


def test_one_branch_without_its_legal_entitys_class_is_not_decided_on_its_own_figures():
    # 晋人社厅发〔2024〕28号 二 "企业分支机构按其所属独立法人的类型划型标识" (and the silent documents' standard_2017 reading)
    d = evaluate("fanhuan", IM, IM_DAY, BRANCH_FACTS, readings={"fanhuan.size_class_where_silent": "standard_2017"})
    assert (d.status, d.amount_fen) == ("not_determinable", None), (d.reasons, d.amount_fen)
    assert any("legal_entity_size_class" in r for r in d.reasons)
    d = evaluate("fanhuan", IM, IM_DAY, BRANCH_FACTS | {"legal_entity_size_class": "large"},
                 readings={"fanhuan.size_class_where_silent": "standard_2017"})
    assert d.amount_fen == 360_000 and out(d, "size_class_basis") == "分支机构按所属独立法人的类型划型"
    # 山西: the branch's own ≥300 figure is not used either; its legal entity's is
    sx = BRANCH_FACTS | {"credit_code": code(SX, 1), "region_code": SX, "legal_entity_credit_code": code(SX, 2),
                         "avg_contributors_12m": 400}
    d = evaluate("fanhuan", SX, SX_DAY, sx)
    assert (d.status, d.amount_fen) == ("not_determinable", None)
    d = evaluate("fanhuan", SX, SX_DAY, sx | {"legal_entity_avg_contributors_12m": 5, "industry_code": None})
    assert d.amount_fen == 720_000


@pytest.mark.parametrize("partitions", [None, 2])
def test_a_screened_branch_of_a_legal_entity_not_in_the_registry_is_not_decided(tmp_path, partitions):
    le, b_in, b_out, absent = code(SX, 10), code(SX, 11), code(SX, 12), code(SX, 99)
    units = [{"credit_code": le, "name": "法人"}, {"credit_code": b_in, "name": "分支甲", "legal_entity_credit_code": le},
             {"credit_code": b_out, "name": "分支乙", "legal_entity_credit_code": absent}]
    res, feats, _ = screen(tmp_path, SX, SX_DAY, SX_YEAR, units, persons={le: 400}, partitions=partitions)
    r, _ = agree(res, feats, b_out, SX, SX_DAY)
    assert (str(r["status"]), r["amount_fen"], r["reasons"]) == ("not_determinable", None, "?size_class_known")
    assert r["size_class"] is None  # not the class of its own 10 contributors
    r, _ = agree(res, feats, b_in, SX, SX_DAY)
    assert (str(r["status"]), r["amount_fen"]) == ("eligible", 360_000)  # its legal entity's 400 contributors: large


# -- 2. a dispatch firm that has not applied is not paid 免申即享 -------------------------------------------------------


def test_a_dispatch_firm_that_has_not_applied_is_held_in_one_case_and_in_a_screen_and_through_case_import(tmp_path):
    from wengang.casework.intake import read_screening_output

    firm, plain = code(IM, 20), code(IM, 21)
    res, feats, folder = screen(tmp_path, IM, IM_DAY, IM_YEAR, readings=IM_READ, units=[
        {"credit_code": firm, "name": "派遣", "industry_code": "F5211", "employees": 20, "revenue_10k_yuan": 500,
         "is_dispatch_firm": True},
        {"credit_code": plain, "name": "普通", "industry_code": "F5211", "employees": 20, "revenue_10k_yuan": 500}])
    r, d = agree(res, feats, firm, IM, IM_DAY, readings=IM_READ)
    assert r["amount_fen"] == 720_000 and r["payment_hold"] is True
    assert "劳务派遣单位须主动申请" in r["payment_hold_reason"]
    assert "劳务派遣单位须主动申请" in out(d, "payment_hold")
    assert row(res, plain)["payment_hold"] is False
    imported = read_screening_output(folder, program="fanhuan").frame
    held = imported.filter(pl.col("unit_id") == firm).row(0, named=True)
    assert held["payment_hold"] is True and "劳务派遣单位须主动申请" in held["payment_hold_reason"]
    # one case: held until it applies; applied, not held
    applied = evaluate("fanhuan", IM, IM_DAY, row(feats, firm) | {"applied": True}, readings=IM_READ)
    assert out(applied, "payment_hold") is None and applied.amount_fen == 720_000


# -- 3. workers dispatched to a public institution: the registry's type, and a blank flag not read as "not public" ---


def test_dispatch_to_a_public_institution_is_known_from_the_registry_and_unknown_when_blank(tmp_path):
    pub, user, firm_reg, firm_blank = code(SX, 30, "12"), code(SX, 31), code(SX, 32), code(SX, 33)
    unseen = code(SX, 98)
    res, feats, _ = screen(
        tmp_path, SX, SX_DAY, SX_YEAR,
        [{"credit_code": pub, "name": "事业单位", "org_type": "public_institution"}, {"credit_code": user, "name": "用工"},
         {"credit_code": firm_reg, "name": "派遣甲", "is_dispatch_firm": True},
         {"credit_code": firm_blank, "name": "派遣乙", "is_dispatch_firm": True}],
        dispatch=[{"dispatch_credit_code": firm_reg, "user_credit_code": pub, "workers": 5},  # flag blank, registry: public
                  {"dispatch_credit_code": firm_reg, "user_credit_code": user, "workers": 3},
                  {"dispatch_credit_code": firm_blank, "user_credit_code": unseen, "workers": 5},  # blank, not in registry
                  {"dispatch_credit_code": firm_blank, "user_credit_code": user, "workers": 3, "user_is_public_institution": False}],
        readings={"fanhuan.dispatch_public_institutions": "headcount"}, settings={"max_layoff_rate": Fraction(55, 1000)})
    assert row(feats, firm_reg)["dispatched_to_public_institutions"] == 5
    assert row(feats, firm_blank)["dispatched_to_public_institutions"] is None
    r, _ = agree(res, feats, firm_reg, SX, SX_DAY, readings={"fanhuan.dispatch_public_institutions": "headcount"},
                 settings={"max_layoff_rate": Fraction(55, 1000)})
    assert r["amount_fen"] == 360_000  # 60 % × (10 − 5) ÷ 10: the 5 at the public institution are not covered
    r, _ = agree(res, feats, firm_blank, SX, SX_DAY, readings={"fanhuan.dispatch_public_institutions": "headcount"},
                 settings={"max_layoff_rate": Fraction(55, 1000)})
    assert r["amount_fen"] is None and str(r["status"]) in ("not_determinable", "needs_decision")


# -- 4. the 兵团 SI-system class in the raw registry ------------------------------------------------------------------


def test_the_si_system_size_class_of_the_raw_registry_is_read_in_a_bingtuan_screen(tmp_path):
    small, large = code(BT, 40), code(BT, 41)
    res, feats, _ = screen(tmp_path, BT, BT_DAY, BT_YEAR,
                           [{"credit_code": small, "name": "小", "si_system_size_class": "small"},
                            {"credit_code": large, "name": "大", "si_system_size_class": "large"}], include_drafts=True)
    assert row(feats, small)["si_system_size_class"] == "small"
    r, _ = agree(res, feats, small, BT, BT_DAY, include_drafts=True)
    assert r["amount_fen"] == 720_000
    r, _ = agree(res, feats, large, BT, BT_DAY, include_drafts=True)
    assert r["amount_fen"] == 360_000


# -- 5. the tax account is for 无对公账户的小微企业 only ----------------------------------------------------------------


def test_a_unit_without_a_corporate_account_that_is_not_small_or_micro_is_held_not_routed_to_the_tax_account(tmp_path):
    from wengang.casework.intake import read_screening_output
    from wengang.programs.fanhuan import ACCOUNT_HOLD_REASON

    medium, small, group = code(IM, 50), code(IM, 51), code(IM, 52)
    no_acct = {"has_corporate_account": False, "has_tax_payment_account": True}
    res, feats, folder = screen(tmp_path, IM, IM_DAY, IM_YEAR, readings=IM_READ, units=[
        {"credit_code": medium, "name": "中型", "industry_code": "F5211", "employees": 60, "revenue_10k_yuan": 600} | no_acct,
        {"credit_code": small, "name": "小型", "industry_code": "F5211", "employees": 20, "revenue_10k_yuan": 500} | no_acct,
        {"credit_code": group, "name": "社团", "org_type": "social_group"} | no_acct])
    for cc in (medium, group):
        r, d = agree(res, feats, cc, IM, IM_DAY, readings=IM_READ)
        assert r["payment_hold"] is True and ACCOUNT_HOLD_REASON in r["payment_hold_reason"], r
        assert out(d, "payment_channel") != "税务部门协助提供的社会保险费缴费账户"
    r, d = agree(res, feats, small, IM, IM_DAY, readings=IM_READ)
    assert r["payment_hold"] is False and out(d, "payment_channel") == "税务部门协助提供的社会保险费缴费账户"
    channels = dict(read_screening_output(folder, program="fanhuan").frame.select("unit_id", "payment_channel").iter_rows())
    assert channels[medium] == channels[group] == "corporate_account"
    assert channels[small] == "tax_payment_account"


def test_one_case_import_routes_to_the_tax_account_only_a_small_firm(tmp_path):
    import json

    from typer.testing import CliRunner

    from wengang.casework.intake import decision_from_obj
    from wengang.cli import app

    base = {k: v for k, v in BRANCH_FACTS.items() if k != "legal_entity_credit_code"}
    base |= {"has_corporate_account": False, "has_tax_payment_account": True, "_case": {"program": "fanhuan", "region": IM,
                                                                                           "date": IM_DAY.isoformat()}}
    got = {}
    for name, extra in {"small": {}, "medium": {"employees": 60, "revenue_10k_yuan": 600}}.items():
        f = tmp_path / f"{name}.json"
        facts = base | extra
        f.write_text(json.dumps(facts, ensure_ascii=False), "utf-8")
        r = CliRunner().invoke(app, ["evaluate", str(f), "--json"])
        ev = json.loads(r.stdout)
        dec = decision_from_obj(ev, facts={k: v for k, v in facts.items() if k != "_case"})
        got[name] = (dec.payment_channel, dec.payment_hold)
    assert got["small"] == ("tax_payment_account", False)
    assert got["medium"] == ("corporate_account", True)


# -- 6. the removal day: no longer listed -----------------------------------------------------------------------------


def test_a_unit_removed_from_the_abnormal_operations_list_on_the_review_day_is_no_longer_listed(tmp_path):
    on_day, day_after, day_before = code(SX, 60), code(SX, 61), code(SX, 62)
    res, feats, _ = screen(
        tmp_path, SX, SX_DAY, SX_YEAR,
        [{"credit_code": c, "name": n} for c, n in ((on_day, "当日移出"), (day_after, "次日移出"), (day_before, "前日移出"))],
        exclusions=[{"credit_code": on_day, "list_type": "abnormal_operations", "date_from": "2023-01-01", "date_to": "2024-08-01"},
                    {"credit_code": day_after, "list_type": "abnormal_operations", "date_from": "2023-01-01", "date_to": "2024-08-02"},
                    {"credit_code": day_before, "list_type": "abnormal_operations", "date_from": "2023-01-01", "date_to": "2024-07-31"}])
    assert [row(feats, c)["abnormal_operations"] for c in (on_day, day_after, day_before)] == [False, True, False]
    assert "not_abnormal" not in (row(res, on_day)["reasons"] or "")
    assert "not_abnormal" in row(res, day_after)["reasons"]
    for c in (on_day, day_after, day_before):
        agree(res, feats, c, SX, SX_DAY)


# -- 7. the 2019 layoff rate is the 当地城镇登记失业率 -------------------------------------------------------------------


def test_the_2019_layoff_check_names_the_local_registered_unemployment_rate_only():
    facts = {"credit_code": code(IM, 70), "name": "2019", "region_code": IM, "org_type": "enterprise",
             "paid_premium_last_year_fen": 1_000_000, "insured_headcount": 964, "layoffs_last_year": 36}
    for settings in (None, {"max_layoff_rate": Fraction(362, 10000)}):
        d = evaluate("fanhuan", IM, date(2019, 8, 1), facts, settings=settings)
        check = next(c for c in d.checks if c.id == "layoff")
        assert "上年度当地城镇登记失业率" in check.label and "调查失业率" not in check.label, check.label
        assert "调查失业率" not in check.detail


def test_the_2019_region_figure_is_asked_for_by_its_own_name_in_one_case_and_in_a_screen():
    # one setting name, two figures: 内政发〔2019〕4号 asks for the local registered unemployment rate, 人社部发〔2024〕40号
    # for the national surveyed-rate target; the question names the one the document in force describes
    from wengang.screening.evaluate import _plans_for

    facts = {"credit_code": code(IM, 71), "name": "2019", "region_code": IM, "org_type": "enterprise",
             "paid_premium_last_year_fen": 1_000_000, "insured_headcount": 964, "layoffs_last_year": 36,
             "staff_headcount_year_end": 964}
    d = evaluate("fanhuan", IM, date(2019, 8, 1), facts,
                 readings={"fanhuan.base_2019_payer": "unit_and_staff", "fanhuan.reserve_2019_scope": "hardship_only"})
    asked = [r for r in d.reasons if "需经办机构提供地区数据" in r]
    assert asked and all("上年度当地城镇登记失业率" in r and "调查失业率" not in r for r in asked), d.reasons
    plans, _ = _plans_for("fanhuan", (IM,), date(2019, 8, 1), False, None, None, tuple(sorted(facts)), ())
    waiting = [m for p in plans for m in p.missing_region_data if "max_layoff_rate" in m]
    assert waiting and all("上年度当地城镇登记失业率" in m and "调查失业率" not in m for m in waiting), waiting
