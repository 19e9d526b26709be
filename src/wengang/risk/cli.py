"""``wengang risk ...``: screen tables or one case for risk flags, and the 稽核's review queue in the ledger.

Mounted by the main CLI as ``app.add_typer(risk_app, name="risk")``. Heavy libraries load inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from wengang.beijing import beijing_today
from wengang.casework.cli import DB, USER, YES, _interactive, _open, _reader, _run, console
from wengang.inputs import YEAR_MAX, YEAR_MIN, InputError, parse_date
from wengang.money import fen_to_yuan, format_yuan

if TYPE_CHECKING:
    import polars as pl

    from wengang.ingest.files import Frame

risk_app = typer.Typer(
    help="风险疑点核查：文件列明的核查项，批量筛查、单案核查与稽核复核 / risk checks", no_args_is_help=True
)


@risk_app.callback()
def _risk_group(ctx: typer.Context) -> None:
    """风险疑点核查 / risk checks."""
    from wengang.casework.cli_audit import _finish_all

    ctx.call_on_close(_finish_all)  # sign a checkpoint over what the command appended, as `case` commands do

TABLE_OPTIONS = {
    "persons": "人员信息表（参保地）/ persons",
    "certificates": "证书表 / certificates",
    "subsidies": "已发放的技能提升补贴与职业培训补贴 / subsidies paid",
    "ui_claims": "失业保险金领取记录 / unemployment benefit claims",
    "registry": "死亡、身份异常名单（id_number, kind=deceased|invalid_id, date）/ deaths and invalid IDs",
    "flexible_subsidies": "灵活就业人员社保补贴（id_number, region_code, start_month, months）/ flexible-employment subsidies",
    "dispatch_refunds": "劳务派遣单位返还（firm_id, region_code, year, dispatch_share_fen）/ dispatch firms' refunds",
    "dispatch_allocations": "用工单位分配（firm_id, year, user_unit_id, allocated_fen）/ allocations to user units",
}


def _fail(zh: str, en: str, code: int = 2) -> NoReturn:
    console.print(f"[red]✘ {zh}[/red]\n  {en}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _scan(name: str, path: str) -> Frame:
    """Parquet (a file or a folder of them) or CSV (UTF-8, GBK or GB18030), read by the shared reader
    (:func:`wengang.ingest.files.read_frame`): CSV values as text, the encoding detected, a file of two encodings
    refused; a row with more or fewer fields than the header is refused naming file and line when the table is
    read (:func:`_screen`). Columns are read into their types by the checks (``batch.read_table``)."""
    from wengang.ingest import IngestError
    from wengang.ingest.files import is_parquet, read_frame

    p = Path(path)
    if not p.exists():
        _fail(f"{name}：文件 {path} 不存在", f"{name}: file {path} does not exist")
    # a folder is read whole or refused by the shared rule (ingest.files.parquet_parts: .parquet, .pq and suffix-less
    # Parquet parts), not by a check of its own here (outside input audit, session 40: a folder of .pq parts refused)
    if not p.is_dir() and not is_parquet(p) and p.suffix.lower() != ".csv":
        _fail(f"{name}：只支持 Parquet 或 CSV（{path}）", f"{name}: Parquet or CSV only ({path})")
    if p.suffix.lower() == ".csv" and not p.is_dir():
        with open(p, "rb") as f:
            if not f.read(4096).strip():
                _fail(f"{name}：文件 {path} 是空的（没有表头）", f"{name}: file {path} is empty (no header line)")
    try:
        frame = read_frame(p)
    except IngestError as exc:
        _fail(f"{name}：{exc.message_zh}", f"{name}: {exc.message_en}")
    for zh, en in frame.row_errors.values():  # a CSV cut off in its last line (outside audit F7, session 38)
        # (the risk screen has no per-row hold: the table is not read, never checked with a figure cut short)
        _fail(f"{name}：{zh}。核查不使用可能不完整的文件，此表未读取", f"{name}: {en}. The checks use no file that may be "
              "incomplete: the table was not read")
    return _headed(name, frame)


def _headed(name: str, frame: Frame) -> Frame:
    """A table `wengang screen` also reads (persons, certificates, subsidies, ui_claims) with its columns named as
    `screen` names them: the same Chinese headers (公民身份号码, 领取地行政区划代码 …) and agency spellings resolved by
    :func:`wengang.ingest.headers.resolve` (outside audit D6, session 39). An amount under a header in 元 (金额) becomes
    ``<field>_yuan``, which ``batch.read_table`` reads into the field in 分. Columns that name no field are kept as
    they are; a required column still missing is refused by ``batch.read_table``, with the columns found."""
    from dataclasses import replace

    from wengang.ingest import IngestError
    from wengang.ingest.headers import YUAN, resolve
    from wengang.screening.schemas import ALL_TABLES

    if name not in ALL_TABLES:
        return frame
    try:
        res = resolve(frame.columns, ALL_TABLES[name].scope(), source=frame.source, required=())
    except IngestError as exc:
        _fail(f"{name}：{exc.message_zh}", f"{name}: {exc.message_en}")
    rename = {
        col: f"{f.removesuffix('_fen')}_yuan" if res.units.get(f) == YUAN else f
        for col, f in res.rename.items()
    }
    rename = {c: f for c, f in rename.items() if c != f}
    if not rename:
        return frame
    return replace(frame, lf=frame.lf.rename(rename), columns=[rename.get(c, c) for c in frame.columns])


def _screen(frames: dict[str, Frame], **kw: Any) -> Any:
    """``batch.screen`` over the tables read by :func:`_scan`. A CSV file Polars cannot read while the checks
    run (a row with more or fewer fields than the header, a quote it cannot pair) is refused naming the table,
    file and lines, Chinese first (exit 2), never as Polars' own error text. The quarantine's rows are the
    files' data rows (``source_row``: blank rows, which are skipped, keep their numbers)."""
    import polars as pl

    from wengang.ingest import IngestError
    from wengang.ingest.files import named_read_errors

    from .batch import RiskInputError, screen

    tables = {k: f.lf.drop("source_row") for k, f in frames.items()}
    try:
        with named_read_errors(f.source for f in frames.values()):
            run = screen(tables, **kw)
            # a table given with a header and no data row is refused, as the screen refuses it (decisions §102): the
            # checks would run against nothing and report nothing found (outside audit, session 37)
            for name in frames:
                if run.rows_in.get(name, 1) == 0:
                    _fail(f"{name}：文件 {frames[name].source} 只有表头，没有数据行：未作任何核查。空表会被当作“没有任何记录”，"
                          f"据此核查的结果不可靠；请检查导出是否完整，如确实没有任何记录，请不要给出 --{name.replace('_', '-')}",
                          f"{name}: file {frames[name].source} has a header and no data rows; nothing was checked (an "
                          f"empty table reads as \"no records\"); check the export, or leave --{name.replace('_', '-')} "
                          "out if there truly are none")
            if run.quarantine.height:
                run.quarantine = _file_rows(run.quarantine, frames)
    except IngestError as exc:
        name = next((k for k, f in frames.items() if f.source == exc.source), None)
        _fail(f"{name}：{exc.message_zh}" if name else exc.message_zh,
              f"{name}: {exc.message_en}" if name else exc.message_en)  # fmt: skip
    except RiskInputError as exc:
        _fail(exc.zh, exc.en)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.SchemaError) as exc:
        _fail(f"数据表无法读取：{exc}", f"a table cannot be read: {exc}")
    return run


def _file_rows(quarantine: pl.DataFrame, frames: dict[str, Frame]) -> pl.DataFrame:
    """The quarantine with each row numbered as its file's line (``Frame.file_row``: the header is line 1, the first
    data row line 2), not as its place among the rows read: a CSV's blank rows are skipped but keep their numbers. One more read of a CSV table that
    has quarantined rows (Parquet has no skipped rows)."""
    import polars as pl

    names = [n for n in quarantine.get_column("table").unique().to_list() if frames[n].encoding is not None]
    if not names:
        return quarantine
    # the row as the file shows it (Frame.file_row: a CSV's line, the header being line 1), as `wengang screen`
    # numbers its quarantine (decisions §97; outside audit D7, session 39)
    rows = pl.concat(pl.collect_all([frames[n].lf.select(
        pl.lit(n).alias("table"), pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"),
        (pl.col("source_row").cast(pl.Int64) + frames[n].header_row).alias("_source_row"),
    ) for n in names]))  # fmt: skip
    return (
        quarantine.join(rows, on=["table", "row"], how="left", maintain_order="left")
        .with_columns(pl.coalesce("_source_row", "row").alias("row"))
        .drop("_source_row")
    )


def _settings(pairs: list[str] | None) -> dict[str, Any]:
    from wengang.evaluate import parse_settings

    out: dict[str, str] = {}
    for item in pairs or []:
        name, sep, value = item.partition("=")
        if not sep:
            _fail(f"地区设置应写作 名称=取值：{item}", f"a setting is name=value: {item}")
        out[name.strip()] = value.strip()
    try:
        return parse_settings(out)
    except (InputError, ValueError, KeyError) as exc:
        _fail(str(exc).strip("'\""), "bad setting")
    return {}


def _print_run(run: Any) -> None:
    import polars as pl
    from rich.table import Table

    from .registry import CHECKS

    t = Table("核查项 / check", "疑点", "等级", "疑点数", "未核查", "说明")
    for cid, check in CHECKS.items():
        t.add_row(
            cid, check.label, check.severity, "—" if cid in run.skipped else str(run.counts.get(cid, 0)),
            "—" if cid in run.skipped else str(run.unchecked_counts.get(cid, 0)), "；".join(_notes(run, cid)),
        )  # fmt: skip
    console.print(t)
    if run.quarantine.height:
        tables = run.quarantine.get_column("table").unique().sort().to_list()
        for name in tables:
            q = run.quarantine.filter(pl.col("table") == name)
            rows = q.get_column("row").n_unique()
            console.print(f"⚠ {name}：读入 {run.rows_in[name]} 行，{rows} 行有无法读取的值已隔离（见 quarantine）"
                          f" / {run.rows_in[name]} rows read, {rows} quarantined", highlight=False)  # fmt: skip
            for r in q.head(5).to_dicts():
                console.print(f"    第 {r['row']} 行 {r['field']}“{r['value']}”：{r['reason_zh']}",
                              highlight=False, soft_wrap=True)  # fmt: skip


def _notes(run: Any, cid: str) -> list[str]:
    """Why (part of) a check did not run, in Chinese: skipped, regions unknown, regions not listing it."""
    from .batch import unknown_region_zh

    if cid in run.skipped:
        return [f"未核查：{run.skipped[cid]}"]
    notes = [f"{unknown_region_zh(code)}（{n} 行）" for code, n in run.unknown_regions.get(cid, {}).items()]
    if cid in run.not_applicable:
        notes.append(f"以下地区适用的文件未列此项，未核查：{'、'.join(run.not_applicable[cid])}")
    if run.unchecked_counts.get(cid):
        notes.append(f"{run.unchecked_counts[cid]} 条记录数据缺失或无法读取，未核查（见 unchecked）")
    return notes


@risk_app.command("checks")
def checks_cmd() -> None:
    """列出核查项：标签、风险等级、依据（文号、条款、原文）与说明 / the registry of checks."""
    from .registry import CHECKS

    for c in CHECKS.values():
        console.print(f"[bold]{c.id}[/]  [{c.severity}] {c.label}", highlight=False)
        for cit in c.citations:
            console.print(f"  依据 {cit.short()}：“{cit.quote}”", highlight=False, soft_wrap=True)
            if cit.note:
                console.print(f"    说明：{cit.note}", highlight=False, soft_wrap=True)
        if c.settings:
            console.print(f"  地区设置：{'、'.join(c.settings)}", highlight=False)


@risk_app.command("screen")
def screen_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")],
    on: Annotated[
        str | None, typer.Option("--date", "-d", help="核查日期（确定适用文件），默认今天 / date")
    ] = None,
    persons: Annotated[
        str | None, typer.Option("--people", "--persons", help=TABLE_OPTIONS["persons"])
    ] = None,
    certificates: Annotated[
        str | None, typer.Option("--certificates", help=TABLE_OPTIONS["certificates"])
    ] = None,
    subsidies: Annotated[str | None, typer.Option("--subsidies", help=TABLE_OPTIONS["subsidies"])] = None,
    ui_claims: Annotated[str | None, typer.Option("--ui-claims", help=TABLE_OPTIONS["ui_claims"])] = None,
    registry: Annotated[str | None, typer.Option("--registry", help=TABLE_OPTIONS["registry"])] = None,
    flexible: Annotated[
        str | None, typer.Option("--flexible-subsidies", help=TABLE_OPTIONS["flexible_subsidies"])
    ] = None,
    refunds: Annotated[
        str | None, typer.Option("--dispatch-refunds", help=TABLE_OPTIONS["dispatch_refunds"])
    ] = None,
    allocations: Annotated[
        str | None, typer.Option("--dispatch-allocations", help=TABLE_OPTIONS["dispatch_allocations"])
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--setting", help="地区设置：名称=取值（如 short_term_insured_months=12）/ setting"),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--checks", help="只运行这些核查项，逗号分隔 / only these checks")
    ] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="允许使用征求意见稿 / allow drafts")] = False,
    no_excel: Annotated[bool, typer.Option("--no-excel", help="不写 Excel / no XLSX")] = False,
    memory_limit: Annotated[
        float | None,
        typer.Option("--memory-limit", min=0.5, max=4096,
                     help="内存上限（GiB），据此确定分区数 / memory limit in GiB: sets the partitions"),
    ] = None,
    partitions: Annotated[
        int | None, typer.Option("--partitions", min=1, help="分区数（默认按数据量，至多 1024）/ partitions")
    ] = None,
) -> None:
    """批量核查：读入人员、证书、补贴、领取记录、名单等数据表，按各地区适用文件列明的核查项写出疑点。

    Writes flags.parquet (full identifiers, for `risk import`), flags.xlsx (masked) and summary.json.
    Large tables are checked in partitions (by ID number; evaluation bodies counted across all of them),
    as many as --memory-limit needs; the flags do not depend on the number.
    """
    from .output import write

    day = _run(parse_date, on, "核查日期 --date", "--date") if on else beijing_today()
    given = {"persons": persons, "certificates": certificates, "subsidies": subsidies, "ui_claims": ui_claims,
             "registry": registry, "flexible_subsidies": flexible, "dispatch_refunds": refunds,
             "dispatch_allocations": allocations}  # fmt: skip
    frames = {k: _scan(k, v) for k, v in given.items() if v}
    if not frames:
        _fail("未给出任何数据表", "no tables given")
    checks = [c.strip() for c in only.split(",") if c.strip()] if only else None
    run = _screen(frames, on=day, settings=_settings(setting), checks=checks, include_drafts=drafts,
                  partitions=partitions, memory_limit_gib=memory_limit)  # fmt: skip
    files = write(run, out, excel=not no_excel)
    _print_run(run)
    gaps = run.unchecked.height + run.quarantine.get_column("row").len()
    mark = "✔" if not gaps and not run.unknown_regions else "⚠"
    console.print(f"{mark} 共 {run.flags.height} 条疑点，{run.unchecked.height} 条未核查，"
                  f"{run.quarantine.select('table', 'row').n_unique()} 行隔离"
                  f" / {run.flags.height} flags, {run.unchecked.height} not checked", highlight=False)  # fmt: skip
    for name, path in files.items():
        console.print(f"  {name}: {path}", highlight=False)


@risk_app.command("check")
def check_cmd(
    path: Annotated[Path, typer.Argument(help="案例文件（JSON，格式见 examples/risk-case.json）/ case file")],
    on: Annotated[
        str | None, typer.Option("--date", "-d", help="核查日期，默认取文件中的 date / date")
    ] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--setting", help="地区设置：名称=取值 / setting")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / JSON output")] = False,
) -> None:
    """单案核查：与批量核查同一套定义。有疑点时退出码为 1；无疑点但有核查项未运行或部分未核查时为 5 /
    one case; exit 1 when it has flags, 5 when it has none but some checks did not run (in full)."""
    from .batch import RiskInputError
    from .case import check_case, load_case
    from .registry import CHECKS

    day = _run(parse_date, on, "核查日期 --date", "--date") if on else None
    try:
        run = check_case(load_case(path), on=day, settings=_settings(setting))
    except RiskInputError as exc:
        _fail(exc.zh, exc.en)
    rows = run.flags.to_dicts()
    # a check ran in full only when it was not skipped, and left no row unchecked and no region aside
    partial = [c for c in CHECKS if c not in run.skipped and _notes(run, c)]
    done = [c for c in CHECKS if c not in run.skipped and c not in partial]
    if as_json:
        sys.stdout.write(json.dumps({
            "flags": rows, "skipped": run.skipped, "not_applicable": run.not_applicable,
            "unchecked": run.unchecked.to_dicts(), "unknown_regions": run.unknown_regions,
            "checked": done, "partly_checked": partial}, ensure_ascii=False, indent=1, default=str) + "\n")  # fmt: skip
    else:
        for r in rows:
            amount = (
                ""
                if r["amount_fen"] is None
                else f"  涉及 {format_yuan(r['amount_fen'])}"
            )
            console.print(
                f"⚠ [{r['severity']}] {r['label']}  [{r['citation']}]{amount}",
                highlight=False,
                soft_wrap=True,
            )
            labels = CHECKS[r["check_id"]].evidence
            for k, v in json.loads(r["evidence"]).items():
                console.print(f"    {labels.get(k, k)}：{'—' if v is None else v}", highlight=False)
        for cid, why in run.skipped.items():
            console.print(f"— {cid}：未核查（{why}）", highlight=False, soft_wrap=True)
        for cid in partial:
            console.print(f"— {cid}：部分未核查（{'；'.join(_notes(run, cid))}）", highlight=False, soft_wrap=True)
        for r in run.unchecked.to_dicts():
            console.print(f"    未核查 {r['check_id']} {r['record']}：{r['reason']}", highlight=False, soft_wrap=True)
        not_run = len(run.skipped) + len(partial)
        summary = (f"{len(CHECKS)} 项核查：{len(done)} 项已完整核查，{not_run} 项未核查或部分未核查（原因见上）"
                   f" / {len(done)} of {len(CHECKS)} checks ran in full, {not_run} did not (reasons above)")  # fmt: skip
        if rows:
            console.print(f"⚠ 发现 {len(rows)} 条疑点；{summary}", highlight=False, soft_wrap=True)
        elif not_run:
            console.print(f"⚠ 未发现疑点，但核查不完整：{summary}", highlight=False, soft_wrap=True)
        else:
            console.print(f"✔ 未发现疑点 / no flags；{summary}", highlight=False, soft_wrap=True)
    # 1: flags; 5 (无法判定): no flag, but some checks did not run (in full); 0: every check ran and found nothing
    raise typer.Exit(1 if rows else 5 if run.skipped or partial else 0)


@risk_app.command("demo-data")
def demo_data_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")],
    people: Annotated[int, typer.Option("--people", min=1000, help="人数 / people")] = 2000,
    planted: Annotated[
        int, typer.Option("--planted", min=1, max=5, help="每类植入疑点数 / planted per kind")
    ] = 3,
) -> None:
    """生成演示数据：干净的人员、证书、补贴、领取记录、名单，以及每类已知数量的植入疑点（expected.json）。"""
    from .demo import DEMO_SETTINGS, EVALUATION_DATE, PLANTED_DOC, expected_counts, generate, write

    paths = write(out, generate(people, planted=planted))
    (out / "expected.json").write_text(json.dumps({
        "date": EVALUATION_DATE.isoformat(), "settings": DEMO_SETTINGS, "flags": expected_counts(planted),
        "planted": PLANTED_DOC}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")  # fmt: skip
    for name, p in paths.items():
        console.print(f"{name}: {p}", highlight=False)
    settings = " ".join(f"--setting {k}={v}" for k, v in DEMO_SETTINGS.items())
    console.print(f"核查：wengang risk screen --out OUT --date {EVALUATION_DATE} {settings} "
                  f"--people {out}/persons.parquet --certificates {out}/certificates.parquet …", highlight=False)  # fmt: skip


# ------------------------------------------------------------------ the review queue


def _read_flags(path: Path) -> pl.DataFrame:
    import polars as pl

    p = path / "flags.parquet" if path.is_dir() else path
    if not p.is_file():
        _fail(f"找不到疑点文件 {p}（wengang risk screen 的输出）", f"no flags file {p}")
    return pl.read_parquet(p)


@risk_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="wengang risk screen 的输出目录或其 flags.parquet / flags")],
    db: str = DB,
    user: str = USER,
) -> None:
    """导入疑点到稽核复核队列（同一疑点只存一次）/ import flags into the review queue (idempotent)."""
    from wengang.casework.risk_queue import import_flags

    res = _run(import_flags, _open(db), _read_flags(path), user)
    console.print(f"✔ 导入 {res.new} 条新疑点，{res.existing} 条已在队列中 / {res.new} new, {res.existing} already queued",
                  highlight=False)  # fmt: skip


def _filters(status: list[str], check: list[str], severity: list[str], region: str | None, program: str | None,
             year: int | None, subject: str | None, limit: int | None) -> dict[str, Any]:  # fmt: skip
    return dict(status=status, check=check, severity=severity, region=region, program=program, year=year,
                subject=subject, limit=limit)  # fmt: skip


STATUS = typer.Option([], "--status", help="open（待核查）| cleared（已排除）| confirmed（已核实），可多次")
CHECK = typer.Option([], "--check", help="核查项，可多次 / check id")
SEVERITY = typer.Option([], "--severity", help="高 | 中 | 低，可多次")
REGION = typer.Option(None, "--region", help="地区代码（含下级）/ region and below")
PROGRAM = typer.Option(None, "--program", help="项目 / program")
YEAR = typer.Option(None, "--year", min=YEAR_MIN, max=YEAR_MAX, help="年度 / year")
SUBJECT = typer.Option(None, "--subject", help="公民身份号码或单位代码 / person or unit")
LIMIT = typer.Option(None, "--limit", min=1, help="至多列出 / at most")


def _row(r: dict[str, Any]) -> dict[str, Any]:
    from wengang.casework.cli import _mask_unit
    from wengang.casework.risk_queue import STATUS_ZH

    amount = r["amount_fen"]
    return {
        "编号": r["id"], "状态": STATUS_ZH[r["status"]], "等级": r["severity"], "疑点": r["label"],
        "对象": _mask_unit(r["subject_id"]), "姓名/单位": r["subject_name"], "地区": r["region_code"],
        "年度": r["year"], "涉及金额（元）": "" if amount is None else str(fen_to_yuan(amount)),
        "依据": r["citation"],
    }  # fmt: skip


@risk_app.command("list")
def list_cmd(
    status: list[str] = STATUS, check: list[str] = CHECK, severity: list[str] = SEVERITY, region: str = REGION,
    program: str = PROGRAM, year: int = YEAR, subject: str = SUBJECT, limit: int = LIMIT,
    fmt: str = typer.Option("table", "--format", help="table | json"), db: str = DB, user: str = USER,
) -> None:  # fmt: skip
    """列出复核队列中的疑点（身份证号码脱敏）/ list flags (identifiers masked)."""
    from rich.table import Table

    from wengang.casework.risk_queue import list_flags

    rows = _run(
        list_flags,
        _reader(db, user),
        **_filters(status, check, severity, region, program, year, subject, limit),
    )
    shown = [_row(r) for r in rows]
    if fmt == "json":
        sys.stdout.write(json.dumps(shown, ensure_ascii=False, indent=1) + "\n")
        return
    if not shown:
        console.print("没有符合条件的疑点 / no flags match")
        return
    t = Table(*shown[0].keys())
    for r in shown:
        t.add_row(*[str(v) for v in r.values()])
    console.print(t)
    console.print(f"共 {len(shown)} 条 / {len(shown)} flags")


def _targets(
    db: str, user: str, flag_id: int | None, sel: dict[str, Any], yes: bool, verb: str
) -> tuple[Any, list[int]]:
    """The one flag, or the open flags the filters select (shown, then confirmed unless --yes)."""
    from wengang.casework.risk_queue import list_flags

    led = _reader(db, user)  # a registered operator; the write itself checks the 稽核 role
    if flag_id is not None:
        return led, [flag_id]
    if not any(v not in (None, [], ()) for k, v in sel.items() if k != "limit"):
        _fail(f"须给出疑点编号或筛选条件（--check、--region 等）才能批量{verb}",
              "give a flag id or selection filters")  # fmt: skip
    rows = _run(list_flags, led, **{**sel, "status": ["open"]})
    if not rows:
        console.print(f"没有符合条件的待核查疑点，未{verb} / nothing selected", highlight=False)
        raise typer.Exit(0)
    console.print(f"将{verb} {len(rows)} 条疑点 / about to act on {len(rows)} flags", highlight=False)
    for r in rows[:5]:
        console.print(f"  {r['id']}  [{r['severity']}] {r['label']}", highlight=False)
    if not yes:
        if not _interactive():
            _fail("未执行：批量操作须确认。请在终端中运行并确认，或加 --yes",
                  "nothing done: a bulk action must be confirmed; run it in a terminal or add --yes")  # fmt: skip
        if not typer.confirm("确认执行？/ proceed?", default=False):
            console.print("未执行 / nothing done")
            raise typer.Exit(1)
    return led, [r["id"] for r in rows]


@risk_app.command("clear")
def clear_cmd(
    flag_id: int = typer.Argument(None, min=1, help="疑点编号；或用筛选条件批量 / flag id"),
    reason: str = typer.Option(..., "--reason", help="排除理由 / why it is not a problem"),
    check: list[str] = CHECK, severity: list[str] = SEVERITY, region: str = REGION, program: str = PROGRAM,
    year: int = YEAR, subject: str = SUBJECT, limit: int = LIMIT, yes: bool = YES[1], db: str = DB, user: str = USER,
) -> None:  # fmt: skip
    """排除疑点（须写明理由）/ clear flags with a reason."""
    from wengang.casework.risk_queue import clear_flag

    sel = _filters([], check, severity, region, program, year, subject, limit)
    led, ids = _targets(db, user, flag_id, sel, yes, "排除")
    for i in ids:
        _run(clear_flag, led, i, user, reason=reason)
    console.print(f"✔ 已排除 {len(ids)} 条疑点 / {len(ids)} cleared", highlight=False)


@risk_app.command("confirm")
def confirm_cmd(
    flag_id: int = typer.Argument(None, min=1, help="疑点编号；或用筛选条件批量 / flag id"),
    reason: str = typer.Option(..., "--reason", help="核实情况 / what was found"),
    amount_fen: int = typer.Option(None, "--amount-fen", min=1, help="追回金额（分），默认为疑点涉及金额 / amount"),
    check: list[str] = CHECK, severity: list[str] = SEVERITY, region: str = REGION, program: str = PROGRAM,
    year: int = YEAR, subject: str = SUBJECT, limit: int = LIMIT, yes: bool = YES[1], db: str = DB, user: str = USER,
) -> None:  # fmt: skip
    """核实疑点：撤回决定未报盘的付款，对已发放的下达追回（已报盘未回盘的待回盘后确定），或记录移交 / confirm: withdraw
    the decision's unsent payments, recover what was paid (sent and unanswered: once the bank answers), or refer."""
    from wengang.casework.risk_queue import confirm_flag

    sel = _filters([], check, severity, region, program, year, subject, limit)
    led, ids = _targets(db, user, flag_id, sel, yes, "核实")
    for i in ids:
        res = _run(confirm_flag, led, i, user, reason=reason, amount_fen=amount_fen)
        console.print(f"✔ 疑点 {i} 已核实：{res.note_zh} / flag {i} confirmed: {res.note_en}", highlight=False)
