"""A report names its ledger without the database password (outside audit, session 41: `report build --db
postgresql+psycopg://postgres:S3cretPW@…` wrote the password into report.html, report.xlsx and the console)."""

from __future__ import annotations

import pytest

from wengang.reports.statistics import ReportError, from_ledger, monthly_payments, shown_url

URL = "postgresql+psycopg://postgres:S3cretPW@127.0.0.1:5432/wengang_no_such_db_s41"


def test_the_shown_url_hides_the_password():
    shown = shown_url(URL)
    assert "S3cretPW" not in shown and "***@127.0.0.1:5432" in shown


@pytest.mark.parametrize("read", [from_ledger, monthly_payments])
def test_an_unreadable_ledger_is_named_without_its_password(read):
    with pytest.raises(ReportError) as e:
        read(URL)
    text = str(e.value)
    assert "S3cretPW" not in text and "无法读取台账" in text and "***@" in text
