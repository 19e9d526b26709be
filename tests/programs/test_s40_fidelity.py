"""Session 40 outside fidelity audits (person programs and one-offs)."""

from __future__ import annotations

from datetime import date

import pytest

from wengang.evaluate import evaluate

LOAN = {"applicant": "individual", "id_number": "152301199803151231", "name": "张某", "group": "graduate",
        "requested_amount_yuan": "200000", "requested_term_months": 36}


@pytest.mark.parametrize(("day", "status"), [(date(2022, 1, 1), "not_determinable"), (date(2022, 5, 31), "not_determinable"),
                                             (date(2022, 6, 1), "eligible"), (date(2022, 12, 31), "eligible")])
def test_the_raised_loan_ceiling_applies_from_the_notice_not_from_january(day, status):
    """内人社办发〔2022〕86号 （四）16 “额度由 15 万元提高到 20 万元”, issued 2022-06-01: a 20万 loan of January–May 2022
    had been approved under the raised ceiling; the 15万 rule in force before is not in the library, so it is 无法判定."""
    d = evaluate("startup_loan", "150500", day, LOAN)
    assert d.status == status, (day, d.status, d.reasons)
