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


def _hint(v: str) -> str:
    """An error message must not print a (possibly valid) identifier in full either."""
    return v[:2] + "…" if len(v) > 4 else "…"
