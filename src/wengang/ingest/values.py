"""Reading one value as agencies write it: amounts in 元 or 分, yes/no and enum labels, dates and months.

Each reader takes the value as it came (text from a CSV or XLSX cell, or a JSON value) and returns the
canonical value, or raises :class:`ValueProblem` with a Chinese and an English reason. These functions
are the definition: one-case input (:mod:`wengang.ingest.record`) calls them directly, and the screening
columns (:mod:`wengang.ingest.columns`) read the common spellings with column expressions and send every
other value here, once per distinct value (property-tested to agree).

Rules (also in docs/data-dictionary.md):

* text is NFKC-normalised first, so full-width digits and punctuation (``１２３４．５``, ``（元）``) read
  as their ASCII forms; surrounding whitespace is ignored;
* amounts: exact decimal arithmetic, never float. In 元 at most two decimals (``1,234.5`` → 123450 fen;
  ``1234.567`` is refused, never rounded); in 分 a whole number written without a decimal point
  (``10000.00`` in a 分 field is refused: it is how 元 are written). A comma is accepted only as a
  thousands separator — digits grouped in threes leftwards from the decimal point, the first group of one to
  three digits (``1,234``, ``12,345.67``); any other comma (``18640,50``, a decimal comma; ``1,0``;
  ``1234,567``) is refused, never dropped (:func:`wengang.money.ungroup`; counts likewise). A
  unit written with the value wins over the field's: ``¥100``, ``100.00元`` are 元 and ``10000分`` is 分 in
  any amount field. Negative amounts are refused;
* yes/no: ``是/否``, ``有/无``, ``Y/N``, ``yes/no``, ``true/false``, ``T/F``, ``1/0`` (case-insensitive);
* enum labels: the code itself or a Chinese label (``中型`` → ``medium``), matched exactly;
* dates: ``2024-01-05``, ``2024/1/5``, ``2024.1.5``, ``2024年1月5日``, ``20240105``, a date with a time
  (``2024-01-05 00:00:00``, what a date cell becomes), and — from an XLSX cell only — an Excel serial
  day number (``45296``);
* months: ``2024-01``, ``2024-1``, ``2024/1``, ``2024.1``, ``2024年1月``, ``202401``; a month field also
  accepts any date form above and takes its month (``2024/1/1`` → ``2024-01``), because agencies'
  exports often carry the first day of the month covered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any

from wengang.money import MisplacedSeparator, ungroup

FEN_PER_YUAN = 100
YUAN, FEN = "yuan", "fen"

# the epoch Excel counts serial days from (1900 system; 1904 workbooks start at 1904-01-01)
EXCEL_EPOCH_1900 = date(1899, 12, 30)
EXCEL_EPOCH_1904 = date(1904, 1, 1)
MONTH_YEARS = (1950, 2100)  # a month outside these years is a typo, not a month covered
DATE_YEARS = (1900, 2200)  # likewise for a date written as text


class ValueProblem(ValueError):
    """A value that cannot be read as its field's type. ``str()`` is Chinese then English."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


class FenWithDecimalPoint(ValueProblem):
    """An amount in a 分 field written with a decimal point and no unit: very likely 元 (see amount_to_fen)."""


def text(value: object) -> str:
    """The value as normalised text: NFKC (full-width → ASCII), stripped."""
    return unicodedata.normalize("NFKC", str(value)).strip()


# ------------------------------------------------------------------------------------------------ money

MAX_FEN = 10**13  # 1,000 亿元 in one amount: the same bound as screening's columns (ingest.columns.MAX_AMOUNT_FEN)
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _ungroup(s: str, value: object) -> str:
    """``s`` without its thousands separators; a comma anywhere else is refused (:func:`wengang.money.ungroup`)."""
    try:
        return ungroup(s, value)
    except MisplacedSeparator as p:
        raise ValueProblem(p.zh, p.en) from None


def amount_to_fen(value: object, unit: str) -> int:
    """An amount in ``unit`` (``"yuan"`` or ``"fen"``) as integer fen, exactly.

    ``int`` is read as it is, ``Decimal`` (a JSON number read exactly) as its text would be; ``float`` is
    refused (it cannot say which decimal it meant — text from a file is never a float here); text as
    described in the module docstring. A unit written with the value (``100.00元``, ``¥100``, ``10000分``)
    wins over the field's. In 分 with no unit written, a decimal point is refused even with zero decimals
    (``10000.00``): 分 are whole, and two decimals is how 元 are written — the value was very likely pasted
    from a 元 column and would be 100× too small.
    """
    if unit not in (YUAN, FEN):
        raise ValueError(f"unit must be {YUAN!r} or {FEN!r}")
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueProblem(
            "金额请以文本或整数给出，不接受浮点数或是/否值", "give amounts as text or integers, not floats or booleans"
        )
    written: str | None = None  # the unit written with the value, if any
    if isinstance(value, int):
        d = Decimal(value)
        s = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueProblem(f"不是数字：“{value}”", f"not a number: {value!r}")
        d, s = value, str(value)
    else:
        s = text(value)
        if s.startswith("¥"):
            s, written = s[1:].strip(), YUAN
        if s.endswith("元"):
            s, written = s[:-1].strip(), YUAN
        elif s.endswith("分"):
            if written == YUAN:
                raise ValueProblem(f"金额“{value}”同时写了元（¥）和分", f"amount {value!r} says both yuan (¥) and fen")
            s, written = s[:-1].strip(), FEN
        s = _ungroup(s, value)
        if not _AMOUNT.fullmatch(s):
            raise ValueProblem(f"不是数字：“{value}”", f"not a number: {value!r}")
        d = Decimal(s)
    if d < 0:
        raise ValueProblem(f"金额为负：“{value}”", f"negative amount: {value!r}")
    in_unit = written or unit
    if in_unit == FEN and written is None and "." in s:
        raise FenWithDecimalPoint(FEN_DECIMAL_ZH.format(value=str(value)), FEN_DECIMAL_EN.format(value=str(value)))
    fen = d * FEN_PER_YUAN if in_unit == YUAN else d
    if fen != fen.to_integral_value():
        if in_unit == YUAN:
            raise ValueProblem(f"金额“{value}”超过两位小数", f"amount {value!r} has more than two decimals")
        raise ValueProblem(f"以分为单位的金额应为整数：“{value}”", f"an amount in fen must be a whole number: {value!r}")
    if fen > MAX_FEN:  # no amount of this system comes near it, and every sum stays exact (decisions.md "Exact sums")
        raise ValueProblem(f"金额超出范围（单笔不超过1000亿元）：“{value}”", f"amount out of range (at most 10^13 fen): {value!r}")
    return int(fen)


# the 元-in-a-分-field trap, in one wording for one case and screening (``wengang.ingest.columns.money``)
FEN_DECIMAL_ZH = "以分为单位，须为整数，不能带小数点（“{value}”）；按元填写请写“{value}元”"
FEN_DECIMAL_EN = "is in fen and must be a whole number without a decimal point ('{value}'); for yuan write '{value}元'"


_COUNT = re.compile(r"-?[0-9]+(\.0+)?")


def parse_int(value: object) -> int:
    """A whole number: ``12``, ``12.0`` (a number cell), ``1,200``, ``１２``."""
    if isinstance(value, bool):
        raise ValueProblem("应为整数，不是是/否值", "a whole number, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if value != int(value):
            raise ValueProblem(f"不是整数：“{value}”", f"not a whole number: {value!r}")
        return int(value)
    s = _ungroup(text(value), value)
    if not _COUNT.fullmatch(s):
        raise ValueProblem(f"不是整数：“{value}”", f"not a whole number: {value!r}")
    return int(s.split(".")[0])


# ------------------------------------------------------------------------------------------ yes / no

TRUE_LABELS = ("是", "有", "y", "yes", "true", "t", "1")
FALSE_LABELS = ("否", "无", "n", "no", "false", "f", "0")
BOOL_LABELS: dict[str, bool] = {**dict.fromkeys(TRUE_LABELS, True), **dict.fromkeys(FALSE_LABELS, False)}


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    key = text(value).lower()
    if key in BOOL_LABELS:
        return BOOL_LABELS[key]
    raise ValueProblem(
        f"“{value}”不是是/否值；可选：是/否、Y/N、true/false、1/0",
        f"{value!r} is not a yes/no value; allowed: 是/否, Y/N, true/false, 1/0",
    )


# -------------------------------------------------------------------------------------------- enums

# Chinese labels beyond the one each code prints as (wengang.facts.labels): the short forms agencies
# write and the labels of the raw tables' own codes. One table: a code reads the same in every field.
EXTRA_LABELS: dict[str, tuple[str, ...]] = {
    "large": ("大型",),
    "medium": ("中型",),
    "small": ("小型",),
    "micro": ("微型",),
    "enterprise": ("企业",),
    "public_institution": ("机关", "事业单位"),
    "individual_business": ("个体工商户",),
    "serious_dishonesty": ("严重失信", "严重违法失信", "严重失信主体名单", "严重违法失信名单"),
    "zombie_clearance": ("僵尸企业", "僵尸企业出清名单"),
    "env_noncompliant": ("环保不达标", "不符合环保政策"),
    "deregistered": ("注销", "已注销"),
    "license_revoked": ("吊销", "被吊销"),
    "abnormal_operations": ("经营异常", "经营异常名录"),
    "disqualified_misuse": ("取消申领资格",),
    "hardship_approved": ("困难企业",),
    "skill": ("技能提升", "技能提升补贴"),
    "training": ("职业培训", "职业培训补贴"),
    "employed_worker": ("在职职工",),
    "benefit_recipient": ("领取失业保险金人员",),
    "vocational_qualification": ("职业资格", "职业资格证书"),
    "skill_level": ("职业技能等级",),
}


def code_labels(code: str) -> tuple[str, ...]:
    """Chinese labels accepted for ``code``: the one it prints as, then the extra ones."""
    from wengang.facts.labels import ZH

    out = [ZH[code]] if code in ZH else []
    return tuple(dict.fromkeys([*out, *EXTRA_LABELS.get(code, ())]))


def enum_codes(choices: type[Enum] | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(choices, type) and issubclass(choices, Enum):
        return tuple(str(m.value) for m in choices)
    return tuple(choices)


def enum_label_map(choices: type[Enum] | tuple[str, ...] | list[str]) -> Mapping[str, str]:
    """Accepted spelling (normalised: NFKC, lower-case) → code, for one enum's codes. A label that would
    name two codes of the same enum is an error in the label table, caught here."""
    from wengang.facts.labels import ZH

    # built once per enum (one case read each enum field's labels afresh); the label table only grows
    # (modules register labels when imported), so its size tells whether a built map is current
    key = choices if isinstance(choices, type) else tuple(choices)
    hit = _LABEL_MAPS.get(key)
    if hit is None or hit[0] != len(ZH):
        hit = _LABEL_MAPS[key] = (len(ZH), MappingProxyType(_build_label_map(choices)))
    return hit[1]


_LABEL_MAPS: dict[Any, tuple[int, Mapping[str, str]]] = {}


def _build_label_map(choices: type[Enum] | tuple[str, ...] | list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in enum_codes(choices):
        for label in (code, *code_labels(code)):
            key = text(label).lower()
            if out.setdefault(key, code) != code:
                raise ValueError(f"label {label!r} names both {out[key]!r} and {code!r}")
    return out


def allowed_labels(choices: type[Enum] | tuple[str, ...] | list[str]) -> tuple[str, str]:
    """The allowed values for a message: ``中型（medium）、…`` and ``medium (中型), …``."""
    codes = enum_codes(choices)
    zh = "、".join(f"{'/'.join(code_labels(c))}（{c}）" if code_labels(c) else c for c in codes)
    en = ", ".join(f"{c} ({'/'.join(code_labels(c))})" if code_labels(c) else c for c in codes)
    return zh, en


def parse_enum(value: object, choices: type[Enum] | tuple[str, ...] | list[str]) -> str:
    """The code for ``value`` (a code or one of its Chinese labels, matched exactly after NFKC)."""
    if isinstance(value, Enum):
        value = value.value
    code = enum_label_map(choices).get(text(value).lower())
    if code is None:
        zh, en = allowed_labels(choices)
        raise ValueProblem(f"“{value}”不是允许的取值；可选：{zh}", f"{value!r} is not an allowed value; allowed: {en}")
    return code


# -------------------------------------------------------------------------------------- dates, months

_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE_FORMS = (
    re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
)
_MONTH_FORMS = (
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月?"),
    re.compile(r"([0-9]{4})([0-9]{2})"),
)
_SERIAL = re.compile(r"([0-9]{5})(\.[0-9]+)?")


def _date_from_match(m: re.Match[str]) -> date | None:
    g = [x for x in m.groups() if x is not None and x not in "-/."]
    if not DATE_YEARS[0] <= int(g[0]) <= DATE_YEARS[1]:
        return None
    try:
        return date(int(g[0]), int(g[1]), int(g[2]))
    except ValueError:
        return None


def parse_date(value: object, excel_epoch: date | None = None) -> date:
    """A date in any of the accepted forms; ``excel_epoch`` (XLSX input only) also admits serial days."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = re.sub(r"\s*([年月日/.-])\s*", r"\1", text(value))  # "2024 年 1 月 5 日", "2024 / 1 / 5"
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m:
            d = _date_from_match(m)
            if d is not None:
                return d
            break
    if excel_epoch is not None and (m := _SERIAL.fullmatch(s)):
        return excel_epoch + timedelta(days=int(m.group(1)))
    raise ValueProblem(
        f"日期无效：“{value}”（应为 2024-01-05、2024/1/5、2024年1月5日 或 20240105）",
        f"not a valid date: {value!r} (2024-01-05, 2024/1/5, 2024年1月5日 or 20240105)",
    )


def parse_month(value: object, excel_epoch: date | None = None) -> str:
    """A month covered as ``YYYY-MM``; a date is taken as its month."""
    if isinstance(value, (date, datetime)):
        y, mo = value.year, value.month
    else:
        s = re.sub(r"\s*([年月日/.-])\s*", r"\1", text(value))
        y = mo = 0
        for form in _MONTH_FORMS:
            m = form.fullmatch(s)
            if m:
                y, mo = int(m.group(1)), int(m.group(2))
                if s[4:] == ".1":  # a number cell 2024.10 reads 2024.1: January or October, it cannot say
                    raise ValueProblem(
                        f"所属期“{value}”有歧义：可能是1月，也可能是以数字录入时末尾的0被省去的10月；请写作 2024-01 或 2024-10",
                        f"month {value!r} is ambiguous: January, or October entered as a number (2024.10 → 2024.1);"
                        " write 2024-01 or 2024-10",
                    )
                break
        else:
            try:
                d = parse_date(s, excel_epoch)
            except ValueProblem:
                pass
            else:
                y, mo = d.year, d.month
    if not (1 <= mo <= 12 and MONTH_YEARS[0] <= y <= MONTH_YEARS[1]):
        raise ValueProblem(
            f"所属期无效：“{value}”（应为 2024-01、2024年1月、202401 或一个日期，月份1–12）",
            f"not a valid month: {value!r} (2024-01, 2024年1月, 202401 or a date; month 01–12)",
        )
    return f"{y:04d}-{mo:02d}"
