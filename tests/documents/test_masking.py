"""Masking keeps lengths and never shows the whole identifier."""

from __future__ import annotations

import polars as pl
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


# --- identifiers inside text, malformed values, secrets, columns (issue 12 item 5) -------------------------

from wengang.documents.masking import (  # noqa: E402
    mask_id_number_expr,
    mask_loose,
    mask_loose_expr,
    mask_recipient,
    mask_text,
    mask_text_series,
    scrub_secrets,
)
from wengang.facts.identifiers import ric_check_character  # noqa: E402


def test_text_examples() -> None:
    text = "张三，身份证150202199001011236，电话 138-1234-5678，账户6222021234567891234。"
    assert mask_text(text) == "张三，身份证1502**********1236，电话 138-****-5678，账户6222 **** **** *** 1234。"
    assert mask_text("+8613812345678") == "+86138****5678"
    assert mask_text("15020219900101123X 号") == "1502**********123X 号"
    # left alone: credit codes, amounts, dates, counts, 12-digit numbers
    for keep in ("91150502MA0N1234XN", "金额 1,234,567.89 元", "2025-08-01", "共 300 人", "123456789012"):
        assert mask_text(keep) == keep


@given(st.text(min_size=0, max_size=30), st.integers(10**16, 10**17 - 1), st.text(min_size=0, max_size=30))
def test_a_valid_id_number_anywhere_in_text_is_masked(before: str, body: int, after: str) -> None:
    first17 = f"15020219{body % 10**9:09d}"[:17]
    first17 = first17[:6] + "19900101" + first17[14:]
    v = first17 + ric_check_character(first17)
    text = f"{before} {v} {after}"
    assert v not in mask_text(text)
    assert "1502**********" + v[-4:] in mask_text(text)


def test_loose_mask_shows_at_most_half() -> None:
    assert mask_loose("150202199001011236") == "1502**********1236"
    assert mask_loose("15020219900101") == "150********101"
    assert mask_loose("12345") == "1***5" and mask_loose("123") == "***" and mask_loose(None) == ""


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
def test_loose_mask_and_its_column_expression_agree(v: str) -> None:
    m, t = mask_loose(v), v.strip()
    keep = min(4, len(t) // 4)  # at most 4 each end, never more than half in all
    assert len(m) == len(t) and m[:keep] == t[:keep] and m[len(m) - keep :] == t[len(t) - keep :]
    assert set(m[keep : len(m) - keep]) <= {"*"}
    assert pl.DataFrame({"v": [v]}).select(mask_loose_expr("v")).item() == m


@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_id_column_expression_agrees_with_the_scalar(body: str, check: str) -> None:
    v = body + check
    assert pl.DataFrame({"v": [v]}).select(mask_id_number_expr("v")).item() == mask_id_number(v)


def test_series_masks_only_what_holds_an_identifier() -> None:
    s = pl.Series("name", ["张三13812345678", "某某有限公司", None, "李四 150202199001011236"])
    assert mask_text_series(s).to_list() == ["张三138****5678", "某某有限公司", None, "李四 1502**********1236"]


def test_recipient() -> None:
    assert mask_recipient("13800000000") == "138****0000"
    assert mask_recipient("150202199001011236") == "1502**********1236"
    assert mask_recipient("15020219900101123") == "1502*********1123"  # malformed: masked all the same
    assert mask_recipient("91150502MA0N1234XN") == "911505**********XN"  # as on the 公示 list (outbox: "masked")


def test_secrets_are_scrubbed() -> None:
    err = ("Server error '503' for url 'https://sms:p4ss@gw.example.cn/v1/send?app=1&access_token=abc123&sign=f00d'"
           " headers={'Authorization': 'Bearer eyJ0eXAi.eyJzdWIi.c2lnbg9'} api_key=K9 {\"password\": \"hunter2\"}"
           " to 13812345678")  # fmt: skip
    out = scrub_secrets(err)
    for secret in ("sms:p4ss", "p4ss", "abc123", "f00d", "eyJ0eXAi", "K9", "hunter2", "13812345678"):
        assert secret not in out, secret
    assert "https://***@gw.example.cn/v1/send?app=1&access_token=***&sign=***" in out
    assert "'Authorization': '***'" in out and '"password": "***"' in out and "138****5678" in out
    assert scrub_secrets("Authorization: Basic dXNlcjpwYXNz1") == "Authorization: ***"
    assert scrub_secrets("连接超时（10 秒）") == "连接超时（10 秒）"
