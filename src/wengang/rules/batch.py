"""The same rulesets over a table: compile to Polars and screen millions of rows in one pass.

``screen_frame`` returns, per row, exactly what ``engine.build_decision`` decides for that row as one
case (status, amount in fen, failed checks, readings, outcomes per reading when they differ). The
equivalence is tested property-by-property in ``tests/rules/test_batch_equivalence.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from pydantic_core import PydanticUndefined

from wengang.rules import contradictions as _contra
from wengang.rules.engine import (
    CONDITION,
    ELIGIBLE,
    FLAG,
    INELIGIBLE,
    NEEDS_DECISION,
    NOT_DETERMINABLE,
    Ruleset,
    active_checks,
    bounded_facts,
    missing_settings,
    reading_combinations,
    reads_setting_under,
)
from wengang.rules.expr import (
    _NOT_CONST,
    RANGE_DTYPES,
    Arith,
    ByParam,
    Cmp,
    CompileContext,
    Expr,
    Fact,
    HasParam,
    IfElse,
    IsIn,
    IsMissing,
    Lit,
    Min,
    MonthSpan,
    Not,
    Note,
    Param,
    RateOf,
    Ratio,
    Reading,
    Setting,
    SharedNodes,
    _known_value,
    is_never_null,
    known_literal,
    literal,
    negated,
    never_null,
    switches_in,
    text_codes,
)

STATUS_DTYPE = pl.Enum([ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE])


def _tag(combo: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in combo.items())


def _untag(tag: str) -> dict[str, str]:
    """The combination a :func:`_tag` names."""
    return dict(part.split("=", 1) for part in tag.split(",")) if tag else {}


class _ByCombination:
    """A compiled expression's column for a full combination of readings (its ``_tag``): the column compiled for the
    combination of the expression's own switches. Looked up on demand: a table of every combination of every switch
    for every check was most of the compile time once a dozen switches were open (session 43)."""

    def __init__(self, own: Sequence[str], by_own: dict[str, str]) -> None:
        self.own, self.by_own = tuple(own), by_own
        self._seen: dict[str, str] = {}

    def __getitem__(self, tag: str) -> str:
        hit = self._seen.get(tag)
        if hit is None:
            combo = _untag(tag)
            hit = self._seen[tag] = self.by_own[_tag({k: combo[k] for k in self.own})]
        return hit

    def values(self) -> Iterable[str]:
        """The distinct columns, the default combination's first."""
        return self.by_own.values()


def shown_tag(combo: Mapping[str, str], default: Mapping[str, str]) -> str:
    """A combination in the ``outcomes`` text: only the readings that differ from the row's ``readings`` (the
    default combination, written there in full), or 默认 for it. Repeating every switch in every outcome made
    the text most of a results file (1.65 GB of 1.78 GB at 1 M units with all readings open)."""
    return ",".join(f"{k}={v}" for k, v in combo.items() if default.get(k) != v) or "默认"


CODE_TABLE_LIMIT = 4096  # the most texts a check-code column is looked up in (:func:`_codes`)


# the reason codes of a row undeterminable for want of its amount alone (every check passed): the amount reads a
# region figure not given (the code the tail uses for it, one question to the agency), or a fact is missing
AMOUNT_WAITS = "region_data"
AMOUNT_UNKNOWN = "amount"


def _codes(items: list[tuple[str, pl.Expr]], prefix_unknown: bool) -> pl.Expr:
    """The codes of the checks ``items`` (code, Boolean) that are false on the row, joined by ``;`` in their order, and
    with ``prefix_unknown`` a ``?`` before the code of each that is unknown (null).

    Each check is one digit of a small integer (0 true, 1 false, 2 unknown; a null without ``prefix_unknown`` adds
    no code, 0), and the row's text is looked up by it in the texts of every digit combination, made once here: a
    few passes over small integers and a gather of text views, not a text built on every row (a ``concat_str`` of
    seven parts was half of a million rows' rules, 55 of 115 CPU-ms). More combinations than
    :data:`CODE_TABLE_LIMIT`: built row by row (:func:`_codes_by_row`), the same texts."""
    if not items:
        return pl.lit("", dtype=pl.String)
    unknown = [prefix_unknown and not is_never_null(e) for _, e in items]
    sizes = tuple(3 if u else 2 for u in unknown)
    texts = _code_texts(tuple(cid for cid, _ in items), sizes)
    if texts is None:
        return _codes_by_row(items, prefix_unknown)
    key: pl.Expr | None = None
    place = 1
    for (_, e), u, size in zip(items, unknown, sizes, strict=True):
        digit = (~e).cast(pl.UInt16)  # false 1, true 0, null null
        if u:
            digit = digit.fill_null(2)
        elif not is_never_null(e):
            digit = digit.fill_null(0)
        term = digit if place == 1 else digit * pl.lit(place, dtype=pl.UInt16)
        key = term if key is None else key + term
        place *= size
    assert key is not None
    return pl.lit(texts).gather(key)


@functools.lru_cache(maxsize=256)
def _code_texts(codes: tuple[str, ...], sizes: tuple[int, ...]) -> pl.Series | None:
    """The text of every key of :func:`_codes` (the first check its lowest digit), or None when there are more than
    :data:`CODE_TABLE_LIMIT`."""
    total = 1
    for size in sizes:
        total *= size
    if total > CODE_TABLE_LIMIT:
        return None
    shown: list[tuple[str, ...]] = [()]
    for cid, size in zip(codes, sizes, strict=True):
        # this check's digit is above the earlier ones': each of its values follows every combination of theirs
        shown = [s + p for p in ((), (cid,), ("?" + cid,))[:size] for s in shown]
    return pl.Series("codes", [";".join(s) for s in shown], dtype=pl.String)


def _codes_by_row(items: list[tuple[str, pl.Expr]], prefix_unknown: bool) -> pl.Expr:
    """:func:`_codes`, each row's text built on that row."""
    if not items:
        return pl.lit("", dtype=pl.String)
    parts = []
    for cid, e in items:
        parts.append(pl.when(e == False).then(pl.lit(cid)))  # noqa: E712
        if prefix_unknown and not is_never_null(e):  # a check known on every row is never "?"
            parts.append(pl.when(e.is_null()).then(pl.lit("?" + cid)))
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


def known_non_null(frame: pl.DataFrame | pl.LazyFrame, non_null: Iterable[str] | None = None) -> frozenset[str]:
    """The columns of ``frame`` that hold no null: those of an in-memory table whose null count is 0 (kept by
    each column, so this reads no data), plus ``non_null``, what the caller knows of a lazy one (its
    validation guarantees it, say). The compiled rules drop the unknown branches only these could take."""
    given = frozenset(non_null or ())
    if isinstance(frame, pl.LazyFrame):
        return given
    counts = frame.null_count().row(0) if frame.width else ()
    return given | {c for c, n in zip(frame.columns, counts, strict=True) if n == 0}


def enum_columns(schema: Mapping[str, pl.DataType]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The columns of ``schema`` typed as an Enum, each with its categories (read from the type: no pass over the
    data), sorted: for ``compile_stages(enums=...)`` and a plan's cache key."""
    return tuple(sorted((n, tuple(t.categories.to_list())) for n, t in schema.items() if isinstance(t, pl.Enum)))


def known_non_negative(
    frame: pl.DataFrame | None, columns: Iterable[str], bounds: Mapping[str, tuple[int, int]] | None = None
) -> frozenset[str]:
    """Which of ``columns`` hold no value below zero: by ``bounds`` (name → (min, max), what the caller knows: a
    Parquet file's statistics) or else, for an integer or boolean column of an in-memory ``frame``, by its minimum
    (one pass, ≈ 0.1 ms at 1 M rows; a column with no value has none below zero). For
    :func:`apply_stages`' ``non_negative``."""
    out = set()
    for name in columns:
        if bounds and name in bounds:
            if bounds[name][0] >= 0:
                out.add(name)
            continue
        if frame is None or name not in frame.columns:
            continue
        s = frame.get_column(name)
        if s.dtype == pl.Boolean or s.dtype.is_unsigned_integer():
            out.add(name)
        elif s.dtype.is_integer():
            least: Any = s.min()
            if least is None or least >= 0:
                out.add(name)
    return frozenset(out)


def _widened(name: str, lo: int, hi: int, dtype: str, minimum: bool) -> tuple[str, int, int, str]:
    """``(name, lo, hi, dtype)`` widened so that a plan is kept for many tables: the maximum to ``2**b - 1``, ``b``
    the bit length of the larger magnitude; the minimum to 1 when it is at least 1 and ``minimum`` (whether it
    matters), else to 0, or to ``-(2**b - 1)`` when a value is negative."""
    top = 2 ** max(abs(lo), abs(hi)).bit_length() - 1
    return (name, (1 if minimum and lo >= 1 else 0) if lo >= 0 else -top, top, dtype)


def known_ranges(
    frame: pl.DataFrame, columns: Iterable[str] | Mapping[str, bool]
) -> tuple[tuple[str, int, int, str], ...]:
    """Bounds of the narrow integer ``columns`` of an in-memory ``frame`` (those of ``RANGE_DTYPES``), for
    ``compile_stages(ranges=...)``: ``(name, lo, hi, dtype)``, sorted and widened (:func:`_widened`). A column with
    no value is left out.

    ``columns`` as ``Plan.range_wants`` gives them (name → whether the minimum matters) reads a column whose minimum
    does not matter in one pass: the bitwise or of its values, which is at least 0 exactly when no value is negative
    and then has the maximum's bit length. Otherwise one more pass for the minimum, and for a column with a negative
    value the minimum and the maximum (≈ 0.14 ms a pass at 1 M rows)."""
    minimum = columns if isinstance(columns, Mapping) else dict.fromkeys(columns, True)
    out = []
    for name in sorted(minimum):
        if name not in frame.columns:
            continue
        s = frame.get_column(name)
        if str(s.dtype) not in RANGE_DTYPES:
            continue
        found = s.bitwise_or()
        if found is None:
            continue
        bits: int = found  # type: ignore[assignment]  # an integer column's
        if bits >= 0:  # no negative value: 0 <= v <= bits, and bits has the maximum's bit length
            least: Any = s.min() if minimum[name] else None
            out.append(_widened(name, 1 if least is not None and least >= 1 else 0, bits, str(s.dtype), True))
            continue
        lo, hi = int(s.min()), int(s.max())  # type: ignore[arg-type]  # an integer column's, not all null
        out.append(_widened(name, lo, hi, str(s.dtype), True))
    return tuple(out)


def given_ranges(
    schema: Mapping[str, pl.DataType], bounds: Mapping[str, tuple[int, int]], columns: Mapping[str, bool]
) -> tuple[tuple[str, int, int, str], ...]:
    """As :func:`known_ranges`, from bounds the caller knows (name → (min, max): a Parquet file's statistics,
    :func:`wengang.screening.evaluate.parquet_facts_stats`) instead of a pass over the data: the same tuples for the
    same values, so the plan is the one the data would have given."""
    out = []
    for name in sorted(columns):
        dtype = schema.get(name)
        if name in bounds and dtype is not None and str(dtype) in RANGE_DTYPES:
            lo, hi = bounds[name]
            out.append(_widened(name, lo, hi, str(dtype), columns[name]))
    return tuple(out)


def compile_stages(
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    columns: list[str] | None = None,
    literals: Mapping[str, Any] | None = None,
    non_null: Iterable[str] = (),
    ranges: Mapping[str, tuple[int, int, str]] | None = None,
    outputs: Sequence[str] = (),
    enums: Mapping[str, Iterable[str]] | None = None,
) -> Plan:
    """Polars stages adding ``status, amount_fen, reasons, flags, readings, outcomes``.

    Stage 1 computes each check (and the amount) once per combination of the readings *it* depends
    on; stage 2 combines those columns into a status and amount per combination of all readings;
    stage 3 compares the combinations (待认定 when they differ). Referring to columns between stages
    keeps the plan small: 4 switches would otherwise copy every rule 16 times into one tree.
    ``columns``: the table's columns; a fact the table lacks is compiled as the model's default.
    ``non_null``: columns the caller knows hold no null (:func:`known_non_null`): what reads only them is
    never unknown, so the unknown branches (null tests, 无法判定, "?" reasons) they alone feed are not compiled.
    The result is the same row for row as without, on a table that keeps that promise.
    ``ranges``: bounds of narrow integer columns (:func:`known_ranges`; ``CompileContext.ranges``); the plan
    records in ``range_wants`` the columns whose bounds it would use.
    ``outputs``: ids of the ruleset's outputs or table outputs (``payment_hold``, ``size_class_code``) to compute in
    stage 1 beside the checks, from the same shared columns (the effective size class read by a check and by the hold
    is computed once), each under the default reading of its own switches, as one case reports it: ``Plan.outputs``
    names each one's column, kept in the result for the caller (None: null on every row, no column).
    ``enums``: columns typed as an Enum, each with its categories (:func:`enum_columns`; ``CompileContext.enums``).
    Returns the stages and the temporary column names to drop afterwards.
    """
    # Compiled twice: a sub-expression staged as a shared column (SharedNodes) because the rule tree reuses it may,
    # once the readings and the policy have chosen their branches, be read by one expression only. Staged, it
    # cost a column and a step of its own (the 1 M peer table: three steps for one amount); the second pass
    # writes such a node where it is read. A node read by nothing (read only by an expression the compiler then
    # found fixed and dropped, e.g. a negative-base flag that cannot be true) is not written at all
    # (``SharedNodes.read_once`` takes back what only such nodes read, so the second pass is the last in practice;
    # the loop only guards that). Compiling is milliseconds and a plan is kept per policy and shape.
    held = {n: frozenset(v) for n, v in (enums or {}).items()}
    args = (ruleset, resolution, settings, fixed, columns, literals, tuple(non_null), dict(ranges or {}), tuple(outputs), held)
    plan, shared, codes = _compile_stages(*args, inline=frozenset())
    inline: frozenset[tuple[Any, ...]] = frozenset()
    for _ in range(8):
        once = shared.read_once([*(e for level in plan.shared for e in level), *plan.variants])
        if once <= inline:
            break
        inline |= once
        plan, shared, _ = _compile_stages(*args, inline=inline, codes=codes)
    return plan


def _compile_stages(
    ruleset: Ruleset,
    resolution: Any,
    settings: Mapping[str, Any] | None,
    fixed: Mapping[str, str] | None,
    columns: list[str] | None,
    literals: Mapping[str, Any] | None,
    non_null: Iterable[str],
    ranges: Mapping[str, tuple[int, int, str]],
    outputs: tuple[str, ...],
    enums: Mapping[str, frozenset[str]],
    *,
    inline: frozenset[tuple[Any, ...]],
    codes: dict[int, tuple[str, ...]] | None = None,
) -> tuple[Plan, SharedNodes, dict[int, tuple[str, ...]]]:
    fixed = dict(fixed or {})
    absent = {} if columns is None else {m: _default_literal(ruleset, m) for m in ruleset.facts.model_fields if m not in columns}
    absent.update({name: literal(getattr(v, "value", v)) for name, v in (literals or {}).items()})
    params = resolution.params
    settings = dict(settings or {})
    known = frozenset(non_null) - set(absent)
    ranges = {n: r for n, r in ranges.items() if n not in absent}
    enums = {n: v for n, v in enums.items() if n not in absent}
    wants: dict[str, bool] = {}
    checks = active_checks(ruleset, params)
    switches = switches_in(ruleset.active_exprs(params), params)
    combos = reading_combinations(switches, fixed)
    temps: list[str] = []
    stage1: list[pl.Expr] = []
    # what the checks and the amount share is computed once per row, as columns before stage 1
    wanted = [o for o in (*ruleset.outputs, *ruleset.table_outputs) if o.id in outputs]
    roots = [c.expr for c in checks] + ([ruleset.amount] if ruleset.amount is not None else []) + [o.expr for o in wanted]
    shared = SharedNodes(roots, params, inline=inline)
    if codes is None:  # the size classes as small integers, not text (the same in both passes)
        codes = text_codes(roots, params, settings, absent)

    missing_figures = missing_settings(ruleset, params, settings)

    # the facts whose being non-negative keeps every amount compiled here from being negative (None: none do)
    sign_facts: frozenset[str] | None = frozenset()

    def variants(key: str, expr: Any) -> _ByCombination:
        """Compile ``expr`` once per combination of its own switches; map full-combo tag -> column."""
        nonlocal sign_facts
        own = switches_in([expr], params)
        by_own: dict[str, str] = {}
        for combo in reading_combinations(own, fixed):
            name = f"__{key}__{_tag(combo)}"
            by_own[_tag(combo)] = name
            temps.append(name)
            ctx = CompileContext(params, settings, combo, absent, shared, known, ranges, wants, codes, enums)
            compiled = expr.to_polars(ctx)
            if _known_value(compiled) is None and key != "amount":
                # a check the policy and settings fix to unknown (a reserve under a year under the 'block' reading:
                # when(False, True, None)) is a typed null: Polars has no "not" of a Null column
                compiled = known_literal(pl.lit(None, dtype=pl.Boolean), None)
            if is_never_null(compiled):
                never.add(name)
            if _known_value(compiled) is True:
                passed.add(name)
            inner = negated(compiled)
            if inner is not None and inner.meta.is_column():
                negates[name] = inner
            stage1.append(compiled.alias(name))
            if key == "amount":
                given = _contra.never_negative_given(expr, ctx)
                sign_facts = None if given is None or sign_facts is None else sign_facts | given
            if key == "amount" and name not in never:
                # per rate of a negative base on the row's path (contradictory facts): the reason the row is
                # undeterminable, as one case's (rules.contradictions; engine.undetermined_lines)
                for k, (node, flag) in enumerate(_contra.merged(_contra.negative_flags(expr, ctx)).values()):
                    if _known_value(flag) is False:
                        continue
                    fname = f"__neg{k}{name}"
                    temps.append(fname)
                    stage1.append(never_null(flag).alias(fname))
                    contra_of.setdefault(name, []).append((_contra.code(expr, node), fname))
            if missing_figures and name not in never:
                # per row: is it null because of a region figure not given, on the path the row takes?
                waits = region_null(expr, ctx, frozenset(missing_figures))
                if waits is not None and _known_value(waits) is not False:
                    waits_of[name] = f"__rw_{key}__{_tag(combo)}"
                    temps.append(waits_of[name])
                    stage1.append(waits.alias(waits_of[name]))
        return _ByCombination(own, by_own)

    never: set[str] = set()  # the stage-1 columns null on no row
    contra_of: dict[str, list[tuple[str, str]]] = {}  # an amount column: its negative-base flags (code, column)
    # a stage-1 column that may be null because a missing region figure is (engine.unknown_inputs): its wait column
    waits_of: dict[str, str] = {}
    # the stage-1 columns the policy and the readings fix to true (a check this table cannot fail, e.g. one on a
    # column it lacks whose default passes): they give no reason and refuse nothing, so the status, reasons and
    # flags leave them out instead of reading a column of trues (the same values; a smaller plan to optimise)
    passed: set[str] = set()
    negates: dict[str, pl.Expr] = {}  # stage-1 columns compiled as ``~column``: that column

    def refusal(name: str, e: pl.Expr) -> pl.Expr:
        """Is the check in column ``name`` (read as ``e``) false on the row (not unknown): ``~e``, or for a check
        ``~x`` the column ``x`` itself (null where ``x`` is, as ``~e``); no negation twice per row."""
        inner = negates.get(name)
        if inner is not None:
            return inner if is_never_null(e) else inner.fill_null(False)
        return ~e if is_never_null(e) else (~e).fill_null(False)

    def col(name: str) -> pl.Expr:
        return never_null(pl.col(name)) if name in never else pl.col(name)

    check_cols = [(c, variants(f"c{i}", c.expr)) for i, c in enumerate(checks)]
    amount_cols = variants("amount", ruleset.amount) if ruleset.amount is not None else None
    # the outputs asked for, under the default reading of their own switches (as screening.evaluate reports them)
    output_cols: dict[str, str | None] = {}
    for o in wanted:
        combo = reading_combinations(switches_in([o.expr], params), fixed)[0]
        compiled = o.expr.to_polars(
            CompileContext(params, settings, combo, absent, shared, known, ranges, wants, codes, enums)
        )
        if _known_value(compiled) is None:
            output_cols[o.id] = None  # given on no row: no column
            continue
        output_cols[o.id] = name = f"__out_{o.id}"
        stage1.append(compiled.alias(name))


    @functools.cache  # the groups' tails share combinations: a 192-combination tail was 40 ms of Python
    def combo_exprs(tag: str) -> tuple[pl.Expr, pl.Expr, list[tuple[str, pl.Expr]], list[tuple[str, pl.Expr]]]:
        live = [(c, cols[tag]) for c, cols in check_cols if cols[tag] not in passed]
        conds = [(c.id, col(name)) for c, name in live if c.kind == CONDITION]
        flags = [(c.id, col(name)) for c, name in live if c.kind == FLAG]
        # boolean "any" over the checks (not counts): a refused check decides, then an unknown one (only a check
        # that can be null on some row is tested for it)
        refused = [refusal(name, col(name)) for c, name in live if c.kind == CONDITION]
        any_false = pl.any_horizontal(refused) if refused else pl.lit(False)
        unknown = [e.is_null() for _, e in conds if not is_never_null(e)]
        amount = col(amount_cols[tag]).cast(pl.Int64) if amount_cols else pl.lit(None, dtype=pl.Int64)
        if amount_cols and not ruleset.amount_optional and amount_cols[tag] not in never:
            unknown.append(amount.is_null())
        decided = pl.when(any_false).then(_status(INELIGIBLE))
        status = (  # the categorical status directly: no strings per row
            decided.when(pl.any_horizontal(unknown)).then(_status(NOT_DETERMINABLE)).otherwise(_status(ELIGIBLE))
            if unknown
            else decided.otherwise(_status(ELIGIBLE))
        )
        # the amount where the status is 符合条件, read from the same booleans (never null) rather than by comparing
        # the status column with it per row
        open_ = any_false | pl.any_horizontal(unknown) if unknown else any_false
        reasons = conds
        if amount_cols and not ruleset.amount_optional and amount_cols[tag] not in never:
            # undeterminable for want of the amount alone (every check passed): say so, as one case does
            # (engine.build_decision: 缺少计算…所需数据, or the region figure the amount waits for)
            decided_ = any_false | pl.any_horizontal(unknown[:-1]) if unknown[:-1] else any_false
            known_ = decided_ | amount.is_not_null()
            waits = waits_of.get(amount_cols[tag])
            contra = contra_of.get(amount_cols[tag], [])
            negative = [(c, never_null(pl.col(f))) for c, f in contra]
            if negative:  # contradictory facts, not missing ones: said instead of 缺少计算…所需数据
                any_neg = never_null(pl.any_horizontal([f for _, f in negative]))
                said = [(c, never_null(known_ | ~f)) for c, f in negative]
                known_ = never_null(known_ | any_neg)
            else:
                said = []
            if waits is None:
                reasons = [*conds, *said, (AMOUNT_UNKNOWN, never_null(known_))]
            else:  # on the rows whose amount waits for a region figure, the region code; on the others the amount's
                w = never_null(pl.col(waits))
                reasons = [*conds, *said, (AMOUNT_WAITS, never_null(known_ | ~w)), (AMOUNT_UNKNOWN, never_null(known_ | w))]
        return status, pl.when(open_).then(None).otherwise(amount), reasons, flags

    default_tag = _tag(combos[0])
    status_d, amount_d, conds_d, flags_d = combo_exprs(default_tag)
    temps.extend(["__status0", "__amount0", "__reasons0", "__flags0"])
    stage2_first = [
        status_d.alias("__status0"), amount_d.alias("__amount0"),
        _codes(conds_d, True).alias("__reasons0"), _codes(flags_d, False).alias("__flags0"),
    ]  # fmt: skip

    # a row whose every check (and amount) has the same value under all its variants cannot depend on
    # any reading: only the other rows need the remaining combinations
    disagree: list[pl.Expr] = []
    # per switch: does changing its reading alone change a check (or the amount) on this row? A switch that changes
    # nothing there cannot change the outcome, so each row branches only on the switches live for it (as
    # engine.evaluate_resolved does), not on every combination of every switch.
    live_parts: dict[str, list[pl.Expr]] = {s: [] for s in switches}
    variant_cols = [cols for _, cols in check_cols] + ([amount_cols] if ruleset.amount is not None and amount_cols else [])
    for cols in variant_cols:
        names = list(dict.fromkeys(cols.values()))
        parts = [col(n).ne_missing(col(names[0])) for n in names[1:]]
        disagree += parts
        if not parts:
            continue
        # a switch is live where changing its reading alone, the expression's other switches at any reading, changes
        # the value (each variant against the one with this switch at its default): a switch the value does not
        # depend on is not branched on because another switch of the same expression changes it (the amount read
        # the payment-date switch wherever the size-class readings changed it: twice the combinations on every row)
        combos_own = [_untag(tag) for tag in cols.by_own]
        first = combos_own[0]
        for sw in cols.own:
            if sw not in live_parts:
                continue
            pairs = ((cols.by_own[_tag(c)], cols.by_own[_tag({**c, sw: first[sw]})]) for c in combos_own if c[sw] != first[sw])
            by_sw = [col(a).ne_missing(col(b)) for a, b in pairs if a != b]
            if by_sw:
                live_parts[sw].append(pl.any_horizontal(by_sw))
    any_diff = pl.any_horizontal(disagree) if disagree else pl.lit(False)
    live_bits = [
        pl.any_horizontal(live_parts[sw]).cast(pl.Int64) * (1 << i) if live_parts[sw] else pl.lit(0, dtype=pl.Int64)
        for i, sw in enumerate(switches)
    ]
    live_mask = pl.sum_horizontal(live_bits) if live_bits else pl.lit(0, dtype=pl.Int64)

    status0, amount0, reasons0 = pl.col("__status0"), pl.col("__amount0"), pl.col("__reasons0")
    single = [
        status0.cast(STATUS_DTYPE).alias("status"),
        amount0.cast(pl.Int64).alias("amount_fen"),
        reasons0.alias("reasons"),
        pl.col("__flags0").alias("flags"),
        pl.lit(default_tag).alias("readings"),
        pl.lit("").alias("outcomes"),
    ]
    # no readings to compare: the default combination is the result, computed under its final names in one
    # step (not staged and then copied by ``single``)
    final = [
        status_d.cast(STATUS_DTYPE).alias("status"), amount_d.cast(pl.Int64).alias("amount_fen"),
        _codes(conds_d, True).alias("reasons"), _codes(flags_d, False).alias("flags"),
        pl.lit(default_tag).alias("readings"), pl.lit("").alias("outcomes"),
    ]  # fmt: skip

    def tail(mask: int) -> Tail:
        """Stages 2–3 over the combinations of the switches in ``mask`` (the others at their default)."""
        live = [sw for i, sw in enumerate(switches) if mask >> i & 1]
        subset = [{**combos[0], **c} for c in reading_combinations(live, fixed)]
        rest: list[pl.Expr] = []
        names: list[tuple[pl.Expr, pl.Expr]] = []
        temp: list[str] = []
        for k, combo in enumerate(subset):
            if k == 0:
                names.append((status0, amount0))
                continue
            st_name, am_name = f"__st{mask}_{k}", f"__am{mask}_{k}"
            st, am, _, _ = combo_exprs(_tag(combo))
            rest += [st.alias(st_name), am.alias(am_name)]
            temp += [st_name, am_name]
            names.append((pl.col(st_name), pl.col(am_name)))
        # (as engine.waits_for_region: undeterminable because an undetermined condition or the amount is unknown
        # for a missing region figure it reads on the row's path: the stage-1 wait columns); as build_decision, such an outcome of a non-default combination is not
        # compared, and when the default combination waits the row waits for the figure (one region question)
        waits: list[pl.Expr] = []
        for combo, (st, _) in zip(subset, names, strict=True):
            tag = _tag(combo)
            parts = [
                pl.col(waits_of[cols[tag]]) for c, cols in check_cols if c.kind == CONDITION and cols[tag] in waits_of
            ]
            if amount_cols and not ruleset.amount_optional and amount_cols[tag] in waits_of:
                parts.append(pl.col(waits_of[amount_cols[tag]]))
            waits.append((st == _status(NOT_DETERMINABLE)) & pl.any_horizontal(parts) if parts else pl.lit(False))
        # each non-default combination's wait, and whether the row differs (and waits for a region figure), are
        # columns of a step of their own: every result column reads them, and the outcomes text is then a
        # function of these columns and the statuses and amounts only (built once per distinct combination
        # of them: :func:`_texts_by_distinct`)
        waited: list[pl.Expr] = []
        for k in range(1, len(waits)):
            if not waits[k].meta.is_literal():
                waited.append(waits[k].alias(f"__w{mask}_{k}"))
                waits[k] = pl.col(f"__w{mask}_{k}")
        keys: list[pl.Expr] = []
        # flat anys over the combinations: a nested chain of ORs grows the plan quadratically with them
        any_parts: list[pl.Expr] = []
        differ_parts: list[pl.Expr] = []
        outcome_parts: list[pl.Expr] = []
        for k, (combo, (st, am)) in enumerate(zip(subset, names, strict=True)):
            d_k = (st != status0) | am.ne_missing(amount0)
            any_parts.append(d_k)
            plain = k == 0 or waits[k].meta.is_literal()
            differ_parts.append(d_k if plain else d_k & ~waits[k])
            # "tag:status:" by the status's index into the combination's four texts (no text built per row), the
            # "|" before an entry in its text: one flat concatenation, not one per entry copied again into the
            # whole (an entry not compared is null, so skipped with its "|"; the first one is always there)
            heads = pl.Series([f"{'|' if k else ''}{shown_tag(combo, subset[0])}:{v}:" for v in STATUS_DTYPE.categories])
            shown = [pl.lit(heads).gather(st.to_physical()), am.cast(pl.String).fill_null("")]
            outcome_parts += shown if plain else [pl.when(~waits[k]).then(pl.concat_str(shown))]
        region_wait = waits[0] & pl.any_horizontal(any_parts)
        differs = pl.any_horizontal(differ_parts) | region_wait
        if not region_wait.meta.is_literal():
            keys.append(region_wait.alias(f"__rw{mask}"))
            region_wait = pl.col(f"__rw{mask}")
        keys.append(differs.alias(f"__differs{mask}"))
        differs = pl.col(f"__differs{mask}")
        temp += [k.meta.output_name() for k in (*waited, *keys)]
        open_status = pl.when(region_wait).then(_status(NOT_DETERMINABLE)).otherwise(_status(NEEDS_DECISION))
        text = pl.when(differs).then(pl.concat_str(outcome_parts, ignore_nulls=True)).otherwise(pl.lit(""))
        full = [
            pl.when(differs).then(open_status).otherwise(status0).cast(STATUS_DTYPE).alias("status"),
            pl.when(differs).then(None).otherwise(amount0).cast(pl.Int64).alias("amount_fen"),
            # (the default combination's amount may have said so already: AMOUNT_WAITS)
            pl.when(region_wait & ~reasons0.str.contains(AMOUNT_WAITS, literal=True))
            .then(pl.concat_str([reasons0, pl.lit("region_data")], separator=";").str.strip_chars(";"))
            .when(region_wait)
            .then(reasons0)
            .when(differs)
            .then(pl.concat_str([reasons0, pl.lit("needs_decision")], separator=";").str.strip_chars(";"))
            .otherwise(reasons0)
            .alias("reasons"),
            pl.col("__flags0").alias("flags"),
            pl.lit(default_tag).alias("readings"),
            text.alias("outcomes"),
        ]
        inputs = [
            (st.meta.output_name(), am.meta.output_name(), None if w.meta.is_literal() else w.meta.output_name())
            for (st, am), w in zip(names, [pl.lit(False), *waits[1:]], strict=True)
        ]
        steps = [stage for stage in (waited, keys) if stage]
        return Tail(rest, steps, full, temp, text, inputs, differs.meta.output_name())

    temps.extend(shared.names)
    plan = Plan(
        stage1, stage2_first, len(combos) > 1, any_diff, live_mask, single, temps,
        functools.lru_cache(maxsize=None)(tail), shared.levels, bounded_facts(ruleset, params), final,
        tuple(sorted(wants.items())), output_cols, sign_facts,
    )  # fmt: skip
    return plan, shared, codes


# nodes unknown whenever an operand is: their own null test is implied by an operand's (:func:`region_null`)
_STRICT = (Arith, Cmp, Min, MonthSpan, Not, Note, RateOf, Ratio, IsIn)


def region_null(node: Expr, ctx: CompileContext, missing: frozenset[str]) -> pl.Expr | None:
    """Per row, never null: is ``node`` null because a region figure in ``missing`` (not given) that it reads on the
    row's path is — the compiled form of ``engine.unknown_inputs`` (an if-else's condition where it is null, else the
    branch the row takes; a reading's chosen option; any other node only where it is null itself). None: on no row
    (no missing figure below ``node`` under these readings)."""
    if not reads_setting_under(node, missing, ctx.params, ctx.readings):
        return None
    if isinstance(node, Setting):
        return pl.lit(True)  # a figure not given: null on every row
    if isinstance(node, Reading):
        return region_null(node.choose(ctx.params, ctx.readings), ctx, missing)
    if isinstance(node, ByParam):
        return region_null(node.choose(ctx.params), ctx, missing)
    if isinstance(node, (IsMissing, HasParam, Lit, Fact, Param)):
        return None  # never null for a figure (a missing-test is known)
    if isinstance(node, IfElse):
        cond = node.cond.to_polars(ctx)
        known = _known_value(cond)
        if known is not _NOT_CONST:
            branch = node.cond if known is None else node.then if known else node.otherwise
            return region_null(branch, ctx, missing)
        by_cond, by_then, by_else = (region_null(n, ctx, missing) for n in (node.cond, node.then, node.otherwise))
        no = pl.lit(False)
        return never_null(
            pl.when(cond.is_null()).then(by_cond if by_cond is not None else no)
            .when(cond).then(by_then if by_then is not None else no)
            .otherwise(by_else if by_else is not None else no)
        )  # fmt: skip
    parts = [p for p in (region_null(c, ctx, missing) for c in node.children()) if p is not None]
    if not parts:
        return None
    below = parts[0] if len(parts) == 1 else pl.any_horizontal(parts)
    if isinstance(node, _STRICT):
        return never_null(below)
    compiled = node.frac(ctx)[0] if node.is_fraction else node.to_polars(ctx)
    known = _known_value(compiled)
    if known is not _NOT_CONST:
        return never_null(below) if known is None else None
    return never_null(compiled.is_null() & below)


@dataclass
class Tail:
    """Stages 2–3 for rows live on one set of switches."""

    rest: list[pl.Expr]  # status and amount under each other combination of those switches
    # steps after ``rest``: each combination's wait for a region figure; then does the row differ (and wait)
    keys: list[list[pl.Expr]]
    full: list[pl.Expr]  # the result comparing the combinations (待认定 when they differ)
    temps: list[str]
    text: pl.Expr  # the ``outcomes`` text of ``full``: it reads only columns of ``rest``, ``keys`` and the default
    # what ``text`` reads: per combination its status, amount and (None when never) wait column; does the row differ
    inputs: list[tuple[str, str, str | None]]
    differs: str


def _status(value: str) -> pl.Expr:
    return pl.lit(value, dtype=STATUS_DTYPE)


@dataclass
class Plan:
    """A compiled ruleset: see :func:`compile_stages`."""

    variants: list[pl.Expr]  # each check and the amount, per combination of the readings it reads
    first: list[pl.Expr]  # status, amount, reasons and flags under the default readings
    branches: bool  # are there readings to compare at all?
    any_diff: pl.Expr  # does any variant disagree on this row?
    live_mask: pl.Expr  # bit i: switch i can change this row's outcome
    single: list[pl.Expr]  # the result when no reading matters
    temps: list[str]
    tail: Callable[[int], Tail]  # stages 2–3 for the rows of one live mask (compiled once per mask)
    # sub-expressions shared by the variants, by level (each level reads only earlier ones): before ``variants``
    shared: list[list[pl.Expr]] = field(default_factory=list)
    # engine.bounded_facts of the ruleset under this policy (for resolve_missing; a walk of every rule, so
    # computed once with the plan rather than per table screened)
    bounded: dict[str, list[Any]] | None = None
    final: list[pl.Expr] = field(default_factory=list)  # the result straight after ``variants`` when no branches
    # columns whose bounds (``CompileContext.ranges``) would make this plan cheaper, each with whether its minimum
    # matters: see :func:`known_ranges`
    range_wants: tuple[tuple[str, bool], ...] = ()
    # output id → its stage-1 column (``compile_stages(outputs=…)``), kept in the result; None: null on every row
    outputs: dict[str, str | None] = field(default_factory=dict)
    # the facts whose values, none below zero, keep every amount of the plan from being negative: given a table known
    # to hold no negative value in them, ``apply_stages`` needs no last guard (None: no facts do; the guard stays)
    never_negative_given: frozenset[str] | None = None


_FIRST = ("__status0", "__amount0", "__reasons0", "__flags0")  # the default combination's staged columns


def apply_stages(lf: pl.LazyFrame, plan: Plan, non_negative: Iterable[str] = ()) -> pl.LazyFrame:
    """The plan's stages over ``lf``; an amount below zero is written nowhere (a last guard: the rules leave a rate of a
    negative base unknown, ``rules.contradictions``; whatever else gave one, the row is 无法判定, not paid).
    ``non_negative``: columns of ``lf`` known to hold no value below zero (:func:`known_non_negative`, a file's
    statistics): when the plan's amounts read no other facts and nothing that subtracts (``Plan.never_negative_given``),
    no amount can be negative and the guard is not compiled (the same results, on a table that keeps that promise)."""
    staged = _apply_stages(lf, plan)
    given = plan.never_negative_given
    if given is not None and given <= frozenset(non_negative):
        return staged
    return _no_negative_amount(staged)


_NEGATIVE = (pl.col("amount_fen") < 0).fill_null(False)
# the guard's columns, built once (a typed literal is tens of microseconds to build, per call)
_GUARDED = (
    pl.when(_NEGATIVE).then(_status(NOT_DETERMINABLE)).otherwise(pl.col("status")).cast(STATUS_DTYPE).alias("status"),
    pl.when(_NEGATIVE).then(None).otherwise(pl.col("amount_fen")).cast(pl.Int64).alias("amount_fen"),
    pl.when(_NEGATIVE)
    .then(pl.concat_str([pl.col("reasons"), pl.lit(_contra.NEGATIVE_AMOUNT)], separator=";").str.strip_chars(";"))
    .otherwise(pl.col("reasons"))
    .alias("reasons"),
)


def _no_negative_amount(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.with_columns(_GUARDED)


def _apply_stages(lf: pl.LazyFrame, plan: Plan) -> pl.LazyFrame:
    for level in plan.shared:
        lf = lf.with_columns(level)
    lf = lf.with_columns(plan.variants)
    if not plan.branches:
        return lf.with_columns(plan.final).drop([t for t in plan.temps if not t.startswith(_FIRST)])
    lf = lf.with_columns(plan.first)
    # every row is computed once (stage 1 and the default combination); the rows are then decided by the
    # switches live for them. The largest group's stages run over every row, in the query that returns the
    # result (no gather, no rechunk of the stage-1 columns: that copy was a fifth of an open-readings decide):
    # on a row no reading changes, every combination agrees with the default, so a tail gives ``single``'s
    # result there. The other groups (few rows) are decided on the rows and columns their stages read and
    # put in place by their position.
    df = lf.with_columns(plan.any_diff.alias("__any_diff"), plan.live_mask.alias("__mask")).collect()
    inputs = [c for c in df.columns if c not in set(plan.temps) and c not in ("__any_diff", "__mask")]
    open_rows = df.get_column("__any_diff")
    if not open_rows.any():
        return df.lazy().select(*inputs, *plan.single)
    # the largest group (ties: the smaller mask, so the plan does not depend on hash order)
    counts = df.get_column("__mask").filter(open_rows).value_counts(name="n").sort(["n", "__mask"], descending=[True, False])
    main = int(counts.get_column("__mask")[0])
    t = plan.tail(main)
    others = sorted(int(m) for m in counts.get_column("__mask") if m != main)
    if not others:
        return _main_tail(df, inputs, t).lazy()
    # the other groups' rows, taken out once (a gather would first rechunk every column it reads), in the columns
    # their stages read only (filtering every column, the table's texts too, cost four times as much)
    masks = df.get_column("__mask")
    chosen = open_rows & masks.is_in(others)
    needed = {m: {n for e in _tail_exprs(plan.tail(m)) for n in e.meta.root_names()} for m in others}
    read = set().union(*needed.values(), ["__mask"])
    at, few = chosen.arg_true(), df.select([c for c in df.columns if c in read]).filter(chosen).rechunk()
    positions, parts = [], []
    for mask in others:
        tm = plan.tail(mask)
        rows = (few.get_column("__mask") == mask).arg_true()
        sub = few.select([c for c in few.columns if c in needed[mask]]).gather(rows)
        parts.append(_tail_frame(sub.lazy(), tm).select(tm.full).collect())
        positions.append(at.gather(rows))
    decided = _main_tail(df, inputs, t)
    patch, where = pl.concat(parts, how="vertical_relaxed"), pl.concat(positions)
    for e in t.full:
        name = e.meta.output_name()
        if all(e.meta.eq(x) for m in others for x in plan.tail(m).full if x.meta.output_name() == name):
            continue  # the same expression in every group (readings, flags): already right on every row
        patched = decided.get_column(name).rechunk().scatter(where, patch.get_column(name))
        decided.replace_column(decided.get_column_index(name), patched)
    return decided.lazy()


def _tail_exprs(t: Tail) -> list[pl.Expr]:
    return [*t.rest, *(e for step in t.keys for e in step), *t.full]


def _tail_frame(lf: pl.LazyFrame, t: Tail) -> pl.LazyFrame:
    """``lf`` with the columns of ``t.rest`` and ``t.keys``, which ``t.full`` reads."""
    lf = lf.with_columns(t.rest)
    for step in t.keys:
        lf = lf.with_columns(step)
    return lf


def _main_tail(df: pl.DataFrame, inputs: list[str], t: Tail) -> pl.DataFrame:
    """The tail ``t`` over every row of ``df`` (stage 1 and the default combination computed): ``inputs`` and
    ``t.full``, with the ``outcomes`` text built once per distinct combination of what it reads
    (:func:`_texts_by_distinct`)."""
    body = [e for e in t.full if e.meta.output_name() != "outcomes"]
    if len(body) == len(t.full) or not t.inputs:
        return _tail_frame(df.lazy(), t).select(*inputs, *t.full).collect()
    reads = list(dict.fromkeys(c for combo in t.inputs for c in combo if c is not None))
    decided = _tail_frame(df.lazy(), t).select(*inputs, *body, *reads, t.differs).collect()
    texts = _texts_by_distinct(decided.select(*reads, t.differs), t)
    # cut as the other columns are (slices, no copy): a frame whose columns are chunked alike is not copied whole
    # into one chunk by the next step (a ``with_columns`` of the text as one chunk cost ≈ 0.1 CPU-s at 1 M rows)
    lengths = decided.get_column(t.differs).chunk_lengths()
    if len(lengths) > 1:
        starts = [sum(lengths[:i]) for i in range(len(lengths))]
        texts = pl.concat([texts.slice(a, n) for a, n in zip(starts, lengths, strict=True)], rechunk=False)
    names = [e.meta.output_name() for e in t.full]
    out = decided.select(*inputs, *(n for n in names if n != "outcomes")).hstack([texts.alias("outcomes")])
    return out if names[-1] == "outcomes" else out.select(*inputs, *names)


def _texts_by_distinct(frame: pl.DataFrame, t: Tail) -> pl.Series:
    """``t.text`` over ``frame`` (its status, amount, wait and differs columns), built once per distinct
    combination of those and put in place by a gather: at 1 M units with every reading open the text is ≈ 480
    bytes on 9 rows of 10 but ≈ 1 row in 4 distinct (the amounts repeat the default one's), so building it
    row by row wrote ≈ 440 MB where the distinct texts are ≈ 125 MB.

    Exact by construction, not by hashing: a row's key is an Int64 that *packs* what its text reads — each
    combination's status (two bits), its wait (one bit, when it can wait), whether its amount equals the
    default combination's (one bit), whether the default amount is null, and the default amount above those
    bits — for a row on which every other amount is null or equal to the default one. The text of each distinct
    key is built by ``t.text`` itself from the columns read back from the key (:func:`_unpacked`). Rows that do not
    differ have the empty text, all one key. The few other rows (an amount of its own under another combination,
    a status or wait that is null, a default amount that does not fit above the bits) are built row by row, as
    is everything when the bits do not fit."""
    n, width = len(t.inputs), len(STATUS_DTYPE.categories)
    waits = [w for _, _, w in t.inputs if w is not None]
    bits = 2 * n + (n - 1) + len(waits) + 1
    if width > 4 or bits > 40:
        return frame.select(t.text).to_series()
    am0 = pl.col(t.inputs[0][1])
    differs = pl.col(t.differs)
    code: list[pl.Expr] = []
    same: list[pl.Expr] = []  # on a row packed: no status or wait null, the other amounts null or the default one's
    for (st, _, _), shift in zip(t.inputs, _status_bits(n), strict=True):
        code.append(pl.col(st).to_physical().cast(pl.Int64) * (1 << shift))
        same.append(pl.col(st).is_not_null())
    for (_, am, _), shift in zip(t.inputs[1:], _equal_bits(n), strict=True):
        equal = pl.col(am).eq_missing(am0)
        same.append(equal | pl.col(am).is_null())
        code.append(equal.cast(pl.Int64) * (1 << shift))
    for w, shift in zip(waits, _wait_bits(n, len(waits)), strict=True):
        same.append(pl.col(w).is_not_null())
        code.append(pl.col(w).cast(pl.Int64) * (1 << shift))
    code.append(am0.is_null().cast(pl.Int64) * (1 << (bits - 1)))
    limit = 1 << (63 - bits)  # the default amount, above the bits: from 0 to below this
    fits = am0.is_null() | ((am0 >= 0) & (am0 < limit))
    packed = pl.sum_horizontal(code) + am0.fill_null(0) * (1 << bits)
    key = (
        pl.when(differs.not_())  # (not differing: the empty text, whatever else the row holds)
        .then(pl.lit(-1, dtype=pl.Int64))
        .when(pl.col("__packs"))
        .then(pl.col("__packed"))
        .otherwise(pl.lit(None, dtype=pl.Int64))
        .alias("__key")
    )
    # the packed value and whether it is exact staged first: the same ``when`` reading them as expressions cost
    # twice as much (≈ 0.07 against 0.04 CPU-s at 1 M rows)
    exact = differs & pl.all_horizontal(same) & fits
    staged = frame.with_columns(packed.alias("__packed"), exact.alias("__packs"))
    keys = staged.select(key).to_series()
    # the distinct keys' columns read back from the keys, then the rows built alone: their texts in one step over
    # one chunk, so that the gather reads one array (gathering from texts in several chunks cost ≈ 0.1 CPU-s more
    # at 1 M rows than from one)
    distinct = keys.drop_nulls().unique()
    alone = keys.is_null()
    inputs = _unpacked(distinct, t, frame.schema, bits)
    inputs = pl.concat([inputs, frame.filter(alone).select(inputs.columns)], rechunk=True)
    texts = inputs.select(t.text).to_series()
    at = (
        keys.to_frame()
        .join(distinct.to_frame().with_row_index("__at"), on="__key", how="left", maintain_order="left")
        .get_column("__at")
    )
    if alone.any():
        at = at.scatter(alone.arg_true(), pl.int_range(len(distinct), len(texts), eager=True).cast(at.dtype))
    return texts.gather(at)


def _status_bits(n: int) -> list[int]:  # where each combination's status is in a packed key (two bits each)
    return [2 * k for k in range(n)]


def _equal_bits(n: int) -> list[int]:  # whether each non-default combination's amount is the default one's
    return [2 * n + k for k in range(n - 1)]


def _wait_bits(n: int, waits: int) -> list[int]:  # each combination's wait, for those that can wait
    return [3 * n - 1 + k for k in range(waits)]


def _unpacked(keys: pl.Series, t: Tail, schema: pl.Schema, bits: int) -> pl.DataFrame:
    """The columns ``t.text`` reads, read back from packed ``keys`` (:func:`_texts_by_distinct`), same dtypes. A key
    of -1 (the row does not differ) gives ``differs`` false and the other columns whatever: its text is empty."""
    n = len(t.inputs)
    k = pl.col("__key").clip(lower_bound=0)

    def bit(shift: int) -> pl.Expr:
        return (k // (1 << shift)) % 2 == 1

    am0 = pl.when(bit(bits - 1)).then(None).otherwise(k // (1 << bits))
    statuses = pl.Series(STATUS_DTYPE.categories, dtype=STATUS_DTYPE)
    columns = [(pl.col("__key") >= 0).alias(t.differs)]
    for (st, _, _), shift in zip(t.inputs, _status_bits(n), strict=True):
        columns.append(pl.lit(statuses).gather((k // (1 << shift)) % 4).alias(st))
    columns.append(am0.alias(t.inputs[0][1]))
    for (_, am, _), shift in zip(t.inputs[1:], _equal_bits(n), strict=True):
        columns.append(pl.when(bit(shift)).then(am0).otherwise(None).alias(am))
    waits = [w for _, _, w in t.inputs if w is not None]
    columns += [bit(shift).alias(w) for w, shift in zip(waits, _wait_bits(n, len(waits)), strict=True)]
    return keys.alias("__key").to_frame().select(c.cast(schema[c.meta.output_name()]) for c in columns)


RESULTS = ["status", "amount_fen", "reasons", "flags", "readings", "outcomes"]


def resolve_missing(
    lf: pl.LazyFrame,
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    columns: list[str],
    bounded: Mapping[str, list[Any]] | None = None,
    non_null: Iterable[str] = (),
    non_negative: Iterable[str] = (),
) -> pl.LazyFrame:
    """As ``engine.build_decision``: an undeterminable row lacking exactly one yes/no or enumerated fact is
    decided under each value of it; where all agree that is the result, else the reason names the fact.

    The rows that need it are stacked once per value (the fact filled in) and decided in one more pass.
    ``non_null``: columns known to hold no null (as for :func:`compile_stages`): a bounded fact among them is
    never the one lacking, and when no bounded fact can be lacking there is nothing to resolve. ``non_negative``: as
    for :func:`apply_stages` (the facts filled in are yes/no or enumerated, never a figure below zero).
    """
    if bounded is None:
        bounded = bounded_facts(ruleset, resolution.params)
    known = frozenset(non_null) & set(columns)

    def null(name: str) -> pl.Expr:
        if name in known:
            return pl.lit(False)
        if name in columns:
            return pl.col(name).is_null()
        return pl.lit(ruleset.facts.model_fields[name].default is None)  # the absent column is its default

    def may_be_lacking(name: str) -> bool:
        """Can ``name`` be the one bounded fact a row lacks (null, and no other bounded fact always null)?"""
        if name in known or (name not in columns and ruleset.facts.model_fields[name].default is not None):
            return False
        return not any(
            g != name and g not in columns and ruleset.facts.model_fields[g].default is None for g in bounded
        )

    if not any(may_be_lacking(f) for f in bounded):  # (also: no bounded fact at all)
        return lf
    only = {f: null(f) & ~pl.any_horizontal([null(g) for g in bounded if g != f] or [pl.lit(False)]) for f in bounded}
    need = (pl.col("status") == _status(NOT_DETERMINABLE)) & pl.any_horizontal(list(only.values()))
    lf = lf.with_row_index("__r")
    base = lf.filter(need).drop(RESULTS)
    filled_columns = [*columns, *(f for f in bounded if f not in columns)]
    stacked = pl.concat(
        [
            base.filter(only[f]).with_columns(
                pl.lit(getattr(v, "value", v)).alias(f), pl.lit(fi).alias("__f"), pl.lit(k).alias("__k")
            )
            for fi, (f, values) in enumerate(bounded.items())
            for k, v in enumerate(values)
        ],
        how="diagonal_relaxed",
    )
    plan = _filled_plan(ruleset, resolution, settings, fixed, filled_columns, known)
    nd = _status(NOT_DETERMINABLE)
    tried = (
        apply_stages(stacked, plan, non_negative)
        .group_by("__r")
        .agg(
            [pl.col(c).sort_by("__k").first().alias(f"__v_{c}") for c in RESULTS]
            + [
                (pl.struct("status", "amount_fen").n_unique() == 1).alias("__same"),
                (pl.col("status") != nd).any().alias("__decides"),
                pl.col("__f").first().alias("__f"),
            ]
        )
    )
    fact_code = pl.lit(None, dtype=pl.String)
    for fi, f in enumerate(bounded):
        fact_code = pl.when(pl.col("__f") == fi).then(pl.lit("fact:" + f)).otherwise(fact_code)
    agree = pl.col("__same") & (pl.col("__v_status") != nd)
    open_ = (
        lf.filter(need)
        .join(tried, on="__r", how="left")
        .with_columns(
            [pl.when(agree).then(pl.col(f"__v_{c}")).otherwise(pl.col(c)).alias(c) for c in RESULTS if c != "reasons"]
            + [
                pl.when(agree)
                .then(pl.col("__v_reasons"))
                .when(pl.col("__decides"))
                .then(pl.concat_str([pl.col("reasons"), fact_code], separator=";").str.strip_chars(";"))
                .otherwise(pl.col("reasons"))
                .alias("reasons")
            ]
        )
        .drop([f"__v_{c}" for c in RESULTS] + ["__same", "__decides", "__f"])
    )
    return pl.concat([lf.filter(~need), open_], how="diagonal_relaxed").sort("__r").drop("__r")


_FILLED: dict[Any, Plan] = {}


def _filled_plan(
    ruleset: Ruleset, resolution: Any, settings: Mapping[str, Any] | None, fixed: Mapping[str, str] | None,
    columns: list[str],
    non_null: frozenset[str] = frozenset(),
) -> Plan:
    """The plan over a table that has every bounded fact as a column, compiled once per policy and shape.
    ``non_null``: columns of the screened table known to hold no null; the rows stacked here keep them (a
    bounded fact the table lacks is added as a column, null on the rows of the other facts: not among them)."""
    key = (
        ruleset.program, ruleset.name, resolution.document.id,
        tuple(sorted((n, repr(p.value)) for n, p in resolution.params.items())),
        repr(sorted((settings or {}).items())), repr(sorted((fixed or {}).items())), tuple(columns),
        tuple(sorted(non_null)),
    )  # fmt: skip
    plan = _FILLED.get(key)
    if plan is None:
        if len(_FILLED) > 256:
            _FILLED.clear()
        plan = _FILLED[key] = compile_stages(
            ruleset, resolution, settings=settings, fixed=fixed, columns=columns, non_null=non_null
        )
    return plan


def _is_bool_field(annotation: Any) -> bool:
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_bool_field(a) for a in typing.get_args(annotation) if a is not type(None))
    return annotation is bool


def _default_literal(ruleset: Ruleset, name: str) -> pl.Expr:
    default = ruleset.facts.model_fields[name].get_default(call_default_factory=True)
    if default is PydanticUndefined or default is None:
        if _is_bool_field(ruleset.facts.model_fields[name].annotation):
            # typed: two absent yes/no facts and-ed are null & null, which Polars refuses for its Null type (a deferral
            # facts table without temporary_difficulty and no affected_area setting failed to run: session 40)
            return known_literal(pl.lit(None, dtype=pl.Boolean), None)
        return literal(None)  # known: the compiler folds what depends on it
    return literal(getattr(default, "value", default))


def screen_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    keep: list[str] | None = None,
    non_null: Iterable[str] | None = None,
) -> pl.LazyFrame:
    """Screen a table of facts (columns = the ruleset's fact model fields) under one resolved policy.
    ``non_null``: columns of a lazy table the caller knows hold no null (an in-memory one's are counted)."""
    known = known_non_null(frame, non_null)
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    # an absent column takes the model's default, exactly as an absent field in one case
    columns = lf.collect_schema().names()
    plan = compile_stages(ruleset, resolution, settings=settings, fixed=fixed, columns=columns, non_null=known)
    non_negative = known_non_negative(frame if isinstance(frame, pl.DataFrame) else None, plan.never_negative_given or ())
    out = resolve_missing(
        apply_stages(lf, plan, non_negative), ruleset, resolution, settings=settings, fixed=fixed, columns=columns,
        bounded=plan.bounded, non_null=known, non_negative=non_negative,
    )
    if keep is not None:
        out = out.select([*keep, "status", "amount_fen", "reasons", "flags", "readings", "outcomes"])
    return out


# ---------------------------------------------------------------------------------------------------
# a ruleset's ``prepare`` over a table
#
# One case's facts are completed by the ruleset's ``prepare`` before the rules read them (wengang.evaluate); a table
# of facts is completed by the same derivation written for a table, registered here against the one-case function
# (decisions.md §21: one case and a whole table read the same thing; outside fidelity audit, session 40: a facts table
# read normal attrition given only as its parts, and the 2017-standard class of units given only their indicators,
# as not given). Each table function takes the facts (a DataFrame or a LazyFrame, as given) and returns them completed
# and the columns whose values it may have changed (integer bounds known of the input no longer hold for those).
TablePrepare = Callable[[pl.DataFrame | pl.LazyFrame], tuple[pl.DataFrame | pl.LazyFrame, frozenset[str]]]


@dataclass(frozen=True)
class ByRow:
    """A hook that reads the policy resolved for the row (its parameters, the region data in force in each month):
    applied to each row of a plan's rows as to one case, with that plan's resolution (``screening.evaluate``). Its
    programs' tables are small (interns, not a million units). ``adds``: the columns it sets, with their types."""

    adds: tuple[tuple[str, Any], ...]


TABLE_PREPARE: dict[Callable[..., Any], TablePrepare | ByRow] = {}


def register_table_prepare(one_case: Callable[..., Any], table: TablePrepare | ByRow) -> None:
    """Register ``table`` as the table form of the ruleset hook ``one_case`` (``Ruleset.prepare``)."""
    TABLE_PREPARE[one_case] = table


def prepare_hooks(rulesets: Iterable[Ruleset]) -> list[Callable[..., Any]]:
    """The distinct ``prepare`` hooks of ``rulesets``, in order."""
    out: list[Callable[..., Any]] = []
    for rs in rulesets:
        if rs.prepare is not None and rs.prepare not in out:
            out.append(rs.prepare)
    return out


def prepare_table(
    rulesets: Iterable[Ruleset], facts: pl.DataFrame | pl.LazyFrame, *, derived: bool = False
) -> tuple[pl.DataFrame | pl.LazyFrame, frozenset[str], list[Callable[..., Any]], list[tuple[Callable[..., Any], ByRow]]]:
    """``facts`` completed as each ruleset's ``prepare`` completes one case; the columns changed, the hooks that
    have no table form (their derivation is not applied: the caller refuses or reports them), and the hooks applied
    row by row per plan (:class:`ByRow`: their columns are added here, empty, so the rules are compiled reading them).
    ``derived``: the raw screen's own features (screening.features derives what the table forms would — the size
    class by the same path): only the row-by-row hooks apply (the table forms had cost 0.1 s a million units there)."""
    changed: frozenset[str] = frozenset()
    missing: list[Callable[..., Any]] = []
    by_row: list[tuple[Callable[..., Any], ByRow]] = []
    for hook in prepare_hooks(rulesets):
        table = TABLE_PREPARE.get(hook)
        if table is None:
            missing.append(hook)
            continue
        if isinstance(table, ByRow):
            by_row.append((hook, table))
            facts = facts.with_columns(pl.lit(None, dtype=dt).alias(n) for n, dt in table.adds)
            changed |= {n for n, _ in table.adds}
            continue
        if derived:
            continue
        facts, more = table(facts)
        changed |= more
        facts = _derived_null_as_default(rulesets, facts, more)
    return facts, changed, missing, by_row


def _derived_null_as_default(
    rulesets: Iterable[Ruleset], facts: pl.DataFrame | pl.LazyFrame, names: Iterable[str]
) -> pl.DataFrame | pl.LazyFrame:
    """A column a table form derived (``names``) is null where it derived nothing; one case's ``prepare`` reads the
    field there as its model default (a field with a default is never None in one case): so does the table. Before,
    a blank ``attrition_death`` cell beside a given one made ``normal_attrition_last_year`` a column null on the
    other rows — unknown — where one case (and the row alone in a table) read 0 (outside differential audit, session
    42, docs/decisions.md §125)."""
    names = list(names)
    if not names:
        return facts
    fills: list[pl.Expr] = []
    cols = facts.collect_schema()
    for name in names:
        if name not in cols:
            continue
        for rs in rulesets:
            info = rs.facts.model_fields.get(name)
            if info is None:
                continue
            if not info.is_required():
                default = info.get_default(call_default_factory=True)
                default = getattr(default, "value", default)
                if default is not None and default is not PydanticUndefined and isinstance(default, (bool, int, float, str)):
                    dtype = cols[name]
                    lit = pl.lit(default) if dtype == pl.Null else pl.lit(default).cast(dtype)
                    fills.append(pl.col(name).fill_null(lit))
            break
    return facts.with_columns(fills) if fills else facts


# ---------------------------------------------------------------------------------------------------
# whether a row's amount is a ceiling (“不超过”)


def amount_cap_expr(
    ruleset: Ruleset,
    resolution: Any,
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    columns: Iterable[str] = (),
    exempt: Iterable[str] = (),
) -> pl.Expr:
    """Per row, ``engine.build_decision``'s ``amount_is_cap``: the amount (when there is one) cites, on the path the
    row took, a parameter of the document in force that is a ceiling the document itself sets (“不超过”, not a figure
    set under a higher document's ceiling: ``ceiling_param``), or the ruleset's ``amount_cap_when`` holds
    (人社部发〔2024〕40号 三 “分别给予不超过1000元、1500元、2000元”; 内政发〔2019〕4号 八). The path is followed as
    ``engine._cited_params`` follows it: an if-else by its condition on the row (both branches when unknown), a reading
    by the reading the decision reports (the fixed one, else the default). ``exempt``: ceiling parameters not counted
    (the operator's settings that fix them). A literal False when the amount can never be a ceiling."""
    from wengang.rules.engine import _citation_plan
    from wengang.rules.expr import CompileContext, IfElse, Note, Reading

    params = resolution.params
    document = resolution.document
    skip = set(exempt)
    names = set(columns)
    absent = {m: _default_literal(ruleset, m) for m in ruleset.facts.model_fields if m not in names}
    ctx = CompileContext(params, dict(settings or {}), dict(fixed or {}), absent)

    def capped(name: str) -> bool:
        p = params.get(name)
        return (
            name not in skip
            and bool(getattr(p, "ceiling", False))
            and not getattr(p, "ceiling_param", None)
            and getattr(p, "doc_id", None) == document.id
        )

    def walk(node: Any, seen: set[int]) -> pl.Expr | bool:
        out: list[pl.Expr | bool] = []
        for item in _citation_plan(node):
            if type(item) is tuple:
                out.append(any(capped(n) for n in item))
                continue
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, Note):
                out.append(item.cite is not None and capped(item.cite))
                out.append(walk(item.inner, seen))
            elif isinstance(item, Reading):
                if item.fixed_by:
                    out.append(capped(item.fixed_by))
                out.append(walk(item.choose(params, ctx.readings), seen))
            else:
                assert isinstance(item, IfElse)
                out.append(walk(item.cond, seen))
                then, otherwise = walk(item.then, set(seen)), walk(item.otherwise, set(seen))
                if then is otherwise or (isinstance(then, bool) and isinstance(otherwise, bool) and then == otherwise):
                    out.append(then)
                    continue
                cond = item.cond.to_polars(ctx)
                t = pl.lit(then) if isinstance(then, bool) else then
                o = pl.lit(otherwise) if isinstance(otherwise, bool) else otherwise
                out.append(pl.when(cond).then(t).when(~cond).then(o).otherwise(t | o))
        if any(v is True for v in out):
            return True
        exprs = [v for v in out if not isinstance(v, bool)]
        return pl.any_horizontal(exprs) if exprs else False

    parts: list[pl.Expr | bool] = []
    if ruleset.amount is not None:
        parts.append(walk(ruleset.amount, set()))
    if ruleset.amount_cap_when is not None:
        parts.append((ruleset.amount_cap_when.to_polars(ctx) == pl.lit(True)).fill_null(False))
    if not any(p is not False for p in parts):
        return NEVER_CAPPED
    if any(p is True for p in parts):
        return pl.col("amount_fen").is_not_null()
    found = pl.any_horizontal([p for p in parts if not isinstance(p, bool)])
    return pl.col("amount_fen").is_not_null() & found.fill_null(False)


# what :func:`amount_cap_expr` returns when a ruleset's amount can never be a ceiling (one object: a caller tells it
# by identity and adds no per-row work — the raw screen of a plan with fixed rates, 内人社发〔2025〕18号)
NEVER_CAPPED = pl.lit(False)

# why a payable row whose amount is only a ceiling is not paid as it stands (人社部发〔2024〕40号 三 “分别给予不超过1000元、
# 1500元、2000元的补贴”; 内政发〔2019〕4号 八: the figure is the most, the standard is the 统筹地区's to set). The same
# text as ``screening.people.CAP_HOLD_REASON`` (tested), here for the unit screening and the ledger's import.
CAP_HOLD_REASON = "金额为文件规定的“不超过”上限标准，具体标准由统筹地区确定：暂缓发放，待统筹地区确定标准后按确定的金额发放"
# 创业担保贷款 without a requested amount: the ceiling the bank fixes the loan within (programs.startup ``_loan_amount``;
# 人社部发〔2024〕40号's words do not fit it: the 统筹地区 sets no standard, the 经办金融机构 sets the loan)
LOAN_CAP_HOLD_REASON = (
    "未填写申请金额：金额为可申请贷款额度上限（“不超过”），具体额度由经办金融机构在上限内确定：暂缓办理，待确定贷款额度后按确定的金额办理"
)
CAP_HOLD_REASONS = (CAP_HOLD_REASON, LOAN_CAP_HOLD_REASON)


def said_once(reason: pl.Expr, separator: str = "；") -> pl.Expr:
    """A hold reason joined from several sources with each part said once (a raw run's hold carried into a --facts
    run that holds the row for the same ceiling: the reason had been doubled, and stored so by case import; outside
    differential audit, session 42)."""
    return reason.str.split(separator).list.unique(maintain_order=True).list.join(separator)


def cap_hold_reason(program: str) -> str:
    """Why a payable amount that is only a ceiling is held, in the program's terms."""
    return LOAN_CAP_HOLD_REASON if program == "startup_loan" else CAP_HOLD_REASON


def with_amount_cap(
    results: pl.LazyFrame,
    plans: Iterable[Any],
    *,
    settings: Mapping[str, Any] | None,
    readings: Mapping[str, str] | None,
    region_column: str = "region_code",
    columns: Iterable[str] | None = None,
) -> pl.LazyFrame:
    """``amount_is_cap`` per row of a unit screening (or a facts table of any program) as one case reports it
    (:func:`amount_cap_expr` under each plan's policy), and a payable row whose amount is only a ceiling held
    (``payment_hold``, :func:`cap_hold_reason`) unless the operator's ``settings`` fix every ceiling its amount cites —
    for unit and person screenings and Spark alike. When no plan's amount can be a ceiling the
    column is a literal false: nothing is added per row. ``columns``: the facts' columns the rules read (default: the
    results' own)."""
    names = list(columns) if columns is not None else results.collect_schema().names()
    operator = set(settings or {})
    cap: Any = pl
    hold: Any = pl
    some = False
    for plan in plans:
        if plan.ruleset is None or plan.resolution is None:
            continue
        kw: dict[str, Any] = dict(settings=plan.settings, fixed=readings, columns=names)
        e = amount_cap_expr(plan.ruleset, plan.resolution, **kw)
        if e is NEVER_CAPPED:
            continue  # (a setting can only lift a ceiling, never make one: the hold is never either)
        h = amount_cap_expr(plan.ruleset, plan.resolution, exempt=operator, **kw)
        some = True
        cap = cap.when(plan.rows(region_column)).then(e)
        hold = hold.when(plan.rows(region_column)).then(h)
    if not some:
        return results.with_columns(NEVER_CAPPED.alias("amount_is_cap"))
    why = cap_hold_reason(next(p.ruleset.program for p in plans if p.ruleset is not None))  # (a run is one program)
    payable = pl.col("status").cast(pl.String).is_in(("eligible", "needs_decision"))
    held = payable & pl.col("_cap_hold")
    # said once: a row that carries the hold already (a raw run's features.parquet screened again with --facts) is
    # held, its reason not repeated (outside differential audit, session 42: the reason was doubled, and stored so)
    told = pl.col("payment_hold_reason").cast(pl.String).str.contains(why, literal=True).fill_null(False)
    return (
        results.with_columns(
            cap.otherwise(False).fill_null(False).alias("amount_is_cap"),
            hold.otherwise(False).fill_null(False).alias("_cap_hold"),
        )
        .with_columns(
            pl.when(held & ~told)
            .then(pl.concat_str([pl.col("payment_hold_reason"), pl.lit(why)], separator="；", ignore_nulls=True))
            .otherwise(pl.col("payment_hold_reason"))
            .alias("payment_hold_reason"),
            (pl.col("payment_hold").fill_null(False) | held).alias("payment_hold"),
        )
        .drop("_cap_hold")
    )
