"""What no text a caseworker, unit or person reads may hold: internal codes (shared by the user-facing text tests)."""

from __future__ import annotations

import re

# a reading as the machine writes it: switch=key (``fanhuan.normal_attrition=excluded``)
SWITCH_KEY = re.compile(r"[A-Za-z0-9_]+\.[A-Za-z0-9_]+=")
# an English status code (符合条件/不符合条件/待认定/无法判定 are the labels)
STATUS_CODE = re.compile(r"(?<![A-Za-z_])(eligible|ineligible|needs_decision|not_determinable)(?![A-Za-z_])")


def codes_in(text: str) -> list[str]:
    return [m.group(0) for m in SWITCH_KEY.finditer(text)] + [m.group(0) for m in STATUS_CODE.finditer(text)]
