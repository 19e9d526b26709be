"""`wengang report monthly` (and `report build`) as an outside tester ran them on a 通辽 ledger:

1. 填报单位 is the agency of the ledger's region (region_data ``agency: name``), ``--unit`` still overrides it; a
   region the registry does not know keeps the placeholder and says why;
2. the basis cited is that of the documents in force for the ledger's regions — a 通辽 report cites
   人社部发〔2024〕40号 六, never the Shanxi 晋人社厅发〔2024〕28号 四, which a 阳泉 report does cite; the statistics
   sheets and the 要情报告 draft likewise;
3. the ledger comes from ``--db`` or ``WENGANG_DB``, as for every casework command;
4. ``--month`` takes 2025-09, 2025-9, 2025/9, 2025年9月 and 202509, and refuses a date or no month in Chinese first;
5. README's ``report build`` line says what the command does with ``--db`` and ``--results``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.casework.ledger_helpers import PAYDAY, RUN, RUN_SX, decision, decision_sx, register_staff
from wengang.casework import Ledger

ROOT = Path(__file__).resolve().parents[2]
TONGLIAO_AGENCY = "通辽市人力资源和社会保障局"  # src/wengang/region_data/150500.yaml agency: name
NATIONAL_MONTHLY = "人社部发〔2024〕40号 六：“按月及时、准确上报失业保险联网数据”"
SHANXI_MONTHLY = "晋人社厅发〔2024〕28号 四：“每月发放日后要统计汇总发放情况”"
UNKNOWN = "159901"


def _report(*args: str, env: dict[str, str] | None = None):
    from wengang.cli import app

    return CliRunner().invoke(app, ["report", *args], env=env)


def _pay(
    led: Ledger, run, decisions, year: int, *, deadline: date, confirmed: date, gs: date, payday: date
) -> None:
    led.import_decisions(run, decisions, "clerk")
    led.notify(run.program, year, "clerk", deadline=deadline, channels=("sms",))
    ids = [led.find(program=run.program, year=year, unit_id=d.unit_id) for d in decisions]
    assert led.confirm_many(ids, "clerk", today=confirmed) == len(ids)
    assert led.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == len(ids)
    assert led.review_many(ids, "checker", stage=2, approve=True, reason="复审通过") == len(ids)
    led.publicize(f"gs-{year}", run.program, year, "clerk", starts_on=gs, days=7)
    assert led.run_payment_batch(f"b-{year}", run.program, year, "cashier", today=payday).paid == len(ids)


@pytest.fixture(scope="module")
def tongliao(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two 通辽 (科尔沁区, 开鲁县) decisions under 内人社发〔2025〕18号, paid on 2025-11-01."""
    url = f"sqlite:///{tmp_path_factory.mktemp('tl')}/ledger.db"
    led = register_staff(Ledger.open(url))
    try:
        decisions = [
            decision(
                i, region_code=code, unit_id=f"9115050{i}MA{i:08d}", unit_name=f"通辽测试企业{i}有限公司"
            )
            for i, code in ((1, "150502"), (2, "150523"))
        ]
        _pay(led, RUN, decisions, 2025, deadline=date(2025, 9, 30), confirmed=date(2025, 7, 1),
             gs=date(2025, 10, 1), payday=PAYDAY)  # fmt: skip
    finally:
        led.close()
    return url


@pytest.fixture(scope="module")
def yangquan(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One 阳泉 decision under 晋人社厅发〔2024〕28号, paid on 2024-11-01."""
    url = f"sqlite:///{tmp_path_factory.mktemp('yq')}/ledger.db"
    led = register_staff(Ledger.open(url))
    try:
        _pay(led, RUN_SX, [decision_sx(1)], 2024, deadline=date(2024, 9, 30), confirmed=date(2024, 8, 1),
             gs=date(2024, 10, 1), payday=date(2024, 11, 1))  # fmt: skip
    finally:
        led.close()
    return url


@pytest.fixture(scope="module")
def unregistered(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A decision of region 159901 (no such GB/T 2260 code: the registry does not know it), paid on 2025-11-01."""
    url = f"sqlite:///{tmp_path_factory.mktemp('un')}/ledger.db"
    led = register_staff(Ledger.open(url))
    try:
        _pay(led, RUN, [decision(9, region_code=UNKNOWN)], 2025, deadline=date(2025, 9, 30),
             confirmed=date(2025, 7, 1), gs=date(2025, 10, 1), payday=PAYDAY)  # fmt: skip
    finally:
        led.close()
    return url


def _cells(path: Path) -> dict[str, list[str]]:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        for ws in wb.worksheets
    }


def _monthly(url: str, out: Path, *extra: str, month: str = "2025-11"):
    r = _report("monthly", "--db", url, "--month", month, "--out", str(out), *extra)
    assert r.exit_code == 0, r.output
    return r, _cells(out)


# ---------------------------------------------------------------------------------------------------- 1. 填报单位


def test_unit_defaults_to_the_agency_of_the_ledgers_region(tongliao: str, tmp_path: Path) -> None:
    r, sheets = _monthly(tongliao, tmp_path / "m.xlsx")
    assert set(sheets) == {"本月发放", "逐月"}
    for cells in sheets.values():
        assert f"填报单位：{TONGLIAO_AGENCY}" in cells
        assert not any("（填报单位）" in c for c in cells)
    assert f"填报单位：{TONGLIAO_AGENCY}（取自地区数据" in r.stderr
    # (no bank file written: 未报盘, not 发放 — session 37 outside audit F3)
    assert "2025-11：发放 0 笔，0.00元" in " ".join(r.stdout.split())
    assert "未报盘 2 笔，2,400.03元" in " ".join(r.stdout.split())


def test_unit_option_still_overrides_the_region_data(tongliao: str, tmp_path: Path) -> None:
    _, sheets = _monthly(tongliao, tmp_path / "m.xlsx", "--unit", "科尔沁区社会保险事业服务中心")
    for cells in sheets.values():
        assert "填报单位：科尔沁区社会保险事业服务中心" in cells
        assert not any(TONGLIAO_AGENCY in c for c in cells)


def test_a_region_the_registry_does_not_know_keeps_the_placeholder_and_says_why(
    unregistered: str, tmp_path: Path
) -> None:
    r, sheets = _monthly(unregistered, tmp_path / "m.xlsx")
    assert "填报单位：（填报单位）" in sheets["本月发放"]
    said = " ".join(r.stderr.split())
    assert f"填报单位未定：地区代码 {UNKNOWN} 不在地区表中" in said and "请用 --unit 给出" in said


# ---------------------------------------------------------------------------------------------------- 2. basis


def test_a_tongliao_report_cites_what_applies_in_tongliao(tongliao: str, tmp_path: Path) -> None:
    _, sheets = _monthly(tongliao, tmp_path / "m.xlsx")
    for cells in sheets.values():
        assert f"依据：{NATIONAL_MONTHLY}" in cells
        assert not any("晋人社" in c for c in cells)


def test_a_yangquan_report_cites_the_shanxi_notice(yangquan: str, tmp_path: Path) -> None:
    _, sheets = _monthly(yangquan, tmp_path / "m.xlsx", month="2024-11")
    assert f"依据：{SHANXI_MONTHLY}；{NATIONAL_MONTHLY}" in sheets["本月发放"]


def test_report_build_and_its_help_cite_no_fixed_notice(tongliao: str, tmp_path: Path) -> None:
    out = tmp_path / "build"
    r = _report("build", "--db", tongliao, "--month", "2025年11月", "--period", "2025年度", "--out", str(out))
    assert r.exit_code == 0, r.output
    html = (out / "report.html").read_text("utf-8")
    assert "晋人社" not in html and NATIONAL_MONTHLY in html and f"填报单位：{TONGLIAO_AGENCY}" in html
    sheets = _cells(out / "report.xlsx")
    assert f"上报依据：{NATIONAL_MONTHLY}" in sheets["按地区"]
    assert f"填报单位：{TONGLIAO_AGENCY}" in sheets["本月发放"]
    assert not any("晋人社" in c for cells in sheets.values() for c in cells)
    assert "晋人社" not in _report("monthly", "--help").output


def test_yaoqing_draft_cites_the_regions_documents() -> None:
    from wengang.reports.yaoqing import yaoqing_draft

    tongliao = yaoqing_draft({"region": "通辽市", "found_on": "2025-09-01"})
    assert "报告依据：内人社发〔2025〕18号 五：“严格执行社保基金要情报告制度”" in tongliao
    assert "晋人社" not in tongliao
    yangquan = yaoqing_draft({"region": "阳泉市", "found_on": "2025-09-01"})
    assert "报告依据：晋人社厅发〔2024〕28号 六：“严格执行社会保险基金要情报告制度”" in yangquan
    assert "内人社" not in yangquan and "人社部发〔2024〕40号 六" in yangquan


# ---------------------------------------------------------------------------------------------------- 3. WENGANG_DB


def test_monthly_reads_the_ledger_from_wengang_db(tongliao: str, tmp_path: Path) -> None:
    out = tmp_path / "env.xlsx"
    r = _report("monthly", "--month", "2025-11", "--out", str(out), env={"WENGANG_DB": tongliao})
    assert r.exit_code == 0, r.output
    # (no bank file written: 未报盘, not 发放 — session 37 outside audit F3)
    assert "2025-11：发放 0 笔，0.00元" in " ".join(r.stdout.split())
    assert "未报盘 2 笔，2,400.03元" in " ".join(r.stdout.split())
    assert "本月发放" in _cells(out)
    # --db wins over the variable, as in the casework commands
    r = _report("monthly", "--db", tongliao, "--month", "2025-11", "--out", str(out),
                env={"WENGANG_DB": f"sqlite:///{tmp_path}/nowhere.db"})  # fmt: skip
    assert r.exit_code == 0, r.output
    r = _report(
        "monthly", "--month", "2025-11", "--out", str(out), env={"WENGANG_DB": f"sqlite:///{tmp_path}/no.db"}
    )
    assert r.exit_code == 2 and "找不到台账数据库文件" in r.stderr


# ---------------------------------------------------------------------------------------------------- 4. --month


@pytest.mark.parametrize(
    ("given", "month", "period"),
    [
        ("2025-11", "2025-11", "2025年11月"),
        ("2025年11月", "2025-11", "2025年11月"),
        ("2025/11", "2025-11", "2025年11月"),
        ("202511", "2025-11", "2025年11月"),
        ("2025-9", "2025-09", "2025年9月"),
        ("2025年9月", "2025-09", "2025年9月"),
        ("2025/9", "2025-09", "2025年9月"),
        ("202509", "2025-09", "2025年9月"),
    ],
)
def test_month_forms_an_operator_writes(
    tongliao: str, tmp_path: Path, given: str, month: str, period: str
) -> None:
    r, sheets = _monthly(tongliao, tmp_path / "m.xlsx", month=given)
    assert f"报告期：{period}" in sheets["本月发放"]
    assert f"{month}：发放 0 笔，0.00元" in " ".join(r.stdout.split())  # (no bank file: 未报盘, not 发放)
    assert ("未报盘 2 笔，2,400.03元" in " ".join(r.stdout.split())) == (month == "2025-11")


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("2025-13", "不是明确的月份"),
        ("9/2025", "不是明确的月份"),
        ("25-09", "不是明确的月份"),
        ("九月", "不是明确的月份"),
        ("2025.1", "不是明确的月份"),  # January, or October typed as a number
        ("2025-09-15", "是报告月份，不是日期"),
        ("2025年9月15日", "是报告月份，不是日期"),
        ("1999-09", "年份超出合理范围"),
    ],
)
def test_month_forms_refused_in_chinese_first(tongliao: str, tmp_path: Path, given: str, why: str) -> None:
    r = _report("monthly", "--db", tongliao, "--month", given, "--out", str(tmp_path / "m.xlsx"))
    assert r.exit_code == 2
    said = " ".join(r.stderr.split())
    assert said.startswith("错误 / error: --month")
    zh, en = said.removeprefix("错误 / error: ").split(" / ", 1)  # Chinese first, English after
    assert why in zh and f"“{given}”" in zh and repr(given) in en
    if "年份" not in why:  # the forms accepted are named
        assert "2025-09，也可写 2025-9、2025/9、2025年9月 或 202509" in zh
    assert not (tmp_path / "m.xlsx").exists()


# ---------------------------------------------------------------------------------------------------- 5. README


def test_readme_says_what_build_does_with_db_and_results(tongliao: str, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    [line] = [ln for ln in readme.splitlines() if "wengang report build --results" in ln]
    assert "加 --db" not in line and "以 --db 代替 --results" in line
    r = _report("build", "--results", str(tmp_path), "--db", tongliao, "--out", str(tmp_path / "x"))
    assert r.exit_code == 2 and "以 --db 代替 --results" in r.stderr
    r = _report("build", "--db", tongliao, "--out", str(tmp_path / "x"))  # what README says instead
    assert r.exit_code == 0, r.output
    [monthly] = [ln for ln in readme.splitlines() if "wengang report monthly" in ln]
    assert "晋人社" not in monthly
