"""Masking keeps lengths and never shows the whole identifier."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.documents.errors import DocumentError
from wengang.documents.masking import (
    mask_bank_account,
    mask_credit_code,
    mask_id_number,
    mask_identifier,
    mask_phone,
)

USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_examples() -> None:
    assert mask_id_number("150202199001011234") == "1502**********1234"
    assert mask_id_number("15020219900101123x") == "1502**********123X"
    assert mask_id_number("150202900101123") == "1502*******1123"
    assert mask_credit_code("91150502MA0N1234XN") == "911505**********XN"
    assert mask_identifier("150202199001011234") == "1502**********1234"
    assert mask_identifier("91150502MA0N1234XN") == "911505**********XN"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0475-8123456") == "0475-***3456"
    assert mask_bank_account("6222 0212 3456 1234") == "6222 **** **** 1234"
    assert mask_bank_account("6222021234567891234") == "6222 **** **** *** 1234"


@pytest.mark.parametrize(
    ("fn", "value"),
    [(mask_id_number, "1502021990"), (mask_credit_code, "91150502"), (mask_phone, "12345"),
     (mask_bank_account, "1234567")],
)
def test_too_short_is_refused_without_echoing_it(fn, value: str) -> None:
    with pytest.raises(DocumentError) as exc:
        fn(value)
    assert value not in str(exc.value)


@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_id_number(body: str, check: str) -> None:
    v = body + check
    m = mask_id_number(v)
    assert len(m) == 18 and m.count("*") == 10
    assert m[:4] == v[:4] and m[-4:] == v[-4:]
    assert v not in m


@given(st.text(USCC, min_size=18, max_size=18))
def test_credit_code(v: str) -> None:
    m = mask_credit_code(v)
    assert len(m) == 18 and m.count("*") == 10
    assert m[:6] == v[:6] and m[-2:] == v[-2:]
    assert v not in m


@given(st.text("0123456789", min_size=10, max_size=10))
def test_mobile(rest: str) -> None:
    v = "1" + rest
    m = mask_phone(v)
    assert m == v[:3] + "****" + v[-4:]
    assert v not in m


@given(st.text("0123456789", min_size=8, max_size=30))
def test_bank_account(v: str) -> None:
    m = mask_bank_account(v)
    compact = m.replace(" ", "")
    assert len(compact) == len(v)
    assert compact.endswith(v[-4:]) and compact.count("*") == len(v) - (8 if len(v) >= 12 else 4)
    assert v not in compact and v not in m
