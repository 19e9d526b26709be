"""Money is integer fen (分) everywhere.

One rounding rule for the whole system: half-up to the fen (四舍五入到分), applied once, at the
end of a formula, unless a text says otherwise. Rates are exact fractions, never floats. The one exception is a
limit, not a payment: "不超过 5% of the balance" in whole fen is the largest amount that does not exceed 5 %, so it
is rounded down (:func:`times_rate_down`); a request is compared with the exact rate, not with a rounded figure.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

FEN_PER_YUAN = 100


class MoneyError(ValueError):
    """A money value that cannot be read exactly."""


class MisplacedSeparator(MoneyError):
    """A number written with a comma that is not a thousands separator (``18640,50``, ``1,0``)."""

    def __init__(self, value: object):
        self.zh = THOUSANDS_ZH.format(value=value)
        self.en = THOUSANDS_EN.format(value=value)
        super().__init__(f"{self.zh} / {self.en}")


# a comma is a thousands separator and nothing else: digits grouped in threes leftwards from the decimal point,
# the first group of one to three digits. "18640,50" (a decimal comma) or "1,0" is refused, never read as 1864050
# or 10. The screening columns read the same grouping with one column expression (ingest.columns.money).
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_NUMBER_WITH_COMMAS = re.compile(r"[-+]?[0-9,]*(?:\.[0-9,]*)?")
THOUSANDS_ZH = "千分位逗号位置不对：“{value}”（逗号只能从小数点起向左每三位一个，如“1,234.56”；小数点请写“.”）"
THOUSANDS_EN = (
    "misplaced thousands separator: '{value}' (a comma may only group digits in threes left of the decimal point,"
    " as in 1,234.56; write the decimal point as '.')"
)


def ungroup(text: str, value: object = None) -> str:
    """``text`` (a number as written, already stripped) without its thousands separators.

    ``"1,234,567.5"`` → ``"1234567.5"``; text without a comma is returned as it is. A comma anywhere else in a
    number (``"18640,50"``, ``"1,0"``, ``",123"``, ``"1,,234"``, ``"1234,567"``, ``"1,234,56"``) raises
    :class:`MisplacedSeparator` naming ``value`` (the value as given; ``text`` by default). Text that is not a
    number even without its commas (``"a,b"``) is returned as it is, for the caller to refuse as not a number.
    """
    if "," not in text:
        return text
    if _GROUPED.fullmatch(text):
        return text.replace(",", "")
    if _NUMBER_WITH_COMMAS.fullmatch(text) and any(c.isdigit() for c in text):
        raise MisplacedSeparator(text if value is None else value)
    return text


def yuan_to_fen(value: str | int | Decimal | float) -> int:
    """Read an amount in yuan exactly and return integer fen.

    Strings and Decimals are read exactly; more than two decimal places is an error (we never round
    an input silently). Floats are refused because they cannot say which decimal they meant. A comma is read
    only as a thousands separator (:func:`ungroup`); ``"18640,50"`` is refused, not read as 1,864,050.
    """
    if isinstance(value, bool):
        raise MoneyError("金额不能是布尔值 / amount cannot be a boolean")
    if isinstance(value, float):
        raise MoneyError("金额请以字符串或整数给出，不接受浮点数 / give amounts as strings or integers, not floats")
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = ungroup(str(value).strip(), value)
    try:
        if "_" in text:  # Decimal would read "18640_50" as 1864050: no separator but the thousands comma
            raise InvalidOperation
        d = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"无法识别的金额“{value}” / not an amount: {value!r}") from exc
    if not d.is_finite():
        raise MoneyError(f"无法识别的金额“{value}” / not an amount: {value!r}")
    fen = d * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"金额“{value}”超过两位小数 / amount {value!r} has more than two decimal places")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56元"``."""
    return f"{fen_to_yuan(fen):,}元"


def times_rate_down(base_fen: int, rate: Fraction) -> int:
    """``base × rate`` rounded down to the fen: a limit the text sets as "不超过 rate of base", whose whole-fen
    value must not exceed it (the one exception to half-up, docs/decisions.md)."""
    if base_fen < 0:
        raise MoneyError("计算基数不能为负 / base must not be negative")
    return base_fen * rate.numerator // rate.denominator


def times_rate_half_up(base_fen: int, rate: Fraction) -> int:
    """``base × rate`` rounded half-up to the fen (amounts are never negative here)."""
    if base_fen < 0:
        raise MoneyError("计算基数不能为负 / base must not be negative")
    num, den = rate.numerator, rate.denominator
    return (2 * base_fen * num + den) // (2 * den)
