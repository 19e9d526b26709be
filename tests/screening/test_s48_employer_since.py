"""“企业在职职工…取得…证书的” read at the certificate date (``skill_subsidy.status_date`` = ``at_certificate``): an
applicant who is a 企业在职职工 now was one at the certificate date if with the same enterprise since then
(``employer_since``). Continuous insured months stand in where that date is not given (as the acceptance set reads
them); a date given wins — insured in every month says employed, not employed by an enterprise (a 事业单位 pays
unemployment insurance too), so a person who joined the enterprise after the certificate is not read as a 企业在职职工
then, whatever the months. One case and the people screen read it alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from people_helpers import pid

from wengang.evaluate import evaluate
from wengang.screening.people import run_people_screening

ON = date(2025, 9, 1)
OPEN = {"skill_subsidy.certificate_window": "policy_period", "skill_subsidy.insured_period": "cumulative_at_application"}
CERT_HEADER = ("id_number,certificate_no,occupation_code,level,issue_date,issuer,issuing_region,application_date,"
               "certificate_type,urgent_occupation")


def _case(ident: str, since: str | None) -> dict:
    return {
        "id_number": ident, "name": "P", "application_id": "C1", "application_date": "2025-08-01",
        "person_status": "employed_worker", "employer_since": since, "insured_months_cumulative": 40,
        "insured_months_continuous": 40, "insured_region": "150500", "occupation_code": "6-31-01-03", "level": 4,
        "certificate_type": "skill_level", "certificate_issue_date": "2025-03-01", "certificate_region": "150500",
        "evaluation_body": "某评价机构", "urgent_occupation": False, "past_subsidies": [], "held_certificates": [],
        "training_subsidies": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("2024-01-01", "eligible"),  # with this enterprise before the certificate: 企业在职职工 then as now
        ("2025-03-01", "eligible"),  # since the issue day itself (不晚于发证日)
        ("2025-05-01", "needs_decision"),  # joined after it (from a 事业单位, say): the status then is not known
        (None, "eligible"),  # no date: 40 continuous insured months reach back to the certificate (employed then)
    ],
)
def test_the_status_at_the_certificate_date_needs_the_same_employer_since(tmp_path: Path, since, status) -> None:
    ident = pid(881)
    one = evaluate("skill_subsidy", "150500", ON, _case(ident, since), readings=OPEN)
    assert one.status == status, one.reasons
    if status == "needs_decision":
        by = {o.readings["skill_subsidy.status_date"]: o.status for o in one.outcomes}
        assert by == {"at_application": "eligible", "at_certificate": "not_determinable"}, by
    persons = tmp_path / "persons.csv"
    persons.write_text("id_number,name,region_code,employer_credit_code,employer_since,insured_months,"
                       "insured_months_continuous,person_status\n"
                       f"{ident},P,150500,91150502MA0N1234XN,{since or ''},40,40,employed_worker\n", "utf-8")
    certs = tmp_path / "certificates.csv"
    certs.write_text(CERT_HEADER + f"\n{ident},C1,6-31-01-03,4,2025-03-01,某评价机构,150500,2025-08-01,skill_level,false\n",
                     "utf-8")
    report = run_people_screening(tmp_path / "out", program="skill_subsidy", evaluation_date=ON, readings=OPEN,
                                  tables={"persons": persons, "certificates": certs}, excel=False)
    row = pl.read_parquet(report.out_dir / "results.parquet").row(0, named=True)
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen)
