"""What a change of policy would cost: one population decided twice, under the baseline and a variant, and joined.

    result = simulate("out/screen", program="fanhuan",
                      variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "70%"})),
                      fund=FundInput.read("fund.yaml"))
    result.delta_fen, result.gained, result.by_size, result.fund.after_years

The change is either parameters (``settings``: any parameter of the document in force, with its unit, as
``--setting``) or policy files not installed (``policy_files``: a draft of next year's notice), or both. Both
runs are the compiled batch rules of ``wengang screen`` (:func:`wengang.screening.evaluate.screen_facts`) over
the same rows, joined by row number: there is no per-row Python. The result is a plain object (``to_dict``) a
web page or the report writers (:mod:`wengang.reports.simulation`) render.

Cost is what the decisions entitle: the amounts of 符合条件 rows. 待认定 and 无法判定 rows carry no amount (it
depends on a reading not yet fixed, or a figure not given): the change of cost (``delta_fen``) is over the units
decided in both runs, and units moving into or out of 待认定/无法判定 are counted and summed apart
(``pending_in``, ``pending_out``); fix the readings (``readings``) to cost them. A population that is a
screening's output is decided under the readings that screening recorded (``results.parquet``, column
``readings``) unless a scenario fixes them otherwise.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

ROW = "__sim_row"
ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
# per-unit amounts are binned for the distribution chart (元 bounds; the last bin is open). A bound belongs to
# the bin below it, as the labels say: 以下/至…（含） include the number, 超过 excludes it.
AMOUNT_BINS_YUAN = (0, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000)


def amount_bin_labels() -> list[str]:
    """The histogram's bin labels: "1,000元以下（含）", "超过1,000元至5,000元（含）", …, "超过1,000,000元"."""
    b = AMOUNT_BINS_YUAN
    return (
        [f"{b[1]:,}元以下（含）"]
        + [f"超过{b[i]:,}元至{b[i + 1]:,}元（含）" for i in range(1, len(b) - 1)]
        + [f"超过{b[-1]:,}元"]
    )


def amount_bin_index(amounts_fen: pl.Series) -> pl.Series:
    """The bin of each amount (fen): the first bin whose upper bound is >= the amount; above the last, the open bin."""
    uppers = pl.Series([y * 100 for y in AMOUNT_BINS_YUAN[1:]], dtype=pl.Int64)
    return uppers.search_sorted(amounts_fen.cast(pl.Int64), side="left").cast(pl.Int64)


class SimulationError(ValueError):
    """A population or an input the simulation cannot use; Chinese first, English after."""


@dataclass(frozen=True)
class Scenario:
    """One way of deciding the population: a date, parameter overrides, extra policy files, fixed readings."""

    label: str = "现行政策"
    on: date | None = None  # evaluation date; None: the population's own (features' evaluation_date)
    settings: Mapping[str, Any] = field(
        default_factory=dict
    )  # typed values (wengang.settings.parse_settings)
    policy_files: tuple[str, ...] = ()
    readings: Mapping[str, str] = field(default_factory=dict)
    include_drafts: bool = False

    def describe(self) -> str:
        parts = [self.label]
        if self.on is not None:
            parts.append(f"审核日期 {self.on.isoformat()}")
        if self.settings:
            from wengang.settings import show_value, unit_of

            parts.append(
                "参数 " + "，".join(f"{k}={show_value(v, unit_of(k))}" for k, v in self.settings.items())
            )
        if self.policy_files:
            parts.append("政策文件 " + "、".join(Path(p).name for p in self.policy_files))
        return "；".join(parts)


# ---------------------------------------------------------------------------------------------------------
# the fund


RESERVE_PARAMS = ("fund_reserve_min_years", "min_reserve_years")  # the preconditions the documents set


@dataclass(frozen=True)
class FundInput:
    """A pooling region's unemployment-insurance fund at a year's end: balance and the year's spending (fen).

    备付期限 (reserve) = balance ÷ average monthly spending, in months; ÷ 12 in years. ``months`` is how many
    months ``spending_fen`` covers (12 for a whole year)."""

    region: str
    year: int
    balance_fen: int
    spending_fen: int
    months: int = 12
    source: str = ""

    def reserve_months(self, extra_spending_fen: int = 0) -> Fraction | None:
        """Months of spending the balance covers; ``extra_spending_fen`` more spent (and gone from the balance)."""
        monthly = Fraction(self.spending_fen + extra_spending_fen, self.months)
        if monthly <= 0:
            return None
        return Fraction(self.balance_fen - extra_spending_fen) / monthly

    def reserve_years(self, extra_spending_fen: int = 0) -> Fraction | None:
        m = self.reserve_months(extra_spending_fen)
        return None if m is None else m / 12

    @classmethod
    def read(cls, path: str | Path) -> FundInput:
        """A YAML/JSON file: ``region``, ``year``, ``balance`` and ``spending`` with their unit (``"1.2亿元"``,
        ``"35000万元"``, ``"1200元"``, ``"120050分"``), optional ``months`` (default 12) and ``source``."""
        import yaml

        from wengang.inputs import InputError, read_text
        from wengang.regions import resolve_region

        p = Path(path)
        try:
            data = yaml.safe_load(read_text(p, "基金数据文件", "fund file"))
        except InputError as exc:
            raise SimulationError(str(exc)) from None
        except yaml.YAMLError as exc:
            raise SimulationError(
                f"基金数据文件 {p} 不是有效的 YAML/JSON（{exc}） / fund file {p} is not valid YAML/JSON"
            ) from None
        if not isinstance(data, dict):
            raise SimulationError(
                f"基金数据文件 {p} 应为映射（region、year、balance、spending） / fund file {p} must be a mapping"
            )
        missing = [k for k in ("region", "year", "balance", "spending") if data.get(k) in (None, "")]
        if missing:
            raise SimulationError(
                f"基金数据文件 {p} 缺少：{'、'.join(missing)} / fund file {p} lacks {', '.join(missing)}"
            )
        try:
            region = resolve_region(str(data["region"])).key
        except LookupError as exc:
            raise SimulationError(f"基金数据文件 {p}：{exc}") from None
        months = data.get("months", 12)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 12:
            raise SimulationError(
                f"基金数据文件 {p}：months 须为 1～12 的整数 / months must be a whole number 1..12"
            )
        year = data["year"]
        if not isinstance(year, int) or isinstance(year, bool):
            raise SimulationError(f"基金数据文件 {p}：year 须为年份整数 / year must be a whole year")
        return cls(
            region,
            year,
            money(data["balance"], f"{p} balance"),
            money(data["spending"], f"{p} spending"),
            months,
            str(data.get("source") or ""),
        )


def money(raw: Any, where: str) -> int:
    """An amount written with its unit (亿元, 万元, 元, 分) → integer fen; a bare number is refused."""
    from decimal import Decimal, InvalidOperation

    from wengang.money import MisplacedSeparator, MoneyError, ungroup, yuan_to_fen

    text = str(raw).strip()
    for suffix, factor in (("亿元", 100_000_000), ("万元", 10_000), ("元", 1)):
        if text.endswith(suffix):
            try:
                # a comma only as a thousands separator: "1,0万元" is refused, not read as 10万元
                value = Decimal(ungroup(text[: -len(suffix)].strip(), raw)) * factor
                if value < 0:
                    raise InvalidOperation
                return yuan_to_fen(value)
            except MisplacedSeparator as exc:
                raise SimulationError(f"{where}：{exc.zh} / {where}: {exc.en}") from None
            except (InvalidOperation, MoneyError):
                break
    else:
        if text.endswith("分") and text[:-1].isdigit():
            return int(text[:-1])
    raise SimulationError(
        f"{where}：金额“{raw}”须为非负数并写明单位（亿元、万元、元或分） / "
        f"{where}: {raw!r} must be an amount ≥ 0 with its unit (亿元, 万元, 元, 分)"
    )


@dataclass(frozen=True)
class ReservePrecondition:
    """A document's precondition on the fund's reserve, e.g. 稳岗返还 ≥ 1 year (人社部发〔2024〕40号 二)."""

    program: str
    program_label: str
    document: str
    min_years: Fraction
    boundary: str  # 以上: the number itself included
    citation: str
    quote: str
    period: str = ""  # the program block's validity: which years the precondition governs

    def met(self, years: Fraction | None) -> bool | None:
        if years is None:
            return None
        return years >= self.min_years if self.boundary in ("以上", "不低于", "≥") else years > self.min_years


def reserve_preconditions(
    region: str,
    on: date | None = None,
    *,
    include_drafts: bool = False,
    between: tuple[date, date] | None = None,
) -> list[ReservePrecondition]:
    """Every reserve precondition of the documents of ``region``'s chain (in force on ``on``, or at some day
    ``between`` the two dates, if given)."""
    from wengang.policies import load_policy_set
    from wengang.regions import chain

    ps = load_policy_set()
    keys = {r.key for r in chain(region)}
    out: list[ReservePrecondition] = []
    seen: set[tuple[str, str]] = set()
    for doc in ps.documents:
        if (
            doc.jurisdiction not in keys
            or doc.forwards
            or (doc.is_draft and not include_drafts and doc.id not in ps.requested)
        ):
            continue
        for pid, block in doc.programs.items():
            if on is not None and not block.in_force(on):
                continue
            if between is not None and not (
                block.valid_from <= between[1] and (block.valid_to is None or between[0] <= block.valid_to)
            ):
                continue
            for name in RESERVE_PARAMS:
                p = block.params.get(name)
                if p is None or (pid, p.citation()) in seen:
                    continue
                seen.add((pid, p.citation()))
                out.append(
                    ReservePrecondition(
                        pid,
                        block.label,
                        doc.display_number,
                        Fraction(p.value),
                        p.boundary or "以上",
                        p.citation(),
                        p.quote,
                        f"{block.valid_from.isoformat()} 至 {block.valid_to.isoformat() if block.valid_to else '今'}",
                    )
                )
    return out


@dataclass(frozen=True)
class ReserveCheck:
    fund: FundInput
    before_years: Fraction | None
    after_years: Fraction | None  # with the variant's extra cost spent from the fund
    extra_fen: int
    preconditions: list[ReservePrecondition]
    # the policy year the fund is the “上年度” of: a fund of year-end 2024 is judged against the 2025 policies
    # (人社部发〔2024〕40号 二 “上年度失业保险基金滚存结余备付期限应在1年以上”)
    policy_year: int | None = None

    def basis_zh(self) -> str:
        """Which policy year the fund is judged for, in a sentence."""
        year = self.policy_year if self.policy_year is not None else self.fund.year + 1
        text = (f"{self.fund.year}年末的基金是{year}年度政策所称的“上年度”基金，按{year}年度有效的政策文件核对备付期限前提")
        if not self.preconditions:
            text += f"；本库中{year}年度有效的政策文件没有备付期限前提"
        return text

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "program": p.program_label,
                "document": p.document,
                "required": f"{_num(p.min_years)}年{p.boundary}",
                "period": p.period,
                "before": p.met(self.before_years),
                "after": p.met(self.after_years),
                "citation": p.citation,
                "quote": p.quote,
            }
            for p in self.preconditions
        ]


def _num(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


def fmt_years(years: Fraction | None) -> str:
    """Years to two decimals rounded down, so the figure shown never reaches a requirement the reserve misses
    (11.995亿 over 12亿 is 0.99年, not 1.00年, against “1 年以上”)."""
    if years is None:
        return "—（支出为零）"
    return floor_text(years, 2) + "年"


def floor_text(x: Fraction, digits: int) -> str:
    """``x`` with ``digits`` decimals, rounded down (toward −∞)."""
    scaled = math.floor(x * 10**digits)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}"


def check_reserve(fund: FundInput, extra_fen: int = 0, on: date | None = None) -> ReserveCheck:
    """The reserve before and after ``extra_fen`` against the preconditions of the policy year the fund is the
    “上年度” of: a fund of year-end ``fund.year`` is judged against the documents in force in ``fund.year + 1``
    (人社部发〔2024〕40号 二 “上年度失业保险基金滚存结余备付期限应在1年以上”: the 2024 policy asks for the 2023
    reserve). With ``on`` (a simulation's date) the documents in force that day, and ``on`` must fall in that policy
    year: a fund of another year is refused, never judged against a year it does not describe."""
    policy_year = fund.year + 1
    if on is not None:
        if on.year != policy_year:
            raise SimulationError(
                f"基金数据为 {fund.year} 年末，是 {policy_year} 年度政策所称的“上年度”基金；本次测算日期 {on.isoformat()} "
                f"适用的政策要求 {on.year - 1} 年末的备付期限（人社部发〔2024〕40号 二：“上年度失业保险基金滚存结余备付期限应在1年以上”）："
                f"请给出 {on.year - 1} 年的基金数据，或把测算日期放在 {policy_year} 年 / the fund is of year-end {fund.year}, "
                f"the “previous year” of the {policy_year} policies; a simulation dated {on.isoformat()} needs the fund of "
                f"year-end {on.year - 1}"
            )
        pre = reserve_preconditions(fund.region, on)
    else:
        pre = reserve_preconditions(fund.region, between=(date(policy_year, 1, 1), date(policy_year, 12, 31)))
    return ReserveCheck(fund, fund.reserve_years(), fund.reserve_years(extra_fen), extra_fen, pre, policy_year)


def check_fund_region(fund: FundInput, regions: list[str]) -> None:
    """Refuse a fund of a pooling region the population's units do not belong to."""
    from wengang.regions import REGIONS, chain, resolve_region

    foreign = []
    for code in regions:
        try:
            keys = {r.key for r in chain(resolve_region(code))}
        except LookupError:
            continue  # a code the registry does not know: its rows say so; no region to compare
        if fund.region not in keys:
            foreign.append(code)
    if foreign:
        name = REGIONS[fund.region].name if fund.region in REGIONS else fund.region
        shown = "、".join(sorted(foreign)[:5]) + ("等" if len(foreign) > 5 else "")
        raise SimulationError(
            f"基金数据的地区为 {name}（{fund.region}），人群中有不属于该地区的单位（地区代码 {shown}）；"
            f"请给出人群所在统筹地区的基金数据 / the fund is {fund.region}'s, but the population has units of "
            f"{', '.join(sorted(foreign)[:5])}: give the fund of the population's pooling region"
        )


# ---------------------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    units: int
    base_fen: int  # 符合条件 amounts of each run
    variant_fen: int
    gained: int
    lost: int
    status_changed: int
    decided_delta_fen: int = 0  # the change over the units decided in both runs
    pending_in: int = 0  # decided in the baseline, 待认定/无法判定 in the variant; their baseline amount
    pending_in_base_fen: int = 0
    pending_out: int = 0  # 待认定/无法判定 in the baseline, decided in the variant; their variant amount
    pending_out_variant_fen: int = 0

    @property
    def delta_fen(self) -> int:
        return self.decided_delta_fen


@dataclass(frozen=True)
class ChangeTotals:
    """All the changed units (the XLSX lists at most ``keep_changes``): count and sums of the amounts known."""

    units: int
    base_fen: int  # baseline amounts of those decided in the baseline
    variant_fen: int
    delta_fen: int  # of those decided in both runs


@dataclass
class SimulationResult:
    program: str
    population: str
    units: int
    baseline: Scenario
    variant: Scenario
    base_total_fen: int
    variant_total_fen: int
    gained: int  # units whose amount goes up (from nothing, or more)
    lost: int  # units whose amount goes down (to nothing, or less)
    status_changed: int
    base_status: dict[str, int]
    variant_status: dict[str, int]
    transitions: list[tuple[str, str, int]]  # baseline status, variant status, units (changed only)
    by_size: list[Group]
    by_region: list[Group]
    histogram: list[tuple[str, int, int]]  # amount bin, baseline units, variant units (符合条件 only)
    base_policies: list[str]
    variant_policies: list[str]
    notes: list[str] = field(default_factory=list)
    reserve: ReserveCheck | None = None
    changes: pl.DataFrame | None = (
        None  # the rows whose status or amount changed (for the XLSX), largest first
    )
    decided_delta_fen: int = 0  # the change of cost over the units decided in both runs
    pending_in: int = 0  # units decided in the baseline that the variant leaves 待认定/无法判定
    pending_in_base_fen: int = 0  # their baseline amount (the variant's is not known)
    pending_out: int = 0  # units 待认定/无法判定 in the baseline that the variant decides
    pending_out_variant_fen: int = 0  # their variant amount (the baseline's is not known)
    change_totals: ChangeTotals | None = None  # every changed unit, also those the XLSX leaves out
    readings_used: dict[str, str] = field(default_factory=dict)  # the readings fixed for both runs

    @property
    def delta_fen(self) -> int:
        """The change of cost: units decided in both runs only (a 待认定 unit's amount is not known)."""
        return self.decided_delta_fen

    @property
    def total_change_fen(self) -> int:
        """Variant total − baseline total = delta − pending_in_base + pending_out_variant."""
        return self.variant_total_fen - self.base_total_fen

    def to_dict(self) -> dict[str, Any]:
        def groups(gs: list[Group]) -> list[dict[str, Any]]:
            return [
                {
                    "key": g.key,
                    "label": g.label,
                    "units": g.units,
                    "baseline_fen": g.base_fen,
                    "variant_fen": g.variant_fen,
                    "delta_fen": g.delta_fen,
                    "gained": g.gained,
                    "lost": g.lost,
                    "status_changed": g.status_changed,
                    "pending_in": {"units": g.pending_in, "baseline_fen": g.pending_in_base_fen},
                    "pending_out": {"units": g.pending_out, "variant_fen": g.pending_out_variant_fen},
                }
                for g in gs
            ]

        out: dict[str, Any] = {
            "program": self.program,
            "population": self.population,
            "units": self.units,
            "baseline": self.baseline.describe(),
            "variant": self.variant.describe(),
            "baseline_total_fen": self.base_total_fen,
            "variant_total_fen": self.variant_total_fen,
            "delta_fen": self.delta_fen,
            "delta_basis": "两次均已判定的单位 / units decided in both runs",
            "total_change_fen": self.total_change_fen,
            "pending_in": {
                "units": self.pending_in,
                "baseline_fen": self.pending_in_base_fen,
                "variant": "待认定，金额未定 / needs decision, amount not known",
            },
            "pending_out": {
                "units": self.pending_out,
                "variant_fen": self.pending_out_variant_fen,
                "baseline": "待认定，金额未定 / needs decision, amount not known",
            },
            "readings": self.readings_used,
            "gained": self.gained,
            "lost": self.lost,
            "status_changed": self.status_changed,
            "baseline_status": self.base_status,
            "variant_status": self.variant_status,
            "transitions": [{"from": a, "to": b, "units": n} for a, b, n in self.transitions],
            "by_size_class": groups(self.by_size),
            "by_region": groups(self.by_region),
            "histogram": [{"bin": b, "baseline": x, "variant": y} for b, x, y in self.histogram],
            "baseline_policies": self.base_policies,
            "variant_policies": self.variant_policies,
            "notes": self.notes,
        }
        if self.change_totals is not None:
            ct = self.change_totals
            out["changes"] = {
                "units": ct.units,
                "listed": 0 if self.changes is None else self.changes.height,
                "baseline_fen": ct.base_fen,
                "variant_fen": ct.variant_fen,
                "delta_fen": ct.delta_fen,
            }
        if self.reserve is not None:
            r = self.reserve
            out["reserve"] = {
                "region": r.fund.region,
                "year": r.fund.year,
                "balance_fen": r.fund.balance_fen,
                "spending_fen": r.fund.spending_fen,
                "extra_fen": r.extra_fen,
                "before_years": None if r.before_years is None else floor_text(r.before_years, 4),
                "after_years": None if r.after_years is None else floor_text(r.after_years, 4),
                "preconditions": r.rows(),
            }
        return out


# ---------------------------------------------------------------------------------------------------------
# the population


@dataclass
class Population:
    facts: pl.LazyFrame
    path: str
    on: date | None  # the evaluation date the features were derived for
    tmp: tempfile.TemporaryDirectory[str] | None = None
    # the readings the screening that wrote these features decided under (its results.parquet), when known:
    # fixed (switch -> reading) and the switches it left open (some unit's outcome depends on them)
    readings: dict[str, str] | None = None
    open_readings: tuple[str, ...] = ()
    readings_source: str = ""


# columns of a screening's results that a facts table does not have
RESULT_COLUMNS = ("status", "amount_fen", "reasons", "outcomes")


def screening_readings(results: Path) -> tuple[dict[str, str], tuple[str, ...]] | None:
    """The readings a screening decided under, from its ``results.parquet``: the column ``readings`` names every
    switch of the plan with the reading used (fixed, or the default of one left open), and ``outcomes`` names
    each open switch some unit's result depends on (those units are 待认定). A switch the outcomes never name
    was fixed or changed no result: fixing it at the reading recorded decides every unit as the screening did.
    None when the file has no such columns or records different readings for one switch."""
    try:
        lf = pl.scan_parquet(results)
        names = lf.collect_schema().names()
        if "readings" not in names:
            return None
        tags = (
            lf.select(pl.col("readings").cast(pl.String).unique()).collect().get_column("readings").to_list()
        )
    except (pl.exceptions.PolarsError, OSError):
        return None
    recorded: dict[str, str] = {}
    for tag in tags:
        for pair in (tag or "").split(","):
            name, sep, key = pair.partition("=")
            if not sep:
                continue
            if recorded.setdefault(name.strip(), key.strip()) != key.strip():
                return None
    if not recorded:
        return None
    open_: list[str] = []
    if "outcomes" in names:
        row = (
            lf.select(
                pl.col("outcomes").cast(pl.String).str.contains(name + "=", literal=True).any().alias(name)
                for name in recorded
            )
            .collect()
            .row(0, named=True)
        )
        open_ = [name for name, hit in row.items() if hit]
    return {k: v for k, v in recorded.items() if k not in open_}, tuple(sorted(open_))


def load_population(
    path: str | Path, *, on: date | None = None, policy_year: int | None = None
) -> Population:
    """A population of derived facts: a ``features.parquet`` (or a screening output folder holding one), or a
    screening input folder (``units/``, ``contributions/`` … as ``wengang demo-data`` writes) whose features are
    derived once here (the screening's own step) for both runs."""
    p = Path(path)
    if p.is_dir() and (p / "features.parquet").is_file():
        p = p / "features.parquet"
    if p.is_file():
        try:
            lf = pl.scan_parquet(p)
            names = lf.collect_schema().names()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SimulationError(
                f"人群文件 {p} 不是可读取的 Parquet（{type(exc).__name__}） / {p} is not a readable Parquet file"
            ) from None
        if all(c in names for c in RESULT_COLUMNS[:2]):
            hint = p.parent / "features.parquet"
            raise SimulationError(
                f"{p} 是筛查结果（含 status、amount_fen），不是人群的事实表；请给出 "
                f"{hint if hint.is_file() else 'features.parquet'} 或筛查结果目录 {p.parent} / "
                f"{p} holds decisions, not the facts a simulation decides: give features.parquet or the output folder"
            )
        found = None
        if "evaluation_date" in names:
            found = lf.select(pl.col("evaluation_date").max()).collect().item()
        pop = Population(lf, str(p), found)
        results = p.parent / "results.parquet"
        record = screening_readings(results) if results.is_file() else None
        if record is not None:
            pop.readings, pop.open_readings, pop.readings_source = record[0], record[1], str(results)
        return pop
    if p.is_dir() and any((p / n).exists() for n in ("units", "units.parquet")):
        return _derive(p, on=on, policy_year=policy_year)
    raise SimulationError(
        f"找不到人群数据：{p}（应为 features.parquet、含 features.parquet 的筛查结果目录，或含 units、contributions 的筛查输入目录） / "
        f"no population at {p}: give features.parquet, a screening output folder, or a screening input folder"
    )


def _derive(folder: Path, *, on: date | None, policy_year: int | None) -> Population:
    from wengang.screening.features import derive_features_partitioned
    from wengang.screening.pipeline import RAW_TABLES, ROWS_PER_PARTITION, _count, _read, latest_month_in

    if on is None:
        raise SimulationError(
            "从筛查输入目录模拟时须给出审核日期 --date / give --date to simulate from raw screening inputs"
        )
    tables = {}
    for name in RAW_TABLES:
        for candidate in (folder / name, folder / f"{name}.parquet"):
            if candidate.exists():
                tables[name] = _read(name, str(candidate))
                break
    if "units" not in tables or "contributions" not in tables:
        raise SimulationError(f"{folder} 缺少 units 或 contributions / {folder} lacks units or contributions")
    tmp = tempfile.TemporaryDirectory(prefix="wengang-sim-")
    n = _count(tables["contributions"])
    run = derive_features_partitioned(
        tables["units"],
        tables["contributions"],
        tmp.name,
        policy_year=policy_year or on.year,
        evaluation_date=on,
        partitions=max(1, -(-n // ROWS_PER_PARTITION)),
        others={k: v for k, v in tables.items() if k not in ("units", "contributions")},
        latest_month=latest_month_in(tables["contributions"], on),
    )
    return Population(pl.scan_parquet(run.features_path), str(folder), on, tmp)


# ---------------------------------------------------------------------------------------------------------
# the run


def _decide(
    facts: pl.LazyFrame, program: str, s: Scenario, on: date, region_data: tuple[str, ...]
) -> tuple[pl.LazyFrame, list[str], list[str]]:
    """One scenario's plan over the population: row number, status and amount. The rules are resolved and
    compiled while the scenario's policy set is in use; the plan holds only literals and column expressions,
    so both scenarios are then collected together (their shared scan once)."""
    from wengang.policies.loader import policy_files
    from wengang.screening.evaluate import program_label, screen_facts

    with policy_files(s.policy_files) as ps:
        decided, plans = screen_facts(
            facts, program, s.on or on, readings=dict(s.readings), settings=dict(s.settings),
            include_drafts=s.include_drafts, region_data=region_data,
        )  # fmt: skip
        frame = decided.select(ROW, pl.col("status").cast(pl.String), "amount_fen")
        policies = sorted({p.resolution.document.display_number for p in plans if p.resolution is not None})
        used = {p.resolution.document.id for p in plans if p.resolution is not None}
        asked = set(getattr(ps, "requested", ()) or ())
        if s.policy_files and asked and not used & asked:
            # a draft whose period does not hold the scenario's date decides nothing: the variant had been the
            # policies in force, and the run said 变化 0.00元 without a word (README audit, session 40)
            day = s.on or on
            names = "、".join(Path(f).name for f in s.policy_files)
            raise SimulationError(
                f"{s.label}给出的政策文件 {names} 在{s.label}审核日期 {day.isoformat()} 不适用于{program_label(program)}（不在其有效期内，"
                f"或该文件没有此项目）：{s.label}将按现行政策判定，测算不出变化。请用 --variant-date 给出该文件有效期内的日期 / "
                f"the policy file(s) {names} do not apply to {program} on {day.isoformat()}: give --variant-date within "
                "their period"
            )
        notes = sorted({n for p in plans for n in p.notes})
    return frame, policies, notes


def simulate(
    population: str | Path | Population,
    *,
    program: str = "fanhuan",
    baseline: Scenario | None = None,
    variant: Scenario,
    fund: FundInput | None = None,
    on: date | None = None,
    region_data: tuple[str, ...] = (),
    keep_changes: int = 10_000,
    population_readings: bool = True,
) -> SimulationResult:
    """Decide ``population`` under ``baseline`` (default: the policies in force) and ``variant``; compare.

    A screening's output is decided under the readings the screening recorded (``population_readings``), a
    scenario's own ``readings`` taking precedence (each difference is stated in the notes)."""
    from wengang.policies.loader import load_with_files
    from wengang.programs import load_all
    from wengang.regions import REGIONS
    from wengang.screening.output import SIZE_ZH

    load_all()

    baseline = baseline or Scenario()
    from wengang.settings import unread_message, unread_settings

    unread = unread_settings(program, dict.fromkeys([*baseline.settings, *variant.settings]))
    if unread:  # a what-if of a setting the program does not read measured a change of 0.00元 (outside audits, s41)
        raise SimulationError(unread_message(program, unread, refused=True))
    for s in (baseline, variant):  # a policy file that does not check is refused before any work
        if s.policy_files:
            load_with_files(s.policy_files)
    pop = population if isinstance(population, Population) else load_population(population, on=on)
    day = on or pop.on
    if day is None:
        raise SimulationError(
            "人群数据没有审核日期（evaluation_date），请给出 --date / the population has no evaluation date; give --date"
        )
    reading_notes: list[str] = []
    if population_readings and pop.readings is not None:
        baseline, variant, reading_notes = _with_population_readings(pop, baseline, variant)
    facts = pop.facts.with_row_index(ROW)
    names = pop.facts.collect_schema().names()
    region_col = "region_code" if "region_code" in names else None
    size_col = "size_class" if "size_class" in names else None
    if fund is not None and region_col:
        regions = pop.facts.select(pl.col(region_col).cast(pl.String).unique()).collect().to_series()
        check_fund_region(fund, [r for r in regions.to_list() if r])
    ident = facts.select(
        ROW,
        *(
            [pl.col(region_col).cast(pl.String).alias("region")]
            if region_col
            else [pl.lit("").alias("region")]
        ),
        *(
            [pl.col(size_col).cast(pl.String).alias("size")]
            if size_col
            else [pl.lit(None, dtype=pl.String).alias("size")]
        ),
        *([pl.col("credit_code")] if "credit_code" in names else []),
        *([pl.col("name")] if "name" in names else []),
    )
    base_plan, base_policies, base_notes = _decide(facts, program, baseline, day, region_data)
    var_plan, var_policies, var_notes = _decide(facts, program, variant, day, region_data)
    base, var = pl.collect_all([base_plan, var_plan])
    decided = [ELIGIBLE, INELIGIBLE]
    joined = (
        ident.collect()
        .join(base.rename({"status": "s0", "amount_fen": "a0"}), on=ROW, how="left")
        .join(var.rename({"status": "s1", "amount_fen": "a1"}), on=ROW, how="left")
        .with_columns(
            pl.when(pl.col("s0") == ELIGIBLE)
            .then(pl.col("a0"))
            .otherwise(0)
            .fill_null(0)
            .cast(pl.Int128)
            .alias("c0"),
            pl.when(pl.col("s1") == ELIGIBLE)
            .then(pl.col("a1"))
            .otherwise(0)
            .fill_null(0)
            .cast(pl.Int128)
            .alias("c1"),
            pl.col("s0").is_in(decided).fill_null(False).alias("d0"),
            pl.col("s1").is_in(decided).fill_null(False).alias("d1"),
        )
        .with_columns(
            # the cost compares only units decided in both runs: a 待认定/无法判定 unit's amount is not known
            (pl.col("d0") & pl.col("d1")).alias("both"),
            (pl.col("d0") & ~pl.col("d1")).alias("pin"),
            (~pl.col("d0") & pl.col("d1")).alias("pout"),
        )
        .with_columns(
            (pl.col("both") & (pl.col("c1") > pl.col("c0"))).alias("gain"),
            (pl.col("both") & (pl.col("c1") < pl.col("c0"))).alias("lose"),
            pl.col("s0").ne_missing(pl.col("s1")).alias("changed"),
            pl.when(pl.col("both")).then(pl.col("c1") - pl.col("c0")).otherwise(0).alias("dd"),
            pl.when(pl.col("pin")).then(pl.col("c0")).otherwise(0).alias("pin_fen"),
            pl.when(pl.col("pout")).then(pl.col("c1")).otherwise(0).alias("pout_fen"),
        )
    )
    sums = (
        pl.col("c0").sum(),
        pl.col("c1").sum(),
        pl.col("gain").sum(),
        pl.col("lose").sum(),
        pl.col("changed").sum(),
        pl.col("dd").sum(),
        pl.col("pin").sum(),
        pl.col("pin_fen").sum(),
        pl.col("pout").sum(),
        pl.col("pout_fen").sum(),
    )

    def grouped(col: str, labeller: Any) -> list[Group]:
        g = joined.group_by(col).agg(pl.len().alias("n"), *sums).sort(col, nulls_last=True)
        out = [
            Group(str(k), labeller(k), n, int(a), int(b), x, y, z, int(dd), pi, int(pf), po, int(of))
            for k, n, a, b, x, y, z, dd, pi, pf, po, of in g.iter_rows()
        ]
        if col == "size":  # 大型、中型、小型、微型 (alphabetically 微型 came before 小型), then 参照单位/未划型
            order = list(SIZE_ZH)
            out.sort(key=lambda x: order.index(x.key) if x.key in order else len(order))
        return out

    def size_label(k: Any) -> str:
        return SIZE_ZH.get(str(k), "参照单位/未划型") if k is not None else "参照单位/未划型"

    def region_label(k: Any) -> str:
        return f"{REGIONS[k].name}（{k}）" if k in REGIONS else str(k)

    totals = joined.select(*sums).row(0)
    transitions = (
        joined.filter(pl.col("changed"))
        .group_by("s0", "s1")
        .agg(pl.len().alias("n"))
        .sort("n", "s0", "s1", descending=[True, False, False])
    )
    labels = amount_bin_labels()

    def hist(c: str, s: str) -> list[int]:
        counts = amount_bin_index(joined.filter(pl.col(s) == ELIGIBLE).get_column(c)).value_counts()
        found = dict(
            zip(
                counts.get_column(counts.columns[0]).to_list(),
                counts.get_column("count").to_list(),
                strict=True,
            )
        )
        return [int(found.get(i, 0)) for i in range(len(labels))]

    h0, h1 = hist("c0", "s0"), hist("c1", "s1")
    changes = None
    all_changes = joined.filter(pl.col("changed") | pl.col("gain") | pl.col("lose")).with_columns(
        # the amount of a run whose result is 待认定/无法判定 is not known: null, not 0; the change only when both
        # runs decided the unit
        pl.when(pl.col("d0")).then(pl.col("c0")).alias("a0_shown"),
        pl.when(pl.col("d1")).then(pl.col("c1")).alias("a1_shown"),
        pl.when(pl.col("both")).then(pl.col("c1") - pl.col("c0")).alias("delta"),
    )
    change_totals = ChangeTotals(
        all_changes.height,
        int(all_changes.get_column("a0_shown").sum() or 0),
        int(all_changes.get_column("a1_shown").sum() or 0),
        int(all_changes.get_column("delta").sum() or 0),
    )
    if keep_changes:
        changes = all_changes.sort((pl.col("c1") - pl.col("c0")).abs(), descending=True).head(keep_changes)
    delta = int(totals[5])
    notes = reading_notes + sorted(set(base_notes) | set(var_notes))
    return SimulationResult(
        program=program,
        population=pop.path,
        units=joined.height,
        baseline=baseline,
        variant=variant,
        base_total_fen=int(totals[0]),
        variant_total_fen=int(totals[1]),
        gained=int(totals[2]),
        lost=int(totals[3]),
        status_changed=int(totals[4]),
        base_status=dict(base.group_by("status").len().sort("status").iter_rows()),
        variant_status=dict(var.group_by("status").len().sort("status").iter_rows()),
        transitions=[(a, b, n) for a, b, n in transitions.iter_rows()],
        by_size=grouped("size", size_label) if size_col else [],
        by_region=grouped("region", region_label),
        histogram=list(zip(labels, h0, h1, strict=True)),
        base_policies=base_policies,
        variant_policies=var_policies,
        notes=notes,
        reserve=check_reserve(fund, delta, variant.on or day) if fund is not None else None,
        changes=changes,
        decided_delta_fen=delta,
        pending_in=int(totals[6]),
        pending_in_base_fen=int(totals[7]),
        pending_out=int(totals[8]),
        pending_out_variant_fen=int(totals[9]),
        change_totals=change_totals,
        readings_used=dict(baseline.readings),
    )


def _with_population_readings(
    pop: Population, baseline: Scenario, variant: Scenario
) -> tuple[Scenario, Scenario, list[str]]:
    """Both scenarios with the readings the screening recorded under their own, and the notes that say so."""
    from dataclasses import replace

    from wengang.rules import interpretations

    recorded = pop.readings or {}
    notes: list[str] = []
    if recorded:
        shown = "，".join(f"{k}={v}" for k, v in sorted(recorded.items()))
        notes.append(
            f"基线与方案沿用筛查结果（{pop.readings_source}）所用的政策理解：{shown}（--reading 可改） / "
            f"both runs use the readings the screening recorded; --reading overrides"
        )
    if pop.open_readings:
        notes.append(
            f"筛查时未认定的解释开关保持未认定：{'、'.join(pop.open_readings)} / "
            f"switches the screening left open stay open: {', '.join(pop.open_readings)}"
        )
    stated: set[tuple[str, str]] = set()
    out = []
    for s in (baseline, variant):
        for name, key in s.readings.items():
            was = recorded.get(name)
            if (name, key) in stated or was == key:
                continue
            stated.add((name, key))
            title = interpretations.get(name).title if name in interpretations.REGISTRY else name
            if was is not None:
                notes.append(
                    f"注意：测算采用的解释 {name}={key}（{title}）与筛查所用 {name}={was} 不同，按 {key} 测算，"
                    f"基线与筛查结果不一致 / {name}={key} differs from the screening's {was}"
                )
            elif name in pop.open_readings:
                notes.append(
                    f"注意：测算认定了筛查时未认定的 {name}={key}（{title}），基线与筛查结果不一致 / "
                    f"{name} was left open in the screening, fixed here to {key}"
                )
        out.append(replace(s, readings={**recorded, **s.readings}))
    return out[0], out[1], notes
