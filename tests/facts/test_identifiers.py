import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from wengang.facts.identifiers import (
    USCC_ALPHABET,
    InvalidIdentifier,
    check_credit_codes,
    check_id_numbers,
    credit_code_reasons,
    credit_code_reasons_if_formed,
    credit_code_reasons_if_formed_or_missing,
    credit_codes_written_form,
    credit_codes_written_normalised,
    make_credit_code,
    region_codes,
    ric_check_character,
    uscc_check_character,
    validate_credit_code,
    validate_id_number,
)


def test_known_valid_code():
    assert validate_credit_code("91110108551385082Q") == "91110108551385082Q"
    assert validate_credit_code(" 9111-0108 551385082q ") == "91110108551385082Q"


def test_bad_check_character_message():
    with pytest.raises(InvalidIdentifier) as e:
        validate_credit_code("91110108551385082A")
    assert e.value.reason == "check"
    assert "应为“Q”，实为“A”" in str(e.value) and "expected 'Q', got 'A'" in str(e.value)


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("", "empty"),
        ("9111010855138508", "length"),
        ("91110108551385082I", "character"),
        ("9A110108551385082Q", "format"),
    ],
)
def test_reasons(bad, reason):
    with pytest.raises(InvalidIdentifier) as e:
        validate_credit_code(bad)
    assert e.value.reason == reason


@pytest.mark.parametrize("prefix", ["A1", "N2", "Y1"])
def test_letter_authorities_accepted_although_stdnum_rejects(prefix):
    code = make_credit_code(prefix, "150502", "MA0000001")
    assert not uscc.is_valid(code)  # the python-stdnum 2.2 gap
    assert validate_credit_code(code) == code
    broken = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidIdentifier):
        validate_credit_code(broken)


def test_id_number_birthplace_must_exist_in_birth_year():
    ok = "15050220000101001"
    assert validate_id_number(ok + ric_check_character(ok)) == ok + ric_check_character(ok)
    old = "15050219900101001"  # 科尔沁区 exists from 1999
    with pytest.raises(InvalidIdentifier) as e:
        validate_id_number(old + ric_check_character(old))
    assert e.value.reason == "birth_place"


def _scalar_reason(fn, s):
    try:
        fn(s)
    except InvalidIdentifier as e:
        return e.reason
    return None


chars = st.sampled_from(list(USCC_ALPHABET + "IOSVZabc -"))
near_codes = st.one_of(
    st.text(chars, min_size=0, max_size=20),
    st.builds(
        lambda a, r, b: make_credit_code(a, r, b),
        st.sampled_from(["91", "92", "51", "N2", "A1", "Y1", "12"]),
        st.sampled_from(region_codes("1505")),
        st.text(st.sampled_from(list(USCC_ALPHABET)), min_size=9, max_size=9),
    ),
    st.builds(
        lambda a, r, b, c: a + r + b + c,
        st.sampled_from(["91", "N2", "Y1"]),
        st.sampled_from(region_codes("1505")),
        st.text(st.sampled_from(list(USCC_ALPHABET)), min_size=9, max_size=9),
        st.sampled_from(list(USCC_ALPHABET)),
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(near_codes, min_size=1, max_size=30))
def test_vectorised_credit_codes_agree_with_scalar(codes):
    out = check_credit_codes(pl.DataFrame({"credit_code": codes}, schema={"credit_code": pl.String}))
    for code, reason in zip(codes, out["credit_code_reason"].to_list(), strict=True):
        assert reason == _scalar_reason(validate_credit_code, code), code
        if code and code[0].isdigit() and reason is None:
            assert uscc.is_valid(code)


in_form_codes = st.one_of(
    st.text(st.sampled_from(list(USCC_ALPHABET)), min_size=18, max_size=18),  # mostly a bad format or check
    st.text(st.sampled_from(list("0123456789")), min_size=18, max_size=18),  # mostly a bad check character
    near_codes,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(in_form_codes, min_size=1, max_size=30))
def test_codes_written_normalised_take_the_short_check_with_the_same_verdicts(codes):
    # the screening reads codes already in their normal form without the empty/length/character tests
    lf = pl.DataFrame({"c": codes}, schema={"c": pl.String}).lazy()
    in_form = credit_codes_written_normalised(lf, "c")
    assert in_form == all(len(c) == 18 and set(c) <= set(USCC_ALPHABET) for c in codes)
    if in_form:
        full = credit_code_reasons(lf, "c", "r", expected_out="x").collect()
        short = credit_code_reasons(lf, "c", "r", expected_out="x", normalised="c", in_form=True).collect()
        assert short.equals(full)
        assert short["r"].to_list() == [_scalar_reason(validate_credit_code, c) for c in codes]


digits = st.text(st.sampled_from(list("0123456789")), min_size=17, max_size=17)
near_ids = st.one_of(
    st.text(st.sampled_from(list("0123456789Xx ")), min_size=0, max_size=19),
    digits.map(lambda d: d + ric_check_character(d)),
    st.builds(
        lambda r, y, m, d, s: f"{r}{y:04d}{m:02d}{d:02d}{s:03d}",
        st.sampled_from(region_codes("15") + ["150599", "990000"]),
        st.integers(1900, 2030),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 999),
    ).map(lambda d: d + ric_check_character(d)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(near_ids, min_size=1, max_size=30))
def test_vectorised_id_numbers_agree_with_scalar(ids):
    out = check_id_numbers(pl.DataFrame({"id_number": ids}, schema={"id_number": pl.String}))
    for idn, reason in zip(ids, out["id_number_reason"].to_list(), strict=True):
        assert reason == _scalar_reason(validate_id_number, idn), idn
        if reason is None:
            assert ric.is_valid(idn)


def test_check_character_tables():
    assert uscc_check_character("91110108551385082") == "Q"
    assert uscc.calc_check_digit("91110108551385082") == "Q"


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(st.characters(max_codepoint=127), max_size=22),  # ASCII: the fast path
        st.text(st.one_of(st.sampled_from(list("0123456789AaXxNnYy -`\t\u3000－—")), st.characters()), max_size=22),
    )
)
@example("9115 0502-ma0n1234`xn ")
def test_normalisers_agree_with_stdnum_compact(text):
    # the ASCII fast path must give exactly stdnum's compact (which maps look-alikes, then removes separators)
    from wengang.facts.identifiers import _ric_normalise, _uscc_normalise

    assert _uscc_normalise(text) == uscc.compact(text)
    assert _ric_normalise(text) == ric.compact(text)


_DIGITS = "0123456789"


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        # digit-prefixed codes with a correct check character (valid unless a letter sits in positions 2–8)
        st.text(st.sampled_from(USCC_ALPHABET), min_size=17, max_size=17).map(lambda s: s + uscc_check_character(s)),
        st.text(st.sampled_from(USCC_ALPHABET + "IOSVZ-a "), min_size=16, max_size=20),
        st.text(st.sampled_from(_DIGITS), min_size=17, max_size=17).map(lambda s: s + uscc_check_character(s)),
    )
)
def test_credit_code_verdict_agrees_with_stdnum(code):
    # stdnum.cn.uscc.validate is not called after our own checks: for a code not opened by a letter authority
    # (A/N/Y, which stdnum rejects) the two must accept exactly the same codes
    try:
        ours = validate_credit_code(code)
    except InvalidIdentifier:
        ours = None
    if ours is not None and ours[0] not in "ANY" or ours is None and uscc.compact(code)[:1] not in ("A", "N", "Y"):
        assert (ours is not None) == uscc.is_valid(code), code


@settings(max_examples=800, deadline=None)
@given(
    st.sampled_from(["110101", "150502", "140300"]),
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.text(st.sampled_from(_DIGITS), min_size=3, max_size=3),
)
def test_id_number_birth_date_verdict_agrees_with_stdnum(place, year, month, day, seq):
    # the birth date is checked with datetime.date as stdnum.cn.ric.get_birth_date does
    first17 = f"{place}{year:04d}{month:02d}{day:02d}{seq}"
    idn = first17 + ric_check_character(first17)
    try:
        validate_id_number(idn)
        ours = "ok"
    except InvalidIdentifier as exc:
        ours = exc.reason
    try:
        ric.get_birth_date(idn)
        theirs_date = True
    except Exception:
        theirs_date = False
    assert (ours != "birth_date") == theirs_date, idn
    if ours == "ok":
        assert ric.is_valid(idn)


@settings(max_examples=400, deadline=None)
@given(st.lists(in_form_codes, min_size=1, max_size=30))
def test_codes_written_in_form_take_the_shortest_check_with_the_same_verdicts(codes):
    # codes of a well-formed extract skip the format test too: the same reasons and expected characters
    lf = pl.DataFrame({"c": codes}, schema={"c": pl.String}).lazy()
    form = credit_codes_written_form(lf, "c")
    formed = all(
        len(c) == 18 and set(c) <= set(USCC_ALPHABET) and (c[:8].isdigit() or (c[0] in "ANY" and c[1:8].isdigit()))
        for c in codes
    )
    assert (form == "formed") == formed
    assert (form is not None) == credit_codes_written_normalised(lf, "c")
    if form is not None:
        full = credit_code_reasons(lf, "c", "r", expected_out="x").collect()
        short = credit_code_reasons(lf, "c", "r", expected_out="x", normalised="c", in_form=form).collect()
        assert short.equals(full)



# codes in a code's form ([0-9ANY], seven digits, ten alphabet characters; mostly a wrong check character) and the
# same with one character changed to one of the alphabet or another (a letter the alphabet lacks, lower case, a
# space, a control, a multi-byte character), or no value at all
formed_codes = st.builds(
    lambda a, d, r: a + d + r,
    st.sampled_from(list("0123456789ANY")),
    st.text(st.sampled_from(list("0123456789")), min_size=7, max_size=7),
    st.text(st.sampled_from(list(USCC_ALPHABET)), min_size=10, max_size=10),
)
odd_codes = st.one_of(
    st.builds(
        lambda code, i, ch: code[:i] + ch + code[i + 1 :],
        formed_codes,
        st.integers(0, 17),
        st.sampled_from(list(USCC_ALPHABET + "IOSVZaz -\x00\x7f\u00e9０Ａ\u3000")),
    ),
    in_form_codes,
    st.none(),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(formed_codes, max_size=20), odd_codes, st.booleans())
def test_codes_formed_are_checked_in_one_pass_with_the_same_verdicts(codes, odd, with_odd):
    # the form told by the check characters' own pass (per-position tables): "formed" exactly when the regular
    # expression says so, and then the same reasons and expected values as the formed path
    codes = codes + [odd] if with_odd or not codes else codes
    lf = pl.DataFrame({"c": codes}, schema={"c": pl.String}).lazy()
    one_pass = credit_code_reasons_if_formed(lf, "c", "r", "x")
    assert (one_pass is not None) == (credit_codes_written_form(lf, "c") == "formed")
    if one_pass is not None:
        formed = credit_code_reasons(
            lf, "c", "r", expected_out="x", normalised="c", in_form="formed", expected_value=True
        ).collect()
        assert one_pass.equals(formed) and one_pass.schema == formed.schema
        full = credit_code_reasons(lf, "c", "r", expected_out="x", expected_value=True).collect()
        assert one_pass.equals(full)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(formed_codes, st.none()), max_size=20), odd_codes, st.booleans())
def test_missing_codes_beside_formed_ones_are_given_what_the_full_checks_give(codes, odd, with_odd):
    # a column of formed codes and missing ones (a registry's legal entities): the present ones checked in one pass,
    # the missing ones "empty" with no expected value — exactly the full checks' columns; None when a present code
    # is not formed
    codes = codes + [odd] if with_odd else codes
    values = pl.Series("c", codes, dtype=pl.String)
    got = credit_code_reasons_if_formed_or_missing(values, "r", "x")
    present = values.drop_nulls().to_frame().lazy()
    assert (got is not None) == (values.null_count() == values.len() or credit_codes_written_form(present, "c") == "formed")
    if got is not None:
        full = credit_code_reasons(values.to_frame().lazy(), "c", "r", expected_out="x", expected_value=True).collect()
        assert got.equals(full) and got.schema == full.schema


def test_every_character_at_every_position_is_told_formed_as_the_regular_expression_tells_it():
    # the per-position tables against the pattern, character by character: every digit and capital letter and a few
    # other characters put at each position of a well-formed code, beside well-formed ones
    base = make_credit_code("91", "150502", "MA0000007")
    others = [c + uscc_check_character(c) for c in ("N2150502MA00000X1", "Y1150502000000000")]
    for i in range(18):
        for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZaz -\x01\x7fé０Ａ\u3000":
            lf = pl.DataFrame({"c": [*others, base[:i] + ch + base[i + 1 :]]}, schema={"c": pl.String}).lazy()
            one_pass = credit_code_reasons_if_formed(lf, "c", "r", "x")
            assert (one_pass is not None) == (credit_codes_written_form(lf, "c") == "formed"), (i, ch)
