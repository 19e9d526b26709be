"""Units of policy parameters and the Python value each one loads to.

| unit      | YAML value                 | Python value                          |
|-----------|----------------------------|---------------------------------------|
| percent   | "5.5" or 5.5 or 60         | fractions.Fraction (5.5 → 11/200)     |
| yuan      | 1500 or "1500.50"          | int fen                               |
| yuan_10k  | 20 (万元)                   | int fen                               |
| month, year, day, working_day, person, count | 12 | int (≥ 0)                 |
| bool      | true / false               | bool                                  |
| text      | "…"                        | str                                   |
| list      | [a, b]                     | list[str]                             |
| date      | 2024-12-31                 | datetime.date                         |

Numbers are read from the YAML source text, never through float, so "5.5" and 5.5 are the same exact value.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from wengang.money import MoneyError, yuan_to_fen

INT_UNITS = frozenset({"month", "year", "day", "working_day", "person", "count"})
UNITS = frozenset({"percent", "yuan", "yuan_10k", "bool", "text", "list", "date"}) | INT_UNITS

UNIT_ZH = {
    "percent": "%",
    "yuan": "元",
    "yuan_10k": "万元",
    "month": "个月",
    "year": "年",
    "day": "天",
    "working_day": "个工作日",
    "person": "人",
    "count": "次",
    "bool": "",
    "text": "",
    "list": "",
    "date": "",
}

# Words (and the two symbols some texts use) that fix where a threshold's boundary lies.
BOUNDARIES = frozenset(
    {"以上", "以下", "不高于", "不超过", "低于", "超过", "达到", "满", "含", "不满", "之后", "起", "以内", "≥", "≤"}
)


class UnitError(ValueError):
    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


def _decimal(raw: Any, unit: str) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, float):
        raise UnitError(f"单位 {unit} 的取值“{raw}”不是数字", f"value {raw!r} for unit {unit} is not a number")
    try:
        d = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise UnitError(f"单位 {unit} 的取值“{raw}”不是数字", f"value {raw!r} for unit {unit} is not a number") from exc
    if not d.is_finite() or d < 0:
        raise UnitError(
            f"单位 {unit} 的取值“{raw}”须为非负有限数", f"value {raw!r} for unit {unit} must be finite and ≥ 0"
        )
    return d


def convert(raw: Any, unit: str) -> Any:
    """Turn a YAML value into the typed value of ``unit``; :class:`UnitError` on a bad pair."""
    if unit not in UNITS:
        raise UnitError(
            f"未知单位“{unit}”，可用：{'、'.join(sorted(UNITS))}",
            f"unknown unit {unit!r}; known: {', '.join(sorted(UNITS))}",
        )
    if unit == "percent":
        return Fraction(_decimal(raw, unit)) / 100
    if unit in ("yuan", "yuan_10k"):
        d = _decimal(raw, unit)
        if unit == "yuan_10k":
            d *= 10000
        try:
            return yuan_to_fen(d)
        except MoneyError as exc:
            raise UnitError(f"金额“{raw}”无法精确到分", f"amount {raw!r} is not exact to the fen") from exc
    if unit in INT_UNITS:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise UnitError(
                f"单位 {unit} 的取值须为非负整数，而不是“{raw}”", f"unit {unit} needs a non-negative integer, not {raw!r}"
            )
        return raw
    if unit == "bool":
        if not isinstance(raw, bool):
            raise UnitError(f"单位 bool 的取值须为 true/false，而不是“{raw}”", f"unit bool needs true/false, not {raw!r}")
        return raw
    if unit == "text":
        if not isinstance(raw, str) or not raw.strip():
            raise UnitError(f"单位 text 的取值须为非空字符串，而不是“{raw}”", f"unit text needs a non-empty string, not {raw!r}")
        return raw
    if unit == "list":
        if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
            raise UnitError(
                f"单位 list 的取值须为非空字符串列表，而不是“{raw}”", f"unit list needs a non-empty list of strings, not {raw!r}"
            )
        return list(raw)
    # date
    if isinstance(raw, datetime):
        raw = raw.date()
    if not isinstance(raw, date):
        raise UnitError(f"单位 date 的取值须为日期（YYYY-MM-DD），而不是“{raw}”", f"unit date needs YYYY-MM-DD, not {raw!r}")
    return raw


def comparable(value: Any) -> Fraction | int | None:
    """The value as an exact number for ceiling checks, or None when the unit has no order."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Fraction)):
        return value
    return None


def over_ceiling(name: str, value: Any, unit: str, cap: Any, *, jurisdiction: str | None = None) -> tuple[str, str] | None:
    """Chinese and English text when ``value`` (in ``unit``) of parameter ``name`` exceeds the 不超过 ceiling ``cap``
    (a ``Param``), else None: exactly at the ceiling is within it (不超过 includes the number). One check for the
    policy loader (a document's own value) and for what-if settings (``wengang.settings.ceiling_breach``).
    ``jurisdiction``: the region key of the document that sets the ceiling (the loader knows it); otherwise it is looked
    up in the installed policy set — a province's ceiling is not called the nation's (session 41)."""
    mine, limit = comparable(value), comparable(cap.value)
    if mine is None or limit is None or mine <= limit:
        return None
    shown, ceiling = format_value(value, unit), format_value(cap.value, cap.unit)
    return (
        f"“{name}”为 {shown}，超过{_ceiling_of(cap, jurisdiction)}上限 {ceiling}（{cap.citation()}）",
        f"{name} = {shown} exceeds the ceiling {ceiling} ({cap.citation()})",
    )


def _ceiling_of(cap: Any, jurisdiction: str | None) -> str:
    """Whose ceiling ``cap`` is, in Chinese: 国家, or the region that set it (内蒙古自治区), or 上级文件."""
    if jurisdiction is None:
        try:
            from wengang.policies.loader import load_policy_set

            jurisdiction = load_policy_set().get(cap.doc_id).jurisdiction
        except Exception:  # noqa: BLE001 - a draft not installed, a set that cannot load: the neutral wording
            return "上级文件所定"
    if jurisdiction == "national":
        return "国家"
    from wengang.regions import REGIONS

    region = REGIONS.get(jurisdiction)
    return f"{region.name}所定" if region is not None else "上级文件所定"


def format_value(value: Any, unit: str) -> str:
    """Human-readable Chinese rendering: ``Fraction(11,200)`` → ``5.5%``, fen → ``1,500元``."""
    if unit == "percent":
        d = Decimal(value.numerator) / Decimal(value.denominator) * 100
        return f"{d.normalize():f}%"
    if unit in ("yuan", "yuan_10k"):
        d = (Decimal(value) / 100).normalize()
        if unit == "yuan_10k":
            return f"{(d / 10000).normalize():f}万元"
        return f"{d:,f}元"
    if unit == "bool":
        return "是" if value else "否"
    if unit == "list":
        return "、".join(value)
    if unit == "date":
        return value.isoformat()
    return f"{value}{UNIT_ZH.get(unit, '')}"
