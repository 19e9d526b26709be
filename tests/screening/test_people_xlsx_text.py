"""The person screenings' results.xlsx says readings, outcomes and statuses in Chinese (the Parquet keeps the
machine text); a CSV row Polars cannot read reaches a library caller as IngestError naming file and line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from people_helpers import pid

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.ingest import IngestError
from wengang.screening.people import run_people_screening

ON = date(2025, 9, 1)
SWITCH_KEY = re.compile(r"\w+\.\w+=")
STATUS_CODE = re.compile(r"(?<![A-Za-z_])(eligible|ineligible|needs_decision|not_determinable)(?![A-Za-z_])")
TABLES = {
    "skill_subsidy": ("persons", "certificates", "subsidies", "ui_claims"),
    "ui_benefit": ("persons", "ui_claims"),
}


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("people_xlsx")
    paths = generate_region(root / "data", n_units=300, year=2025)
    allowed = allowed_regions_for("150500", 2025) | {"150500"}
    # the certificate window left open: 2024 certificates screened in 2025 are 待认定 with amounts per reading
    readings = {"skill_subsidy.insured_period": "cumulative_at_application"}
    out = {}
    for program, names in TABLES.items():
        report = run_people_screening(
            root / program, program=program, evaluation_date=ON, tables={k: paths[k] for k in names},
            allowed_regions=allowed, readings=readings, urgent_occupations=["6-31-01-03"],
        )  # fmt: skip
        out[program] = report.out_dir
    return out


def _sheet(out: Path) -> tuple[tuple, list[tuple]]:
    rows = list(load_workbook(out / "results.xlsx", read_only=True).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


@pytest.mark.parametrize("program", list(TABLES))
def test_no_machine_text_in_any_cell(screened: dict[str, Path], program: str) -> None:
    head, body = _sheet(screened[program])
    assert body
    cells = [v for row in body for v in row if isinstance(v, str)]
    assert [c for c in cells if SWITCH_KEY.search(c)] == []
    assert [c for c in cells if STATUS_CODE.search(c)] == []
    readings = head.index("采用的政策理解")
    assert all(r[readings] for r in body)  # every row names the readings it rests on, in Chinese
    # the Parquet keeps the machine text `case import` reads
    raw = pl.read_parquet(screened[program] / "results.parquet")
    assert raw["readings"].str.contains(SWITCH_KEY.pattern).all()


def test_skill_readings_and_outcomes_in_chinese_with_yuan(screened: dict[str, Path]) -> None:
    head, body = _sheet(screened["skill_subsidy"])
    readings, outcomes, status = (
        head.index("采用的政策理解"),
        head.index("各种理解下的结果"),
        head.index("结论"),
    )
    assert any("累计参保月数，计至申领日" in r[readings] for r in body)
    open_rows = [r for r in body if r[outcomes]]
    assert open_rows, "the generated region has 待认定 certificates"
    for r in open_rows:  # a 待认定 row names the open readings as open, then the adopted ones
        assert r[status] == "待认定" and r[readings].startswith("尚待认定的政策理解："), r[readings]
        assert r[outcomes].startswith("若按“"), r[outcomes]
    amounts = {m for r in open_rows for m in re.findall(r"，(\d+\.\d{2})元", r[outcomes])}
    assert amounts  # in 元 with two decimals ...
    raw = pl.read_parquet(screened["skill_subsidy"] / "results.parquet")
    fen = raw["outcomes"].str.extract_all(r":\d+(?:\||$)").explode().drop_nulls().str.strip_chars(":|")
    assert amounts == {
        f"{int(x) // 100}.{int(x) % 100:02d}" for x in fen.to_list()
    }  # ... exactly the Parquet's fen
    assert (
        raw.filter(pl.col("outcomes") != "")["outcomes"]
        .str.contains(r":(eligible|ineligible|not_determinable):")
        .all()
    )


def test_ragged_csv_is_an_ingest_error_naming_file_and_line(tmp_path: Path) -> None:
    persons = tmp_path / "persons.parquet"
    pl.DataFrame(
        {
            "id_number": [pid(1), pid(2)],
            "name": ["甲", "乙"],
            "region_code": ["150500"] * 2,
            "insured_months": [30, 40],
        }
    ).write_parquet(persons)
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "id_number,region_code,start_month,months,monthly_fen\n"
        f"{pid(1)},150500,2025-03,12,180000\n"
        f"{pid(2)},150500,2025-03,12,180000,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as caught:
        run_people_screening(
            tmp_path / "out", program="ui_benefit", evaluation_date=ON,
            tables={"persons": persons, "ui_claims": claims},
        )  # fmt: skip
    msg = str(caught.value)
    assert f"文件 {claims} 的行与表头不符：第 3 行（第 2 条记录）字段数多于表头（6 个，表头 5 个）" in msg
    assert msg.index("字段数多于表头") < msg.index("more fields")  # Chinese first
