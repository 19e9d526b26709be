"""Audit 7 (simulation and reports): a 2025 what-if above the national ceiling is refused as a 2024 one is; 企业划型
rows in 大型、中型、小型、微型 order; 合计 rows that add up the counts; 单位数 / 人数 headings; one label for the units
that cannot be decided whichever the report's source."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.reports.test_ledger_reconcile import small  # noqa: F401  (the ledger fixture)
from tests.simulate.population import screened
from wengang.reports.report import write_report
from wengang.reports.simulation import write_simulation
from wengang.reports.statistics import STATUS_ZH, count_heading, from_results, size_rank
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import SettingError, parse_settings
from wengang.simulate import Scenario, simulate

READ = dict(DEMO_READINGS)
ORDER = ["大型", "中型", "小型", "微型"]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("s39"), units=300)


def _rows(path: Path, sheet: str) -> list[list]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def test_a_2025_what_if_above_the_national_ceiling_is_refused(population: Path) -> None:
    with pytest.raises(SettingError, match="超过国家上限 60%（人社部发〔2024〕40号 二）"):
        simulate(population, variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "70%"}), readings=READ))


def test_simulation_groups_in_size_order_with_full_totals(population: Path, tmp_path: Path) -> None:
    r = simulate(population, variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "50%"}), readings=READ))
    labels = [g.label for g in r.by_size]
    assert [x for x in labels if x in ORDER] == [x for x in ORDER if x in labels] and len(set(labels) & set(ORDER)) >= 3
    files = write_simulation(r, tmp_path)
    rows = _rows(Path(files["测算表（Excel）"]), "按企业划型")
    head = rows.index(next(x for x in rows if x[0] == "企业划型"))
    shown = [x[0] for x in rows[head + 1 :] if x[0] in ORDER]
    assert shown == [x for x in ORDER if x in labels]
    total = next(x for x in rows if str(x[0]).startswith("合计"))
    cols = rows[head]
    assert total[cols.index("单位数")] == r.units
    assert total[cols.index("增加")] == r.gained and total[cols.index("减少")] == r.lost
    assert total[cols.index("结论改变")] == r.status_changed
    html = Path(files["测算报告（HTML）"]).read_text(encoding="utf-8")
    pos = [html.find(f">{x}<") for x in ORDER if x in labels]
    assert pos == sorted(pos) and -1 not in pos


def test_report_headings_order_and_reasons_total(population: Path, tmp_path: Path) -> None:
    st = from_results([population])
    assert count_heading(st) == "单位数"
    sizes = [x.key for x in st.by_size]
    shown = [x.label for x in st.by_size if x.label in ORDER]
    assert sizes == sorted(sizes, key=size_rank) and shown == [x for x in ORDER if x in shown]
    assert {"小型", "微型"} <= set(shown)  # alphabetically (micro, small) 微型 came before 小型
    files = write_report(tmp_path, title="报告", unit="某市社保中心", period="2025年度", statistics=st)
    book = Path(files["报表（Excel）"])
    assert _rows(book, "按地区")[4][:2] == ["地区", "单位数"]
    reasons = _rows(book, "原因")
    assert not any("控制数" in str(x[0]) for x in reasons)
    total = next(x for x in reasons if str(x[0]).startswith("合计"))
    assert total[2] == st.units - st.eligible
    html = Path(files["报告（HTML）"]).read_text(encoding="utf-8")
    assert "单位（人）数" not in html and "<th>单位数</th>" in html.replace(' scope="col"', "")


def test_one_label_for_units_that_cannot_be_decided(small: tuple[str, dict[str, int]]) -> None:  # noqa: F811
    from wengang.reports.statistics import from_ledger

    # a 无法判定 decision the ledger holds 待认定 reads as the screening's results label it (STATUS_ZH): 无法判定
    ledger = {x.label for x in from_ledger(small[0]).by_status}
    assert STATUS_ZH["not_determinable"] in ledger and "待认定（无法判定）" not in ledger


def test_case_import_of_a_run_on_an_uninstalled_draft_says_so(population: Path, tmp_path: Path) -> None:
    import shutil

    import polars as pl

    from wengang.casework.errors import LedgerError
    from wengang.casework.intake import read_screening_output

    # a run screened with --policy-path: its results cite a document the installed set does not hold
    run = tmp_path / "run"
    shutil.copytree(population, run)
    r = pl.read_parquet(run / "results.parquet").with_columns(pl.lit("im-2026-draft").alias("policy_id"))
    r.write_parquet(run / "results.parquet")
    with pytest.raises(LedgerError) as info:
        read_screening_output(run)
    text = str(info.value)
    assert "未安装" in text and "征求意见稿/草稿" in text and "im-2026-draft" in text and "未知项目" not in text
