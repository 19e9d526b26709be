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


# --------------------------------------------------------------------------------------------------
# which figure of a quote is the parameter's (decisions §118, D2)


def _figures_in_order(text: str, unit: str) -> list[tuple[int, Decimal]]:
    """(position, value) of every figure of the normalised ``text`` stated in ``unit`` (its unit word right after it,
    or closing its enumeration), in the order they stand."""
    out: list[tuple[int, Decimal]] = []
    suffixes = _SUFFIXES.get(unit, ())
    for m in _NUM.finditer(text):
        try:
            value = Decimal(m.group().replace(",", ""))
        except InvalidOperation:
            continue
        if text[max(0, m.start() - 3):m.start()] == "百分之":
            after = "%"
        else:
            after = text[m.end():]
        rest = after
        while (step := _ENUM_STEP.match(rest)) is not None:
            rest = rest[step.end():]
        if any(after.startswith(s) or rest.startswith(s) for s in suffixes):
            out.append((m.start(), value))
    for m in _CN_NUM.finditer(text):
        chunk = m.group()
        if not any(ch in _CN_DIGITS or ch == "十" for ch in chunk):
            continue
        cn_value = cn_number(chunk.strip("点万") or chunk)
        if cn_value is None:
            continue
        after = "%" if text[max(0, m.start() - 3):m.start()] == "百分之" else text[m.end():]
        if any(after.startswith(s) for s in suffixes):
            out.append((m.start(), cn_value))
    out.sort()
    return out


def anchor_group(name: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    from wengang.policies.required import ANCHOR_GROUPS

    for group in ANCHOR_GROUPS:
        if any(member == name for member, _ in group):
            return group
    return None


def _show(value: Decimal, unit: str) -> str:
    return f"{value.normalize():f}{_SUFFIXES.get(unit, ('',))[0]}"


def tie_problem(name: str, raw: Any, unit: str, quote: str, clause: str) -> tuple[str, str] | None:
    """Chinese and English text when ``raw`` is not the figure ``quote`` gives parameter ``name`` (a figure the quote
    ties to another parameter of its group in ``required.ANCHOR_GROUPS``), else None.

    * The quote names the parameter (“中小微”, “高级”/“三级”): the value must be the figure nearest after those words,
      before any words of another member (“大型企业按…30%返还，中小微企业按60%返还”: 60 for ``refund_rate_sme``).
    * The quote names several members before its first figure (“初级、中级、高级…1000元、1500元、2000元”): the figures
      follow the members' order (“相应”), and the value must be the figure at the parameter's position.
    * The quote names only other members (``refund_rate_sme`` quoting “大型企业按…25%返还”): refused.
    * The quote names no member but lists as many figures as the clause names members before it (内人社发〔2025〕18号
      二 “可按规定相应领取 1000 元、1500 元、2000 元”): the clause's order gives the position.
    """
    group = anchor_group(name)
    if group is None or unit not in CHECKED_UNITS or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    words = dict(group)
    own_words = "/".join(words[name])
    text = _normalize(quote)
    figs = _figures_in_order(text, unit)
    if not figs:
        return None  # value_in_quote reports a quote without the figure
    marks = sorted((m.start(), member) for member, ws in group for w in ws for m in re.finditer(re.escape(w), text))
    shown = "、".join(_show(v, unit) for _, v in figs)

    def positional(order: list[str], candidates: list[tuple[int, Decimal]], where_zh: str, where_en: str):
        idx = order.index(name)
        if len(candidates) != len(order):
            return (
                f"参数“{name}”：{where_zh}依次列出 {'、'.join(order)} 所指的词，引文却有 {len(candidates)} 个数字（{shown}），"
                f"无法确定哪一个是“{own_words}”的：请只引写明“{own_words}”及其数字的一段",
                f"parameter {name!r}: {where_en} lists the words of {', '.join(order)} but the quote states "
                f"{len(candidates)} figures ({shown}); quote the words {own_words} with their figure",
            )
        want = candidates[idx][1]
        if want != value:
            return (
                f"参数“{name}”的取值 {_show(value, unit)} 不是引文“{quote}”给“{own_words}”的数字：{where_zh}按"
                f"{'、'.join('/'.join(words[m]) for m in order)}的顺序对应 {shown}，“{own_words}”为第 {idx + 1} 个，即 "
                f"{_show(want, unit)}",
                f"parameter {name!r}: value {_show(value, unit)} is not the figure the quote gives {own_words}: "
                f"{where_en} pairs {', '.join(order)} with {shown} in order, which makes it {_show(want, unit)}",
            )
        return None

    if marks:
        first_fig = figs[0][0]
        listed: list[str] = []
        for pos, member in marks:
            if pos < first_fig and member not in listed:
                listed.append(member)
        if len(listed) >= 2 and name in listed:
            after = [f for f in figs if f[0] > max(p for p, _ in marks if p < first_fig)]
            return positional(listed, after, "引文", "the quote")
        own = [pos for pos, member in marks if member == name]
        if not own:
            others = "、".join(dict.fromkeys("/".join(words[m]) for _, m in marks))
            return (
                f"参数“{name}”的取值 {_show(value, unit)} 取自引文“{quote}”，但该引文写的是“{others}”的数字，没有写“{own_words}”："
                f"请引写明“{own_words}”及其数字的一段（该数字属于同组的另一参数）",
                f"parameter {name!r}: its quote {quote!r} states the figure of {others}, not of {own_words}: quote the "
                f"words that name this parameter ({own_words}) with its figure",
            )
        tied: list[Decimal] = []
        for p in own:
            nxt = min((q for q, member in marks if q > p and member != name), default=len(text))
            found = next((v for q, v in figs if p < q < nxt), None)
            if found is not None:
                tied.append(found)
        if tied and value not in tied:
            return (
                f"参数“{name}”的取值 {_show(value, unit)} 不是引文“{quote}”中紧随“{own_words}”的数字 "
                f"{'、'.join(_show(v, unit) for v in dict.fromkeys(tied))}：引文中的其他数字属于同组的其他参数",
                f"parameter {name!r}: value {_show(value, unit)} is not the figure that follows {own_words} in its quote "
                f"({', '.join(_show(v, unit) for v in dict.fromkeys(tied))})",
            )
        return None
    if len(figs) < 2:
        return None  # one figure and no words of any member: nothing ties it to another parameter
    ctext = _normalize(clause)
    at = ctext.find(text)
    before = ctext[: at if at >= 0 else len(ctext)]
    last: dict[str, int] = {}
    for member, ws in group:
        for w in ws:
            i = before.rfind(w)
            if i >= 0:
                last[member] = max(last.get(member, -1), i)
    order = sorted(last, key=lambda m: last[m])
    if len(order) < 2 or name not in order:
        return None
    return positional(order, figs, "条款原文在引文之前", "the clause before the quote")
