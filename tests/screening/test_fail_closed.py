"""Fail closed (issue 12 item 4): a quarantined row of an input that can stop or reduce a payment holds the
payments it may concern, and input rows that cannot be used are counted, never dropped.

A small generated 通辽 region is screened once as it is (the baseline); each test adds rows to one input and
screens again.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.cli import app
from wengang.facts.identifiers import USCC_ALPHABET, make_credit_code
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.holds import REFUSAL_TO_VERIFY
from wengang.screening.output import print_summary
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
HELD_TEXT = "待核实后发放"
runner = CliRunner()


def _screen(out: Path, tables: dict[str, Path], **kw):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("failclosed")
    paths = generate_region(root / "data", region_code="150500", n_units=300, year=2025, seed=5)
    tables = {k: paths[k] for k in TABLES}
    base = _screen(root / "base", tables)
    results = pl.read_parquet(root / "base" / "results.parquet")
    payable = results.filter(pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"]))
    # the generator plants a few bad monthly rows: their units are held already (月度缴费记录第 N 行格式有误)
    held = set(results.filter(pl.col("payment_hold")).get_column("credit_code").to_list())
    assert all(n.startswith("月度缴费记录") for n in base.summary.hold_notes)
    eligible = results.filter((pl.col("status") == "eligible") & ~pl.col("payment_hold"))
    eligible = eligible.get_column("credit_code").to_list()
    assert len(eligible) >= 3 and payable.height > len(eligible) + len(held) - 1
    return root, tables, results, eligible


def _with_rows(src: Path, dst: Path, rows: list[dict[str, str | None]]) -> tuple[Path, list[int]]:
    """``src`` (Parquet chunks) as a CSV of text with ``rows`` appended; returns the file and their row numbers
    (the file's lines: the header is line 1, so data row i is line i + 1)."""
    frame = pl.read_parquet(src / "*.parquet").select(pl.all().cast(pl.String))
    extra = pl.DataFrame(rows, schema=dict.fromkeys(frame.columns, pl.String))
    pl.concat([frame, extra]).write_csv(dst)
    return dst, [frame.height + i + 2 for i in range(len(rows))]


def _mistype(code: str) -> str:
    """The code with a wrong check character (quarantined; one edit from the real code)."""
    return code[:17] + next(c for c in USCC_ALPHABET if c != code[17])


def _imported(tmp_path: Path, unit: str) -> tuple[str, str, str | None]:
    """``case import`` of ``tmp_path/out`` into a fresh ledger: the command's output (one line) and the unit's
    state and hold reason there."""
    from wengang.casework import Ledger
    from wengang.casework.operators import add_operator

    db = f"sqlite:///{tmp_path}/ledger.db"
    led = Ledger.open(db)
    add_operator(led, "admin", roles=["管理员"], bootstrap=True)
    add_operator(led, "cw", roles=["经办"], actor="admin")
    led.close()
    r = runner.invoke(case_app, ["import", str(tmp_path / "out"), "--db", db, "-u", "cw"])
    assert r.exit_code == 0, r.output
    led = Ledger.open(db)
    try:
        with led.engine.connect() as c:
            state, reason = c.exec_driver_sql(
                "select state, hold_reason from case_decisions where unit_id = ?", (unit,)
            ).one()
    finally:
        led.close()
    return " ".join(r.output.split()), state, reason


def _held(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "results.parquet").filter(pl.col("payment_hold"))


def test_quarantined_exclusion_row_holds_its_unit(region, tmp_path):
    root, tables, base, eligible = region
    unit = eligible[0]
    # 注销 with an impossible date: the row cannot be read, so whether the unit is deregistered is unknown
    path, (row,) = _with_rows(
        tables["exclusions"], tmp_path / "exclusions.csv",
        [{"credit_code": unit, "list_type": "deregistered", "date_from": "2024-13-45", "date_to": None}],
    )  # fmt: skip
    report = _screen(tmp_path / "out", {**tables, "exclusions": path})
    ex = next(r for r in report.reports if r.table == "exclusions")
    assert ex.quarantined == 1 and report.reconciles
    held = _held(tmp_path / "out").filter(pl.col("credit_code") == unit)
    assert held.get_column("payment_hold_reason").to_list() == [f"排除名单第 {row} 行格式有误，待核实后发放"]
    assert held.get_column("status").cast(pl.String).to_list() == ["eligible"]  # entitled: held, not refused
    # nothing else changed
    after = pl.read_parquet(tmp_path / "out" / "results.parquet").filter(pl.col("credit_code") != unit)
    before = base.filter(pl.col("credit_code") != unit)
    assert after.sort("credit_code").equals(before.sort("credit_code"))
    # the summary says so: counts, amount, the row (JSON and, in red, on the console)
    payable = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])
    s, was = report.summary, base.filter(pl.col("payment_hold") & payable)
    assert s.held == was.height + 1
    assert s.held_amount_fen == was.get_column("amount_fen").fill_null(0).sum() + held.get_column("amount_fen").item()
    note = f"排除名单第 {row} 行格式有误：所涉单位暂缓发放，不予发放的结论待核实后认定"
    assert s.to_dict()["payment_hold"]["quarantine"][-1] == note
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    print_summary(s, "筛查结果", console=console)
    styled = console.export_text(styles=True)
    assert f"\x1b[1;31m⚠ 暂缓发放 {s.held} 个" in styled and f"\x1b[31m  ⚠ {note}" in styled


def test_a_mistyped_code_holds_the_unit_one_edit_away(region, tmp_path):
    root, tables, base, eligible = region
    unit, other = eligible[1], eligible[2]
    path, (row,) = _with_rows(
        tables["exclusions"], tmp_path / "exclusions.csv",
        [{"credit_code": _mistype(unit), "list_type": "serious_dishonesty", "date_from": "2024-01-01", "date_to": None}],
    )  # fmt: skip
    _screen(tmp_path / "out", {**tables, "exclusions": path})
    held = _held(tmp_path / "out")
    assert unit in held.get_column("credit_code").to_list() and other not in held.get_column("credit_code").to_list()
    reason = held.filter(pl.col("credit_code") == unit).get_column("payment_hold_reason").item()
    assert reason == f"排除名单第 {row} 行的单位代码有误，与本单位代码仅差一位，待核实后发放"


@pytest.mark.parametrize("code", ["", "不详", "9115"])
def test_an_unreadable_code_holds_every_payable_result(region, tmp_path, code):
    root, tables, base, eligible = region
    path, (row,) = _with_rows(
        tables["deferrals"], tmp_path / "deferrals.csv",
        [{"credit_code": code, "period_from": "2024-01", "period_to": "2024-06", "deferred_fen": "100000",
          "paid_up_date": None}],
    )  # fmt: skip
    report = _screen(tmp_path / "out", {**tables, "deferrals": path})
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    payable = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])
    assert results.filter(payable).get_column("payment_hold").all()
    why = "未填写" if not code else f"“{code}”不是有效的单位代码，与本批任何单位的单位代码都不只差一位"
    text = (
        f"缓缴记录第 {row} 行的单位代码无法识别（{why}）：该行有误被隔离，又无法确定属于哪个单位，可能涉及本批任一单位，"
        "因此本批全部待发放的单位暂缓发放、全部不予发放的结论待核实后认定；核实该行（补全单位代码，或确认不是数据记录后从文件中"
        "删除）并重新筛查后发放"
    )
    assert results.filter(payable).get_column("payment_hold_reason").str.contains(text, literal=True).all()
    assert report.summary.held == results.filter(payable).height and report.summary.hold_notes[-1] == text
    # it may be the row any refusal rests on too: every refusal of the run is to be verified (decisions §102), with
    # the reason; before, only the refusals a row named were (the planted bad monthly rows)
    refusals = results.filter(~payable)
    assert refusals.height and refusals.get_column("payment_hold").all()
    reasons = refusals.get_column("payment_hold_reason")
    assert reasons.str.starts_with(REFUSAL_TO_VERIFY).all() and reasons.str.contains(text, literal=True).all()
    assert report.summary.refusals_to_verify == refusals.height
    # decisions themselves are unchanged: only the payment waits
    assert results.drop("payment_hold", "payment_hold_reason").sort("credit_code").equals(
        base.drop("payment_hold", "payment_hold_reason").sort("credit_code")
    )


def test_a_monthly_row_without_a_code_makes_every_refusal_to_verify_in_the_ledger(region, tmp_path):
    """A monthly row with amounts but no unit code (a blank cell, a merged cell) may be the missing month of any
    unit refused for "12个月以上": every refusal is marked, and ``case import`` stores them 待认定, none closed."""
    root, tables, base, eligible = region
    monthly = pl.read_parquet(tables["contributions"] / "*.parquet").select(pl.all().cast(pl.String))
    blank = monthly.head(1).with_columns(pl.lit(None, dtype=pl.String).alias("credit_code"))
    path = tmp_path / "contributions.csv"
    pl.concat([monthly, blank]).write_csv(path)
    report = _screen(tmp_path / "out", {**tables, "contributions": path})
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    payable = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])
    refused = results.filter(~payable)
    assert refused.height and refused.get_column("payment_hold").all()
    assert report.summary.refusals_to_verify == refused.height
    # a refusal no row named before: final in the baseline, to be verified now
    unit = base.filter(~payable & ~pl.col("payment_hold")).get_column("credit_code")[0]
    shown, state, reason = _imported(tmp_path, unit)
    assert state == "pending_determination" and reason.startswith(REFUSAL_TO_VERIFY) and "可能涉及本批任一单位" in reason
    from wengang.casework import Ledger

    led = Ledger.open(f"sqlite:///{tmp_path}/ledger.db")
    try:
        with led.engine.connect() as c:
            states = dict(c.exec_driver_sql("select state, count(*) from case_decisions group by state").all())
    finally:
        led.close()
    assert "not_eligible" not in states and "disqualified" not in states and "pending_determination" in states, states


def test_same_bad_code_as_a_quarantined_registry_row_holds_nothing(region, tmp_path):
    """A unit whose code has a wrong check character in every file is quarantined in the registry and is not
    screened at all; its headcount and monthly rows name that same registry row, so they hold no one (and
    do not hold everyone as unreadable codes would)."""
    root, tables, base, eligible = region
    unit = eligible[0]
    bad = _mistype(unit)
    changed = {}
    for name in ("units", "contributions", "headcount"):
        frame = pl.read_parquet(tables[name] / "*.parquet").select(pl.all().cast(pl.String))
        assert frame.filter(pl.col("credit_code") == unit).height
        changed[name] = tmp_path / f"{name}.csv"
        frame.with_columns(pl.col("credit_code").replace(unit, bad)).write_csv(changed[name])
    report = _screen(tmp_path / "out", {**tables, **changed}, partitions=3)
    assert next(r for r in report.reports if r.table == "units").quarantined == 1
    assert next(r for r in report.reports if r.table == "headcount").quarantined >= 1
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert unit not in results.get_column("credit_code").to_list()
    # only the units of the planted bad monthly rows are held, as before
    held = results.filter(pl.col("payment_hold"))
    assert sorted(held.get_column("credit_code")) == sorted(base.filter(pl.col("payment_hold")).get_column("credit_code"))
    assert not any("无法识别" in n for n in report.summary.hold_notes)


def test_monthly_rows_of_units_missing_from_the_registry_are_counted(region, tmp_path):
    root, tables, base, eligible = region
    stranger = make_credit_code("91", "150502", "MA0YYY999")
    rows = [
        {"credit_code": stranger, "month": f"2024-{m:02d}", "due_fen": "1000", "paid_fen": "1000",
         "paid_date": f"2024-{m:02d}-15", "late_fee_fen": "0", "insured_persons": "3"}
        for m in range(1, 13)
    ]  # fmt: skip
    path, numbers = _with_rows(tables["contributions"], tmp_path / "contributions.csv", rows)
    report = _screen(tmp_path / "out", {**tables, "contributions": path}, partitions=2)
    monthly = next(r for r in report.reports if r.table == "contributions")
    assert report.reconciles and monthly.rows_in == monthly.accepted + monthly.quarantined
    assert monthly.by_reason["credit_code: unit not in the unit registry"] == 12
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet").filter(
        pl.col("reason_zh") == "统一社会信用代码：单位登记信息中无此单位"
    )
    assert sorted(q.get_column("source_row").to_list()) == numbers
    assert q.get_column("value").unique().to_list() == [stranger]


def test_monthly_rows_of_a_quarantined_registry_row_are_counted(region, tmp_path):
    """A unit listed twice in the registry is quarantined (which row is right?); its monthly rows are then
    counted in the quarantine with their own reason instead of vanishing in a join."""
    root, tables, base, eligible = region
    unit = eligible[0]
    units = pl.read_parquet(tables["units"] / "*.parquet")
    twice = units.filter(pl.col("credit_code") == unit).select(pl.all().cast(pl.String)).to_dicts()
    path, _ = _with_rows(tables["units"], tmp_path / "units.csv", twice)
    report = _screen(tmp_path / "out", {**tables, "units": path}, partitions=2)
    monthly = next(r for r in report.reports if r.table == "contributions")
    own = pl.read_parquet(tables["contributions"] / "*.parquet").filter(pl.col("credit_code") == unit).height
    assert own > 0 and monthly.by_reason["credit_code: the unit's registry row is quarantined"] == own
    assert report.reconciles
    assert unit not in pl.read_parquet(tmp_path / "out" / "results.parquet").get_column("credit_code").to_list()


def test_held_results_enter_the_ledger_held(region, tmp_path):
    """``case import`` carries the hold: an eligible unit arrives 暂缓发放 (held) with the reason."""
    root, tables, base, eligible = region
    listed = pl.read_parquet(tables["stats_size"] / "*.parquet").get_column("credit_code").to_list()
    unit = next(u for u in eligible if u not in listed)  # a second row of a listed unit would be a duplicate
    path, (row,) = _with_rows(
        tables["stats_size"], tmp_path / "stats.csv", [{"credit_code": unit, "size_class": "巨型"}]
    )
    report = _screen(tmp_path / "out", {**tables, "stats_size": path})
    assert next(r for r in report.reports if r.table == "stats_size").quarantined == 1
    shown, state, reason = _imported(tmp_path, unit)
    assert "其中暂缓发放 1 条" in shown
    assert state == "held" and reason == f"统计划型名单第 {row} 行格式有误，待核实后发放"


def test_cli_json_and_console_report_the_hold(region, tmp_path):
    root, tables, base, eligible = region
    path, (row,) = _with_rows(
        tables["headcount"], tmp_path / "headcount.csv",
        [{"credit_code": eligible[0], "year": "二〇二四", "insured_headcount": "10", "layoffs": "0",
          "normal_attrition": None}],
    )  # fmt: skip
    args = ["screen", "--out", str(tmp_path / "out"), "--date", "2025-08-01", "--year", "2025", "--no-excel",
            "--region", "150500"]  # fmt: skip
    for name in TABLES:
        args += [f"--{name.replace('_', '-')}", str(path if name == "headcount" else tables[name])]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    hold = json.loads(r.output)["summary"]["payment_hold"]
    note = f"年度参保人数与裁员表第 {row} 行格式有误：所涉单位暂缓发放，不予发放的结论待核实后认定"
    assert hold["units"] >= 1 and note in hold["quarantine"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    shown = " ".join(r.output.split())  # (the console wraps long lines)
    assert "⚠ 暂缓发放" in shown and f"年度参保人数与裁员表第 {row} 行格式有误" in shown


def test_a_refusal_that_rests_on_a_quarantined_row_is_not_final(region, tmp_path):
    """A unit's monthly row duplicated: both copies are quarantined, the month is missing, "12个月以上" fails and the
    unit comes out 不符合条件 — on rows the run could not read. The refusal is marked (reason prefixed), counted in
    the summary, and ``case import`` stores it 待认定 with that reason, not as a final 不符合条件 with a letter."""
    from wengang.screening.holds import REFUSAL_TO_VERIFY

    root, tables, base, eligible = region
    unit = eligible[1]
    monthly = pl.read_parquet(tables["contributions"] / "*.parquet").select(pl.all().cast(pl.String))
    mine = monthly.filter(pl.col("credit_code") == unit)
    path = tmp_path / "contributions.csv"
    pl.concat([monthly, mine.filter(pl.col("month") == mine.get_column("month").max())]).write_csv(path)
    report = _screen(tmp_path / "out", {**tables, "contributions": path})
    assert report.reconciles
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    row = results.filter(pl.col("credit_code") == unit).row(0, named=True)
    assert str(row["status"]) == "ineligible" and row["payment_hold"]
    assert row["payment_hold_reason"].startswith(REFUSAL_TO_VERIFY)
    payable = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])
    marked = results.filter(pl.col("payment_hold") & ~payable).height
    assert report.summary.refusals_to_verify == marked >= 1
    assert report.summary.to_dict()["payment_hold"]["refusals_to_verify"] == marked

    shown, state, reason = _imported(tmp_path, unit)
    # stored 待认定 with a reason: these refusals, and the 待认定 rows the rules hold (a dispatch firm that has not
    # applied, no corporate account and not small/micro: decisions.md §122)
    pending_held = results.filter(pl.col("payment_hold") & (pl.col("status").cast(pl.String) != "eligible")).height
    assert pending_held >= marked
    assert f"结论待核实 {pending_held} 条" in shown
    assert state == "pending_determination" and reason.startswith(REFUSAL_TO_VERIFY)
