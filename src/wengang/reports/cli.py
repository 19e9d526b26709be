"""`wengang report …`: statistics, monthly disbursements, the fund's reserve, a 要情报告 draft.

Mounted by the main CLI as ``app.add_typer(report_app, name="report")``. Exit codes: 0 ok, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

# the ledger as every casework command finds it: --db, else WENGANG_DB, else the default (one option, shared)
from wengang.casework.cli import DB

report_app = typer.Typer(
    help="报表：统计（按地区、划型、行业、项目）、月度发放、基金备付期限、要情报告草稿 / reports: statistics, monthly, reserve.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(width=None if sys.stdout.isatty() else 160)
# what the command found out for the operator (who files the report), beside the output: --json stays JSON
notes = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
EXIT_INVALID = 2
MONTH_FORMS = "2025-09，也可写 2025-9、2025/9、2025年9月 或 202509"


def _fail(message: str) -> None:
    from wengang.cli_errors import say

    say(message)
    raise typer.Exit(EXIT_INVALID)


def _results_args(values: list[str] | None) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for v in values or []:
        program, sep, folder = v.partition("=")
        out.append((program.strip(), folder.strip()) if sep and not Path(v).exists() else (None, v))
    return out


def _month(text: str | None) -> str | None:
    """``--month`` as ``YYYY-MM``, read by the ingest layer's month reader (``2025-09``, ``2025-9``, ``2025/9``,
    ``2025年9月``, ``202509``). A day is not a month, and a form the reader finds ambiguous (``2025.1``: January, or
    October typed as a number) or no month at all is refused, naming the forms accepted."""
    from wengang.ingest.values import ValueProblem, parse_date, parse_month
    from wengang.inputs import YEAR_MAX, YEAR_MIN

    if text is None:
        return None
    refusal = (
        f"--month“{text}”不是明确的月份，请写作 {MONTH_FORMS}"
        f" / --month {text!r} is not a month: write 2025-09 (or 2025-9, 2025/9, 2025年9月, 202509)"
    )
    try:
        parse_date(text)
    except ValueProblem:
        pass
    else:  # the month reader takes a date as its month (agencies' exports); an operator's option names the month
        _fail(
            f"--month 是报告月份，不是日期：“{text}”；请写作 {MONTH_FORMS} / --month is a month, not a date: {text!r}"
        )
    try:
        month = parse_month(text)
    except ValueProblem:
        _fail(refusal)
    if not YEAR_MIN <= int(month[:4]) <= YEAR_MAX:
        _fail(
            f"--month“{text}”的年份超出合理范围（{YEAR_MIN}–{YEAR_MAX}） / the year of --month {text!r} is out of range"
        )
    return month


def _filing_unit(unit: str | None, regions: list[str], *, quiet: bool = False) -> str:
    """``--unit`` when given; else the agency of the report's regions from the region data; else the placeholder,
    saying why (on stderr, with the agency found too: the operator sees who files the report; ``quiet``: not at all,
    for --json, whose payload names the unit)."""
    from wengang.documents.errors import DocumentError
    from wengang.reports.scope import PLACEHOLDER_UNIT, filing_unit, known_regions

    if unit is not None and unit.strip():
        return unit.strip()
    try:
        found = filing_unit(regions)
    except DocumentError as exc:  # a region data file with a bad agency block
        _fail(str(exc))
    if found:
        if quiet:
            return found
        notes.print(
            f"填报单位：{found}（取自地区数据的经办机构，可用 --unit 改） / reporting unit from the region data",
            highlight=False,
        )
        return found
    if quiet:
        return PLACEHOLDER_UNIT
    known, unknown = known_regions(regions)
    why = (
        f"地区代码 {'、'.join(unknown)} 不在地区表中，无法确定经办机构"
        if unknown
        else "地区数据中没有这些地区的经办机构（agency）"
        if known
        else "报告不涉及任何地区"
    )
    notes.print(
        f"填报单位未定：{why}；表中留作“{PLACEHOLDER_UNIT}”，请用 --unit 给出 / reporting unit unknown: give --unit",
        highlight=False,
    )
    return PLACEHOLDER_UNIT


@report_app.command("build")
def build(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="输出目录：report.html、report.xlsx / output folder")
    ],
    results: Annotated[
        list[str] | None,
        typer.Option("--results", help="筛查结果目录（可多次；可写作 项目=目录）/ screening output folder"),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="台账数据库 URL：按台账的决定统计，并统计逐月发放 / ledger URL")
    ] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", help=f"月报的报告期，如 {MONTH_FORMS}（需 --db）/ the month reported"),
    ] = None,
    fund: Annotated[
        Path | None,
        typer.Option("--fund", help="基金数据（YAML：region、year、balance、spending）/ fund input"),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="填报单位；不给时取报告所涉地区的经办机构（地区数据）/ reporting unit"),
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="报告期文字，如“2025年度” / reporting period text")
    ] = None,
    title: Annotated[
        str, typer.Option("--title", help="报告标题 / title")
    ] = "失业保险援企稳岗政策落实情况报告",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """统计报告：按地区、企业划型、行业、项目的数量与金额，不符合原因；逐月发放（台账）；基金备付期限与各政策前提。
    写出单文件 HTML（图表内嵌，无需联网、无脚本）与上报格式 XLSX（标题、填报单位、报告期、单位：元、合计）。

    The office report: statistics, monthly disbursements and the fund's reserve, as one HTML file and an XLSX.
    """
    from wengang.reports.report import write_report
    from wengang.reports.statistics import (
        ReportError,
        from_ledger,
        from_results,
        ledger_regions,
        monthly_payments,
        years_of,
    )
    from wengang.simulate import FundInput, SimulationError, check_fund_region, check_reserve

    m = _month(month)
    if not results and not db and not fund:
        _fail("请给出 --results、--db 或 --fund / give --results, --db or --fund")
    if results and db:
        # one report, one source of statistics: the ledger's would be silently dropped (or mixed with the run's)
        _fail(
            "--results 与 --db 不能同时使用：统计来自筛查结果或台账之一，按台账统计请以 --db 代替 --results，"
            "或分别生成两份报告 / give --results or --db, not both: --db instead of --results for the ledger's figures"
        )
    # the ledger's decisions of the policy years --period names (all years when it names none); the report says which
    years = years_of(period)
    try:
        st = from_results(_results_args(results)) if results else (from_ledger(db, years) if db else None)
        monthly = monthly_payments(db, int(m[:4]) if m else None) if db else None
        reserve = check_reserve(FundInput.read(fund)) if fund else None
        if reserve is not None and st is not None:
            # the fund of another pooling region would be judged as this population's: refused, as `simulate` does
            check_fund_region(reserve.fund, [r.key for r in st.by_region])
        # the regions the report is about: whose agency files it; the ledger's are those its monthly figures cite
        paid_in = ledger_regions(db) if db else []
        regions = sorted(
            {
                *paid_in,
                *(r.key for r in (st.by_region if st else [])),
                *([reserve.fund.region] if reserve else []),
            }
        )
        filed_by = _filing_unit(unit, regions, quiet=as_json)
        files = write_report(
            out,
            title=title,
            unit=filed_by,
            regions=paid_in,
            period=period or (f"{m[:4]}年{int(m[5:])}月" if m else "本期"),
            statistics=st,
            monthly=monthly,
            month=m or (monthly[-1].month if monthly else None),
            reserve=reserve,
        )
    except (ReportError, SimulationError) as exc:
        _fail(str(exc))
    payload: dict[str, Any] = {"files": files, "unit": filed_by}
    if st is not None:
        payload["statistics"] = st.to_dict()
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from wengang.money import format_yuan

    if st is not None:
        console.print(
            f"共 {st.units:,} 个，符合条件 {st.eligible:,} 个，拟发放 {format_yuan(st.amount_fen)}",
            highlight=False,
        )
        if st.period_filter:
            console.print(f"统计范围：{st.period_filter}", highlight=False)
    for k, v in files.items():
        console.print(f"{k}：{v}", highlight=False)


@report_app.command("monthly")
def monthly(
    month: Annotated[str, typer.Option("--month", help=f"报告期，如 {MONTH_FORMS} / the month reported")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出 XLSX 文件 / output XLSX")],
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="填报单位；不给时取台账所涉地区的经办机构（地区数据）/ reporting unit"),
    ] = None,
    db: str = DB,
) -> None:
    """月度发放统计表：本月与本年累计、逐月，上报格式 XLSX。

    台账同经办命令（--db 或环境变量 WENGANG_DB）。填报单位默认取台账所涉地区的经办机构（地区数据）；依据取自这些地区当月适用的政策文件中按月统计、上报的条款。

    Monthly disbursement statistics from the ledger's payments, as an upward report (XLSX). The ledger comes from
    --db or WENGANG_DB; the reporting unit and the basis from the ledger's regions.
    """
    from wengang.documents.xlsx import write_xlsx
    from wengang.money import format_yuan
    from wengang.reports.statistics import ReportError, ledger_regions, monthly_payments, monthly_tables

    m = _month(month)
    assert m is not None
    if out.suffix.lower() != ".xlsx":
        _fail(f"--out 须为 .xlsx 文件：{out} / --out must be an .xlsx file")
    try:
        rows = monthly_payments(db, int(m[:4]))
        regions = ledger_regions(db)
    except ReportError as exc:
        _fail(str(exc))
    write_xlsx(out, *monthly_tables(rows, unit=_filing_unit(unit, regions), month=m, regions=regions))
    this = [r for r in rows if r.month == m]
    paid, returned = sum(r.paid_fen for r in this), sum(r.returned_fen for r in this)
    recovered = sum(r.recovered_fen for r in this)
    withdrawn = sum(r.withdrawn_fen for r in this)  # never sent: in neither 发放 nor 退回
    console.print(
        f"{m}：发放 {sum(r.payments for r in this):,} 笔，{format_yuan(paid)}；退回 {format_yuan(returned)}；"
        f"追回到账 {format_yuan(recovered)}；净发放 {format_yuan(paid - returned - recovered)}"
        + (
            f"；未报盘即撤回 {sum(r.withdrawn for r in this):,} 笔，{format_yuan(withdrawn)}（未发出，不计入发放、退回）"
            if withdrawn
            else ""
        )
        + (
            f"；未报盘 {sum(r.not_sent for r in this):,} 笔，{format_yuan(unsent)}（尚未报送银行，不计入发放）"
            if (unsent := sum(r.not_sent_fen for r in this))
            else ""
        )
        + f"；已写出 {out}",
        highlight=False,
    )


@report_app.command("reserve")
def reserve(
    fund: Annotated[
        Path,
        typer.Option(
            "--fund", help="基金数据（YAML：region、year、balance、spending，金额带单位）/ fund input"
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """基金备付期限（滚存结余 ÷ 月均支出）与各政策的前提（稳岗返还、技能提升补贴 1 年以上，人社部发〔2024〕40号 二、三；
    提取专账资金 2 年以上，内人社办发〔2022〕86号）。

    The fund's reserve against each policy's precondition.
    """
    from wengang.simulate import FundInput, SimulationError, check_reserve, fmt_years

    try:
        check = check_reserve(FundInput.read(fund))
    except SimulationError as exc:
        _fail(str(exc))
    rows = check.rows()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "region": check.fund.region,
                    "year": check.fund.year,
                    "policy_year": check.policy_year,
                    "reserve_years": None
                    if check.before_years is None
                    else round(float(check.before_years), 4),
                    "preconditions": rows,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    console.print(
        f"备付期限：{fmt_years(check.before_years)}（{check.fund.region}，{check.fund.year}年末）；{check.basis_zh()}",
        highlight=False,
    )
    mark = {True: "[green]满足[/]", False: "[red]不满足[/]", None: "无法计算"}
    for r in rows:
        console.print(
            f"  {r['program']}：要求 {r['required']}，{mark[r['before']]}  [dim]〔{r['citation']}〕{r['quote']}[/]",
            highlight=False,
        )
    if not rows:
        console.print(
            "该地区的政策文件没有备付期限前提 / no reserve precondition in this region's documents",
            highlight=False,
        )


@report_app.command("yaoqing")
def yaoqing(
    evidence: Annotated[
        Path,
        typer.Argument(help="疑点证据（JSON 对象，字段见 wengang.reports.yaoqing）/ a risk flag's evidence"),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="写出文本文件 / write to a text file")
    ] = None,
) -> None:
    """由疑点证据生成社会保险基金要情报告草稿（须经办人员核实补全、负责人审核后报送）。

    A 要情报告 draft from a risk flag's evidence.
    """
    from wengang.inputs import read_json
    from wengang.reports.yaoqing import yaoqing_draft

    data = read_json(evidence, "疑点证据", "evidence", shape=dict)
    text = yaoqing_draft(data)
    if out is None:
        typer.echo(text, nl=False)
        return
    from wengang.atomic import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    console.print(f"已写出要情报告草稿：{out}", highlight=False)
