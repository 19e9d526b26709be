"""The account a screened decision is paid to is the one the rules give (case import decides each row again): the 税务
social-insurance account only for 无对公账户的小微企业 where the notice provides it (人社部发〔2024〕40号 五、内人社发〔2025〕18号
四). A unit without a corporate account screened under 内人社办发〔2022〕86号, which provides no such route, had been routed
to the tax account by its two account facts alone; one case (``wengang evaluate`` → ``case import``) already paid the
corporate account there, so the two paths now agree."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wengang.casework.intake import decision_from_obj, read_screening_output
from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code
from wengang.screening.pipeline import run_screening

BASE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "fanhuan" / "eligible_sme.json").read_text("utf-8"))
for _k in ("_case", "paid_premium_last_year_yuan"):
    BASE.pop(_k)


@pytest.mark.parametrize(
    ("on", "size_class", "route"),
    [
        (date(2022, 9, 1), "small", "corporate_account"),  # 86号: no 税务 route
        (date(2025, 8, 1), "small", "tax_payment_account"),  # 18号 四: 小微企业 without a corporate account
        (date(2025, 8, 1), "medium", "corporate_account"),  # not 小微: held for want of an account, never the 税务 route
    ],
)
def test_screened_and_one_case_route_alike(tmp_path, on, size_class, route):
    facts = {**BASE, "credit_code": make_credit_code("91", "150502", "MA0000471"), "paid_premium_last_year_fen": 200_000,
             "has_corporate_account": False, "has_tax_payment_account": True, "size_class": size_class}  # fmt: skip
    path = tmp_path / "facts.parquet"
    pl.DataFrame([facts]).write_parquet(path)
    run_screening(tmp_path / "out", program="fanhuan", evaluation_date=on, facts=path, excel=False)
    si = read_screening_output(tmp_path / "out", year=on.year)
    assert si.unconfirmed == 0
    assert si.frame["payment_channel"].to_list() == [route]
    one = evaluate("fanhuan", "150502", on, facts)
    dec = decision_from_obj(json.loads(json.dumps(one.to_dict(), default=str)), facts=facts)
    assert dec.payment_channel == route
