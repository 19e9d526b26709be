"""The fund's reserve against each document's precondition, and the 要情报告 draft."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from wengang.reports.yaoqing import yaoqing_draft
from wengang.simulate import FundInput, SimulationError, check_reserve


def _fund(tmp_path: Path, balance: str, spending: str, region: str = "150500", year: int = 2023) -> FundInput:
    p = tmp_path / "fund.yaml"
    p.write_text(
        f'region: "{region}"\nyear: {year}\nbalance: {balance}\nspending: {spending}\n', encoding="utf-8"
    )
    return FundInput.read(p)


def test_two_years_exactly_meets_the_training_fund_draw(tmp_path: Path) -> None:
    # 内人社办发〔2022〕86号 is listed for a fund of its own period, not for a 2024 fund (its period has ended)
    check = check_reserve(_fund(tmp_path, "2亿元", "1亿元", year=2021))
    assert check.before_years == 2
    rows = {r["citation"]: r for r in check.rows()}
    assert rows["内人社办发〔2022〕86号 （三）10"]["required"] == "2年以上"
    assert rows["内人社办发〔2022〕86号 （三）10"]["before"] is True  # “2 年以上” includes 2
    now = {r["citation"]: r for r in check_reserve(_fund(tmp_path, "2亿元", "1亿元")).rows()}
    assert "内人社办发〔2022〕86号 （三）10" not in now
    assert now["人社部发〔2024〕40号 二"]["before"] is True and "1 年以上" in now["人社部发〔2024〕40号 二"]["quote"]


def test_just_under_one_year_fails_the_refund_precondition(tmp_path: Path) -> None:
    check = check_reserve(_fund(tmp_path, "99999999.99元", "1亿元"))
    assert check.before_years == Fraction(9_999_999_999, 10_000_000_000)
    rows = {r["citation"]: r for r in check.rows()}
    assert rows["人社部发〔2024〕40号 二"]["before"] is False
    old = {r["citation"]: r for r in check_reserve(_fund(tmp_path, "99999999.99元", "1亿元", year=2021)).rows()}
    assert old["内人社办发〔2022〕86号 （三）10"]["before"] is False


def test_shanxi_chain_has_no_inner_mongolia_precondition(tmp_path: Path) -> None:
    cites = {r["citation"] for r in check_reserve(_fund(tmp_path, "1亿元", "1亿元", "140300")).rows()}
    assert "人社部发〔2024〕40号 二" in cites and not any("内" in c for c in cites)


@pytest.mark.parametrize("balance", ["100000000", "-1元", "一亿元"])
def test_amounts_need_their_unit(tmp_path: Path, balance: str) -> None:
    with pytest.raises(SimulationError, match="写明单位"):
        _fund(tmp_path, balance, "1亿元")


def test_yaoqing_draft_masks_and_leaves_gaps() -> None:
    text = yaoqing_draft(
        {
            "title": "异地重复领取失业保险金",
            "region": "通辽市",
            "amount_fen": 1_234_500,
            "subjects": [{"姓名": "张三", "身份证号": "150502199001011234"}],
            "rule": "cross_region_duplicate",
            "citation": "内人社发〔2025〕18号 五",
        }
    )
    assert "150502199001011234" not in text and "张三" in text
    assert "涉及 1 个对象，涉及金额 12,345.00元" in text
    assert "四、已采取的措施\n（待填写）" in text and "不得瞒报谎报" in text
