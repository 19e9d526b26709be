"""No internal codes in what people read: screen's results.xlsx, ``wengang evaluate``'s text, ``policy diff``.
(Letters and ``case show``: tests/casework/test_user_facing_case_text.py.)"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.docs.text_checks import codes_in
from wengang.cli import app
from wengang.policies.drafting import draft_next
from wengang.policies.loader import packaged_root
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
runner = CliRunner()


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    """A small generated 通辽 region screened for 稳岗返还 (the real pipeline, XLSX written)."""
    root = tmp_path_factory.mktemp("screen")
    paths = generate_region(root / "data", region_code="150500", n_units=200, year=2025, seed=11)
    run_screening(
        root / "out",
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables={k: paths[k] for k in TABLES},
        excel=True,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
    )
    return root / "out"


def test_results_xlsx_says_readings_and_outcomes_in_chinese(screened):
    ws = load_workbook(screened / "results.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    readings, outcomes = head.index("采用的政策理解"), head.index("各种理解下的结果")
    cells = [str(v) for row in body for v in row if isinstance(v, str)]
    assert [c for c in cells if codes_in(c)] == []
    # every reading by its description (the switch's question, then the reading)
    assert any(
        "计算裁员率时是否扣除正常减员（文件未写明时）：扣除劳动合同期满" in (r[readings] or "") for r in body
    )
    open_rows = [r for r in body if r[outcomes]]
    assert open_rows, "the generated region has 待认定 units"
    for r in open_rows:  # a 待认定 row names the open readings as open, not as adopted
        assert r[readings].startswith("尚待认定的政策理解："), r[readings]
        assert re.search(r"(符合条件|不符合条件|无法判定|待认定)", r[outcomes])
    amounts = [m for r in open_rows for m in re.findall(r"，(\d+\.\d{2})元", r[outcomes])]
    assert amounts  # in 元 with two decimals
    # the Parquet file keeps the machine text `case import` reads
    raw = pl.read_parquet(screened / "results.parquet")
    assert raw["readings"].str.contains("fanhuan.normal_attrition=excluded", literal=True).all()
    assert (
        raw.filter(pl.col("outcomes") != "")["outcomes"].str.contains(r":(eligible|not_determinable):").all()
    )
    # the amounts are the Parquet's fen, exactly
    fen = raw.filter(pl.col("outcomes") != "")["outcomes"].str.extract_all(r":(\d+)$|:(\d+)\|").explode()
    yuan = {f"{int(x.strip(':|')) // 100}.{int(x.strip(':|')) % 100:02d}" for x in fen.drop_nulls().to_list()}
    assert set(amounts) <= yuan


def test_evaluate_text_names_readings_in_chinese_and_each_reason_once():
    r = runner.invoke(
        app, ["evaluate", "examples/fanhuan/eligible_sme.json", "--setting", "max_layoff_rate=3.6%"]
    )
    out = r.output
    assert "待认定" in out
    assert codes_in(out) == [], codes_in(out)
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("理由：若")]
    assert lines and len(lines) == len(set(lines)), lines
    assert "若计算裁员率时是否扣除正常减员（文件未写明时）按“正常减员也计入裁员人数”" in out
    assert "符合条件" in out and "11,184.30元" in out


def test_policy_diff_prints_status_and_program_labels(tmp_path):
    text = draft_next(packaged_root().joinpath("150000", "nrsf-2025-18.yaml").read_text(encoding="utf-8"))
    p = tmp_path / "draft.yaml"
    p.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["policy", "diff", "im-2025-18", str(p)])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "状态：有效 → 征求意见稿" in out and "项目 稳岗返还 起始日期" in out
    assert "in_force" not in out and "draft" not in out.replace("im-2026-draft", "")
    assert "项目 fanhuan" not in out and codes_in(out) == []
