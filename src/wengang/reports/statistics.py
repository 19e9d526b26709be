"""Statistics for the office and for upward reporting, from screening results and from the ledger.

* :func:`from_results` — counts and amounts by region, size class, industry (GB/T 4754 门类, from the
  screening's ``features.parquet``) and program, and the refusal reasons, over one or more ``wengang screen``
  output folders. Polars group-bys over the Parquet files: ten million decisions in seconds.
* :func:`from_ledger` — the same over the ledger's decisions (``case_decisions``).
* :func:`monthly_payments` — the disbursements of the ledger by month and program (the pay events' dates),
  with the money the bank returned: the monthly summary 晋人社厅发〔2024〕28号 四 asks for after each pay day
  (“每月发放日后要统计汇总发放情况”), laid out as an upward report (:func:`write_monthly_xlsx`).

Amounts are integer fen summed as Int128 (exact); the XLSX writer shows 元 and checks totals in fen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.screening.output import SIZE_ZH, STATUS_ZH

# GB/T 4754-2017 门类 (sections): the first letter of an industry code
SECTIONS = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业",
    "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育", "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织", "T": "国际组织",
}  # fmt: skip
MONTHLY_BASIS = "晋人社厅发〔2024〕28号 四：“每月发放日后要统计汇总发放情况，确保各项待遇按时足额发放。”"
NETWORK_BASIS = "人社部发〔2024〕40号 六：“按月及时、准确上报失业保险联网数据”"


class ReportError(ValueError):
    """An input a report cannot use; Chinese first, English after."""


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    units: int
    eligible: int
    amount_fen: int  # 符合条件 rows' amounts


@dataclass
class Statistics:
    source: str
    units: int
    eligible: int
    amount_fen: int
    by_status: list[Row]
    by_region: list[Row]
    by_size: list[Row]
    by_industry: list[Row]
    by_program: list[Row]
    reasons: list[tuple[str, str, int]]  # code, text, units
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def rows(rs: list[Row]) -> list[dict[str, Any]]:
            return [
                {
                    "key": r.key,
                    "label": r.label,
                    "units": r.units,
                    "eligible": r.eligible,
                    "amount_fen": r.amount_fen,
                }
                for r in rs
            ]

        return {
            "source": self.source,
            "units": self.units,
            "eligible": self.eligible,
            "amount_fen": self.amount_fen,
            "by_status": rows(self.by_status),
            "by_region": rows(self.by_region),
            "by_size_class": rows(self.by_size),
            "by_industry": rows(self.by_industry),
            "by_program": rows(self.by_program),
            "reasons": [{"code": c, "text": t, "units": n} for c, t, n in self.reasons],
            "notes": self.notes,
        }


def region_label(code: Any) -> str:
    from wengang.regions import REGIONS

    return f"{REGIONS[code].name}（{code}）" if code in REGIONS else str(code)


def size_label(code: Any) -> str:
    return SIZE_ZH.get(str(code), "参照单位/未划型") if code not in (None, "") else "参照单位/未划型"


def industry_label(section: Any) -> str:
    return f"{section} {SECTIONS[section]}" if section in SECTIONS else "未登记行业"


def program_label(program: Any) -> str:
    from wengang.policies.required import PROGRAM_LABELS

    return PROGRAM_LABELS.get(str(program), str(program))


def _aggregate(
    lf: pl.LazyFrame, reason_texts: dict[str, str], source: str, *, reasons_are_codes: bool = True
) -> Statistics:
    """``lf`` has: program, region, size, industry, status (str), amount_fen, reasons (';'-joined codes)."""
    # materialised once, narrow: the features' industry and the scans are read once for all the group-bys below
    lf = lf.collect().lazy()
    eligible = pl.col("status") == "eligible"
    amount = pl.when(eligible).then(pl.col("amount_fen")).otherwise(0).fill_null(0).cast(pl.Int128)
    aggs = [pl.len().alias("n"), eligible.sum().alias("e"), amount.sum().alias("a")]
    keys = ("status", "region", "size", "industry", "program")
    queries = [lf.group_by(k).agg(aggs).sort(k, nulls_last=True) for k in keys]
    queries.append(
        lf.select(pl.col("reasons").str.split(";").alias("code")).explode("code")
        .filter(pl.col("code").is_not_null() & (pl.col("code") != ""))
        .group_by("code").agg(pl.len().alias("n")).sort("n", "code", descending=[True, False])
    )  # fmt: skip
    st, rg, sz, ind, pr, rs = pl.collect_all(queries)
    labels = {
        "status": lambda s: STATUS_ZH.get(str(s), str(s)),
        "region": region_label,
        "size": size_label,
        "industry": industry_label,
        "program": program_label,
    }

    def rows(frame: pl.DataFrame, key: str) -> list[Row]:
        return [
            Row("" if k is None else str(k), labels[key](k), n, int(e or 0), int(a or 0))
            for k, n, e, a in frame.iter_rows()
        ]

    status_rows = rows(st, "status")
    return Statistics(
        source=source,
        units=sum(r.units for r in status_rows),
        eligible=sum(r.eligible for r in status_rows),
        amount_fen=sum(r.amount_fen for r in status_rows),
        by_status=status_rows,
        by_region=rows(rg, "region"),
        by_size=rows(sz, "size"),
        by_industry=rows(ind, "industry"),
        by_program=rows(pr, "program"),
        reasons=[(c, reason_texts.get(c, c), n) for c, n in rs.iter_rows()],
    )


def _program_of(policy_ids: list[str], rulesets: list[str]) -> str | None:
    """The program a results file decided, from its documents and ruleset names (None when ambiguous)."""
    from wengang.policies import load_policy_set

    ps = load_policy_set()
    found: set[str] = set()
    for pid, rs in zip(policy_ids, rulesets, strict=True):
        try:
            doc = ps.get(pid)
        except KeyError:
            continue
        found |= {p for p, b in doc.programs.items() if b.ruleset == rs}
    return found.pop() if len(found) == 1 else None


def _reason_texts(program: str, regions: list[str], on: date | None) -> dict[str, str]:
    """Reason code → Chinese text, as the screening run wrote them (the plans for these regions and date)."""
    from wengang.screening.evaluate import plan_regions, reason_text

    if on is None:
        return {}
    try:
        return reason_text(plan_regions(program, regions, on))
    except (ValueError, LookupError):
        return {}


def results_frame(folder: str | Path, program: str | None = None) -> tuple[pl.LazyFrame, dict[str, str], str]:
    """One ``wengang screen`` output folder as the statistics' columns, its reason texts and its program."""
    d = Path(folder)
    path = d / "results.parquet" if d.is_dir() else d
    if not path.is_file():
        raise ReportError(
            f"找不到筛查结果 {path}（应为 wengang screen 的输出目录） / no screening results at {path}"
        )
    res = pl.scan_parquet(path)
    names = res.collect_schema().names()
    feats = path.parent / "features.parquet"
    key = "credit_code" if "credit_code" in names else None
    pairs = res.select("policy_id", "ruleset").unique().drop_nulls().collect()
    program = program or _program_of(pairs["policy_id"].to_list(), pairs["ruleset"].to_list())
    if program is None:
        raise ReportError(
            f"无法从 {path} 判断项目，请写作 项目=目录，如 fanhuan={d} / give the program as program=DIR"
        )
    on = None
    industry = pl.lit(None, dtype=pl.String)
    if feats.is_file() and key is not None:
        fs = pl.scan_parquet(feats)
        fnames = fs.collect_schema().names()
        if "industry_code" in fnames:
            # ``wengang screen`` writes the results in the features' row order: then the industry is taken
            # row by row (no join: 0.6 s CPU per million rows); otherwise joined by the unit's code
            mine = res.select(key).collect().get_column(key)
            theirs = fs.select(key).collect().get_column(key)
            if mine.equals(theirs):
                res = pl.concat([res, fs.select(pl.col("industry_code").alias("__ind"))], how="horizontal")
            else:
                res = res.join(fs.select(key, pl.col("industry_code").alias("__ind")), on=key, how="left")
            del mine, theirs
            industry = pl.col("__ind").str.slice(0, 1).str.to_uppercase()
        if "evaluation_date" in fnames:
            on = fs.select(pl.col("evaluation_date").max()).collect().item()
    frame = res.select(
        pl.lit(program).alias("program"),
        pl.col("region_code").cast(pl.String).alias("region"),
        (
            pl.col("size_class").cast(pl.String) if "size_class" in names else pl.lit(None, dtype=pl.String)
        ).alias("size"),
        industry.alias("industry"),
        pl.col("status").cast(pl.String),
        pl.col("amount_fen"),
        pl.col("reasons"),
    )
    regions = res.select(pl.col("region_code").unique()).collect()["region_code"].drop_nulls().to_list()
    return frame, _reason_texts(program, [str(r) for r in regions], on), program


def from_results(folders: Sequence[str | Path | tuple[str | None, str | Path]]) -> Statistics:
    """Statistics over screening output folders; an item may be ``(program, folder)``."""
    frames, texts, names = [], {}, []
    for item in folders:
        program, folder = item if isinstance(item, tuple) else (None, item)
        frame, t, prog = results_frame(folder, program)
        frames.append(frame)
        texts.update({k: v for k, v in t.items() if k not in texts})
        names.append(f"{program_label(prog)}：{folder}")
    if not frames:
        raise ReportError("请给出至少一个筛查结果目录 / give at least one screening results folder")
    return _aggregate(pl.concat(frames, how="vertical_relaxed"), texts, "；".join(names))


def from_ledger(url: str) -> Statistics:
    """Statistics over the ledger's decisions (the entitlement as decided; reasons as the decisions' texts)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            df = pl.read_database(
                "SELECT program, region_code, size_class, status, amount_fen, reasons FROM case_decisions",
                conn,
                schema_overrides={"amount_fen": pl.Int64, "size_class": pl.String},
            )
    except Exception as exc:  # noqa: BLE001 - any database error is the operator's input
        raise ReportError(
            f"无法读取台账 {url}（{type(exc).__name__}） / cannot read the ledger {url}"
        ) from None
    finally:
        engine.dispose()
    # the ledger stores each decision's reasons as a JSON list of Chinese texts: the text is its own code
    reasons = pl.col("reasons").map_elements(
        lambda s: ";".join(json.loads(s or "[]")), return_dtype=pl.String
    )
    frame = df.lazy().select(
        pl.col("program"),
        pl.col("region_code").alias("region"),
        pl.col("size_class").alias("size"),
        pl.lit(None, dtype=pl.String).alias("industry"),
        pl.col("status"),
        pl.col("amount_fen"),
        reasons.alias("reasons"),
    )
    st = _aggregate(frame, {}, f"台账 {url}")
    st.notes.append("台账的决定不含行业，按行业统计请用筛查结果。")
    return st


# -------------------------------------------------------------------------------------------------------------
# monthly disbursements from the ledger


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    program: str
    payments: int
    paid_fen: int
    returned: int
    returned_fen: int

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.returned_fen


def monthly_payments(url: str, year: int | None = None) -> list[MonthRow]:
    """Payments by the month they were paid (the pay event's ``as_of``, the day recorded) and program, with
    the returns by the month the bank's return was recorded in the ledger (the event's Beijing date: a return
    row carries no date of its own)."""
    from sqlalchemy import create_engine

    from wengang.casework.query import local_time

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pays = pl.read_database(
                "SELECT p.amount_fen, d.program, e.after AS after FROM case_payments p "
                "JOIN case_decisions d ON d.id = p.decision_id "
                "JOIN case_audit_events e ON e.ref = p.audit_ref AND e.action = 'pay' AND e.entity = 'case_payments'",
                conn,
                schema_overrides={"amount_fen": pl.Int64},
            )
            rets = pl.read_database(
                "SELECT r.amount_fen, d.program, e.at AS at FROM case_payment_returns r "
                "JOIN case_payments p ON p.id = r.payment_id JOIN case_decisions d ON d.id = p.decision_id "
                "JOIN case_audit_events e ON e.ref = r.audit_ref AND e.entity = 'case_payment_returns'",
                conn,
                schema_overrides={"amount_fen": pl.Int64},
            )
    except Exception as exc:  # noqa: BLE001
        raise ReportError(
            f"无法读取台账 {url}（{type(exc).__name__}） / cannot read the ledger {url}"
        ) from None
    finally:
        engine.dispose()
    pays = pays.with_columns(
        pl.col("after")
        .map_elements(lambda s: str(json.loads(s).get("as_of", ""))[:7], return_dtype=pl.String)
        .alias("month")
    )
    rets = rets.with_columns(
        pl.col("at").map_elements(lambda s: local_time(s)[:7], return_dtype=pl.String).alias("month")
    )
    if year is not None:
        pays = pays.filter(pl.col("month").str.starts_with(f"{year:04d}-"))
        rets = rets.filter(pl.col("month").str.starts_with(f"{year:04d}-"))
    p = pays.group_by("month", "program").agg(
        pl.len().alias("n"), pl.col("amount_fen").cast(pl.Int128).sum().alias("a")
    )
    r = rets.group_by("month", "program").agg(
        pl.len().alias("rn"), pl.col("amount_fen").cast(pl.Int128).sum().alias("ra")
    )
    both = p.join(r, on=["month", "program"], how="full", coalesce=True).fill_null(0).sort("month", "program")
    return [
        MonthRow(m, prog, int(n), int(a), int(rn), int(ra))
        for m, prog, n, a, rn, ra in both.select("month", "program", "n", "a", "rn", "ra").iter_rows()
    ]


def _period_text(month: str) -> str:
    y, m = month.split("-")
    return f"{int(y)}年{int(m)}月"


def monthly_tables(rows: list[MonthRow], *, unit: str, month: str) -> list[Any]:
    """The upward report of ``month``: this month's disbursements by program with the year's running totals,
    and the year by month. Each sheet: title, 填报单位, 报告期, 单位：元, a 合计 row."""
    from wengang.documents.xlsx import INT, MONEY, Column, Table

    year = month[:4]
    programs = sorted({r.program for r in rows if r.month[:4] == year})
    this = {r.program: r for r in rows if r.month == month}
    ytd: dict[str, list[int]] = {}
    for r in rows:
        if r.month[:4] == year and r.month <= month:
            acc = ytd.setdefault(r.program, [0, 0, 0])
            acc[0] += r.payments
            acc[1] += r.paid_fen
            acc[2] += r.returned_fen
    meta = (f"填报单位：{unit}", f"报告期：{_period_text(month)}", "单位：元")
    by_program = Table(
        [
            Column("program", "项目"),
            Column("n", "本月发放笔数", INT),
            Column("paid", "本月发放金额", MONEY),
            Column("ret", "本月退回金额", MONEY),
            Column("net", "本月净发放", MONEY),
            Column("yn", "本年累计笔数", INT),
            Column("ypaid", "本年累计发放金额", MONEY),
            Column("ynet", "本年累计净发放", MONEY),
        ],
        [
            {
                "program": program_label(p),
                "n": this[p].payments if p in this else 0,
                "paid": this[p].paid_fen if p in this else 0,
                "ret": this[p].returned_fen if p in this else 0,
                "net": this[p].net_fen if p in this else 0,
                "yn": ytd.get(p, [0, 0, 0])[0],
                "ypaid": ytd.get(p, [0, 0, 0])[1],
                "ynet": ytd.get(p, [0, 0, 0])[1] - ytd.get(p, [0, 0, 0])[2],
            }
            for p in programs
        ],
        sheet="本月发放",
        title="失业保险待遇及补贴发放情况统计表",
        meta=meta,
        total_counts=True,
        footer=(f"依据：{MONTHLY_BASIS}",),
    )
    months = [f"{year}-{m:02d}" for m in range(1, int(month[5:]) + 1)]
    per_month = {m: [0, 0, 0] for m in months}
    for r in rows:
        if r.month in per_month:
            per_month[r.month][0] += r.payments
            per_month[r.month][1] += r.paid_fen
            per_month[r.month][2] += r.returned_fen
    by_month = Table(
        [
            Column("month", "月份"),
            Column("n", "发放笔数", INT),
            Column("paid", "发放金额", MONEY),
            Column("ret", "退回金额", MONEY),
            Column("net", "净发放", MONEY),
        ],
        [
            {"month": _period_text(m), "n": v[0], "paid": v[1], "ret": v[2], "net": v[1] - v[2]}
            for m, v in per_month.items()
        ],
        sheet="逐月",
        title=f"{year}年逐月发放情况",
        total_counts=True,
        meta=(f"填报单位：{unit}", f"报告期：{year}年1月至{_period_text(month)}", "单位：元"),
        footer=(f"依据：{MONTHLY_BASIS}",),
    )
    return [by_program, by_month]


def statistics_tables(st: Statistics, *, unit: str, period: str) -> list[Any]:
    """The statistics as upward-report sheets (title, 填报单位, 报告期, 单位：元, 合计)."""
    from wengang.documents.xlsx import INT, MONEY, Column, Table

    meta = (f"填报单位：{unit}", f"报告期：{period}", "单位：元")

    def table(rows: list[Row], head: str, sheet: str) -> Table:
        return Table(
            [
                Column("label", head),
                Column("units", "单位（人）数", INT),
                Column("eligible", "符合条件", INT),
                Column("amount", "拟发放金额", MONEY),
            ],
            [
                {"label": r.label, "units": r.units, "eligible": r.eligible, "amount": r.amount_fen}
                for r in rows
            ],
            sheet=sheet,
            title=f"稳岗返还等项目判定情况统计表（按{head}）",
            meta=meta,
            total_counts=True,
            footer=(f"数据来源：{st.source}", f"上报依据：{NETWORK_BASIS}"),
        )

    out = [
        table(st.by_program, "项目", "按项目"),
        table(st.by_region, "地区", "按地区"),
        table(st.by_size, "企业划型", "按企业划型"),
        table(st.by_industry, "行业门类", "按行业"),
        table(st.by_status, "结论", "按结论"),
    ]
    out.append(
        Table(
            [Column("text", "不符合或无法判定的原因"), Column("code", "代码"), Column("n", "数量", INT)],
            [{"text": t, "code": c, "n": n} for c, t, n in st.reasons],
            sheet="原因",
            title="不符合或无法判定的原因",
            meta=meta[:2],
        )
    )
    return out


def write_statistics_xlsx(
    path: str | Path,
    st: Statistics,
    *,
    unit: str,
    period: str,
    monthly: list[MonthRow] | None = None,
    month: str | None = None,
) -> Path:
    from wengang.documents.xlsx import write_xlsx

    tables = statistics_tables(st, unit=unit, period=period)
    if monthly is not None and month is not None:
        tables += monthly_tables(monthly, unit=unit, month=month)
    return write_xlsx(path, *tables)
