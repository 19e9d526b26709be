"""`wengang`: the command line.

Exit codes (stable, documented in README and docs/decisions.md "Errors and exit codes"):
  0  success / eligible            3  ineligible (不符合条件)
  1  internal error (a log file is written) or a verification that failed (audit verify, --strict coverage)
  2  invalid input (bad facts, unknown region or program, bad policy file, a file that cannot be read)
  4  needs decision (待认定)       5  not determinable (无法判定, incl. no policy in force)
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from wengang.runtime import collect_less_often, keep_freed_memory

keep_freed_memory(sys.argv)  # before any command imports Polars (wengang.runtime says why)
collect_less_often()
if len(sys.argv) > 2 and sys.argv[1] == "screen":
    # the monthly rows are read while Typer is imported and parses the command line (wengang.screening.prefetch)
    from wengang.screening.prefetch import start

    start(sys.argv)

import typer  # noqa: E402 - after the early read above

# Start-up time (docs/performance.md): nothing heavy at import. Polars, pyarrow, SQLAlchemy, the rules engine,
# screening and the document writers are imported inside the commands that use them; a guard test keeps it so.
from wengang.cli_errors import WengangGroup, say  # noqa: E402
from wengang.inputs import YEAR_MAX, YEAR_MIN, check_fields, check_program, expect_shape, parse_date  # noqa: E402

app = typer.Typer(
    help=(
        "稳岗：失业保险援企稳岗、稳岗惠民政策的判定、免申即享筛查与经办台账。\n\n"
        "Wengang: job-stabilisation and benefit policies of unemployment insurance — decisions, screening without "
        "applications, and the casework ledger."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=WengangGroup,  # Chinese usage errors, InputError → exit 2 (wengang.cli_errors)
)


@app.callback()
def _each_command(ctx: typer.Context) -> None:
    # long steps show progress (a bar on a terminal, timestamped lines in logs) while a command runs
    from wengang import progress

    progress.enable()
    ctx.call_on_close(lambda: progress.enable(False))


class _Console:
    """Rich's console, made on first use: importing Rich costs start-up that a run printing JSON never uses."""

    def __init__(self) -> None:
        # piped output (files, CI logs) is not squeezed into 80 columns (whether it is piped: as at import)
        self._width = None if sys.stdout.isatty() else 160
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(width=self._width)
        return getattr(self._console, name)


console = _Console()

EXIT_OK, EXIT_INVALID, EXIT_INELIGIBLE, EXIT_NEEDS_DECISION, EXIT_NOT_DETERMINABLE = 0, 2, 3, 4, 5
# option ranges: beyond them a value is a typo, not a request
MAX_PARTITIONS = 4096
MAX_DEMO_UNITS = 50_000_000
MAX_WORKING_DAYS = 3650  # ten years of working days: longer than any time limit a text sets


def _exit_code(status: str) -> int:
    from wengang.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE

    return {
    ELIGIBLE: EXIT_OK,
    INELIGIBLE: EXIT_INELIGIBLE,
    NEEDS_DECISION: EXIT_NEEDS_DECISION,
    NOT_DETERMINABLE: EXIT_NOT_DETERMINABLE,
    }[status]


def fail(message: str) -> None:
    say(message)
    raise typer.Exit(EXIT_INVALID)


POLICY_PATH_HELP = ("未安装的政策文件（YAML，如 wengang policy new 生成的草稿；可多次），仅本次运行使用，加载时同样校验 / "
                    "a policy file not installed (a draft), used for this run only and checked on load (repeatable)")


def policies_for_run(paths: list[Path] | None) -> Any:
    """``--policy-path``: the shipped documents plus these files for this run, checked by the loader; a file that
    does not check is refused naming file and line (exit 2). No files: the shipped set, unchanged."""
    if not paths:
        return contextlib.nullcontext()
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_with_files, use_policy_set

    try:
        ps = load_with_files(paths)
    except PolicyError as exc:
        for e in exc.all_errors:
            typer.echo(f"错误 / error: {e}", err=True)
        typer.echo(f"政策文件校验失败：{len(exc.all_errors)} 处错误 / policy files do not check: {len(exc.all_errors)} error(s)",
                   err=True)
        raise typer.Exit(EXIT_INVALID) from None
    return use_policy_set(ps)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        k, sep, val = v.partition("=")
        if not sep:
            fail(f"{what}应写作 名称=取值：{v} / {what} must be name=value: {v}")
        out[k.strip()] = val.strip()
    return out


def _read_json(path: Path) -> Any:
    from decimal import Decimal

    from wengang.inputs import read_json

    if str(path) != "-":
        return read_json(path, "事实文件", "facts file", shape=dict, parse_float=Decimal)
    try:
        # numbers with a decimal point stay exact (an amount in 元 written as 18640.5 is 1864050 fen)
        return json.loads(sys.stdin.read(), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"标准输入不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）/ invalid JSON on standard input")


@app.command("evaluate")
def evaluate_cmd(
    facts_file: Annotated[
        Path, typer.Argument(help="事实文件：JSON（- 表示标准输入），或 CSV/XLSX 导出表的一行（中文表头可）/ facts: JSON, or one row of a CSV/XLSX export")
    ],
    program: Annotated[str | None, typer.Option("--program", "-p", help="项目，如 fanhuan、skill_subsidy / program")] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="地区：行政区划代码或名称，如 150500、通辽 / region code or name")] = None,
    on: Annotated[str | None, typer.Option("--date", "-d", help="审核日期，如 2025-08-01、2025/8/1、2025年8月1日 / evaluation date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    explain_: Annotated[bool, typer.Option("--explain", help="输出告知书文字 / print the letter text")] = False,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释：名称=取值（可多次）/ fix a reading: name=value (repeatable)")] = None,
    setting: Annotated[list[str] | None, typer.Option("--setting", help="地区设置或参数假设值：名称=取值（可多次），金额带单位如 local_avg_monthly_benefit=1200元，比例带%如 max_layoff_rate=3.6% / region setting or what-if parameter: name=value with its unit")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="允许使用征求意见稿 / allow draft documents")] = False,
    workday_overrides: Annotated[
        Path | None, typer.Option("--workday-overrides", help="工作日覆盖文件（YAML/CSV），用于计算办结期限 / working-day overrides for deadlines")
    ] = None,
    region_data: Annotated[list[Path] | None, typer.Option("--region-data", help="地区数据文件（YAML，格式见 examples/region-data.yaml；可多次）/ region data file (repeatable)")] = None,
    header_map: Annotated[
        Path | None, typer.Option("--header-map", help="表头映射文件（YAML 或 CSV：本地列名,标准字段），见 docs/data-dictionary.md / local header map")
    ] = None,
    row: Annotated[int | None, typer.Option("--row", help="CSV/XLSX 中要判定的数据行（第1行为表头下第一行）/ data row to decide")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX 工作表名（默认第一个）/ XLSX sheet")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="CSV 编码：utf-8、gbk、gb18030（默认自动识别）/ CSV encoding")] = None,
    policy_path: Annotated[list[Path] | None, typer.Option("--policy-path", help=POLICY_PATH_HELP)] = None,
) -> None:
    """判定一个单位或个人的一个项目，给出结论、金额、依据与理由 / evaluate one case: decision, amount, basis, reasons.

    事实可用中文表头（如“统一社会信用代码”“企业规模”“上年度实缴失业保险费”），中文表头的金额以元计并精确换算为分，
    “中型”“是”等中文取值、“2024年1月5日”等日期写法均可；见 docs/data-dictionary.md。

    地区设置：金额须带单位，写“1200元”“1200.50元”或“120050分”；比例须带“%”，写“5.5%”——这两类不带单位的数字不予采用。
    年数等其他设置写数字即可（如 fund_reserve_years=1.5）。以“_fen”结尾的字段以分为单位，须为整数（按元填写请写“10000.00元”）。
    设置名为政策参数的（如 refund_rate_sme=70%），作为假设分析覆盖该参数，并在结论中注明。
    """
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.explain import explain
    from wengang.ingest import IngestError
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()  # registers the programs' interpretation switches

    hmap = None
    facts: Any
    from_table = facts_file.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")  # else a JSON object
    try:
        if header_map is not None:
            from wengang.ingest.headers import load_header_map

            hmap = load_header_map(header_map)
        if from_table:
            from wengang.ingest.record import read_record

            try:
                facts = read_record(facts_file, row=row, sheet=sheet, encoding=encoding, header_map=hmap)
            except IngestError as exc:  # name the input as the other readers do: the facts file
                zh, en = exc.message_zh, exc.message_en
                fail(f"{zh.replace('文件 ', '事实文件 ', 1) if zh.startswith('文件 ') else '事实文件：' + zh} / "
                     f"{en.replace('file ', 'facts file ', 1) if en.startswith('file ') else 'facts file: ' + en}")
        else:
            facts = _read_json(facts_file)
            if not isinstance(facts, dict):
                fail("事实文件应为一个 JSON 对象 / the facts file must hold one JSON object")
    except IngestError as exc:
        fail(str(exc))
    # an example file may carry its own program, region and date; options given on the line win
    case = (facts.pop("_case", None) if isinstance(facts, dict) else None) or {}  # a CSV/XLSX row has none
    expect_shape(case, dict, "事实文件的 _case ", "the facts file's _case")
    check_fields(case, {"program": str, "region": str | int, "date": str | int}, "事实文件的 _case", "the facts file's _case")
    program = program or case.get("program")
    region = region or (str(case["region"]) if case.get("region") else None)
    from_case = on is None and case.get("date") is not None
    on = on or case.get("date")
    if not (program and region and on):
        fail("请给出 --program、--region 和 --date / give --program, --region and --date")
    day = parse_date(on, *(("事实文件的审核日期 _case.date", "_case.date in the facts file") if from_case else ("审核日期 --date", "--date")))
    check_program(str(program))
    settings = _pairs(setting, "地区设置")
    if workday_overrides is not None:
        from wengang.workdays import SETTING, calendar_for

        try:
            calendar_for(workday_overrides)  # a bad file is an input error now, not a line in the letter
        except ValueError as exc:
            fail(str(exc))
        settings[SETTING] = str(workday_overrides)
    try:
        fixed = interpretations.parse_fixed(reading)
        with policies_for_run(policy_path):
            decision = evaluate(
                program, region, day, facts, readings=fixed, settings=settings, include_drafts=drafts,
                region_data=tuple(str(p) for p in region_data or ()), header_map=hmap,
            )
    except InvalidFacts as exc:
        # a row of a table: the file and the row, as every other reader names a record (outside audit F7, session 37)
        where = (f"（事实文件 {facts_file} 第 {row} 行数据）", f" (facts file {facts_file}, data row {row})") if (
            from_table and row is not None
        ) else ("", "")
        fail(f"输入有误{where[0]} / invalid input{where[1]}\n" + exc.text())
    except IndexError:
        raise  # a bug, not a bad input: the last-resort handler reports it
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    elif explain_:
        typer.echo(explain(decision))
    else:
        _print_decision(decision)
    raise typer.Exit(_exit_code(decision.status))


def _print_decision(d: Any) -> None:
    from rich.markup import escape

    from wengang.money import format_yuan
    from wengang.rules import interpretations
    from wengang.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE, STATUS_ZH

    color = {ELIGIBLE: "green", INELIGIBLE: "red", NEEDS_DECISION: "yellow", NOT_DETERMINABLE: "magenta"}[d.status]
    amount = ""
    if d.amount_fen is not None:
        amount = f"  {'不超过' if d.amount_is_cap else ''}{format_yuan(d.amount_fen)}"
    console.print(f"[bold]{d.program_label}[/]  {d.subject_name} {d.subject_id}  {d.region_name}  {d.on}")
    console.print(f"结论：[bold {color}]{d.status_zh}[/]{amount}", highlight=False)
    if d.policy_number:
        via = f"（经{'、'.join(d.policy_via)}转发）" if d.policy_via else ""
        console.print(f"依据：{d.policy_citation}{via}", highlight=False)
    if d.period_basis:  # the reading it rests on by its description, then the switch's name (evaluate.period_date)
        console.print(f"[dim]政策期间：{escape(d.period_basis)}[/]", highlight=False)
    from wengang.explain import open_switches

    left_open = set(open_switches(d))
    for c in d.checks:
        # as the letter marks them (explain.explain): a check not applicable is no ✔, one that holds only under a
        # reading left open is ？ (audit of explanations, session 40)
        if not c.applicable:
            mark = "[dim]—[/]"
        elif left_open & set(c.switches):
            mark = "[yellow]？[/]"
        else:
            mark = {True: "[green]✔[/]", False: "[red]✘[/]", None: "[yellow]？[/]"}[c.passed]
        cite = f"  [dim]〔{'；'.join(c.citations)}〕[/]" if c.citations else ""
        console.print(f"  {mark} {c.label}  [dim]{c.detail}[/]{cite}", highlight=False)
    for r in d.reasons:
        console.print(f"  [red]理由：[/]{r}", highlight=False)
    for f in d.flags:
        console.print(f"  [yellow]核查：[/]{f}", highlight=False)
    for n in d.notes:
        console.print(f"  [cyan]说明：[/]{n}", highlight=False)
    for o in d.outcomes:
        # each reading by its Chinese description; the switch's name in brackets is what --reading takes
        tag = "，".join(
            f"{interpretations.get(k).title}按“{interpretations.get(k).describe(v)}”（{k}）" for k, v in o.readings.items()
        )
        am = f"，{format_yuan(o.amount_fen)}" if o.amount_fen is not None else ""
        console.print(f"  [yellow]若[/]{escape(tag)}：{STATUS_ZH.get(o.status, o.status)}{am}", highlight=False)


def _region_and_descendants(region: str) -> set[str]:
    from wengang.regions import with_descendants

    return with_descendants(region)


@app.command("screen")
def screen_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")],
    on: Annotated[str, typer.Option("--date", "-d", help="审核日期，如 2025-08-01、2025/8/1、2025年8月1日 / evaluation date")],
    program: Annotated[str, typer.Option("--program", "-p", help="项目 / program")] = "fanhuan",
    year: Annotated[int | None, typer.Option("--year", min=YEAR_MIN, max=YEAR_MAX, help="政策年度（默认为审核日期所在年度；按上年度数据判定）/ policy year")] = None,
    units: Annotated[str | None, typer.Option("--units", help="参保单位登记表（parquet/csv/xlsx 或数据库 URL）/ unit registry")] = None,
    contributions: Annotated[str | None, typer.Option("--contributions", help="月度缴费记录 / monthly contributions")] = None,
    headcount: Annotated[str | None, typer.Option("--headcount", help="年度人数与裁员记录 / yearly headcount and layoffs")] = None,
    exclusions: Annotated[str | None, typer.Option("--exclusions", help="失信、僵尸、环保、注销、吊销、经营异常名单 / exclusion lists")] = None,
    stats_size: Annotated[str | None, typer.Option("--stats-size", help="统计部门企业划型名单 / size classes from the statistics bureau")] = None,
    deferrals: Annotated[str | None, typer.Option("--deferrals", help="缓缴记录 / contribution deferrals")] = None,
    dispatch: Annotated[str | None, typer.Option("--dispatch", help="劳务派遣用工单位分配 / dispatch allocations")] = None,
    facts: Annotated[str | None, typer.Option("--facts", help="已派生的单位事实表（每单位一行），代替原始数据 / derived facts instead of raw tables")] = None,
    persons: Annotated[str | None, typer.Option("--persons", help="人员信息表（人员项目：skill_subsidy、ui_benefit）/ persons")] = None,
    certificates: Annotated[str | None, typer.Option("--certificates", help="职业资格/技能等级证书（每张证书为一份技能提升补贴申请）/ certificates")] = None,
    subsidies: Annotated[str | None, typer.Option("--subsidies", help="已享受的技能提升补贴与职业培训补贴 / subsidies already received")] = None,
    held_certificates: Annotated[str | None, typer.Option("--held-certificates", help="持有的其他证书（不申领）/ other certificates held")] = None,
    ui_claims: Annotated[str | None, typer.Option("--ui-claims", help="失业保险金领取记录 / unemployment benefit claims")] = None,
    urgent_occupations: Annotated[str | None, typer.Option("--urgent-occupations", help="本地区急需紧缺职业（工种）编码，逗号分隔 / urgently needed occupation codes")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="CSV 编码：utf-8、gbk、gb18030（默认自动识别）/ CSV encoding (detected by default)")] = None,
    header_map: Annotated[
        Path | None, typer.Option("--header-map", help="表头映射文件（YAML 或 CSV：本地列名,标准字段），见 docs/data-dictionary.md / local header map")
    ] = None,
    sheet: Annotated[list[str] | None, typer.Option("--sheet", help="XLSX 表格读取的工作表：表名=工作表名，如 contributions=缴费明细（默认第一个工作表；可多次）/ the sheet of a workbook: TABLE=SHEET")] = None,
    header_row: Annotated[list[str] | None, typer.Option("--header-row", help="CSV/XLSX 表头所在行：表名=行号，如 contributions=3（默认第一个非空行，不是表头时在前10行中查找）/ the header's row: TABLE=ROW")] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="只接受该地区及其下级的记录 / accept only this region and below")] = None,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释：名称=取值 / fix a reading: name=value")] = None,
    setting: Annotated[list[str] | None, typer.Option("--setting", help="地区设置：名称=取值（金额带“元”或“分”，比例带“%”）/ region setting: name=value with its unit")] = None,
    region_data: Annotated[list[Path] | None, typer.Option("--region-data", help="地区数据文件（YAML，格式见 examples/region-data.yaml；可多次）/ region data file (repeatable)")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="允许使用征求意见稿 / allow draft documents")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="有任何不合格记录即整批拒收 / refuse the whole input on any bad row")] = False,
    no_excel: Annotated[bool, typer.Option("--no-excel", help="不写 Excel（超大数据量时）/ no Excel files")] = False,
    partitions: Annotated[int | None, typer.Option("--partitions", min=1, max=MAX_PARTITIONS, help="分区数（默认按数据量）/ partitions")] = None,
    memory_limit: Annotated[float | None, typer.Option("--memory-limit", min=0.5, max=4096, help="内存上限（GiB），据此确定分区大小 / memory limit in GiB: sets the partition size")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出汇总 / print the summary as JSON")] = False,
    policy_path: Annotated[list[Path] | None, typer.Option("--policy-path", help=POLICY_PATH_HELP)] = None,
    holds: Annotated[Path | None, typer.Option("--holds", help="与 --facts 同用：派生该事实表的原筛查结果（results.parquet），沿用其暂缓发放；事实表为某次筛查输出的 features.parquet 时默认用其旁的 results.parquet / with --facts: the results.parquet of the run that derived the facts, whose payment holds are kept")] = None,
    signing_key: Annotated[Path | None, typer.Option("--signing-key", envvar="WENGANG_SIGNING_KEY", help="台账签名私钥：以之签署运行记录 run.json；有签名密钥的台账只按已签名的运行记录不暂缓地导入 / the ledger's signing key: signs run.json")] = None,
) -> None:
    """免申即享筛查：读入原始数据（或事实表），校验隔离，派生特征，按政策判定，写出结果与公示名单。

    表格可为各经办机构的导出格式：中文表头（金额以元计，精确换算为分）、“中型”“是”等中文取值、
    “2024年1月”“2024/1/1”等日期写法；本地表头用 --header-map 对应到标准字段。见 docs/data-dictionary.md。

    Screen a whole region without applications: validate, quarantine, derive, decide, write results and the 公示 list.
    """
    from wengang.programs import load

    # a facts table is decided as given and every raw table beside it would be ignored without a word (audit D3):
    # one input or the other, said so before anything is read
    raw = {
        "--units": units, "--contributions": contributions, "--headcount": headcount, "--exclusions": exclusions,
        "--stats-size": stats_size, "--deferrals": deferrals, "--dispatch": dispatch, "--persons": persons,
        "--certificates": certificates, "--subsidies": subsidies, "--held-certificates": held_certificates,
        "--ui-claims": ui_claims,
    }
    if facts and any(raw.values()):
        both = " ".join(k for k, v in raw.items() if v)
        fail(
            f"--facts 事实表不能与原始数据表（{both}）同时给出：给出事实表时按事实表判定，原始数据表不会被读取。"
            "请只给 --facts（按经办机构已派生的事实判定），或去掉 --facts 由原始数据表派生 / "
            f"--facts cannot be given with raw tables ({both}): a facts table is decided as given and the raw tables "
            "would not be read. Give only --facts (the agency's derived facts), or drop --facts to derive them from the raw tables"
        )
    if holds is not None and not facts:
        fail("--holds 只与 --facts 同用 / --holds goes with --facts")
    if holds is None and facts and Path(facts).name == "features.parquet" and (Path(facts).parent / "results.parquet").is_file():
        # a run's own facts screened again: its holds (from its quarantine) are not the rules' to give again; a facts
        # run had written every one of them payment_hold=false (README audit, session 40)
        holds = Path(facts).parent / "results.parquet"
    day = parse_date(on, "审核日期 --date", "--date")
    if year is not None and year != day.year:
        # the rules are the document in force on --date, whose 上年度 is the year before --date's; features of another
        # year's data would be decided under it without a word, and the ledger years the run by --date (story audit)
        fail(f"政策年度 --year {year} 与审核日期 {day.isoformat()} 所在年度不同：按审核日期适用的文件判定，其“上年度”为 "
             f"{day.year - 1} 年；请给出 {year} 年内的审核日期，或去掉 --year / --year {year} differs from the year of "
             f"--date {day.isoformat()}: give a date in {year}, or leave --year out")
    check_program(program)
    if signing_key is not None:  # an unreadable key refused before the run, not after it
        from wengang.screening.manifest import load_signing_key

        try:
            load_signing_key(signing_key)
        except ValueError as exc:
            fail(str(exc))
    load(program)  # registers the program's rulesets and interpretation switches (only this program's)
    with policies_for_run(policy_path):
        _screen(
            out, day, program, year, units, contributions, headcount, exclusions, stats_size, deferrals, dispatch, facts,
            persons, certificates, subsidies, held_certificates, ui_claims, urgent_occupations, encoding, header_map,
            region, reading, setting, region_data, drafts, strict, no_excel, partitions, memory_limit, as_json,
            sheet, header_row, signing_key=signing_key, holds=holds,
        )


def _screen(
    out: Path, day: date, program: str, year: int | None, units: str | None, contributions: str | None,
    headcount: str | None, exclusions: str | None, stats_size: str | None, deferrals: str | None,
    dispatch: str | None, facts: str | None, persons: str | None, certificates: str | None, subsidies: str | None,
    held_certificates: str | None, ui_claims: str | None, urgent_occupations: str | None, encoding: str | None,
    header_map: Path | None, region: str | None, reading: list[str] | None, setting: list[str] | None,
    region_data: list[Path] | None, drafts: bool, strict: bool, no_excel: bool, partitions: int | None,
    memory_limit: float | None, as_json: bool, sheet: list[str] | None = None, header_row: list[str] | None = None,
    signing_key: Path | None = None, holds: Path | None = None,
) -> None:
    from wengang.evaluate import parse_settings
    from wengang.rules import interpretations
    from wengang.screening.ingest import IngestError
    from wengang.screening.pipeline import StrictRefusal, TableSource, run_screening

    hmap = None
    if header_map is not None:
        from wengang.ingest.headers import load_header_map

        try:
            hmap = load_header_map(header_map)
        except IngestError as exc:
            fail(str(exc))
    from wengang.screening.people import PERSON_PROGRAMS

    people = {
        "persons": persons, "certificates": certificates, "subsidies": subsidies,
        "held_certificates": held_certificates, "ui_claims": ui_claims,
    }
    every = {
        "units": units, "contributions": contributions, "headcount": headcount, "exclusions": exclusions,
        "stats_size": stats_size, "deferrals": deferrals, "dispatch": dispatch, "facts": facts, **people,
    }
    layout = _table_layout(sheet, header_row, {k: v for k, v in every.items() if v})
    if program in PERSON_PROGRAMS and facts:  # their facts are derived from the people tables, as one run
        fail(f"技能提升补贴、失业保险金（{'、'.join(PERSON_PROGRAMS)}）按人员数据表筛查（--persons、--certificates、--ui-claims 等），不接受 --facts 事实表；"
             f"一个案件的事实可用 wengang evaluate 判定 / {', '.join(PERSON_PROGRAMS)} are screened from the people tables "
             "(--persons, --certificates, --ui-claims …), not from --facts; one case's facts: wengang evaluate")
    if program in PERSON_PROGRAMS:
        _screen_people(
            out, day, program, {k: v for k, v in people.items() if v}, encoding=encoding, header_map=hmap, region=region,
            layout=layout,
            reading=reading, setting=setting, drafts=drafts, strict=strict, excel=not no_excel, as_json=as_json,
            region_data=tuple(str(p) for p in region_data or ()),
            urgent=[c.strip() for c in urgent_occupations.split(",") if c.strip()] if urgent_occupations else None,
            signing_key=signing_key,
        )
        return
    if any(people.values()):
        fail(f"--persons 等人员数据表只用于 {'、'.join(PERSON_PROGRAMS)} / people tables are for {', '.join(PERSON_PROGRAMS)}")
    given = {
        "units": units, "contributions": contributions, "headcount": headcount, "exclusions": exclusions,
        "stats_size": stats_size, "deferrals": deferrals, "dispatch": dispatch,
    }
    tables = {k: TableSource(v, encoding=encoding, header_map=hmap, **layout.get(k, {})) for k, v in given.items() if v}
    if not facts and not tables:
        fail("请给出 --units 与 --contributions 等原始数据，或 --facts 事实表 / give raw tables or --facts")
    inputs = [*(v for v in given.values() if v), *([facts] if facts else [])]
    try:
        fixed = interpretations.parse_fixed(reading)
        allowed = _region_and_descendants(region) if region else None
        with _screening_out(out, inputs) as stage:
            report = run_screening(
                stage, program=program, evaluation_date=day, policy_year=year, tables=tables or None,
                facts=TableSource(facts, encoding=encoding, header_map=hmap, **layout.get("facts", {})) if facts else None,
                readings=fixed,
                settings=parse_settings(_pairs(setting, "地区设置")), include_drafts=drafts, allowed_regions=allowed,
                partitions=partitions, strict=strict, excel=not no_excel, progress=not as_json,
                region_data=tuple(str(p) for p in region_data or ()), memory_limit_gib=memory_limit,
                signing_key=signing_key, holds_from=holds,
            )
    except (IngestError, StrictRefusal) as exc:
        fail(str(exc))
    except IndexError:
        raise  # a bug, not a bad input: the last-resort handler reports it
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    _report_screening(_moved(report, stage, out), as_json)


def _table_layout(sheet: list[str] | None, header_row: list[str] | None, given: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``--sheet TABLE=SHEET`` and ``--header-row TABLE=ROW`` as each table's TableSource arguments. TABLE is a table
    given on the command line, named as its option (``stats-size``, ``--stats-size``) or its table (``stats_size``)."""
    from wengang.ingest.files import is_parquet

    out: dict[str, dict[str, Any]] = {}

    def table(name: str, option: str) -> str:
        key = name.strip().lstrip("-").replace("-", "_")
        if key not in given:
            names = "、".join(k.replace("_", "-") for k in given)
            fail(f"{option} 中的表名“{name}”不是本次给出的数据表（{names}） / {option}: {name!r} is not a table given ({names})")
        return key

    for k, v in _pairs(sheet, "--sheet").items():
        key = table(k, "--sheet")
        if Path(given[key]).suffix.lower() not in (".xlsx", ".xlsm"):
            fail(f"--sheet 只用于 Excel 表格（.xlsx）：{given[key]} / --sheet is for .xlsx files only: {given[key]}")
        out.setdefault(key, {})["sheet"] = v
    for k, v in _pairs(header_row, "--header-row").items():
        key = table(k, "--header-row")
        if "://" in given[key] or is_parquet(given[key]):
            fail(f"--header-row 只用于 CSV 与 Excel 表格：{given[key]} / --header-row is for CSV and .xlsx files only")
        if not v.isdigit() or int(v) < 1:
            fail(f"--header-row 的行号应为正整数：{k}={v} / --header-row needs a row number: {k}={v}")
        out.setdefault(key, {})["header_row"] = int(v)
    return out


# what `wengang screen` writes into --out: a rerun replaces them all (the ones it does not write are removed)
SCREEN_OUTPUTS = (
    "results.parquet", "features.parquet", "facts.parquet", "quarantine.parquet", "already_paid.parquet",
    "results.xlsx", "publicity.xlsx", "quarantine.xlsx", "run.json",
)


@contextlib.contextmanager
def _screening_out(out: Path, inputs: list[str]) -> Iterator[Path]:
    """The run writes into a staging folder beside --out, moved in only when it succeeded (wengang.atomic);
    a data file Polars cannot read is refused naming the inputs (Polars' message rarely names the file)."""
    import polars as pl

    from wengang.atomic import atomic_dir

    try:
        with atomic_dir(out, SCREEN_OUTPUTS, "输出目录 --out", "output folder --out") as stage:
            yield stage
    except pl.exceptions.PolarsError as exc:
        from wengang.ingest.files import explain_csv_error

        # a CSV file is read again, with Python's csv module, only now: which file, which line, what is wrong
        found = [e for e in map(explain_csv_error, dict.fromkeys(inputs)) if e is not None]
        if found:
            fail("；".join(e.message_zh for e in found) + " / " + "; ".join(e.message_en for e in found))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"输入数据无法读取或格式不符（{first}）；请检查输入文件：{'、'.join(inputs)} / "
             f"the input data cannot be read ({type(exc).__name__}: {first}); check: {', '.join(inputs)}")


def _moved(report: Any, stage: Path, out: Path) -> Any:
    """The report as if written straight into --out (paths shown to the operator)."""
    report.out_dir = out
    report.summary.files = {k: str(out / Path(v).relative_to(stage)) if Path(v).is_relative_to(stage) else v
                            for k, v in report.summary.files.items()}
    return report


def _screen_people(
    out: Path, day: date, program: str, given: dict[str, str], *, encoding: str | None, region: str | None,
    header_map: Any = None,
    reading: list[str] | None, setting: list[str] | None, drafts: bool, strict: bool, excel: bool, as_json: bool,
    urgent: list[str] | None, region_data: tuple[str, ...] = (), layout: dict[str, dict[str, Any]] | None = None,
    signing_key: Path | None = None,
) -> None:
    """技能提升补贴 applications (certificates) or 失业保险金 claims in bulk: ``screening.people``."""
    from wengang.evaluate import parse_settings
    from wengang.rules import interpretations
    from wengang.screening.ingest import IngestError
    from wengang.screening.people import run_people_screening
    from wengang.screening.pipeline import StrictRefusal, TableSource

    try:
        fixed = interpretations.parse_fixed(reading)
        allowed = _region_and_descendants(region) if region else None
        with _screening_out(out, list(given.values())) as stage:
            report = run_people_screening(
                stage, program=program, evaluation_date=day,
                tables={k: TableSource(v, encoding=encoding, header_map=header_map, **(layout or {}).get(k, {}))
                        for k, v in given.items()},
                readings=fixed,
                settings=parse_settings(_pairs(setting, "地区设置")), include_drafts=drafts, allowed_regions=allowed,
                strict=strict, excel=excel, urgent_occupations=urgent, region_data=region_data, progress=not as_json,
                signing_key=signing_key,
            )
    except (IngestError, StrictRefusal) as exc:
        fail(str(exc))
    except IndexError:
        raise  # a bug, not a bad input: the last-resort handler reports it
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    _report_screening(_moved(report, stage, out), as_json)


def _report_screening(report: Any, as_json: bool) -> None:
    from rich.markup import escape

    from wengang.screening.manifest import policy_basis
    from wengang.screening.output import print_summary

    # a run on an uninstalled file (--policy-path) or a draft: said where its results are read, as evaluate says it
    _, basis_note = policy_basis(report.policies)
    if as_json:
        payload = {
            "program": report.program,
            "date": report.evaluation_date.isoformat(),
            "policies": report.policies,
            "input": [
                {"table": r.table, "source": r.source_file, "in": r.rows_in, "accepted": r.accepted, "quarantined": r.quarantined}
                | ({"notes": r.notes} if r.notes else {})
                for r in report.reports
            ],
            "summary": report.summary.to_dict(),
            "seconds": report.seconds,
        }
        if basis_note:
            payload["policy_note"] = basis_note
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]依据：[/]{'、'.join(report.policies) or '（无有效政策）'}", highlight=False)
    if basis_note:
        console.print(f"[bold yellow]⚠ {escape(basis_note)}[/]", highlight=False)
    for r in report.reports:
        ok = "[green]✔[/]" if r.reconciles else "[red]✘ 不平[/]"
        console.print(
            f"{ok} {r.table}：读入 {r.rows_in:,} = 接受 {r.accepted:,} + 隔离 {r.quarantined:,}  [dim]{r.source_file}[/]",
            highlight=False,
        )
        if r.rows_in and not r.accepted:  # every row quarantined: nothing of this table reached a decision
            console.print(
                f"    [yellow]⚠ {r.table} 的 {r.rows_in:,} 行全部有误被隔离，没有一行用于判定：原因见隔离记录（quarantine）[/] / "
                f"every row of {r.table} was quarantined; none was used (see the quarantine)",
                highlight=False,
            )
        for note in r.notes:
            from rich.markup import escape

            console.print(f"    [yellow]说明：[/]{escape(note)}", highlight=False)
    print_summary(report.summary, "筛查结果")
    if basis_note:  # again under the totals, where a reader of the run looks for the amounts
        console.print(f"[bold yellow]⚠ {escape(basis_note)}[/]", highlight=False)
    console.print("[dim]用时：" + "，".join(f"{k} {v:.1f}秒" for k, v in report.seconds.items()) + "[/]", highlight=False)


@app.command("simulate")
def simulate_cmd(
    population: Annotated[Path, typer.Argument(help="人群：features.parquet、筛查结果目录，或筛查输入目录（units、contributions…）/ population")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="输出目录：simulation.xlsx、simulation.html、simulation.json / output folder")] = None,
    program: Annotated[str, typer.Option("--program", "-p", help="项目 / program")] = "fanhuan",
    on: Annotated[str | None, typer.Option("--date", "-d", help="基线审核日期（默认取人群数据的审核日期）/ baseline evaluation date")] = None,
    variant_date: Annotated[str | None, typer.Option("--variant-date", help="方案审核日期（默认同基线）/ the variant's evaluation date")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="方案改变的参数：名称=取值（带单位，同 --setting），如 refund_rate_sme=70% / a parameter the variant changes")] = None,
    policy_path: Annotated[list[Path] | None, typer.Option("--policy-path", help="方案使用的政策文件（未安装的草稿；可多次）/ policy file for the variant")] = None,
    baseline_policy_path: Annotated[list[Path] | None, typer.Option("--baseline-policy-path", help="基线使用的政策文件（可多次）/ policy file for the baseline")] = None,
    setting: Annotated[list[str] | None, typer.Option("--setting", help="两次测算共用的地区设置：名称=取值 / region setting for both runs")] = None,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释（两次测算共用）：名称=取值 / fix a reading for both runs")] = None,
    fund: Annotated[Path | None, typer.Option("--fund", help="基金数据（YAML：region、year、balance、spending，金额带单位）/ fund input")] = None,
    region_data: Annotated[list[Path] | None, typer.Option("--region-data", help="地区数据文件（可多次）/ region data file")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="允许使用征求意见稿 / allow draft documents")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """政策模拟测算：同一人群按基线与方案各判定一次并逐单位对比——总成本、金额增减与结论改变的单位（按划型、地区）、
    基金备付期限，以及金额分布图（HTML）和测算表（XLSX）。

    Simulate a change (parameters with --set, or a policy file with --policy-path) on a population against the baseline.
    """
    from wengang.money import format_yuan
    from wengang.policies.errors import PolicyError
    from wengang.programs import load_all
    from wengang.rules import interpretations
    from wengang.settings import SettingError, parse_settings
    from wengang.simulate import FundInput, Scenario, SimulationError, simulate

    load_all()

    check_program(program)
    day = parse_date(on, "基线审核日期 --date", "--date") if on else None
    vday = parse_date(variant_date, "方案审核日期 --variant-date", "--variant-date") if variant_date else None
    if not set_ and not policy_path and vday is None and not baseline_policy_path:
        fail("请用 --set、--policy-path 或 --variant-date 给出方案 / give the variant: --set, --policy-path or --variant-date")
    try:
        fixed = interpretations.parse_fixed(reading)
        common = parse_settings(_pairs(setting, "地区设置"))
        changed = parse_settings(_pairs(set_, "方案参数 --set"))
        fund_in = FundInput.read(fund) if fund is not None else None
        base = Scenario("现行政策", day, common, tuple(str(p) for p in baseline_policy_path or ()), fixed, drafts)
        variant = Scenario("方案", vday or day, common | changed, tuple(str(p) for p in policy_path or ()), fixed, drafts)
        result = simulate(population, program=program, baseline=base, variant=variant, fund=fund_in, on=day,
                          region_data=tuple(str(p) for p in region_data or ()))
    except PolicyError as exc:
        for e in exc.all_errors:
            typer.echo(f"错误 / error: {e}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except (SimulationError, SettingError) as exc:
        fail(str(exc))
    except IndexError:
        raise
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    files: dict[str, str] = {}
    if out is not None:
        from wengang.reports.simulation import write_simulation

        files = write_simulation(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_dict() | {"files": files}, ensure_ascii=False, indent=2))
        return
    from wengang.reports.simulation import summary_lines

    for k, v in summary_lines(result):
        console.print(f"[bold]{k}：[/]{v}", highlight=False)
    for g in result.by_size:
        console.print(f"  {g.label}：{g.units:,} 个，{format_yuan(g.base_fen)} → {format_yuan(g.variant_fen)}，"
                      f"增加 {g.gained:,}，减少 {g.lost:,}，结论改变 {g.status_changed:,}", highlight=False)
    if result.reserve is not None:
        for row in result.reserve.rows():
            mark = {True: "满足", False: "不满足", None: "无法计算"}
            console.print(f"  备付期限前提：{row['program']} {row['required']}（{row['citation']}）：现状{mark[row['before']]}，"
                          f"方案实施后{mark[row['after']]}", highlight=False)
    for n in result.notes:
        console.print(f"[dim]{n}[/]", highlight=False)
    for k, v in files.items():
        console.print(f"[dim]{k}：{v}[/]", highlight=False)


@app.command("demo-data")
def demo_data_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")],
    region: Annotated[str, typer.Option("--region", "-r", help="地区代码 / region code")] = "150500",
    units: Annotated[int, typer.Option("--units", "-n", min=1, max=MAX_DEMO_UNITS, help="单位数 / number of units")] = 50_000,
    year: Annotated[int, typer.Option("--year", min=YEAR_MIN, max=YEAR_MAX, help="政策年度（生成上年度12个月的缴费记录）/ policy year")] = 2025,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子生成相同数据）/ random seed")] = 0,
) -> None:
    """生成一个确定性的模拟地区（单位、月度缴费、名单、人员与证书），用于演示与性能测试。

    Generate a deterministic synthetic region (units, monthly contributions, lists, persons, certificates).
    """
    from wengang.atomic import atomic_dir
    from wengang.progress import step
    from wengang.regions import resolve_region
    from wengang.screening.demo_data import generate_region

    try:
        code = resolve_region(region).key
    except LookupError as exc:
        fail(str(exc))
    with atomic_dir(out, (), "输出目录 --out", "output folder --out") as stage, \
            step("生成模拟数据", total=units, unit="个单位") as s:
        paths = generate_region(stage, region_code=code, n_units=units, year=year, seed=seed, progress=s)
    for name, path in paths.items():
        console.print(f"{name}: {out / Path(path).relative_to(stage)}", highlight=False)


from wengang.screening.demo_readings import DEMO_READINGS  # noqa: E402 - light: one dict, used by demo and its story

demo_app = typer.Typer(help="演示：主任务（稳岗返还免申即享筛查）与经办全流程 / the main job and the whole casework story",
                       invoke_without_command=True)


@demo_app.callback()
def demo_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")] = Path("out/demo"),
    units: Annotated[int, typer.Option("--units", "-n", min=1, max=MAX_DEMO_UNITS, help="单位数 / number of units")] = 50_000,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释：名称=取值（可多次；覆盖演示地区的认定）/ fix a reading (repeatable)")] = None,
    open_readings: Annotated[bool, typer.Option("--open-readings", help="不采用演示地区的认定，所有解释开关保持未认定 / leave every reading open")] = False,
) -> None:
    """主任务演示：生成通辽市模拟数据，按内人社发〔2025〕18号免申即享筛查稳岗返还，写出结果与公示名单。

    The main job: a synthetic 通辽 region screened for 稳岗返还 under 内人社发〔2025〕18号.

    经办机构每年对文件未写明之处作一次认定（解释开关）；演示地区的认定见 DEMO_READINGS，用 --reading 覆盖，
    --open-readings 则全部不认定（取决于解释的单位为“待认定”）。
    """
    if ctx.invoked_subcommand is not None:
        return
    from wengang.atomic import atomic_dir
    from wengang.programs import load_all
    from wengang.progress import step
    from wengang.rules import interpretations
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.pipeline import run_screening

    load_all()  # registers the switches

    try:
        fixed = {} if open_readings else dict(DEMO_READINGS)
        fixed.update(interpretations.parse_fixed(reading))
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))  # a KeyError's str() would add quotes
    for name, key in fixed.items():
        console.print(f"已认定：{interpretations.get(name).title} → {interpretations.get(name).describe(key)}", highlight=False)

    data = out / "data"
    console.print(f"[bold]1/2 生成通辽市（150500）模拟数据：{units:,} 个参保单位[/]", highlight=False)
    with atomic_dir(data, (), "输出目录 --out", "output folder --out") as stage, \
            step("生成模拟数据", total=units, unit="个单位") as s:
        generated = generate_region(stage, region_code="150500", n_units=units, year=2025, seed=0, progress=s)
    paths = {k: data / Path(p).relative_to(stage) for k, p in generated.items()}
    console.print("[bold]2/2 免申即享筛查：稳岗返还，审核日期 2025-08-01[/]", highlight=False)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")}
    with _screening_out(out / "results", [str(data)]) as stage:
        report = run_screening(
            stage, program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
            tables=tables, allowed_regions=allowed_regions_for("150500", 2025) | {"150500"}, progress=True,
            readings=fixed,
        )
    _report_screening(_moved(report, stage, out / "results"), as_json=False)


@demo_app.command("story")
def demo_story_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录（留下全部文件）/ output folder")] = Path("out/story"),
    units: Annotated[int, typer.Option("--units", "-n", help="单位数 / number of units")] = 2000,
    db: Annotated[str | None, typer.Option("--db", help="台账数据库 URL（默认 DIR/ledger.db）/ ledger database URL")] = None,
) -> None:
    """经办全流程演示：筛查 → 入库 → 告知 → 初审/复审 → 公示 → 账户复核 → 发放与报盘 → 回盘退回 → 重发 → 决定书 →
    多退少补 → 对账与审计，全部文件留在 DIR。

    The caseworker's whole story on the demo region; every artefact stays in DIR (see story.json)."""
    from wengang.casework.errors import LedgerError
    from wengang.documents.errors import DocumentError
    from wengang.money import format_yuan
    from wengang.story import run_story

    if units < 50:
        fail("--units 至少 50（全流程需要足够的单位）/ --units must be at least 50")
    try:
        rep = run_story(out, db_url=db, units=units, say=lambda t: console.print(f"[bold]{t}[/]", highlight=False))
    except (LedgerError, DocumentError) as exc:
        fail(str(exc))
    b = rep.balances
    console.print(f"筛查 {sum(rep.screened.values()):,} 个单位；入库 {rep.imported:,}；认定政策理解 {rep.adopted:,}；"
                  f"复审通过 {rep.approved:,}；公示 {rep.publicized:,}",
                  highlight=False)
    for f in rep.bank_files:
        console.print(f"报盘 {f['file']}：{f['count']:,} 笔，合计 {format_yuan(f['total_fen'])}", highlight=False)
    console.print(f"回盘退回 {rep.bounced} 笔，更正账户后重发 {rep.repaid} 笔；决定书 {rep.letters:,} 份；"
                  f"多退少补：补发 {format_yuan(rep.resize['supplement_fen'])}，追回 {format_yuan(rep.resize['recovered_fen'])}",
                  highlight=False)
    console.print(f"已发 {format_yuan(b['paid_fen'])} − 退回 {format_yuan(b['returned_fen'])} − 追回 {format_yuan(b['recovered_fen'])}"
                  f" = 净额 {format_yuan(b['net_fen'])}", highlight=False)
    ok = rep.reconciled and rep.audit_ok
    console.print(("[green]✔ 对账到分、审计链与签名检查点校验通过[/]" if ok else "[red]✘ 对账或审计校验未通过[/]")
                  + f"；全部文件见 {out}（story.json） / {'reconciled and verified' if ok else 'FAILED'}", highlight=False)
    raise typer.Exit(0 if ok else 1)


@app.command("interpretations")
def interpretations_cmd(
    markdown: Annotated[bool, typer.Option("--markdown", help="输出 docs/interpretations.md 的内容 / print as Markdown")] = False,
) -> None:
    """列出所有政策解释开关（条款、两种理解、默认值与理由）/ list the interpretation switches."""
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()

    if markdown:
        typer.echo(interpretations.markdown())
        return
    for s in sorted(interpretations.REGISTRY.values(), key=lambda s: s.name):
        console.print(f"[bold]{s.name}[/]  {s.title}  [dim]默认：{s.default}[/]", highlight=False)
        for k, v in s.readings.items():
            console.print(f"    {k}: {v}", highlight=False)


@app.command("data-dictionary")
def data_dictionary_cmd() -> None:
    """输出数据字典（docs/data-dictionary.md 的内容）/ print the data dictionary."""
    from wengang.dictionary import markdown

    typer.echo(markdown(), nl=False)


@app.command("programs")
def programs_cmd() -> None:
    """列出已实现的项目与规则集 / list the programs and rulesets."""
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()

    for (program, name), rs in sorted(RULESETS.items()):
        console.print(f"{program:26} {name:14} {rs.label}", highlight=False)


workdays_app = typer.Typer(help="工作日：法定节假日、调休与办结期限（chinese-calendar + 工作日覆盖文件）/ working days and deadlines.", no_args_is_help=True)
_OVERRIDES_OPT = typer.Option("--overrides", help="工作日覆盖文件（YAML/CSV）；缺省读环境变量 WENGANG_WORKDAY_OVERRIDES / overrides file")


def _calendar(path: Path | None) -> Any:
    from wengang.workdays import calendar_for

    try:
        return calendar_for(path)
    except ValueError as exc:
        fail(str(exc))


def _day(text: str) -> date:
    return parse_date(text)


@workdays_app.command("check")
def workdays_check_cmd(file: Annotated[Path, typer.Argument(help="工作日覆盖文件（YAML/CSV）/ overrides file")]) -> None:
    """检查工作日覆盖文件并列出其内容 / check a working-day overrides file."""
    from wengang.workdays import summary

    for line in summary(_calendar(file)):
        typer.echo(line)


@workdays_app.command("due")
def workdays_due_cmd(
    received: Annotated[str, typer.Argument(help="收到申请之日 YYYY-MM-DD / date received")],
    days: Annotated[int, typer.Argument(min=0, max=MAX_WORKING_DAYS, help="工作日数，如 10 / working days")],
    overrides: Annotated[Path | None, _OVERRIDES_OPT] = None,
    count_receipt_day: Annotated[bool, typer.Option("--count-receipt-day", help="收到当日为工作日的计为第1个工作日 / count the day received")] = False,
) -> None:
    """“X个工作日内”的届满日（默认收到当日不计）/ the last day of “within X working days”."""
    cal = _calendar(overrides)
    try:
        due = cal.add_working_days(_day(received), days, count_start=count_receipt_day)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"办结期限：{due.isoformat()}（{days}个工作日）")


@workdays_app.command("between")
def workdays_between_cmd(
    start: Annotated[str, typer.Argument(help="起日 YYYY-MM-DD（不计入）/ start (not counted)")],
    end: Annotated[str, typer.Argument(help="止日 YYYY-MM-DD（计入）/ end (counted)")],
    overrides: Annotated[Path | None, _OVERRIDES_OPT] = None,
) -> None:
    """两日之间的工作日数（起日不计，止日计入）/ working days between two dates."""
    cal = _calendar(overrides)
    try:
        typer.echo(str(cal.working_days_between(_day(start), _day(end))))
    except ValueError as exc:
        fail(str(exc))


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="监听地址 / address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口 / port")] = 8000,
    database_url: Annotated[str | None, typer.Option("--database-url", help="台账数据库 URL；缺省时建立演示台账 / ledger URL (default: a demo ledger)")] = None,
    demo_dir: Annotated[Path, typer.Option("--demo-dir", help="演示台账与文件所在目录（每次启动重建）/ demo folder (rebuilt at each start)")] = Path("out/serve-demo"),
    units: Annotated[int, typer.Option("--units", "-n", min=50, max=100_000, help="演示地区的单位数 / demo units")] = 200,
    tls: Annotated[bool, typer.Option("--tls", help="经 HTTPS 访问（Cookie 加 Secure，发送 HSTS）/ served over HTTPS")] = False,
    forwarded_allow_ips: Annotated[str, typer.Option("--forwarded-allow-ips", help="可信反向代理地址（采信其 X-Forwarded-For/Proto）/ trusted proxies")] = "127.0.0.1",
    demo_only: Annotated[bool, typer.Option("--demo", help="即使设置了 WENGANG_DB 也建立演示台账 / build the demo even with WENGANG_DB set")] = False,
) -> None:
    """启动网页与 JSON 接口服务（uvicorn）。不给 --database-url 时建立演示台账并打印各角色的演示登录。

    Start the web service. Without --database-url a demo ledger is built and demo logins are printed.
    The secret key comes from the environment variable WENGANG_SECRET_KEY (the demo makes one if unset).
    """
    import shutil

    import uvicorn

    from wengang.web.app import create_app
    from wengang.web.config import SECRET_ENV, ConfigError, WebConfig, serve_ledger

    try:
        cfg = WebConfig.from_env(tls=tls)
        database_url, which = serve_ledger(database_url, demo=demo_only)  # --database-url, else WENGANG_DB, else demo
    except ConfigError as exc:  # e.g. WENGANG_DB and WENGANG_DATABASE_URL naming two ledgers
        fail(str(exc))
    console.print(f"[bold]{which}[/]", highlight=False)
    logins = []
    if database_url is None:
        made = cfg.ensure_secret()
        if made:
            console.print(f"[yellow]未设置 {SECRET_ENV}：演示已临时生成一个密钥（重启后会话失效）/ no {SECRET_ENV}: "
                          "a temporary key was generated for the demo[/]", highlight=False)
        if demo_dir.exists():
            if not (demo_dir / "story.json").is_file():
                fail(f"{demo_dir} 不是演示目录（无 story.json），不予覆盖；请换 --demo-dir / not a demo folder, not overwritten")
            shutil.rmtree(demo_dir)
        from wengang.casework.errors import LedgerError
        from wengang.documents.errors import DocumentError
        from wengang.web import demo

        cfg.database_url = f"sqlite:///{demo_dir / 'ledger.db'}"
        cfg.work_dir = str(demo_dir / "web")
        cfg.data_folders = {"演示地区-通辽": str(demo_dir / "data")}
        try:
            logins = demo.build(demo_dir, db_url=cfg.database_url, secret=cfg.secret_key, units=units,
                                say=lambda t: console.print(f"[dim]{t}[/]", highlight=False), over_env=demo_only)
            cfg.signing_key, cfg.checkpoints = demo.signing(demo_dir)  # the demo ledger is sealed with its key
        except (LedgerError, DocumentError) as exc:
            fail(str(exc))
    else:
        if not cfg.secret_key:
            fail(f"请设置环境变量 {SECRET_ENV}（至少 32 个随机字符）/ set {SECRET_ENV}")
        cfg.database_url = database_url
    web_app = create_app(cfg)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"[bold]稳岗服务：http{'s' if tls else ''}://{shown}:{port}/  （API 文档 /api/v1/docs，健康检查 /healthz）[/]",
                  highlight=False)
    for d in logins:
        console.print(f"  演示登录 {d.role_zh:<4} {d.login:<8} 密码 {d.password}  {d.display}", highlight=False)
    from wengang.runtime import freeze_loaded

    freeze_loaded()  # the service lives long: what it loaded is not walked by every collection
    from wengang.web.errors import access_log_config

    uvicorn.run(web_app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                log_level="info", log_config=access_log_config())


_mounted = False


def _mount_subcommands() -> None:
    """Sub-apps live beside the code they drive: policy files, the casework ledger, its audit chain."""
    global _mounted
    if _mounted:
        return
    _mounted = True
    from wengang.casework.cli import audit_app, case_app
    from wengang.casework.cli_users import user_app
    from wengang.policies.cli import policy_app

    app.add_typer(policy_app, name="policy")
    app.add_typer(case_app, name="case")
    app.add_typer(audit_app, name="audit")
    app.add_typer(user_app, name="user")
    app.add_typer(workdays_app, name="workdays")
    app.add_typer(demo_app, name="demo")
    app.add_typer(__import__("wengang.documents.cli", fromlist=["doc_app"]).doc_app, name="doc")
    app.add_typer(__import__("wengang.risk.cli", fromlist=["risk_app"]).risk_app, name="risk")
    app.add_typer(__import__("wengang.reports.cli", fromlist=["report_app"]).report_app, name="report")


_ROOT_COMMANDS = list(app.registered_commands)  # the root's own commands, in order (help lists them so)


def _mount_late(group: WengangGroup) -> bool:
    """Add the commands left out (below) to the root command ``group`` built without them, in the order an app
    built with them all has; False when they were there."""
    if _mounted and len(app.registered_commands) == len(_ROOT_COMMANDS):
        return False
    app.registered_commands = list(_ROOT_COMMANDS)
    _mount_subcommands()
    built = group.commands
    group.commands = {name: built.get(name, command) for name, command in typer.main.get_command(app).commands.items()}
    return True


def _command_name(command: Any) -> str:
    return command.name or typer.main.get_command_name(command.callback.__name__)


def _plain_command(argv: list[str]) -> bool:
    """``argv`` runs one of the root's own commands (``wengang screen …``), no sub-app."""
    return len(argv) > 1 and argv[1] in {_command_name(c) for c in app.registered_commands if c.callback}


# A root command (`wengang screen …`, the usual run) needs none of the sub-apps nor the root's other commands: their
# modules and their options (≈ 0.1 s of start-up) are left out; the root group adds them if it is asked for one after
# all (an app imported by a process whose own arguments look like a command, then run with others).
WengangGroup.late_commands = _mount_late
if _plain_command(sys.argv):
    app.registered_commands = [c for c in _ROOT_COMMANDS if c.callback and _command_name(c) == sys.argv[1]]
else:
    _mount_subcommands()


# Commands whose process ends without Python's teardown once they are done (wengang.runtime.end_now: ≈ 0.1 s of a 1 M
# screen). Only commands whose every output is a file closed before they return, holding no database connection
# and serving nothing; the ledger's commands, `serve`, `demo` (its story writes a ledger) and the rest end as usual
# (docs/decisions.md, "Fast exit").
FAST_EXIT_COMMANDS = frozenset({"screen", "demo-data"})


def main() -> None:
    """The ``wengang`` entry point: an unexpected error ends in one Chinese line and a log file, exit 1. Not for
    calling inside another program: a command of :data:`FAST_EXIT_COMMANDS` ends the process."""
    from wengang.cli_errors import run
    from wengang.runtime import end_now, watched

    if len(sys.argv) < 2 or sys.argv[1] not in FAST_EXIT_COMMANDS or watched():
        run(app)
        return
    try:
        run(app)
    except SystemExit as exc:  # Typer ends every command so, exit code 0 included
        end_now(exc.code)
    end_now(0)


if __name__ == "__main__":  # pragma: no cover
    main()
