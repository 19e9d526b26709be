"""Industries by GB/T 4754-2017 code: deferral industries and the 2017 size-table categories.

Sources: ../shared/domain/facts.md §2 and §3.

* 5 特困行业 (人社厅发〔2022〕16号): 餐饮、零售、旅游、民航、公路水路铁路运输. The notice names no codes;
  the codes are the nearest 2017 classes (旅游 → L7291 旅行社及相关服务 is a reading, marked ``P`` in facts.md).
* 17 扩围行业 (人社部发〔2022〕31号), with 2017 codes. Sections Q and R moved by one between the 2011 and
  2017 editions: data coded to 2011 will mis-match them.

Codes are accepted with or without the section letter (``"C3611"`` or ``"3611"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl


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


def code_digits(code: str | None) -> str | None:
    """``"C3611"`` → ``"3611"``; ``"3611"`` → ``"3611"``; invalid → ``None``."""
    if code is None:
        return None
    c = code.strip().upper()
    m = re.fullmatch(r"[A-T]?(\d{2,4})", c)
    return m.group(1) if m else None


def section_of(code: str | None) -> str | None:
    d = code_digits(code)
    if d is None:
        return None
    div = int(d[:2])
    for letter, lo, hi in _SECTIONS:
        if lo <= div <= hi:
            return letter
    return None


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
    e = pl.col(col) if isinstance(col, str) else col
    return e.str.strip_chars().str.to_uppercase().str.extract(r"^[A-T]?(\d{2,4})$", 1)


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
