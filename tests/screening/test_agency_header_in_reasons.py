"""Routed with the RawTable.headers patch: a reason names the field by the header the agency's file gave it."""

from pathlib import Path

from wengang.facts.identifiers import make_credit_code
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table


def test_reason_names_the_agency_header(tmp_path: Path):
    a = make_credit_code("91", "150502", "MA0000001")
    p = tmp_path / "c.csv"
    p.write_text(
        "统一社会信用代码,费款所属期,应缴费额,实缴费额,缴费日期,缴费人数\n"
        f"{a},2024-01,-5,1,2024-01-15,3\n",
        encoding="utf-8",
    )
    (row,) = validate_table(read_table(p, "contributions")).quarantine.iter_rows(named=True)
    assert row["reason_zh"] == "应缴费额：金额为负" and row["reason_en"] == "due_fen: negative amount"
