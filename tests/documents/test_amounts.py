"""人民币大写: the examples of 《支付结算办法》附件一, and a round trip through an independent reader."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.documents.amounts import LIMIT_FEN, rmb_upper
from wengang.documents.errors import DocumentError


@pytest.mark.parametrize(
    ("fen", "upper"),
    [
        # the 办法's examples (角 followed by 整 is optional there; we write it)
        (140950, "壹仟肆佰零玖元伍角整"),
        (600714, "陆仟零柒元壹角肆分"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (10700053, "壹拾万柒仟元伍角叁分"),
        (1640902, "壹万陆仟肆佰零玖元零贰分"),
        (32504, "叁佰贰拾伍元零肆分"),
        # the brief's example and 整 / 零 rules
        (1234567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (100, "壹元整"),
        (1000, "壹拾元整"),
        (0, "零元整"),
        (50, "伍角整"),
        (5, "伍分"),
        (10001000, "壹拾万零壹拾元整"),  # 千位 zero: the 零 is required
        (100001000, "壹佰万零壹拾元整"),
        (10001000000, "壹亿零壹万元整"),
        (1000000000000, "壹佰亿元整"),
        (LIMIT_FEN - 1, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_examples(fen: int, upper: str) -> None:
    assert rmb_upper(fen) == upper


@pytest.mark.parametrize("bad", [-1, LIMIT_FEN, 1.5, True, "100"])
def test_refuses(bad: object) -> None:
    with pytest.raises(DocumentError):
        rmb_upper(bad)  # type: ignore[arg-type]


_D = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_U = {"拾": 10, "佰": 100, "仟": 1000}


def _read(text: str) -> int:
    """Independent reader: 大写 → fen."""
    assert text.endswith(("整", "分")) and "零零" not in text
    yuan_part, _, small = text.partition("元") if "元" in text else ("", "", text)
    total = 0
    for big, mult in (("亿", 10**8), ("万", 10**4)):
        if big in yuan_part:
            head, yuan_part = yuan_part.split(big, 1)
            total += _group(head) * mult
    total += _group(yuan_part)
    fen = total * 100
    small = small.replace("零", "").removesuffix("整")
    if "角" in small:
        j, small = small.split("角")
        fen += _D[j] * 10
    if small:
        fen += _D[small.removesuffix("分")]
    return fen


def _group(text: str) -> int:
    n, digit = 0, 0
    for ch in text.replace("零", ""):
        if ch in _D:
            digit = _D[ch]
        else:
            n += digit * _U[ch]
            digit = 0
    return n + digit


@given(st.integers(min_value=0, max_value=LIMIT_FEN - 1))
def test_round_trip(fen: int) -> None:
    text = rmb_upper(fen)
    assert _read(text) == fen
    assert not text.startswith("零") or fen == 0
