"""Does a parameter's value, in its unit, appear in the words it quotes?

The loader checks that a quote occurs in its clause; this module checks that the quote says the value the YAML
records: ``refund_rate_sme: {value: 60, unit: percent}`` needs "60%" (or "百分之六十") in its quote, ``amount_level4:
{value: 1500, unit: yuan}`` needs "1500元" (or "1,500元"), ``min_months_fully_paid: {value: 12, unit: month}``
needs "12个月" (or "1年", the same span). A slip of unit (``yuan`` on a rate, ``year`` for months, ``yuan_10k`` for
yuan) or of scale (``0.6`` for 60%) then fails the load instead of paying 100× too much or too little.

A value the text does not state in figures — a derived or interpreted one — says so in the parameter's ``note``
starting with ``推算：`` or ``解读：`` (``DERIVED_NOTE_PREFIXES``); only those are exempt, and the exemption is named.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wengang.policies.units import INT_UNITS

# units whose value is a number the text must state
CHECKED_UNITS = frozenset({"percent", "yuan", "yuan_10k"}) | INT_UNITS
DERIVED_NOTE_PREFIXES = ("推算：", "推算:", "解读：", "解读:")

# what may follow the figure in the text, per unit (longest first)
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "percent": ("%",),
    "yuan": ("元",),
    "yuan_10k": ("万元",),
    "month": ("个月", "月", "months", "month"),
    "year": ("周年", "年", "周岁", "岁", "years", "year", "yrs", "yr"),
    "day": ("个自然日", "自然日", "天", "日"),
    "working_day": ("个工作日", "工作日"),
    "person": ("人", "名"),
    "count": ("次", "项", "个", "人次"),
}
# a month value may also be written in years (1 年 = 12 个月)
_ALT: dict[str, tuple[tuple[str, int], ...]] = {"month": (("year", 12),)}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS) + "万点"
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_MARKUP = re.compile(r"\s+|\$|\\[A-Za-z]+|[{}]")
_NUM = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CN_NUM = re.compile(f"[{_CN_CHARS}]+")
# one more figure of an enumeration: "、1500" in "1000、1500、2000元"
_ENUM_STEP = re.compile(r"(?:、|，|,|和|或|至|到|-|～|~)(?:\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_CHARS + r"]+)")


def _cn_int(text: str) -> int | None:
    if not text:
        return None
    if "万" in text:
        hi, _, lo = text.partition("万")
        h = _cn_int(hi) if hi else 1
        low = _cn_int(lo) if lo else 0
        return None if h is None or low is None else h * 10000 + low
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def cn_number(text: str) -> Decimal | None:
    """``六十`` → 60, ``五点五`` → 5.5, ``十二`` → 12, ``三`` → 3; None when it is not a Chinese numeral."""
    whole, _, frac = text.partition("点")
    n = _cn_int(whole)
    if n is None:
        return None
    if not frac:
        return Decimal(n)
    if not all(ch in _CN_DIGITS for ch in frac):
        return None
    return Decimal(f"{n}." + "".join(str(_CN_DIGITS[ch]) for ch in frac))


def _normalize(text: str) -> str:
    return _MARKUP.sub("", text.translate(_FULLWIDTH))


def stated_numbers(quote: str) -> list[tuple[Decimal, str]]:
    """Every figure of ``quote`` with the text right after it (its unit word), an enumeration "1000、1500、2000元"
    giving each figure the unit that closes it; "百分之六十" is read as 60 followed by "%"."""
    text = _normalize(quote)
    found: list[tuple[int, int, Decimal]] = []
    for m in _NUM.finditer(text):
        try:
            found.append((m.start(), m.end(), Decimal(m.group().replace(",", ""))))
        except InvalidOperation:
            continue
    for m in _CN_NUM.finditer(text):
        chunk = m.group()
        if not any(ch in _CN_DIGITS or ch == "十" for ch in chunk):
            continue  # 万, 百, 点 alone (万元, 百分之) are not figures
        # a numeral word inside prose (一次性, 一揽子) is read too: at worst a false match, never a false alarm
        value = cn_number(chunk.strip("点万") or chunk)
        if value is not None:
            found.append((m.start(), m.end(), value))
    out: list[tuple[Decimal, str]] = []
    for start, end, value in found:
        after = text[end:]
        if text[max(0, start - 3):start] == "百分之":
            out.append((value, "%"))
            continue
        # skip the rest of an enumeration ("1000元、1500元" reads fine; "1000、1500、2000元" needs the look-ahead)
        rest = after
        while True:
            step = _ENUM_STEP.match(rest)
            if step is None:
                break
            rest = rest[step.end():]
        out.append((value, after))
        if rest is not after:
            out.append((value, rest))
    return out


def _stated(value: Decimal, unit: str, numbers: list[tuple[Decimal, str]]) -> bool:
    """The figure followed by one of the unit's words (元 right after 1500, so "1500万元" is not 1500 yuan); an English
    summary may put words between ("1 continuous year")."""
    for n, after in numbers:
        if n != value:
            continue
        for suffix in _SUFFIXES[unit]:
            if after.startswith(suffix):
                return True
            if suffix.isascii() and re.match(r"[A-Za-z]*?" + suffix, after):
                return True
    return False


def stated_forms(quote: str) -> list[str]:
    """The figures of ``quote`` with their unit words, for a message: ``["60%", "1000元"]``."""
    words = sorted({w for ws in _SUFFIXES.values() for w in ws if not w.isalpha() or not w.isascii()}, key=len, reverse=True)
    out: list[str] = []
    for n, after in stated_numbers(quote):
        unit = next((w for w in words if after.startswith(w)), "")
        form = f"{n.normalize():f}{unit}"
        if unit and form not in out:
            out.append(form)
    return out


_END_DATE = re.compile(r"(?:至|到|截止|截至)(\d{4})年(\d{1,2})月(\d{1,2})日")


def stated_end_dates(text: str) -> list[date]:
    """End dates a validity clause states: "执行期限至2026年12月31日" → [2026-12-31] (impossible dates skipped)."""
    out: list[date] = []
    for m in _END_DATE.finditer(_normalize(text)):
        try:
            out.append(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            continue
    return out


def value_in_quote(raw: Any, unit: str, quote: str) -> bool | None:
    """True when ``quote`` states ``raw`` in ``unit``; False when it does not; None when the unit is not checked."""
    if unit not in CHECKED_UNITS or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    numbers = stated_numbers(quote)
    if _stated(value, unit, numbers):
        return True
    for alt_unit, factor in _ALT.get(unit, ()):
        if value % factor == 0 and _stated(value / factor, alt_unit, numbers):
            return True
    return False


def example_forms(raw: Any, unit: str) -> str:
    """How the text would state the value: ``“60%”``, ``“1500元”``, ``“12个月”``."""
    try:
        d = Decimal(str(raw).strip()).normalize()
        shown = f"{d:f}"
    except InvalidOperation:
        shown = str(raw)
    return "或".join(f"“{shown}{s}”" for s in _SUFFIXES.get(unit, ("",))[:2])
