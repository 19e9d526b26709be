"""Batch screening places a monthly benefit (价格临时补贴, 代缴基本医疗保险费) in a policy period by the month it is for,
as one case does (``wengang.evaluate.benefit_month_date``), whatever the application or review date; a month before the
library's first provision is 无法判定 with the one-case reason (the texts continue a duty, "持续做好…发放工作": that month
is governed by a rule the library does not hold — ``wengang.facts.benefit.month_before_first_rule``), not 不符合条件, and
not the review date's "no policy" either. Every row: batch ≡ ``evaluate``."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.evaluate import evaluate, parse_settings
from wengang.rules.engine import INELIGIBLE, NOT_DETERMINABLE
from wengang.screening.evaluate import reason_text, screen_facts

ID = "152301199001010015"
SETTINGS = {
    "ui_price_subsidy": {"price_subsidy_monthly": "35元"},
    "ui_medical_premium": {"medical_premium_monthly": "150元"},
}
MONTH_IN_FORCE = "monthly_benefit.month_in_force"
READINGS = [None, {MONTH_IN_FORCE: "month_end"}, {MONTH_IN_FORCE: "month_start"}]
# the review date: 内人社发〔2025〕18号 in force in 内蒙古 (from 2025-05-27), 晋人社厅发〔2024〕28号 in 阳泉
ON = date(2025, 9, 1)

# (row id, region, benefit month, application date): each application date would place the row elsewhere
ROWS: list[tuple[str, str, date | None, date | None]] = [
    # before any provision: 内政发〔2019〕4号 (代缴) from 2019-01-31, 人社部发〔2024〕40号 (both) from 2024-04-28
    ("tl_2018_06", "150500", date(2018, 6, 1), date(2025, 8, 1)),
    ("tl_2023_06", "150500", date(2023, 6, 15), date(2025, 8, 1)),
    ("yq_2023_06", "140300", date(2023, 6, 1), None),
    # inside a period whose document was superseded before the review (by 内人社发〔2025〕18号 on 2025-05-27)
    ("tl_2019_06", "150500", date(2019, 6, 30), date(2025, 8, 1)),
    ("tl_2024_09", "150500", date(2024, 9, 1), date(2019, 6, 1)),
    # the current period
    ("tl_2025_08", "150500", date(2025, 8, 10), date(2019, 6, 1)),
    ("yq_2024_09", "140300", date(2024, 9, 1), date(2024, 4, 1)),
    # months a document took effect within: its first and last days fall under different documents
    ("tl_2019_01", "150500", date(2019, 1, 1), None),  # 代缴: none / 内政发〔2019〕4号 (from 01-31)
    ("tl_2024_04", "150500", date(2024, 4, 15), None),  # 价格: none / 人社部发〔2024〕40号 (from 04-28)
    # 内政发〔2019〕4号 (代缴) or 人社部发〔2024〕40号 (价格) / 内人社发〔2025〕18号 (from 05-27)
    ("tl_2025_05", "150500", date(2025, 5, 1), date(2019, 6, 1)),
    ("yq_2024_05", "140300", date(2024, 5, 31), None),  # 40号 / 晋人社厅发〔2024〕28号 (from 05-24)
    # no month: placed as one case places it (application date, else the review date)
    ("tl_none_app", "150500", None, date(2019, 6, 1)),
    ("tl_none", "150500", None, None),
    ("yq_none", "140300", None, date(2024, 5, 1)),
]


def _table(
    rows: list[tuple[str, str, date | None, date | None]], receiving: list[bool | None] | None = None
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row_id": [r[0] for r in rows],
            "region_code": [r[1] for r in rows],
            "id_number": [ID] * len(rows),
            "benefit_month": [r[2] for r in rows],
            "application_date": [r[3] for r in rows],
            "receiving_ui_benefit": receiving if receiving is not None else [True] * len(rows),
            "benefit_months": [12] * len(rows),
        },
        schema_overrides={
            "benefit_month": pl.Date,
            "application_date": pl.Date,
            "receiving_ui_benefit": pl.Boolean,
        },
    )


FACT_COLUMNS = ("id_number", "benefit_month", "application_date", "receiving_ui_benefit", "benefit_months")


def _compare(program: str, table: pl.DataFrame, on: date, readings: dict[str, str] | None) -> dict[str, Any]:
    """Screen ``table`` in batch and each row alone; assert they agree; return the batch rows by id."""
    raw = SETTINGS[program]
    out, plans = screen_facts(table, program, on, readings=readings, settings=parse_settings(raw))
    got = {r["row_id"]: r for r in out.collect().iter_rows(named=True)}
    assert sorted(got) == sorted(table["row_id"].to_list())
    texts = reason_text(plans)
    for row in table.iter_rows(named=True):
        facts = {k: row[k] for k in FACT_COLUMNS if row[k] is not None}
        d = evaluate(program, row["region_code"], on, facts, readings=readings, settings=raw)
        b = got[row["row_id"]]
        where = (program, row, readings, b["reasons"], d.reasons)
        assert str(b["status"]) == d.status, where
        assert b["amount_fen"] == d.amount_fen, where
        assert (b["policy_number"], b["policy_id"]) == (d.policy_number, d.policy_id), where
        # a refusal, and a month no document of the library covers, says what one case says
        if d.status == INELIGIBLE or str(b["reasons"] or "").startswith("benefit_month:"):
            shown = [texts.get(c, c) for c in b["reasons"].split(";") if c]
            assert "；".join(shown) == "；".join(d.reasons), where
        if any("早于本库" in r for r in d.reasons):  # one case's month before the first provision: the batch's too
            assert str(b["reasons"]).startswith("benefit_month:"), where
    return got


@pytest.mark.parametrize("readings", READINGS, ids=["default", "month_end", "month_start"])
@pytest.mark.parametrize("program", ["ui_price_subsidy", "ui_medical_premium"])
def test_batch_places_by_benefit_month_as_one_case(program, readings):
    got = _compare(program, _table(ROWS), ON, readings)
    start = (readings or {}).get(MONTH_IN_FORCE) == "month_start"
    status = {k: str(r["status"]) for k, r in got.items()}
    policy = {k: r["policy_number"] for k, r in got.items()}
    # before any provision: 无法判定 by the month (a rule the library does not hold), not refused, not paid
    for k in ("tl_2018_06", "yq_2023_06", *(["tl_2023_06"] if program == "ui_price_subsidy" else [])):
        assert status[k] == NOT_DETERMINABLE
        assert got[k]["reasons"].startswith("benefit_month:")
        assert got[k]["amount_fen"] is None and policy[k] is None
    # the month's document, though superseded by the review date (placement by application date gave 18号)
    assert policy["tl_2024_09"] == (
        "内政发〔2019〕4号" if program == "ui_medical_premium" else "人社部发〔2024〕40号"
    )
    assert policy["tl_2025_08"] == "内人社发〔2025〕18号"
    assert policy["yq_2024_05"] == ("人社部发〔2024〕40号" if start else "晋人社厅发〔2024〕28号")
    if program == "ui_medical_premium":
        assert policy["tl_2019_06"] == policy["tl_2023_06"] == "内政发〔2019〕4号"
        assert status["tl_2019_01"] == (NOT_DETERMINABLE if start else "eligible")
        assert policy["tl_2025_05"] == ("内政发〔2019〕4号" if start else "内人社发〔2025〕18号")
    else:
        assert status["tl_2019_06"] == NOT_DETERMINABLE and got["tl_2019_06"]["reasons"].startswith("benefit_month:")
        assert status["tl_2024_04"] == (NOT_DETERMINABLE if start else "eligible")
        assert policy["tl_2025_05"] == ("人社部发〔2024〕40号" if start else "内人社发〔2025〕18号")
    # without a month: by the review date (the application date's document has not ended)
    assert policy["tl_none_app"] == policy["tl_none"] == "内人社发〔2025〕18号"


@pytest.mark.parametrize("program", ["ui_price_subsidy", "ui_medical_premium"])
def test_month_without_provision_on_the_review_date_and_a_row_without_month_are_decided_apart(
    program,
):
    # reviewed on the last day of a month no document covers: that month's row and the row without a month are
    # placed on the same date, and still decided apart — both 无法判定, the month's row by its month (before the
    # library's first provision), the rows without a month by the review date's "no policy" — as one case decides them
    rows = [
        ("month", "150500", date(2018, 6, 1), None),
        ("no_month", "150500", None, None),
        ("no_month_app", "150500", None, date(2018, 6, 1)),
        ("later_month", "150500", date(2025, 8, 1), None),  # a month after the review: its own document
    ]
    got = _compare(program, _table(rows), date(2018, 6, 30), None)
    assert str(got["month"]["status"]) == NOT_DETERMINABLE
    assert got["month"]["reasons"].startswith("benefit_month:150500:")
    assert str(got["no_month"]["status"]) == str(got["no_month_app"]["status"]) == NOT_DETERMINABLE
    assert not got["no_month"]["reasons"].startswith("benefit_month:")
    assert not got["no_month_app"]["reasons"].startswith("benefit_month:")
    assert got["later_month"]["policy_number"] == "内人社发〔2025〕18号"


def test_month_reason_names_the_month_region_and_first_provision():
    out, plans = screen_facts(
        _table([("m", "140300", date(2023, 6, 1), date(2025, 1, 1))]), "ui_price_subsidy", ON,
        settings=parse_settings(SETTINGS["ui_price_subsidy"]),
    )  # fmt: skip
    row = out.collect().row(0, named=True)
    text = reason_text(plans)[row["reasons"]]
    assert (str(row["status"]), row["amount_fen"], row["policy_number"]) == (NOT_DETERMINABLE, None, None)
    assert text.startswith("待遇所属月份 2023年6月 早于本库阳泉市价格临时补贴的第一份规定（人社部发〔2024〕40号，2024-04-28 起）")
    assert "持续做好" in text and "请按2023年6月当地有效的规定认定" in text and "该月份不发放" not in text


def test_refused_and_decided_rows_of_one_region_keep_their_facts():
    # a refusal by a check (not receiving benefit), 无法判定 by the month and by a missing fact, side by side in one
    # region
    rows = [
        ("a", "150500", date(2019, 6, 1), None),
        ("b", "150500", date(2019, 6, 2), None),
        ("c", "150500", date(2018, 6, 1), None),
        ("d", "150500", date(2019, 6, 1), None),
    ]
    got = _compare("ui_medical_premium", _table(rows, receiving=[True, False, True, None]), ON, None)
    assert [str(got[k]["status"]) for k in "abcd"] == ["eligible", INELIGIBLE, NOT_DETERMINABLE, NOT_DETERMINABLE]
    assert got["c"]["reasons"].startswith("benefit_month:") and "receiving_ui_benefit" in got["d"]["reasons"]


REGIONS = ["150500", "150502", "140300", "bingtuan"]


@st.composite
def _rows(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        month = draw(st.one_of(st.none(), st.dates(date(2018, 1, 1), date(2026, 12, 31))))
        app = draw(st.one_of(st.none(), st.dates(date(2018, 1, 1), date(2026, 12, 31))))
        out.append((f"r{i}", draw(st.sampled_from(REGIONS)), month, app))
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=_rows(),
    program=st.sampled_from(["ui_price_subsidy", "ui_medical_premium"]),
    on=st.dates(date(2018, 1, 1), date(2026, 12, 31)),
    readings=st.sampled_from(READINGS),
    receiving=st.sampled_from([True, False, None]),
)
def test_batch_equals_one_case_on_any_months_and_dates(rows, program, on, readings, receiving):
    _compare(program, _table(rows, receiving=[receiving] * len(rows)), on, readings)
