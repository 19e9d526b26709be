"""The last month of the data, found from the months validation parses (one partition) as by its own scan."""

from datetime import date
from pathlib import Path

import pytest

from wengang.facts.identifiers import make_credit_code
from wengang.screening.features import derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import latest_month_in, latest_month_of
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
HEAD = "credit_code,month,due_fen,paid_fen,paid_date,late_fee_fen,insured_persons"


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    p = tmp_path / "c.csv"
    p.write_text("\n".join([HEAD, *[",".join(r) for r in rows]]) + "\n", encoding="utf-8")
    return p


ROWS = [
    [A, "2024-11", "100", "100", "2024-11-15", "0", "3"],
    [A, "2024年12月", "100", "100", "2024-12-15", "0", "3"],  # another spelling of 2024-12
    [A, "2025-13", "100", "100", "2025-01-15", "0", "3"],  # not a month: quarantined, never the latest
    [
        B[:17] + "0",
        "2025-06",
        "100",
        "-5",
        "2025-06-15",
        "0",
        "3",
    ],  # bad row, good month: counted as by the scan
    [B, "2025-08", "100", "100", "2025-08-15", "0", "3"],  # the review month itself: after the cap
    [B, "", "100", "100", "2025-08-15", "0", "3"],  # no month
]


@pytest.mark.parametrize(
    ("evaluation_date", "want"),
    [(date(2025, 8, 1), "2025-06"), (date(2025, 6, 20), "2024-12"), (date(2024, 12, 5), "2024-11"),
     (date(2024, 1, 10), "2023-12")],  # nothing on or before the cap: the month before the review month
)  # fmt: skip
def test_latest_month_of_the_parsed_months_is_the_scans(tmp_path: Path, evaluation_date: date, want: str):
    raw = read_table(_write(tmp_path, ROWS), "contributions")
    res = validate_table(raw)
    assert res.report.quarantined == 3  # month 13, the bad row, the empty month
    assert sorted(m for m in res.months["month"].to_list() if m) == [
        "2024-11",
        "2024-12",
        "2025-06",
        "2025-08",
    ]
    assert latest_month_of(res.months["month"], evaluation_date) == want
    assert latest_month_in(raw, evaluation_date) == want


def test_latest_month_as_a_function_needs_one_partition(tmp_path: Path):
    # every partition needs the month before the first is derived: refused before any table is read
    raw = read_table(_write(tmp_path, ROWS[:1]), "contributions")
    with pytest.raises(ValueError, match="one partition"):
        derive_features_partitioned(
            raw, raw, tmp_path / "out", policy_year=2025, evaluation_date=date(2025, 8, 1), partitions=2,
            latest_month=lambda months: "2024-12",
        )  # fmt: skip
    assert not (tmp_path / "out").exists()
