"""The risk registry (死亡、身份异常名单) matches a person however the number is written (outside bad-input audit,
session 40): an inner space, the old 15-digit number, full-width digits, a lower-case x; Chinese headers and kinds are
read as `wengang screen` reads them, and a kind that is no known kind is quarantined naming the row and value — the
person is then not passed (fail closed)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from wengang.risk import batch

ID = "150121196501010125"
ON = date(2025, 7, 1)
CLAIM = {"id_number": ID, "region_code": "150502", "start_month": "2025-03", "months": "6", "monthly_fen": "180000"}


def _screen(registry: pl.DataFrame, claim: dict | None = None) -> batch.RiskRun:
    claims = pl.DataFrame([claim or CLAIM], schema={k: pl.String for k in CLAIM})
    return batch.screen({"ui_claims": claims, "registry": registry}, on=ON, settings={"short_term_insured_months": 12},
                        checks=["ui_status_anomaly"])


def _registry(number: str, kind: str = "deceased", headers: tuple[str, str, str] = ("id_number", "kind", "date")):
    return pl.DataFrame({headers[0]: [number], headers[1]: [kind], headers[2]: ["2025-03-15"]})


def test_fifteen_digit_number_becomes_eighteen():
    got = pl.select(batch.eighteen_digit_id(pl.lit("150121650101012"))).item()
    assert got == ID
    assert pl.select(batch.eighteen_digit_id(pl.lit(ID))).item() == ID


@pytest.mark.parametrize("written", [
    "150121 196501010125",  # an inner space
    " 150121-19650101-0125 ",  # hyphens, surrounding space
    "150121650101012",  # the old 15-digit number
    "１５０１２１１９６５０１０１０１２５",  # full-width digits
])  # fmt: skip
def test_registry_number_written_any_way_still_flags_the_dead(written):
    run = _screen(_registry(written))
    assert run.counts["ui_status_anomaly"] == 1, written
    assert run.quarantine.height == 0


def test_lower_case_x_matches():
    xid = "11010519491231002X"
    run = _screen(_registry(xid.lower()), {**CLAIM, "id_number": xid})
    assert run.counts["ui_status_anomaly"] == 1


@pytest.mark.parametrize("kind", ["死亡", "DECEASED", " deceased ", "已死亡"])
def test_chinese_headers_and_kinds(kind):
    run = _screen(_registry(ID, kind, ("身份证号", "类别", "死亡日期")))
    assert run.counts["ui_status_anomaly"] == 1
    assert run.quarantine.height == 0


def test_invalid_id_kind_in_chinese():
    run = _screen(_registry(ID, "身份异常", ("公民身份号码", "名单类型", "日期")))
    assert run.counts["ui_status_anomaly"] == 1


def test_unknown_kind_is_quarantined_naming_row_and_value_and_the_person_not_passed():
    reg = pl.DataFrame({"id_number": [ID, ID], "kind": ["deceased", "失踪"], "date": ["2025-03-15", None]})
    run = _screen(reg, {**CLAIM, "id_number": ID})
    q = run.quarantine.to_dicts()
    assert [(r["table"], r["row"], r["field"], r["value"]) for r in q] == [("registry", 2, "kind", "失踪")]
    assert "失踪" in q[0]["reason_zh"] and "无法识别" in q[0]["reason_zh"]
    # the person is not passed: flagged (the death) or unchecked, never clear
    assert run.counts["ui_status_anomaly"] + run.unchecked.height >= 1


def test_unknown_kind_alone_leaves_the_person_unchecked():
    run = _screen(pl.DataFrame({"id_number": [ID], "kind": ["失踪"], "date": [None]}, schema={
        "id_number": pl.String, "kind": pl.String, "date": pl.String}))
    assert run.quarantine.height == 1
    assert run.unchecked.filter(pl.col("check_id") == "ui_status_anomaly").height == 1


def test_missing_registry_column_names_the_chinese_headers():
    with pytest.raises(batch.RiskInputError) as e:
        _screen(pl.DataFrame({"号码": [ID], "kind": ["deceased"]}))
    assert "身份证号" in e.value.zh and "id_number" in e.value.zh


def test_empty_kind_is_quarantined_saying_it_is_empty():
    run = _screen(pl.DataFrame({"id_number": [ID], "kind": [None], "date": ["2025-03-15"]},
                               schema={"id_number": pl.String, "kind": pl.String, "date": pl.String}))
    assert run.quarantine["reason_zh"].to_list() == ["名单类型为空（应为 deceased/死亡 或 invalid_id/身份异常）"]
    assert run.unchecked.filter(pl.col("check_id") == "ui_status_anomaly").height == 1


def test_a_claim_under_the_old_15_digit_number_is_the_same_person_in_another_region():
    # the same person claiming in two regions, once under the 15-digit number: the overlap had been missed
    # (outside bad-input audit, session 41)
    claims = pl.DataFrame([CLAIM, {**CLAIM, "id_number": "150121650101012", "region_code": "150100",
                                   "start_month": "2025-05"}], schema={k: pl.String for k in CLAIM})
    run = batch.screen({"ui_claims": claims}, on=ON, settings={"short_term_insured_months": 12},
                       checks=["ui_cross_region"])
    assert run.counts["ui_cross_region"] == 2
    assert run.quarantine.height == 0
