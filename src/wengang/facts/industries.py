"""Industries by GB/T 4754-2017 code: deferral industries and the 2017 size-table categories.

Sources: ../shared/domain/facts.md §2 and §3.

* 5 特困行业 (人社厅发〔2022〕16号): 餐饮、零售、旅游、民航、公路水路铁路运输. The notice names no codes;
  the codes are the nearest 2017 classes (旅游 → L7291 旅行社及相关服务 is a reading, marked ``P`` in facts.md).
* 17 扩围行业 (人社部发〔2022〕31号), with 2017 codes. Sections Q and R moved by one between the 2011 and
  2017 editions: data coded to 2011 will mis-match them.

Codes are accepted with or without the section letter (``"C3611"`` or ``"3611"``), read after NFKC (a
full-width ``０５１１`` is ``0511``) and Excel's text-forcing ``="0511"`` form. A section letter must be the
section of the code's 2-digit division (:data:`_SECTIONS`): ``A511`` (division 51 is F 批发和零售业) or
``F0511`` (05 is A) contradicts itself and is no code — :func:`code_digits` gives None, and the readers refuse
it (:func:`industry_code_problem`: screening quarantines the row, one case is refused), never classify it by
its digits alone (outside audit F1, session 38).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from wengang.ingest.values import unwrap_excel_text


@dataclass(frozen=True)
class Industry:
    name_zh: str
    name_en: str
    code_prefixes: tuple[str, ...]  # 2017 digits (no section letter); a code matches if it starts with one


HARDSHIP_5: tuple[Industry, ...] = (
    Industry("餐饮", "catering", ("62",)),
    Industry("零售", "retail", ("52",)),
    Industry("旅游", "tourism (travel agencies, L7291; a reading)", ("7291",)),
    Industry("民航", "civil aviation", ("56",)),
    Industry("公路水路铁路运输", "road, water and rail transport", ("53", "54", "55")),
)

EXTENDED_17: tuple[Industry, ...] = (
    Industry("农副食品加工业", "agricultural and sideline food processing", ("13",)),
    Industry("纺织业", "textiles", ("17",)),
    Industry("纺织服装、服饰业", "textile garments and apparel", ("18",)),
    Industry("造纸和纸制品业", "paper and paper products", ("22",)),
    Industry("印刷和记录媒介复制业", "printing and reproduction of recording media", ("23",)),
    Industry("医药制造业", "pharmaceuticals", ("27",)),
    Industry("化学纤维制造业", "chemical fibres", ("28",)),
    Industry("橡胶和塑料制品业", "rubber and plastics products", ("29",)),
    Industry("通用设备制造业", "general-purpose machinery", ("34",)),
    Industry("汽车制造业", "motor vehicles", ("36",)),
    Industry(
        "铁路、船舶、航空航天和其他运输设备制造业",
        "railway, ship, aerospace and other transport equipment",
        ("37",),
    ),
    Industry("仪器仪表制造业", "instruments and meters", ("40",)),
    Industry("社会工作", "social work", ("85",)),
    Industry("广播、电视、电影和录音制作业", "radio, television, film and sound recording", ("87",)),
    Industry("文化艺术业", "culture and arts", ("88",)),
    Industry("体育", "sports", ("89",)),
    Industry("娱乐业", "entertainment", ("90",)),
)

# GB/T 4754-2017 sections by 2-digit division.
_SECTIONS = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
)

# Size-table categories of 统计上大中小微型企业划分办法（2017）, keyed by 2017 code prefix (longest wins).
SIZE_CATEGORY_BY_PREFIX: dict[str, str] = {
    **{f"{d:02d}": "agriculture" for d in range(1, 6)},
    **{f"{d:02d}": "industry" for d in range(6, 47)},
    **{f"{d:02d}": "construction" for d in range(47, 51)},
    "51": "wholesale",
    "52": "retail",
    # 交通运输业: 54–58; 53 铁路运输 is not in the table (no category)
    **{f"{d:02d}": "transport" for d in range(54, 59)},
    "59": "warehousing",
    "60": "postal",
    "61": "accommodation",
    "62": "catering",
    "63": "information_transmission",
    "64": "information_transmission",
    "65": "software_it",
    "701": "real_estate_development",
    "702": "property_management",
    "703": "other",  # 房地产中介服务
    "709": "other",  # 其他房地产业 (704 自有房地产经营 excluded: no category)
    "71": "leasing_business_services",
    "72": "leasing_business_services",
    **{f"{d:02d}": "other" for d in range(73, 83)},  # M, N, O
    "85": "other",  # 社会工作
    **{f"{d:02d}": "other" for d in range(86, 91)},  # R 文化、体育和娱乐业
}
# Not in the table: 53 铁路, 66–69 金融 (own standard 银发〔2015〕309号), 704, 83 教育, 84 卫生, S, T, and a bare "70".


SECTION_NAMES_ZH = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业",
    "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育", "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织", "T": "国际组织",
}  # fmt: skip
# a code as written: an optional section letter, then the 2- to 4-digit class (ASCII digits only: Python's and
# Polars' \d match every Unicode digit)
CODE_PATTERN = r"^([A-T]?)([0-9]{2,4})$"
_CODE = re.compile(CODE_PATTERN)


def normalise_code(code: str) -> str:
    """An industry code as read: NFKC (full-width ``Ｆ０５１１``), Excel's ``="…"`` unwrapped, spaces dropped, upper case."""
    return unwrap_excel_text(unicodedata.normalize("NFKC", str(code)).strip()).upper()


def section_of_division(division: int) -> str | None:
    """The GB/T 4754-2017 section letter of a 2-digit division (51 → ``F``), or None (no such division)."""
    for letter, lo, hi in _SECTIONS:
        if lo <= division <= hi:
            return letter
    return None


def industry_code_problem(code: str | None) -> tuple[str, str] | None:
    """Why ``code`` cannot be read as an industry code (Chinese, English), or None when it can (or is empty): not a
    section letter and 2–4 digits, or a letter that is not the section of its digits' division — ``A511`` says
    门类 A (农、林、牧、渔业) while division 51 is in F (批发和零售业)."""
    if code is None or not str(code).strip():
        return None
    c = normalise_code(code)
    m = _CODE.fullmatch(c)
    if m is None:
        return (
            f"行业代码“{code}”格式不符：应为门类字母加2至4位数字（如 F5211）或2至4位数字（GB/T 4754-2017）",
            f"industry code {code!r} is not a section letter and 2 to 4 digits (F5211) or 2 to 4 digits (GB/T 4754-2017)",
        )
    letter, digits = m.groups()
    if not letter:
        return None
    section = section_of_division(int(digits[:2]))
    if section == letter:
        return None
    named = f"门类 {letter}（{SECTION_NAMES_ZH[letter]}）"
    if section is None:
        return (
            f"行业代码“{code}”的门类与数字不符：{named}，而数字 {digits} 的大类 {digits[:2]} 不属于 GB/T 4754-2017 的任何门类；"
            f"请核对行业代码",
            f"industry code {code!r}: section {letter}, but division {digits[:2]} of {digits} is in no GB/T 4754-2017 "
            f"section; check the code",
        )
    lost = ""
    lost_en = ""
    if len(digits) == 3 and section_of_division(int(digits[:1])) == letter:
        lost = f"；如为 {letter}0{digits}，首位的0可能在数值单元格中丢失，请以文本格式填写"
        lost_en = f"; if it is {letter}0{digits}, a number cell may have dropped its leading 0: enter it as text"
    return (
        f"行业代码“{code}”的门类与数字不符：写的是{named}，而大类 {digits[:2]} 属于门类 {section}"
        f"（{SECTION_NAMES_ZH[section]}），无法判断行业与划型{lost}",
        f"industry code {code!r}: its section letter {letter} contradicts its digits — division {digits[:2]} is in "
        f"section {section}; neither industry nor size category can be told{lost_en}",
    )


def validate_industry_code(value: str | None) -> str | None:
    """A facts model's ``industry_code`` as read (:func:`normalise_code`), or ``ValueError`` ("中文 / English") for
    one :func:`industry_code_problem` refuses."""
    if value is None:
        return None
    problem = industry_code_problem(value)
    if problem is not None:
        raise ValueError(f"{problem[0]} / {problem[1]}")
    return normalise_code(value) or None


def code_digits(code: str | None) -> str | None:
    """``"C3611"`` → ``"3611"``; ``"3611"`` → ``"3611"``; invalid, or a letter that is not its digits' section
    (``"A511"``, ``"F0511"``) → ``None``."""
    if code is None:
        return None
    m = _CODE.fullmatch(normalise_code(code))
    if m is None:
        return None
    letter, digits = m.groups()
    if letter and section_of_division(int(digits[:2])) != letter:
        return None
    return digits


def section_of(code: str | None) -> str | None:
    d = code_digits(code)
    if d is None:
        return None
    return section_of_division(int(d[:2]))


def size_category(code: str | None) -> str | None:
    """The 2017 size-table category of an industry code, or ``None`` when the table does not cover it."""
    d = code_digits(code)
    if d is None:
        return None
    for k in (4, 3, 2):
        if len(d) >= k and d[:k] in SIZE_CATEGORY_BY_PREFIX:
            return SIZE_CATEGORY_BY_PREFIX[d[:k]]
    return None


def _matches(code: str | None, industries: tuple[Industry, ...]) -> Industry | None:
    d = code_digits(code)
    if d is None:
        return None
    for ind in industries:
        if any(d.startswith(p) for p in ind.code_prefixes):
            return ind
    return None


def hardship_industry(code: str | None) -> Industry | None:
    """One of the 5 特困行业, or ``None``."""
    return _matches(code, HARDSHIP_5)


def extended_industry(code: str | None) -> Industry | None:
    """One of the 17 扩围行业, or ``None``."""
    return _matches(code, EXTENDED_17)


def code_digits_expr(col: str | pl.Expr) -> pl.Expr:
    """Vectorised :func:`code_digits`: the digits, null for a code that is not one or whose letter is not its
    digits' section. (Validation has read the codes already: NFKC, ``="…"``; here only ASCII codes are codes.)"""
    e = pl.col(col) if isinstance(col, str) else col
    parts = e.str.strip_chars().str.to_uppercase().str.extract_groups(CODE_PATTERN)
    letter, digits = parts.struct.field("1"), parts.struct.field("2")
    sections = {f"{d:02d}": letter for letter, lo, hi in _SECTIONS for d in range(lo, hi + 1)}
    section = digits.str.slice(0, 2).replace_strict(sections, default=None, return_dtype=pl.String)
    return pl.when((letter == "") | (letter == section)).then(digits)


def size_category_expr(col: str | pl.Expr) -> pl.Expr:
    """Vectorised :func:`size_category`."""
    d = code_digits_expr(col)
    out = pl.lit(None, dtype=pl.String)
    for k in (2, 3, 4):  # later (longer) prefixes override
        m = {p: v for p, v in SIZE_CATEGORY_BY_PREFIX.items() if len(p) == k}
        if m:
            hit = d.str.slice(0, k).replace_strict(m, default=None, return_dtype=pl.String)
            out = pl.when((d.str.len_chars() >= k) & hit.is_not_null()).then(hit).otherwise(out)
    return out
