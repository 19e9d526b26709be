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
* a number written with a fraction and more than 15 significant digits that is a binary residue
  (``577.4399999999999``: a number cell holds a double, and ``=192.48*3`` leaves one unit in its last place
  below 577.44) is read as Excel shows it, to 15 significant digits (``577.44``; :func:`excel_digits`). The
  two-decimal check comes after (a true ``192.485`` is still refused). Digits a double tells apart from the
  rounding (``1000000000.000001``), and a whole part of more than 15 digits, are left as written — refused
  where they cannot be read exactly, never rounded;
* 万元 figures (``营业收入（万元）``, ``资产总额（万元）``) may carry up to four decimals (four decimals of 万元
  are one 元) and are kept as the whole 万元 they reach (:func:`whole_ten_thousand_yuan`): the 2017 size
  bounds they are compared with are all whole 万元 (``Y ≥ 2000``), so ``631.35`` and ``631`` meet the same
  bounds. A finer fraction is refused;
* identifiers (credit codes, 公民身份号码, accounts, region codes) are text: NFKC, surrounding space dropped, and
  Excel's text-forcing export form ``="91150502MA0000162T"`` read as the value inside (:func:`identifier_text`), zero-width
  characters (U+200B, a BOM: :data:`INVISIBLE`) dropped; a number cell of more than 15 digits, or the exponent form Excel shows or exports
  for one (``6.22202E+18``), is refused — Excel kept only 15 significant digits of it
  (:func:`number_cell_text`, :data:`NUMBER_CELL_ZH`);
* yes/no: ``是/否``, ``有/无``, ``Y/N``, ``yes/no``, ``true/false``, ``T/F``, ``1/0`` (case-insensitive), and
  the check marks of paper forms ``√``/``×`` (also ``✓ ✔`` / ``✗ ✘``);
* enum labels: the code itself or a Chinese label (``中型`` → ``medium``), matched exactly;
* dates: ``2024-01-05``, ``2024/1/5``, ``2024.1.5``, ``2024年1月5日``, ``20240105``, a date with a time
  (``2024-01-05 00:00:00``, what a date cell becomes), and — from an XLSX cell only — an Excel serial
  day number (``45296``);
* months: ``2024-01``, ``2024-1``, ``2024/1``, ``2024.1``, ``2024年1月``, ``202401``; a month field also
  accepts any date form above and takes its month (``2024/1/1`` → ``2024-01``), because agencies'
  exports often carry the first day of the month covered.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any

from wengang.facts.labels import ZH
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


# ------------------------------------------------------------------------------------------ numbers

EXCEL_DIGITS = 15  # significant digits Excel keeps of a number (and shows)
EXCEL_LIMIT = 10**EXCEL_DIGITS  # a number cell at or above this has lost its last digits
RESIDUE_ULPS = 4  # how far (units in the last place of a double) arithmetic's residue lies from the value shown


def excel_digits(d: Decimal) -> Decimal:
    """``d`` as Excel shows it, when it is a binary residue: a number with a fraction and more than 15 significant
    digits that lies within :data:`RESIDUE_ULPS` units in the last place of a double from its 15-digit rounding
    (``577.4399999999999``, what ``=192.48*3`` leaves, is one unit from ``577.44``: → ``577.440000000000``).
    Anything else is returned as it is — a whole number, at most 15 significant digits, a whole part of more than
    15 digits, or digits a double would tell apart from the rounding (``1000000000.000001`` is eight units from
    ``1000000000``: a value written so, refused where two decimals are allowed, never rounded)."""
    if not d.is_finite() or d == d.to_integral_value() or abs(d) >= EXCEL_LIMIT:
        return d
    if len(d.as_tuple().digits) <= EXCEL_DIGITS:
        return d
    shown = d.quantize(Decimal(1).scaleb(d.adjusted() - EXCEL_DIGITS + 1), rounding=ROUND_HALF_UP)
    near = float(shown)
    return shown if abs(float(d) - near) <= RESIDUE_ULPS * math.ulp(near) else d


# an identifier a number cell gave: the exponent form Excel shows (and exports to CSV) for a long number
_EXPONENT = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
# the refusal of an identifier that was a number cell (zh / en; {value}: the digits Excel kept)
NUMBER_CELL_ZH = (
    "账号、证件号码、统一社会信用代码等编号须以文本格式填写：数值单元格只保留15位有效数字（以科学计数法显示或导出时更少），"
    "“{value}”末尾的数字已被截断，无法核对；请将该列设为文本格式后重新录入"
)
NUMBER_CELL_EN = (
    "identifiers (account, ID number, credit code …) must be text cells: a number cell keeps at most 15 significant "
    "digits (fewer when shown in exponent form), so the last digits of '{value}' have been lost; format the column "
    "as text and enter them again"
)


def _digits_kept(d: Decimal) -> str:
    """A long number as the digits Excel kept (``6.22202123456789E+18`` → ``6222021234567890000``)."""
    return format(d.to_integral_value(), "f") if d == d.to_integral_value() else format(d, "f")


def number_cell_problem(value: object) -> ValueProblem:
    """The refusal of a number that stood for an identifier (:data:`NUMBER_CELL_ZH`)."""
    try:
        shown = _digits_kept(Decimal(text(value)))
    except ArithmeticError:
        shown = text(value)
    return ValueProblem(NUMBER_CELL_ZH.format(value=shown), NUMBER_CELL_EN.format(value=shown))


def looks_like_number_cell(s: str) -> bool:
    """``s`` (normalised text) is the exponent form of a number (``6.22202E+18``): what a number cell of an
    identifier shows, or a CSV exported from it holds."""
    return bool(_EXPONENT.fullmatch(s))


def number_cell_text(value: int | float) -> str:
    """An XLSX number cell as the text Excel shows: a whole number as its digits, a fraction to 15 significant
    digits (``577.4399999999999`` → ``577.44``; :func:`excel_digits`). A number of 16 digits or more
    (``6222000000000000``, ``6.22202123456789e+18``) is refused with :data:`NUMBER_CELL_ZH`: Excel keeps 15
    significant digits, so such a cell has lost the last digits of what was typed — an account or ID number
    typed into a cell not formatted as text. No field of this system holds an exact number that long."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a number cell is an int or a float, not {type(value).__name__}")
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        raise ValueProblem(f"不是数字：“{value}”", f"not a number: {value!r}")
    d = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if abs(d) >= EXCEL_LIMIT:
        raise number_cell_problem(d)
    d = excel_digits(d)
    if d == d.to_integral_value():
        return str(int(d))
    out = format(d, "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


# Excel's text-forcing form of a cell, as CSV exports write a code that must stay text: ="91150502MA0000162T"
# Excel's text-forcing export form of a cell: ="150502" (the value is inside)
EXCEL_TEXT = re.compile(r'="(.*)"')


def unwrap_excel_text(s: str) -> str:
    """``="…"`` (Excel's text-forcing export form, normalised text) read as the value inside; anything else as it is."""
    m = EXCEL_TEXT.fullmatch(s)
    return m.group(1).strip() if m else s


# zero-width characters a copy from a web page or a Word file leaves in a code (zero-width space, non-joiner, joiner,
# word joiner, a BOM): nothing shows them, so "长度应为18位" for a code the operator counts 18 characters of says
# nothing they can see. Dropped from identifiers wherever they are read, as NFKC makes a no-break space inside a credit
# code a space that is dropped (decisions.md §126); the check character still checks what is left
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
INVISIBLE_PATTERN = f"[{INVISIBLE}]"


def drop_invisible(s: str) -> str:
    """``s`` without the zero-width characters of :data:`INVISIBLE`."""
    return s.translate(_INVISIBLE_TABLE) if any(ch in s for ch in INVISIBLE) else s


_INVISIBLE_TABLE = dict.fromkeys(map(ord, INVISIBLE))


def identifier_text(value: object) -> str:
    """An identifier (credit code, 公民身份号码, account) as text: NFKC (full-width ``９１…ＭＡ…`` reads as
    ``91…MA…``), surrounding space dropped. The exponent form of a number (``6.22202E+18``) is refused: it is
    what a number cell makes of a long identifier, whose digits after the 15th are lost (:data:`NUMBER_CELL_ZH`)."""
    if isinstance(value, bool):
        raise ValueProblem("编号不能是是/否值", "an identifier cannot be a boolean")
    if isinstance(value, (int, float)):
        return number_cell_text(value)
    s = unwrap_excel_text(drop_invisible(text(value)).strip())
    if looks_like_number_cell(s):
        raise number_cell_problem(s)
    return s


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
    if isinstance(value, bool):
        raise ValueProblem(f"金额不能是是/否值（{str(value).lower()}）", f"an amount cannot be a boolean ({str(value).lower()})")
    if isinstance(value, float):
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
    if not isinstance(value, int):
        d = excel_digits(d)  # 577.4399999999999 (a number cell's residue) is the 577.44 Excel shows
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
        raise ValueProblem(f"应为整数，不是是/否值（{str(value).lower()}）", f"a whole number, not a boolean ({str(value).lower()})")
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if value != int(value):
            raise ValueProblem(f"不是整数：“{value}”", f"not a whole number: {value!r}")
        return int(value)
    s = _ungroup(text(value), value)
    if _COUNT.fullmatch(s):
        return int(s.split(".")[0])
    if _DECIMAL.fullmatch(s):
        d = excel_digits(Decimal(s))  # 3.0000000000000004 (a number cell's residue) is the 3 Excel shows
        if d == d.to_integral_value():
            return int(d)
    raise ValueProblem(f"不是整数：“{value}”", f"not a whole number: {value!r}")


# 职业技能等级 as certificates and agencies write them: the level's number, its 级 name, its worker title, or both
# (国家职业资格 / 职业技能等级五级制: 五级/初级工 … 一级/高级技师; ../shared/domain/facts.md)
_LEVEL_NAMES = {1: ("一级", "高级技师"), 2: ("二级", "技师"), 3: ("三级", "高级工", "高级"), 4: ("四级", "中级工", "中级"),
                5: ("五级", "初级工", "初级")}
SKILL_LEVELS: dict[str, int] = {
    **{str(n): n for n in _LEVEL_NAMES},
    **{name: n for n, names in _LEVEL_NAMES.items() for name in names},
    **{a + b: n for n, names in _LEVEL_NAMES.items() for a in names[:1] for b in names[1:]},
}
SKILL_LEVEL_ZH = "职业技能等级应为1至5，或其名称（一级/高级技师、二级/技师、三级/高级工、四级/中级工、五级/初级工）"
SKILL_LEVEL_EN = "a skill level is 1 to 5 or its name (一级/高级技师 … 五级/初级工)"


def skill_level_key(value: str) -> str:
    """A level as written, in the form :data:`SKILL_LEVELS` is keyed by: NFKC, no spaces, slashes or brackets."""
    return re.sub(r"[\s/()（）、,，]", "", unicodedata.normalize("NFKC", value))


def parse_skill_level(value: object) -> int:
    """A 职业技能等级: 3, 3.0, 三级, 高级工, 三级/高级工, 三级（高级工）→ 3."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        n = parse_int(value)
    else:
        n = SKILL_LEVELS.get(skill_level_key(text(value)), 0)
    if n not in _LEVEL_NAMES:
        raise ValueProblem(f"{SKILL_LEVEL_ZH}，不是“{value}”", f"{SKILL_LEVEL_EN}, not {value!r}")
    return n


_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
_TEN_THOUSAND = re.compile(r"[0-9]+(\.[0-9]+)?")
TEN_THOUSAND_DECIMALS = 4  # four decimals of 万元 are one 元


def whole_ten_thousand_yuan(value: object) -> int:
    """A figure in 万元 (``营业收入（万元）``) as the whole 万元 it reaches: ``631.35`` → 631, ``631`` → 631.

    Up to four decimals are read (four decimals of 万元 are one 元: a statistics export's ``631.35`` is
    6,313,500 元 exactly); the fraction is then dropped, because every bound the 2017 size table compares these
    figures with is a whole number of 万元 met with ``≥`` (:data:`wengang.facts.size_class.SIZE_TABLE_2017`),
    and ``Y ≥ B`` holds for a whole ``B`` exactly when it holds for Y's whole part. Finer fractions, negative
    figures and anything that is not a number are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueProblem(
            "万元数请以文本或整数给出，不接受浮点数或是/否值", "give 10k-yuan figures as text or integers, not floats or booleans"
        )
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueProblem(f"不是数字：“{value}”", f"not a number: {value!r}")
        d = value
    else:
        s = _ungroup(text(value), value)
        if s.endswith("万元"):
            s = s[:-2].strip()
        if s.startswith("-") and _TEN_THOUSAND.fullmatch(s[1:]):
            raise ValueProblem(f"不能为负数：“{value}”", f"must not be negative: {value!r}")
        if not _TEN_THOUSAND.fullmatch(s):
            raise ValueProblem(f"不是数字：“{value}”", f"not a number: {value!r}")
        d = Decimal(s)
    d = excel_digits(d)
    if d < 0:
        raise ValueProblem(f"不能为负数：“{value}”", f"must not be negative: {value!r}")
    if d != d.quantize(Decimal(1).scaleb(-TEN_THOUSAND_DECIMALS), rounding=ROUND_HALF_UP):
        raise ValueProblem(
            f"以万元计最多四位小数（即精确到元）：“{value}”",
            f"a figure in 10k yuan has at most four decimals (one yuan): {value!r}",
        )
    return int(d)  # the whole 万元 reached (d ≥ 0: truncation is the floor)


# ------------------------------------------------------------------------------------------ yes / no

# (√ and × as paper forms tick a box; the other check marks are their variants in fonts and input methods)
TRUE_LABELS = ("是", "有", "y", "yes", "true", "t", "1", "√", "✓", "✔")
FALSE_LABELS = ("否", "无", "n", "no", "false", "f", "0", "×", "✗", "✘")
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
        f"“{value}”不是是/否值；可选：是/否、有/无、√/×、Y/N、true/false、1/0",
        f"{value!r} is not a yes/no value; allowed: 是/否, 有/无, √/×, Y/N, true/false, 1/0",
    )


# -------------------------------------------------------------------------------------------- enums

# Chinese labels beyond the one each code prints as (wengang.facts.labels): the short forms agencies
# write and the labels of the raw tables' own codes. One table: a code reads the same in every field.
EXTRA_LABELS: dict[str, tuple[str, ...]] = {
    "large": ("大型",),
    "medium": ("中型",),
    "small": ("小型",),
    "micro": ("微型",),
    # 人社 registries' 单位类型: "企业单位"; a company form (公司法's 有限责任公司, 股份有限公司) is an enterprise
    "enterprise": ("企业", "企业单位", "有限责任公司", "股份有限公司"),
    # 民办非企业单位: the registration name of what the policy texts call 社会服务机构 — GB 32100-2015's 民政
    # categories are 社会团体、民办非企业单位、基金会 (facts.md §4), the texts name 社会团体、基金会、社会服务机构
    # (docs/decisions.md, "Values as agencies hold them")
    "social_service_org": ("民办非企业单位",),
    "public_institution": ("机关", "事业单位", "机关单位"),
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
    out = [ZH[code]] if code in ZH else []
    return tuple(dict.fromkeys([*out, *EXTRA_LABELS.get(code, ())]))


def enum_codes(choices: type[Enum] | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(choices, type) and issubclass(choices, Enum):
        return tuple(str(m.value) for m in choices)
    return tuple(choices)


def enum_label_map(choices: type[Enum] | tuple[str, ...] | list[str]) -> Mapping[str, str]:
    """Accepted spelling (normalised: NFKC, lower-case) → code, for one enum's codes. A label that would
    name two codes of the same enum is an error in the label table, caught here."""
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
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SERIAL = re.compile(r"([0-9]{5})(\.[0-9]+)?")


def _date_from_match(m: re.Match[str]) -> date | None:
    g = [x for x in m.groups() if x is not None and x not in "-/."]
    if not DATE_YEARS[0] <= int(g[0]) <= DATE_YEARS[1]:
        return None
    try:
        return date(int(g[0]), int(g[1]), int(g[2]))
    except ValueError:
        return None


# Beijing time: a fixed UTC+8 (no DST since 1991; decisions.md §23)
BEIJING_OFFSET = timezone(timedelta(hours=8), "Asia/Shanghai")


def beijing_wall_time(value: datetime) -> datetime:
    """A zone-aware datetime as Beijing wall-clock time (its date and month are Beijing's); a naive one as written.
    The column form is :func:`wengang.ingest.columns.beijing_wall_time`."""
    return value if value.tzinfo is None else value.astimezone(BEIJING_OFFSET)


def parse_date(value: object, excel_epoch: date | None = None) -> date:
    """A date in any of the accepted forms; ``excel_epoch`` (XLSX input only) also admits serial days."""
    if isinstance(value, datetime):
        return beijing_wall_time(value).date()
    if isinstance(value, date):
        return value
    if type(value) is str and (m := _ISO_DAY.fullmatch(value)) and DATE_YEARS[0] <= int(m.group(1)) <= DATE_YEARS[1]:
        # the form a JSON case gives (``2025-08-01``): read as the first form reads it, without normalising it first
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass  # no such day: refused below, as any other form
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
        if isinstance(value, datetime):
            value = beijing_wall_time(value)
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
