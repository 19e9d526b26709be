"""The screening's 拟公示 list masks unit codes as the ledger's 公示 does and leaves out held units (outside reports
audit, session 41: publicity.xlsx had carried full 统一社会信用代码 and listed a unit held from payment)."""

from __future__ import annotations

import polars as pl

from wengang.screening.output import publicity_list

CODES = ["91150502MA0N3C4H2X", "91150502MA0N3C4J0L", "91150502MA0N3C4K9P"]


def _results(**extra: list) -> pl.LazyFrame:
    return pl.DataFrame({
        "credit_code": CODES, "name": ["甲公司", "乙公司", "丙公司"], "region_code": ["150502"] * 3,
        "size_class": ["small", "small", "large"], "status": ["eligible", "eligible", "ineligible"],
        "amount_fen": [243850, 138586, None], **extra,
    }).lazy()


def test_codes_are_masked_and_held_units_left_out():
    got = publicity_list(_results(payment_hold=[False, True, None]), "稳岗返还")
    assert got["单位名称"].to_list() == ["甲公司"]
    assert got["统一社会信用代码"].to_list() == ["911505**********2X"]
    assert got["稳岗返还金额（元）"].to_list() == ["2438.50"]
    assert not any(c in str(got.rows()) for c in CODES)


def test_without_a_hold_column_every_eligible_unit_is_listed():
    got = publicity_list(_results(), "稳岗返还")
    assert got["单位名称"].to_list() == ["甲公司", "乙公司"]
