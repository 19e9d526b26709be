"""Run a program's rules over a table of derived facts, region by region.

Each region in the table is resolved to the document in force on the evaluation date; regions that
resolve to the same document and ruleset are screened in one pass. A region with no policy in force
gets ``not_determinable`` with the reason, never last year's rules (a monthly benefit's month with no
provision: ``ineligible``, as one case).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.rules.batch import (
    STATUS_DTYPE,
    Plan,
    apply_stages,
    compile_stages,
    enum_columns,
    given_ranges,
    known_non_negative,
    known_non_null,
    known_ranges,
    resolve_missing,
)
from wengang.rules.engine import (
    NOT_DETERMINABLE,
    PROGRAM_LABELS,
    Ruleset,
    active_checks,
    policy_clause,
    render_label,
)
from wengang.screening.output import OPEN_READINGS_LINES, PAYABLE

RESULT_COLUMNS = [
    "status",
    "amount_fen",
    "reasons",
    "flags",
    "readings",
    "outcomes",
    "policy_id",
    "policy_number",
    "policy_clause",
    "ruleset",
    "payment_hold",
    "payment_hold_reason",
]
HOLD_OUTPUT = "payment_hold"  # an entitled unit whose payment must wait (casework holds it): the output's text
# the class the rules decided with (a ruleset's table output, 稳岗返还's): the results' size_class where a ruleset gives it,
# in place of the class the facts carried (the features' jurisdiction-neutral class, or a class given for --facts)
SIZE_OUTPUT = "size_class_code"
# the account the rules pay to (a ruleset's table output): ``payment_channel`` where a ruleset gives it, for ``case
# import`` (not a column of results.parquet: the import decides each row again and reads it there)
CHANNEL_OUTPUT = "payment_channel_code"
# the 返还基数 the amount was computed from (稳岗返还's ``base`` output), in fen: ``base_fen``, for ``case import`` (the
# ledger keeps it: the 决定书 states it, a 划型变更 rescales it); not a column of results.parquet, like the account
BASE_OUTPUT = "base"


@dataclass
class RegionPlan:
    """What applies to a group of regions: one resolution (or the reason there is none)."""

    regions: list[str]
    resolution: Any | None
    ruleset: Ruleset | None
    no_policy_reason: str | None = None
    no_policy_code: str = "no_policy"
    no_policy_status: str = NOT_DETERMINABLE  # 不符合条件 for a monthly benefit's month no provision covers
    reason_labels: dict[str, str] = field(default_factory=dict)  # check id -> Chinese refusal text
    # region data and operator settings merged for these regions, and what the rules lack of them
    settings: dict[str, Any] = field(default_factory=dict)
    missing_region_data: list[str] = field(default_factory=list)  # "label（name）"
    waiting_checks: list[str] = field(default_factory=list)  # check ids that read a missing region figure
    notes: list[str] = field(default_factory=list)  # region data cited, what-if overrides
    # when rows carry their own period date (policy.period_date): "region|date" keys of the rows it decides
    row_key: pl.Expr | None = None
    row_keys: list[str] | None = None

    def rows(self, region_column: str = "region_code") -> pl.Expr:
        """The rows of a results table this plan decided."""
        if self.row_key is not None and self.row_keys is not None:
            return self.row_key.is_in(self.row_keys)
        return pl.col(region_column).is_in(self.regions)


def plan_regions(
    program: str,
    regions: list[str],
    on: date,
    *,
    include_drafts: bool = False,
    settings: Mapping[str, Any] | None = None,
    region_data: tuple[str, ...] = (),
) -> list[RegionPlan]:
    """Group regions by the document in force on ``on`` and the region data they have then."""
    from wengang.evaluate import ruleset_for
    from wengang.policies import NoPolicyInForce, load_policy_set
    from wengang.programs import load
    from wengang.regions import resolve_region
    from wengang.rules.engine import _reads_setting, missing_settings
    from wengang.settings import (
        SettingError,
        bound_breach,
        bound_unchecked,
        region_values,
        setting_label,
        split_overrides,
    )

    load(program)

    policy_set = load_policy_set()
    groups: dict[Any, RegionPlan] = {}
    for code in sorted(regions):
        try:
            reg = resolve_region(code)
        except LookupError:
            # a code the registry does not know has no policy here: say so for its rows, keep the others
            key = f"unknown:{code}"
            groups[key] = RegionPlan(
                [code], None, None, f"地区代码 {code} 不在本系统收录的地区中，无法确定适用政策", "unknown_region"
            )
            continue
        try:
            res = policy_set.resolve(region=reg.key, on=on, program=program, include_drafts=include_drafts)
        except NoPolicyInForce as exc:
            key = "none:" + exc.message_zh.split("在", 1)[-1]
            plan = groups.setdefault(key, RegionPlan([], None, None, exc.message_zh))
            plan.regions.append(code)
            if len(plan.regions) > 1:  # one text for the group's rows: it names the area they share, not the first
                from wengang.regions import chain

                shared = [r for r in chain(plan.regions[0]) if all(r.key in {c.key for c in chain(o)}
                                                                 for o in plan.regions[1:])]
                plan.no_policy_reason = (shared[0].name if shared else "这些地区") + " 在" + key.removeprefix("none:")
            continue
        values = region_values(reg, on, region_data)
        key2 = (res.document.id, res.ruleset, tuple(sorted((n, str(d.value)) for n, d in values.items())))
        if key2 not in groups:
            res, rest, notes = split_overrides(res, dict(settings or {}))
            merged = {n: d.value for n, d in values.items()} | rest
            ruleset = ruleset_for(program, res.ruleset)
            breach = bound_breach(ruleset, res.params, merged, values)
            if breach is not None:  # as one case: a standard the regulation rules out is not decided on
                raise SettingError(breach)
            notes = notes + bound_unchecked(ruleset, res.params, merged, values)
            active = active_checks(ruleset, res.params)
            labels = {
                c.id: (render_label(c.reason, res.params) if c.reason else f"不符合“{render_label(c.label, res.params)}”")
                for c in active
            }
            absent = missing_settings(ruleset, res.params, merged)
            groups[key2] = RegionPlan(
                [], res, ruleset, reason_labels=labels, settings=merged,
                missing_region_data=[f"{setting_label(m, res.region_settings)}（{m}）" for m in absent],
                waiting_checks=[c.id for c in active if _reads_setting(c.expr, absent)],
                notes=notes + [values[n].citation() for n in sorted(values) if n not in rest],
            )  # fmt: skip
        groups[key2].regions.append(code)
    return list(groups.values())


def parquet_facts_stats(path: str | Path) -> tuple[frozenset[str], dict[str, tuple[int, int]]]:
    """What a Parquet file's footer says of its columns, for :func:`screen_facts` (``non_null=``, ``ranges=``)
    without a pass over the data: the columns whose null count is 0 in every row group, and each plain integer
    column's minimum and maximum over the row groups. A column without statistics in some row group is in neither.
    (The statistics Polars itself trusts to skip row groups when a scan is filtered.)"""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    no_null, bounds = set(), {}
    for j in range(meta.num_columns):
        column = meta.schema.column(j)
        integer = column.physical_type in ("INT32", "INT64") and column.logical_type.type in ("NONE", "INT")
        nulls, lo, hi = 0, None, None
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(j).statistics
            if st is None or not st.has_null_count:
                nulls, integer = None, False
                break
            nulls += st.null_count
            if st.has_min_max:
                lo = st.min if lo is None else min(lo, st.min)
                hi = st.max if hi is None else max(hi, st.max)
            elif st.num_values:  # values without a minimum and a maximum: bounds unknown
                integer = False
        if nulls == 0:
            no_null.add(column.path)
        if integer and lo is not None and hi is not None:
            bounds[column.path] = (int(lo), int(hi))
    return frozenset(no_null), bounds


def screen_facts(
    facts: pl.LazyFrame | pl.DataFrame,
    program: str,
    on: date,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_column: str = "region_code",
    regions: list[str] | None = None,
    region_data: tuple[str, ...] = (),
    non_null: Iterable[str] | None = None,
    ranges: Mapping[str, tuple[int, int]] | None = None,
    derived: bool = False,
) -> tuple[pl.LazyFrame, list[RegionPlan]]:
    """Decide every row of ``facts`` (one row per unit or person); returns results and the plans used.
    ``derived``: ``facts`` are the raw screen's own features, completed when derived (``rules.batch.prepare_table``).

    A table with application dates (people) is placed in policy periods by them (``policy.period_date``),
    as one case is; a table without (units screened 免申即享) by the evaluation date ``on``. A row of a program
    paid month by month is placed by its ``benefit_month`` (``monthly_benefit.month_in_force``), whatever the
    dates, as one case is (:func:`wengang.evaluate.benefit_month_date`).

    The rules are compiled knowing which columns hold no null: those of an in-memory ``facts`` (a DataFrame)
    whose null count is 0, and ``non_null``, what the caller knows of a lazy one (what its validation
    guarantees). A check that reads only such columns is never unknown, so its unknown branches are not
    compiled; the results are the same row for row (a promise a lazy table breaks gives wrong results).
    Likewise the bounds of narrow integer columns, which let a comparison run in the column's own type: read from an
    in-memory table (one pass a column), or ``ranges`` (name → (min, max)), what the caller knows of the table, lazy
    or not (:func:`parquet_facts_stats`: the statistics of the Parquet file it was read from). The same bounds (else a
    pass over a table in memory) tell whether the facts the amounts read hold no negative value: then no amount can be
    negative, and the last guard against one is not compiled (``rules.batch.apply_stages``).
    """
    facts, ranges, by_row = _prepared(program, facts, ranges, derived)
    known = tuple(sorted(known_non_null(facts, non_null)))
    fixed = _frozen(readings)  # the readings as a cache key, made once for the look-ups below
    frame = facts if isinstance(facts, pl.DataFrame) else None
    if isinstance(facts, pl.DataFrame):
        facts = facts.lazy()
    if regions is None:
        regions = facts.select(pl.col(region_column).unique()).collect()[region_column].drop_nulls().to_list()
    schema = facts.collect_schema()
    columns = tuple(schema.names())
    enums = enum_columns(schema)  # an Enum column's categories: what it can hold, from its type
    region_key = tuple(sorted(str(r) for r in regions))
    period = _period_expr(program, readings, columns)
    month = _month_expr(program, columns)
    batches: list[tuple[list[RegionPlan], list[Plan | None]]] = []
    if period is None and month is None:
        batches.append(
            _plans_for(program, region_key, on, include_drafts, settings, fixed, columns, region_data, known, (), enums)
        )
        # the bounds of the narrow integer columns the plan would use (given, else read from a table in memory),
        # and the plan for them
        wants: dict[str, bool] = {}
        for n, least in (w for p in batches[0][1] if p is not None for w in p.range_wants):
            wants[n] = wants.get(n, False) or least
        found = given_ranges(schema, ranges, wants) if ranges and wants else ()
        rest = {n: least for n, least in wants.items() if n not in (ranges or {})}
        if frame is not None and rest:
            found = tuple(sorted(found + known_ranges(frame, rest)))
        if found:
            batches[0] = _plans_for(
                program, region_key, on, include_drafts, settings, fixed, columns, region_data, known, found, enums
            )
    else:
        batches = _period_batches(
            facts, period, month, program, on, include_drafts, settings, readings, columns, region_data, region_column,
            known, enums,
        )
    all_plans = [p for plans, _ in batches for p in plans]
    # the amounts' facts known to hold no negative value (given bounds, else a pass over a table in memory): a plan
    # whose amounts only such facts feed needs no last guard against a negative amount (rules.batch.apply_stages)
    signs = {n for _, compiled in batches for st in compiled if st is not None for n in st.never_negative_given or ()}
    non_negative = known_non_negative(frame, signs, ranges) if signs else frozenset()
    parts: list[pl.LazyFrame] = []
    for plan, stages in [pc for plans, compiled in batches for pc in zip(plans, compiled, strict=True)]:
        part = facts.filter(plan.rows(region_column)) if len(all_plans) > 1 else facts
        if plan.resolution is None or plan.ruleset is None:
            parts.append(_undetermined(part, plan.no_policy_code, plan.no_policy_status))
            continue
        res = plan.resolution
        assert stages is not None and plan.ruleset is not None
        if by_row:
            part = _prepare_rows(part, by_row, res, settings)
        hold_column = stages.outputs.get(HOLD_OUTPUT)
        decided = resolve_missing(
            apply_stages(part, stages, non_negative), plan.ruleset, res, settings=plan.settings, fixed=readings,
            columns=list(columns), bounded=stages.bounded, non_null=known, non_negative=non_negative,
        )
        # the rules' table outputs where the ruleset gives them: the class in place of the facts' size_class (§132), the
        # account the import routes by (§134)
        for output, name, dtype in (
            (SIZE_OUTPUT, "size_class", pl.String), (CHANNEL_OUTPUT, "payment_channel", pl.String),
            (BASE_OUTPUT, "base_fen", pl.Int64),
        ):
            if output in stages.outputs:
                decided = _with_output(decided, stages.outputs[output], name, dtype)
        # like the one-case outputs: shown only for a decision that entitles (or may); a hold the policy never
        # gives (a null known when compiling) is null on every row without reading the status (whose cast to
        # text was most of this column's CPU at 1 M rows; s22-h2)
        if hold_column is None:
            parts.append(decided.with_columns(*_policy_columns(res), _NO_HOLD_REASON, _NO_HOLD))
            continue
        entitled = pl.col("status").is_in(_ENTITLED)
        hold = pl.col(hold_column).cast(pl.String)
        parts.append(
            decided.with_columns(*_policy_columns(res), pl.when(entitled).then(hold).alias("payment_hold_reason"))
            .drop(hold_column)
            .with_columns(pl.col("payment_hold_reason").is_not_null().alias("payment_hold"))
        )
    if not parts:  # no rows at all (every one quarantined, say): no region, so no plan; an empty result
        parts.append(_undetermined(facts.head(0), ""))
    out = pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]
    return out, all_plans


def _with_output(decided: pl.LazyFrame, column: str | None, name: str, dtype: Any = pl.String) -> pl.LazyFrame:
    """Output ``column`` of the plan (None: given on no row) as column ``name`` of ``dtype`` on every row whatever its
    status, as the one case's output: the results' size_class is the class the rules decided with (a 兵团 unit by its
    社保信息系统 class, a 山西 unit by ≥300人, had shown the features' class) — the 公示 list and the ledger's 划型变更 read it."""
    if column is None:
        return decided.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return decided.with_columns(pl.col(column).cast(dtype).alias(name)).drop(column)


def _prepared(
    program: str, facts: pl.LazyFrame | pl.DataFrame, ranges: Mapping[str, tuple[int, int]] | None, derived: bool = False
) -> tuple[pl.LazyFrame | pl.DataFrame, Mapping[str, tuple[int, int]] | None, list[Any]]:
    """``facts`` completed as one case's are before the rules (each ruleset's ``prepare``, in its table form:
    ``rules.batch.prepare_table``), and the given integer bounds less those of the columns it changed. A hook without
    a table form is a definition error, not a silent difference between one case and a table (decisions.md §21)."""
    from wengang.evaluate import program_model
    from wengang.rules.batch import prepare_table
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import RuleDefinitionError

    program_model(program)  # registers the program's rulesets (and their table forms)
    facts, changed, missing, by_row = prepare_table(
        [rs for (p, _), rs in sorted(RULESETS.items()) if p == program], facts, derived=derived
    )
    if missing and program not in UNPREPARED_IN_TABLES:
        names = "、".join(f"{h.__module__}.{h.__qualname__}" for h in missing)
        raise RuleDefinitionError(
            f"项目 {program} 的事实预处理（{names}）没有表格形式，批量判定会与单个判定不一致 / the prepare hook of {program} "
            f"({names}) has no table form (rules.batch.register_table_prepare): a table would be decided on other facts than one case"
        )
    if ranges and changed:
        ranges = {n: b for n, b in ranges.items() if n not in changed}
    return facts, ranges, by_row


def _prepare_rows(part: pl.LazyFrame, by_row: list[Any], res: Any, settings: Mapping[str, Any] | None) -> pl.LazyFrame:
    """A plan's rows completed by hooks that read the policy resolved for them (``rules.batch.ByRow``), each row
    as one case: the hook itself, with the plan's resolution and the operator's settings (not parameter overrides)
    named, as ``wengang.evaluate`` gives them."""
    operator = frozenset(n for n in (settings or {}) if n not in res.params)
    res = replace(res, operator_settings=operator)
    frame = part.collect()
    rows = frame.to_dicts()
    for hook, spec in by_row:
        done = [hook(dict(r), res) for r in rows]
        frame = frame.with_columns(pl.Series(n, [d.get(n) for d in done], dtype=dt) for n, dt in spec.adds)
        rows = frame.to_dicts() if len(by_row) > 1 else rows
    return frame.lazy()


# programs whose one-case ``prepare`` has no table form, and why: the people programs are derived from their own
# tables (screening.people) before they are decided
UNPREPARED_IN_TABLES = {
    "skill_subsidy": "由人员数据表派生（screening.people）",
}


_POLICY_COLUMNS: dict[int, tuple[Any, list[pl.Expr]]] = {}
_NO_HOLD = pl.lit(False).alias("payment_hold")  # made once: a literal is tens of microseconds a call
_NO_HOLD_REASON = pl.lit(None, dtype=pl.String).alias("payment_hold_reason")
# the statuses a hold is shown for, in the status's own Enum: no cast of the status to text per row
_ENTITLED = pl.lit(pl.Series(PAYABLE, dtype=STATUS_DTYPE)).implode()


def _policy_columns(res: Any) -> list[pl.Expr]:
    """The policy a plan's rows were decided under, as four literal columns: made once per resolution (the plans,
    and so their resolutions, are cached), not per call."""
    found = _POLICY_COLUMNS.get(id(res))
    if found is None or found[0] is not res:
        if len(_POLICY_COLUMNS) > 256:
            _POLICY_COLUMNS.clear()
        exprs = [
            pl.lit(res.document.id).alias("policy_id"),
            pl.lit(res.document.display_number).alias("policy_number"),
            pl.lit(policy_clause(res)).alias("policy_clause"),
            pl.lit(res.ruleset).alias("ruleset"),
        ]
        found = _POLICY_COLUMNS[id(res)] = (res, exprs)
    return found[1]


def _undetermined(part: pl.LazyFrame, reason_code: str, status: str = NOT_DETERMINABLE) -> pl.LazyFrame:
    """Rows no policy decides: 无法判定 (or ``status``), with the result columns a decided part has."""
    return part.with_columns(
        pl.lit(status).cast(STATUS_DTYPE).alias("status"),
        pl.lit(None, dtype=pl.Int64).alias("amount_fen"),
        pl.lit(reason_code).alias("reasons"),
        pl.lit("").alias("flags"),
        pl.lit("").alias("readings"),
        pl.lit("").alias("outcomes"),
        pl.lit(None, dtype=pl.String).alias("policy_id"),
        pl.lit(None, dtype=pl.String).alias("policy_number"),
        pl.lit(None, dtype=pl.String).alias("policy_clause"),
        pl.lit(None, dtype=pl.String).alias("ruleset"),
        pl.lit(False).alias("payment_hold"),
        pl.lit(None, dtype=pl.String).alias("payment_hold_reason"),
    )


def _period_expr(program: str, readings: Mapping[str, str] | None, columns: tuple[str, ...]) -> pl.Expr | None:
    """Each row's candidate period date (as one case reads it from its facts), or None when no row has one."""
    from wengang.rules.engine import PERIOD_DATE

    reading = (readings or {}).get(PERIOD_DATE.name, PERIOD_DATE.default)
    cols = []
    if reading == "certificate" and program == "skill_subsidy" and "certificate_issue_date" in columns:
        cols.append(pl.col("certificate_issue_date").cast(pl.Date))
    if reading != "review" and "application_date" in columns:
        given = pl.col("application_date_given") if "application_date_given" in columns else pl.lit(True)
        cols.append(pl.when(given).then(pl.col("application_date").cast(pl.Date)))
    return pl.coalesce(cols) if cols else None


def _month_expr(program: str, columns: tuple[str, ...]) -> pl.Expr | None:
    """Each row's benefit month (its first day) when the program is paid month by month and the table says
    which month; None otherwise."""
    from wengang.evaluate import BENEFIT_MONTH, anchor_field

    field = anchor_field(program)  # a benefit month, or the event the text places the period by (EVENT_DATES)
    if field is None or field not in columns:
        return None
    when = pl.col(field).cast(pl.Date)
    return when.dt.month_start() if field == BENEFIT_MONTH else when


def _period_batches(
    facts: pl.LazyFrame, period: pl.Expr | None, month: pl.Expr | None, program: str, on: date,
    include_drafts: bool, settings: Mapping[str, Any] | None, readings: Mapping[str, str] | None,
    columns: tuple[str, ...], region_data: tuple[str, ...], region_column: str, non_null: tuple[str, ...] = (),
    enums: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> list[tuple[list[RegionPlan], list[Plan | None]]]:
    """Plans per period date: each distinct (region, candidate date, benefit month) is placed as one case is
    (:func:`wengang.evaluate.benefit_month_date`, else :func:`wengang.evaluate.period_date`); the rows of one
    placed date share one compiled plan. A benefit month no document covers is refused (one plan per region and
    month: its reason names them)."""
    from wengang.evaluate import anchor_date, anchor_field, period_date
    from wengang.regions import RegionError
    from wengang.rules.engine import PERIOD_DATE

    reading = (readings or {}).get(PERIOD_DATE.name, PERIOD_DATE.default)
    region = pl.col(region_column).cast(pl.String)
    candidate = period if period is not None else pl.lit(None, dtype=pl.Date)
    parts = [region.alias("r"), candidate.alias("d")]
    if month is not None:
        # a row with its month is placed by that alone: its other dates would only split its rows' plans
        candidate = pl.when(month.is_null()).then(candidate)
        parts = [region.alias("r"), candidate.alias("d"), month.alias("m")]
    texts = [region, pl.lit("|"), candidate.cast(pl.String).fill_null("")]
    if month is not None:
        texts += [pl.lit("|"), month.cast(pl.String).fill_null("")]
    key = pl.concat_str(texts)
    pairs = facts.select(parts).unique().collect()
    placed: dict[date, dict[str, list[str]]] = {}  # placed date -> region -> row keys
    refused: list[RegionPlan] = []  # benefit months with no provision
    for code, d, *rest in pairs.iter_rows():
        if code is None:
            continue
        row = f"{code}|{'' if d is None else d.isoformat()}"
        m = rest[0] if rest else None
        if month is not None:
            row += f"|{'' if m is None else m.isoformat()}"
        if m is not None:
            by_month = anchor_date(program, {anchor_field(program) or "": m}, readings or {})
            assert by_month is not None  # the program's facts have the month or event date (_month_expr)
            when, basis = by_month
            refusal = _month_without_policy(program, code, when, basis, include_drafts)
            if refusal is not None:
                refused.append(replace(refusal, row_key=key, row_keys=[row]))
                continue
        else:
            try:
                when, _ = period_date(program, code, d, on, include_drafts=include_drafts, reading=reading)
            except RegionError:
                when = on
        placed.setdefault(when, {}).setdefault(code, []).append(row)
    batches: list[tuple[list[RegionPlan], list[Plan | None]]] = []
    if refused:
        batches.append((refused, [None] * len(refused)))
    for when, by_region in sorted(placed.items()):
        plans, compiled = _plans_for(
            program, tuple(sorted(by_region)), when, include_drafts, settings, readings, columns, region_data, non_null,
            (), enums,
        )
        plans = [
            replace(p, row_key=key, row_keys=[k for r in p.regions for k in by_region.get(str(r), [])]) for p in plans
        ]
        batches.append((plans, compiled))
    return batches


def _month_without_policy(
    program: str, code: str, on: date, basis: str, include_drafts: bool
) -> RegionPlan | None:
    """The refusal of a region's benefit month placed on ``on`` when no document is in force then (the status
    and reasons one case gives: :func:`wengang.evaluate.no_policy_outcome`); None when one is, or the region is
    unknown (:func:`plan_regions` says so)."""
    from wengang.evaluate import no_policy_outcome
    from wengang.policies import NoPolicyInForce, load_policy_set
    from wengang.regions import RegionError, resolve_region

    try:
        reg = resolve_region(code)
    except RegionError:
        return None
    try:
        load_policy_set().resolve(region=reg.key, on=on, program=program, include_drafts=include_drafts)
    except NoPolicyInForce as exc:
        status, reasons = no_policy_outcome(program, reg.name, exc.message_zh, on, basis, by_month=True)
        # one code per region and month: its text names both
        return RegionPlan(
            [code], None, None, "；".join(reasons), f"benefit_month:{code}:{on.isoformat()}", status
        )
    return None


def _plans_for(
    program: str, regions: tuple[str, ...], on: date, include_drafts: bool, settings: Mapping[str, Any] | None,
    readings: Mapping[str, str] | tuple[tuple[str, str], ...] | None, columns: tuple[str, ...],
    region_data: tuple[str, ...], non_null: tuple[str, ...] = (), ranges: tuple[tuple[str, int, int, str], ...] = (),
    enums: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> tuple[list[RegionPlan], list[Plan | None]]:
    # the plan depends on which columns hold no null (sorted), the columns' bounds and Enum types: keyed on them too
    key = (
        program, regions, on, include_drafts, _frozen(settings), _frozen(readings), columns, region_data, non_null,
        ranges, enums,
    )  # fmt: skip
    try:
        hash(key)
    except TypeError:  # a setting whose value cannot be a cache key: compile afresh
        plans, compiled = _compiled_plans.__wrapped__(*key)
    else:
        plans, compiled = _compiled_plans(*key)
    return list(plans), compiled


def _frozen(mapping: Mapping[str, Any] | tuple[tuple[str, Any], ...] | None) -> tuple[tuple[str, Any], ...]:
    """A mapping as a cache key: its items sorted by name (names are unique, so values are never compared). A key
    already made is returned as it is (``screen_facts`` makes the readings' once: a program has ≈ 140)."""
    if isinstance(mapping, tuple):
        return mapping
    return tuple(sorted((mapping or {}).items()))


@functools.lru_cache(maxsize=64)
def _compiled_plans(
    program: str,
    regions: tuple[str, ...],
    on: date,
    include_drafts: bool,
    settings: tuple[tuple[str, Any], ...],
    readings: tuple[tuple[str, Any], ...],
    columns: tuple[str, ...],
    region_data: tuple[str, ...] = (),
    non_null: tuple[str, ...] = (),
    ranges: tuple[tuple[str, int, int, str], ...] = (),
    enums: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> tuple[list[RegionPlan], list[Plan | None]]:
    """The region plans and each one's compiled stages. Pure (the policy set is loaded once per process),
    so a service screening batch after batch compiles a ruleset once, not per batch."""
    plans = plan_regions(program, list(regions), on, include_drafts=include_drafts, settings=dict(settings), region_data=region_data)
    compiled: list[Plan | None] = []
    for plan in plans:
        if plan.resolution is None or plan.ruleset is None:
            compiled.append(None)
            continue
        compiled.append(
            compile_stages(
                plan.ruleset, plan.resolution, settings=plan.settings, fixed=dict(readings), columns=list(columns),
                non_null=non_null, ranges={n: (lo, hi, t) for n, lo, hi, t in ranges}, outputs=(HOLD_OUTPUT, SIZE_OUTPUT, CHANNEL_OUTPUT, BASE_OUTPUT),
                enums=dict(enums),
            )
        )
    return plans, compiled


def reason_text(plans: list[RegionPlan]) -> dict[str, str]:
    """Reason code → Chinese text, for summaries and the results file."""
    text: dict[str, str] = {"no_policy": "无有效政策", "needs_decision": OPEN_READINGS_LINES[0]}
    for plan in plans:
        waiting = "需经办机构提供地区数据：" + "；".join(plan.missing_region_data)
        if plan.missing_region_data:
            text.setdefault("region_data", waiting)
        if plan.ruleset is not None and plan.resolution is not None:
            from wengang.rules.batch import AMOUNT_UNKNOWN
            from wengang.rules.engine import _fact_label, bounded_facts

            text.setdefault(AMOUNT_UNKNOWN, f"缺少计算{plan.ruleset.amount_label}所需数据")
            from wengang.rules import contradictions

            # contradictory facts (a rate of a negative base), as one case words them; the batch's last guard
            for code, said in contradictions.texts(plan.ruleset).items():
                text.setdefault(code, said)
            text.setdefault(contradictions.NEGATIVE_AMOUNT, contradictions.NEGATIVE_AMOUNT_TEXT)

            for name in bounded_facts(plan.ruleset, plan.resolution.params):
                text.setdefault("fact:" + name, f"结论取决于缺失的事实：{_fact_label(plan.ruleset, name)}")
        for code, label in plan.reason_labels.items():
            text.setdefault(code, label)
            # a check that waits for a region figure is one question to the agency, not missing unit data
            text.setdefault("?" + code, waiting if code in plan.waiting_checks else "缺少数据：" + label.removeprefix("不符合"))
        if plan.no_policy_reason:
            text[plan.no_policy_code] = plan.no_policy_reason
    return text


def program_label(program: str) -> str:
    from wengang.programs import load

    load(program)
    return PROGRAM_LABELS.get(program, program)
