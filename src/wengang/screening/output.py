"""Write screening results: Parquet (all rows), XLSX (results and the 公示 list), and the summary."""

from __future__ import annotations

import contextlib
import functools
import io
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from wengang.money import format_yuan

if TYPE_CHECKING:  # pyarrow (≈ 0.2 s to import) only when a second frame is appended: not for one-frame runs
    import pyarrow as pa
    import pyarrow.parquet as pq
    from polars.expr.whenthen import ChainedThen, Then

EXCEL_MAX_ROWS = 1_048_575  # one header row

# the caseworker's view of the results; the Parquet file keeps every column
RESULT_XLSX_COLUMNS = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "region_code": "地区代码",
    "size_class": "企业划型",
    "flags": "需核查",
    "policy_number": "依据文件",
    "policy_clause": "条款",
    "readings": "采用的政策理解",
    "outcomes": "各种理解下的结果",
}
SIZE_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
STATUS_ZH = {"eligible": "符合条件", "ineligible": "不符合条件", "needs_decision": "待认定", "not_determinable": "无法判定"}


# the tables a rule reads as lists (whom they do not name passes): when one is not given, the run checked nothing
# against it and every unit (person) passes that rule — the summary says so (decisions §102). Option, what the list
# is (Chinese, English), what its absence means (Chinese, English)
CHECK_LISTS: dict[str, tuple[str, str, str, str]] = {
    "exclusions": (
        "失信、僵尸企业、环保、注销、吊销、经营异常等排除名单", "exclusion lists (serious dishonesty, zombie firms, "
        "environmental non-compliance, deregistered, revoked, abnormal operations …)",
        "所有单位均按未列入名单判定", "every unit was read as not listed",
    ),
    "deferrals": ("缓缴记录", "premium deferrals", "所有单位均按无缓缴判定", "every unit was read as having no deferral"),
    "dispatch": (
        "劳务派遣用工分配表", "dispatch allocations", "劳务派遣单位的被派遣人数均按 0 计",
        "dispatch firms were read as dispatching no one",
    ),
    "stats_size": (
        "统计部门企业划型名单", "statistics bureau size list", "企业划型均按登记信息认定，未与统计部门划型核对",
        "size classes were taken from the registry, not checked against the statistics bureau's",
    ),
    "subsidies": (
        "已享受补贴表", "past subsidies", "所有证书均按未享受过补贴判定", "every certificate was read as never subsidised",
    ),
    "held_certificates": (
        "持有证书表", "other certificates held", "所有人员均按未持有其他证书判定", "no one was read as holding other certificates",
    ),
    "ui_claims": (
        "失业保险金领取记录", "unemployment-benefit claims", "所有人员均按未领取失业保险金判定",
        "no one was read as claiming unemployment benefit",
    ),
}


UNIT_CHECK_LISTS = ("exclusions", "deferrals", "dispatch", "stats_size")  # wengang screen on units (稳岗返还)
PEOPLE_CHECK_LISTS = {"skill_subsidy": ("subsidies", "held_certificates", "ui_claims"), "ui_benefit": ()}


def lists_not_provided(given: Iterable[str], lists: Iterable[str]) -> list[dict[str, str]]:
    """The check-lists of ``lists`` not among the tables ``given``: what the summary says of each."""
    out = []
    for name in lists:
        if name in given:
            continue
        zh, en, effect_zh, effect_en = CHECK_LISTS[name]
        option = "--" + name.replace("_", "-")
        out.append({
            "table": name,
            "zh": f"未提供{zh}（{option}）：未据此核对，{effect_zh}",
            "en": f"{en} not given ({option}): nothing was checked against them; {effect_en}",
        })  # fmt: skip
    return out


@dataclass
class Summary:
    total: int
    by_status: list[tuple[str, int, int]]  # status, units, amount fen
    by_reason: list[tuple[str, str, int]]  # code, Chinese text, units
    by_size: list[tuple[str | None, int, int]]  # size class (None: 参照单位 or not classified), units, amount fen
    by_region: list[tuple[str, int, int, int]]  # region, units, eligible units, amount fen
    total_amount_fen: int
    files: dict[str, str] = field(default_factory=dict)
    held: int = 0  # payable results whose payment is held (payment_hold), and their amount
    held_amount_fen: int = 0
    refusals_to_verify: int = 0  # refusals marked by payment_hold: they rest on a quarantined row (screening.holds)
    hold_notes: list[str] = field(default_factory=list)  # quarantined rows that hold payments (screening.holds)
    # check-lists the run was not given (lists_not_provided): nothing was checked against them
    lists_not_provided: list[dict[str, str]] = field(default_factory=list)
    # payable results whose amount is only a ceiling (amount_is_cap, “不超过”): counted in the totals above as the
    # most that may be paid, never shown as a fixed amount (the 统筹地区 sets the standard)
    capped: int = 0
    capped_amount_fen: int = 0
    held_capped_fen: int = 0  # of held_amount_fen, the ceilings
    capped_by_region: dict[str, int] = field(default_factory=dict)  # region -> the ceilings in its amount
    # readings given (--reading) for switches a document in force fixes: not applied there (as one case says)
    readings_by_document: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "total_amount_fen": self.total_amount_fen,
            "lists_not_provided": self.lists_not_provided,
            **({"readings_by_document": self.readings_by_document} if self.readings_by_document else {}),
            "amount_is_cap": {
                "units": self.capped, "amount_fen": self.capped_amount_fen,
                "zh": CAP_NOTE_ZH if self.capped else "", "by_region": self.capped_by_region,
            },
            "payment_hold": {
                "units": self.held, "amount_fen": self.held_amount_fen, "refusals_to_verify": self.refusals_to_verify,
                "quarantine": self.hold_notes,
            },
            "by_status": [{"status": s, "units": n, "amount_fen": a} for s, n, a in self.by_status],
            "by_reason": [{"code": c, "text": t, "units": n} for c, t, n in self.by_reason],
            "by_size_class": [{"size_class": s, "units": n, "amount_fen": a} for s, n, a in self.by_size],
            "by_region": [
                {"region": r, "units": n, "eligible": e, "amount_fen": a} for r, n, e, a in self.by_region
            ],
            "files": self.files,
        }


def document_reading_lines(plans: Any, readings: Mapping[str, str] | None) -> list[str]:
    """What a screening says of the readings it was given that a document in force fixes, per document and its
    regions: the lines one case's decision carries (``rules.engine.document_reading_notes``), once for the run."""
    from wengang.rules.engine import document_reading_notes, readings_set_by_document

    if not readings:
        return []
    # (document, switch, what it fixes) → the regions it governs
    found: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[str]] = {}
    for p in plans:
        if getattr(p, "resolution", None) is None or getattr(p, "ruleset", None) is None:
            continue
        for switch, d in readings_set_by_document(p.ruleset, p.resolution.params, readings).items():
            key = (p.resolution.document.display_number, switch, tuple(sorted(d.items())))
            found.setdefault(key, []).extend(str(r) for r in p.regions)
    out: list[str] = []
    for (number, switch, d), regions in found.items():
        where = f"{number}（地区 {'、'.join(sorted(set(regions)))}）："
        out += [n for n in document_reading_notes({switch: dict(d)}, where) if n not in out]
    return out


def summarise(results: pl.LazyFrame, reason_text: dict[str, str], region_column: str = "region_code") -> Summary:
    types = results.collect_schema()
    schema = types.names()
    status = types.get("status")
    # the status in its own Enum where it is one (screen_facts' results): its codes compared, not a million texts cast
    payable = (
        pl.col("status").is_in(pl.lit(pl.Series(PAYABLE, dtype=status)).implode())
        if isinstance(status, pl.Enum) and set(PAYABLE) <= set(status.categories)
        else pl.col("status").cast(pl.String).is_in(PAYABLE)
    )
    # exact: Int64 sums wrap around silently; summed as Int128, they come out as Python ints
    amount = pl.col("amount_fen").cast(pl.Int128).fill_null(0)
    queries = [
        results.group_by("status").agg(pl.len().alias("n"), amount.sum().alias("a")).sort("status"),
        # a few dozen distinct reason lists: counted first, then split (not a split of every unit's text)
        results.group_by("reasons")
        .agg(pl.len().alias("n"))
        .select(pl.col("reasons").str.split(";").alias("code"), "n")
        .explode("code")
        .filter(pl.col("code").is_not_null() & (pl.col("code") != ""))
        .group_by("code")
        .agg(pl.col("n").sum().cast(pl.get_index_type()))
        .sort("n", "code", descending=[True, False]),
        results.group_by(region_column)
        .agg(
            pl.len().alias("n"),
            (pl.col("status") == "eligible").sum().alias("e"),
            amount.sum().alias("a"),
        )
        .sort(region_column),
    ]
    if "size_class" in schema:
        queries.append(
            results.group_by(pl.col("size_class").cast(pl.String))
            .agg(pl.len().alias("n"), amount.sum().alias("a"))
            .sort("size_class", nulls_last=True)
        )
    if "payment_hold" in schema:
        marked = pl.col("payment_hold").fill_null(False)
        held = marked & payable
        capped_held = held & pl.col("amount_is_cap").fill_null(False) if "amount_is_cap" in schema else pl.lit(False)
        queries.append(
            results.select(
                held.sum().alias("n"), amount.filter(held).sum().alias("a"), (marked & ~payable).sum().alias("r"),
                amount.filter(capped_held).sum().alias("c"),
            )
        )
    if "amount_is_cap" in schema:
        capped = pl.col("amount_is_cap").fill_null(False) & payable
        queries.append(results.select(capped.sum().alias("n"), amount.filter(capped).sum().alias("a")))
        queries.append(
            results.filter(capped).group_by(pl.col(region_column).cast(pl.String)).agg(amount.sum().alias("a"))
        )
    # one pass over the results: the queries share their scan
    by_status, reasons, by_region, *rest = pl.collect_all(queries)
    cap_regions = rest.pop() if "amount_is_cap" in schema else None  # appended last, popped first
    cap_row = rest.pop() if "amount_is_cap" in schema else None
    held_row = rest.pop() if "payment_hold" in schema else None
    by_size = rest
    size_rows = [(None if r[0] is None else str(r[0]), r[1], r[2]) for r in by_size[0].iter_rows()] if by_size else []
    status_rows = [(str(s), n, a) for s, n, a in by_status.iter_rows()]
    return Summary(
        total=sum(n for _, n, _ in status_rows),
        by_status=status_rows,
        by_reason=[(c, reason_text.get(c, c), n) for c, n in reasons.iter_rows()],
        by_size=size_rows,
        by_region=[(str(r), n, e, a) for r, n, e, a in by_region.iter_rows()],
        total_amount_fen=sum(a for _, _, a in status_rows),
        held=int(held_row.item(0, "n") or 0) if held_row is not None else 0,
        held_amount_fen=int(held_row.item(0, "a") or 0) if held_row is not None else 0,
        held_capped_fen=int(held_row.item(0, "c") or 0) if held_row is not None else 0,
        refusals_to_verify=int(held_row.item(0, "r") or 0) if held_row is not None else 0,
        capped=int(cap_row.item(0, "n") or 0) if cap_row is not None else 0,
        capped_amount_fen=int(cap_row.item(0, "a") or 0) if cap_row is not None else 0,
        capped_by_region={str(r): int(a) for r, a in cap_regions.iter_rows() if a} if cap_regions is not None else {},
    )


# what a total that holds ceilings says of them (人社部发〔2024〕40号 三、内政发〔2019〕4号 八 “不超过”)
CAP_NOTE_ZH = "金额为文件规定的“不超过”上限标准，具体标准由统筹地区确定"


def _capped_yuan(total_fen: int, capped_fen: int) -> str:
    """A total in yuan that says how much of it is only a ceiling: never a capped amount shown as a fixed one."""
    if not capped_fen:
        return format_yuan(total_fen)
    if capped_fen == total_fen:
        return f"不超过{format_yuan(total_fen)}"
    return f"{format_yuan(total_fen)}（其中不超过{format_yuan(capped_fen)}为上限金额）"


def print_summary(summary: Summary, title: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from wengang.regions import REGIONS

    console = console or Console()
    console.print(
        f"[bold]{title}：共 {summary.total:,} 个，拟发放 {_capped_yuan(summary.total_amount_fen, summary.capped_amount_fen)}[/]",
        highlight=False,
    )
    if summary.capped:
        console.print(
            f"[bold red]⚠ {summary.capped:,} 个{CAP_NOTE_ZH}，合计不超过 {format_yuan(summary.capped_amount_fen)}，"
            f"不是确定的发放金额 / {summary.capped:,} amounts are ceilings (“不超过”), not fixed amounts[/]",
            highlight=False,
        )
    t = Table()
    t.add_column("结论")
    t.add_column("数量", justify="right")
    t.add_column("金额", justify="right")
    for s, n, a in summary.by_status:
        # the capped amounts are the eligible ones (a 待认定 row has no amount)
        t.add_row(STATUS_ZH.get(s, s), f"{n:,}", _capped_yuan(a, summary.capped_amount_fen if s == "eligible" else 0))
    console.print(t)
    if summary.held or summary.hold_notes or summary.refusals_to_verify:
        if summary.held or not summary.refusals_to_verify:  # (not "暂缓发放 0 个" above the refusals' line)
            console.print(
                # held 待认定 units have no amount yet: not "金额 0.00元" (README audit, session 40)
                f"[bold red]⚠ 暂缓发放 {summary.held:,} 个，"
                + (
                    f"金额 {_capped_yuan(summary.held_amount_fen, summary.held_capped_fen)}"
                    if summary.held_amount_fen
                    else "金额待认定"
                )
                + "（待核实后发放）"
                f" / {summary.held:,} payments held[/]",
                highlight=False,
            )
        if summary.refusals_to_verify:
            console.print(
                f"[bold red]⚠ 另有 {summary.refusals_to_verify:,} 个不予发放的结论所依据的数据有被隔离的行，待核实后认定"
                f"（导入台账为待认定）/ {summary.refusals_to_verify:,} refusals rest on quarantined rows: to be verified[/]",
                highlight=False,
            )
        for note in summary.hold_notes:
            console.print(f"[red]  ⚠ {note}[/]", highlight=False)
    for note in summary.lists_not_provided:
        console.print(f"[yellow]⚠ {note['zh']} / {note['en']}[/]", highlight=False)
    for line in summary.readings_by_document:
        console.print(f"[yellow]⚠ {line}[/]", highlight=False)
    if summary.by_reason:
        r = Table(title="不符合或无法判定的原因")
        r.add_column("原因")
        r.add_column("数量", justify="right")
        for _, text, n in summary.by_reason[:15]:
            r.add_row(text, f"{n:,}")
        console.print(r)
    if summary.by_size:
        z = Table(title="按企业划型")
        z.add_column("划型")
        z.add_column("数量", justify="right")
        z.add_column("金额", justify="right")
        for s, n, a in summary.by_size:
            z.add_row("参照单位/未划型" if s is None else SIZE_ZH.get(s, s), f"{n:,}", format_yuan(a))
        console.print(z)
    if len(summary.by_region) > 1:
        g = Table(title="按地区")
        for col in ("地区", "数量", "符合", "金额"):
            g.add_column(col, justify="right" if col != "地区" else "left")
        for reg, n, e, a in summary.by_region:
            name = REGIONS[reg].name if reg in REGIONS else reg
            g.add_row(f"{name}（{reg}）", f"{n:,}", f"{e:,}", _capped_yuan(a, summary.capped_by_region.get(reg, 0)))
        console.print(g)
    for kind, path in summary.files.items():
        console.print(f"[dim]{kind}：{path}[/]", highlight=False)


def _yuan_column(name: str = "amount_fen") -> pl.Expr:
    # exact: integer fen formatted as yuan text, never through float
    fen = pl.col(name)
    return pl.when(fen.is_null()).then(None).otherwise(
        (fen // 100).cast(pl.String) + "." + (fen % 100).cast(pl.String).str.zfill(2)
    )


# ------------------------------------------------------------------------- readings in Chinese
# ``readings`` ("switch=key,…", the default combination) and ``outcomes`` ("tag:status:fen|…", a tag being 默认 or
# the readings that differ from it: rules.batch) stay machine text in the Parquet file (``case import`` reads them);
# what a person reads names each reading by its Chinese description (rules.interpretations).
_SWITCH_IN_OUTCOMES = r"[A-Za-z0-9_]+\.[A-Za-z0-9_]+="


def parse_readings(text: str | None) -> dict[str, str]:
    """``"a.b=x,c.d=y"`` → ``{"a.b": "x", "c.d": "y"}``."""
    pairs = (part.partition("=") for part in (text or "").split(","))
    return {k.strip(): v.strip() for k, sep, v in pairs if sep and k.strip()}


def _switch(name: str):  # noqa: ANN202 - an interpretations.Switch, or None for a name no program registers
    from wengang.rules import interpretations

    try:
        return interpretations.get(name)
    except KeyError:
        return None


def reading_zh(name: str, key: str, *, question: bool = True, code: bool = False) -> str:
    """One reading in Chinese: ``question``: the switch's question before the reading's description
    (``计算裁员率时是否扣除正常减员（…）：扣除…``); ``code``: the switch's name after it in brackets, for the
    caseworker's screens (never in what a unit or person receives)."""
    s = _switch(name)
    text = (f"{s.title}：{s.describe(key)}" if question else s.describe(key)) if s else f"未登记的解释“{name}”取“{key}”"
    return f"{text}（{name}）" if code else text


def switch_zh(name: str, *, code: bool = False) -> str:
    """A switch's question in Chinese (its name in brackets with ``code``)."""
    s = _switch(name)
    text = s.title if s else f"未登记的解释“{name}”"
    return f"{text}（{name}）" if code else text


def open_switches(outcomes: pl.Expr) -> pl.Expr:
    """The switches an ``outcomes`` text names, joined by ``,`` (empty when it names none): the readings the
    result still depends on (待认定)."""
    return (
        outcomes.cast(pl.String).fill_null("").str.extract_all(_SWITCH_IN_OUTCOMES)
        .list.eval(pl.element().str.strip_chars_end("=")).list.unique(maintain_order=True).list.join(",")
    )


# how a result that waits for the agency's reading says so (the reason of 待认定, the open readings' line): a letter
# written once the agency has decided (casework.outputs.letter_input) leaves these lines out and says how it decided
OPEN_READINGS_LINES = ("结果取决于尚未认定的政策解释", "尚待认定的政策理解")


def readings_lines(readings: dict[str, str], open_: list[str], *, code: bool = False) -> list[str]:
    """What a decision says of its readings: those still open (待认定), and those its result rests on."""
    lines = []
    if open_:
        lines.append(f"{OPEN_READINGS_LINES[1]}：" + "；".join(switch_zh(n, code=code) for n in open_))
    adopted = [reading_zh(k, v, code=code) for k, v in readings.items() if k not in open_]
    if adopted:
        lines.append(("其余" if open_ else "") + "采用的政策理解：" + "；".join(adopted))
    return lines


def outcomes_zh(df: pl.DataFrame, readings: str, outcomes: str) -> pl.Expr:
    """``outcomes`` in Chinese: ``若按“…”：符合条件，3717.72元；若按“…”：无法判定``. Its tags are few, its amounts many:
    tags are looked up in a table of the frame's distinct tags, amounts formatted by expression (exact, in 元)."""
    # 默认 stands for the row's own readings of the open switches: spelled out, it is one tag more
    opened = open_switches(pl.col(outcomes))
    pairs = df.select(pl.col(readings).cast(pl.String).fill_null(""), opened.alias("o")).unique().iter_rows()
    default_tag = {
        f"{r}\x1f{o}": ",".join(f"{k}={v}" for k, v in parse_readings(r).items() if k in o.split(","))
        for r, o in pairs
    }
    tagged = (
        pl.when(pl.col(outcomes).cast(pl.String).str.starts_with("默认:"))
        .then(
            pl.concat_str(
                pl.concat_str(pl.col(readings).cast(pl.String).fill_null(""), opened, separator="\x1f")
                .replace_strict(default_tag, default="", return_dtype=pl.String),
                pl.col(outcomes).cast(pl.String).str.strip_prefix("默认"),
            )
        )
        .otherwise(pl.col(outcomes).cast(pl.String).fill_null(""))
    )
    entries = df.select(tagged.str.split("|").explode().str.extract(r"^([^:]*):", 1).unique().drop_nulls()).to_series()
    tags = {
        t: "若按" + "、".join(f"“{reading_zh(k, v, question=False)}”" for k, v in parse_readings(t).items()) if t else "按默认理解"
        for t in entries.to_list()
    }
    e = pl.element()
    fen = e.str.extract(r":(-?\d+)$", 1).cast(pl.Int64)
    yuan = (fen // 100).cast(pl.String) + "." + (fen % 100).cast(pl.String).str.zfill(2) + "元"
    entry = pl.concat_str(
        e.str.extract(r"^([^:]*):", 1).replace_strict(tags, default=e.str.extract(r"^([^:]*):", 1)),
        pl.lit("："),
        e.str.extract(r"^[^:]*:([^:]*):", 1).replace(STATUS_ZH),
        pl.when(fen.is_not_null()).then(pl.lit("，") + yuan).otherwise(pl.lit("")),
    )
    return (
        tagged.str.split("|").list.eval(e.filter(e != "")).list.eval(entry).list.join("；")
    )


def readings_zh(df: pl.DataFrame, readings: str, outcomes: str | None, *, code: bool = False, sep: str = "；\n") -> pl.Expr:
    """``readings`` in Chinese (:func:`readings_lines`, joined by ``sep``), naming the switches still open (from
    ``outcomes``) as such: the frame's distinct (readings, open switches) pairs are few (a plan's constant), so each
    is written once and looked up."""
    opened = open_switches(pl.col(outcomes)) if outcomes else pl.lit("")
    key = pl.concat_str(pl.col(readings).cast(pl.String).fill_null(""), opened, separator="\x1f")
    texts = {
        k: sep.join(readings_lines(parse_readings(r), [n for n in o.split(",") if n], code=code))
        for k in df.select(key.unique()).to_series().to_list()
        for r, _, o in [k.partition("\x1f")]
    }
    return key.replace_strict(texts, default="", return_dtype=pl.String)


def flags_zh(texts: Mapping[str, str], col: str = "flags") -> pl.Expr:
    """The ``flags`` codes (``a;b``) as people read them: each by its Chinese text (``reason_text``: the flag check's
    reason), joined by ``；``. The Parquet file keeps the codes."""
    e = pl.element()
    codes = pl.col(col).cast(pl.String).str.split(";")
    return codes.list.eval(e.filter(e != "").replace(texts)).list.join("；")


def write_excel_sheets(frame: pl.DataFrame, path: Path, sheet: str, *, progress: bool = False) -> None:
    """Write a frame to XLSX row by row in constant memory, splitting past Excel's row limit.

    xlsxwriter directly: Polars' ``write_excel`` formats cell by cell and took 10 s for 5,000 rows.
    With ``progress``, a write that takes over a second shows its rows (wengang.progress). A quarantine frame
    (quarantine.xlsx) gets Chinese-first headers (:data:`wengang.screening.quarantine.QUARANTINE_HEADERS`).
    """
    import xlsxwriter

    from wengang.documents.xlsx import INJECTION_STARTS
    from wengang.progress import step
    from wengang.screening.quarantine import QUARANTINE_HEADERS

    headers = [QUARANTINE_HEADERS[c] for c in frame.columns] if frame.columns == list(QUARANTINE_HEADERS) else frame.columns

    with (
        step(f"写出 {path.name}", total=frame.height, enabled=progress) as shown,
        # a name such as =HYPERLINK(…) stays text: every cell is data, never a formula or a link to follow
        xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}) as wb,
    ):
        bold = wb.add_format({"bold": True})
        quoted = wb.add_format({"quote_prefix": True})
        chunks = range(0, max(frame.height, 1), EXCEL_MAX_ROWS)
        for i, start in enumerate(chunks):
            ws = wb.add_worksheet(sheet if i == 0 else f"{sheet}{i + 1}")
            ws.write_row(0, 0, headers, bold)
            for j, name in enumerate(headers):
                ws.set_column(j, j, max(10, min(40, len(name) * 2 + 2)))
            part = frame.slice(start, EXCEL_MAX_ROWS)
            for r, row in enumerate(part.iter_rows(), start=1):
                values = [v if isinstance(v, (int, float, str)) or v is None else str(v) for v in row]
                ws.write_row(r, 0, values)
                # text a spreadsheet could take for a formula (= + - @, tab, CR first): the quote-prefix attribute,
                # as every XLSX list has it (documents.xlsx; docs/decisions.md §22 — a CSV takes the literal ')
                for j, v in enumerate(values):
                    if isinstance(v, str) and v.startswith(INJECTION_STARTS):
                        ws.write_string(r, j, v, quoted)
                if r % 10_000 == 0:
                    shown.advance(10_000)
            shown.update(done=start + part.height)


def publicity_list(results: pl.LazyFrame, program_label: str) -> pl.DataFrame:
    """The 拟公示 list: units to be paid, with name, masked code, size class and amount in yuan; persons (a people
    program's facts table: no unit code) by name and masked 公民身份号码 — a people facts run crashed here on
    ``credit_code``. Rows held from payment (``payment_hold``) are not listed: nothing is published of a unit before its
    hold is settled; and a 统一社会信用代码 is masked as the ledger's 公示 masks it (first 6 + last 2, decisions §22; the
    screening's list had carried codes whole and listed held units: outside audit, session 41)."""
    schema = results.collect_schema().names()
    listed = pl.col("status") == "eligible"
    if "payment_hold" in schema:
        listed = listed & ~pl.col("payment_hold").fill_null(False)
    if "credit_code" not in schema and "id_number" in schema:
        from wengang.documents.masking import mask_id_number_expr

        person = [pl.col("name").alias("姓名"), mask_id_number_expr("id_number").alias("公民身份号码"),
                  _yuan_column().alias(f"{program_label}金额（元）")]
        order = [c for c in ("region_code", "id_number") if c in schema]
        rows = results.filter(listed).sort(order).select(person).collect()
        return rows.with_row_index("序号", offset=1)
    code = pl.col("credit_code").cast(pl.String)
    masked = pl.when(code.str.len_chars() == 18).then(code.str.slice(0, 6) + "*" * 10 + code.str.slice(16, 2))
    cols = [pl.col("name").alias("单位名称"), masked.alias("统一社会信用代码")]
    if "size_class" in schema:
        cols.append(pl.col("size_class").cast(pl.String).replace_strict(SIZE_ZH, default="参照中小微").alias("企业划型"))
    cols.append(_yuan_column().alias(f"{program_label}金额（元）"))
    eligible = results.filter(listed).sort("region_code", "credit_code").select(cols).collect()
    return eligible.with_row_index("序号", offset=1)


# the statuses a payment can follow: a quarantined row holds these (screening.holds); the others are refusals
PAYABLE = ("eligible", "needs_decision")

# how a run writes its results and features: lz4 (a third faster to write than zstd, read everywhere) and no
# column statistics — minimum and maximum of long reason texts that no reader filters row groups by (a file is
# one run, read whole or by a unit's code, which every row group spans): a third of writing the results
PARQUET_OPTIONS: dict = {"compression": "lz4", "statistics": False}

# the result columns a decision plan writes as one text on each of its rows: with one plan, one value in the column
PLAN_TEXTS = ("readings", "outcomes", "flags", "policy_id", "policy_number", "policy_clause", "ruleset")


def write_parquet(
    frame: pl.DataFrame, path: Path, *, constant: Iterable[str] = (), books: Mapping[str, Sequence[str]] | None = None
) -> None:
    """``frame.write_parquet(path, **PARQUET_OPTIONS)``, the same file for any reader, written cheaper where Polars'
    writer would hash every row of a column for a dictionary that is known or not worth it:

    - a text column that holds one value on every row (a literal of the plan: ``constant`` names the columns worth
      looking at) or none (a feature no table gives: any text column) is handed over as an Enum of that value;
    - a text column of ``books`` (column → the few texts it can hold: a size class, the step that gave it) is handed
      over as an Enum of its book, made by comparing each row with each text (no hash), when every value is in it;
    - an Int64 column that holds no value, or of money in fen (``…_fen``: values spread wide, which a dictionary
      rarely shortens), is handed over as a Duration: the same Parquet column (INT64, no logical type), which the
      writer encodes plainly instead of trying a dictionary by a hash of every row first.

    A text column written as a dictionary by the writer costs 20–70 ms a million rows (an estimate of its distinct
    values, then the dictionary, each a hash of every row), an Enum is one already (1.5–18 ms, as it has nulls); an
    Int64 column without values 8–14 ms against ≈ 2. The Parquet columns are of the same types (text as UTF8,
    INT64), and the Arrow schema stored with the file (``ARROW:schema``, which Polars and pyarrow read types from) is
    the one the frame as given would have had, so every reader gets text and Int64 back, value for value."""
    texts = _constant_texts(frame, constant)
    coded = {c: b for c, b in (books or {}).items() if b and c not in texts and frame.schema.get(c) == pl.String}
    if frame.height == 0:
        coded = {}
    plain = _plain_integers(frame)
    if not (texts or coded or plain):
        frame.write_parquet(path, **PARQUET_OPTIONS)
        return

    def handed_over(books: Mapping[str, Sequence[str]]) -> pl.DataFrame:
        # one with_columns of expressions, as the constant texts alone were: the frame handed over is laid out (its
        # chunks, so the file's row groups) as it was then
        return frame.with_columns(
            *(pl.col(c).cast(pl.Enum(v)) for c, v in texts.items()),
            *(_coded(c, b) for c, b in books.items()),
            *(pl.col(c).cast(pl.Duration("us")) for c in plain),
        )

    handed = handed_over(coded)
    # a text outside its book came out null: then the frame is handed over again without that column's Enum (the
    # comparisons were for nothing, never a wrong value)
    outside = {c for c in coded if handed.get_column(c).null_count() != frame.get_column(c).null_count()}
    if outside:
        handed = handed_over({c: b for c, b in coded.items() if c not in outside})
    as_given = _arrow_schema(tuple(frame.schema.items()))
    handed.write_parquet(path, **PARQUET_OPTIONS, metadata={"ARROW:schema": as_given})


def _coded(name: str, book: Sequence[str]) -> pl.Expr:
    """Text column ``name`` as an Enum of ``book``, null where its text is not in the book: compared with each text in
    turn (a few comparisons of short texts cost less than the hash of each row a cast to the Enum is)."""
    enum = pl.Enum(book)
    text = pl.col(name)
    chain: Then | ChainedThen = pl.when(text == book[0]).then(pl.lit(book[0], dtype=enum))
    for value in book[1:]:
        chain = chain.when(text == value).then(pl.lit(value, dtype=enum))
    return chain.otherwise(pl.lit(None, dtype=enum)).alias(name)


def _plain_integers(frame: pl.DataFrame) -> list[str]:
    """The Int64 columns of ``frame`` written plainly (see :func:`write_parquet`): those that hold no value, and money
    in fen."""
    ints = [c for c, t in frame.schema.items() if t == pl.Int64]
    if not ints or frame.height == 0:
        return []
    nulls = frame.select(pl.col(c).null_count() for c in ints).row(0)
    return [c for c, n in zip(ints, nulls, strict=True) if n == frame.height or c.endswith("_fen")]


def _constant_texts(frame: pl.DataFrame, constant: Iterable[str]) -> dict[str, list[str]]:
    """The text columns of ``frame`` that hold no value, and those of ``constant`` that hold one value on every row,
    with that value: column → its values. Each test costs next to nothing for a literal (a column that is one value
    in Polars' memory, the usual case); a column that is not is recognised from its first rows, except one whose
    first rows agree — that one's distinct values are counted."""
    wanted = set(constant)
    texts: dict[str, list[str]] = {}
    if frame.height == 0:
        return texts
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    nulls = frame.select(pl.col(c).null_count() for c in strings).row(0) if strings else ()
    for c, n in zip(strings, nulls, strict=True):
        if n == frame.height:
            texts[c] = []
        elif c in wanted and n == 0 and frame.select(pl.col(c).head(256).n_unique()).item() == 1:
            values = frame.select(pl.col(c).unique()).to_series()
            if values.len() == 1:
                texts[c] = values.to_list()
    return texts


@functools.cache
def _arrow_schema(schema: tuple[tuple[str, pl.DataType], ...]) -> str:
    """The Arrow schema Polars stores in a Parquet file it writes from a frame of ``schema`` (its ``ARROW:schema``
    key): read back from an empty file written to memory."""
    buffer = io.BytesIO()
    pl.DataFrame(schema=dict(schema)).write_parquet(buffer, **PARQUET_OPTIONS)
    buffer.seek(0)
    return pl.read_parquet_metadata(buffer)["ARROW:schema"]


class ParquetAppender:
    """One Parquet file written frame by frame, in bounded memory.

    Polars cannot append to a file, so from the second frame on pyarrow's writer takes them, on a
    thread of its own (it encodes one column at a time, and the next partition's work goes on
    meanwhile). A file of one frame is written by Polars (faster: its columns in parallel). Every frame
    must have the first frame's columns; a column that came out with another Arrow type (a null-only
    literal, say) is cast to the first frame's. lz4: a third faster to write than zstd, read everywhere.
    No column statistics (:data:`PARQUET_OPTIONS`).
    """

    def __init__(
        self, path: Path, *, constant: Iterable[str] = (), books: Mapping[str, Sequence[str]] | None = None
    ):
        self.path = path
        self.constant = tuple(constant)  # (one frame: see write_parquet)
        self.books = dict(books or {})
        self.rows = 0
        self._first: pl.DataFrame | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def write(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        if self._first is None and self._writer is None:
            self._first = frame
            return
        if frame.height == 0:
            return
        if self._writer is None:
            import pyarrow.parquet as pq

            assert self._first is not None
            table = self._arrow(self._first)
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="lz4", write_statistics=False)
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="wengang-parquet")
            self._submit(table)
            self._first = None
        self._submit(self._arrow(frame))

    @staticmethod
    def _arrow(frame: pl.DataFrame) -> pa.Table:
        import pyarrow as pa

        # string views need no copy, and pyarrow writes them as ordinary Parquet strings; but it cannot
        # write a dictionary of them (an Enum such as the status), whose few values are cast instead
        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        for i, f in enumerate(table.schema):
            if pa.types.is_dictionary(f.type) and f.type.value_type == pa.string_view():
                t = pa.dictionary(f.type.index_type, pa.large_string(), f.type.ordered)
                table = table.set_column(i, f.with_type(t), table.column(i).cast(t))
        return table

    def _submit(self, table: pa.Table) -> None:
        assert self._writer is not None and self._pool is not None
        writer = self._writer
        if table.schema != writer.schema:
            table = table.cast(writer.schema)
        self._wait()  # one table in flight: memory stays bounded
        self._pending = self._pool.submit(writer.write_table, table)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def prepare(self) -> None:
        """Work out on this thread, before ``close`` runs on another, the Arrow schema it stores with a file of one
        frame (:func:`_arrow_schema`, cached): a query of its own on Polars' streaming engine, which takes two threads'
        queries in turn (decisions §71) — asked for on the closing thread once the rules' query had begun beside it,
        it waited for all of that query (0.15 s of 1 M units), and the write followed the rules instead of running
        beside them."""
        if self._first is not None:
            _arrow_schema(tuple(self._first.schema.items()))

    def close_behind(self) -> Future[None]:
        """``close`` on a thread of its own, for a caller with other work meanwhile: what is left to write is handed to
        the thread, so this appender is closed at once (a later ``close`` writes nothing). The file is removed if the
        write fails; the future raises what it raised."""
        rest = ParquetAppender(self.path, constant=self.constant, books=self.books)
        rest._first, rest._writer, rest._pool, rest._pending = self._first, self._writer, self._pool, self._pending
        self._first, self._writer, self._pool, self._pending = None, None, None, None
        done: Future[None] = Future()

        def close() -> None:
            try:
                rest.close()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the file
                with contextlib.suppress(OSError):  # (the write's own error is the one to report)
                    self.path.unlink(missing_ok=True)
                done.set_exception(exc)
            else:
                done.set_result(None)

        threading.Thread(target=close, name="wengang-features", daemon=False).start()
        return done

    def close(self) -> None:
        if self._first is not None:
            write_parquet(self._first, self.path, constant=self.constant, books=self.books)
            self._first = None
        if self._writer is not None:
            try:
                self._wait()
            finally:
                self._writer.close()
                assert self._pool is not None
                self._pool.shutdown()
                self._writer = None

    def __enter__(self) -> ParquetAppender:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:  # a run that failed leaves no half-written file behind
            self._first = None
            try:
                self.close()
            finally:
                self.path.unlink(missing_ok=True)
        else:
            self.close()


def write_results(
    results: pl.LazyFrame,
    out_dir: Path,
    *,
    program_label: str,
    reason_text: dict[str, str],
    excel: bool = True,
) -> dict[str, str]:
    """Write ``results.parquet`` (streamed) and, with ``excel``, the caseworkers' sheets."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results.sink_parquet(out_dir / "results.parquet", compression="lz4")
    return write_result_sheets(out_dir, program_label=program_label, reason_text=reason_text, excel=excel)


def write_result_sheets(
    out_dir: Path, *, program_label: str, reason_text: dict[str, str], excel: bool = True, progress: bool = False
) -> dict[str, str]:
    """The files made from ``results.parquet`` once it is written: the results and 公示 sheets (XLSX)."""
    parquet = out_dir / "results.parquet"
    files = {"结果（Parquet）": str(parquet)}
    if excel:
        scanned = pl.scan_parquet(parquet)
        n = scanned.select(pl.len()).collect().item()
        if n <= 5 * EXCEL_MAX_ROWS:
            keep = [c for c in RESULT_XLSX_COLUMNS if c in scanned.collect_schema().names()]
            # read once: the sheet's columns and the readings' texts
            raw = scanned.select(*dict.fromkeys([*keep, "status", "amount_fen", "reasons"])).collect()
            chinese = _chinese_results(raw, keep) if "readings" in keep else None
            readable = raw.select(
                *[
                    (pl.col(c).cast(pl.String).replace(SIZE_ZH) if c == "size_class" else pl.col(c)).alias(RESULT_XLSX_COLUMNS[c])
                    for c in keep[:4]
                ],
                pl.col("status").cast(pl.String).replace(STATUS_ZH).alias("结论"),
                _yuan_column().alias("金额（元）"),
                pl.col("reasons")
                .str.split(";")
                .list.eval(pl.element().replace(reason_text).filter(pl.element() != ""))
                .list.join("；")
                .alias("原因"),
                *[pl.col(c).alias(RESULT_XLSX_COLUMNS[c]) for c in keep[4:]],
            )
            if chinese is not None:  # readings and outcomes as the caseworker reads them
                readable = readable.with_columns(chinese)
            if "flags" in keep:  # each flag by its Chinese text, not its code
                readable = readable.with_columns(flags_zh(reason_text, RESULT_XLSX_COLUMNS["flags"]))
            write_excel_sheets(readable, out_dir / "results.xlsx", "结果", progress=progress)
            files["结果（Excel）"] = str(out_dir / "results.xlsx")
        listing = publicity_list(scanned, program_label)
        write_excel_sheets(listing, out_dir / "publicity.xlsx", "公示名单", progress=progress)
        files["公示名单（Excel）"] = str(out_dir / "publicity.xlsx")
    return files


def _chinese_results(df: pl.DataFrame, keep: list[str]) -> list[pl.Series]:
    """The ``readings`` and ``outcomes`` columns of a results frame in Chinese, under their sheet headers."""
    outcomes = "outcomes" if "outcomes" in keep else None
    out = [df.select(readings_zh(df, "readings", outcomes)).to_series().alias(RESULT_XLSX_COLUMNS["readings"])]
    if outcomes:
        out.append(df.select(outcomes_zh(df, "readings", outcomes)).to_series().alias(RESULT_XLSX_COLUMNS[outcomes]))
    return out
