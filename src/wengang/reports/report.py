"""The office's report as one self-contained HTML file (and its XLSX twin): statistics with charts, the monthly
disbursements, and the fund's reserve against each policy's precondition."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wengang.beijing import beijing_today
from wengang.money import format_yuan
from wengang.reports import charts
from wengang.reports.html import HtmlTable, Section, write_html
from wengang.reports.statistics import (
    MONTHLY_CLOCK,
    MonthRow,
    Row,
    Statistics,
    count_heading,
    monthly_basis,
    program_label,
)
from wengang.simulate import ReserveCheck, fmt_years

REPORT_OUTPUTS = ("report.html", "report.xlsx")


def _rows_table(caption: str, head: str, rows: list[Row], st: Statistics) -> HtmlTable:
    return HtmlTable(
        caption,
        (head, count_heading(st), "符合条件", "拟发放金额"),
        [(r.label, f"{r.units:,}", f"{r.eligible:,}", format_yuan(r.amount_fen)) for r in rows],
        numeric=(1, 2, 3),
        total=("合计", f"{st.units:,}", f"{st.eligible:,}", format_yuan(st.amount_fen)),
    )


def statistics_sections(st: Statistics) -> list[Section]:
    out = [
        Section(
            "总体",
            paragraphs=[
                f"共 {st.units:,} 个，符合条件 {st.eligible:,} 个，拟发放 {format_yuan(st.amount_fen)}。",
                f"数据来源：{st.source}",
                *([f"统计范围：{st.period_filter}"] if st.period_filter else []),
            ],
            tables=[
                _rows_table("按结论", "结论", st.by_status, st),
                _rows_table("按项目", "项目", st.by_program, st),
            ],
            notes=st.notes,
        ),
        Section(
            "按地区",
            tables=[_rows_table("按地区", "地区", st.by_region, st)],
            charts=[
                charts.hbar_chart(
                    "拟发放金额（按地区）",
                    [(r.label, r.amount_fen) for r in st.by_region],
                    measure=charts.MONEY,
                ),
                charts.hbar_chart(
                    "符合条件的数量（按地区）",
                    [(r.label, r.eligible) for r in st.by_region],
                    measure=charts.count("个"),
                ),
            ],
        ),
        Section(
            "按企业划型",
            tables=[_rows_table("按企业划型", "企业划型", st.by_size, st)],
            charts=[
                charts.bar_chart(
                    "拟发放金额（按企业划型）",
                    [(r.label, r.amount_fen) for r in st.by_size],
                    measure=charts.MONEY,
                ),
            ],
        ),
        Section(
            "按行业",
            tables=[_rows_table("按行业门类（GB/T 4754-2017）", "行业门类", st.by_industry, st)],
            charts=[
                charts.hbar_chart(
                    "拟发放金额（按行业门类）",
                    [(r.label, r.amount_fen) for r in st.by_industry],
                    measure=charts.MONEY,
                ),
            ],
        ),
        Section(
            "不符合或无法判定的原因",
            tables=[
                HtmlTable(
                    "原因", ("原因", "数量"), [(t, f"{n:,}") for _, t, n in st.reason_lines()], numeric=(1,)
                )
            ],
            charts=[
                charts.hbar_chart(
                    "原因（前10项）",
                    [(t, n) for _, t, n in st.reason_lines()[:10]],
                    measure=charts.count("个"),
                )
            ],
        ),
    ]
    return out


def monthly_section(rows: list[MonthRow], regions: Sequence[object], month: str | None) -> Section:
    """The ledger's money by month; the basis cited is that of the documents in force for ``regions`` in ``month``
    (the last month shown when None; this month when nothing was paid)."""
    months = sorted({r.month for r in rows})
    basis = monthly_basis(regions, month or (months[-1] if months else beijing_today().strftime("%Y-%m")))
    programs = sorted({r.program for r in rows})
    series = [
        (program_label(p), [sum(r.paid_fen for r in rows if r.month == m and r.program == p) for m in months])
        for p in programs
    ]
    total = (
        "合计",
        f"{sum(r.payments for r in rows):,}",
        format_yuan(sum(r.paid_fen for r in rows)),
        format_yuan(sum(r.returned_fen for r in rows)),
        format_yuan(sum(r.recovered_fen for r in rows)),
        format_yuan(sum(r.net_fen for r in rows)),
    )
    return Section(
        "逐月发放",
        paragraphs=[f"依据：{basis}", MONTHLY_CLOCK, "净发放 = 发放 − 退回 − 追回到账。"],
        tables=[
            HtmlTable(
                "逐月发放（台账）",
                ("月份·项目", "笔数", "发放金额", "退回金额", "追回金额", "净发放"),
                [
                    (
                        f"{r.month} {program_label(r.program)}",
                        f"{r.payments:,}",
                        format_yuan(r.paid_fen),
                        format_yuan(r.returned_fen),
                        format_yuan(r.recovered_fen),
                        format_yuan(r.net_fen),
                    )
                    for r in rows
                ],
                numeric=(1, 2, 3, 4, 5),
                total=total,
            )
        ],
        charts=[
            charts.line_chart(
                "逐月发放金额", months, series, measure=charts.MONEY, x_label="月份", y_label="金额"
            )
        ],
    )


def reserve_section(check: ReserveCheck) -> Section:
    f = check.fund
    mark = {True: "满足", False: "不满足", None: "无法计算"}
    months = f.reserve_months()
    return Section(
        "失业保险基金备付期限",
        paragraphs=[
            f"{f.region} {f.year}年末滚存结余 {format_yuan(f.balance_fen)}，{f.months}个月支出 {format_yuan(f.spending_fen)}；"
            f"备付期限 = 结余 ÷ 月均支出 = {'—' if months is None else f'{float(months):.1f}个月'}，即 {fmt_years(check.before_years)}。"
            + (f"（来源：{f.source}）" if f.source else ""),
            check.basis_zh() + "。",
        ],
        tables=[
            HtmlTable(
                "各项政策的备付期限前提",
                ("项目", "文件", "政策期间", "要求", "结论", "依据"),
                [
                    (
                        r["program"],
                        r["document"],
                        r["period"],
                        r["required"],
                        mark[r["before"]],
                        f"{r['citation']}：“{r['quote']}”",
                    )
                    for r in check.rows()
                ],
            )
        ],
    )


def write_report(
    out_dir: str | Path,
    *,
    title: str,
    unit: str,
    period: str,
    statistics: Statistics | None = None,
    monthly: list[MonthRow] | None = None,
    month: str | None = None,
    reserve: ReserveCheck | None = None,
    regions: Sequence[object] = (),
) -> dict[str, str]:
    """``report.html`` (self-contained, charts inline) and ``report.xlsx`` (the upward-report sheets). ``regions``:
    the ledger's regions, whose documents the monthly figures cite (the statistics cite their own regions')."""
    from wengang.documents.xlsx import Column, Table, write_xlsx
    from wengang.reports.statistics import monthly_tables, statistics_tables

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    tables: list[Table] = []
    if statistics is not None:
        sections += statistics_sections(statistics)
        tables += statistics_tables(statistics, unit=unit, period=period)
    if monthly is not None:
        sections.append(monthly_section(monthly, regions, month))
        if month is not None:
            tables += monthly_tables(monthly, unit=unit, month=month, regions=regions)
    if reserve is not None:
        sections.append(reserve_section(reserve))
        tables.append(
            Table(
                [
                    Column("program", "项目"),
                    Column("document", "文件"),
                    Column("period", "政策期间"),
                    Column("required", "备付期限要求"),
                    Column("met", "结论"),
                    Column("citation", "依据"),
                    Column("quote", "原文"),
                ],
                [
                    r | {"met": {True: "满足", False: "不满足", None: "无法计算"}[r["before"]]}
                    for r in reserve.rows()
                ],
                sheet="基金备付",
                title="失业保险基金备付期限与政策前提",
                control=False,
                meta=(
                    f"填报单位：{unit}",
                    f"报告期：{period}",
                    f"备付期限：{fmt_years(reserve.before_years)}（{reserve.fund.year}年末）",
                    reserve.basis_zh(),
                ),
            )
        )
    files = {
        "报告（HTML）": str(
            write_html(out / "report.html", title, sections, meta=[f"填报单位：{unit}", f"报告期：{period}"])
        )
    }
    if tables:
        files["报表（Excel）"] = str(write_xlsx(out / "report.xlsx", *tables))
    return files
