"""The readers of :mod:`wengang.ingest.values` as Polars column expressions, for screening at scale.

Each builder returns ``(value, faults)``: the parsed column and a list of ``(flag, zh, en, label)`` — a
boolean column true where the value cannot be read, its reason (text or expression) and a short English
label to count reasons by. The common spellings (``1234.56``, ``2024-01-05``, ``2024-01``, ``是``) are
read with column expressions; every other value goes to the scalar reader in ``values`` once per
distinct value (``map_batches``), so a full-width ``１２３``, ``2024年1月`` or ``¥1,234.50元`` reads exactly
as one case would read it. Tests check that both paths agree on any text (hypothesis).

``stage(level, name, expr)`` lets the caller materialise an intermediate column once (validation stages
them in levels 0–2: the text, the fast path, the scalar fallback), so an expression is not evaluated again
for each check; the default keeps the expression.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import Enum
from functools import partial

import polars as pl

from wengang.ingest import values as V

Stage = Callable[[int, str, pl.Expr], pl.Expr]
Fault = tuple[pl.Expr, "str | pl.Expr", "str | pl.Expr", str]


# Bounds that keep every sum exact in Int64 (docs/decisions.md, "Exact sums"): a unit has at most one row per
# month (duplicates are quarantined), 1950–2100 → ≤ 1,812 rows, so a per-unit sum of amounts ≤ 10^13 fen
# stays below 2·10^16, far inside Int64, and the rules' rate arithmetic (2·base·numerator) cannot overflow.
# Across units (summaries, ledger totals) sums are taken in Int128 / Python ints.
MAX_AMOUNT_FEN = V.MAX_FEN  # 1,000 亿元 in one row: no monthly premium, deferral or subsidy comes near it
MAX_COUNT = 10**9  # persons, workers, months, 万元 figures
# the column form of values.FEN_DECIMAL_* (one message for every row, without the value)
FEN_POINT_ZH = "以分为单位，须为整数，不能带小数点；按元填写请在金额后写“元”（如“10000.00元”）"
FEN_POINT_EN = "is in fen and must be a whole number without a decimal point; for yuan write the amount with 元 (e.g. 10000.00元)"
TOO_BIG = ("金额超出范围（单笔不超过1000亿元）", "amount out of range (at most 10^13 fen in one row)")
TOO_MANY = ("数值超出范围（不超过10亿）", "more than 10^9")
# a decimal number as the money fast path reads it: plain digits, or digits grouped in threes by thousands commas
# (the first group 1–3 digits) — the same rule as wengang.money.ungroup, so "18640,50" never reaches the fast path
PLAIN_OR_GROUPED = r"^-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"


def _bounded_fen(text: str, unit: str) -> int:
    fen = V.amount_to_fen(text, unit)
    if abs(fen) > MAX_AMOUNT_FEN:
        raise V.ValueProblem(*TOO_BIG)
    return fen


# what Python's str.strip() removes (the scalar readers strip so): Polars' default also keeps \x1c–\x1f
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _no_stage(level: int, name: str, e: pl.Expr) -> pl.Expr:
    return e


def _scalar(fn: Callable[[str], object], dtype: pl.DataType, ser: pl.Series) -> pl.Series:
    """``fn`` on each distinct non-null value of ``ser``: a struct of the value and the reason (zh, en)."""
    keys = ser.drop_nulls().unique()
    struct = pl.Struct({"v": dtype, "zh": pl.String, "en": pl.String})
    if keys.len() == 0:  # the usual case: the fast path read every value
        return pl.Series(ser.name, [], dtype=struct).extend_constant(None, ser.len())
    got: list[object] = []
    zh: list[str | None] = []
    en: list[str | None] = []
    for x in keys.to_list():
        try:
            got.append(fn(x))
            zh.append(None)
            en.append(None)
        except V.ValueProblem as p:
            got.append(None)
            zh.append(p.zh)
            en.append(p.en)
    table = pl.DataFrame(
        {"k": keys, "v": pl.Series(got, dtype=dtype), "zh": pl.Series(zh, dtype=pl.String), "en": pl.Series(en, dtype=pl.String)}
    )
    out = ser.to_frame("k").join(table, on="k", how="left", maintain_order="left", nulls_equal=False)
    return out.select(pl.struct("v", "zh", "en").alias(ser.name)).to_series()


def fallback(s: pl.Expr, fn: Callable[[str], object], dtype: pl.DataType) -> pl.Expr:
    """A struct column (``v``, ``zh``, ``en``) with ``fn`` applied to the non-null values of ``s``."""
    return s.map_batches(
        partial(_scalar, fn, dtype),
        return_dtype=pl.Struct({"v": dtype, "zh": pl.String, "en": pl.String}),
        is_elementwise=True,
    )


def _text(c: pl.Expr, name: str, stage: Stage) -> pl.Expr:
    s = c.cast(pl.String).str.strip_chars(WHITESPACE)
    return stage(0, f"__s_{name}", pl.when(s == "").then(None).otherwise(s))


def _slow(s: pl.Expr, ok: pl.Expr, fn, dtype, name: str, stage: Stage) -> pl.Expr:
    return stage(2, f"__fb_{name}", fallback(pl.when(ok.fill_null(False)).then(None).otherwise(s), fn, dtype))


def _slow_fault(slow: pl.Expr, label: str) -> Fault:
    zh = slow.struct.field("zh")
    return (zh.is_not_null(), zh, slow.struct.field("en"), label)


def money(c: pl.Expr, name: str, dtype: pl.DataType, unit: str, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    """Integer fen from a column in ``unit`` (``"yuan"`` / ``"fen"``).

    Integer columns are fen (or whole yuan); text, decimals and floats are read as decimal text (a float
    column with its shortest round-trip text, so ``1234.56`` stays ``1234.56``).
    """
    in_yuan = unit == V.YUAN
    per = 100 if in_yuan else 1
    if dtype.is_integer():
        # compared in the column's own type before the multiplication, which would wrap in Int64
        ok = (c <= MAX_AMOUNT_FEN // per) & (c >= -(MAX_AMOUNT_FEN // per))
        v = pl.when(ok).then(c.cast(pl.Int64) * per)
        return v, [(~ok, *TOO_BIG, "amount out of range"), (v < 0, "金额为负", "negative amount", "negative amount")]
    if dtype.is_float() and not in_yuan:
        # a float column has lost how its values were written: a whole number of fen is read, a fraction refused
        whole = c.is_finite() & (c == c.floor()) & (c.abs() <= MAX_AMOUNT_FEN)
        v = pl.when(whole).then(c.cast(pl.Int64))
        return v, [
            (c.is_not_null() & ~whole.fill_null(False), "以分为单位的金额应为整数", "an amount in fen must be a whole number", "fen not whole"),
            (v < 0, "金额为负", "negative amount", "negative amount"),
        ]
    if isinstance(dtype, pl.Decimal) and not in_yuan:
        # a decimal column with places (numeric(14,2)) under a 分 name holds 元 as often as not, and its type cannot
        # say which: 231.00 had been read as 231 分, 1/100 of the 元 the file meant (outside audit, session 41). Every
        # value is refused, as "10000.00" written as text is; a decimal column without places is whole 分
        if dtype.scale:
            wrong = c.is_not_null()
            zh = (f"该列为带{dtype.scale}位小数的数值类型（Decimal），以分为单位的金额须为整数；"
                  "按元计请以元为单位的列名给出（如 paid_yuan）或转为整数分")
            en = (f"the column is a decimal type with {dtype.scale} places; amounts in fen must be whole numbers: "
                  "give 元 under a yuan column name (e.g. paid_yuan) or convert to whole fen")
            return pl.when(~wrong).then(c.cast(pl.Int64, strict=False)), [(wrong, zh, en, "fen in a decimal column")]
        ci = c.cast(pl.Int64, strict=False)
        whole = ci.is_not_null() & (ci.abs() <= MAX_AMOUNT_FEN)
        v = pl.when(whole).then(ci)
        return v, [
            (c.is_not_null() & ~whole.fill_null(False), *TOO_BIG, "amount out of range"),
            (v < 0, "金额为负", "negative amount", "negative amount"),
        ]
    # no regex extraction on the hot path (10^7 rows): one format check, then split at the point
    raw = _text(c, name, stage)
    # the fast path reads "1234.56" and "1,234.56": one format check admits a comma only as a thousands separator
    # (values.amount_to_fen's rule), then the separators are dropped; anything else ("18640,50", "1,0") goes to
    # the scalar reader as written, which refuses it with its reason
    ok = stage(1, f"__ok_{name}", raw.str.contains(PLAIN_OR_GROUPED))
    t = raw.str.replace_all(",", "", literal=True)
    parts = stage(1, f"__parts_{name}", t.str.split_exact(".", 1))
    head = parts.struct.field("field_0")
    # more digits than any amount in range has: refused before the cast (which would give null or wrap)
    small = head.str.len_bytes() <= 16
    ip = pl.when(small).then(head.cast(pl.Int64, strict=False))  # signed; "-0" is 0
    in_range = small & (ip.abs() <= MAX_AMOUNT_FEN // per)
    ok = ok & in_range.fill_null(False)
    frac = parts.struct.field("field_1").str.strip_chars_end("0").fill_null("")
    neg = t.str.starts_with("-")
    if in_yuan:
        # more than two decimals: refused here, unless the value has more than 15 significant digits — then it may be
        # a number cell's residue (577.4399999999999, shown 577.44), which the scalar reader tells (values.excel_digits)
        places = frac.str.len_bytes()
        long = head.str.len_bytes() - neg.cast(pl.UInt32) + places > V.EXCEL_DIGITS  # (digits; a sign is no digit)
        fp = (frac + "00").str.slice(0, 2).cast(pl.Int64, strict=False)
        fast = pl.when(ok & (places <= 2)).then(pl.when(neg).then(ip * 100 - fp).otherwise(ip * 100 + fp))
        faults: list[Fault] = [
            (ok & (places > 2) & ~long, "金额超过两位小数", "amount has more than two decimals", "more than two decimals")
        ]
        ok = ok & ((places <= 2) | ~long)
    else:
        # a decimal point in 分 is refused even with zero decimals ("10000.00" is how 元 are written)
        point = t.str.contains(".", literal=True)
        fast = pl.when(ok & ~point).then(ip)
        faults = [(ok & point, FEN_POINT_ZH, FEN_POINT_EN, "fen with a decimal point")]
    slow = _slow(raw, ok, lambda x: _bounded_fen(x, unit), pl.Int64(), name, stage)
    v = pl.coalesce(fast, slow.struct.field("v"))
    faults.append((ok & (fast < 0), "金额为负", "negative amount", "negative amount"))
    faults.append(_slow_fault(slow, "not an amount"))
    return v, faults


def integer(c: pl.Expr, name: str, dtype: pl.DataType, nonneg: bool, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    if dtype.is_integer():
        v = c.cast(pl.Int64, strict=False)
        faults: list[Fault] = [(c.is_not_null() & v.is_null(), "数值超出范围", "out of range", "out of range")]  # UInt64
    else:
        s = _text(c, name, stage)
        ok = stage(1, f"__ok_{name}", s.str.contains(r"^-?[0-9]+(\.0+)?$"))
        fast = pl.when(ok).then(s.str.split_exact(".", 1).struct.field("field_0").cast(pl.Int64, strict=False))
        slow = _slow(s, ok, V.parse_int, pl.Int64(), name, stage)
        v = pl.coalesce(fast, slow.struct.field("v"))
        faults = [_slow_fault(slow, "not a whole number")]
    if nonneg:  # counts: summed per unit (persons over months, dispatched workers), so bounded
        faults.append((v > MAX_COUNT, *TOO_MANY, "more than 10^9"))
        faults.append((v < 0, "不能为负数", "must not be negative", "negative"))
    return v, faults


def skill_level(c: pl.Expr, name: str, dtype: pl.DataType, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    """A 职业技能等级 (1 … 5) as a number or by its name (三级, 高级工, 三级/高级工: ``values.parse_skill_level``)."""
    if dtype.is_integer():
        v = c.cast(pl.Int64, strict=False)
        return v, [(c.is_not_null() & ~v.is_between(1, 5).fill_null(False), V.SKILL_LEVEL_ZH, V.SKILL_LEVEL_EN,
                    "not a skill level")]
    s = _text(c, name, stage)
    fast = stage(1, f"__fast_{name}", s.replace_strict({str(n): n for n in range(1, 6)}, default=None,
                                                       return_dtype=pl.Int64))
    slow = _slow(s, fast.is_not_null(), V.parse_skill_level, pl.Int64(), name, stage)
    return pl.coalesce(fast, slow.struct.field("v")), [_slow_fault(slow, "not a skill level")]


def ten_thousand_yuan(c: pl.Expr, name: str, dtype: pl.DataType, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    """A figure in 万元 (``营业收入（万元）``) as the whole 万元 it reaches (:func:`values.whole_ten_thousand_yuan`):
    ``631.35`` → 631; at most four decimals (one 元), never negative, at most 10^9."""
    if dtype.is_integer():
        return integer(c, name, dtype, nonneg=True, stage=stage)
    raw = _text(c, name, stage)
    # the usual spellings: digits (thousands grouped or not) with at most four decimals; the rest (full-width,
    # a residue of more than 15 significant digits, a sign, text) through the scalar reader
    ok = stage(1, f"__ok_{name}", raw.str.contains(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,4})?$"))
    head = raw.str.replace_all(",", "", literal=True).str.split_exact(".", 1).struct.field("field_0")
    small = head.str.len_bytes() <= 10
    fast = pl.when(ok & small).then(head.cast(pl.Int64, strict=False))
    slow = _slow(raw, ok & small, V.whole_ten_thousand_yuan, pl.Int64(), name, stage)
    v = pl.coalesce(fast, slow.struct.field("v"))
    return v, [_slow_fault(slow, "not a 10k-yuan figure"), (v > MAX_COUNT, *TOO_MANY, "more than 10^9")]


def beijing_wall_time(c: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A datetime column as Beijing wall-clock time: a zone-aware value (Parquet ``timestamp[UTC]``, PostgreSQL
    ``timestamptz``, which Polars always hands over in UTC) is moved to UTC+8 before its date or month is taken, so
    ``2024-06-01 00:00+08`` is June, not May. Beijing time is a fixed UTC+8 (no DST since 1991; decisions.md §23),
    so no tz database is used. A naive datetime is taken as written."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return c.dt.convert_time_zone("UTC").dt.replace_time_zone(None) + pl.duration(hours=8)
    return c


def dates(c: pl.Expr, name: str, dtype: pl.DataType, excel_epoch: date | None = None, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    if dtype == pl.Date:
        return c, []
    if isinstance(dtype, pl.Datetime):
        return beijing_wall_time(c, dtype).dt.date(), []
    s = _text(c, name, stage)
    # the usual spelling without a regex (10^7 rows); every other spelling through values.parse_date
    iso = (s.str.len_bytes() == 10) & (s.str.slice(4, 1) == "-") & (s.str.slice(7, 1) == "-")
    d = pl.when(iso).then(s.str.to_date("%Y-%m-%d", strict=False))
    fast = stage(1, f"__fast_{name}", pl.when(d.dt.year().is_between(*V.DATE_YEARS)).then(d))
    slow = _slow(s, fast.is_not_null(), partial(V.parse_date, excel_epoch=excel_epoch), pl.Date(), name, stage)
    return pl.coalesce(fast, slow.struct.field("v")), [_slow_fault(slow, "not a valid date")]


def months(c: pl.Expr, name: str, dtype: pl.DataType, excel_epoch: date | None = None, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    """``YYYY-MM`` text; a date (or datetime) column is taken as its month."""
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        c = beijing_wall_time(c, dtype)
        v = c.dt.strftime("%Y-%m")
        y = c.dt.year()
        bad = (y < V.MONTH_YEARS[0]) | (y > V.MONTH_YEARS[1])
        return pl.when(~bad).then(v), [(bad, "所属期年份无效", "not a plausible year", "not a valid month")]
    s = _text(c, name, stage)
    y = s.str.slice(0, 4).cast(pl.Int32, strict=False)
    m = s.str.slice(5, 2).cast(pl.Int32, strict=False)
    digits = s.str.slice(0, 4).str.contains("^[0-9]{4}$") & s.str.slice(5, 2).str.contains("^[0-9]{2}$")
    ok = (s.str.len_bytes() == 7) & (s.str.slice(4, 1) == "-") & digits
    ok = stage(1, f"__ok_{name}", ok & (m >= 1) & (m <= 12) & (y >= V.MONTH_YEARS[0]) & (y <= V.MONTH_YEARS[1]))
    fast = pl.when(ok).then(s)
    slow = _slow(s, ok, partial(V.parse_month, excel_epoch=excel_epoch), pl.String(), name, stage)
    return pl.coalesce(fast, slow.struct.field("v")), [_slow_fault(slow, "not a valid month")]


def boolean(c: pl.Expr, name: str, dtype: pl.DataType, stage: Stage = _no_stage) -> tuple[pl.Expr, list[Fault]]:
    if dtype == pl.Boolean:
        return c, []
    s = _text(c, name, stage)
    low = s.str.to_lowercase()
    fast = stage(1, f"__fast_{name}", pl.when(low.is_in(V.TRUE_LABELS)).then(True).when(low.is_in(V.FALSE_LABELS)).then(False))
    # the scalar reader gets the value as written, so its reason shows “X”, not “x” (it lower-cases for itself)
    slow = _slow(s, fast.is_not_null(), V.parse_bool, pl.Boolean(), name, stage)
    return pl.coalesce(fast, slow.struct.field("v")), [_slow_fault(slow, "not a yes/no value")]


def enum(
    c: pl.Expr, name: str, choices: type[Enum] | tuple[str, ...], stage: Stage = _no_stage
) -> tuple[pl.Expr, list[Fault]]:
    """The code for each value: the code itself or one of its Chinese labels (``中型`` → ``medium``)."""
    s = _text(c, name, stage)
    labels = dict(V.enum_label_map(choices))
    fast = stage(1, f"__fast_{name}", s.str.to_lowercase().replace_strict(labels, default=None, return_dtype=pl.String))
    slow = _slow(s, fast.is_not_null(), partial(V.parse_enum, choices=choices), pl.String(), name, stage)
    return pl.coalesce(fast, slow.struct.field("v")), [_slow_fault(slow, "not an allowed value")]


def _nfkc_series(ser: pl.Series) -> pl.Series:
    """``ser`` NFKC-normalised: only its values that are not ASCII (a full-width code), the others as they are."""
    wide = ser.str.len_bytes() != ser.str.len_chars()
    if not wide.any():
        return ser
    at = wide.arg_true()
    # zero-width characters dropped: invisible, the code is the one the operator sees (values.INVISIBLE)
    return ser.scatter(at, ser.gather(at).str.normalize("NFKC").str.replace_all(V.INVISIBLE_PATTERN, ""))


# Excel's text-forcing form of a cell in a CSV export: ="150502" (values.unwrap_excel_text)
EXCEL_TEXT_PATTERN = r'^="(.*)"$'


def identifier(c: pl.Expr) -> pl.Expr:
    """An identifier column (a region code, a 公民身份号码, a credit code) read as :func:`values.identifier_text` reads
    one: NFKC (full-width digits ``１５０５２２`` are the digits they show: decisions.md, "NFKC on identifiers, everywhere
    they are read"), Excel's ``="…"`` unwrapped, surrounding white space dropped; a blank value is null."""
    s = c.cast(pl.String).map_batches(_nfkc_series, return_dtype=pl.String, is_elementwise=True)
    s = s.str.strip_chars(WHITESPACE).str.replace(EXCEL_TEXT_PATTERN, "${1}").str.strip_chars(WHITESPACE)
    return pl.when(s == "").then(None).otherwise(s)
