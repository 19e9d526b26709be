"""Statistics for the office and for upward reporting, from screening results and from the ledger.

* :func:`from_results` — counts and amounts by region, size class, industry (GB/T 4754 门类, from the
  screening's ``features.parquet``) and program, and the refusal reasons, over one or more ``wengang screen``
  output folders. Polars group-bys over the Parquet files: ten million decisions in seconds.
* :func:`from_ledger` — the same over the ledger's decisions of the period's policy years, each by its current
  state and current entitlement (after 多退少补 recomputation).
* :func:`monthly_payments` — the disbursements of the ledger by month and program, with the money the bank
  returned and the recoveries received, all dated by the business date (:data:`MONTHLY_CLOCK`), laid out as an
  upward report (:func:`monthly_tables`). Its basis is what the documents in force for the ledger's regions say
  about monthly figures (:mod:`wengang.reports.scope`), never a fixed 文号.

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

from wengang.beijing import beijing_today
from wengang.facts.industries import SECTION_NAMES_ZH
from wengang.screening.output import PAYABLE, SIZE_ZH, STATUS_ZH

# GB/T 4754-2017 门类 (sections): the first letter of an industry code (one table, facts.industries')
SECTIONS = SECTION_NAMES_ZH
# the results' statuses may be written as the screening's Chinese labels (results.xlsx, screening.output.STATUS_ZH)
STATUS_FROM_ZH = {zh: code for code, zh in STATUS_ZH.items()}
RESULT_COLUMNS = ("region_code", "status", "amount_fen")
# a refusal resting on a quarantined row (payment_hold on a refusal, screening.holds.REFUSAL_TO_VERIFY): not final
REFUSAL_TO_VERIFY = "refusal_to_verify"
REFUSAL_TO_VERIFY_ZH = "待核实的拒绝"
RESULT_LABELS = dict(STATUS_ZH) | {REFUSAL_TO_VERIFY: REFUSAL_TO_VERIFY_ZH}
UNSTATED = "未写明原因"


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
    reasons: list[tuple[str, str, int]]  # code, text, units (of the rows not counted 符合条件)
    notes: list[str] = field(default_factory=list)
    # rows not counted 符合条件 whose file gives no reason: status key, status label, units
    unstated: list[tuple[str, str, int]] = field(default_factory=list)
    period_filter: str = ""  # which decisions the report covers (the filter applied, or that none was)

    def reason_lines(self) -> list[tuple[str, str, int]]:
        """The reasons section: every reason, then a 未写明原因 line per status whose rows have none."""
        return self.reasons + [
            (f"unstated:{k}", f"{UNSTATED}（{label}）", n) for k, label, n in self.unstated
        ]

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
            "reasons_unstated": [{"status": k, "label": lb, "units": n} for k, lb, n in self.unstated],
            "period_filter": self.period_filter,
            "notes": self.notes,
        }


def region_label(code: Any) -> str:
    from wengang.regions import REGIONS

    return f"{REGIONS[code].name}（{code}）" if code in REGIONS else str(code)


def size_label(code: Any) -> str:
    return SIZE_ZH.get(str(code), "参照单位/未划型") if code not in (None, "") else "参照单位/未划型"


def count_heading(st: Statistics) -> str:
    """单位数 for unit programs (稳岗返还 …), 人数 for person programs (技能提升补贴 …), 单位（人）数 for a mix."""
    from wengang.screening.people import PERSON_PROGRAMS

    programs = {r.key for r in st.by_program if r.key}
    if programs and programs <= set(PERSON_PROGRAMS):
        return "人数"
    if programs and not programs & set(PERSON_PROGRAMS):
        return "单位数"
    return "单位（人）数"


def size_rank(code: Any) -> int:
    """大型、中型、小型、微型, then 参照单位/未划型 (an alphabetical sort put 微型 before 小型)."""
    order = list(SIZE_ZH)
    return order.index(str(code)) if str(code) in order else len(order)


def industry_label(section: Any) -> str:
    return f"{section} {SECTIONS[section]}" if section in SECTIONS else "未登记行业"


def program_label(program: Any) -> str:
    from wengang.policies.required import PROGRAM_LABELS

    return PROGRAM_LABELS.get(str(program), str(program))


def _aggregate(
    lf: pl.LazyFrame, reason_texts: dict[str, str], source: str, labels: dict[str, str]
) -> Statistics:
    """``lf`` has: program, region, size, industry, status (key), counted (符合条件 with its amount), amount_fen,
    reasons (list of codes). ``labels``: status key → Chinese label."""
    # materialised once, narrow: the features' industry and the scans are read once for all the group-bys below
    lf = lf.collect().lazy()
    counted = pl.col("counted").fill_null(False)
    amount = pl.when(counted).then(pl.col("amount_fen")).otherwise(0).fill_null(0).cast(pl.Int128)
    aggs = [pl.len().alias("n"), counted.sum().alias("e"), amount.sum().alias("a")]
    keys = ("status", "region", "size", "industry", "program")
    queries = [lf.group_by(k).agg(aggs).sort(k, nulls_last=True) for k in keys]
    # the reasons of every row not counted 符合条件 (a unit once per code); rows without one by their status
    refused = (
        lf.filter(~counted)
        .with_row_index("__row")
        .select(
            "__row",
            "status",
            pl.col("reasons").list.eval(pl.element().filter(pl.element().str.strip_chars() != "")),
        )
    )
    queries.append(
        refused.explode("reasons").drop_nulls("reasons").unique(["__row", "reasons"])
        .group_by(pl.col("reasons").alias("code")).agg(pl.len().alias("n"))
        .sort("n", "code", descending=[True, False])
    )  # fmt: skip
    queries.append(
        refused.filter(pl.col("reasons").list.len() == 0)
        .group_by("status")
        .agg(pl.len().alias("n"))
        .sort("status")
    )
    st, rg, sz, ind, pr, rs, un = pl.collect_all(queries)
    key_labels = {
        "status": lambda s: labels.get(str(s), str(s)),
        "region": region_label,
        "size": size_label,
        "industry": industry_label,
        "program": program_label,
    }

    def rows(frame: pl.DataFrame, key: str) -> list[Row]:
        return [
            Row("" if k is None else str(k), key_labels[key](k), n, int(e or 0), int(a or 0))
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
        by_size=sorted(rows(sz, "size"), key=lambda r: size_rank(r.key)),
        by_industry=rows(ind, "industry"),
        by_program=rows(pr, "program"),
        reasons=[(c, reason_texts.get(c, c), n) for c, n in rs.iter_rows()],
        unstated=[(str(k), labels.get(str(k), str(k)), n) for k, n in un.iter_rows()],
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


def _status_key(names: list[str]) -> pl.Expr:
    """The results' status as its key: the codes, or the screening's Chinese labels (``STATUS_ZH``) read back as
    codes; a refusal marked by ``payment_hold`` (it rests on a quarantined row, screening.holds) is its own row."""
    status = pl.col("status").cast(pl.String).str.strip_chars()
    status = status.replace(STATUS_FROM_ZH)
    if "payment_hold" in names:
        refusal = pl.col("payment_hold").fill_null(False) & ~status.is_in(list(PAYABLE))
        status = pl.when(refusal).then(pl.lit(REFUSAL_TO_VERIFY)).otherwise(status)
    return status


def results_frame(folder: str | Path, program: str | None = None) -> tuple[pl.LazyFrame, dict[str, str], str]:
    """One ``wengang screen`` output folder as the statistics' columns, its reason texts and its program."""
    d = Path(folder)
    path = d / "results.parquet" if d.is_dir() else d
    if not path.is_file():
        raise ReportError(
            f"找不到筛查结果 {path}（应为 wengang screen 的输出目录） / no screening results at {path}"
        )
    try:
        res = pl.scan_parquet(path)
        names = res.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ReportError(
            f"{path} 不是可读的筛查结果文件（{type(exc).__name__}） / {path} is no readable results file"
        ) from None
    missing = [c for c in RESULT_COLUMNS if c not in names]
    if missing:
        raise ReportError(
            f"{path} 缺少筛查结果的列 {'、'.join(missing)}，不是 wengang screen 的结果文件（results.parquet）"
            f" / {path} lacks the results' columns {', '.join(missing)}: not a screening results file"
        )
    if program is None and not {"policy_id", "ruleset"} <= set(names):
        raise ReportError(
            f"{path} 没有 policy_id/ruleset 列（较早版本的结果文件），无法判断项目，请写作 项目=目录，如 fanhuan={d}"
            f" / {path} has no policy_id/ruleset columns: give the program as program=DIR"
        )
    # statuses the report knows (codes or the screening's Chinese labels): anything else is refused, never
    # counted as a zero
    found = (
        res.select(pl.col("status").cast(pl.String).str.strip_chars().unique())
        .collect()
        .to_series()
        .to_list()
    )
    unknown = sorted({str(v) for v in found} - set(STATUS_ZH) - set(STATUS_FROM_ZH))
    if unknown:
        raise ReportError(
            f"{path} 的 status 列有无法识别的结论：{'、'.join(unknown[:5])}（应为 "
            f"{'、'.join(STATUS_ZH)} 或 {'、'.join(STATUS_ZH.values())}） / unknown statuses in {path}: "
            f"{', '.join(unknown[:5])}"
        )
    feats = path.parent / "features.parquet"
    key = "credit_code" if "credit_code" in names else None
    if program is None:
        pairs = res.select("policy_id", "ruleset").unique().drop_nulls().collect()
        program = _program_of(pairs["policy_id"].to_list(), pairs["ruleset"].to_list())
    if program is None:
        raise ReportError(
            f"无法从 {path} 判断项目，请写作 项目=目录，如 fanhuan={d} / give the program as program=DIR"
        )
    on = None
    industry = pl.lit(None, dtype=pl.String)
    if feats.is_file() and key is not None:
        fs = pl.scan_parquet(feats)
        fnames = fs.collect_schema().names()
        if "industry_code" in fnames and key in fnames:
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
    status = _status_key(names)
    reasons = (
        pl.col("reasons").cast(pl.String).fill_null("").str.split(";")
        if "reasons" in names
        else pl.lit([], dtype=pl.List(pl.String))
    )
    frame = res.select(
        pl.lit(program).alias("program"),
        pl.col("region_code").cast(pl.String).alias("region"),
        (
            pl.col("size_class").cast(pl.String) if "size_class" in names else pl.lit(None, dtype=pl.String)
        ).alias("size"),
        industry.alias("industry"),
        status.alias("status"),
        (status == "eligible").alias("counted"),
        pl.col("amount_fen").cast(pl.Int64),
        reasons.alias("reasons"),
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
    st = _aggregate(pl.concat(frames, how="vertical_relaxed"), texts, "；".join(names), RESULT_LABELS)
    st.period_filter = "筛查结果不含年度，未按年度筛选（统计给出的全部结果）"
    if st.units == 0:
        st.notes.append("筛查结果中没有单位。")
    return st


def shown_url(url: str) -> str:
    """The ledger's URL as a report or a message may show it: its password (user info) and secret query values
    replaced by *** (a filed report had carried the database password; outside audit, session 41)."""
    from wengang.documents.masking import scrub_secrets

    return scrub_secrets(url)


def check_ledger_url(url: str) -> None:
    """A SQLite ledger must exist: connecting to a mistyped path would create an empty file there."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError:
        raise ReportError(f"台账数据库 URL 无效：{shown_url(url)} / invalid ledger URL {shown_url(url)}") from None
    db = u.database or ""
    if u.get_backend_name() == "sqlite" and db not in ("", ":memory:") and not db.startswith("file:"):
        if not Path(db).is_file():
            raise ReportError(f"找不到台账数据库文件 {db} / no ledger database file at {db}")


def _counted_returns() -> Any:
    """The returns the ledger counts (``Ledger._returned``: not one the bank confirmed credited and a 复核 found
    void), with the program, the audit event's seq and ``withdrawn``: the return row is a withdrawal (its event is
    ``WITHDRAWN``, as ``Ledger._fate`` reads it) — a payment taken back before it was sent, never a bank return."""
    from sqlalchemy import select

    from wengang.casework.ledger import WITHDRAWN, Ledger
    from wengang.casework.models import AuditEvent, Decision, Payment, PaymentReturn

    X, P, D, E = (t.__table__.c for t in (PaymentReturn, Payment, Decision, AuditEvent))
    joined = (
        PaymentReturn.__table__.join(Payment.__table__, P.id == X.payment_id)
        .join(Decision.__table__, D.id == P.decision_id)
        .join(AuditEvent.__table__, (E.ref == X.audit_ref) & (E.entity == "case_payment_returns"))
    )
    return (
        select(X.amount_fen, D.program, E.seq, (E.action == WITHDRAWN).label("withdrawn"))
        .select_from(joined)
        .where(Ledger._returned())
    )


def _payments() -> Any:
    """Every payment row with its program, its ``pay`` event's seq and ``after`` (its business date), its ``fate``
    (``Ledger._fate``) and ``sent_on``: the value date of the bank file that carried it (none: not sent, or paid
    directly)."""
    from sqlalchemy import String, cast, select

    from wengang.casework.ledger import Ledger
    from wengang.casework.models import AuditEvent, BankFile, BankFileItem, Decision, Payment

    E = AuditEvent.__table__.alias("e")  # not the table ``_fate`` reads the withdrawals from
    P, D = Payment.__table__.c, Decision.__table__.c
    item, sent = BankFileItem.__table__.alias("bi"), BankFile.__table__.alias("bf")
    joined = (
        Payment.__table__.join(Decision.__table__, D.id == P.decision_id)
        .join(E, (E.c.ref == P.audit_ref) & (E.c.entity == "case_payments"))
        .outerjoin(item, item.c.payment_id == P.id)
        .outerjoin(sent, sent.c.id == item.c.file_id)
    )
    # the date as text on PostgreSQL too (a DATE there, text in SQLite)
    return select(
        P.amount_fen, D.program, E.c.seq, E.c.after, Ledger._fate().label("fate"),
        cast(sent.c.value_date, String).label("sent_on"),
    ).select_from(joined)  # fmt: skip


def _read_ledger(url: str, queries: dict[str, tuple[Any, dict[str, Any]]]) -> dict[str, pl.DataFrame]:
    from sqlalchemy import create_engine, text

    check_ledger_url(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: pl.read_database(
                    text(sql) if isinstance(sql, str) else sql,
                    conn,
                    schema_overrides=types,
                    infer_schema_length=None,
                )
                for name, (sql, types) in queries.items()
            }
    except Exception as exc:  # noqa: BLE001 - any database error is the operator's input
        raise ReportError(
            f"无法读取台账 {shown_url(url)}（{type(exc).__name__}） / cannot read the ledger {shown_url(url)}"
        ) from None
    finally:
        engine.dispose()


# decisions in these states are not (or no longer) to be paid: counted in their own rows, never 符合条件
NOT_COUNTED_STATES = frozenset(
    {"not_eligible", "disqualified", "declined", "waived", "rejected", "revoked", "pending_determination"}
)


def years_of(period: str | None) -> tuple[int, int] | None:
    """The policy years a 报告期 text names: ``2025年度`` → (2025, 2025); ``2024年至2025年`` → (2024, 2025)."""
    import re

    found = [int(y) for y in re.findall(r"(?<!\d)(\d{4})\s*年", period or "")]
    return (min(found), max(found)) if found else None


def from_ledger(url: str, years: tuple[int, int] | None = None) -> Statistics:
    """Statistics over the ledger's decisions as they stand: each decision's current state and current entitlement
    (the latest recomputation — 多退少补 划型变更 or 人工认定 — else the rule output), of the policy years ``years``
    (``case_decisions.year``; all years when None). Rejected, declined, waived and not-eligible decisions are rows
    of their own and count no amount; the reasons are the decisions' texts (a rejection: the reviewer's reason)."""
    from wengang.casework.states import STATE_ZH

    where = "" if years is None else f" WHERE d.year BETWEEN {int(years[0])} AND {int(years[1])}"
    frames = _read_ledger(
        url,
        {
            "d": (
                "SELECT d.id, d.year, d.program, d.region_code, d.size_class, d.state, d.status, d.amount_fen, "
                f"d.reasons, d.hold_reason FROM case_decisions d{where}",
                {
                    "id": pl.Int64,
                    "year": pl.Int64,
                    "program": pl.String,
                    "region_code": pl.String,
                    "state": pl.String,
                    "status": pl.String,
                    "amount_fen": pl.Int64,
                    "size_class": pl.String,
                    "hold_reason": pl.String,
                    "reasons": pl.String,
                },
            ),
            "all_years": ("SELECT DISTINCT year FROM case_decisions", {"year": pl.Int64}),
            "r": (
                "SELECT decision_id AS id, seq, kind, new_status, new_size_class, new_amount_fen, reason "
                "FROM case_recomputations",
                {
                    "id": pl.Int64,
                    "seq": pl.Int64,
                    "kind": pl.String,
                    "new_status": pl.String,
                    "new_size_class": pl.String,
                    "new_amount_fen": pl.Int64,
                    "reason": pl.String,
                },
            ),
            "v": (
                "SELECT decision_id AS id, stage, reason FROM case_reviews WHERE approve = 0",
                {"id": pl.Int64, "stage": pl.Int64, "reason": pl.String},
            ),
        },
    )
    df, all_years = frames["d"], sorted(frames["all_years"]["year"].to_list())
    if not all_years:
        raise ReportError(f"台账中没有决定：{shown_url(url)} / the ledger has no decisions")
    scope = (
        f"政策年度 {years[0]}年" + ("" if years[0] == years[1] else f"至{years[1]}年")
        if years is not None
        else "全部政策年度"
    )
    if df.height == 0:
        raise ReportError(
            f"台账中没有{scope}的决定（台账中的年度：{'、'.join(map(str, all_years))}） / the ledger has no "
            f"decisions of the years asked for (it has {', '.join(map(str, all_years))})"
        )
    # the current entitlement, as Ledger._entitlement reads it: the latest recomputation of each decision
    latest = frames["r"].sort("seq").group_by("id").last()
    rejected = frames["v"].sort("stage").group_by("id").last().select("id", pl.col("reason").alias("rej"))
    df = df.join(latest, on="id", how="left").join(rejected, on="id", how="left")
    recomputed = pl.col("seq").is_not_null()
    status = pl.when(recomputed).then(pl.col("new_status")).otherwise(pl.col("status"))
    refusal_to_verify = (
        (pl.col("state") == "pending_determination")
        & pl.col("hold_reason").is_not_null()
        & ~status.is_in(list(PAYABLE))
    )
    key = (
        pl.when(refusal_to_verify).then(pl.lit(REFUSAL_TO_VERIFY))
        .when(pl.col("state").is_in(["pending_determination", "not_eligible"]) & (status == "not_determinable"))
        .then(pl.col("state") + ":not_determinable")
        .otherwise(pl.col("state"))
    )  # fmt: skip
    texts = pl.col("reasons").map_elements(lambda s: json.loads(s or "[]"), return_dtype=pl.List(pl.String))
    reasons = (
        pl.when(pl.col("state") == "rejected").then(pl.concat_list(pl.lit("审核未通过：") + pl.col("rej").fill_null("")))
        .when(pl.col("state").is_in(["declined", "waived"])).then(pl.concat_list(pl.col("state").replace_strict(
            STATE_ZH, default=pl.col("state"))))
        .when(recomputed & (pl.col("kind") == "determination") & (pl.col("new_status") != "eligible"))
        .then(pl.concat_list(pl.lit("人工认定不符合条件：") + pl.col("reason").fill_null("")))
        .when(recomputed & (pl.col("kind") == "reading") & (pl.col("new_status") != "eligible"))
        .then(pl.concat_list(pl.lit("按认定的政策理解不符合条件：") + pl.col("reason").fill_null("")))
        .otherwise(texts)
    )  # fmt: skip
    frame = df.lazy().select(
        pl.col("program"),
        pl.col("region_code").alias("region"),
        pl.when(recomputed).then(pl.col("new_size_class")).otherwise(pl.col("size_class")).alias("size"),
        pl.lit(None, dtype=pl.String).alias("industry"),
        key.alias("status"),
        ((status == "eligible") & ~pl.col("state").is_in(list(NOT_COUNTED_STATES))).alias("counted"),
        pl.when(recomputed)
        .then(pl.col("new_amount_fen"))
        .otherwise(pl.col("amount_fen"))
        .alias("amount_fen"),
        reasons.alias("reasons"),
    )
    labels = dict(STATE_ZH) | {
        REFUSAL_TO_VERIFY: REFUSAL_TO_VERIFY_ZH,
        # the label the screening's results give the same units (audit 7 F10: one label whichever the source)
        "pending_determination:not_determinable": STATUS_ZH["not_determinable"],
        "not_eligible:not_determinable": "不符合条件（无法判定）",
    }
    st = _aggregate(frame, {}, f"台账 {shown_url(url)}", labels)
    st.period_filter = (
        f"{scope}的决定（case_decisions.year），按各决定的当前状态与当前金额（含多退少补重新核定）统计"
    )
    st.notes.append(f"统计范围：{st.period_filter}。")
    if years is not None and len(all_years) > 1:
        left = [y for y in all_years if not years[0] <= y <= years[1]]
        if left:
            st.notes.append(f"台账中另有 {'、'.join(map(str, left))} 年度的决定，未计入本报告。")
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
    recovered: int = 0  # recoveries received (追回到账)
    recovered_fen: int = 0
    # payments withdrawn before they were sent (``Ledger._fate`` withdrawn): in neither 发放 nor 退回 (the money
    # never left and the bank never saw it), shown apart by the month of the withdrawal; net is unchanged
    withdrawn: int = 0
    withdrawn_fen: int = 0
    # payments not sent to the bank yet (``Ledger._fate`` not_sent, as the report is made): not 发放 either — the money
    # has not left; shown apart by their business date (outside audit F3, session 37), 发放 once a bank file has them
    not_sent: int = 0
    not_sent_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.returned_fen - self.recovered_fen


MONTHLY_CLOCK = (
    "日期口径：发放（含多退少补补发）按报盘文件的日期（款项报送银行之日；未经银行直接发放的，按发放时登记的日期）；"
    "退回按银行回盘日期；追回到账按登记的到账日期（款项到账之日）；台账未登记业务日期的（手工登记的退回、"
    "未记到账日期的早期追回到账），按审计链中此前最近一次登记的业务日期计。"
)


def monthly_payments(url: str, year: int | None = None) -> list[MonthRow]:
    """The money events of the ledger by month and program, all on one clock, the business date: a payment (every
    row of ``case_payments``: 发放, 重发, 多退少补补发) by the day it was paid as of (its audit event's ``as_of``);
    a return by the bank's date of the return file that reported it (the ``bank_confirm`` event of that file,
    recorded just before its bounces); a recovery received by the day the money arrived (``received_on``, given with
    ``case recovery-received --date``: a receipt of 1 October entered in September is October's); a row the ledger
    records with no date of its own (a manual bounce, a receipt recorded before instalments had a day) by the
    business date last recorded before it in the audit chain. A return the bank
    contradicted (``Ledger._returned``) is not money back. A payment withdrawn before it was sent (``Ledger._fate``)
    is in neither 发放 nor 退回 but in ``withdrawn`` (by the withdrawal's date); one not sent to the bank yet as the
    report is made is in ``not_sent``, not 发放 (人社部发〔2024〕40号 六 “按月及时、准确上报”: money that has not left is
    not reported as disbursed). So paid + not sent − returned − recovered is the ledger's net."""
    frames = _read_ledger(
        url,
        {
            "pay": (
                _payments(),
                {
                    "amount_fen": pl.Int64,
                    "program": pl.String,
                    "seq": pl.Int64,
                    "after": pl.String,
                    "fate": pl.String,
                    "sent_on": pl.String,
                },
            ),
            "ret": (
                _counted_returns(),
                {"amount_fen": pl.Int64, "program": pl.String, "seq": pl.Int64, "withdrawn": pl.Boolean},
            ),
            "rec": (
                # by the day the money arrived (received_on, a DATE: text on PostgreSQL too), if recorded
                "SELECT k.amount_fen, d.program, e.seq, CAST(k.received_on AS VARCHAR) AS day "
                "FROM case_recovery_receipts k "
                "JOIN case_recoveries c ON c.id = k.recovery_id JOIN case_decisions d ON d.id = c.decision_id "
                "JOIN case_audit_events e ON e.ref = k.audit_ref AND e.entity = 'case_recovery_receipts'",
                {"amount_fen": pl.Int64, "program": pl.String, "seq": pl.Int64, "day": pl.String},
            ),
            # the date as text on PostgreSQL too (a DATE there, text in SQLite)
            "bank": (
                "SELECT e.seq, CAST(MAX(k.bank_date) AS VARCHAR) AS day FROM case_bank_confirmations k "
                "JOIN case_audit_events e ON e.ref = k.audit_ref AND e.entity = 'case_bank_confirmations' "
                "GROUP BY e.seq",
                {"seq": pl.Int64, "day": pl.String},
            ),
        },
    )
    pays = frames["pay"].with_columns(
        pl.col("after")
        .map_elements(lambda s: json.loads(s or "{}").get("as_of"), return_dtype=pl.String)
        .alias("day")
    )
    # the ledger's business clock: each dated event (a payment's as_of, a bank return's date) by its seq
    clock = (
        pl.concat([pays.select("seq", "day"), frames["bank"].select("seq", pl.col("day").cast(pl.String))])
        .drop_nulls("day")
        .with_columns(pl.col("day").str.slice(0, 10))
        .unique("seq", keep="first")
        .sort("seq")
    )

    def dated(frame: pl.DataFrame) -> pl.DataFrame:
        # the business date last recorded at or before the event (its own, when it has one)
        out = frame.sort("seq").join_asof(clock.rename({"day": "__clock"}), on="seq", strategy="backward")
        own = pl.col("day") if "day" in frame.columns else pl.lit(None, dtype=pl.String)
        return out.with_columns(pl.coalesce(own, pl.col("__clock")).str.slice(0, 7).alias("month"))

    pays, rets, recs = dated(pays), dated(frames["ret"]), dated(frames["rec"])
    # money sent to the bank is 发放 in the month its bank file is dated, the day it left (a batch of 30 December sent
    # on 5 January is January's: outside audit, session 37); paid directly, by its own business date
    pays = pays.with_columns(pl.coalesce(pl.col("sent_on").str.slice(0, 7), pl.col("month")).alias("month"))
    undated = sum(int(f["month"].null_count()) for f in (pays, rets, recs))
    # withdrawn: never sent, so neither paid nor returned; counted apart by the withdrawal (its return row)
    pays = pays.filter(pl.col("fate") != "withdrawn")
    unsent, pays = pays.filter(pl.col("fate") == "not_sent"), pays.filter(pl.col("fate") != "not_sent")
    wdr, rets = rets.filter(pl.col("withdrawn")), rets.filter(~pl.col("withdrawn"))
    if undated:
        raise ReportError(
            f"台账中有 {undated} 笔款项在审计链中找不到业务日期（台账早于发放登记业务日期的版本？），无法按月统计"
            f" / {undated} money rows of the ledger have no business date: no monthly figures"
        )
    if year is not None:
        pays, rets, recs, wdr, unsent = (
            f.filter(pl.col("month").str.starts_with(f"{year:04d}-")) for f in (pays, rets, recs, wdr, unsent)
        )

    def by_month(frame: pl.DataFrame, n: str, a: str) -> pl.DataFrame:
        return frame.group_by("month", "program").agg(
            pl.len().alias(n), pl.col("amount_fen").cast(pl.Int128).sum().alias(a)
        )

    both = (
        by_month(pays, "n", "a")
        .join(by_month(rets, "rn", "ra"), on=["month", "program"], how="full", coalesce=True)
        .join(by_month(recs, "kn", "ka"), on=["month", "program"], how="full", coalesce=True)
        .join(by_month(wdr, "wn", "wa"), on=["month", "program"], how="full", coalesce=True)
        .join(by_month(unsent, "un", "ua"), on=["month", "program"], how="full", coalesce=True)
        .fill_null(0)
        .sort("month", "program")
    )
    return [
        MonthRow(m, prog, int(n), int(a), int(rn), int(ra), int(kn), int(ka), int(wn), int(wa), int(un), int(ua))
        for m, prog, n, a, rn, ra, kn, ka, wn, wa, un, ua in both.select(
            "month", "program", "n", "a", "rn", "ra", "kn", "ka", "wn", "wa", "un", "ua"
        ).iter_rows()
    ]


def _period_text(month: str) -> str:
    y, m = month.split("-")
    return f"{int(y)}年{int(m)}月"


def monthly_basis(regions: Sequence[object], month: str) -> str:
    """What the monthly figures answer: the clauses on monthly statistics and reporting of the documents in force
    for ``regions`` in ``month`` (:mod:`wengang.reports.scope`)."""
    from wengang.reports.scope import MONTHLY, basis_text, month_bounds

    return basis_text(MONTHLY, regions, *month_bounds(month))


def statistics_basis(st: Statistics, period: str | None) -> str:
    """What the statistics sheets answer: the clauses on reporting upwards of the documents in force for the
    statistics' regions in the policy years ``period`` names (today's, when it names none)."""
    from wengang.reports.scope import NETWORK, basis_text

    years = years_of(period)
    first, last = (date(years[0], 1, 1), date(years[1], 12, 31)) if years else (beijing_today(), beijing_today())
    return basis_text(NETWORK, [r.key for r in st.by_region], first, last)


def ledger_regions(url: str) -> list[str]:
    """The region codes of the decisions the ledger paid (of all its decisions when it paid none): whose money a
    monthly report counts, so whose agency files it and whose documents it cites."""
    frames = _read_ledger(
        url,
        {
            "paid": (
                "SELECT DISTINCT d.region_code FROM case_decisions d JOIN case_payments p ON p.decision_id = d.id",
                {"region_code": pl.String},
            ),
            "all": ("SELECT DISTINCT region_code FROM case_decisions", {"region_code": pl.String}),
        },
    )
    codes = frames["paid"]["region_code"] if frames["paid"].height else frames["all"]["region_code"]
    return sorted(str(c) for c in codes.drop_nulls().to_list() if str(c).strip())


def monthly_tables(
    rows: list[MonthRow], *, unit: str, month: str, regions: Sequence[object] = ()
) -> list[Any]:
    """The upward report of ``month``: this month's disbursements by program with the year's running totals,
    and the year by month. Each sheet: title, 填报单位, 报告期, 单位：元, a 合计 row; the basis cited is that of
    the documents in force for ``regions`` (:func:`monthly_basis`; none given: the national documents only)."""
    from wengang.documents.xlsx import INT, MONEY, Column, Table

    year = month[:4]
    programs = sorted({r.program for r in rows if r.month[:4] == year})
    this = {r.program: r for r in rows if r.month == month}
    ytd: dict[str, list[int]] = {}
    for r in rows:
        if r.month[:4] == year and r.month <= month:
            acc = ytd.setdefault(r.program, [0, 0, 0, 0])
            acc[0] += r.payments
            acc[1] += r.paid_fen
            acc[2] += r.returned_fen
            acc[3] += r.recovered_fen
    meta = (f"填报单位：{unit}", f"报告期：{_period_text(month)}", "单位：元")
    # payments withdrawn before they were sent are in neither 发放 nor 退回: a column of their own when the year
    # to this month has any
    withdrew = any(r.withdrawn_fen for r in rows if r.month[:4] == year and r.month <= month)
    unsent = any(r.not_sent_fen for r in rows if r.month[:4] == year and r.month <= month)
    footer = (
        (f"依据：{monthly_basis(regions, month)}", MONTHLY_CLOCK, "净发放 = 发放 − 退回 − 追回到账")
        + (("未报盘即撤回的付款（款项未发出、银行未收到）不计入发放和退回，另列“撤回金额（未发出）”。",) if withdrew else ())
        + (
            ("已安排发放但截至制表时尚未报送银行的付款不计入发放，另列“未报盘金额（尚未发出）”；报盘后按其发放日期计入发放。",)
            if unsent
            else ()
        )
    )
    none = MonthRow(month, "", 0, 0, 0, 0)
    by_program = Table(
        [
            Column("program", "项目"),
            Column("n", "本月发放笔数", INT),
            Column("paid", "本月发放金额", MONEY),
            Column("ret", "本月退回金额", MONEY),
            Column("rec", "本月追回金额", MONEY),
            Column("net", "本月净发放", MONEY),
            Column("yn", "本年累计笔数", INT),
            Column("ypaid", "本年累计发放金额", MONEY),
            Column("ynet", "本年累计净发放", MONEY),
            *([Column("wdr", "本月撤回金额（未发出）", MONEY)] if withdrew else []),
            *([Column("uns", "本月未报盘金额（尚未发出）", MONEY)] if unsent else []),
        ],
        [
            {
                "program": program_label(p),
                "n": this.get(p, none).payments,
                "paid": this.get(p, none).paid_fen,
                "ret": this.get(p, none).returned_fen,
                "rec": this.get(p, none).recovered_fen,
                "net": this.get(p, none).net_fen,
                "wdr": this.get(p, none).withdrawn_fen,
                "uns": this.get(p, none).not_sent_fen,
                "yn": ytd.get(p, [0, 0, 0, 0])[0],
                "ypaid": ytd.get(p, [0, 0, 0, 0])[1],
                "ynet": ytd.get(p, [0, 0, 0, 0])[1]
                - ytd.get(p, [0, 0, 0, 0])[2]
                - ytd.get(p, [0, 0, 0, 0])[3],
            }
            for p in programs
        ],
        sheet="本月发放",
        title="失业保险待遇及补贴发放情况统计表",
        meta=meta,
        total_counts=True,
        footer=footer,
    )
    months = [f"{year}-{m:02d}" for m in range(1, int(month[5:]) + 1)]
    per_month = {m: [0, 0, 0, 0, 0, 0] for m in months}
    for r in rows:
        if r.month in per_month:
            per_month[r.month][0] += r.payments
            per_month[r.month][1] += r.paid_fen
            per_month[r.month][2] += r.returned_fen
            per_month[r.month][3] += r.recovered_fen
            per_month[r.month][4] += r.withdrawn_fen
            per_month[r.month][5] += r.not_sent_fen
    by_month = Table(
        [
            Column("month", "月份"),
            Column("n", "发放笔数", INT),
            Column("paid", "发放金额", MONEY),
            Column("ret", "退回金额", MONEY),
            Column("rec", "追回金额", MONEY),
            Column("net", "净发放", MONEY),
            *([Column("wdr", "撤回金额（未发出）", MONEY)] if withdrew else []),
            *([Column("uns", "未报盘金额（尚未发出）", MONEY)] if unsent else []),
        ],
        [
            {
                "month": _period_text(m),
                "n": v[0],
                "paid": v[1],
                "ret": v[2],
                "rec": v[3],
                "net": v[1] - v[2] - v[3],
                "wdr": v[4],
                "uns": v[5],
            }
            for m, v in per_month.items()
        ],
        sheet="逐月",
        title=f"{year}年逐月发放情况",
        total_counts=True,
        meta=(f"填报单位：{unit}", f"报告期：{year}年1月至{_period_text(month)}", "单位：元"),
        footer=footer,
    )
    return [by_program, by_month]


def statistics_tables(st: Statistics, *, unit: str, period: str) -> list[Any]:
    """The statistics as upward-report sheets (title, 填报单位, 报告期, 单位：元, 合计)."""
    from wengang.documents.xlsx import INT, MONEY, Column, Table

    meta = (f"填报单位：{unit}", f"报告期：{period}", "单位：元")
    scope = (f"统计范围：{st.period_filter}",) if st.period_filter else ()
    basis = statistics_basis(st, period)

    count = count_heading(st)

    def table(rows: list[Row], head: str, sheet: str) -> Table:
        return Table(
            [
                Column("label", head),
                Column("units", count, INT),
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
            footer=(f"数据来源：{st.source}", *scope, f"上报依据：{basis}"),
        )

    out = [
        table(st.by_program, "项目", "按项目"),
        table(st.by_region, "地区", "按地区"),
        table(st.by_size, "企业划型", "按企业划型"),
        table(st.by_industry, "行业门类", "按行业"),
        table(st.by_status, "结论", "按结论"),
    ]
    # no amounts here: no control row (金额单位：分); the 合计 is of the units not counted 符合条件, each once though
    # it may have several reasons (the lines' 数量 do not add up to it)
    reasons = [{"text": t, "code": c, "n": n} for c, t, n in st.reason_lines()]
    reasons.append({"text": f"合计：不符合或无法判定的{count.removesuffix('数')}（一个可有多项原因）", "code": "",
                    "n": st.units - st.eligible})
    out.append(
        Table(
            [Column("text", "不符合或无法判定的原因"), Column("code", "代码"), Column("n", count, INT)],
            reasons,
            sheet="原因",
            title="不符合或无法判定的原因",
            meta=meta[:2],
            control=False,
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
    regions: Sequence[object] = (),
) -> Path:
    from wengang.documents.xlsx import write_xlsx

    tables = statistics_tables(st, unit=unit, period=period)
    if monthly is not None and month is not None:
        tables += monthly_tables(monthly, unit=unit, month=month, regions=regions)
    return write_xlsx(path, *tables)
