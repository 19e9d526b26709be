"""``wengang case ...`` (one command per transition); ``audit verify`` and checkpoints live in cli_audit.py,
account changes in cli_accounts.py.

Mounted by the main CLI as ``app.add_typer(case_app, name="case")`` and ``app.add_typer(audit_app, name="audit")``.
The database comes from ``--db`` or ``WENGANG_DB`` (default ``sqlite:///wengang.db``).
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wengang.inputs import YEAR_MAX, YEAR_MIN, InputError, check_program, known_name, parse_date

from . import DEFAULT_URL
from .errors import LedgerError
from .states import TRANSITIONS, action_zh, state_zh

if TYPE_CHECKING:  # the ledger (SQLAlchemy) is imported inside the commands that use it: start-up time
    from .ledger import Ledger
    from .models import DecisionIn
    from .query import Filter

case_app = typer.Typer(help="稳岗返还等经办台账 / casework ledger", no_args_is_help=True)
audit_app = typer.Typer(help="审计链 / audit chain", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)  # piped output (logs, files) not squeezed into 80 columns

DB = typer.Option(DEFAULT_URL, "--db", envvar="WENGANG_DB", help="数据库 URL / database URL")
USER = typer.Option(..., "--user", "-u", help="操作人登录名（须已登记并有相应角色，见 wengang user matrix）/ acting operator")
MAX_ID = 2**63 - 1  # the databases' BIGINT


def _known_program(value: str | None) -> str | None:
    return check_program(value) if value is not None else None


def _fits_bigint(value: int | None) -> int | None:
    if value is not None and value > MAX_ID:
        raise InputError(f"编号 {value} 过大（数据库中的编号不超过 {MAX_ID}）", f"id {value} exceeds {MAX_ID}")
    return value


def _fen(value: Any, what: str = "--amount-fen") -> int:
    """An amount in 分 as typed: a whole number of digits (full-width digits read as digits). ``148450.00`` is how 元
    are written: refused as README says of every ``_fen`` field, never read as 148450 fen (nor 1,484.50 元 as 148450);
    above the databases' BIGINT refused."""
    if isinstance(value, int):
        return _fits_bigint(value) or value
    import unicodedata

    s = unicodedata.normalize("NFKC", str(value)).strip()
    if s.endswith("元") and re.fullmatch(r"[0-9][0-9,]*(\.[0-9]+)?元", s):
        # 元 written with its unit is read exactly, as README says of every _fen field (story walk, session 40)
        from wengang.money import MoneyError, yuan_to_fen

        try:
            n = yuan_to_fen(s[:-1])
        except MoneyError as exc:
            raise InputError(f"{what}“{value}”：{exc}", f"{what} {value!r}: {exc}") from None
        _fits_bigint(n)
        return n
    if not re.fullmatch(r"[0-9]+", s):
        yuan = bool(re.fullmatch(r"[0-9][0-9,]*(\.[0-9]*)?元?", s))
        raise InputError(f"{what}“{value}”不是以分计的非负整数{'（带小数点或逗号是以元计的写法）' if yuan else ''}："
                         "金额以分为单位，写整数，如 1,484.50 元写作 148450（或带单位写作 1484.50元）",
                         f"{what} {value!r} is not a whole number of fen{' (written as 元)' if yuan else ''}: give fen "
                         "as digits, e.g. 148450 for 1,484.50 yuan")
    n = int(s)
    _fits_bigint(n)
    return n


# the same argument in every command: checked while the command line is parsed (bad → exit 2, nearest names)
Program = Annotated[str, typer.Argument(callback=_known_program, help="项目，如 fanhuan / program")]
Year = Annotated[int, typer.Argument(min=YEAR_MIN, max=YEAR_MAX, help="政策年度 / policy year")]
DecisionId = Annotated[int, typer.Argument(min=1, callback=_fits_bigint, help="决定编号 / decision id")]
RecordId = Annotated[int, typer.Argument(min=1, callback=_fits_bigint, help="编号 / id")]
AmountFen = Annotated[int, typer.Argument(parser=lambda v: _fen(v, "金额（分）"), help="金额（分）/ amount in fen")]
AMOUNT = typer.Option(None, "--amount-fen", parser=_fen, help="金额（分）/ amount in fen")


def _run(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (LedgerError, InputError) as e:
        console.print(f"[red]✘ {e.zh}[/red]\n  {e.en}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _day(s: str | None, what: str = "日期") -> date | None:
    return _run(parse_date, s, what) if s is not None else None


def _open(db: str, *, existing: bool = False) -> Ledger:
    """The ledger at ``db`` (its checkpoint signed when the command ends, cli_audit.py), or a refusal naming it.
    ``existing``: a command that only reads must not create an empty ledger where a mistyped SQLite path points."""
    from .cli_audit import attach

    return attach(_run(_open_ledger, db, existing), db)


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


def _open_ledger(db: str, existing: bool) -> Ledger:
    from sqlalchemy.engine import make_url

    from .ledger import Ledger

    try:
        url = make_url(db)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy's ArgumentError and ValueError
        raise LedgerError("db_unavailable", f"无法解析数据库 URL（{type(exc).__name__}），应如 sqlite:///wengang.db",
                          "cannot parse the database URL; e.g. sqlite:///wengang.db") from None
    shown = url.render_as_string(hide_password=True)
    if existing and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not _is_file(url.database):
        raise LedgerError("db_not_found", f"台账数据库文件 {url.database} 不存在",
                          f"ledger database file {url.database} does not exist")
    try:
        return Ledger.open(db)
    except Exception as exc:  # noqa: BLE001 - an unknown driver, a server down, a file that is not a database …
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LedgerError("db_unavailable", f"无法打开台账数据库 {shown}（{type(exc).__name__}：{first}）",
                          f"cannot open the ledger database {shown}: {first}") from None


def _reader(db: str, user: str) -> Ledger:
    """The ledger, for a registered operator of any role (reads: 查询, roles.ACTIONS["read"])."""
    from .operators import require

    led = _open(db, existing=True)
    _run(require, led, user, "read")
    return led


@case_app.command("transitions")
def transitions() -> None:
    """列出允许的状态转换 / print the transition table."""
    t = Table("action", "操作", "from", "to", "依据 / basis")
    for tr in TRANSITIONS.values():
        src = ", ".join(sorted(tr.sources)) or "—"
        if tr.without_confirmation:
            src += f"（文件无需确认时另有 {', '.join(sorted(tr.without_confirmation))}）"
        t.add_row(tr.action, tr.zh, src, ", ".join(tr.targets), tr.basis)
    console.print(t)


# an amount no rule decided: a ledger-format table's eligible rows are held until checked (they had been imported
# unheld, 999,999元 ready to notify and pay, while a screening run's rows are decided again: intake._recheck)
UNCHECKED_TABLE = ("台账格式导入的决定未经本系统按政策规则判定（没有筛查的事实数据与运行记录可供重新判定）："
                   "暂缓发放，待核实原始数据后由复核人员解除")


def _held_unchecked(frame: Any) -> Any:
    import polars as pl

    if "payment_hold" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Boolean).alias("payment_hold"))
    if "payment_hold_reason" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("payment_hold_reason"))
    fresh = (pl.col("status") == "eligible") & ~pl.col("payment_hold").fill_null(False)
    return frame.with_columns(
        pl.when(fresh).then(pl.lit(True)).otherwise(pl.col("payment_hold")).alias("payment_hold"),
        pl.when(fresh).then(pl.lit(UNCHECKED_TABLE)).otherwise(pl.col("payment_hold_reason")).alias("payment_hold_reason"),
    )


@case_app.command("import")
def import_(path: Path = typer.Argument(..., help="wengang screen 的输出目录或其 results.parquet / a screening output folder"),
            program: str = typer.Option(None, callback=_known_program, help="项目（默认按结果文件判断：稳岗返还 fanhuan）"),
            year: int = typer.Option(None, min=YEAR_MIN, max=YEAR_MAX, help="政策年度（默认取筛查的审核日期所在年度）"),
            region: str = typer.Option(None, help="地区代码（默认为结果中各地区的共同上级）"),
            policy: list[str] = typer.Option([], help="文号=版本（仅台账格式 Parquet）"),
            db: str = DB, user: str = USER) -> None:
    """导入筛查结果：wengang screen 的输出目录（原样），或台账格式（DecisionIn 列）的 Parquet / import a screening run."""
    import hashlib

    import polars as pl

    from .intake import is_screening_output, read_screening_output, trusted_keys_of

    if _run(is_screening_output, path):
        led = _open(db)  # a signing ledger takes a run's rows unheld only from a record signed by its key
        si = _run(read_screening_output, path, program=program, year=year, region=region,
                  trusted_keys=trusted_keys_of(led))
        run, frame = si.run, si.frame
    else:  # a table already in the ledger's input contract (DecisionIn columns)
        if not (program and year and region):
            _run(_refuse, "need_options", "台账格式的 Parquet 须给出 --program、--year 和 --region",
                 "a DecisionIn Parquet needs --program, --year and --region")
        from .models import RunIn

        if any("=" not in p for p in policy):
            _run(_refuse, "bad_input", "--policy 应写作 文号=版本", "--policy must be number=version")
        fp = hashlib.sha256(path.read_bytes()).hexdigest()
        run = RunIn(program, year, region, {path.name: fp}, dict(p.split("=", 1) for p in policy))
        from .models import canonical_claim_keys

        # claim keys in their one written form, as the screening's and every application's (models.canonical_claim_key)
        frame, si = _run(canonical_claim_keys, pl.read_parquet(path)), None
        frame = _held_unchecked(frame)
        led = _open(db)
    prior = _run(led.find_run, run)  # refuses results already imported under another program or year
    res = _run(led.import_decisions, run, frame, user)
    # what was inserted now, never the rows already stored (ImportResult counts them)
    counts = (f"收到 {res.offered} 条，新入库 {res.inserted} 条，已存在 {res.existing} 条"
              + (f"，其中暂缓发放 {res.held} 条" if res.held else "")
              + (f"，结论待核实 {res.to_verify} 条（入库为待认定）" if res.to_verify else ""))
    en = (f"{res.offered} offered, {res.inserted} new, {res.existing} already stored"
          + (f", {res.held} of them held" if res.held else "")
          + (f", {res.to_verify} stored as needing a determination" if res.to_verify else ""))
    if si is not None and si.left_out:
        counts += f"；其他申请年度 {si.left_out} 条未导入"
    if prior is not None:
        console.print(f"✔ 该筛查批次已于此前导入（批次 {prior}），不重复入库：{counts} / "
                      f"this run was imported before (run {prior}); nothing duplicated: {en}", highlight=False)
    else:
        console.print(f"✔ 筛查批次 {res.run_id}（{run.program} {run.year} 年度）：{counts} / run {res.run_id}: {en}",
                      highlight=False)
    if si is None and res.held:
        console.print(f"[yellow]⚠ 台账格式的决定未经本系统按政策规则判定：符合条件的已暂缓发放（{res.held} 条），"
                      "核对原始数据后以 wengang case release 解除 / rows of a ledger-format table were decided by no "
                      "rule here: the eligible ones are held until checked[/yellow]", highlight=False, soft_wrap=True)
    if si is not None and si.unconfirmed and res.inserted:
        # (said by the import that inserted the rows: a run imported before, or by a process that raced this one, has
        # its rows as they were stored; outside casework audit, session 42)
        # rows the run's own facts do not decide as the results file says: imported held (intake._recheck)
        why = f"（{si.recheck_note}）" if si.recheck_note else ""
        # said as what it is: not decided again (no facts, an unsigned or altered record) or decided otherwise; and the
        # way forward — the batch is in the ledger now, a new screening of the same data is the same batch (story walk)
        console.print(f"[yellow]⚠ {si.unconfirmed} 条筛查结果未能按本次筛查的事实数据重新判定核对，或重新判定的结论与结果文件"
                      f"不同{escape(why)}：其中符合条件的已暂缓发放（wengang case list --state held）。已入库的决定由复核人员"
                      "核实原始数据后以 wengang case release 解除（导入人不能解除）；同一批数据重新筛查仍是同一批次，不会替换已入库的决定 / "
                      f"{si.unconfirmed} rows could not be decided again from the run's own facts, or were decided "
                      "otherwise: the eligible ones are held until a reviewer releases them[/yellow]",
                      highlight=False, soft_wrap=True)
    if res.already_claimed:
        n = len(res.already_claimed)
        shown = "；".join(f"{a['unit']} {a['claim_key']}（{a['year']} 年度决定 {a['decision_id']}）"
                         for a in res.already_claimed[:10]) + ("等" if n > 10 else "")
        console.print(f"[yellow]⚠ {n} 条未入库：同一职业（工种）同一等级只能申请并享受一次（内人社发〔2025〕18号 二），"
                      f"已有其他年度的决定：{escape(shown)} / {n} rows not stored: the same occupation and level is "
                      "enjoyed once only, decided in another year[/yellow]", highlight=False, soft_wrap=True)
    if res.disagreements:
        # the stored decisions stay as they are (one per year, program, unit and claim): each is named, with the step
        # that settles it
        n = len(res.disagreements)
        console.print(f"[yellow]⚠ 本批次与已入库的 {n} 个决定结论不同，台账未改动这些决定，须逐个核实处理 / this run "
                      f"disagrees with {n} stored decisions; they are left as they are, each needs a look:[/yellow]",
                      highlight=False)
        for d in res.disagreements:
            console.print(f"  决定 {d['decision_id']}（{escape(d['unit_name'])}，{d['unit']}"
                          + (f"，{escape(d['claim_key'])}" if d["claim_key"] else "")
                          + f"，{state_zh(d['state'])}）：{escape(d['zh'])}\n    decision {d['decision_id']}: "
                          + escape(d["en"]), highlight=False, soft_wrap=True)


def _refuse(code: str, zh: str, en: str) -> None:
    raise LedgerError(code, zh, en)


def _raise(e: Exception) -> None:
    raise e


def _known_channels(values: list[str]) -> list[str]:
    from .notices import CHANNELS

    return [known_name(v, CHANNELS, "告知渠道", "notice channel") for v in values]


# ------------------------------------------------------------ selecting decisions (list and bulk actions)
PANEL = "筛选 / selection"
# option name -> (annotation, typer option); the same options on `case list` and on every bulk action
SELECTOR: dict[str, tuple[str, Any]] = {
    "state": ("list[str]", typer.Option(
        [], "--state", rich_help_panel=PANEL,
        help="状态：中文名（已确认、暂缓发放…）或代码，可重复或用逗号分隔 / state name or code")),
    "program": ("str | None", typer.Option(None, "--program", rich_help_panel=PANEL,
                                           help="项目代码（fanhuan…）/ program")),
    "year": ("int | None", typer.Option(None, "--year", rich_help_panel=PANEL, help="政策年度 / year")),
    "region": ("str | None", typer.Option(None, "--region", rich_help_panel=PANEL,
                                          help="地区代码前缀（15 全区，1501 呼和浩特）/ region code prefix")),
    "size_class": ("str | None", typer.Option(None, "--size-class", rich_help_panel=PANEL,
                                              help="企业划型：大型、中型、小型、微型 / size class")),
    "run": ("int | None", typer.Option(None, "--run", rich_help_panel=PANEL, help="导入批次号 / import run id")),
    "match_reason": ("str | None", typer.Option(
        None, "--match-reason", rich_help_panel=PANEL,
        help="判定说明或暂缓原因中含有的文字 / text in the explanation or the hold reason")),
    "min_amount": ("str | None", typer.Option(None, "--min-amount", rich_help_panel=PANEL,
                                              help="应发金额不低于（元，含本数，如 1000.50）/ at least, yuan")),
    "max_amount": ("str | None", typer.Option(None, "--max-amount", rich_help_panel=PANEL,
                                              help="应发金额不高于（元，含本数）/ at most, yuan")),
    "date_from": ("str | None", typer.Option(None, "--date-from", rich_help_panel=PANEL,
                                             help="最近变更不早于 YYYY-MM-DD（北京时间，含当日）/ changed on or after")),
    "date_to": ("str | None", typer.Option(None, "--date-to", rich_help_panel=PANEL,
                                           help="最近变更不晚于 YYYY-MM-DD（北京时间，含当日）/ changed on or before")),
    "unit": ("str | None", typer.Option(None, "--unit", rich_help_panel=PANEL,
                                        help="统一社会信用代码，或单位名称中的文字 / unit id or part of the name")),
    "ids": ("Path | None", typer.Option(
        None, "--ids", rich_help_panel=PANEL,
        help="决定号文件：每行一个，或含“决定号”/decision_id 列的 CSV、XLSX（如 case list 的导出）/ a file of ids")),
    "limit": ("int | None", typer.Option(None, "--limit", min=1, rich_help_panel=PANEL,
                                         help="至多 N 个（按决定号顺序）/ at most N")),
}
YES = ("bool", typer.Option(False, "--yes", "-y", help="不再询问，直接执行 / do not ask for confirmation"))


def _selectable(*, skip: tuple[str, ...] = (), bulk: bool = True, extra: dict[str, tuple[str, Any]] | None = None):
    """Give a command the selection options. It receives them as one dict ``sel`` (and ``yes`` for a bulk action);
    ``skip`` leaves out options the command has as arguments (``notify PROGRAM YEAR``)."""
    opts = {k: v for k, v in SELECTOR.items() if k not in skip} | (extra or {}) | ({"yes": YES} if bulk else {})

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(fn, eval_str=True)  # keep Program/Year's Annotated ranges and callbacks
        own = [p for p in sig.parameters.values() if p.name != "sel"]
        added = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=o, annotation=a)
                 for k, (a, o) in opts.items()]

        @functools.wraps(fn)
        def wrapper(**kw: Any) -> None:
            sel = {k: kw.pop(k) for k in opts}
            return fn(**kw, sel=sel)

        wrapper.__signature__ = sig.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != "sel"} | {
            k: a for k, (a, _) in opts.items()}
        return wrapper

    return deco


def _given(sel: dict[str, Any]) -> bool:
    """Whether a selection was asked for (a criterion or an ids file, not only a limit or --yes)."""
    return any(v not in (None, [], ()) for k, v in sel.items() if k not in ("limit", "yes"))


def _filter(sel: dict[str, Any], **fixed: Any) -> Filter:
    from dataclasses import replace

    from .query import Filter, parse_day, parse_size_class, parse_states, parse_yuan, read_ids

    f = Filter(
        states=parse_states(sel.get("state") or ()), program=sel.get("program"), year=sel.get("year"),
        region=(sel.get("region") or "").strip() or None, size_class=parse_size_class(sel.get("size_class")),
        run_id=sel.get("run"), reason=sel.get("match_reason") or None,
        min_fen=parse_yuan(sel.get("min_amount"), "--min-amount"), max_fen=parse_yuan(sel.get("max_amount"), "--max-amount"),
        date_from=parse_day(sel.get("date_from"), "--date-from"), date_to=parse_day(sel.get("date_to"), "--date-to"),
        unit=(sel.get("unit") or "").strip() or None, ids=read_ids(sel["ids"]) if sel.get("ids") else None,
        limit=sel.get("limit"),
    )
    f = replace(f, **{k: v for k, v in fixed.items() if v is not None})
    if f.min_fen is not None and f.max_fen is not None and f.min_fen > f.max_fen:
        _refuse("bad_input", "--min-amount 大于 --max-amount，没有决定能同时满足",
                "--min-amount is above --max-amount: nothing can match")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        _refuse("bad_input", "--date-from 晚于 --date-to", "--date-from is after --date-to")
    return f


def _yuan(fen: int | None) -> str:
    from ..money import fen_to_yuan

    return "—" if fen is None else f"{fen_to_yuan(fen):,}"


def _mask_unit(unit_id: str) -> str:
    """A credit code or ID number masked as on a 公示 list (documents/masking.py, the one mask every list uses)."""
    from ..documents.masking import mask_unit_id

    return mask_unit_id(unit_id)


def _program_zh(program: str) -> str:
    from .notices import PROGRAM_ZH

    return PROGRAM_ZH.get(program, program)


LIST_COLUMNS = ("决定号", "单位名称", "统一社会信用代码", "项目", "年度", "状态", "应发金额（元）", "最近变更")


def _list_columns(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """The list's columns: a person program's decisions are about persons (姓名 / 公民身份号码, as its 公示 list
    heads them), a unit's about units; a list of both says both."""
    from .notices import program_subject

    subjects = {program_subject(p) for p in {r["program"] for r in rows}}
    if subjects == {"个人"}:
        return ("决定号", "姓名", "公民身份号码", *LIST_COLUMNS[3:])
    if "个人" in subjects:
        return ("决定号", "单位名称或姓名", "统一社会信用代码或公民身份号码", *LIST_COLUMNS[3:])
    return LIST_COLUMNS


def _state_label(r: dict[str, Any], *, hold: bool = False) -> str:
    """A decision's state as its own document's procedure names it: 已告知 is not “待确认” where the document asks no
    confirmation (内人社发〔2025〕18号 四 “以短信等方式告知企业，无需企业申请”; outside casework audit D6, session 42)."""
    needs = True
    if r.get("state") == "notified" and r.get("policy_doc") and r.get("program"):
        from .procedure import procedure

        needs = procedure(r["policy_doc"], r["program"]).confirmation_required
    return state_zh(r.get("state"), r.get("hold_reason") if hold else None, confirmation_required=needs)


def _list_row(r: dict[str, Any], cols: tuple[str, ...] = LIST_COLUMNS) -> dict[str, Any]:
    from .query import local_time

    return {"决定号": r["id"], cols[1]: r["unit_name"], cols[2]: _mask_unit(r["unit_id"]),
            "项目": _program_zh(r["program"]), "年度": r["year"], "状态": _state_label(r),
            "应发金额（元）": r["amount_fen"], "最近变更": local_time(r["changed_at"])}


def _print(renderable: Any) -> None:
    """A wide table printed whole: into a file or pipe at 200 columns; on a narrow terminal folded, not cut."""
    (console if console.is_terminal else Console(width=200)).print(renderable)


def _table(rows: list[dict[str, Any]], title: str | None = None) -> Table:
    t = Table(title=title)
    cols = _list_columns(rows)
    for c in cols:
        t.add_column(c, justify="right" if c == "应发金额（元）" else "left", overflow="fold")
    for r in rows:
        v = _list_row(r, cols)
        t.add_row(*(escape(str(v[c])) for c in cols[:-2]), _yuan(v["应发金额（元）"]), v["最近变更"])
    return t


def _find(led: Ledger, f: Filter) -> list[dict[str, Any]]:
    from .query import find

    return _run(find, led.read, f)


TABLE_ROWS = 100  # rows `case list` prints without --limit


@_selectable(bulk=False, skip=("match_reason",), extra={"match_reason": ("str | None", typer.Option(
    None, "--reason", "--match-reason", rich_help_panel=PANEL,
    help="判定说明或暂缓原因中含有的文字 / text in the explanation or the hold reason"))})
def list_(fmt: str = typer.Option("table", "--format", help="table（屏幕）| json | csv | xlsx"),
          out: Path = typer.Option(None, "--out", help="输出文件（xlsx 必须给出）/ output file"),
          db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """查找决定（按状态、项目、年度、地区、划型、批次、原因、金额、日期、单位）/ list or find decisions.

    别名 case find。金额以元计，上下限含本数；日期为北京时间的最近变更日期。"""
    assert sel is not None
    if fmt not in ("table", "json", "csv", "xlsx"):
        _run(_refuse, "bad_input", f"--format 只能是 table、json、csv 或 xlsx（收到“{fmt}”）",
             f"--format must be table, json, csv or xlsx, not {fmt!r}")
    if fmt == "xlsx" and out is None:
        _run(_refuse, "bad_input", "xlsx 格式须用 --out 给出文件名", "--format xlsx needs --out FILE")
    f = _run(_filter, sel)
    led = _reader(db, user)
    if fmt != "table":
        rows = _find(led, f)
        try:
            _export(rows, fmt, out)
        except Exception as exc:  # noqa: BLE001 - a file that cannot be written (xlsxwriter wraps OSError)
            if not isinstance(exc, OSError) and "xlsxwriter" not in type(exc).__module__:
                raise
            _run(_refuse, "cannot_write", f"无法写入 {out}（{type(exc).__name__}）", f"cannot write {out}: {exc}")
        return
    from dataclasses import replace

    from .query import ID_CHUNK, select_summary, total_fen

    rows = _find(led, f if f.limit is not None else replace(f, limit=TABLE_ROWS))
    everything = replace(f, limit=None)
    if f.ids is not None and len(f.ids) > ID_CHUNK:  # too many ids for one statement: count what is read
        every = _find(led, everything)
        n, total = len(every), total_fen(every)
    else:
        n, total = _run(led.read, select_summary(everything))[0].values()
    _print(_table(rows))
    more = f"，显示前 {len(rows)} 个（用 --limit 或 --format 导出全部）" if n > len(rows) else ""
    console.print(f"共 {n} 个决定，应发合计 {_yuan(total)} 元{more} / {n} decisions, {_yuan(total)} yuan", soft_wrap=True)


case_app.command("list")(list_)
case_app.command("find", help="同 case list / same as case list")(list_)


def _export(rows: list[dict[str, Any]], fmt: str, out: Path | None) -> None:
    from ..money import fen_to_yuan

    if fmt == "xlsx":
        from ..documents.xlsx import INT, MONEY, Column, write_xlsx
        from ..documents.xlsx import Table as Sheet

        kinds = {"决定号": INT, "年度": INT, "应发金额（元）": MONEY}
        names = _list_columns(rows)
        cols = [Column(c, c, kinds.get(c, "text")) for c in names]
        assert out is not None
        write_xlsx(out, Sheet(cols, [_list_row(r, names) for r in rows], sheet="决定"))
    elif fmt == "json":
        import json

        from .query import local_time

        body = json.dumps([{
            "decision_id": r["id"], "unit_name": r["unit_name"], "unit_id_masked": _mask_unit(r["unit_id"]),
            "program": r["program"], "year": r["year"], "state": r["state"], "state_zh": _state_label(r),
            "amount_fen": r["amount_fen"], "amount_yuan": None if r["amount_fen"] is None else str(fen_to_yuan(r["amount_fen"])),
            "changed_at": local_time(r["changed_at"]),
        } for r in rows], ensure_ascii=False, indent=1)
        _emit(body + "\n", out)
    else:
        import csv
        import io

        from ..documents.xlsx import escape_text

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        names = _list_columns(rows)
        w.writerow(names)
        for r in rows:
            v = _list_row(r, names)
            v["应发金额（元）"] = "" if r["amount_fen"] is None else str(fen_to_yuan(r["amount_fen"]))
            w.writerow([escape_text(x) if isinstance(x, str) else x for x in (v[c] for c in names)])
        _emit(buf.getvalue(), out, bom=True)
    if out is not None:
        console.print(f"✔ {len(rows)} 个决定已写入 {out} / {len(rows)} decisions written to {out}")


def _emit(text: str, out: Path | None, *, bom: bool = False) -> None:
    if out is None:
        sys.stdout.write(text)
    else:  # a CSV file with a BOM opens in Excel with its Chinese intact
        out.write_text(text, encoding="utf-8-sig" if bom else "utf-8")


# ------------------------------------------------------------ bulk actions
def _interactive() -> bool:
    return sys.stdin.isatty()


@dataclass
class Outcome:
    """What a bulk action did: ids done, and ids skipped / failed grouped by reason (中文 / English)."""

    done: list[int] = field(default_factory=list)
    skipped: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    failed: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def skip(self, i: int, zh: str, en: str) -> None:
        self.skipped.setdefault((zh, en), []).append(i)

    def fail(self, i: int, zh: str, en: str) -> None:
        self.failed.setdefault((zh, en), []).append(i)

    def refused(self, i: int, e: LedgerError) -> None:
        """A ledger refusal: a step not allowed from the decision's state is skipped, anything else failed."""
        zh, en = re.sub(r"决定 ?\d+ ?", "", e.zh), re.sub(r"decision \d+ ?", "", e.en)
        (self.skip if e.code == "transition_refused" else self.fail)(i, zh, en)


def _groups(g: dict[tuple[str, str], list[int]]) -> tuple[str, str]:
    zh = "；".join(f"{escape(k[0])}：{len(v)} 个（决定 {_ids(v)}）" for k, v in g.items())
    en = "; ".join(f"{escape(k[1])}: {len(v)}" for k, v in g.items())
    return zh, en


def _ids(ids: list[int], n: int = 8) -> str:
    return "、".join(map(str, ids[:n])) + ("…" if len(ids) > n else "")


def _report(o: Outcome) -> None:
    skipped, failed = sum(map(len, o.skipped.values())), sum(map(len, o.failed.values()))
    sz, se = _groups(o.skipped)
    fz, fe = _groups(o.failed)
    mark = "[green]✔[/green]" if not failed else "[yellow]![/yellow]"
    console.print(f"{mark} 成功 {len(o.done)}，跳过 {skipped}" + (f"（{sz}）" if skipped else "")
                  + f"，失败 {failed}" + (f"（{fz}）" if failed else ""), soft_wrap=True)
    console.print(f"  done {len(o.done)}, skipped {skipped}" + (f" ({se})" if skipped else "")
                  + f", failed {failed}" + (f" ({fe})" if failed else ""), soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _select_for(led: Ledger, f: Filter, what_zh: str, what_en: str, yes: bool, *,
                amounts: Callable[[list[int]], dict[int, int]] | None = None) -> tuple[list[dict[str, Any]], Outcome]:
    """The decisions a bulk action will touch: shown (count, total, a few rows), then confirmed.

    The amounts shown are the entitlements, or with ``amounts`` (``Ledger.amounts_due`` for `case pay`) what the
    step pays each decision; the rows returned are the selection's, unchanged. Without ``--yes`` the caseworker is
    asked; with no terminal to ask on, nothing is done (exit 2)."""
    from .query import total_fen

    what_zh, what_en = escape(what_zh), escape(what_en)
    rows = _find(led, f)
    o = Outcome()
    if f.ids is not None and len(rows) < len(f.ids):  # ids in the file that are not in the ledger at all
        from .query import Filter

        known = {r["id"] for r in _find(led, Filter(ids=f.ids))}
        for i in f.ids:
            if i not in known:
                o.fail(i, "找不到该决定", "no such decision")
    if not rows:
        console.print(f"没有符合条件的决定，未{what_zh} / nothing selected")
        return rows, o
    shown, total_zh, total_en = rows, "应发合计", "in total"
    if amounts is not None:  # what the step pays: a paid decision's top-up, a re-payment's remainder
        due = amounts([r["id"] for r in rows])
        shown = [{**r, "amount_fen": due.get(r["id"], 0)} for r in rows]
        total_zh, total_en = "本次应付合计（已发放的为应补发金额）", "to pay now (top-ups for paid decisions)"
    console.print(f"将{what_zh} {len(rows)} 个决定，{total_zh} {_yuan(total_fen(shown))} 元 / "
                  f"about to {what_en} {len(rows)} decisions, {_yuan(total_fen(shown))} yuan {total_en}", soft_wrap=True)
    _print(_table(shown[:5]))
    if len(rows) > 5:
        console.print(f"……另有 {len(rows) - 5} 个 / and {len(rows) - 5} more")
    if not yes:
        if not _interactive():
            console.print("[red]✘ 未执行：批量操作须确认。请在终端中运行并确认，或加 --yes[/red]\n"
                          "  nothing done: a bulk action must be confirmed; run it in a terminal or add --yes")
            raise typer.Exit(2)
        if not typer.confirm("确认执行？/ proceed?", default=False):
            console.print("未执行 / nothing done")
            raise typer.Exit(1)
    return rows, o


def _allowed(action: str, r: dict[str, Any]) -> bool:
    t = TRANSITIONS[action]
    if not t.without_confirmation:
        return r["state"] in t.sources
    from .procedure import procedure

    return r["state"] in t.allowed(procedure(r["policy_doc"], r["program"]).confirmation_required)


def _split(action: str, rows: list[dict[str, Any]], o: Outcome) -> list[dict[str, Any]]:
    """Rows whose state allows ``action``; the others are skipped, grouped by their state."""
    ok = []
    for r in rows:
        if _allowed(action, r):
            ok.append(r)
        else:
            o.skip(r["id"], f"状态为“{state_zh(r['state'])}”，不能{TRANSITIONS[action].zh}",
                   f"'{r['state']}' does not allow {action}")
    return ok


def _settle(led: Ledger, ids: list[int], targets: set[str], o: Outcome,
            why: Callable[[dict[str, Any]], tuple[str, str]]) -> None:
    """After a set-based step: ids now in ``targets`` are done; for the others ``why`` says (zh, en)."""
    from .query import Filter

    if not ids:
        return
    for r in _find(led, Filter(ids=tuple(ids))):
        if r["state"] in targets:
            o.done.append(r["id"])
        else:
            zh, en = why(r)
            o.skip(r["id"], zh, en)


def _each(rows: list[dict[str, Any]], o: Outcome, step: Callable[[int], None]) -> None:
    """One transaction per decision: a refusal is recorded for that decision and the batch goes on."""
    for r in rows:
        try:
            step(r["id"])
        except LedgerError as e:
            o.refused(r["id"], e)
        else:
            o.done.append(r["id"])


def _one_or_many(decision_id: int | None, sel: dict[str, Any]) -> bool:
    """True for the bulk path; refuses a decision id together with a selection, or neither."""
    if decision_id is not None and _given(sel):
        _run(_refuse, "bad_input", "决定号与筛选条件（或 --ids）只能给出一种", "give a decision id or a selection, not both")
    if decision_id is None and not _given(sel):
        _run(_refuse, "bad_input", "请给出决定号，或筛选条件（--state、--region…）或 --ids 文件",
             "give a decision id, selection options or --ids FILE")
    return decision_id is None


@case_app.command("notify")
@_selectable(skip=("program", "year"))
def notify(program: str = typer.Argument(None, callback=_known_program,
                                         help="项目 / program（给出筛选条件或 --ids 时可省略）"),
           year: int = typer.Argument(None, min=YEAR_MIN, max=YEAR_MAX, help="年度 / year"),
           deadline: str = typer.Option(None, help="确认期限 YYYY-MM-DD（仅需确认的文件；过期只提醒，不视为放弃）"),
           channel: list[str] = typer.Option(["sms", "portal"], callback=_known_channels), db: str = DB, user: str = USER,
           sel: dict[str, Any] | None = None) -> None:
    """推送告知：需确认的文件推送确认信息，其余告知无需申请 / queue notices (an offer or information).

    给出项目和年度：告知其全部已筛查的决定（如前）；另给筛选条件或 --ids：只告知所选的，先列出并确认。"""
    assert sel is not None
    led = _open(db)
    if not _given(sel):
        if program is None or year is None:
            _run(_refuse, "bad_input", "请给出项目和年度，或筛选条件、--ids", "give PROGRAM YEAR, or a selection")
        n = _run(led.notify, program, year, user, deadline=_day(deadline, "确认期限 --deadline"), channels=channel)
        console.print(f"✔ 已告知 {n} {_whom(program)} / {n} notified")
        return
    f = _run(_filter, sel, program=program, year=year)
    rows, o = _select_for(led, f, "告知", "notify", sel["yes"])
    todo = _split("notify", rows, o)
    groups: dict[tuple[str, int], list[int]] = {}
    for r in todo:
        groups.setdefault((r["program"], r["year"]), []).append(r["id"])
    for (prog, yr), ids in groups.items():
        _run(led.notify, prog, yr, user, deadline=_day(deadline, "确认期限 --deadline"), channels=channel, decision_ids=ids)
    _settle(led, [r["id"] for r in todo], {"notified"}, o, lambda r: (
        f"状态已变为“{state_zh(r['state'])}”", f"now '{r['state']}'"))
    _report(o)


def _whom(program: str) -> str:
    """How a count of decisions is said: 个单位 for a unit program, 人 for a person program (技能提升补贴 …; person audit,
    session 38: “已告知 46 个单位” of 46 persons)."""
    from .notices import program_subject

    return "人" if program_subject(program) == "个人" else "个单位"


@case_app.command("remind")
def remind(program: Program, year: Year, today: str = typer.Option(None), channel: list[str] = typer.Option(["sms"], callback=_known_channels),
           db: str = DB, user: str = USER) -> None:
    """确认期限已过仍未确认的，提醒确认（不视为放弃）/ remind units past the confirmation deadline."""
    n = _run(_open(db).remind_unconfirmed, program, year, user, today=_day(today, "--today"), channels=channel)
    console.print(f"✔ 已提醒 {n} {_whom(program)} / {n} reminded")


@case_app.command("send")
def send(gateway: str = typer.Option(None, help="短信网关 URL；缺省写入文件"),
         out: Path = typer.Option(Path("outbox.jsonl")), db: str = DB, user: str = USER) -> None:
    """发送待发消息 / deliver the outbox."""
    from .notices import FileSender, HttpSender

    if gateway and not gateway.startswith(("http://", "https://")):
        _run(_refuse, "bad_input", f"短信网关应为 http:// 或 https:// 开头的 URL，而不是“{gateway}”",
             f"the gateway must be an http(s) URL, not {gateway!r}")
    if not gateway:
        try:  # the outbox file is appended to: can it be?
            out.open("a").close()
        except (OSError, ValueError) as exc:
            from wengang.inputs import os_error

            _run(_raise, os_error(exc, out, "待发消息文件 --out", "outbox file --out"))
    sender = HttpSender(gateway) if gateway else _run(FileSender, out)
    stats = _run(_open(db).deliver_outbox, sender, actor=user)
    console.print(f"✔ 发送 {stats['sent']} 条，失败重试 {stats['failed_attempts']} 次，放弃 {stats['gave_up']} 条 / "
                  f"sent {stats['sent']}, {stats['failed_attempts']} failed attempts, {stats['gave_up']} given up")
    if stats["remaining"]:  # failed and due again, or claimed by another sender: a later run takes them
        console.print(f"[yellow]仍有 {stats['remaining']} 条待发（发送失败待重试，或正由其他进程发送），"
                      f"请稍后以相同参数再次运行 wengang case send / {stats['remaining']} still to send: run the same command again later[/yellow]")
        raise typer.Exit(1)


@case_app.command("confirm")
@_selectable()
def confirm(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids 批量确认"),
            amount_fen: int = typer.Option(None, "--amount-fen", parser=_fen, help="确认金额（分，须与决定一致；仅单个决定）"),
            account: str = typer.Option(None, help="收款账户（仅单个决定）"),
            db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """单位确认接受（一个决定，或所选的一批）/ the unit confirms (one decision or a selection)."""
    assert sel is not None
    if not _one_or_many(decision_id, sel):
        led = _open(db)
        cid = _run(led.confirm, decision_id, user, amount_fen=amount_fen, account_no=account)
        console.print(f"✔ 决定 {decision_id} 已确认 / confirmed")
        told = _run(led.decision, decision_id)
        from .procedure import procedure

        if (note := procedure(told["policy_doc"], told["program"]).notice_only) is not None:
            console.print(f"  ℹ 按{note}，本决定无需单位确认：已登记为单位的回复；未回复的也直接进入初审 / this document asks "
                          "no confirmation: recorded as the unit's reply; decisions without one go to first review as well")
        if cid is not None:
            console.print(f"  提供的账户为变更申请 {cid}，须另一人复核（wengang case approve-account {cid}）/ "
                          f"the account given is change request {cid}, awaiting a second person's approval")
        return
    if amount_fen is not None or account:
        _run(_refuse, "bad_input", "--amount-fen 与 --account 只用于确认单个决定", "--amount-fen/--account are for one decision")
    led = _open(db)
    rows, o = _select_for(led, _run(_filter, sel), "确认", "confirm", sel["yes"])
    todo = [r["id"] for r in _split("confirm", rows, o)]
    if todo:
        _run(led.confirm_many, todo, user, reason="批量确认")
    _settle(led, todo, {"confirmed"}, o, lambda r: (
        "政策执行期限已届满，期限内未确认，视为放弃" if r["state"] == "notified" else f"状态已变为“{state_zh(r['state'])}”",
        "the policy period is over (waived)" if r["state"] == "notified" else f"now '{r['state']}'"))
    _report(o)


def _one_step_each(db: str, user: str, decision_id: int | None, sel: dict[str, Any], action: str, what_zh: str,
                   done: str, **kw: Any) -> None:
    """A step taken on one decision, or on each selected one (a transaction each, refusals reported, not fatal):
    the ledger method named ``action`` (decline, hold, release)."""
    if not _one_or_many(decision_id, sel):
        _run(getattr(_open(db), action), decision_id, user, **kw)
        console.print(f"✔ 决定 {decision_id} {done}")
        return
    led = _open(db)
    rows, o = _select_for(led, _run(_filter, sel), what_zh, action, sel["yes"])
    _each(_split(action, rows, o), o, lambda i: getattr(led, action)(i, user, **kw))
    _report(o)


@case_app.command("decline")
@_selectable()
def decline(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids"), reason: str = "单位选择放弃",
            db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """单位放弃（本年内可申领）/ the unit declines."""
    assert sel is not None
    _one_step_each(db, user, decision_id, sel, "decline", "登记放弃", "已放弃 / declined", reason=reason)


@case_app.command("waive")
def waive(program: Program, year: Year, today: str = typer.Option(None), db: str = DB, user: str = USER) -> None:
    """政策执行期限届满、期限内未确认且未主动申请的视为放弃（仅文件有此规定的）/ waive after the policy period."""
    n = _run(_open(db).waive_unconfirmed, program, year, user, today=_day(today, "--today"))
    console.print(f"✔ {n} 个视为放弃 / {n} waived")


APP = typer.Argument(..., help="wengang evaluate --json 的输出，或台账决定（DecisionIn）JSON")
FACTS = typer.Option(None, "--facts", help="判定时读取的事实文件（补充职业、等级、申请日期、名称）")
CLAIM = typer.Option(None, "--claim-key", help="职业代码:等级（技能提升补贴）")
YEAR = typer.Option(None, "--year", help="年度（默认取申请日期或审核日期所在年度）")
NAME = typer.Option(None, "--name", help="单位或个人名称")
ACCOUNT = typer.Option(None, "--account", help="收款账户")
CONTACT = typer.Option(None, "--contact", help="联系电话或网上经办平台账号")


def _decision(path: Path, facts: Path | None, claim_key: str | None, year: int | None, name: str | None,
              account: str | None, contact: str | None) -> DecisionIn:
    from .intake import decision_from_json, read_json

    dec = _run(decision_from_json, path, facts=facts, claim_key=claim_key, year=year, unit_name=name,
               account_no=account, contact=contact)
    _run(_reevaluated, _run(read_json, path, "申请文件"), facts, dec)
    return dec


def _reevaluated(body: Any, facts: Path | None, dec: DecisionIn) -> None:
    """An application that carries an evaluation (``wengang evaluate --json``) is registered only as the rules decide
    it (outside audit D4: an evaluation edited to 999,999元 was registered as it stood): its facts file is evaluated
    again — same program, region, date, fixed readings, drafts only if its document is one — and the conclusion, the
    amount and the document must be the same. Without the facts only a 技能提升补贴 is taken (the ledger bounds its
    amount by the level's standard: ``Ledger.apply_skill_subsidy``). A ``DecisionIn`` JSON (the ledger's own input,
    an amount nobody evaluated) is taken only for a 技能提升补贴, bounded the same way (outside audit B: a 稳岗返还 of
    99,999,900 分 written as a DecisionIn was registered as it stood)."""
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.money import format_yuan
    from wengang.programs import load_all

    from .intake import decided_base, packed_outcomes, read_json

    evaluation = isinstance(body, dict) and "subject_id" in body and "status" in body
    if dec.program == "skill_subsidy" and (facts is None or not evaluation):
        return
    if not evaluation:
        raise LedgerError("need_evaluation",
                          "申请须提交 wengang evaluate --json 的判定结果及其事实文件（--facts），台账按规则重新判定后登记；"
                          "台账决定（DecisionIn）格式的金额未经规则判定，不能作为申请登记（技能提升补贴除外，其金额以等级标准为限）",
                          "an application is the output of wengang evaluate --json with its facts file (--facts), "
                          "evaluated again by the ledger; a DecisionIn's amount was never evaluated and is not registered "
                          "as an application (except a skill subsidy, bounded by its level's standard)")
    if facts is None:
        raise LedgerError("need_facts", "判定结果须与其事实文件一并提交（--facts）：台账按规则重新判定后登记，金额以规则结果为准",
                          "an evaluation is registered with its facts file (--facts): the ledger evaluates it again "
                          "and takes the rules' amount")
    fx = dict(read_json(facts, "事实文件"))
    fx.pop("_case", None)
    policy = body.get("policy") or {}
    load_all()  # the interpretation switches the fixed readings name
    try:
        again = evaluate(str(body.get("program")), str(body.get("region")), parse_date(body.get("date"), "判定日期", "date"),
                         fx, readings=dict(body.get("readings_fixed") or {}),
                         include_drafts=policy.get("status") == "draft").to_dict()
    except InvalidFacts as exc:
        raise LedgerError("bad_input", "事实文件无法重新判定：" + exc.text(), "the facts file cannot be evaluated again") from None
    except (ValueError, KeyError, LookupError) as exc:
        raise LedgerError("bad_input", f"事实文件无法重新判定：{exc}", f"the facts file cannot be evaluated again: {exc}") from None
    mine = (body.get("status"), body.get("amount_fen"), policy.get("number"), str(body.get("subject_id")))
    rules = (again.get("status"), again.get("amount_fen"), (again.get("policy") or {}).get("number"),
             str(again.get("subject_id")))
    if mine == rules and dec.outcomes != packed_outcomes(again):  # a 待认定's results by reading are the rules' too
        raise LedgerError("evaluation_mismatch",
                          "申请文件中各政策理解下的结果（outcomes）与按规则重新判定事实文件的结果不符，不予登记："
                          "请用 wengang evaluate --json 重新判定",
                          "the application's results by reading (outcomes) differ from the rules' evaluation of its "
                          "facts; not registered: evaluate again with wengang evaluate --json")
    base = decided_base(again)  # the 返还基数 a letter states and a resize rescales
    if mine == rules and dec.base_fen != base:
        shown = [format_yuan(b) if b is not None else "—" for b in (dec.base_fen, base)]
        raise LedgerError("evaluation_mismatch",
                          f"申请文件的返还基数（{shown[0]}）与按规则重新判定事实文件的返还基数（{shown[1]}）不符，不予登记："
                          "请用 wengang evaluate --json 重新判定",
                          f"the application's refund base ({dec.base_fen} fen) differs from the rules' ({base} fen); "
                          "not registered: evaluate again with wengang evaluate --json")
    if mine != rules:
        def said(v: tuple[Any, ...]) -> str:
            return f"{v[0]}，金额 {format_yuan(v[1]) if v[1] is not None else '—'}，依据 {v[2] or '—'}，对象 {v[3]}"

        raise LedgerError(
            "evaluation_mismatch",
            f"申请文件的判定结果（{said(mine)}）与按规则重新判定事实文件的结果（{said(rules)}）不符，不予登记："
            "请用 wengang evaluate --json 重新判定（判定时使用 --setting 假设值或 --region-data 的结果不能据以登记）",
            f"the application's evaluation ({mine[0]}, {mine[1]} fen, {mine[2]}) differs from the rules' evaluation of "
            f"its facts ({rules[0]}, {rules[1]} fen, {rules[2]}); not registered: evaluate again with wengang evaluate "
            "--json")


@case_app.command("self-apply")
def self_apply(path: Path = APP, facts: Path = FACTS, claim_key: str = CLAIM, year: int = YEAR, name: str = NAME,
               account: str = ACCOUNT, contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """自主申请 / self-application (wengang evaluate --json output or a DecisionIn JSON)."""
    led = _open(db)
    dec = _decision(path, facts, claim_key, year, name, account, contact)
    before = _existing(led, dec)
    did = _run(led.self_apply, dec, user)
    _registered(led, did, before)


@case_app.command("dispatch-apply")
def dispatch_apply(path: Path = typer.Argument(..., help='{"decision": {...}, "allocations": [...]}'),
                   facts: Path = FACTS, year: int = YEAR, name: str = NAME, account: str = ACCOUNT,
                   contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """劳务派遣单位申请（含用工单位分配）/ dispatch-firm application with user-unit allocations.

    ``decision`` is wengang evaluate --json output or a DecisionIn."""
    from .intake import decision_from_obj, read_json
    from .models import AllocationIn

    body = _run(read_json, path, "申请文件")
    if not isinstance(body, dict) or "decision" not in body or "allocations" not in body:
        _run(_refuse, "bad_input", '派遣单位申请文件应为 {"decision": …, "allocations": […]}',
             'the dispatch application must be {"decision": ..., "allocations": [...]}')
    fx = _run(read_json, facts, "事实文件") if facts else None
    dec = _run(decision_from_obj, body["decision"], facts=fx, year=year, unit_name=name, account_no=account,
               contact=contact)
    _run(_reevaluated, body["decision"], facts, dec)  # the rules' amount, as for self-apply
    try:
        allocations = [AllocationIn(**a) for a in body["allocations"]]
    except TypeError as exc:
        _run(_refuse, "bad_input", f"用工单位分配格式有误（{exc}）", f"bad allocation: {exc}")
    did = _run(_open(db).apply_dispatch, dec, allocations, user)
    console.print(f"✔ 派遣单位申请已登记，决定 {did} / decision {did}")


@case_app.command("skill-apply")
def skill_apply(path: Path = APP, facts: Path = FACTS, claim_key: str = CLAIM, year: int = YEAR, name: str = NAME,
                account: str = ACCOUNT, contact: str = CONTACT, db: str = DB, user: str = USER) -> None:
    """技能提升补贴申请 / skill-subsidy application (wengang evaluate --json output, with --facts or --claim-key).

    判定结果按事实文件重新判定后登记；--account 登记为账户变更申请，须另一人复核后生效 / the evaluation is checked by
    evaluating its facts again; --account is an account change request a second person approves."""
    led = _open(db)
    dec = _decision(path, facts, claim_key, year, name, account, contact)
    before = _existing(led, dec)
    did = _run(led.apply_skill_subsidy, dec, user)
    _registered(led, did, before)
    _account_requested(led, did, account)


def _existing(led: Ledger, dec: Any) -> tuple[int, str] | None:
    """The decision an application would be registered as and its state, if the ledger has it already."""
    did = led.find(program=dec.program, year=dec.year, unit_id=dec.unit_id, claim_key=dec.claim_key or "")
    return None if did is None else (did, led.decision(did)["state"])


def _registered(led: Ledger, did: int, before: tuple[int, str] | None) -> None:
    """Say what an application did: a new decision, an existing one moved on (a screened unit applying, a decliner
    applying again), or the same application again, which changes nothing (outside audit F7, session 37)."""
    from .states import STATE_ZH

    state = led.decision(did)["state"]
    if (before is None or before[0] != did) and state == "pending_determination":
        console.print(f"✔ 申请已登记，决定 {did}：结论取决于尚未认定的政策理解（待认定），认定后初审"
                      f"（wengang case show {did} 查看各理解下的结果；wengang case adopt {did} --reading 开关=理解 --reason …）"
                      f" / decision {did} registered as needs_decision: settle the reading (case adopt), then review")
    elif before is None or before[0] != did:
        console.print(f"✔ 申请已登记，决定 {did} / decision {did}")
    elif before[1] != state:
        console.print(f"✔ 申请已登记：决定 {did} 由“{STATE_ZH.get(before[1], before[1])}”转为“{STATE_ZH.get(state, state)}”"
                      f" / decision {did}: {before[1]} → {state}")
    else:
        console.print(f"✔ 该申请此前已登记（决定 {did}，{STATE_ZH.get(state, state)}），未重复登记 / already registered as "
                      f"decision {did}")


def _account_requested(led: Ledger, did: int, account: str | None) -> None:
    """Say that an account given with an application is a change request awaiting a second person (the ledger's
    ``_account_at_application``), with the account masked."""
    if not account:
        return
    for c in led.account_changes(decision_id=did):
        console.print(f"  提供的收款账户 {_mask_account(c['account_no'])} 为变更申请 {c['id']}，须申请人以外的人员复核后生效"
                      f"（wengang case approve-account {c['id']}），此前不予发放 / the account given is change request "
                      f"{c['id']}, awaiting a second person's approval (not paid until then)")


@case_app.command("resolve")
@_selectable()
def resolve(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids"),
            eligible: bool = typer.Option(..., "--eligible/--ineligible"),
            amount_fen: int = typer.Option(None, min=0, callback=_fits_bigint, help="认定金额（分；仅单个决定，批量时用各决定自己的金额）"),
            reason: str = typer.Option(...), db: str = DB, user: str = USER,
            sel: dict[str, Any] | None = None) -> None:
    """待认定 → 人工认定 / resolve a needs-decision case (or a selection)."""
    assert sel is not None
    if not _one_or_many(decision_id, sel):
        _run(_open(db).resolve, decision_id, user, eligible=eligible, amount_fen=amount_fen, reason=reason)
        console.print(f"✔ 决定 {decision_id} 已认定 / resolved")
        return
    if amount_fen is not None:
        _run(_refuse, "bad_input", "--amount-fen 只用于单个决定；批量认定符合条件时用各决定自己的金额",
             "--amount-fen is for one decision; a bulk --eligible keeps each decision's own amount")
    led = _open(db)
    rows, o = _select_for(led, _run(_filter, sel), "认定为" + ("符合条件" if eligible else "不符合条件"),
                          "resolve", sel["yes"])
    todo = _split("resolve", rows, o)
    if eligible:
        for r in [r for r in todo if r["amount_fen"] is None]:
            o.fail(r["id"], "没有金额，须逐个认定并给出 --amount-fen", "no amount: resolve it alone with --amount-fen")
        todo = [r for r in todo if r["amount_fen"] is not None]
    amounts = {r["id"]: r["amount_fen"] for r in todo}
    _each(todo, o, lambda i: led.resolve(i, user, eligible=eligible, amount_fen=amounts[i] if eligible else None,
                                         reason=reason))
    _report(o)


@case_app.command("adopt")
@_selectable()
def adopt(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids"),
          reading: list[str] = typer.Option(..., "--reading", help="认定的政策理解：名称=取值（可多次）"),
          reason: str = typer.Option("", help="认定的依据（如会议纪要、请示批复文号）"), db: str = DB, user: str = USER,
          sel: dict[str, Any] | None = None) -> None:
    """待认定 → 认定政策理解，按规则在该理解下的结果认定（金额为规则结果）/ adopt readings: each 待认定 decision takes
    the rules' result under them (its kept results by reading)."""
    from wengang.rules import interpretations

    assert sel is not None
    try:
        readings = interpretations.parse_fixed(reading)
    except (ValueError, KeyError) as exc:
        _run(_refuse, "bad_input", str(exc).strip("'\""), str(exc).strip("'\""))
    led = _open(db)
    if not _one_or_many(decision_id, sel):
        status, amount = _run(led.adopt_readings, decision_id, user, readings=readings, reason=reason)
        said = f"符合条件，{_yuan(amount)} 元" if status == "eligible" and amount is not None else "不符合条件"
        console.print(f"✔ 决定 {decision_id} 已按认定的政策理解认定：{said} / resolved under the adopted readings")
        return
    rows, o = _select_for(led, _run(_filter, sel), "按认定的政策理解认定", "adopt", sel["yes"])
    _each(_split("resolve", rows, o), o, lambda i: led.adopt_readings(i, user, readings=readings, reason=reason))
    _report(o)


@case_app.command("review")
@_selectable()
def review(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids 批量审核"),
           stage: int = typer.Option(..., min=1, max=2, help="1 初审 / 2 复审"),
           approve: bool = typer.Option(..., "--approve/--reject"), reason: str = typer.Option(...),
           db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """初审 / 复审（复审须另一人）/ first or second review (one decision or a selection)."""
    assert sel is not None
    if stage not in (1, 2):
        _run(_refuse, "bad_stage", "--stage 只能是 1（初审）或 2（复审）", "--stage must be 1 or 2")
    led = _open(db)
    if not _one_or_many(decision_id, sel):
        _run(led.first_review if stage == 1 else led.second_review, decision_id, user, approve=approve, reason=reason)
        console.print(f"✔ 决定 {decision_id} 第 {stage} 次审核完成 / reviewed")
        return
    action = "first_review" if stage == 1 else "second_review"
    verb = ("初审" if stage == 1 else "复审") + ("通过" if approve else "不通过")
    rows, o = _select_for(led, _run(_filter, sel), verb, f"{action} ({'approve' if approve else 'reject'})", sel["yes"])
    todo = _split(action, rows, o)
    if stage == 2 and todo:  # two-person rule: the ledger skips them too; say so here
        first = _first_reviewers(led, [r["id"] for r in todo])
        for r in [r for r in todo if first.get(r["id"]) == user]:
            o.skip(r["id"], f"复审须由初审人（{user}）以外的人员进行",
                   "the second review must be done by someone other than the first reviewer")
        todo = [r for r in todo if first.get(r["id"]) != user]
    ids = [r["id"] for r in todo]
    if ids:
        _run(led.review_many, ids, user, stage=stage, approve=approve, reason=reason)
    target = ("first_reviewed" if stage == 1 else "approved") if approve else "rejected"
    _settle(led, ids, {target}, o, lambda r: (f"状态已变为“{state_zh(r['state'])}”", f"now '{r['state']}'"))
    _report(o)


def _first_reviewers(led: Ledger, ids: list[int]) -> dict[int, str]:
    from sqlalchemy import select

    from .models import Review
    from .query import ID_CHUNK

    V = Review.__table__.c
    out: dict[int, str] = {}
    for i in range(0, len(ids), ID_CHUNK):
        part = ids[i:i + ID_CHUNK]
        out |= {r["decision_id"]: r["reviewer"] for r in led.read(
            select(V.decision_id, V.reviewer).where(V.decision_id.in_(part), V.stage == 1))}
    return out


@case_app.command("hold")
@_selectable()
def hold(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids"),
         reason: str = typer.Option(..., help="暂缓理由（必填）：缓缴未补足写明缓缴，输入数据待核实写明哪一行、有何问题；解除时按理由办理 / "
                                              "why (required): a deferral names 缓缴, a row to verify names the row; "
                                              "the release asks what the reason asks"),
         db: str = DB, user: str = USER,
         sel: dict[str, Any] | None = None) -> None:
    """暂缓发放 / hold payment."""
    assert sel is not None
    _one_step_each(db, user, decision_id, sel, "hold", "暂缓发放", "暂缓发放 / held", reason=reason)


@case_app.command("release")
@_selectable()
def release(decision_id: int = typer.Argument(None, min=1, callback=_fits_bigint, help="决定号；或用筛选条件、--ids"),
            reason: str = typer.Option(None, help="解除理由：核实了什么、结论如何。仅缓缴暂缓可省略（即“已补足缓缴的失业保险费”）；"
                                                  "因输入数据有误暂缓的须写明，并由复核人员办理 / why: required unless the hold "
                                                  "is a deferral only (then: the firm paid up)"),
            db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """解除暂缓（所需理由和人员取决于暂缓原因）/ release a hold (what it needs depends on why it is held)."""
    assert sel is not None
    _one_step_each(db, user, decision_id, sel, "release", "解除暂缓", "解除暂缓 / released", reason=reason)


@case_app.command("revoke")
def revoke(decision_id: DecisionId,
           reason: str = typer.Option(..., help="撤销理由（写入不予发放决定书，收件人可读）/ the reason (goes into the letter)"),
           db: str = DB, user: str = USER) -> None:
    """撤销核准，不予发放（风险疑点经稽核核实；复核，非核实者）/ revoke an approval a confirmed risk flag stops."""
    res = _run(_open(db).revoke, decision_id, user, reason=reason)
    flags = "、".join(map(str, res.flag_ids))
    withdrawn = f"；撤回未报盘的付款 {'、'.join(map(str, res.withdrawn))}" if res.withdrawn else ""
    console.print(f"✔ 决定 {decision_id} 已撤销核准，不予发放（风险疑点 {flags} 已核实）{withdrawn}；状态 {state_zh(res.state)}。"
                  f"不予发放决定书：wengang case letters {decision_id} / decision {decision_id} revoked, not paid (risk flags "
                  f"{res.flag_ids} confirmed)" + (f"; withdrawn {res.withdrawn}" if res.withdrawn else ""))


@case_app.command("publicize")
@_selectable(skip=("program", "year"))
def publicize(list_key: str, program: Program, year: Year, starts: str = typer.Option(...),
              days: int = typer.Option(7, min=1, max=365, help="公示天数 / days"),
              late_reason: str = typer.Option("", "--late-reason", help="补录此前已张贴的公示：张贴地点和日期（开始日期早于今天3天以上时必填）"
                                                                         " / a list posted earlier: where and when"),
              db: str = DB, user: str = USER, sel: dict[str, Any] | None = None) -> None:
    """公示复审通过的名单（全部，或所选的）/ put approved decisions on a 公示 list."""
    from .ledger import check_publicity_start

    assert sel is not None
    starts_on = _day(starts, "公示开始日期 --starts")
    _run(check_publicity_start, starts_on, late_reason)  # before anything is opened or selected
    late = late_reason.strip() or None
    led = _open(db)
    from .operators import require

    _run(require, led, user, "publicize")  # the role first: not “成功 0，跳过 11” to a 复核 (outside casework audit D7)
    if not _given(sel):
        _after_review(led, program, year, starts_on, late)
        n = _run(led.publicize, list_key, program, year, user, starts_on=starts_on, days=days, late_reason=late)
        console.print(f"✔ 公示 {n} {_whom(program)} / {n} publicized")
        return
    rows, o = _select_for(led, _run(_filter, sel, program=program, year=year), f"列入公示名单 {list_key}",
                          f"publicize on {list_key}", sel["yes"])
    ids = [r["id"] for r in _split("publicize", rows, o)]
    # on a list already (back to 复审通过 after a hold was released): said so, not put on a second list
    listed = led.on_publicity_lists(ids) if ids else {}
    for did, key in sorted(listed.items()):
        o.skip(did, f"已在公示名单 {key} 中（每个决定只列入一份公示名单），未重复列入",
               f"already on 公示 list {key}; not listed twice")
    ids = [i for i in ids if i not in listed]
    if ids:
        _after_review(led, program, year, starts_on, late, ids)
        _run(led.publicize, list_key, program, year, user, starts_on=starts_on, days=days, decision_ids=ids,
             late_reason=late)
    _settle(led, ids, {"publicized"}, o, lambda r: (f"状态已变为“{state_zh(r['state'])}”", f"now '{r['state']}'"))
    _report(o)


def _after_review(led: Ledger, program: str, year: int, starts_on: date | None, late: str | None,
                  ids: list[int] | None = None) -> None:
    """A 公示 starting before the 复审 of what it lists is refused; one recorded after the fact (``--late-reason``: a
    paper list posted then, entered now — the README's walk replays 2025 so) is taken with a warning, the operator's
    statement of when and where in its audit event."""
    assert starts_on is not None
    if not late:
        _run(led.check_publicity_after_review, program, year, starts_on, ids)
        return
    try:
        led.check_publicity_after_review(program, year, starts_on, ids)
    except LedgerError as e:
        console.print(f"[yellow]⚠ {e.zh}；按 --late-reason 补录（{escape(late)}），由经办人负责核实 / {e.en}; "
                      "recorded as stated by --late-reason[/yellow]", highlight=False, soft_wrap=True)


@case_app.command("pay")
@_selectable(skip=("program", "year"))
def pay(batch_key: str, program: Program, year: Year, today: str = typer.Option(None), db: str = DB, user: str = USER,
        sel: dict[str, Any] | None = None) -> None:
    """发放一个批次（可重复执行，中断后续跑；可只发所选的）/ run a payment batch (idempotent, resumable)."""
    assert sel is not None
    day = _day(today, "--today")
    led = _open(db)
    if not _given(sel):
        res = _run(led.run_payment_batch, batch_key, program, year, user, today=day)
        console.print(f"✔ 本次发放 {res.paid} {_whom(program)}，共 {_yuan(res.amount_fen)} 元 / paid {res.paid}, "
                      f"{_yuan(res.amount_fen)} yuan")
        _unpaid_line(res)
        _batch_notes(res)
        return
    rows, o = _select_for(led, _run(_filter, sel, program=program, year=year), f"发放（批次 {batch_key}）",
                          f"pay in batch {batch_key}", sel["yes"], amounts=led.amounts_due)
    from .ledger import payment_reference

    # a paid decision owed a 多退少补 top-up is paid by a selected run as by an unselected one (the batch pays the
    # top-ups due of the decisions it is given); a paid decision with nothing due is skipped as before
    due = led.top_ups_due([r["id"] for r in rows if r["state"] == "paid"])
    cand = [r for r in rows if r["id"] not in due]
    ids = [r["id"] for r in cand if _allowed("pay", r)]
    # the others go to the ledger too: one whose state was changed behind the ledger is said to differ from its
    # events (and the run signs no checkpoint), not to be in the state the edit gave it (outside audit aud4 F4)
    blocked = [r for r in cand if not _allowed("pay", r)]
    before = {did: _top_ups(led, did) for did in due}
    batch_id = None
    differs: dict[int, Any] = {}
    res = None
    if ids or due or blocked:
        res = _run(led.run_payment_batch, batch_key, program, year, user, today=day,
                   decision_ids=sorted([*ids, *due, *(r["id"] for r in blocked)]))
        _batch_notes(res, stop=False)
        batch_id = res.batch_id
        differs = dict(res.unverified)
    for r in blocked:
        if r["id"] in differs:
            o.skip(r["id"], f"台账记录与审计事件不符，不予发放：{differs[r['id']].zh}",
                   f"its stored row differs from its audit events; not paid: {differs[r['id']].en}")
        else:
            o.skip(r["id"], f"状态为“{state_zh(r['state'])}”，不能{TRANSITIONS['pay'].zh}",
                   f"'{r['state']}' does not allow pay")
    for did, fen in sorted(due.items()):
        new = [p for p in _top_ups(led, did) if p["id"] not in before[did]]
        # this batch's own payment rows: a top-up another process paid meanwhile is said so, not credited to this
        # batch (outside casework audit D3, session 42: two concurrent top-up runs both reported success)
        paid_now = [p for p in new if batch_id is not None and p["batch_id"] == batch_id]
        if new and not paid_now:
            o.skip(did, "已由另一批次补发（本批未重复补发）", "topped up by another batch (not paid again here)")
            continue
        if paid_now:
            o.done.append(did)
            refs = "、".join(payment_reference(did, p["seq"], p["kind"]) for p in paid_now)
            console.print(f"  决定 {did}：补发 {_yuan(sum(p['amount_fen'] for p in paid_now))} 元（付款 {refs}）/ "
                          f"decision {did}: top-up of {_yuan(fen)} yuan paid ({refs})")
        else:
            zh, en = _top_up_held(led, did)
            o.skip(did, f"已发放，有应补发的 {_yuan(fen)} 元，本批未补发：{zh}",
                   f"paid, a top-up of {_yuan(fen)} yuan is due, not paid in this batch: {en}")
    holds = led.risk_holds(ids) if ids else {}
    # why each one left unpaid was left (the ledger's own checks, in the batch's order: Ledger.unpaid_reasons)
    reasons = led.unpaid_reasons(ids, program, year, user, today=day) if ids else {}

    def why(r: dict[str, Any]) -> tuple[str, str]:
        hold = holds.get(r["id"])
        if hold is not None and len(ids) == 1:  # one decision: name its flags
            return f"暂不能发放：{hold.zh}", f"not payable: {hold.en}"
        if r["id"] in reasons:
            zh, en = reasons[r["id"]]
            return f"暂不能发放：{zh}", f"not payable: {en}"
        return _not_payable(r)

    # paid by this batch: its own payment rows, not any decision now paid — another batch run at the same time (a
    # second shell) may have paid some of the selection; those are said so, not counted here (outside audit F2)
    mine = _paid_in_batch(led, batch_id, ids)
    by_other = ("已由另一批次发放（本批未重复发放）", "paid by another batch (not paid again here)")
    _settle(led, [i for i in ids if i in mine], {"paid"}, o, why)
    _settle(led, [i for i in ids if i not in mine], set(), o, lambda r: by_other if r["state"] == "paid" else why(r))
    _report(o)
    if res is not None and (res.refused or res.tampered):  # refused as tampered: exit 1, as without --ids
        raise typer.Exit(1)


def _paid_in_batch(led: Ledger, batch_id: int | None, ids: list[int]) -> set[int]:
    """Those of ``ids`` with an initial payment in batch ``batch_id``."""
    if batch_id is None or not ids:
        return set()
    from sqlalchemy import select

    from .models import Payment

    P = Payment.__table__.c
    found: set[int] = set()
    for i in range(0, len(ids), 5_000):
        part = ids[i:i + 5_000]
        found |= {r["decision_id"] for r in led.read(select(P.decision_id).where(
            P.batch_id == batch_id, P.kind == "initial", P.decision_id.in_(part)))}
    return found


def _unpaid_line(res: Any) -> None:
    """Every candidate of the batch left unpaid, by reason (``BatchResult.unpaid``): with the paid ones they are all
    the decisions the batch could have paid."""
    from .ledger import UNPAID_REASONS

    if not res.unpaid:
        return
    n = sum(res.unpaid.values())
    zh = "，".join(f"{UNPAID_REASONS[k][0]} {v} 个" for k, v in res.unpaid.items())
    en = "; ".join(f"{UNPAID_REASONS[k][1]}: {v}" for k, v in res.unpaid.items())
    console.print(f"  未发放 {n} 个：{zh} / {n} not paid: {en}")


def _top_ups(led: Ledger, did: int) -> list[dict[str, Any]]:
    return [p for p in led.decision(did)["payments"] if p["kind"] == "supplement"]


def _top_up_held(led: Ledger, did: int) -> tuple[str, str]:
    """Why a top-up due was not paid by a batch given its decision (the ledger's ``_supplement_due``)."""
    hold = led.risk_holds([did]).get(did)
    if hold is not None:
        return f"风险疑点未经稽核排除（{hold.zh}）", f"a risk flag holds it ({hold.en})"
    d = led.decision(did)
    if d["top_up_bounced"]:
        return "补发退回，待更正账户（case fix-account，须另一人复核）", "the top-up bounced: waiting for an account change"
    if led.account_changes(decision_id=did):
        return "账户变更待复核", "an account change awaits approval"
    if not d["account_no"]:
        return "缺少收款账户", "no account"
    return ("本人初审、复审或核定了该决定，须由另一名出纳补发",
            "you reviewed or resized it: another payer must pay the top-up")


def _batch_notes(res: Any, *, stop: bool = True) -> None:
    """What a payment batch left unpaid and why: reviewed by the payer, an account change awaiting approval, a
    risk flag not cleared, or a stored row that differs from its audit events (refused; exit 1)."""
    n = res.reviewed_by_payer
    if n:
        console.print(f"[yellow]! {n} 个决定由本人初审或复审，未发放，须由另一名出纳发放 / "
                      f"{n} not paid: you reviewed them; another payer must pay[/yellow]")
    if res.pending_account:
        console.print(f"  账户变更待复核、暂不发放 {res.pending_account} 个 / {res.pending_account} wait for an account approval")
    # 人社部发〔2024〕40号 六; 内人社发〔2025〕18号 五: a flag not cleared by the 稽核 holds the payment (ledger._risk_flagged)
    if res.risk_open:
        console.print(f"[yellow]! 风险疑点待核查 {res.risk_open} 个，暂不发放（须经稽核排除：wengang risk list）/ "
                      f"{res.risk_open} held: a risk flag awaits the 稽核's review[/yellow]")
    if res.risk_confirmed:
        console.print(f"[yellow]! 风险疑点已核实 {res.risk_confirmed} 个，不予发放（已核实的疑点不再排除：由核实者以外的复核"
                      "人员撤销核准 wengang case revoke 决定号 --reason …；case show 查看）/ "
                      f"{res.risk_confirmed} not paid: a risk flag was confirmed (never cleared); a reviewer other than "
                      "who confirmed it revokes the approval: wengang case revoke ID --reason …[/yellow]")
    if res.supplement_awaiting_account:
        n = res.supplement_awaiting_account
        console.print(f"  补发退回待更正账户 {n} 个（case fix-account，须另一人复核）/ {n} top-ups bounced, waiting for "
                      "an account change")
    for did, issue in [*res.refused, *res.unverified]:
        console.print(f"[red]✘ 决定 {did} 未发放：台账记录与审计事件不符 {issue}[/red]")
    if res.refused:
        console.print(f"[red]✘ {len(res.refused)} 个决定因记录与审计事件不符被拒付，请运行 wengang audit verify / "
                      f"{len(res.refused)} refused: stored rows differ from the audit events[/red]")
    if res.tampered:
        # the others were paid; the ledger as a whole fails verification, and no checkpoint is signed over it
        shown = "、".join(map(str, res.tampered[:20])) + (" …" if len(res.tampered) > 20 else "")
        console.print(f"[yellow]⚠ 台账未通过校验：决定 {shown} 的台账记录与其审计事件不符，不予发放（wengang audit verify 将报告"
                      "校验失败）；本次不签署新的检查点，请先查明并处理 / the ledger fails verification: decisions "
                      f"{shown} differ from their audit events and are not paid; no new checkpoint is signed[/yellow]")
    if (res.refused or res.tampered) and stop:
        raise typer.Exit(1)


def _not_payable(r: dict[str, Any]) -> tuple[str, str]:
    """Why a selected decision was left out of the batch (the ledger holds what it cannot pay)."""
    from .states import PUBLICITY_PROGRAMS

    if not r["has_account"]:
        return "暂不能发放：缺少收款账户", "not payable: no account"
    if not r["amount_fen"]:
        return "暂不能发放：金额为零", "not payable: zero amount"
    if r["program"] in PUBLICITY_PROGRAMS and r["state"] != "account_fixed":
        return "暂不能发放：未公示或公示期未满", "not payable: 公示 not over"
    return f"状态为“{state_zh(r['state'])}”", f"'{r['state']}'"


@case_app.command("bounce")
def bounce(payment_id: RecordId, reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """登记银行退回 / record a bounced payment."""
    _run(_open(db).record_bounce, payment_id, user, reason=reason)
    console.print(f"✔ 支付 {payment_id} 已登记退回 / bounced")


@case_app.command("credit-check")
def credit_check(decision_id: DecisionId,
                 credited: bool = typer.Option(..., "--credited/--not-credited",
                                               help="银行确认已入账 / 银行更正为未入账 / the credit stands, or the bank "
                                                    "corrected it"),
                 reason: str = typer.Option(..., help="核实情况，如银行的书面确认或更正 / how it was checked"),
                 payment: int = typer.Option(None, "--payment", min=1, callback=_fits_bigint,
                                             help="支付编号（决定有多笔待核实时）/ payment id, if several"),
                 db: str = DB, user: str = USER) -> None:
    """核实退回后的银行入账（可能重复支付）并登记结果（复核，非登记退回者）/ record the check of a bank credit after a bounce."""
    res = _run(_open(db).check_credit_after_bounce, decision_id, user, credited=credited, reason=reason,
               payment_id=payment)
    if not res.credited:
        console.print(f"✔ 已核实：银行更正，支付 {res.payment_id} 未入账，退回成立，解除暂停发放（状态 {state_zh(res.state)}）/ "
                      f"checked: the bank corrected its line; the bounce of payment {res.payment_id} stands, the stop "
                      "is lifted")
        return
    parts = [f"支付 {res.payment_id} 已核实入账，退回作废，决定 {decision_id} 计为{state_zh(res.state)}"]
    if res.withdrawn:
        parts.append(f"撤回尚未报盘的重发付款 {'、'.join(map(str, res.withdrawn))}")
    if res.recovery_id is not None:
        parts.append(f"重复支付 {_yuan(res.recovery_fen)} 元，已开追回单 {res.recovery_id}"
                     f"（到账后 case recovery-received {res.recovery_id} {res.recovery_fen}）")
    console.print(f"✔ {'；'.join(parts)} / checked: payment {res.payment_id} was credited, the decision counts as paid"
                  + (f"; withdrawn {res.withdrawn}" if res.withdrawn else "")
                  + (f"; recovery {res.recovery_id} of {res.recovery_fen} fen" if res.recovery_id is not None else ""))


@case_app.command("resize")
def resize(decision_id: DecisionId, size_class: str,
           amount_fen: Annotated[int | None, typer.Argument(parser=lambda v: _fen(v, "金额（分）"), help=(
               "可省略：按规则换算的金额（分）；给出时须在规则金额范围内（缴费基数已知时的准确金额）/ optional: the rules' "
               "amount in fen, checked"))] = None,
           reason: str = typer.Option(...), db: str = DB, user: str = USER) -> None:
    """划型变更，多退少补：金额按新划型的返还比例由规则换算 / size-class change: the rules' amount for the new class."""
    from .query import parse_size_class

    cls = _run(parse_size_class, size_class)
    res = _run(_open(db).change_size_class, decision_id, user, new_size_class=cls,
               new_amount_fen=amount_fen, reason=reason)
    old, new = res.old_amount_fen or 0, res.new_amount_fen or 0
    if new == old:
        parts = [f"应享受金额未变，仍为 {_yuan(new)} 元"]
        en = [f"entitlement unchanged: {_yuan(new)} yuan"]
    else:
        change = f"核减 {_yuan(old - new)} 元" if new < old else f"核增 {_yuan(new - old)} 元"
        change_en = f"lowered by {_yuan(old - new)} yuan" if new < old else f"raised by {_yuan(new - old)} yuan"
        parts = [f"应享受金额由 {_yuan(old)} 元{change}，为 {_yuan(new)} 元"]
        en = [f"entitlement {_yuan(old)} → {_yuan(new)} yuan ({change_en})"]
    if res.rules_basis:
        parts.append(f"依据：{res.rules_basis}")
    if not res.settled:
        parts.append(f"决定尚无已发放的款项（未发放，或退回待重发）：不涉及多退少补，发放时按新金额 {_yuan(new)} 元发放")
        en.append(f"nothing paid yet (not paid, or bounced): no settlement; it will be paid {_yuan(new)} yuan")
    if res.cancelled_recovery_ids:
        ids = "、".join(map(str, res.cancelled_recovery_ids))
        parts.append(f"此前未到账的追回单 {ids}（{_yuan(res.cancelled_recovery_fen)} 元）已撤销，按新金额重新计算多退少补")
        en.append(f"unreceived recovery orders {ids} ({_yuan(res.cancelled_recovery_fen)} yuan) cancelled and reckoned again")
    if res.raised_recovery_ids:
        ids = "、".join(map(str, res.raised_recovery_ids))
        parts.append(f"已核实的风险疑点此前因该追回占用而未足额追回的，补足追回 {_yuan(res.raised_recovery_fen)} 元（追回单 {ids}）")
        en.append(f"confirmed risk flags' recoveries the cancelled orders had capped raised by "
                  f"{_yuan(res.raised_recovery_fen)} yuan (orders {ids})")
    if res.withdrawn:
        refs = "、".join(res.withdrawn_refs) or "、".join(map(str, res.withdrawn))
        parts.append(f"未报盘的付款 {refs} 已撤回，不再发放（下一批按新金额发放尚应发的部分）")
        en.append(f"unsent payments {refs} withdrawn (the next batch pays what is still due)")
    if res.supplement_due_fen:
        parts.append(f"应补发 {_yuan(res.supplement_due_fen)} 元，由出纳在本项目本年度的下一批发放中支付")
        en.append(f"top-up due {_yuan(res.supplement_due_fen)} yuan (paid by the next batch)")
    if res.recovery_id is not None:
        parts.append(f"多退少补：已开追回单 {res.recovery_id}，追回 {_yuan(res.recovery_fen)} 元")
        en.append(f"recovery order {res.recovery_id} of {_yuan(res.recovery_fen)} yuan")
    if res.awaiting_bank:
        parts.append(f"付款 {'、'.join(res.awaiting_bank)} 已报盘、银行尚未回盘：回盘后按实际入账金额确定追回")
        en.append(f"the recovery waits for the bank on {'、'.join(res.awaiting_bank)}")
    if res.no_recovery_zh:
        parts.append(f"已发放金额高于新金额，但无须再追回：{res.no_recovery_zh}")
        en.append(f"paid above the new amount, nothing more to recover: {res.no_recovery_en}")
    if res.settled and len(parts) == 1 + bool(res.rules_basis):
        parts.append("已发放金额与新金额相符，无须补发或追回")
        en.append("paid as the new amount: nothing to pay or recover")
    console.print(f"✔ {'；'.join(parts)} / {'; '.join(en)}")


@case_app.command("recovery-received")
def recovery_received(recovery_id: RecordId, amount_fen: AmountFen,
                      received_on: str = typer.Option(None, "--date", help="到账日期（默认今天）/ day received"),
                      reference: str = typer.Option(None, "--reference",
                                                    help="银行凭证号：同一凭证不重复计入 / bank reference"),
                      db: str = DB, user: str = USER) -> None:
    """登记追回到账（可分期：每笔不超过尚欠金额）/ record (part of) a recovery received."""
    r = _run(_open(db).record_recovery_receipt, recovery_id, user, amount_fen=amount_fen,
             received_on=_day(received_on, "到账日期"), reference=reference)
    if r["owed_fen"]:
        console.print(f"✔ 追回单 {recovery_id} 部分到账 {_yuan(r['amount_fen'])} 元，累计已到账 {_yuan(r['received_fen'])} 元，"
                      f"尚欠 {_yuan(r['owed_fen'])} 元 / part received: {_yuan(r['received_fen'])} of "
                      f"{_yuan(r['recovery_fen'])} yuan, {_yuan(r['owed_fen'])} owed", soft_wrap=True)
    else:
        console.print(f"✔ 追回单 {recovery_id} 已全额到账（本笔 {_yuan(r['amount_fen'])} 元，合计 {_yuan(r['received_fen'])} 元）"
                      f" / received in full", soft_wrap=True)


@case_app.command("dispatch-transfer")
def dispatch_transfer(allocation_id: RecordId, amount_fen: AmountFen, voucher: str = typer.Option(...),
                      db: str = DB, user: str = USER) -> None:
    """登记派遣单位向用工单位拨付 / record a transfer to a user unit."""
    tid = _run(_open(db).record_transfer, allocation_id, user, amount_fen=amount_fen, voucher=voucher)
    console.print(f"✔ 拨付 {tid} 已登记 / transfer {tid}")


@case_app.command("dispatch-misuse")
def dispatch_misuse(decision_id: DecisionId, reason: str = typer.Option(...), amount_fen: int = AMOUNT,
                    db: str = DB, user: str = USER) -> None:
    """派遣单位违规：追回并取消下一年度申领资格 / misuse: recover and disqualify next year."""
    from .outputs import NOTHING_PAID_YET_EN, NOTHING_PAID_YET_ZH

    rid = _run(_open(db).report_dispatch_misuse, decision_id, user, reason=reason, amount_fen=amount_fen)
    if rid is not None:
        console.print(f"✔ 追回单 {rid}，已取消下一年度申领资格 / recovery {rid}, disqualified next year")
    else:
        console.print(f"✔ 已取消下一年度申领资格；{NOTHING_PAID_YET_ZH} / disqualified next year; {NOTHING_PAID_YET_EN}")


@case_app.command("duplicates")
def duplicates(person_id: str, scope: str = typer.Option(
        "same_occupation", help="同一职业 same_occupation / 同一职业同一等级 same_occupation_level / 任何 any"),
        db: str = DB, user: str = USER) -> None:
    """技能提升补贴与职业培训补贴重复：由后享受的退回 / recover duplicate subsidies."""
    from .outputs import NOTHING_PAID_YET_EN, NOTHING_PAID_YET_ZH

    ids = _run(_open(db).recover_duplicate_subsidies, person_id, user, scope=scope)
    if ids:
        console.print(f"✔ 追回单 {'、'.join(map(str, ids))} / recoveries {ids}")
    else:
        console.print(f"✔ 未下达追回：没有重复享受，或{NOTHING_PAID_YET_ZH} / no recovery ordered: nothing was enjoyed "
                      f"twice, or {NOTHING_PAID_YET_EN}")


@case_app.command("show")
def show(decision_id: DecisionId, db: str = DB, user: str = USER) -> None:
    """查看一个决定及其历史（金额以元计，时间为北京时间，证件号与账户脱敏）/ show one decision and its history."""
    from .query import SIZE_CLASS_ZH, local_time

    d = _run(_reader(db, user).decision, decision_id)
    ent = d["entitlement"]
    console.print(f"[bold]决定 {d['id']}  {escape(d['unit_name'])}[/bold]  {_mask_unit(d['unit_id'])}"
                  + (f"  {escape(d['claim_key'])}" if d["claim_key"] else ""))
    console.print(f"项目 {_program_zh(d['program'])}  {d['year']} 年度  地区 {d['region_code']}  "
                  f"依据 {d['policy_doc']} {d['clause']}")
    size = SIZE_CLASS_ZH.get(ent["size_class"] or "", ent["size_class"] or "—")
    amount = "—" if ent["amount_fen"] is None else f"{_yuan(ent['amount_fen'])} 元（{ent['amount_fen']} 分）"
    base = "" if d.get("base_fen") is None else f"  返还基数 {_yuan(d['base_fen'])} 元"
    console.print(f"状态 [bold]{_state_label(d, hold=True)}[/bold]  应发金额 {amount}  划型 {size}{base}")
    if ent.get("kind") == "determination" and ent["status"] == "eligible":
        # 待认定 decided by hand: the amount is the caseworker's, not the rules' (outside audit, session 39)
        why = next((h["reason"] for h in reversed(d["history"]) if h["action"] == "resolve"), "")
        console.print("  （人工核定金额，非规则核定" + (f"；规则结果 {_yuan(d['amount_fen'])} 元" if d["amount_fen"] is not None
                                                 else "；规则未给出金额") + f"；认定理由：{escape(why or '—')}）")
    elif ent.get("kind") == "reading":  # case adopt: the rules' result under the readings the agency adopted
        why = next((h["reason"] for h in reversed(d["history"]) if h["action"] == "resolve"), "")
        console.print(f"  （{escape(why or '按认定的政策理解核定')}）")
    elif ent["amount_fen"] != d["amount_fen"]:  # a size-class change (or a lowering) replaced the rules' amount
        console.print(f"  （规则核定 {_yuan(d['amount_fen'])} 元，已重新核定）")
    if d["hold_reason"]:
        console.print(f"暂缓原因：{escape(d['hold_reason'])}")
    if ent["status"] == "needs_decision" and d.get("outcomes"):  # what each reading gives: the question to settle
        from wengang.documents.letters import reading_results

        console.print("各政策理解下的结果（wengang case adopt --reading 名称=取值 认定）：")
        for n, line in enumerate(reading_results({"outcomes": d["outcomes"], "readings": d["readings"]}), start=1):
            console.print(f"  {n}. {escape(line)}")
    for a in d.get("credit_alarms") or ():
        console.print(f"[red]【可能重复支付】支付 {a['payment_id']} 已登记退回，银行回盘 {escape(a['file_key'] or '')} 却称已入账"
                      f"（事件 {a['seq']}）：暂停发放，待复核核实后登记 wengang case credit-check {d['id']} "
                      "--credited 或 --not-credited --reason …[/red]")
    for f in d.get("risk_flags") or ():
        if f["status"] == "confirmed":  # never cleared: say what ends the decision
            from .risk_queue import confirmed_flag_advice

            zh, en = confirmed_flag_advice(d["id"], d["state"])
            verdict, verdict_en = f"已核实，不予发放：{zh}", f"confirmed, not paid: {en}"
        else:
            verdict = f"待稽核核查（wengang risk clear/confirm {f['id']}）；经稽核排除前暂停发放"
            verdict_en = "not paid until the 稽核 clears it"
        console.print(f"[red]【风险疑点 {f['id']}】{escape(f['label'])}（{escape(f['citation'])}，{escape(f['severity'])}）："
                      f"{escape(verdict)} / risk flag {f['id']} ({f['status']}): {escape(verdict_en)}[/red]")
    if d.get("top_up_bounced"):
        t = d["top_up_bounced"]
        console.print(f"补发退回：{escape(t['reason'])}（支付 {t['payment_id']}，{_yuan(t['amount_fen'])} 元）；"
                      "待更正账户（case fix-account，须另一人复核）后再补发")
    console.print(f"收款账户 {_mask_account(d['account_no'])}  联系方式 {_mask_phone(d['contact'])}"
                  + (f"  确认期限 {d['deadline']}" if d["deadline"] else ""))
    console.print(escape(d["explanation"]))
    from .ledger import payment_reference
    from .outputs import FATE_ZH

    for p in d["payments"]:  # each with its fate (Ledger._fate): a withdrawn or unsent payment is no second payment
        why = p["return_reason"] or (f"登记的退回经核实作废：{p['void_return_reason']}" if p["void_return_reason"] else "")
        console.print(f"  付款 {payment_reference(d['id'], p['seq'], p['kind'])}（支付 {p['id']}，"
                      f"{'补发' if p['kind'] == 'supplement' else '发放'}）{_yuan(p['amount_fen'])} 元 "
                      f"→ {_mask_account(p['account_no'])}：{FATE_ZH.get(p['fate'], p['fate'])}"
                      + (f"（{escape(why)}）" if why else "") + f" / {p['fate']}")
    for r in d["recoveries"]:
        if r["amount_fen"] <= 0:  # a resize's cancellation of an order's part not received
            console.print(f"  追回单 {-r['seq']} 撤销 {_yuan(-r['amount_fen'])} 元：{escape(r['reason'])}")
            continue
        got = f"，已到账 {_yuan(r['received_fen'])} 元" if r["received_fen"] else ""
        if r["owed_fen"]:
            status = f"部分到账，尚欠 {_yuan(r['owed_fen'])} 元" if r["received_fen"] else "未到账"
        elif r["cancelled_fen"]:
            status = "未到账部分已撤销" if r["received_fen"] else "已撤销"
        else:
            status = "已全额到账"
        console.print(f"  追回单 {r['id']} {_yuan(r['amount_fen'])} 元{got}（{status}）：{escape(r['reason'])}")
        for k in r["receipts"]:
            console.print(f"    到账 {_yuan(k['amount_fen'])} 元 {k['received_on'] or '（日期未记）'}"
                          + (f" 凭证号 {escape(k['reference'])}" if k["reference"] else ""))
    t = Table(title="历史 / history")
    for c in ("序号", "时间（北京时间）", "经办人", "操作", "状态变化", "原因"):
        t.add_column(c, overflow="fold")
    for h in d["history"]:
        t.add_row(str(h["seq"]), local_time(h["at"]), escape(h["actor"]), action_zh(h["action"]), _state_change(h, d),
                  escape(h["reason"] or ""))
    _print(t)


def _state_change(h: dict[str, Any], d: dict[str, Any] | None = None) -> str:
    import json

    def zh(state: str | None) -> str:  # 已告知 under the decision's own procedure (``_state_label``)
        return _state_label({**(d or {}), "state": state}) if d is not None else state_zh(state)

    before, after = json.loads(h["before"] or "null"), json.loads(h["after"] or "null")
    b = before.get("state") if isinstance(before, dict) else None
    a = after.get("state") if isinstance(after, dict) else None
    if isinstance(after, dict) and "decision_state" in after:  # a payment batch moves its decisions to paid
        a = after["decision_state"]
    if isinstance(b, list):  # a set-based step lists the states it moved from
        b = None
    if a is None or a == b:
        return ""
    return f"{zh(b)} → {zh(a)}" if b else f"→ {zh(a)}"


def _mask_account(v: str | None) -> str:
    from ..documents.errors import DocumentError
    from ..documents.masking import mask_bank_account

    if not v:
        return "—"
    try:
        return mask_bank_account(v)
    except DocumentError:
        return "*" * len(v)


def _mask_phone(v: str | None) -> str:
    from ..documents.errors import DocumentError
    from ..documents.masking import mask_phone

    if not v:
        return "—"
    try:
        return mask_phone(v)
    except DocumentError:
        return "*" * len(v)


@case_app.command("balance")
def balance(unit_id: str = typer.Option(None, help="统一社会信用代码 / unit id"),
            program: str = typer.Option(None, callback=_known_program, help="项目 / program"), db: str = DB,
            user: str = USER) -> None:
    """单位余额（已发放 − 银行退回 − 追回到账 = 净额，金额以元计；未报盘、已撤回的另列，不计入已发放）/ balances per
    unit and program, in yuan: sent − bounced − recovered = net; not sent and withdrawn apart, not counted as sent."""
    t = Table(title="单位余额 / balances")
    t.add_column("统一社会信用代码", no_wrap=True)
    t.add_column("项目")
    # by each payment's fate (Ledger.balances; docs/casework.md "Money sent"): 已发放 is money that left (credited,
    # returned, with the bank, paid outside a batch), never a payment withdrawn or not yet in a bank file
    for head in ("已发放（元）", "银行退回（元）", "追回到账（元）", "净额（元）", "待追回（元）", "未报盘（元）",
                 "已撤回（元）"):
        t.add_column(head, justify="right", no_wrap=True)
    rows = _reader(db, user).balances(unit_id=unit_id, program=program)
    keys = ("sent_fen", "bounced_fen", "recovered_fen", "net_sent_fen", "recovery_outstanding_fen", "not_sent_fen",
            "withdrawn_fen")
    for r in rows:
        t.add_row(_mask_unit(r["unit_id"]), _program_zh(r["program"]), *(_yuan(r[k]) for k in keys))
    if len(rows) > 1:
        t.add_row("合计", "", *(_yuan(sum(r[k] for r in rows)) for k in keys), end_section=True)
    console.print(t)


@audit_app.callback()
def _audit_group() -> None:
    """审计链 / audit chain (a group, so ``wengang audit verify`` keeps its name)."""


from . import (  # noqa: E402, F401 - register their commands on case_app / audit_app
    cli_accounts,
    cli_audit,
    cli_documents,  # noqa: E402,F401  (bank file, bank return, 公示, letters: registers on case_app)
)
