"""Masked identifiers for what others see (公示 lists, letters' copies, the XLSX twin of a bank file).

Every function keeps the length (one ``*`` per hidden character) and raises :class:`DocumentError` for a
value too short to be masked safely, so a masked value never shows the whole identifier.

* 公民身份号码 (18 or 15 characters): first 4 (province + city of the issuing place) and last 4 —
  ``150202199001011234`` → ``1502**********1234``;
* 统一社会信用代码 (18): first 6 and last 2 — ``91150502MA0N1234XN`` → ``911505**********XN``. Kept: 登记管理部门
  and 机构类别 (2), and the province + city part of the 行政区划码 (4); hidden: the county (2) and 8 of the 9
  characters of the 主体标识码 (组织机构代码) that identify the unit. This is what 公示 lists usually show and
  enough for a unit to recognise itself next to its name; the name itself is shown in full.
* mobile phone (11 digits starting with 1): first 3 and last 4 — ``138****1234``; any other phone number
  keeps its last 4 digits (separators are kept);
* bank account: first 4 (the card BIN/bank prefix) and last 4, the hidden digits as groups of 4 —
  ``6222 **** **** 1234``;
  accounts shorter than 12 digits keep only the last 4.
"""

from __future__ import annotations

import re

import polars as pl

from .errors import DocumentError

_SPACES = re.compile(r"[\s-]+")


def _mask(value: str, head: int, tail: int) -> str:
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """``150202199001011234`` → ``1502**********1234`` (15-character numbers: ``1502*******1234``)."""
    v = _SPACES.sub("", str(value)).upper()
    if len(v) not in (15, 18):
        raise DocumentError(f"公民身份号码“{_hint(v)}”应为18位或15位，无法脱敏 / ID number must have 18 or 15 characters")
    return _mask(v, 4, 4)


def mask_credit_code(value: str) -> str:
    """``91150502MA0N1234XN`` → ``911505**********XN``."""
    v = _SPACES.sub("", str(value)).upper()
    if len(v) != 18:
        raise DocumentError(f"统一社会信用代码“{_hint(v)}”应为18位，无法脱敏 / credit code must have 18 characters")
    return _mask(v, 6, 2)


def mask_identifier(value: str) -> str:
    """An ID number or a credit code, told apart by shape (17 digits + digit/X is an ID number)."""
    v = _SPACES.sub("", str(value)).upper()
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", v):
        return mask_id_number(v)
    return mask_credit_code(v)


def mask_unit_id(value: object) -> str:
    """A decision's unit (person) identifier as every list shows it — the 公示 list's mask (:func:`mask_identifier`:
    credit code 6+2, ID number 4+4); one not of either shape: the last 2 kept (outside audit, session 39: the
    import's disagreement list kept 4+4 of a credit code, `case list` 6+2 — together 10 of its 18 characters)."""
    v = "" if value is None else str(value)
    try:
        return mask_identifier(v)
    except DocumentError:
        return "*" * max(len(v) - 2, 1) + v[-2:] if len(v) > 4 else "*" * len(v)


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``; ``0475-8123456`` → ``0475-***3456`` (last 4 digits only)."""
    v = str(value).strip()
    digits = [i for i, ch in enumerate(v) if ch.isdigit()]
    if len(digits) < 7:
        raise DocumentError(f"电话号码“{_hint(v)}”位数不足，无法脱敏 / phone number too short to mask")
    compact = "".join(v[i] for i in digits)
    keep_head = 3 if len(compact) == 11 and compact.startswith("1") and len(digits) == len(v) else 0
    hidden = set(digits[keep_head : len(digits) - 4])
    if keep_head == 0:
        # landline: keep the area code (before the first separator) when there is one
        sep = re.search(r"[-\s]", v)
        if sep:
            hidden = {i for i in hidden if i > sep.start()}
            if len(hidden) < 3:
                hidden = set(digits[: len(digits) - 4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(v))


def mask_bank_account(value: str) -> str:
    """``6222021234567891234`` → ``6222 **** **** *** 1234``: first 4 and last 4 kept, one ``*`` per digit."""
    v = _SPACES.sub("", str(value))
    if len(v) < 8:
        raise DocumentError(f"银行账号“{_hint(v)}”位数不足，无法脱敏 / bank account too short to mask")
    head = v[:4] if len(v) >= 12 else ""
    hidden = len(v) - len(head) - 4
    groups = [head] if head else []
    groups += ["*" * min(4, hidden - i) for i in range(0, hidden, 4)]
    return " ".join([*groups, v[-4:]])


def mask_account_for_display(value: str | None) -> str | None:
    """An account as a list or page shows it: masked, or all stars when too short to keep any digits."""
    if not value:
        return None
    try:
        return mask_bank_account(value)
    except DocumentError:
        return "*" * len(value)


def _hint(v: str) -> str:
    """An error message must not print a (possibly valid) identifier in full either."""
    return v[:2] + "…" if len(v) > 4 else "…"


# ---------------------------------------------------------------------------------------------------
# Identifiers inside free text, values that may be malformed, secrets. These never raise: they are used on
# whatever reaches a list, a quarantine file, a console, a log or an outbox message, and must not fail there.
#
# What counts as an identifier in text (masked, whatever surrounds it; digits next to digits are one run):
# * 11 digits starting 13–19, optionally ``+86``/``86`` before and one space or hyphen after the 3rd and 7th
#   digit → mobile, ``138****5678``;
# * 18 characters, 17 digits and a digit or X, or 15 digits, shaped like a 公民身份号码 (6-digit place, a
#   birth date) → ``1502**********1234`` — checksum or not: a mistyped ID is still someone's ID;
# * any other run of 16 or more digits → bank account, ``6222 **** **** *** 1234``.
# Credit codes (units, public registers) and shorter numbers (amounts, dates, counts) are left alone.

_MOBILE = re.compile(r"(?<![\d+])((?:\+?86[ -]?)?1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})(?!\d)")
_RUN = re.compile(r"(?<!\d)\d{15,}(?:[Xx](?![A-Za-z0-9]))?(?!\d)")
_ID_SHAPE = re.compile(
    r"[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"|[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
)


def looks_like_id_number(value: str) -> bool:
    """18 (or 15) characters shaped like a 公民身份号码: place digits, a plausible birth date, digits (+X)."""
    return _ID_SHAPE.fullmatch(value) is not None


def _mask_mobile(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}****{m.group(4)}{m.group(5)}"


def _mask_run(m: re.Match[str]) -> str:
    s = m.group(0)
    if len(s) in (15, 18) and looks_like_id_number(s):
        return mask_id_number(s)
    if not s.isdigit():  # 15–17 digits and an X: a mistyped ID
        return mask_loose(s)
    return mask_bank_account(s)


def mask_text(text: str) -> str:
    """``text`` with every mobile number, 公民身份号码 and bank account in it masked (see above)."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    return _RUN.sub(_mask_run, _MOBILE.sub(_mask_mobile, text))


def mask_loose(value: object) -> str:
    """A value that should be an identifier but may be malformed (a quarantined 身份证号): shows at most the
    first 4 and last 4 characters and never more than half of it; one ``*`` per hidden character.

    ``150202199001011234`` → ``1502**********1234``; ``15020219900101`` (14) → ``150********101``;
    ``12345`` → ``1***5``; ``123`` → ``***``.
    """
    v = "" if value is None else str(value).strip()
    keep = min(4, len(v) // 4)
    if keep == 0:
        return "*" * len(v)
    return v[:keep] + "*" * (len(v) - 2 * keep) + v[len(v) - keep :]


def mask_recipient(value: object) -> str:
    """How a message's recipient is shown (outbox, console): mobiles, ID numbers and a unit's credit code masked
    (the credit code as the ledger's 公示 list shows it, :func:`mask_credit_code`: the outbox and outbox.jsonl are
    "the notices, masked", and the sender reads the address from the decision, not from here); an ID-shaped
    value that failed its checks is masked all the same."""
    v = "" if value is None else str(value).strip()
    compact = _SPACES.sub("", v)
    if len(compact) in (15, 16, 17, 18) and compact[:15].isdigit():
        return mask_loose(compact)
    if re.fullmatch(r"[0-9A-Za-z]{18}", compact):
        return mask_credit_code(compact)
    return mask_text(v)


# secrets: URL userinfo, query parameters and JSON/headers whose name says key/token/secret/password/sign,
# Authorization headers and bearer tokens
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@")
_SECRET_NAME = r"[\w.\-]*(?:key|token|secret|passw(?:or)?d|pwd|sign|signature|credential|auth)[\w.\-]*"
_QUERY = re.compile(rf"(?i)(?<![\w.\-])({_SECRET_NAME}\s*=\s*)[^&\s#'\",;)]*")
_HEADER = re.compile(r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+")
_PAIR = re.compile(rf"(?i)([\"']{_SECRET_NAME}[\"']\s*:\s*[\"'])[^\"']*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{8,}")


def scrub_secrets(text: str) -> str:
    """``text`` (an error, a URL, a log line) with credentials replaced by ``***`` and identifiers masked.

    ``https://user:secret@host/send?token=abc&to=1`` → ``https://***@host/send?token=***&to=1``;
    ``Authorization: Bearer abc…`` → ``Authorization: ***``; ``{"api_key": "abc"}`` → ``{"api_key": "***"}``.
    """
    if not text:
        return text
    out = _USERINFO.sub(r"\1***@", str(text))
    out = _QUERY.sub(r"\1***", out)
    out = _HEADER.sub(r"\1***", out)
    out = _PAIR.sub(r"\1***", out)
    out = _BEARER.sub(r"\1 ***", out)
    return mask_text(out)


# ---------------------------------------------------------------------------------------------------
# the same rules over Polars columns (lists of a million rows)


def mask_id_number_expr(column: str | pl.Expr) -> pl.Expr:
    """:func:`mask_id_number` as a column expression (valid 18/15-character IDs): first 4, one ``*`` per
    hidden character, last 4. Shorter values are starred in full; nulls stay null."""
    c = pl.col(column) if isinstance(column, str) else column
    n = c.str.len_chars()
    stars = c.str.slice(4, n - 8).str.replace_all(r"(?s).", "*")
    return pl.when(n >= 12).then(c.str.slice(0, 4) + stars + c.str.slice(n - 4, 4)).otherwise(
        c.str.replace_all(r"(?s).", "*")
    )


def mask_text_series(series: pl.Series, fn=None) -> pl.Series:
    """``fn`` (default :func:`mask_text`) applied once per distinct value of a string column; with the default,
    only values with 8 digits in a row (or 4 + 4 split by a space or hyphen) can change and are looked at."""
    s = series.cast(pl.String)
    candidates = s if fn is not None else s.filter(s.str.contains(r"\d{4}[ -]?\d{4}").fill_null(False))
    fn = fn or mask_text
    distinct = candidates.drop_nulls().unique()
    if distinct.len() == 0:
        return s
    masked = pl.Series([fn(v) for v in distinct.to_list()], dtype=pl.String)
    return s.replace(distinct, masked).alias(series.name)


def mask_loose_expr(column: str | pl.Expr) -> pl.Expr:
    """:func:`mask_loose` as a column expression (any text; nulls stay null)."""
    c = (pl.col(column) if isinstance(column, str) else column).cast(pl.String).str.strip_chars()
    n = c.str.len_chars()
    keep = pl.min_horizontal(pl.lit(4, dtype=pl.UInt32), n // 4)
    middle = c.str.slice(keep, n - 2 * keep).str.replace_all(r"(?s).", "*")
    return c.str.slice(0, keep) + middle + c.str.slice(n - keep, keep)
