"""Identifier validation: 统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999).

Two forms of every check, which must agree (property-tested with hypothesis):

* scalar — :func:`validate_credit_code`, :func:`validate_id_number`: return the normalised value or
  raise :class:`InvalidIdentifier` with a Chinese + English message saying what is wrong;
* vectorised — :func:`credit_code_reasons`, :func:`id_number_reasons` add a reason-code column
  (``null`` when valid) to a LazyFrame; :func:`check_credit_codes` / :func:`check_id_numbers`
  add ``<col>_valid``, ``<col>_reason_zh`` and ``<col>_reason_en`` columns to a frame. The check
  characters are computed with column arithmetic (weights table, mod 31 / mod 11), so 10 M rows take
  seconds, not a Python loop.

Reason codes: ``empty``, ``length``, ``character``, ``format``, ``check``, ``birth_date``,
``birth_place``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources

import polars as pl
import polars.selectors  # noqa: F401  (pl.selectors)

# python-stdnum is imported where it is used (it imports ssl: ≈ 5 ms of every command's start-up, and a screen
# reads its codes with Polars expressions, not stdnum)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"  # sum mod 11 → check character

# Registration-authority codes that GB 32100 allows but python-stdnum 2.2 rejects ("first 8 characters
# must be digits"): A 中央军委改革和编制办公室, N 农业 (e.g. village collective economic organisations),
# Y 其他. Valid codes with these prefixes exist in the agencies' data, so for these three only we compute
# the GB 32100 check character ourselves (same alphabet and weights as stdnum). Every other code goes
# through stdnum unchanged, so we never accept what stdnum rejects except this documented gap.
USCC_LETTER_AUTHORITIES = frozenset("ANY")

REASONS_ZH = {
    "empty": "为空",
    "length": "长度应为18位",
    "character": "含有不允许的字符",
    "format": "格式不符",
    "check": "校验码错误",
    "birth_date": "出生日期无效",
    "birth_place": "出生地（行政区划代码）无效",
}
REASONS_EN = {
    "empty": "is empty",
    "length": "must be 18 characters long",
    "character": "contains a character that is not allowed",
    "format": "has the wrong format",
    "check": "wrong check character",
    "birth_date": "birth date is not a valid date",
    "birth_place": "birth place (region code) is not valid for the birth year",
}
KIND_ZH = {"credit_code": "统一社会信用代码", "id_number": "公民身份号码"}
KIND_EN = {"credit_code": "credit code", "id_number": "ID number"}


class InvalidIdentifier(ValueError):
    """An identifier that fails validation; ``str(exc)`` is Chinese then English."""

    def __init__(self, kind: str, value: object, reason: str, detail_zh: str = "", detail_en: str = ""):
        from wengang.documents.masking import mask_loose

        self.kind = kind
        self.value = value
        self.reason = reason
        # a person's number, even a wrong one, is shown masked: messages reach consoles and logs
        shown = mask_loose(value) if kind == "id_number" and isinstance(value, str) else value
        if kind == "id_number" and reason in ("birth_date", "birth_place"):  # the detail repeats part of it
            detail_zh, detail_en = "", ""
        self.message_zh = f"{KIND_ZH[kind]}“{shown}”{REASONS_ZH[reason]}{detail_zh}"
        self.message_en = f"{KIND_EN[kind]} {shown!r} {REASONS_EN[reason]}{detail_en}"
        super().__init__(f"{self.message_zh} / {self.message_en}")


# ---------------------------------------------------------------------------------------------------
# 统一社会信用代码


def uscc_check_character(first17: str) -> str:
    """GB 32100 check character of the first 17 characters (C18 = 31 − Σ Ci·Wi mod 31, 31 → 0)."""
    total = sum(USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _uscc_normalise(s: str) -> str:
    if s.isascii() and "`" not in s:
        # stdnum's compact maps only non-ASCII look-alikes (and ` to ') before it removes spaces and hyphens
        return s.replace(" ", "").replace("-", "").upper().strip()
    from stdnum.cn import uscc

    return uscc.compact(s)


def _ric_normalise(s: str) -> str:
    if s.isascii() and "`" not in s:
        return s.upper().strip()  # as stdnum.cn.ric.compact for ASCII (see _uscc_normalise)
    from stdnum.cn import ric

    return ric.compact(s)


def validate_credit_code(s: str) -> str:
    """Return the normalised 统一社会信用代码 or raise :class:`InvalidIdentifier`.

    Normalisation is stdnum's: spaces and hyphens removed, upper-cased.
    """
    if s is None or not isinstance(s, str) or not s.strip():
        raise InvalidIdentifier("credit_code", s, "empty")
    n = _uscc_normalise(s)
    if len(n) != 18:
        raise InvalidIdentifier("credit_code", s, "length", f"（实为{len(n)}位）", f" (got {len(n)})")
    for i, c in enumerate(n, 1):
        if c not in USCC_VALUE:
            raise InvalidIdentifier("credit_code", s, "character", f"：第{i}位“{c}”", f": position {i} {c!r}")
    if not (n[:8].isascii() and n[:8].isdigit()) and not (
        n[0] in USCC_LETTER_AUTHORITIES and n[1:8].isdigit()
    ):
        raise InvalidIdentifier(
            "credit_code",
            s,
            "format",
            "：第1位应为数字或A/N/Y，第2–8位应为数字",
            ": position 1 must be a digit or A/N/Y and positions 2–8 digits",
        )
    expected = uscc_check_character(n[:17])
    if n[17] != expected:
        raise InvalidIdentifier(
            "credit_code",
            s,
            "check",
            f"：应为“{expected}”，实为“{n[17]}”",
            f": expected {expected!r}, got {n[17]!r}",
        )
    # stdnum.cn.uscc.validate checks exactly this for a digit-prefixed code (length, digits 1–8, alphabet,
    # check character) and is not called again: a test compares the verdicts (tests/facts/test_identifiers.py)
    return n


def is_valid_credit_code(s: str) -> bool:
    try:
        validate_credit_code(s)
    except InvalidIdentifier:
        return False
    return True


def is_valid_normalised_credit_code(n: str) -> bool:
    """:func:`is_valid_credit_code` of a value already normalised (no spaces or hyphens, upper case), without
    raising: the same checks (length, alphabet, positions 1–8, check character). For callers that test many
    candidates (a quarantined code's one-edit neighbours), where building the exception cost ~70 µs a code."""
    if len(n) != 18 or any(c not in USCC_VALUE for c in n):
        return False
    if not (n[:8].isascii() and n[:8].isdigit()) and not (n[0] in USCC_LETTER_AUTHORITIES and n[1:8].isdigit()):
        return False
    return n[17] == uscc_check_character(n[:17])


def credit_code_normalised(col: str | pl.Expr) -> pl.Expr:
    """Vectorised ``stdnum.cn.uscc.compact``: spaces and hyphens removed, upper-cased, stripped."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.str.replace_all(r"[ \-]", "").str.to_uppercase().str.strip_chars()


_T = "__idchk_"  # prefix of temporary columns


def _byte_columns(n: str) -> list[pl.Expr]:
    """The 18 bytes of an 18-byte string column as Int32 columns ``__idchk_b0…b17`` (null otherwise)."""
    return [_bytes(n).arr.get(i).cast(pl.Int32).alias(f"{_T}b{i}") for i in range(18)]


def _eighteen_bytes(n: str) -> pl.Expr:
    """An 18-byte string column as Binary (a placeholder of zeros for a value of another length), to reinterpret."""
    return pl.when(pl.col(n).str.len_bytes() == 18).then(pl.col(n)).otherwise(pl.lit("000000000000000000")).cast(pl.Binary)


def _bytes(n: str) -> pl.Expr:
    """The 18 bytes of an 18-byte string column as an ``Array(UInt8, 18)`` (a placeholder of zeros otherwise)."""
    return _eighteen_bytes(n).bin.reinterpret(dtype=pl.Array(pl.UInt8, 18))


def _uscc_values_table(weight: int) -> pl.Series:
    """Alphabet value × ``weight`` by byte (256 entries; 0 for a byte outside the alphabet, whose code fails the
    character check before its check character is read)."""
    table = [0] * 256
    for c, v in USCC_VALUE.items():
        table[ord(c)] = v * weight
    return pl.Series(table, dtype=pl.Int32)


def _uscc_value(arr: pl.Expr, i: int, weight: int = 1) -> pl.Expr:
    """Alphabet value × ``weight`` of byte ``i`` of :func:`_bytes`: one lookup in a 256-entry table (a chain of
    comparisons per byte cost four times as much on a million codes)."""
    return pl.lit(_uscc_values_table(weight)).gather(arr.arr.get(i).cast(pl.UInt32))


_IN_ALPHABET = f"^[{USCC_ALPHABET}]{{18}}$"


def credit_codes_written_normalised(lf: pl.LazyFrame, column: str) -> bool:
    """Every value of text column ``column`` is 18 characters of the code alphabet (none missing, no space,
    hyphen or lower case): :func:`credit_code_normalised` leaves each as it is, and only the positions and the
    check character are left to check (``credit_code_reasons(normalised=column, in_form=True)``)."""
    return bool(lf.select(pl.col(column).str.contains(_IN_ALPHABET).fill_null(False).all()).collect().item())


_FORMAT = r"^(?:[0-9]{8}|[ANY][0-9]{7})"
# the alphabet test and the format test in one pattern (as fast as either alone)
_WELL_FORMED = f"^[0-9ANY][0-9]{{7}}[{USCC_ALPHABET}]{{10}}$"


def credit_codes_written_form(lf: pl.LazyFrame, column: str) -> str | None:
    """How far every value of text column ``column`` is in a code's form, for :func:`credit_code_reasons`:
    ``"formed"`` — 18 alphabet characters and the first eight of a code's format (only the check characters are
    left to check: ``in_form="formed"``); ``"normalised"`` — :func:`credit_codes_written_normalised`
    (``in_form=True``); ``None`` otherwise. Screening now tells ``"formed"`` by :func:`credit_code_reasons_if_formed`'s
    own pass; this regular-expression reading (with ``credit_code_reasons(in_form="formed")``) is the plain statement
    of the same form that the one-pass check is tested against (tests/facts/test_identifiers.py)."""
    if lf.select(pl.col(column).str.contains(_WELL_FORMED).fill_null(False).all()).collect().item():
        return "formed"
    return "normalised" if credit_codes_written_normalised(lf, column) else None


_NOT_FORMED = 1 << 16  # a byte a well-formed code cannot have at its position: more than any sum of values × weights


@functools.cache
def _formed_tables() -> tuple[pl.Series, ...]:
    """Per position 0–17, by byte (256 entries): the alphabet value × the position's weight (position 17: × 1) of
    a byte :data:`_WELL_FORMED` allows there, :data:`_NOT_FORMED` for any other byte."""
    allowed = ["0123456789ANY"] + ["0123456789"] * 7 + [USCC_ALPHABET] * 10
    tables = []
    for i, chars in enumerate(allowed):
        table = [_NOT_FORMED] * 256
        for c in chars:
            table[ord(c)] = USCC_VALUE[c] * (USCC_WEIGHTS[i] if i < 17 else 1)
        tables.append(pl.Series(table, dtype=pl.Int32))
    return tuple(tables)


@functools.cache
def _formed_pair_tables() -> tuple[pl.Series, ...]:
    """:func:`_formed_tables` by pairs of bytes (65,536 entries, a pair's first byte in the low eight bits, as
    :func:`_words` reads it): for pair k < 8 the sum of positions 2k's and 2k+1's entries; then position 16's entry
    and position 17's, each from the ninth pair. A marker in either byte keeps the sum at :data:`_NOT_FORMED` or more.
    Half the lookups of one per byte, and half the extractions from the array."""
    tables = _formed_tables()
    word = pl.int_range(0, 1 << 16, dtype=pl.UInt32, eager=True)
    low, high = word % 256, word // 256
    pairs = [tables[2 * k].gather(low) + tables[2 * k + 1].gather(high) for k in range(8)]
    return (*pairs, tables[16].gather(low), tables[17].gather(high))


def _words(n: str) -> pl.Expr:
    """:func:`_bytes` as nine little-endian 16-bit words (byte 2k in the low half of word k): ``Array(UInt16, 9)``."""
    return _eighteen_bytes(n).bin.reinterpret(dtype=pl.Array(pl.UInt16, 9), endianness="little")


def credit_code_reasons_if_formed(lf: pl.LazyFrame, column: str, out: str, expected_out: str) -> pl.DataFrame | None:
    """``credit_code_reasons(lf, column, out, expected_out, normalised=column, in_form="formed",
    expected_value=True)`` collected, in one pass, when :func:`credit_codes_written_form` would say ``"formed"``;
    ``None`` otherwise (the caller checks as before). The check characters' sum is worked out with per-position
    tables that also mark a byte the code's form does not allow there (:func:`_formed_tables`): the form is told
    by that same pass, not by a regular expression over every code first. Same columns, values and dtypes."""
    tables = _formed_pair_tables()
    b, s, c = f"{_T}b", f"{_T}s", f"{_T}c"
    # the bytes two at a time (tables of pairs): 9 extractions and 10 lookups, not 18 and 18 (1 M codes: 57 against 90 CPU-ms)
    word = [pl.col(b).arr.get(k).cast(pl.UInt32) for k in range(9)]
    frame = (
        lf.with_columns(_words(column).alias(b))
        .with_columns(
            pl.sum_horizontal([pl.lit(tables[k]).gather(word[k]) for k in range(9)]).alias(s),
            pl.lit(tables[9]).gather(word[8]).alias(c),
        )
        .with_columns(
            ((pl.col(column).str.len_bytes() == 18) & (pl.col(s) < _NOT_FORMED) & (pl.col(c) < _NOT_FORMED))
            .fill_null(False)
            .alias(f"{_T}formed"),
            ((31 - pl.col(s) % 31) % 31).alias(f"{_T}exp"),
        )
        .with_columns(pl.when(pl.col(c) != pl.col(f"{_T}exp")).then(pl.lit("check")).otherwise(None).alias(out))
        .with_columns(
            pl.when(pl.col(out).is_null() | (pl.col(out) == "check")).then(pl.col(f"{_T}exp")).otherwise(None)
            .alias(expected_out)
        )
        .select(f"{_T}formed", out, expected_out)
        .collect()
    )
    if not frame.get_column(f"{_T}formed").all():
        return None
    # the codes as they came, beside their checks (passed through the query, the column was cut into new chunks:
    # a second set of its 16-byte views held with the table)
    return lf.collect().hstack(frame.drop(f"{_T}formed"))


def credit_code_reasons_if_formed_or_missing(values: pl.Series, out: str, expected_out: str) -> pl.DataFrame | None:
    """:func:`credit_code_reasons_if_formed` of ``values`` when each is a well-formed code or missing (null): the
    present ones checked in one pass, a missing one given what ``credit_code_reasons`` (the full checks) gives it —
    reason ``"empty"``, no expected value. ``None`` when a present value is not well-formed (the caller checks as
    before). A column of mostly missing codes (a registry's legal entities) is then not normalised and checked by
    the full expressions for nothing."""
    present = values.is_not_null()
    if not values.null_count():
        return credit_code_reasons_if_formed(values.to_frame().lazy(), values.name, out, expected_out)
    checked = credit_code_reasons_if_formed(values.filter(present).to_frame().lazy(), values.name, out, expected_out)
    if checked is None:
        return None
    at = present.arg_true()
    n = values.len()
    return pl.DataFrame(
        [
            values,
            pl.repeat("empty", n, dtype=pl.String, eager=True).scatter(at, checked.get_column(out)).alias(out),
            pl.repeat(None, n, dtype=checked.schema[expected_out], eager=True)
            .scatter(at, checked.get_column(expected_out))
            .alias(expected_out),
        ]
    )


def credit_code_reasons(
    lf: pl.LazyFrame,
    column: str,
    out: str,
    expected_out: str | None = None,
    normalised: str | None = None,
    in_form: bool | str = False,
    expected_value: bool = False,
) -> pl.LazyFrame:
    """Add column ``out``: reason code for ``column`` (``null`` when valid). Staged so each step is computed once.

    With ``expected_out``, also add the check character the first 17 characters call for (where they are
    well-formed), so a message can say "expected X, got Y" like the scalar check. ``normalised``: a column
    already holding :func:`credit_code_normalised` of ``column`` (empty values may be null there).
    ``in_form``: :func:`credit_codes_written_normalised` holds for ``column`` — no value can be empty, of
    another length or with another character, so those tests (a pass over every code each) are not made;
    ``in_form="formed"``: :func:`credit_codes_written_form` said so, and the format test is not made either.
    ``expected_value``: ``expected_out`` holds the expected character's value in the alphabet (Int32; the character
    is ``USCC_ALPHABET[value]``) — for a caller that shows it for a few rows only: no text is made for every code.
    """
    n = f"{_T}n"
    norm = pl.col(normalised).fill_null("") if normalised else credit_code_normalised(column)
    b = f"{_T}b"
    lf = lf.with_columns(norm.alias(n)).with_columns(_bytes(n).alias(b))
    total = pl.sum_horizontal([_uscc_value(pl.col(b), i, w) for i, w in enumerate(USCC_WEIGHTS)])
    lf = lf.with_columns(((31 - total % 31) % 31).alias(f"{_T}exp"))
    raw = pl.col(column)
    tests = [] if in_form else [
        (raw.is_null() | (raw.str.strip_chars() == ""), "empty"),
        (pl.col(n).str.len_chars() != 18, "length"),
        (~pl.col(n).str.contains(_IN_ALPHABET), "character"),
    ]
    if in_form != "formed":
        tests.append((~pl.col(n).str.contains(_FORMAT), "format"))
    tests.append((_uscc_value(pl.col(b), 17) != pl.col(f"{_T}exp"), "check"))
    reason = pl.when(tests[0][0]).then(pl.lit(tests[0][1]))
    for test, code in tests[1:]:
        reason = reason.when(test).then(pl.lit(code))
    reason = reason.otherwise(None)
    lf = lf.with_columns(reason.alias(out))
    if expected_out:
        alphabet = dict(enumerate(USCC_ALPHABET))
        exp = pl.col(f"{_T}exp")
        lf = lf.with_columns(
            pl.when(pl.col(out).is_null() | (pl.col(out) == "check"))
            .then(exp if expected_value else exp.replace_strict(alphabet, default=None, return_dtype=pl.String))
            .otherwise(None)
            .alias(expected_out)
        )
    return lf.drop(pl.selectors.starts_with(_T))


# ---------------------------------------------------------------------------------------------------
# 公民身份号码


@dataclass(frozen=True)
class _LocRange:
    start: int
    end: int


@functools.cache
def region_code_years() -> dict[str, tuple[_LocRange, ...]]:
    """GB/T 2260 codes in python-stdnum's ``cn/loc.dat`` with the years each was valid.

    This is the table ``stdnum.cn.ric`` checks a birth place against; a code appears as ``(start, end)``
    ranges (open ends as 0 / 9999).
    """
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    out: dict[str, tuple[_LocRange, ...]] = {}
    province = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        m = re.match(r"\s+(\d{4}) county=\"(.*)\"", line)
        if not m or province is None:
            continue
        ranges = []
        for part in m.group(2).split(","):
            if not part.startswith("["):
                ranges.append(_LocRange(0, 9999))
                break  # stdnum accepts the first un-bracketed name outright
            s, e = part[1:].split("]")[0].split("-")
            ranges.append(_LocRange(int(s) if s else 0, int(e) if e else 9999))
        out[province + m.group(1)] = tuple(ranges)
    return out


def region_codes(prefix: str = "", year: int | None = None) -> list[str]:
    """Real county-level region codes starting with ``prefix`` (valid in ``year`` if given), sorted."""
    return sorted(
        code
        for code, ranges in region_code_years().items()
        if code.startswith(prefix) and (year is None or any(r.start <= year <= r.end for r in ranges))
    )


def ric_check_character(first17: str) -> str:
    return RIC_CHECK[sum(int(c) * w for c, w in zip(first17, RIC_WEIGHTS, strict=True)) % 11]


def validate_id_number(s: str) -> str:
    """Return the normalised 18-character 公民身份号码 or raise :class:`InvalidIdentifier`.

    Uses ``stdnum.cn.ric``, which also checks the birth date and that the 6-digit birthplace code existed
    in the birth year (its bundled GB/T 2260 table) — synthetic IDs must therefore use real region codes.
    """
    if s is None or not isinstance(s, str) or not s.strip():
        raise InvalidIdentifier("id_number", s, "empty")
    n = _ric_normalise(s)
    if len(n) != 18:
        raise InvalidIdentifier("id_number", s, "length", f"（实为{len(n)}位）", f" (got {len(n)})")
    if not (n[:17].isascii() and n[:17].isdigit()):
        raise InvalidIdentifier(
            "id_number", s, "format", "：前17位应为数字", ": the first 17 characters must be digits"
        )
    expected = ric_check_character(n[:17])
    if n[17] != expected:
        raise InvalidIdentifier(
            "id_number",
            s,
            "check",
            f"：应为“{expected}”，实为“{n[17]}”",
            f": expected {expected!r}, got {n[17]!r}",
        )
    try:  # as stdnum.cn.ric.get_birth_date on a compact number (a test compares the verdicts)
        date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise InvalidIdentifier("id_number", s, "birth_date", f"（{n[6:14]}）", f" ({n[6:14]})") from None
    if not _birth_place_known(n[:6], int(n[6:10])):
        raise InvalidIdentifier("id_number", s, "birth_place", f"（{n[:6]}）", f" ({n[:6]})") from None
    return n


@functools.lru_cache(maxsize=8192)
def _birth_place_known(code: str, year: int) -> bool:
    """Did the 6-digit birthplace code exist in that year (stdnum's GB/T 2260 table)? The rest of
    ``stdnum.cn.ric.validate`` is checked above; this lookup was most of one case's identifier checks,
    and an agency's cases share a few codes."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        ric.get_birth_place(f"{code}{year:04d}01010000")
    except (ValidationError, KeyError):  # stdnum raises KeyError for a province with no such county
        return False
    return True


def is_valid_id_number(s: str) -> bool:
    try:
        validate_id_number(s)
    except InvalidIdentifier:
        return False
    return True


@functools.cache
def _loc_range_maps() -> list[tuple[dict[str, int], dict[str, int]]]:
    table = region_code_years()
    k = max(len(r) for r in table.values())
    maps = []
    for i in range(k):
        starts = {c: r[i].start for c, r in table.items() if len(r) > i}
        ends = {c: r[i].end for c, r in table.items() if len(r) > i}
        maps.append((starts, ends))
    return maps


def id_number_reasons(lf: pl.LazyFrame, column: str, out: str) -> pl.LazyFrame:
    """Add column ``out``: reason code for ``column`` (``null`` when valid), staged like the credit code."""
    n = f"{_T}n"
    lf = lf.with_columns(pl.col(column).str.to_uppercase().str.strip_chars().alias(n)).with_columns(
        _byte_columns(n)
    )
    total = pl.sum_horizontal([(pl.col(f"{_T}b{i}") - 48) * w for i, w in enumerate(RIC_WEIGHTS)])
    lf = lf.with_columns(
        (total % 11).alias(f"{_T}exp"),
        pl.col(n).str.slice(6, 4).cast(pl.Int32, strict=False).alias(f"{_T}y"),
        pl.col(n).str.slice(10, 2).cast(pl.Int32, strict=False).alias(f"{_T}m"),
        pl.col(n).str.slice(12, 2).cast(pl.Int32, strict=False).alias(f"{_T}d"),
        pl.col(n).str.slice(0, 6).cast(pl.Int32, strict=False).alias(f"{_T}code"),
    )
    y, m, d, code = (pl.col(f"{_T}{x}") for x in ("y", "m", "d", "code"))
    month_len = (
        pl.when(m == 2)
        .then(pl.when(((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    date_ok = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= month_len)
    place_ok = pl.lit(False)
    for starts, ends in _loc_range_maps():
        s = code.replace_strict({int(k): v for k, v in starts.items()}, default=None, return_dtype=pl.Int32)
        e = code.replace_strict({int(k): v for k, v in ends.items()}, default=None, return_dtype=pl.Int32)
        place_ok = place_ok | (s.is_not_null() & (y >= s) & (y <= e)).fill_null(False)
    # check character: last byte vs RIC_CHECK[exp]; 'X' is byte 88
    last = pl.col(f"{_T}b17")
    expected_byte = pl.col(f"{_T}exp").replace_strict(
        {i: ord(c) for i, c in enumerate(RIC_CHECK)}, return_dtype=pl.Int32
    )
    raw = pl.col(column)
    reason = (
        pl.when(raw.is_null() | (raw.str.strip_chars() == ""))
        .then(pl.lit("empty"))
        .when(pl.col(n).str.len_chars() != 18)
        .then(pl.lit("length"))
        .when(~pl.col(n).str.contains(r"^[0-9]{17}"))
        .then(pl.lit("format"))
        .when(last != expected_byte)
        .then(pl.lit("check"))
        .when(~date_ok)
        .then(pl.lit("birth_date"))
        .when(~place_ok)
        .then(pl.lit("birth_place"))
        .otherwise(None)
    )
    return lf.with_columns(reason.alias(out)).drop(pl.selectors.starts_with(_T))


def _with_reason(df, column: str, kind: str, fn):
    eager = isinstance(df, pl.DataFrame)
    r = f"{column}_reason"
    lf = fn(df.lazy(), column, r).with_columns(
        pl.col(r).is_null().alias(f"{column}_valid"),
        pl.format("{}{}", pl.lit(KIND_ZH[kind]), pl.col(r).replace_strict(REASONS_ZH, default=None)).alias(
            f"{column}_reason_zh"
        ),
        pl.format("{} {}", pl.lit(KIND_EN[kind]), pl.col(r).replace_strict(REASONS_EN, default=None)).alias(
            f"{column}_reason_en"
        ),
    )
    return lf.collect() if eager else lf


def check_credit_codes(df: pl.DataFrame | pl.LazyFrame, column: str = "credit_code"):
    """Add ``<column>_valid`` (bool), ``<column>_reason`` (code or null), ``_reason_zh``, ``_reason_en``.

    Returns the same kind of frame it was given (eager or lazy).
    """
    return _with_reason(df, column, "credit_code", credit_code_reasons)


def check_id_numbers(df: pl.DataFrame | pl.LazyFrame, column: str = "id_number"):
    """Add ``<column>_valid`` (bool), ``<column>_reason`` (code or null), ``_reason_zh``, ``_reason_en``."""
    return _with_reason(df, column, "id_number", id_number_reasons)


def make_credit_code(authority_category: str, region: str, org_body: str) -> str:
    """Build a valid code from its parts (2 + 6 + 9 characters), appending the check character."""
    first17 = f"{authority_category}{region}{org_body}"
    return first17 + uscc_check_character(first17)
