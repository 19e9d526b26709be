"""Money is integer fen (分) everywhere.

One rounding rule for the whole system: half-up to the fen (四舍五入到分), applied once, at the
end of a formula, unless a text says otherwise. Rates are exact fractions, never floats.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

FEN_PER_YUAN = 100


class MoneyError(ValueError):
    """A money value that cannot be read exactly."""


def yuan_to_fen(value: str | int | Decimal | float) -> int:
    """Read an amount in yuan exactly and return integer fen.

    Strings and Decimals are read exactly; more than two decimal places is an error (we never round
    an input silently). Floats are refused because they cannot say which decimal they meant.
    """
    if isinstance(value, bool):
        raise MoneyError("金额不能是布尔值 / amount cannot be a boolean")
    if isinstance(value, float):
        raise MoneyError("金额请以字符串或整数给出，不接受浮点数 / give amounts as strings or integers, not floats")
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    try:
        d = Decimal(str(value).strip().replace(",", ""))
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


def times_rate_half_up(base_fen: int, rate: Fraction) -> int:
    """``base × rate`` rounded half-up to the fen (amounts are never negative here)."""
    if base_fen < 0:
        raise MoneyError("计算基数不能为负 / base must not be negative")
    num, den = rate.numerator, rate.denominator
    return (2 * base_fen * num + den) // (2 * den)
